//! The HTTP API (axum): thin handlers over the core, PocketBase's routes,
//! error shape and headers. Knows HTTP, nothing of SQL.

pub mod batch;
pub mod collections;
pub mod context;
pub mod crons;
pub mod error;
pub mod middleware;
pub mod realtime;
pub mod record_auth;
pub mod records;
pub mod server;
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
        ("/api/batch", post(batch::batch)),
        ("/api/realtime", get(realtime::connect).post(realtime::subscribe)),
        ("/api/crons", get(crons::list)),
        ("/api/crons/{id}", post(crons::run)),
        ("/api/settings", get(system::settings_get).patch(system::settings_update)),
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
        .route("/api/{*rest}", get(not_found).post(not_found).put(not_found).patch(not_found).delete(not_found));
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
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(middleware::cors(&opts.origins))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(state.body_limit))
        .with_state(state)
}
