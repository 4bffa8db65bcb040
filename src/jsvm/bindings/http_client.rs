//! The native behind `$http.send` (js_api/os.js): one blocking request on a
//! shared reqwest client (rustls). Blocking like PocketBase's, but with its
//! own timeout: the config's (default 120 s) capped by what is left of the
//! handler's time budget, since the JS interrupt cannot stop a host call.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::Client;
use rquickjs::prelude::Func;
use rquickjs::{Ctx, Exception, Object, Value};
use serde_json::{Map, Value as Json, json};

use super::{convert, state};

/// Largest response body read into JS.
const MAX_BODY: u64 = 32 << 20;

/// Adds `httpSend` to `native`.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("httpSend", Func::from(send))
}

pub(crate) fn client() -> Result<&'static Client, String> {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = Client::builder().user_agent("ferrobase").build().map_err(|e| e.to_string())?;
    Ok(CLIENT.get_or_init(|| built))
}

/// Go's canonical header name: `content-type` → `Content-Type`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next().map(|f| f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect()).unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join("-")
}

/// One `Set-Cookie` header as PocketBase's cookie object.
fn cookie(raw: &str) -> Option<(String, Json)> {
    let mut parts = raw.split(';');
    let (name, value) = parts.next()?.trim().split_once('=')?;
    let mut c = json!({"name": name, "value": value.trim_matches('"'), "path": "", "domain": "", "expires": "",
        "maxAge": 0, "secure": false, "httpOnly": false, "sameSite": 0, "raw": raw});
    for attr in parts {
        let (k, v) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
        match k.to_ascii_lowercase().as_str() {
            "path" => c["path"] = json!(v),
            "domain" => c["domain"] = json!(v),
            "expires" => c["expires"] = json!(v),
            "max-age" => c["maxAge"] = json!(v.parse::<i64>().unwrap_or(0)),
            "secure" => c["secure"] = json!(true),
            "httponly" => c["httpOnly"] = json!(true),
            "samesite" => {
                let mode = match v.to_ascii_lowercase().as_str() {
                    "lax" => 2,
                    "strict" => 3,
                    "none" => 4,
                    _ => 1,
                };
                c["sameSite"] = json!(mode);
            }
            _ => {}
        }
    }
    Some((name.to_string(), c))
}

fn send<'js>(
    ctx: Ctx<'js>,
    url: String,
    method: String,
    body: Option<String>,
    headers: Object<'js>,
    timeout_secs: f64,
) -> rquickjs::Result<Value<'js>> {
    let fail = |msg: String| Exception::throw_message(&ctx, &msg);
    let wanted = Duration::try_from_secs_f64(timeout_secs)
        .ok()
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(120))
        .min(Duration::from_secs(24 * 3600));
    let timeout = state(&ctx)?.budget.remaining().map_or(wanted, |left| left.min(wanted));
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| fail(format!("invalid method {method:?}")))?;
    let mut req = client().map_err(&fail)?.request(method, &url).timeout(timeout);
    for prop in headers.props::<String, String>() {
        let (k, v) = prop?;
        req = req.header(k, v);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    let res = req.send().map_err(|e| {
        if e.is_timeout() { fail(format!("{url}: no response within {timeout:?}")) } else { fail(format!("{e}")) }
    })?;
    let status = res.status().as_u16();
    let mut header_map: Map<String, Json> = Map::new();
    let mut cookies: Map<String, Json> = Map::new();
    for (k, v) in res.headers() {
        let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
        if k == reqwest::header::SET_COOKIE
            && let Some((name, c)) = cookie(&value)
        {
            cookies.insert(name, c);
        }
        if let Json::Array(list) = header_map.entry(canonical(k.as_str())).or_insert_with(|| json!([])) {
            list.push(Json::String(value));
        }
    }
    let mut bytes = Vec::new();
    use std::io::Read;
    res.take(MAX_BODY).read_to_end(&mut bytes).map_err(|e| fail(format!("{url}: reading the body: {e}")))?;
    let out = Object::new(ctx.clone())?;
    out.set("statusCode", status)?;
    out.set("headers", convert::to_js(&ctx, &Json::Object(header_map))?)?;
    out.set("cookies", convert::to_js(&ctx, &Json::Object(cookies))?)?;
    out.set("raw", String::from_utf8_lossy(&bytes).into_owned())?;
    out.set("body", bytes)?;
    Ok(out.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_cookies_look_like_go() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("x-custom-ID"), "X-Custom-Id");
        let (name, c) = cookie("sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60").expect("cookie");
        assert_eq!(name, "sid");
        assert_eq!(c["value"], "abc");
        assert_eq!(c["httpOnly"], true);
        assert_eq!(c["sameSite"], 2);
        assert_eq!(c["maxAge"], 60);
    }
}
