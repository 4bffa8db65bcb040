//! Pure per-field validation of a normalised record value, with PocketBase's
//! error codes. Checks that need the database (relations exist, unique
//! indexes) live in the save path.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;
use regex::Regex;
use serde_json::{Value, json};

use crate::core::collections::field::{
    DEFAULT_EDITOR_MAX_SIZE, DEFAULT_JSON_MAX_SIZE, DEFAULT_PASSWORD_MAX, DEFAULT_TEXT_MAX,
};
use crate::core::collections::{Field, FieldKind};
use crate::core::datetime;
use crate::core::error::{field_error, field_error_with};

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$")
        .expect("valid email regex")
});

static URL_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?i)[a-z][a-z0-9+.-]*://[^\s/?#]+[^\s]*$").expect("valid url regex"));

/// Whether `v` counts as blank for `required`.
pub fn is_blank(field: &Field, v: &Value) -> bool {
    match (&field.kind, v) {
        (_, Value::Null) => true,
        (FieldKind::Number { .. }, Value::Number(n)) => n.as_f64() == Some(0.0),
        (FieldKind::Bool, Value::Bool(b)) => !b,
        (FieldKind::GeoPoint, Value::Object(o)) => {
            o.get("lon").and_then(Value::as_f64).unwrap_or(0.0) == 0.0
                && o.get("lat").and_then(Value::as_f64).unwrap_or(0.0) == 0.0
        }
        (_, Value::String(s)) => s.is_empty(),
        (_, Value::Array(a)) => a.is_empty(),
        (_, Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// Whether an email address is well formed.
pub fn is_email(s: &str) -> bool {
    s.len() <= 254 && EMAIL_RE.is_match(s)
}

fn domain_of(s: &str) -> String {
    s.rsplit('@').next().unwrap_or_default().to_lowercase()
}

fn url_host(s: &str) -> String {
    let after = s.split("://").nth(1).unwrap_or_default();
    let host = after.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    host.split(':').next().unwrap_or_default().to_lowercase()
}

fn check_domains(domain: &str, only: &[String], except: &[String], code: &str, msg: &str) -> Option<Value> {
    let matches = |list: &[String]| list.iter().any(|d| d.eq_ignore_ascii_case(domain));
    if (!only.is_empty() && !matches(only)) || (!except.is_empty() && matches(except)) {
        return Some(field_error(code, msg));
    }
    None
}

fn text_len_errors(len: i64, min: i64, max: i64) -> Option<Value> {
    if min > 0 && len < min {
        return Some(field_error_with(
            "validation_min_text_constraint",
            format!("Must be at least {min} character(s)."),
            json!({"min": min}),
        ));
    }
    if max > 0 && len > max {
        return Some(field_error_with(
            "validation_max_text_constraint",
            format!("Must be no more than {max} character(s)."),
            json!({"max": max}),
        ));
    }
    None
}

fn pattern_error(pattern: &str, s: &str) -> Option<Value> {
    if pattern.is_empty() || s.is_empty() {
        return None;
    }
    match compiled_pattern(pattern) {
        Some(re) if re.is_match(s) => None,
        _ => Some(field_error("validation_invalid_format", "Invalid value format.")),
    }
}

/// Field `pattern` regexes compiled once (keyed by their text, so a changed
/// pattern of a new collection version compiles anew); `None` for an
/// invalid one. Starts over when full.
static COMPILED: LazyLock<RwLock<HashMap<String, Option<Arc<Regex>>>>> = LazyLock::new(Default::default);
const MAX_COMPILED: usize = 500;

#[cfg(test)]
fn compiled_len() -> usize {
    COMPILED.read().len()
}

fn compiled_pattern(pattern: &str) -> Option<Arc<Regex>> {
    if let Some(re) = COMPILED.read().get(pattern) {
        return re.clone();
    }
    let re = Regex::new(pattern).ok().map(Arc::new);
    let mut compiled = COMPILED.write();
    if compiled.len() >= MAX_COMPILED {
        compiled.clear();
    }
    compiled.insert(pattern.to_string(), re.clone());
    re
}

/// Validates a normalised value. `plain_password` is the submitted password
/// for password fields (the stored value is a hash).
pub fn validate_value(field: &Field, v: &Value, plain_password: Option<&str>) -> Option<Value> {
    let blank = match (&field.kind, plain_password) {
        (FieldKind::Password { .. }, Some(p)) => p.is_empty(),
        _ => is_blank(field, v),
    };
    if blank {
        return field.required.then(|| field_error("validation_required", "Cannot be blank."));
    }
    let s = v.as_str().unwrap_or_default();
    match &field.kind {
        FieldKind::Text { min, max, pattern, primary_key, .. } => {
            let max = if *max == 0 && !primary_key { DEFAULT_TEXT_MAX } else { *max };
            text_len_errors(s.chars().count() as i64, *min, max).or_else(|| pattern_error(pattern, s)).or_else(|| {
                (*primary_key && !s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
                    .then(|| field_error("validation_pk_invalid", "Invalid record id characters."))
            })
        }
        FieldKind::Password { min, max, pattern, .. } => {
            let p = plain_password?;
            let max = if *max == 0 { DEFAULT_PASSWORD_MAX } else { *max };
            text_len_errors(p.chars().count() as i64, *min, max).or_else(|| pattern_error(pattern, p))
        }
        FieldKind::Number { min, max, only_int } => {
            let Some(n) = v.as_f64().filter(|n| n.is_finite()) else {
                return Some(field_error("validation_not_a_number", "The submitted number is not properly formatted."));
            };
            if *only_int && n.fract() != 0.0 {
                return Some(field_error("validation_only_int_constraint", "Only integers are allowed."));
            }
            if let Some(m) = min
                && n < *m
            {
                return Some(field_error_with(
                    "validation_min_number_constraint",
                    format!("Must be larger than {m}."),
                    json!({"min": m}),
                ));
            }
            if let Some(m) = max
                && n > *m
            {
                return Some(field_error_with(
                    "validation_max_number_constraint",
                    format!("Must be less than {m}."),
                    json!({"max": m}),
                ));
            }
            None
        }
        FieldKind::Email { only_domains, except_domains } => {
            if !is_email(s) {
                return Some(field_error("validation_is_email", "Must be a valid email address."));
            }
            check_domains(
                &domain_of(s),
                only_domains,
                except_domains,
                "validation_email_domain_not_allowed",
                "Email domain is not allowed.",
            )
        }
        FieldKind::Url { only_domains, except_domains } => {
            if !URL_RE.is_match(s) {
                return Some(field_error("validation_invalid_url", "Must be a valid url."));
            }
            check_domains(
                &url_host(s),
                only_domains,
                except_domains,
                "validation_url_domain_not_allowed",
                "Url domain is not allowed.",
            )
        }
        FieldKind::Editor { max_size, .. } => {
            let max = if *max_size == 0 { DEFAULT_EDITOR_MAX_SIZE } else { *max_size };
            (s.len() as i64 > max).then(|| {
                field_error_with(
                    "validation_content_size_limit",
                    format!("The maximum allowed content size is {max} bytes."),
                    json!({"maxSize": max}),
                )
            })
        }
        FieldKind::Date { min, max } => validate_date(s, min, max),
        FieldKind::Autodate { .. } | FieldKind::Bool => None,
        FieldKind::Select { values, max_select } => {
            let items: Vec<&str> = match v {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![s],
            };
            if let Some(bad) = items.iter().find(|i| !values.iter().any(|x| x == *i)) {
                return Some(field_error_with(
                    "validation_invalid_value",
                    format!("Invalid value {bad}."),
                    json!({"value": bad}),
                ));
            }
            let limit = (*max_select).max(1);
            (items.len() as i64 > limit).then(|| {
                field_error_with(
                    "validation_too_many_values",
                    format!("Select no more than {limit}."),
                    json!({"maxSelect": limit}),
                )
            })
        }
        FieldKind::Relation { min_select, max_select, .. } => {
            let n = v.as_array().map_or(1, Vec::len) as i64;
            let limit = (*max_select).max(1);
            if n > limit {
                return Some(field_error_with(
                    "validation_too_many_values",
                    format!("Select no more than {limit}."),
                    json!({"maxSelect": limit}),
                ));
            }
            (*min_select > 0 && n < *min_select).then(|| {
                field_error_with(
                    "validation_not_enough_values",
                    format!("Select at least {min_select}."),
                    json!({"minSelect": min_select}),
                )
            })
        }
        FieldKind::File { max_select, .. } => {
            let n = v.as_array().map_or(1, Vec::len) as i64;
            let limit = (*max_select).max(1);
            (n > limit).then(|| {
                field_error_with(
                    "validation_too_many_values",
                    format!("Select no more than {limit}."),
                    json!({"maxSelect": limit}),
                )
            })
        }
        FieldKind::Json { max_size } => {
            let max = if *max_size == 0 { DEFAULT_JSON_MAX_SIZE } else { *max_size };
            (v.to_string().len() as i64 > max).then(|| {
                field_error_with(
                    "validation_json_size_limit",
                    format!("The maximum allowed JSON size is {max} bytes."),
                    json!({"maxSize": max}),
                )
            })
        }
        FieldKind::GeoPoint => {
            let lon = v.get("lon").and_then(Value::as_f64).unwrap_or(0.0);
            let lat = v.get("lat").and_then(Value::as_f64).unwrap_or(0.0);
            if !(-90.0..=90.0).contains(&lat) {
                return Some(field_error(
                    "validation_invalid_latitude",
                    "Latitude must be between -90 and 90 degrees.",
                ));
            }
            (!(-180.0..=180.0).contains(&lon))
                .then(|| field_error("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."))
        }
    }
}

fn validate_date(s: &str, min: &str, max: &str) -> Option<Value> {
    let Some(t) = datetime::parse(s) else {
        return Some(field_error("validation_invalid_date", "Must be a valid date."));
    };
    if let Some(m) = datetime::parse(min)
        && t < m
    {
        return Some(field_error_with(
            "validation_min_date_constraint",
            format!("Must be no earlier than {min}."),
            json!({"min": min}),
        ));
    }
    if let Some(m) = datetime::parse(max)
        && t > m
    {
        return Some(field_error_with(
            "validation_max_date_constraint",
            format!("Must be no later than {max}."),
            json!({"max": max}),
        ));
    }
    None
}

/// Whether a string is an absolute URL.
pub fn is_url(s: &str) -> bool {
    URL_RE.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_patterns_compile_once_and_the_cache_stays_bounded() {
        let a = compiled_pattern("^cache-test-[0-9]+$").expect("valid pattern");
        let b = compiled_pattern("^cache-test-[0-9]+$").expect("valid pattern");
        assert!(Arc::ptr_eq(&a, &b), "the second lookup reuses the compiled regex");
        assert!(compiled_pattern("(unclosed").is_none());
        for i in 0..600 {
            compiled_pattern(&format!("^bounded-{i}$"));
        }
        assert!(compiled_len() <= 500);
        assert!(pattern_error("^[a-z]+$", "abc").is_none());
        assert!(pattern_error("^[a-z]+$", "ABC").is_some());
    }

    fn text(min: i64, max: i64, pattern: &str) -> Field {
        Field::new(
            "t",
            FieldKind::Text {
                min,
                max,
                pattern: pattern.into(),
                autogenerate_pattern: String::new(),
                primary_key: false,
            },
        )
    }

    fn code(e: Option<Value>) -> String {
        e.and_then(|v| v["code"].as_str().map(str::to_string)).unwrap_or_default()
    }

    #[test]
    fn text_constraints() {
        assert_eq!(code(validate_value(&text(3, 10, ""), &json!("ab"), None)), "validation_min_text_constraint");
        assert_eq!(
            code(validate_value(&text(3, 10, ""), &json!("abcdefghijk"), None)),
            "validation_max_text_constraint"
        );
        assert_eq!(code(validate_value(&text(0, 0, "^[a-z]+$"), &json!("ABC"), None)), "validation_invalid_format");
        assert_eq!(
            code(validate_value(&text(0, 0, ""), &json!("x".repeat(5001)), None)),
            "validation_max_text_constraint"
        );
        assert!(validate_value(&text(3, 10, ""), &json!(""), None).is_none(), "empty optional passes");
        let mut req = text(0, 0, "");
        req.required = true;
        assert_eq!(code(validate_value(&req, &json!(""), None)), "validation_required");
    }

    #[test]
    fn number_select_email_url() {
        let n = Field::new("n", FieldKind::Number { min: Some(1.0), max: Some(5.0), only_int: true });
        assert_eq!(code(validate_value(&n, &json!(9), None)), "validation_max_number_constraint");
        assert_eq!(code(validate_value(&n, &json!(2.5), None)), "validation_only_int_constraint");
        let s = Field::new("s", FieldKind::Select { values: vec!["a".into(), "b".into()], max_select: 1 });
        assert_eq!(code(validate_value(&s, &json!("z"), None)), "validation_invalid_value");
        let m = Field::new("m", FieldKind::Select { values: vec!["a".into(), "b".into(), "c".into()], max_select: 2 });
        assert_eq!(code(validate_value(&m, &json!(["a", "b", "c"]), None)), "validation_too_many_values");
        let e = Field::new("e", FieldKind::Email { only_domains: vec![], except_domains: vec!["bad.com".into()] });
        assert_eq!(code(validate_value(&e, &json!("nope"), None)), "validation_is_email");
        assert_eq!(code(validate_value(&e, &json!("x@bad.com"), None)), "validation_email_domain_not_allowed");
        let u = Field::new("u", FieldKind::Url { only_domains: vec![], except_domains: vec![] });
        assert_eq!(code(validate_value(&u, &json!("nope"), None)), "validation_invalid_url");
        assert!(validate_value(&u, &json!("https://example.com/a?b"), None).is_none());
    }
}
