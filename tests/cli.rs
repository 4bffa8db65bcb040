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
struct Server {
    child: std::process::Child,
    base: String,
    data: std::path::PathBuf,
    token: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
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
        Server { child, base, data, token, _dir: dir }
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

impl Drop for Server {
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
    let server = Server::start(&["--queryTimeout", "1"]);
    server.dense_relation();
    let answers: Vec<Option<u16>> =
        (0..3).map(|_| server.slow_filter()).collect::<Vec<_>>().into_iter().map(|h| h.join().expect("join")).collect();
    assert_eq!(answers, vec![Some(400); 3], "the deadline ends each worst-case filter with PocketBase's 400");
    // the server still serves afterwards
    let ok = reqwest::blocking::get(format!("{}/api/collections/nodes/records?perPage=1", server.base)).expect("list");
    assert_eq!(ok.status(), 200);
}

#[test]
fn sigterm_ends_serve_with_slow_queries_in_flight() {
    let mut server = Server::start(&["--queryTimeout", "600"]);
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
