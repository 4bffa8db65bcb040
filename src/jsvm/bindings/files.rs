//! Files in JS: the `File` objects `$filesystem.fileFrom*` make (set them
//! on a record's file field and save), and the filesystem objects of
//! `$app.newFilesystem()`, `$app.newBackupsFilesystem()`,
//! `$filesystem.local()` and `$filesystem.s3()` over the core storage.

use std::sync::Arc;
use std::time::Duration;

use rquickjs::class::Trace;
use rquickjs::prelude::{Func, Opt};
use rquickjs::{Array, Class, Ctx, JsLifetime, Object, Value};
use serde_json::{Value as Json, json};

use super::convert;
use crate::core::Error;
use crate::core::files::{File, Filesystem, FsError};
use crate::core::settings::S3Config;
use crate::jsvm::error::throw_core;

/// A new file (`filesystem.File`).
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "File")]
pub struct JsFile {
    #[qjs(skip_trace)]
    pub inner: Arc<File>,
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsFile {
    #[qjs(get, rename = "name")]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The storage name may be changed before saving (PocketBase allows it).
    #[qjs(set, rename = "name")]
    pub fn set_name(&mut self, name: String) {
        Arc::make_mut(&mut self.inner).name = name;
    }

    #[qjs(get, rename = "originalName")]
    pub fn original_name(&self) -> String {
        self.inner.original_name.clone()
    }

    #[qjs(get, rename = "size")]
    pub fn size(&self) -> f64 {
        self.inner.size as f64
    }

    #[qjs(rename = "toJSON")]
    pub fn to_json<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        convert::to_js(
            &ctx,
            &json!({"name": self.inner.name, "originalName": self.inner.original_name, "size": self.inner.size}),
        )
    }
}

impl JsFile {
    /// A JS `File` for a core file.
    pub fn instance<'js>(ctx: &Ctx<'js>, file: Arc<File>) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), JsFile { inner: file })?.into_value())
    }

    fn of(v: &Value<'_>) -> Option<Arc<File>> {
        let class = Class::<JsFile>::from_object(v.as_object()?)?;
        Some(class.borrow().inner.clone())
    }
}

/// When `v` holds `File` objects (one, or in an array), the value with each
/// file replaced by its name plus the files; `None` when it holds none.
pub fn extract_files(v: &Value<'_>) -> rquickjs::Result<Option<(Json, Vec<Arc<File>>)>> {
    if let Some(f) = JsFile::of(v) {
        return Ok(Some((Json::String(f.name.clone()), vec![f])));
    }
    let Some(arr) = v.as_array() else {
        return Ok(None);
    };
    let mut files = Vec::new();
    let mut out = Vec::with_capacity(arr.len());
    for item in arr.iter::<Value>() {
        let item = item?;
        match JsFile::of(&item) {
            Some(f) => {
                out.push(Json::String(f.name.clone()));
                files.push(f);
            }
            None => out.push(convert::to_json(item)?),
        }
    }
    Ok((!files.is_empty()).then_some((Json::Array(out), files)))
}

fn fs_err(ctx: &Ctx<'_>, e: FsError) -> rquickjs::Error {
    let err = match e {
        FsError::NotFound => Error::NotFound("file not found".into()),
        other => Error::BadRequest(other.to_string()),
    };
    throw_core(ctx, err)
}

fn bytes_of(v: Value<'_>) -> rquickjs::Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.to_string()?.into_bytes());
    }
    // ArrayBuffer / Uint8Array, read element by element (no unsafe views)
    let typed = match rquickjs::ArrayBuffer::from_value(v.clone()) {
        Some(ab) => rquickjs::TypedArray::<u8>::from_arraybuffer(ab).ok(),
        None => rquickjs::TypedArray::<u8>::from_value(v.clone()).ok(),
    };
    if let Some(ta) = typed {
        let obj: &Object<'_> = ta.as_ref();
        return (0..ta.len()).map(|i| obj.get::<_, u8>(i as u32)).collect();
    }
    match convert::to_json(v)? {
        Json::Array(a) => Ok(a.iter().map(|b| b.as_u64().unwrap_or(0) as u8).collect()),
        Json::Null => Ok(Vec::new()),
        other => Ok(other.to_string().into_bytes()),
    }
}

fn byte_array<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Array<'js>> {
    let arr = Array::new(ctx.clone())?;
    for (i, b) in bytes.iter().enumerate() {
        arr.set(i, i32::from(*b))?;
    }
    Ok(arr)
}

/// `$filesystem.fileFromPath(path)`
fn file_from_path<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<Value<'js>> {
    let f = File::from_path(std::path::Path::new(&path))
        .map_err(|e| throw_core(&ctx, Error::BadRequest(format!("{path}: {e}"))))?;
    JsFile::instance(&ctx, Arc::new(f))
}

/// `$filesystem.fileFromBytes(bytes, name)`
fn file_from_bytes<'js>(ctx: Ctx<'js>, content: Value<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let bytes = bytes_of(content)?;
    let f = File::from_bytes(bytes::Bytes::from(bytes), &name).map_err(|e| throw_core(&ctx, Error::BadRequest(e)))?;
    JsFile::instance(&ctx, Arc::new(f))
}

/// `$filesystem.fileFromURL(url, secTimeout = 120)`: downloads the URL.
fn file_from_url<'js>(ctx: Ctx<'js>, url: String, timeout: Opt<f64>) -> rquickjs::Result<Value<'js>> {
    let secs = timeout.0.filter(|t| t.is_finite() && *t > 0.0).unwrap_or(120.0);
    let fail = |msg: String| throw_core(&ctx, Error::BadRequest(msg));
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs_f64(secs))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let res = client.get(&url).send().map_err(|e| fail(format!("failed to download url {url}: {e}")))?;
    let status = res.status().as_u16();
    if !(200..=399).contains(&status) {
        return Err(fail(format!("failed to download url {url} ({status})")));
    }
    let bytes = res.bytes().map_err(|e| fail(e.to_string()))?;
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
    let f = File::from_bytes(bytes, &name).map_err(&fail)?;
    JsFile::instance(&ctx, Arc::new(f))
}

/// `$filesystem.fileFromMultipart(header)`: a file of the request's upload
/// (the objects `e.findUploadedFiles` gives are already `File`s).
fn file_from_multipart<'js>(ctx: Ctx<'js>, header: Value<'js>) -> rquickjs::Result<Value<'js>> {
    if let Some(f) = JsFile::of(&header) {
        return JsFile::instance(&ctx, f);
    }
    let Some(obj) = header.as_object() else {
        return Err(throw_core(&ctx, Error::BadRequest("expected a multipart file header".into())));
    };
    let name: String = obj.get::<_, Option<String>>("filename")?.unwrap_or_default();
    let content = obj.get::<_, Value>("content").or_else(|_| obj.get::<_, Value>("bytes"))?;
    let bytes = bytes_of(content)?;
    JsFile::instance(&ctx, Arc::new(File::from_upload(bytes::Bytes::from(bytes), &name)))
}

/// A filesystem object (`filesystem.System`).
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Filesystem")]
pub struct JsFilesystem {
    #[qjs(skip_trace)]
    pub fs: Filesystem,
}

impl JsFilesystem {
    /// A JS filesystem object.
    pub fn instance<'js>(ctx: &Ctx<'js>, fs: Filesystem) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), JsFilesystem { fs })?.into_value())
    }
}

fn attrs_js<'js>(ctx: &Ctx<'js>, a: &crate::core::files::storage::Attributes) -> rquickjs::Result<Value<'js>> {
    let metadata: serde_json::Map<String, Json> = a.metadata.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    convert::to_js(
        ctx,
        &json!({
            "contentType": a.content_type,
            "size": a.size,
            "modTime": a.modified.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string(),
            "metadata": metadata,
            "md5": a.md5.as_ref().map(|m| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, m)),
        }),
    )
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsFilesystem {
    pub fn exists<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<bool> {
        self.fs.exists_sync(&key).map_err(|e| fs_err(&ctx, e))
    }

    pub fn attributes<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<Value<'js>> {
        let a = self.fs.attributes_sync(&key).map_err(|e| fs_err(&ctx, e))?;
        attrs_js(&ctx, &a)
    }

    /// The content as a byte array (`toString(reader)` reads it; `close()` is a no-op).
    pub fn get_reader<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<Value<'js>> {
        let bytes = self.fs.read_sync(&key).map_err(|e| fs_err(&ctx, e))?;
        let arr = byte_array(&ctx, &bytes)?;
        arr.as_object().set("close", Func::from(|| ()))?;
        Ok(arr.into_value())
    }

    /// A `File` of a stored blob, to save on another record.
    pub fn get_reuploadable_file<'js>(
        &self,
        ctx: Ctx<'js>,
        key: String,
        preserve_name: Opt<bool>,
    ) -> rquickjs::Result<Value<'js>> {
        let attrs = self.fs.attributes_sync(&key).map_err(|e| fs_err(&ctx, e))?;
        let bytes = self.fs.read_sync(&key).map_err(|e| fs_err(&ctx, e))?;
        let base = key.rsplit('/').next().unwrap_or_default().to_string();
        let original = attrs.meta(crate::core::files::storage::META_ORIGINAL_NAME).unwrap_or(&base).to_string();
        let mut f = File::from_upload(bytes, &original);
        if preserve_name.0.unwrap_or(false) {
            f.name = base;
        }
        JsFile::instance(&ctx, Arc::new(f))
    }

    pub fn copy<'js>(&self, ctx: Ctx<'js>, src: String, dst: String) -> rquickjs::Result<()> {
        self.fs.copy_sync(&src, &dst).map_err(|e| fs_err(&ctx, e))
    }

    /// Every blob under a prefix as `{key, size, modTime}`.
    pub fn list<'js>(&self, ctx: Ctx<'js>, prefix: Opt<String>) -> rquickjs::Result<Value<'js>> {
        let items = self.fs.list_sync(&prefix.0.unwrap_or_default()).map_err(|e| fs_err(&ctx, e))?;
        let list: Vec<Json> = items
            .iter()
            .map(|o| json!({"key": o.key, "size": o.size, "modTime": o.modified.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()}))
            .collect();
        convert::to_js(&ctx, &Json::Array(list))
    }

    /// `upload(content, key)`: bytes or a string.
    pub fn upload<'js>(&self, ctx: Ctx<'js>, content: Value<'js>, key: String) -> rquickjs::Result<()> {
        let bytes = bytes_of(content)?;
        let ct = crate::core::files::mime::detect(&bytes).to_string();
        self.fs.upload_sync(&key, bytes::Bytes::from(bytes), &ct, &[]).map_err(|e| fs_err(&ctx, e))
    }

    /// `uploadFile(file, key)`
    pub fn upload_file<'js>(&self, ctx: Ctx<'js>, file: Value<'js>, key: String) -> rquickjs::Result<()> {
        let Some(f) = JsFile::of(&file) else {
            return Err(throw_core(&ctx, Error::BadRequest("expected a File".into())));
        };
        let bytes = f.bytes().map_err(|e| throw_core(&ctx, Error::BadRequest(e.to_string())))?;
        let ct = crate::core::files::mime::detect(&bytes).to_string();
        let original: String = f.original_name.chars().take(255).collect();
        self.fs
            .upload_sync(&key, bytes, &ct, &[(crate::core::files::storage::META_ORIGINAL_NAME, original.as_str())])
            .map_err(|e| fs_err(&ctx, e))
    }

    pub fn delete<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<()> {
        self.fs.delete_sync(&key).map_err(|e| fs_err(&ctx, e))
    }

    /// Deletes everything under a prefix; returns the failures' messages.
    pub fn delete_prefix(&self, prefix: String) -> Vec<String> {
        self.fs.delete_prefix_sync(&prefix).into_iter().map(|e| e.to_string()).collect()
    }

    pub fn is_empty_dir(&self, dir: String) -> bool {
        self.fs.is_empty_dir_sync(&dir)
    }

    /// `createThumb(originalKey, thumbKey, size)`
    pub fn create_thumb<'js>(
        &self,
        ctx: Ctx<'js>,
        original: String,
        thumb: String,
        size: String,
    ) -> rquickjs::Result<()> {
        let bytes = self.fs.read_sync(&original).map_err(|e| fs_err(&ctx, e))?;
        let (out, ct) = crate::core::files::thumbs::create(&bytes, &size)
            .map_err(|e| throw_core(&ctx, Error::BadRequest(e.to_string())))?;
        self.fs.upload_sync(&thumb, bytes::Bytes::from(out), ct, &[]).map_err(|e| fs_err(&ctx, e))
    }

    /// Nothing to release (kept for PocketBase scripts that call it).
    pub fn close(&self) {}
}

/// `$filesystem.s3(bucket, region, endpoint, accessKey, secret, forcePathStyle)`
fn s3<'js>(
    ctx: Ctx<'js>,
    bucket: String,
    region: String,
    endpoint: String,
    access_key: String,
    secret: String,
    force_path_style: Opt<bool>,
) -> rquickjs::Result<Value<'js>> {
    let cfg = S3Config {
        enabled: true,
        bucket,
        region,
        endpoint,
        access_key,
        secret,
        force_path_style: force_path_style.0.unwrap_or(false),
    };
    let fs = Filesystem::s3(&cfg).map_err(|e| fs_err(&ctx, e))?;
    JsFilesystem::instance(&ctx, fs)
}

/// `$filesystem.local(dir)`
fn local<'js>(ctx: Ctx<'js>, dir: String) -> rquickjs::Result<Value<'js>> {
    let fs = Filesystem::local(dir).map_err(|e| fs_err(&ctx, e))?;
    JsFilesystem::instance(&ctx, fs)
}

/// Installs the `File` and `Filesystem` classes and the `$filesystem` natives.
pub fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    let _ = ctx;
    native.set("fileFromPath", Func::from(file_from_path))?;
    native.set("fileFromBytes", Func::from(file_from_bytes))?;
    native.set("fileFromURL", Func::from(file_from_url))?;
    native.set("fileFromMultipart", Func::from(file_from_multipart))?;
    native.set("filesystemS3", Func::from(s3))?;
    native.set("filesystemLocal", Func::from(local))?;
    Ok(())
}
