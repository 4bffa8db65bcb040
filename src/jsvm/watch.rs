//! Hot reload: a `notify` watcher on the hooks dir; after 50 ms without
//! further changes (PocketBase's debounce) the engine reloads. A broken edit
//! keeps the previous scripts and logs the error with its file and line.
//! PocketBase restarts the whole process instead; swapping the pool keeps
//! in-flight requests running on the old one.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher as _};

use super::{EngineInner, JsEngine};

/// Quiet time before a reload.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _watcher: notify::RecommendedWatcher,
}

/// A change worth a reload: not an access, and not only in hidden files or
/// `node_modules` (like PocketBase's watcher).
fn relevant(ev: &notify::Event, dir: &Path) -> bool {
    let kind = matches!(ev.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any);
    let visible = ev.paths.iter().any(|p| {
        p.strip_prefix(dir).unwrap_or(p).components().all(|c| {
            let s = c.as_os_str().to_string_lossy();
            !s.starts_with('.') && s != "node_modules"
        })
    });
    kind && visible
}

/// The hooks dir as an absolute path without `.`, `..` or symlinks. notify
/// reports absolute event paths (it joins a relative dir to the working
/// dir), so comparing them with the default `./pb_data/../pb_hooks` never
/// matched and edits in the default layout never reloaded. A symlinked
/// hooks dir is watched at its target, like PocketBase does.
fn watched_dir(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute.canonicalize().unwrap_or_else(|_| crate::migrations::files::clean_path(&absolute))
}

impl Watcher {
    /// Starts watching the engine's hooks dir.
    pub fn start(engine: &JsEngine) -> notify::Result<Watcher> {
        let (tx, rx) = channel::<()>();
        let dir = watched_dir(&engine.inner.config.hooks_dir);
        let events_dir = dir.clone();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && relevant(&ev, &events_dir)
            {
                let _ = tx.send(());
            }
        })?;
        watcher.watch(&dir, RecursiveMode::Recursive)?;
        tracing::debug!("watching {} for hook changes", dir.display());
        let weak: Weak<EngineInner> = std::sync::Arc::downgrade(&engine.inner);
        std::thread::Builder::new()
            .name("js-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    loop {
                        match rx.recv_timeout(DEBOUNCE) {
                            Ok(()) => continue,
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    let Some(inner) = weak.upgrade() else {
                        return;
                    };
                    let engine = JsEngine { inner };
                    let started = Instant::now();
                    match engine.reload() {
                        Ok(()) => {
                            tracing::info!("pb_hooks changed: reloaded in {} ms", started.elapsed().as_millis());
                            // PocketBase restarts on a change, so bootstrap hooks run again
                            if let Err(e) = engine.inner.app.trigger_bootstrap() {
                                tracing::error!("onBootstrap failed after the reload: {e}");
                            }
                        }
                        Err(e) => tracing::error!("pb_hooks changed but {e}; keeping the previous scripts"),
                    }
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(Watcher { _watcher: watcher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_a_relative_hooks_dir_are_relevant() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(tmp.path().join("pb_data")).expect("mkdir");
        std::fs::create_dir_all(tmp.path().join("pb_hooks")).expect("mkdir");
        let relative = tmp.path().join("pb_data/../pb_hooks");
        let dir = watched_dir(&relative);
        assert!(!dir.components().any(|c| matches!(c, std::path::Component::ParentDir | std::path::Component::CurDir)));
        let ev = notify::Event::new(EventKind::Modify(notify::event::ModifyKind::Any)).add_path(dir.join("main.pb.js"));
        assert!(relevant(&ev, &dir));
        let hidden = notify::Event::new(EventKind::Any).add_path(dir.join(".main.pb.js.swp"));
        assert!(!relevant(&hidden, &dir));
    }
}
