//! JS hook handlers inside the core's hook chains, with `e.next()` running
//! the rest of the chain on the thread that fired the hook.
//!
//! For every JS registration one Rust handler (owner `"js"`) is bound into
//! the matching chain. When it fires on thread T it moves the event out
//! (leaving a placeholder), sends a job to a JS worker W and waits on a
//! reply channel:
//!
//! ```text
//!   T (hook fired)                          W (JS worker)
//!   event ──── job(event) ────────────────▶ e = event in JS, call handler
//!                                           e.next():
//!   put event back, run next(e)  ◀──────── CallNext(event)   (W blocks)
//!   ──── NextDone(event, result) ─────────▶ e updated, next() returns/throws
//!                                           handler returns / throws:
//!   put event back, return result ◀──────── Done(event, result)
//! ```
//!
//! So the rest of the chain, including the core action, runs on T with its
//! borrows and its transaction, while JS runs on W. No `unsafe`: the event
//! is moved by value (events are `Send`).

mod bind;
mod events;
mod file_events;
pub mod hook_table;
mod http_meta;
mod realtime;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, Value};

pub use self::bind::{bind_hooks, unbind_hooks};
use super::bindings::state;
use super::error::throw_core;
use super::pool::Pool;
use super::runtime::Worker;
use crate::core::Error;
use crate::core::hooks::{HandlerFn, Next, Tagged};

/// Owner name of the JS handlers in the hook chains.
pub const JS_OWNER: &str = "js";

/// An event type a JS handler can receive.
pub trait BridgeEvent: Tagged + Send + Sized + 'static {
    /// Rust-side cells shared with the JS objects of `e`.
    type Handles;
    /// A cheap stand-in for the caller's slot while the event is lent.
    fn placeholder(&self) -> Self;
    /// Moves the JS-visible parts into JS and defines them on `e`.
    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<Self::Handles>;
    /// Brings the parts back from JS into the event. `keep_js` leaves a copy
    /// in JS (the handler returned) instead of moving it (`e.next()`).
    fn collect<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &Self::Handles, keep_js: bool) -> Result<(), Error>;
    /// After `e.next()`: shows the (possibly changed) parts to JS again.
    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &Self::Handles) -> rquickjs::Result<()>;
    /// Whether the action behind a request event has answered (its
    /// response is written): what a handler does after `e.next()` then no
    /// longer changes the response, and an error it throws is only logged,
    /// as in PocketBase.
    fn responded(&self) -> bool {
        false
    }
}

enum ToCaller<E> {
    CallNext(E),
    Done(E, Result<(), Error>),
}

struct NextDone<E>(E, Result<(), Error>);

/// The Rust handler bound for JS registration `index` (`name` for logs).
/// It keeps its pool alive: a chain that started before a reload finishes
/// on the scripts it started with.
fn rust_handler<E: BridgeEvent>(pool: Arc<Pool>, index: usize, name: &'static str) -> HandlerFn<E> {
    Arc::new(move |e: &mut E, next: Next<'_, E>| {
        let event = std::mem::replace(e, e.placeholder());
        let (to_caller, from_worker) = channel::<ToCaller<E>>();
        let (to_worker, from_caller) = channel::<NextDone<E>>();
        pool.submit(Box::new(move |w: &Worker| run_on_worker(w, index, name, event, to_caller, from_caller)));
        loop {
            match from_worker.recv() {
                Ok(ToCaller::CallNext(ev)) => {
                    *e = ev;
                    // the worker waits for this: jobs from here must not queue behind it
                    let res = {
                        let _chain = super::pool::ChainGuard::enter();
                        next(e)
                    };
                    let ev = std::mem::replace(e, e.placeholder());
                    if let Err(std::sync::mpsc::SendError(NextDone(ev, res))) = to_worker.send(NextDone(ev, res)) {
                        *e = ev;
                        return res;
                    }
                }
                Ok(ToCaller::Done(ev, res)) => {
                    *e = ev;
                    if let Err(err) = &res
                        && e.responded()
                    {
                        tracing::error!("the JS {name} handler failed after the response was written: {err}");
                        return Ok(());
                    }
                    return res;
                }
                Err(_) => {
                    return Err(Error::Internal(format!("the JS {name} handler stopped without an answer")));
                }
            }
        }
    })
}

/// The worker side of one call: `e.__native.next(e)` lands in [`NextLink::call_next`].
struct Link<E: BridgeEvent> {
    shell: RefCell<Option<E>>,
    handles: RefCell<Option<E::Handles>>,
    to_caller: Sender<ToCaller<E>>,
    from_caller: Receiver<NextDone<E>>,
}

trait NextLink {
    fn call_next<'js>(&self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()>;
}

impl<E: BridgeEvent> NextLink for Link<E> {
    fn call_next<'js>(&self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        let Some(mut ev) = self.shell.borrow_mut().take() else {
            return Err(Exception::throw_message(ctx, "e.next() can only be called while the handler runs"));
        };
        let handles = self.handles.borrow();
        let Some(h) = handles.as_ref() else {
            *self.shell.borrow_mut() = Some(ev);
            return Err(Exception::throw_message(ctx, "the event is not ready"));
        };
        if let Err(err) = ev.collect(ctx, e, h, false) {
            *self.shell.borrow_mut() = Some(ev);
            return Err(throw_core(ctx, err));
        }
        if let Err(std::sync::mpsc::SendError(ToCaller::CallNext(ev))) = self.to_caller.send(ToCaller::CallNext(ev)) {
            *self.shell.borrow_mut() = Some(ev);
            return Err(Exception::throw_message(ctx, "the hook caller is gone"));
        }
        let budget = state(ctx)?.budget.clone();
        let Ok(NextDone(mut ev, res)) = budget.paused(|| self.from_caller.recv()) else {
            return Err(Exception::throw_message(ctx, "the hook caller is gone"));
        };
        let refreshed = ev.refresh(ctx, e, h);
        let responded = ev.responded();
        *self.shell.borrow_mut() = Some(ev);
        refreshed?;
        if responded {
            e.set("__written", true)?;
        }
        res.map_err(|err| throw_core(ctx, err))
    }
}

/// `e.__native`: what `e.next()` calls.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HookNative")]
pub struct HookNative {
    #[qjs(skip_trace)]
    link: Rc<dyn NextLink>,
}

#[rquickjs::methods]
impl HookNative {
    pub fn next<'js>(&self, ctx: Ctx<'js>, e: Object<'js>) -> rquickjs::Result<()> {
        self.link.call_next(&ctx, &e)
    }
}

fn run_on_worker<E: BridgeEvent>(
    w: &Worker,
    index: usize,
    name: &'static str,
    event: E,
    to_caller: Sender<ToCaller<E>>,
    from_caller: Receiver<NextDone<E>>,
) {
    let link = Rc::new(Link {
        shell: RefCell::new(Some(event)),
        handles: RefCell::new(None),
        to_caller: to_caller.clone(),
        from_caller,
    });
    let result = w.run(|ctx, w| {
        let e = match new_event(ctx) {
            Ok(e) => e,
            Err(err) => return Err(w.error_of(ctx, err, name)),
        };
        let mut res = call_handler(ctx, w, &link, &e, index, name);
        // take the event back whatever the handler did
        let mut shell = link.shell.borrow_mut();
        if let (Some(ev), Some(h)) = (shell.as_mut(), link.handles.borrow().as_ref())
            && let Err(err) = ev.collect(ctx, &e, h, true)
            && res.is_ok()
        {
            res = Err(err);
        }
        res
    });
    let Some(event) = link.shell.borrow_mut().take() else {
        tracing::error!("JS {name} handler lost its event");
        return;
    };
    let _ = to_caller.send(ToCaller::Done(event, result));
}

fn new_event<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let pb: Object = ctx.globals().get("__pb")?;
    let make: Function = pb.get("newHookEvent")?;
    make.call(())
}

fn call_handler<'js, E: BridgeEvent>(
    ctx: &Ctx<'js>,
    w: &Worker,
    link: &Rc<Link<E>>,
    e: &Object<'js>,
    index: usize,
    name: &'static str,
) -> Result<(), Error> {
    let exposed = {
        let mut shell = link.shell.borrow_mut();
        match shell.as_mut() {
            Some(ev) => ev.expose(ctx, e),
            None => return Err(Error::Internal("the hook event is missing".into())),
        }
    };
    let handles = exposed.map_err(|err| w.error_of(ctx, err, name))?;
    *link.handles.borrow_mut() = Some(handles);
    let native = Class::instance(ctx.clone(), HookNative { link: link.clone() as Rc<dyn NextLink> })
        .map_err(|err| w.error_of(ctx, err, name))?;
    e.set("__native", native).map_err(|err| w.error_of(ctx, err, name))?;
    let pb: Object = ctx.globals().get("__pb").map_err(|err| w.error_of(ctx, err, name))?;
    let run: Function = pb.get("runHook").map_err(|err| w.error_of(ctx, err, name))?;
    let ret: Value = run.call((index, e.clone())).map_err(|err| w.error_of(ctx, err, name))?;
    // async handlers: drive their promise (timers, fetches) while the event is still theirs
    super::event_loop::await_value(ctx, ret).map_err(|err| w.error_of(ctx, err, name))?;
    Ok(())
}
