//! Reading records with API rules: paginated lists (`?page&perPage&sort&
//! filter&skipTotal`), single views, and the rule checks that create, update
//! and delete reuse. Rules and client filters go through the one compiler.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Record;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, Result};
use crate::core::filter::{FilterContext, FilterError, QueryBuilder, compile_filter, compile_sort};
use crate::core::request::RequestInfo;
use crate::db::{DbError, Executor, Select, records as rows};

/// Default and maximum page sizes (PocketBase's).
pub const DEFAULT_PER_PAGE: i64 = 30;
/// Largest accepted `perPage`.
pub const MAX_PER_PAGE: i64 = 1000;

/// `?page&perPage&sort&filter&skipTotal` of a list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: i64,
    pub per_page: i64,
    pub sort: String,
    pub filter: String,
    pub skip_total: bool,
}

/// One page of records.
#[derive(Debug)]
pub struct ListPage {
    pub page: i64,
    pub per_page: i64,
    pub total_items: i64,
    pub total_pages: i64,
    pub items: Vec<Record>,
}

/// The message PocketBase answers when a rule is `null`.
pub const SUPERUSERS_ONLY: &str = "Only superusers can perform this action.";

/// Maps a compile error of a client-supplied filter/sort to PocketBase's answers.
pub fn client_filter_error(e: FilterError) -> Error {
    if e.is_forbidden() {
        return Error::Forbidden(e.0);
    }
    tracing::debug!("invalid filter: {e}");
    Error::bad_input()
}

impl App {
    fn filter_ctx<'a>(
        &self,
        c: &'a Collection,
        schema: &'a crate::core::collections::Collections,
        req: &'a RequestInfo,
        client: bool,
    ) -> FilterContext<'a> {
        let su = req.is_superuser();
        FilterContext { base: c, schema, request: req, allow_hidden: !client || su, allow_request: !client || su }
    }

    /// Adds `rule` to `conds`: `Err(Forbidden)` for a null rule, nothing for "".
    fn push_rule(
        &self,
        b: &mut QueryBuilder,
        conds: &mut Vec<String>,
        c: &Collection,
        rule: &Option<String>,
        req: &RequestInfo,
    ) -> Result<()> {
        if req.is_superuser() {
            return Ok(());
        }
        let Some(rule) = rule else {
            return Err(Error::Forbidden(SUPERUSERS_ONLY.into()));
        };
        if rule.trim().is_empty() {
            return Ok(());
        }
        let schema = self.collections();
        let ctx = self.filter_ctx(c, &schema, req, false);
        let sql = compile_filter(b, &ctx, rule, None).map_err(|e| Error::BadRequest(format!("Invalid rule: {e}")))?;
        conds.push(format!("({sql})"));
        Ok(())
    }

    /// A page of records the caller may list.
    pub fn list_records(&self, c: &Arc<Collection>, q: &ListQuery, req: &RequestInfo) -> Result<ListPage> {
        let schema = self.collections();
        let mut b = QueryBuilder::default();
        let mut conds = Vec::new();
        self.push_rule(&mut b, &mut conds, c, &c.rules.list, req)?;
        if !q.filter.trim().is_empty() {
            if q.filter.len() > 3500 {
                return Err(Error::bad_input());
            }
            let ctx = self.filter_ctx(c, &schema, req, true);
            let sql = compile_filter(&mut b, &ctx, &q.filter, None).map_err(client_filter_error)?;
            conds.push(format!("({sql})"));
        }
        let ctx = self.filter_ctx(c, &schema, req, true);
        let order = compile_sort(&mut b, &ctx, &q.sort).map_err(client_filter_error)?;
        // carries the list rules of collections the sort joined
        let query = b.into_select(&c.name).and_where_all(conds).order_by(order);
        let (mut page, items) = paged(self.executor(), query, q, |query| self.find_records_paged(c, query))?;
        page.items = items;
        Ok(page)
    }

    /// The records a query over the collection's table selects.
    pub fn find_records_by_select(&self, c: &Arc<Collection>, query: &Select) -> Result<Vec<Record>> {
        Ok(records_of(c, query.records(self.executor(), c)?))
    }

    /// Like [`App::find_records_by_select`] for a sorted page: sorted and
    /// paged over rowids first, then loaded.
    fn find_records_paged(&self, c: &Arc<Collection>, query: &Select) -> Result<Vec<Record>, DbError> {
        Ok(records_of(c, query.records_by_rowid(self.executor(), c)?))
    }

    /// One record the caller may view: 403 for a null rule, 404 when the
    /// rule does not match (so existence does not leak).
    pub fn view_record(&self, c: &Arc<Collection>, id: &str, req: &RequestInfo) -> Result<Record> {
        self.find_record_by_rule(c, id, &c.rules.view, req)
    }

    /// A record by id that satisfies `rule` for the request.
    pub fn find_record_by_rule(
        &self,
        c: &Arc<Collection>,
        id: &str,
        rule: &Option<String>,
        req: &RequestInfo,
    ) -> Result<Record> {
        let mut b = QueryBuilder::default();
        let mut conds = Vec::new();
        self.push_rule(&mut b, &mut conds, c, rule, req)?;
        let query = b.into_select(&c.name).where_eq("id", id).and_where_all(conds).limit(1);
        self.find_records_by_select(c, &query)?.into_iter().next().ok_or_else(Error::not_found)
    }

    /// Whether the stored record `id` satisfies a non-empty rule expression.
    pub fn record_matches_rule(&self, c: &Arc<Collection>, id: &str, rule: &str, req: &RequestInfo) -> Result<bool> {
        if rule.trim().is_empty() {
            return Ok(true);
        }
        let mut b = QueryBuilder::default();
        let schema = self.collections();
        let ctx = self.filter_ctx(c, &schema, req, false);
        let cond =
            compile_filter(&mut b, &ctx, rule, None).map_err(|e| Error::BadRequest(format!("Invalid rule: {e}")))?;
        let query = b.into_select(&c.name).where_eq("id", id).and_where(format!("({cond})"));
        Ok(query.exists(self.executor())?)
    }

    /// Whether a record that is not stored yet satisfies a rule, decided on
    /// its values alone: nothing is written, so a rejected create reveals
    /// nothing (no unique-constraint errors) and fires no hooks. As in
    /// PocketBase, `verified` counts as false so a manage or create rule
    /// cannot be satisfied by the caller's own claim.
    pub fn unsaved_record_matches_rule(&self, record: &Record, rule: &str, req: &RequestInfo) -> Result<bool> {
        if rule.trim().is_empty() {
            return Ok(true);
        }
        let c = &record.collection;
        // a name no collection can have (names are `\w+`), so relations and
        // `@collection.*` still reach the real table
        let mut unsaved = (**c).clone();
        unsaved.name = format!("{}:unsaved", c.name);
        unsaved.id = format!("{}:unsaved", c.id);
        let mut data = record.data.clone();
        if record.id().is_empty() {
            data.insert("id".into(), Value::String("__pb_unsaved__".into()));
        }
        if c.is_auth() {
            data.insert("verified".into(), Value::Bool(false));
        }
        let schema = self.collections();
        let mut b = QueryBuilder::default();
        let ctx = self.filter_ctx(&unsaved, &schema, req, false);
        let cond =
            compile_filter(&mut b, &ctx, rule, None).map_err(|e| Error::BadRequest(format!("Invalid rule: {e}")))?;
        let joins = b.joins_sql();
        let matched = self
            .executor()
            .read(|conn| rows::unsaved_matches(conn, &unsaved, &unsaved.name, &data, &joins, &cond, &b.args))?;
        Ok(matched)
    }

    /// Records of `c` matching a filter with `{:name}` params (JS `findRecordsByFilter`).
    pub fn find_records_by_filter(
        &self,
        c: &Arc<Collection>,
        filter: &str,
        sort: &str,
        limit: i64,
        offset: i64,
        params: Option<&Map<String, Value>>,
    ) -> Result<Vec<Record>> {
        let schema = self.collections();
        let req = RequestInfo::default();
        let ctx = FilterContext { base: c, schema: &schema, request: &req, allow_hidden: true, allow_request: true };
        let mut b = QueryBuilder::default();
        let condition = if filter.trim().is_empty() {
            String::new()
        } else {
            compile_filter(&mut b, &ctx, filter, params).map_err(|e| Error::BadRequest(e.0))?
        };
        let order = compile_sort(&mut b, &ctx, sort).map_err(|e| Error::BadRequest(e.0))?;
        let sorted = !order.is_empty();
        let mut query = b.into_select(&c.name).and_where(condition).order_by(order);
        if limit > 0 {
            query = query.limit(limit).offset(offset.max(0));
        }
        if sorted { Ok(self.find_records_paged(c, &query)?) } else { self.find_records_by_select(c, &query) }
    }
}

/// Records of `c` from their stored values.
fn records_of(c: &Arc<Collection>, rows: Vec<Map<String, Value>>) -> Vec<Record> {
    rows.into_iter().map(|d| Record::from_stored(c.clone(), d)).collect()
}

/// A SQL failure while running a compiled client query is reported as bad input.
fn query_error(e: DbError) -> Error {
    tracing::debug!("list query failed: {e}");
    Error::bad_input()
}

/// Rows of a system table described by `meta` (a pseudo collection whose
/// fields are the table's columns), filtered and sorted with the filter
/// language (superuser-only listings: collections, logs).
pub fn list_table(exec: &Executor, meta: &Collection, q: &ListQuery) -> Result<(ListPage, Vec<Map<String, Value>>)> {
    let schema = crate::core::collections::Collections::new(vec![meta.clone()]);
    let req = RequestInfo::default();
    let ctx = FilterContext { base: meta, schema: &schema, request: &req, allow_hidden: true, allow_request: false };
    let mut b = QueryBuilder::default();
    let condition = if q.filter.trim().is_empty() {
        String::new()
    } else {
        compile_filter(&mut b, &ctx, &q.filter, None).map_err(client_filter_error)?
    };
    let order = compile_sort(&mut b, &ctx, &q.sort).map_err(client_filter_error)?;
    let query = b.into_select(&meta.name).and_where(condition).order_by(order);
    paged(exec, query, q, |query| query.records(exec, meta))
}

/// The page `q` asks for of what `query` selects: its total (unless
/// skipped) and the rows `load` reads of it (the page's `items` are left
/// to the caller). SQL failures of a client's query are bad input.
fn paged<T>(
    exec: &Executor,
    query: Select,
    q: &ListQuery,
    load: impl FnOnce(&Select) -> Result<Vec<T>, DbError>,
) -> Result<(ListPage, Vec<T>)> {
    let per_page = match q.per_page {
        n if n <= 0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    };
    let page = q.page.max(1);
    let (total_items, total_pages) = if q.skip_total {
        (-1, -1)
    } else {
        let total = query.count(exec).map_err(query_error)?;
        (total, (total + per_page - 1) / per_page)
    };
    let query = query.limit(per_page).offset((page - 1).saturating_mul(per_page));
    let rows = load(&query).map_err(query_error)?;
    Ok((ListPage { page, per_page, total_items, total_pages, items: Vec::new() }, rows))
}
