//! Small global helpers: `toString`, `toBytes`, `readerToString`,
//! `sleep`, `console`, `process`.

use std::time::Duration;

use rquickjs::prelude::{Func, Opt, Rest};
use rquickjs::{Array, Ctx, Object, Value};
use serde_json::Value as Json;

use super::{convert, logger, state};
use crate::core::logs::level;

/// Installs the helpers on the global object.
pub fn install<'js>(ctx: &Ctx<'js>, g: &Object<'js>) -> rquickjs::Result<()> {
    g.set("toString", Func::from(to_string))?;
    g.set("toBytes", Func::from(to_bytes))?;
    // superseded by toString in PocketBase, kept for old hooks
    g.set("readerToString", Func::from(to_string))?;
    g.set("sleep", Func::from(sleep))?;

    let console = Object::new(ctx.clone())?;
    console.set("log", Func::from(console_fn(level::INFO)))?;
    console.set("info", Func::from(console_fn(level::INFO)))?;
    console.set("debug", Func::from(console_fn(level::DEBUG)))?;
    console.set("warn", Func::from(console_fn(level::WARN)))?;
    console.set("error", Func::from(console_fn(level::ERROR)))?;
    g.set("console", console)?;

    let process = Object::new(ctx.clone())?;
    let env = Object::new(ctx.clone())?;
    for (k, v) in std::env::vars() {
        env.set(k, v)?;
    }
    process.set("env", env)?;
    g.set("process", process)?;
    Ok(())
}

/// PocketBase's `toString`: strings as they are, byte arrays as text,
/// anything else as JSON (keys sorted).
fn to_string<'js>(v: Value<'js>, max: Opt<f64>) -> rquickjs::Result<String> {
    let Some(v) = reader_bytes(v)? else {
        return Ok(String::new());
    };
    let raw = match v.as_array() {
        Some(arr) => convert::json_raw_value(arr)?,
        None => None,
    };
    let mut s = if let Some(s) = v.as_string() {
        s.to_string()?
    } else if let Some(raw) = raw {
        // a JSON field's bytes: its JSON text ("null" when empty), like PocketBase
        raw.to_string()
    } else {
        match convert::to_json(v)? {
            Json::Null => String::new(),
            Json::Array(a) if is_byte_array(&a) => {
                let bytes: Vec<u8> = a.iter().filter_map(Json::as_u64).map(|b| b as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            other => other.to_string(),
        }
    };
    if let Some(max) = max.0.filter(|m| *m > 0.0) {
        let max = max as usize;
        if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
    }
    Ok(s)
}

/// The property of a body reader (`e.request.body`) holding its bytes.
const READER_MARK: &str = "__pbBytes";

/// A body reader's bytes instead of the reader (`None` for an empty
/// body, which reads as nothing), any other value as it is.
fn reader_bytes<'js>(v: Value<'js>) -> rquickjs::Result<Option<Value<'js>>> {
    let Some(obj) = v.as_object() else {
        return Ok(Some(v));
    };
    if v.as_array().is_some() || !obj.contains_key(READER_MARK)? {
        return Ok(Some(v));
    }
    let bytes: Array = obj.get(READER_MARK)?;
    Ok((!bytes.is_empty()).then(|| bytes.into_value()))
}

fn is_byte_array(a: &[Json]) -> bool {
    !a.is_empty() && a.iter().all(|v| v.as_u64().is_some_and(|b| b <= 255))
}

/// `toBytes(v)`: the UTF-8 bytes of a string (or of `v` as JSON) as an array.
fn to_bytes<'js>(ctx: Ctx<'js>, v: Value<'js>) -> rquickjs::Result<Array<'js>> {
    let Some(v) = reader_bytes(v)? else {
        return Array::new(ctx);
    };
    let text = if let Some(s) = v.as_string() {
        s.to_string()?
    } else {
        match convert::to_json(v)? {
            Json::Array(a) if is_byte_array(&a) => {
                let arr = Array::new(ctx.clone())?;
                for (i, b) in a.iter().enumerate() {
                    arr.set(i, b.as_u64().unwrap_or(0) as i32)?;
                }
                return Ok(arr);
            }
            Json::Null => String::new(),
            other => other.to_string(),
        }
    };
    let arr = Array::new(ctx)?;
    for (i, b) in text.bytes().enumerate() {
        arr.set(i, i32::from(b))?;
    }
    Ok(arr)
}

/// `sleep(ms)`: blocks this runtime. The time counts against the handler's
/// budget and never sleeps past it (the interrupt cannot fire while asleep).
fn sleep(ctx: Ctx<'_>, ms: f64) -> rquickjs::Result<()> {
    if !(ms.is_finite() && ms > 0.0) {
        return Ok(());
    }
    let wanted = Duration::from_millis(ms as u64);
    let left = state(&ctx)?.budget.remaining();
    std::thread::sleep(left.map_or(wanted, |l| l.min(wanted)));
    if left.is_some_and(|l| l < wanted) {
        return Err(rquickjs::Exception::throw_internal(&ctx, "interrupted: sleep() outlasts the time budget"));
    }
    Ok(())
}

fn console_fn<'js>(lvl: i64) -> impl Fn(Ctx<'js>, Rest<Value<'js>>) -> rquickjs::Result<()> {
    move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
        let parts: Vec<String> = args
            .0
            .into_iter()
            .map(|v| match v.as_string() {
                Some(s) => s.to_string().unwrap_or_default(),
                None => convert::to_json(v).map(|j| j.to_string()).unwrap_or_default(),
            })
            .collect();
        let app = state(&ctx)?.app.clone();
        logger::write(&ctx, &app, lvl, &parts.join(" "), Json::Object(Default::default()));
        Ok(())
    }
}
