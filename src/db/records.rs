//! Record rows: SELECT column lists, row → JSON map, INSERT/UPDATE/DELETE.
//! Values arrive already validated and normalised by the core.

use rusqlite::{Connection, Row, params_from_iter};
use serde_json::{Map, Value};

use super::values::{from_sql, to_sql};
use super::{DbResult, SqlValue, quote};
use crate::core::collections::collection::Collection;

/// `alias.col1, alias.col2, …` for every field of the collection, in field order.
pub fn select_columns(c: &Collection, alias: &str) -> String {
    let a = quote(alias);
    c.fields.iter().map(|f| format!("{a}.{}", quote(&f.name))).collect::<Vec<_>>().join(", ")
}

/// Reads the record columns (selected with [`select_columns`]) of a row.
pub fn read_row(c: &Collection, row: &Row<'_>) -> DbResult<Map<String, Value>> {
    let mut m = Map::new();
    for (i, f) in c.fields.iter().enumerate() {
        let v = row.get_ref(i)?;
        m.insert(f.name.clone(), from_sql(f, v));
    }
    Ok(m)
}

/// Runs `SELECT <record columns> FROM <table> AS <table> <tail>`.
pub fn query(conn: &Connection, c: &Collection, tail: &str, args: &[SqlValue]) -> DbResult<Vec<Map<String, Value>>> {
    let sql = format!("SELECT {} FROM {} {}", select_columns(c, &c.name), quote(&c.name), tail);
    super::select::query_records(conn, c, &sql, args)
}

/// The first `limit` rows of an arbitrary SELECT read as records of `c`
/// (a view query tried before it is saved). The query is wrapped in a
/// second SELECT so it cannot smuggle in another statement.
pub fn query_from(conn: &Connection, c: &Collection, select: &str, limit: usize) -> DbResult<Vec<Map<String, Value>>> {
    let alias = quote(&c.name);
    let sql = format!("SELECT {} FROM (SELECT * FROM ({select})) AS {alias} LIMIT {limit}", select_columns(c, &c.name));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_row(c, row)?);
    }
    Ok(out)
}

/// Records with the given rowids, in that order.
pub fn find_by_rowids(conn: &Connection, c: &Collection, rowids: &[i64]) -> DbResult<Vec<Map<String, Value>>> {
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    let table = quote(&c.name);
    let sql = format!(
        "SELECT {}, {table}.rowid FROM {table} WHERE {table}.rowid IN (SELECT value FROM json_each(?1))",
        select_columns(c, &c.name),
    );
    let list = serde_json::to_string(rowids).unwrap_or_else(|_| "[]".into());
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([list])?;
    let mut by_rowid = std::collections::HashMap::with_capacity(rowids.len());
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(c.fields.len())?;
        by_rowid.insert(rowid, read_row(c, row)?);
    }
    Ok(rowids.iter().filter_map(|r| by_rowid.remove(r)).collect())
}

/// The first record whose file column holds `filename` (one element of a
/// JSON array for multi-file fields).
pub fn find_by_file(
    conn: &Connection,
    c: &Collection,
    column: &str,
    multiple: bool,
    filename: &str,
) -> DbResult<Option<Map<String, Value>>> {
    let col = format!("{}.{}", quote(&c.name), quote(column));
    let tail = if multiple {
        format!(
            "WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({col}) THEN {col} ELSE json_array({col}) END) WHERE value = ?1) LIMIT 1"
        )
    } else {
        format!("WHERE {col} = ?1 LIMIT 1")
    };
    Ok(query(conn, c, &tail, &[SqlValue::Text(filename.to_string())])?.into_iter().next())
}

/// Whether a record that is not stored yet would satisfy a compiled rule:
/// its values become a one-row CTE named `alias` (the compiled SQL's base
/// table), so the rule runs against them without anything being written
/// (PocketBase's create-rule check). `cond` and `joins` use the numbered
/// placeholders `?1..?n` of `args`; the values are bound after them.
pub fn unsaved_matches(
    conn: &Connection,
    c: &Collection,
    alias: &str,
    data: &Map<String, Value>,
    joins: &str,
    cond: &str,
    args: &[SqlValue],
) -> DbResult<bool> {
    let mut all = args.to_vec();
    let mut columns = Vec::with_capacity(c.fields.len());
    for f in &c.fields {
        let v = data.get(&f.name).cloned().unwrap_or_else(|| f.zero_value());
        all.push(to_sql(f, &v));
        columns.push(format!("?{} AS {}", all.len(), quote(&f.name)));
    }
    let a = quote(alias);
    let sql = format!("WITH {a} AS (SELECT {}) SELECT 1 FROM {a} {joins} WHERE {cond} LIMIT 1", columns.join(", "));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(all.iter()))?;
    Ok(rows.next()?.is_some())
}

/// Inserts a record with all its field values.
pub fn insert(conn: &Connection, c: &Collection, data: &Map<String, Value>) -> DbResult<()> {
    let mut cols = Vec::with_capacity(c.fields.len());
    let mut args = Vec::with_capacity(c.fields.len());
    for f in &c.fields {
        let v = data.get(&f.name).cloned().unwrap_or_else(|| f.zero_value());
        cols.push(quote(&f.name));
        args.push(to_sql(f, &v));
    }
    let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO {} ({}) VALUES ({})", quote(&c.name), cols.join(", "), placeholders.join(", "));
    conn.prepare_cached(&sql)?.execute(params_from_iter(args.iter()))?;
    Ok(())
}

/// Updates every field of the record stored under `old_id`.
pub fn update(conn: &Connection, c: &Collection, old_id: &str, data: &Map<String, Value>) -> DbResult<usize> {
    let mut sets = Vec::with_capacity(c.fields.len());
    let mut args = Vec::with_capacity(c.fields.len() + 1);
    for (i, f) in c.fields.iter().enumerate() {
        let v = data.get(&f.name).cloned().unwrap_or_else(|| f.zero_value());
        sets.push(format!("{} = ?{}", quote(&f.name), i + 1));
        args.push(to_sql(f, &v));
    }
    args.push(SqlValue::Text(old_id.to_string()));
    let sql = format!("UPDATE {} SET {} WHERE `id` = ?{}", quote(&c.name), sets.join(", "), args.len());
    conn.prepare_cached(&sql)?.execute(params_from_iter(args.iter()))
}

/// Deletes a record row.
pub fn delete(conn: &Connection, c: &Collection, id: &str) -> DbResult<usize> {
    let sql = format!("DELETE FROM {} WHERE `id` = ?1", quote(&c.name));
    conn.prepare_cached(&sql)?.execute([id])
}

/// Ids of records in `table` whose relation `column` contains `id`.
pub fn referencing_ids(
    conn: &Connection,
    table: &str,
    column: &str,
    multiple: bool,
    id: &str,
) -> DbResult<Vec<String>> {
    let (t, col) = (quote(table), quote(column));
    let sql = if multiple {
        format!(
            "SELECT `id` FROM {t} WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({t}.{col}) THEN {t}.{col} ELSE json_array({t}.{col}) END) je WHERE je.value = ?1)"
        )
    } else {
        format!("SELECT `id` FROM {t} WHERE {t}.{col} = ?1")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([id], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// The ids of the first `limit` records of `table` (in insertion order;
/// views have none) whose relation `column` points at `id`.
pub fn back_relation_ids(
    conn: &Connection,
    table: &str,
    column: &str,
    multiple: bool,
    id: &str,
    limit: i64,
) -> DbResult<Vec<String>> {
    let (t, col) = (quote(table), quote(column));
    let order = if has_rowid(conn, table)? { format!("ORDER BY {t}.rowid") } else { String::new() };
    let sql = if multiple {
        format!(
            "SELECT `id` FROM {t} WHERE EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({t}.{col}) THEN {t}.{col} ELSE json_array({t}.{col}) END) je WHERE je.value = ?1) {order} LIMIT ?2"
        )
    } else {
        format!("SELECT `id` FROM {t} WHERE {t}.{col} = ?1 {order} LIMIT ?2")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params![id, limit], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Whether `name` is a table (views have no rowid).
fn has_rowid(conn: &Connection, name: &str) -> DbResult<bool> {
    let mut stmt = conn.prepare_cached("SELECT type = 'table' FROM sqlite_master WHERE name = ?1 COLLATE NOCASE")?;
    let mut rows = stmt.query([name])?;
    Ok(match rows.next()? {
        Some(row) => row.get::<_, bool>(0)?,
        None => false,
    })
}

/// Raw rows of any SELECT as JSON objects (column name → value).
pub fn query_plain(conn: &Connection, sql: &str, args: &[SqlValue]) -> DbResult<Vec<Map<String, Value>>> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut m = Map::new();
        for (i, n) in names.iter().enumerate() {
            m.insert(n.clone(), super::values::plain_from_sql(row.get_ref(i)?));
        }
        out.push(m);
    }
    Ok(out)
}
