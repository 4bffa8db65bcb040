//! The command line: PocketBase's commands, flags and one-line errors.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrobase")).args(args).output().expect("ferrobase runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help() {
    let v = run(&["--version"]);
    assert!(v.status.success());
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
    let h = run(&["serve", "--help"]);
    let text = String::from_utf8_lossy(&h.stdout);
    for flag in [
        "--http",
        "--https",
        "--origins",
        "--dir",
        "--hooksDir",
        "--migrationsDir",
        "--publicDir",
        "--indexFallback",
        "--queryTimeout",
        "--dev",
        "--automigrate",
        "--encryptionEnv",
        "--hooksWatch",
        "--hooksPool",
    ] {
        assert!(text.contains(flag), "serve --help lists {flag}");
    }
}

/// `-v`/`--version` name the version and the commit the binary was built
/// from, `+dirty` when its sources differ from that commit (build.rs).
#[test]
fn version_names_the_git_commit() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let expected = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(sha) => {
            let sources = ["src", "js_api", "typings", "Cargo.toml", "Cargo.lock", "build.rs"];
            let status = git(&[&["status", "--porcelain", "--"][..], &sources].concat()).expect("git status");
            let dirty = if status.is_empty() { "" } else { "+dirty" };
            format!("ferrobase version {} (commit {sha}{dirty})\n", env!("CARGO_PKG_VERSION"))
        }
        None => format!("ferrobase version {} (commit unknown)\n", env!("CARGO_PKG_VERSION")),
    };
    for flag in ["-v", "--version", "-V"] {
        let o = run(&[flag]);
        assert!(o.status.success(), "{flag}: {}", stderr(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), expected, "{flag}");
    }
}

#[test]
fn superuser_commands_validate_input() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let d = data.to_str().expect("utf8 path");
    let bad_email = run(&["superuser", "create", "not-an-email", "longpassword1", "--dir", d]);
    assert_eq!(bad_email.status.code(), Some(1));
    assert!(stderr(&bad_email).contains("invalid email"), "{}", stderr(&bad_email));
    let short = run(&["superuser", "create", "a@b.co", "short", "--dir", d]);
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 8"), "{}", stderr(&short));
    let missing = run(&["superuser", "upsert", "--dir", d]);
    assert_eq!(missing.status.code(), Some(1));
    let ok = run(&["superuser", "create", "a@b.co", "longpassword1", "--dir", d]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("a@b.co"));
    let dup = run(&["superuser", "create", "a@b.co", "longpassword1", "--dir", d]);
    assert_eq!(dup.status.code(), Some(1));
    let upd = run(&["superuser", "update", "nobody@b.co", "longpassword1", "--dir", d]);
    assert!(stderr(&upd).contains("doesn't exist"), "{}", stderr(&upd));
    let last = run(&["superuser", "delete", "a@b.co", "--dir", d]);
    assert_eq!(last.status.code(), Some(1), "the only superuser cannot be deleted");
    assert!(run(&["superuser", "upsert", "b@b.co", "longpassword2", "--dir", d]).status.success());
    assert!(run(&["superuser", "delete", "a@b.co", "--dir", d]).status.success());
}

#[test]
fn superuser_commands_fire_record_hooks() {
    let dir = tempfile::tempdir().expect("tmp");
    let hooks = dir.path().join("pb_hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    std::fs::write(
        hooks.join("guard.pb.js"),
        r#"onRecordCreate((e) => {
            if (e.record.email().endsWith("@blocked.co")) throw new BadRequestError("blocked by a hook");
            e.next();
        }, "_superusers");"#,
    )
    .expect("write hook");
    let data = dir.path().join("pb_data");
    let d = data.to_str().expect("utf8 path");
    let blocked = run(&["superuser", "create", "a@blocked.co", "longpassword1", "--dir", d]);
    assert_eq!(blocked.status.code(), Some(1));
    assert!(stderr(&blocked).to_lowercase().contains("blocked by a hook"), "{}", stderr(&blocked));
    let ok = run(&["superuser", "create", "a@fine.co", "longpassword1", "--dir", d]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn unknown_flags_fail_with_one_line() {
    let o = run(&["serve", "--bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--bogus"));
}

#[test]
fn go_style_boolean_flags_are_accepted() {
    let o = run(&["serve", "--help", "--hooksWatch=false", "--dev"]);
    assert!(o.status.success(), "{}", stderr(&o));
}
