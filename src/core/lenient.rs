//! Lenient decoding of the JSON PocketBase stores on disk (settings in
//! `_params`, auth collection options in `_collections`).
//!
//! Go writes a nil slice as `null`, older releases lack keys newer ones
//! added, and newer releases may add keys we do not know yet. Decoding
//! follows Go's `json.Unmarshal` into a default-filled struct: `null` for a
//! list is an empty list, `null` (or a missing key) for anything else keeps
//! the default. Keys we do not know are returned apart, so a later save
//! writes them back unchanged ([`encode`]).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Decodes `raw` into `T` like Go would into `T::default()`; returns the
/// value and the keys (at any depth) that `T` does not know.
pub fn decode<T: Default + Serialize + DeserializeOwned>(raw: &Value) -> Result<(T, Value), serde_json::Error> {
    let template = serde_json::to_value(T::default())?;
    let cleaned = without_nulls(raw, Some(&template));
    let value: T = serde_json::from_value(cleaned)?;
    let known = serde_json::to_value(&value)?;
    Ok((value, unknown_keys(raw, &known)))
}

/// `value` as JSON with the `unknown` keys of its stored form put back.
pub fn encode<T: Serialize>(value: &T, unknown: &Value) -> Result<Value, serde_json::Error> {
    let mut out = serde_json::to_value(value)?;
    add_missing(&mut out, unknown);
    Ok(out)
}

/// Replaces `null`s: by `[]` where the default is a list, by nothing (the
/// key is dropped, so the default applies) where the default is anything
/// else. Where there is no default to compare with (a key we do not know,
/// or items of a list), `null` stays for `Option`s to read.
fn without_nulls(raw: &Value, template: Option<&Value>) -> Value {
    match raw {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let t = template.and_then(|t| t.get(k));
                match (v, t) {
                    (Value::Null, Some(Value::Array(_))) => {
                        out.insert(k.clone(), Value::Array(Vec::new()));
                    }
                    (Value::Null, Some(t)) if !t.is_null() => {}
                    _ => {
                        out.insert(k.clone(), without_nulls(v, t));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let item_template = template.and_then(|t| t.as_array()).and_then(|a| a.first());
            Value::Array(items.iter().map(|i| without_nulls(i, item_template)).collect())
        }
        other => other.clone(),
    }
}

/// The parts of `raw` that decoding dropped: keys absent from `known`,
/// found by walking the objects both have.
fn unknown_keys(raw: &Value, known: &Value) -> Value {
    let (Value::Object(r), Value::Object(k)) = (raw, known) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (key, v) in r {
        match k.get(key) {
            None => {
                out.insert(key.clone(), v.clone());
            }
            Some(kv) => {
                let nested = unknown_keys(v, kv);
                if !nested.is_null() {
                    out.insert(key.clone(), nested);
                }
            }
        }
    }
    if out.is_empty() { Value::Null } else { Value::Object(out) }
}

/// Puts the keys of `extra` that `dst` lacks into `dst` (recursively).
fn add_missing(dst: &mut Value, extra: &Value) {
    let (Value::Object(d), Value::Object(e)) = (dst, extra) else {
        return;
    };
    for (k, v) in e {
        match d.get_mut(k) {
            None => {
                d.insert(k.clone(), v.clone());
            }
            Some(existing) => add_missing(existing, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        list: Vec<String>,
        n: i64,
    }

    impl Default for Inner {
        fn default() -> Self {
            Inner { list: vec!["x".into()], n: 7 }
        }
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Outer {
        inner: Inner,
        rule: Option<String>,
        items: Vec<Inner>,
    }

    #[test]
    fn null_lists_are_empty_and_other_nulls_keep_the_default() {
        let (v, unknown) = decode::<Outer>(&json!({"inner": {"list": null, "n": null}, "rule": null, "items": null}))
            .expect("decodes");
        assert_eq!(v.inner, Inner { list: vec![], n: 7 });
        assert_eq!(v.rule, None);
        assert!(v.items.is_empty());
        assert!(unknown.is_null());
    }

    #[test]
    fn missing_keys_take_the_default() {
        let (v, _) = decode::<Outer>(&json!({"rule": "x", "items": [{"n": 1}]})).expect("decodes");
        assert_eq!(v.inner, Inner::default());
        assert_eq!(v.rule.as_deref(), Some("x"));
        assert_eq!(v.items, vec![Inner { list: vec!["x".into()], n: 1 }]);
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let raw = json!({"inner": {"n": 1, "future": {"a": 1}}, "newTopLevel": [1, 2]});
        let (mut v, unknown) = decode::<Outer>(&raw).expect("decodes");
        assert_eq!(unknown, json!({"inner": {"future": {"a": 1}}, "newTopLevel": [1, 2]}));
        v.inner.n = 5;
        let out = encode(&v, &unknown).expect("encodes");
        assert_eq!(out["inner"]["n"], 5);
        assert_eq!(out["inner"]["future"], json!({"a": 1}));
        assert_eq!(out["newTopLevel"], json!([1, 2]));
    }
}
