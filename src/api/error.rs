//! The one HTTP error type: PocketBase's `{"status","message","data"}` JSON.
//! Core errors map into it here and nowhere else.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::core::Error;

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub data: Value,
}

/// Upper-cases the first letter and ends with a period, like PocketBase.
pub fn normalize_message(msg: &str) -> String {
    let trimmed = msg.trim();
    if trimmed.is_empty() {
        return String::new();
    }
    let mut chars = trimmed.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl ApiError {
    /// An error with an empty `data`.
    pub fn new(status: u16, message: &str) -> Self {
        ApiError { status, message: normalize_message(message), data: json!({}) }
    }

    /// 400 "Something went wrong while processing your request."
    pub fn bad_request() -> Self {
        ApiError::new(400, "Something went wrong while processing your request.")
    }

    /// 404 for unknown routes.
    pub fn not_found() -> Self {
        ApiError::new(404, "The requested resource wasn't found.")
    }

    /// 401 for missing or invalid auth on an auth-only route.
    pub fn unauthorized() -> Self {
        ApiError::new(401, "The request requires valid record authorization token.")
    }

    /// 403 for authenticated non-superusers on superuser routes.
    pub fn forbidden() -> Self {
        ApiError::new(403, "The authorized record is not allowed to perform this action.")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = e.status();
        match e {
            Error::Validation { message, errors } => {
                ApiError { status, message: normalize_message(&message), data: Value::Object(errors) }
            }
            Error::Api { message, data, .. } => {
                ApiError { status, message: normalize_message(&message), data: sanitize_data(data) }
            }
            Error::Sql(inner) if status == 404 => {
                tracing::debug!("no rows: {inner}");
                ApiError::not_found()
            }
            Error::Sql(inner) if status == 400 => {
                tracing::warn!("query stopped: {inner}");
                ApiError::bad_request()
            }
            Error::Sql(inner) => {
                tracing::error!("database error: {inner}");
                ApiError::new(500, "Something went wrong while processing your request.")
            }
            // logged with its location where it was thrown (jsvm::error)
            Error::Thrown { .. } => ApiError::bad_request(),
            Error::Internal(msg) => {
                tracing::error!("internal error: {msg}");
                ApiError::new(500, "Something went wrong while processing your request.")
            }
            other => ApiError::new(status, &other.to_string()),
        }
    }
}

/// Error `data` entries that are not `{code,message}` objects become
/// `validation_invalid_value` (what PocketBase does with arbitrary data).
fn sanitize_data(data: Value) -> Value {
    match data {
        Value::Object(m) => {
            let out = m
                .into_iter()
                .map(|(k, v)| {
                    let ok =
                        v.get("code").is_some_and(Value::is_string) && v.get("message").is_some_and(Value::is_string);
                    let v =
                        if ok { v } else { json!({"code": "validation_invalid_value", "message": "Invalid value."}) };
                    (k, v)
                })
                .collect();
            Value::Object(out)
        }
        _ => json!({}),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(json!({"status": self.status, "message": self.message, "data": self.data}))).into_response()
    }
}

/// Handler result alias.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentence_cased() {
        assert_eq!(normalize_message("nope"), "Nope.");
        assert_eq!(normalize_message("Done."), "Done.");
        assert_eq!(normalize_message(""), "");
    }

    #[test]
    fn validation_errors_keep_their_data() {
        let e: ApiError =
            Error::field("Failed to create record.", "title", "validation_required", "Cannot be blank.").into();
        assert_eq!(e.status, 400);
        assert_eq!(e.data["title"]["code"], "validation_required");
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let e: ApiError = Error::Internal("secret path /etc".into()).into();
        assert_eq!(e.status, 500);
        assert!(!e.message.contains("/etc"));
    }
}
