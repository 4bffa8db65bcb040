//! The other auth endpoints of auth collections: OTP, OAuth2, email
//! verification, password reset, email change and impersonation. Thin:
//! forms are read here, the flows live in `core::auth`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking};
use super::error::{ApiError, ApiResult};
use super::record_auth::{auth_collection, auth_response};
use crate::core::auth::oauth2::{OAuth2Form, validate_oauth2_form};
use crate::core::auth::otp::{validate_auth_with_otp, validate_request_otp};
use crate::core::auth::recovery::validate_email_field;
use crate::core::collections::Collection;
use crate::core::records::values::to_string;

fn body_str(body: &BodyData, key: &str) -> String {
    body.fields.get(key).map(to_string).unwrap_or_default()
}

/// 204, or the empty 200 of a hook that did not call next.
fn no_content(handled: bool) -> Response {
    if handled { StatusCode::NO_CONTENT.into_response() } else { StatusCode::OK.into_response() }
}

fn require_otp(c: &Collection) -> ApiResult<()> {
    if c.auth.as_ref().is_some_and(|a| a.otp.enabled) {
        Ok(())
    } else {
        Err(ApiError::new(403, "The collection is not configured to allow OTP authentication."))
    }
}

fn not_for_superusers(c: &Collection, message: &str) -> ApiResult<()> {
    if c.is_superusers() { Err(ApiError::new(400, message)) } else { Ok(()) }
}

/// `POST /api/collections/{collection}/request-otp`
pub async fn request_otp(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        require_otp(&c)?;
        let email = body_str(&body, "email");
        validate_request_otp(&email)?;
        let req = ctx.request_info(app, body.fields.clone());
        match app.request_otp_request(&c, &req, &email)? {
            Some(id) => Ok(Json(json!({"otpId": id})).into_response()),
            None => Ok(StatusCode::OK.into_response()),
        }
    })
    .await
}

/// `POST /api/collections/{collection}/auth-with-otp`
pub async fn auth_with_otp(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        require_otp(&c)?;
        let (otp_id, password) = (body_str(&body, "otpId"), body_str(&body, "password"));
        validate_auth_with_otp(&otp_id, &password)?;
        let mut req = ctx.request_info(app, body.fields.clone());
        req.context = "otp".into();
        let outcome = app.auth_with_otp_request(&c, &req, &otp_id, &password)?;
        auth_response(app, outcome, &ctx)
    })
    .await
}

/// `POST /api/collections/{collection}/auth-with-oauth2`
pub async fn auth_with_oauth2(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        if !c.auth.as_ref().is_some_and(|a| a.oauth2.enabled) {
            return Err(ApiError::new(403, "The collection is not configured to allow OAuth2 authentication."));
        }
        let mut redirect_url = body_str(&body, "redirectURL");
        if redirect_url.is_empty() {
            redirect_url = body_str(&body, "redirectUrl");
        }
        let create_data = match body.fields.get("createData") {
            Some(Value::Object(m)) => m.clone(),
            Some(Value::String(s)) if !s.is_empty() => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m,
                _ => return Err(ApiError::new(400, "An error occurred while loading the submitted data.")),
            },
            Some(Value::Null) | None => Default::default(),
            Some(Value::String(_)) => Default::default(),
            Some(_) => return Err(ApiError::new(400, "An error occurred while loading the submitted data.")),
        };
        let form = OAuth2Form {
            provider: body_str(&body, "provider"),
            code: body_str(&body, "code"),
            code_verifier: body_str(&body, "codeVerifier"),
            redirect_url,
            create_data,
        };
        validate_oauth2_form(&c, &form)?;
        let mut req = ctx.request_info(app, body.fields.clone());
        req.context = "oauth2".into();
        let outcome = app.auth_with_oauth2_request(&c, &req, &form)?;
        auth_response(app, outcome, &ctx)
    })
    .await
}

/// `POST /api/collections/{collection}/request-verification`
pub async fn request_verification(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        not_for_superusers(&c, "All superusers are verified by default.")?;
        let email = body_str(&body, "email");
        validate_email_field("email", &email)?;
        let req = ctx.request_info(app, body.fields.clone());
        Ok(no_content(app.request_verification_request(&c, &req, &email)?))
    })
    .await
}

/// `POST /api/collections/{collection}/confirm-verification`
pub async fn confirm_verification(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        not_for_superusers(&c, "All superusers are verified by default.")?;
        let req = ctx.request_info(app, body.fields.clone());
        Ok(no_content(app.confirm_verification_request(&c, &req, &body_str(&body, "token"))?))
    })
    .await
}

/// `POST /api/collections/{collection}/request-password-reset`
pub async fn request_password_reset(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        if !c.auth.as_ref().is_some_and(|a| a.password_auth.enabled) {
            return Err(ApiError::new(400, "The collection is not configured to allow password authentication."));
        }
        let email = body_str(&body, "email");
        validate_email_field("email", &email)?;
        let req = ctx.request_info(app, body.fields.clone());
        Ok(no_content(app.request_password_reset_request(&c, &req, &email)?))
    })
    .await
}

/// `POST /api/collections/{collection}/confirm-password-reset`
pub async fn confirm_password_reset(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        let req = ctx.request_info(app, body.fields.clone());
        let handled = app.confirm_password_reset_request(
            &c,
            &req,
            &body_str(&body, "token"),
            &body_str(&body, "password"),
            &body_str(&body, "passwordConfirm"),
        )?;
        Ok(no_content(handled))
    })
    .await
}

/// `POST /api/collections/{collection}/request-email-change` (signed in)
pub async fn request_email_change(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let auth = ctx
            .auth(app)
            .ok_or_else(|| ApiError::new(401, "The request requires valid record authorization token."))?;
        let c = app.find_collection(&name).ok().filter(|c| c.id == auth.collection.id).ok_or_else(|| {
            ApiError::new(403, &format!("The request requires auth record from {} collection.", auth.collection.name))
        })?;
        not_for_superusers(&c, "All superusers can change their emails directly.")?;
        let req = ctx.request_info(app, body.fields.clone());
        Ok(no_content(app.request_email_change_request(&c, &req, (*auth).clone(), &body_str(&body, "newEmail"))?))
    })
    .await
}

/// `POST /api/collections/{collection}/confirm-email-change`
pub async fn confirm_email_change(
    State(st): State<AppState>,
    Path(name): Path<String>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let c = auth_collection(app, &name)?;
        not_for_superusers(&c, "All superusers can change their emails directly.")?;
        let req = ctx.request_info(app, body.fields.clone());
        let handled =
            app.confirm_email_change_request(&c, &req, &body_str(&body, "token"), &body_str(&body, "password"))?;
        Ok(no_content(handled))
    })
    .await
}

/// `POST /api/collections/{collection}/impersonate/{id}` (superusers)
pub async fn impersonate(
    State(st): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    ctx: Ctx,
    body: BodyData,
) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        let auth = ctx
            .auth(app)
            .ok_or_else(|| ApiError::new(401, "The request requires valid record authorization token."))?;
        if !auth.is_superuser() {
            return Err(ApiError::new(403, "The authorized record is not allowed to perform this action."));
        }
        let c = auth_collection(app, &name)?;
        let duration = match body.fields.get("duration") {
            None | Some(Value::Null) => 0,
            Some(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
                Some(n) => n,
                None => return Err(ApiError::new(400, "An error occurred while loading the submitted data.")),
            },
        };
        let req = ctx.request_info(app, body.fields.clone());
        let outcome = app.impersonate_request(&c, &req, &id, duration).map_err(|e| match e {
            crate::core::Error::Validation { errors, .. } => crate::core::Error::Validation {
                message: "An error occurred while validating the submitted data.".into(),
                errors,
            },
            other => other,
        })?;
        auth_response(app, outcome, &ctx)
    })
    .await
}
