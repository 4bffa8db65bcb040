//! App and request logs in auxiliary.db `_logs`. Writes go through a
//! background thread that batches inserts, so logging never slows a request.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use serde_json::{Value, json};

use crate::db::Db;

/// One log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: i64,
    pub message: String,
    pub data: Value,
    pub created: String,
}

/// Handle to the background log writer.
#[derive(Clone)]
pub struct LogWriter {
    tx: SyncSender<LogEntry>,
}

impl LogWriter {
    /// Starts the writer thread for `aux`.
    pub fn start(aux: Arc<Db>) -> Self {
        let (tx, rx) = sync_channel::<LogEntry>(10_000);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_loop(&aux, &rx))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the log writer: {e}"));
        LogWriter { tx }
    }

    /// Queues an entry; dropped (not blocking) when the queue is full.
    pub fn log(&self, level: i64, message: &str, data: Value) {
        let entry = LogEntry { level, message: message.to_string(), data, created: crate::core::datetime::now() };
        if let Err(TrySendError::Full(_)) = self.tx.try_send(entry) {
            tracing::warn!("log queue full, entry dropped");
        }
    }
}

fn write_loop(aux: &Db, rx: &Receiver<LogEntry>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        // gather what arrives shortly after, to write in one transaction
        while batch.len() < 500 {
            match rx.recv_timeout(Duration::from_millis(5)) {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let res: rusqlite::Result<()> = aux.write(|conn| {
            conn.execute_batch("BEGIN")?;
            {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO `_logs` (id, level, message, data, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for e in &batch {
                    stmt.execute(rusqlite::params![
                        crate::core::security::new_record_id(),
                        e.level,
                        e.message,
                        e.data.to_string(),
                        e.created
                    ])?;
                }
            }
            conn.execute_batch("COMMIT")
        });
        if let Err(e) = res {
            let _ = aux.write(|c| c.execute_batch("ROLLBACK"));
            tracing::error!("writing logs failed: {e}");
        }
    }
}

/// Level numbers as PocketBase stores them (slog levels).
pub mod level {
    pub const DEBUG: i64 = -4;
    pub const INFO: i64 = 0;
    pub const WARN: i64 = 4;
    pub const ERROR: i64 = 8;
}

/// Request log `data` as PocketBase writes it.
#[allow(clippy::too_many_arguments)]
pub fn request_data(
    method: &str,
    url: &str,
    status: u16,
    exec_ms: f64,
    remote_ip: &str,
    user_ip: &str,
    referer: &str,
    user_agent: &str,
    auth: &str,
) -> Value {
    json!({
        "type": "request",
        "method": method,
        "url": url,
        "status": status,
        "execTime": exec_ms,
        "remoteIP": remote_ip,
        "userIP": user_ip,
        "referer": referer,
        "userAgent": user_agent,
        "auth": auth,
    })
}

/// A `_logs` row as API JSON (`data` parsed).
pub fn log_json(mut row: serde_json::Map<String, Value>) -> Value {
    if let Some(Value::String(s)) = row.get("data") {
        let parsed = serde_json::from_str(s).unwrap_or_else(|_| json!({}));
        row.insert("data".into(), parsed);
    }
    Value::Object(row)
}

impl crate::core::App {
    /// One log entry by id.
    pub fn find_log(&self, id: &str) -> crate::core::Result<Value> {
        let table = crate::core::collections::meta::logs_table();
        let arg = [rusqlite::types::Value::Text(id.to_string())];
        let row = self.aux_db().read(|c| crate::db::records::query(c, &table, "WHERE `_logs`.`id` = ?1", &arg))?;
        row.into_iter().next().map(log_json).ok_or_else(crate::core::Error::not_found)
    }

    /// Hourly log counts `[{date, total}]`.
    pub fn log_stats(&self) -> crate::core::Result<Vec<Value>> {
        let rows = self.aux_db().read(|c| {
            crate::db::records::query_plain(
                c,
                "SELECT COUNT(id) AS total, strftime('%Y-%m-%d %H:00:00', created) AS date FROM `_logs` GROUP BY date ORDER BY date",
                &[],
            )
        })?;
        Ok(rows.into_iter().map(Value::Object).collect())
    }

    /// Deletes every log entry.
    pub fn delete_logs(&self) -> crate::core::Result<()> {
        self.aux_db().write(|c| c.execute("DELETE FROM `_logs`", []))?;
        Ok(())
    }
}
