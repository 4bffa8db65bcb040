//! Keeps a collection's table (or view) in step with its definition:
//! create, alter (add/rename/drop columns, rename table), indexes, drop.

use rusqlite::Connection;

use super::{DbResult, quote};
use crate::core::collections::collection::Collection;
use crate::core::collections::index::Index;

fn column_defs(c: &Collection) -> String {
    let mut fields: Vec<_> = c.fields.iter().collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields.iter().map(|f| format!("{} {}", quote(&f.name), f.column_type())).collect::<Vec<_>>().join(", ")
}

/// Creates the table (or view) and indexes of a new collection.
pub fn create(conn: &Connection, c: &Collection) -> DbResult<()> {
    if c.is_view() {
        return create_view(conn, c);
    }
    conn.execute_batch(&format!("CREATE TABLE {} ({})", quote(&c.name), column_defs(c)))?;
    create_indexes(conn, c)
}

/// (Re)creates a view collection's SQL view.
pub fn create_view(conn: &Connection, c: &Collection) -> DbResult<()> {
    conn.execute_batch(&format!("DROP VIEW IF EXISTS {}", quote(&c.name)))?;
    conn.execute_batch(&format!("CREATE VIEW {} AS SELECT * FROM ({})", quote(&c.name), c.view_query))
}

/// The SELECT of an existing view as SQLite stores it now (it rewrites
/// views when a table they read is renamed).
pub fn view_query(conn: &Connection, name: &str) -> DbResult<Option<String>> {
    let mut stmt = conn.prepare("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1")?;
    let mut rows = stmt.query([name])?;
    let Some(row) = rows.next()? else { return Ok(None) };
    let sql: String = row.get(0)?;
    // we create views as `CREATE VIEW `name` AS SELECT * FROM (<query>)`
    let inner = sql.split_once(" AS SELECT * FROM (").and_then(|(_, rest)| rest.trim_end().strip_suffix(')'));
    Ok(inner.map(|q| q.trim().to_string()))
}

fn drop_indexes(conn: &Connection, table: &str) -> DbResult<()> {
    let names: Vec<String> = {
        let mut stmt =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?;
        let rows = stmt.query_map([table], |r| r.get(0))?;
        rows.collect::<DbResult<_>>()?
    };
    for n in names {
        conn.execute_batch(&format!("DROP INDEX IF EXISTS {}", quote(&n)))?;
    }
    Ok(())
}

fn create_indexes(conn: &Connection, c: &Collection) -> DbResult<()> {
    for sql in &c.indexes {
        // only statements that parse as CREATE INDEX ever run
        let Some(mut idx) = Index::parse(sql) else {
            return Err(rusqlite::Error::InvalidParameterName(format!("invalid index definition: {sql}")));
        };
        idx.table = c.name.clone();
        conn.execute_batch(&idx.build())?;
    }
    Ok(())
}

/// Migrates the table from `old` to `new`: rename, then column renames
/// (matched by field id), drops and adds; indexes are rebuilt.
pub fn update(conn: &Connection, old: &Collection, new: &Collection) -> DbResult<()> {
    if new.is_view() {
        if old.name != new.name {
            conn.execute_batch(&format!("DROP VIEW IF EXISTS {}", quote(&old.name)))?;
        }
        return create_view(conn, new);
    }
    drop_indexes(conn, &old.name)?;
    if old.name != new.name {
        conn.execute_batch(&format!("ALTER TABLE {} RENAME TO {}", quote(&old.name), quote(&new.name)))?;
    }
    let table = quote(&new.name);
    // drop removed fields first so a new field may reuse a removed name
    for of in &old.fields {
        if new.field_by_id(&of.id).is_none() {
            conn.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {}", quote(&of.name)))?;
        }
    }
    // renames go through temporary names so that swaps (a<->b) work
    let renamed: Vec<_> = new
        .fields
        .iter()
        .filter_map(|nf| old.field_by_id(&nf.id).filter(|of| of.name != nf.name).map(|of| (of, nf)))
        .collect();
    for (of, nf) in &renamed {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} RENAME COLUMN {} TO {}",
            quote(&of.name),
            quote(&format!("_tmp_{}", nf.id))
        ))?;
    }
    for (_, nf) in &renamed {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} RENAME COLUMN {} TO {}",
            quote(&format!("_tmp_{}", nf.id)),
            quote(&nf.name)
        ))?;
    }
    for nf in &new.fields {
        match old.field_by_id(&nf.id) {
            None => {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {} {}", quote(&nf.name), nf.column_type()))?
            }
            Some(of) if of.is_multiple() != nf.is_multiple() => {
                convert_multiplicity(conn, &new.name, &nf.name, nf.is_multiple())?
            }
            Some(_) => {}
        }
    }
    create_indexes(conn, new)
}

/// Rewrites values between single (`"a"`) and multiple (`["a"]`) storage,
/// keeping the data (PocketBase does the same when maxSelect crosses 1).
fn convert_multiplicity(conn: &Connection, table: &str, column: &str, to_multiple: bool) -> DbResult<()> {
    let (t, c) = (quote(table), quote(column));
    if to_multiple {
        conn.execute_batch(&format!(
            "UPDATE {t} SET {c} = CASE
                WHEN {c} IS NULL OR {c} = '' THEN '[]'
                WHEN json_valid({c}) AND json_type({c}) = 'array' THEN {c}
                ELSE json_array({c}) END"
        ))
    } else {
        conn.execute_batch(&format!(
            "UPDATE {t} SET {c} = CASE
                WHEN json_valid({c}) AND json_type({c}) = 'array' THEN COALESCE(json_extract({c}, '$[#-1]'), '')
                ELSE COALESCE({c}, '') END"
        ))
    }
}

/// Drops the collection's table or view.
pub fn drop(conn: &Connection, c: &Collection) -> DbResult<()> {
    if c.is_view() {
        conn.execute_batch(&format!("DROP VIEW IF EXISTS {}", quote(&c.name)))
    } else {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(&c.name)))
    }
}

/// A column of a SELECT: its name and, when it comes straight from a table
/// column, that table and column.
#[derive(Debug, Clone)]
pub struct QueryColumn {
    pub name: String,
    pub table: Option<String>,
    pub origin: Option<String>,
}

/// Prepares a SELECT without running it and describes its result columns.
pub fn describe_query(conn: &Connection, sql: &str) -> DbResult<Vec<QueryColumn>> {
    let stmt = conn.prepare(sql)?;
    let mut out = Vec::new();
    for col in stmt.columns_with_metadata() {
        out.push(QueryColumn {
            name: col.name().to_string(),
            table: col.table_name().map(str::to_string),
            origin: col.origin_name().map(str::to_string),
        });
    }
    Ok(out)
}
