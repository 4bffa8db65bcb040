//! Collection persistence through the App: build from API JSON (create or
//! PATCH merge), validate, migrate the table, store the row, swap the cache.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::auth_options::AuthOptions;
use super::collection::{Collection, CollectionType, Rules};
use super::field::{Field, FieldKind, FieldParseError};
use super::validate;
use crate::core::app::App;
use crate::core::error::{Error, Result, field_error};
use crate::core::events::{CollectionEvent, through_model_collection};
use crate::db;

fn invalid_format() -> Error {
    Error::BadRequest("Failed to load the submitted data due to invalid formatting.".into())
}

fn rule_of(m: &Map<String, Value>, key: &str, current: &Option<String>) -> Result<Option<String>> {
    match m.get(key) {
        None => Ok(current.clone()),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid_format()),
    }
}

/// Builds a collection from API JSON. With `existing`, absent keys keep
/// their current values (PATCH); `fields`, when present, is the full list.
pub fn from_api_json(v: &Value, existing: Option<&Collection>) -> Result<Collection> {
    let m = v.as_object().ok_or_else(invalid_format)?;
    let type_name = match m.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(invalid_format()),
        None => existing.map(|c| c.kind.as_str().to_string()).unwrap_or_else(|| "base".into()),
    };
    let Some(kind) = CollectionType::parse(&type_name) else {
        return Err(Error::field(
            "Failed to validate collection.",
            "type",
            "validation_in_invalid",
            "Must be a valid value.",
        ));
    };
    let name = match m.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(invalid_format()),
        None => existing.map(|c| c.name.clone()).unwrap_or_default(),
    };
    let mut c = match existing {
        Some(e) => {
            let mut c = e.clone();
            c.name = name;
            c.kind = kind;
            c
        }
        None => {
            let mut c = Collection::new(&name, kind);
            c.fields.clear();
            c
        }
    };
    if existing.is_none() {
        c.id = match m.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => Collection::default_id(kind, &c.name),
        };
    }
    if let Some(fields) = m.get("fields") {
        let list = fields.as_array().ok_or_else(invalid_format)?;
        let mut parsed: Vec<Field> = Vec::with_capacity(list.len());
        for f in list {
            let mut field = Field::from_json(f).map_err(|e| match e {
                FieldParseError::NotAnObject | FieldParseError::UnknownType(_) => invalid_format(),
            })?;
            // options unknown to us come from disk only (a newer PocketBase
            // wrote them), never from a client
            field.extra = existing.and_then(|e| e.field_by_id(&field.id)).map(|f| f.extra.clone()).unwrap_or_default();
            // the same id twice: the later definition wins (PocketBase keys fields by id)
            match parsed.iter().position(|p| p.id == field.id) {
                Some(pos) => parsed[pos] = field,
                None => parsed.push(field),
            }
        }
        c.fields = parsed;
    }
    if let Some(idx) = m.get("indexes") {
        c.indexes = serde_json::from_value(idx.clone()).map_err(|_| invalid_format())?;
    }
    c.rules = Rules {
        list: rule_of(m, "listRule", &c.rules.list)?,
        view: rule_of(m, "viewRule", &c.rules.view)?,
        create: rule_of(m, "createRule", &c.rules.create)?,
        update: rule_of(m, "updateRule", &c.rules.update)?,
        delete: rule_of(m, "deleteRule", &c.rules.delete)?,
    };
    if let Some(q) = m.get("viewQuery") {
        c.view_query = q.as_str().ok_or_else(invalid_format)?.to_string();
    }
    if kind == CollectionType::Auth {
        let mut base =
            serde_json::to_value(c.auth.clone().unwrap_or_default()).map_err(|e| Error::Internal(e.to_string()))?;
        for (k, val) in m {
            if base.get(k).is_some() {
                merge_keep_secrets(&mut base[k.as_str()], val);
            }
        }
        let mut opts: AuthOptions = serde_json::from_value(base).map_err(|_| invalid_format())?;
        opts.unknown = c.auth.as_ref().map(|a| a.unknown.clone()).unwrap_or_default();
        opts.fill_defaults();
        c.auth = Some(opts);
    } else {
        c.auth = None;
    }
    normalize_system_fields(&mut c);
    Ok(c)
}

/// Deep-merges `patch` into `dst`, ignoring empty `secret`/`clientSecret`
/// values so a PATCH never wipes a stored secret.
fn merge_keep_secrets(dst: &mut Value, patch: &Value) {
    match (dst, patch) {
        (Value::Object(d), Value::Object(p)) => {
            for (k, v) in p {
                if (k == "secret" || k == "clientSecret") && v.as_str().is_some_and(str::is_empty) {
                    continue;
                }
                match d.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge_keep_secrets(existing, v),
                    _ => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d, p) => *d = p.clone(),
    }
}

/// Forces the shape of system fields (id primary key, auth fields) the way
/// PocketBase does, whatever the client sent.
fn normalize_system_fields(c: &mut Collection) {
    if c.is_view() {
        return;
    }
    if let Some(id) = c.fields.iter_mut().find(|f| f.name == "id") {
        if let FieldKind::Text { primary_key, pattern, .. } = &mut id.kind {
            id.system = true;
            id.required = true;
            *primary_key = true;
            if pattern.is_empty() {
                *pattern = "^[a-z0-9]+$".into();
            }
        } else {
            // an `id` of another type cannot be the key: PocketBase keeps
            // its own id field first, so the submitted one is a duplicate
            let id = c.default_id_field();
            c.fields.insert(0, id);
        }
    }
    c.ensure_system_fields();
    if c.is_auth() {
        for f in c.fields.iter_mut() {
            if super::collection::AUTH_SYSTEM_FIELDS.contains(&f.name.as_str()) {
                f.system = true;
            }
        }
        for idx in c.auth_indexes() {
            let name = super::index::Index::parse(&idx).map(|i| i.name).unwrap_or_default();
            let present = c.indexes.iter().filter_map(|s| super::index::Index::parse(s)).any(|i| i.name == name);
            if !present {
                c.indexes.push(idx);
            }
        }
    }
}

impl App {
    /// Creates a new collection; refuses an id or name that is taken.
    pub fn create_collection(&self, c: Collection) -> Result<Collection> {
        if let Some(existing) = self.collections().get(&c.id) {
            let (key, code, msg) = if existing.name.eq_ignore_ascii_case(&c.name) {
                ("name", "validation_collection_name_exists", "Collection name must be unique (case insensitive).")
            } else {
                ("id", "validation_collection_id_exists", "Collection id must be unique.")
            };
            return Err(Error::field("Failed to validate collection.", key, code, msg));
        }
        self.save_collection(c)
    }

    /// Creates or updates a collection: validates, migrates its table and
    /// stores it, in one transaction, with the collection hooks.
    pub fn save_collection(&self, c: Collection) -> Result<Collection> {
        self.save_collection_with(c, true)
    }

    /// [`App::save_collection`] without the validate step (and its hooks):
    /// an import stores every collection first, so that relations between
    /// them resolve, then validates them all.
    pub fn save_collection_no_validate(&self, c: Collection) -> Result<Collection> {
        self.save_collection_with(c, false)
    }

    fn save_collection_with(&self, mut c: Collection, validate: bool) -> Result<Collection> {
        let old = self.collections().get(&c.id);
        let is_new = old.is_none();
        if c.is_view() {
            self.infer_view_fields(&mut c)?;
        }
        let hooks = self.hooks();
        let action = if is_new { &hooks.on_collection_create } else { &hooks.on_collection_update };
        let model = if is_new { &hooks.on_model_create } else { &hooks.on_model_update };
        // a hook that skips next() stops the save: no after-success hooks then
        let mut executed = false;
        let saved = self.run_in_transaction(|tx| {
            let mut ev = CollectionEvent { app: tx.clone(), collection: c.clone() };
            action.before.trigger(&mut ev, &mut |e| {
                through_model_collection(&model.before, e, &mut |e| {
                    let app = e.app.clone();
                    let hooks = app.hooks();
                    if validate {
                        hooks.on_collection_validate.trigger(e, &mut |e| {
                            through_model_collection(&hooks.on_model_validate, e, &mut |e| {
                                validate::validate(&e.collection, old.as_deref(), &e.app.collections())
                            })
                        })?;
                    }
                    let (action, model) = if is_new {
                        (&hooks.on_collection_create, &hooks.on_model_create)
                    } else {
                        (&hooks.on_collection_update, &hooks.on_model_update)
                    };
                    action.execute.trigger(e, &mut |e| {
                        through_model_collection(&model.execute, e, &mut |e| {
                            executed = true;
                            e.app.persist_collection(&mut e.collection, old.as_deref())
                        })
                    })
                })
            })?;
            Ok(ev.collection)
        });
        match saved {
            Ok(saved) if !executed => Ok(saved),
            Ok(saved) => {
                let app = self.without_tx();
                let ev_collection = saved.clone();
                self.after_commit(move || {
                    let hooks = app.hooks();
                    let (chain, model) = if is_new {
                        (&hooks.on_collection_create.after_success, &hooks.on_model_create.after_success)
                    } else {
                        (&hooks.on_collection_update.after_success, &hooks.on_model_update.after_success)
                    };
                    let mut ev = CollectionEvent { app: app.clone(), collection: ev_collection };
                    chain.trigger(&mut ev, &mut |e| through_model_collection(model, e, &mut |_| Ok(())))
                })?;
                Ok(saved)
            }
            Err(err) => {
                let mut ev = CollectionEvent { app: self.clone(), collection: c };
                let _ = action
                    .after_error
                    .trigger(&mut ev, &mut |e| through_model_collection(&model.after_error, e, &mut |_| Ok(())));
                Err(err)
            }
        }
    }

    fn persist_collection(&self, c: &mut Collection, old: Option<&Collection>) -> Result<()> {
        let now = crate::core::datetime::now();
        if old.is_none() {
            c.created = now.clone();
        }
        c.updated = now;
        self.executor().write(|conn| -> Result<()> {
            match old {
                None => db::sync::create(conn, c),
                Some(o) => db::sync::update(conn, o, c),
            }
            .map_err(schema_error)?;
            db::collections::upsert(conn, c)?;
            Ok(())
        })?;
        // views selecting from this collection must be rebuilt after a rename
        self.reload_collections()?;
        if old.is_some_and(|o| o.name != c.name) {
            self.refresh_views()?;
        }
        Ok(())
    }

    /// After a table rename SQLite has rewritten the views that select from
    /// it; keep each view collection's stored `viewQuery` in step with that.
    fn refresh_views(&self) -> Result<()> {
        let mut changed = false;
        for v in self.collections().all().iter().filter(|c| c.is_view()) {
            let Some(query) = self.executor().read(|conn| db::sync::view_query(conn, &v.name))? else { continue };
            if query != v.view_query {
                let mut updated = (**v).clone();
                updated.view_query = query;
                self.executor().write(|conn| db::collections::upsert(conn, &updated))?;
                changed = true;
            }
        }
        if changed {
            self.reload_collections()?;
        }
        Ok(())
    }

    /// Infers a view collection's fields from its query (source field types
    /// for plain columns, json otherwise).
    pub fn infer_view_fields(&self, c: &mut Collection) -> Result<()> {
        let bad = |msg: String| {
            let mut errors = Map::new();
            errors.insert("viewQuery".into(), field_error("validation_invalid_view_query", msg));
            Error::Validation { message: "Failed to validate collection.".into(), errors }
        };
        let q = c.view_query.trim().trim_end_matches(';').to_string();
        let lower = q.to_lowercase();
        if q.is_empty() || !(lower.starts_with("select") || lower.starts_with("with")) || q.contains(';') {
            return Err(bad("Invalid query - only a single SELECT statement is allowed.".into()));
        }
        c.view_query = q.clone();
        let cols = self
            .executor()
            .read(|conn| db::sync::describe_query(conn, &q))
            .map_err(|e| bad(format!("Invalid query - {e}.")))?;
        if !cols.iter().any(|col| col.name == "id") {
            return Err(bad("Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).".into()));
        }
        let all = self.collections();
        let previous: Vec<Field> = c.fields.clone();
        let mut fields = Vec::with_capacity(cols.len());
        for col in cols {
            let source = col
                .table
                .as_deref()
                .and_then(|t| all.get(t))
                .and_then(|t| col.origin.as_deref().and_then(|o| t.field(o).cloned()));
            let mut f = match source {
                Some(src) if col.name == "id" || !src.is_primary_key() => src,
                Some(_) => Field::new(
                    &col.name,
                    FieldKind::Relation {
                        collection_id: String::new(),
                        cascade_delete: false,
                        min_select: 0,
                        max_select: 1,
                    },
                ),
                None => Field::new(&col.name, FieldKind::Json { max_size: 0 }),
            };
            if let (Some(tbl), FieldKind::Relation { collection_id, .. }) = (col.table.as_deref(), &mut f.kind)
                && collection_id.is_empty()
            {
                *collection_id = all.get(tbl).map(|t| t.id.clone()).unwrap_or_default();
            }
            f.name = col.name.clone();
            if col.name == "id" {
                f.kind = FieldKind::Text {
                    min: 0,
                    max: 0,
                    pattern: "^[a-z0-9]+$".into(),
                    autogenerate_pattern: String::new(),
                    primary_key: true,
                };
                f.id = super::field::default_field_id(super::FieldType::Text, "id");
                f.system = true;
                f.required = true;
                f.hidden = false;
            } else {
                f.system = false;
                f.id = previous
                    .iter()
                    .find(|p| p.name == col.name)
                    .map(|p| p.id.clone())
                    .unwrap_or_else(|| format!("_clone_{}", crate::core::security::random_string(4)));
            }
            fields.push(f);
        }
        c.fields = fields;
        Ok(())
    }

    /// Deletes a collection and its table; refused for system collections
    /// and collections other collections' relations point to.
    pub fn delete_collection(&self, c: &Arc<Collection>) -> Result<()> {
        if c.system {
            return Err(Error::BadRequest("Failed to delete collection.".into()));
        }
        let all = self.collections();
        let referenced_by: Vec<String> = all
            .all()
            .iter()
            .filter(|o| o.id != c.id)
            .filter(|o| o.fields.iter().any(|f| f.relation_target() == Some(c.id.as_str())))
            .map(|o| o.name.clone())
            .collect();
        if !referenced_by.is_empty() {
            return Err(Error::BadRequest(format!(
                "Failed to delete collection probably due to existing reference in {}.",
                referenced_by.join(", ")
            )));
        }
        let hooks = self.hooks();
        let mut executed = false;
        let res = self.run_in_transaction(|tx| {
            let mut ev = CollectionEvent { app: tx.clone(), collection: (**c).clone() };
            hooks.on_collection_delete.before.trigger(&mut ev, &mut |e| {
                through_model_collection(&hooks.on_model_delete.before, e, &mut |e| {
                    let app = e.app.clone();
                    let hooks = app.hooks();
                    hooks.on_collection_delete.execute.trigger(e, &mut |e| {
                        through_model_collection(&hooks.on_model_delete.execute, e, &mut |e| {
                            executed = true;
                            let col = e.collection.clone();
                            e.app.executor().write(|conn| -> Result<()> {
                                db::sync::drop(conn, &col)?;
                                db::collections::delete(conn, &col.id)?;
                                Ok(())
                            })?;
                            e.app.reload_collections()
                        })
                    })
                })
            })
        });
        if let Err(err) = res {
            let mut ev = CollectionEvent { app: self.clone(), collection: (**c).clone() };
            let model = &hooks.on_model_delete.after_error;
            let _ = hooks
                .on_collection_delete
                .after_error
                .trigger(&mut ev, &mut |e| through_model_collection(model, e, &mut |_| Ok(())));
            return Err(err);
        }
        if !executed {
            return Ok(());
        }
        let app = self.without_tx();
        let col = (**c).clone();
        self.after_commit(move || {
            let mut ev = CollectionEvent { app: app.clone(), collection: col };
            let hooks = app.hooks();
            let model = &hooks.on_model_delete.after_success;
            hooks
                .on_collection_delete
                .after_success
                .trigger(&mut ev, &mut |e| through_model_collection(model, e, &mut |_| Ok(())))
        })
    }

    /// Deletes every record of a collection (with cascades), like PocketBase's truncate.
    pub fn truncate_collection(&self, c: &Arc<Collection>) -> Result<()> {
        if c.is_view() {
            return Err(Error::BadRequest("View collections cannot be truncated.".into()));
        }
        self.run_in_transaction(|tx| {
            // a snapshot of the ids: a hook that keeps a record, or a cascade
            // that already removed one, must not make this loop forever or fail
            for id in tx.record_ids(c)? {
                if let Ok(record) = tx.find_record_by_id(c, &id) {
                    tx.delete_record(&record)?;
                }
            }
            Ok(())
        })
    }

    /// Imports collections like PocketBase: each entry replaces the
    /// collection with its id (or, without an id, its name, compared
    /// case-insensitively); existing fields the entry leaves out are kept
    /// (only the system ones with `delete_missing`). With `delete_missing`,
    /// non-system collections not in the list are deleted *before* the
    /// others are stored, so an entry may reuse a deleted one's name (a
    /// snapshot's `Users` replacing the default `users`: SQLite table names
    /// ignore case). Views are stored last, and every collection is stored
    /// before any is validated, so collections relating to each other in a
    /// cycle, or to one later in the list, import in one go.
    pub fn import_collections(&self, list: &[Value], delete_missing: bool) -> Result<()> {
        self.run_in_transaction(|tx| {
            let mut parsed: Vec<(usize, Collection, Option<Arc<Collection>>)> = Vec::new();
            for (i, raw) in list.iter().enumerate() {
                let key = |k: &str| raw.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
                let existing = key("id").or_else(|| key("name")).and_then(|ident| tx.collections().get(ident));
                let mut c = from_api_json(raw, existing.as_deref()).map_err(|e| import_error(i, e))?;
                if let Some(old) = &existing {
                    keep_missing_fields(&mut c, old, delete_missing);
                }
                parsed.push((i, c, existing));
            }
            if delete_missing {
                for c in tx.collections().all().to_vec() {
                    if !c.system && !parsed.iter().any(|(_, p, _)| p.id == c.id) {
                        tx.delete_collection(&c)?;
                    }
                }
            }
            parsed.sort_by_key(|(_, c, _)| c.is_view());
            let mut imported: Vec<(usize, String, Option<Arc<Collection>>)> = Vec::new();
            for (i, c, existing) in parsed {
                let saved = tx.save_collection_no_validate(c).map_err(|e| import_error(i, e))?;
                imported.push((i, saved.id, existing));
            }
            for (i, id, old) in &imported {
                let current = tx.find_collection(id).map_err(|e| import_error(*i, e))?;
                let mut ev = CollectionEvent { app: tx.clone(), collection: (*current).clone() };
                tx.hooks()
                    .on_collection_validate
                    .trigger(&mut ev, &mut |e| validate::validate(&e.collection, old.as_deref(), &e.app.collections()))
                    .map_err(|e| import_error(*i, e))?;
            }
            Ok(())
        })
    }
}

/// Adds the fields of `old` that an imported `c` leaves out (all of them,
/// or only the system ones with `only_system`). Like PocketBase, a field
/// imported under another id with the same name and type is replaced by
/// the existing one, so its column stays.
fn keep_missing_fields(c: &mut Collection, old: &Collection, only_system: bool) {
    for f in &old.fields {
        if (only_system && !f.system) || c.field_by_id(&f.id).is_some() {
            continue;
        }
        match c.fields.iter_mut().find(|n| n.name == f.name && n.field_type() == f.field_type()) {
            Some(same) => *same = f.clone(),
            None => c.fields.push(f.clone()),
        }
    }
}

fn import_error(i: usize, e: Error) -> Error {
    let detail = match &e {
        Error::Validation { errors, .. } => json!(errors),
        other => json!({"message": other.to_string()}),
    };
    let mut errors = Map::new();
    errors.insert("collections".into(), json!({ i.to_string(): detail }));
    Error::Validation { message: "Failed to import the collections.".into(), errors }
}

/// SQLite refusing a schema change (bad index column, view query…) is a client error.
fn schema_error(e: rusqlite::Error) -> Error {
    Error::BadRequest(format!("Failed to apply the schema change: {e}."))
}
