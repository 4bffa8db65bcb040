//! The typings (`typings/types.d.ts`): they declare every PocketBase global,
//! exactly the globals the runtime defines, type-check the hooks and
//! migrations examples with `tsc`, and `serve` writes them to
//! `pb_data/types.d.ts`. Also runs a
//! hooks console command through the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferrobase::core::{App, AppConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Type-only namespaces of the typings (no runtime value).
const TYPE_NAMESPACES: [&str; 6] = ["core", "dbx", "filesystem", "os", "subscriptions", "time"];

/// The value names `typings/types.d.ts` declares at the top level.
fn declared() -> BTreeSet<String> {
    let src = ferrobase::jsvm::typings::types_d_ts();
    src.lines()
        .filter_map(|l| l.strip_prefix("declare "))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let kind = words.next()?;
            let name = words.next()?;
            let name: String = name.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
            matches!(kind, "function" | "class" | "const" | "var" | "let" | "namespace").then_some(name)
        })
        .filter(|n| !TYPE_NAMESPACES.contains(&n.as_str()))
        .collect()
}

#[test]
fn typings_declare_all_151_pocketbase_globals() {
    let list = std::fs::read_to_string(root().join("tests/fixtures/pocketbase-js-globals.txt")).expect("list");
    let pocketbase: BTreeSet<String> =
        list.lines().filter_map(|l| l.split_whitespace().nth(1)).map(str::to_string).collect();
    assert_eq!(pocketbase.len(), 151);
    let declared = declared();
    let missing: Vec<_> = pocketbase.difference(&declared).collect();
    assert!(missing.is_empty(), "not declared: {missing:?}");
}

#[test]
fn declared_names_match_the_runtime_globals_both_ways() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = App::open(AppConfig::new(dir.path().join("pb_data"))).expect("app");
    let defined: BTreeSet<String> = ferrobase::jsvm::defined_globals(&app).expect("globals").into_iter().collect();
    let declared = declared();
    let undeclared: Vec<_> = defined.difference(&declared).collect();
    let undefined: Vec<_> = declared.difference(&defined).collect();
    assert!(undeclared.is_empty(), "defined by the runtime but not declared: {undeclared:?}");
    assert!(undefined.is_empty(), "declared but not defined by the runtime: {undefined:?}");
}

fn tsc() -> PathBuf {
    let sdk = root().join("tests/sdk");
    let bin = sdk.join("node_modules/typescript/bin/tsc");
    if !bin.is_file() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&sdk)
            .status()
            .expect("npm must be installed to type-check the examples");
        assert!(status.success(), "npm ci failed in {}", sdk.display());
    }
    bin
}

/// Runs tsc over `files` laid out like a user's project: `pb_hooks/` (or
/// `pb_migrations/`) next to the `pb_data/types.d.ts` that serve writes.
fn type_check(folder: &str, files: &[(String, String)]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tmp");
    ferrobase::jsvm::typings::write(&dir.path().join("pb_data")).expect("types.d.ts");
    let hooks = dir.path().join(folder);
    std::fs::create_dir_all(&hooks).expect("pb_hooks");
    for (name, src) in files {
        std::fs::write(hooks.join(name), src).expect("hook file");
    }
    let config = r#"{"compilerOptions": {"noEmit": true, "allowJs": true, "checkJs": true, "target": "es2022",
        "lib": ["es2022"], "types": []}, "include": ["pb_hooks/*.pb.js", "pb_hooks/*.pb.ts", "pb_migrations/*.js"]}"#;
    std::fs::write(dir.path().join("tsconfig.json"), config).expect("tsconfig");
    let out = Command::new("node").arg(tsc()).args(["-p", "."]).current_dir(dir.path()).output().expect("node");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn read_examples(folder: &str) -> Vec<(String, String)> {
    std::fs::read_dir(root().join(folder))
        .expect("examples")
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).expect("read"))
        })
        .collect()
}

#[test]
fn examples_type_check_against_the_typings() {
    let hooks = read_examples("pb_hooks_examples");
    assert!(hooks.len() >= 6);
    let (ok, out) = type_check("pb_hooks", &hooks);
    assert!(ok, "tsc found errors in pb_hooks_examples:\n{out}");
    let (ok, out) = type_check("pb_migrations", &read_examples("pb_migrations_examples"));
    assert!(ok, "tsc found errors in pb_migrations_examples:\n{out}");
    // and the check is real: a misspelled method fails it
    let (ok, out) = type_check(
        "pb_hooks",
        &[(
            "bad.pb.js".into(),
            "/// <reference path=\"../pb_data/types.d.ts\" />\n$app.findRecordByIdd(\"x\", \"y\");\n".into(),
        )],
    );
    assert!(!ok && out.contains("findRecordByIdd"), "{out}");
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

#[test]
fn serve_writes_types_and_hook_commands_run_from_the_cli() {
    let bin = env!("CARGO_BIN_EXE_ferrobase");
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let hooks = dir.path().join("pb_hooks");
    std::fs::create_dir_all(&hooks).expect("hooks");
    let marker = dir.path().join("ran.txt");
    std::fs::write(
        hooks.join("cmd.pb.js"),
        format!(
            "$app.rootCmd.addCommand(new Command({{use: \"hello\", run: (cmd, args) => {{ $os.writeFile({:?}, \"hello \" + args.join(\",\")) }}}}));",
            marker.to_string_lossy()
        ),
    )
    .expect("hook");
    let ran = Command::new(bin).arg("--dir").arg(&data).args(["hello", "a", "b"]).output().expect("run");
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(std::fs::read_to_string(&marker).expect("marker"), "hello a,b");
    let unknown = Command::new(bin).arg("--dir").arg(&data).arg("nope").output().expect("run");
    assert!(!unknown.status.success());

    let port = free_port();
    let _server = Server(
        Command::new(bin)
            .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let types: &Path = &data.join("types.d.ts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !types.is_file() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let written = std::fs::read_to_string(types).expect("serve writes types.d.ts");
    assert_eq!(written, ferrobase::jsvm::typings::types_d_ts());
}

/// The TypeScript type of each object `ferrobase::jsvm::runtime_members` lists.
const MEMBER_TYPES: [(&str, &str); 11] = [
    ("$app", "typeof $app"),
    ("Record", "core.Record"),
    ("Collection", "core.Collection"),
    ("TextField", "core.TextField"),
    ("RelationField", "core.RelationField"),
    ("SelectField", "core.SelectField"),
    ("DateTime", "DateTime"),
    ("RequestEvent", "core.RequestEvent"),
    ("Request", "core.Request"),
    ("RecordRequestEvent", "core.RecordRequestEvent"),
    ("$template", "typeof $template"),
];

/// JS conversions every object may have without a declaration.
const UNDECLARED_OK: [&str; 2] = ["toString", "toJSON"];

/// The members TypeScript sees on each of [`MEMBER_TYPES`] in our typings.
fn typings_members() -> BTreeMap<String, BTreeSet<String>> {
    let ts = tsc().parent().and_then(Path::parent).expect("typescript dir").join("lib/typescript.js");
    let dir = tempfile::tempdir().expect("tmp");
    ferrobase::jsvm::typings::write(dir.path()).expect("types.d.ts");
    let out = Command::new("node")
        .arg(root().join("tests/fixtures/typings_members.mjs"))
        .arg(&ts)
        .arg(dir.path().join("types.d.ts"))
        .args(MEMBER_TYPES.iter().map(|(_, t)| *t))
        .output()
        .expect("node");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_type: BTreeMap<String, BTreeSet<String>> = serde_json::from_slice(&out.stdout).expect("members json");
    MEMBER_TYPES.iter().map(|(name, ty)| (name.to_string(), by_type.get(*ty).cloned().unwrap_or_default())).collect()
}

#[test]
fn runtime_members_match_the_typings_both_ways_and_cover_pocketbase() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = App::open(AppConfig::new(dir.path().join("pb_data"))).expect("app");
    let runtime = ferrobase::jsvm::runtime_members(&app).expect("runtime members");
    let typings = typings_members();
    let pocketbase: BTreeMap<String, BTreeSet<String>> = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/pocketbase-members.json")).expect("fixture"),
    )
    .expect("fixture json");
    let mut problems = Vec::new();
    let mut report = vec![format!(
        "{:<20} {:>7} {:>7} {:>10} {:>14}",
        "object", "runtime", "typings", "pocketbase", "of pocketbase's"
    )];
    let (mut covered, mut total) = (0, 0);
    for (name, _) in MEMBER_TYPES {
        let rt: BTreeSet<String> = runtime.get(name).cloned().unwrap_or_default().into_iter().collect();
        let ty = &typings[name];
        let pb = &pocketbase[name];
        let undeclared: Vec<_> = rt.difference(ty).filter(|m| !UNDECLARED_OK.contains(&m.as_str())).collect();
        let undefined: Vec<_> = ty.difference(&rt).collect();
        if !undeclared.is_empty() {
            problems.push(format!("{name}: defined by the runtime but not declared: {undeclared:?}"));
        }
        if !undefined.is_empty() {
            problems.push(format!("{name}: declared but not defined by the runtime: {undefined:?}"));
        }
        let have = pb.intersection(&rt).count();
        covered += have;
        total += pb.len();
        report.push(format!("{name:<20} {:>7} {:>7} {:>10} {:>14}", rt.len(), ty.len(), pb.len(), have));
    }
    report.push(format!("{:<20} {:>44}", "total", format!("{covered} of {total}")));
    println!("{}", report.join("\n"));
    assert!(problems.is_empty(), "{}\n{}", problems.join("\n"), report.join("\n"));
    // a ratchet: members of PocketBase's API that exist today may not go away
    assert!(
        covered >= MIN_POCKETBASE_MEMBERS,
        "only {covered} of PocketBase's {total} members exist\n{}",
        report.join("\n")
    );
}

/// How many of PocketBase's members (tests/fixtures/pocketbase-members.json)
/// the runtime has at least; raise it when adding members.
const MIN_POCKETBASE_MEMBERS: usize = 422;
