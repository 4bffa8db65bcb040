//! The JS API of the hooks: Rust classes and functions installed into each
//! runtime (`$app`, `Record`, `$security`, `require`, …) plus the JS side in
//! `js_api/*.js` (registration globals, error classes, the request event,
//! `Collection`, `$apis`). Adding a binding: a Rust file here with an
//! `install` function, or JS in `js_api/`, wired in [`install`].

pub mod app;
pub mod app_extras;
pub mod collection;
pub mod convert;
pub mod cron;
pub mod db;
pub mod field_table;
pub mod files;
pub mod globals;
pub mod http_client;
pub mod logger;
pub mod mail;
pub mod os;
pub mod realtime;
pub mod record;
pub mod security;
pub mod store;
pub mod time;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::prelude::Func;
use rquickjs::runtime::UserDataGuard;
use rquickjs::{Class, Ctx, JsLifetime, Object};

use super::jobs::PoolSlot;
use super::require;
use crate::core::{App, Error};

/// JS sources of the API (the top-level `js_api/` folder), evaluated in
/// this order before the hook files.
const JS_API: [(&str, &str); 15] = [
    ("js_api/prelude.js", include_str!("../../../js_api/prelude.js")),
    ("js_api/errors.js", include_str!("../../../js_api/errors.js")),
    ("js_api/collection.js", include_str!("../../../js_api/collection.js")),
    ("js_api/fields.js", include_str!("../../../js_api/fields.js")),
    ("js_api/datetime.js", include_str!("../../../js_api/datetime.js")),
    ("js_api/models.js", include_str!("../../../js_api/models.js")),
    ("js_api/app_extras.js", include_str!("../../../js_api/app_extras.js")),
    ("js_api/app_members.js", include_str!("../../../js_api/app_members.js")),
    ("js_api/hooks.js", include_str!("../../../js_api/hooks.js")),
    ("js_api/router.js", include_str!("../../../js_api/router.js")),
    ("js_api/apis.js", include_str!("../../../js_api/apis.js")),
    ("js_api/dbx.js", include_str!("../../../js_api/dbx.js")),
    ("js_api/cron.js", include_str!("../../../js_api/cron.js")),
    ("js_api/os.js", include_str!("../../../js_api/os.js")),
    ("js_api/template.js", include_str!("../../../js_api/template.js")),
];

/// How many host errors a runtime remembers for one handler call.
const MAX_KEPT_ERRORS: usize = 64;

/// Per-runtime state the bindings reach through the context.
#[derive(JsLifetime)]
pub struct JsState {
    /// The app outside any transaction (the global `$app`).
    pub app: App,
    /// Absolute hooks dir (`__hooks`, base of `require`).
    pub hooks_dir: PathBuf,
    /// The running handler's time budget.
    pub budget: Budget,
    /// The pool this runtime serves (for jobs added while a handler runs).
    pub pool: PoolSlot,
    /// Set while a replica runtime evaluates the hook files: the loader
    /// already logged whatever their top-level code logs.
    pub quiet: Cell<bool>,
    errors: RefCell<Vec<(u32, Error)>>,
    next_error_id: Cell<u32>,
}

impl JsState {
    /// Remembers a core error thrown into JS; returns its id.
    pub fn keep_error(&self, err: Error) -> u32 {
        let id = self.next_error_id.get().wrapping_add(1);
        self.next_error_id.set(id);
        let mut errors = self.errors.borrow_mut();
        if errors.len() >= MAX_KEPT_ERRORS {
            errors.remove(0);
        }
        errors.push((id, err));
        id
    }

    /// Takes back a remembered error.
    pub fn take_error(&self, id: u32) -> Option<Error> {
        let mut errors = self.errors.borrow_mut();
        let pos = errors.iter().position(|(i, _)| *i == id)?;
        Some(errors.remove(pos).1)
    }

    /// Forgets the errors of the finished call.
    pub fn clear_errors(&self) {
        self.errors.borrow_mut().clear();
    }
}

/// The time budget of the running handler. The runtime's interrupt handler
/// stops JS once the deadline has passed.
#[derive(Clone, Default)]
pub struct Budget {
    deadline: Rc<Cell<Option<Instant>>>,
}

impl Budget {
    /// Starts the clock.
    pub fn start(&self, budget: Duration) {
        self.deadline.set(Some(Instant::now() + budget));
    }

    /// Stops the clock.
    pub fn clear(&self) {
        self.deadline.set(None);
    }

    /// Time left before the deadline (`None` when no clock runs).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.get().map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    pub fn exceeded(&self) -> bool {
        self.deadline.get().is_some_and(|d| Instant::now() >= d)
    }

    /// Runs `f` with the clock stopped: time spent waiting for the rest of
    /// a chain or for other handlers is not this handler's.
    pub fn paused<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(deadline) = self.deadline.take() else {
            return f();
        };
        let started = Instant::now();
        let out = f();
        self.deadline.set(Some(deadline + started.elapsed()));
        out
    }
}

/// The runtime's [`JsState`].
pub fn state<'a, 'js>(ctx: &'a Ctx<'js>) -> rquickjs::Result<UserDataGuard<'a, JsState>> {
    ctx.userdata::<JsState>().ok_or_else(|| rquickjs::Error::new_from_js_message("context", "JsState", "missing"))
}

/// Installs every binding into a fresh context.
pub fn install<'js>(
    ctx: &Ctx<'js>,
    app: &App,
    hooks_dir: PathBuf,
    budget: Budget,
    pool: PoolSlot,
) -> rquickjs::Result<()> {
    let stored = ctx.store_userdata(JsState {
        app: app.clone(),
        hooks_dir: hooks_dir.clone(),
        budget,
        pool,
        quiet: Cell::new(false),
        errors: RefCell::new(Vec::new()),
        next_error_id: Cell::new(0),
    });
    if stored.is_err() {
        return Err(rquickjs::Error::new_into_js_message("JsState", "userdata", "cannot store the runtime state"));
    }
    let g = ctx.globals();
    g.set("__hooks", hooks_dir.to_string_lossy().into_owned())?;
    g.set("$app", Class::instance(ctx.clone(), app::JsApp::new(app.clone()))?)?;
    Class::<record::JsRecord>::define(&g)?;
    let native = Object::new(ctx.clone())?;
    collection::install(ctx, &native)?;
    db::install(&native)?;
    files::install(ctx, &native)?;
    cron::install(&native)?;
    os::install(&native)?;
    http_client::install(&native)?;
    time::install(&native)?;
    mail::install(&native)?;
    app_extras::install(ctx, &native)?;
    // the hook names, from the one table (prelude.js defines the globals, hooks.js the `$app.onX()` objects)
    let hooks = super::bridge::hook_table::HOOKS;
    native.set("hookNames", hooks.iter().filter(|h| h.is_global()).map(|h| h.name).collect::<Vec<_>>())?;
    native.set("appHookNames", hooks.iter().map(|h| h.name).collect::<Vec<_>>())?;
    // the field classes and their options' zero values, from their table (fields.js)
    native.set("fieldClasses", convert::to_js(ctx, &field_table::classes_json())?)?;
    native.set("fieldDefaults", convert::to_js(ctx, &field_table::defaults_json())?)?;
    native.set("base64EncodeText", Func::from(security::base64_encode_text))?;
    native.set("base64DecodeText", Func::from(security::base64_decode_text))?;
    g.set("__native", native)?;
    globals::install(ctx, &g)?;
    security::install(ctx, &g)?;
    g.set("require", Func::from(require::require_from_hooks))?;
    for (name, src) in JS_API {
        let mut opts = EvalOptions::default();
        opts.strict = false;
        opts.filename = Some(format!("ferrobase:{name}"));
        ctx.eval_with_options::<(), _>(src, opts)?;
    }
    Ok(())
}
