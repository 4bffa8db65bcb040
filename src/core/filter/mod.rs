//! The filter language: one compiler for `?filter=`, `?sort=`, API rules and
//! JS `findRecordsByFilter`. Lexer → parser → AST → resolver that turns
//! identifiers (fields, relation paths, `_via_` back-relations, `@request.*`,
//! `@collection.*`, modifiers, macros) into parametrised SQL with joins.
//! No user value is ever interpolated into SQL text: every literal becomes a
//! numbered placeholder (`?N`) in the shared [`QueryBuilder`], and every
//! identifier is checked against the schema before it is quoted.
//!
//! The SQL expects the base table to be aliased by the collection's own
//! name (``SELECT … FROM `posts` <joins> WHERE <filter>``), the joins of
//! [`QueryBuilder::joins_sql`], `SELECT DISTINCT` when
//! [`QueryBuilder::distinct`] is set, and the SQL functions of
//! [`crate::db::functions`] on the connection.
//!
//! Limits (as PocketBase 0.40, plus a nesting cap of our own):
//! * an expression is at most [`MAX_EXPRESSION_BYTES`] (3500) bytes,
//! * with at most [`MAX_EXPRESSIONS`] (200) comparisons,
//! * nested at most [`MAX_DEPTH`] (1000) parentheses deep (PocketBase accepts that many),
//! * a field path crosses at most [`MAX_NESTED_RELATIONS`] (6) relations,
//! * a sort has at most [`MAX_SORT_FIELDS`] (8) items.
//!
//! Difference from PocketBase, on purpose: `{:name}` params are bound as
//! values instead of being pasted into the text before parsing, so a param
//! inside quotes is not replaced and backslashes in values are not doubled.

mod compare;
mod compiler;
mod fields;
mod functions;
mod lexer;
mod macros;
mod operand;
mod parser;
mod request;
mod sort;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;

use crate::db::{Select, SqlValue};
use serde_json::{Map, Value};

use crate::core::collections::{Collection, Collections};
use crate::core::request::RequestInfo;
use compiler::Compiler;

/// Longest accepted filter expression, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 3500;
/// Most comparisons in one filter expression.
pub const MAX_EXPRESSIONS: usize = 200;
/// Deepest parenthesis nesting in one filter expression.
pub const MAX_DEPTH: usize = 1000;
/// Most relations one field path may cross.
pub const MAX_NESTED_RELATIONS: usize = 6;
/// Most items in one sort expression.
pub const MAX_SORT_FIELDS: usize = 8;

/// Start of the message of errors that PocketBase answers with 403.
const FORBIDDEN_PREFIX: &str = "Only superusers can filter by";

/// Why an expression was rejected (always a client error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

impl FilterError {
    /// An error with a fixed message.
    pub fn new(message: impl Into<String>) -> Self {
        FilterError(message.into())
    }

    /// Whether PocketBase answers this with 403 ("Only superusers can
    /// filter by @request." / "… by @collection.") rather than 400.
    pub fn is_forbidden(&self) -> bool {
        self.0.starts_with(FORBIDDEN_PREFIX)
    }
}

/// Accumulates joins and arguments shared by the filter, rule and sort of one
/// query. Placeholders are numbered (`?1`, `?2`, …) so the order in which
/// fragments are placed in the final SQL does not matter.
#[derive(Debug, Default)]
pub struct QueryBuilder {
    /// `(alias, "LEFT JOIN … AS alias ON …")`, deduplicated by alias.
    pub joins: Vec<(String, String)>,
    /// Bound values; `?N` refers to `args[N-1]`.
    pub args: Vec<SqlValue>,
    /// Set when a join can multiply rows (the caller then SELECTs DISTINCT).
    pub distinct: bool,
    /// Conditions every row must also satisfy, to be ANDed into WHERE: the
    /// list rules of collections that [`compile_sort`] joined for a
    /// non-superuser ([`compile_filter`] folds its own into its result).
    pub conditions: Vec<String>,
    /// Join aliases whose collection list rule is already enforced.
    list_rules_applied: Vec<String>,
    /// Values bound once per key (auth id, submitted ids) so that a join
    /// added twice under one alias never leaves an unused argument.
    shared_args: Vec<(String, String)>,
    /// Self-contained subqueries made so far (unique alias suffixes).
    subqueries: usize,
}

/// Sizes of a [`QueryBuilder`] to roll back to after a failed compilation.
struct Checkpoint {
    joins: usize,
    args: usize,
    conditions: usize,
    list_rules_applied: usize,
    shared_args: usize,
    distinct: bool,
}

impl QueryBuilder {
    /// Adds a bound value and returns its placeholder.
    pub fn arg(&mut self, v: SqlValue) -> String {
        self.args.push(v);
        format!("?{}", self.args.len())
    }

    /// Adds a join unless one with the same alias exists.
    pub fn join(&mut self, alias: &str, sql: String) {
        if !self.joins.iter().any(|(a, _)| a == alias) {
            self.joins.push((alias.to_string(), sql));
        }
    }

    /// All joins as one SQL string.
    pub fn joins_sql(&self) -> String {
        self.joins.iter().map(|(_, j)| j.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// A SELECT over the base `table` carrying the joins, values and
    /// distinct flag gathered so far, and the pending [`Self::conditions`].
    pub fn into_select(self, table: &str) -> Select {
        let joins = self.joins_sql();
        let select = Select::from(table).params(self.args).distinct(self.distinct).join(joins);
        self.conditions.into_iter().fold(select, |q, cond| q.and_where(format!("({cond})")))
    }

    /// The placeholder of the value bound under `key`, binding it on first use.
    fn shared_arg(&mut self, key: &str, value: impl FnOnce() -> SqlValue) -> String {
        if let Some((_, placeholder)) = self.shared_args.iter().find(|(k, _)| k == key) {
            return placeholder.clone();
        }
        let placeholder = self.arg(value());
        self.shared_args.push((key.to_string(), placeholder.clone()));
        placeholder
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            joins: self.joins.len(),
            args: self.args.len(),
            conditions: self.conditions.len(),
            list_rules_applied: self.list_rules_applied.len(),
            shared_args: self.shared_args.len(),
            distinct: self.distinct,
        }
    }

    fn restore(&mut self, checkpoint: Checkpoint) {
        self.joins.truncate(checkpoint.joins);
        self.args.truncate(checkpoint.args);
        self.conditions.truncate(checkpoint.conditions);
        self.list_rules_applied.truncate(checkpoint.list_rules_applied);
        self.shared_args.truncate(checkpoint.shared_args);
        self.distinct = checkpoint.distinct;
    }

    /// Runs a compilation; on failure the builder is left as it was.
    fn all_or_nothing<T>(
        &mut self,
        compile: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        let checkpoint = self.checkpoint();
        let result = compile(self);
        if result.is_err() {
            self.restore(checkpoint);
        }
        result
    }
}

/// What a compilation may see and is allowed to do.
pub struct FilterContext<'a> {
    /// The collection being queried; its table is aliased by its own name.
    pub base: &'a Collection,
    /// All collections (relations, back-relations, `@collection.*`).
    pub schema: &'a Collections,
    /// `@request.*` values.
    pub request: &'a RequestInfo,
    /// Hidden fields may be referenced (superusers and rules). Without it,
    /// joined collections must be listable and their list rules apply.
    pub allow_hidden: bool,
    /// `@request.*` may be referenced (rules, superusers; not client filters).
    pub allow_request: bool,
}

/// PocketBase refuses these anywhere in a non-superuser's filter or sort
/// text, even inside quotes or comments.
fn reject_privileged_references(text: &str) -> Result<(), FilterError> {
    for prefix in ["@request.", "@collection."] {
        if text.contains(prefix) {
            return Err(FilterError(format!("{FORBIDDEN_PREFIX} {prefix}")));
        }
    }
    Ok(())
}

/// Compiles a filter expression into a SQL boolean expression over the base
/// table, adding joins and args to `b`. `params` fills `{:name}` placeholders.
/// Call it only for a non-empty expression (an empty filter or rule means
/// "no condition"). On error `b` is left unchanged; errors for which
/// [`FilterError::is_forbidden`] holds are 403s, the others 400s.
pub fn compile_filter(
    b: &mut QueryBuilder,
    ctx: &FilterContext<'_>,
    expr: &str,
    params: Option<&Map<String, Value>>,
) -> Result<String, FilterError> {
    if expr.len() > MAX_EXPRESSION_BYTES {
        return Err(FilterError(format!("the expression is longer than {MAX_EXPRESSION_BYTES} bytes")));
    }
    if !ctx.allow_request {
        reject_privileged_references(expr)?;
    }
    let tree = parse_cached(expr)?;
    b.all_or_nothing(|b| Compiler::new(b, ctx, params).filter(&tree))
}

/// Parsed expressions by their text (PocketBase keeps 500 parsed filters):
/// rules and common filters come back on every request. Parsing is a pure
/// function of the text, so one memo serves every app; when full it starts
/// over, so one-off filters cannot crowd the hot ones out for good.
static PARSED: LazyLock<RwLock<HashMap<String, Arc<parser::Expr>>>> = LazyLock::new(Default::default);
/// How many parsed expressions [`PARSED`] keeps.
const MAX_PARSED: usize = 500;

fn parse_cached(expr: &str) -> Result<Arc<parser::Expr>, FilterError> {
    if let Some(tree) = PARSED.read().get(expr) {
        return Ok(tree.clone());
    }
    let tree = Arc::new(parser::parse(lexer::tokenize(expr)?)?);
    let mut parsed = PARSED.write();
    if parsed.len() >= MAX_PARSED {
        parsed.clear();
    }
    parsed.insert(expr.to_string(), tree.clone());
    Ok(tree)
}

/// Compiles `-a,+b,rel.name,@random,@rowid` into an ORDER BY list (empty
/// for an empty sort). For non-superusers, list rules of the collections it
/// joins land in [`QueryBuilder::conditions`].
pub fn compile_sort(b: &mut QueryBuilder, ctx: &FilterContext<'_>, sort: &str) -> Result<String, FilterError> {
    if sort.is_empty() {
        return Ok(String::new());
    }
    if !ctx.allow_request {
        reject_privileged_references(sort)?;
    }
    let items = sort::sort_items(sort)?;
    b.all_or_nothing(|b| {
        let mut compiler = Compiler::new(b, ctx, None);
        let terms = items.iter().map(|item| sort::sort_term(&mut compiler, item)).collect::<Result<Vec<_>, _>>()?;
        let conditions = compiler.list_rule_conditions()?;
        compiler.b.conditions.extend(conditions);
        Ok(terms.join(", "))
    })
}

/// Convenience: an `Arc` snapshot of collections works as a schema.
pub type Schema = Arc<Collections>;
