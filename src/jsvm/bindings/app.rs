//! `$app` (and `e.app`): the core `App` seen from JS. An instance is bound
//! to one `App` handle, which inside a hook may be transaction-bound, so
//! `e.app.save(...)` joins the running transaction like in PocketBase.

use rquickjs::class::Trace;
use rquickjs::prelude::{Opt, Rest};
use rquickjs::{Array, Class, Ctx, Function, JsLifetime, Value};
use serde_json::{Map, Value as Json};

use super::collection::{self, is_collection};
use super::logger::JsLogger;
use super::realtime::JsBroker;
use super::record::JsRecord;
use super::store::JsStore;
use super::{convert, state};
use crate::core::collections::validate;
use crate::core::events::{CollectionEvent, RecordEvent};
use crate::core::records::Record;
use crate::core::{App, Error};
use crate::jsvm::error::throw_core;

/// The JS `$app` object.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "PocketBase")]
pub struct JsApp {
    #[qjs(skip_trace)]
    pub app: App,
}

impl JsApp {
    /// Binds an app handle.
    pub fn new(app: App) -> Self {
        JsApp { app }
    }

    /// A JS `$app`-like object for `app`.
    pub fn instance<'js>(ctx: &Ctx<'js>, app: &App) -> rquickjs::Result<Value<'js>> {
        Ok(Class::instance(ctx.clone(), JsApp::new(app.clone()))?.into_value())
    }
}

/// The app of the current global `$app` (transaction-bound inside hooks).
pub fn current_app<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<App> {
    let v: Value = ctx.globals().get("$app")?;
    if let Some(a) = v.as_object().and_then(Class::<JsApp>::from_object) {
        return Ok(a.borrow().app.clone());
    }
    Ok(state(ctx)?.app.clone())
}

fn records_array<'js>(ctx: &Ctx<'js>, records: Vec<Record>) -> rquickjs::Result<Value<'js>> {
    let arr = Array::new(ctx.clone())?;
    for (i, r) in records.into_iter().enumerate() {
        arr.set(i, JsRecord::instance(ctx, r)?)?;
    }
    Ok(arr.into_value())
}

/// `{:name}` params from any number of objects (later ones win).
fn merge_params(params: Vec<Value<'_>>) -> rquickjs::Result<Map<String, Json>> {
    let mut out = Map::new();
    for p in params {
        out.extend(convert::to_json_map(p)?);
    }
    Ok(out)
}

/// The AND of `$dbx` expression arguments.
fn exprs<'js>(ctx: &Ctx<'js>, values: Vec<Value<'js>>) -> rquickjs::Result<Option<crate::db::dbx::Expr>> {
    super::db::exprs_from_js(values).map_err(|e| throw_core(ctx, e))
}

/// Calls `__pb.<name>(args)` (JS-side constructors of `$app` helpers).
fn pb_call<'js, A: rquickjs::function::IntoArgs<'js>>(
    ctx: &Ctx<'js>,
    name: &str,
    args: A,
) -> rquickjs::Result<Value<'js>> {
    let pb: rquickjs::Object = ctx.globals().get("__pb")?;
    let f: Function = pb.get(name)?;
    f.call(args)
}

#[rquickjs::methods(rename_all = "camelCase")]
impl JsApp {
    pub fn find_collection_by_name_or_id<'js>(
        &self,
        ctx: Ctx<'js>,
        name_or_id: String,
    ) -> rquickjs::Result<Value<'js>> {
        let c = self.app.find_collection(&name_or_id).map_err(|e| throw_core(&ctx, e))?;
        collection::to_js(&ctx, &c)
    }

    pub fn find_cached_collection_by_name_or_id<'js>(
        &self,
        ctx: Ctx<'js>,
        name_or_id: String,
    ) -> rquickjs::Result<Value<'js>> {
        self.find_collection_by_name_or_id(ctx, name_or_id)
    }

    /// All collections, optionally only of the given types.
    pub fn find_all_collections<'js>(&self, ctx: Ctx<'js>, types: Rest<String>) -> rquickjs::Result<Value<'js>> {
        let arr = Array::new(ctx.clone())?;
        let all = self.app.collections();
        let matching = all.all().iter().filter(|c| types.0.is_empty() || types.0.iter().any(|t| t == c.kind.as_str()));
        for (i, c) in matching.enumerate() {
            arr.set(i, collection::to_js(&ctx, c)?)?;
        }
        Ok(arr.into_value())
    }

    pub fn find_record_by_id<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        id: String,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let r = self.app.find_record_by_id(&c, &id).map_err(|e| throw_core(&ctx, e))?;
        JsRecord::instance(&ctx, r)
    }

    pub fn find_records_by_ids<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        ids: Vec<String>,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let list = self.app.find_records_by_ids(&c, &ids).map_err(|e| throw_core(&ctx, e))?;
        records_array(&ctx, list)
    }

    /// `findRecordsByFilter(collection, filter, sort?, limit?, offset?, ...params)`
    #[allow(clippy::too_many_arguments)]
    pub fn find_records_by_filter<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        filter: String,
        sort: Opt<String>,
        limit: Opt<f64>,
        offset: Opt<f64>,
        params: Rest<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let params = merge_params(params.0)?;
        let list = self
            .app
            .find_records_by_filter(
                &c,
                &filter,
                &sort.0.unwrap_or_default(),
                limit.0.unwrap_or(0.0) as i64,
                offset.0.unwrap_or(0.0) as i64,
                Some(&params),
            )
            .map_err(|e| throw_core(&ctx, e))?;
        records_array(&ctx, list)
    }

    /// `findFirstRecordByFilter(collection, filter, ...params)`: 404 when none.
    pub fn find_first_record_by_filter<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        filter: String,
        params: Rest<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let params = merge_params(params.0)?;
        let first = self
            .app
            .find_records_by_filter(&c, &filter, "", 1, 0, Some(&params))
            .map_err(|e| throw_core(&ctx, e))?
            .into_iter()
            .next()
            .ok_or_else(|| throw_core(&ctx, Error::not_found()))?;
        JsRecord::instance(&ctx, first)
    }

    pub fn find_first_record_by_data<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        key: String,
        value: Value<'js>,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let v = convert::to_json(value)?;
        let r = self.app.find_first_record_by_data(&c, &key, &v).map_err(|e| throw_core(&ctx, e))?;
        JsRecord::instance(&ctx, r)
    }

    /// `findAllRecords(collection, ...exprs)` with `$dbx` expressions.
    pub fn find_all_records<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        filters: Rest<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let filter = exprs(&ctx, filters.0)?;
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let list = self.app.find_records_by_expr(&c, filter.as_ref(), &[], 0, 0).map_err(|e| throw_core(&ctx, e))?;
        records_array(&ctx, list)
    }

    /// `countRecords(collection, ...exprs)` with `$dbx` expressions.
    pub fn count_records<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        filters: Rest<Value<'js>>,
    ) -> rquickjs::Result<f64> {
        let filter = exprs(&ctx, filters.0)?;
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let n = self.app.count_records_by_expr(&c, filter.as_ref()).map_err(|e| throw_core(&ctx, e))?;
        Ok(n as f64)
    }

    /// `recordQuery(collection)`: a builder with `andWhere($dbx…)`,
    /// `orderBy`, `limit`, `offset`, `all(records)` and `one(record)`.
    pub fn record_query<'js>(&self, ctx: Ctx<'js>, collection: Value<'js>) -> rquickjs::Result<Value<'js>> {
        let app = JsApp::instance(&ctx, &self.app)?;
        pb_call(&ctx, "newRecordQuery", (app, collection))
    }

    /// A mail client for the current SMTP settings (`send(message)`).
    pub fn new_mail_client<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let app = JsApp::instance(&ctx, &self.app)?;
        pb_call(&ctx, "newMailClient", (app,))
    }

    /// `$app.rootCmd.addCommand(new Command({...}))` adds `ferrobase <name>`.
    #[qjs(get, rename = "rootCmd")]
    pub fn root_cmd<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let pb: rquickjs::Object = ctx.globals().get("__pb")?;
        pb.get("rootCmd")
    }

    /// The auth record of a token (`types` default to `auth`).
    pub fn find_auth_record_by_token<'js>(
        &self,
        ctx: Ctx<'js>,
        token: String,
        types: Rest<String>,
    ) -> rquickjs::Result<Value<'js>> {
        use crate::core::auth::tokens::TokenType;
        let kinds: Vec<TokenType> = if types.0.is_empty() {
            vec![TokenType::Auth]
        } else {
            types
                .0
                .iter()
                .filter_map(|t| match t.as_str() {
                    "auth" => Some(TokenType::Auth),
                    "file" => Some(TokenType::File),
                    "verification" => Some(TokenType::Verification),
                    "passwordReset" => Some(TokenType::PasswordReset),
                    "emailChange" => Some(TokenType::EmailChange),
                    _ => None,
                })
                .collect()
        };
        let mut last = Error::Unauthorized("The request requires valid record authorization token.".into());
        for kind in kinds {
            match self.app.find_auth_record_by_token(&token, kind) {
                Ok(r) => return JsRecord::instance(&ctx, r),
                Err(e) => last = e,
            }
        }
        Err(throw_core(&ctx, last))
    }

    pub fn find_auth_record_by_email<'js>(
        &self,
        ctx: Ctx<'js>,
        collection: Value<'js>,
        email: String,
    ) -> rquickjs::Result<Value<'js>> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let r = self.app.find_auth_record_by_field(&c, "email", &email).map_err(|e| throw_core(&ctx, e))?;
        JsRecord::instance(&ctx, r)
    }

    /// Validates and saves a `Record` or a `Collection`, running its hooks.
    pub fn save<'js>(&self, ctx: Ctx<'js>, model: Value<'js>) -> rquickjs::Result<()> {
        self.save_model(&ctx, model, true)
    }

    /// Saves without the validate hooks.
    pub fn save_no_validate<'js>(&self, ctx: Ctx<'js>, model: Value<'js>) -> rquickjs::Result<()> {
        self.save_model(&ctx, model, false)
    }

    /// Deletes a `Record` or a `Collection`. Deleting an already deleted
    /// record is not an error (PocketBase).
    pub fn delete<'js>(&self, ctx: Ctx<'js>, model: Value<'js>) -> rquickjs::Result<()> {
        let budget = state(&ctx)?.budget.clone();
        if let Some(shared) = JsRecord::shared_of(&model) {
            let rec = shared.borrow().clone();
            return match budget.paused(|| self.app.delete_record(&rec)) {
                Ok(()) | Err(Error::NotFound(_)) => Ok(()),
                Err(e) => Err(throw_core(&ctx, e)),
            };
        }
        if is_collection(&ctx, &model) {
            let c = collection::resolve(&ctx, &self.app, &model).map_err(|e| throw_core(&ctx, e))?;
            return budget.paused(|| self.app.delete_collection(&c)).map_err(|e| throw_core(&ctx, e));
        }
        Err(throw_core(&ctx, Error::BadRequest("delete() expects a Record or a Collection.".into())))
    }

    /// Runs the validate hooks and checks of a `Record` or `Collection`.
    pub fn validate<'js>(&self, ctx: Ctx<'js>, model: Value<'js>) -> rquickjs::Result<()> {
        let budget = state(&ctx)?.budget.clone();
        if let Some(shared) = JsRecord::shared_of(&model) {
            let placeholder = Record::placeholder(shared.borrow().collection.clone());
            let record = std::mem::replace(&mut *shared.borrow_mut(), placeholder);
            let mut ev = RecordEvent::new(&self.app, record);
            let res = budget.paused(|| {
                self.app.hooks().on_record_validate.trigger(&mut ev, &mut |e| e.app.validate_record(&e.record))
            });
            *shared.borrow_mut() = ev.record;
            return res.map_err(|e| throw_core(&ctx, e));
        }
        if is_collection(&ctx, &model) {
            let c = collection::from_js(&self.app, &model).map_err(|e| throw_core(&ctx, e))?;
            let mut ev = CollectionEvent::new(&self.app, c);
            let res = budget.paused(|| {
                self.app.hooks().on_collection_validate.trigger(&mut ev, &mut |e| {
                    let all = e.app.collections();
                    let old = all.get(&e.collection.id);
                    validate::validate(&e.collection, old.as_deref(), &all)
                })
            });
            return res.map_err(|e| throw_core(&ctx, e));
        }
        Err(throw_core(&ctx, Error::BadRequest("validate() expects a Record or a Collection.".into())))
    }

    /// Runs `fn(txApp)` in a transaction: committed when it returns,
    /// rolled back (and the exception rethrown) when it throws.
    pub fn run_in_transaction<'js>(&self, ctx: Ctx<'js>, f: Function<'js>) -> rquickjs::Result<()> {
        let mut thrown: Option<Value<'js>> = None;
        let res = self.app.run_in_transaction(|tx| {
            let tx_app = JsApp::instance(&ctx, tx).map_err(|e| Error::Internal(e.to_string()))?;
            match f.call::<_, Value>((tx_app,)) {
                Ok(_) => Ok(()),
                Err(rquickjs::Error::Exception) => {
                    thrown = Some(ctx.catch());
                    Err(Error::Internal("the transaction callback threw".into()))
                }
                Err(e) => Err(Error::Internal(e.to_string())),
            }
        });
        if let Some(v) = thrown {
            return Err(ctx.throw(v));
        }
        res.map_err(|e| throw_core(&ctx, e))
    }

    pub fn is_transactional(&self) -> bool {
        self.app.is_transactional()
    }

    pub fn is_dev(&self) -> bool {
        self.app.config().dev
    }

    pub fn data_dir(&self) -> String {
        self.app.data_dir().to_string_lossy().into_owned()
    }

    /// The app-wide key/value store shared by all runtimes.
    pub fn store(&self) -> JsStore {
        JsStore::new(self.app.clone())
    }

    /// The app logger (`info/warn/error/debug(message, ...keyValues)`).
    pub fn logger(&self) -> JsLogger {
        JsLogger::new(self.app.clone())
    }

    /// The realtime subscriptions broker.
    pub fn subscriptions_broker(&self) -> JsBroker {
        JsBroker::new(&self.app)
    }
}

impl JsApp {
    fn save_model<'js>(&self, ctx: &Ctx<'js>, model: Value<'js>, validate: bool) -> rquickjs::Result<()> {
        let budget = state(ctx)?.budget.clone();
        if let Some(shared) = JsRecord::shared_of(&model) {
            // the record leaves the shared cell while the save (and its
            // hooks on other runtimes) runs, and comes back saved
            let placeholder = Record::placeholder(shared.borrow().collection.clone());
            let mut record = std::mem::replace(&mut *shared.borrow_mut(), placeholder);
            let res = budget.paused(|| {
                if validate { self.app.save_record(&mut record) } else { self.app.save_record_no_validate(&mut record) }
            });
            *shared.borrow_mut() = record;
            return res.map_err(|e| throw_core(ctx, e));
        }
        if is_collection(ctx, &model) {
            let c = collection::from_js(&self.app, &model).map_err(|e| throw_core(ctx, e))?;
            let saved = if collection::is_new(&model) {
                budget.paused(|| self.app.create_collection(c))
            } else {
                budget.paused(|| self.app.save_collection(c))
            }
            .map_err(|e| throw_core(ctx, e))?;
            if let Some(obj) = model.as_object() {
                collection::assign(ctx, obj, &saved)?;
            }
            return Ok(());
        }
        Err(throw_core(ctx, Error::BadRequest("save() expects a Record or a Collection.".into())))
    }
}
