//! Errors of the JS engine: load failures (always naming file and line) and
//! the mapping between JS exceptions and core errors in both directions.
//!
//! A core error thrown into JS by a host function keeps its identity: the JS
//! `Error` object carries an id into the runtime's table of pending errors,
//! so when the exception comes back out unchanged (a hook that lets
//! `$app.save` fail) the caller sees the original error, validation data
//! included. `ApiError` instances keep their status; anything else thrown
//! (an `Error`, a string, an object) is PocketBase's generic 400 for
//! clients and keeps its name and message for JS code that catches it.

use rquickjs::{Ctx, Exception, Object, Value};
use serde_json::{Value as Json, json};

use super::bindings::{self, convert};
use crate::core::Error;

/// The generic message PocketBase answers for non-API errors.
pub const GENERIC_MESSAGE: &str = "Something went wrong while processing your request.";

/// Why the hooks could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The hooks dir or a file in it could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A hook file failed to evaluate: `file:line:col: message`.
    #[error("failed to load the hooks: {0}")]
    Script(String),
    /// QuickJS could not be set up.
    #[error("cannot start the JS runtime: {0}")]
    Runtime(String),
}

/// A thrown value described for logs: `message (at file:line:col)` plus the stack.
pub fn describe<'js>(v: &Value<'js>) -> String {
    if let Some(obj) = v.as_object() {
        let message: Option<String> = obj.get("message").ok().flatten();
        let name: Option<String> = obj.get("name").ok().flatten();
        let stack: Option<String> = obj.get("stack").ok().flatten();
        let mut out = match (name, message) {
            (Some(n), Some(m)) if !n.is_empty() => format!("{n}: {m}"),
            (_, Some(m)) => m,
            _ => convert::to_json(v.clone()).map(|j| j.to_string()).unwrap_or_else(|_| "[object]".into()),
        };
        if let Some(loc) = stack.as_deref().and_then(first_location) {
            out = format!("{loc}: {out}");
        }
        if let Some(stack) = stack.filter(|s| !s.trim().is_empty()) {
            out.push('\n');
            out.push_str(stack.trim_end());
        }
        return out;
    }
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        return s;
    }
    convert::to_json(v.clone()).map(|j| j.to_string()).unwrap_or_else(|_| "undefined".into())
}

/// The first `file:line:col` of a QuickJS stack trace.
pub fn first_location(stack: &str) -> Option<String> {
    stack.lines().find_map(|l| {
        let l = l.trim().strip_prefix("at ")?;
        let loc = match (l.rfind('('), l.ends_with(')')) {
            (Some(i), true) => &l[i + 1..l.len() - 1],
            _ => l,
        };
        (loc.contains(':') && loc != "native").then(|| loc.to_string())
    })
}

/// The thrown message of a load-time exception, with its location first.
pub fn load_message<'js>(ctx: &Ctx<'js>, file: &str) -> String {
    let v = ctx.catch();
    let desc = describe(&v);
    let first = desc.lines().next().unwrap_or_default().to_string();
    if first.contains(file) { first } else { format!("{file}: {first}") }
}

/// Throws a core error into JS as an `Error` carrying `status`, `data` and
/// a reference to the original error.
pub fn throw_core<'js>(ctx: &Ctx<'js>, err: Error) -> rquickjs::Error {
    let message = js_message(&err);
    let status = match &err {
        Error::Sql(_) | Error::Internal(_) => 500,
        e => e.status(),
    };
    let data = match &err {
        Error::Validation { errors, .. } => Json::Object(errors.clone()),
        Error::Api { data, .. } => data.clone(),
        _ => json!({}),
    };
    let exc = match Exception::from_message(ctx.clone(), &message) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let obj = exc.as_object();
    if let Error::Thrown { name, .. } = &err
        && !name.is_empty()
    {
        let _ = obj.set("name", name.as_str());
    }
    let id = bindings::state(ctx).map(|s| s.keep_error(err)).ok();
    let _ = obj.set("status", status);
    if let Ok(d) = convert::to_js(ctx, &data) {
        let _ = obj.set("data", d);
    }
    if let Some(id) = id {
        let _ = obj.set("__pbErrorId", id);
    }
    ctx.throw(exc.into_value())
}

/// A host call failure as the JS-visible message; validation errors list
/// their fields like PocketBase's (`email: cannot be blank.`).
fn js_message(err: &Error) -> String {
    match err {
        Error::Validation { errors, message } if !errors.is_empty() => {
            let parts: Vec<String> = errors
                .iter()
                .map(|(k, v)| {
                    let m = v.get("message").and_then(Json::as_str).unwrap_or(message);
                    let m = m.trim_end_matches('.');
                    let mut c = m.chars();
                    let lower: String = c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default();
                    format!("{k}: {lower}")
                })
                .collect();
            format!("{}.", parts.join("; "))
        }
        Error::Sql(_) | Error::Internal(_) => GENERIC_MESSAGE.to_string(),
        Error::Thrown { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Maps a value thrown by JS to a core error (see the module doc).
pub fn from_thrown<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> Error {
    if let Some(obj) = v.as_object() {
        if let Ok(Some(id)) = obj.get::<_, Option<u32>>("__pbErrorId") {
            // already taken (converted once before): its status and data remain
            return bindings::state(ctx).ok().and_then(|s| s.take_error(id)).unwrap_or_else(|| api_error(obj));
        }
        if is_instance_of(ctx, obj, "ApiError") {
            return api_error(obj);
        }
    }
    tracing::warn!("JS error: {}", describe(v));
    thrown(v)
}

/// A plain thrown value as [`Error::Thrown`]: an error's name and message,
/// a string as is, anything else as JSON.
fn thrown(v: &Value<'_>) -> Error {
    if let Some(obj) = v.as_object() {
        let message: Option<String> = obj.get("message").ok().flatten();
        if let Some(message) = message {
            let name: String = obj.get::<_, Option<String>>("name").ok().flatten().unwrap_or_default();
            return Error::Thrown { name, message };
        }
    }
    let message = match v.as_string().and_then(|s| s.to_string().ok()) {
        Some(s) => s,
        None => convert::to_json(v.clone()).map(|j| j.to_string()).unwrap_or_else(|_| "undefined".into()),
    };
    Error::Thrown { name: String::new(), message }
}

fn api_error(obj: &Object<'_>) -> Error {
    let status = obj.get::<_, f64>("status").ok().filter(|s| (100.0..600.0).contains(s)).map_or(400, |s| s as u16);
    let message: String = obj.get("message").unwrap_or_default();
    let data = obj.get::<_, Value>("data").ok().and_then(|d| convert::to_json(d).ok()).unwrap_or_else(|| json!({}));
    Error::Api { status, message: if message.is_empty() { GENERIC_MESSAGE.into() } else { message }, data }
}

/// `obj instanceof globalThis[class_name]`.
pub fn is_instance_of<'js>(ctx: &Ctx<'js>, obj: &Object<'js>, class_name: &str) -> bool {
    ctx.globals().get::<_, Value>(class_name).map(|c| c.is_function() && obj.is_instance_of(&c)).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_location_skips_native_frames() {
        let stack = "    at <anonymous> (native)\n    at h (/x/main.pb.js:3:9)\n";
        assert_eq!(first_location(stack).as_deref(), Some("/x/main.pb.js:3:9"));
        assert_eq!(first_location("    at /x/a.pb.js:1:15\n").as_deref(), Some("/x/a.pb.js:1:15"));
    }

    #[test]
    fn validation_errors_list_their_fields() {
        let mut errors = serde_json::Map::new();
        errors.insert("email".into(), json!({"code": "validation_required", "message": "Cannot be blank."}));
        let e = Error::Validation { message: "Failed to validate record.".into(), errors };
        assert_eq!(js_message(&e), "email: cannot be blank.");
    }
}
