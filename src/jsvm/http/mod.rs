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

mod native;
pub(crate) use native::pairs_object;
mod routes;

use std::net::SocketAddr;
use std::sync::mpsc;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use self::native::{HttpMsg, HttpOutcome, HttpRequest, run_on_worker};
pub use self::routes::{JsRoute, RouteTable};
use super::JsEngine;
use super::error::GENERIC_MESSAGE;
use super::runtime::Worker;
use crate::api::context::token_from_headers;
use crate::api::error::ApiError;

/// State of the axum middleware.
#[derive(Clone)]
pub struct JsHttp {
    pub engine: JsEngine,
    /// Largest body buffered for JS.
    pub body_limit: usize,
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
        remote_ip: match parts.extensions.get::<crate::api::middleware::RealIp>() {
            Some(real) => real.0.clone(),
            None => remote.map(|r| r.ip().to_string()).unwrap_or_default(),
        },
        token: token_from_headers(&parts.headers),
        // as sent: a multipart boundary is case-sensitive (browsers mix cases)
        content_type: header(header::CONTENT_TYPE),
        body: body.clone(),
        params: route.as_ref().map(|r| r.params.clone()).unwrap_or_default(),
        proto: format!("{:?}", parts.version),
        pattern: route
            .as_ref()
            .and_then(|r| pool.registry.routes.get(r.index))
            .map(|r| format!("{} {}", r.method, r.path))
            .unwrap_or_default(),
        runtime: tokio::runtime::Handle::current(),
    };
    let route_index = route.map(|r| r.index);
    let label = match route_index {
        Some(i) => pool.registry.routes.get(i).map(|r| format!("route {} {}", r.method, r.path)).unwrap_or_default(),
        None => "routerUse middleware".to_string(),
    };
    let (to_async, mut from_worker) = tokio::sync::mpsc::unbounded_channel::<HttpMsg>();
    let (to_worker, from_async) = mpsc::channel::<u16>();
    let live = js.engine.live_counter();
    pool.submit(Box::new(move |w: &Worker| run_on_worker(w, route_index, data, to_async, from_async, &label, live)));
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
