//! Cron jobs endpoints (superusers only): list the registered jobs and run
//! one now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, Ctx, blocking, require_superuser};
use super::error::{ApiError, ApiResult};

/// `GET /api/crons`: `[{id, expression}]` sorted by id, the system jobs
/// (`__pb…`) last like PocketBase.
pub async fn list(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let mut list = st.app.cron().list();
        list.sort_by_key(|(id, _)| id.starts_with("__pb"));
        let jobs: Vec<Value> = list.into_iter().map(|(id, expr)| json!({"id": id, "expression": expr})).collect();
        Ok(Json(Value::Array(jobs)))
    })
    .await
}

/// `POST /api/crons/{id}`: starts the job in the background, 204.
pub async fn run(State(st): State<AppState>, Path(id): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        if !st.app.cron().run_now(&id) {
            return Err(ApiError::new(404, "Missing or invalid cron job."));
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
