//! A SELECT builder for the core, modelled on PocketBase's dbx
//! `SelectQuery`: the core says what it wants (base table, joins,
//! conditions with bound values, grouping, order, page) and this module
//! writes the statement around those parts and runs it on an
//! [`Executor`], reading rows as records, plain JSON objects, one column or
//! a count.
//!
//! Conditions use numbered placeholders (`?N` is the N-th bound value), so
//! fragments compiled elsewhere (the filter compiler hands over its values
//! with [`Select::params`]) and values added here share one list, whatever
//! order the fragments end up in. The base table is aliased by its own
//! name, which is what compiled filters expect.

use rusqlite::types::{FromSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params_from_iter};
use serde_json::{Map, Value};

use super::dbx::{Expr, quote_column};
use super::error::DbError;
use super::records::{find_by_rowids, query_plain, read_row, select_columns};
use super::{DbResult, Executor, quote};
use crate::core::collections::collection::Collection;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(i) => ValueRef::Integer(*i),
            SqlValue::Real(f) => ValueRef::Real(*f),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
            SqlValue::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Integer(i)
    }
}

/// A SELECT under construction; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Select {
    table: String,
    columns: Vec<String>,
    distinct: bool,
    joins: Vec<String>,
    conditions: Vec<String>,
    group_by: Vec<String>,
    order_by: Vec<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    params: Vec<SqlValue>,
}

impl Select {
    /// `SELECT * FROM <table> AS <table>`.
    pub fn from(table: &str) -> Self {
        Select { table: table.to_string(), ..Select::default() }
    }

    /// The base table (also its alias).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Adopts the values that the `?1..?n` placeholders of fragments compiled
    /// elsewhere refer to. Call it before binding any other value.
    pub fn params(mut self, params: Vec<SqlValue>) -> Self {
        debug_assert!(self.params.is_empty(), "params adopted after other values were bound");
        self.params = params;
        self
    }

    /// Binds a value and returns its placeholder for a condition.
    pub fn arg(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    /// The selected columns, replacing the current ones: plain names
    /// (`id`, `posts.id`) are quoted, other expressions kept as written.
    pub fn select<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = columns.into_iter().map(|c| quote_column(c.as_ref())).collect();
        self
    }

    /// Joins may repeat a base row: each base row comes back once (grouped
    /// by its `id`) and counts count distinct ids.
    pub fn distinct(mut self, distinct: bool) -> Self {
        self.distinct = distinct;
        self
    }

    /// Adds a join clause (`LEFT JOIN … ON …`); empty clauses are skipped.
    pub fn join(mut self, clause: impl Into<String>) -> Self {
        push_non_empty(&mut self.joins, clause.into());
        self
    }

    /// ANDs a condition (SQL with `?N` placeholders) into WHERE; empty ones are skipped.
    pub fn and_where(mut self, condition: impl Into<String>) -> Self {
        push_non_empty(&mut self.conditions, condition.into());
        self
    }

    /// ANDs every condition of a list into WHERE.
    pub fn and_where_all(self, conditions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        conditions.into_iter().fold(self, |q, condition| q.and_where(condition))
    }

    /// ANDs `<table>.<column> = value` into WHERE.
    pub fn where_eq(self, column: &str, value: impl Into<SqlValue>) -> Self {
        self.where_eq_collate(column, value, false)
    }

    /// ANDs `<table>.<column> = value`, compared case-insensitively when `nocase`.
    pub fn where_eq_collate(mut self, column: &str, value: impl Into<SqlValue>, nocase: bool) -> Self {
        let p = self.arg(value);
        let collate = if nocase { " COLLATE NOCASE" } else { "" };
        let condition = format!("{}.{} = {p}{collate}", quote(&self.table), quote(column));
        self.and_where(condition)
    }

    /// ANDs `<table>.<column> IN (?, ?, …)`, one placeholder per value
    /// (no values: nothing matches).
    pub fn where_in(mut self, column: &str, values: &[String]) -> Self {
        if values.is_empty() {
            return self.and_where("0=1");
        }
        let marks: Vec<String> = values.iter().map(|v| self.arg(v.as_str())).collect();
        let condition = format!("{}.{} IN ({})", quote(&self.table), quote(column), marks.join(", "));
        self.and_where(condition)
    }

    /// ANDs `<table>.<column> IN (values)`, the values bound as one JSON
    /// array (any number of them, one cached statement).
    pub fn where_in_json(mut self, column: &str, values: &[String]) -> Self {
        let list = self.arg(serde_json::to_string(values).unwrap_or_else(|_| "[]".into()));
        let condition = format!("{}.{} IN (SELECT value FROM json_each({list}))", quote(&self.table), quote(column));
        self.and_where(condition)
    }

    /// ANDs a dbx expression into WHERE (nothing for an empty one).
    pub fn and_where_expr(mut self, expr: &Expr) -> Self {
        let condition = expr.build(&mut self.params);
        self.and_where(condition)
    }

    /// Adds a GROUP BY expression.
    pub fn group_by(mut self, expr: impl Into<String>) -> Self {
        self.group_by.push(expr.into());
        self
    }

    /// Adds ORDER BY terms (`expr ASC, expr2 DESC`); empty ones are skipped.
    pub fn order_by(mut self, terms: impl Into<String>) -> Self {
        push_non_empty(&mut self.order_by, terms.into());
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: i64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows (with or without a limit).
    pub fn offset(mut self, n: i64) -> Self {
        self.offset = Some(n);
        self
    }

    /// The statement selecting `columns` and its bound values.
    fn build_with(&self, columns: &str, paged: bool) -> (String, Vec<SqlValue>) {
        let t = quote(&self.table);
        let mut params = self.params.clone();
        let mut sql = format!("SELECT {columns} FROM {t}");
        for join in &self.joins {
            sql.push(' ');
            sql.push_str(join);
        }
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        if !paged {
            return (sql, params);
        }
        let mut group_by = self.group_by.clone();
        if self.distinct && group_by.is_empty() {
            group_by.push(format!("{t}.`id`"));
        }
        if !group_by.is_empty() {
            sql.push_str(" GROUP BY ");
            sql.push_str(&group_by.join(", "));
        }
        if !self.order_by.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&self.order_by.join(", "));
        }
        if self.limit.is_some() || self.offset.is_some() {
            // SQLite needs a LIMIT before an OFFSET: -1 is "no limit"
            params.push(SqlValue::Integer(self.limit.unwrap_or(-1)));
            sql.push_str(&format!(" LIMIT ?{}", params.len()));
            if let Some(offset) = self.offset {
                params.push(SqlValue::Integer(offset));
                sql.push_str(&format!(" OFFSET ?{}", params.len()));
            }
        }
        (sql, params)
    }

    /// The statement and its bound values (dbx's `Build()`).
    pub fn build(&self) -> (String, Vec<SqlValue>) {
        let columns = if self.columns.is_empty() { "*".to_string() } else { self.columns.join(", ") };
        self.build_with(&columns, true)
    }

    /// How many rows match (distinct base rows when [`Select::distinct`]);
    /// order and page are ignored.
    pub fn count(&self, exec: &Executor) -> Result<i64, DbError> {
        let t = quote(&self.table);
        let what = if self.distinct { format!("COUNT(DISTINCT {t}.`id`)") } else { "COUNT(*)".to_string() };
        let (sql, params) = self.build_with(&what, false);
        Ok(exec.read(|conn| query_one(conn, &sql, &params))?)
    }

    /// Whether any row matches.
    pub fn exists(&self, exec: &Executor) -> Result<bool, DbError> {
        let (sql, params) = self.build_with("1", false);
        let sql = format!("{sql} LIMIT 1");
        Ok(exec.read(|conn| -> DbResult<bool> {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            Ok(rows.next()?.is_some())
        })?)
    }

    /// The first selected column of every row.
    pub fn column<T: FromSql>(&self, exec: &Executor) -> Result<Vec<T>, DbError> {
        let (sql, params) = self.build();
        Ok(exec.read(|conn| -> DbResult<Vec<T>> {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, T>(0))?;
            rows.collect()
        })?)
    }

    /// Every row as a JSON object keyed by column name.
    pub fn rows(&self, exec: &Executor) -> Result<Vec<Map<String, Value>>, DbError> {
        let (sql, params) = self.build();
        Ok(exec.read(|conn| query_plain(conn, &sql, &params))?)
    }

    /// The rows as the stored values of records of `c` (its columns are selected).
    pub fn records(&self, exec: &Executor, c: &Collection) -> Result<Vec<Map<String, Value>>, DbError> {
        let (sql, params) = self.build_with(&select_columns(c, &self.table), true);
        Ok(exec.read(|conn| query_records(conn, c, &sql, &params))?)
    }

    /// The first row as a record of `c`, if any.
    pub fn one_record(&self, exec: &Executor, c: &Collection) -> Result<Option<Map<String, Value>>, DbError> {
        Ok(self.clone().limit(1).records(exec, c)?.into_iter().next())
    }

    /// Like [`Select::records`] in two phases for a sorted page: sort and page
    /// over rowids only, then load those rows (the sorter never carries
    /// whole records). Views have no rowid: one phase.
    pub fn records_by_rowid(&self, exec: &Executor, c: &Collection) -> Result<Vec<Map<String, Value>>, DbError> {
        if c.is_view() {
            return self.records(exec, c);
        }
        let (sql, params) = self.build_with(&format!("{}.rowid", quote(&self.table)), true);
        Ok(exec.read(|conn| -> DbResult<_> {
            let rowids: Vec<i64> = {
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, i64>(0))?;
                rows.collect::<DbResult<_>>()?
            };
            find_by_rowids(conn, c, &rowids)
        })?)
    }
}

fn push_non_empty(parts: &mut Vec<String>, sql: String) {
    if !sql.trim().is_empty() {
        parts.push(sql);
    }
}

/// Runs a query returning one value.
fn query_one<T: FromSql>(conn: &Connection, sql: &str, params: &[SqlValue]) -> DbResult<T> {
    let mut stmt = conn.prepare_cached(sql)?;
    stmt.query_row(params_from_iter(params.iter()), |r| r.get(0))
}

/// Runs a query selecting record columns (in field order).
pub(super) fn query_records(
    conn: &Connection,
    c: &Collection,
    sql: &str,
    params: &[SqlValue],
) -> DbResult<Vec<Map<String, Value>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_row(c, row)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_parts_in_sql_order_with_numbered_placeholders() {
        let mut q = Select::from("posts").params(vec![SqlValue::Text("x".into())]);
        let p = q.arg(5);
        let q = q
            .join("LEFT JOIN `users` `a` ON `a`.`id` = `posts`.`author`")
            .and_where("`a`.`name` = ?1")
            .and_where(format!("`posts`.`views` > {p}"))
            .and_where("")
            .where_eq("status", "active")
            .order_by("`posts`.`created` DESC")
            .limit(10)
            .offset(20)
            .distinct(true);
        let (sql, params) = q.build();
        assert_eq!(
            sql,
            "SELECT * FROM `posts` LEFT JOIN `users` `a` ON `a`.`id` = `posts`.`author` \
             WHERE `a`.`name` = ?1 AND `posts`.`views` > ?2 AND `posts`.`status` = ?3 \
             GROUP BY `posts`.`id` ORDER BY `posts`.`created` DESC LIMIT ?4 OFFSET ?5"
        );
        assert_eq!(
            params,
            vec![
                SqlValue::Text("x".into()),
                SqlValue::Integer(5),
                SqlValue::Text("active".into()),
                SqlValue::Integer(10),
                SqlValue::Integer(20)
            ]
        );
        let (offset_only, _) = Select::from("t").offset(3).build();
        assert_eq!(offset_only, "SELECT * FROM `t` LIMIT ?1 OFFSET ?2");
    }

    #[test]
    fn runs_count_column_rows_and_exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = std::sync::Arc::new(super::super::Db::open(&dir.path().join("t.db"), 2).expect("db"));
        let exec = Executor::Pool(db);
        exec.write(|c| {
            c.execute_batch("CREATE TABLE t (id TEXT, n INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3);")
        })
        .expect("fixture");
        let big = Select::from("t").and_where_expr(&Expr::Raw {
            sql: "n >= {:min}".into(),
            params: serde_json::json!({"min": 2}).as_object().cloned().unwrap_or_default(),
        });
        assert_eq!(big.count(&exec).expect("count"), 2);
        assert!(big.exists(&exec).expect("exists"));
        let ids: Vec<String> = big.clone().select(["id"]).order_by("n DESC").column(&exec).expect("column");
        assert_eq!(ids, ["c", "b"]);
        let rows =
            Select::from("t").where_in("id", &["a".into(), "c".into()]).order_by("id").rows(&exec).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["n"], serde_json::json!(3));
        assert!(!Select::from("t").where_eq("id", "zz").exists(&exec).expect("exists"));
    }
}
