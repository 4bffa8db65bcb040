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
    /// `File` objects (alone or in an array) are attached to the record and
    /// stored when it is saved.
    pub fn set<'js>(&self, ctx: Ctx<'js>, name: String, value: Value<'js>) -> rquickjs::Result<()> {
        let (v, files) = match super::files::extract_files(&value)? {
            Some((names, files)) => (names, files),
            None => (convert::to_json(value)?, Vec::new()),
        };
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        r.attach_files(files);
        set_field(&mut r, &name, &v).map_err(|e| throw_core(&ctx, e))
    }

    /// The new files a file field refers to (`getUnsavedFiles`).
    pub fn get_unsaved_files<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<rquickjs::Array<'js>> {
        let files = self.inner.try_borrow().map_err(|_| borrow_err(&ctx))?.unsaved_files(&name);
        let arr = rquickjs::Array::new(ctx.clone())?;
        for (i, f) in files.into_iter().enumerate() {
            arr.set(i, super::files::JsFile::instance(&ctx, f)?)?;
        }
        Ok(arr)
    }

    /// The deprecated name of [`Self::get_unsaved_files`] (PocketBase keeps both).
    #[qjs(rename = "getUploadedFiles")]
    pub fn get_uploaded_files<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<rquickjs::Array<'js>> {
        self.get_unsaved_files(ctx, name)
    }

    /// The plain text last set on a password field (for `validateValue`).
    #[qjs(rename = "__plainPassword")]
    pub fn plain_password(&self, name: String) -> Option<String> {
        self.inner.borrow().plain_passwords.get(&name).and_then(serde_json::Value::as_str).map(str::to_string)
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

    /// The stored value of a key (a field or custom data) as is: a JSON
    /// field's parsed value, a password field's hash.
    pub fn get_raw<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
        let r = self.inner.try_borrow().map_err(|_| borrow_err(&ctx))?;
        match r.data.get(&name).or_else(|| r.custom.get(&name)) {
            Some(v) => convert::to_js(&ctx, v),
            None => Ok(Value::new_null(ctx.clone())),
        }
    }

    /// Sets a key without normalising the value (no hashing, no modifiers).
    pub fn set_raw<'js>(&self, ctx: Ctx<'js>, name: String, value: Value<'js>) -> rquickjs::Result<()> {
        let v = convert::to_json(value)?;
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        if r.collection.field(&name).is_some() {
            r.set_raw(&name, v);
        } else {
            r.custom.insert(name, v);
        }
        Ok(())
    }

    /// Sets the value only when the collection has that field (modifiers
    /// allowed); returns the field, or null when there is none.
    pub fn set_if_field_exists<'js>(
        &self,
        ctx: Ctx<'js>,
        name: String,
        value: Value<'js>,
    ) -> rquickjs::Result<Value<'js>> {
        let v = convert::to_json(value)?;
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        let base =
            ["+", "-"].iter().fold(name.as_str(), |n, m| n.trim_start_matches(m).trim_end_matches(m)).to_string();
        let Some(field) = r.collection.field(&base).map(|f| f.to_json()) else {
            return Ok(Value::new_null(ctx.clone()));
        };
        set_field(&mut r, &name, &v).map_err(|e| throw_core(&ctx, e))?;
        convert::to_js(&ctx, &field)
    }

    /// A field value as a `DateTime` (the zero time when empty or invalid).
    pub fn get_date_time<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
        let text = values::to_string(self.inner.try_borrow().map_err(|_| borrow_err(&ctx))?.get(&name));
        let pb: Object = ctx.globals().get("__pb")?;
        let make: rquickjs::Function = pb.get("dateTimeOf")?;
        make.call((text,))
    }

    /// A field value as a list of unique, non-empty strings (a single value
    /// becomes a one-item list, a JSON array string its items).
    pub fn get_string_slice(&self, name: String) -> Vec<String> {
        values::to_string_list(self.inner.borrow().get(&name))
    }

    /// A geoPoint field value as `{lon, lat}` (zeros when unset).
    pub fn get_geo_point<'js>(&self, ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
        let v = self.inner.borrow().get(&name).clone();
        let num = |k: &str| v.get(k).map(values::to_f64).unwrap_or(0.0);
        convert::to_js(&ctx, &serde_json::json!({"lon": num("lon"), "lat": num("lat")}))
    }

    /// Same as `getInt` (JS numbers are doubles).
    pub fn get_int64(&self, name: String) -> f64 {
        values::to_f64(self.inner.borrow().get(&name)).trunc()
    }

    /// Marks the record as not stored: saving it inserts.
    pub fn mark_as_new(&self) {
        self.inner.borrow_mut().original = None;
    }

    /// Marks the record as stored: saving it updates the row with its id.
    pub fn mark_as_not_new(&self) {
        let mut r = self.inner.borrow_mut();
        let data = r.data.clone();
        r.original = Some(data);
    }

    /// As after a database read: not new, its current values the original
    /// ones (what `original()` and change checks compare with).
    #[qjs(rename = "postScan")]
    pub fn post_scan(&self) {
        self.mark_as_not_new();
    }

    /// The primary key (the id).
    pub fn pk(&self) -> String {
        self.inner.borrow().id().to_string()
    }

    /// The id the record was last saved with (`""` when new).
    #[qjs(rename = "lastSavedPK")]
    pub fn last_saved_pk(&self) -> String {
        let r = self.inner.borrow();
        if r.is_new() { String::new() } else { r.original_id() }
    }

    /// `[collectionId, collectionName]`: the tags the record's hooks match.
    pub fn hook_tags(&self) -> Vec<String> {
        let r = self.inner.borrow();
        vec![r.collection.id.clone(), r.collection.name.clone()]
    }

    /// `collectionId/recordId`: where the record's files are stored.
    pub fn base_files_path(&self) -> String {
        let r = self.inner.borrow();
        format!("{}/{}", r.collection.id, r.id())
    }

    /// The file field holding `filename`, or null.
    pub fn find_file_field_by_file<'js>(&self, ctx: Ctx<'js>, filename: String) -> rquickjs::Result<Value<'js>> {
        let r = self.inner.borrow();
        let found = r.collection.fields.iter().find(|f| {
            matches!(f.kind, FieldKind::File { .. }) && values::to_string_list(r.get(&f.name)).contains(&filename)
        });
        match found {
            Some(f) => convert::to_js(&ctx, &f.to_json()),
            None => Ok(Value::new_null(ctx.clone())),
        }
    }

    /// The values of the keys that are not fields (set with `set()`).
    pub fn custom_data<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        convert::to_js(&ctx, &Json::Object(self.inner.borrow().custom.clone()))
    }

    /// The field values as stored (hidden fields and hashes included).
    pub fn fields_data<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let r = self.inner.borrow();
        let mut m = serde_json::Map::new();
        for f in &r.collection.fields {
            m.insert(f.name.clone(), r.get(&f.name).clone());
        }
        convert::to_js(&ctx, &Json::Object(m))
    }

    /// The column values written to the database.
    pub fn db_export<'js>(&self, ctx: Ctx<'js>, _app: Opt<Value<'js>>) -> rquickjs::Result<Value<'js>> {
        self.fields_data(ctx)
    }

    /// The public JSON as bytes.
    #[qjs(rename = "marshalJSON")]
    pub fn marshal_json<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        convert::json_raw(&ctx, &self.export())
    }

    /// Loads fields from JSON text (a string or its bytes).
    #[qjs(rename = "unmarshalJSON")]
    pub fn unmarshal_json<'js>(&self, ctx: Ctx<'js>, data: Value<'js>) -> rquickjs::Result<()> {
        let json = json_text_arg(&ctx, data)?;
        let Json::Object(map) = json else {
            return Err(throw_core(&ctx, Error::BadRequest("unmarshalJSON expects a JSON object.".into())));
        };
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        for (k, v) in map {
            set_field(&mut r, &k, &v).map_err(|e| throw_core(&ctx, e))?;
        }
        Ok(())
    }

    /// Sets one field from its JSON text (a string or its bytes).
    #[qjs(rename = "unmarshalJSONField")]
    pub fn unmarshal_json_field<'js>(&self, ctx: Ctx<'js>, key: String, data: Value<'js>) -> rquickjs::Result<()> {
        let json = json_text_arg(&ctx, data)?;
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        set_field(&mut r, &key, &json).map_err(|e| throw_core(&ctx, e))
    }

    /// `data` with `field+`, `+field` and `field-` keys replaced by the
    /// field's resulting value (the record is not changed).
    pub fn replace_modifiers<'js>(&self, ctx: Ctx<'js>, data: Value<'js>) -> rquickjs::Result<Value<'js>> {
        let data = convert::to_json_map(data)?;
        let mut copy = self.inner.try_borrow().map_err(|_| borrow_err(&ctx))?.clone();
        let mut out = serde_json::Map::new();
        for (k, v) in data {
            let base =
                ["+", "-"].iter().fold(k.as_str(), |n, m| n.trim_start_matches(m).trim_end_matches(m)).to_string();
            if base != k && copy.collection.field(&base).is_some() {
                set_field(&mut copy, &k, &v).map_err(|e| throw_core(&ctx, e))?;
                out.insert(base.clone(), copy.get(&base).clone());
            } else {
                out.insert(k, v);
            }
        }
        convert::to_js(&ctx, &Json::Object(out))
    }

    /// Sets a random 30 characters password and returns it.
    pub fn set_random_password<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<String> {
        let plain = crate::core::security::random_string(30);
        self.inner
            .try_borrow_mut()
            .map_err(|_| borrow_err(&ctx))?
            .set_password(&plain)
            .map_err(|e| throw_core(&ctx, e))?;
        Ok(plain)
    }

    /// Sets the auth record's tokenKey (invalidating its other tokens once saved).
    pub fn set_token_key(&self, key: String) {
        self.inner.borrow_mut().set_raw("tokenKey", Json::String(key));
    }

    /// The expanded relations: `{field: Record | Record[]}`.
    pub fn expand<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let expand = self.inner.borrow().expand.clone();
        let obj = Object::new(ctx.clone())?;
        for (k, v) in expand {
            obj.set(k, expanded_to_js(&ctx, &v)?)?;
        }
        Ok(obj.into_value())
    }

    /// Replaces the expanded relations (`{field: Record | Record[]}`).
    pub fn set_expand<'js>(&self, ctx: Ctx<'js>, expand: Value<'js>) -> rquickjs::Result<()> {
        let map = convert::to_json_map(expand)?;
        self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?.expand = map;
        Ok(())
    }

    /// Merges expanded relations into the current ones (records with the
    /// same id get their own expands merged).
    pub fn merge_expand<'js>(&self, ctx: Ctx<'js>, expand: Value<'js>) -> rquickjs::Result<()> {
        let map = convert::to_json_map(expand)?;
        let mut r = self.inner.try_borrow_mut().map_err(|_| borrow_err(&ctx))?;
        merge_expand_maps(&mut r.expand, map);
        Ok(())
    }

    /// The single record expanded under `relField` (the first of a list), or null.
    pub fn expanded_one<'js>(&self, ctx: Ctx<'js>, rel_field: String) -> rquickjs::Result<Value<'js>> {
        let v = self.inner.borrow().expand.get(&rel_field).cloned();
        let one = match v {
            Some(Json::Array(a)) => a.into_iter().next(),
            Some(o @ Json::Object(_)) => Some(o),
            _ => None,
        };
        match one {
            Some(o) => record_from_export(&ctx, &o),
            None => Ok(Value::new_null(ctx.clone())),
        }
    }

    /// The records expanded under `relField` (a single one as a list).
    pub fn expanded_all<'js>(&self, ctx: Ctx<'js>, rel_field: String) -> rquickjs::Result<Vec<Value<'js>>> {
        let v = self.inner.borrow().expand.get(&rel_field).cloned();
        let list = match v {
            Some(Json::Array(a)) => a,
            Some(o @ Json::Object(_)) => vec![o],
            _ => Vec::new(),
        };
        list.iter().map(|o| record_from_export(&ctx, o)).collect()
    }

    /// A new auth token (what auth-with-password returns).
    pub fn new_auth_token<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        app::current_app(&ctx)?.new_auth_token(&r).map_err(|e| throw_core(&ctx, e))
    }

    /// A non-refreshable auth token valid for `duration` (Go nanoseconds;
    /// 0 or less: the collection's auth token duration).
    pub fn new_static_auth_token<'js>(&self, ctx: Ctx<'js>, duration: Opt<f64>) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        let secs = duration.0.map(|ns| (ns / 1e9) as i64).filter(|s| *s > 0);
        let mut extra = serde_json::Map::new();
        extra.insert("refreshable".into(), Json::Bool(false));
        app::current_app(&ctx)?
            .new_record_token(&r, crate::core::auth::tokens::TokenType::Auth, secs, extra)
            .map_err(|e| throw_core(&ctx, e))
    }

    /// A verification token for the record's email.
    pub fn new_verification_token<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        app::current_app(&ctx)?.new_verification_token(&r).map_err(|e| throw_core(&ctx, e))
    }

    /// A password reset token.
    pub fn new_password_reset_token<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        app::current_app(&ctx)?.new_password_reset_token(&r).map_err(|e| throw_core(&ctx, e))
    }

    /// An email change token for `newEmail`.
    pub fn new_email_change_token<'js>(&self, ctx: Ctx<'js>, new_email: String) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        app::current_app(&ctx)?.new_email_change_token(&r, &new_email).map_err(|e| throw_core(&ctx, e))
    }

    /// A token for protected files.
    pub fn new_file_token<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<String> {
        let r = self.inner.borrow().clone();
        app::current_app(&ctx)?
            .new_record_token(&r, crate::core::auth::tokens::TokenType::File, None, serde_json::Map::new())
            .map_err(|e| throw_core(&ctx, e))
    }

    #[qjs(rename = "toString")]
    pub fn to_string_js(&self) -> String {
        self.export().to_string()
    }
}

/// The JSON of a `unmarshalJSON*` argument: JSON text or its bytes.
fn json_text_arg<'js>(ctx: &Ctx<'js>, data: Value<'js>) -> rquickjs::Result<Json> {
    let text = match data.as_string() {
        Some(s) => s.to_string()?,
        None => {
            let bytes: Vec<u8> = match convert::to_json(data)? {
                Json::Array(a) => a.iter().map(|b| b.as_u64().unwrap_or(0) as u8).collect(),
                other => other.to_string().into_bytes(),
            };
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    serde_json::from_str(&text).map_err(|e| throw_core(ctx, Error::BadRequest(format!("Invalid JSON: {e}"))))
}

/// An expanded value (a record export or a list of them) as `Record`s.
fn expanded_to_js<'js>(ctx: &Ctx<'js>, v: &Json) -> rquickjs::Result<Value<'js>> {
    match v {
        Json::Array(a) => {
            let arr = rquickjs::Array::new(ctx.clone())?;
            for (i, item) in a.iter().enumerate() {
                arr.set(i, record_from_export(ctx, item)?)?;
            }
            Ok(arr.into_value())
        }
        Json::Object(_) => record_from_export(ctx, v),
        _ => Ok(Value::new_null(ctx.clone())),
    }
}

/// A `Record` from its exported JSON (as kept under `expand`): the
/// collection by `collectionId`, its fields' values and its own expand.
fn record_from_export<'js>(ctx: &Ctx<'js>, v: &Json) -> rquickjs::Result<Value<'js>> {
    let app = app::current_app(ctx)?;
    let cid = v.get("collectionId").and_then(Json::as_str).unwrap_or_default();
    let Some(c) = app.collections().get(cid) else {
        return convert::to_js(ctx, v);
    };
    let mut data = serde_json::Map::new();
    for f in &c.fields {
        if let Some(x) = v.get(&f.name) {
            data.insert(f.name.clone(), x.clone());
        }
    }
    let mut r = Record::from_stored(c, data);
    if let Some(Json::Object(e)) = v.get("expand") {
        r.expand = e.clone();
    }
    JsRecord::instance(ctx, r)
}

/// Merges expand maps: lists are joined by record id, records with the same
/// id get their own `expand` merged, anything else is replaced.
fn merge_expand_maps(dst: &mut serde_json::Map<String, Json>, src: serde_json::Map<String, Json>) {
    fn id_of(v: &Json) -> Option<&str> {
        v.get("id").and_then(Json::as_str)
    }
    fn merge_one(dst: &mut Json, src: Json) {
        if let (Some(Json::Object(de)), Some(Json::Object(se))) = (
            dst.as_object_mut().map(|o| o.entry("expand").or_insert_with(|| Json::Object(Default::default()))),
            src.get("expand").cloned(),
        ) {
            merge_expand_maps(de, se);
        }
    }
    for (k, v) in src {
        match (dst.get_mut(&k), v) {
            (Some(cur @ Json::Object(_)), v @ Json::Object(_)) if id_of(cur).is_some() && id_of(cur) == id_of(&v) => {
                merge_one(cur, v)
            }
            (Some(Json::Array(cur)), Json::Array(items)) => {
                for item in items {
                    match cur.iter_mut().find(|c| id_of(c).is_some() && id_of(c) == id_of(&item)) {
                        Some(existing) => merge_one(existing, item),
                        None => cur.push(item),
                    }
                }
            }
            (_, v) => {
                dst.insert(k, v);
            }
        }
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
    let mut with_files = Vec::new();
    if let Some(obj) = data.as_object() {
        for entry in obj.props::<String, Value>() {
            let (k, v) = entry?;
            if let Some((names, files)) = super::files::extract_files(&v)? {
                record.attach_files(files);
                set_field(record, &k, &names).map_err(|e| throw_core(ctx, e))?;
                with_files.push(k);
            }
        }
    }
    let map = convert::to_json_map(data)?;
    for (k, v) in map {
        if !with_files.contains(&k) {
            set_field(record, &k, &v).map_err(|e| throw_core(ctx, e))?;
        }
    }
    Ok(())
}
