//! The JS hooks engine: `pb_hooks/*.pb.js` on QuickJS (rquickjs), mapped onto
//! the core like PocketBase's `plugins/jsvm`.
//!
//! A [`JsEngine`] owns the current [`pool::Pool`] of runtime threads. Each
//! worker thread owns one QuickJS runtime with every hook file evaluated in
//! sorted order; jobs (route requests, hook calls) travel over one MPMC
//! channel and idle workers pull them. Handlers are addressed by their
//! registration index, which is the same in every runtime. Hooks are bridged
//! into the core's hook chains ([`bridge`]), routes and `routerUse`
//! middlewares into axum ([`http`]). A watcher rebuilds the pool on file
//! changes and swaps it atomically ([`watch`]).

pub mod bindings;
mod bridge;
pub mod error;
mod event_loop;
pub mod http;
mod jobs;
pub mod migrations;
mod pool;
mod registry;
mod require;
mod runtime;
mod scripts;
mod typescript;
pub mod typings;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use parking_lot::Mutex;

use crate::core::App;
pub use error::LoadError;
use pool::Pool;

/// Engine options (the `--hooks*` flags plus limits PocketBase has no flag for).
#[derive(Debug, Clone)]
pub struct JsConfig {
    /// The hooks directory (`--hooksDir`).
    pub hooks_dir: PathBuf,
    /// Prewarmed runtimes (`--hooksPool`); extra ones are lent when all are busy.
    pub pool_size: usize,
    /// Reload the hooks when a file in the hooks dir changes (`--hooksWatch`).
    pub watch: bool,
    /// Wall time one handler may run JS before it is interrupted.
    pub time_budget: Duration,
    /// Wall time one run of a `cronAdd` job may take: cron jobs do
    /// background work, so they are not cut at the request budget.
    pub cron_budget: Duration,
    /// Heap limit of each runtime in bytes.
    pub memory_limit: usize,
    /// A hook file that fails to load stops the start instead of being
    /// logged and skipped: PocketBase does so with `--hooksWatch=false`.
    pub strict: bool,
}

impl JsConfig {
    /// PocketBase's defaults for `hooks_dir`: 15 runtimes, watching on; a 5 s
    /// budget per handler, 10 min per cron run and 256 MiB per runtime.
    pub fn new(hooks_dir: impl Into<PathBuf>) -> Self {
        JsConfig {
            hooks_dir: hooks_dir.into(),
            pool_size: 15,
            watch: true,
            time_budget: Duration::from_secs(5),
            cron_budget: Duration::from_secs(600),
            memory_limit: 256 << 20,
            strict: false,
        }
    }
}

struct EngineInner {
    app: App,
    config: JsConfig,
    pool: ArcSwapOption<Pool>,
    generation: Mutex<u64>,
    watcher: Mutex<Option<watch::Watcher>>,
    /// Route requests whose JS side is alive (see [`JsEngine::live_requests`]).
    live_requests: Arc<std::sync::atomic::AtomicUsize>,
    /// The last source of each hook file that loaded without error: a
    /// file that breaks at a reload keeps it.
    good_sources: Mutex<HashMap<PathBuf, String>>,
    /// Why hook files failed at the last (re)load, `file:line:col: message`.
    load_errors: Mutex<Vec<String>>,
}

impl Drop for EngineInner {
    // the bound handlers keep their pools alive; dropping the engine takes
    // them out of the app so the runtime threads end
    fn drop(&mut self) {
        bridge::unbind_hooks(&self.app);
    }
}

/// Handle to the running JS engine (cheap to clone).
#[derive(Clone)]
pub struct JsEngine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for JsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsEngine").field("hooks_dir", &self.inner.config.hooks_dir).finish_non_exhaustive()
    }
}

impl JsEngine {
    /// Loads the hooks dir, binds the JS hooks into `app` and (with
    /// `config.watch`) starts watching for changes. A hook file that fails
    /// to load is logged with its file and line and the others serve, as in
    /// PocketBase; with `config.strict` it is an error instead.
    pub fn start(app: &App, config: JsConfig) -> Result<JsEngine, LoadError> {
        let engine = JsEngine {
            inner: Arc::new(EngineInner {
                app: app.without_tx(),
                config,
                pool: ArcSwapOption::empty(),
                generation: Mutex::new(0),
                watcher: Mutex::new(None),
                live_requests: Default::default(),
                good_sources: Mutex::default(),
                load_errors: Mutex::default(),
            }),
        };
        engine.reload()?;
        // PocketBase loads the hooks before it bootstraps the app
        app.trigger_bootstrap().map_err(|e| LoadError::Script(format!("onBootstrap failed: {e}")))?;
        if engine.inner.config.watch {
            match watch::Watcher::start(&engine) {
                Ok(w) => *engine.inner.watcher.lock() = Some(w),
                Err(e) => tracing::warn!("hooks dir watcher not started: {e}"),
            }
        }
        Ok(engine)
    }

    /// Re-reads the hook files, builds a new pool and swaps it in. A file
    /// that fails to evaluate is logged; if an earlier load had it working,
    /// that version of it stays active. Requests already running finish on
    /// the pool they started on.
    pub fn reload(&self) -> Result<(), LoadError> {
        let mut generation = self.inner.generation.lock();
        let mut scripts = scripts::Scripts::read(&self.inner.config.hooks_dir)?;
        let mut kept = Vec::new();
        let pool = loop {
            let pool = Pool::start(&self.inner.app, &self.inner.config, Arc::new(scripts.clone()), *generation + 1)?;
            if let Some(first) = pool.failures().first()
                && self.inner.config.strict
            {
                return Err(LoadError::Script(first.message.clone()));
            }
            // each broken file gets its last good version back (at most once,
            // so this ends); the others keep their new version
            let good = self.inner.good_sources.lock();
            let mut swapped = false;
            for failure in pool.failures() {
                if let Some(previous) = good.get(&failure.path)
                    && scripts.source_of(&failure.path) != Some(previous.as_str())
                {
                    scripts.replace(&failure.path, previous.clone());
                    kept.push(failure.message.clone());
                    swapped = true;
                }
            }
            if !swapped {
                break pool;
            }
        };
        for message in &kept {
            tracing::error!("failed to execute {message}; keeping the previous version of that file");
        }
        for failure in pool.failures() {
            tracing::error!("failed to execute {}", failure.message);
        }
        let mut good = self.inner.good_sources.lock();
        good.clear();
        for script in &pool.scripts().files {
            if !pool.failures().iter().any(|f| f.path == script.path) {
                good.insert(script.path.clone(), script.source.clone());
            }
        }
        drop(good);
        *self.inner.load_errors.lock() =
            kept.into_iter().chain(pool.failures().iter().map(|f| f.message.clone())).collect();
        pool.start_replicas();
        *generation += 1;
        bridge::bind_hooks(&self.inner.app, &pool);
        self.inner.pool.store(Some(pool));
        Ok(())
    }

    /// Why hook files failed at the last (re)load (`file:line:col:
    /// message`); empty when every file loaded.
    pub fn load_errors(&self) -> Vec<String> {
        self.inner.load_errors.lock().clone()
    }

    /// Runs the console command `name` (`$app.rootCmd.addCommand`) with
    /// `args`; `Ok(false)` when no hook file added it.
    pub fn run_command(&self, name: &str, args: Vec<String>) -> Result<bool, crate::core::Error> {
        let Some(pool) = self.pool() else {
            return Ok(false);
        };
        let Some(index) = pool.registry.commands.iter().position(|c| c == name) else {
            return Ok(false);
        };
        jobs::run_command(&pool, index, name, args)?;
        Ok(true)
    }

    /// The names of the console commands the hooks added.
    pub fn commands(&self) -> Vec<String> {
        self.pool().map(|p| p.registry.commands.clone()).unwrap_or_default()
    }

    /// The pool serving new requests.
    pub(crate) fn pool(&self) -> Option<Arc<Pool>> {
        self.inner.pool.load_full()
    }

    /// The engine's config.
    pub fn config(&self) -> &JsConfig {
        &self.inner.config
    }

    /// Route requests whose JS side is still alive. Reference counting frees
    /// a request as soon as it is answered; one held by a reference cycle
    /// would wait for the cycle collector, keeping its body and headers.
    pub fn live_requests(&self) -> usize {
        self.inner.live_requests.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn live_counter(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        self.inner.live_requests.clone()
    }

    /// How many times the hooks were (re)loaded successfully.
    pub fn generation(&self) -> u64 {
        *self.inner.generation.lock()
    }
}

/// The globals a hooks runtime defines beyond QuickJS's own (the internal
/// `__pb…`/`__Pb…`/`__native` are left out), sorted; the typings declare
/// the same.
pub fn defined_globals(app: &App) -> Result<Vec<String>, LoadError> {
    let baseline = {
        let rt = rquickjs::Runtime::new().map_err(|e| LoadError::Runtime(e.to_string()))?;
        let ctx = rquickjs::Context::full(&rt).map_err(|e| LoadError::Runtime(e.to_string()))?;
        ctx.with(|ctx| global_names(&ctx)).map_err(|e| LoadError::Runtime(e.to_string()))?
    };
    let config = JsConfig::new(std::env::temp_dir().join("ferrobase-no-hooks"));
    let worker = runtime::Worker::new(app, &config, &scripts::Scripts::default(), &jobs::PoolSlot::default(), false)?;
    let all = worker.run(|ctx, _| global_names(ctx)).map_err(|e| LoadError::Runtime(e.to_string()))?;
    let mut names: Vec<String> = all.into_iter().filter(|n| !is_internal(n) && !baseline.contains(n)).collect();
    names.sort();
    Ok(names)
}

/// The objects whose members [`runtime_members`] lists: a name, and the JS
/// expression giving an instance (or a prototype) of it.
pub const MEMBER_OBJECTS: [(&str, &str); 11] = [
    ("$app", "$app"),
    ("Record", "new Record($app.findCollectionByNameOrId('users'))"),
    ("Collection", "$app.findCollectionByNameOrId('users')"),
    ("TextField", "new TextField({name: 'x'})"),
    ("RelationField", "new RelationField({name: 'x'})"),
    ("SelectField", "new SelectField({name: 'x'})"),
    ("DateTime", "new DateTime()"),
    ("RequestEvent", "new __pb.RequestEvent({}, [], null)"),
    ("Request", "new __PbRequest({})"),
    (
        "RecordRequestEvent",
        "Object.assign(Object.create(__pb.RequestHookEvent.prototype), {app: $app, collection: null, record: null})",
    ),
    ("$template", "$template"),
];

/// The members (own and inherited properties, `Object.prototype`'s and
/// internal `__` ones aside) of each object of [`MEMBER_OBJECTS`] in a
/// runtime with no hook files: what the member comparison test checks
/// against the typings and PocketBase's API.
pub fn runtime_members(app: &App) -> Result<std::collections::BTreeMap<String, Vec<String>>, LoadError> {
    let config = JsConfig::new(std::env::temp_dir().join("ferrobase-no-hooks"));
    let worker = runtime::Worker::new(app, &config, &scripts::Scripts::default(), &jobs::PoolSlot::default(), false)?;
    let mut out = std::collections::BTreeMap::new();
    for (name, expr) in MEMBER_OBJECTS {
        let code = format!(
            "(() => {{ const names = new Set(); let p = ({expr}); \
             while (p && p !== Object.prototype && p !== Function.prototype) {{ \
               for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && !k.startsWith('__')) names.add(k); \
               p = Object.getPrototypeOf(p); }} \
             return Array.from(names).sort(); }})()"
        );
        let members: Vec<String> =
            worker.run(|ctx, _| ctx.eval(code.as_str())).map_err(|e| LoadError::Runtime(format!("{name}: {e}")))?;
        out.insert(name.to_string(), members);
    }
    Ok(out)
}

fn is_internal(name: &str) -> bool {
    name.starts_with("__pb") || name.starts_with("__Pb") || name == "__native"
}

fn global_names(ctx: &rquickjs::Ctx<'_>) -> rquickjs::Result<Vec<String>> {
    ctx.eval("Object.getOwnPropertyNames(globalThis)")
}
