//! Conversion between record values (JSON, already normalised by the core)
//! and SQLite column values, with PocketBase's encodings: bools as 0/1,
//! multi-values, json and geoPoint as JSON text.

use rusqlite::types::ValueRef;
use serde_json::{Value, json};

use super::SqlValue;
use crate::core::collections::field::{Field, FieldKind};

/// The SQLite value stored for a field value.
pub fn to_sql(field: &Field, v: &Value) -> SqlValue {
    match &field.kind {
        FieldKind::Number { .. } => match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => SqlValue::Integer(i),
                None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
            },
            _ => SqlValue::Integer(0),
        },
        FieldKind::Bool => SqlValue::Integer(i64::from(v.as_bool().unwrap_or(false))),
        FieldKind::Json { .. } => match v {
            Value::Null => SqlValue::Null,
            other => SqlValue::Text(other.to_string()),
        },
        FieldKind::GeoPoint => SqlValue::Text(v.to_string()),
        _ if field.is_multiple() => match v {
            Value::Array(_) => SqlValue::Text(v.to_string()),
            _ => SqlValue::Text("[]".into()),
        },
        _ => match v {
            Value::String(s) => SqlValue::Text(s.clone()),
            Value::Null => SqlValue::Text(String::new()),
            other => SqlValue::Text(other.to_string()),
        },
    }
}

fn number_json(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        json!(f as i64)
    } else {
        serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(json!(0))
    }
}

fn text_of(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Null => None,
    }
}

/// The record value of a stored column.
pub fn from_sql(field: &Field, v: ValueRef<'_>) -> Value {
    match &field.kind {
        FieldKind::Number { .. } => match v {
            ValueRef::Integer(i) => json!(i),
            ValueRef::Real(r) => number_json(r),
            ValueRef::Text(t) => {
                number_json(std::str::from_utf8(t).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0.0))
            }
            _ => json!(0),
        },
        FieldKind::Bool => match v {
            ValueRef::Integer(i) => json!(i != 0),
            ValueRef::Real(r) => json!(r != 0.0),
            ValueRef::Text(t) => json!(matches!(t, b"1" | b"true" | b"TRUE")),
            _ => json!(false),
        },
        FieldKind::Json { .. } => match text_of(v) {
            None => Value::Null,
            Some(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        },
        FieldKind::GeoPoint => text_of(v)
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({"lon": 0, "lat": 0})),
        _ if field.is_multiple() => match text_of(v) {
            None => json!([]),
            Some(s) if s.is_empty() => json!([]),
            Some(s) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Array(a)) => Value::Array(a),
                Ok(Value::String(one)) if !one.is_empty() => json!([one]),
                Ok(_) => json!([]),
                Err(_) => json!([s]),
            },
        },
        _ => match text_of(v) {
            None => json!(""),
            Some(s)
                if field.relation_target().is_some()
                    || matches!(field.kind, FieldKind::Select { .. } | FieldKind::File { .. }) =>
            {
                // a single-value column can hold a JSON list after maxSelect was lowered
                if s.starts_with('[')
                    && let Ok(Value::Array(a)) = serde_json::from_str::<Value>(&s)
                {
                    return a.into_iter().next().unwrap_or(json!(""));
                }
                json!(s)
            }
            Some(s) => json!(s),
        },
    }
}

/// A plain JSON value from any SQLite value (for views, raw queries and logs).
pub fn plain_from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(r) => number_json(r),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!(String::from_utf8_lossy(b)),
    }
}
