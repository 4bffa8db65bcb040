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
use crate::core::hooks::{ChainsOf, ModelAction};
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
        let chains: ChainsOf<CollectionEvent> = if is_new {
            |h| (&h.on_collection_create, &h.on_model_create)
        } else {
            |h| (&h.on_collection_update, &h.on_model_update)
        };
        let mut ev = CollectionEvent::new(self, c);
        self.run_model_action(
            &mut ev,
            ModelAction {
                chains,
                in_transaction: true,
                before_execute: &mut |e| {
                    if validate {
                        let app = e.app.clone();
                        let hooks = app.hooks();
                        hooks.on_collection_validate.trigger(e, &mut |e| {
                            through_model_collection(&hooks.on_model_validate, e, &mut |e| {
                                validate::validate(&e.collection, old.as_deref(), &e.app.collections())
                            })
                        })?;
                    }
                    Ok(())
                },
                execute: &mut |e| e.app.persist_collection(&mut e.collection, old.as_deref()),
            },
        )?;
        Ok(ev.collection)
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

    /// Infers a view collection's fields from its query: plain columns clone
    /// their source field (a source id becomes a relation), expressions get
    /// PocketBase's types (see `view_query`).
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
        let expressions = super::view_query::select_expressions(&q);
        for col in cols {
            let source = col
                .table
                .as_deref()
                .and_then(|t| all.get(t))
                .and_then(|t| col.origin.as_deref().and_then(|o| t.field(o).cloned()));
            let source_is_none = source.is_none();
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
                None => {
                    let expr = expressions.get(&col.name.to_lowercase()).map_or(col.name.as_str(), String::as_str);
                    super::view_query::expression_field(&col.name, expr)
                }
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
                // a cloned source field keeps its options and system flag
                // (an auth collection's email stays system), like PocketBase
                let fallback = if source_is_none {
                    f.id.clone()
                } else {
                    format!("_clone_{}", crate::core::security::random_string(4))
                };
                f.id = previous.iter().find(|p| p.name == col.name).map(|p| p.id.clone()).unwrap_or(fallback);
            }
            fields.push(f);
        }
        c.fields = fields;
        Ok(())
    }

    /// Deletes a collection and its table; refused for system collections
    /// and collections other collections' relations point to.
    pub fn delete_collection(&self, c: &Arc<Collection>) -> Result<()> {
        self.delete_collection_with(c, true)
    }

    /// [`App::delete_collection`]; without `integrity_checks` (an import
    /// replacing everything) relations pointing at it do not stop it.
    fn delete_collection_with(&self, c: &Arc<Collection>, integrity_checks: bool) -> Result<()> {
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
        if integrity_checks && !referenced_by.is_empty() {
            return Err(Error::BadRequest(format!(
                "Failed to delete collection probably due to existing reference in {}.",
                referenced_by.join(", ")
            )));
        }
        let mut ev = CollectionEvent::new(self, (**c).clone());
        self.run_model_action(
            &mut ev,
            ModelAction {
                chains: |h| (&h.on_collection_delete, &h.on_model_delete),
                in_transaction: true,
                before_execute: &mut |_| Ok(()),
                execute: &mut |e| {
                    let col = e.collection.clone();
                    e.app.executor().write(|conn| -> Result<()> {
                        db::sync::drop(conn, &col)?;
                        db::collections::delete(conn, &col.id)?;
                        Ok(())
                    })?;
                    e.app.reload_collections()
                },
            },
        )
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
    /// (only the system ones with `delete_missing`). An empty list and
    /// every failure answer `validation_collections_import_failure`. With `delete_missing`,
    /// non-system collections not in the list are deleted *before* the
    /// others are stored, so an entry may reuse a deleted one's name (a
    /// snapshot's `Users` replacing the default `users`: SQLite table names
    /// ignore case). Views are stored last, and every collection is stored
    /// before any is validated, so collections relating to each other in a
    /// cycle, or to one later in the list, import in one go.
    pub fn import_collections(&self, list: &[Value], delete_missing: bool) -> Result<()> {
        if list.is_empty() {
            return Err(import_failure(
                "Failed to import the collections configuration. Raw error:\nno collections to import".into(),
            ));
        }
        self.run_in_transaction(|tx| {
            // PocketBase's order: parse all, delete the missing ones, save
            // everything unvalidated, then validate each against the result
            let mut parsed: Vec<(Collection, Option<Arc<Collection>>)> = Vec::with_capacity(list.len());
            for raw in list {
                let existing = raw
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .or_else(|| raw.get("name").and_then(Value::as_str))
                    .and_then(|key| tx.collections().get(key));
                let c = imported_collection(raw, existing.as_deref(), delete_missing).map_err(import_raw_error)?;
                parsed.push((c, existing));
            }
            // views last, so that the tables they read exist first
            parsed.sort_by_key(|(c, _)| c.is_view());
            if delete_missing {
                for c in tx.collections().all().to_vec() {
                    if !c.system && !parsed.iter().any(|(p, _)| p.id == c.id) {
                        tx.delete_collection_with(&c, false).map_err(import_raw_error)?;
                    }
                }
            }
            let mut saved = Vec::with_capacity(parsed.len());
            for (c, old) in parsed {
                let name = c.name.clone();
                let s = tx.save_collection_no_validate(c).map_err(|e| {
                    import_raw_error(Error::BadRequest(format!("failed to save collection \"{name}\": {e}")))
                })?;
                saved.push((s.id, old));
            }
            for (id, old) in &saved {
                let current = tx.find_collection(id).map_err(import_raw_error)?;
                let mut ev = CollectionEvent::new(tx, (*current).clone());
                tx.hooks()
                    .on_collection_validate
                    .trigger(&mut ev, &mut |e| validate::validate(&e.collection, old.as_deref(), &e.app.collections()))
                    .map_err(|e| match e {
                        Error::Validation { errors, .. } => import_failure(format!(
                            "Data validations failed for collection \"{}\" ({}):\n{}",
                            current.name,
                            current.id,
                            serde_json::to_string_pretty(&errors).unwrap_or_default()
                        )),
                        other => import_raw_error(other),
                    })?;
            }
            Ok(())
        })
    }
}

/// One imported definition: a new collection, or the existing one updated
/// with it. The existing system fields always stay (matched by id, or by
/// name and type); with `delete_missing` the other fields not listed go.
fn imported_collection(raw: &Value, existing: Option<&Collection>, delete_missing: bool) -> Result<Collection> {
    let Some(existing) = existing else {
        return from_api_json(raw, None);
    };
    let mut raw = raw.clone();
    if delete_missing && raw.get("fields").is_none_or(Value::is_null) {
        raw["fields"] = json!([]);
    }
    let mut c = from_api_json(&raw, Some(existing))?;
    for f in &existing.fields {
        if !f.system && delete_missing {
            continue;
        }
        if c.field_by_id(&f.id).is_none() {
            // a field of the same name and type is the existing one
            // (PocketBase gives it the old id, then replaces it by id), so
            // its column stays
            if let Some(found) = c.fields.iter_mut().find(|n| n.name == f.name && n.field_type() == f.field_type()) {
                *found = f.clone();
            } else {
                c.fields.push(f.clone());
            }
        }
    }
    Ok(c)
}

/// PocketBase's import error: all of it in `collections`.
fn import_failure(message: String) -> Error {
    let mut errors = Map::new();
    errors.insert("collections".into(), field_error("validation_collections_import_failure", message));
    Error::Validation { message: "Failed to import collections.".into(), errors }
}

fn import_raw_error(e: Error) -> Error {
    match e {
        already @ Error::Validation { .. } if is_import_failure(&already) => already,
        other => import_failure(format!("Failed to import the collections configuration. Raw error:\n{other}")),
    }
}

fn is_import_failure(e: &Error) -> bool {
    matches!(e, Error::Validation { errors, .. } if errors.get("collections").and_then(|c| c.get("code")).is_some())
}

/// SQLite refusing a schema change (bad index column, view query…) is a client error.
fn schema_error(e: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("Failed to apply the schema change: {e}."))
}
