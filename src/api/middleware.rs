//! Cross-cutting HTTP behaviour: security headers, request logging into
//! `_logs`, panic safety, CORS, and the request guard that loads the auth
//! token once and enforces `superuserIPs` and `rateLimits` (PocketBase's
//! pbLoadAuthToken, pbSuperuserIPsWhitelist and pbRateLimit middlewares).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use super::context::{AppState, token_from_headers};
use super::error::ApiError;
use crate::core::App;
use crate::core::auth::tokens::TokenType;
use crate::core::logs::{RequestLog, level};
use crate::core::ratelimit::{self, Audience};
use crate::core::records::Record;

/// The request's auth record, verified once by [`guard`] (a missing or
/// invalid token is a guest, as in PocketBase).
#[derive(Clone, Default)]
pub struct LoadedAuth(pub Option<Arc<Record>>);

/// The client IP as [`ratelimit::real_ip`] sees it (trusted proxy headers).
#[derive(Clone, Default)]
pub struct RealIp(pub String);

/// Who made the request, for the request log: only verified identities.
#[derive(Clone, Default)]
struct LoggedAuth {
    collection: String,
    id: String,
}

/// Verifies a token off the async threads' critical path: inline when a
/// database reader is free right now, otherwise on the blocking pool.
async fn verify_token(app: &App, token: String) -> Option<Arc<Record>> {
    let lookup = {
        let (app, token) = (app.clone(), token.clone());
        move || app.find_auth_record_by_token(&token, TokenType::Auth).ok().map(Arc::new)
    };
    if let Some(found) = crate::db::never_wait(lookup.clone()) {
        return found;
    }
    tokio::task::spawn_blocking(lookup).await.ok().flatten()
}

/// Loads the auth token, then refuses superusers from IPs outside
/// `superuserIPs` (403) and requests over a matching rate limit rule (429).
/// Runs inside [`log_requests`] (one middleware layer for both: every
/// layer costs on every request).
async fn guard(st: &AppState, mut req: Request, next: Next) -> Response {
    let auth = match token_from_headers(req.headers()) {
        Some(token) => verify_token(&st.app, token).await,
        None => None,
    };
    let settings = st.app.settings();
    let peer =
        req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let ip = if settings.trusted_proxy.headers.is_empty() {
        peer
    } else {
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        ratelimit::real_ip(&settings.trusted_proxy, &headers, &peer)
    };
    let superuser = auth.as_ref().is_some_and(|a| a.is_superuser());
    let logged = auth.as_ref().map(|a| LoggedAuth { collection: a.collection.name.clone(), id: a.id().to_string() });
    let refused =
        if superuser && !settings.superuser_ips.is_empty() && !ratelimit::ip_in_list(&settings.superuser_ips, &ip) {
            Some(ApiError::new(403, "You are not allowed to perform this request."))
        } else {
            check_rate_limit(&st.app, req.method(), req.uri().path(), auth.as_deref(), &ip).err()
        };
    let mut res = match refused {
        Some(e) => e.into_response(),
        None => {
            req.extensions_mut().insert(LoadedAuth(auth));
            req.extensions_mut().insert(RealIp(ip.clone()));
            next.run(req).await
        }
    };
    res.extensions_mut().insert(RealIp(ip));
    if let Some(logged) = logged {
        res.extensions_mut().insert(logged);
    }
    res
}

/// Counts a request against the rate limit rule that matches it (429 when
/// its window is used up). Superusers and `excludedIPs` are never limited.
/// Batch sub-requests are counted too, by their own method and path.
pub fn check_rate_limit(
    app: &App,
    method: &Method,
    path: &str,
    auth: Option<&Record>,
    ip: &str,
) -> Result<(), ApiError> {
    let settings = app.settings();
    let limits = &settings.rate_limits;
    if !limits.enabled || auth.is_some_and(Record::is_superuser) || ratelimit::ip_in_list(&limits.excluded_ips, ip) {
        return Ok(());
    }
    let audience = if auth.is_some() { Audience::Auth } else { Audience::Guest };
    let target = limit_target(app, method, path);
    let Some(rule) = ratelimit::find_rule(limits, &target.labels, audience) else {
        return Ok(());
    };
    let id = target.limiter_id.unwrap_or_else(|| rule.label.clone()) + &rule.audience;
    if app.rate_limiter().allow(&id, ip, rule) { Ok(()) } else { Err(ApiError::new(429, "Too Many Requests.")) }
}

/// The rate limit labels of a request, most specific first, and the
/// limiter it counts against (per collection and route for the records,
/// auth and file routes, as PocketBase; per rule label otherwise).
struct LimitTarget {
    labels: Vec<String>,
    limiter_id: Option<String>,
}

/// The collection-scoped tags of PocketBase's routes.
fn route_tags(method: &Method, rest: &[&str]) -> Option<(&'static str, &'static [&'static str])> {
    const AUTH: &[(&str, &str, &[&str])] = &[
        ("GET", "auth-methods", &["listAuthMethods"]),
        ("POST", "auth-refresh", &["authRefresh"]),
        ("POST", "auth-with-password", &["authWithPassword", "auth"]),
        ("POST", "auth-with-oauth2", &["authWithOAuth2", "auth"]),
        ("POST", "request-otp", &["requestOTP"]),
        ("POST", "auth-with-otp", &["authWithOTP", "auth"]),
        ("POST", "request-password-reset", &["requestPasswordReset"]),
        ("POST", "confirm-password-reset", &["confirmPasswordReset"]),
        ("POST", "request-verification", &["requestVerification"]),
        ("POST", "confirm-verification", &["confirmVerification"]),
        ("POST", "request-email-change", &["requestEmailChange"]),
        ("POST", "confirm-email-change", &["confirmEmailChange"]),
    ];
    match (method.as_str(), rest) {
        ("GET", ["records"]) => Some(("/records", &["list"])),
        ("POST", ["records"]) => Some(("/records", &["create"])),
        ("GET", ["records", _]) => Some(("/records/{id}", &["view"])),
        ("PATCH", ["records", _]) => Some(("/records/{id}", &["update"])),
        ("DELETE", ["records", _]) => Some(("/records/{id}", &["delete"])),
        (m, [endpoint]) => AUTH.iter().find(|(am, e, _)| *am == m && e == endpoint).map(|(_, e, tags)| (*e, *tags)),
        _ => None,
    }
}

fn limit_target(app: &App, method: &Method, path: &str) -> LimitTarget {
    let mut labels = Vec::new();
    let mut limiter_id = None;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let scoped = match segments.as_slice() {
        ["api", "collections", c, rest @ ..] => route_tags(method, rest).map(|(route, tags)| (*c, route, tags)),
        ["api", "files", c, _, _] if method == Method::GET || method == Method::HEAD => {
            Some((*c, "/api/files/{collection}/{recordId}/{filename}", &["file"][..]))
        }
        _ => None,
    };
    if let Some((name, route, tags)) = scoped
        && let Some(c) = app.collections().get(name)
    {
        labels.extend(tags.iter().map(|t| format!("{}:{t}", c.name)));
        labels.extend(tags.iter().map(|t| format!("*:{t}")));
        limiter_id = Some(format!("{}{route}{}", c.id, tags.concat()));
    }
    labels.push(format!("{method} {path}"));
    labels.push(path.to_string());
    LimitTarget { labels, limiter_id }
}

/// Adds PocketBase's security headers to a response (uploaded files may
/// be embedded: PocketBase drops `X-Frame-Options` for them).
fn security_headers(res: &mut Response) {
    let allow_framing = res.extensions().get::<super::files::AllowFraming>().is_some();
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-xss-protection", HeaderValue::from_static("1; mode=block"));
    if !allow_framing {
        h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    }
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
}

/// Routes whose successful requests PocketBase leaves out of the log (the
/// logs API itself, the realtime stream, the OAuth2 redirect whose URL
/// carries the code).
fn skip_success_log(method: &Method, path: &str) -> bool {
    path == "/api/logs"
        || path.starts_with("/api/logs/")
        || path == "/api/oauth2-redirect"
        || (method == Method::GET && path == "/api/realtime")
}

/// Logs every request (method, url, status, time, ip, verified auth) into
/// auxiliary.db through the background writer, runs the [`guard`] and adds
/// the security headers (one layer for all three: every layer costs on
/// every request).
pub async fn log_requests(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let skip_success = skip_success_log(req.method(), req.uri().path());
    let method = req.method().to_string();
    let url = req.uri().to_string();
    let remote_ip =
        req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let (referer, user_agent) = {
        let h = req.headers();
        let get = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (get(header::REFERER), get(header::USER_AGENT))
    };
    let mut res = guard(&st, req, next).await;
    security_headers(&mut res);
    // the guard (inside this layer) verified the token; nothing else is trusted
    let (auth, auth_id) =
        res.extensions().get::<LoggedAuth>().map(|a| (a.collection.clone(), a.id.clone())).unwrap_or_default();
    let status = res.status().as_u16();
    let settings = st.app.settings();
    let real_ip = res.extensions().get::<RealIp>().map(|r| r.0.clone()).unwrap_or_else(|| remote_ip.clone());
    let (remote_ip, user_ip) = if settings.logs.log_ip { (remote_ip, real_ip) } else { Default::default() };
    let lvl = if status >= 400 { level::ERROR } else { level::INFO };
    if settings.logs.max_days > 0 && lvl >= settings.logs.min_level && !(skip_success && status < 400) {
        let exec_ms = start.elapsed().as_secs_f64() * 1000.0;
        let entry = RequestLog {
            kind: "request",
            method,
            url,
            status,
            exec_time: exec_ms,
            remote_ip,
            user_ip,
            referer,
            user_agent,
            auth,
            auth_id: if settings.logs.log_auth_id { auth_id } else { String::new() },
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
