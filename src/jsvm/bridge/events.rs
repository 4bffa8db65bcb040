//! What a JS handler sees of each core event type: `e.record`,
//! `e.collection`, `e.records`, `e.auth`, `e.requestInfo()`, `e.app`, and
//! how those parts move between the event and JS around `e.next()`.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{Class, Ctx, Object, Value};

use super::BridgeEvent;
use crate::core::Error;
use crate::core::collections::service::from_api_json;
use crate::core::events::{CollectionEvent, RecordEvent, RecordRequestEvent};
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::jsvm::bindings::app::JsApp;
use crate::jsvm::bindings::record::{JsRecord, SharedRecord};
use crate::jsvm::bindings::{collection, convert};

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
    obj.set("query", convert::to_js(ctx, &serde_json::Value::Object((*info.query).clone()))?)?;
    obj.set("headers", convert::to_js(ctx, &serde_json::Value::Object((*info.headers).clone()))?)?;
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
