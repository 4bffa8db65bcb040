//! What a rule or filter may know about the current request (`@request.*`),
//! independent of HTTP so hooks, realtime and batch can build one too.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::records::Record;

/// The HTTP request behind an API call, as request hooks see it
/// (`e.request`, `e.response`, `e.realIP()`). Plain data, so the core stays
/// free of HTTP types.
#[derive(Debug, Default)]
pub struct HttpMeta {
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
    pub path: String,
    pub raw_query: String,
    pub host: String,
    /// Peer `ip:port`.
    pub remote_addr: String,
    pub remote_ip: String,
    pub content_length: usize,
    /// Header (lower-case name, value) pairs in arrival order.
    pub headers: Vec<(String, String)>,
    /// Route parameters (`collection`, `id`, …).
    pub params: Vec<(String, String)>,
    /// Headers the hooks set with `e.response.header()`; the API adds them
    /// to its response.
    pub response_headers: Arc<Mutex<Vec<(String, String)>>>,
    /// A response a request hook wrote (`e.json(...)`); the API answers it
    /// instead of its own.
    pub written: Arc<Mutex<Option<WrittenResponse>>>,
}

/// A response body written by a request hook.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrittenResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl HttpMeta {
    /// Writes (or, written again, appends to) the hook response, like
    /// PocketBase's response writer: the first status stays.
    pub fn write(&self, status: u16, body: &[u8]) {
        if let Ok(mut w) = self.written.lock() {
            match w.as_mut() {
                Some(w) => w.body.extend_from_slice(body),
                None => *w = Some(WrittenResponse { status, body: body.to_vec() }),
            }
        }
    }

    /// The response a hook wrote, if any.
    pub fn written(&self) -> Option<WrittenResponse> {
        self.written.lock().ok().and_then(|w| w.clone())
    }

    /// Replaces the headers the hooks want on the response.
    pub fn set_response_headers(&self, pairs: Vec<(String, String)>) {
        if let Ok(mut h) = self.response_headers.lock() {
            *h = pairs;
        }
    }
}

/// The `@request` context of a rule or filter.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// HTTP method, upper case.
    pub method: String,
    /// `default`, `expand`, `realtime`, `protectedFile`, `batch`, `oauth2`, `otp`, `password`.
    pub context: String,
    /// Query parameters (last value wins); shared, cheap to clone.
    pub query: Arc<Map<String, Value>>,
    /// Headers, names lower-cased with `-` replaced by `_`.
    pub headers: Arc<Map<String, Value>>,
    /// Submitted body fields.
    pub body: Map<String, Value>,
    /// The authenticated record, if any.
    pub auth: Option<Arc<Record>>,
    /// The HTTP request, when the call came over HTTP.
    pub http: Option<Arc<HttpMeta>>,
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
