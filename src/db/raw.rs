//! Raw SQL from scripts (`$app.db().newQuery(sql).bind({...})`): `{:name}`
//! placeholders bound as arguments, and a deadline enforced through SQLite's
//! interrupt, because a JS interrupt cannot stop a query in progress.

use std::time::Instant;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::DbResult;
use super::dbx::bind_placeholders;

/// Runs `f` with `deadline` in force on `conn`: a watchdog thread
/// interrupts the statement once it passes (`SQLITE_INTERRUPT`).
fn with_deadline<T>(conn: &Connection, deadline: Instant, f: impl FnOnce() -> DbResult<T>) -> DbResult<T> {
    let handle = conn.get_interrupt_handle();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let wait = deadline.saturating_duration_since(Instant::now());
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(wait) {
            handle.interrupt();
        }
    });
    let out = f();
    let _ = done.send(());
    let _ = watchdog.join();
    out
}

/// The rows of a query as JSON objects (column name → value).
pub fn query(
    conn: &Connection,
    sql: &str,
    params: &Map<String, Value>,
    deadline: Instant,
) -> DbResult<Vec<Map<String, Value>>> {
    let mut args: Vec<SqlValue> = Vec::new();
    let sql = bind_placeholders(sql, params, &mut args);
    with_deadline(conn, deadline, || super::records::query_plain(conn, &sql, &args))
}

/// Executes a statement; returns the number of changed rows.
pub fn execute(conn: &Connection, sql: &str, params: &Map<String, Value>, deadline: Instant) -> DbResult<usize> {
    let mut args: Vec<SqlValue> = Vec::new();
    let sql = bind_placeholders(sql, params, &mut args);
    with_deadline(conn, deadline, || {
        let mut stmt = conn.prepare(&sql)?;
        stmt.execute(rusqlite::params_from_iter(args.iter()))
    })
}
