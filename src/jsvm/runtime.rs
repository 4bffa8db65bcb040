//! One QuickJS runtime with the bindings installed and every hook file
//! evaluated (sloppy mode, real file names). Lives on one thread for its
//! whole life. Handler calls run under the time budget: the interrupt
//! handler stops JS once it has passed, and the error says so.

use std::cell::Cell;
use std::time::Duration;

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Runtime};

use super::JsConfig;
use super::bindings::{self, Budget};
use super::error::{self, LoadError};
use super::event_loop;
use super::jobs::PoolSlot;
use super::registry::Registry;
use super::scripts::{ScriptFailure, Scripts};
use crate::core::{App, Error};

/// QuickJS stack limit of a runtime; worker threads get a larger native stack.
const JS_STACK_LIMIT: usize = 1 << 20;

/// Native stack of the threads running runtimes (QuickJS and nested core
/// calls both recurse on it).
pub const THREAD_STACK: usize = 16 << 20;

/// Heap growth between cycle collections of a runtime.
const GC_THRESHOLD: usize = 8 << 20;

/// A loaded runtime.
pub struct Worker {
    // field order: the context goes before the runtime it lives in
    ctx: Context,
    rt: Runtime,
    budget: Budget,
    time_budget: Duration,
    /// Set when the runtime hit its memory limit: the pool replaces it.
    exhausted: Cell<bool>,
    /// The hook files that failed to evaluate in this runtime.
    failures: Vec<ScriptFailure>,
}

impl Worker {
    /// Builds a runtime and evaluates the hook files in order. Only the
    /// loader's top-level code logs; replicas evaluate quietly.
    pub fn new(
        app: &App,
        config: &JsConfig,
        scripts: &Scripts,
        slot: &PoolSlot,
        loader: bool,
    ) -> Result<Worker, LoadError> {
        let rt = Runtime::new().map_err(|e| LoadError::Runtime(e.to_string()))?;
        rt.set_memory_limit(config.memory_limit);
        rt.set_max_stack_size(JS_STACK_LIMIT);
        // reference counting frees most garbage at once; the cycle collector
        // walks the whole heap (scripts and bindings included), so run it
        // after every few MiB of growth rather than QuickJS's default 256 KiB
        rt.set_gc_threshold(GC_THRESHOLD.min(config.memory_limit / 4));
        let budget = Budget::default();
        let watch = budget.clone();
        rt.set_interrupt_handler(Some(Box::new(move || watch.exceeded())));
        let ctx = Context::full(&rt).map_err(|e| LoadError::Runtime(e.to_string()))?;
        let mut worker = Worker {
            ctx,
            rt,
            budget,
            time_budget: config.time_budget,
            exhausted: Cell::new(false),
            failures: Vec::new(),
        };
        let failures = worker.ctx.with(|ctx| -> Result<Vec<ScriptFailure>, LoadError> {
            bindings::install(&ctx, app, scripts.dir.clone(), worker.budget.clone(), slot.clone())
                .and_then(|()| event_loop::install(&ctx))
                .map_err(|e| match e {
                    rquickjs::Error::Exception => LoadError::Runtime(error::load_message(&ctx, "js_api")),
                    other => LoadError::Runtime(other.to_string()),
                })?;
            let quiet = |on: bool| {
                if let Ok(s) = bindings::state(&ctx) {
                    s.quiet.set(on);
                }
            };
            quiet(!loader);
            let mut failures = load_scripts(&ctx, &worker, scripts);
            if let Some(failure) = run_serve_hooks(&ctx, &worker, scripts) {
                failures.push(failure);
            }
            quiet(false);
            // from now on cronAdd registers live jobs
            ctx.eval::<(), _>("__pb.loading = false;").map_err(|e| LoadError::Runtime(e.to_string()))?;
            Ok(failures)
        })?;
        worker.failures = failures;
        Ok(worker)
    }

    /// The hook files that failed to evaluate (the others are loaded).
    pub fn failures(&self) -> &[ScriptFailure] {
        &self.failures
    }

    /// What the loaded files registered.
    pub fn registry(&self) -> Result<Registry, LoadError> {
        self.ctx
            .with(|ctx| Registry::read(&ctx))
            .map_err(|e| LoadError::Runtime(format!("reading the registrations: {e}")))
    }

    /// Runs one top-level handler call under the time budget. `f` gets the
    /// context; errors it maps with [`Worker::error_of`] report timeouts.
    pub fn run<R>(&self, f: impl for<'js> FnOnce(&Ctx<'js>, &Worker) -> R) -> R {
        self.run_with(None, f)
    }

    /// [`Worker::run`] with another time budget than the configured one.
    pub fn run_with<R>(&self, budget: Option<Duration>, f: impl for<'js> FnOnce(&Ctx<'js>, &Worker) -> R) -> R {
        self.budget.start(budget.unwrap_or(self.time_budget));
        let out = self.ctx.with(|ctx| {
            let out = f(&ctx, self);
            // promise jobs the call left (still under the budget: a
            // runaway one is interrupted), then drop its timers and fetches
            while ctx.execute_pending_job() {}
            self.budget.clear();
            event_loop::reset(&ctx);
            if let Ok(state) = bindings::state(&ctx) {
                state.clear_errors();
            }
            out
        });
        self.budget.clear();
        out
    }

    /// The core error for a failed JS call: a timeout, an out-of-memory, or
    /// whatever JS threw. `label` names the handler in logs.
    pub fn error_of<'js>(&self, ctx: &Ctx<'js>, err: rquickjs::Error, label: &str) -> Error {
        match err {
            rquickjs::Error::Exception => {
                let v = ctx.catch();
                self.error_of_thrown(ctx, &v, label)
            }
            rquickjs::Error::Allocation => self.out_of_memory(label),
            other => {
                tracing::error!("JS handler {label} failed: {other}");
                Error::Internal(format!("JS handler {label} failed: {other}"))
            }
        }
    }

    /// [`Worker::error_of`] for a value already caught.
    pub fn error_of_thrown<'js>(&self, ctx: &Ctx<'js>, v: &rquickjs::Value<'js>, label: &str) -> Error {
        if self.budget.exceeded() {
            tracing::error!(
                "JS handler {label} was interrupted: it ran longer than the {:?} time budget",
                self.time_budget
            );
            return Error::Internal(format!("JS handler {label} exceeded its {:?} time budget", self.time_budget));
        }
        let desc = error::describe(v);
        if desc.contains("out of memory") {
            return self.out_of_memory(label);
        }
        error::from_thrown(ctx, v)
    }

    /// Whether the runtime hit its memory limit and should be replaced.
    pub fn needs_reset(&self) -> bool {
        self.exhausted.get()
    }

    fn out_of_memory(&self, label: &str) -> Error {
        tracing::error!("JS handler {label} ran out of memory; its runtime is replaced");
        self.exhausted.set(true);
        self.rt.run_gc();
        Error::Internal(format!("JS handler {label} ran out of memory"))
    }
}

/// Evaluates the hook files in order under the time budget. Like
/// PocketBase, a file that fails stops where it failed (what it registered
/// before stays) and the next files still load; the failures are returned.
fn load_scripts(ctx: &Ctx<'_>, worker: &Worker, scripts: &Scripts) -> Vec<ScriptFailure> {
    let mut failures = Vec::new();
    for script in &scripts.files {
        let file = script.path.to_string_lossy().into_owned();
        let mut opts = EvalOptions::default();
        opts.strict = false;
        opts.filename = Some(file.clone());
        worker.budget.start(worker.time_budget);
        let res = ctx.eval_with_options::<(), _>(script.source.as_str(), opts);
        let timed_out = worker.budget.exceeded();
        worker.budget.clear();
        let message = match res {
            Ok(()) => continue,
            Err(rquickjs::Error::Exception) if timed_out => {
                let _ = ctx.catch();
                format!("{file}: interrupted after {:?} (endless loop at load time?)", worker.time_budget)
            }
            Err(rquickjs::Error::Exception) => with_upgrade_hint(error::load_message(ctx, &file)),
            Err(other) => format!("{file}: {other}"),
        };
        failures.push(ScriptFailure { path: script.path.clone(), message });
    }
    failures
}

/// Runs the `$app.onServe()` handlers the files bound (they add routes and
/// middlewares through `e.router`), under the time budget.
fn run_serve_hooks(ctx: &Ctx<'_>, worker: &Worker, scripts: &Scripts) -> Option<ScriptFailure> {
    worker.budget.start(worker.time_budget);
    let res = ctx.eval::<(), _>("__pb.runServeHooks()");
    worker.budget.clear();
    match res {
        Ok(()) => None,
        Err(rquickjs::Error::Exception) => Some(ScriptFailure {
            path: scripts.dir.join("onServe"),
            message: error::load_message(ctx, "onServe handler"),
        }),
        Err(other) => {
            Some(ScriptFailure { path: scripts.dir.join("onServe"), message: format!("onServe handler: {other}") })
        }
    }
}

/// A hook name of PocketBase before 0.23 (`onRecordBeforeCreateRequest`)
/// is undefined now: the message says which name replaced it.
fn with_upgrade_hint(message: String) -> String {
    let Some(name) = message.split("ReferenceError: ").nth(1).and_then(|m| m.strip_suffix(" is not defined")) else {
        return message;
    };
    let renamed = ["Before", "After"].iter().find_map(|w| {
        let (head, tail) = name.split_once(w)?;
        (head.starts_with("on") && !tail.is_empty()).then(|| format!("{head}{tail}"))
    });
    match renamed {
        Some(new) => format!(
            "{message} (a hook of PocketBase before 0.23: its 0.23+ name is {new}, with e.next() in the handler)"
        ),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_023_hook_names_get_a_hint() {
        let m = with_upgrade_hint("/h/a.pb.js:1:1: ReferenceError: onRecordBeforeCreateRequest is not defined".into());
        assert!(m.ends_with("its 0.23+ name is onRecordCreateRequest, with e.next() in the handler)"), "{m}");
        let other = "/h/a.pb.js:1:1: ReferenceError: foo is not defined";
        assert_eq!(with_upgrade_hint(other.into()), other);
    }
}
