//! Plain record lookups without API rules (what hooks and migrations use):
//! by several ids, by one field value, all records, a count, and by `dbx`
//! expressions (`$app.recordQuery`, `findAllRecords(c, ...exprs)`).

use std::sync::Arc;

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::Record;
use super::values::normalize;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, Result};
use crate::db::dbx::{Expr, quote_column};
use crate::db::records as rows;
use crate::db::{quote, values::to_sql};

/// `WHERE …` for an optional expression, pushing its arguments.
fn where_clause(filter: Option<&Expr>, args: &mut Vec<SqlValue>) -> String {
    match filter.map(|e| e.build(args)) {
        Some(w) if !w.is_empty() => format!("WHERE {w}"),
        _ => String::new(),
    }
}

/// One `ORDER BY` term of a query builder (`created DESC`, `-created`).
fn order_term(term: &str) -> Result<String> {
    let mut words = term.split_whitespace();
    let col = words.next().unwrap_or_default();
    let (col, mut dir) = match col.strip_prefix('-') {
        Some(c) => (c, "DESC"),
        None => (col, "ASC"),
    };
    if let Some(d) = words.next() {
        dir = match d.to_ascii_uppercase().as_str() {
            "ASC" => "ASC",
            "DESC" => "DESC",
            _ => return Err(Error::BadRequest(format!("Invalid order direction {d:?}."))),
        };
    }
    if col.is_empty() || words.next().is_some() {
        return Err(Error::BadRequest(format!("Invalid order term {term:?}.")));
    }
    Ok(format!("{} {dir}", quote_column(col)))
}

impl App {
    /// The records with the given ids (missing ids are skipped).
    pub fn find_records_by_ids(&self, c: &Arc<Collection>, ids: &[String]) -> Result<Vec<Record>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
        let tail = format!("WHERE {}.`id` IN ({})", quote(&c.name), marks.join(", "));
        let args: Vec<SqlValue> = ids.iter().map(|id| SqlValue::Text(id.clone())).collect();
        self.find_records_sql(c, &tail, &args)
    }

    /// The first record whose `field` equals `value` (normalised to the
    /// field's type); `NotFound` when none or when the field is unknown.
    pub fn find_first_record_by_data(&self, c: &Arc<Collection>, field: &str, value: &Value) -> Result<Record> {
        let f = c.field(field).ok_or_else(Error::not_found)?;
        let arg = to_sql(f, &normalize(f, value));
        let tail = format!("WHERE {}.{} = ?1 LIMIT 1", quote(&c.name), quote(field));
        self.find_records_sql(c, &tail, &[arg])?.into_iter().next().ok_or_else(Error::not_found)
    }

    /// Every record of a collection.
    pub fn find_all_records(&self, c: &Arc<Collection>) -> Result<Vec<Record>> {
        self.find_records_sql(c, "", &[])
    }

    /// Records matching an optional `dbx` expression, ordered and paged
    /// (`limit` 0 means all).
    pub fn find_records_by_expr(
        &self,
        c: &Arc<Collection>,
        filter: Option<&Expr>,
        order: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Record>> {
        let mut args = Vec::new();
        let mut tail = where_clause(filter, &mut args);
        if !order.is_empty() {
            let terms = order.iter().map(|t| order_term(t)).collect::<Result<Vec<_>>>()?;
            tail.push_str(&format!(" ORDER BY {}", terms.join(", ")));
        }
        if limit > 0 {
            tail.push_str(&format!(" LIMIT {limit} OFFSET {}", offset.max(0)));
        }
        self.find_records_sql(c, &tail, &args)
    }

    /// How many records match an optional `dbx` expression.
    pub fn count_records_by_expr(&self, c: &Arc<Collection>, filter: Option<&Expr>) -> Result<i64> {
        let mut args = Vec::new();
        let tail = where_clause(filter, &mut args);
        Ok(self.executor().read(|conn| rows::count(conn, &c.name, &tail, false, &args))?)
    }

    /// How many records a collection has.
    pub fn count_records(&self, c: &Arc<Collection>) -> Result<i64> {
        Ok(self.executor().read(|conn| rows::count(conn, &c.name, "", false, &[]))?)
    }
}
