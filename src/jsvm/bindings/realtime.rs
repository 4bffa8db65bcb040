//! `$app.subscriptionsBroker()` and its clients: the realtime broker seen
//! from JS, with PocketBase's methods (`clients()`, `clientById()`,
//! `client.send(new SubscriptionMessage({name, data}))`, `client.get("auth")`…).
//! Messages sent from JS go through the `onRealtimeMessageSend` hooks and
//! the bounded queues like any other.

use std::sync::Arc;

use rquickjs::class::Trace;
use rquickjs::prelude::Rest;
use rquickjs::{Array, Class, Ctx, JsLifetime, Object, Value};

use super::record::JsRecord;
use super::{convert, state};
use crate::core::realtime::requests::Sent;
use crate::core::realtime::{Client, Message, StoreValue};
use crate::core::{App, Error};
use crate::jsvm::error::throw_core;

/// The JS subscriptions broker.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "SubscriptionsBroker")]
pub struct JsBroker {
    #[qjs(skip_trace)]
    app: App,
}

impl JsBroker {
    /// The broker of `app`.
    pub fn new(app: &App) -> Self {
        JsBroker { app: app.without_tx() }
    }
}

fn client_js<'js>(ctx: &Ctx<'js>, app: &App, client: Arc<Client>) -> rquickjs::Result<Value<'js>> {
    Ok(Class::instance(ctx.clone(), JsClient { app: app.clone(), client })?.into_value())
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsBroker {
    /// `{clientId: client}` of every registered client.
    pub fn clients<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        let out = Object::new(ctx.clone())?;
        for c in self.app.realtime().clients() {
            out.set(c.id(), client_js(&ctx, &self.app, c.clone())?)?;
        }
        Ok(out)
    }

    /// The clients in chunks of `size`.
    pub fn chunked_clients<'js>(&self, ctx: Ctx<'js>, size: f64) -> rquickjs::Result<Array<'js>> {
        let out = Array::new(ctx.clone())?;
        let size = if size.is_finite() && size >= 1.0 { size as usize } else { 1 };
        for (i, chunk) in self.app.realtime().chunked_clients(size).into_iter().enumerate() {
            let arr = Array::new(ctx.clone())?;
            for (j, c) in chunk.into_iter().enumerate() {
                arr.set(j, client_js(&ctx, &self.app, c)?)?;
            }
            out.set(i, arr)?;
        }
        Ok(out)
    }

    pub fn total_clients(&self) -> usize {
        self.app.realtime().total_clients()
    }

    /// A client by id; throws when there is none (PocketBase returns an error).
    pub fn client_by_id<'js>(&self, ctx: Ctx<'js>, id: String) -> rquickjs::Result<Value<'js>> {
        match self.app.realtime().client_by_id(&id) {
            Some(c) => client_js(&ctx, &self.app, c),
            None => Err(throw_core(&ctx, Error::NotFound(format!("No client associated with connection ID {id:?}.")))),
        }
    }

    /// Registers a client (one obtained from this broker or an event).
    pub fn register<'js>(&self, ctx: Ctx<'js>, client: Value<'js>) -> rquickjs::Result<()> {
        let c = client_of(&ctx, &client)?;
        self.app.realtime().register(c);
        Ok(())
    }

    /// Removes and discards a client.
    pub fn unregister(&self, id: String) {
        self.app.realtime().unregister(&id);
    }
}

/// A JS realtime client.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "SubscriptionsClient")]
pub struct JsClient {
    #[qjs(skip_trace)]
    app: App,
    #[qjs(skip_trace)]
    pub client: Arc<Client>,
}

impl JsClient {
    /// A JS object for `client`.
    pub fn instance<'js>(ctx: &Ctx<'js>, app: &App, client: Arc<Client>) -> rquickjs::Result<Value<'js>> {
        client_js(ctx, &app.without_tx(), client)
    }
}

/// The core client behind a JS client object.
pub fn client_of<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<Arc<Client>> {
    v.as_object()
        .and_then(Class::<JsClient>::from_object)
        .map(|c| c.borrow().client.clone())
        .ok_or_else(|| throw_core(ctx, Error::BadRequest("Expected a realtime client.".into())))
}

/// `{name, data}` (a `SubscriptionMessage` or a plain object; `data` a
/// string, an array of bytes or any JSON value, which is serialised).
pub fn message_of<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> rquickjs::Result<Message> {
    let Some(obj) = v.as_object() else {
        return Err(throw_core(ctx, Error::BadRequest("Expected a SubscriptionMessage.".into())));
    };
    let name: Value = obj.get("name")?;
    let name = match name.as_string() {
        Some(s) => s.to_string()?,
        None => convert::to_json(name)?.as_str().map(str::to_string).unwrap_or_default(),
    };
    let data: Value = obj.get("data")?;
    let bytes = if let Some(s) = data.as_string() {
        s.to_string()?.into_bytes()
    } else {
        match convert::to_json(data)? {
            serde_json::Value::Null => Vec::new(),
            serde_json::Value::Array(items) if items.iter().all(|i| i.as_u64().is_some_and(|n| n <= 255)) => {
                items.iter().filter_map(serde_json::Value::as_u64).map(|n| n as u8).collect()
            }
            other => other.to_string().into_bytes(),
        }
    };
    Ok(Message::new(name, bytes))
}

/// `{name, data}` with `data` as a string (what a hook handler sees).
pub fn message_js<'js>(ctx: &Ctx<'js>, m: &Message) -> rquickjs::Result<Value<'js>> {
    let obj = Object::new(ctx.clone())?;
    obj.set("name", m.name.as_str())?;
    obj.set("data", String::from_utf8_lossy(&m.data).into_owned())?;
    Ok(obj.into_value())
}

fn strings(values: Rest<Value<'_>>) -> rquickjs::Result<Vec<String>> {
    let mut out = Vec::new();
    for v in values.0 {
        if let Some(arr) = v.as_array() {
            for item in arr.iter::<String>() {
                out.push(item?);
            }
        } else if let Some(s) = v.as_string() {
            out.push(s.to_string()?);
        }
    }
    Ok(out)
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsClient {
    pub fn id(&self) -> String {
        self.client.id().to_string()
    }

    /// `{subscription: {query, headers}}`, only those starting with one
    /// of `prefixes` when given.
    pub fn subscriptions<'js>(&self, ctx: Ctx<'js>, prefixes: Rest<Value<'js>>) -> rquickjs::Result<Object<'js>> {
        let out = Object::new(ctx.clone())?;
        for (name, options) in self.client.subscriptions(&strings(prefixes)?) {
            out.set(name, convert::to_js(&ctx, &options.to_json())?)?;
        }
        Ok(out)
    }

    pub fn subscribe(&self, subs: Rest<Value<'_>>) -> rquickjs::Result<()> {
        self.client.subscribe(&strings(subs)?);
        Ok(())
    }

    /// Removes the given subscriptions, all of them without arguments.
    pub fn unsubscribe(&self, subs: Rest<Value<'_>>) -> rquickjs::Result<()> {
        self.client.unsubscribe(&strings(subs)?);
        Ok(())
    }

    pub fn has_subscription(&self, sub: String) -> bool {
        self.client.has_subscription(&sub)
    }

    /// A store value: `get("auth")` is the client's auth `Record` or null.
    pub fn get<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<Value<'js>> {
        match self.client.get(&key) {
            Some(StoreValue::Auth(r)) => JsRecord::instance(&ctx, (*r).clone()),
            Some(StoreValue::Json(v)) => convert::to_js(&ctx, &v),
            None => Ok(Value::new_null(ctx)),
        }
    }

    /// Stores a value (`set("auth", record)` sets the client's auth).
    pub fn set<'js>(&self, key: String, value: Value<'js>) -> rquickjs::Result<()> {
        let v = match JsRecord::shared_of(&value) {
            Some(shared) => StoreValue::Auth(Arc::new(shared.borrow().clone())),
            None => StoreValue::Json(convert::to_json(value)?),
        };
        self.client.set(&key, v);
        Ok(())
    }

    pub fn unset(&self, key: String) {
        self.client.unset(&key);
    }

    /// Ends the client's stream (after what is already queued).
    pub fn discard(&self) {
        self.client.discard();
    }

    pub fn is_discarded(&self) -> bool {
        self.client.is_discarded()
    }

    /// Queues a message (through the `onRealtimeMessageSend` hooks); a
    /// client too slow to take it is dropped. Never waits for the client.
    pub fn send<'js>(&self, ctx: Ctx<'js>, message: Value<'js>) -> rquickjs::Result<bool> {
        let m = message_of(&ctx, message)?;
        let budget = state(&ctx)?.budget.clone();
        let sent = budget.paused(|| self.app.realtime_deliver(&self.client, Arc::new(m)));
        Ok(sent == Sent::Queued)
    }
}
