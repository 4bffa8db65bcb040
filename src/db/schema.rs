//! The system tables PocketBase 0.40 creates (`_migrations`, `_params`,
//! `_collections` in data.db, `_logs` in auxiliary.db), created with the same
//! SQL so that a data dir made by either program opens in the other.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::DbResult;

/// Go migrations of PocketBase 0.40.6 that produce the schema we create.
/// Recording them makes a Ferrobase data dir look migrated to PocketBase too.
pub const SYSTEM_MIGRATIONS: [&str; 8] = [
    "1640988000_aux_init.go",
    "1640988000_init.go",
    "1717233556_v0.23_migrate.go",
    "1717233557_v0.23_migrate2.go",
    "1717233558_v0.23_migrate3.go",
    "1717233559_v0.23_migrate4.go",
    "1763020353_update_default_auth_alert_templates.go",
    "1778828400_normalize_indexes.go",
];

/// Creates the data.db system tables when missing.
pub fn init_data_tables(conn: &Connection) -> DbResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS `_migrations` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS `_params` (
            `id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
            `value`   JSON DEFAULT NULL,
            `created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
            `updated` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
         );
         CREATE TABLE IF NOT EXISTS `_collections` (
            `id`         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
            `system`     BOOLEAN DEFAULT FALSE NOT NULL,
            `type`       TEXT DEFAULT \"base\" NOT NULL,
            `name`       TEXT UNIQUE NOT NULL,
            `fields`     JSON DEFAULT \"[]\" NOT NULL,
            `indexes`    JSON DEFAULT \"[]\" NOT NULL,
            `listRule`   TEXT DEFAULT NULL,
            `viewRule`   TEXT DEFAULT NULL,
            `createRule` TEXT DEFAULT NULL,
            `updateRule` TEXT DEFAULT NULL,
            `deleteRule` TEXT DEFAULT NULL,
            `options`    JSON DEFAULT \"{}\" NOT NULL,
            `created`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
            `updated`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
         );
         CREATE INDEX IF NOT EXISTS idx__collections_type on `_collections` (`type`);",
    )
}

/// Creates the auxiliary.db `_logs` table when missing.
pub fn init_aux_tables(conn: &Connection) -> DbResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS `_logs` (
            `id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
            `level`   INTEGER DEFAULT 0 NOT NULL,
            `message` TEXT DEFAULT \"\" NOT NULL,
            `data`    JSON DEFAULT \"{}\" NOT NULL,
            `created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL
         );
         CREATE INDEX IF NOT EXISTS idx_logs_level on `_logs` (`level`);
         CREATE INDEX IF NOT EXISTS idx_logs_message on `_logs` (`message`);
         CREATE INDEX IF NOT EXISTS idx_logs_created_hour on `_logs` (strftime('%Y-%m-%d %H:00:00', `created`));",
    )
}

/// Files recorded in `_migrations`.
pub fn applied_migrations(conn: &Connection) -> DbResult<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT file FROM `_migrations`")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Applied migration files, newest first (by applied time, then name).
pub fn applied_migrations_desc(conn: &Connection) -> DbResult<Vec<String>> {
    let mut stmt = conn.prepare("SELECT file FROM `_migrations` ORDER BY applied DESC, file DESC")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Records a migration as applied now (unix microseconds, like PocketBase).
pub fn mark_applied(conn: &Connection, file: &str) -> DbResult<()> {
    let micros = chrono::Utc::now().timestamp_micros();
    conn.execute("INSERT OR REPLACE INTO `_migrations` (file, applied) VALUES (?1, ?2)", params![file, micros])?;
    Ok(())
}

/// Removes a migration record.
pub fn unmark_applied(conn: &Connection, file: &str) -> DbResult<()> {
    conn.execute("DELETE FROM `_migrations` WHERE file = ?1", params![file])?;
    Ok(())
}

/// Reads a `_params` value.
pub fn get_param(conn: &Connection, id: &str) -> DbResult<Option<String>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM `_params` WHERE id = ?1")?;
    let mut rows = stmt.query(params![id])?;
    match rows.next()? {
        Some(r) => text_or_blob(r, 0),
        None => Ok(None),
    }
}

/// Writes a `_params` value.
pub fn set_param(conn: &Connection, id: &str, value: &str) -> DbResult<()> {
    let now = crate::core::datetime::now();
    conn.execute(
        "INSERT INTO `_params` (id, value, created, updated) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT(id) DO UPDATE SET value = excluded.value, updated = excluded.updated",
        params![id, value, now],
    )?;
    Ok(())
}

/// The named indexes of a table as `(name, CREATE INDEX sql)`
/// (SQLite's automatic indexes left out).
pub fn table_indexes(conn: &Connection, table: &str) -> DbResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL AND name NOT LIKE 'sqlite_autoindex_%'",
    )?;
    let rows = stmt.query_map(params![table], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Drops an index if it exists.
pub fn drop_index(conn: &Connection, name: &str) -> DbResult<()> {
    conn.execute_batch(&format!("DROP INDEX IF EXISTS {}", super::quote(name)))
}

/// Whether a table or view exists.
pub fn has_table(conn: &Connection, name: &str) -> DbResult<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table','view') AND name = ?1 COLLATE NOCASE",
    )?;
    let n: i64 = stmt.query_row(params![name], |r| r.get(0))?;
    Ok(n > 0)
}

/// Reads a TEXT column that PocketBase may have written as a BLOB (Go `[]byte`).
pub fn text_or_blob(row: &rusqlite::Row<'_>, idx: usize) -> DbResult<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(idx)? {
        ValueRef::Null => None,
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
    })
}
