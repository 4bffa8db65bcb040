//! `?expand=`: loads related records (relations and `x_via_y`
//! back-relations, nested with dots, up to 6 levels) that the caller may
//! view, and attaches them under each record's `expand`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::Record;
use crate::core::app::App;
use crate::core::collections::index::Index;
use crate::core::collections::{Collection, FieldKind};
use crate::core::error::Result;
use crate::core::filter::{FilterContext, QueryBuilder, compile_filter};
use crate::core::request::RequestInfo;
use crate::db::quote;

/// Maximum nesting of an expand path.
pub const MAX_EXPAND_DEPTH: usize = 6;

/// A parsed `expand` list as a tree of path segments.
#[derive(Debug, Default, Clone)]
pub struct ExpandTree(BTreeMap<String, ExpandTree>);

impl ExpandTree {
    /// Parses `a,b.c,d_via_e.f`.
    pub fn parse(expand: &str) -> Self {
        let mut root = ExpandTree::default();
        for path in expand.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut node = &mut root;
            for seg in path.split('.').take(MAX_EXPAND_DEPTH) {
                let seg = seg.trim();
                if seg.is_empty() {
                    break;
                }
                node = node.0.entry(seg.to_string()).or_default();
            }
        }
        root
    }

    /// Whether nothing is to be expanded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Records of `target` with the given ids that the caller may view.
fn viewable(
    app: &App,
    target: &Arc<Collection>,
    cond_sql: &str,
    mut b: QueryBuilder,
    req: &RequestInfo,
) -> Result<Vec<Record>> {
    let mut conds = vec![cond_sql.to_string()];
    if !req.is_superuser() {
        match &target.rules.view {
            None => return Ok(Vec::new()),
            Some(rule) if !rule.trim().is_empty() => {
                let schema = app.collections();
                let mut expand_req = req.clone();
                expand_req.context = "expand".into();
                let ctx = FilterContext {
                    base: target,
                    schema: &schema,
                    request: &expand_req,
                    allow_hidden: true,
                    allow_request: true,
                };
                match compile_filter(&mut b, &ctx, rule, None) {
                    Ok(sql) => conds.push(format!("({sql})")),
                    Err(_) => return Ok(Vec::new()),
                }
            }
            Some(_) => {}
        }
    }
    let group = if b.distinct { format!("GROUP BY {}.`id`", quote(&target.name)) } else { String::new() };
    let tail = format!("{} WHERE {} {group}", b.joins_sql(), conds.join(" AND "));
    app.find_records_sql(target, &tail, &b.args)
}

fn ids_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `column IN (ids)` with the ids bound as one JSON array (any number of
/// ids, one cached statement).
fn in_list(b: &mut QueryBuilder, column: &str, ids: &[String]) -> String {
    let list = b.arg(SqlValue::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())));
    format!("{column} IN (SELECT value FROM json_each({list}))")
}

impl App {
    /// Expands `records` in place following `tree`.
    pub fn expand_records(&self, records: &mut [Record], tree: &ExpandTree, req: &RequestInfo) -> Result<()> {
        if records.is_empty() || tree.is_empty() {
            return Ok(());
        }
        let c = records[0].collection.clone();
        for (key, children) in &tree.0 {
            if let Some(field) = c.field(key).filter(|f| matches!(f.kind, FieldKind::Relation { .. })) {
                self.expand_relation(
                    records,
                    key,
                    field.is_multiple(),
                    field.relation_target().unwrap_or_default(),
                    children,
                    req,
                )?;
            } else if let Some((coll_name, field_name)) = key.split_once("_via_") {
                self.expand_back_relation(records, key, coll_name, field_name, &c, children, req)?;
            }
        }
        Ok(())
    }

    fn expand_relation(
        &self,
        records: &mut [Record],
        key: &str,
        multiple: bool,
        target_id: &str,
        children: &ExpandTree,
        req: &RequestInfo,
    ) -> Result<()> {
        let Some(target) = self.collections().get(target_id) else {
            return Ok(());
        };
        let mut all_ids: Vec<String> = records.iter().flat_map(|r| ids_of(r.get(key))).collect();
        all_ids.sort();
        all_ids.dedup();
        if all_ids.is_empty() {
            return Ok(());
        }
        let mut b = QueryBuilder::default();
        let cond = in_list(&mut b, &format!("{}.`id`", quote(&target.name)), &all_ids);
        let mut found = viewable(self, &target, &cond, b, req)?;
        self.expand_records(&mut found, children, req)?;
        let by_id: HashMap<String, Value> =
            found.iter().map(|r| (r.id().to_string(), self.record_export(r, req))).collect();
        for r in records.iter_mut() {
            let items: Vec<Value> = ids_of(r.get(key)).iter().filter_map(|id| by_id.get(id).cloned()).collect();
            if items.is_empty() {
                continue;
            }
            let v = if multiple { Value::Array(items) } else { items.into_iter().next().unwrap_or(Value::Null) };
            r.expand.insert(key.to_string(), v);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn expand_back_relation(
        &self,
        records: &mut [Record],
        key: &str,
        coll_name: &str,
        field_name: &str,
        parent: &Collection,
        children: &ExpandTree,
        req: &RequestInfo,
    ) -> Result<()> {
        let Some(source) = self.collections().get(coll_name) else {
            return Ok(());
        };
        let Some(field) = source.field(field_name) else {
            return Ok(());
        };
        if field.relation_target() != Some(parent.id.as_str()) {
            return Ok(());
        }
        let parent_ids: Vec<String> = records.iter().map(|r| r.id().to_string()).collect();
        let mut b = QueryBuilder::default();
        let col = format!("{}.{}", quote(&source.name), quote(&field.name));
        let cond = if field.is_multiple() {
            let list = in_list(&mut b, "je.value", &parent_ids);
            format!(
                "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({col}) THEN {col} ELSE json_array({col}) END) je WHERE {list})"
            )
        } else {
            in_list(&mut b, &col, &parent_ids)
        };
        let mut found = viewable(self, &source, &cond, b, req)?;
        found.sort_by(|a, b| a.get_str("created").cmp(b.get_str("created")).then_with(|| a.id().cmp(b.id())));
        self.expand_records(&mut found, children, req)?;
        // a back-relation through a single, unique-indexed field is one record
        let unique_single = !field.is_multiple()
            && source
                .indexes
                .iter()
                .filter_map(|s| Index::parse(s))
                .any(|i| i.unique && i.column_names() == [field.name.clone()] && i.where_clause.is_empty());
        for r in records.iter_mut() {
            let rid = r.id().to_string();
            let items: Vec<Value> = found
                .iter()
                .filter(|f| ids_of(f.get(field_name)).contains(&rid))
                .map(|f| self.record_export(f, req))
                .collect();
            if items.is_empty() {
                continue;
            }
            let v = if unique_single { items.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(items) };
            r.expand.insert(key.to_string(), v);
        }
        Ok(())
    }

    /// The JSON of a record as the requester may see it (hidden fields for
    /// superusers, the email for owners, superusers and managers).
    pub fn record_export(&self, r: &Record, req: &RequestInfo) -> Value {
        let mut r2 = r.clone();
        self.apply_visibility(&mut r2, req);
        let enrich = &self.hooks().on_record_enrich;
        if enrich.is_empty() {
            return r2.to_json();
        }
        let mut ev = crate::core::events::RecordEnrichEvent { app: self.clone(), record: r2, request: req.clone() };
        if let Err(e) = enrich.trigger(&mut ev, &mut |_| Ok(())) {
            tracing::warn!("onRecordEnrich failed: {e}");
        }
        ev.record.to_json()
    }

    /// Sets the export flags of a record for the requester.
    pub fn apply_visibility(&self, r: &mut Record, req: &RequestInfo) {
        let su = req.is_superuser();
        r.show_hidden = r.show_hidden || su;
        if r.collection.is_auth() {
            let owner = req.auth.as_ref().is_some_and(|a| a.collection.id == r.collection.id && a.id() == r.id());
            let manager =
                !su && !owner
                    && r.collection.auth.as_ref().and_then(|a| a.manage_rule.clone()).is_some_and(|rule| {
                        self.record_matches_rule(&r.collection, r.id(), &rule, req).unwrap_or(false)
                    });
            r.ignore_email_visibility = r.ignore_email_visibility || su || owner || manager;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_paths_into_a_tree() {
        let t = ExpandTree::parse("author, tags,comments_via_post.by,post.author.team");
        let keys: Vec<_> = t.0.keys().cloned().collect();
        assert_eq!(keys, ["author", "comments_via_post", "post", "tags"]);
        assert!(t.0["comments_via_post"].0.contains_key("by"));
        assert!(t.0["post"].0["author"].0.contains_key("team"));
    }

    #[test]
    fn depth_is_capped() {
        let t = ExpandTree::parse("a.b.c.d.e.f.g.h");
        let mut depth = 0;
        let mut node = &t;
        while let Some((_, child)) = node.0.iter().next() {
            depth += 1;
            node = child;
        }
        assert_eq!(depth, MAX_EXPAND_DEPTH);
    }
}
