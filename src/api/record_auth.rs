//! Auth endpoints of auth collections: auth-with-password, auth-refresh,
//! auth-methods. (OTP, OAuth2, verification, reset and email change come
//! with the auth work.)

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking};
use super::error::{ApiError, ApiResult};
use super::records::{collection_of, export_record};
use crate::core::App;
use crate::core::error::{Error, FieldErrors, field_error};
use crate::core::records::Record;
use crate::core::records::values::to_string;

fn auth_collection(app: &App, name: &str) -> ApiResult<std::sync::Arc<crate::core::collections::Collection>> {
    let c = collection_of(app, name)?;
    if !c.is_auth() {
        return Err(ApiError::new(400, "The collection is not an auth collection."));
    }
    Ok(c)
}

/// `{token, record[, meta]}` for a freshly authenticated record, through
/// `onRecordAuthRequest` (a hook that skips next() leaves an empty 200).
fn auth_response(
    app: &App,
    c: &std::sync::Arc<crate::core::collections::Collection>,
    record: Record,
    token: String,
    method: &str,
    ctx: &Ctx,
) -> ApiResult<Response> {
    let mut req = ctx.request_info(app, Default::default());
    let Some(res) = app.auth_response_request(c, &req, record, token, method)? else {
        return Ok(StatusCode::OK.into_response());
    };
    req.auth = Some(std::sync::Arc::new(res.record.clone()));
    let record_json = export_record(app, res.record, ctx, &req)?;
    let mut out = json!({"token": res.token, "record": record_json});
    if !res.meta.is_null() {
        out["meta"] = res.meta;
    }
    Ok(Json(out).into_response())
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
        let identity = body.fields.get("identity").map(to_string).unwrap_or_default();
        let password = body.fields.get("password").map(to_string).unwrap_or_default();
        let identity_field = body.fields.get("identityField").map(to_string);
        let mut errors = FieldErrors::new();
        if identity.is_empty() {
            errors.insert("identity".into(), field_error("validation_required", "Cannot be blank."));
        }
        if password.is_empty() {
            errors.insert("password".into(), field_error("validation_required", "Cannot be blank."));
        }
        if !errors.is_empty() {
            return Err(Error::Validation {
                message: "An error occurred while validating the submitted data.".into(),
                errors,
            }
            .into());
        }
        let req = ctx.request_info(app, body.fields.clone());
        let Some(record) = app.auth_with_password_request(&c, &req, &identity, &password, identity_field.as_deref())?
        else {
            return Ok(StatusCode::OK.into_response());
        };
        let token = app.new_auth_token(&record)?;
        auth_response(app, &c, record, token, "password", &ctx)
    })
    .await
}

/// `POST /api/collections/{collection}/auth-refresh`
pub async fn auth_refresh(State(st): State<AppState>, Path(name): Path<String>, ctx: Ctx) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = collection_of(app, &name)?;
        let auth = ctx.auth(app).ok_or_else(ApiError::unauthorized)?;
        if auth.collection.id != c.id {
            return Err(ApiError::forbidden());
        }
        let token = ctx.token.clone().unwrap_or_default();
        let req = ctx.request_info(app, Default::default());
        let Some(record) = app.auth_refresh_request(&c, &req, (*auth).clone())? else {
            return Ok(StatusCode::OK.into_response());
        };
        let new_token = if App::token_is_refreshable(&token) { app.new_auth_token(&record)? } else { token };
        auth_response(app, &c, record, new_token, "", &ctx)
    })
    .await
}

/// `GET /api/collections/{collection}/auth-methods`
pub async fn auth_methods(State(st): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let c = auth_collection(&st.app, &name)?;
        let a = c.auth.clone().unwrap_or_default();
        let mfa_duration = if a.mfa.enabled { a.mfa.duration } else { 0 };
        let otp_duration = if a.otp.enabled { a.otp.duration } else { 0 };
        Ok(Json(json!({
            "password": {"enabled": a.password_auth.enabled, "identityFields": a.password_auth.identity_fields},
            "oauth2": {"enabled": a.oauth2.enabled, "providers": []},
            "mfa": {"enabled": a.mfa.enabled, "duration": mfa_duration},
            "otp": {"enabled": a.otp.enabled, "duration": otp_duration},
            "authProviders": [],
            "usernamePassword": a.password_auth.enabled && a.password_auth.identity_fields.iter().any(|f| f == "username"),
            "emailPassword": a.password_auth.enabled && a.password_auth.identity_fields.iter().any(|f| f == "email"),
        })))
    })
    .await
}
