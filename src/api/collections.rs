//! Collections endpoints (superusers only): list, view, create, update,
//! delete, truncate, import, scaffolds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, require_superuser};
use super::error::{ApiError, ApiResult};
use crate::core::Error;
use crate::core::collections::service::from_api_json;
use crate::core::collections::{Collection, CollectionType, meta};
use crate::core::records::fields::pick;
use crate::core::records::query::list_table;

fn with_message(e: Error, message: &str) -> ApiError {
    match e {
        Error::Validation { errors, .. } => Error::Validation { message: message.into(), errors }.into(),
        other => other.into(),
    }
}

fn body_value(body: BodyData) -> Value {
    Value::Object(body.fields)
}

/// `GET /api/collections`
pub async fn list(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let q = ctx.list_query()?;
        let (page, rows) = list_table(app.executor(), &meta::collections_table(), &q)?;
        let cache = app.collections();
        let found: Vec<Collection> = rows
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str).and_then(|id| cache.get(id)))
            .map(|c| (*c).clone())
            .collect();
        let req = ctx.request_info(app, Default::default());
        let Some(found) = app.collections_list_request(&req, found)? else {
            return Ok(empty_ok());
        };
        let items: Vec<Value> = found.iter().map(|c| pick(c.to_json(), ctx.q("fields"))).collect::<Result<_, _>>()?;
        Ok(Json(json!({"page": page.page, "perPage": page.per_page, "totalItems": page.total_items, "totalPages": page.total_pages, "items": items})).into_response())
    })
    .await
}

/// `GET /api/collections/{collection}`
pub async fn view(State(st): State<AppState>, Path(name): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let c = st.app.find_collection(&name)?;
        let req = ctx.request_info(&st.app, Default::default());
        match st.app.collection_view_request(&req, (*c).clone())? {
            Some(c) => Ok(Json(pick(c.to_json(), ctx.q("fields"))?).into_response()),
            None => Ok(StatusCode::OK.into_response()),
        }
    })
    .await
}

/// What PocketBase answers when a request hook did not call next: 200, empty body.
fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

/// `POST /api/collections`
pub async fn create(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let req = ctx.request_info(app, body.fields.clone());
        let c = from_api_json(&body_value(body), None).map_err(|e| with_message(e, "Failed to create collection."))?;
        let saved =
            app.create_collection_request(c, &req).map_err(|e| with_message(e, "Failed to create collection."))?;
        Ok(saved.map_or_else(empty_ok, |c| Json(c.to_json()).into_response()))
    })
    .await
}

/// `PATCH /api/collections/{collection}`
pub async fn update(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let existing = app.find_collection(&name)?;
        let req = ctx.request_info(app, body.fields.clone());
        let c = from_api_json(&body_value(body), Some(&existing))
            .map_err(|e| with_message(e, "Failed to update collection."))?;
        let saved =
            app.update_collection_request(c, &req).map_err(|e| with_message(e, "Failed to update collection."))?;
        Ok(saved.map_or_else(empty_ok, |c| Json(c.to_json()).into_response()))
    })
    .await
}

/// `DELETE /api/collections/{collection}`
pub async fn delete(State(st): State<AppState>, Path(name): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let c = app.find_collection(&name)?;
        let req = ctx.request_info(app, Default::default());
        if !app.delete_collection_request(&c, &req)? {
            return Ok(empty_ok());
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// `DELETE /api/collections/{collection}/truncate`
pub async fn truncate(State(st): State<AppState>, Path(name): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let c = app.find_collection(&name)?;
        app.truncate_collection(&c)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// `PUT /api/collections/import`
pub async fn import(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let list = match body.fields.get("collections") {
            Some(Value::Array(list)) if !list.is_empty() => list,
            None | Some(Value::Null) | Some(Value::Array(_)) => {
                return Err(Error::field(
                    "An error occurred while validating the submitted data.",
                    "collections",
                    "validation_required",
                    "Cannot be blank.",
                )
                .into());
            }
            Some(_) => return Err(ApiError::new(400, "An error occurred while loading the submitted data.")),
        };
        let delete_missing = body.fields.get("deleteMissing").and_then(Value::as_bool).unwrap_or(false);
        let req = ctx.request_info(app, body.fields.clone());
        if !app.collections_import_request(&req, list.clone(), delete_missing)? {
            // a hook answered without next(), like PocketBase: 200, empty body
            return Ok(StatusCode::OK.into_response());
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// `POST /api/collections/meta/dry-run-view`: the fields and a sample of
/// the records a view query would give, nothing saved.
pub async fn dry_run_view(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let query = super::sql::query_field(&body)?;
        let result = st.app.dry_run_view(&query)?;
        let fields: Vec<Value> = result.fields.iter().map(|f| f.to_json()).collect();
        let sample: Vec<Value> = result.sample.iter().map(|r| r.to_json_as(true, true)).collect();
        Ok(Json(json!({"fields": fields, "sample": sample})))
    })
    .await
}

/// `GET /api/collections/meta/scaffolds`
pub async fn scaffolds(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let mut out = serde_json::Map::new();
        for kind in [CollectionType::Auth, CollectionType::Base, CollectionType::View] {
            let mut c = Collection::new("", kind);
            if kind == CollectionType::Auth {
                c.indexes = c.auth_indexes().to_vec();
            }
            let mut v = c.to_json();
            v["id"] = json!("");
            out.insert(kind.as_str().into(), v);
        }
        Ok(Json(Value::Object(out)))
    })
    .await
}
