//! Normalises submitted values to a field's stored representation (PocketBase's
//! `PrepareValue`): casts, list handling, date formatting and the `field+`,
//! `+field`, `field-` modifiers.

use serde_json::{Value, json};

use crate::core::collections::{Field, FieldKind};
use crate::core::datetime;

/// Casts any JSON value to a string the way PocketBase's `cast.ToString` does.
pub fn to_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Casts to f64 (invalid → 0).
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// Casts to bool (`"true"`, `"1"`, non-zero numbers are true).
pub fn to_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim().to_lowercase().as_str(), "true" | "1" | "on" | "yes"),
        _ => false,
    }
}

/// A JSON number, integral when possible.
pub fn number(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        json!(f as i64)
    } else if f.is_finite() {
        json!(f)
    } else {
        json!(0)
    }
}

/// Values of a list-like input: arrays, JSON-array strings, a single value.
pub fn to_string_list(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match v {
        Value::Null => {}
        Value::Array(a) => out.extend(a.iter().map(to_string)),
        Value::String(s) if s.trim_start().starts_with('[') => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => out.extend(a.iter().map(to_string)),
            _ => out.push(s.clone()),
        },
        other => out.push(to_string(other)),
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| !s.is_empty() && seen.insert(s.clone()));
    out
}

/// Normalises a submitted value for `field`.
pub fn normalize(field: &Field, v: &Value) -> Value {
    match &field.kind {
        FieldKind::Number { .. } => match to_f64(v) {
            f if f.is_finite() => number(f),
            // "NaN"/"Infinity" parse as numbers but are none: kept as sent
            // so validation answers `validation_not_a_number` (PocketBase)
            _ => v.clone(),
        },
        FieldKind::Bool => json!(to_bool(v)),
        FieldKind::Date { .. } | FieldKind::Autodate { .. } => {
            json!(datetime::normalize(&to_string(v)))
        }
        FieldKind::Json { .. } => match v {
            // strings holding valid JSON are stored as that JSON, like PocketBase
            Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_else(|_| v.clone()),
            other => other.clone(),
        },
        FieldKind::GeoPoint => normalize_geo(v),
        FieldKind::Select { .. } | FieldKind::Relation { .. } | FieldKind::File { .. } => {
            let list = to_string_list(v);
            if field.is_multiple() { json!(list) } else { json!(list.into_iter().last().unwrap_or_default()) }
        }
        _ => json!(to_string(v)),
    }
}

fn normalize_geo(v: &Value) -> Value {
    let parsed;
    let obj = match v {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
            &parsed
        }
        other => other,
    };
    let lon = obj.get("lon").map(to_f64).unwrap_or(0.0);
    let lat = obj.get("lat").map(to_f64).unwrap_or(0.0);
    json!({"lon": number(lon), "lat": number(lat)})
}

/// Applies a modifier to the current value: `+` append (or add), `^` prepend,
/// `-` remove (or subtract).
pub fn apply_modifier(field: &Field, current: &Value, modifier: char, v: &Value) -> Value {
    if let FieldKind::Number { .. } = field.kind {
        let cur = to_f64(current);
        let delta = to_f64(v);
        return match modifier {
            '-' => number(cur - delta),
            _ => number(cur + delta),
        };
    }
    let mut list = to_string_list(current);
    let items = to_string_list(v);
    match modifier {
        '+' => list.extend(items),
        '^' => {
            let mut new = items;
            new.extend(list);
            list = new;
        }
        '-' => list.retain(|x| !items.contains(x)),
        _ => {}
    }
    normalize(field, &json!(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multi_select() -> Field {
        Field::new("tags", FieldKind::Select { values: vec!["a".into(), "b".into(), "c".into()], max_select: 3 })
    }

    #[test]
    fn casts_like_pocketbase() {
        let text = Field::new(
            "t",
            FieldKind::Text {
                min: 0,
                max: 0,
                pattern: String::new(),
                autogenerate_pattern: String::new(),
                primary_key: false,
            },
        );
        assert_eq!(normalize(&text, &json!(5)), json!("5"));
        let num = Field::new("n", FieldKind::Number { min: None, max: None, only_int: false });
        assert_eq!(normalize(&num, &json!("12.5")), json!(12.5));
        assert_eq!(normalize(&num, &json!("x")), json!(0));
        assert_eq!(normalize(&multi_select(), &json!("a")), json!(["a"]));
        assert_eq!(normalize(&multi_select(), &json!(["a", "a", "b"])), json!(["a", "b"]));
    }

    #[test]
    fn modifiers_append_prepend_remove_and_add() {
        let f = multi_select();
        assert_eq!(apply_modifier(&f, &json!(["a"]), '+', &json!("b")), json!(["a", "b"]));
        assert_eq!(apply_modifier(&f, &json!(["a"]), '^', &json!(["c"])), json!(["c", "a"]));
        assert_eq!(apply_modifier(&f, &json!(["a", "b"]), '-', &json!("a")), json!(["b"]));
        let num = Field::new("n", FieldKind::Number { min: None, max: None, only_int: false });
        assert_eq!(apply_modifier(&num, &json!(3), '+', &json!(5)), json!(8));
        assert_eq!(apply_modifier(&num, &json!(3), '-', &json!(5)), json!(-2));
    }
}
