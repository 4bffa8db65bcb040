//! `POST /api/sql` (superusers): PocketBase's SQL console.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;

use super::context::{AppState, BodyData, Ctx, blocking, require_superuser};
use super::error::{ApiError, ApiResult};

/// The `query` of a `{query}` form: a string (or nothing); any other type
/// is PocketBase's "loading" error.
pub fn query_field(body: &BodyData) -> ApiResult<String> {
    match body.fields.get("query") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::new(400, "An error occurred while loading the submitted data.")),
    }
}

/// A result column, keys in PocketBase's order.
#[derive(Serialize)]
pub struct Column {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    nullable: bool,
}

/// The console's answer, keys in PocketBase's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    exec_time: u64,
    affected_rows: u64,
    columns: Vec<Column>,
    rows: Vec<Vec<Option<String>>>,
}

/// `POST /api/sql`
pub async fn run(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Json<Answer>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let query = query_field(&body)?;
        let answer = st.app.run_sql(&query)?;
        let result = answer.result;
        Ok(Json(Answer {
            exec_time: u64::try_from(answer.exec_time_ms).unwrap_or(u64::MAX),
            affected_rows: result.affected_rows,
            // SQLite cannot tell a result column's nullability: PocketBase's driver says true
            columns: result
                .columns
                .into_iter()
                .map(|c| Column { name: c.name, kind: c.decl_type, nullable: true })
                .collect(),
            rows: result.rows,
        }))
    })
    .await
}
