//! What JS handlers of the realtime hooks see: `e.client` (a
//! `SubscriptionsClient`), `e.idleTimeout` (nanoseconds, like Go's
//! `time.Duration`), `e.subscriptions`, `e.message` (`{name, data}` with
//! `data` as a string), plus `e.app` and, for requests, `e.auth`,
//! `e.requestInfo()` and `e.request`.

use std::time::Duration;

use rquickjs::{Ctx, Object, Value};

use super::BridgeEvent;
use super::events::expose_request;
use crate::core::Error;
use crate::core::realtime::{RealtimeConnectRequestEvent, RealtimeMessageEvent, RealtimeSubscribeRequestEvent};
use crate::core::request::RequestInfo;
use crate::jsvm::bindings::app::JsApp;
use crate::jsvm::bindings::convert;
use crate::jsvm::bindings::realtime::{JsClient, message_js, message_of};

fn js_err(err: rquickjs::Error) -> Error {
    Error::Internal(err.to_string())
}

fn nanos(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// A duration set from JS in nanoseconds (invalid values keep `current`).
fn duration_prop(e: &Object<'_>, key: &str, current: Duration) -> Result<Duration, Error> {
    let v: Value = e.get(key).map_err(js_err)?;
    Ok(match v.as_number() {
        Some(n) if n.is_finite() && n > 0.0 => Duration::from_nanos(n as u64),
        _ => current,
    })
}

impl BridgeEvent for RealtimeConnectRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        RealtimeConnectRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            client: self.client.clone(),
            idle_timeout: self.idle_timeout,
            max_timeout: self.max_timeout,
            handled: self.handled,
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("client", JsClient::instance(ctx, &self.app, self.client.clone())?)?;
        expose_request(ctx, e, &self.request)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        self.idle_timeout = duration_prop(e, "idleTimeout", self.idle_timeout)?;
        self.max_timeout = duration_prop(e, "maxTimeout", self.max_timeout)?;
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        e.set("idleTimeout", nanos(self.idle_timeout))?;
        e.set("maxTimeout", nanos(self.max_timeout))
    }
}

impl BridgeEvent for RealtimeSubscribeRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        RealtimeSubscribeRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            client: self.client.clone(),
            subscriptions: Vec::new(),
            handled: self.handled,
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("client", JsClient::instance(ctx, &self.app, self.client.clone())?)?;
        expose_request(ctx, e, &self.request)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        let v: Value = e.get("subscriptions").map_err(js_err)?;
        self.subscriptions = match convert::to_json(v).map_err(js_err)? {
            serde_json::Value::Array(items) => {
                items.into_iter().filter_map(|i| i.as_str().map(str::to_string)).collect()
            }
            serde_json::Value::Null => Vec::new(),
            _ => return Err(Error::BadRequest("subscriptions must be an array of strings.".into())),
        };
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        let list =
            serde_json::Value::Array(self.subscriptions.iter().cloned().map(serde_json::Value::String).collect());
        e.set("subscriptions", convert::to_js(ctx, &list)?)
    }
}

impl BridgeEvent for RealtimeMessageEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        RealtimeMessageEvent { app: self.app.clone(), client: self.client.clone(), message: self.message.clone() }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("client", JsClient::instance(ctx, &self.app, self.client.clone())?)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        let v: Value = e.get("message").map_err(js_err)?;
        if v.is_object() {
            self.message = message_of(ctx, v).map_err(js_err)?;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        e.set("message", message_js(ctx, &self.message)?)
    }
}
