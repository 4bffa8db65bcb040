//! Resolving `GET /api/files/{collection}/{recordId}/{filename}`: the
//! record and the file field holding that name, the protected-file check
//! (file token + the collection's view rule under the `protectedFile`
//! context), the source record of a view collection's file, and the thumb
//! to serve (generated once, cached as `thumbs_<name>/<size>_<name>`).

use std::sync::Arc;

use super::record_files::{names, record_dir};
use super::thumbs::{self, DEFAULT_THUMB, IMAGE_CONTENT_TYPES};
use super::{Filesystem, FsError};
use crate::core::app::App;
use crate::core::auth::tokens::TokenType;
use crate::core::collections::{Collection, Field, FieldKind};
use crate::core::error::{Error, Result};
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::db::records as rows;

/// A file ready to serve (what `onFileDownloadRequest` handlers see).
#[derive(Debug, Clone)]
pub struct Download {
    pub collection: Arc<Collection>,
    pub record: Record,
    pub field: Field,
    pub fs: Filesystem,
    /// Storage key of the original file.
    pub original_path: String,
    /// Storage key of what is served (the original or a thumb).
    pub served_path: String,
    /// File name in `Content-Disposition`.
    pub served_name: String,
    /// Why a requested thumb is not served, if so.
    pub thumb_error: Option<String>,
    /// The thumb still has to be generated (asked with `generate_thumb: false`).
    pub thumb_pending: bool,
}

/// What the download query asks for.
#[derive(Debug, Clone, Default)]
pub struct DownloadQuery<'a> {
    pub collection: &'a str,
    pub record_id: &'a str,
    pub filename: &'a str,
    pub token: &'a str,
    pub thumb: &'a str,
    /// Whether a missing thumb may be generated now; when not, the download
    /// comes back with `thumb_pending` set and nothing else resolved.
    pub generate_thumb: bool,
}

/// The file field of a record that holds `filename`.
pub fn find_file_field<'r>(record: &'r Record, filename: &str) -> Option<&'r Field> {
    record
        .collection
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::File { .. }))
        .find(|f| names(record.get(&f.name)).iter().any(|n| n == filename))
}

impl App {
    /// Whether `req` may access `record` under `rule` (PocketBase's
    /// `CanAccessRecord`): superusers always, `None` only them, `""` anyone.
    pub fn can_access_record(&self, record: &Record, req: &RequestInfo, rule: &Option<String>) -> Result<bool> {
        if req.is_superuser() {
            return Ok(true);
        }
        match rule {
            None => Ok(false),
            Some(r) if r.trim().is_empty() => Ok(true),
            Some(r) => self.record_matches_rule(&record.collection, record.id(), r, req),
        }
    }

    /// Resolves a download request (404 for anything it may not see).
    pub fn prepare_file_download(&self, q: &DownloadQuery<'_>, req: &RequestInfo) -> Result<Download> {
        let c = self
            .find_collection(q.collection)
            .map_err(|_| Error::NotFound("Missing or invalid collection context.".into()))?;
        if q.record_id.is_empty() || q.filename.is_empty() {
            return Err(Error::not_found());
        }
        let record = self.find_record_by_id(&c, q.record_id).map_err(|_| Error::not_found())?;
        let field = find_file_field(&record, q.filename).cloned().ok_or_else(Error::not_found)?;
        let FieldKind::File { protected, thumbs: allowed_thumbs, .. } = &field.kind else {
            return Err(Error::not_found());
        };
        if *protected {
            let mut auth =
                if q.token.is_empty() { None } else { self.find_auth_record_by_token(q.token, TokenType::File).ok() };
            if auth.as_ref().is_some_and(Record::is_superuser) && !superuser_ip_allowed(self, req) {
                auth = None;
            }
            let mut info = req.clone();
            info.context = "protectedFile".into();
            info.auth = auth.map(Arc::new);
            if !self.can_access_record(&record, &info, &c.rules.view)? {
                return Err(Error::not_found());
            }
        }
        let dir = if c.is_view() {
            let source = self.find_record_by_view_file(&c, &field.name, q.filename)?;
            record_dir(&source)
        } else {
            record_dir(&record)
        };
        let fs = self.new_filesystem()?;
        let original_path = format!("{dir}/{}", q.filename);
        let mut d = Download {
            collection: c.clone(),
            record,
            field: field.clone(),
            fs,
            served_path: original_path.clone(),
            served_name: q.filename.to_string(),
            original_path,
            thumb_error: None,
            thumb_pending: false,
        };
        let thumb = q.thumb;
        if !thumb.is_empty() && (thumb == DEFAULT_THUMB || allowed_thumbs.iter().any(|t| t == thumb)) {
            let attrs = d.fs.attributes_sync(&d.original_path).map_err(|_| Error::not_found())?;
            if IMAGE_CONTENT_TYPES.contains(&attrs.content_type.as_str()) {
                let name = format!("{thumb}_{}", q.filename);
                let path = format!("{dir}/thumbs_{}/{name}", q.filename);
                if !q.generate_thumb && !d.fs.exists_sync(&path).unwrap_or(false) {
                    d.thumb_pending = true;
                    return Ok(d);
                }
                match self.ensure_thumb(&d.fs, &d.original_path, &path, thumb) {
                    Ok(()) => {
                        d.served_name = name;
                        d.served_path = path;
                    }
                    Err(e) => {
                        tracing::warn!("fallback to original - failed to create thumb {path}: {e}");
                        d.thumb_error = Some(e.to_string());
                    }
                }
            }
        }
        if !thumb.is_empty() && d.thumb_error.is_none() && d.served_path == d.original_path {
            d.thumb_error = Some(format!("the thumb size {thumb:?} or the original file format are not supported"));
        }
        Ok(d)
    }

    /// Creates the thumb at `thumb_path` unless it exists (one generation
    /// per thumb at a time, a bounded number overall).
    pub fn ensure_thumb(&self, fs: &Filesystem, original_path: &str, thumb_path: &str, size: &str) -> Result<()> {
        if fs.exists_sync(thumb_path).unwrap_or(false) {
            return Ok(());
        }
        self.files_state().thumbs.run(thumb_path, || {
            if fs.exists_sync(thumb_path).unwrap_or(false) {
                return Ok(());
            }
            self.create_thumb(fs, original_path, thumb_path, size)
        })
    }

    /// Generates and stores a thumb of `original_path` (PocketBase's `createThumb`).
    pub fn create_thumb(&self, fs: &Filesystem, original_path: &str, thumb_path: &str, size: &str) -> Result<()> {
        let original = fs.read_sync(original_path).map_err(fs_error)?;
        let (bytes, content_type) = thumbs::create(&original, size).map_err(|e| Error::BadRequest(e.to_string()))?;
        fs.upload_sync(thumb_path, bytes::Bytes::from(bytes), content_type, &[]).map_err(fs_error)
    }

    /// The record of a non-view collection a view collection's file comes
    /// from (views of views followed up to 5 levels).
    pub fn find_record_by_view_file(&self, view: &Arc<Collection>, field: &str, filename: &str) -> Result<Record> {
        let all = self.collections();
        let mut view = view.clone();
        let mut field = field.to_string();
        for _ in 0..5 {
            let query = view.view_query.clone();
            let cols = self.executor().read(|conn| crate::db::sync::describe_query(conn, &query))?;
            let col = cols.into_iter().find(|c| c.name == field).ok_or_else(Error::not_found)?;
            let source = col.table.as_deref().and_then(|t| all.get(t)).ok_or_else(Error::not_found)?;
            let origin = col.origin.ok_or_else(Error::not_found)?;
            if source.is_view() {
                view = source;
                field = origin;
                continue;
            }
            let src_field = source.field(&origin).ok_or_else(Error::not_found)?;
            let multiple = src_field.is_multiple();
            let data = self
                .executor()
                .read(|conn| rows::find_by_file(conn, &source, &origin, multiple, filename))?
                .ok_or_else(Error::not_found)?;
            return Ok(Record::from_stored(source, data));
        }
        Err(Error::not_found())
    }
}

fn fs_error(e: FsError) -> Error {
    match e {
        FsError::NotFound => Error::not_found(),
        other => Error::Internal(other.to_string()),
    }
}

/// A superuser's file token only counts from an allowed IP (when
/// `superuserIPs` is set).
fn superuser_ip_allowed(app: &App, req: &RequestInfo) -> bool {
    let allowed = &app.settings().superuser_ips;
    if allowed.is_empty() {
        return true;
    }
    let ip = req.http.as_ref().map(|h| h.remote_ip.as_str()).unwrap_or_default();
    allowed.iter().any(|a| a == ip)
}
