//! A real SMTP server (PyPI aiosmtpd, `tests/fixtures/smtp_server.py`)
//! started by the test itself; received messages are read back as JSON.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running SMTP server and the folder its messages land in.
pub struct Mailbox {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Writes a throwaway CA and localhost certificate into `dir`
/// (`ca.pem`, `server.pem`, `server.key`).
pub fn make_test_ca(dir: &Path) {
    let status = Command::new("python3")
        .arg(fixtures().join("make_test_ca.py"))
        .arg(dir)
        .status()
        .expect("python3 runs (pip install trustme)");
    assert!(status.success(), "make_test_ca.py failed (pip install trustme)");
}

impl Mailbox {
    /// Starts the server with extra `smtp_server.py` arguments.
    pub fn start(args: &[&str]) -> Mailbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new("python3")
            .arg(fixtures().join("smtp_server.py"))
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (pip install aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("server output");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("SMTP server did not start (pip install aiosmtpd): {line:?}"));
        Mailbox { port, child, dir }
    }

    /// Starts a plain server (no auth, no TLS).
    pub fn plain() -> Mailbox {
        Mailbox::start(&[])
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "json"));
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|s| serde_json::from_str(&s).ok())
            .collect()
    }

    /// Waits (up to 20 s) for the `n`-th message (1-based) sent to `to`.
    pub async fn wait_nth(&self, to: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<Value> = self
                .messages()
                .into_iter()
                .filter(|m| m["rcpt_tos"].as_array().is_some_and(|r| r.iter().any(|x| x == to)))
                .collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            assert!(Instant::now() < deadline, "no mail #{n} to {to}; got {:?}", self.messages());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the first message to `to`.
    pub async fn wait_for(&self, to: &str) -> Value {
        self.wait_nth(to, 1).await
    }

    /// How many messages went to `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.messages().iter().filter(|m| m["rcpt_tos"].as_array().is_some_and(|r| r.iter().any(|x| x == to))).count()
    }

    /// The settings patch that points the app at this server.
    pub fn settings(&self) -> Value {
        json!({"smtp": {"enabled": true, "host": "127.0.0.1", "port": self.port, "tls": false},
               "meta": {"appName": "Ferrotest", "appURL": "http://app.test", "senderName": "Ferro Support", "senderAddress": "support@app.test"}})
    }
}

/// The token at the end of a `…/confirm-…/{TOKEN}` link in a mail.
pub fn token_in(mail: &Value, path: &str) -> String {
    let text = format!("{} {}", mail["html"].as_str().unwrap_or_default(), mail["text"].as_str().unwrap_or_default());
    let start = text.find(path).unwrap_or_else(|| panic!("{path} in {text}")) + path.len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
}
