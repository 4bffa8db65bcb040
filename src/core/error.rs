//! Domain errors of the core. The HTTP edge (`api::error`) turns them into
//! PocketBase's `{"status","message","data"}` JSON in one place.

use serde_json::{Map, Value, json};

/// Per-field validation errors keyed by field name (nested for settings).
pub type FieldErrors = Map<String, Value>;

/// Builds one field error entry `{code, message, params?}`.
pub fn field_error(code: &str, message: impl Into<String>) -> Value {
    json!({ "code": code, "message": message.into() })
}

/// Same as [`field_error`] with `params`.
pub fn field_error_with(code: &str, message: impl Into<String>, params: Value) -> Value {
    json!({ "code": code, "message": message.into(), "params": params })
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input failed validation; `errors` maps field names to `{code,message}`.
    #[error("{message}")]
    Validation { message: String, errors: FieldErrors },
    /// Generic 400.
    #[error("{0}")]
    BadRequest(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 429.
    #[error("{0}")]
    TooManyRequests(String),
    /// An error with an explicit status (from JS `ApiError` for example).
    #[error("{message}")]
    Api { status: u16, message: String, data: Value },
    /// A value a JS hook threw that is not an `ApiError` (an `Error`, a
    /// string…). Clients get PocketBase's generic 400; JS code that catches
    /// it further up (a route around `$app.save`) sees its name and message.
    #[error("{name}: {message}")]
    Thrown { name: String, message: String },
    /// SQLite failure that is not the client's fault.
    #[error("database error: {0}")]
    Sql(#[from] crate::db::DbError),
    /// Anything else that is our fault.
    #[error("{0}")]
    Internal(String),
}

/// Core result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error with a single field entry.
    pub fn field(message: &str, field: &str, code: &str, msg: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_string(), field_error(code, msg));
        Error::Validation { message: message.to_string(), errors }
    }

    /// Generic "Something went wrong" 400, PocketBase's answer to unparsable input.
    pub fn bad_input() -> Self {
        Error::BadRequest("Something went wrong while processing your request.".into())
    }

    /// The default 404 message.
    pub fn not_found() -> Self {
        Error::NotFound("The requested resource wasn't found.".into())
    }

    /// HTTP status code of this error.
    pub fn status(&self) -> u16 {
        match self {
            Error::Validation { .. } | Error::BadRequest(_) | Error::Thrown { .. } => 400,
            Error::NotFound(_) => 404,
            Error::Forbidden(_) => 403,
            Error::Unauthorized(_) => 401,
            Error::TooManyRequests(_) => 429,
            Error::Api { status, .. } => *status,
            Error::Sql(e) if e.is_no_rows() => 404,
            // a query stopped by its deadline: PocketBase's 400
            Error::Sql(e) if e.is_interrupted() => 400,
            Error::Sql(_) | Error::Internal(_) => 500,
        }
    }
}
