//! The JS text of generated migrations, in the shapes PocketBase 0.40.6
//! writes: the blank template of `migrate create`, the created / updated /
//! deleted files of automigrate and the snapshot of `migrate collections`.
//! Collections appear as their API JSON with sorted keys, without the
//! `created`/`updated` dates and without OAuth2 provider configs (they hold
//! secrets), indented like Go's `json.MarshalIndent(v, "  ", "  ")`.

use serde_json::{Map, Value};

use crate::core::collections::Collection;

/// The first line of every generated file (for editor type hints).
const HEADER: &str = "/// <reference path=\"../pb_data/types.d.ts\" />\n";

/// `migrate create <name>`.
pub fn blank() -> String {
    format!("{HEADER}migrate((app) => {{\n  // add up queries...\n}}, (app) => {{\n  // add down queries...\n}})\n")
}

/// A collection's JSON as migrations store it.
pub fn collection_json(c: &Collection) -> Map<String, Value> {
    let Value::Object(mut m) = c.to_json() else {
        return Map::new();
    };
    m.remove("created");
    m.remove("updated");
    if let Some(Value::Object(oauth2)) = m.get_mut("oauth2") {
        oauth2.remove("providers");
    }
    m
}

/// Pretty JSON whose continuation lines are indented by two spaces, so it
/// sits inside a function body.
fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into()).replace('\n', "\n  ")
}

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn save_new(c: &Collection) -> String {
    format!(
        "  const collection = new Collection({});\n\n  return app.save(collection);\n",
        pretty(&Value::Object(collection_json(c)))
    )
}

fn delete_existing(c: &Collection) -> String {
    format!(
        "  const collection = app.findCollectionByNameOrId({});\n\n  return app.delete(collection);\n",
        quoted(&c.id)
    )
}

fn wrap(up: &str, down: &str) -> String {
    format!("{HEADER}migrate((app) => {{\n{up}}}, (app) => {{\n{down}}})\n")
}

/// Automigrate after a collection was created.
pub fn created(c: &Collection) -> String {
    wrap(&save_new(c), &delete_existing(c))
}

/// Automigrate after a collection was deleted.
pub fn deleted(c: &Collection) -> String {
    wrap(&delete_existing(c), &save_new(c))
}

/// `migrate collections`: every collection, imported as a whole.
pub fn snapshot(collections: &[&Collection]) -> String {
    let list = Value::Array(collections.iter().map(|c| Value::Object(collection_json(c))).collect());
    let up = format!("  const snapshot = {};\n\n  return app.importCollections(snapshot, false);\n", pretty(&list));
    wrap(&up, "  return null;\n")
}

/// Automigrate after a collection was updated; `None` when nothing a
/// migration records changed.
pub fn updated(old: &Collection, new: &Collection) -> Option<String> {
    let (old_json, new_json) = (collection_json(old), collection_json(new));
    let up = update_body(&new.id, &old_json, &new_json, false);
    let down = update_body(&new.id, &new_json, &old_json, true);
    Some(wrap(&up?, &down?))
}

fn fields_of(m: &Map<String, Value>) -> &[Value] {
    m.get("fields").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The statements turning `from` into `to`, or `None` when they are equal
/// (`revert`: the down function, see [`field_ops`]).
fn update_body(id: &str, from: &Map<String, Value>, to: &Map<String, Value>, revert: bool) -> Option<String> {
    let mut data_from = from.clone();
    let mut data_to = to.clone();
    data_from.remove("fields");
    data_to.remove("fields");
    let data = diff(&data_from, &data_to);
    let ops = field_ops(fields_of(from), fields_of(to), revert);
    if data.is_empty() && ops.is_empty() {
        return None;
    }
    let mut out = format!("  const collection = app.findCollectionByNameOrId({})\n\n", quoted(id));
    if !data.is_empty() {
        out.push_str(&format!(
            "  // update collection data\n  unmarshal({}, collection)\n\n",
            pretty(&Value::Object(data))
        ));
    }
    for op in &ops {
        out.push_str(&match op {
            FieldOp::Remove(id) => format!("  // remove field\n  collection.fields.removeById({})\n\n", quoted(id)),
            FieldOp::Add(pos, f) => {
                format!("  // add field\n  collection.fields.addAt({pos}, new Field({}))\n\n", pretty(f))
            }
            FieldOp::Update(pos, f) => {
                format!("  // update field\n  collection.fields.addAt({pos}, new Field({}))\n\n", pretty(f))
            }
        });
    }
    out.push_str("  return app.save(collection)\n");
    Some(out)
}

/// The keys of `to` whose value differs from `from`; objects compare key
/// by key (so `unmarshal` merges them), anything else as a whole. Keys only
/// `from` has are left out (a collection's keys depend on its type only).
pub fn diff(from: &Map<String, Value>, to: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in to {
        match (from.get(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => {
                let d = diff(a, b);
                if !d.is_empty() {
                    out.insert(k.clone(), Value::Object(d));
                }
            }
            (Some(a), b) if a == b => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// One change of the fields list, as `collection.fields` calls.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldOp {
    /// `removeById(id)`
    Remove(String),
    /// `addAt(pos, new Field(json))` of a field `from` lacks.
    Add(usize, Value),
    /// `addAt(pos, new Field(json))` of a changed or moved field.
    Update(usize, Value),
}

fn field_id(f: &Value) -> &str {
    f.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// What `FieldsList.addAt` / `removeById` do, on ids only.
fn apply(list: &mut Vec<String>, op: &FieldOp) {
    match op {
        FieldOp::Remove(id) => list.retain(|x| x != id),
        FieldOp::Add(pos, f) | FieldOp::Update(pos, f) => {
            let id = field_id(f).to_string();
            list.retain(|x| *x != id);
            list.insert((*pos).min(list.len()), id);
        }
    }
}

/// The field changes from `from` to `to`, in PocketBase's order: first
/// the fields the change deleted, then the ones it added, then the changed
/// ones. So an up function removes, adds, updates and a down function
/// (`revert`) adds back, removes, updates. Fields that only moved get an
/// update at their new position when the other changes do not already put
/// them there, so replaying the calls gives exactly `to`'s order.
pub fn field_ops(from: &[Value], to: &[Value], revert: bool) -> Vec<FieldOp> {
    let from_of = |id: &str| from.iter().find(|f| field_id(f) == id);
    let in_to = |id: &str| to.iter().any(|f| field_id(f) == id);
    let removes: Vec<FieldOp> =
        from.iter().filter(|f| !in_to(field_id(f))).map(|f| FieldOp::Remove(field_id(f).to_string())).collect();
    let adds: Vec<FieldOp> = to
        .iter()
        .enumerate()
        .filter(|(_, f)| from_of(field_id(f)).is_none())
        .map(|(i, f)| FieldOp::Add(i, f.clone()))
        .collect();
    let mut ops = if revert { [adds, removes].concat() } else { [removes, adds].concat() };
    for (i, f) in to.iter().enumerate() {
        if from_of(field_id(f)).is_some_and(|old| old != f) {
            ops.push(FieldOp::Update(i, f.clone()));
        }
    }
    let mut order: Vec<String> = from.iter().map(|f| field_id(f).to_string()).collect();
    for op in &ops {
        apply(&mut order, op);
    }
    for (k, f) in to.iter().enumerate() {
        if order.get(k).map(String::as_str) != Some(field_id(f)) {
            let op = FieldOp::Update(k, f.clone());
            apply(&mut order, &op);
            ops.push(op);
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn f(id: &str, max: i64) -> Value {
        json!({"id": id, "name": id, "type": "text", "max": max})
    }

    fn replay(from: &[Value], ops: &[FieldOp]) -> Vec<String> {
        let mut order: Vec<String> = from.iter().map(|x| field_id(x).to_string()).collect();
        for op in ops {
            apply(&mut order, op);
        }
        order
    }

    #[test]
    fn blank_template_is_pocketbases() {
        assert_eq!(
            blank(),
            "/// <reference path=\"../pb_data/types.d.ts\" />\nmigrate((app) => {\n  // add up queries...\n}, (app) => {\n  // add down queries...\n})\n"
        );
    }

    #[test]
    fn field_ops_follow_pocketbases_order() {
        let from = [f("id", 15), f("title", 120), f("views", 0), f("status", 0)];
        let to = [f("id", 15), f("title", 200), f("status", 0), f("featured", 0)];
        let ops = field_ops(&from, &to, false);
        assert_eq!(
            ops,
            vec![
                FieldOp::Remove("views".into()),
                FieldOp::Add(3, f("featured", 0)),
                FieldOp::Update(1, f("title", 200))
            ]
        );
        let back = field_ops(&to, &from, true);
        assert_eq!(
            back,
            vec![
                FieldOp::Add(2, f("views", 0)),
                FieldOp::Remove("featured".into()),
                FieldOp::Update(1, f("title", 120))
            ]
        );
    }

    #[test]
    fn field_ops_replay_to_the_exact_order() {
        let cases: Vec<(Vec<Value>, Vec<Value>)> = vec![
            (vec![f("a", 0), f("b", 0), f("c", 0)], vec![f("c", 0), f("a", 0), f("b", 0)]),
            (vec![f("a", 0), f("b", 0)], vec![f("x", 0), f("b", 0), f("y", 0), f("a", 1)]),
            (vec![f("a", 0), f("b", 0), f("c", 0), f("d", 0)], vec![f("d", 0), f("b", 1)]),
            (vec![], vec![f("a", 0)]),
        ];
        for (from, to) in cases {
            let want: Vec<String> = to.iter().map(|x| field_id(x).to_string()).collect();
            assert_eq!(replay(&from, &field_ops(&from, &to, false)), want);
            let back: Vec<String> = from.iter().map(|x| field_id(x).to_string()).collect();
            assert_eq!(replay(&to, &field_ops(&to, &from, true)), back);
        }
    }

    #[test]
    fn data_diff_recurses_into_objects_only() {
        let a =
            json!({"listRule": null, "passwordAuth": {"enabled": true, "identityFields": ["email"]}, "indexes": ["x"]});
        let b = json!({"listRule": "", "passwordAuth": {"enabled": true, "identityFields": ["email", "name"]}, "indexes": ["x"]});
        let d = diff(a.as_object().expect("object"), b.as_object().expect("object"));
        assert_eq!(Value::Object(d), json!({"listRule": "", "passwordAuth": {"identityFields": ["email", "name"]}}));
    }

    #[test]
    fn json_is_indented_for_the_function_body() {
        assert_eq!(pretty(&json!({"a": [1], "b": {}})), "{\n    \"a\": [\n      1\n    ],\n    \"b\": {}\n  }");
    }
}
