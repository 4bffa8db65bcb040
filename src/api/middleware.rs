//! Cross-cutting HTTP behaviour: security headers, request logging into
//! `_logs`, panic safety, CORS.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use super::context::{AppState, token_from_headers};
use crate::core::auth::tokens;
use crate::core::logs::{RequestLog, level};

/// Adds PocketBase's security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-xss-protection", HeaderValue::from_static("1; mode=block"));
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    res
}

/// Marks a response whose success is not logged (PocketBase's
/// `SkipSuccessActivityLog`, e.g. realtime connections).
#[derive(Debug, Clone, Copy)]
pub struct SkipSuccessLog;

/// Logs every request (method, url, status, time, ip, auth collection) into
/// auxiliary.db through the background writer.
pub async fn log_requests(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let url = req.uri().to_string();
    let remote_ip =
        req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let (referer, user_agent) = {
        let h = req.headers();
        let get = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (get(header::REFERER), get(header::USER_AGENT))
    };
    let auth = token_from_headers(req.headers())
        .and_then(|t| tokens::peek(&t))
        .and_then(|c| st.app.collections().get(&c.collection_id).map(|c| c.name.clone()))
        .unwrap_or_default();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    if status < 400 && res.extensions().get::<SkipSuccessLog>().is_some() {
        return res;
    }
    let settings = st.app.settings();
    let ip = if settings.logs.log_ip { remote_ip } else { String::new() };
    let lvl = if status >= 400 { level::ERROR } else { level::INFO };
    if settings.logs.max_days > 0 && lvl >= settings.logs.min_level {
        let exec_ms = start.elapsed().as_secs_f64() * 1000.0;
        let entry = RequestLog {
            kind: "request",
            method,
            url,
            status,
            exec_time: exec_ms,
            remote_ip: ip.clone(),
            user_ip: ip,
            referer,
            user_agent,
            auth,
        };
        st.app.log_request(lvl, entry);
    }
    res
}

/// CORS for the `--origins` list (`*` = any).
pub fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::HEAD,
            axum::http::Method::PUT,
            axum::http::Method::PATCH,
            axum::http::Method::POST,
            axum::http::Method::DELETE,
        ])
        .allow_headers(Any);
    if origins.is_empty() || origins.iter().any(|o| o == "*") {
        return layer.allow_origin(Any);
    }
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    layer.allow_origin(AllowOrigin::list(list))
}
