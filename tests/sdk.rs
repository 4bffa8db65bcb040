//! Runs every `tests/sdk/scenarios/*.mjs` with the official PocketBase JS SDK
//! (node) against the real `ferrobase` binary, each on a fresh server. A
//! scenario `name.mjs` gets `tests/sdk/hooks/name.pb.js` as its hooks when
//! that file exists.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

fn ensure_node_modules() {
    let dir = sdk_dir();
    let installed = ["pocketbase", "eventsource", "oauth2-mock-server"];
    if installed.iter().all(|m| dir.join("node_modules").join(m).is_dir()) {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(&dir)
        .status()
        .expect("npm must be installed to run the SDK tests");
    assert!(status.success(), "npm ci failed in {}", dir.display());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn start_server(data: &Path, hooks: Option<&Path>) -> (Server, String) {
    let bin = env!("CARGO_BIN_EXE_ferrobase");
    let out = Command::new(bin)
        .args(["superuser", "upsert", "admin@example.com", "1234567890ab", "--dir"])
        .arg(data)
        .output()
        .expect("run ferrobase");
    assert!(out.status.success(), "superuser upsert: {}", String::from_utf8_lossy(&out.stderr));
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"]).arg(data);
    if let Some(hooks) = hooks {
        cmd.arg("--hooksDir").arg(hooks);
    }
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start ferrobase");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

#[test]
fn sdk_scenarios_pass() {
    ensure_node_modules();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(sdk_dir().join("scenarios"))
        .expect("scenarios dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mjs"))
        .collect();
    scenarios.sort();
    assert!(!scenarios.is_empty());
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let tmp = tempfile::tempdir().expect("temp dir");
        let stem = scenario.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let hooks_file = sdk_dir().join("hooks").join(format!("{stem}.pb.js"));
        let hooks = hooks_file.is_file().then(|| {
            let dir = tmp.path().join("pb_hooks");
            std::fs::create_dir_all(&dir).expect("hooks dir");
            std::fs::copy(&hooks_file, dir.join("main.pb.js")).expect("hooks file");
            dir
        });
        let (_server, base) = start_server(&tmp.path().join("pb_data"), hooks.as_deref());
        let out = Command::new("node")
            .arg(scenario)
            .env("BASE_URL", &base)
            .current_dir(sdk_dir())
            .output()
            .expect("node must be installed");
        if !out.status.success() {
            failures.push(format!(
                "{}:\n{}{}",
                scenario.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "SDK scenarios failed:\n{}", failures.join("\n"));
}
