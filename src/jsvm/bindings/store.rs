//! `$app.store()`: the app-wide key/value store, shared by every runtime
//! because it lives in the `App` (values are kept as JSON).

use rquickjs::class::Trace;
use rquickjs::{Ctx, JsLifetime, Value};

use super::convert;
use crate::core::App;

/// The JS store object.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Store")]
pub struct JsStore {
    #[qjs(skip_trace)]
    app: App,
}

impl JsStore {
    /// The store of `app`.
    pub fn new(app: App) -> Self {
        JsStore { app }
    }
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsStore {
    /// The value of `key` (`null` when missing).
    pub fn get<'js>(&self, ctx: Ctx<'js>, key: String) -> rquickjs::Result<Value<'js>> {
        let v = self.app.store().lock().get(&key).cloned();
        match v {
            Some(v) => convert::to_js(&ctx, &v),
            None => Ok(Value::new_null(ctx)),
        }
    }

    pub fn set<'js>(&self, key: String, value: Value<'js>) -> rquickjs::Result<()> {
        let v = convert::to_json(value)?;
        self.app.store().lock().insert(key, v);
        Ok(())
    }

    /// Sets `key` only when missing; returns the stored value.
    pub fn get_or_set<'js>(&self, ctx: Ctx<'js>, key: String, value: Value<'js>) -> rquickjs::Result<Value<'js>> {
        let v = convert::to_json(value)?;
        let stored = self.app.store().lock().entry(key).or_insert(v).clone();
        convert::to_js(&ctx, &stored)
    }

    pub fn has(&self, key: String) -> bool {
        self.app.store().lock().contains_key(&key)
    }

    pub fn remove(&self, key: String) {
        self.app.store().lock().remove(&key);
    }

    pub fn reset(&self) {
        self.app.store().lock().clear();
    }

    pub fn length(&self) -> usize {
        self.app.store().lock().len()
    }

    /// A copy of everything stored.
    pub fn get_all<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let all = serde_json::Value::Object(self.app.store().lock().clone());
        convert::to_js(&ctx, &all)
    }
}
