//! The Rust half of the `$app` methods defined in `js_api/app_extras.js`:
//! `settings()` and saving them, `db().newQuery(sql).bind().execute()/one()/all()`
//! and `importCollections(list, deleteMissing)`. They take the app object
//! they are called on, so inside a transaction (a hook's `e.app`, a
//! migration's `app`) they join it.

use std::time::{Duration, Instant};

use rquickjs::prelude::{Func, Opt};
use rquickjs::{Array, Class, Ctx, Object, Value};
use serde_json::{Map, Value as Json, json};

use super::app::JsApp;
use super::{convert, state};
use crate::core::{App, Error};
use crate::db::{Executor, raw};
use crate::jsvm::error::throw_core;

/// Adds the natives `js_api/app_extras.js` uses.
pub fn install<'js>(_ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("appSettings", Func::from(app_settings))?;
    native.set("saveSettings", Func::from(save_settings))?;
    native.set("dbExecute", Func::from(db_execute))?;
    native.set("dbQuery", Func::from(db_query))?;
    native.set("auxDbExecute", Func::from(aux_db_execute))?;
    native.set("auxDbQuery", Func::from(aux_db_query))?;
    native.set("importCollections", Func::from(import_collections))?;
    Ok(())
}

fn app_of(app: &Class<'_, JsApp>) -> App {
    app.borrow().app.clone()
}

/// The settings JSON (secrets blanked, like the API shows them).
fn app_settings<'js>(ctx: Ctx<'js>, app: Class<'js, JsApp>) -> rquickjs::Result<Value<'js>> {
    convert::to_js(&ctx, &app_of(&app).settings().to_public_json())
}

/// Validates and stores changed settings; blank secrets keep their value.
fn save_settings<'js>(ctx: Ctx<'js>, app: Class<'js, JsApp>, data: Value<'js>) -> rquickjs::Result<()> {
    let app = app_of(&app);
    let patch = convert::to_json(data)?;
    let budget = state(&ctx)?.budget.clone();
    budget
        .paused(|| {
            let next = app.settings().patched(&patch)?;
            app.save_settings(next)
        })
        .map_err(|e| throw_core(&ctx, e))
}

fn params_of(v: Opt<Value<'_>>) -> rquickjs::Result<Map<String, Json>> {
    match v.0 {
        Some(v) if v.is_object() => convert::to_json_map(v),
        _ => Ok(Map::new()),
    }
}

/// When a script's query is interrupted: what is left of the handler's
/// time budget, at most the app's query timeout (the JS interrupt cannot
/// stop a query in progress).
fn deadline(ctx: &Ctx<'_>, app: &App) -> rquickjs::Result<Instant> {
    let cap = Duration::from_secs(app.config().query_timeout.max(1));
    let left = state(ctx)?.budget.remaining().unwrap_or(cap);
    Ok(Instant::now() + left.min(cap))
}

fn sql_error(e: rusqlite::Error) -> Error {
    Error::BadRequest(format!("SQL error: {e}"))
}

/// Runs a statement; returns `{rowsAffected, lastInsertId}`.
fn db_execute<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    sql: String,
    params: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let app = app_of(&app);
    execute_on(ctx, &app, app.executor().clone(), sql, params)
}

/// Runs a query; returns its rows (at most `limit`) as plain objects.
fn db_query<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    sql: String,
    params: Opt<Value<'js>>,
    limit: Opt<f64>,
) -> rquickjs::Result<Array<'js>> {
    let app = app_of(&app);
    query_on(ctx, &app, app.executor().clone(), sql, params, limit)
}

/// [`db_execute`] on auxiliary.db (logs): `$app.auxDB()`.
fn aux_db_execute<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    sql: String,
    params: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let app = app_of(&app);
    execute_on(ctx, &app, Executor::Pool(app.aux_db().clone()), sql, params)
}

/// [`db_query`] on auxiliary.db (logs): `$app.auxDB()`.
fn aux_db_query<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    sql: String,
    params: Opt<Value<'js>>,
    limit: Opt<f64>,
) -> rquickjs::Result<Array<'js>> {
    let app = app_of(&app);
    query_on(ctx, &app, Executor::Pool(app.aux_db().clone()), sql, params, limit)
}

/// A statement on `db` under the hook's deadline, its JS budget paused.
fn execute_on<'js>(
    ctx: Ctx<'js>,
    app: &App,
    db: Executor,
    sql: String,
    params: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let params = params_of(params)?;
    let until = deadline(&ctx, app)?;
    let budget = state(&ctx)?.budget.clone();
    let (n, id) = budget
        .paused(|| db.write(|c| crate::db::with_deadline(until, || raw::execute(c, &sql, &params)).map_err(sql_error)))
        .map_err(|e| throw_core(&ctx, e))?;
    convert::to_js(&ctx, &json!({"rowsAffected": n, "lastInsertId": id}))
}

/// A query on `db` under the hook's deadline, its JS budget paused.
fn query_on<'js>(
    ctx: Ctx<'js>,
    app: &App,
    db: Executor,
    sql: String,
    params: Opt<Value<'js>>,
    limit: Opt<f64>,
) -> rquickjs::Result<Array<'js>> {
    let params = params_of(params)?;
    let limit = limit.0.filter(|l| *l > 0.0).map(|l| l as usize);
    let until = deadline(&ctx, app)?;
    let budget = state(&ctx)?.budget.clone();
    let rows = budget
        .paused(|| {
            db.read(|c| crate::db::with_deadline(until, || raw::query(c, &sql, &params, limit)).map_err(sql_error))
        })
        .map_err(|e| throw_core(&ctx, e))?;
    let arr = Array::new(ctx.clone())?;
    for (i, row) in rows.into_iter().enumerate() {
        arr.set(i, convert::to_js(&ctx, &Json::Object(row))?)?;
    }
    Ok(arr)
}

/// `importCollections(list, deleteMissing)`: creates or replaces the listed
/// collections (by id or name) in one transaction.
fn import_collections<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    list: Value<'js>,
    delete_missing: Opt<bool>,
) -> rquickjs::Result<()> {
    let app = app_of(&app);
    let Json::Array(list) = convert::to_json(list)? else {
        return Err(throw_core(&ctx, Error::BadRequest("importCollections expects an array of collections.".into())));
    };
    let budget = state(&ctx)?.budget.clone();
    budget.paused(|| app.import_collections(&list, delete_missing.0.unwrap_or(false))).map_err(|e| throw_core(&ctx, e))
}
