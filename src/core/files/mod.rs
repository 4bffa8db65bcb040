//! Files: record file fields end to end. Uploads become [`File`]s with
//! PocketBase's sanitised random-suffixed names, are validated with the
//! field's options, written to storage before the row and cleaned up on
//! failure; downloads resolve a record file (protected files need a file
//! token and the view rule), with thumbs generated once and cached beside
//! the original. Storage is one abstraction ([`Filesystem`]): the local
//! `pb_data/storage` in PocketBase's layout, or S3 when `settings.s3` is on.

pub mod download;
pub mod events;
pub mod file;
pub mod mime;
pub mod public_url;
pub mod record_files;
pub mod storage;
pub mod thumbs;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

pub use file::{File, FileSource};
pub use record_files::{FileChanges, Upload, has_file_fields, merge_uploads, record_dir, validate_field};
pub use storage::{Filesystem, FsError};

use crate::core::app::App;
use crate::core::error::{Error, Result};
use crate::core::settings::S3Config;

/// Directory of record files inside the data dir.
pub const LOCAL_STORAGE_DIR: &str = "storage";
/// Directory of backups inside the data dir.
pub const LOCAL_BACKUPS_DIR: &str = "backups";

/// Per-app storage state: the storage clients (rebuilt when the S3
/// settings change) and the thumb generation gate.
#[derive(Default)]
pub struct FilesState {
    storage: Mutex<Option<(Option<S3Config>, Filesystem)>>,
    backups: Mutex<Option<(Option<S3Config>, Filesystem)>>,
    thumbs: ThumbGate,
}

/// Bounds concurrent thumb generation and lets concurrent requests for
/// the same thumb wait for one generation.
#[derive(Default)]
pub struct ThumbGate {
    running: Mutex<usize>,
    freed: Condvar,
    pending: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl ThumbGate {
    fn max_workers() -> usize {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) + 2
    }

    /// Runs `f` for `key` once at a time per key and at most
    /// `cores + 2` at once overall; waits up to 60 s for a slot.
    pub fn run<T>(&self, key: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let per_key = self.pending.lock().entry(key.to_string()).or_default().clone();
        let guard = per_key.lock();
        {
            let mut running = self.running.lock();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while *running >= Self::max_workers() {
                if self.freed.wait_until(&mut running, deadline).timed_out() {
                    return Err(Error::Internal("timed out waiting for a thumb generation slot".into()));
                }
            }
            *running += 1;
        }
        let res = f();
        *self.running.lock() -= 1;
        self.freed.notify_one();
        drop(guard);
        let mut pending = self.pending.lock();
        if Arc::strong_count(&per_key) <= 2 {
            pending.remove(key);
        }
        res
    }
}

fn cached(
    slot: &Mutex<Option<(Option<S3Config>, Filesystem)>>,
    s3: Option<&S3Config>,
    make: impl FnOnce() -> std::result::Result<Filesystem, FsError>,
) -> Result<Filesystem> {
    let mut slot = slot.lock();
    if let Some((cfg, fs)) = slot.as_ref()
        && cfg.as_ref() == s3
    {
        return Ok(fs.clone());
    }
    let fs = make().map_err(|e| Error::Internal(format!("filesystem initialization failure: {e}")))?;
    *slot = Some((s3.cloned(), fs.clone()));
    Ok(fs)
}

impl App {
    /// The record files storage: S3 when `settings.s3.enabled`, else
    /// `pb_data/storage` (`$app.newFilesystem()`).
    pub fn new_filesystem(&self) -> Result<Filesystem> {
        let settings = self.settings();
        let s3 = settings.s3.enabled.then_some(&settings.s3);
        let dir = self.data_dir().join(LOCAL_STORAGE_DIR);
        cached(&self.files_state().storage, s3, || match s3 {
            Some(cfg) => Filesystem::s3(cfg),
            None => Filesystem::local(dir),
        })
    }

    /// The backups storage: S3 when `settings.backups.s3.enabled`, else
    /// `pb_data/backups` (`$app.newBackupsFilesystem()`).
    pub fn new_backups_filesystem(&self) -> Result<Filesystem> {
        let settings = self.settings();
        let s3 = settings.backups.s3.enabled.then_some(&settings.backups.s3);
        let dir = self.data_dir().join(LOCAL_BACKUPS_DIR);
        cached(&self.files_state().backups, s3, || match s3 {
            Some(cfg) => Filesystem::s3(cfg),
            None => Filesystem::local(dir),
        })
    }

    /// `POST /api/settings/test/s3`: uploads and deletes a test file on the
    /// S3 storage of `filesystem` (`storage` or `backups`).
    pub fn test_s3(&self, filesystem: &str) -> Result<()> {
        let settings = self.settings();
        let cfg = match filesystem {
            "storage" => &settings.s3,
            "backups" => &settings.backups.s3,
            _ => {
                let code = if filesystem.is_empty() { "validation_required" } else { "validation_in_invalid" };
                let msg = if filesystem.is_empty() { "Cannot be blank." } else { "Must be a valid value." };
                return Err(Error::field("Failed to test the S3 filesystem.", "filesystem", code, msg));
            }
        };
        let raw = |msg: String| Error::BadRequest(format!("Failed to test the S3 filesystem. Raw error: \n{msg}"));
        if !cfg.enabled {
            return Err(raw("S3 storage filesystem is not enabled".into()));
        }
        let fs = Filesystem::s3(cfg).map_err(|e| raw(format!("failed to initialize the S3 filesystem: {e}")))?;
        let prefix = format!("pb_settings_test_{}", crate::core::security::random_string(5));
        fs.upload_sync(
            &format!("{prefix}/test.txt"),
            bytes::Bytes::from_static(b"test"),
            "text/plain; charset=utf-8",
            &[],
        )
        .map_err(|e| raw(format!("failed to upload a test file: {e}")))?;
        if let Some(e) = fs.delete_prefix_sync(&format!("{prefix}/")).into_iter().next() {
            return Err(raw(format!("failed to delete a test file: {e}")));
        }
        Ok(())
    }
}

/// Built-in hooks: a deleted record or collection takes its stored files
/// with it, once the delete has committed.
pub fn bind_system_hooks(app: &App) {
    app.hooks().on_record_delete.after_success.bind(
        "system",
        -99,
        vec![],
        Arc::new(|e: &mut crate::core::events::RecordEvent, next: crate::core::hooks::Next<'_, _>| {
            if has_file_fields(&e.record.collection) {
                e.app.delete_files_prefix_later(format!("{}/", record_dir(&e.record)));
            }
            next(e)
        }),
    );
    app.hooks().on_collection_delete.after_success.bind(
        "system",
        -99,
        vec![],
        Arc::new(|e: &mut crate::core::events::CollectionEvent, next: crate::core::hooks::Next<'_, _>| {
            if !e.collection.is_view() && !e.collection.id.is_empty() {
                e.app.delete_files_prefix_later(format!("{}/", e.collection.id));
            }
            next(e)
        }),
    );
}
