//! The natives behind `cronAdd`/`cronRemove` (js_api/cron.js): checking an
//! expression, and adding or removing a job while a handler runs.

use rquickjs::prelude::Func;
use rquickjs::{Ctx, Object};

use super::state;
use crate::core::Error;
use crate::core::cron::Schedule;
use crate::jsvm::error::throw_core;
use crate::jsvm::jobs;

/// Adds the cron natives to `native`.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "cronCheck",
        Func::from(|ctx: Ctx<'_>, expr: String| {
            // PocketBase fails the calling handler with a 500
            Schedule::parse(&expr)
                .map(|_| ())
                .map_err(|message| throw_core(&ctx, Error::Api { status: 500, message, data: serde_json::json!({}) }))
        }),
    )?;
    native.set(
        "cronAddLive",
        Func::from(|ctx: Ctx<'_>, id: String, expr: String, source: String| {
            let (app, slot) = {
                let s = state(&ctx)?;
                (s.app.clone(), s.pool.clone())
            };
            jobs::add_live_cron(&app, &slot, &id, &expr, source).map_err(|e| throw_core(&ctx, e))
        }),
    )?;
    native.set(
        "cronRemove",
        Func::from(|ctx: Ctx<'_>, id: String| {
            state(&ctx)?.app.cron().remove(&id);
            rquickjs::Result::Ok(())
        }),
    )?;
    Ok(())
}
