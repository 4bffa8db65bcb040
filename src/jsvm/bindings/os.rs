//! The natives behind `$os` (js_api/os.js): files and directories, env,
//! and running commands. A command runs with a deadline (the rest of the
//! handler's time budget, the JS interrupt cannot stop a blocked call) and
//! bounded output; past either it is killed.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use rquickjs::prelude::{Func, Opt};
use rquickjs::{Ctx, Exception, Object, Value};
use serde_json::{Value as Json, json};

use super::{convert, state};

/// Output kept per stream of a command.
const MAX_OUTPUT: usize = 16 << 20;
/// Longest a command may run when no handler budget applies (cron jobs,
/// load time).
const MAX_COMMAND_TIME: Duration = Duration::from_secs(60);

/// Adds the `os*` natives to `native`.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("osArgs", Func::from(|| std::env::args().collect::<Vec<_>>()))?;
    native.set("osExit", Func::from(exit))?;
    native.set("osGetenv", Func::from(|key: String| std::env::var(key).unwrap_or_default()))?;
    native.set("osReadFile", Func::from(|ctx: Ctx<'_>, name: String| io(&ctx, std::fs::read(&name), &name)))?;
    native.set("osWriteFile", Func::from(write_file))?;
    native.set("osStat", Func::from(stat))?;
    native.set("osReadDir", Func::from(read_dir))?;
    native.set("osTempDir", Func::from(|| std::env::temp_dir().to_string_lossy().into_owned()))?;
    native.set(
        "osGetwd",
        Func::from(|ctx: Ctx<'_>| io(&ctx, std::env::current_dir(), ".").map(|p| p.to_string_lossy().into_owned())),
    )?;
    native.set("osMkdir", Func::from(mkdir))?;
    native.set(
        "osRename",
        Func::from(|ctx: Ctx<'_>, from: String, to: String| io(&ctx, std::fs::rename(&from, &to), &from)),
    )?;
    native.set("osRemove", Func::from(remove))?;
    native.set("osTruncate", Func::from(truncate))?;
    native.set("osExec", Func::from(exec))?;
    Ok(())
}

fn exit(code: i32) {
    std::process::exit(code)
}

fn io<T>(ctx: &Ctx<'_>, r: std::io::Result<T>, path: &str) -> rquickjs::Result<T> {
    r.map_err(|e| Exception::throw_message(ctx, &format!("{path}: {e}")))
}

fn write_file<'js>(ctx: Ctx<'js>, name: String, data: Value<'js>, perm: Opt<u32>) -> rquickjs::Result<()> {
    let bytes = if let Some(s) = data.as_string() {
        s.to_string()?.into_bytes()
    } else {
        match convert::to_json(data)? {
            Json::Array(a) => a.iter().filter_map(Json::as_u64).map(|b| b as u8).collect(),
            other => other.to_string().into_bytes(),
        }
    };
    io(&ctx, std::fs::write(&name, bytes), &name)?;
    set_mode(&name, perm.0.unwrap_or(0o644));
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_path: &str, _mode: u32) {}

fn info_json(name: String, meta: &std::fs::Metadata) -> Json {
    let modified =
        meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_millis() as i64);
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode()
    };
    #[cfg(not(unix))]
    let mode = 0;
    json!({"name": name, "size": meta.len(), "isDir": meta.is_dir(), "mode": mode, "modTime": modified})
}

fn stat<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let meta = io(&ctx, std::fs::metadata(&name), &name)?;
    let base = std::path::Path::new(&name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(name);
    convert::to_js(&ctx, &info_json(base, &meta))
}

fn read_dir<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let mut entries: Vec<Json> = Vec::new();
    for e in io(&ctx, std::fs::read_dir(&name), &name)? {
        let e = io(&ctx, e, &name)?;
        let meta = io(&ctx, e.metadata(), &name)?;
        entries.push(info_json(e.file_name().to_string_lossy().into_owned(), &meta));
    }
    entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    convert::to_js(&ctx, &Json::Array(entries))
}

fn mkdir(ctx: Ctx<'_>, name: String, all: bool, perm: Opt<u32>) -> rquickjs::Result<()> {
    let r = if all { std::fs::create_dir_all(&name) } else { std::fs::create_dir(&name) };
    io(&ctx, r, &name)?;
    set_mode(&name, perm.0.unwrap_or(0o755));
    Ok(())
}

fn remove(ctx: Ctx<'_>, name: String, all: bool) -> rquickjs::Result<()> {
    let path = std::path::Path::new(&name);
    let r = match std::fs::symlink_metadata(path) {
        Err(e) if all && e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() && all => std::fs::remove_dir_all(path),
        Ok(m) if m.is_dir() => std::fs::remove_dir(path),
        Ok(_) => std::fs::remove_file(path),
    };
    io(&ctx, r, &name)
}

fn truncate(ctx: Ctx<'_>, name: String, size: f64) -> rquickjs::Result<()> {
    let f = io(&ctx, std::fs::OpenOptions::new().write(true).open(&name), &name)?;
    io(&ctx, f.set_len(size.max(0.0) as u64), &name)
}

/// Reads a stream to its end on a thread, keeping at most [`MAX_OUTPUT`] bytes.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            let room = MAX_OUTPUT.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        kept
    })
}

/// Runs a command: `{code, stdout (bytes), stderr (text)}`; a command that
/// outlives its deadline is killed and throws.
fn exec<'js>(ctx: Ctx<'js>, opts: Object<'js>) -> rquickjs::Result<Value<'js>> {
    let name: String = opts.get("path")?;
    let args: Vec<String> = opts.get("args")?;
    let dir: String = opts.get::<_, Option<String>>("dir")?.unwrap_or_default();
    let env: Vec<String> = opts.get::<_, Option<Vec<String>>>("env")?.unwrap_or_default();
    let stdin: Option<String> = opts.get("stdin")?;
    let combined: bool = opts.get::<_, Option<bool>>("combined")?.unwrap_or(false);
    let limit = state(&ctx)?.budget.remaining().unwrap_or(MAX_COMMAND_TIME).min(MAX_COMMAND_TIME);
    let mut cmd = Command::new(&name);
    cmd.args(&args).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if !dir.is_empty() {
        cmd.current_dir(&dir);
    }
    for kv in &env {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    let mut child = io(&ctx, cmd.spawn(), &name)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Exception::throw_message(
                    &ctx,
                    &format!("{name}: killed after {limit:?} (the handler's time budget)"),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Exception::throw_message(&ctx, &format!("{name}: {e}"))),
        }
    };
    let mut stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
    if combined {
        stdout.extend_from_slice(&stderr);
    }
    let obj = Object::new(ctx.clone())?;
    obj.set("code", status.code().unwrap_or(-1))?;
    obj.set("stdout", stdout)?;
    obj.set("stderr", String::from_utf8_lossy(&stderr).into_owned())?;
    Ok(obj.into_value())
}
