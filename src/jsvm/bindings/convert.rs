//! JSON ⇄ JS values, built directly (no stringify/parse round trip, which
//! measured twice as slow). Objects with a `toJSON` method (records, dates,
//! collections) convert through it, like `JSON.stringify` would.
//!
//! A JSON field's value reaches JS as PocketBase gives it: the bytes of its
//! JSON text in an array ([`json_raw`]), marked so that converting it back
//! (saving it into a record, `e.json`, `toString`) gives the JSON again.

use rquickjs::{Array, Ctx, Function, Object, Type, Value};
use serde_json::{Map, Number, Value as Json};

use super::record::JsRecord;

/// Deeper nesting than this is treated as a cycle.
const MAX_DEPTH: usize = 64;

/// A JSON value as a JS value.
pub fn to_js<'js>(ctx: &Ctx<'js>, v: &Json) -> rquickjs::Result<Value<'js>> {
    Ok(match v {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(b) => Value::new_bool(ctx.clone(), *b),
        Json::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => Value::new_int(ctx.clone(), i as i32),
            _ => Value::new_float(ctx.clone(), n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Json::Array(a) => {
            let arr = Array::new(ctx.clone())?;
            for (i, item) in a.iter().enumerate() {
                arr.set(i, to_js(ctx, item)?)?;
            }
            arr.into_value()
        }
        Json::Object(m) => {
            let obj = Object::new(ctx.clone())?;
            for (k, item) in m {
                obj.set(k.as_str(), to_js(ctx, item)?)?;
            }
            obj.into_value()
        }
    })
}

/// Marks an array of bytes as raw JSON text (see the module doc).
const JSON_RAW: &str = "__pbJsonRaw";

/// A JSON value as PocketBase's `types.JSONRaw` in JS: the bytes of its
/// text (none for `null`), read back as JSON by [`to_json`] and `toJSON`.
pub fn json_raw<'js>(ctx: &Ctx<'js>, v: &Json) -> rquickjs::Result<Value<'js>> {
    let text = if v.is_null() { String::new() } else { v.to_string() };
    let arr = Array::new(ctx.clone())?;
    for (i, b) in text.bytes().enumerate() {
        arr.set(i, i32::from(b))?;
    }
    let pb: Object = ctx.globals().get("__pb")?;
    let mark: Function = pb.get("markJsonRaw")?;
    mark.call((arr,))
}

/// The JSON behind a [`json_raw`] array, if `arr` is one.
pub fn json_raw_value(arr: &Array<'_>) -> rquickjs::Result<Option<Json>> {
    if !arr.as_object().contains_key(JSON_RAW)? {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(arr.len());
    for b in arr.iter::<f64>() {
        bytes.push(b? as u8);
    }
    if bytes.is_empty() {
        return Ok(Some(Json::Null));
    }
    Ok(Some(serde_json::from_slice(&bytes).unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into()))))
}

/// A JS value as JSON: `undefined`, functions and symbols become `null`,
/// non-finite numbers `null`, integral numbers integers.
pub fn to_json(v: Value<'_>) -> rquickjs::Result<Json> {
    to_json_depth(v, 0)
}

fn number(f: f64) -> Json {
    if !f.is_finite() {
        return Json::Null;
    }
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return Json::Number((f as i64).into());
    }
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn to_json_depth(v: Value<'_>, depth: usize) -> rquickjs::Result<Json> {
    if depth > MAX_DEPTH {
        return Err(rquickjs::Error::new_from_js_message("object", "JSON", "value is nested too deeply (cyclic?)"));
    }
    Ok(match v.type_of() {
        Type::Bool => Json::Bool(v.as_bool().unwrap_or(false)),
        Type::Int => Json::Number(v.as_int().unwrap_or(0).into()),
        Type::Float => number(v.as_float().unwrap_or(0.0)),
        Type::String => Json::String(v.as_string().map(|s| s.to_string()).transpose()?.unwrap_or_default()),
        Type::BigInt => {
            v.as_big_int().map(|b| b.clone().to_i64()).transpose()?.map_or(Json::Null, |i| Json::Number(i.into()))
        }
        Type::Array => {
            let Some(arr) = v.as_array() else {
                return Ok(Json::Null);
            };
            if let Some(raw) = json_raw_value(arr)? {
                return Ok(raw);
            }
            let mut out = Vec::with_capacity(arr.len());
            for item in arr.iter::<Value>() {
                out.push(to_json_depth(item?, depth + 1)?);
            }
            Json::Array(out)
        }
        Type::Object | Type::Exception | Type::Proxy => {
            let Some(obj) = v.as_object() else {
                return Ok(Json::Null);
            };
            if let Some(rec) = JsRecord::from_object(obj) {
                return Ok(rec.export());
            }
            if let Ok(to_json) = obj.get::<_, Function>("toJSON") {
                let out: Value = to_json.call((rquickjs::function::This(obj.clone()),))?;
                return to_json_depth(out, depth + 1);
            }
            let mut m = Map::new();
            for prop in obj.props::<String, Value>() {
                let (k, item) = prop?;
                if item.is_function() || item.is_undefined() || item.is_symbol() {
                    continue;
                }
                m.insert(k, to_json_depth(item, depth + 1)?);
            }
            Json::Object(m)
        }
        _ => Json::Null,
    })
}

/// A JS object as a JSON object map (`{}` for anything else).
pub fn to_json_map(v: Value<'_>) -> rquickjs::Result<Map<String, Json>> {
    Ok(match to_json(v)? {
        Json::Object(m) => m,
        _ => Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Runtime};
    use serde_json::json;

    use super::*;

    #[test]
    fn json_round_trips_through_js() {
        let rt = Runtime::new().expect("runtime");
        let ctx = Context::full(&rt).expect("context");
        ctx.with(|ctx| {
            let v = json!({"a": [1, 2.5, "x", null, true], "b": {"c": 9_000_000_000i64}});
            let js = to_js(&ctx, &v).expect("to js");
            assert_eq!(to_json(js).expect("to json"), v);
            let computed: Value =
                ctx.eval("({n: 4/2, f: () => 1, u: undefined, nan: NaN, d: new Date(0)})").expect("eval");
            assert_eq!(
                to_json(computed).expect("to json"),
                json!({"n": 2, "nan": null, "d": "1970-01-01T00:00:00.000Z"})
            );
        });
    }
}
