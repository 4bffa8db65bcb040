//! Work a pool runs outside requests and hooks: cron jobs (`cronAdd`) and
//! console commands (`$app.rootCmd.addCommand`). Load-time cron jobs are
//! bound into the app's scheduler by index, owned by the JS engine and
//! replaced on every reload; jobs added while handling a request run their
//! handler's source text on the pool (PocketBase re-materialises handlers
//! the same way).

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use rquickjs::{Ctx, Function, Object, Value};

use super::pool::Pool;
use super::runtime::Worker;
use crate::core::{App, Error};

/// Owner of the JS engine's cron jobs.
const JS_OWNER: &str = "js";

/// Time budget of a console command (PocketBase has none).
const COMMAND_BUDGET: Duration = Duration::from_secs(3600);

/// The pool a runtime belongs to, set once the pool exists (runtimes are
/// built before it).
pub type PoolSlot = Arc<OnceLock<Weak<Pool>>>;

/// What to run.
enum Target {
    Cron(usize),
    Source(String),
    Command(usize, Vec<String>),
}

fn call<'js>(ctx: &Ctx<'js>, target: &Target) -> rquickjs::Result<()> {
    let pb: Object = ctx.globals().get("__pb")?;
    let ret: Value = match target {
        Target::Cron(i) => pb.get::<_, Function>("runCron")?.call((*i,))?,
        Target::Source(src) => pb.get::<_, Function>("runSource")?.call((src.as_str(),))?,
        Target::Command(i, args) => pb.get::<_, Function>("runCommand")?.call((*i, args.clone()))?,
    };
    super::event_loop::await_value(ctx, ret)?;
    Ok(())
}

/// Runs `target` on a worker of `pool` and waits for it.
fn run_on_pool(pool: &Pool, target: Target, label: String, budget: Option<Duration>) -> Result<(), Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    pool.submit(Box::new(move |w: &Worker| {
        let res = w.run_with(budget, |ctx, w| call(ctx, &target).map_err(|e| w.error_of(ctx, e, &label)));
        let _ = tx.send(res);
    }));
    rx.recv().unwrap_or_else(|_| Err(Error::Internal("the JS worker stopped without an answer".into())))
}

fn cron_job(
    pool: impl Fn() -> Option<Arc<Pool>> + Send + Sync + 'static,
    id: String,
    target: impl Fn() -> Target + Send + Sync + 'static,
) -> crate::core::cron::JobFn {
    Arc::new(move || {
        let Some(pool) = pool() else {
            return;
        };
        let budget = pool.config().cron_budget;
        if let Err(e) = run_on_pool(&pool, target(), format!("cron job {id}"), Some(budget)) {
            tracing::error!("cron job {id} failed: {e}");
        }
    })
}

/// Replaces the engine's cron jobs in `app` with the ones `pool` registered
/// at load time (none when the engine stops).
pub fn bind_crons(app: &App, pool: Option<&Arc<Pool>>) {
    let cron = app.cron();
    cron.remove_owner(JS_OWNER);
    let Some(pool) = pool else {
        return;
    };
    for (i, def) in pool.registry.crons.iter().enumerate() {
        let Some(def) = def else {
            continue;
        };
        // the job keeps its pool, like bound hooks do, until the next reload
        let p = pool.clone();
        let job = cron_job(move || Some(p.clone()), def.id.clone(), move || Target::Cron(i));
        if let Err(e) = cron.add(&def.id, &def.expr, JS_OWNER, job) {
            tracing::error!("cronAdd({}): {e}", def.id);
        }
    }
}

/// `cronAdd` called from a running handler: the job runs `source` on the
/// runtime's pool.
pub fn add_live_cron(app: &App, slot: &PoolSlot, id: &str, expr: &str, source: String) -> Result<(), Error> {
    let weak = slot.get().cloned().unwrap_or_default();
    let job = cron_job(move || weak.upgrade(), id.to_string(), move || Target::Source(source.clone()));
    app.cron().add(id, expr, JS_OWNER, job)
}

/// Runs console command `index` with `args` and waits for it.
pub fn run_command(pool: &Pool, index: usize, name: &str, args: Vec<String>) -> Result<(), Error> {
    run_on_pool(pool, Target::Command(index, args), format!("command {name}"), Some(COMMAND_BUDGET))
}
