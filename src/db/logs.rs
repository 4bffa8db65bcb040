//! The `_logs` table of auxiliary.db.

use rusqlite::Connection;
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

/// Rows per multi-row `INSERT` (one statement step instead of one per row).
const ROWS_PER_INSERT: usize = 64;

/// `INSERT INTO _logs … VALUES (?,?,?,?,?), …` for `n` rows.
fn insert_sql(n: usize) -> String {
    let mut sql = String::from("INSERT INTO `_logs` (id, level, message, data, created) VALUES ");
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?)");
    }
    sql
}

/// Inserts a batch of rows in one transaction (rolled back on failure),
/// in order, several rows per statement.
pub fn insert_batch(conn: &Connection, rows: &[LogRow<'_>]) -> DbResult<()> {
    conn.execute_batch("BEGIN")?;
    let res = (|| {
        // full chunks through one statement, the rest row by row (two
        // cached statements, whatever the batch size)
        let full = rows.len() - rows.len() % ROWS_PER_INSERT;
        for (chunk, size) in rows[..full]
            .chunks(ROWS_PER_INSERT)
            .map(|c| (c, ROWS_PER_INSERT))
            .chain(rows[full..].chunks(1).map(|c| (c, 1)))
        {
            let mut stmt = conn.prepare_cached(&insert_sql(size))?;
            for (i, r) in chunk.iter().enumerate() {
                let at = i * 5;
                stmt.raw_bind_parameter(at + 1, &r.id)?;
                stmt.raw_bind_parameter(at + 2, r.level)?;
                stmt.raw_bind_parameter(at + 3, r.message)?;
                stmt.raw_bind_parameter(at + 4, &r.data)?;
                stmt.raw_bind_parameter(at + 5, &r.created)?;
            }
            stmt.raw_execute()?;
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
