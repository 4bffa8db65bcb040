//! Records the git commit the binary is built from, for `ferrobase --version`.
//!
//! Sets `FERROBASE_GIT_COMMIT` to the commit's 12-hex-digit short hash,
//! followed by `+dirty` when the binary's sources (`src`, `js_api`, `typings`,
//! the manifest, the lock file or this script) differ from that commit, or to
//! `unknown` outside a git checkout. A build from a source archive can set
//! `FERROBASE_GIT_COMMIT` itself.

use std::process::Command;

/// What goes into the binary: a change under one of these makes it dirty.
const SOURCES: &[&str] = &["src", "js_api", "typings", "Cargo.toml", "Cargo.lock", "build.rs"];

fn main() {
    println!("cargo:rerun-if-env-changed=FERROBASE_GIT_COMMIT");
    let commit = match std::env::var("FERROBASE_GIT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => from_git().unwrap_or_else(|| "unknown".to_string()),
    };
    println!("cargo:rustc-env=FERROBASE_GIT_COMMIT={commit}");
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

fn from_git() -> Option<String> {
    let sha = git(&["rev-parse", "--short=12", "HEAD"])?;
    // A commit, checkout or `git add` moves one of these; an edit of a source
    // is seen through the source paths themselves.
    let mut watched = vec!["HEAD".to_string(), "index".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in &watched {
        // (a path that does not exist would rerun this script on every build)
        if let Some(path) = git(&["rev-parse", "--git-path", name]).filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    for path in SOURCES {
        println!("cargo:rerun-if-changed={path}");
    }
    let mut status = vec!["status", "--porcelain", "--"];
    status.extend_from_slice(SOURCES);
    let dirty = git(&status).is_none_or(|s| !s.is_empty());
    Some(if dirty { format!("{sha}+dirty") } else { sha })
}
