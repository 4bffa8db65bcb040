//! The natives behind `$dbx` and `$app.recordQuery()` (js_api/dbx.js):
//! reading the expression data into [`Expr`], running record queries and
//! writing the SQL of the `select()` builders (`$app.db().select()`,
//! `recordQuery`, `collectionQuery`, `logQuery`, `modelQuery`).

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
    native.set("buildSelect", Func::from(build_select))?;
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
pub fn app_of<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<App> {
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

/// `dbx.SelectQuery.build()`: the statement of a select builder's `spec`
/// (`{distinct, selectOption, columns, from, joins: [{type, table, on}],
/// where, groupBy, having, orderBy, limit, offset, pre, post}`) as
/// `{sql, params}`, in PocketBase's raw-query syntax: expression values are
/// bound as `{:__pN}` parameters, never written into the SQL.
fn build_select<'js>(ctx: Ctx<'js>, spec: Value<'js>) -> rquickjs::Result<Object<'js>> {
    let spec = convert::to_json(spec)?;
    let (sql, params) = select_sql(&spec).map_err(|e| throw_core(&ctx, e))?;
    let out = Object::new(ctx.clone())?;
    out.set("sql", sql)?;
    out.set("params", convert::to_js(&ctx, &Json::Object(params))?)?;
    Ok(out)
}

fn select_sql(spec: &Json) -> Result<(String, serde_json::Map<String, Json>), Error> {
    use crate::db::dbx::quote_column;
    let strings = |k: &str| -> Vec<String> {
        spec.get(k)
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).filter(|s| !s.trim().is_empty()).collect())
            .unwrap_or_default()
    };
    let expr = |v: Option<&Json>| -> Result<Option<Expr>, Error> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(v) => expr_from_json(v).map(Some),
        }
    };
    let mut args = Vec::new();
    let mut sql = String::new();
    if let Some(pre) = spec.get("pre").and_then(Json::as_str).filter(|s| !s.is_empty()) {
        sql.push_str(pre);
        sql.push(' ');
    }
    sql.push_str("SELECT ");
    if spec.get("distinct").and_then(Json::as_bool).unwrap_or(false) {
        sql.push_str("DISTINCT ");
    }
    if let Some(opt) = spec.get("selectOption").and_then(Json::as_str).filter(|s| !s.is_empty()) {
        sql.push_str(opt);
        sql.push(' ');
    }
    let columns = strings("columns");
    if columns.is_empty() {
        sql.push('*');
    } else {
        sql.push_str(&columns.iter().map(|c| quote_column(c.trim())).collect::<Vec<_>>().join(", "));
    }
    let from = strings("from");
    if !from.is_empty() {
        sql.push_str(" FROM ");
        sql.push_str(&from.iter().map(|t| quote_column(t.trim())).collect::<Vec<_>>().join(", "));
    }
    for join in spec.get("joins").and_then(Json::as_array).into_iter().flatten() {
        let kind = join.get("type").and_then(Json::as_str).unwrap_or("JOIN");
        let table = join.get("table").and_then(Json::as_str).unwrap_or_default();
        sql.push_str(&format!(" {kind} {}", quote_column(table.trim())));
        if let Some(on) = expr(join.get("on"))? {
            let cond = on.build(&mut args);
            if !cond.is_empty() {
                sql.push_str(&format!(" ON {cond}"));
            }
        }
    }
    if let Some(w) = expr(spec.get("where"))? {
        let cond = w.build(&mut args);
        if !cond.is_empty() {
            sql.push_str(&format!(" WHERE {cond}"));
        }
    }
    let group = strings("groupBy");
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group.iter().map(|c| quote_column(c.trim())).collect::<Vec<_>>().join(", "));
    }
    if let Some(h) = expr(spec.get("having"))? {
        let cond = h.build(&mut args);
        if !cond.is_empty() {
            sql.push_str(&format!(" HAVING {cond}"));
        }
    }
    let order = strings("orderBy");
    if !order.is_empty() {
        let terms: Vec<String> = order
            .iter()
            .map(|o| {
                let o = o.trim();
                match o.rsplit_once(char::is_whitespace) {
                    Some((col, dir)) if dir.eq_ignore_ascii_case("asc") || dir.eq_ignore_ascii_case("desc") => {
                        format!("{} {}", quote_column(col.trim()), dir.to_uppercase())
                    }
                    _ => quote_column(o),
                }
            })
            .collect();
        sql.push_str(" ORDER BY ");
        sql.push_str(&terms.join(", "));
    }
    let limit = spec.get("limit").and_then(Json::as_i64).unwrap_or(-1);
    let offset = spec.get("offset").and_then(Json::as_i64).unwrap_or(0);
    if limit >= 0 || offset > 0 {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    if offset > 0 {
        sql.push_str(&format!(" OFFSET {offset}"));
    }
    if let Some(post) = spec.get("post").and_then(Json::as_str).filter(|s| !s.is_empty()) {
        sql.push(' ');
        sql.push_str(post);
    }
    Ok(named_placeholders(&sql, args))
}

/// Turns the `?N` placeholders [`Expr::build`] wrote (outside quoted text)
/// into `{:__p<N-1>}` parameters bound to `args` (a bare `?` takes the next
/// value in order).
fn named_placeholders(sql: &str, args: Vec<crate::db::SqlValue>) -> (String, serde_json::Map<String, Json>) {
    use crate::db::SqlValue as Sql;
    let mut out = String::with_capacity(sql.len() + args.len() * 6);
    let mut quote: Option<char> = None;
    let mut next = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let index = match digits.parse::<usize>() {
                    Ok(n) if n >= 1 => n - 1,
                    _ => {
                        next += 1;
                        next - 1
                    }
                };
                if index < args.len() {
                    out.push_str(&format!("{{:__p{index}}}"));
                } else {
                    out.push('?');
                    out.push_str(&digits);
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    let params = args
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let v = match v {
                Sql::Null => Json::Null,
                Sql::Integer(i) => Json::from(i),
                Sql::Real(f) => Json::from(f),
                Sql::Text(s) => Json::String(s),
                Sql::Blob(b) => Json::String(String::from_utf8_lossy(&b).into_owned()),
            };
            (format!("__p{i}"), v)
        })
        .collect();
    (out, params)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn select_specs_become_parametrised_sql() {
        let spec = json!({
            "distinct": true,
            "columns": ["id", "count(*) as total"],
            "from": ["posts"],
            "joins": [{"type": "LEFT JOIN", "table": "users", "on": {"__dbx": "exp", "sql": "users.id = posts.author", "params": {}}}],
            "where": {"__dbx": "and", "exprs": [
                {"__dbx": "hash", "pairs": {"status": "it's ?"}},
                {"__dbx": "exp", "sql": "views > {:min} AND title != '?'", "params": {"min": 5}}
            ]},
            "groupBy": ["id"],
            "orderBy": ["created desc", "id"],
            "limit": 10,
            "offset": 20
        });
        let (sql, params) = select_sql(&spec).expect("sql");
        assert_eq!(
            sql,
            "SELECT DISTINCT `id`, count(*) as total FROM `posts` LEFT JOIN `users` ON users.id = posts.author \
             WHERE (`status`={:__p0}) AND (views > {:__p1} AND title != '?') GROUP BY `id` \
             ORDER BY `created` DESC, `id` LIMIT 10 OFFSET 20"
        );
        assert_eq!(Json::Object(params), json!({"__p0": "it's ?", "__p1": 5}));
        let (sql, params) = select_sql(&json!({"from": ["_logs"]})).expect("sql");
        assert_eq!((sql.as_str(), params.len()), ("SELECT * FROM `_logs`", 0));
    }
}
