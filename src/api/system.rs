//! Health, settings and logs endpoints.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, require_superuser};
use super::error::ApiResult;
use crate::core::collections::meta;
use crate::core::records::query::list_table;

/// `GET|HEAD /api/health`
pub async fn health(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    // a guest check touches no database: answer without a thread hop
    let su = match ctx.token {
        None => false,
        Some(_) => blocking(move || Ok(ctx.auth(&st.app).is_some_and(|a| a.is_superuser()).then_some(ctx.remote_ip)))
            .await?
            .is_some(),
    };
    let data = if su { json!({"canBackup": true, "possibleProxyHeader": ""}) } else { json!({}) };
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
        let mut q = ctx.list_query();
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
