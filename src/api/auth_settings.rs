//! Superuser endpoints around auth and mail: `POST /api/settings/test/email`,
//! `POST /api/settings/apple/generate-client-secret` and
//! `GET /api/collections/meta/oauth2-providers`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::context::{AppState, BodyData, Ctx, blocking, require_superuser};
use super::error::{ApiError, ApiResult};
use crate::core::error::{Error, FieldErrors, field_error};
use crate::core::records::values::to_string;

fn body_str(body: &BodyData, key: &str) -> String {
    body.fields.get(key).map(to_string).unwrap_or_default()
}

/// `POST /api/settings/test/email`: sends one of the record templates to
/// an address, rendered for a placeholder record.
pub async fn test_email(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    blocking(move || {
        let app = &st.app;
        require_superuser(app, &ctx)?;
        let (email, template, collection) =
            (body_str(&body, "email"), body_str(&body, "template"), body_str(&body, "collection"));
        let res = app.send_test_email(&email, &template, &collection);
        match res {
            Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
            Err(Error::Validation { errors, .. }) => {
                Err(Error::Validation { message: "Failed to send the test email.".into(), errors }.into())
            }
            Err(e) => Err(ApiError::new(400, &format!("Failed to send the test email. Raw error: \n{e}"))),
        }
    })
    .await
}

/// `POST /api/settings/apple/generate-client-secret`
pub async fn apple_client_secret(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        let (client_id, team_id, key_id, private_key) = (
            body_str(&body, "clientId"),
            body_str(&body, "teamId"),
            body_str(&body, "keyId"),
            body_str(&body, "privateKey"),
        );
        let duration = body.fields.get("duration").map(crate::core::records::values::to_f64).unwrap_or(0.0) as i64;
        let mut errors = FieldErrors::new();
        let required = || field_error("validation_required", "Cannot be blank.");
        if client_id.is_empty() {
            errors.insert("clientId".into(), required());
        }
        for (key, value) in [("teamId", &team_id), ("keyId", &key_id)] {
            if value.is_empty() {
                errors.insert(key.into(), required());
            } else if value.chars().count() != 10 {
                errors.insert(key.into(), field_error("validation_length_invalid", "The length must be exactly 10."));
            }
        }
        if private_key.is_empty() {
            errors.insert("privateKey".into(), required());
        } else if !(private_key.contains("-----BEGIN PRIVATE KEY----")
            && private_key.contains("-----END PRIVATE KEY-----"))
        {
            errors.insert("privateKey".into(), field_error("validation_match_invalid", "Must be in a valid format."));
        }
        if duration == 0 {
            errors.insert("duration".into(), required());
        } else if !(1..=15_777_000).contains(&duration) {
            errors.insert(
                "duration".into(),
                field_error("validation_max_less_equal_than_required", "Must be no greater than 15777000."),
            );
        }
        if !errors.is_empty() {
            return Err(Error::Validation { message: "Invalid client secret data.".into(), errors }.into());
        }
        let secret =
            crate::core::oauth2::flow::apple_client_secret(&client_id, &team_id, &key_id, &private_key, duration)
                .map_err(|e| ApiError::new(400, &format!("Failed to generate client secret. Raw error: \n{e}")))?;
        Ok(Json(json!({"secret": secret})))
    })
    .await
}

/// `GET /api/collections/meta/oauth2-providers` (superusers)
pub async fn oauth2_providers(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    blocking(move || {
        require_superuser(&st.app, &ctx)?;
        Ok(Json(crate::core::oauth2::providers::listing()))
    })
    .await
}
