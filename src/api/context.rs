//! Request plumbing shared by handlers: app state, the auth token, the
//! `@request` info, body parsing (JSON, multipart with `@jsonPayload`,
//! urlencoded) and running core calls off the async threads.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Multipart, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use crate::core::App;
use crate::core::auth::tokens::TokenType;
use crate::core::records::Record;
use crate::core::request::{HttpMeta, RequestInfo};

/// Shared state of the HTTP server.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Maximum accepted request body in bytes.
    pub body_limit: usize,
}

/// Runs a blocking core call on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("handler panicked: {e}");
            Err(ApiError::new(500, "Something went wrong while processing your request."))
        }
    }
}

/// Runs a short core call right on the async thread when `cheap` (a read
/// by id with no hooks to wait for), otherwise on the blocking pool. A
/// thread hop costs tens of microseconds here, more than the read itself.
/// The async thread never waits for a database connection: when none is
/// idle, the call moves to the blocking pool.
pub async fn inline_if<T: Send + 'static>(
    cheap: bool,
    f: impl FnOnce() -> ApiResult<T> + Clone + Send + 'static,
) -> ApiResult<T> {
    if cheap && let Some(out) = crate::db::never_wait(f.clone()) {
        return out;
    }
    blocking(f).await
}

/// What every handler needs to know about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub method: Method,
    pub token: Option<String>,
    pub query: Arc<Map<String, Value>>,
    pub raw_query: String,
    pub headers: Arc<Map<String, Value>>,
    pub remote_ip: String,
    /// The request as hooks see it (`e.request`).
    pub http: Arc<HttpMeta>,
    /// The auth record verified by the request guard, when it ran.
    pub loaded_auth: Option<Option<Arc<Record>>>,
}

/// Where request hooks leave the headers they set on `e.response` and the
/// response they wrote (`e.json(...)`); put into the request extensions by
/// [`hook_response_headers`].
#[derive(Clone, Default)]
pub struct ResponseHeaderSink(
    pub Arc<Mutex<Vec<(String, String)>>>,
    pub Arc<Mutex<Option<crate::core::request::WrittenResponse>>>,
);

/// Adds the headers that request hooks set with `e.response.header()` to
/// the response of the built-in API route; a response a hook wrote replaces
/// the route's.
pub async fn hook_response_headers(mut req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let sink = ResponseHeaderSink::default();
    req.extensions_mut().insert(sink.clone());
    let mut res = next.run(req).await;
    if let Some(w) = sink.1.lock().ok().and_then(|mut w| w.take()) {
        let status = axum::http::StatusCode::from_u16(w.status).unwrap_or(axum::http::StatusCode::OK);
        res = axum::response::IntoResponse::into_response((status, Body::from(w.body)));
    }
    let pairs = sink.0.lock().map(|mut h| std::mem::take(&mut *h)).unwrap_or_default();
    let mut replaced = Vec::new();
    for (k, v) in pairs {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v.as_str())) else {
            continue;
        };
        // a hook's value replaces the route's; repeated names add up
        if replaced.contains(&name) {
            res.headers_mut().append(name, value);
        } else {
            res.headers_mut().insert(name.clone(), value);
            replaced.push(name);
        }
    }
    res
}

impl Ctx {
    /// A query parameter as string ("" when absent).
    pub fn q(&self, name: &str) -> &str {
        self.query.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    /// `?page&perPage&sort&filter&skipTotal` of a list request; a value
    /// that is not an integer (or a boolean for `skipTotal`) is a 400, as
    /// in PocketBase. Zero or negative numbers mean the default.
    pub fn list_query(&self) -> ApiResult<crate::core::records::query::ListQuery> {
        let int = |name: &str| -> ApiResult<i64> {
            match self.q(name) {
                "" => Ok(0),
                v => v.parse().map_err(|_| ApiError::bad_request()),
            }
        };
        let skip_total = match self.q("skipTotal") {
            "" | "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
            "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
            _ => return Err(ApiError::bad_request()),
        };
        Ok(crate::core::records::query::ListQuery {
            page: int("page")?,
            per_page: int("perPage")?,
            sort: self.q("sort").to_string(),
            filter: self.q("filter").to_string(),
            skip_total,
        })
    }

    /// Resolves the token (invalid tokens act as guests) into `@request` info.
    pub fn request_info(&self, app: &App, body: Map<String, Value>) -> RequestInfo {
        RequestInfo {
            method: self.method.as_str().to_string(),
            context: "default".into(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body,
            auth: self.auth(app),
            http: Some(self.http.clone()),
        }
    }

    /// The authenticated record, if the token is valid.
    pub fn auth(&self, app: &App) -> Option<Arc<Record>> {
        if let Some(loaded) = &self.loaded_auth {
            return loaded.clone();
        }
        let token = self.token.as_deref()?;
        app.find_auth_record_by_token(token, TokenType::Auth).ok().map(Arc::new)
    }
}

/// Reads the `Authorization` header, with or without `Bearer `.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let t = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Query string → map (last value wins, like PocketBase's `@request.query`).
pub fn parse_query(raw: &str) -> Map<String, Value> {
    form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect()
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw_query = parts.uri.query().unwrap_or_default().to_string();
        let headers: Map<String, Value> = parts
            .headers
            .iter()
            .map(|(k, v)| {
                (k.as_str().to_lowercase().replace('-', "_"), Value::String(v.to_str().unwrap_or_default().to_string()))
            })
            .collect();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let remote_ip = match parts.extensions.get::<super::middleware::RealIp>() {
            Some(real) => real.0.clone(),
            None => peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        };
        let params = match RawPathParams::from_request_parts(parts, state).await {
            Ok(p) => p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            Err(_) => Vec::new(),
        };
        let header = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let http = HttpMeta {
            method: parts.method.to_string(),
            uri: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_else(|| parts.uri.path().to_string()),
            path: parts.uri.path().to_string(),
            raw_query: raw_query.clone(),
            host: header(header::HOST).unwrap_or_default().to_string(),
            remote_addr: peer.map(|p| p.to_string()).unwrap_or_default(),
            remote_ip: remote_ip.clone(),
            content_length: header(header::CONTENT_LENGTH).and_then(|v| v.parse().ok()).unwrap_or(0),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect(),
            params,
            response_headers: parts.extensions.get::<ResponseHeaderSink>().map(|s| s.0.clone()).unwrap_or_default(),
            written: parts.extensions.get::<ResponseHeaderSink>().map(|s| s.1.clone()).unwrap_or_default(),
        };
        Ok(Ctx {
            method: parts.method.clone(),
            token: token_from_headers(&parts.headers),
            query: Arc::new(parse_query(&raw_query)),
            raw_query,
            headers: Arc::new(headers),
            remote_ip,
            http: Arc::new(http),
            loaded_auth: parts.extensions.get::<super::middleware::LoadedAuth>().map(|a| a.0.clone()),
        })
    }
}

/// One uploaded file of a multipart body.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
}

/// A parsed request body: fields plus uploaded files.
#[derive(Debug, Default, Clone)]
pub struct BodyData {
    pub fields: Map<String, Value>,
    pub files: Vec<UploadedFile>,
}

fn too_large() -> ApiError {
    ApiError::new(413, "Request entity too large")
}

fn insert_multi(m: &mut Map<String, Value>, k: String, v: Value) {
    match m.get_mut(&k) {
        Some(Value::Array(a)) => a.push(v),
        Some(existing) => {
            let prev = existing.take();
            *existing = json!([prev, v]);
        }
        None => {
            m.insert(k, v);
        }
    }
}

impl FromRequest<AppState> for BodyData {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        BodyData::read(req, state, state.body_limit).await
    }
}

impl BodyData {
    /// Reads a JSON, urlencoded or multipart body of at most `limit` bytes.
    pub async fn read(req: Request, state: &AppState, limit: usize) -> ApiResult<Self> {
        let ct =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase();
        if ct.starts_with("multipart/form-data") {
            return read_multipart(req, state, limit).await;
        }
        let bytes = to_bytes(req.into_body(), limit).await.map_err(|_| too_large())?;
        // PocketBase binds a body by its Content-Type; no body needs none
        if bytes.is_empty() {
            return Ok(BodyData::default());
        }
        if ct.starts_with("application/x-www-form-urlencoded") {
            let mut fields = Map::new();
            for (k, v) in form_urlencoded::parse(&bytes) {
                insert_multi(&mut fields, k.into_owned(), Value::String(v.into_owned()));
            }
            return Ok(BodyData { fields, files: vec![] });
        }
        if !ct.starts_with("application/json") {
            // XML is bound by PocketBase but never into record data
            let xml = ct.starts_with("application/xml") || ct.starts_with("text/xml");
            return Err(if xml { ApiError::bad_request() } else { ApiError::new(400, "Unsupported Content-Type") });
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(fields)) => Ok(BodyData { fields, files: vec![] }),
            _ => Err(ApiError::bad_request()),
        }
    }
}

async fn read_multipart(req: Request, state: &AppState, limit: usize) -> ApiResult<BodyData> {
    let (parts, body) = req.into_parts();
    let limited = Body::new(http_body_util::Limited::new(body, limit));
    let req = Request::from_parts(parts, limited);
    let mut mp = Multipart::from_request(req, state).await.map_err(|_| ApiError::bad_request())?;
    let mut data = BodyData::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(if e.body_text().contains("length limit") { too_large() } else { ApiError::bad_request() });
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| if e.body_text().contains("length limit") { too_large() } else { ApiError::bad_request() })?;
        match filename {
            Some(filename) => data.files.push(UploadedFile { field: name, filename, content_type, bytes }),
            None if name == "@jsonPayload" => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => data.fields.extend(m),
                _ => return Err(ApiError::bad_request()),
            },
            None => insert_multi(&mut data.fields, name, Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(data)
}

/// The caller must be a superuser: 401 without a valid token, 403 for others.
pub fn require_superuser(app: &App, ctx: &Ctx) -> ApiResult<Arc<Record>> {
    let auth = ctx.auth(app).ok_or_else(ApiError::unauthorized)?;
    if !auth.is_superuser() {
        return Err(ApiError::forbidden());
    }
    Ok(auth)
}

/// The caller must be authenticated (any auth record).
pub fn require_auth(app: &App, ctx: &Ctx) -> ApiResult<Arc<Record>> {
    ctx.auth(app).ok_or_else(ApiError::unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_optional() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().expect("header"));
        assert_eq!(token_from_headers(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, "xyz".parse().expect("header"));
        assert_eq!(token_from_headers(&h).as_deref(), Some("xyz"));
    }
}
