//! The compiler state shared by filters and sorts: which collection and
//! alias identifiers start from, bound placeholders, the compile-time
//! clock, and the joined collections whose list rules must also hold.
//! Operands and the expression tree are compiled here; field paths live
//! in `fields`, `@request.*` in `request`, functions in `functions`.

use std::ops::Deref;
use std::sync::Arc;

use crate::db::SqlValue;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::lexer::tokenize;
use super::macros::macro_value;
use super::operand::Resolved;
use super::parser::{Comparison, Expr, Operand, parse};
use super::{FilterContext, FilterError, QueryBuilder, compare};
use crate::core::collections::{Collection, Collections};
use crate::core::request::RequestInfo;

/// A collection the compiler walks through: the base (borrowed) or one
/// looked up in the schema.
#[derive(Debug, Clone)]
pub(super) enum CollectionRef<'c> {
    Borrowed(&'c Collection),
    Shared(Arc<Collection>),
}

impl Deref for CollectionRef<'_> {
    type Target = Collection;

    fn deref(&self) -> &Collection {
        match self {
            CollectionRef::Borrowed(c) => c,
            CollectionRef::Shared(c) => c,
        }
    }
}

/// Where unqualified identifiers start.
pub(super) struct Scope<'c> {
    pub base: &'c Collection,
    /// SQL alias of the base table.
    pub alias: String,
    /// Appended to every alias this compilation creates, so that a joined
    /// collection's list rule never collides with the query's own joins.
    pub alias_suffix: String,
    pub allow_hidden: bool,
}

/// Compiles operands and expressions into SQL, recording joins and args in `b`.
pub(super) struct Compiler<'c, 'q> {
    pub b: &'q mut QueryBuilder,
    pub schema: &'c Collections,
    pub request: &'c RequestInfo,
    pub scope: Scope<'c>,
    params: Option<&'c Map<String, Value>>,
    now: DateTime<Utc>,
    /// Joined collections (with their alias) whose list rule rows must satisfy.
    guarded_joins: Vec<(String, CollectionRef<'c>)>,
}

impl<'c, 'q> Compiler<'c, 'q> {
    /// A compiler for the context's base collection.
    pub fn new(b: &'q mut QueryBuilder, ctx: &FilterContext<'c>, params: Option<&'c Map<String, Value>>) -> Self {
        let scope = Scope {
            base: ctx.base,
            alias: ctx.base.name.clone(),
            alias_suffix: String::new(),
            allow_hidden: ctx.allow_hidden,
        };
        Compiler {
            b,
            schema: ctx.schema,
            request: ctx.request,
            scope,
            params,
            now: Utc::now(),
            guarded_joins: Vec::new(),
        }
    }

    /// The base collection or the one with this name or id.
    pub fn load_collection(&self, name_or_id: &str) -> Option<CollectionRef<'c>> {
        let base = self.scope.base;
        if base.name == name_or_id || base.id == name_or_id {
            return Some(CollectionRef::Borrowed(base));
        }
        self.schema.get(name_or_id).map(CollectionRef::Shared)
    }

    /// Adds `LEFT JOIN <collection> AS <alias> [ON …]`. Without access to
    /// hidden fields, the collection must be listable and its list rule is
    /// enforced on the joined rows (PocketBase 0.31+).
    pub fn join_collection(
        &mut self,
        alias: &str,
        collection: CollectionRef<'c>,
        on: Option<&str>,
    ) -> Result<(), FilterError> {
        if !self.scope.allow_hidden {
            if collection.rules.list.is_none() {
                return Err(FilterError(format!(
                    "{:?} fields can be accessed only when allowHiddenFields is enabled or by superusers",
                    collection.name
                )));
            }
            self.guarded_joins.push((alias.to_string(), collection.clone()));
        }
        let on = on.map(|condition| format!(" ON {condition}")).unwrap_or_default();
        let sql = format!("LEFT JOIN {} AS {}{on}", crate::db::quote(&collection.name), crate::db::quote(alias));
        self.b.join(alias, sql);
        Ok(())
    }

    /// `alias.id IS NULL OR alias.id IN (rows of collection its list rule
    /// lets the caller see)`, self-contained (its joins inside the
    /// subquery) so it can sit in any subquery that has `alias`. `None`
    /// for a public list rule.
    pub fn visible_rows(&mut self, alias: &str, collection: &Collection) -> Result<Option<String>, FilterError> {
        let Some(rule) = collection.rules.list.as_deref().filter(|r| !r.trim().is_empty()) else {
            return Ok(None);
        };
        self.b.subqueries += 1;
        let suffix = format!("_vis{}", self.b.subqueries);
        let inner = format!("__vis{}", self.b.subqueries);
        let (joins_before, distinct) = (self.b.joins.len(), self.b.distinct);
        let expr = parse(tokenize(rule)?)?;
        let nested = Compiler {
            b: &mut *self.b,
            schema: self.schema,
            request: self.request,
            scope: Scope { base: collection, alias: inner.clone(), alias_suffix: suffix, allow_hidden: true },
            params: None,
            now: self.now,
            guarded_joins: Vec::new(),
        };
        let condition = nested
            .filter(&expr)
            .map_err(|e| FilterError(format!("the {:?} list rule failed to compile: {e}", collection.name)))?;
        let joins: Vec<String> = self.b.joins.drain(joins_before..).map(|(_, sql)| sql).collect();
        self.b.distinct = distinct;
        let (a, i) = (crate::db::quote(alias), crate::db::quote(&inner));
        Ok(Some(format!(
            "({a}.`id` IS NULL OR {a}.`id` IN (SELECT {i}.`id` FROM {} AS {i} {} WHERE {condition}))",
            crate::db::quote(&collection.name),
            joins.join(" ")
        )))
    }

    /// A new alias derived from `parent` for this compilation.
    pub fn derived_alias(&self, parent: &str, name: &str) -> String {
        format!("{parent}_{name}{}", self.scope.alias_suffix)
    }

    /// Compiles a whole filter, with the list rules of joined collections ANDed in.
    pub fn filter(mut self, expr: &Expr) -> Result<String, FilterError> {
        let sql = self.expression(expr)?;
        let conditions = self.list_rule_conditions()?;
        Ok(std::iter::once(sql).chain(conditions).collect::<Vec<_>>().join(" AND "))
    }

    fn expression(&mut self, expr: &Expr) -> Result<String, FilterError> {
        match expr {
            Expr::Comparison(c) => self.comparison(c),
            Expr::And(items) => self.chain(items, " AND "),
            Expr::Or(items) => self.chain(items, " OR "),
        }
    }

    fn chain(&mut self, items: &[Expr], separator: &str) -> Result<String, FilterError> {
        let parts = items.iter().map(|item| self.expression(item)).collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(separator)))
    }

    fn comparison(&mut self, c: &Comparison) -> Result<String, FilterError> {
        let left = self.operand(&c.left).map_err(|e| invalid_operand("left", &c.left, &e))?;
        let right = self.operand(&c.right).map_err(|e| invalid_operand("right", &c.right, &e))?;
        Ok(compare::comparison(self.b, &left, c.sign, &right))
    }

    /// Resolves any operand: literal, placeholder, macro, identifier or function.
    pub fn operand(&mut self, operand: &Operand) -> Result<Resolved, FilterError> {
        match operand {
            Operand::Text(s) => Ok(Resolved::literal(self.b, SqlValue::Text(s.clone()))),
            Operand::Number(n) => Ok(Resolved::literal(self.b, SqlValue::Real(*n))),
            Operand::Placeholder(name) => {
                let expanded = self.expand_placeholder(name)?;
                self.operand(&expanded)
            }
            Operand::Identifier(name) => self.identifier(name),
            Operand::Function { name, args } => self.function(name, args),
        }
    }

    /// What a `{:name}` param stands for, as if it was written in the
    /// expression (PocketBase substitutes params textually before parsing).
    pub fn expand_placeholder(&self, name: &str) -> Result<Operand, FilterError> {
        let value = self
            .params
            .and_then(|p| p.get(name))
            .ok_or_else(|| FilterError(format!("missing value for the {{:{name}}} placeholder")))?;
        Ok(match value {
            Value::Null => Operand::Identifier("null".into()),
            Value::Bool(b) => Operand::Identifier(b.to_string()),
            Value::Number(n) => Operand::Number(n.as_f64().unwrap_or_default()),
            Value::String(s) => Operand::Text(s.clone()),
            other => Operand::Text(other.to_string()),
        })
    }

    fn identifier(&mut self, name: &str) -> Result<Resolved, FilterError> {
        if let Some(value) = macro_value(name, self.now) {
            return Ok(Resolved::literal(self.b, value));
        }
        self.field(name).or_else(|e| keyword_sql(name).map(Resolved::raw).ok_or(e))
    }

    /// Compiles the list rules of the collections joined so far, each as
    /// `id = '' || (rule)` over the join alias so that rows without a
    /// related record still pass. A rule is applied once per builder.
    pub fn list_rule_conditions(&mut self) -> Result<Vec<String>, FilterError> {
        let mut conditions = Vec::new();
        for (alias, collection) in std::mem::take(&mut self.guarded_joins) {
            let Some(rule) = collection.rules.list.as_deref().filter(|r| !r.is_empty()) else {
                continue;
            };
            if self.b.list_rules_applied.contains(&alias) {
                continue;
            }
            self.b.list_rules_applied.push(alias.clone());
            let scope = Scope {
                base: &collection,
                alias,
                alias_suffix: format!("_lr{}", self.b.list_rules_applied.len()),
                allow_hidden: true,
            };
            let expr = parse(tokenize(&format!("id='' || (\n{rule}\n)"))?)?;
            let nested = Compiler {
                b: &mut *self.b,
                schema: self.schema,
                request: self.request,
                scope,
                params: None,
                now: self.now,
                guarded_joins: Vec::new(),
            };
            let condition = nested
                .filter(&expr)
                .map_err(|e| FilterError(format!("the {:?} list rule failed to compile: {e}", collection.name)))?;
            conditions.push(condition);
        }
        Ok(conditions)
    }
}

/// `null`, `true` and `false` written as identifiers, when no field of
/// that name exists.
fn keyword_sql(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "null" => Some("NULL"),
        "true" => Some("1"),
        "false" => Some("0"),
        _ => None,
    }
}

fn invalid_operand(side: &str, operand: &Operand, e: &FilterError) -> FilterError {
    let literal = match operand {
        Operand::Identifier(s) | Operand::Text(s) => s.clone(),
        Operand::Number(n) => n.to_string(),
        Operand::Placeholder(name) => format!("{{:{name}}}"),
        Operand::Function { name, .. } => format!("{name}(…)"),
    };
    FilterError(format!("invalid {side} operand {literal:?} - {e}"))
}
