//! `@request.*` identifiers: static request values (`context`, `method`,
//! `query.*`, `headers.*`, `body.*`, plain `auth.*` fields) bound as
//! arguments, the body modifiers (`:isset`, `:changed`, `:length`,
//! `:each`, `:lower`), and the joins behind `@request.auth.<relation…>` and
//! `@request.body.<relation>.<field>`.

use crate::db::SqlValue;
use serde_json::{Map, Value};

use super::FilterError;
use super::compare::equal_sql;
use super::compiler::{CollectionRef, Compiler};
use super::fields::{Modifier, Walk, column, split_modifier};
use super::operand::{NullFallback, Resolved};
use crate::core::collections::{Field, FieldKind};
use crate::core::records::Record;
use crate::db::quote;

/// Auth fields read from the request's auth record without a join.
const PLAIN_AUTH_FIELDS: [&str; 6] = ["id", "collectionId", "collectionName", "email", "emailVisibility", "verified"];

/// A value as text, the way Go's `cast.ToString` prints it ("" for lists and objects).
fn go_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A submitted value as a list: nothing → `[]`, a scalar → `[scalar]`.
fn items_of(value: Option<&Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// The distinct non-empty ids of a submitted relation value (a single id,
/// a list, or a JSON-encoded list as multipart forms send it).
fn relation_ids(value: Option<&Value>) -> Vec<String> {
    let items = match value {
        Some(Value::String(s)) if s.starts_with('[') => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => vec![Value::String(s.clone())],
        },
        other => items_of(other),
    };
    let mut ids: Vec<String> = Vec::new();
    for id in items.iter().map(|item| go_string(Some(item))) {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// `map.a.b.0…`: object keys and array indexes.
fn nested_value(map: &Map<String, Value>, path: &[&str]) -> Option<Value> {
    let (first, rest) = path.split_first()?;
    let mut value = map.get(*first)?;
    for key in rest {
        value = match value {
            Value::Object(m) => m.get(*key)?,
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value.clone())
}

fn auth_plain_value(auth: &Record, field: &str) -> Value {
    match field {
        "id" => Value::String(auth.id().to_string()),
        "collectionId" => Value::String(auth.collection.id.clone()),
        "collectionName" => Value::String(auth.collection.name.clone()),
        _ => auth.get(field).clone(),
    }
}

fn ensure_multi_valuer(field: &Field) -> Result<(), FilterError> {
    match field.kind {
        FieldKind::Relation { .. } | FieldKind::Select { .. } | FieldKind::File { .. } => Ok(()),
        _ => Err(FilterError(format!("field {:?} doesn't support multivalue operations", field.name))),
    }
}

impl<'c> Compiler<'c, '_> {
    /// Any `@request.…` identifier (`segments[0]` is `@request`).
    pub fn request_field(&mut self, segments: &[&str]) -> Result<Resolved, FilterError> {
        match segments[1] {
            "auth" => self.request_auth(segments),
            "body" => self.request_body(segments),
            _ => self.request_static(&segments[1..]),
        }
    }

    /// A value of the request (`path` starts after `@request`), bound as an argument.
    fn request_static(&mut self, path: &[&str]) -> Result<Resolved, FilterError> {
        let Some((last, parents)) = path.split_last() else {
            return Ok(Resolved::null());
        };
        let (key, modifier) = split_modifier(last)?;
        let keys: Vec<&str> = parents.iter().copied().chain([key]).collect();
        let value = self.static_value(&keys);
        match modifier {
            Some(Modifier::Isset) => {
                return Ok(Resolved::raw(if value.is_some() { "TRUE" } else { "FALSE" }));
            }
            None | Some(Modifier::Lower) => {}
            Some(_) => return Err(FilterError(format!("invalid modifier sequence {last}"))),
        }
        let Some(value) = value.and_then(|v| self.static_sql_value(v, key)) else {
            return Ok(Resolved::null());
        };
        let resolved = Resolved::literal(self.b, value);
        Ok(if modifier == Some(Modifier::Lower) { resolved.wrapped("LOWER") } else { resolved })
    }

    fn static_value(&self, keys: &[&str]) -> Option<Value> {
        let request = self.request;
        match keys {
            ["context"] => Some(Value::String(request.context_name().to_string())),
            ["method"] => Some(Value::String(request.method.clone())),
            ["query", path @ ..] => nested_value(&request.query, path),
            ["headers", path @ ..] => nested_value(&request.headers, path),
            ["body", path @ ..] => nested_value(&request.body, path),
            ["auth", field] => request.auth.as_deref().map(|auth| auth_plain_value(auth, field)),
            _ => None,
        }
    }

    /// How PocketBase binds a request value: numbers as floats, bools as
    /// 0/1, lists and objects as JSON, numeric strings as numbers when the
    /// base collection has a number field of that name (form submissions).
    fn static_sql_value(&self, value: Value, key: &str) -> Option<SqlValue> {
        match value {
            Value::Null => None,
            Value::Bool(b) => Some(SqlValue::Integer(i64::from(b))),
            Value::Number(n) => n.as_f64().map(SqlValue::Real),
            Value::String(s) => {
                let is_number_field =
                    self.scope.base.field(key).is_some_and(|f| matches!(f.kind, FieldKind::Number { .. }));
                match s.parse::<f64>() {
                    Ok(n) if is_number_field && n.is_finite() => Some(SqlValue::Real(n)),
                    _ => Some(SqlValue::Text(s)),
                }
            }
            other => Some(SqlValue::Text(other.to_string())),
        }
    }

    /// `@request.auth.*`: NULL for guests; plain fields from the auth
    /// record; anything else through a join on the auth collection.
    fn request_auth(&mut self, segments: &[&str]) -> Result<Resolved, FilterError> {
        let Some(auth) = self.request.auth.as_ref() else {
            return Ok(Resolved::null());
        };
        if let [_, _, field] = segments
            && PLAIN_AUTH_FIELDS.contains(field)
        {
            return self.request_static(&segments[1..]);
        }
        let collection = CollectionRef::Shared(auth.collection.clone());
        let alias = format!("__auth_{}{}", collection.name, self.scope.alias_suffix);
        let auth_id = auth.id().to_string();
        let id = self.b.shared_arg(&alias, || SqlValue::Text(auth_id));
        self.join_collection(&alias, collection.clone(), Some(&format!("{} = {id}", column(&alias, "id"))))?;

        let mut walk = Walk::from_base(self);
        let mm_alias = format!("__mm_{alias}");
        walk.mm_joins.push(format!(
            "LEFT JOIN {} AS {} ON {} = {id}",
            quote(&collection.name),
            quote(&mm_alias),
            column(&mm_alias, "id")
        ));
        walk.nullify_missing = true;
        walk.enter(collection, alias, mm_alias);
        self.walk(walk, &segments[2..])
    }

    /// `@request.body.<name>…` (at least three segments).
    fn request_body(&mut self, segments: &[&str]) -> Result<Resolved, FilterError> {
        let (name, modifier) = split_modifier(segments[2])?;
        let Some(field) = self.scope.base.field(name).cloned() else {
            return self.request_static(&segments[1..]);
        };
        if field.relation_target().is_some() && segments.len() > 3 {
            return self.body_relation(&field, &segments[3..]);
        }
        if segments.len() == 3 {
            match modifier {
                Some(Modifier::Each) => return self.body_each(&field),
                Some(Modifier::Length) => return self.body_length(&field),
                Some(Modifier::Lower) => return Ok(self.body_lower(&field)),
                Some(Modifier::Changed) => return self.body_changed(&field),
                _ => {}
            }
        }
        self.request_static(&segments[1..])
    }

    /// `@request.body.tags:each`: one joined row per submitted item.
    fn body_each(&mut self, field: &Field) -> Result<Resolved, FilterError> {
        ensure_multi_valuer(field)?;
        let items_json = Value::Array(items_of(self.request.body.get(&field.name))).to_string();
        let alias = format!("__dataEach_je_{}{}", field.name, self.scope.alias_suffix);
        let items = self.b.shared_arg(&alias, || SqlValue::Text(items_json));
        self.b.join(&alias, format!("LEFT JOIN json_each({items}) AS {}", quote(&alias)));
        self.b.distinct = true;

        let mut walk = Walk::from_base(self);
        let mm_alias = format!("__mm_{alias}");
        walk.mm_joins.push(format!("LEFT JOIN json_each({items}) AS {}", quote(&mm_alias)));
        walk.every_item = field.is_multiple();
        let mut resolved = Resolved::raw(column(&alias, "value"));
        resolved.known_non_empty = true;
        resolved.multi_match = walk.multi_match(column(&mm_alias, "value"));
        Ok(resolved)
    }

    /// `@request.body.tags:length`: the number of submitted items.
    fn body_length(&mut self, field: &Field) -> Result<Resolved, FilterError> {
        ensure_multi_valuer(field)?;
        let count = items_of(self.request.body.get(&field.name)).len();
        let mut resolved = Resolved::raw(self.b.arg(SqlValue::Integer(i64::try_from(count).unwrap_or(i64::MAX))));
        // PocketBase writes the count as a SQL literal, and treats `0` and
        // `1` (only) as known non-empty in equality comparisons
        resolved.known_non_empty = count <= 1;
        Ok(resolved)
    }

    fn body_lower(&mut self, field: &Field) -> Resolved {
        let text = go_string(self.request.body.get(&field.name));
        Resolved::literal(self.b, SqlValue::Text(text)).wrapped("LOWER")
    }

    /// `@request.body.f:changed`: submitted and different from the stored
    /// value (`@request.body.f:isset = true && @request.body.f != f`).
    fn body_changed(&mut self, field: &Field) -> Result<Resolved, FilterError> {
        let sql = if self.request.body.contains_key(&field.name) {
            let submitted = self.request_static(&["body", &field.name])?;
            let stored = self.field(&field.name)?;
            format!("({})", equal_sql(self.b, false, &submitted, &stored))
        } else {
            "FALSE".to_string()
        };
        let mut resolved = Resolved::raw(sql);
        resolved.null_fallback = NullFallback::Disabled;
        Ok(resolved)
    }

    /// `@request.body.author.name`: joins the submitted related records.
    fn body_relation(&mut self, field: &Field, rest: &[&str]) -> Result<Resolved, FilterError> {
        let ids = relation_ids(self.request.body.get(&field.name));
        if ids.is_empty() {
            return Ok(Resolved::null());
        }
        let target_id = field.relation_target().unwrap_or_default();
        let target = self
            .load_collection(target_id)
            .ok_or_else(|| FilterError(format!("failed to load the collection of body field {:?}", field.name)))?;
        let alias = format!("__data_{}_{}{}", target.name, field.name, self.scope.alias_suffix);
        let placeholders: Vec<String> = ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| self.b.shared_arg(&format!("{alias}#{i}"), || SqlValue::Text(id)))
            .collect();
        let is_submitted = |alias: &str| match placeholders.as_slice() {
            [one] => format!("{} = {one}", column(alias, "id")),
            many => format!("{} IN ({})", column(alias, "id"), many.join(", ")),
        };
        self.join_collection(&alias, target.clone(), Some(&is_submitted(&alias)))?;
        if placeholders.len() > 1 {
            self.b.distinct = true;
        }

        let mut walk = Walk::from_base(self);
        let mm_alias = format!("__mm_{alias}");
        walk.mm_joins.push(format!(
            "LEFT JOIN {} AS {} ON {}",
            quote(&target.name),
            quote(&mm_alias),
            is_submitted(&mm_alias)
        ));
        walk.every_item = field.is_multiple();
        walk.nullify_missing = true;
        walk.enter(target, alias, mm_alias);
        self.walk(walk, rest)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn converts_values_like_go() {
        assert_eq!(go_string(Some(&json!(10))), "10");
        assert_eq!(go_string(Some(&json!(2.5))), "2.5");
        assert_eq!(go_string(Some(&json!(true))), "true");
        assert_eq!(go_string(Some(&json!(["a"]))), "");
        assert_eq!(go_string(None), "");
    }

    #[test]
    fn reads_relation_ids_in_every_submitted_shape() {
        assert_eq!(relation_ids(Some(&json!("a"))), vec!["a"]);
        assert_eq!(relation_ids(Some(&json!(["a", "b", "a", ""]))), vec!["a", "b"]);
        assert_eq!(relation_ids(Some(&json!("[\"a\",\"b\"]"))), vec!["a", "b"]);
        assert!(relation_ids(Some(&json!(""))).is_empty());
        assert!(relation_ids(None).is_empty());
    }

    #[test]
    fn walks_nested_request_values() {
        let value = json!({"a": {"b": [1, {"c": "x"}]}});
        let map = value.as_object().expect("an object");
        assert_eq!(nested_value(map, &["a", "b", "1", "c"]), Some(json!("x")));
        assert_eq!(nested_value(map, &["a", "b", "9"]), None);
        assert_eq!(nested_value(map, &["a", "x"]), None);
    }
}
