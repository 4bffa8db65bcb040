//! The `_logs` table of auxiliary.db.

use rusqlite::{Connection, params};
use serde_json::{Map, Value};

use super::DbResult;

/// One row to insert.
pub struct LogRow<'a> {
    pub id: String,
    pub level: i64,
    pub message: &'a str,
    pub data: String,
    pub created: String,
}

/// Inserts a batch of rows in one transaction (rolled back on failure).
pub fn insert_batch(conn: &Connection, rows: &[LogRow<'_>]) -> DbResult<()> {
    conn.execute_batch("BEGIN")?;
    let res = (|| {
        let mut stmt =
            conn.prepare_cached("INSERT INTO `_logs` (id, level, message, data, created) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for r in rows {
            stmt.execute(params![r.id, r.level, r.message, r.data, r.created])?;
        }
        Ok(())
    })();
    match res {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Deletes rows created before `cutoff` (a stored datetime string).
pub fn delete_before(conn: &Connection, cutoff: &str) -> DbResult<usize> {
    conn.prepare_cached("DELETE FROM `_logs` WHERE created < ?1")?.execute([cutoff])
}

/// Deletes every row.
pub fn delete_all(conn: &Connection) -> DbResult<usize> {
    conn.execute("DELETE FROM `_logs`", [])
}

/// Hourly counts `[{total, date}]`, oldest first.
pub fn hourly_stats(conn: &Connection) -> DbResult<Vec<Map<String, Value>>> {
    super::records::query_plain(
        conn,
        "SELECT COUNT(id) AS total, strftime('%Y-%m-%d %H:00:00', created) AS date FROM `_logs` GROUP BY date ORDER BY date",
        &[],
    )
}
