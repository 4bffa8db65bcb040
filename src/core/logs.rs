//! App and request logs in auxiliary.db `_logs`. Writes go through a
//! background thread that batches inserts, so logging never slows a request.

use std::sync::Arc;

use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::db::logs::{self as db_logs, LogRow};
use crate::db::{Db, Executor, Select};

/// What a log entry carries: free-form data, or a request (serialised by
/// the writer thread, off the request path).
#[derive(Debug, Clone)]
pub enum LogData {
    Json(Value),
    Request(RequestLog),
}

/// The fields PocketBase records for a request.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLog {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub method: String,
    pub url: String,
    pub status: u16,
    pub exec_time: f64,
    #[serde(rename = "remoteIP")]
    pub remote_ip: String,
    #[serde(rename = "userIP")]
    pub user_ip: String,
    pub referer: String,
    pub user_agent: String,
    pub auth: String,
    /// Only with `logs.logAuthId`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub auth_id: String,
}

/// One log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: i64,
    pub message: String,
    pub data: LogData,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// Handle to the background log writer. Producers only push into a
/// shared buffer (no thread wake-up per entry); the writer thread drains it
/// a few times a second, inserts each batch in one transaction, and deletes
/// entries older than `logs.maxDays` every few hours. The buffer is flushed
/// one last time when the app goes away.
#[derive(Clone)]
pub struct LogWriter {
    inner: Arc<Sink>,
}

struct Sink {
    buffer: Mutex<Vec<LogEntry>>,
    /// The last flushed batch's allocation, handed back to `buffer` at the
    /// next flush so producers never regrow a buffer from empty (a regrow
    /// of thousands of entries copies them and maps fresh pages).
    spare: Mutex<Vec<LogEntry>>,
    aux: Arc<Db>,
    /// `logs.maxDays` of the current settings (0 keeps nothing).
    max_days: AtomicI64,
}

impl Drop for Sink {
    fn drop(&mut self) {
        flush(&self.aux, &std::mem::take(&mut *self.buffer.lock()));
    }
}

/// How often the writer flushes.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How often old entries are deleted (PocketBase's `__pbLogsCleanup__` runs every 6 h).
const CLEANUP_EVERY: Duration = Duration::from_secs(6 * 3600);
/// Entries kept at most between flushes (more are dropped, never blocking).
const MAX_BUFFERED: usize = 50_000;
/// Largest buffer allocation kept between flushes (entries).
const MAX_SPARE: usize = 8192;

impl LogWriter {
    /// Starts the writer thread for `aux`.
    pub fn start(aux: Arc<Db>, max_days: i64) -> Self {
        let inner = Arc::new(Sink {
            buffer: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
            aux,
            max_days: AtomicI64::new(max_days),
        });
        let sink = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_loop(&sink))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the log writer: {e}"));
        LogWriter { inner }
    }

    /// Queues an entry; dropped (never blocking) when too many are pending.
    pub fn log(&self, level: i64, message: String, data: LogData) {
        let entry = LogEntry { level, message, data, created: chrono::Utc::now() };
        let mut buf = self.inner.buffer.lock();
        if buf.len() < MAX_BUFFERED {
            buf.push(entry);
        }
    }

    /// Writes the buffered entries right away (shutdown).
    pub fn flush_now(&self) {
        flush(&self.inner.aux, &std::mem::take(&mut *self.inner.buffer.lock()));
    }

    /// Updates the retention after a settings change.
    pub fn set_max_days(&self, days: i64) {
        self.inner.max_days.store(days, Ordering::Relaxed);
    }
}

fn write_loop(sink: &std::sync::Weak<Sink>) {
    let mut last_cleanup: Option<Instant> = None;
    loop {
        std::thread::sleep(FLUSH_EVERY);
        // the app is gone once every handle is dropped (its Drop flushes)
        let Some(sink) = sink.upgrade() else { return };
        let mut batch = {
            let mut spare = sink.spare.lock();
            std::mem::replace(&mut *sink.buffer.lock(), std::mem::take(&mut *spare))
        };
        flush(&sink.aux, &batch);
        batch.clear();
        batch.shrink_to(MAX_SPARE);
        *sink.spare.lock() = batch;
        if last_cleanup.is_none_or(|t| t.elapsed() >= CLEANUP_EVERY) {
            last_cleanup = Some(Instant::now());
            delete_older_than(&sink.aux, sink.max_days.load(Ordering::Relaxed));
        }
    }
}

fn flush(aux: &Db, batch: &[LogEntry]) {
    if batch.is_empty() {
        return;
    }
    let rows: Vec<LogRow<'_>> = batch
        .iter()
        .map(|e| LogRow {
            id: log_id(e.created),
            level: e.level,
            message: &e.message,
            data: match &e.data {
                LogData::Json(v) => v.to_string(),
                LogData::Request(r) => serde_json::to_string(r).unwrap_or_else(|_| "{}".into()),
            },
            created: crate::core::datetime::format(e.created),
        })
        .collect();
    if let Err(e) = aux.write(|conn| db_logs::insert_batch(conn, &rows)) {
        tracing::error!("writing logs failed: {e}");
    }
}

/// Deletes entries older than `max_days` days (all of them for 0).
fn delete_older_than(aux: &Db, max_days: i64) {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(max_days.max(0));
    let cutoff = crate::core::datetime::format(cutoff);
    if let Err(e) = aux.write(|c| db_logs::delete_before(c, &cutoff)) {
        tracing::error!("deleting old logs failed: {e}");
    }
}

/// A 15-char `[a-z0-9]` id that starts with the time in base 36, so new
/// rows append at the end of the primary key index instead of landing at
/// random places (much cheaper inserts than a fully random id).
fn log_id(t: chrono::DateTime<chrono::Utc>) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut micros = t.timestamp_micros().max(0) as u64;
    let mut prefix = [b'0'; 11];
    for slot in prefix.iter_mut().rev() {
        *slot = DIGITS[(micros % 36) as usize];
        micros /= 36;
    }
    let mut id = String::from_utf8_lossy(&prefix).into_owned();
    id.push_str(&crate::core::security::random_string_with_alphabet(4, DIGITS));
    id
}

/// Level numbers as PocketBase stores them (slog levels).
pub mod level {
    pub const DEBUG: i64 = -4;
    pub const INFO: i64 = 0;
    pub const WARN: i64 = 4;
    pub const ERROR: i64 = 8;
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
        let aux = Executor::Pool(self.aux_db().clone());
        let row = Select::from(&table.name).where_eq("id", id).one_record(&aux, &table)?;
        row.map(log_json).ok_or_else(crate::core::Error::not_found)
    }

    /// Hourly log counts `[{date, total}]`.
    pub fn log_stats(&self) -> crate::core::Result<Vec<Value>> {
        let rows = self.aux_db().read(db_logs::hourly_stats)?;
        Ok(rows.into_iter().map(Value::Object).collect())
    }

    /// Deletes every log entry.
    pub fn delete_logs(&self) -> crate::core::Result<()> {
        self.aux_db().write(db_logs::delete_all)?;
        Ok(())
    }
}
