//! Files API: `GET|HEAD /api/files/{collection}/{recordId}/{filename}`
//! (download with ranges, conditional requests, `?download=1`, `?thumb=`,
//! protected files with `?token=`), `POST /api/files/token` and
//! `POST /api/settings/test/s3`. The core resolves what to serve; this file
//! only speaks HTTP.

use std::ops::Range;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, inline_if, require_auth, require_superuser};
use super::error::{ApiError, ApiResult};
use crate::core::files::download::DownloadQuery;

/// Response header that tells the security-headers middleware not to add
/// `X-Frame-Options` (uploaded files may be embedded, like in PocketBase).
#[derive(Clone, Copy, Debug)]
pub struct AllowFraming;

/// Content types served inline unless `?download` asks otherwise.
const INLINE_CONTENT_TYPES: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/x-icon",
    "image/bmp",
    "video/webm",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
    "video/x-ms-wmv",
    "audio/basic",
    "audio/aiff",
    "audio/mpeg",
    "audio/midi",
    "audio/mp3",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-mpeg",
    "audio/x-m4a",
    "audio/aac",
    "application/pdf",
    "application/x-pdf",
];

/// Content types forced by extension, whatever was sniffed (PocketBase's list).
fn content_type_by_extension(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "svg" => "image/svg+xml",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> bool {
    matches!(s, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

/// Go's `strconv.Quote` for the file name in `Content-Disposition`.
fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the resolving step hands back to the async side.
enum Served {
    /// The full response (local files are answered right away).
    Ready(Response),
    /// A remote (S3) blob still to be fetched.
    Remote(Box<crate::core::files::download::Download>),
    /// A thumb to generate first (off the async threads).
    ThumbPending,
}

/// `GET|HEAD /api/files/{collection}/{recordId}/{filename}`
pub async fn download(
    State(st): State<AppState>,
    Path((collection, record_id, filename)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
    ctx: Ctx,
) -> ApiResult<Response> {
    let force_download = parse_bool(ctx.q("download"));
    // with no hooks to wait for, a local file or cached thumb is answered
    // on the async thread (a thread hop costs more than the read); a thumb
    // to generate goes to the blocking pool, and so does a protected file
    // behind a view rule (the rule can be a query running up to the
    // query timeout; an async thread must not wait for it)
    let cheap = st.app.hooks().on_file_download_request.is_empty()
        && st.app.collections().get(&collection).is_some_and(|c| !protected_behind_rule(&c));
    let run = |generate_thumb: bool| {
        let (app, ctx) = (st.app.clone(), ctx.clone());
        let (collection, record_id, filename) = (collection.clone(), record_id.clone(), filename.clone());
        let (m, h) = (method.clone(), headers.clone());
        move || resolve(&app, &ctx, &collection, &record_id, &filename, generate_thumb, &m, &h, force_download)
    };
    let mut served = inline_if(cheap, run(!cheap)).await?;
    if matches!(served, Served::ThumbPending) {
        served = blocking(run(true)).await?;
    }
    match served {
        Served::Ready(res) => Ok(res),
        Served::Remote(d) => serve(&d.fs, &d.served_path, &d.served_name, &method, &headers, force_download).await,
        Served::ThumbPending => Err(ApiError::not_found()),
    }
}

/// Whether downloading a file of `c` can need a view rule query: it has a
/// protected file field and a view rule other than public or superusers-only.
fn protected_behind_rule(c: &crate::core::collections::Collection) -> bool {
    let rule_queries = c.rules.view.as_deref().is_some_and(|r| !r.trim().is_empty());
    rule_queries
        && c.fields.iter().any(|f| matches!(f.kind, crate::core::collections::FieldKind::File { protected: true, .. }))
}

/// Resolves a download and, for local storage, answers it.
#[allow(clippy::too_many_arguments)]
fn resolve(
    app: &crate::core::App,
    ctx: &Ctx,
    collection: &str,
    record_id: &str,
    filename: &str,
    generate_thumb: bool,
    m: &Method,
    h: &HeaderMap,
    force_download: bool,
) -> ApiResult<Served> {
    let q =
        DownloadQuery { collection, record_id, filename, token: ctx.q("token"), thumb: ctx.q("thumb"), generate_thumb };
    let req = ctx.request_info(app, Map::new());
    let d = app.prepare_file_download(&q, &req)?;
    if d.thumb_pending {
        return Ok(Served::ThumbPending);
    }
    let Some(d) = app.file_download_request(d, &req)? else {
        // a hook answered without calling next
        return Ok(Served::Ready(StatusCode::OK.into_response()));
    };
    match d.fs.local_path(&d.served_path).map_err(|_| ApiError::not_found())? {
        Some(path) => Ok(Served::Ready(serve_local(&path, &d.served_path, &d.served_name, m, h, force_download)?)),
        None => Ok(Served::Remote(Box::new(d))),
    }
}

/// What the `Range` header asks for, resolved against the size.
enum RangeAsk {
    Full,
    Part(Range<u64>),
    Unsatisfiable,
}

fn parse_range(h: &str, size: u64) -> RangeAsk {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return RangeAsk::Full;
    };
    let mut parts = spec.split(',').map(str::trim).filter(|p| !p.is_empty());
    let (Some(first), None) = (parts.next(), parts.next()) else {
        // several ranges: serving the whole file is a valid answer
        return RangeAsk::Full;
    };
    let Some((a, b)) = first.split_once('-') else {
        return RangeAsk::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else { return RangeAsk::Full };
        if n == 0 || size == 0 {
            return RangeAsk::Unsatisfiable;
        }
        return RangeAsk::Part(size.saturating_sub(n)..size);
    }
    let Ok(start) = a.parse::<u64>() else { return RangeAsk::Full };
    if start >= size {
        return RangeAsk::Unsatisfiable;
    }
    let end = if b.is_empty() {
        size
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => (e + 1).min(size),
            _ => return RangeAsk::Full,
        }
    };
    RangeAsk::Part(start..end)
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim()).ok().map(|d| d.with_timezone(&Utc))
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn set(res: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().insert(name, v);
    }
}

/// A file response decided from the blob's attributes and the request:
/// either final (304, 412, 416, HEAD, empty) or headers waiting for the
/// bytes of `range` (the whole blob when `None`).
enum Plan {
    Done(Response),
    Send(Response, Option<Range<u64>>, u64),
}

/// Headers and status like Go's `http.ServeContent` behind PocketBase's
/// `Serve`: conditional requests and a single byte range.
fn plan(
    attrs: &crate::core::files::storage::Attributes,
    key: &str,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    force_download: bool,
) -> Plan {
    let real_type = attrs.content_type.as_str();
    let disposition =
        if !force_download && INLINE_CONTENT_TYPES.contains(&real_type) { "inline" } else { "attachment" };
    let content_type = content_type_by_extension(key).unwrap_or(real_type);
    let modified = attrs.modified;
    let modified_secs = modified.timestamp();
    let mut base = Response::new(Body::empty());
    base.extensions_mut().insert(AllowFraming);
    set(&mut base, header::CONTENT_DISPOSITION, &format!("{disposition}; filename={}", quote(name)));
    set(
        &mut base,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    );
    set(&mut base, header::CACHE_CONTROL, "max-age=2592000, stale-while-revalidate=86400");

    if let Some(ius) = header_str(headers, header::IF_UNMODIFIED_SINCE).and_then(parse_http_date)
        && modified_secs > ius.timestamp()
    {
        *base.status_mut() = StatusCode::PRECONDITION_FAILED;
        return Plan::Done(base);
    }
    let is_read = method == Method::GET || method == Method::HEAD;
    if is_read
        && headers.get(header::IF_NONE_MATCH).is_none()
        && let Some(ims) = header_str(headers, header::IF_MODIFIED_SINCE).and_then(parse_http_date)
        && modified_secs <= ims.timestamp()
    {
        *base.status_mut() = StatusCode::NOT_MODIFIED;
        set(&mut base, header::LAST_MODIFIED, &http_date(modified));
        return Plan::Done(base);
    }

    let size = attrs.size;
    let mut ask = header_str(headers, header::RANGE).map(|r| parse_range(r, size)).unwrap_or(RangeAsk::Full);
    if let Some(if_range) = header_str(headers, header::IF_RANGE)
        && parse_http_date(if_range).is_none_or(|t| modified_secs > t.timestamp())
    {
        ask = RangeAsk::Full;
    }
    let range = match ask {
        RangeAsk::Unsatisfiable => {
            let mut res = (StatusCode::RANGE_NOT_SATISFIABLE, "invalid range: failed to overlap\n").into_response();
            res.extensions_mut().insert(AllowFraming);
            for (k, v) in base.headers() {
                if k != header::CACHE_CONTROL {
                    res.headers_mut().insert(k.clone(), v.clone());
                }
            }
            set(&mut res, header::CONTENT_RANGE, &format!("bytes */{size}"));
            return Plan::Done(res);
        }
        RangeAsk::Part(r) => Some(r),
        RangeAsk::Full => None,
    };
    let served = range.clone().unwrap_or(0..size);
    set(&mut base, header::CONTENT_TYPE, content_type);
    set(&mut base, header::ACCEPT_RANGES, "bytes");
    set(&mut base, header::LAST_MODIFIED, &http_date(modified));
    set(&mut base, header::CONTENT_LENGTH, &(served.end - served.start).to_string());
    if range.is_some() {
        *base.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            &mut base,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{size}", served.start, served.end.saturating_sub(1)),
        );
    }
    if method == Method::HEAD || served.is_empty() {
        return Plan::Done(base);
    }
    Plan::Send(base, range, size)
}

/// Files up to this size are read in one go; bigger ones are streamed.
const READ_AT_ONCE: u64 = 4 << 20;

/// Answers with a local blob, reading it straight from the disk.
fn serve_local(
    path: &std::path::Path,
    key: &str,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    force_download: bool,
) -> ApiResult<Response> {
    use std::io::{Read, Seek, SeekFrom};
    let attrs = crate::core::files::storage::local_attributes(path).map_err(|_| ApiError::not_found())?;
    let (mut res, range, size) = match plan(&attrs, key, name, method, headers, force_download) {
        Plan::Done(res) => return Ok(res),
        Plan::Send(res, range, size) => (res, range, size),
    };
    let range = range.unwrap_or(0..size);
    let mut file = std::fs::File::open(path).map_err(|_| ApiError::not_found())?;
    if range.start > 0 {
        file.seek(SeekFrom::Start(range.start)).map_err(|_| ApiError::not_found())?;
    }
    let len = range.end - range.start;
    if len <= READ_AT_ONCE {
        let mut buf = Vec::with_capacity(len as usize);
        file.take(len).read_to_end(&mut buf).map_err(|_| ApiError::not_found())?;
        *res.body_mut() = Body::from(buf);
        return Ok(res);
    }
    let reader = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), len);
    *res.body_mut() = Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    Ok(res)
}

/// Serves a blob of any storage (fetched through the async API).
pub async fn serve(
    fs: &crate::core::files::Filesystem,
    key: &str,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    force_download: bool,
) -> ApiResult<Response> {
    let attrs = fs.attributes(key).await.map_err(|_| ApiError::not_found())?;
    let (mut res, range) = match plan(&attrs, key, name, method, headers, force_download) {
        Plan::Done(res) => return Ok(res),
        Plan::Send(res, range, _) => (res, range),
    };
    let opened = fs.open(key, range).await.map_err(|_| ApiError::not_found())?;
    let stream = opened.body.map(|chunk| chunk.map_err(std::io::Error::other));
    *res.body_mut() = Body::from_stream(stream);
    Ok(res)
}

/// `POST /api/files/token`: a short-lived file token for the signed-in record.
pub async fn token(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let auth = require_auth(app, &ctx)?;
        let req = ctx.request_info(app, Map::new());
        match app.file_token_request(&auth, &req)? {
            Some(token) => Ok(Json(json!({ "token": token })).into_response()),
            None => Ok(StatusCode::OK.into_response()),
        }
    })
    .await
}

/// `POST /api/settings/test/s3` (superusers): `{"filesystem": "storage"|"backups"}` → 204.
pub async fn test_s3(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let which = body.fields.get("filesystem").and_then(Value::as_str).unwrap_or_default().to_string();
        app.test_s3(&which)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_go() {
        let r = |h: &str| match parse_range(h, 100) {
            RangeAsk::Full => "full".to_string(),
            RangeAsk::Unsatisfiable => "416".to_string(),
            RangeAsk::Part(r) => format!("{}-{}", r.start, r.end),
        };
        assert_eq!(r("bytes=0-9"), "0-10");
        assert_eq!(r("bytes=90-"), "90-100");
        assert_eq!(r("bytes=-10"), "90-100");
        assert_eq!(r("bytes=50-500"), "50-100");
        assert_eq!(r("bytes=999-"), "416");
        assert_eq!(r("bytes=0-1,5-6"), "full");
        assert_eq!(r("items=0-1"), "full");
    }

    #[test]
    fn disposition_names_are_quoted() {
        assert_eq!(quote("a\"b.txt"), "\"a\\\"b.txt\"");
        assert_eq!(quote("x\ny"), "\"x\\x0ay\"");
    }
}
