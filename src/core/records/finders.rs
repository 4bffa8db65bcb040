//! Plain record lookups without API rules (what hooks and migrations use):
//! by several ids, by one field value, all records, a count, and by `dbx`
//! expressions (`$app.recordQuery`, `findAllRecords(c, ...exprs)`).

use std::sync::Arc;

use serde_json::Value;

use super::Record;
use super::values::normalize;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, Result};
use crate::db::Select;
use crate::db::dbx::{Expr, quote_column};
use crate::db::values::to_sql;

/// A query over `c`'s table with an optional `dbx` expression as its condition.
fn select_where(c: &Collection, filter: Option<&Expr>) -> Select {
    let query = Select::from(&c.name);
    match filter {
        Some(e) => query.and_where_expr(e),
        None => query,
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
        self.find_records_by_select(c, &Select::from(&c.name).where_in("id", ids))
    }

    /// The first record whose `field` equals `value` (normalised to the
    /// field's type); `NotFound` when none or when the field is unknown.
    pub fn find_first_record_by_data(&self, c: &Arc<Collection>, field: &str, value: &Value) -> Result<Record> {
        let f = c.field(field).ok_or_else(Error::not_found)?;
        let query = Select::from(&c.name).where_eq(field, to_sql(f, &normalize(f, value))).limit(1);
        self.find_records_by_select(c, &query)?.into_iter().next().ok_or_else(Error::not_found)
    }

    /// Every record of a collection.
    pub fn find_all_records(&self, c: &Arc<Collection>) -> Result<Vec<Record>> {
        self.find_records_by_select(c, &Select::from(&c.name))
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
        let terms = order.iter().map(|t| order_term(t)).collect::<Result<Vec<_>>>()?;
        let mut query = select_where(c, filter).order_by(terms.join(", "));
        if limit > 0 {
            query = query.limit(limit).offset(offset.max(0));
        }
        self.find_records_by_select(c, &query)
    }

    /// How many records match an optional `dbx` expression.
    pub fn count_records_by_expr(&self, c: &Arc<Collection>, filter: Option<&Expr>) -> Result<i64> {
        Ok(select_where(c, filter).count(self.executor())?)
    }

    /// How many records a collection has.
    pub fn count_records(&self, c: &Arc<Collection>) -> Result<i64> {
        Ok(Select::from(&c.name).count(self.executor())?)
    }
}
