//! The HTTP API (axum): thin handlers over the core, PocketBase's routes,
//! error shape and headers. Knows HTTP, nothing of SQL.

pub mod auth_settings;
pub mod batch;
pub mod collections;
pub mod context;
pub mod crons;
pub mod error;
pub mod files;
pub mod middleware;
pub mod realtime;
pub mod record_auth;
pub mod record_auth_flows;
pub mod records;
pub mod server;
pub mod sql;
pub mod system;

use std::path::PathBuf;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use tower_http::catch_panic::CatchPanicLayer;

pub use context::AppState;
use error::ApiError;

/// Default request body limit (PocketBase's `DefaultMaxBodySize`, 32 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 32 << 20;

/// HTTP options from the `serve` flags.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// CORS origins (`*` by default).
    pub origins: Vec<String>,
    /// Static files directory.
    pub public_dir: Option<PathBuf>,
    /// Serve `index.html` for missing static paths.
    pub index_fallback: bool,
    /// The JS hooks engine serving `routerAdd` routes and `routerUse`
    /// middlewares, when hooks are loaded.
    pub js: Option<crate::jsvm::JsEngine>,
}

async fn not_found() -> Response {
    ApiError::new(404, "File not found.").into_response()
}

/// PocketBase endpoints that Ferrobase does not serve yet, with the
/// feature they belong to. A route registered for one of them wins over
/// this list (axum prefers the specific route), so building a feature only
/// means adding its route.
const NOT_BUILT: &[(&str, &str)] = &[("backups", "The backups API"), ("backups/**", "The backups API")];

/// The feature behind an `/api/...` path that is not built yet.
fn missing_feature(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix("/api/")?.trim_end_matches('/');
    NOT_BUILT.iter().find(|(pattern, _)| path_matches(pattern, rest)).map(|(_, feature)| *feature)
}

/// `*` matches one path segment, a final `**` one or more.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    if p.last() == Some(&"**") {
        let head = &p[..p.len() - 1];
        return s.len() > head.len() && head.iter().zip(&s).all(|(a, b)| *a == "*" || a == b);
    }
    p.len() == s.len() && p.iter().zip(&s).all(|(a, b)| *a == "*" || a == b)
}

/// `/api/*` that no route serves: a JSON 404, or a 501 naming the feature
/// when it is a PocketBase endpoint that is not built yet.
async fn api_fallback(uri: axum::http::Uri) -> Response {
    match missing_feature(uri.path()) {
        Some(feature) => {
            ApiError::new(501, &format!("{feature} is not available in this version of Ferrobase yet")).into_response()
        }
        None => not_found().await,
    }
}

/// `/_/`: the dashboard is not built yet; say so instead of a blank 404.
async fn dashboard_missing() -> Response {
    ApiError::new(
        501,
        "The admin dashboard is not available in this version of Ferrobase yet: use the REST API, or `ferrobase superuser upsert EMAIL PASS` to create a superuser",
    )
    .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(500, "Something went wrong while processing your request.").into_response()
}

/// The API routes as (path, handlers). The paths double as the list of
/// built-in patterns JS routes may not shadow, so every route goes here.
fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/health", get(system::health).head(system::health)),
        ("/api/collections", get(collections::list).post(collections::create)),
        ("/api/collections/import", put(collections::import)),
        ("/api/collections/meta/scaffolds", get(collections::scaffolds)),
        ("/api/collections/meta/dry-run-view", post(collections::dry_run_view)),
        ("/api/sql", post(sql::run)),
        ("/api/collections/meta/oauth2-providers", get(auth_settings::oauth2_providers)),
        (
            "/api/collections/{collection}",
            get(collections::view).patch(collections::update).delete(collections::delete),
        ),
        ("/api/collections/{collection}/truncate", axum::routing::delete(collections::truncate)),
        ("/api/collections/{collection}/records", get(records::list).post(records::create)),
        (
            "/api/collections/{collection}/records/{id}",
            get(records::view).patch(records::update).delete(records::delete),
        ),
        ("/api/collections/{collection}/auth-with-password", post(record_auth::auth_with_password)),
        ("/api/collections/{collection}/auth-refresh", post(record_auth::auth_refresh)),
        ("/api/collections/{collection}/auth-methods", get(record_auth::auth_methods)),
        ("/api/collections/{collection}/request-otp", post(record_auth_flows::request_otp)),
        ("/api/collections/{collection}/auth-with-otp", post(record_auth_flows::auth_with_otp)),
        ("/api/collections/{collection}/auth-with-oauth2", post(record_auth_flows::auth_with_oauth2)),
        ("/api/collections/{collection}/request-verification", post(record_auth_flows::request_verification)),
        ("/api/collections/{collection}/confirm-verification", post(record_auth_flows::confirm_verification)),
        ("/api/collections/{collection}/request-password-reset", post(record_auth_flows::request_password_reset)),
        ("/api/collections/{collection}/confirm-password-reset", post(record_auth_flows::confirm_password_reset)),
        ("/api/collections/{collection}/request-email-change", post(record_auth_flows::request_email_change)),
        ("/api/collections/{collection}/confirm-email-change", post(record_auth_flows::confirm_email_change)),
        ("/api/collections/{collection}/impersonate/{id}", post(record_auth_flows::impersonate)),
        ("/api/batch", post(batch::batch)),
        ("/api/realtime", get(realtime::connect).post(realtime::subscribe)),
        ("/api/oauth2-redirect", get(realtime::oauth2_redirect).post(realtime::oauth2_redirect)),
        ("/api/crons", get(crons::list)),
        ("/api/crons/{id}", post(crons::run)),
        ("/api/settings", get(system::settings_get).patch(system::settings_update)),
        ("/api/settings/test/s3", post(files::test_s3)),
        ("/api/files/token", post(files::token)),
        ("/api/files/{collection}/{record_id}/{filename}", get(files::download).head(files::download)),
        ("/api/settings/test/email", post(auth_settings::test_email)),
        ("/api/settings/apple/generate-client-secret", post(auth_settings::apple_client_secret)),
        ("/api/logs", get(system::logs_list).delete(system::logs_delete)),
        ("/api/logs/stats", get(system::logs_stats)),
        ("/api/logs/{id}", get(system::logs_view)),
    ]
}

/// The API routes.
pub fn api_routes() -> Router<AppState> {
    route_table()
        .into_iter()
        .fold(Router::new(), |r, (path, handlers)| r.route(path, handlers))
        .layer(axum::middleware::from_fn(context::hook_response_headers))
}

/// The path patterns of the built-in routes (axum/matchit syntax).
pub fn builtin_route_paths() -> Vec<&'static str> {
    route_table().into_iter().map(|(path, _)| path).collect()
}

/// The full router: API, static files, JSON 404s, middleware.
pub fn router(state: AppState, opts: &HttpOptions) -> Router {
    let mut app = api_routes()
        .route(
            "/api/{*rest}",
            get(api_fallback).post(api_fallback).put(api_fallback).patch(api_fallback).delete(api_fallback),
        )
        .route("/_", get(dashboard_missing))
        .route("/_/", get(dashboard_missing))
        .route("/_/{*rest}", get(dashboard_missing));
    app = match opts.public_dir.as_ref().filter(|d| d.is_dir()) {
        Some(dir) => {
            let serve = tower_http::services::ServeDir::new(dir).append_index_html_on_directories(true);
            if opts.index_fallback {
                let index = dir.join("index.html");
                app.fallback_service(serve.fallback(tower_http::services::ServeFile::new(index)))
            } else {
                app.fallback_service(serve.fallback(get(not_found)))
            }
        }
        None => app.fallback(not_found),
    };
    app = app.method_not_allowed_fallback(not_found);
    if let Some(engine) = opts.js.clone() {
        let js = crate::jsvm::http::JsHttp { engine, body_limit: state.body_limit };
        app = app.layer(axum::middleware::from_fn_with_state(js, crate::jsvm::http::middleware));
    }
    app.layer(axum::middleware::from_fn_with_state(state.clone(), middleware::log_requests))
        .layer(middleware::cors(&opts.origins))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(state.body_limit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::missing_feature;

    #[test]
    fn unbuilt_pocketbase_endpoints_are_named() {
        assert_eq!(missing_feature("/api/backups"), Some("The backups API"));
        assert_eq!(missing_feature("/api/backups/x.zip/restore"), Some("The backups API"));
        // built now: a path the file routes do not match is a plain 404
        assert_eq!(missing_feature("/api/files/docs"), None);
        assert_eq!(missing_feature("/api/files/token"), None);
        assert_eq!(missing_feature("/api/oauth2-redirect"), None, "built with realtime");
        assert_eq!(missing_feature("/api/collections/users/request-otp"), None, "built: its route answers");
        assert_eq!(missing_feature("/api/collections/users/records"), None);
        assert_eq!(missing_feature("/api/nonsense"), None);
    }
}
