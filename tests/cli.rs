//! The command line: PocketBase's commands, flags and one-line errors.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

/// A `serve` process on a free port with a dense self-relation (60 records
/// × 40 ids) whose deep relation filters run for minutes without a deadline.
struct DenseServer {
    child: std::process::Child,
    base: String,
    data: std::path::PathBuf,
    token: String,
    _dir: tempfile::TempDir,
}

impl DenseServer {
    fn start(extra: &[&str]) -> DenseServer {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("pb_data");
        let d = data.to_str().expect("utf8 path").to_string();
        assert!(run(&["superuser", "upsert", "admin@example.com", "1234567890ab", "--dir", &d]).status.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let addr = format!("127.0.0.1:{port}");
        let hooks = dir.path().join("pb_hooks");
        let migrations = dir.path().join("pb_migrations");
        let mut args = vec!["serve", "--http", &addr, "--dir", &d];
        let (h, m) = (hooks.to_str().expect("utf8"), migrations.to_str().expect("utf8"));
        args.extend(["--hooksDir", h, "--migrationsDir", m]);
        args.extend(extra);
        let child = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve starts");
        let base = format!("http://{addr}");
        let http = reqwest::blocking::Client::new();
        let up = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            http.get(format!("{base}/api/health")).send().is_ok_and(|r| r.status() == 200)
        });
        assert!(up, "server answers /api/health");
        let auth: serde_json::Value = http
            .post(format!("{base}/api/collections/_superusers/auth-with-password"))
            .json(&serde_json::json!({"identity": "admin@example.com", "password": "1234567890ab"}))
            .send()
            .and_then(|r| r.json())
            .expect("login");
        let token = auth["token"].as_str().expect("token").to_string();
        DenseServer { child, base, data, token, _dir: dir }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = reqwest::blocking::Client::new()
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.token)
            .json(&body)
            .send()
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().expect("json")
    }

    fn dense_relation(&self) {
        use reqwest::Method;
        let c = self.call(
            Method::POST,
            "/api/collections",
            serde_json::json!({"name": "nodes", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}]}),
        );
        let mut fields = c["fields"].as_array().expect("fields").clone();
        fields.push(serde_json::json!({"name": "rel", "type": "relation", "collectionId": c["id"], "maxSelect": 40}));
        self.call(Method::PATCH, "/api/collections/nodes", serde_json::json!({ "fields": fields }));
        let ids: Vec<String> = (0..60)
            .map(|i| {
                let r = self.call(
                    Method::POST,
                    "/api/collections/nodes/records",
                    serde_json::json!({"title": format!("n{i}")}),
                );
                r["id"].as_str().expect("id").to_string()
            })
            .collect();
        for (i, id) in ids.iter().enumerate() {
            let rel: Vec<&String> = (1..=40).map(|k| &ids[(i + k) % 60]).collect();
            self.call(
                Method::PATCH,
                &format!("/api/collections/nodes/records/{id}"),
                serde_json::json!({ "rel": rel }),
            );
        }
    }

    /// Starts a guest request for the worst filter in the background.
    fn slow_filter(&self) -> std::thread::JoinHandle<Option<u16>> {
        let url = format!(
            "{}/api/collections/nodes/records?filter={}",
            self.base,
            percent("rel.rel.rel.rel.rel.rel.title ?= 'zzz'")
        );
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .expect("client");
            client.get(url).send().ok().map(|r| r.status().as_u16())
        })
    }

    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        // a bound for a hang, not a speed measurement
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for DenseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn slow_queries_stop_at_the_query_timeout() {
    let server = DenseServer::start(&["--queryTimeout", "1"]);
    server.dense_relation();
    let answers: Vec<Option<u16>> =
        (0..3).map(|_| server.slow_filter()).collect::<Vec<_>>().into_iter().map(|h| h.join().expect("join")).collect();
    assert_eq!(answers, vec![Some(400); 3], "the deadline ends each worst-case filter with PocketBase's 400");
    // the server still serves afterwards
    let ok = reqwest::blocking::get(format!("{}/api/collections/nodes/records?perPage=1", server.base)).expect("list");
    assert_eq!(ok.status(), 200);
}

#[test]
fn slow_view_rules_of_protected_files_do_not_stall_other_requests() {
    let server = DenseServer::start(&["--queryTimeout", "600"]);
    server.dense_relation();
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let c: serde_json::Value = http
        .get(format!("{}/api/collections/nodes", server.base))
        .header("Authorization", &server.token)
        .send()
        .and_then(|r| r.json())
        .expect("collection");
    let mut fields = c["fields"].as_array().expect("fields").clone();
    fields.push(serde_json::json!({"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 1000, "protected": true}));
    // a view rule that takes minutes for a single record of the dense relation
    server.call(
        reqwest::Method::PATCH,
        "/api/collections/nodes",
        serde_json::json!({"fields": fields, "viewRule": "rel.rel.rel.rel.rel.rel.title ?= 'zzz'"}),
    );
    let list: serde_json::Value = http
        .get(format!("{}/api/collections/nodes/records?perPage=1", server.base))
        .header("Authorization", &server.token)
        .send()
        .and_then(|r| r.json())
        .expect("list");
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    let body = "--XB\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\
                Content-Type: text/plain\r\n\r\nhello\r\n--XB--\r\n";
    let r: serde_json::Value = http
        .patch(format!("{}/api/collections/nodes/records/{id}", server.base))
        .header("Authorization", &server.token)
        .header("Content-Type", "multipart/form-data; boundary=XB")
        .body(body)
        .send()
        .and_then(|r| r.json())
        .expect("upload");
    let name = r["doc"].as_str().expect("stored file name").to_string();
    // more guest downloads than the server has async threads, each waiting
    // for the slow rule
    let n = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2 + 2;
    let url = format!("{}/api/files/nodes/{id}/{name}", server.base);
    let _slow: Vec<_> = (0..n)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client =
                    reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
                client.get(url).send().ok().map(|r| r.status().as_u16())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1000));
    // a bound for a hang (the rule runs for minutes), not a speed measurement
    let health = http.get(format!("{}/api/health", server.base)).send().map(|r| r.status().as_u16());
    assert_eq!(health.ok(), Some(200), "other requests are served while file view rules run");
}

#[test]
fn sigterm_ends_serve_with_slow_queries_in_flight() {
    let mut server = DenseServer::start(&["--queryTimeout", "600"]);
    server.dense_relation();
    let slow: Vec<_> = (0..4).map(|_| server.slow_filter()).collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = server.stop().expect("serve exits after SIGTERM although its queries would run for minutes");
    assert!(status.success(), "clean exit: {status}");
    for h in slow {
        // each in-flight request got an answer (an error) or its connection closed
        let _ = h.join().expect("join");
    }
    let wal = server.data.join("data.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL is checkpointed into data.db on exit");
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// A `ferrobase serve` child process, killed on drop.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get_text(url: &str) -> Option<(u16, String)> {
    let r = reqwest::blocking::Client::new().get(url).timeout(Duration::from_secs(2)).send().ok()?;
    Some((r.status().as_u16(), r.text().unwrap_or_default()))
}

/// Polls `url` until it answers `want` (200), or panics after `limit`.
fn wait_for(url: &str, want: &str, limit: Duration) {
    let started = Instant::now();
    loop {
        if let Some((200, text)) = get_text(url)
            && text == want
        {
            return;
        }
        assert!(started.elapsed() < limit, "{url} did not answer {want:?} within {limit:?}: {:?}", get_text(url));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn start_up_failure_prints_the_cause_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let d = data.to_str().expect("utf8 path");
    assert!(run(&["superuser", "upsert", "a@b.co", "longpassword1", "--dir", d]).status.success());
    let db = rusqlite::Connection::open(data.join("data.db")).expect("open data.db");
    db.execute(
        "UPDATE _collections SET fields = '[{\"name\":\"x\",\"type\":\"nope\"}]' WHERE name = '_superusers'",
        [],
    )
    .expect("break _superusers");
    drop(db);
    let o = run(&["serve", "--dir", d, "--http", &format!("127.0.0.1:{}", free_port())]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("Error: failed to open the data dir: cannot read collection \"_superusers\": field \"x\""),
        "{err}"
    );
    assert!(err.contains("nope"), "the cause names the unknown field type: {err}");
}

#[test]
fn a_busy_port_says_it_is_in_use() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let o = run(&["serve", "--dir", data.to_str().expect("utf8 path"), "--http", &addr]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("failed to listen on {addr}")) && err.contains("in use"), "{err}");
}

#[test]
fn hooks_reload_in_the_default_layout() {
    // what a new user does: a folder with ./pb_hooks, `ferrobase serve` in it
    // (data in the default ./pb_data), then an edit of a hook file
    let dir = tempfile::tempdir().expect("tmp");
    let hooks = dir.path().join("pb_hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    let file = hooks.join("main.pb.js");
    std::fs::write(&file, r#"routerAdd("GET", "/version", (e) => e.string(200, "v1"));"#).expect("write");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
        .args(["serve", "--http", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let _server = Server(child);
    let url = format!("http://127.0.0.1:{port}/version");
    wait_for(&url, "v1", Duration::from_secs(20));
    std::fs::write(&file, r#"routerAdd("GET", "/version", (e) => e.string(200, "v2"));"#).expect("edit");
    wait_for(&url, "v2", Duration::from_secs(10));
    assert!(dir.path().join("pb_data/data.db").exists(), "data in the default ./pb_data");
}

#[test]
fn encryption_env_seals_the_stored_settings_like_pocketbase() {
    const KEY: &str = "0123456789abcdef0123456789abcdef";
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let d = data.to_str().expect("utf8 path");
    let cli = |args: &[&str], key: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ferrobase"));
        c.args(args).env_remove("FB_SETTINGS_KEY");
        if let Some(k) = key {
            c.env("FB_SETTINGS_KEY", k);
        }
        c
    };
    let upsert = ["superuser", "upsert", "enc@b.co", "longpassword1", "--dir", d, "--encryptionEnv", "FB_SETTINGS_KEY"];
    let made = cli(&upsert, Some(KEY)).output().expect("runs");
    assert!(made.status.success(), "{}", stderr(&made));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let serve = |key: &str| {
        let child = cli(
            &["serve", "--http", &format!("127.0.0.1:{port}"), "--dir", d, "--encryptionEnv", "FB_SETTINGS_KEY"],
            Some(key),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
        let server = Server(child);
        let started = Instant::now();
        while !matches!(get_text(&format!("{base}/api/health")), Some((200, _))) {
            assert!(started.elapsed() < Duration::from_secs(20), "serve answers /api/health");
            std::thread::sleep(Duration::from_millis(50));
        }
        let http = reqwest::blocking::Client::new();
        let auth: serde_json::Value = http
            .post(format!("{base}/api/collections/_superusers/auth-with-password"))
            .json(&serde_json::json!({"identity": "enc@b.co", "password": "longpassword1"}))
            .send()
            .and_then(|r| r.json())
            .expect("login");
        (server, http, auth["token"].as_str().expect("token").to_string())
    };
    {
        let (_server, http, token) = serve(KEY);
        let r = http
            .patch(format!("{base}/api/settings"))
            .header("Authorization", &token)
            .json(&serde_json::json!({"meta": {"appName": "Sealed"}, "smtp": {"password": "hunter2-smtp"}}))
            .send()
            .expect("patch");
        assert_eq!(r.status(), 200);
    }
    let stored: String = rusqlite::Connection::open(data.join("data.db"))
        .expect("open data.db")
        .query_row("SELECT value FROM _params WHERE id = 'settings'", [], |r| r.get(0))
        .expect("settings row");
    assert!(serde_json::from_str::<serde_json::Value>(&stored).is_err(), "not stored as JSON: {stored}");
    assert!(!stored.contains("hunter2") && !stored.contains("Sealed"), "no plain text in {stored}");
    let opened = ferrobase::core::security::decrypt(&stored, KEY).expect("sealed with the key");
    let json: serde_json::Value = serde_json::from_slice(&opened).expect("JSON inside");
    assert_eq!(json["meta"]["appName"], "Sealed");
    assert_eq!(json["smtp"]["password"], "hunter2-smtp");
    // without the key, with another key or a key of the wrong size: a clear refusal, nothing overwritten
    let missing = cli(&upsert[..6], None).output().expect("runs");
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("--encryptionEnv"), "{}", stderr(&missing));
    let wrong = cli(&upsert, Some("ffffffffffffffffffffffffffffffff")).output().expect("runs");
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("cannot decrypt"), "{}", stderr(&wrong));
    let short = cli(&upsert, Some("short")).output().expect("runs");
    assert!(!short.status.success());
    assert!(stderr(&short).contains("32 characters"), "{}", stderr(&short));
    // the right key reads them back
    let (_server, http, token) = serve(KEY);
    let settings: serde_json::Value = http
        .get(format!("{base}/api/settings"))
        .header("Authorization", &token)
        .send()
        .and_then(|r| r.json())
        .expect("settings");
    assert_eq!(settings["meta"]["appName"], "Sealed");
}

#[test]
fn superuser_otp_prints_a_working_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    let d = data.to_str().expect("utf8 path");
    assert!(run(&["superuser", "upsert", "otp@b.co", "longpassword1", "--dir", d]).status.success());
    let off = run(&["superuser", "otp", "otp@b.co", "--dir", d]);
    assert_eq!(off.status.code(), Some(1));
    assert!(stderr(&off).contains("OTP auth is not enabled"), "{}", stderr(&off));
    {
        let app = ferrobase::core::App::open(ferrobase::core::AppConfig::new(&data)).expect("opens");
        let mut su = (*app.superusers().expect("superusers")).clone();
        if let Some(a) = su.auth.as_mut() {
            a.otp.enabled = true;
            a.otp.length = 6;
        }
        app.save_collection(su).expect("saved");
    }
    let missing = run(&["superuser", "otp", "nobody@b.co", "--dir", d]);
    assert!(stderr(&missing).contains("doesn't exist"), "{}", stderr(&missing));
    let ok = run(&["superuser", "otp", "otp@b.co", "--dir", d]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let out = String::from_utf8_lossy(&ok.stdout).to_string();
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.split_once(&format!("{name}:")).map(|(_, v)| v.trim().to_string()))
            .unwrap_or_default()
    };
    let (id, pass) = (field("Id"), field("Pass"));
    assert_eq!(pass.len(), 6, "{out}");
    let app = ferrobase::core::App::open(ferrobase::core::AppConfig::new(&data)).expect("opens");
    let otp = app.find_ref_by_id("_otps", &id).expect("query").expect("the OTP is stored");
    assert!(otp.validate_password(&pass));
    assert!(!otp.validate_password("000000x"));
}

#[test]
fn a_broken_hook_file_stops_the_start_only_without_hooks_watch() {
    // PocketBase: with --hooksWatch=false a hook file that fails panics the
    // start; by default it is logged and the other files serve
    let dir = tempfile::tempdir().expect("tmp");
    let hooks = dir.path().join("pb_hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    std::fs::write(hooks.join("ok.pb.js"), r#"routerAdd("GET", "/ok", (e) => e.string(200, "ok"));"#).expect("write");
    std::fs::write(hooks.join("old.pb.js"), "\nonRecordBeforeCreateRequest((e) => {});\n").expect("write");
    let data = dir.path().join("pb_data");
    let (d, h) = (data.to_str().expect("utf8"), hooks.to_str().expect("utf8"));
    let port = free_port();
    let http = format!("127.0.0.1:{port}");
    let o = run(&["serve", "--dir", d, "--hooksDir", h, "--http", &http, "--hooksWatch=false"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("old.pb.js:2") && err.contains("onRecordCreateRequest"), "{err}");

    let child = Command::new(env!("CARGO_BIN_EXE_ferrobase"))
        .args(["serve", "--dir", d, "--hooksDir", h, "--http", &http])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let _server = Server(child);
    wait_for(&format!("http://{http}/ok"), "ok", Duration::from_secs(20));
}
