//! What a JS handler sees of the file request events: `e.record`,
//! `e.collection`, `e.fileField`, `e.servedPath`, `e.servedName`,
//! `e.thumbError` (download) and `e.record`, `e.token` (file token), plus
//! `e.auth`/`e.requestInfo()`/`e.request`.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{Ctx, Object, Value};

use super::BridgeEvent;
use super::events::{expose_request, put_record, record_cell, record_js, take_record};
use crate::core::Error;
use crate::core::files::events::{FileDownloadRequestEvent, FileTokenRequestEvent};
use crate::core::records::Record;
use crate::jsvm::bindings::app::JsApp;
use crate::jsvm::bindings::record::SharedRecord;
use crate::jsvm::bindings::{collection, convert};

fn string_prop(e: &Object<'_>, key: &str) -> Result<Option<String>, Error> {
    let v: Value = e.get(key).map_err(|err| Error::Internal(err.to_string()))?;
    Ok(v.as_string().and_then(|s| s.to_string().ok()))
}

impl BridgeEvent for FileDownloadRequestEvent {
    type Handles = SharedRecord;

    fn placeholder(&self) -> Self {
        FileDownloadRequestEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<SharedRecord> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("collection", collection::to_js(ctx, &self.collection)?)?;
        e.set("fileField", convert::to_js(ctx, &self.file_field.to_json())?)?;
        e.set("servedPath", self.served_path.as_str())?;
        e.set("servedName", self.served_name.as_str())?;
        match &self.thumb_error {
            Some(t) => e.set("thumbError", t.as_str())?,
            None => e.set("thumbError", Value::new_null(ctx.clone()))?,
        }
        expose_request(ctx, e, &self.request)?;
        let placeholder = Record::placeholder(self.record.collection.clone());
        let h = Rc::new(RefCell::new(std::mem::replace(&mut self.record, placeholder)));
        e.set("record", record_js(ctx, &h)?)?;
        Ok(h)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord, keep_js: bool) -> Result<(), Error> {
        self.record = take_record(&record_cell(e, h), keep_js)?;
        if let Some(p) = string_prop(e, "servedPath")? {
            self.served_path = p;
        }
        if let Some(n) = string_prop(e, "servedName")? {
            self.served_name = n;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord) -> rquickjs::Result<()> {
        e.set("servedPath", self.served_path.as_str())?;
        e.set("servedName", self.served_name.as_str())?;
        let placeholder = Record::placeholder(self.record.collection.clone());
        put_record(&record_cell(e, h), std::mem::replace(&mut self.record, placeholder))
    }
}

impl BridgeEvent for FileTokenRequestEvent {
    type Handles = SharedRecord;

    fn placeholder(&self) -> Self {
        FileTokenRequestEvent::placeholder(self)
    }

    fn expose<'js>(&mut self, ctx: &Ctx<'js>, e: &Object<'js>) -> rquickjs::Result<SharedRecord> {
        e.set("app", JsApp::instance(ctx, &self.app)?)?;
        e.set("token", self.token.as_str())?;
        expose_request(ctx, e, &self.request)?;
        let placeholder = Record::placeholder(self.record.collection.clone());
        let h = Rc::new(RefCell::new(std::mem::replace(&mut self.record, placeholder)));
        e.set("record", record_js(ctx, &h)?)?;
        Ok(h)
    }

    fn collect<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord, keep_js: bool) -> Result<(), Error> {
        self.record = take_record(&record_cell(e, h), keep_js)?;
        if let Some(t) = string_prop(e, "token")? {
            self.token = t;
        }
        Ok(())
    }

    fn refresh<'js>(&mut self, _ctx: &Ctx<'js>, e: &Object<'js>, h: &SharedRecord) -> rquickjs::Result<()> {
        e.set("token", self.token.as_str())?;
        let placeholder = Record::placeholder(self.record.collection.clone());
        put_record(&record_cell(e, h), std::mem::replace(&mut self.record, placeholder))
    }
}
