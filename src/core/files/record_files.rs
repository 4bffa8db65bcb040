//! Record file fields through their lifecycle, in PocketBase's order:
//! uploads named into the submitted body, validation (`validation_invalid_file`,
//! `validation_too_many_files`, size and type), blobs written just before the
//! row and removed again when the row write or the transaction fails, and
//! replaced or removed files deleted only after the change commits.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::File;
use super::mime;
use super::storage::META_ORIGINAL_NAME;
use crate::core::app::App;
use crate::core::collections::field::DEFAULT_FILE_MAX_SIZE;
use crate::core::collections::{Collection, Field, FieldKind};
use crate::core::error::{Error, Result, field_error, field_error_with};
use crate::core::records::Record;
use crate::core::records::values::to_string_list;

/// One uploaded file of a request with the form key it came under
/// (`avatar`, `documents+`, `requests.0.avatar` …).
pub type Upload = (String, Arc<File>);

/// The storage directory of a record: `<collectionId>/<recordId>`.
pub fn record_dir(record: &Record) -> String {
    format!("{}/{}", record.collection.id, record.original_id())
}

/// The file names a stored file field value holds.
pub fn names(v: &Value) -> Vec<String> {
    to_string_list(v)
}

/// Puts the names of uploaded files into the body under their field keys
/// (PocketBase's `recordDataFromRequest`): files under `field`, `+field` or
/// `field+` of a file field count; for a plain `field` key the names the
/// body already lists are kept in front, so existing files survive. Files
/// under any other key are ignored. Returns the files that were used.
pub fn merge_uploads(c: &Collection, body: &mut Map<String, Value>, uploads: &[Upload]) -> Vec<Arc<File>> {
    let mut used = Vec::new();
    for f in c.fields.iter().filter(|f| matches!(f.kind, FieldKind::File { .. })) {
        for key in [f.name.clone(), format!("+{}", f.name), format!("{}+", f.name)] {
            let files: Vec<&Arc<File>> = uploads.iter().filter(|(k, _)| *k == key).map(|(_, file)| file).collect();
            if files.is_empty() {
                continue;
            }
            let mut list: Vec<Value> = Vec::new();
            if key == f.name
                && let Some(existing) = body.get(&key).filter(|v| !v.is_null())
            {
                list.extend(to_string_list(existing).into_iter().map(Value::String));
            }
            for file in files {
                list.push(Value::String(file.name.clone()));
                used.push(file.clone());
            }
            body.insert(key, Value::Array(list));
        }
    }
    used
}

impl Record {
    /// Registers new files so the names in a file field value can refer to
    /// them (`record.set("avatar", file)`); they are stored on save.
    pub fn attach_files(&mut self, files: impl IntoIterator<Item = Arc<File>>) {
        for f in files {
            self.pending_files.insert(f.name.clone(), f);
        }
    }

    /// The unsaved files a file field value refers to (`field:unsaved`).
    pub fn unsaved_files(&self, field: &str) -> Vec<Arc<File>> {
        names(self.get(field)).into_iter().filter_map(|n| self.pending_files.get(&n).cloned()).collect()
    }
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Validates a file field value: new names must be files attached to the
/// record (a body can keep or remove existing names, never invent one),
/// then the count, then each new file's name, size and type.
pub fn validate_field(record: &Record, f: &Field) -> Option<Value> {
    let FieldKind::File { max_select, max_size, mime_types, .. } = &f.kind else {
        return None;
    };
    let current = names(record.get(&f.name));
    if current.is_empty() {
        return f.required.then(|| field_error("validation_required", "Cannot be blank."));
    }
    let old: HashSet<String> = record
        .original
        .as_ref()
        .map(|o| names(o.get(&f.name).unwrap_or(&Value::Null)))
        .unwrap_or_default()
        .into_iter()
        .collect();
    let invalid: Vec<String> = current
        .iter()
        .filter(|n| !old.contains(*n) && !record.pending_files.contains_key(*n))
        .map(|n| cut(n, 250))
        .collect();
    if !invalid.is_empty() {
        return Some(field_error_with(
            "validation_invalid_file",
            format!("Invalid new files: [{}].", invalid.join(" ")),
            json!({ "invalidFiles": invalid }),
        ));
    }
    let max = (*max_select).max(1) as usize;
    if current.len() > max {
        return Some(field_error_with(
            "validation_too_many_files",
            format!("The maximum allowed files is {max}."),
            json!({ "maxSelect": max }),
        ));
    }
    let max_size = if *max_size <= 0 { DEFAULT_FILE_MAX_SIZE } else { *max_size } as u64;
    for name in &current {
        let Some(file) = record.pending_files.get(name).filter(|_| !old.contains(name)) else {
            continue;
        };
        if file.name.is_empty() || file.name.chars().count() > 150 {
            return Some(field_error_with(
                "validation_length_out_of_range",
                "The length must be between 1 and 150.",
                json!({"min": 1, "max": 150}),
            ));
        }
        if !super::file::is_plain_name(&file.name) {
            return Some(field_error("validation_match_invalid", "Must be in a valid format."));
        }
        if file.size > max_size {
            return Some(field_error_with(
                "validation_file_size_limit",
                format!(
                    "Failed to upload {} - the maximum allowed file size is {max_size} bytes.",
                    cut(&file.original_name, 300)
                ),
                json!({ "file": cut(&file.original_name, 300), "maxSize": max_size }),
            ));
        }
        if !mime_types.is_empty() {
            let detected = match file.head() {
                Ok(h) => mime::detect(&h),
                Err(_) => {
                    return Some(field_error(
                        "validation_invalid_mime_type",
                        format!("Failed to upload {:?} due to unsupported file type.", cut(&file.original_name, 300)),
                    ));
                }
            };
            if !mime_types.iter().any(|t| detected.is(t)) {
                return Some(field_error(
                    "validation_invalid_mime_type",
                    format!("{:?} mime type must be one of: {}.", file.name, mime_types.join(", ")),
                ));
            }
        }
    }
    None
}

/// What one record write did to its files: what to delete if it does not
/// commit, and what to delete once it has.
#[derive(Debug, Default)]
pub struct FileChanges {
    dir: String,
    uploaded: Vec<String>,
    replaced: Vec<String>,
}

impl FileChanges {
    /// Nothing to clean up either way.
    pub fn is_empty(&self) -> bool {
        self.uploaded.is_empty() && self.replaced.is_empty()
    }
}

fn file_fields(c: &Collection) -> impl Iterator<Item = &Field> {
    c.fields.iter().filter(|f| matches!(f.kind, FieldKind::File { .. }))
}

impl App {
    /// Writes the new files a record's file fields refer to (before the row
    /// is written) and works out which stored files the change replaces.
    /// On a failed upload the ones already written are removed again.
    pub fn store_record_files(&self, record: &Record) -> Result<FileChanges> {
        let c = &record.collection;
        let mut changes = FileChanges { dir: record_dir(record), ..Default::default() };
        let mut to_upload: Vec<Arc<File>> = Vec::new();
        for f in file_fields(c) {
            let current = names(record.get(&f.name));
            let old =
                record.original.as_ref().map(|o| names(o.get(&f.name).unwrap_or(&Value::Null))).unwrap_or_default();
            for n in &current {
                if !old.contains(n)
                    && let Some(file) = record.pending_files.get(n)
                    && !to_upload.iter().any(|u| u.name == file.name)
                {
                    to_upload.push(file.clone());
                }
            }
            changes.replaced.extend(old.into_iter().filter(|n| !current.contains(n)));
        }
        if to_upload.is_empty() {
            return Ok(changes);
        }
        if record.id().is_empty() {
            return Err(Error::Internal("uploading files requires the record to have a valid nonempty id".into()));
        }
        let fs = self.new_filesystem()?;
        for file in to_upload {
            let stored =
                file.bytes().map_err(|e| Error::Internal(format!("cannot read {:?}: {e}", file.original_name)));
            let res = stored.and_then(|content| {
                let ct = mime::detect(&content[..content.len().min(mime::SNIFF_LEN)]).to_string();
                let original: String = file.original_name.chars().take(255).collect();
                fs.upload_sync(
                    &format!("{}/{}", changes.dir, file.name),
                    content,
                    &ct,
                    &[(META_ORIGINAL_NAME, original.as_str())],
                )
                .map_err(|e| Error::Internal(format!("failed to upload {:?}: {e}", file.name)))
            });
            if let Err(e) = res {
                self.delete_files(&changes.dir, std::mem::take(&mut changes.uploaded));
                return Err(e);
            }
            changes.uploaded.push(file.name.clone());
        }
        Ok(changes)
    }

    /// Settles a record write's files: on failure the new files go now; on
    /// success the new ones go if the transaction rolls back and the
    /// replaced ones once it commits.
    pub fn settle_record_files(&self, changes: FileChanges, written: bool) {
        if changes.is_empty() {
            return;
        }
        let FileChanges { dir, uploaded, replaced } = changes;
        if !written {
            self.delete_files(&dir, uploaded);
            return;
        }
        if !uploaded.is_empty() {
            let app = self.without_tx();
            let d = dir.clone();
            self.on_rollback(move || app.delete_files(&d, uploaded));
        }
        if !replaced.is_empty() {
            let app = self.without_tx();
            // deletion failures are logged, never fail the committed change
            let _ = self.after_commit(move || {
                app.delete_files(&dir, replaced);
                Ok(())
            });
        }
    }

    /// Deletes files of a record directory with their thumbs; failures are logged.
    pub fn delete_files(&self, dir: &str, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let fs = match self.new_filesystem() {
            Ok(fs) => fs,
            Err(e) => {
                tracing::warn!("cannot delete files of {dir}: {e}");
                return;
            }
        };
        for name in names {
            if name.is_empty() || name.contains(['/', '\\']) {
                continue;
            }
            match fs.delete_sync(&format!("{dir}/{name}")) {
                Ok(()) | Err(super::FsError::NotFound) => {
                    let failed = fs.delete_prefix_sync(&format!("{dir}/thumbs_{name}/"));
                    if !failed.is_empty() {
                        tracing::warn!("failed to delete the thumbs of {dir}/{name}");
                    }
                }
                Err(e) => tracing::warn!("failed to delete {dir}/{name}: {e}"),
            }
        }
    }

    /// Deletes everything stored under a prefix in the background (record
    /// and collection deletes, like PocketBase's optimistic delete).
    pub fn delete_files_prefix_later(&self, prefix: String) {
        let fs = match self.new_filesystem() {
            Ok(fs) => fs,
            Err(e) => {
                tracing::warn!("cannot delete files under {prefix}: {e}");
                return;
            }
        };
        super::storage::spawn(async move {
            let failed = fs.delete_prefix(&prefix).await;
            if !failed.is_empty() {
                tracing::warn!("failed to delete the files under {prefix}: {}", failed[0]);
            }
        });
    }
}

/// Whether a collection has file fields.
pub fn has_file_fields(c: &Collection) -> bool {
    file_fields(c).next().is_some()
}
