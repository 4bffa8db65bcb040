//! SQLite access: one writer connection behind a mutex, a pool of reader
//! connections, and transactions that the core hands around as an
//! [`Executor`]. This is the only module that knows the storage is SQLite.

pub mod collections;
pub mod console;
pub mod dbx;
pub mod error;
pub mod functions;
pub mod logs;
pub mod raw;
pub mod records;
pub mod schema;
pub mod select;
pub mod sync;
pub mod values;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RawMutex, lock_api::ArcMutexGuard};
use rusqlite::{Connection, OpenFlags};

pub use error::DbError;
pub use select::{Select, SqlValue};

/// Result alias over rusqlite errors.
pub type DbResult<T> = rusqlite::Result<T>;

/// One SQLite database file: a writer and a bounded pool of readers.
///
/// Every read runs under a deadline (PocketBase's `--queryTimeout`): a
/// progress handler on each connection interrupts the running statement
/// once the calling thread's deadline has passed, or at once when the
/// database is [closing](Db::interrupt_all), so no query can hold a thread,
/// a reader or shutdown for longer than that.
pub struct Db {
    path: PathBuf,
    /// Read deadline in milliseconds.
    query_timeout_ms: AtomicU64,
    /// Set on shutdown: every running statement stops.
    closing: Arc<AtomicBool>,
    writer: Arc<Mutex<Connection>>,
    /// The thread whose open transaction holds the writer, if any.
    writer_owner: Arc<Mutex<Option<ThreadId>>>,
    readers: Mutex<ReaderPool>,
    reader_returned: Condvar,
    max_readers: usize,
}

/// Idle reader connections and how many exist in total.
struct ReaderPool {
    idle: Vec<Connection>,
    open: usize,
}

/// How long a writer waits for the lock before giving up with "busy"
/// (SQLite's own busy timeout, which the lock stands in front of).
const WRITER_WAIT: Duration = Duration::from_secs(10);

fn busy(message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error { code: rusqlite::ErrorCode::DatabaseBusy, extended_code: rusqlite::ffi::SQLITE_BUSY },
        Some(message.to_string()),
    )
}

/// Default read deadline (PocketBase's `--queryTimeout` default).
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many SQLite VM steps run between two deadline checks (a check is a
/// thread-local read and a clock read: well under 1% of the work between).
const PROGRESS_STEPS: i32 = 1000;

thread_local! {
    /// The deadline of the statements this thread runs, if any.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Set by [`never_wait`]: a read that would wait for a reader fails.
    static NEVER_WAIT: Cell<bool> = const { Cell::new(false) };
    /// Set when a read refused to wait under [`never_wait`].
    static WOULD_HAVE_WAITED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` where no read may wait for a free reader connection (an async
/// thread that must stay responsive). `None` when a read would have waited:
/// the caller then runs `f` again where waiting is fine.
pub fn never_wait<T>(f: impl FnOnce() -> T) -> Option<T> {
    let previous = NEVER_WAIT.replace(true);
    WOULD_HAVE_WAITED.set(false);
    let out = f();
    NEVER_WAIT.set(previous);
    (!WOULD_HAVE_WAITED.replace(false)).then_some(out)
}

/// Runs `f` with a statement deadline on the current thread; a nested
/// scope can only shorten it. Statements still running at the deadline fail
/// with `SQLITE_INTERRUPT` (see [`is_interrupted`]).
pub fn with_deadline<T>(deadline: Instant, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let previous = DEADLINE.get();
    let _restore = Restore(previous);
    DEADLINE.set(Some(previous.map_or(deadline, |p| p.min(deadline))));
    f()
}

/// Whether an error is a statement stopped by its deadline or by shutdown.
pub fn is_interrupted(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted)
}

fn interrupted(message: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error {
            code: rusqlite::ErrorCode::OperationInterrupted,
            extended_code: rusqlite::ffi::SQLITE_INTERRUPT,
        },
        Some(message.to_string()),
    )
}

fn configure(conn: &mut Connection, closing: &Arc<AtomicBool>) -> DbResult<()> {
    let closing = closing.clone();
    conn.progress_handler(
        PROGRESS_STEPS,
        Some(move || {
            closing.load(Ordering::Relaxed) || DEADLINE.get().is_some_and(|deadline| Instant::now() >= deadline)
        }),
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA journal_size_limit = 200000000;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32000;",
    )?;
    // No memory-mapped I/O (PocketBase sets none either): in WAL mode a
    // reader that sees a newer commit unmaps the whole file and maps it
    // again at its next read, so every read after a write paid a munmap
    // (a TLB shootdown on every core) and fresh page faults.
    conn.set_prepared_statement_cache_capacity(256);
    functions::register(conn)?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database file with PocketBase's
    /// pragmas; at most `max_readers` reader connections are ever open, and
    /// they are kept (warm statement and page caches) for reuse.
    pub fn open(path: &Path, max_readers: usize) -> DbResult<Self> {
        let closing = Arc::new(AtomicBool::new(false));
        let mut writer = Connection::open(path)?;
        configure(&mut writer, &closing)?;
        Ok(Db {
            path: path.to_path_buf(),
            query_timeout_ms: AtomicU64::new(DEFAULT_QUERY_TIMEOUT.as_millis() as u64),
            closing,
            writer: Arc::new(Mutex::new(writer)),
            writer_owner: Arc::new(Mutex::new(None)),
            readers: Mutex::new(ReaderPool { idle: Vec::new(), open: 0 }),
            reader_returned: Condvar::new(),
            max_readers: max_readers.max(1),
        })
    }

    /// The database file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets how long a read may run.
    pub fn set_query_timeout(&self, timeout: Duration) {
        self.query_timeout_ms.store(timeout.as_millis().max(1) as u64, Ordering::Relaxed);
    }

    /// The deadline of a read starting now.
    pub fn read_deadline(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.query_timeout_ms.load(Ordering::Relaxed))
    }

    /// Stops every running statement and makes new ones fail at their first
    /// step (shutdown: in-flight requests end with an error, not a hang).
    pub fn interrupt_all(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    /// Lets statements run again after [`Db::interrupt_all`] (the final
    /// WAL checkpoint and log flush of a shutdown).
    pub fn resume(&self) {
        self.closing.store(false, Ordering::Relaxed);
    }

    fn new_reader(&self) -> DbResult<Connection> {
        let mut conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&mut conn, &self.closing)?;
        // readers never write nor keep a transaction open (see Lease::drop)
        conn.execute_batch("PRAGMA query_only = ON")?;
        Ok(conn)
    }

    /// Runs `f` on a pooled reader connection under the read deadline,
    /// waiting (within that deadline) for one when all `max_readers` are busy.
    pub fn read<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let deadline = DEADLINE.get().map_or_else(|| self.read_deadline(), |d| d.min(self.read_deadline()));
        let lease = Lease { db: self, conn: Some(self.take_reader(deadline)?) };
        match lease.conn.as_ref() {
            Some(conn) => with_deadline(deadline, || f(conn)),
            None => Err(rusqlite::Error::InvalidQuery.into()),
        }
    }

    /// Runs `f` on an idle reader if one is free right now (`None`
    /// otherwise): for callers that must never wait, like async threads.
    pub fn try_read<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Option<Result<T, E>> {
        let conn = {
            let mut pool = self.readers.lock();
            pool.idle.pop()?
        };
        let lease = Lease { db: self, conn: Some(conn) };
        let conn = lease.conn.as_ref()?;
        Some(with_deadline(self.read_deadline(), || f(conn)))
    }

    fn take_reader(&self, deadline: Instant) -> DbResult<Connection> {
        let mut pool = self.readers.lock();
        loop {
            if self.closing.load(Ordering::Relaxed) {
                return Err(interrupted("the database is closing"));
            }
            if let Some(c) = pool.idle.pop() {
                return Ok(c);
            }
            if pool.open < self.max_readers {
                pool.open += 1;
                drop(pool);
                return self.new_reader().inspect_err(|_| self.readers.lock().open -= 1);
            }
            if NEVER_WAIT.get() {
                WOULD_HAVE_WAITED.set(true);
                return Err(busy("no idle database connection"));
            }
            if self.reader_returned.wait_until(&mut pool, deadline).timed_out() {
                return Err(interrupted("no database connection became free before the query timeout"));
            }
        }
    }

    /// Takes the writer lock. A thread whose own transaction holds it gets
    /// an error at once (waiting would deadlock: it must use the
    /// transaction); others wait up to [`WRITER_WAIT`], then get "busy".
    fn lock_writer(&self) -> DbResult<ArcMutexGuard<RawMutex, Connection>> {
        if *self.writer_owner.lock() == Some(thread::current().id()) {
            return Err(busy("database is locked by a transaction of this thread: use the transaction's app"));
        }
        self.writer.try_lock_arc_for(WRITER_WAIT).ok_or_else(|| busy("database is locked"))
    }

    /// Runs `f` on the writer connection (serialised with other writers).
    pub fn write<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let guard = self.lock_writer()?;
        f(&guard)
    }

    /// Whether the current thread holds the writer (an open transaction).
    pub fn writer_held_here(&self) -> bool {
        *self.writer_owner.lock() == Some(thread::current().id())
    }

    /// Locks the writer and opens a transaction on it.
    pub fn begin(&self) -> DbResult<Tx> {
        let guard = self.lock_writer()?;
        guard.execute_batch("BEGIN IMMEDIATE")?;
        *self.writer_owner.lock() = Some(thread::current().id());
        Ok(Tx {
            conn: Mutex::new(Some(guard)),
            after_commit: Mutex::new(Vec::new()),
            on_rollback: Mutex::new(Vec::new()),
            owner: self.writer_owner.clone(),
        })
    }

    /// Moves the WAL content into the database file and truncates the WAL
    /// (the last step of a clean shutdown).
    pub fn checkpoint(&self) -> DbResult<()> {
        self.write(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"))
    }

    /// Closes the idle readers (releases file handles, e.g. before a restore).
    pub fn clear_readers(&self) {
        let mut pool = self.readers.lock();
        let n = pool.idle.len();
        pool.idle.clear();
        pool.open -= n;
    }
}

/// A borrowed reader, returned to the pool when dropped (even on panic).
struct Lease<'a> {
    db: &'a Db,
    conn: Option<Connection>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // a script's raw `BEGIN` must not leave a stale snapshot behind
            if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
                self.db.readers.lock().open -= 1;
                self.db.reader_returned.notify_one();
                return;
            }
            self.db.readers.lock().idle.push(conn);
            self.db.reader_returned.notify_one();
        }
    }
}

/// How after-commit work fails (opaque here: the core queues its own errors).
pub type AfterCommitError = Box<dyn std::error::Error + Send + Sync>;

/// Work to run once a transaction has committed.
pub type AfterCommit = Box<dyn FnOnce() -> Result<(), AfterCommitError> + Send>;

/// Cleanup to run when a transaction does not commit (files written for
/// rows that never became durable).
pub type OnRollback = Box<dyn FnOnce() + Send>;

/// An open transaction holding the writer lock until commit or rollback.
/// The lock is released as soon as the transaction ends, before any
/// after-commit work runs (which may write again).
pub struct Tx {
    conn: Mutex<Option<ArcMutexGuard<RawMutex, Connection>>>,
    after_commit: Mutex<Vec<AfterCommit>>,
    on_rollback: Mutex<Vec<OnRollback>>,
    owner: Arc<Mutex<Option<ThreadId>>>,
}

fn closed() -> rusqlite::Error {
    rusqlite::Error::InvalidParameterName("the transaction has already ended".into())
}

impl Tx {
    /// Runs `f` on the transaction's connection.
    pub fn with<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let guard = self.conn.lock();
        match guard.as_ref() {
            Some(conn) => f(conn),
            None => Err(closed().into()),
        }
    }

    /// Queues work for after a successful commit.
    pub fn on_commit(&self, f: AfterCommit) {
        self.after_commit.lock().push(f);
    }

    /// Queues cleanup for when the transaction rolls back (or fails to commit).
    pub fn on_rollback(&self, f: OnRollback) {
        self.on_rollback.lock().push(f);
    }

    fn run_rollback_work(&self) {
        let work = std::mem::take(&mut *self.on_rollback.lock());
        for f in work {
            f();
        }
    }

    /// Commits and releases the writer; returns the queued after-commit
    /// work for the caller to run.
    pub fn commit(&self) -> DbResult<Vec<AfterCommit>> {
        let Some(conn) = self.conn.lock().take() else {
            return Err(closed());
        };
        let committed = conn.execute_batch("COMMIT");
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
            self.after_commit.lock().clear();
        }
        *self.owner.lock() = None;
        drop(conn);
        if committed.is_err() {
            self.run_rollback_work();
        }
        committed?;
        self.on_rollback.lock().clear();
        Ok(std::mem::take(&mut *self.after_commit.lock()))
    }

    /// Rolls back and releases the writer (idempotent).
    pub fn rollback(&self) {
        let taken = self.conn.lock().take();
        if let Some(conn) = taken {
            let _ = conn.execute_batch("ROLLBACK");
            *self.owner.lock() = None;
            drop(conn);
            self.run_rollback_work();
        }
        self.after_commit.lock().clear();
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        self.rollback();
    }
}

/// Where core queries run: the pools, or an open transaction.
#[derive(Clone)]
pub enum Executor {
    Pool(Arc<Db>),
    Tx(Arc<Db>, Arc<Tx>),
}

impl Executor {
    /// Runs a read on a pooled reader, or on the transaction connection.
    pub fn read<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        match self {
            Executor::Pool(db) => db.read(f),
            Executor::Tx(db, tx) => with_deadline(db.read_deadline(), || tx.with(f)),
        }
    }

    /// Runs a write on the writer, or on the transaction connection.
    pub fn write<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        match self {
            Executor::Pool(db) => db.write(f),
            Executor::Tx(_, tx) => tx.with(f),
        }
    }

    /// The underlying database.
    pub fn db(&self) -> &Arc<Db> {
        match self {
            Executor::Pool(db) | Executor::Tx(db, _) => db,
        }
    }

    /// The open transaction, if any.
    pub fn tx(&self) -> Option<&Arc<Tx>> {
        match self {
            Executor::Pool(_) => None,
            Executor::Tx(_, tx) => Some(tx),
        }
    }
}

/// Quotes an identifier for SQLite (backticks, like PocketBase).
pub fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}
