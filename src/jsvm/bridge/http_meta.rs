//! `e.__ri` and `e.__http` of a request hook event: the `@request` info
//! behind `e.auth`/`e.requestInfo()` (see `js_api/prelude.js`), and the
//! HTTP request behind the API call, read by `e.request`/`e.realIP()` and
//! written by `e.response.header()` (see `js_api/router.js`).

use std::sync::Arc;

use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, JsLifetime, Object, Value};

use crate::core::request::{HttpMeta, RequestInfo};
use crate::jsvm::bindings::convert;
use crate::jsvm::bindings::record::JsRecord;
use crate::jsvm::http::pairs_object;

/// The JS view of a [`RequestInfo`], converted on demand.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HookRequestInfo")]
pub struct HookRequestInfo {
    #[qjs(skip_trace)]
    info: RequestInfo,
}

impl HookRequestInfo {
    /// A JS object for `info`.
    pub fn instance<'js>(ctx: &Ctx<'js>, info: &RequestInfo) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), HookRequestInfo { info: info.clone() })?.into_value())
    }
}

#[rquickjs::methods(rename_all = "camelCase")]
impl HookRequestInfo {
    /// The authenticated record (a new `Record`), or null.
    pub fn auth<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        match &self.info.auth {
            Some(a) => JsRecord::instance(&ctx, (**a).clone()),
            None => Ok(Value::new_null(ctx)),
        }
    }

    /// `e.requestInfo()` with `auth` as the event's.
    pub fn build<'js>(&self, ctx: Ctx<'js>, auth: Value<'js>) -> rquickjs::Result<Object<'js>> {
        let info = &self.info;
        let obj = Object::new(ctx.clone())?;
        obj.set("query", convert::to_js(&ctx, &serde_json::Value::Object((*info.query).clone()))?)?;
        obj.set("headers", convert::to_js(&ctx, &serde_json::Value::Object((*info.headers).clone()))?)?;
        obj.set("body", convert::to_js(&ctx, &serde_json::Value::Object(info.body.clone()))?)?;
        obj.set("auth", auth)?;
        obj.set("method", info.method.as_str())?;
        obj.set("context", info.context_name())?;
        Ok(obj)
    }
}

/// The JS view of an [`HttpMeta`].
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HookHttp")]
pub struct HookHttp {
    #[qjs(skip_trace)]
    meta: Arc<HttpMeta>,
}

impl HookHttp {
    /// A JS object for `meta`.
    pub fn instance<'js>(ctx: &Ctx<'js>, meta: &Arc<HttpMeta>) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), HookHttp { meta: meta.clone() })?.into_value())
    }
}

#[rquickjs::methods(rename_all = "camelCase")]
impl HookHttp {
    #[qjs(get)]
    pub fn method(&self) -> String {
        self.meta.method.clone()
    }

    #[qjs(get)]
    pub fn uri(&self) -> String {
        self.meta.uri.clone()
    }

    #[qjs(get)]
    pub fn path(&self) -> String {
        self.meta.path.clone()
    }

    #[qjs(get)]
    pub fn raw_query(&self) -> String {
        self.meta.raw_query.clone()
    }

    #[qjs(get)]
    pub fn host(&self) -> String {
        self.meta.host.clone()
    }

    #[qjs(get)]
    pub fn remote_addr(&self) -> String {
        self.meta.remote_addr.clone()
    }

    #[qjs(get)]
    pub fn remote_ip(&self) -> String {
        self.meta.remote_ip.clone()
    }

    #[qjs(get)]
    pub fn content_length(&self) -> usize {
        self.meta.content_length
    }

    #[qjs(get)]
    pub fn headers<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        pairs_object(&ctx, &self.meta.headers)
    }

    #[qjs(get)]
    pub fn params<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        pairs_object(&ctx, &self.meta.params)
    }

    /// The response headers the hooks have set so far (`[[name, value], …]`).
    #[qjs(get)]
    pub fn response_headers(&self) -> Vec<Vec<String>> {
        match self.meta.response_headers.lock() {
            Ok(h) => h.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Writes (appends to) the response the API answers with.
    pub fn write<'js>(&self, status: f64, body: Value<'js>) -> rquickjs::Result<()> {
        let bytes = match body.as_string() {
            Some(s) => s.to_string()?.into_bytes(),
            None => match body.as_array() {
                Some(arr) => arr.iter::<f64>().map(|b| b.map(|b| b as u8)).collect::<rquickjs::Result<Vec<u8>>>()?,
                None => Vec::new(),
            },
        };
        self.meta.write(status as u16, &bytes);
        Ok(())
    }

    /// Whether a hook wrote a response.
    #[qjs(get)]
    pub fn written(&self) -> bool {
        self.meta.written().is_some()
    }

    /// Replaces the response headers the hooks set (`[[name, value], …]`).
    pub fn set_response_headers(&self, pairs: Vec<Vec<String>>) {
        let pairs = pairs
            .into_iter()
            .filter_map(|p| match <[String; 2]>::try_from(p) {
                Ok([k, v]) => Some((k, v)),
                Err(_) => None,
            })
            .collect();
        self.meta.set_response_headers(pairs);
    }
}
