//! The one storage abstraction for record files and backups: an
//! `object_store` backend (a local directory or an S3-compatible bucket)
//! with PocketBase's conventions on top. Locally every blob gets the
//! `<name>.attrs` JSON sidecar PocketBase's `fileblob` driver writes
//! (content type, original name, md5), so a PocketBase `pb_data/storage`
//! serves unchanged and PocketBase can read what we write; on S3 the same
//! facts are object attributes (`Content-Type`, `x-amz-meta-original-filename`).
//!
//! Keys are `/`-separated and checked: no empty, `.` or `..` segment, no
//! backslash or control character, so nothing outside the root is reachable.
//! The API is async; the `*_sync` wrappers run it on a small dedicated
//! runtime for the synchronous core and the JS engine.

use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use md5::Digest;
use object_store::path::Path as Key;
use object_store::{
    Attribute, AttributeValue, Attributes as StoreAttributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    PutOptions, PutPayload,
};
use serde_json::{Value, json};

use crate::core::settings::S3Config;

/// Metadata key of the name a file was uploaded with.
pub const META_ORIGINAL_NAME: &str = "original-filename";

const ATTRS_EXT: &str = ".attrs";

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// No blob at that key.
    #[error("file not found")]
    NotFound,
    /// A key that would leave the storage root or is otherwise unusable.
    #[error("invalid file key {0:?}")]
    InvalidKey(String),
    /// The backend failed (I/O, network, credentials…).
    #[error("{0}")]
    Backend(String),
}

impl From<object_store::Error> for FsError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => FsError::NotFound,
            other => FsError::Backend(other.to_string()),
        }
    }
}

/// Storage result alias.
pub type FsResult<T> = Result<T, FsError>;

/// A blob's attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    pub content_type: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
    /// User metadata (`original-filename` …).
    pub metadata: Vec<(String, String)>,
    /// MD5 of the content when known (base64 in the sidecar).
    pub md5: Option<Vec<u8>>,
}

impl Attributes {
    /// A metadata value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// One listed blob.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// An opened blob: attributes, the served byte range and its content stream.
pub struct Opened {
    pub attrs: Attributes,
    pub range: Range<u64>,
    pub body: BoxStream<'static, FsResult<Bytes>>,
}

/// A local directory or an S3 bucket.
#[derive(Clone, Debug)]
pub struct Filesystem {
    store: Arc<dyn ObjectStore>,
    /// The root directory of a local filesystem (`None` for S3).
    local_root: Option<PathBuf>,
}

/// Checks and converts a `/`-separated key.
pub fn key(raw: &str) -> FsResult<Key> {
    let trimmed = raw.trim_matches('/');
    let bad = trimmed.is_empty()
        || trimmed.split('/').any(|s| s.is_empty() || s == "." || s == ".." || s.ends_with(ATTRS_EXT))
        || trimmed.chars().any(|c| c == '\\' || c.is_control());
    if bad {
        return Err(FsError::InvalidKey(raw.chars().take(200).collect()));
    }
    Key::parse(trimmed).map_err(|_| FsError::InvalidKey(raw.chars().take(200).collect()))
}

fn prefix_key(raw: &str) -> FsResult<Option<Key>> {
    let trimmed = raw.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    key(trimmed).map(Some)
}

/// The small runtime the synchronous wrappers run storage futures on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ferrobase-storage")
            .enable_all()
            .build()
            .expect("the storage runtime starts")
    })
}

/// Runs a storage future to completion from synchronous code (any thread,
/// also one of another runtime's blocking pool).
pub fn block_on<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("storage task finished")
}

/// Runs a storage future in the background.
pub fn spawn(fut: impl Future<Output = ()> + Send + 'static) {
    runtime().spawn(fut);
}

impl Filesystem {
    /// A local filesystem rooted at `dir` (created when missing).
    pub fn local(dir: impl Into<PathBuf>) -> FsResult<Filesystem> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| FsError::Backend(format!("cannot create {}: {e}", dir.display())))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true);
        Ok(Filesystem { store: Arc::new(store), local_root: Some(dir) })
    }

    /// An S3-compatible bucket from PocketBase's S3 settings.
    pub fn s3(cfg: &S3Config) -> FsResult<Filesystem> {
        let mut endpoint = cfg.endpoint.trim().trim_end_matches('/').to_string();
        if !endpoint.is_empty() && !endpoint.contains("://") {
            endpoint = format!("https://{endpoint}");
        }
        let region = if cfg.region.trim().is_empty() { "us-east-1" } else { cfg.region.trim() };
        let client = object_store::ClientOptions::new()
            .with_allow_http(endpoint.starts_with("http://"))
            .with_connect_timeout(Duration::from_secs(10))
            .with_timeout(Duration::from_secs(120));
        let retry =
            object_store::RetryConfig { max_retries: 2, retry_timeout: Duration::from_secs(20), ..Default::default() };
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(cfg.bucket.trim())
            .with_region(region)
            .with_access_key_id(cfg.access_key.trim())
            .with_secret_access_key(cfg.secret.trim())
            .with_virtual_hosted_style_request(!cfg.force_path_style)
            .with_client_options(client)
            .with_retry(retry);
        if !endpoint.is_empty() {
            b = b.with_endpoint(endpoint);
        }
        let store = b.build()?;
        Ok(Filesystem { store: Arc::new(store), local_root: None })
    }

    /// Whether this is a local directory.
    pub fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// Stores `content` at `raw_key` with its content type and metadata
    /// (replacing any blob there).
    pub async fn upload(
        &self,
        raw_key: &str,
        content: Bytes,
        content_type: &str,
        metadata: &[(&str, &str)],
    ) -> FsResult<()> {
        let k = key(raw_key)?;
        let md5 = md5::Md5::digest(&content).to_vec();
        if self.is_local() {
            self.store.put(&k, PutPayload::from_bytes(content)).await?;
            let sidecar = sidecar_json(content_type, metadata, &md5);
            let attrs_key = Key::parse(format!("{k}{ATTRS_EXT}")).map_err(|e| FsError::Backend(e.to_string()))?;
            self.store.put(&attrs_key, PutPayload::from(sidecar.into_bytes())).await?;
            return Ok(());
        }
        let mut attributes = StoreAttributes::new();
        attributes.insert(Attribute::ContentType, AttributeValue::from(content_type.to_string()));
        for (k, v) in metadata {
            attributes.insert(Attribute::Metadata(k.to_string().into()), AttributeValue::from(v.to_string()));
        }
        let opts = PutOptions { attributes, ..Default::default() };
        self.store.put_opts(&k, PutPayload::from_bytes(content), opts).await?;
        Ok(())
    }

    /// A blob's attributes, `NotFound` when missing.
    pub async fn attributes(&self, raw_key: &str) -> FsResult<Attributes> {
        let k = key(raw_key)?;
        if self.is_local() {
            let meta = self.store.head(&k).await?;
            return Ok(self.local_attrs(&k, meta.size, meta.last_modified).await);
        }
        let res = self.store.get_opts(&k, GetOptions { head: true, ..Default::default() }).await?;
        Ok(remote_attrs(&res.attributes, res.meta.size, res.meta.last_modified))
    }

    async fn local_attrs(&self, k: &Key, size: u64, modified: DateTime<Utc>) -> Attributes {
        let mut attrs = Attributes {
            // PocketBase's answer for a blob without a sidecar
            content_type: "application/octet-stream".into(),
            size,
            modified,
            metadata: Vec::new(),
            md5: None,
        };
        let Ok(attrs_key) = Key::parse(format!("{k}{ATTRS_EXT}")) else {
            return attrs;
        };
        let Ok(raw) = self.store.get(&attrs_key).await else {
            return attrs;
        };
        let Ok(bytes) = raw.bytes().await else {
            return attrs;
        };
        apply_sidecar(&mut attrs, &bytes);
        attrs
    }

    /// Where a blob of a local filesystem is on disk (`None` for S3). The
    /// key is checked like every other key.
    pub fn local_path(&self, raw_key: &str) -> FsResult<Option<PathBuf>> {
        let Some(root) = &self.local_root else {
            return Ok(None);
        };
        let k = key(raw_key)?;
        Ok(Some(root.join(k.as_ref())))
    }

    /// Opens a blob for reading, optionally a byte range of it (clamped to
    /// the size; an empty range reads nothing).
    pub async fn open(&self, raw_key: &str, range: Option<Range<u64>>) -> FsResult<Opened> {
        let k = key(raw_key)?;
        let opts = GetOptions {
            range: range.clone().filter(|r| r.end > r.start).map(GetRange::Bounded),
            ..Default::default()
        };
        let empty_range = range.as_ref().is_some_and(|r| r.end <= r.start);
        let res = self.store.get_opts(&k, opts).await?;
        let attrs = if self.is_local() {
            self.local_attrs(&k, res.meta.size, res.meta.last_modified).await
        } else {
            remote_attrs(&res.attributes, res.meta.size, res.meta.last_modified)
        };
        if empty_range {
            let at = range.map(|r| r.start).unwrap_or(0);
            return Ok(Opened { attrs, range: at..at, body: futures::stream::empty().boxed() });
        }
        let served = res.range.clone();
        let body = res.into_stream().map(|r| r.map_err(FsError::from)).boxed();
        Ok(Opened { attrs, range: served, body })
    }

    /// The whole content of a blob.
    pub async fn read(&self, raw_key: &str) -> FsResult<Bytes> {
        let k = key(raw_key)?;
        Ok(self.store.get(&k).await?.bytes().await?)
    }

    /// Whether a blob exists.
    pub async fn exists(&self, raw_key: &str) -> FsResult<bool> {
        let k = key(raw_key)?;
        match self.store.head(&k).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a blob (and its sidecar), `NotFound` when missing.
    pub async fn delete(&self, raw_key: &str) -> FsResult<()> {
        let k = key(raw_key)?;
        if self.is_local() {
            // object_store's local delete is idempotent; PocketBase reports a missing blob
            self.store.head(&k).await?;
            if let Ok(attrs_key) = Key::parse(format!("{k}{ATTRS_EXT}")) {
                let _ = self.store.delete(&attrs_key).await;
            }
        }
        self.store.delete(&k).await?;
        Ok(())
    }

    /// Every blob under a prefix (sidecars left out).
    pub async fn list(&self, prefix: &str) -> FsResult<Vec<ListedObject>> {
        let p = prefix_key(prefix)?;
        let mut out = Vec::new();
        let mut stream = self.store.list(p.as_ref());
        while let Some(item) = stream.next().await {
            let meta = match item {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(e.into()),
            };
            let key = meta.location.to_string();
            if self.is_local() && key.ends_with(ATTRS_EXT) {
                continue;
            }
            // a prefix that is not a directory boundary ("a/b/file_") filters by name
            if !prefix.ends_with('/') && !key.starts_with(prefix.trim_start_matches('/')) {
                continue;
            }
            out.push(ListedObject { key, size: meta.size, modified: meta.last_modified });
        }
        Ok(out)
    }

    /// Deletes everything under a prefix; returns the failures.
    pub async fn delete_prefix(&self, prefix: &str) -> Vec<FsError> {
        if prefix.trim_matches('/').is_empty() {
            return vec![FsError::InvalidKey("prefix mustn't be empty".into())];
        }
        let objects = match self.list(prefix).await {
            Ok(o) => o,
            Err(e) => return vec![e],
        };
        let mut failed = Vec::new();
        for o in objects {
            match self.delete(&o.key).await {
                Ok(()) | Err(FsError::NotFound) => {}
                Err(e) => failed.push(e),
            }
        }
        if let Some(root) = &self.local_root
            && prefix.ends_with('/')
        {
            // the automatic cleanup keeps parents; the prefix dir itself may remain
            let _ = std::fs::remove_dir(root.join(prefix.trim_matches('/')));
        }
        failed
    }

    /// Whether nothing is stored under `dir`.
    pub async fn is_empty_dir(&self, dir: &str) -> bool {
        let dir = if dir.is_empty() || dir.ends_with('/') { dir.to_string() } else { format!("{dir}/") };
        self.list(&dir).await.map(|l| l.is_empty()).unwrap_or(true)
    }

    /// Copies a blob (with its attributes) to another key.
    pub async fn copy(&self, src: &str, dst: &str) -> FsResult<()> {
        let attrs = self.attributes(src).await?;
        let content = self.read(src).await?;
        let meta: Vec<(&str, &str)> = attrs.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.upload(dst, content, &attrs.content_type, &meta).await
    }
}

/// Synchronous wrappers for the core and the JS engine.
impl Filesystem {
    /// [`Filesystem::upload`] from synchronous code.
    pub fn upload_sync(&self, k: &str, content: Bytes, content_type: &str, metadata: &[(&str, &str)]) -> FsResult<()> {
        let (fs, k, ct) = (self.clone(), k.to_string(), content_type.to_string());
        let meta: Vec<(String, String)> = metadata.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        block_on(async move {
            let m: Vec<(&str, &str)> = meta.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            fs.upload(&k, content, &ct, &m).await
        })
    }

    /// [`Filesystem::attributes`] from synchronous code (a local blob is
    /// read right here, without a trip through the storage runtime).
    pub fn attributes_sync(&self, k: &str) -> FsResult<Attributes> {
        if let Some(path) = self.local_path(k)? {
            return local_attributes(&path);
        }
        let (fs, k) = (self.clone(), k.to_string());
        block_on(async move { fs.attributes(&k).await })
    }

    /// [`Filesystem::read`] from synchronous code.
    pub fn read_sync(&self, k: &str) -> FsResult<Bytes> {
        if let Some(path) = self.local_path(k)? {
            return std::fs::read(&path).map(Bytes::from).map_err(|_| FsError::NotFound);
        }
        let (fs, k) = (self.clone(), k.to_string());
        block_on(async move { fs.read(&k).await })
    }

    /// [`Filesystem::exists`] from synchronous code.
    pub fn exists_sync(&self, k: &str) -> FsResult<bool> {
        if let Some(path) = self.local_path(k)? {
            return Ok(path.is_file());
        }
        let (fs, k) = (self.clone(), k.to_string());
        block_on(async move { fs.exists(&k).await })
    }

    /// [`Filesystem::delete`] from synchronous code.
    pub fn delete_sync(&self, k: &str) -> FsResult<()> {
        let (fs, k) = (self.clone(), k.to_string());
        block_on(async move { fs.delete(&k).await })
    }

    /// [`Filesystem::delete_prefix`] from synchronous code.
    pub fn delete_prefix_sync(&self, prefix: &str) -> Vec<FsError> {
        let (fs, p) = (self.clone(), prefix.to_string());
        block_on(async move { fs.delete_prefix(&p).await })
    }

    /// [`Filesystem::list`] from synchronous code.
    pub fn list_sync(&self, prefix: &str) -> FsResult<Vec<ListedObject>> {
        let (fs, p) = (self.clone(), prefix.to_string());
        block_on(async move { fs.list(&p).await })
    }

    /// [`Filesystem::is_empty_dir`] from synchronous code.
    pub fn is_empty_dir_sync(&self, dir: &str) -> bool {
        let (fs, d) = (self.clone(), dir.to_string());
        block_on(async move { fs.is_empty_dir(&d).await })
    }

    /// [`Filesystem::copy`] from synchronous code.
    pub fn copy_sync(&self, src: &str, dst: &str) -> FsResult<()> {
        let (fs, s, d) = (self.clone(), src.to_string(), dst.to_string());
        block_on(async move { fs.copy(&s, &d).await })
    }
}

/// Reads PocketBase's `.attrs` sidecar into `attrs` (a broken one is ignored).
fn apply_sidecar(attrs: &mut Attributes, bytes: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    if let Some(ct) = v.get("user.content_type").and_then(Value::as_str) {
        attrs.content_type = ct.to_string();
    }
    if let Some(m) = v.get("user.metadata").and_then(Value::as_object) {
        attrs.metadata = m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect();
    }
    attrs.md5 =
        v.get("md5").and_then(Value::as_str).and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
}

/// A local blob's attributes read straight from the disk (the download
/// fast path: no thread hops). `NotFound` for anything but a regular file.
pub fn local_attributes(path: &std::path::Path) -> FsResult<Attributes> {
    let meta = std::fs::metadata(path).map_err(|_| FsError::NotFound)?;
    if !meta.is_file() {
        return Err(FsError::NotFound);
    }
    let modified = meta.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
    let mut attrs = Attributes {
        content_type: "application/octet-stream".into(),
        size: meta.len(),
        modified,
        metadata: Vec::new(),
        md5: None,
    };
    let mut sidecar = path.as_os_str().to_owned();
    sidecar.push(ATTRS_EXT);
    if let Ok(bytes) = std::fs::read(std::path::Path::new(&sidecar)) {
        apply_sidecar(&mut attrs, &bytes);
    }
    Ok(attrs)
}

fn remote_attrs(a: &StoreAttributes, size: u64, modified: DateTime<Utc>) -> Attributes {
    let mut out =
        Attributes { content_type: "application/octet-stream".into(), size, modified, metadata: Vec::new(), md5: None };
    for (k, v) in a {
        match k {
            Attribute::ContentType => out.content_type = v.to_string(),
            Attribute::Metadata(name) => out.metadata.push((name.to_string(), v.to_string())),
            _ => {}
        }
    }
    out
}

/// The `.attrs` sidecar exactly as PocketBase's fileblob driver writes it.
fn sidecar_json(content_type: &str, metadata: &[(&str, &str)], md5: &[u8]) -> String {
    let meta = if metadata.is_empty() {
        Value::Null
    } else {
        Value::Object(metadata.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
    };
    // built by hand to keep PocketBase's key order
    format!(
        "{{\"user.cache_control\":\"\",\"user.content_disposition\":\"\",\"user.content_encoding\":\"\",\"user.content_language\":\"\",\"user.content_type\":{},\"user.metadata\":{},\"md5\":{}}}",
        json!(content_type),
        meta,
        json!(base64::engine::general_purpose::STANDARD.encode(md5))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        for bad in ["", "../x", "a/../b", "a/./b", "a//b", "a\\..\\b", "a/b\n", "..", "x.attrs"] {
            assert!(key(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(key("c1/r1/a_b.txt").expect("valid").to_string(), "c1/r1/a_b.txt");
        assert_eq!(key("c1/r1/x#y*z.c#").expect("valid").to_string(), "c1/r1/x#y*z.c#");
    }

    #[test]
    fn local_roundtrip_writes_pocketbase_sidecars() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = Filesystem::local(dir.path()).expect("local");
        fs.upload_sync(
            "c/r/a_b.txt",
            Bytes::from_static(b"hello"),
            "text/plain; charset=utf-8",
            &[(META_ORIGINAL_NAME, "a b.txt")],
        )
        .expect("upload");
        let sidecar = std::fs::read_to_string(dir.path().join("c/r/a_b.txt.attrs")).expect("sidecar");
        assert!(sidecar.starts_with("{\"user.cache_control\":\"\""), "{sidecar}");
        assert!(sidecar.contains("\"md5\":\"XUFAKrxLKna5cZ2REBfFkg==\""), "{sidecar}");
        let attrs = fs.attributes_sync("c/r/a_b.txt").expect("attrs");
        assert_eq!(attrs.content_type, "text/plain; charset=utf-8");
        assert_eq!(attrs.meta(META_ORIGINAL_NAME), Some("a b.txt"));
        assert_eq!(attrs.size, 5);
        assert_eq!(fs.read_sync("c/r/a_b.txt").expect("read").as_ref(), b"hello");
        let listed = fs.list_sync("c/").expect("list");
        assert_eq!(listed.len(), 1, "sidecars are not listed");
        assert!(fs.delete_prefix_sync("c/r/").is_empty());
        assert!(!dir.path().join("c/r").exists(), "empty record dir removed");
        assert!(matches!(fs.delete_sync("c/r/a_b.txt"), Err(FsError::NotFound)));
    }
}
