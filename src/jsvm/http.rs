//! JS routes (`routerAdd`) and global middlewares (`routerUse`) in axum.
//!
//! One axum middleware sees every request. Built-in routes win over JS
//! routes (a JS catch-all never shadows `/api/...`), JS routes win over the
//! JSON 404 and static files. When a JS route matches or `routerUse`
//! middlewares exist, the body is buffered and the request becomes one job
//! on a JS worker, which runs global + route middlewares sorted by priority
//! and then the handler. For a request no JS route handles, the last
//! middleware's `e.next()` asks this side to run the built-in route (the
//! worker waits meanwhile); its response goes out with the headers JS set.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use rquickjs::class::Trace;
use rquickjs::{Array, Class, Ctx, Exception, Function, JsLifetime, Object, Value};
use serde_json::{Map, Value as Json};
use tokio::sync::mpsc::UnboundedSender;

use super::JsEngine;
use super::bindings::record::JsRecord;
use super::bindings::{convert, state};
use super::error::{GENERIC_MESSAGE, throw_core};
use super::registry::RouteDef;
use super::runtime::Worker;
use crate::api::context::token_from_headers;
use crate::api::error::ApiError;
use crate::core::auth::tokens::TokenType;
use crate::core::{App, Error};

/// Name of the catch-all param added for Go-style trailing-slash prefixes.
const REST_PARAM: &str = "__pbrest";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Builtin,
    Js(usize),
}

/// A matched JS route.
#[derive(Debug, Clone, PartialEq)]
pub struct JsRoute {
    pub index: usize,
    /// Decoded path values.
    pub params: Vec<(String, String)>,
}

/// JS routes per method, sharing a matcher with the built-in paths so the
/// most specific pattern wins and built-ins win ties.
#[derive(Default)]
pub struct RouteTable {
    by_method: HashMap<String, matchit::Router<Target>>,
}

/// Go `net/http` pattern → matchit patterns: `{name...}` is a catch-all
/// (also matching empty), a trailing `/` a prefix, `{$}` an exact end.
fn matchit_patterns(path: &str) -> Vec<String> {
    // host-bound patterns ("example.com/x") are served for any host
    let path = match path.find('/') {
        Some(0) => path,
        Some(i) => &path[i..],
        None => return Vec::new(),
    };
    if let Some(exact) = path.strip_suffix("{$}") {
        return vec![exact.to_string()];
    }
    if let Some(start) = path.rfind("/{")
        && let Some(name) = path[start + 2..].strip_suffix("...}")
    {
        let prefix = &path[..=start];
        return vec![format!("{prefix}{{*{name}}}"), prefix.to_string()];
    }
    if path.ends_with('/') {
        return vec![path.to_string(), format!("{path}{{*{REST_PARAM}}}")];
    }
    vec![path.to_string()]
}

impl RouteTable {
    /// Builds the matchers; JS routes clashing with a built-in or an
    /// earlier JS route are skipped with a warning.
    pub fn build(routes: &[RouteDef]) -> RouteTable {
        let builtin = crate::api::builtin_route_paths();
        let mut by_method: HashMap<String, matchit::Router<Target>> = HashMap::new();
        for (i, r) in routes.iter().enumerate() {
            let router = by_method.entry(r.method.clone()).or_insert_with(|| {
                let mut m = matchit::Router::new();
                for p in &builtin {
                    let _ = m.insert(*p, Target::Builtin);
                }
                m
            });
            for pattern in matchit_patterns(&r.path) {
                if let Err(e) = router.insert(pattern.as_str(), Target::Js(i)) {
                    tracing::warn!("routerAdd({} {}) is ignored: {e}", r.method, r.path);
                }
            }
        }
        RouteTable { by_method }
    }

    /// Whether no JS route exists.
    pub fn is_empty(&self) -> bool {
        self.by_method.is_empty()
    }

    /// The JS route for a request; `HEAD` falls back to `GET` routes.
    pub fn find(&self, method: &str, path: &str) -> Option<JsRoute> {
        let at =
            |m: &str| self.by_method.get(m).and_then(|r| r.at(path).ok()).map(|found| (*found.value, found.params));
        let (target, params) = match at(method) {
            Some(found) => found,
            None if method == "HEAD" => at("GET")?,
            None => return None,
        };
        let Target::Js(index) = target else {
            return None;
        };
        let params = params
            .iter()
            .filter(|(k, _)| *k != REST_PARAM)
            .map(|(k, v)| (k.to_string(), percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        Some(JsRoute { index, params })
    }
}

/// State of the axum middleware.
#[derive(Clone)]
pub struct JsHttp {
    pub engine: JsEngine,
    /// Largest body buffered for JS.
    pub body_limit: usize,
}

/// A request as the worker sees it.
struct HttpRequest {
    method: String,
    uri: String,
    path: String,
    raw_query: String,
    host: String,
    headers: Vec<(String, String)>,
    remote_addr: String,
    remote_ip: String,
    token: Option<String>,
    content_type: String,
    body: Bytes,
    params: Vec<(String, String)>,
    runtime: tokio::runtime::Handle,
}

/// What the worker reports back.
enum HttpMsg {
    /// Run the built-in route; reply with its status.
    CallNext,
    Done(HttpOutcome),
}

struct HttpOutcome {
    error: Option<Error>,
    written: bool,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpOutcome {
    fn failed(error: Error) -> Self {
        HttpOutcome { error: Some(error), written: false, status: 0, headers: Vec::new(), body: Vec::new() }
    }
}

/// The axum middleware (see the module doc).
pub async fn middleware(State(js): State<JsHttp>, req: Request, next: Next) -> Response {
    let Some(pool) = js.engine.pool() else {
        return next.run(req).await;
    };
    let route = if pool.routes.is_empty() { None } else { pool.routes.find(req.method().as_str(), req.uri().path()) };
    if route.is_none() && pool.registry.middlewares == 0 {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, js.body_limit).await {
        Ok(b) => b,
        Err(_) => return ApiError::new(413, "Request entity too large").into_response(),
    };
    let header = |name: header::HeaderName| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    let remote = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let data = HttpRequest {
        method: parts.method.as_str().to_string(),
        uri: parts.uri.to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        host: match header(header::HOST) {
            h if h.is_empty() => parts.uri.host().unwrap_or_default().to_string(),
            h => h,
        },
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        remote_addr: remote.map(|r| r.to_string()).unwrap_or_default(),
        remote_ip: remote.map(|r| r.ip().to_string()).unwrap_or_default(),
        token: token_from_headers(&parts.headers),
        content_type: header(header::CONTENT_TYPE).to_lowercase(),
        body: body.clone(),
        params: route.as_ref().map(|r| r.params.clone()).unwrap_or_default(),
        runtime: tokio::runtime::Handle::current(),
    };
    let route_index = route.map(|r| r.index);
    let label = match route_index {
        Some(i) => pool.registry.routes.get(i).map(|r| format!("route {} {}", r.method, r.path)).unwrap_or_default(),
        None => "routerUse middleware".to_string(),
    };
    let (to_async, mut from_worker) = tokio::sync::mpsc::unbounded_channel::<HttpMsg>();
    let (to_worker, from_async) = mpsc::channel::<u16>();
    pool.submit(Box::new(move |w: &Worker| run_on_worker(w, route_index, data, to_async, from_async, &label)));
    drop(pool);

    let mut pending = Some((parts, next));
    let mut downstream: Option<Response> = None;
    while let Some(msg) = from_worker.recv().await {
        match msg {
            HttpMsg::CallNext => {
                let status = match pending.take() {
                    Some((parts, next)) => {
                        let res = next.run(Request::from_parts(parts, Body::from(body.clone()))).await;
                        let status = res.status().as_u16();
                        downstream = Some(res);
                        status
                    }
                    None => 0,
                };
                let _ = to_worker.send(status);
            }
            HttpMsg::Done(out) => return respond(out, downstream),
        }
    }
    tracing::error!("a JS worker stopped without answering the request");
    ApiError::new(500, GENERIC_MESSAGE).into_response()
}

fn add_headers(res: &mut Response, headers: Vec<(String, String)>, overwrite: bool) {
    let h = res.headers_mut();
    for (k, v) in headers {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v.as_str())) else {
            continue;
        };
        if overwrite {
            h.append(name, value);
        } else if !h.contains_key(&name) {
            h.insert(name, value);
        }
    }
}

fn respond(out: HttpOutcome, downstream: Option<Response>) -> Response {
    if let Some(mut res) = downstream {
        if let Some(err) = out.error {
            tracing::warn!("a JS middleware failed after the response was sent: {err}");
        }
        add_headers(&mut res, out.headers, false);
        return res;
    }
    if let Some(err) = out.error {
        let mut res = ApiError::from(err).into_response();
        add_headers(&mut res, out.headers, false);
        return res;
    }
    let status = if out.written { StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK) } else { StatusCode::OK };
    let mut res = (status, Body::from(out.body)).into_response();
    add_headers(&mut res, out.headers, true);
    res
}

// ---------------------------------------------------------------------------
// worker side

/// `e.__native` of a route request: request data plus the way back.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HttpNative")]
pub struct HttpNative {
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
        let ct = self.req.content_type.as_str();
        if ct.starts_with("application/x-www-form-urlencoded") {
            let mut m = Map::new();
            for (k, v) in form_urlencoded::parse(bytes) {
                insert_multi(&mut m, k.into_owned(), guess(&v));
            }
            return Ok(Json::Object(m));
        }
        if ct.starts_with("multipart/form-data") {
            return self.parse_multipart();
        }
        match serde_json::from_slice::<Json>(bytes) {
            Ok(Json::Object(m)) => Ok(Json::Object(m)),
            _ => Err(Error::bad_input()),
        }
    }

    /// Text fields of a multipart body (files are not part of the body info).
    fn parse_multipart(&self) -> Result<Json, Error> {
        let req = Request::builder()
            .header(header::CONTENT_TYPE, self.req.content_type.as_str())
            .body(Body::from(self.req.body.clone()))
            .map_err(|_| Error::bad_input())?;
        self.req.runtime.block_on(async move {
            let mut mp = Multipart::from_request(req, &()).await.map_err(|_| Error::bad_input())?;
            let mut m = Map::new();
            while let Some(field) = mp.next_field().await.map_err(|_| Error::bad_input())? {
                let name = field.name().unwrap_or_default().to_string();
                if field.file_name().is_some() {
                    continue;
                }
                let text = field.text().await.map_err(|_| Error::bad_input())?;
                if name == "@jsonPayload" {
                    if let Ok(Json::Object(payload)) = serde_json::from_str::<Json>(&text) {
                        m.extend(payload);
                    }
                    continue;
                }
                insert_multi(&mut m, name, guess(&text));
            }
            Ok(Json::Object(m))
        })
    }
}

fn pairs_object<'js>(ctx: &Ctx<'js>, pairs: &[(String, String)]) -> rquickjs::Result<Object<'js>> {
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

fn run_on_worker(
    w: &Worker,
    route: Option<usize>,
    req: HttpRequest,
    to_async: UnboundedSender<HttpMsg>,
    from_async: mpsc::Receiver<u16>,
    label: &str,
) {
    let reply = to_async.clone();
    let outcome = w.run(|ctx, w| {
        let app = match state(ctx) {
            Ok(s) => s.app.clone(),
            Err(e) => return HttpOutcome::failed(Error::Internal(e.to_string())),
        };
        let native = HttpNative {
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
    // let async handlers settle before reading the response
    while ctx.execute_pending_job() {}
    let finish: Function = out.get("finish")?;
    finish.call(())
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
    fn go_patterns_become_matchit_patterns() {
        assert_eq!(matchit_patterns("/hello/{name}"), ["/hello/{name}"]);
        assert_eq!(matchit_patterns("/files/{path...}"), ["/files/{*path}", "/files/"]);
        assert_eq!(matchit_patterns("/x/{$}"), ["/x/"]);
        assert_eq!(matchit_patterns("/pre/"), ["/pre/", "/pre/{*__pbrest}"]);
        assert_eq!(matchit_patterns("example.com/a"), ["/a"]);
    }

    #[test]
    fn builtins_win_and_params_are_decoded() {
        let routes = vec![
            RouteDef { method: "GET".into(), path: "/hello/{name}".into() },
            RouteDef { method: "GET".into(), path: "/{path...}".into() },
            RouteDef { method: "GET".into(), path: "/api/health".into() },
        ];
        let t = RouteTable::build(&routes);
        let hello = t.find("GET", "/hello/Zo%C3%AB").expect("hello matches");
        assert_eq!(hello.index, 0);
        assert_eq!(hello.params, [("name".to_string(), "Zoë".to_string())]);
        assert_eq!(t.find("HEAD", "/hello/x").map(|r| r.index), Some(0));
        assert_eq!(t.find("GET", "/some/page").map(|r| r.index), Some(1));
        assert_eq!(t.find("GET", "/api/health"), None, "built-in route wins");
        assert_eq!(t.find("GET", "/api/collections/x/records"), None);
        assert_eq!(t.find("POST", "/hello/x"), None);
    }

    #[test]
    fn form_values_are_type_guessed() {
        assert_eq!(guess("1"), Json::from(1));
        assert_eq!(guess("1.5"), Json::from(1.5));
        assert_eq!(guess("true"), Json::Bool(true));
        assert_eq!(guess("007"), Json::from("007"));
        assert_eq!(guess(""), Json::from(""));
    }
}
