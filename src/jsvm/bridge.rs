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

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, Promise, Value};

use super::bindings::app::JsApp;
use super::bindings::record::{JsRecord, SharedRecord};
use super::bindings::{collection, convert, state};
use super::error::throw_core;
use super::pool::Pool;
use super::runtime::Worker;
use crate::core::collections::service::from_api_json;
use crate::core::events::{CollectionEvent, RecordEvent, RecordRequestEvent};
use crate::core::hooks::{HandlerFn, Hook, Next, Tagged};
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::core::{App, Error};

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
                    let res = next(e);
                    let ev = std::mem::replace(e, e.placeholder());
                    if let Err(std::sync::mpsc::SendError(NextDone(ev, res))) = to_worker.send(NextDone(ev, res)) {
                        *e = ev;
                        return res;
                    }
                }
                Ok(ToCaller::Done(ev, res)) => {
                    *e = ev;
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
        *self.shell.borrow_mut() = Some(ev);
        refreshed?;
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
    // async handlers: settle their jobs while the event is still theirs
    if ret.is_promise() {
        while ctx.execute_pending_job() {}
        if let Ok(promise) = Promise::from_value(ret)
            && let Some(Err(err)) = promise.result::<Value>()
        {
            return Err(w.error_of(ctx, err, name));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// events

fn take_record(h: &SharedRecord, keep_js: bool) -> Result<Record, Error> {
    let mut slot = h.try_borrow_mut().map_err(|_| Error::Internal("the record is in use".into()))?;
    Ok(if keep_js {
        slot.clone()
    } else {
        let placeholder = Record::placeholder(slot.collection.clone());
        std::mem::replace(&mut *slot, placeholder)
    })
}

fn put_record(h: &SharedRecord, record: Record) -> rquickjs::Result<()> {
    match h.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = record;
            Ok(())
        }
        Err(_) => Err(rquickjs::Error::new_into_js_message("record", "Record", "the record is in use")),
    }
}

/// The cell behind `e.record` (it may have been replaced by the handler).
fn record_cell<'js>(e: &Object<'js>, fallback: &SharedRecord) -> SharedRecord {
    e.get::<_, Value>("record").ok().and_then(|v| JsRecord::shared_of(&v)).unwrap_or_else(|| fallback.clone())
}

fn record_js<'js>(ctx: &Ctx<'js>, h: &SharedRecord) -> rquickjs::Result<Value<'js>> {
    Ok(Class::instance(ctx.clone(), JsRecord::new_shared(h.clone()))?.into_value())
}

impl BridgeEvent for RecordEvent {
    type Handles = SharedRecord;

    fn placeholder(&self) -> Self {
        RecordEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<SharedRecord> {
        let placeholder = Record::placeholder(self.record.collection.clone());
        let h = Rc::new(RefCell::new(std::mem::replace(&mut self.record, placeholder)));
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("record", record_js(ctx, &h)?)?;
        Ok(h)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord, keep_js: bool) -> Result<(), Error> {
        self.record = take_record(&record_cell(e, h), keep_js)?;
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord) -> rquickjs::Result<()> {
        let placeholder = Record::placeholder(self.record.collection.clone());
        put_record(&record_cell(e, h), std::mem::replace(&mut self.record, placeholder))
    }
}

impl BridgeEvent for CollectionEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        CollectionEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("collection", collection::to_js(ctx, &self.collection)?)?;
        Ok(())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        let v: Value = e.get("collection").map_err(|err| Error::Internal(err.to_string()))?;
        if v.is_object() {
            let json = convert::to_json(v).map_err(|err| Error::BadRequest(err.to_string()))?;
            // the event's own collection is the base, so what JSON cannot
            // carry (secrets) survives
            self.collection = from_api_json(&json, Some(&self.collection))?;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        match e.get::<_, Value>("collection")?.into_object() {
            Some(obj) if collection::is_collection(ctx, &obj.clone().into_value()) => {
                collection::assign(ctx, &obj, &self.collection)
            }
            _ => e.set("collection", collection::to_js(ctx, &self.collection)?),
        }
    }
}

/// `e.requestInfo()` data of a request event.
fn request_info_js<'js>(ctx: &Ctx<'js>, info: &RequestInfo) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    obj.set("query", convert::to_js(ctx, &serde_json::Value::Object(info.query.clone()))?)?;
    obj.set("headers", convert::to_js(ctx, &serde_json::Value::Object(info.headers.clone()))?)?;
    obj.set("body", convert::to_js(ctx, &serde_json::Value::Object(info.body.clone()))?)?;
    obj.set("auth", auth_js(ctx, info)?)?;
    obj.set("method", info.method.as_str())?;
    obj.set("context", info.context_name())?;
    Ok(obj)
}

fn auth_js<'js>(ctx: &Ctx<'js>, info: &RequestInfo) -> rquickjs::Result<Value<'js>> {
    match &info.auth {
        Some(a) => JsRecord::instance(ctx, (**a).clone()),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

/// The record and list cells of a request event.
pub struct RequestHandles {
    record: Option<SharedRecord>,
    items: Vec<SharedRecord>,
}

impl BridgeEvent for RecordRequestEvent {
    type Handles = RequestHandles;

    fn placeholder(&self) -> Self {
        RecordRequestEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<RequestHandles> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("collection", collection::to_js(ctx, &self.collection)?)?;
        e.set("auth", auth_js(ctx, &self.request)?)?;
        e.set("__info", request_info_js(ctx, &self.request)?)?;
        let record = match self.record.take() {
            Some(r) => {
                let h = Rc::new(RefCell::new(r));
                e.set("record", record_js(ctx, &h)?)?;
                Some(h)
            }
            None => None,
        };
        let mut items = Vec::new();
        if let Some(list) = self.list.as_mut() {
            let arr = rquickjs::Array::new(ctx.clone())?;
            for (i, r) in std::mem::take(&mut list.items).into_iter().enumerate() {
                let h = Rc::new(RefCell::new(r));
                arr.set(i, record_js(ctx, &h)?)?;
                items.push(h);
            }
            e.set("records", arr)?;
        }
        Ok(RequestHandles { record, items })
    }

    fn collect<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        e: &Object<'js>,
        h: &RequestHandles,
        keep_js: bool,
    ) -> Result<(), Error> {
        if let Some(cell) = &h.record {
            self.record = Some(take_record(&record_cell(e, cell), keep_js)?);
        }
        if let Some(list) = self.list.as_mut() {
            list.items = h.items.iter().map(|cell| take_record(cell, keep_js)).collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &RequestHandles) -> rquickjs::Result<()> {
        if let (Some(cell), Some(r)) = (&h.record, self.record.take()) {
            put_record(&record_cell(e, cell), r)?;
        }
        if let Some(list) = self.list.as_mut() {
            for (cell, r) in h.items.iter().zip(std::mem::take(&mut list.items)) {
                put_record(cell, r)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// binding

type Regs<'a> = HashMap<&'a str, Vec<(usize, Vec<String>)>>;

fn rebind<E: BridgeEvent>(hook: &Hook<E>, name: &'static str, regs: &Regs<'_>, pool: Option<&Arc<Pool>>) {
    let handlers = regs
        .get(name)
        .zip(pool)
        .map(|(list, pool)| {
            list.iter().map(|(index, tags)| (0, tags.clone(), rust_handler::<E>(pool.clone(), *index, name))).collect()
        })
        .unwrap_or_default();
    hook.replace_owner(JS_OWNER, handlers);
}

/// The hook names bound to core chains; other `on*` registrations load but
/// never fire yet (a warning says so).
pub const SUPPORTED_HOOKS: [&str; 31] = [
    "onRecordValidate",
    "onRecordCreate",
    "onRecordCreateExecute",
    "onRecordAfterCreateSuccess",
    "onRecordAfterCreateError",
    "onRecordUpdate",
    "onRecordUpdateExecute",
    "onRecordAfterUpdateSuccess",
    "onRecordAfterUpdateError",
    "onRecordDelete",
    "onRecordDeleteExecute",
    "onRecordAfterDeleteSuccess",
    "onRecordAfterDeleteError",
    "onRecordsListRequest",
    "onRecordViewRequest",
    "onRecordCreateRequest",
    "onRecordUpdateRequest",
    "onRecordDeleteRequest",
    "onCollectionValidate",
    "onCollectionCreate",
    "onCollectionCreateExecute",
    "onCollectionAfterCreateSuccess",
    "onCollectionAfterCreateError",
    "onCollectionUpdate",
    "onCollectionUpdateExecute",
    "onCollectionAfterUpdateSuccess",
    "onCollectionAfterUpdateError",
    "onCollectionDelete",
    "onCollectionDeleteExecute",
    "onCollectionAfterDeleteSuccess",
    "onCollectionAfterDeleteError",
];

/// Replaces the JS handlers in every chain of `app` with the ones `pool`
/// registered (each chain swapped atomically).
pub fn bind_hooks(app: &App, pool: &Arc<Pool>) {
    bind(app, Some(pool));
}

/// Removes every JS handler from `app` (the engine stopped). This also
/// ends the pools, whose handlers keep them alive.
pub fn unbind_hooks(app: &App) {
    bind(app, None);
}

fn bind(app: &App, pool: Option<&Arc<Pool>>) {
    let mut regs: Regs<'_> = HashMap::new();
    let defs = pool.map(|p| p.registry.hooks.as_slice()).unwrap_or_default();
    for (index, def) in defs.iter().enumerate() {
        regs.entry(def.name.as_str()).or_default().push((index, def.tags.clone()));
    }
    for name in regs.keys() {
        if !SUPPORTED_HOOKS.contains(name) {
            tracing::warn!("{name} is not supported yet: its JS handlers will not run");
        }
    }
    let h = app.hooks();
    rebind(&h.on_record_validate, "onRecordValidate", &regs, pool);
    rebind(&h.on_record_create.before, "onRecordCreate", &regs, pool);
    rebind(&h.on_record_create.execute, "onRecordCreateExecute", &regs, pool);
    rebind(&h.on_record_create.after_success, "onRecordAfterCreateSuccess", &regs, pool);
    rebind(&h.on_record_create.after_error, "onRecordAfterCreateError", &regs, pool);
    rebind(&h.on_record_update.before, "onRecordUpdate", &regs, pool);
    rebind(&h.on_record_update.execute, "onRecordUpdateExecute", &regs, pool);
    rebind(&h.on_record_update.after_success, "onRecordAfterUpdateSuccess", &regs, pool);
    rebind(&h.on_record_update.after_error, "onRecordAfterUpdateError", &regs, pool);
    rebind(&h.on_record_delete.before, "onRecordDelete", &regs, pool);
    rebind(&h.on_record_delete.execute, "onRecordDeleteExecute", &regs, pool);
    rebind(&h.on_record_delete.after_success, "onRecordAfterDeleteSuccess", &regs, pool);
    rebind(&h.on_record_delete.after_error, "onRecordAfterDeleteError", &regs, pool);
    rebind(&h.on_records_list_request, "onRecordsListRequest", &regs, pool);
    rebind(&h.on_record_view_request, "onRecordViewRequest", &regs, pool);
    rebind(&h.on_record_create_request, "onRecordCreateRequest", &regs, pool);
    rebind(&h.on_record_update_request, "onRecordUpdateRequest", &regs, pool);
    rebind(&h.on_record_delete_request, "onRecordDeleteRequest", &regs, pool);
    rebind(&h.on_collection_validate, "onCollectionValidate", &regs, pool);
    rebind(&h.on_collection_create.before, "onCollectionCreate", &regs, pool);
    rebind(&h.on_collection_create.execute, "onCollectionCreateExecute", &regs, pool);
    rebind(&h.on_collection_create.after_success, "onCollectionAfterCreateSuccess", &regs, pool);
    rebind(&h.on_collection_create.after_error, "onCollectionAfterCreateError", &regs, pool);
    rebind(&h.on_collection_update.before, "onCollectionUpdate", &regs, pool);
    rebind(&h.on_collection_update.execute, "onCollectionUpdateExecute", &regs, pool);
    rebind(&h.on_collection_update.after_success, "onCollectionAfterUpdateSuccess", &regs, pool);
    rebind(&h.on_collection_update.after_error, "onCollectionAfterUpdateError", &regs, pool);
    rebind(&h.on_collection_delete.before, "onCollectionDelete", &regs, pool);
    rebind(&h.on_collection_delete.execute, "onCollectionDeleteExecute", &regs, pool);
    rebind(&h.on_collection_delete.after_success, "onCollectionAfterDeleteSuccess", &regs, pool);
    rebind(&h.on_collection_delete.after_error, "onCollectionAfterDeleteError", &regs, pool);
}
