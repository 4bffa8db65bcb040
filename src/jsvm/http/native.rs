//! The worker side of a route request: the `e.__native` object the JS
//! request event wraps (request data, lazily parsed body and auth, and
//! `next()` back to the built-in route), and turning what `__pb.serveHttp`
//! returns into a response description.

use std::cell::{Cell, RefCell};
use std::sync::mpsc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use rquickjs::class::Trace;
use rquickjs::{Array, Class, Ctx, Exception, Function, JsLifetime, Object, Value};
use serde_json::{Map, Value as Json};
use tokio::sync::mpsc::UnboundedSender;

use crate::core::auth::tokens::TokenType;
use crate::core::{App, Error};
use crate::jsvm::bindings::record::JsRecord;
use crate::jsvm::bindings::{convert, state};
use crate::jsvm::error::throw_core;
use crate::jsvm::runtime::Worker;

/// A request as the worker sees it.
pub(super) struct HttpRequest {
    pub method: String,
    pub uri: String,
    pub path: String,
    pub raw_query: String,
    pub host: String,
    pub headers: Vec<(String, String)>,
    pub remote_addr: String,
    pub remote_ip: String,
    pub token: Option<String>,
    pub content_type: String,
    pub body: Bytes,
    pub params: Vec<(String, String)>,
    /// `HTTP/1.1`, `HTTP/2.0`, …
    pub proto: String,
    /// The matched route as `METHOD /path/{param}` (`""` for middlewares only).
    pub pattern: String,
    /// For parsing multipart bodies on the worker thread.
    pub runtime: tokio::runtime::Handle,
}

/// What the worker reports back.
pub(super) enum HttpMsg {
    /// Run the built-in route; reply with its status.
    CallNext,
    Done(HttpOutcome),
}

/// The JS response (or error) of a request.
pub(super) struct HttpOutcome {
    pub error: Option<Error>,
    pub written: bool,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpOutcome {
    fn failed(error: Error) -> Self {
        HttpOutcome { error: Some(error), written: false, status: 0, headers: Vec::new(), body: Vec::new() }
    }
}

/// `e.__native` of a route request: request data plus the way back.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HttpNative")]
pub struct HttpNative {
    /// The engine's count of live route requests.
    #[qjs(skip_trace)]
    live: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    #[qjs(skip_trace)]
    req: HttpRequest,
    #[qjs(skip_trace)]
    app: App,
    #[qjs(skip_trace)]
    to_async: UnboundedSender<HttpMsg>,
    #[qjs(skip_trace)]
    from_async: mpsc::Receiver<u16>,
    #[qjs(skip_trace)]
    next_called: Cell<bool>,
    #[qjs(skip_trace)]
    body_cache: RefCell<Option<Json>>,
}

impl Drop for HttpNative {
    fn drop(&mut self) {
        self.live.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// `"1"` → 1, `"true"` → true, others stay strings (PocketBase's form guess).
fn guess(v: &str) -> Json {
    match v {
        "true" => return Json::Bool(true),
        "false" => return Json::Bool(false),
        _ => {}
    }
    if let Ok(i) = v.parse::<i64>()
        && i.to_string() == v
    {
        return Json::Number(i.into());
    }
    if let Ok(f) = v.parse::<f64>()
        && f.is_finite()
        && f.to_string() == v
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Json::Number(n);
    }
    Json::String(v.to_string())
}

fn insert_multi(m: &mut Map<String, Json>, k: String, v: Json) {
    match m.get_mut(&k) {
        Some(Json::Array(a)) => a.push(v),
        Some(existing) => {
            let prev = existing.take();
            *existing = Json::Array(vec![prev, v]);
        }
        None => {
            m.insert(k, v);
        }
    }
}

impl HttpNative {
    fn parse_body(&self) -> Result<Json, Error> {
        let bytes = &self.req.body;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Json::Object(Map::new()));
        }
        let ct = self.req.content_type.to_ascii_lowercase();
        let ct = ct.as_str();
        if ct.starts_with("application/x-www-form-urlencoded") || ct.starts_with("multipart/form-data") {
            let mut m = Map::new();
            for (k, v) in self.form_pairs()? {
                if k == "@jsonPayload" && ct.starts_with("multipart/form-data") {
                    if let Ok(Json::Object(payload)) = serde_json::from_str::<Json>(&v) {
                        m.extend(payload);
                    }
                    continue;
                }
                insert_multi(&mut m, k, guess(&v));
            }
            return Ok(Json::Object(m));
        }
        match serde_json::from_slice::<Json>(bytes) {
            Ok(Json::Object(m)) => Ok(Json::Object(m)),
            _ => Err(Error::bad_input()),
        }
    }

    /// The (name, value) text fields of a form body, urlencoded or
    /// multipart (files left out), in order; none for other bodies.
    fn form_pairs(&self) -> Result<Vec<(String, String)>, Error> {
        let ct = self.req.content_type.to_ascii_lowercase();
        let ct = ct.as_str();
        if ct.starts_with("application/x-www-form-urlencoded") {
            return Ok(form_urlencoded::parse(&self.req.body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect());
        }
        if !ct.starts_with("multipart/form-data") || self.req.body.is_empty() {
            return Ok(Vec::new());
        }
        let req = Request::builder()
            .header(header::CONTENT_TYPE, self.req.content_type.as_str())
            .body(Body::from(self.req.body.clone()))
            .map_err(|_| Error::bad_input())?;
        self.req.runtime.block_on(async move {
            let mut mp = Multipart::from_request(req, &()).await.map_err(|_| Error::bad_input())?;
            let mut out = Vec::new();
            while let Some(field) = mp.next_field().await.map_err(|_| Error::bad_input())? {
                let name = field.name().unwrap_or_default().to_string();
                if field.file_name().is_some() {
                    continue;
                }
                let text = field.text().await.map_err(|_| Error::bad_input())?;
                out.push((name, text));
            }
            Ok(out)
        })
    }
}

impl HttpNative {
    /// The files of a multipart body uploaded under `key`, in order.
    fn uploads(&self, key: &str) -> Result<Vec<crate::core::files::File>, Error> {
        if !self.req.content_type.to_ascii_lowercase().starts_with("multipart/form-data") || self.req.body.is_empty() {
            return Ok(Vec::new());
        }
        let req = Request::builder()
            .header(header::CONTENT_TYPE, self.req.content_type.as_str())
            .body(Body::from(self.req.body.clone()))
            .map_err(|_| Error::bad_input())?;
        self.req.runtime.block_on(async move {
            let mut mp = Multipart::from_request(req, &()).await.map_err(|_| Error::bad_input())?;
            let mut out = Vec::new();
            while let Some(field) = mp.next_field().await.map_err(|_| Error::bad_input())? {
                let Some(file_name) = field.file_name().map(str::to_string) else {
                    continue;
                };
                if field.name() != Some(key) {
                    continue;
                }
                let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| Error::bad_input())?;
                out.push(crate::core::files::File::from_upload(bytes, &base));
            }
            Ok(out)
        })
    }
}

/// `{name: value}` of header-like pairs (repeated names joined with `, `).
pub(crate) fn pairs_object<'js>(ctx: &Ctx<'js>, pairs: &[(String, String)]) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    for (k, v) in pairs {
        match obj.get::<_, Option<String>>(k.as_str())? {
            Some(prev) => obj.set(k.as_str(), format!("{prev}, {v}"))?,
            None => obj.set(k.as_str(), v.as_str())?,
        }
    }
    Ok(obj)
}

#[rquickjs::methods(rename_all = "camelCase")]
impl HttpNative {
    #[qjs(get)]
    pub fn method(&self) -> String {
        self.req.method.clone()
    }

    #[qjs(get)]
    pub fn uri(&self) -> String {
        self.req.uri.clone()
    }

    #[qjs(get)]
    pub fn path(&self) -> String {
        self.req.path.clone()
    }

    #[qjs(get)]
    pub fn raw_query(&self) -> String {
        self.req.raw_query.clone()
    }

    #[qjs(get)]
    pub fn host(&self) -> String {
        self.req.host.clone()
    }

    #[qjs(get)]
    pub fn remote_addr(&self) -> String {
        self.req.remote_addr.clone()
    }

    #[qjs(get)]
    pub fn remote_ip(&self) -> String {
        self.req.remote_ip.clone()
    }

    #[qjs(get)]
    pub fn content_length(&self) -> usize {
        self.req.body.len()
    }

    #[qjs(get)]
    pub fn headers<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        pairs_object(&ctx, &self.req.headers)
    }

    #[qjs(get)]
    pub fn params<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        pairs_object(&ctx, &self.req.params)
    }

    pub fn body_size(&self) -> usize {
        self.req.body.len()
    }

    #[qjs(get)]
    pub fn proto(&self) -> String {
        self.req.proto.clone()
    }

    #[qjs(get)]
    pub fn pattern(&self) -> String {
        self.req.pattern.clone()
    }

    /// The body bytes as sent.
    pub fn raw_body<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<rquickjs::Array<'js>> {
        let arr = rquickjs::Array::new(ctx)?;
        for (i, b) in self.req.body.iter().enumerate() {
            arr.set(i, i32::from(*b))?;
        }
        Ok(arr)
    }

    /// The text fields of a form body as `[name, value]` pairs (values
    /// as sent, not type-guessed); a malformed multipart body throws 400.
    /// `e.findUploadedFiles(key)` of a route: the files uploaded under `key`.
    #[qjs(rename = "uploadedFiles")]
    pub fn uploaded_files_js<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<Array<'js>> {
        let files = self.uploads(&key).map_err(|e| throw_core(&ctx, e))?;
        let arr = Array::new(ctx.clone())?;
        for (i, f) in files.into_iter().enumerate() {
            arr.set(i, crate::jsvm::bindings::files::JsFile::instance(&ctx, std::sync::Arc::new(f))?)?;
        }
        Ok(arr)
    }

    #[qjs(rename = "formPairs")]
    pub fn form_pairs_js<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Vec<Vec<String>>> {
        let pairs = self.form_pairs().map_err(|e| throw_core(&ctx, e))?;
        Ok(pairs.into_iter().map(|(k, v)| vec![k, v]).collect())
    }

    /// The parsed body (`e.requestInfo().body`); a body that is not a JSON
    /// object or a form throws PocketBase's generic 400.
    pub fn body<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let cached = self.body_cache.borrow().clone();
        let body = match cached {
            Some(b) => b,
            None => {
                let parsed = self.parse_body().map_err(|e| throw_core(&ctx, e))?;
                *self.body_cache.borrow_mut() = Some(parsed.clone());
                parsed
            }
        };
        convert::to_js(&ctx, &body)
    }

    /// The auth record of the request token (`null` for guests and bad tokens).
    pub fn auth<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let found = self.req.token.as_deref().and_then(|t| self.app.find_auth_record_by_token(t, TokenType::Auth).ok());
        match found {
            Some(r) => JsRecord::instance(&ctx, r),
            None => Ok(Value::new_null(ctx)),
        }
    }

    /// Runs the built-in route (only once per request).
    pub fn next<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<()> {
        if self.next_called.replace(true) {
            return Ok(());
        }
        // hooks of the built-in route must not queue behind this worker
        let _parked = crate::jsvm::pool::HttpParkGuard::enter();
        if self.to_async.send(HttpMsg::CallNext).is_err() {
            return Err(Exception::throw_message(&ctx, "the request was cancelled"));
        }
        let budget = state(&ctx)?.budget.clone();
        match budget.paused(|| self.from_async.recv()) {
            Ok(_) => Ok(()),
            Err(_) => Err(Exception::throw_message(&ctx, "the request was cancelled")),
        }
    }
}

pub(super) fn run_on_worker(
    w: &Worker,
    route: Option<usize>,
    req: HttpRequest,
    to_async: UnboundedSender<HttpMsg>,
    from_async: mpsc::Receiver<u16>,
    label: &str,
    live: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let reply = to_async.clone();
    let outcome = w.run(|ctx, w| {
        let app = match state(ctx) {
            Ok(s) => s.app.clone(),
            Err(e) => return HttpOutcome::failed(Error::Internal(e.to_string())),
        };
        live.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let native = HttpNative {
            live,
            req,
            app,
            to_async,
            from_async,
            next_called: Cell::new(false),
            body_cache: RefCell::new(None),
        };
        match serve(ctx, route, native) {
            Ok(res) => outcome_of(ctx, w, &res, label),
            Err(e) => HttpOutcome::failed(w.error_of(ctx, e, label)),
        }
    });
    let _ = reply.send(HttpMsg::Done(outcome));
}

fn serve<'js>(ctx: &Ctx<'js>, route: Option<usize>, native: HttpNative) -> rquickjs::Result<Object<'js>> {
    let native = Class::instance(ctx.clone(), native)?;
    let pb: Object = ctx.globals().get("__pb")?;
    let serve: Function = pb.get("serveHttp")?;
    let index = route.map_or(-1.0, |i| i as f64);
    let out: Object = serve.call((index, native))?;
    // let async handlers settle (timers, fetches) before reading the response
    let handler = out.clone();
    let pending = move || handler.get::<_, bool>("pending").unwrap_or(false);
    crate::jsvm::event_loop::drive(ctx, &pending)?;
    if pending() {
        return Err(crate::jsvm::event_loop::never_settled(ctx));
    }
    let finish: Function = pb.get("finishHttp")?;
    finish.call((out,))
}

fn outcome_of<'js>(ctx: &Ctx<'js>, w: &Worker, res: &Object<'js>, label: &str) -> HttpOutcome {
    let headers: Vec<(String, String)> = res
        .get::<_, Array>("headers")
        .map(|a| {
            a.iter::<Vec<String>>()
                .filter_map(Result::ok)
                .filter_map(|kv| match kv.as_slice() {
                    [k, v] => Some((k.clone(), v.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if res.get::<_, bool>("failed").unwrap_or(false) {
        let thrown: Value = res.get("error").unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
        let mut out = HttpOutcome::failed(w.error_of_thrown(ctx, &thrown, label));
        out.headers = headers;
        return out;
    }
    let mut body = Vec::new();
    if let Ok(chunks) = res.get::<_, Array>("body") {
        for chunk in chunks.iter::<Value>().filter_map(Result::ok) {
            append_chunk(&mut body, chunk);
        }
    }
    HttpOutcome {
        error: None,
        written: res.get("written").unwrap_or(false),
        status: res.get::<_, f64>("status").map_or(200, |s| s as u16),
        headers,
        body,
    }
}

/// A response body chunk: a string, an array of bytes, or a byte buffer.
fn append_chunk(body: &mut Vec<u8>, chunk: Value<'_>) {
    if let Some(s) = chunk.as_string().and_then(|s| s.to_string().ok()) {
        body.extend_from_slice(s.as_bytes());
        return;
    }
    match convert::to_json(chunk) {
        Ok(Json::Array(items)) => body.extend(items.iter().filter_map(Json::as_u64).map(|b| b as u8)),
        Ok(Json::String(s)) => body.extend_from_slice(s.as_bytes()),
        Ok(Json::Null) | Err(_) => {}
        Ok(other) => body.extend_from_slice(other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_type_guessed() {
        assert_eq!(guess("1"), Json::from(1));
        assert_eq!(guess("1.5"), Json::from(1.5));
        assert_eq!(guess("true"), Json::Bool(true));
        assert_eq!(guess("007"), Json::from("007"));
        assert_eq!(guess(""), Json::from(""));
    }
}
