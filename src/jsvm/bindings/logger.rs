//! `$app.logger()` and `console.*`: messages go to the app log (`_logs`,
//! like PocketBase's slog logger) and to the process log.

use rquickjs::class::Trace;
use rquickjs::prelude::Rest;
use rquickjs::{Ctx, JsLifetime, Value};
use serde_json::{Map, Value as Json};

use super::{convert, state};
use crate::core::App;
use crate::core::logs::level;

/// The JS logger object.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Logger")]
pub struct JsLogger {
    #[qjs(skip_trace)]
    app: App,
}

impl JsLogger {
    /// The logger of `app`.
    pub fn new(app: App) -> Self {
        JsLogger { app }
    }
}

/// slog-style `key, value, key, value…` arguments as a data object.
fn key_values(args: Vec<Value<'_>>) -> Json {
    let mut data = Map::new();
    let mut it = args.into_iter();
    while let Some(k) = it.next() {
        let key = convert::to_json(k)
            .map(|j| match j {
                Json::String(s) => s,
                other => other.to_string(),
            })
            .unwrap_or_default();
        let v = it.next().and_then(|v| convert::to_json(v).ok()).unwrap_or(Json::Null);
        data.insert(key, v);
    }
    Json::Object(data)
}

/// Writes one entry to the app log and the process log (not while a
/// replica runtime loads the files: the loader already did).
pub fn write(ctx: &Ctx<'_>, app: &App, lvl: i64, message: &str, data: Json) {
    if state(ctx).is_ok_and(|s| s.quiet.get()) {
        return;
    }
    match lvl {
        l if l >= level::ERROR => {
            tracing::error!(target: "ferrobase::jsvm::log", "{message} {data}")
        }
        l if l >= level::WARN => tracing::warn!(target: "ferrobase::jsvm::log", "{message} {data}"),
        l if l >= level::INFO => tracing::info!(target: "ferrobase::jsvm::log", "{message} {data}"),
        _ => tracing::debug!(target: "ferrobase::jsvm::log", "{message} {data}"),
    }
    app.log(lvl, message, data);
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsLogger {
    pub fn debug<'js>(&self, ctx: Ctx<'js>, message: String, args: Rest<Value<'js>>) {
        write(&ctx, &self.app, level::DEBUG, &message, key_values(args.0));
    }

    pub fn info<'js>(&self, ctx: Ctx<'js>, message: String, args: Rest<Value<'js>>) {
        write(&ctx, &self.app, level::INFO, &message, key_values(args.0));
    }

    pub fn warn<'js>(&self, ctx: Ctx<'js>, message: String, args: Rest<Value<'js>>) {
        write(&ctx, &self.app, level::WARN, &message, key_values(args.0));
    }

    pub fn error<'js>(&self, ctx: Ctx<'js>, message: String, args: Rest<Value<'js>>) {
        write(&ctx, &self.app, level::ERROR, &message, key_values(args.0));
    }
}
