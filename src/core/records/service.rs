//! Record persistence through the App: find, save (prepare → validate →
//! execute, each a hook chain) and delete with cascades, in PocketBase's order.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Record;
use super::validate::validate_value;
use crate::core::app::App;
use crate::core::collections::index::Index;
use crate::core::collections::{Collection, FieldKind};
use crate::core::error::{Error, FieldErrors, Result, field_error};
use crate::core::events::{RecordEvent, through_model};
use crate::core::hooks::{ChainsOf, ModelAction};
use crate::core::{datetime, security};
use crate::db::{DbError, Select, records as rows};

impl App {
    /// A record by id, `NotFound` when missing.
    pub fn find_record_by_id(&self, collection: &Arc<Collection>, id: &str) -> Result<Record> {
        let data = Select::from(&collection.name).where_eq("id", id).one_record(self.executor(), collection)?;
        data.map(|d| Record::from_stored(collection.clone(), d)).ok_or_else(Error::not_found)
    }

    /// Every record id of a collection.
    pub fn record_ids(&self, collection: &Arc<Collection>) -> Result<Vec<String>> {
        Ok(Select::from(&collection.name).select(["id"]).column(self.executor())?)
    }

    /// Validates and saves a record (create or update), running hooks.
    pub fn save_record(&self, record: &mut Record) -> Result<()> {
        self.save_record_with(record, true)
    }

    /// Saves without the validate step (PocketBase's `saveNoValidate`).
    pub fn save_record_no_validate(&self, record: &mut Record) -> Result<()> {
        self.save_record_with(record, false)
    }

    fn save_record_with(&self, record: &mut Record, validate: bool) -> Result<()> {
        if record.collection.is_view() {
            return Err(Error::BadRequest("View collections are read-only.".into()));
        }
        let chains: ChainsOf<RecordEvent> = if record.is_new() {
            |h| (&h.on_record_create, &h.on_model_create)
        } else {
            |h| (&h.on_record_update, &h.on_model_update)
        };
        let placeholder = Record::placeholder(record.collection.clone());
        let mut ev = RecordEvent::new(self, std::mem::replace(record, placeholder));
        let res = self.run_model_action(
            &mut ev,
            ModelAction {
                chains,
                in_transaction: false,
                before_execute: &mut |e| {
                    prepare(&mut e.record);
                    if validate {
                        let app = e.app.clone();
                        let hooks = app.hooks();
                        hooks.on_record_validate.trigger(e, &mut |e| {
                            through_model(&hooks.on_model_validate, e, &mut |e| e.app.validate_record(&e.record))
                        })?;
                    }
                    Ok(())
                },
                execute: &mut |e| e.app.persist_record(&mut e.record),
            },
        );
        *record = ev.record;
        res
    }

    /// Field checks plus the relation-exists check.
    pub fn validate_record(&self, record: &Record) -> Result<()> {
        let c = &record.collection;
        let mut errors = FieldErrors::new();
        for f in &c.fields {
            let v = record.get(&f.name);
            let plain = record.plain_passwords.get(&f.name).and_then(Value::as_str);
            if matches!(f.kind, FieldKind::File { .. }) {
                if let Some(err) = crate::core::files::validate_field(record, f) {
                    errors.insert(f.name.clone(), err);
                }
                continue;
            }
            if matches!(f.kind, FieldKind::Password { .. }) && plain.is_none() {
                // unchanged stored hash: only `required` applies
                if f.required && record.get_str(&f.name).is_empty() {
                    errors.insert(f.name.clone(), field_error("validation_required", "Cannot be blank."));
                }
                continue;
            }
            if let Some(err) = validate_value(f, v, plain) {
                errors.insert(f.name.clone(), err);
                continue;
            }
            if f.is_primary_key() && !record.is_new() && record.changed(&f.name) {
                errors.insert(
                    f.name.clone(),
                    field_error("validation_pk_change", "The record primary key cannot be changed."),
                );
                continue;
            }
            if let FieldKind::Relation { collection_id, .. } = &f.kind
                && record.changed(&f.name)
                && let Some(err) = self.check_relation_ids(collection_id, v)?
            {
                errors.insert(f.name.clone(), err);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { message: "Failed to validate record.".into(), errors })
        }
    }

    fn check_relation_ids(&self, target: &str, v: &Value) -> Result<Option<Value>> {
        let ids: Vec<String> = match v {
            Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Value::String(s) if !s.is_empty() => vec![s.clone()],
            _ => return Ok(None),
        };
        if ids.is_empty() {
            return Ok(None);
        }
        let missing = || {
            Some(field_error(
                "validation_missing_rel_records",
                "Failed to find all relation records with the provided ids.",
            ))
        };
        let Some(target) = self.collections().get(target) else {
            return Ok(missing());
        };
        let found: Vec<String> = existing_ids(self, &target.name, &ids)?;
        Ok((found.len() < ids.len()).then(missing).flatten())
    }

    /// Writes the record row (insert or update), mapping constraint errors.
    fn persist_record(&self, record: &mut Record) -> Result<()> {
        let c = record.collection.clone();
        if c.is_auth() {
            self.check_auth_id_unique(record)?;
            if c.name == "_superusers" {
                // PocketBase always marks superusers verified
                record.set_raw("verified", Value::Bool(true));
            }
        }
        // new files are written before the row and follow its fate
        let files = self.store_record_files(record)?;
        let res = if record.is_new() {
            self.executor().write(|conn| rows::insert(conn, &c, &record.data)).map_err(DbError::from)
        } else {
            let old_id = record.original_id();
            self.executor()
                .write(|conn| rows::update(conn, &c, &old_id, &record.data).map(|_| ()))
                .map_err(DbError::from)
        };
        let written = res.is_ok();
        self.settle_record_files(files, written);
        res.map_err(|e| map_constraint_error(&c, e))?;
        record.original = Some(record.data.clone());
        record.plain_passwords.clear();
        record.pending_files.clear();
        Ok(())
    }

    /// PocketBase's loose cross-check: an auth record's id may not exist in
    /// another auth collection (a token names only collection and id, so a
    /// mistake in one collection's rules should not reach the other's).
    fn check_auth_id_unique(&self, record: &Record) -> Result<()> {
        let ids = [record.id().to_string()];
        for other in self.collections().all().iter().filter(|o| o.is_auth() && o.id != record.collection.id) {
            if !existing_ids(self, &other.name, &ids)?.is_empty() {
                return Err(Error::field(
                    "Failed to validate record.",
                    "id",
                    "validation_invalid_auth_id",
                    "Invalid or duplicated auth record id.",
                ));
            }
        }
        Ok(())
    }

    /// Deletes a record: cascades, clears optional references, refuses when a
    /// required reference would break; all in one transaction.
    pub fn delete_record(&self, record: &Record) -> Result<()> {
        if record.collection.is_view() {
            return Err(Error::BadRequest("View collections are read-only.".into()));
        }
        let mut ev = RecordEvent::new(self, record.clone());
        self.run_model_action(
            &mut ev,
            ModelAction {
                chains: |h| (&h.on_record_delete, &h.on_model_delete),
                in_transaction: true,
                before_execute: &mut |_| Ok(()),
                execute: &mut |e| e.app.delete_record_row(&e.record),
            },
        )
    }

    fn delete_record_row(&self, record: &Record) -> Result<()> {
        let c = &record.collection;
        let id = record.id().to_string();
        for other in self.collections().all() {
            if other.is_view() {
                continue;
            }
            for f in &other.fields {
                let FieldKind::Relation { collection_id, cascade_delete, .. } = &f.kind else {
                    continue;
                };
                if *collection_id != c.id {
                    continue;
                }
                let refs = self
                    .executor()
                    .read(|conn| rows::referencing_ids(conn, &other.name, &f.name, f.is_multiple(), &id))?;
                for ref_id in refs {
                    if other.id == c.id && ref_id == id {
                        continue;
                    }
                    let mut referencing = match self.find_record_by_id(other, &ref_id) {
                        Ok(r) => r,
                        Err(_) => continue,
                    };
                    if *cascade_delete {
                        self.delete_record(&referencing)?;
                        continue;
                    }
                    let remaining: Value = match referencing.get(&f.name) {
                        Value::Array(a) => {
                            Value::Array(a.iter().filter(|v| v.as_str() != Some(&id)).cloned().collect())
                        }
                        _ => json!(""),
                    };
                    if f.required && super::validate::is_blank(f, &remaining) {
                        return Err(Error::BadRequest(format!(
                            "The record cannot be deleted because it is part of a required reference in record {ref_id} of collection \"{}\".",
                            other.name
                        )));
                    }
                    referencing.set_raw(&f.name, remaining);
                    self.save_record_no_validate(&mut referencing)?;
                }
            }
        }
        let n = self.executor().write(|conn| rows::delete(conn, c, &record.original_id()))?;
        if n == 0 {
            return Err(Error::not_found());
        }
        Ok(())
    }
}

/// Fills generated values before validation: id, tokenKey, autodates.
fn prepare(record: &mut Record) {
    let c = record.collection.clone();
    let now = datetime::now();
    let is_new = record.is_new();
    for f in &c.fields {
        match &f.kind {
            FieldKind::Text { autogenerate_pattern, .. }
                if !autogenerate_pattern.is_empty() && is_new && record.get_str(&f.name).is_empty() =>
            {
                let id = security::random_by_pattern(autogenerate_pattern);
                record.set_raw(&f.name, Value::String(id));
            }
            FieldKind::Autodate { on_create, on_update } if (is_new && *on_create) || (!is_new && *on_update) => {
                record.set_raw(&f.name, Value::String(now.clone()));
            }
            _ => {}
        }
    }
    if c.is_auth() && record.get_str("tokenKey").is_empty() {
        record.refresh_token_key();
    }
}

/// Which of `ids` exist in `table`.
fn existing_ids(app: &App, table: &str, ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Select::from(table).select(["id"]).where_in_json("id", ids).column(app.executor())?)
}

/// Turns a UNIQUE constraint failure into `validation_not_unique` on the
/// offending columns; other errors pass through.
fn map_constraint_error(c: &Collection, e: DbError) -> Error {
    let Some(detail) = e.unique_violation() else {
        return Error::Sql(e);
    };
    let mut columns: Vec<String> = Vec::new();
    if let Some(index_name) = detail.strip_prefix("index '").and_then(|s| s.strip_suffix('\'')) {
        if let Some(idx) = c.indexes.iter().filter_map(|s| Index::parse(s)).find(|i| i.name == index_name) {
            columns = idx.column_names();
        }
    } else {
        columns = detail.split(',').filter_map(|p| p.trim().rsplit('.').next().map(str::to_string)).collect();
    }
    if columns.is_empty() {
        columns.push("id".into());
    }
    let mut errors = FieldErrors::new();
    for col in columns {
        errors.insert(col, field_error("validation_not_unique", "Value must be unique."));
    }
    Error::Validation { message: "Failed to validate record.".into(), errors }
}
