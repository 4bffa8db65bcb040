//! Health, settings and logs endpoints.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, require_superuser, token_from_headers};
use super::error::ApiResult;
use super::middleware::{LoadedAuth, RealIp};
use crate::core::auth::tokens::TokenType;
use crate::core::collections::meta;
use crate::core::records::query::list_table;

/// `GET|HEAD /api/health`: the cheapest route there is (no request
/// context is built; the guard already verified any token).
pub async fn health(
    State(st): State<AppState>,
    auth: Option<axum::Extension<LoadedAuth>>,
    real_ip: Option<axum::Extension<RealIp>>,
    // the request itself, not a `HeaderMap` (which clones every header)
    req: axum::extract::Request,
) -> ApiResult<Json<Value>> {
    let headers = req.headers();
    let su = match (token_from_headers(headers), auth) {
        (None, _) => false,
        (Some(_), Some(loaded)) => loaded.0.0.as_ref().is_some_and(|a| a.is_superuser()),
        (Some(token), None) => {
            let app = st.app.clone();
            blocking(move || Ok(app.find_auth_record_by_token(&token, TokenType::Auth).is_ok_and(|a| a.is_superuser())))
                .await?
        }
    };
    if !su {
        return Ok(Json(json!({"message": "API is healthy.", "code": 200, "data": {}})));
    }
    // the first proxy header present: the configured ones, then the usual
    // ones of CDNs and proxies (a hint for setting up trustedProxy)
    let settings = st.app.settings();
    let candidates = settings.trusted_proxy.headers.iter().map(String::as_str).chain([
        "CF-Connecting-IP",
        "Fly-Client-IP",
        "X-Forwarded-For",
    ]);
    let possible =
        candidates.into_iter().find(|name| headers.get(*name).is_some_and(|v| !v.is_empty())).unwrap_or_default();
    let data = json!({
        // no backup can be running: backups are not built yet
        "canBackup": true,
        "realIP": real_ip.map(|r| r.0.0).unwrap_or_default(),
        "possibleProxyHeader": possible,
    });
    Ok(Json(json!({"message": "API is healthy.", "code": 200, "data": data})))
}

/// `GET /api/settings`
pub async fn settings_get(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let req = ctx.request_info(&st.app, Default::default());
        match st.app.settings_list_request(&req)? {
            Some(s) => Ok(Json(s.to_public_json()).into_response()),
            None => Ok(StatusCode::OK.into_response()),
        }
    })
    .await
}

/// `PATCH /api/settings`
pub async fn settings_update(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let next = app.settings().patched(&Value::Object(body.fields.clone()))?;
        let req = ctx.request_info(app, body.fields);
        match app.settings_update_request(&req, next)? {
            Some(s) => Ok(Json(s.to_public_json()).into_response()),
            None => Ok(StatusCode::OK.into_response()),
        }
    })
    .await
}

/// `GET /api/logs`
pub async fn logs_list(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let mut q = ctx.list_query()?;
        if q.sort.is_empty() {
            q.sort = "-created".into();
        }
        let aux = crate::db::Executor::Pool(app.aux_db().clone());
        let (page, items) = list_table(&aux, &meta::logs_table(), &q)?;
        let items: Vec<Value> = items.into_iter().map(crate::core::logs::log_json).collect();
        Ok(Json(json!({"page": page.page, "perPage": page.per_page, "totalItems": page.total_items, "totalPages": page.total_pages, "items": items})))
    })
    .await
}

/// `GET /api/logs/{id}`
pub async fn logs_view(State(st): State<AppState>, Path(id): Path<String>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        Ok(Json(st.app.find_log(&id)?))
    })
    .await
}

/// `GET /api/logs/stats`: hourly counts.
pub async fn logs_stats(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        Ok(Json(Value::Array(st.app.log_stats()?)))
    })
    .await
}

/// `DELETE /api/logs`
pub async fn logs_delete(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        st.app.delete_logs()?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
