//! What a rule or filter may know about the current request (`@request.*`),
//! independent of HTTP so hooks, realtime and batch can build one too.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::records::Record;

/// The `@request` context of a rule or filter.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// HTTP method, upper case.
    pub method: String,
    /// `default`, `expand`, `realtime`, `protectedFile`, `batch`, `oauth2`, `otp`, `password`.
    pub context: String,
    /// Query parameters (last value wins).
    pub query: Map<String, Value>,
    /// Headers, names lower-cased with `-` replaced by `_`.
    pub headers: Map<String, Value>,
    /// Submitted body fields.
    pub body: Map<String, Value>,
    /// The authenticated record, if any.
    pub auth: Option<Arc<Record>>,
}

impl RequestInfo {
    /// Whether the caller is a superuser.
    pub fn is_superuser(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.is_superuser())
    }

    /// The request context name, `default` when unset.
    pub fn context_name(&self) -> &str {
        if self.context.is_empty() { "default" } else { &self.context }
    }
}
