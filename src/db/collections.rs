//! The `_collections` table: rows in and out, in PocketBase 0.40's encoding
//! (fields/indexes/options as JSON text, rules as nullable text).

use rusqlite::{Connection, params};
use serde_json::Value;

use super::DbResult;
use super::schema::text_or_blob;
use crate::core::collections::Collection;
use crate::core::collections::collection::Rules;

/// One stored collection definition, as text.
#[derive(Debug, Default)]
pub struct CollectionRow {
    pub id: String,
    pub system: bool,
    pub kind: String,
    pub name: String,
    pub fields: String,
    pub indexes: String,
    pub rules: Rules,
    pub options: String,
    pub created: String,
    pub updated: String,
}

/// Every stored collection in creation order.
pub fn all(conn: &Connection) -> DbResult<Vec<CollectionRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options, created, updated FROM `_collections` ORDER BY rowid",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        // PocketBase may have written the text columns as BLOBs
        let text = |i| text_or_blob(r, i).map(Option::unwrap_or_default);
        out.push(CollectionRow {
            id: text(0)?,
            system: r.get(1)?,
            kind: text(2)?,
            name: text(3)?,
            fields: text(4)?,
            indexes: text(5)?,
            rules: Rules { list: r.get(6)?, view: r.get(7)?, create: r.get(8)?, update: r.get(9)?, delete: r.get(10)? },
            options: text(11)?,
            created: text(12)?,
            updated: text(13)?,
        });
    }
    Ok(out)
}

/// Inserts or replaces a collection's row.
pub fn upsert(conn: &Connection, c: &Collection) -> DbResult<()> {
    let fields = Value::Array(c.fields.iter().map(crate::core::collections::Field::to_json).collect()).to_string();
    let indexes = serde_json::to_string(&c.indexes).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO `_collections` (id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule, deleteRule, options, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(id) DO UPDATE SET system = excluded.system, type = excluded.type, name = excluded.name,
           fields = excluded.fields, indexes = excluded.indexes, listRule = excluded.listRule, viewRule = excluded.viewRule,
           createRule = excluded.createRule, updateRule = excluded.updateRule, deleteRule = excluded.deleteRule,
           options = excluded.options, updated = excluded.updated",
    )?
    .execute(params![
        c.id,
        c.system,
        c.kind.as_str(),
        c.name,
        fields,
        indexes,
        c.rules.list,
        c.rules.view,
        c.rules.create,
        c.rules.update,
        c.rules.delete,
        c.options_json().to_string(),
        c.created,
        c.updated
    ])?;
    Ok(())
}

/// Removes a collection's row.
pub fn delete(conn: &Connection, id: &str) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM `_collections` WHERE id = ?1")?.execute([id])?;
    Ok(())
}
