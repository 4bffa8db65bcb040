//! The natives behind `$dbx` and `$app.recordQuery()` (js_api/dbx.js):
//! reading the expression data into [`Expr`] and running record queries.

use rquickjs::prelude::Func;
use rquickjs::{Class, Ctx, Object, Value};
use serde_json::Value as Json;

use super::app::JsApp;
use super::record::JsRecord;
use super::{collection, convert, state};
use crate::core::{App, Error};
use crate::db::dbx::Expr;
use crate::jsvm::error::throw_core;

/// Adds the query natives to `native`.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("recordQuery", Func::from(record_query))?;
    Ok(())
}

/// An `Expr` from the data a `$dbx` helper returned.
pub fn expr_from_json(v: &Json) -> Result<Expr, Error> {
    let bad = || Error::BadRequest("Invalid $dbx expression.".into());
    let o = v.as_object().ok_or_else(bad)?;
    let kind = o.get("__dbx").and_then(Json::as_str).ok_or_else(bad)?;
    let str_of = |k: &str| o.get(k).and_then(Json::as_str).map(str::to_string).ok_or_else(bad);
    let flag = |k: &str| o.get(k).and_then(Json::as_bool).unwrap_or(false);
    let list = |k: &str| o.get(k).and_then(Json::as_array).cloned().unwrap_or_default();
    let inner = |k: &str| o.get(k).ok_or_else(bad).and_then(expr_from_json).map(Box::new);
    Ok(match kind {
        "exp" => Expr::Raw {
            sql: str_of("sql")?,
            params: o.get("params").and_then(Json::as_object).cloned().unwrap_or_default(),
        },
        "hash" => {
            Expr::Hash(o.get("pairs").and_then(Json::as_object).cloned().unwrap_or_default().into_iter().collect())
        }
        "not" => Expr::Not(inner("expr")?),
        "and" | "or" => {
            let items = list("exprs").iter().map(expr_from_json).collect::<Result<Vec<_>, _>>()?;
            if kind == "and" { Expr::And(items) } else { Expr::Or(items) }
        }
        "in" => Expr::In { column: str_of("col")?, values: list("values"), not: flag("not") },
        "like" => Expr::Like { column: str_of("col")?, values: list("values"), not: flag("not"), or: flag("or") },
        "exists" => Expr::Exists { inner: inner("expr")?, not: flag("not") },
        "between" => Expr::Between {
            column: str_of("col")?,
            from: o.get("from").cloned().unwrap_or(Json::Null),
            to: o.get("to").cloned().unwrap_or(Json::Null),
            not: flag("not"),
        },
        _ => return Err(bad()),
    })
}

/// The AND of `$dbx` expression arguments (`None` when there are none).
pub fn exprs_from_js(values: Vec<Value<'_>>) -> Result<Option<Expr>, Error> {
    let mut items = Vec::new();
    for v in values {
        if v.is_undefined() || v.is_null() {
            continue;
        }
        let json = convert::to_json(v).map_err(|e| Error::BadRequest(e.to_string()))?;
        items.push(expr_from_json(&json)?);
    }
    Ok(match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(Expr::And(items)),
    })
}

/// The app of a JS `$app`-like object.
fn app_of<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<App> {
    match v.as_object().and_then(Class::<JsApp>::from_object) {
        Some(a) => Ok(a.borrow().app.clone()),
        None => Ok(state(ctx)?.app.clone()),
    }
}

/// `recordQuery(...).all()/one()`: `spec` is `{where, order, limit, offset}`.
fn record_query<'js>(
    ctx: Ctx<'js>,
    app: Value<'js>,
    collection: Value<'js>,
    spec: Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    let app = app_of(&ctx, &app)?;
    let c = collection::resolve(&ctx, &app, &collection).map_err(|e| throw_core(&ctx, e))?;
    let filter = exprs_from_js(vec![spec.get::<_, Value>("where")?]).map_err(|e| throw_core(&ctx, e))?;
    let order: Vec<String> = spec.get::<_, Option<Vec<String>>>("order")?.unwrap_or_default();
    let limit = spec.get::<_, Option<f64>>("limit")?.unwrap_or(0.0) as i64;
    let offset = spec.get::<_, Option<f64>>("offset")?.unwrap_or(0.0) as i64;
    let list = app.find_records_by_expr(&c, filter.as_ref(), &order, limit, offset).map_err(|e| throw_core(&ctx, e))?;
    let arr = rquickjs::Array::new(ctx.clone())?;
    for (i, r) in list.into_iter().enumerate() {
        arr.set(i, JsRecord::instance(&ctx, r)?)?;
    }
    Ok(arr.into_value())
}
