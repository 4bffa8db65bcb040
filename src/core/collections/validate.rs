//! Validation of collection definitions with PocketBase's error codes:
//! names, fields, rules (compiled by the filter compiler), indexes, views.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

use super::collection::{AUTH_SYSTEM_FIELDS, Collection};
use super::index::Index;
use super::{Collections, FieldKind};
use crate::core::error::{Error, FieldErrors, field_error, field_error_with};
use crate::core::filter::{FilterContext, QueryBuilder, compile_filter};
use crate::core::request::RequestInfo;

static NAME_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\w+$").expect("valid name regex"));

/// Validates `new` (with `old` on update) against the other collections.
pub fn validate(new: &Collection, old: Option<&Collection>, all: &Collections) -> Result<(), Error> {
    let mut errors = FieldErrors::new();
    validate_name(new, old, all, &mut errors);
    validate_fields(new, old, all, &mut errors);
    validate_indexes(new, &mut errors);
    if let Some(a) = &new.auth {
        a.validate(new, &mut errors);
    }
    if let Some(old) = old {
        if old.system && (old.name != new.name) {
            errors.insert(
                "name".into(),
                field_error("validation_collection_system_name_change", "System collection name cannot be changed."),
            );
        }
        if old.kind != new.kind {
            errors.insert(
                "type".into(),
                field_error("validation_collection_type_change", "Collection type cannot be changed."),
            );
        }
    }
    if errors.is_empty() && !new.is_view() {
        validate_rules(new, all, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "Failed to validate collection.".into(), errors })
    }
}

fn validate_name(new: &Collection, old: Option<&Collection>, all: &Collections, errors: &mut FieldErrors) {
    if new.name.is_empty() {
        errors.insert("name".into(), field_error("validation_required", "Cannot be blank."));
        return;
    }
    if !NAME_RE.is_match(&new.name) || new.name.len() > 255 {
        errors.insert("name".into(), field_error("validation_match_invalid", "Must be in a valid format."));
        return;
    }
    let lower = new.name.to_lowercase();
    let clash =
        all.all().iter().any(|c| c.id != new.id && (c.name.to_lowercase() == lower || c.id.to_lowercase() == lower));
    if clash {
        errors.insert(
            "name".into(),
            field_error("validation_collection_name_exists", "Collection name must be unique (case insensitive)."),
        );
        return;
    }
    let internal = ["_collections", "_params", "_migrations", "_logs", "sqlite_master", "sqlite_sequence"];
    let renamed = old.is_none_or(|o| o.name != new.name);
    if renamed && (internal.contains(&lower.as_str()) || lower.starts_with("sqlite_")) {
        errors.insert(
            "name".into(),
            field_error("validation_collection_name_invalid", "The name is reserved for an internal table."),
        );
    }
}

/// Field names no field may take: filter literals, SQLite's rowid alias
/// and the record JSON keys (PocketBase's `excludeNames`).
const EXCLUDED_FIELD_NAMES: [&str; 7] =
    ["null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand"];

/// Names an auth collection's fields may not take (its form keys).
const RESERVED_AUTH_KEYS: [&str; 2] = ["passwordConfirm", "oldPassword"];

/// PocketBase checks `fields` as a chain of rules where the first failing
/// rule is the whole answer for `fields`: duplicates, the minimum (system)
/// fields, system fields kept, types kept, reserved auth keys, then each
/// field's own settings.
fn validate_fields(new: &Collection, old: Option<&Collection>, all: &Collections, errors: &mut FieldErrors) {
    let checks: [&dyn Fn() -> Option<Value>; 6] = [
        &|| duplicated_fields(new),
        &|| missing_system_fields(new),
        &|| old.filter(|_| !new.is_view()).and_then(|old| changed_system_fields(new, old)),
        &|| old.filter(|_| !new.is_view()).and_then(|old| changed_field_types(new, old)),
        &|| new.is_auth().then(|| reserved_auth_keys(new)).flatten(),
        &|| field_settings(new, all),
    ];
    if let Some(err) = checks.iter().find_map(|check| check()) {
        errors.insert("fields".into(), err);
    }
}

/// Per-index errors as a `fields` answer, `None` when there are none.
fn indexed(errs: Map<String, Value>) -> Option<Value> {
    (!errs.is_empty()).then_some(Value::Object(errs))
}

fn duplicated_fields(new: &Collection) -> Option<Value> {
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    for (i, f) in new.fields.iter().enumerate() {
        if !f.id.is_empty() && !ids.insert(f.id.as_str()) {
            return Some(json!({ i.to_string(): {"id": field_error(
                "validation_duplicated_field_id",
                format!("Duplicated or invalid field id \"{}\".", f.id),
            )}}));
        }
        if !names.insert(f.name.to_lowercase()) {
            return Some(json!({ i.to_string(): {"name": field_error_with(
                "validation_duplicated_field_name",
                format!("Duplicated or invalid field name {}.", f.name),
                json!({"fieldName": f.name}),
            )}}));
        }
    }
    None
}

fn missing_system_fields(new: &Collection) -> Option<Value> {
    if new.fields.is_empty() {
        return Some(field_error("validation_required", "Cannot be blank."));
    }
    if !new.is_view() && !new.fields.iter().any(|f| f.is_primary_key() && f.name == "id") {
        return Some(field_error("validation_missing_primary_key", "Missing or invalid \"id\" PK field."));
    }
    if new.is_auth() {
        for name in AUTH_SYSTEM_FIELDS.iter().filter(|n| **n != "id") {
            if new.field(name).is_none() {
                return Some(field_error(
                    &format!("validation_missing_{name}_field"),
                    format!("System \"{name}\" field is required."),
                ));
            }
        }
    }
    None
}

fn changed_system_fields(new: &Collection, old: &Collection) -> Option<Value> {
    let changed =
        old.fields.iter().filter(|f| f.system).any(|of| new.field_by_id(&of.id).is_none_or(|nf| nf.name != of.name));
    changed.then(|| field_error("validation_system_field_change", "System fields cannot be deleted or renamed."))
}

fn changed_field_types(new: &Collection, old: &Collection) -> Option<Value> {
    let mut errs = Map::new();
    for (i, f) in new.fields.iter().enumerate() {
        if old.field_by_id(&f.id).is_some_and(|of| of.field_type() != f.field_type()) {
            errs.insert(
                i.to_string(),
                json!({"type": field_error("validation_field_type_change", "Field type cannot be changed.")}),
            );
        }
    }
    indexed(errs)
}

fn reserved_auth_keys(new: &Collection) -> Option<Value> {
    let mut errs = Map::new();
    for (i, f) in new.fields.iter().enumerate() {
        if RESERVED_AUTH_KEYS.contains(&f.name.as_str()) {
            errs.insert(
                i.to_string(),
                json!({"name": field_error("validation_reserved_field_name", "The field name is reserved and cannot be used.")}),
            );
        }
    }
    indexed(errs)
}

/// PocketBase's `DefaultFieldNameValidationRule`, first failure only.
fn field_name_error(name: &str) -> Option<Value> {
    if name.is_empty() {
        return Some(field_error("validation_required", "Cannot be blank."));
    }
    if name.chars().count() > 100 {
        return Some(field_error_with(
            "validation_length_out_of_range",
            "The length must be between 1 and 100.",
            json!({"max": 100, "min": 1}),
        ));
    }
    if !NAME_RE.is_match(name) {
        return Some(field_error("validation_match_invalid", "Must be in a valid format."));
    }
    if EXCLUDED_FIELD_NAMES.contains(&name) {
        return Some(field_error("validation_not_in_invalid", "Must not be in list."));
    }
    if name.contains("_via_") {
        return Some(field_error("validation_found_via", "The value cannot contain \"_via_\"."));
    }
    None
}

fn field_settings(new: &Collection, all: &Collections) -> Option<Value> {
    let mut field_errors = Map::new();
    for (i, f) in new.fields.iter().enumerate() {
        let mut fe = Map::new();
        if let Some(err) = field_name_error(&f.name) {
            fe.insert("name".into(), err);
        }
        match &f.kind {
            FieldKind::Relation { collection_id, .. } => match all.get(collection_id) {
                None if collection_id != &new.id => {
                    fe.insert(
                        "collectionId".into(),
                        field_error(
                            "validation_field_relation_missing_collection",
                            "The relation collection doesn't exist.",
                        ),
                    );
                }
                Some(target) if target.is_view() && !new.is_view() => {
                    fe.insert(
                        "collectionId".into(),
                        field_error(
                            "validation_field_relation_view",
                            "Non-view collections are not allowed to have a view relation.",
                        ),
                    );
                }
                _ => {}
            },
            FieldKind::Select { values, .. } if values.is_empty() => {
                fe.insert("values".into(), field_error("validation_required", "Cannot be blank."));
            }
            FieldKind::Text { pattern, .. } | FieldKind::Password { pattern, .. }
                if !pattern.is_empty() && Regex::new(pattern).is_err() =>
            {
                fe.insert("pattern".into(), field_error("validation_invalid_regex", "Invalid regular expression."));
            }
            _ => {}
        }
        if !fe.is_empty() {
            field_errors.insert(i.to_string(), Value::Object(fe));
        }
    }
    indexed(field_errors)
}

fn validate_indexes(new: &Collection, errors: &mut FieldErrors) {
    let mut idx_errors = Map::new();
    let mut names = HashSet::new();
    for (i, sql) in new.indexes.iter().enumerate() {
        match Index::parse(sql) {
            None => {
                idx_errors.insert(
                    i.to_string(),
                    field_error("validation_invalid_index_expression", "Invalid CREATE INDEX expression."),
                );
            }
            Some(idx) => {
                if !names.insert(idx.name.to_lowercase()) {
                    idx_errors.insert(
                        i.to_string(),
                        field_error("validation_duplicated_index_name", "The index name must be unique."),
                    );
                    continue;
                }
                if let Some(missing) = idx.column_names().into_iter().find(|c| new.field(c).is_none()) {
                    idx_errors.insert(
                        i.to_string(),
                        field_error("validation_unknown_index_column", format!("Unknown index column \"{missing}\".")),
                    );
                }
            }
        }
    }
    if !idx_errors.is_empty() {
        errors.insert("indexes".into(), Value::Object(idx_errors));
    }
}

fn validate_rules(new: &Collection, all: &Collections, errors: &mut FieldErrors) {
    let mut rules: Vec<(&str, &Option<String>)> = vec![
        ("listRule", &new.rules.list),
        ("viewRule", &new.rules.view),
        ("createRule", &new.rules.create),
        ("updateRule", &new.rules.update),
        ("deleteRule", &new.rules.delete),
    ];
    if let Some(a) = &new.auth {
        rules.push(("authRule", &a.auth_rule));
        rules.push(("manageRule", &a.manage_rule));
    }
    // the schema used for compiling must contain the new definition itself
    let mut list: Vec<Collection> = all.all().iter().filter(|c| c.id != new.id).map(|c| (**c).clone()).collect();
    list.push(new.clone());
    let schema = Collections::new(list);
    let request = RequestInfo::default();
    let ctx = FilterContext { base: new, schema: &schema, request: &request, allow_hidden: true, allow_request: true };
    for (key, rule) in rules {
        let Some(rule) = rule else { continue };
        if rule.trim().is_empty() {
            continue;
        }
        let mut b = QueryBuilder::default();
        if let Err(e) = compile_filter(&mut b, &ctx, rule, None) {
            errors.insert(key.into(), field_error("validation_invalid_rule", format!("Invalid rule. Raw error: {e}.")));
        }
    }
}
