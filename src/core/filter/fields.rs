//! Field paths: `title`, `author.team.name` (relations joined with LEFT
//! JOINs, multi relations through `json_each`), `comments_via_post.text`
//! back-relations, `meta.a.b` json paths, `@collection.name:alias.field`,
//! and the `:length`, `:each` and `:lower` modifiers. Every identifier is
//! checked against the schema before it is quoted into SQL.

use std::sync::LazyLock;

use crate::db::SqlValue;
use regex::Regex;

use super::compiler::{CollectionRef, Compiler};
use super::operand::{MultiMatch, NullFallback, Resolved};
use super::{FilterError, MAX_NESTED_RELATIONS};
use crate::core::collections::index::Index;
use crate::core::collections::{Collection, Field, FieldKind};
use crate::db::quote;

/// The identifier shapes PocketBase accepts (ASCII word characters only).
static ALLOWED_IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[A-Za-z0-9_]+[A-Za-z0-9_.:]*|@request\.(?:context|method)|@request\.(?:auth|body|query|headers)\.[A-Za-z0-9_.:]*[A-Za-z0-9_]|@collection\.[A-Za-z0-9_]+(?::[A-Za-z0-9_]+)?\.[A-Za-z0-9_.:]*[A-Za-z0-9_])$",
    )
    .expect("valid identifier regex")
});

/// `<collection>_via_<relation field>`.
static BACK_RELATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9_]+)_via_([A-Za-z0-9_]+)$").expect("valid back-relation regex"));

/// A `:modifier` suffix of the last path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Modifier {
    Isset,
    Changed,
    Each,
    Length,
    Lower,
}

/// Splits `name:modifier`; a segment with several colons is taken as a
/// plain (unknown) name, as PocketBase does.
pub(super) fn split_modifier(segment: &str) -> Result<(&str, Option<Modifier>), FilterError> {
    let mut parts = segment.split(':');
    let (Some(name), Some(modifier), None) = (parts.next(), parts.next(), parts.next()) else {
        return Ok((segment, None));
    };
    let modifier = match modifier {
        "isset" => Modifier::Isset,
        "changed" => Modifier::Changed,
        "each" => Modifier::Each,
        "length" => Modifier::Length,
        "lower" => Modifier::Lower,
        _ => return Err(FilterError(format!("unknown modifier in {segment:?}"))),
    };
    Ok((name, Some(modifier)))
}

/// `alias`.`column`.
pub(super) fn column(alias: &str, name: &str) -> String {
    format!("{}.{}", quote(alias), quote(name))
}

/// True when the column holds a JSON array.
fn is_json_array(source: &str) -> String {
    format!("iif(json_valid({source}), json_type({source}) = 'array', FALSE)")
}

/// `json_each` over a column that holds a JSON array or a single value.
pub(super) fn json_each(source: &str) -> String {
    format!("json_each(CASE WHEN {} THEN {source} ELSE json_array({source}) END)", is_json_array(source))
}

/// Item count of a column holding a JSON array, a single value or nothing.
fn json_array_length(source: &str) -> String {
    format!(
        "json_array_length(CASE WHEN {} THEN {source} ELSE (CASE WHEN {source} = '' OR {source} IS NULL THEN json_array() ELSE json_array({source}) END) END)",
        is_json_array(source)
    )
}

/// `json_extract` that also works on columns holding non-JSON text.
fn json_extract(source: &str, path: &str, wrapped_path: &str) -> String {
    format!(
        "(CASE WHEN json_valid({source}) THEN json_extract({source}, {path}) ELSE json_extract(json_object('pb', {source}), {wrapped_path}) END)"
    )
}

/// Relation, select and file fields hold lists (`:each`, `:length`).
fn is_multi_valuer(field: &Field) -> bool {
    matches!(field.kind, FieldKind::Relation { .. } | FieldKind::Select { .. } | FieldKind::File { .. })
}

/// PocketBase's JSON path for the segments after a json field:
/// `a.0.b` → `.a[0].b`. Segments keep only word characters.
fn json_path(segments: &[&str]) -> String {
    let mut path = String::new();
    for segment in segments {
        let clean: String = segment.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if clean.is_empty() {
            continue;
        }
        if clean.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{clean}]"));
        } else {
            path.push('.');
            path.push_str(&clean);
        }
    }
    path
}

fn has_single_column_unique_index(collection: &Collection, column: &str) -> bool {
    collection.indexes.iter().filter_map(|sql| Index::parse(sql)).any(|index| {
        index.unique
            && index.columns.len() == 1
            && index.column_names().first().is_some_and(|c| c.eq_ignore_ascii_case(column))
    })
}

/// The state of one path walk: where it is in the outer query and in the
/// multi-match subquery that re-joins the same path per base row.
pub(super) struct Walk<'c> {
    pub collection: CollectionRef<'c>,
    pub alias: String,
    base_table: String,
    base_alias: String,
    pub mm_alias: String,
    pub mm_joins: Vec<String>,
    /// The path went through a multi-valued step: plain operators must
    /// hold for every item.
    pub every_item: bool,
    /// Unknown fields resolve to NULL instead of failing (`@request.*`).
    pub nullify_missing: bool,
    /// Visibility conditions on the subquery's joined rows (see
    /// [`MultiMatch::conditions`]).
    pub mm_conditions: Vec<String>,
}

impl<'c> Walk<'c> {
    /// A walk starting at the base collection.
    pub fn from_base(compiler: &Compiler<'c, '_>) -> Self {
        let scope = &compiler.scope;
        Walk {
            collection: CollectionRef::Borrowed(scope.base),
            alias: scope.alias.clone(),
            base_table: scope.base.name.clone(),
            base_alias: scope.alias.clone(),
            mm_alias: format!("__mm_{}", scope.alias),
            mm_joins: Vec::new(),
            every_item: false,
            nullify_missing: false,
            mm_conditions: Vec::new(),
        }
    }

    /// Moves the walk to `collection`, joined as `alias` (and `mm_alias` in the subquery).
    pub fn enter(&mut self, collection: CollectionRef<'c>, alias: String, mm_alias: String) {
        self.collection = collection;
        self.alias = alias;
        self.mm_alias = mm_alias;
    }

    /// The multi-match subquery yielding `value` (a column of `mm_alias`),
    /// if the path is multi-valued.
    pub fn multi_match(self, value: String) -> Option<MultiMatch> {
        self.every_item.then(|| MultiMatch {
            from_alias: format!("__mm_{}", self.base_alias),
            base_table: self.base_table,
            target_alias: self.base_alias,
            joins: self.mm_joins,
            value,
            conditions: self.mm_conditions,
        })
    }
}

impl<'c> Compiler<'c, '_> {
    /// Resolves an identifier that is not a macro or keyword.
    pub fn field(&mut self, name: &str) -> Result<Resolved, FilterError> {
        if !ALLOWED_IDENTIFIER.is_match(name) {
            return Err(FilterError(format!("failed to resolve field {name:?}")));
        }
        let segments: Vec<&str> = name.split('.').collect();
        match segments[0] {
            "@collection" => self.collection_field(&segments),
            "@request" => self.request_field(&segments),
            _ => {
                let walk = Walk::from_base(self);
                self.walk(walk, &segments)
            }
        }
    }

    fn missing(&self, walk: &Walk<'_>, error: FilterError) -> Result<Resolved, FilterError> {
        if walk.nullify_missing { Ok(Resolved::null()) } else { Err(error) }
    }

    fn check_visible(&self, field: &Field) -> Result<(), FilterError> {
        if field.hidden && !self.scope.allow_hidden {
            return Err(FilterError(format!("non-filterable field {:?}", field.name)));
        }
        Ok(())
    }

    /// `@collection.<name>[:alias].<path>`: an unconditional join of any
    /// collection; plain operators must hold for all of its records.
    fn collection_field(&mut self, segments: &[&str]) -> Result<Resolved, FilterError> {
        let (name, alias) = segments[1].split_once(':').unwrap_or((segments[1], ""));
        let collection = self
            .load_collection(name)
            .ok_or_else(|| FilterError(format!("failed to load collection {name:?} from the @collection path")))?;
        let alias = if alias.is_empty() {
            format!("__collection_{}{}", collection.name, self.scope.alias_suffix)
        } else {
            format!("__collection_alias_{alias}{}", self.scope.alias_suffix)
        };
        self.join_collection(&alias, collection.clone(), None)?;
        self.b.distinct = true;

        let mut walk = Walk::from_base(self);
        let mm_alias = format!("__mm_{alias}");
        walk.mm_joins.push(format!("LEFT JOIN {} AS {}", quote(&collection.name), quote(&mm_alias)));
        walk.every_item = true;
        walk.enter(collection, alias, mm_alias);
        self.walk(walk, &segments[2..])
    }

    /// Follows `segments` from the walk's collection; the last one is the field.
    pub fn walk(&mut self, mut walk: Walk<'c>, segments: &[&str]) -> Result<Resolved, FilterError> {
        let Some((last, steps)) = segments.split_last() else {
            return Err(FilterError::new("empty field path"));
        };
        for (i, &step) in steps.iter().enumerate() {
            let field = walk.collection.field(step).cloned();
            if let Some(field) = &field {
                self.check_visible(field)?;
                if matches!(field.kind, FieldKind::Json { .. } | FieldKind::GeoPoint) {
                    return Ok(self.json_path_value(walk, &field.name, &segments[i + 1..]));
                }
            }
            if i >= MAX_NESTED_RELATIONS {
                return Err(FilterError(format!("max nested relations reached for field {step:?}")));
            }
            match field {
                None => {
                    let (collection, field) = match self.back_relation(&walk, step) {
                        Ok(found) => found,
                        Err(e) => return self.missing(&walk, e),
                    };
                    self.join_back_relation(&mut walk, step, collection, &field)?;
                }
                Some(field) => {
                    let Some(target_id) = field.relation_target() else {
                        return Err(FilterError(format!("field {step:?} is not a valid relation")));
                    };
                    // `rel.id` of a single relation is the relation column itself
                    if !field.is_multiple() && i + 2 == segments.len() && *last == "id" {
                        return self.last_segment(walk, &field.name);
                    }
                    let target = self
                        .load_collection(target_id)
                        .ok_or_else(|| FilterError(format!("failed to load the collection of field {step:?}")))?;
                    self.join_relation(&mut walk, &field, target)?;
                }
            }
        }
        self.last_segment(walk, last)
    }

    fn join_relation(
        &mut self,
        walk: &mut Walk<'c>,
        field: &Field,
        target: CollectionRef<'c>,
    ) -> Result<(), FilterError> {
        let alias = self.derived_alias(&walk.alias, &field.name);
        let source = column(&walk.alias, &field.name);
        let mm_alias = format!("{}_{}", walk.mm_alias, field.name);
        let mm_source = column(&walk.mm_alias, &field.name);
        let table = quote(&target.name);
        if field.is_multiple() {
            let items = format!("__je_{alias}");
            self.b.join(&items, format!("LEFT JOIN {} AS {}", json_each(&source), quote(&items)));
            self.join_collection(
                &alias,
                target.clone(),
                Some(&format!("{} = {}", column(&alias, "id"), column(&items, "value"))),
            )?;
            self.b.distinct = true;

            let mm_items = format!("{mm_alias}_je");
            walk.mm_joins.push(format!("LEFT JOIN {} AS {}", json_each(&mm_source), quote(&mm_items)));
            walk.mm_joins.push(format!(
                "LEFT JOIN {table} AS {} ON {} = {}",
                quote(&mm_alias),
                column(&mm_alias, "id"),
                column(&mm_items, "value")
            ));
            walk.every_item = true;
        } else {
            self.join_collection(&alias, target.clone(), Some(&format!("{} = {source}", column(&alias, "id"))))?;
            walk.mm_joins.push(format!(
                "LEFT JOIN {table} AS {} ON {} = {mm_source}",
                quote(&mm_alias),
                column(&mm_alias, "id")
            ));
        }
        self.guard_multi_match_rows(walk, &mm_alias, &target)?;
        walk.enter(target, alias, mm_alias);
        Ok(())
    }

    /// Without access to hidden data, the rows a multi-match subquery joins
    /// as `mm_alias` must pass `collection`'s list rule, exactly as the
    /// outer query's joined rows do: otherwise an "every item" comparison
    /// (`members.name !~ 'a%'`) would tell whether a row the caller cannot
    /// list matches.
    fn guard_multi_match_rows(
        &mut self,
        walk: &mut Walk<'c>,
        mm_alias: &str,
        collection: &CollectionRef<'c>,
    ) -> Result<(), FilterError> {
        if self.scope.allow_hidden {
            return Ok(());
        }
        if let Some(condition) = self.visible_rows(mm_alias, collection)? {
            walk.mm_conditions.push(condition);
        }
        Ok(())
    }

    /// The collection and relation field behind `<collection>_via_<field>`,
    /// which must point at the walk's current collection.
    fn back_relation(&self, walk: &Walk<'c>, step: &str) -> Result<(CollectionRef<'c>, Field), FilterError> {
        let unresolved = || FilterError(format!("failed to resolve field {step:?}"));
        let captures = BACK_RELATION.captures(step).ok_or_else(unresolved)?;
        let (collection_name, field_name) = (&captures[1], &captures[2]);
        let collection = self
            .load_collection(collection_name)
            .ok_or_else(|| FilterError(format!("failed to load back relation field {step:?} collection")))?;
        let field = collection
            .field(field_name)
            .cloned()
            .ok_or_else(|| FilterError(format!("missing back relation field {field_name:?}")))?;
        if field.relation_target() != Some(walk.collection.id.as_str()) {
            return Err(FilterError(format!("invalid back relation field {field_name:?}")));
        }
        Ok((collection, field))
    }

    fn join_back_relation(
        &mut self,
        walk: &mut Walk<'c>,
        step: &str,
        collection: CollectionRef<'c>,
        field: &Field,
    ) -> Result<(), FilterError> {
        self.check_visible(field)?;
        let alias = self.derived_alias(&walk.alias, step);
        let mm_alias = format!("{}_{step}", walk.mm_alias);
        let (on, mm_on) = if field.is_multiple() {
            (
                back_relation_membership(&walk.alias, &alias, &field.name),
                back_relation_membership(&walk.mm_alias, &mm_alias, &field.name),
            )
        } else {
            (
                format!("{} = {}", column(&alias, &field.name), column(&walk.alias, "id")),
                format!("{} = {}", column(&mm_alias, &field.name), column(&walk.mm_alias, "id")),
            )
        };
        self.join_collection(&alias, collection.clone(), Some(&on))?;
        self.b.distinct = true;
        walk.mm_joins.push(format!("LEFT JOIN {} AS {} ON {mm_on}", quote(&collection.name), quote(&mm_alias)));
        self.guard_multi_match_rows(walk, &mm_alias, &collection)?;
        // a single back relation is one record per row only when unique
        walk.every_item |= field.is_multiple() || !has_single_column_unique_index(&collection, &field.name);
        walk.enter(collection, alias, mm_alias);
        Ok(())
    }

    /// Everything after a json (or geoPoint) field is a path inside its value.
    fn json_path_value(&mut self, walk: Walk<'c>, field_name: &str, path_segments: &[&str]) -> Resolved {
        let path = json_path(path_segments);
        let direct = self.b.arg(SqlValue::Text(format!("${path}")));
        let wrapped = self.b.arg(SqlValue::Text(format!("$.pb{path}")));
        let mm_value = json_extract(&column(&walk.mm_alias, field_name), &direct, &wrapped);
        let mut resolved = Resolved::raw(json_extract(&column(&walk.alias, field_name), &direct, &wrapped));
        resolved.null_fallback = NullFallback::Disabled;
        resolved.multi_match = walk.multi_match(mm_value);
        resolved
    }

    /// The final segment: a field of the walk's collection, with its modifier.
    fn last_segment(&mut self, walk: Walk<'c>, segment: &str) -> Result<Resolved, FilterError> {
        let (name, modifier) = split_modifier(segment)?;
        let Some(field) = walk.collection.field(name).cloned() else {
            return self.missing(&walk, FilterError(format!("unknown field {name:?}")));
        };
        self.check_visible(&field)?;
        let source = column(&walk.alias, &field.name);
        let mm_source = column(&walk.mm_alias, &field.name);
        match modifier {
            Some(Modifier::Length) if is_multi_valuer(&field) => {
                let mut resolved = Resolved::raw(json_array_length(&source));
                resolved.multi_match = walk.multi_match(json_array_length(&mm_source));
                Ok(resolved)
            }
            Some(Modifier::Each) if is_multi_valuer(&field) => Ok(self.each_item(walk, &field)),
            _ => Ok(self.column_value(walk, &field, modifier == Some(Modifier::Lower))),
        }
    }

    /// `field:each`: one joined row per item of a list field.
    fn each_item(&mut self, mut walk: Walk<'c>, field: &Field) -> Resolved {
        let items = format!("__je_{}_{}{}", walk.alias, field.name, self.scope.alias_suffix);
        let source = column(&walk.alias, &field.name);
        self.b.join(&items, format!("LEFT JOIN {} AS {}", json_each(&source), quote(&items)));
        self.b.distinct = true;
        let mm_items = format!("__je_{}_{}", walk.mm_alias, field.name);
        walk.mm_joins.push(format!(
            "LEFT JOIN {} AS {}",
            json_each(&column(&walk.mm_alias, &field.name)),
            quote(&mm_items)
        ));
        walk.every_item |= field.is_multiple();
        let mut resolved = Resolved::raw(column(&items, "value"));
        resolved.multi_match = walk.multi_match(column(&mm_items, "value"));
        resolved
    }

    fn column_value(&mut self, walk: Walk<'c>, field: &Field, lower: bool) -> Resolved {
        let is_json = matches!(field.kind, FieldKind::Json { .. });
        let value = |alias: &str| {
            let source = column(alias, &field.name);
            if is_json { json_extract(&source, "'$'", "'$.pb'") } else { source }
        };
        let mut resolved = Resolved::raw(value(&walk.alias));
        if is_json {
            resolved.null_fallback = NullFallback::Disabled;
        }
        // only auth records that made their email public can be matched by it
        let mut walk = walk;
        if field.name == "email" && !self.scope.allow_hidden && walk.collection.is_auth() {
            resolved.email_visibility_alias = Some(walk.alias.clone());
            let mm = quote(&walk.mm_alias);
            walk.mm_conditions.push(format!("({mm}.`id` IS NULL OR {mm}.`emailVisibility` = TRUE)"));
        }
        let mm_value = value(&walk.mm_alias);
        resolved.multi_match = walk.multi_match(mm_value);
        if lower { resolved.wrapped("LOWER") } else { resolved }
    }
}

/// `<parent>.id IN (the ids listed in <joined>.<field>)`.
fn back_relation_membership(parent: &str, joined: &str, field: &str) -> String {
    let items = format!("__je_{joined}");
    format!(
        "{} IN (SELECT {} FROM {} AS {})",
        column(parent, "id"),
        column(&items, "value"),
        json_each(&column(joined, field)),
        quote(&items)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_modifiers() {
        assert_eq!(split_modifier("tags:each"), Ok(("tags", Some(Modifier::Each))));
        assert_eq!(split_modifier("title"), Ok(("title", None)));
        assert_eq!(split_modifier("a:b:c"), Ok(("a:b:c", None)));
        assert!(split_modifier("title:upper").is_err());
    }

    #[test]
    fn builds_json_paths() {
        assert_eq!(json_path(&["a", "0", "b"]), ".a[0].b");
        assert_eq!(json_path(&["0"]), "[0]");
        assert_eq!(json_path(&["k:lower"]), ".klower");
        assert_eq!(json_path(&[]), "");
    }

    #[test]
    fn accepts_only_pocketbase_identifier_shapes() {
        for ok in ["title", "a.b:each", "_x", "@request.method", "@request.auth.team.name", "@collection.users:u.name"]
        {
            assert!(ALLOWED_IDENTIFIER.is_match(ok), "{ok}");
        }
        for bad in ["@request", "@request.body", "@request.foo.x", "@collection.users", "#x", "tïtle", "a b", "@now"] {
            assert!(!ALLOWED_IDENTIFIER.is_match(bad), "{bad}");
        }
    }
}
