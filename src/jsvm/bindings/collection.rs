//! The Rust half of `Collection` (the class itself is JS data in
//! `js_api/collection.js`): converting between the JS object and the core
//! model, and resolving "a collection or its name/id" arguments.

use std::sync::Arc;

use rquickjs::prelude::Func;
use rquickjs::{Ctx, Function, Object, Value};
use serde_json::Value as Json;

use super::convert;
use crate::core::collections::Collection;
use crate::core::collections::service::from_api_json;
use crate::core::{App, Error};
use crate::jsvm::error::{is_instance_of, throw_core};

/// Adds the natives `js_api/collection.js` uses.
pub fn install<'js>(_ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("collectionFromJson", Func::from(collection_from_json))?;
    native.set("fieldPrepareValue", Func::from(field_prepare_value))?;
    native.set("fieldValidateValue", Func::from(field_validate_value))?;
    native.set("fieldValidateSettings", Func::from(field_validate_settings))?;
    native.set("collectionDbExport", Func::from(collection_db_export))?;
    native.set("collectionRawOptions", Func::from(collection_raw_options))
}

fn field_of(ctx: &Ctx<'_>, field: Value<'_>) -> rquickjs::Result<crate::core::collections::field::Field> {
    crate::core::collections::field::Field::from_json(&convert::to_json(field)?)
        .map_err(|e| throw_core(ctx, Error::BadRequest(format!("Invalid field: {e:?}"))))
}

/// `field.validateValue(ctx, app, record)` and `validatePlainValue(v)`:
/// the `{code, message, params}` error of `raw` (normalised as the field
/// stores it) against the field's options, `null` when it is valid.
/// `plain` is the plain password of a password field.
fn field_validate_value<'js>(
    ctx: Ctx<'js>,
    field: Value<'js>,
    raw: Value<'js>,
    plain: rquickjs::prelude::Opt<Option<String>>,
) -> rquickjs::Result<Value<'js>> {
    let f = field_of(&ctx, field)?;
    let v = crate::core::records::values::normalize(&f, &convert::to_json(raw)?);
    let err = crate::core::records::validate::validate_value(&f, &v, plain.0.flatten().as_deref());
    convert::to_js(&ctx, &err.unwrap_or(Json::Null))
}

/// `field.validateSettings(ctx, app, collection)`: the collection checks of
/// the field at `index` of `collection` (the collection's other problems
/// aside); throws a validation error naming the bad options.
fn field_validate_settings<'js>(
    ctx: Ctx<'js>,
    app: Value<'js>,
    collection: Value<'js>,
    index: usize,
) -> rquickjs::Result<()> {
    let app = super::db::app_of(&ctx, &app)?;
    let c = from_js(&app, &collection).map_err(|e| throw_core(&ctx, e))?;
    let all = app.collections();
    let old = all.get(&c.id);
    let Err(Error::Validation { errors, .. }) = crate::core::collections::validate::validate(&c, old.as_deref(), &all)
    else {
        return Ok(());
    };
    let mine = errors.get("fields").and_then(|f| f.get(index.to_string())).and_then(Json::as_object);
    match mine {
        Some(errs) if !errs.is_empty() => {
            Err(throw_core(&ctx, Error::Validation { message: "Invalid field settings.".into(), errors: errs.clone() }))
        }
        _ => Ok(()),
    }
}

/// `collection.dbExport(app)`: the `_collections` row of the collection
/// (fields, indexes and options as their JSON values).
fn collection_db_export<'js>(ctx: Ctx<'js>, app: Value<'js>, collection: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let app = super::db::app_of(&ctx, &app)?;
    let c = from_js(&app, &collection).map_err(|e| throw_core(&ctx, e))?;
    let api = c.to_json();
    let mut row = serde_json::Map::new();
    for key in [
        "id",
        "type",
        "listRule",
        "viewRule",
        "createRule",
        "updateRule",
        "deleteRule",
        "name",
        "fields",
        "indexes",
        "system",
        "created",
        "updated",
    ] {
        row.insert(key.into(), api.get(key).cloned().unwrap_or(Json::Null));
    }
    row.insert("options".into(), c.options_json());
    convert::to_js(&ctx, &Json::Object(row))
}

/// `collection.rawOptions()`: the type options as stored (raw JSON bytes).
fn collection_raw_options<'js>(ctx: Ctx<'js>, app: Value<'js>, collection: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let app = super::db::app_of(&ctx, &app)?;
    let c = from_js(&app, &collection).map_err(|e| throw_core(&ctx, e))?;
    convert::json_raw(&ctx, &c.options_json())
}

/// `field.prepareValue(record, raw)`: `raw` normalised as the field stores it.
fn field_prepare_value<'js>(ctx: Ctx<'js>, field: Value<'js>, raw: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let f = crate::core::collections::field::Field::from_json(&convert::to_json(field)?)
        .map_err(|e| throw_core(&ctx, Error::BadRequest(format!("Invalid field: {e:?}"))))?;
    let v = crate::core::records::values::normalize(&f, &convert::to_json(raw)?);
    convert::to_js(&ctx, &v)
}

/// `new Collection(data)`: PocketBase's collection JSON normalised by the core.
fn collection_from_json<'js>(ctx: Ctx<'js>, data: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let json = convert::to_json(data)?;
    let c = from_api_json(&json, None).map_err(|e| throw_core(&ctx, e))?;
    convert::to_js(&ctx, &c.to_json())
}

/// A `Collection` object for `c`.
pub fn to_js<'js>(ctx: &Ctx<'js>, c: &Collection) -> rquickjs::Result<Value<'js>> {
    let json = convert::to_js(ctx, &c.to_json())?;
    let pb: Object = ctx.globals().get("__pb")?;
    let make: Function = pb.get("collectionFromJson")?;
    make.call((json,))
}

/// Puts `c`'s current state into an existing `Collection` object.
pub fn assign<'js>(ctx: &Ctx<'js>, target: &Object<'js>, c: &Collection) -> rquickjs::Result<()> {
    let json = convert::to_js(ctx, &c.to_json())?;
    let pb: Object = ctx.globals().get("__pb")?;
    let assign: Function = pb.get("assignCollection")?;
    assign.call::<_, Value>((target.clone(), json))?;
    Ok(())
}

/// Whether `v` is a JS `Collection`.
pub fn is_collection<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> bool {
    v.as_object().is_some_and(|o| is_instance_of(ctx, o, "Collection"))
}

/// Whether a `Collection` object comes from `new Collection()` and was not
/// saved yet (saving it creates, never updates).
pub fn is_new(v: &Value<'_>) -> bool {
    v.as_object().and_then(|o| o.get::<_, Option<bool>>("__pbNew").ok().flatten()).unwrap_or(false)
}

/// The core model of a JS `Collection` object; unless it is new, an
/// existing collection with the same id is the base (so it is an update).
pub fn from_js<'js>(app: &App, v: &Value<'js>) -> Result<Collection, Error> {
    let json = convert::to_json(v.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    if is_new(v) {
        return from_api_json(&json, None);
    }
    let existing = json
        .get("id")
        .and_then(Json::as_str)
        .filter(|id| !id.is_empty())
        .and_then(|id| app.collections().get(id))
        .filter(|c| json.get("id").and_then(Json::as_str) == Some(c.id.as_str()));
    from_api_json(&json, existing.as_deref())
}

/// A collection argument: a name or id, or a `Collection` object (looked up
/// by id in the cache, or built from its data when unsaved).
pub fn resolve<'js>(ctx: &Ctx<'js>, app: &App, v: &Value<'js>) -> Result<Arc<Collection>, Error> {
    if let Some(s) = v.as_string() {
        let name = s.to_string().map_err(|e| Error::BadRequest(e.to_string()))?;
        return app.find_collection(&name);
    }
    if is_collection(ctx, v) {
        let obj = v.as_object().ok_or_else(Error::not_found)?;
        let id: Option<String> = obj.get("id").ok().flatten();
        if let Some(c) = id.and_then(|id| app.collections().get(&id)) {
            return Ok(c);
        }
        return from_js(app, v).map(Arc::new);
    }
    Err(Error::BadRequest("Expected a collection or a collection name or id.".into()))
}
