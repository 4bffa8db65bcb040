//! A pool of runtime threads for one load of the hooks.
//!
//! Worker 0 loads first and reports what the files registered (or the load
//! error); the others then load the same sources. Jobs are closures put in
//! a queue the workers take from. When every worker is busy:
//! - a *top-level* job (a request, a cron run) waits in the queue: under
//!   load that costs latency, never a runtime per request;
//! - a *nested* job (submitted from a JS thread, from inside a hook chain
//!   whose worker waits in `e.next()`, by a thread holding the database
//!   writer, or while a route waits for its built-in handler) gets a
//!   temporary runtime on a new thread, like PocketBase's goja pool lends
//!   one. Those jobs may be what a busy worker waits for, so they never
//!   wait behind it.
//!
//! Dropping the pool closes the queue: queued jobs still run, then the
//! threads exit and drop their runtimes.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Condvar, Mutex};

use super::JsConfig;
use super::error::LoadError;
use super::http::RouteTable;
use super::jobs::PoolSlot;
use super::registry::Registry;
use super::runtime::{THREAD_STACK, Worker};
use super::scripts::{ScriptFailure, Scripts};
use crate::core::App;

/// Work for a runtime.
pub type Job = Box<dyn FnOnce(&Worker) + Send>;

/// At most this many temporary runtimes at once (each is a thread and a heap).
const MAX_LENT: usize = 64;

thread_local! {
    /// Whether this thread runs JS (a worker or a temporary runtime).
    static JS_THREAD: Cell<bool> = const { Cell::new(false) };
    /// How many hook chains this thread is inside (running `e.next()` for a
    /// JS handler whose worker waits for it).
    static CHAIN_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Workers waiting for the built-in route behind a JS route's `e.next()`.
static HTTP_PARKED: AtomicUsize = AtomicUsize::new(0);

/// Marks the current thread as inside a hook chain while alive.
pub struct ChainGuard(());

impl ChainGuard {
    pub fn enter() -> Self {
        CHAIN_DEPTH.with(|d| d.set(d.get() + 1));
        ChainGuard(())
    }
}

impl Drop for ChainGuard {
    fn drop(&mut self) {
        CHAIN_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Counts a worker waiting for a route's built-in handler while alive.
pub struct HttpParkGuard(());

impl HttpParkGuard {
    pub fn enter() -> Self {
        HTTP_PARKED.fetch_add(1, Ordering::AcqRel);
        HttpParkGuard(())
    }
}

impl Drop for HttpParkGuard {
    fn drop(&mut self) {
        HTTP_PARKED.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The shared job queue: jobs that may not wait go first.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    urgent: VecDeque<Job>,
    normal: VecDeque<Job>,
    /// Workers waiting for a job.
    idle: usize,
    closed: bool,
}

impl QueueState {
    /// Waiting workers not yet spoken for by queued jobs.
    fn free(&self) -> usize {
        self.idle.saturating_sub(self.urgent.len() + self.normal.len())
    }
}

impl Queue {
    /// The next job for a worker, waiting for one; `None` once closed and drained.
    fn take(&self) -> Option<Job> {
        let mut s = self.state.lock();
        loop {
            if let Some(job) = s.urgent.pop_front().or_else(|| s.normal.pop_front()) {
                return Some(job);
            }
            if s.closed {
                return None;
            }
            s.idle += 1;
            self.ready.wait(&mut s);
            s.idle -= 1;
        }
    }

    fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_all();
    }
}

/// The runtimes of one load of the hook scripts.
pub struct Pool {
    queue: Arc<Queue>,
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
    /// Hook files that failed to evaluate (the others serve).
    failures: Vec<ScriptFailure>,
    generation: u64,
}

/// What the loader reports: the registrations, or why nothing loaded.
type LoadReport = Result<(Registry, Vec<ScriptFailure>), LoadError>;

/// Starts one worker thread; the loader (`ready` set) reports what the
/// files registered, the others serve at once.
#[allow(clippy::too_many_arguments)]
fn spawn_worker(
    i: usize,
    ready: Option<std::sync::mpsc::Sender<LoadReport>>,
    app: &App,
    config: &JsConfig,
    scripts: &Arc<Scripts>,
    queue: &Arc<Queue>,
    slot: &PoolSlot,
    generation: u64,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (app, config, scripts, queue, slot) =
        (app.clone(), config.clone(), scripts.clone(), queue.clone(), slot.clone());
    std::thread::Builder::new().name(format!("js-{generation}-{i}")).stack_size(THREAD_STACK).spawn(move || {
        JS_THREAD.with(|j| j.set(true));
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
            let report = worker.registry().map(|r| (r, worker.failures().to_vec()));
            let _ = ready.send(report);
        }
        serve(worker, &queue, &app, &config, &scripts, &slot);
    })
}

impl Pool {
    /// The engine config this pool was started with.
    pub fn config(&self) -> &JsConfig {
        &self.config
    }

    /// Loads the scripts on worker 0 (the loader). The other workers start
    /// with [`Pool::start_replicas`] once the caller accepts this load (its
    /// [`Pool::failures`]); a pool dropped before that costs one runtime.
    pub fn start(app: &App, config: &JsConfig, scripts: Arc<Scripts>, generation: u64) -> Result<Arc<Pool>, LoadError> {
        let queue = Arc::new(Queue::default());
        let slot = PoolSlot::default();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        spawn_worker(0, Some(ready_tx), app, config, &scripts, &queue, &slot, generation)
            .map_err(|e| LoadError::Runtime(format!("cannot spawn a JS thread: {e}")))?;
        let (registry, failures) =
            ready_rx.recv().map_err(|_| LoadError::Runtime("the JS loader thread died".into()))??;
        let routes = RouteTable::build(&registry.routes);
        let pool = Arc::new(Pool {
            queue,
            lent: Arc::new(AtomicUsize::new(0)),
            app: app.clone(),
            config: config.clone(),
            scripts,
            slot: slot.clone(),
            registry,
            routes,
            failures,
            generation,
        });
        let _ = slot.set(Arc::downgrade(&pool));
        Ok(pool)
    }

    /// Starts the workers beside the loader (up to `--hooksPool`).
    pub fn start_replicas(&self) {
        for i in 1..self.config.pool_size.max(1) {
            if let Err(e) =
                spawn_worker(i, None, &self.app, &self.config, &self.scripts, &self.queue, &self.slot, self.generation)
            {
                tracing::error!("cannot spawn JS worker {i}: {e}");
            }
        }
    }

    /// The hook files that failed to evaluate in this load.
    pub fn failures(&self) -> &[ScriptFailure] {
        &self.failures
    }

    /// The scripts this pool evaluates.
    pub fn scripts(&self) -> &Scripts {
        &self.scripts
    }

    /// Runs `job` on a free worker; when none is free, queues it, or lends
    /// a temporary runtime for a nested job (see the module doc).
    pub fn submit(&self, job: Job) {
        let nested = self.must_not_wait();
        let mut s = self.queue.state.lock();
        if s.free() == 0 && nested {
            drop(s);
            return self.lend(job);
        }
        if nested {
            s.urgent.push_back(job);
        } else {
            s.normal.push_back(job);
        }
        drop(s);
        self.queue.ready.notify_one();
    }

    /// Whether a job submitted from here may be what a busy worker waits for.
    fn must_not_wait(&self) -> bool {
        JS_THREAD.with(Cell::get)
            || CHAIN_DEPTH.with(Cell::get) > 0
            || HTTP_PARKED.load(Ordering::Acquire) > 0
            || self.app.holds_writer()
    }

    /// Runs one job on a temporary runtime. If it cannot be built the job
    /// is dropped, which disconnects its caller (who reports the error).
    /// Past [`MAX_LENT`] temporary runtimes, jobs wait in the queue instead:
    /// a flood then costs latency, not a thread and a heap per request.
    fn lend(&self, job: Job) {
        if self.lent.fetch_add(1, Ordering::AcqRel) >= MAX_LENT {
            self.lent.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("all JS workers and {MAX_LENT} temporary runtimes are busy: queueing the job");
            self.queue.state.lock().urgent.push_back(job);
            self.queue.ready.notify_one();
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
                JS_THREAD.with(|j| j.set(true));
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

fn serve(mut worker: Worker, queue: &Queue, app: &App, config: &JsConfig, scripts: &Scripts, slot: &PoolSlot) {
    while let Some(job) = queue.take() {
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
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.queue.close();
    }
}
