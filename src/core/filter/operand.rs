//! A resolved operand: the SQL for one side of a comparison plus what the
//! operator builder needs to know about it (which bound values it owns,
//! how it treats NULL, and the subquery listing every item when it comes
//! from a multi-valued path).

use crate::db::SqlValue;

use super::QueryBuilder;
use crate::db::quote;

/// How `=` and `!=` reconcile NULL with `''` for an operand
/// (PocketBase's `NullFallback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NullFallback {
    /// `a = ''` also matches NULL.
    Auto,
    /// Compared with `IS` / `IS NOT` as is (json values, `geoDistance`).
    Disabled,
    /// Never assumed non-empty, even with non-empty bound values (`strftime`).
    Enforced,
}

/// One side of a comparison, ready to be placed in SQL.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    /// SQL expression; literals appear as `?N` placeholders.
    pub sql: String,
    /// Indexes (in `QueryBuilder::args`) of the literal values this operand
    /// consists of; `~` wraps them in `%…%`, `=` checks them for emptiness.
    pub params: Vec<usize>,
    pub null_fallback: NullFallback,
    /// Known to never be empty although it binds no literal.
    pub known_non_empty: bool,
    /// Set for multi-valued paths: a subquery yielding every item, so that
    /// plain operators can require all items to match.
    pub multi_match: Option<MultiMatch>,
    /// Table alias of an auth collection whose `email` is compared: the row
    /// must also have `emailVisibility` set (non-superuser filters).
    pub email_visibility_alias: Option<String>,
}

impl Resolved {
    /// A fixed SQL expression without bound values (`NULL`, `TRUE`, a column).
    pub fn raw(sql: impl Into<String>) -> Self {
        Resolved {
            sql: sql.into(),
            params: Vec::new(),
            null_fallback: NullFallback::Auto,
            known_non_empty: false,
            multi_match: None,
            email_visibility_alias: None,
        }
    }

    /// SQL `NULL`, what unknown `@request.*` keys resolve to.
    pub fn null() -> Self {
        Resolved::raw("NULL")
    }

    /// A literal value, bound as an argument.
    pub fn literal(b: &mut QueryBuilder, value: SqlValue) -> Self {
        let index = b.args.len();
        let mut resolved = Resolved::raw(b.arg(value));
        resolved.params.push(index);
        resolved
    }

    /// Same operand, with its SQL wrapped as `f(sql)` (e.g. `LOWER`).
    pub fn wrapped(mut self, function: &str) -> Self {
        self.sql = format!("{function}({})", self.sql);
        if let Some(mm) = &mut self.multi_match {
            mm.value = format!("{function}({})", mm.value);
        }
        self
    }
}

/// `SELECT <value> AS multiMatchValue FROM <base> AS <alias> <joins> WHERE
/// <alias>.id = <outer base>.id`: the items of a multi-valued path for the
/// current row, re-joined independently of the outer query.
#[derive(Debug, Clone)]
pub(super) struct MultiMatch {
    pub base_table: String,
    pub from_alias: String,
    pub target_alias: String,
    pub joins: Vec<String>,
    pub value: String,
    /// Which items exist for the caller: rows of joined collections must
    /// pass their list rule (and show their email when it is compared),
    /// so hidden items can never decide an "every item" comparison.
    pub conditions: Vec<String>,
}

impl MultiMatch {
    /// The subquery SQL.
    pub fn sql(&self) -> String {
        let from = quote(&self.from_alias);
        let mut sql = format!("SELECT {} AS `multiMatchValue` FROM {} AS {from}", self.value, quote(&self.base_table));
        for join in &self.joins {
            sql.push(' ');
            sql.push_str(join);
        }
        sql.push_str(&format!(" WHERE {from}.`id` = {}.`id`", quote(&self.target_alias)));
        for condition in &self.conditions {
            sql.push_str(" AND ");
            sql.push_str(condition);
        }
        sql
    }
}
