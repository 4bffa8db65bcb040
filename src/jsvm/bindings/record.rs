//! `Record`: a core record shared between Rust and JS. The record sits in an
//! `Rc<RefCell<_>>` so the same object can be the `e.record` of a hook event
//! (the bridge moves the record in and out around `e.next()`) and be
//! passed to `$app.save`.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::class::Trace;
use rquickjs::prelude::{Opt, Rest, This};
use rquickjs::{Class, Ctx, JsLifetime, Object, Value};
use serde_json::Value as Json;

use super::{app, collection, convert, state};
use crate::core::Error;
use crate::core::collections::FieldKind;
use crate::core::records::Record;
use crate::core::records::values;
use crate::jsvm::error::throw_core;

/// A record shared with JS.
pub type SharedRecord = Rc<RefCell<Record>>;

/// The JS `Record` class.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Record")]
pub struct JsRecord {
    #[qjs(skip_trace)]
    pub inner: SharedRecord,
}

impl JsRecord {
    /// `hide()`/`unhide()`: forces the export visibility of these keys.
    fn force_visibility(&self, ctx: &Ctx<'_>, names: Vec<String>, visible: bool) -> rquickjs::Result<()> {
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(ctx))?;
        r.visibility.extend(names.into_iter().map(|n| (n, visible)));
        Ok(())
    }

    /// Wraps a record.
    pub fn new_shared(inner: SharedRecord) -> Self {
        JsRecord { inner }
    }

    /// A JS `Record` object for `record`.
    pub fn instance<'js>(ctx: &Ctx<'js>, record: Record) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), JsRecord::new_shared(Rc::new(RefCell::new(record))))?.into_value())
    }

    /// The shared record behind a JS value, if it is a `Record`.
    pub fn shared_of(v: &Value<'_>) -> Option<SharedRecord> {
        let obj = v.as_object()?;
        Self::from_object(obj).map(|r| r.inner)
    }

    /// The `Record` behind an object, if it is one.
    pub fn from_object(obj: &Object<'_>) -> Option<JsRecord> {
        let class = Class::<JsRecord>::from_object(obj)?;
        let inner = class.borrow().inner.clone();
        Some(JsRecord { inner })
    }

    /// The public JSON export (what `JSON.stringify(record)` gives).
    pub fn export(&self) -> Json {
        match self.inner.try_borrow() {
            Ok(r) => r.to_json(),
            Err(_) => Json::Null,
        }
    }
}

fn borrow_err<'js>(ctx: &Ctx<'js>) -> rquickjs::Error {
    throw_core(ctx, Error::Internal("the record is in use by a running save".into()))
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsRecord {
    /// `new Record(collection, data?)`
    #[qjs(constructor)]
    pub fn new<'js>(ctx: Ctx<'js>, collection: Opt<Value<'js>>, data: Opt<Value<'js>>) -> rquickjs::Result<Self> {
        let app = state(&ctx)?.app.clone();
        let Some(collection) = collection.0.filter(|c| !c.is_undefined() && !c.is_null()) else {
            // `new Record()`: a blank model, e.g. for arrayOf(new Record)
            let blank = std::sync::Arc::new(crate::core::collections::Collection::placeholder());
            return Ok(JsRecord::new_shared(Rc::new(RefCell::new(Record::placeholder(blank)))));
        };
        let c = collection::resolve(&ctx, &app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let mut record = Record::new(c);
        if let Some(data) = data.0.filter(|d| d.is_object()) {
            load(&ctx, &mut record, data)?;
        }
        Ok(JsRecord::new_shared(Rc::new(RefCell::new(record))))
    }

    #[qjs(get, rename = "id")]
    pub fn id(&self) -> String {
        self.inner.borrow().id().to_string()
    }

    #[qjs(set, rename = "id")]
    pub fn set_id(&self, id: String) {
        self.inner.borrow_mut().set_raw("id", Json::String(id));
    }

    /// A field value (`""` for passwords, the JSON text as bytes for JSON
    /// fields, `null` for unknown fields).
    pub fn get<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
        let r = self.inner.try_borrow().map_err(|_| borrow_err(&ctx))?;
        match r.collection.field(&name).map(|f| &f.kind) {
            Some(FieldKind::Password { .. }) => return convert::to_js(&ctx, &Json::String(String::new())),
            Some(FieldKind::Json { .. }) => return convert::json_raw(&ctx, r.get(&name)),
            _ => {}
        }
        match r.data.get(&name).or_else(|| r.custom.get(&name)) {
            Some(v) => convert::to_js(&ctx, v),
            None => Ok(Value::new_null(ctx.clone())),
        }
    }

    /// Sets a field value (normalised to the field type; passwords hashed).
    /// `field+`, `+field` and `field-` add/append, prepend and subtract/remove
    /// on number and multi-value fields, like in the API body.
    pub fn set<'js>(&self, ctx: Ctx<'js>, name: String, value: Value<'js>) -> rquickjs::Result<()> {
        let v = convert::to_json(value)?;
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        set_field(&mut r, &name, &v).map_err(|e| throw_core(&ctx, e))
    }

    /// Replaces this record's content with `other`'s (`recordQuery().one(record)`).
    #[qjs(rename = "__assign")]
    pub fn assign<'js>(&self, ctx: Ctx<'js>, other: Value<'js>) -> rquickjs::Result<()> {
        let Some(src) = JsRecord::shared_of(&other) else {
            return Err(throw_core(&ctx, Error::BadRequest("expected a Record".into())));
        };
        if Rc::ptr_eq(&src, &self.inner) {
            return Ok(());
        }
        let copy = src.try_borrow().map_err(|_| borrow_err(&ctx))?.clone();
        *self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))? = copy;
        Ok(())
    }

    /// Whether keys that are not fields (set with `set()`) are exported.
    /// Off by default, like PocketBase, so helper values never leak.
    pub fn with_custom_data<'js>(
        &self,
        ctx: Ctx<'js>,
        this: This<Value<'js>>,
        state: bool,
    ) -> rquickjs::Result<Value<'js>> {
        self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?.export_custom = state;
        Ok(this.0)
    }

    /// Leaves these keys out of the record's JSON (fields, custom keys,
    /// `expand`, `collectionId`, `collectionName`).
    pub fn hide<'js>(
        &self,
        ctx: Ctx<'js>,
        this: This<Value<'js>>,
        names: Rest<String>,
    ) -> rquickjs::Result<Value<'js>> {
        self.force_visibility(&ctx, names.0, false)?;
        Ok(this.0)
    }

    /// Exports these keys even when the field is marked hidden (passwords
    /// and auth tokenKeys are never exported).
    pub fn unhide<'js>(
        &self,
        ctx: Ctx<'js>,
        this: This<Value<'js>>,
        names: Rest<String>,
    ) -> rquickjs::Result<Value<'js>> {
        self.force_visibility(&ctx, names.0, true)?;
        Ok(this.0)
    }

    /// Sets several fields from an object.
    pub fn load<'js>(&self, ctx: Ctx<'js>, data: Value<'js>) -> rquickjs::Result<()> {
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        load(&ctx, &mut r, data)
    }

    /// A field value as text; a JSON field gives its JSON (`"null"` when empty).
    pub fn get_string(&self, name: String) -> String {
        let r = self.inner.borrow();
        let v = r.get(&name);
        match r.collection.field(&name).map(|f| &f.kind) {
            Some(FieldKind::Json { .. }) if !v.is_string() => v.to_string(),
            _ => values::to_string(v),
        }
    }

    pub fn get_int(&self, name: String) -> f64 {
        values::to_f64(self.inner.borrow().get(&name)).trunc()
    }

    pub fn get_float(&self, name: String) -> f64 {
        values::to_f64(self.inner.borrow().get(&name))
    }

    pub fn get_bool(&self, name: String) -> bool {
        values::to_bool(self.inner.borrow().get(&name))
    }

    pub fn email(&self) -> String {
        self.inner.borrow().email().to_string()
    }

    pub fn set_email(&self, email: String) {
        self.inner.borrow_mut().set_raw("email", Json::String(email));
    }

    pub fn verified(&self) -> bool {
        self.inner.borrow().get_bool("verified")
    }

    pub fn set_verified(&self, verified: bool) {
        self.inner.borrow_mut().set_raw("verified", Json::Bool(verified));
    }

    pub fn email_visibility(&self) -> bool {
        self.inner.borrow().get_bool("emailVisibility")
    }

    pub fn set_email_visibility(&self, visible: bool) {
        self.inner.borrow_mut().set_raw("emailVisibility", Json::Bool(visible));
    }

    pub fn token_key(&self) -> String {
        self.inner.borrow().token_key().to_string()
    }

    pub fn refresh_token_key(&self) {
        self.inner.borrow_mut().refresh_token_key();
    }

    pub fn set_password<'js>(&self, ctx: Ctx<'js>, password: String) -> rquickjs::Result<()> {
        self.inner.borrow_mut().set_password(&password).map_err(|e| throw_core(&ctx, e))
    }

    pub fn validate_password(&self, password: String) -> bool {
        self.inner.borrow().validate_password(&password)
    }

    pub fn is_new(&self) -> bool {
        self.inner.borrow().is_new()
    }

    pub fn is_superuser(&self) -> bool {
        self.inner.borrow().is_superuser()
    }

    /// The record's collection (a `Collection` object).
    pub fn collection<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let c = self.inner.borrow().collection.clone();
        collection::to_js(&ctx, &c)
    }

    pub fn table_name(&self) -> String {
        self.inner.borrow().collection.name.clone()
    }

    /// The visible fields as a plain object.
    pub fn public_export<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        convert::to_js(&ctx, &self.export())
    }

    #[qjs(rename = "toJSON")]
    pub fn to_json<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        convert::to_js(&ctx, &self.export())
    }

    /// Exports the email even when `emailVisibility` is off.
    pub fn ignore_email_visibility<'js>(
        &self,
        ctx: Ctx<'js>,
        this: This<Value<'js>>,
        state: bool,
    ) -> rquickjs::Result<Value<'js>> {
        self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?.ignore_email_visibility = state;
        Ok(this.0)
    }

    pub fn clone<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        JsRecord::instance(&ctx, self.inner.borrow().clone())
    }

    /// The record as last loaded from storage.
    pub fn original<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let r = self.inner.borrow();
        let mut copy = r.clone();
        if let Some(o) = &r.original {
            copy.data = o.clone();
        }
        JsRecord::instance(&ctx, copy)
    }

    /// The record re-read from the database.
    pub fn fresh<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let (c, id) = {
            let r = self.inner.borrow();
            (r.collection.clone(), r.original_id())
        };
        let app = app::current_app(&ctx)?;
        let fresh = app.find_record_by_id(&c, &id).map_err(|e| throw_core(&ctx, e))?;
        JsRecord::instance(&ctx, fresh)
    }

    #[qjs(rename = "toString")]
    pub fn to_string_js(&self) -> String {
        self.export().to_string()
    }
}

/// Sets one key, applying a `+`/`-` modifier when the name carries one.
fn set_field(record: &mut Record, key: &str, v: &Json) -> Result<(), Error> {
    // unknown keys are custom data (exported with the record, like
    // PocketBase's withCustomData(true))
    let known = |n: &str| record.collection.field(n).is_some();
    if !known(key) && !["+", "-"].iter().any(|m| known(key.trim_start_matches(m).trim_end_matches(m))) {
        record.custom.insert(key.to_string(), v.clone());
        return Ok(());
    }
    let modified = [
        key.strip_suffix('+').map(|n| (n, '+')),
        key.strip_prefix('+').map(|n| (n, '^')),
        key.strip_suffix('-').map(|n| (n, '-')),
    ]
    .into_iter()
    .flatten()
    .find(|(n, _)| {
        record.collection.field(n).is_some_and(|f| matches!(f.kind, FieldKind::Number { .. }) || f.is_multiple())
    });
    let Some((name, modifier)) = modified else {
        return record.set(key, v);
    };
    let field = record.collection.field(name).cloned().ok_or_else(Error::not_found)?;
    let current = record.get(name).clone();
    record.set_raw(name, values::apply_modifier(&field, &current, modifier, v));
    Ok(())
}

/// Sets each key of `data` on the record (PocketBase's `Load`).
fn load<'js>(ctx: &Ctx<'js>, record: &mut Record, data: Value<'js>) -> rquickjs::Result<()> {
    let map = convert::to_json_map(data)?;
    for (k, v) in map {
        set_field(record, &k, &v).map_err(|e| throw_core(ctx, e))?;
    }
    Ok(())
}
