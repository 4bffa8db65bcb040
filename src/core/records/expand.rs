//! `?expand=`: loads related records (relations and `x_via_y`
//! back-relations, nested with dots, up to 6 levels) that the caller may
//! view, and attaches them under each record's `expand`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::Record;
use crate::core::app::App;
use crate::core::collections::index::Index;
use crate::core::collections::{Collection, FieldKind};
use crate::core::error::{Error, Result};
use crate::core::filter::{FilterContext, QueryBuilder, compile_filter};
use crate::core::request::RequestInfo;
use crate::db::records as rows;

/// Maximum nesting of an expand path.
pub const MAX_EXPAND_DEPTH: usize = 6;

/// Most related records one request may expand, counting every copy (a
/// record expanded under 40 parents counts 40 times). PocketBase has no
/// such limit: a dense relation expanded three levels deep makes one
/// response of hundreds of MB there. Beyond it the request fails with 400.
pub const MAX_EXPANDED_RECORDS: u64 = 50_000;

/// Most records a back-relation expand lists per parent (PocketBase's cap).
pub const MAX_BACK_RELATIONS: i64 = 1000;

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

/// Records of `target` among `ids` that the caller may view.
fn viewable(app: &App, target: &Arc<Collection>, ids: &[String], req: &RequestInfo) -> Result<Vec<Record>> {
    let mut b = QueryBuilder::default();
    let mut conds = Vec::new();
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
    let query = b.into_select(&target.name).where_in_json("id", ids).and_where_all(conds);
    app.find_records_by_select(target, &query)
}

fn ids_of(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The error when a request would expand more than [`MAX_EXPANDED_RECORDS`].
fn over_budget() -> Error {
    Error::BadRequest(format!(
        "The expand would return more than {MAX_EXPANDED_RECORDS} related records; request fewer records (perPage) or a shorter expand path."
    ))
}

/// One relation to attach: the related ids of each parent record (in
/// output order) and whether the result is one record or a list.
struct Relation<'a> {
    key: &'a str,
    ids: Vec<Vec<String>>,
    multiple: bool,
    target: Arc<Collection>,
}

impl App {
    /// Expands `records` in place following `tree`. At most
    /// [`MAX_EXPANDED_RECORDS`] related records may appear in the result
    /// (counting every copy of a record that appears several times);
    /// beyond that the request fails before anything large is built.
    pub fn expand_records(&self, records: &mut [Record], tree: &ExpandTree, req: &RequestInfo) -> Result<()> {
        self.expand_weighted(records, tree, req).map(|_| ())
    }

    /// [`App::expand_records`], returning each record's weight: 1 plus the
    /// number of related records its expansion holds (all levels).
    fn expand_weighted(&self, records: &mut [Record], tree: &ExpandTree, req: &RequestInfo) -> Result<Vec<u64>> {
        let mut weights = vec![1u64; records.len()];
        if records.is_empty() || tree.is_empty() {
            return Ok(weights);
        }
        let c = records[0].collection.clone();
        for (key, children) in &tree.0 {
            let relation = if let Some(field) = c.field(key).filter(|f| matches!(f.kind, FieldKind::Relation { .. })) {
                let Some(target) = self.collections().get(field.relation_target().unwrap_or_default()) else {
                    continue;
                };
                let ids = records.iter().map(|r| ids_of(r.get(key))).collect();
                Relation { key, ids, multiple: field.is_multiple(), target }
            } else if let Some((coll_name, field_name)) = key.split_once("_via_") {
                match self.back_relation(records, key, coll_name, field_name, &c)? {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                continue;
            };
            // a valid relation path sets `expand` on every record, found or not
            records.iter_mut().for_each(|r| r.expand_set = true);
            let added = self.attach(records, relation, children, req)?;
            for (w, a) in weights.iter_mut().zip(added) {
                *w = w.saturating_add(a);
            }
            let total: u64 = weights.iter().map(|w| w - 1).sum();
            if total > MAX_EXPANDED_RECORDS {
                return Err(over_budget());
            }
        }
        Ok(weights)
    }

    /// Loads the related records the caller may view, expands them
    /// further, and puts them under each parent's `expand[key]`. Returns
    /// what each parent gained (related records at every level).
    fn attach(
        &self,
        records: &mut [Record],
        rel: Relation<'_>,
        children: &ExpandTree,
        req: &RequestInfo,
    ) -> Result<Vec<u64>> {
        let mut all_ids: Vec<String> = rel.ids.iter().flatten().cloned().collect();
        all_ids.sort();
        all_ids.dedup();
        if all_ids.is_empty() {
            return Ok(vec![0; records.len()]);
        }
        let mut found = viewable(self, &rel.target, &all_ids, req)?;
        let found_weights = self.expand_weighted(&mut found, children, req)?;
        let weight_of: HashMap<&str, u64> = found.iter().zip(&found_weights).map(|(r, w)| (r.id(), *w)).collect();
        // decide the size before building anything: every copy counts
        let gained: Vec<u64> = rel
            .ids
            .iter()
            .map(|ids| {
                let weights = ids.iter().filter_map(|id| weight_of.get(id.as_str()).copied());
                if rel.multiple { weights.sum() } else { weights.take(1).sum() }
            })
            .collect();
        if gained.iter().sum::<u64>() > MAX_EXPANDED_RECORDS {
            return Err(over_budget());
        }
        let by_id: HashMap<String, Value> =
            found.iter().map(|r| (r.id().to_string(), self.record_export(r, req))).collect();
        drop(found);
        for (r, ids) in records.iter_mut().zip(&rel.ids) {
            let mut items = ids.iter().filter_map(|id| by_id.get(id));
            let v = if rel.multiple {
                let list: Vec<Value> = items.cloned().collect();
                if list.is_empty() {
                    continue;
                }
                Value::Array(list)
            } else {
                match items.next() {
                    Some(one) => one.clone(),
                    None => continue,
                }
            };
            r.expand.insert(rel.key.to_string(), v);
        }
        Ok(gained)
    }

    /// A `collection_via_field` back-relation: for each parent, the ids of
    /// the first [`MAX_BACK_RELATIONS`] records (in insertion order) whose
    /// `field` points at it, as PocketBase caps them.
    fn back_relation<'a>(
        &self,
        records: &[Record],
        key: &'a str,
        coll_name: &str,
        field_name: &str,
        parent: &Collection,
    ) -> Result<Option<Relation<'a>>> {
        let Some(source) = self.collections().get(coll_name) else {
            return Ok(None);
        };
        let Some(field) = source.field(field_name) else {
            return Ok(None);
        };
        if field.relation_target() != Some(parent.id.as_str()) {
            return Ok(None);
        }
        let multiple_field = field.is_multiple();
        let ids = self.executor().read(|conn| {
            records
                .iter()
                .map(|r| {
                    rows::back_relation_ids(conn, &source.name, &field.name, multiple_field, r.id(), MAX_BACK_RELATIONS)
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        // a back-relation through a single, unique-indexed field is one record
        let unique_single = !multiple_field
            && source
                .indexes
                .iter()
                .filter_map(|s| Index::parse(s))
                .any(|i| i.unique && i.column_names() == [field.name.clone()] && i.where_clause.is_empty());
        Ok(Some(Relation { key, ids, multiple: !unique_single, target: source }))
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
