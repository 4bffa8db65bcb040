//! JS migrations (`pb_migrations`), PocketBase's `migrate` command and its
//! automigrate, on top of the JS engine ([`crate::jsvm::migrations`]).
//!
//! Files `<unixtime>_<name>.js` run in name order, each calling
//! `migrate((app) => {…}, (app) => {…})`. Every pending migration runs in
//! its own transaction with its `_migrations` row (base file name, applied
//! time in µs): a failing one rolls back alone and stops the run with the
//! file name and the JS error. Ferrobase's own system migrations are the
//! Go migrations PocketBase records (`*.go`), so the table means the same
//! in both programs.

pub mod automigrate;
pub mod files;
pub mod templates;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::core::{App, Error};
use crate::db::schema;
use crate::jsvm::migrations::{Direction, MigrationScript, MigrationsRuntime, ScriptError, THREAD_STACK};

/// Where the migrations live.
#[derive(Debug, Clone)]
pub struct MigrationsConfig {
    /// The migrations dir (`--migrationsDir`, default `<dir>/../pb_migrations`).
    pub dir: PathBuf,
    /// The hooks dir: `__hooks` and the base of `require()` in migrations.
    pub hooks_dir: PathBuf,
}

impl MigrationsConfig {
    /// Migrations in `dir`, with `require()` relative to the sibling `pb_hooks`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let hooks_dir = dir.join("..").join("pb_hooks");
        MigrationsConfig { dir, hooks_dir }
    }
}

/// Why migrations could not be applied, reverted or written.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A file or dir could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A migration file failed to evaluate (syntax error, top-level throw).
    #[error("failed to load migration {file}: {message}")]
    Load { file: String, message: String },
    /// An up function failed; its transaction was rolled back.
    #[error("failed to apply migration {file}: {message}")]
    Apply { file: String, message: String },
    /// A down function failed; its transaction was rolled back.
    #[error("failed to revert migration {file}: {message}")]
    Revert { file: String, message: String },
    /// An applied migration to revert has no file any more.
    #[error("failed to revert migration {0}: the file is missing from the migrations dir")]
    MissingFile(String),
    /// A name for `migrate create` with nothing usable in it.
    #[error("invalid migration name {0:?}: use letters and digits, e.g. \"add_posts\"")]
    InvalidName(String),
    /// The file to create is there already.
    #[error("migration file {0} already exists")]
    Exists(String),
    /// The database refused.
    #[error(transparent)]
    Core(#[from] Error),
    /// The migrations thread could not run.
    #[error("cannot run the migrations: {0}")]
    Runtime(String),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Core(e.into())
    }
}

/// Whether an applied migration is a system (Go) one, which JS migrations
/// never revert or forget.
pub fn is_system(file: &str) -> bool {
    file.ends_with(".go")
}

/// Runs `f` on a thread with a stack large enough for QuickJS plus nested
/// core calls (the caller may be a small-stacked tokio thread).
fn on_migrations_thread<T: Send>(f: impl FnOnce() -> Result<T, MigrateError> + Send) -> Result<T, MigrateError> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("migrations".into())
            .stack_size(THREAD_STACK)
            .spawn_scoped(s, f)
            .map_err(|e| MigrateError::Runtime(e.to_string()))?;
        handle.join().map_err(|_| MigrateError::Runtime("the migrations thread panicked".into()))?
    })
}

fn load(app: &App, cfg: &MigrationsConfig, scripts: &[MigrationScript]) -> Result<MigrationsRuntime, MigrateError> {
    let hooks_dir = std::path::absolute(&cfg.hooks_dir).unwrap_or_else(|_| cfg.hooks_dir.clone());
    MigrationsRuntime::load(app, hooks_dir, scripts)
        .map_err(|ScriptError { file, message }| MigrateError::Load { file, message })
}

/// Runs one direction of `file` and records it, in one transaction.
fn run_one(app: &App, rt: &MigrationsRuntime, file: &str, direction: Direction) -> Result<(), MigrateError> {
    let mut js_failure: Option<String> = None;
    let res = app.run_in_transaction(|tx| {
        if rt.is_registered(file)
            && let Err(message) = rt.run(tx, file, direction)
        {
            js_failure = Some(message);
            return Err(Error::Internal("the migration threw".into()));
        }
        match direction {
            Direction::Up => tx.executor().write(|c| schema::mark_applied(c, file))?,
            Direction::Down => tx.executor().write(|c| schema::unmark_applied(c, file))?,
        }
        Ok(())
    });
    if let Err(e) = res {
        let message = js_failure.unwrap_or_else(|| e.to_string());
        let file = file.to_string();
        return Err(match direction {
            Direction::Up => MigrateError::Apply { file, message },
            Direction::Down => MigrateError::Revert { file, message },
        });
    }
    Ok(())
}

/// Applies the pending migrations in name order; returns their names. Stops
/// at the first failure (the migrations before it stay applied).
pub fn up(app: &App, cfg: &MigrationsConfig) -> Result<Vec<String>, MigrateError> {
    let scripts = files::read_dir(&cfg.dir)?;
    let applied = app.executor().read(schema::applied_migrations)?;
    if scripts.iter().all(|s| applied.contains(&s.name)) {
        return Ok(Vec::new());
    }
    on_migrations_thread(|| {
        let rt = load(app, cfg, &scripts)?;
        let mut done = Vec::new();
        for s in scripts.iter().filter(|s| !applied.contains(&s.name) && rt.is_registered(&s.name)) {
            run_one(app, &rt, &s.name, Direction::Up)?;
            tracing::debug!("applied migration {}", s.name);
            done.push(s.name.clone());
        }
        Ok(done)
    })
}

/// The last `n` applied JS migrations, newest first (what `down(n)` reverts).
pub fn last_applied(app: &App, n: usize) -> Result<Vec<String>, MigrateError> {
    let desc = app.executor().read(schema::applied_migrations_desc)?;
    Ok(desc.into_iter().filter(|f| !is_system(f)).take(n).collect())
}

/// Reverts the last `n` applied JS migrations, newest first; returns their
/// names. System migrations are never reverted.
pub fn down(app: &App, cfg: &MigrationsConfig, n: usize) -> Result<Vec<String>, MigrateError> {
    let targets = last_applied(app, n)?;
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let scripts = files::read_dir(&cfg.dir)?;
    if let Some(missing) = targets.iter().find(|t| !scripts.iter().any(|s| s.name == **t)) {
        return Err(MigrateError::MissingFile(missing.clone()));
    }
    on_migrations_thread(|| {
        let rt = load(app, cfg, &scripts)?;
        let mut done = Vec::new();
        for file in &targets {
            run_one(app, &rt, file, Direction::Down)?;
            tracing::debug!("reverted migration {file}");
            done.push(file.clone());
        }
        Ok(done)
    })
}

/// Forgets applied JS migrations whose files are gone; returns their names.
pub fn history_sync(app: &App, cfg: &MigrationsConfig) -> Result<Vec<String>, MigrateError> {
    let present: HashSet<String> = files::names(&cfg.dir)?.into_iter().collect();
    let mut stale: Vec<String> = app
        .executor()
        .read(schema::applied_migrations)?
        .into_iter()
        .filter(|f| !is_system(f) && !present.contains(f))
        .collect();
    stale.sort();
    app.run_in_transaction(|tx| {
        for f in &stale {
            tx.executor().write(|c| schema::unmark_applied(c, f))?;
        }
        Ok(())
    })?;
    Ok(stale)
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The path of a new blank migration named after `name` (snake-cased).
pub fn new_migration_path(cfg: &MigrationsConfig, name: &str) -> Result<PathBuf, MigrateError> {
    let snake = files::snake_case(name);
    if snake.is_empty() {
        return Err(MigrateError::InvalidName(name.to_string()));
    }
    Ok(files::clean_path(&cfg.dir.join(files::file_name(now_unix(), &snake))))
}

/// The path of a new `migrate collections` snapshot.
pub fn snapshot_path(cfg: &MigrationsConfig) -> PathBuf {
    files::clean_path(&cfg.dir.join(files::file_name(now_unix(), "collections_snapshot")))
}

/// The snapshot migration of every current collection.
pub fn snapshot_source(app: &App) -> String {
    let all = app.collections();
    let list: Vec<&crate::core::collections::Collection> = all.all().iter().map(|c| c.as_ref()).collect();
    templates::snapshot(&list)
}

/// Writes a new migration file (creating the dir); refuses to overwrite.
pub fn write_new(path: &Path, source: &str) -> Result<(), MigrateError> {
    if path.exists() {
        return Err(MigrateError::Exists(path.display().to_string()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| MigrateError::Io { path: dir.display().to_string(), source })?;
    }
    std::fs::write(path, source).map_err(|source| MigrateError::Io { path: path.display().to_string(), source })
}
