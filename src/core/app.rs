//! `App`: the one domain API every way in (HTTP, CLI, JS) goes through. It
//! owns the databases, the collections cache, settings, hooks and logs. A
//! cheap `Clone`; inside a transaction it carries the transaction with it,
//! and the collections/settings changed in that transaction stay private to
//! it until it commits (other requests never see an uncommitted schema).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::collections::{Collection, Collections, system};
use super::cron::Cron;
use super::error::{Error, Result};
use super::events::{AppEvent, Hooks};
use super::logs::LogWriter;
use super::settings::Settings;
use crate::db::{self, Db, Executor, schema};

/// Start-up options (the CLI flags that the core needs).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The `pb_data` directory.
    pub data_dir: PathBuf,
    /// Dev mode: verbose logs.
    pub dev: bool,
    /// Default SELECT timeout in seconds.
    pub query_timeout: u64,
    /// Env var holding the settings encryption key.
    pub encryption_env: Option<String>,
}

impl AppConfig {
    /// Config with defaults for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        AppConfig { data_dir: data_dir.into(), dev: false, query_timeout: 30, encryption_env: None }
    }
}

struct AppInner {
    config: AppConfig,
    data: Arc<Db>,
    aux: Arc<Db>,
    collections: ArcSwap<Collections>,
    settings: ArcSwap<Settings>,
    hooks: Hooks,
    cron: Arc<Cron>,
    logs: LogWriter,
    realtime: Arc<super::realtime::Broker>,
    store: Mutex<Map<String, Value>>,
    files: super::files::FilesState,
    rate_limiter: super::ratelimit::RateLimiter,
    /// Collections already reported as unreadable (logged once each).
    unreadable: Mutex<std::collections::HashSet<String>>,
}

/// Handle to the application core.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
    exec: Executor,
    /// The caches as changed by the open transaction (None outside one).
    tx_caches: Option<Arc<TxCaches>>,
    /// Set on the handle of `unsafe_without_hooks()`: no hook chain runs.
    no_hooks: bool,
}

/// The hook chains of a handle that runs none.
static NO_HOOKS: std::sync::LazyLock<Hooks> = std::sync::LazyLock::new(Hooks::default);

/// A handle that does not keep the app alive: for work the app itself owns
/// (its cron jobs), which would otherwise form a cycle.
#[derive(Clone)]
pub struct WeakApp(std::sync::Weak<AppInner>);

impl WeakApp {
    /// The app, unless it has been dropped.
    pub fn upgrade(&self) -> Option<App> {
        self.0.upgrade().map(|inner| App {
            exec: Executor::Pool(inner.data.clone()),
            inner,
            tx_caches: None,
            no_hooks: false,
        })
    }
}

/// Collections and settings reloaded inside a transaction: seen by that
/// transaction's handles only, published when it commits, dropped on rollback.
#[derive(Default)]
struct TxCaches {
    collections: Mutex<Option<Arc<Collections>>>,
    settings: Mutex<Option<Arc<Settings>>>,
}

impl App {
    /// Opens (and on first run initialises) the app in `config.data_dir`.
    pub fn open(config: AppConfig) -> Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", config.data_dir.display())))?;
        let data = Arc::new(Db::open(&config.data_dir.join("data.db"), 8)?);
        let aux = Arc::new(Db::open(&config.data_dir.join("auxiliary.db"), 2)?);
        let timeout = std::time::Duration::from_secs(config.query_timeout.max(1));
        data.set_query_timeout(timeout);
        aux.set_query_timeout(timeout);
        data.write(schema::init_data_tables)?;
        aux.write(schema::init_aux_tables)?;
        let logs = LogWriter::start(aux.clone(), Settings::default().logs.max_days);
        let app = App {
            inner: Arc::new(AppInner {
                config,
                data: data.clone(),
                aux,
                collections: ArcSwap::from_pointee(Collections::default()),
                settings: ArcSwap::from_pointee(Settings::default()),
                hooks: Hooks::default(),
                cron: Arc::new(Cron::default()),
                logs,
                realtime: Arc::default(),
                store: Mutex::new(Map::new()),
                files: super::files::FilesState::default(),
                rate_limiter: Default::default(),
                unreadable: Mutex::default(),
            }),
            exec: Executor::Pool(data),
            tx_caches: None,
            no_hooks: false,
        };
        app.check_settings_key()?;
        app.bootstrap()?;
        Ok(app)
    }

    fn bootstrap(&self) -> Result<()> {
        self.run_in_transaction(|tx| {
            let applied = tx.exec.read(schema::applied_migrations)?;
            let fresh = applied.is_empty() && tx.exec.read(db::collections::all)?.is_empty();
            if fresh {
                for c in system::system_collections() {
                    tx.insert_collection_raw(c)?;
                }
                for m in schema::SYSTEM_MIGRATIONS {
                    tx.exec.write(|c| schema::mark_applied(c, m))?;
                }
            } else {
                super::system_migrations::check_supported(&applied)?;
            }
            let stored = tx.exec.read(|c| schema::get_param(c, "settings"))?;
            if stored.is_none() {
                let value = tx.encode_settings(&Settings::default())?;
                tx.exec.write(|c| schema::set_param(c, "settings", &value))?;
            }
            Ok(())
        })?;
        self.reload_collections()?;
        self.reload_settings()?;
        super::system_migrations::run_pending(self)?;
        super::auth::flows::bind_system_hooks(self);
        super::files::bind_system_hooks(self);
        super::realtime::broadcast::bind_system_hooks(self);
        Ok(())
    }

    /// Creates the table and `_collections` row of a collection without
    /// validation or hooks (system collections, imports of trusted data).
    pub(crate) fn insert_collection_raw(&self, mut c: Collection) -> Result<Collection> {
        let now = super::datetime::now();
        if c.created.is_empty() {
            c.created = now.clone();
        }
        c.updated = now;
        self.exec.write(|conn| -> Result<()> {
            db::sync::create(conn, &c)?;
            db::collections::upsert(conn, &c)?;
            Ok(())
        })?;
        Ok(c)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    /// The start-up config.
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// Where queries of this handle run.
    pub fn executor(&self) -> &Executor {
        &self.exec
    }

    /// The auxiliary (logs) database.
    pub fn aux_db(&self) -> &Arc<Db> {
        &self.inner.aux
    }

    /// Hook chains (none on an `unsafe_without_hooks()` handle).
    pub fn hooks(&self) -> &Hooks {
        if self.no_hooks { &NO_HOOKS } else { &self.inner.hooks }
    }

    /// A handle on the same app (and transaction) on which no hook runs,
    /// PocketBase's `UnsafeWithoutHooks`: saves and deletes skip every
    /// hook, including the ones other features rely on (realtime, cascades
    /// of auth references); validation still runs.
    pub fn unsafe_without_hooks(&self) -> App {
        App { no_hooks: true, ..self.clone() }
    }

    /// Whether this handle runs no hooks.
    pub fn is_without_hooks(&self) -> bool {
        self.no_hooks
    }

    /// The realtime subscriptions broker.
    pub fn realtime(&self) -> &Arc<super::realtime::Broker> {
        &self.inner.realtime
    }

    /// The cron jobs (`$app.cron()`, `cronAdd`).
    pub fn cron(&self) -> &Arc<Cron> {
        &self.inner.cron
    }

    /// Runs the `onBootstrap` chain. The core bootstraps when it opens, so
    /// the innermost step has nothing left to do; the JS engine fires this
    /// once its hooks are loaded (PocketBase loads them before bootstrap).
    pub fn trigger_bootstrap(&self) -> Result<()> {
        let mut ev = AppEvent { app: self.clone(), is_restart: false };
        self.inner.hooks.on_bootstrap.trigger(&mut ev, &mut |_| Ok(()))
    }

    /// Runs the internal `onServe` chain (before the server listens).
    pub fn trigger_serve(&self) -> Result<()> {
        let mut ev = AppEvent { app: self.clone(), is_restart: false };
        self.inner.hooks.on_serve.trigger(&mut ev, &mut |_| Ok(()))
    }

    /// Runs the `onTerminate` chain (the server is stopping).
    pub fn terminate(&self, is_restart: bool) -> Result<()> {
        let mut ev = AppEvent { app: self.clone(), is_restart };
        self.inner.hooks.on_terminate.trigger(&mut ev, &mut |_| Ok(()))
    }

    /// Storage clients and thumb generation state (`core::files`).
    pub(crate) fn files_state(&self) -> &super::files::FilesState {
        &self.inner.files
    }

    /// Stops every running query of both databases and fails new ones at
    /// once (shutdown: in-flight requests end with an error instead of
    /// holding the process). Undone by [`App::resume_queries`].
    pub fn interrupt_queries(&self) {
        self.inner.data.interrupt_all();
        self.inner.aux.interrupt_all();
    }

    /// Lets queries run again after [`App::interrupt_queries`].
    pub fn resume_queries(&self) {
        self.inner.data.resume();
        self.inner.aux.resume();
    }

    /// The last step of a shutdown: writes the pending logs and checkpoints
    /// both databases' WAL into their files.
    pub fn close(&self) -> Result<()> {
        self.inner.logs.flush_now();
        self.inner.data.checkpoint()?;
        self.inner.aux.checkpoint()?;
        Ok(())
    }

    /// The rate limit windows (`settings.rateLimits`).
    pub fn rate_limiter(&self) -> &super::ratelimit::RateLimiter {
        &self.inner.rate_limiter
    }

    /// The shared key/value store (`$app.store()`).
    pub fn store(&self) -> &Mutex<Map<String, Value>> {
        &self.inner.store
    }

    /// Writes an app log entry.
    pub fn log(&self, level: i64, message: &str, data: Value) {
        self.inner.logs.log(level, message.to_string(), super::logs::LogData::Json(data));
    }

    /// Writes a request log entry.
    pub fn log_request(&self, level: i64, entry: super::logs::RequestLog) {
        let message = format!("{} {}", entry.method, entry.url);
        self.inner.logs.log(level, message, super::logs::LogData::Request(entry));
    }

    /// The current collections snapshot.
    pub fn collections(&self) -> Arc<Collections> {
        if let Some(c) = self.tx_caches.as_ref().and_then(|t| t.collections.lock().clone()) {
            return c;
        }
        self.inner.collections.load_full()
    }

    /// A collection by id or name (case-insensitive).
    pub fn find_collection(&self, name_or_id: &str) -> Result<Arc<Collection>> {
        self.collections().get(name_or_id).ok_or_else(Error::not_found)
    }

    /// Re-reads `_collections` into the cache.
    /// A collection whose stored definition cannot be read is left out
    /// (and logged once) so the others serve; a system collection that
    /// cannot be read is an error, the app cannot work without it.
    pub fn reload_collections(&self) -> Result<()> {
        let rows = self.exec.read(db::collections::all)?;
        let mut list = Vec::with_capacity(rows.len());
        for r in rows {
            let (name, system) = (r.name.clone(), r.system);
            match Collection::from_row(
                r.id, r.system, &r.kind, r.name, &r.fields, &r.indexes, r.rules, &r.options, r.created, r.updated,
            ) {
                Ok(c) => list.push(c),
                Err(e) if system => return Err(Error::Internal(format!("cannot read collection {name:?}: {e}"))),
                Err(e) => {
                    if self.inner.unreadable.lock().insert(name.clone()) {
                        tracing::error!("cannot read collection {name:?}: {e}; it is not served");
                    }
                }
            }
        }
        let list = Arc::new(Collections::new(list));
        match &self.tx_caches {
            Some(t) => *t.collections.lock() = Some(list),
            None => self.inner.collections.store(list),
        }
        Ok(())
    }

    /// Current settings.
    pub fn settings(&self) -> Arc<Settings> {
        if let Some(s) = self.tx_caches.as_ref().and_then(|t| t.settings.lock().clone()) {
            return s;
        }
        self.inner.settings.load_full()
    }

    /// Re-reads settings from `_params`.
    pub fn reload_settings(&self) -> Result<()> {
        let raw = self.exec.read(|c| schema::get_param(c, "settings"))?;
        let settings = match raw {
            // never fall back to defaults: a later save would overwrite the
            // stored credentials with them
            Some(s) => self.decode_settings(&s)?,
            None => Settings::default(),
        };
        self.store_settings(settings);
        Ok(())
    }

    /// Persists new settings.
    pub fn save_settings(&self, s: Settings) -> Result<()> {
        s.validate()?;
        let value = self.encode_settings(&s)?;
        self.exec.write(|c| schema::set_param(c, "settings", &value))?;
        self.store_settings(s);
        let mut ev = AppEvent { app: self.clone(), is_restart: false };
        self.inner.hooks.on_settings_reload.trigger(&mut ev, &mut |_| Ok(()))
    }

    /// The settings key: the value of the variable `--encryptionEnv` names,
    /// when it is set and not empty (PocketBase stores plain JSON otherwise).
    fn settings_key(&self) -> Option<String> {
        let name = self.inner.config.encryption_env.as_deref().filter(|n| !n.is_empty())?;
        std::env::var(name).ok().filter(|k| !k.is_empty())
    }

    /// Checks the `--encryptionEnv` key before anything is read or written
    /// with it: a wrong length would only fail at the first settings save.
    fn check_settings_key(&self) -> Result<()> {
        let Some(name) = self.inner.config.encryption_env.as_deref().filter(|n| !n.is_empty()) else {
            return Ok(());
        };
        match self.settings_key() {
            Some(key) if key.len() != 32 => Err(Error::Internal(format!(
                "the variable {name} named by --encryptionEnv must hold a 32 characters key (AES-256); it holds {}",
                key.len()
            ))),
            Some(_) => Ok(()),
            None => {
                tracing::warn!("--encryptionEnv names {name}, which is not set: settings are stored unencrypted");
                Ok(())
            }
        }
    }

    /// The stored form of settings: JSON, sealed with the `--encryptionEnv`
    /// key when there is one (PocketBase's format, readable by either).
    fn encode_settings(&self, s: &Settings) -> Result<String> {
        let json = s.to_stored().map_err(|e| Error::Internal(e.to_string()))?;
        match self.settings_key() {
            Some(key) => super::security::encrypt(json.as_bytes(), &key)
                .map_err(|e| Error::Internal(format!("cannot encrypt the settings: {e}"))),
            None => Ok(json),
        }
    }

    /// Reads stored settings like PocketBase: plain JSON first, then sealed
    /// with the `--encryptionEnv` key.
    fn decode_settings(&self, raw: &str) -> Result<Settings> {
        let plain_error = match Settings::from_stored(raw) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        let name = self.inner.config.encryption_env.as_deref().unwrap_or_default();
        let Some(key) = self.settings_key() else {
            return Err(Error::Internal(format!(
                "cannot read the stored settings: they are not JSON ({plain_error}) and there is no key to decrypt them \
                 (start with --encryptionEnv NAME, NAME being the variable that holds the key{})",
                if name.is_empty() { String::new() } else { format!("; {name} is not set") }
            )));
        };
        let opened = super::security::decrypt(raw, &key)
            .map_err(|e| Error::Internal(format!("cannot decrypt the stored settings with the key in {name}: {e}")))?;
        let text = String::from_utf8(opened)
            .map_err(|_| Error::Internal("the decrypted settings are not UTF-8 text".to_string()))?;
        Settings::from_stored(&text).map_err(|e| Error::Internal(format!("cannot read the decrypted settings: {e}")))
    }

    fn store_settings(&self, s: Settings) {
        match &self.tx_caches {
            Some(t) => *t.settings.lock() = Some(Arc::new(s)),
            None => self.publish_settings(Arc::new(s)),
        }
    }

    fn publish_settings(&self, s: Arc<Settings>) {
        self.inner.logs.set_max_days(s.logs.max_days);
        // PocketBase starts every rate limit window afresh on a settings change
        self.inner.rate_limiter.reset();
        self.inner.settings.store(s);
    }

    /// A handle that does not keep the app alive.
    pub fn downgrade(&self) -> WeakApp {
        WeakApp(Arc::downgrade(&self.inner))
    }

    /// A handle on the same app outside any transaction.
    pub fn without_tx(&self) -> App {
        App {
            inner: self.inner.clone(),
            exec: Executor::Pool(self.inner.data.clone()),
            tx_caches: None,
            no_hooks: self.no_hooks,
        }
    }

    /// Whether the current thread holds the database writer (work it waits
    /// for must not queue behind work that may wait for the writer).
    pub fn holds_writer(&self) -> bool {
        self.inner.data.writer_held_here()
    }

    /// Whether this handle is bound to an open transaction.
    pub fn is_transactional(&self) -> bool {
        self.exec.tx().is_some()
    }

    /// Runs `f` in a transaction; nested calls join the open one. Commits
    /// when `f` succeeds, rolls back otherwise.
    pub fn run_in_transaction<T>(&self, f: impl FnOnce(&App) -> Result<T>) -> Result<T> {
        if self.is_transactional() {
            return f(self);
        }
        let tx = Arc::new(self.inner.data.begin()?);
        let caches = Arc::new(TxCaches::default());
        let txapp = App {
            inner: self.inner.clone(),
            exec: Executor::Tx(self.inner.data.clone(), tx.clone()),
            tx_caches: Some(caches.clone()),
            no_hooks: self.no_hooks,
        };
        match f(&txapp) {
            Ok(v) => {
                let queued = tx.commit()?;
                // publish before any after-commit work looks them up
                if let Some(c) = caches.collections.lock().take() {
                    self.inner.collections.store(c);
                }
                if let Some(s) = caches.settings.lock().take() {
                    self.publish_settings(s);
                }
                // like PocketBase, a failing after-commit hook fails the
                // call although the data is committed
                let mut first = None;
                for work in queued {
                    if let Err(failure) = work() {
                        first.get_or_insert(failure);
                    }
                }
                match first {
                    None => Ok(v),
                    Some(failure) => Err(match failure.downcast::<Error>() {
                        Ok(e) => *e,
                        Err(other) => Error::Internal(other.to_string()),
                    }),
                }
            }
            Err(e) => {
                // the transaction's cache changes go with it
                tx.rollback();
                Err(e)
            }
        }
    }

    /// Runs `f` if the current transaction rolls back; outside a
    /// transaction there is nothing left to undo and `f` is dropped.
    pub fn on_rollback(&self, f: impl FnOnce() + Send + 'static) {
        if let Some(tx) = self.exec.tx() {
            tx.on_rollback(Box::new(f));
        }
    }

    /// Runs `f` after the current transaction commits (its error then fails
    /// the transaction call), or now when there is none.
    pub fn after_commit(&self, f: impl FnOnce() -> Result<()> + Send + 'static) -> Result<()> {
        match self.exec.tx() {
            Some(tx) => {
                tx.on_commit(Box::new(move || f().map_err(|e| Box::new(e) as crate::db::AfterCommitError)));
                Ok(())
            }
            None => f(),
        }
    }
}
