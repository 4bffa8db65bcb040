//! The JS side of `pb_migrations`: one QuickJS runtime with the hooks'
//! bindings plus `migrate()`, every migration file evaluated in name order
//! (like PocketBase, which loads them all on start), and calls of one
//! migration's up or down function with a transaction-bound app.
//!
//! The runtime lives on the thread that built it; there is no time budget
//! (PocketBase has none for migrations either).

use std::collections::HashSet;
use std::path::PathBuf;

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Function, Object, Runtime, Value};

use super::bindings::{self, Budget, app::JsApp};
use super::error;
use crate::core::{App, Error};
use serde_json::Value as Json;

/// QuickJS stack limit of the migrations runtime.
const JS_STACK_LIMIT: usize = 1 << 20;

/// Native stack for the thread running migrations (QuickJS and nested core
/// calls both recurse on it).
pub use super::runtime::THREAD_STACK;

/// One migration file.
#[derive(Debug, Clone)]
pub struct MigrationScript {
    /// The base file name, as recorded in `_migrations`.
    pub name: String,
    /// Its path (the file name in stack traces).
    pub path: PathBuf,
    pub source: String,
}

/// A migration file that failed to load or run: the file and what JS said.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub file: String,
    pub message: String,
}

/// Which function of a migration to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A runtime with the migration files loaded.
pub struct MigrationsRuntime {
    // field order: the context goes before the runtime it lives in
    ctx: Context,
    _rt: Runtime,
    registered: HashSet<String>,
}

impl MigrationsRuntime {
    /// Builds the runtime and evaluates `scripts` in order. `hooks_dir` is
    /// `__hooks` and the base of `require()`.
    pub fn load(app: &App, hooks_dir: PathBuf, scripts: &[MigrationScript]) -> Result<Self, ScriptError> {
        let setup = |message: String| ScriptError { file: "(runtime)".into(), message };
        let rt = Runtime::new().map_err(|e| setup(e.to_string()))?;
        rt.set_max_stack_size(JS_STACK_LIMIT);
        let ctx = Context::full(&rt).map_err(|e| setup(e.to_string()))?;
        let registered = ctx.with(|ctx| -> Result<HashSet<String>, ScriptError> {
            bindings::install(&ctx, &app.without_tx(), hooks_dir, Budget::default(), Default::default())
                .and_then(|()| eval(&ctx, "ferrobase:js_api/migrate.js", include_str!("../../js_api/migrate.js")))
                .map_err(|e| setup(caught(&ctx, e)))?;
            for script in scripts {
                let fail = |e| ScriptError { file: script.name.clone(), message: caught(&ctx, e) };
                let pb: Object = ctx.globals().get("__pb").map_err(fail)?;
                pb.set("migrationFile", script.name.as_str()).map_err(fail)?;
                eval(&ctx, &script.path.to_string_lossy(), &script.source).map_err(fail)?;
                pb.set("migrationFile", "").map_err(fail)?;
            }
            let pb: Object = ctx.globals().get("__pb").map_err(|e| setup(caught(&ctx, e)))?;
            let list: Function = pb.get("registeredMigrations").map_err(|e| setup(caught(&ctx, e)))?;
            let names: Vec<String> = list.call(()).map_err(|e| setup(caught(&ctx, e)))?;
            Ok(names.into_iter().collect())
        })?;
        Ok(MigrationsRuntime { ctx, _rt: rt, registered })
    }

    /// Whether the file called `migrate()` (files that do not are not migrations).
    pub fn is_registered(&self, file: &str) -> bool {
        self.registered.contains(file)
    }

    /// Runs the up or down function of `file` with `app` (the migration's
    /// transaction). A missing down function does nothing. The error is
    /// what was thrown, with where.
    pub fn run(&self, app: &App, file: &str, direction: Direction) -> Result<(), String> {
        self.ctx.with(|ctx| {
            let call = || -> rquickjs::Result<()> {
                let pb: Object = ctx.globals().get("__pb")?;
                let run: Function = pb.get("runMigration")?;
                let js_app = JsApp::instance(&ctx, app)?;
                let dir = if direction == Direction::Up { "up" } else { "down" };
                run.call::<_, ()>((file, dir, js_app))
            };
            let res = call().map_err(|e| caught(&ctx, e));
            while ctx.execute_pending_job() {}
            if let Ok(s) = bindings::state(&ctx) {
                s.clear_errors();
            }
            res
        })
    }
}

fn eval<'js>(ctx: &Ctx<'js>, file: &str, source: &str) -> rquickjs::Result<()> {
    let mut opts = EvalOptions::default();
    opts.strict = false;
    opts.filename = Some(file.to_string());
    ctx.eval_with_options::<(), _>(source, opts)
}

/// The message of a failed JS call: what was thrown, with its location.
fn caught<'js>(ctx: &Ctx<'js>, err: rquickjs::Error) -> String {
    match err {
        rquickjs::Error::Exception => describe_thrown(ctx, &ctx.catch()),
        other => other.to_string(),
    }
}

/// `Error: message (at file:line:col)`. A core error thrown by a host call
/// shows its own text when JS only saw the generic message.
fn describe_thrown<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> String {
    let Some(obj) = v.as_object() else {
        return error::describe(v);
    };
    let name: String = obj.get::<_, Option<String>>("name").ok().flatten().unwrap_or_default();
    let mut message: String = obj.get::<_, Option<String>>("message").ok().flatten().unwrap_or_default();
    if let Ok(Some(id)) = obj.get::<_, Option<u32>>("__pbErrorId")
        && let Some(core) = bindings::state(ctx).ok().and_then(|s| s.take_error(id))
    {
        match core {
            Error::Validation { errors, .. } => message = format!("{message} {}", Json::Object(errors)),
            other if message == error::GENERIC_MESSAGE => message = other.to_string(),
            _ => {}
        }
    }
    let stack: Option<String> = obj.get::<_, Option<String>>("stack").ok().flatten();
    let mut out = if message.is_empty() && name.is_empty() {
        error::describe(v).lines().next().unwrap_or_default().to_string()
    } else if name.is_empty() {
        message
    } else {
        format!("{name}: {message}")
    };
    if let Some(loc) = stack.as_deref().and_then(script_location) {
        out.push_str(&format!(" (at {loc})"));
    }
    out
}

/// The first `file:line:col` of a stack trace that is in a script, not in
/// Ferrobase's own JS API.
fn script_location(stack: &str) -> Option<String> {
    stack.lines().filter(|l| !l.contains("ferrobase:")).find_map(error::first_location)
}
