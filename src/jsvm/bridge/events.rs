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
    MailerEvent, MailerRecordEvent, Model, ModelEvent, RecordAuthRequestEvent, RecordEnrichEvent, RecordEvent,
    RecordRequestEvent, SettingsRequestEvent,
};
use crate::core::hooks::ActionError;
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::core::settings::Settings;
use crate::jsvm::bindings::app::JsApp;
use crate::jsvm::bindings::record::{JsRecord, SharedRecord};
use crate::jsvm::bindings::{collection, convert};

pub(super) fn take_record(h: &SharedRecord, keep_js: bool) -> Result<Record, Error> {
    let mut slot = h.try_borrow_mut().map_err(|_| Error::Internal("the record is in use".into()))?;
    Ok(if keep_js {
        slot.clone()
    } else {
        let placeholder = Record::placeholder(slot.collection.clone());
        std::mem::replace(&mut *slot, placeholder)
    })
}

pub(super) fn put_record(h: &SharedRecord, record: Record) -> rquickjs::Result<()> {
    match h.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = record;
            Ok(())
        }
        Err(_) => Err(rquickjs::Error::new_into_js_message("record", "Record", "the record is in use")),
    }
}

/// The cell behind `e.record` (it may have been replaced by the handler).
pub(super) fn record_cell<'js>(e: &Object<'js>, fallback: &SharedRecord) -> SharedRecord {
    e.get::<_, Value>("record").ok().and_then(|v| JsRecord::shared_of(&v)).unwrap_or_else(|| fallback.clone())
}

pub(super) fn record_js<'js>(ctx: &Ctx<'js>, h: &SharedRecord) -> rquickjs::Result<Value<'js>> {
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

/// `e.auth` and `e.requestInfo()`: built in JS on first use from `e.__ri`
/// (see `js_api/prelude.js`), so a handler pays only for what it reads.
fn expose_request_info<'js>(ctx: &Ctx<'js>, e: &Object<'js>, info: &RequestInfo) -> rquickjs::Result<()> {
    e.set("__ri", super::http_meta::HookRequestInfo::instance(ctx, info)?)
}

/// The event of a request hook: `e.auth`, `e.requestInfo()`, and PocketBase's
/// request event API (`e.json()`, `e.requestEvent`, …; `js_api/router.js`)
/// over the HTTP request behind it (`e.__http`).
pub(super) fn expose_request<'js>(ctx: &Ctx<'js>, e: &Object<'js>, info: &RequestInfo) -> rquickjs::Result<()> {
    expose_request_info(ctx, e, info)?;
    let pb: Object = ctx.globals().get("__pb")?;
    let class: Object = pb.get("RequestHookEvent")?;
    e.set_prototype(Some(&class.get::<_, Object>("prototype")?))?;
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
        if self.handled && keep_js {
            // answered inside e.next(): later changes do not reach the response
            return Ok(());
        }
        if let Some(cell) = &h.record {
            self.record = Some(take_record(&record_cell(e, cell), keep_js)?);
        }
        if let Some(list) = self.list.as_mut() {
            list.items = h.items.iter().map(|cell| take_record(cell, keep_js)).collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &RequestHandles) -> rquickjs::Result<()> {
        // once answered, JS gets copies and the event keeps what was answered
        if self.handled {
            if let (Some(cell), Some(r)) = (&h.record, self.record.as_ref()) {
                put_record(&record_cell(e, cell), r.clone())?;
            }
            if let Some(list) = self.list.as_ref() {
                for (cell, r) in h.items.iter().zip(&list.items) {
                    put_record(cell, r.clone())?;
                }
            }
            return Ok(());
        }
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

    fn responded(&self) -> bool {
        self.handled
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
        expose_request_info(ctx, e, &self.request)?;
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
        if let Some(otp) = &self.otp {
            e.set("otp", record_js(ctx, &Rc::new(RefCell::new(otp.clone())))?)?;
        }
        if !self.provider_name.is_empty() {
            e.set("providerName", self.provider_name.as_str())?;
            e.set("oauth2User", convert::to_js(ctx, &self.oauth2_user)?)?;
            e.set("createData", convert::to_js(ctx, &serde_json::Value::Object(self.create_data.clone()))?)?;
            e.set("isNewRecord", self.is_new_record)?;
        }
        if !self.new_email.is_empty() {
            e.set("newEmail", self.new_email.as_str())?;
        }
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
        if self.handled && keep_js {
            return Ok(());
        }
        let from_js = e.get::<_, Value>("record").ok().and_then(|v| JsRecord::shared_of(&v));
        if let Some(cell) = from_js.or_else(|| h.borrow().clone()) {
            self.record = Some(take_record(&cell, keep_js)?);
        }
        self.token = string_prop(e, "token")?;
        self.identity = string_prop(e, "identity")?;
        self.identity_field = string_prop(e, "identityField")?;
        self.password = string_prop(e, "password")?;
        if !self.provider_name.is_empty() {
            let user: Value = e.get("oauth2User").map_err(|err| Error::Internal(err.to_string()))?;
            self.oauth2_user = convert::to_json(user).map_err(|err| Error::BadRequest(err.to_string()))?;
            let data: Value = e.get("createData").map_err(|err| Error::Internal(err.to_string()))?;
            if let serde_json::Value::Object(m) =
                convert::to_json(data).map_err(|err| Error::BadRequest(err.to_string()))?
            {
                self.create_data = m;
            }
        }
        if !self.new_email.is_empty() {
            self.new_email = string_prop(e, "newEmail")?;
        }
        let meta: Value = e.get("meta").map_err(|err| Error::Internal(err.to_string()))?;
        self.meta = convert::to_json(meta).map_err(|err| Error::BadRequest(err.to_string()))?;
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &Self::Handles) -> rquickjs::Result<()> {
        // once answered, JS gets a copy and the event keeps what was answered
        let record = if self.handled { self.record.clone() } else { self.record.take() };
        let Some(record) = record else {
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

    fn responded(&self) -> bool {
        self.handled
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

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), keep_js: bool) -> Result<(), Error> {
        if self.handled && keep_js {
            return Ok(());
        }
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

    fn responded(&self) -> bool {
        self.handled
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

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), keep_js: bool) -> Result<(), Error> {
        if self.handled && keep_js {
            return Ok(());
        }
        if let Some(changed) = collection_from_js_prop(e, "collection", &self.collection)? {
            self.collection = changed;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        show_collection(ctx, e, "collection", &self.collection)
    }

    fn responded(&self) -> bool {
        self.handled
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

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), keep_js: bool) -> Result<(), Error> {
        if self.handled && keep_js {
            return Ok(());
        }
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

    fn responded(&self) -> bool {
        self.handled
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

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &(), keep_js: bool) -> Result<(), Error> {
        if self.handled && keep_js {
            return Ok(());
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, _e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        Ok(())
    }

    fn responded(&self) -> bool {
        self.handled
    }
}

fn mail_client_js<'js>(ctx: &Ctx<'js>, app: &crate::core::App) -> rquickjs::Result<Value<'js>> {
    let pb: Object = ctx.globals().get("__pb")?;
    let f: rquickjs::Function = pb.get("newMailClient")?;
    f.call((JsApp::instance(ctx, app)?,))
}

fn message_js<'js>(ctx: &Ctx<'js>, m: &crate::core::mail::Message) -> rquickjs::Result<Value<'js>> {
    let class: rquickjs::Constructor = ctx.globals().get("MailerMessage")?;
    class.construct((convert::to_js(ctx, &m.to_json())?,))
}

fn message_from_js(e: &Object<'_>) -> Result<crate::core::mail::Message, Error> {
    let v: Value = e.get("message").map_err(|err| Error::Internal(err.to_string()))?;
    let json = convert::to_json(v).map_err(|err| Error::BadRequest(err.to_string()))?;
    Ok(crate::core::mail::Message::from_json(&json))
}

impl BridgeEvent for MailerEvent {
    type Handles = ();

    fn placeholder(&self) -> Self {
        MailerEvent { app: self.app.clone(), client: self.client.clone(), message: Default::default() }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<()> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("mailer", mail_client_js(ctx, &self.app)?)?;
        e.set("message", message_js(ctx, &self.message)?)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, _h: &(), _keep_js: bool) -> Result<(), Error> {
        self.message = message_from_js(e)?;
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, _h: &()) -> rquickjs::Result<()> {
        e.set("message", message_js(ctx, &self.message)?)
    }
}

impl BridgeEvent for MailerRecordEvent {
    type Handles = SharedRecord;

    fn placeholder(&self) -> Self {
        MailerRecordEvent {
            app: self.app.clone(),
            client: self.client.clone(),
            message: Default::default(),
            record: Record::placeholder(self.record.collection.clone()),
            meta: Default::default(),
        }
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<SharedRecord> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("mailer", mail_client_js(ctx, &self.app)?)?;
        e.set("message", message_js(ctx, &self.message)?)?;
        e.set("meta", convert::to_js(ctx, &serde_json::Value::Object(self.meta.clone()))?)?;
        let h = Rc::new(RefCell::new(self.record.clone()));
        e.set("record", record_js(ctx, &h)?)?;
        Ok(h)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord, keep_js: bool) -> Result<(), Error> {
        self.message = message_from_js(e)?;
        self.record = take_record(&record_cell(e, h), keep_js)?;
        let meta: Value = e.get("meta").map_err(|err| Error::Internal(err.to_string()))?;
        if let serde_json::Value::Object(m) =
            convert::to_json(meta).map_err(|err| Error::BadRequest(err.to_string()))?
        {
            self.meta = m;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord) -> rquickjs::Result<()> {
        put_record(&record_cell(e, h), self.record.clone())?;
        e.set("message", message_js(ctx, &self.message)?)
    }
}
