//! The `migrate` command and `serve` applying migrations, through the real
//! `ferrobase` binary.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ferrobase::migrations::templates;

use crate::migrations::write_migrations;

fn ferrobase(root: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
        .arg("--dir")
        .arg(root.join("pb_data"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferrobase runs");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("ferrobase exits")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn migration_files(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("pb_migrations"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

const CREATE_NOTES: &str = r#"migrate((app) => {
  const c = new Collection({name: "notes", listRule: "", fields: [{name: "text", type: "text"}]});
  app.save(c);
  const r = new Record(c);
  r.set("text", "seeded");
  app.save(r);
}, (app) => {
  app.delete(app.findCollectionByNameOrId("notes"));
})"#;

#[test]
fn create_writes_pocketbases_blank_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ferrobase(dir.path(), &["migrate", "create", "Add stuff"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = migration_files(dir.path());
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("_add_stuff.js"), "{files:?}");
    assert_eq!(
        stdout(&out),
        format!("Successfully created file \"{}\"\n", dir.path().join("pb_migrations").join(&files[0]).display())
    );
    let src = std::fs::read_to_string(dir.path().join("pb_migrations").join(&files[0])).expect("read");
    assert_eq!(src, templates::blank());

    let no = ferrobase(dir.path(), &["migrate", "create", "other"], Some("n\n"));
    assert_eq!(stdout(&no), "The command has been cancelled\n", "a piped answer is honoured");
    assert_eq!(migration_files(dir.path()).len(), 1);
    let missing = ferrobase(dir.path(), &["migrate", "create"], None);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("missing migration file name"));
    let unknown = ferrobase(dir.path(), &["migrate", "sideways"], None);
    assert!(stderr(&unknown).contains("unsupported command: \"sideways\""), "{}", stderr(&unknown));
}

#[test]
fn up_down_and_history_sync_print_pocketbases_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(
        dir.path(),
        &[("1700000000_create_notes.js", CREATE_NOTES), ("1700000001_empty.js", "migrate(() => {})")],
    );
    let up = ferrobase(dir.path(), &["migrate", "up"], None);
    assert!(up.status.success(), "{}", stderr(&up));
    assert_eq!(stdout(&up), "Applied 1700000000_create_notes.js\nApplied 1700000001_empty.js\n");
    let again = ferrobase(dir.path(), &["migrate"], None);
    assert_eq!(stdout(&again), "No new migrations to apply.\n");

    let cancelled = ferrobase(dir.path(), &["migrate", "down"], Some("no\n"));
    assert!(stdout(&cancelled).ends_with("The command has been cancelled\n"), "{}", stdout(&cancelled));
    let down = ferrobase(dir.path(), &["migrate", "down", "2"], None);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(
        stdout(&down),
        "\n1700000001_empty.js\n1700000000_create_notes.js\nReverted 1700000001_empty.js\nReverted 1700000000_create_notes.js\n"
    );
    assert_eq!(stdout(&ferrobase(dir.path(), &["migrate", "down"], None)), "No migrations to revert.\n");

    assert!(ferrobase(dir.path(), &["migrate", "up"], None).status.success());
    std::fs::remove_file(dir.path().join("pb_migrations/1700000001_empty.js")).expect("rm");
    let sync = ferrobase(dir.path(), &["migrate", "history-sync"], None);
    assert_eq!(stdout(&sync), "The _migrations table was synced with the available migrations.\n");
    let down = ferrobase(dir.path(), &["migrate", "down"], None);
    assert!(
        stdout(&down).ends_with("Reverted 1700000000_create_notes.js\n"),
        "the forgotten one is skipped: {}",
        stdout(&down)
    );
}

#[test]
fn collections_command_writes_a_snapshot_that_recreates_the_schema() {
    let a = tempfile::tempdir().expect("temp dir");
    write_migrations(a.path(), &[("1700000000_create_notes.js", CREATE_NOTES)]);
    assert!(ferrobase(a.path(), &["migrate", "up"], None).status.success());
    let out = ferrobase(a.path(), &["migrate", "collections"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let snapshot =
        migration_files(a.path()).into_iter().find(|f| f.ends_with("_collections_snapshot.js")).expect("snapshot");
    let src = std::fs::read_to_string(a.path().join("pb_migrations").join(&snapshot)).expect("read");
    assert!(src.contains("\"name\": \"notes\"") && src.contains("\"name\": \"_superusers\""));

    let b = tempfile::tempdir().expect("temp dir");
    write_migrations(b.path(), &[(snapshot.as_str(), src.as_str())]);
    assert!(ferrobase(b.path(), &["migrate", "up"], None).status.success());
    assert_eq!(stored_collections(a.path()), stored_collections(b.path()));
}

/// Every collection of a data dir as migrations see it (no dates).
fn stored_collections(root: &Path) -> Vec<serde_json::Value> {
    let app = ferrobase::core::App::open(ferrobase::core::AppConfig::new(root.join("pb_data"))).expect("open");
    app.collections().all().iter().map(|c| serde_json::Value::Object(templates::collection_json(c))).collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[tokio::test]
async fn serve_applies_pending_migrations_before_listening() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(dir.path(), &[("1700000000_create_notes.js", CREATE_NOTES)]);
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
        .arg("--dir")
        .arg(dir.path().join("pb_data"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let url = format!("http://127.0.0.1:{port}/api/collections/notes/records");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = String::new();
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(&url).await {
            body = r.text().await.unwrap_or_default();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(body.contains("\"text\":\"seeded\""), "the first answer already has the migrated data: {body}");
}

#[test]
fn serve_refuses_to_start_on_a_failing_migration() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(
        dir.path(),
        &[
            ("1700000000_create_notes.js", CREATE_NOTES),
            ("1700000001_broken.js", "migrate((app) => { throw new Error(\"nope\") })"),
        ],
    );
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
        .arg("--dir")
        .arg(dir.path().join("pb_data"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .output()
        .expect("serve exits");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("failed to apply migration 1700000001_broken.js: Error: nope"), "{err}");
    assert!(!stdout(&out).contains("Server started"));
}

#[test]
fn unconventional_names_run_with_a_warning_and_near_misses_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(
        dir.path(),
        &[
            (
                "1700000000_from_typescript_name.ts",
                "migrate((app) => { app.save(new Collection({name: \"ts_named\"})) })",
            ),
            ("create_later.js", "migrate((app) => { app.save(new Collection({name: \"later\"})) })"),
            ("1700000001_upper.JS", "migrate((app) => { throw new Error(\"must not load\") })"),
        ],
    );
    let up = ferrobase(dir.path(), &["migrate", "up"], None);
    assert!(up.status.success(), "{}", stderr(&up));
    let all = format!("{}{}", stdout(&up), stderr(&up));
    assert!(
        all.contains("Applied 1700000000_from_typescript_name.ts") && all.contains("Applied create_later.js"),
        "{all}"
    );
    assert!(all.contains("\"create_later.js\" does not follow the <unixtime>_<name>.js naming"), "{all}");
    assert!(all.contains("\"1700000001_upper.JS\" in the migrations dir is ignored"), "{all}");
}
