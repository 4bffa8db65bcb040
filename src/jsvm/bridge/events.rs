//! What a JS handler sees of each core event type: `e.record`,
//! `e.collection`, `e.records`, `e.auth`, `e.requestInfo()`, `e.app`, and
//! how those parts move between the event and JS around `e.next()`.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{Class, Ctx, Object, Value};

use super::BridgeEvent;
use crate::core::Error;
use crate::core::collections::Collection;
use crate::core::collections::service::from_api_json;
use crate::core::events::{
    AppEvent, CollectionEvent, CollectionRequestEvent, CollectionsImportRequestEvent, CollectionsListRequestEvent,
    Model, ModelEvent, RecordAuthRequestEvent, RecordEnrichEvent, RecordEvent, RecordRequestEvent,
    SettingsRequestEvent,
};
use crate::core::hooks::ActionError;
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::core::settings::Settings;
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
        expose_error(ctx, e, self.error.as_ref())?;
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
        expose_error(ctx, e, self.error.as_ref())?;
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

/// `e.error` of the after-error hooks: a JS `Error` with the failure's
/// message and `status` (PocketBase hands them the Go error).
fn expose_error<'js>(ctx: &Ctx<'js>, e: &Object<'js>, error: Option<&ActionError>) -> rquickjs::Result<()> {
    let Some(error) = error else { return Ok(()) };
    let ctor: rquickjs::Function = ctx.globals().get("Error")?;
    let js: Object = ctor.call((error.message.as_str(),))?;
    js.set("status", error.status)?;
    e.set("error", js)
}

/// `e.auth`, `e.requestInfo()` and, over HTTP, `e.request`/`e.response`:
/// all built in JS on first use from `e.__ri`/`e.__http` (see
/// `js_api/prelude.js`), so a handler pays only for what it reads.
fn expose_request<'js>(ctx: &Ctx<'js>, e: &Object<'js>, info: &RequestInfo) -> rquickjs::Result<()> {
    e.set("__ri", super::http_meta::HookRequestInfo::instance(ctx, info)?)?;
    if let Some(http) = &info.http {
        e.set("__http", super::http_meta::HookHttp::instance(ctx, http)?)?;
    }
    Ok(())
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
        expose_request(ctx, e, &self.request)?;
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

impl BridgeEvent for AppEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        AppEvent { app: self.app.clone(), is_restart: self.is_restart }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("isRestart", self.is_restart)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        Ok(())
    }
}

/// The JS side of a model event's model.
pub enum ModelHandles {
    Record(SharedRecord),
    Collection,
}

fn collection_from_js_prop<'js>(e: &Object<'js>, key: &str, base: &Collection) -> Result<Option<Collection>, Error> {
    let v: Value = e.get(key).map_err(|err| Error::Internal(err.to_string()))?;
    if !v.is_object() {
        return Ok(None);
    }
    let json = convert::to_json(v).map_err(|err| Error::BadRequest(err.to_string()))?;
    // the event's own collection is the base, so what JSON cannot carry
    // (secrets) survives
    from_api_json(&json, Some(base)).map(Some)
}

fn show_collection<'js>(ctx: &Ctx<'js>, e: &Object<'js>, key: &str, c: &Collection) -> rquickjs::Result<()> {
    match e.get::<_, Value>(key)?.into_object() {
        Some(obj) if collection::is_collection(ctx, &obj.clone().into_value()) => collection::assign(ctx, &obj, c),
        _ => e.set(key, collection::to_js(ctx, c)?),
    }
}

impl BridgeEvent for ModelEvent {
    type Handles = ModelHandles;

    fn placeholder(&self) -> Self {
        let model = match &self.model {
            Model::Record(r) => Model::Record(Record::placeholder(r.collection.clone())),
            Model::Collection(_) => Model::Collection(Box::new(Collection::placeholder())),
        };
        ModelEvent { app: self.app.clone(), model, error: self.error.clone() }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<ModelHandles> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        expose_error(ctx, e, self.error.as_ref())?;
        match &mut self.model {
            Model::Record(r) => {
                let placeholder = Record::placeholder(r.collection.clone());
                let h = Rc::new(RefCell::new(std::mem::replace(r, placeholder)));
                e.set("model", record_js(ctx, &h)?)?;
                Ok(ModelHandles::Record(h))
            }
            Model::Collection(c) => {
                e.set("model", collection::to_js(ctx, c)?)?;
                Ok(ModelHandles::Collection)
            }
        }
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &ModelHandles, keep_js: bool) -> Result<(), Error> {
        match (h, &mut self.model) {
            (ModelHandles::Record(cell), Model::Record(r)) => {
                let cell =
                    e.get::<_, Value>("model").ok().and_then(|v| JsRecord::shared_of(&v)).unwrap_or(cell.clone());
                *r = take_record(&cell, keep_js)?;
            }
            (ModelHandles::Collection, Model::Collection(c)) => {
                if let Some(changed) = collection_from_js_prop(e, "model", c)? {
                    **c = changed;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &ModelHandles) -> rquickjs::Result<()> {
        match (h, &mut self.model) {
            (ModelHandles::Record(cell), Model::Record(r)) => {
                let cell =
                    e.get::<_, Value>("model").ok().and_then(|v| JsRecord::shared_of(&v)).unwrap_or(cell.clone());
                let placeholder = Record::placeholder(r.collection.clone());
                put_record(&cell, std::mem::replace(r, placeholder))
            }
            (ModelHandles::Collection, Model::Collection(c)) => show_collection(ctx, e, "model", c),
            _ => Ok(()),
        }
    }
}

impl BridgeEvent for RecordEnrichEvent {
    type Handles = SharedRecord;

    fn placeholder(&self) -> Self {
        RecordEnrichEvent {
            app: self.app.clone(),
            record: Record::placeholder(self.record.collection.clone()),
            request: RequestInfo::default(),
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<SharedRecord> {
        let placeholder = Record::placeholder(self.record.collection.clone());
        let h = Rc::new(RefCell::new(std::mem::replace(&mut self.record, placeholder)));
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("record", record_js(ctx, &h)?)?;
        expose_request(ctx, e, &self.request)?;
        // PocketBase's enrich event has a `requestInfo` field, not a method:
        // give it both shapes (`e.requestInfo.auth` and `e.requestInfo().auth`)
        let pb: Object = ctx.globals().get("__pb")?;
        let both: rquickjs::Function = pb.get("callableInfo")?;
        let info_of: rquickjs::Function = e.get("requestInfo")?;
        let info: Value = info_of.call((rquickjs::function::This(e.clone()),))?;
        e.set("requestInfo", both.call::<_, Value>((info,))?)?;
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

fn string_prop<'js>(e: &Object<'js>, key: &str) -> Result<String, Error> {
    let v: Value = e.get(key).map_err(|err| Error::Internal(err.to_string()))?;
    Ok(v.as_string().and_then(|s| s.to_string().ok()).unwrap_or_default())
}

impl BridgeEvent for RecordAuthRequestEvent {
    /// The cell of `e.record` once there is a record.
    type Handles = RefCell<Option<SharedRecord>>;

    fn placeholder(&self) -> Self {
        RecordAuthRequestEvent::new(&self.app, &self.collection, &RequestInfo::default())
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<Self::Handles> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("collection", collection::to_js(ctx, &self.collection)?)?;
        expose_request(ctx, e, &self.request)?;
        e.set("token", self.token.as_str())?;
        e.set("authMethod", self.auth_method.as_str())?;
        e.set("meta", convert::to_js(ctx, &self.meta)?)?;
        e.set("identity", self.identity.as_str())?;
        e.set("identityField", self.identity_field.as_str())?;
        e.set("password", self.password.as_str())?;
        let cell = RefCell::new(None);
        self.refresh(ctx, e, &cell)?;
        Ok(cell)
    }

    fn collect<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        e: &Object<'js>,
        h: &Self::Handles,
        keep_js: bool,
    ) -> Result<(), Error> {
        let from_js = e.get::<_, Value>("record").ok().and_then(|v| JsRecord::shared_of(&v));
        if let Some(cell) = from_js.or_else(|| h.borrow().clone()) {
            self.record = Some(take_record(&cell, keep_js)?);
        }
        self.token = string_prop(e, "token")?;
        self.identity = string_prop(e, "identity")?;
        self.identity_field = string_prop(e, "identityField")?;
        self.password = string_prop(e, "password")?;
        let meta: Value = e.get("meta").map_err(|err| Error::Internal(err.to_string()))?;
        self.meta = convert::to_json(meta).map_err(|err| Error::BadRequest(err.to_string()))?;
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &Self::Handles) -> rquickjs::Result<()> {
        let Some(record) = self.record.take() else {
            return e.set("record", Value::new_null(ctx.clone()));
        };
        let existing =
            e.get::<_, Value>("record").ok().and_then(|v| JsRecord::shared_of(&v)).or_else(|| h.borrow().clone());
        match existing {
            Some(cell) => put_record(&cell, record),
            None => {
                let cell = Rc::new(RefCell::new(record));
                e.set("record", record_js(ctx, &cell)?)?;
                *h.borrow_mut() = Some(cell);
                Ok(())
            }
        }?;
        e.set("token", self.token.as_str())?;
        e.set("meta", convert::to_js(ctx, &self.meta)?)
    }
}

fn settings_js<'js>(ctx: &Ctx<'js>, s: &Settings) -> rquickjs::Result<Value<'js>> {
    let json =
        serde_json::to_value(s).map_err(|e| rquickjs::Error::new_into_js_message("settings", "JSON", e.to_string()))?;
    convert::to_js(ctx, &json)
}

fn settings_from_js<'js>(e: &Object<'js>, key: &str) -> Result<Option<Settings>, Error> {
    let v: Value = e.get(key).map_err(|err| Error::Internal(err.to_string()))?;
    if !v.is_object() {
        return Ok(None);
    }
    let json = convert::to_json(v).map_err(|err| Error::BadRequest(err.to_string()))?;
    serde_json::from_value(json).map(Some).map_err(|err| Error::BadRequest(format!("Invalid settings: {err}.")))
}

impl BridgeEvent for SettingsRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        SettingsRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            settings: Settings::default(),
            new_settings: None,
            handled: false,
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        expose_request(ctx, e, &self.request)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        if self.new_settings.is_some() {
            if let Some(s) = settings_from_js(e, "newSettings")? {
                self.new_settings = Some(s);
            }
        } else if let Some(s) = settings_from_js(e, "settings")? {
            self.settings = s;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        match &self.new_settings {
            Some(new) => {
                e.set("oldSettings", settings_js(ctx, &self.settings)?)?;
                e.set("newSettings", settings_js(ctx, new)?)
            }
            None => e.set("settings", settings_js(ctx, &self.settings)?),
        }
    }
}

impl BridgeEvent for CollectionRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        CollectionRequestEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        expose_request(ctx, e, &self.request)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        if let Some(changed) = collection_from_js_prop(e, "collection", &self.collection)? {
            self.collection = changed;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        show_collection(ctx, e, "collection", &self.collection)
    }
}

impl BridgeEvent for CollectionsImportRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        CollectionsImportRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            collections_data: Vec::new(),
            delete_missing: false,
            handled: false,
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        expose_request(ctx, e, &self.request)?;
        self.refresh(ctx, e, &())
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        let js_err = |err: rquickjs::Error| Error::Internal(err.to_string());
        let data: Value = e.get("collectionsData").map_err(js_err)?;
        self.collections_data = match convert::to_json(data).map_err(js_err)? {
            serde_json::Value::Array(items) => items,
            _ => return Err(Error::BadRequest("collectionsData must be an array.".into())),
        };
        self.delete_missing = e.get::<_, Option<bool>>("deleteMissing").map_err(js_err)?.unwrap_or(false);
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        e.set("collectionsData", convert::to_js(ctx, &serde_json::Value::Array(self.collections_data.clone()))?)?;
        e.set("deleteMissing", self.delete_missing)
    }
}

impl BridgeEvent for CollectionsListRequestEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        CollectionsListRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            collections: Vec::new(),
            handled: false,
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        expose_request(ctx, e, &self.request)?;
        let list = rquickjs::Array::new(ctx.clone())?;
        for (i, c) in self.collections.iter().enumerate() {
            list.set(i, collection::to_js(ctx, c)?)?;
        }
        e.set("collections", list)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        Ok(())
    }
}
