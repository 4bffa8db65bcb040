//! Auth endpoints of auth collections: auth-with-password, auth-refresh,
//! auth-methods (the other flows: `record_auth_flows.rs`). Thin: the flows
//! live in `core::auth`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking};
use super::error::{ApiError, ApiResult};
use super::records::export_record;
use crate::core::App;
use crate::core::auth::login::{PasswordForm, validate_password_form};
use crate::core::auth::response::AuthOutcome;
use crate::core::collections::Collection;
use crate::core::records::values::to_string;

/// The auth collection of the path: 404 for an unknown or non-auth one,
/// with PocketBase's messages.
pub(crate) fn auth_collection(app: &App, name: &str) -> ApiResult<Arc<Collection>> {
    let c = app.find_collection(name).map_err(|_| ApiError::new(404, "Missing or invalid collection context."))?;
    if !c.is_auth() {
        return Err(ApiError::new(404, "Missing or invalid auth collection context."));
    }
    Ok(c)
}

/// Renders an authentication outcome: `{token, record[, meta]}`, the MFA
/// challenge (401 `{mfaId}`), or the empty 200 of a hook that stopped it.
pub(crate) fn auth_response(app: &App, outcome: AuthOutcome, ctx: &Ctx) -> ApiResult<Response> {
    let res = match outcome {
        AuthOutcome::Authenticated(res) => res,
        AuthOutcome::MfaRequired(id) => {
            return Ok((StatusCode::UNAUTHORIZED, Json(json!({"mfaId": id}))).into_response());
        }
        AuthOutcome::Stopped => return Ok(StatusCode::OK.into_response()),
    };
    let mut req = ctx.request_info(app, Default::default());
    req.auth = Some(Arc::new(res.record.clone()));
    let record_json = export_record(app, res.record, ctx, &req)?;
    let mut out = json!({"token": res.token, "record": record_json});
    if !res.meta.is_null() {
        out["meta"] = res.meta;
    }
    Ok(Json(out).into_response())
}

fn body_str(body: &BodyData, key: &str) -> String {
    body.fields.get(key).map(to_string).unwrap_or_default()
}

/// `POST /api/collections/{collection}/auth-with-password`
pub async fn auth_with_password(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        if !c.auth.as_ref().is_some_and(|a| a.password_auth.enabled) {
            return Err(ApiError::new(403, "The collection is not configured to allow password authentication."));
        }
        let form = PasswordForm {
            identity: body_str(&body, "identity"),
            password: body_str(&body, "password"),
            identity_field: body_str(&body, "identityField"),
        };
        validate_password_form(&c, &form)?;
        let mut req = ctx.request_info(app, body.fields.clone());
        req.context = "password".into();
        let outcome = app.auth_with_password_request(&c, &req, &form)?;
        auth_response(app, outcome, &ctx)
    })
    .await
}

/// `POST /api/collections/{collection}/auth-refresh`
pub async fn auth_refresh(State(st): State<AppState>, Path(name): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let auth = ctx
            .auth(app)
            .ok_or_else(|| ApiError::new(401, "The request requires valid record authorization token."))?;
        let c = app.find_collection(&name).ok().filter(|c| c.id == auth.collection.id).ok_or_else(|| {
            ApiError::new(403, &format!("The request requires auth record from {} collection.", auth.collection.name))
        })?;
        let token = ctx.token.clone().unwrap_or_default();
        let req = ctx.request_info(app, Default::default());
        let outcome = app.auth_refresh_request(&c, &req, (*auth).clone(), &token)?;
        auth_response(app, outcome, &ctx)
    })
    .await
}

/// `GET /api/collections/{collection}/auth-methods`: only the enabled
/// methods, each provider with a fresh state and PKCE pair.
pub async fn auth_methods(State(st): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let c = auth_collection(&st.app, &name)?;
        Ok(Json(st.app.auth_methods(&c)))
    })
    .await
}
