//! A pool of runtime threads for one load of the hooks.
//!
//! Worker 0 loads first and reports what the files registered (or the load
//! error); the others then load the same sources. Jobs are closures sent
//! over one MPMC channel; a sender first claims an idle worker, and when
//! none is idle it lends a temporary runtime on a new thread for that one
//! job (PocketBase's goja pool does the same). So a handler that triggers
//! another hook while every worker is busy (or blocked in `e.next()`) never
//! waits on itself.
//!
//! Dropping the pool closes the channel: queued jobs still run, then the
//! threads exit and drop their runtimes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::JsConfig;
use super::error::LoadError;
use super::http::RouteTable;
use super::jobs::PoolSlot;
use super::registry::Registry;
use super::runtime::{THREAD_STACK, Worker};
use super::scripts::Scripts;
use crate::core::App;

/// Work for a runtime.
pub type Job = Box<dyn FnOnce(&Worker) + Send>;

/// At most this many temporary runtimes at once (each is a thread and a heap).
const MAX_LENT: usize = 64;

/// The runtimes of one load of the hook scripts.
pub struct Pool {
    jobs: async_channel::Sender<Job>,
    idle: Arc<AtomicUsize>,
    /// Temporary runtimes alive now (capped by [`MAX_LENT`]).
    lent: Arc<AtomicUsize>,
    app: App,
    config: JsConfig,
    scripts: Arc<Scripts>,
    slot: PoolSlot,
    /// What the files registered.
    pub registry: Registry,
    /// JS routes by method and path.
    pub routes: RouteTable,
    generation: u64,
}

impl Pool {
    /// Loads the scripts on worker 0 and starts the other workers.
    pub fn start(app: &App, config: &JsConfig, scripts: Arc<Scripts>, generation: u64) -> Result<Arc<Pool>, LoadError> {
        let (tx, rx) = async_channel::unbounded::<Job>();
        let idle = Arc::new(AtomicUsize::new(0));
        let slot = PoolSlot::default();
        let spawn = |i: usize, ready: Option<std::sync::mpsc::Sender<Result<Registry, LoadError>>>| {
            let (app, config, scripts, rx, idle, slot) =
                (app.clone(), config.clone(), scripts.clone(), rx.clone(), idle.clone(), slot.clone());
            std::thread::Builder::new().name(format!("js-{generation}-{i}")).stack_size(THREAD_STACK).spawn(move || {
                let worker = match Worker::new(&app, &config, &scripts, &slot, ready.is_some()) {
                    Ok(w) => w,
                    Err(e) => {
                        match ready {
                            Some(ready) => {
                                let _ = ready.send(Err(e));
                            }
                            None => tracing::error!("JS worker {i} failed to load: {e}"),
                        }
                        return;
                    }
                };
                if let Some(ready) = ready {
                    let _ = ready.send(worker.registry());
                }
                serve(worker, &rx, &idle, &app, &config, &scripts, &slot);
            })
        };
        // the loader goes first: a broken script then costs one runtime,
        // not the whole pool
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        spawn(0, Some(ready_tx)).map_err(|e| LoadError::Runtime(format!("cannot spawn a JS thread: {e}")))?;
        let registry = ready_rx.recv().map_err(|_| LoadError::Runtime("the JS loader thread died".into()))??;
        for i in 1..config.pool_size.max(1) {
            if let Err(e) = spawn(i, None) {
                tracing::error!("cannot spawn JS worker {i}: {e}");
            }
        }
        let routes = RouteTable::build(&registry.routes);
        let pool = Arc::new(Pool {
            jobs: tx,
            idle,
            lent: Arc::new(AtomicUsize::new(0)),
            app: app.clone(),
            config: config.clone(),
            scripts,
            slot: slot.clone(),
            registry,
            routes,
            generation,
        });
        let _ = slot.set(Arc::downgrade(&pool));
        Ok(pool)
    }

    /// Runs `job` on an idle worker, or on a lent runtime when none is idle.
    pub fn submit(&self, job: Job) {
        let claimed = self.idle.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok();
        if !claimed {
            return self.lend(job);
        }
        if let Err(e) = self.jobs.try_send(job) {
            self.idle.fetch_add(1, Ordering::AcqRel);
            self.lend(e.into_inner());
        }
    }

    /// Runs one job on a temporary runtime. If it cannot be built the job
    /// is dropped, which disconnects its caller (who reports the error).
    /// Past [`MAX_LENT`] temporary runtimes, jobs wait in the queue instead:
    /// a flood then costs latency, not a thread and a heap per request.
    fn lend(&self, job: Job) {
        if self.lent.fetch_add(1, Ordering::AcqRel) >= MAX_LENT {
            self.lent.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("all JS workers and {MAX_LENT} temporary runtimes are busy: queueing the job");
            if self.jobs.try_send(job).is_err() {
                tracing::error!("the JS job queue is closed; job dropped");
            }
            return;
        }
        let lent = self.lent.clone();
        let (app, config, scripts, slot) =
            (self.app.clone(), self.config.clone(), self.scripts.clone(), self.slot.clone());
        tracing::debug!("all JS workers busy: lending a temporary runtime");
        let spawned = std::thread::Builder::new()
            .name(format!("js-{}-lent", self.generation))
            .stack_size(THREAD_STACK)
            .spawn(move || {
                match Worker::new(&app, &config, &scripts, &slot, false) {
                    Ok(worker) => {
                        run_job(&worker, job);
                    }
                    Err(e) => tracing::error!("cannot build a temporary JS runtime: {e}"),
                }
                lent.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(e) = spawned {
            self.lent.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("cannot spawn a temporary JS runtime: {e}");
        }
    }
}

/// Runs a job; `false` when it panicked (the runtime is then rebuilt).
fn run_job(worker: &Worker, job: Job) -> bool {
    match catch_unwind(AssertUnwindSafe(|| job(worker))) {
        Ok(()) => true,
        Err(_) => {
            tracing::error!("a JS job panicked; rebuilding its runtime");
            false
        }
    }
}

fn serve(
    mut worker: Worker,
    rx: &async_channel::Receiver<Job>,
    idle: &AtomicUsize,
    app: &App,
    config: &JsConfig,
    scripts: &Scripts,
    slot: &PoolSlot,
) {
    idle.fetch_add(1, Ordering::AcqRel);
    while let Ok(job) = rx.recv_blocking() {
        // a panic, or a runtime that ran out of memory (whose globals may
        // still hold it), gets a fresh runtime
        if !run_job(&worker, job) || worker.needs_reset() {
            match Worker::new(app, config, scripts, slot, false) {
                Ok(w) => worker = w,
                Err(e) => {
                    tracing::error!("cannot rebuild a JS runtime: {e}");
                    return;
                }
            }
        }
        idle.fetch_add(1, Ordering::AcqRel);
    }
}
