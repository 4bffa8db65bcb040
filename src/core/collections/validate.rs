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

/// Field names no collection may use (they are record JSON keys).
const RESERVED_FIELD_NAMES: [&str; 3] = ["expand", "collectionId", "collectionName"];

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

fn validate_fields(new: &Collection, old: Option<&Collection>, all: &Collections, errors: &mut FieldErrors) {
    let mut field_errors = Map::new();
    let mut seen = HashSet::new();
    for (i, f) in new.fields.iter().enumerate() {
        let mut fe = Map::new();
        if f.name.is_empty() {
            fe.insert("name".into(), field_error("validation_required", "Cannot be blank."));
        } else if !NAME_RE.is_match(&f.name) || f.name.len() > 100 {
            fe.insert("name".into(), field_error("validation_match_invalid", "Must be in a valid format."));
        } else if f.name.contains("_via_") {
            fe.insert(
                "name".into(),
                field_error("validation_field_name_invalid", "The name must not contain \"_via_\"."),
            );
        } else if !seen.insert(f.name.to_lowercase()) {
            fe.insert(
                "name".into(),
                field_error_with(
                    "validation_duplicated_field_name",
                    format!("Duplicated or invalid field name {}.", f.name),
                    json!({"fieldName": f.name}),
                ),
            );
        } else if RESERVED_FIELD_NAMES.contains(&f.name.as_str())
            || (new.is_auth() && (f.name == "passwordConfirm" || f.name == "oldPassword"))
        {
            fe.insert("name".into(), field_error("validation_field_name_reserved", "The field name is reserved."));
        }
        if let Some(of) = old.and_then(|o| o.field_by_id(&f.id))
            && of.field_type() != f.field_type()
        {
            fe.insert("type".into(), field_error("validation_field_type_change", "Field type cannot be changed."));
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
    if let Some(old) = old {
        for of in old.fields.iter().filter(|f| f.system) {
            if new.field_by_id(&of.id).is_none() && !(new.is_view()) {
                field_errors.insert(
                    "0".into(),
                    json!({"name": field_error("validation_system_field_removal", format!("System field \"{}\" cannot be removed.", of.name))}),
                );
            }
        }
    }
    if new.is_auth() {
        for name in AUTH_SYSTEM_FIELDS {
            if new.field(name).is_none() {
                errors.insert(
                    "fields".into(),
                    field_error("validation_missing_auth_field", format!("Missing required \"{name}\" field.")),
                );
            }
        }
    }
    if !new.is_view() && !new.fields.iter().any(|f| f.is_primary_key() && f.name == "id") {
        errors.insert(
            "fields".into(),
            field_error("validation_missing_primary_key", "Missing or invalid \"id\" PK field."),
        );
    }
    if !field_errors.is_empty() {
        errors.insert("fields".into(), Value::Object(field_errors));
    }
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
