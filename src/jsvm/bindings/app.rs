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

/// A core `RequestInfo` from a JS request info object (`e.requestInfo()`
/// or `new RequestInfo({...})`): query, headers, body, auth, method, context.
pub fn request_info_from_js(v: &Value<'_>) -> rquickjs::Result<crate::core::request::RequestInfo> {
    let mut req = crate::core::request::RequestInfo::default();
    let Some(obj) = v.as_object() else {
        return Ok(req);
    };
    let map_of = |key: &str| -> rquickjs::Result<Map<String, Json>> {
        let v: Value = obj.get(key)?;
        if v.is_object() { convert::to_json_map(v) } else { Ok(Map::new()) }
    };
    req.query = std::sync::Arc::new(map_of("query")?);
    req.headers = std::sync::Arc::new(map_of("headers")?);
    req.body = map_of("body")?;
    req.method = obj.get::<_, Option<String>>("method")?.unwrap_or_default().to_uppercase();
    req.context = obj.get::<_, Option<String>>("context")?.unwrap_or_default();
    let auth: Value = obj.get("auth")?;
    req.auth = JsRecord::shared_of(&auth).map(|s| std::sync::Arc::new(s.borrow().clone()));
    Ok(req)
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

    /// `$app.newFilesystem()`: the record files storage (local or S3).
    pub fn new_filesystem<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let fs = self.app.new_filesystem().map_err(|e| throw_core(&ctx, e))?;
        super::files::JsFilesystem::instance(&ctx, fs)
    }

    /// `$app.newBackupsFilesystem()`: the backups storage (local or S3).
    pub fn new_backups_filesystem<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        let fs = self.app.new_backups_filesystem().map_err(|e| throw_core(&ctx, e))?;
        super::files::JsFilesystem::instance(&ctx, fs)
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

    /// The same app (and transaction) with no hooks running on saves,
    /// deletes and validations (PocketBase's `unsafeWithoutHooks`).
    pub fn unsafe_without_hooks<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        JsApp::instance(&ctx, &self.app.unsafe_without_hooks())
    }

    /// Always true: hooks only run in a bootstrapped app.
    pub fn is_bootstrapped(&self) -> bool {
        true
    }

    /// The name of the env variable holding the settings encryption key
    /// (`--encryptionEnv`), `""` when not set.
    pub fn encryption_env(&self) -> String {
        self.app.config().encryption_env.clone().unwrap_or_default()
    }

    /// Re-reads the settings from the database (firing `onSettingsReload`).
    pub fn reload_settings<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<()> {
        let budget = state(&ctx)?.budget.clone();
        budget.paused(|| self.app.reload_settings()).map_err(|e| throw_core(&ctx, e))
    }

    /// Re-reads the collections cache from the database.
    pub fn reload_cached_collections<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<()> {
        self.app.reload_collections().map_err(|e| throw_core(&ctx, e))
    }

    /// Deletes every record of a collection (with their delete hooks and
    /// cascades, like PocketBase); a view collection is an error.
    pub fn truncate_collection<'js>(&self, ctx: Ctx<'js>, collection: Value<'js>) -> rquickjs::Result<()> {
        let c = collection::resolve(&ctx, &self.app, &collection).map_err(|e| throw_core(&ctx, e))?;
        let budget = state(&ctx)?.budget.clone();
        budget.paused(|| self.app.truncate_collection(&c)).map_err(|e| throw_core(&ctx, e))
    }

    /// Whether `requestInfo` may access `record` under `accessRule`: a
    /// superuser always may, a `null` rule only superusers, `""` anyone,
    /// otherwise the rule must match the stored record.
    pub fn can_access_record<'js>(
        &self,
        ctx: Ctx<'js>,
        record: Value<'js>,
        info: Value<'js>,
        rule: Opt<Value<'js>>,
    ) -> rquickjs::Result<bool> {
        let Some(shared) = JsRecord::shared_of(&record) else {
            return Err(throw_core(&ctx, Error::BadRequest("canAccessRecord expects a Record.".into())));
        };
        let req = request_info_from_js(&info)?;
        if req.is_superuser() {
            return Ok(true);
        }
        let Some(rule) = rule.0.filter(|r| !r.is_null() && !r.is_undefined()) else {
            return Ok(false);
        };
        let rule: String = rule.get()?;
        let (c, id) = {
            let r = shared.try_borrow().map_err(|_| throw_core(&ctx, Error::Internal("record in use".into())))?;
            (r.collection.clone(), r.id().to_string())
        };
        let budget = state(&ctx)?.budget.clone();
        budget.paused(|| self.app.record_matches_rule(&c, &id, &rule, &req)).map_err(|e| throw_core(&ctx, e))
    }

    /// Expands relations of the records in place (`expands`: paths like
    /// `"author"`, `"tags.owner"`); returns the failed paths with their
    /// errors (`{}` when all went well). Like PocketBase's default fetch,
    /// no API rule is applied.
    pub fn expand_records<'js>(
        &self,
        ctx: Ctx<'js>,
        records: Array<'js>,
        expands: Value<'js>,
        fetch: Opt<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let mut shared = Vec::new();
        for r in records.iter::<Value>() {
            if let Some(s) = JsRecord::shared_of(&r?) {
                shared.push(s);
            }
        }
        self.expand_shared(&ctx, shared, expands, fetch)
    }

    /// [`expandRecords`] of one record.
    pub fn expand_record<'js>(
        &self,
        ctx: Ctx<'js>,
        record: Value<'js>,
        expands: Value<'js>,
        fetch: Opt<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        let shared = JsRecord::shared_of(&record).into_iter().collect();
        self.expand_shared(&ctx, shared, expands, fetch)
    }

    /// The fields a view query gives (a `FieldsList`), as a view collection
    /// with this query would have them.
    pub fn create_view_fields<'js>(&self, ctx: Ctx<'js>, query: String) -> rquickjs::Result<Value<'js>> {
        let mut c = crate::core::collections::service::from_api_json(
            &serde_json::json!({"name": "_pb_view_fields", "type": "view", "viewQuery": query}),
            None,
        )
        .map_err(|e| throw_core(&ctx, e))?;
        let budget = state(&ctx)?.budget.clone();
        budget.paused(|| self.app.infer_view_fields(&mut c)).map_err(|e| throw_core(&ctx, e))?;
        let fields = Json::Array(c.to_json().get("fields").and_then(Json::as_array).cloned().unwrap_or_default());
        pb_call(&ctx, "newFieldsList", (convert::to_js(&ctx, &fields)?,))
    }

    /// `dryRunView(query, sampleSize)`: the fields a view query gives and up
    /// to `sampleSize` of its records (`{fields, sample}`), nothing saved.
    pub fn dry_run_view<'js>(&self, ctx: Ctx<'js>, query: String, sample_size: f64) -> rquickjs::Result<Value<'js>> {
        let n = if sample_size.is_finite() && sample_size > 0.0 { sample_size as usize } else { 0 };
        let budget = state(&ctx)?.budget.clone();
        let result = budget.paused(|| self.app.dry_run_view_sample(&query, n)).map_err(|e| throw_core(&ctx, e))?;
        let fields = Json::Array(result.fields.iter().map(|f| f.to_json()).collect());
        let out = rquickjs::Object::new(ctx.clone())?;
        out.set("fields", pb_call(&ctx, "newFieldsList", (convert::to_js(&ctx, &fields)?,))?)?;
        let sample = Array::new(ctx.clone())?;
        for (i, r) in result.sample.into_iter().enumerate() {
            sample.set(i, JsRecord::instance(&ctx, r)?)?;
        }
        out.set("sample", sample)?;
        Ok(out.into_value())
    }

    /// One request log entry by id (`{id, created, level, message, data}`).
    pub fn find_log_by_id<'js>(&self, ctx: Ctx<'js>, id: String) -> rquickjs::Result<Value<'js>> {
        let log = self.app.find_log(&id).map_err(|e| throw_core(&ctx, e))?;
        convert::to_js(&ctx, &log)
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
    fn expand_shared<'js>(
        &self,
        ctx: &Ctx<'js>,
        shared: Vec<crate::jsvm::bindings::record::SharedRecord>,
        expands: Value<'js>,
        fetch: Opt<Value<'js>>,
    ) -> rquickjs::Result<Value<'js>> {
        if fetch.0.as_ref().is_some_and(Value::is_function) {
            return Err(throw_core(
                ctx,
                Error::BadRequest("expandRecord(s): a custom fetch function is not supported in Ferrobase.".into()),
            ));
        }
        let paths: Vec<String> = match convert::to_json(expands)? {
            Json::Array(a) => a.iter().filter_map(Json::as_str).map(str::to_string).collect(),
            Json::String(s) => vec![s],
            _ => Vec::new(),
        };
        let errors = rquickjs::Object::new(ctx.clone())?;
        if shared.is_empty() || paths.is_empty() {
            return Ok(errors.into_value());
        }
        // PocketBase's default fetch reads the related records without
        // checking their API rules: expand as a superuser would
        let mut req = crate::core::request::RequestInfo::default();
        let su = self.app.superusers().map_err(|e| throw_core(ctx, e))?;
        req.auth = Some(std::sync::Arc::new(Record::new(su)));
        let budget = state(ctx)?.budget.clone();
        let tree = crate::core::records::expand::ExpandTree::parse(&paths.join(","));
        let mut list: Vec<Record> = shared.iter().map(|s| s.borrow().clone()).collect();
        match budget.paused(|| self.app.expand_records(&mut list, &tree, &req)) {
            Ok(()) => {
                for (s, r) in shared.iter().zip(list) {
                    let mut target = s.borrow_mut();
                    for (k, v) in r.expand {
                        target.expand.insert(k, v);
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                for path in paths {
                    let _ = throw_core(ctx, Error::BadRequest(message.clone()));
                    errors.set(path, ctx.catch())?;
                }
            }
        }
        Ok(errors.into_value())
    }

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
