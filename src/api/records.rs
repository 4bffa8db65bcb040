//! Records CRUD endpoints: `/api/collections/{collection}/records[/{id}]`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, inline_if};
use super::error::{ApiError, ApiResult};
use crate::core::App;
use crate::core::collections::Collection;
use crate::core::records::Record;
use crate::core::records::expand::ExpandTree;
use crate::core::records::fields::pick;
use crate::core::request::RequestInfo;

/// The records API answers this for an unknown collection.
pub fn missing_collection() -> ApiError {
    ApiError::new(404, "Missing collection context.")
}

/// The collection of a records route.
pub fn collection_of(app: &App, name_or_id: &str) -> ApiResult<Arc<Collection>> {
    app.find_collection(name_or_id).map_err(|_| missing_collection())
}

/// Expands and exports records for the response, applying `?expand` and `?fields`.
pub fn export_records(app: &App, records: &mut [Record], ctx: &Ctx, req: &RequestInfo) -> ApiResult<Vec<Value>> {
    let fields = ctx.q("fields");
    // a bad `fields` is a 400 even when there is nothing to pick from
    pick(Value::Object(Default::default()), fields)?;
    let tree = ExpandTree::parse(ctx.q("expand"));
    app.expand_records(records, &tree, req)?;
    Ok(records.iter().map(|r| pick(app.record_export(r, req), fields)).collect::<Result<_, _>>()?)
}

/// One record as response JSON.
pub fn export_record(app: &App, record: Record, ctx: &Ctx, req: &RequestInfo) -> ApiResult<Value> {
    let mut list = [record];
    Ok(export_records(app, &mut list, ctx, req)?.pop().unwrap_or(Value::Null))
}

/// Uploaded files are refused with a field error until file storage exists,
/// rather than silently dropped.
fn reject_uploads(body: &BodyData) -> ApiResult<()> {
    if body.files.is_empty() {
        return Ok(());
    }
    let mut errors = serde_json::Map::new();
    for f in &body.files {
        errors.insert(
            f.field.clone(),
            crate::core::error::field_error(
                "validation_file_upload_unsupported",
                "File uploads are not supported yet.",
            ),
        );
    }
    Err(crate::core::Error::Validation { message: "File uploads are not supported yet.".into(), errors }.into())
}

/// What PocketBase answers when a request hook did not call next: 200, empty body.
fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

/// `GET /api/collections/{collection}/records`
pub async fn list(State(st): State<AppState>, Path(collection): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = collection_of(app, &collection)?;
        let req = ctx.request_info(app, Default::default());
        let q = ctx.list_query()?;
        let Some(mut page) = app.list_records_request(&c, &q, &req)? else {
            return Ok(empty_ok());
        };
        let items = export_records(app, &mut page.items, &ctx, &req)?;
        Ok(Json(json!({
            "page": page.page,
            "perPage": page.per_page,
            "totalItems": page.total_items,
            "totalPages": page.total_pages,
            "items": items,
        }))
        .into_response())
    })
    .await
}

/// `GET /api/collections/{collection}/records/{id}`
pub async fn view(
    State(st): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    ctx: Ctx,
) -> ApiResult<Response> {
    // inline only when nothing can wait or run long: no hooks (JS
    // dispatch), no expand queries, no manage-rule checks of auth records,
    // a public view rule (a rule could be an expensive query)
    let hooks = st.app.hooks();
    let cheap = hooks.on_record_view_request.is_empty()
        && hooks.on_record_enrich.is_empty()
        && ctx.q("expand").is_empty()
        && st
            .app
            .collections()
            .get(&collection)
            .is_some_and(|c| !c.is_auth() && c.rules.view.as_deref().is_some_and(|r| r.trim().is_empty()));
    inline_if(cheap, move || {
        let app = &st.app;
        let c = collection_of(app, &collection)?;
        let req = ctx.request_info(app, Default::default());
        let Some(record) = app.view_record_request(&c, &id, &req)? else {
            return Ok(empty_ok());
        };
        Ok(Json(export_record(app, record, &ctx, &req)?).into_response())
    })
    .await
}

/// `POST /api/collections/{collection}/records`
pub async fn create(
    State(st): State<AppState>,
    Path(collection): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = collection_of(app, &collection)?;
        reject_uploads(&body)?;
        let req = ctx.request_info(app, body.fields.clone());
        let Some(record) = app.create_record_request(&c, &body.fields, &req)? else {
            return Ok(empty_ok());
        };
        Ok(Json(export_record(app, record, &ctx, &req)?).into_response())
    })
    .await
}

/// `PATCH /api/collections/{collection}/records/{id}`
pub async fn update(
    State(st): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = collection_of(app, &collection)?;
        reject_uploads(&body)?;
        let req = ctx.request_info(app, body.fields.clone());
        let Some(record) = app.update_record_request(&c, &id, &body.fields, &req)? else {
            return Ok(empty_ok());
        };
        Ok(Json(export_record(app, record, &ctx, &req)?).into_response())
    })
    .await
}

/// `DELETE /api/collections/{collection}/records/{id}`
pub async fn delete(
    State(st): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    ctx: Ctx,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = collection_of(app, &collection)?;
        let req = ctx.request_info(app, Default::default());
        if !app.delete_record_request(&c, &id, &req)? {
            return Ok(empty_ok());
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}
