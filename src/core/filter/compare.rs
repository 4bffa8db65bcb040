//! Turns `left <op> right` into SQL with PocketBase's semantics: NULL-safe
//! equality against `''`, `~` as a `%contains%` LIKE with escaping, and the
//! extra `NOT EXISTS` that makes plain operators on multi-valued operands
//! require every item to match (the `?` operators only need one).

use crate::db::SqlValue;

use super::QueryBuilder;
use super::lexer::{Sign, SignOp};
use super::operand::{MultiMatch, NullFallback, Resolved};

/// SQL for one comparison (`b` gets the `~` wrapping of right-side values).
pub(super) fn comparison(b: &mut QueryBuilder, left: &Resolved, sign: Sign, right: &Resolved) -> String {
    if matches!(sign.op, SignOp::Like | SignOp::NotLike) {
        wrap_like_params(b, &right.params);
    }
    let mut sql = operator_sql(b, left, sign.op, right);
    if !sign.any {
        let every_item = match (&left.multi_match, &right.multi_match) {
            (Some(l), Some(r)) => Some(many_vs_many(b, (l, left.null_fallback), sign.op, (r, right.null_fallback))),
            (Some(l), None) => Some(many_vs_one(b, (l, left.null_fallback), sign.op, right, false)),
            (None, Some(r)) => Some(many_vs_one(b, (r, right.null_fallback), sign.op, left, true)),
            (None, None) => None,
        };
        if let Some(every_item) = every_item {
            sql = format!("(({sql}) AND ({every_item}))");
        }
    }
    for alias in [&left.email_visibility_alias, &right.email_visibility_alias].into_iter().flatten() {
        sql = format!("(({sql}) AND ({}.`emailVisibility` = TRUE))", crate::db::quote(alias));
    }
    sql
}

/// The operator applied to the two operands, ignoring multi-value rules.
fn operator_sql(b: &QueryBuilder, left: &Resolved, op: SignOp, right: &Resolved) -> String {
    let (l, r) = (&left.sql, &right.sql);
    match op {
        SignOp::Eq => equal_sql(b, true, left, right),
        SignOp::Neq => equal_sql(b, false, left, right),
        SignOp::Like => like_sql(left, "LIKE", right),
        SignOp::NotLike => like_sql(left, "NOT LIKE", right),
        SignOp::Lt => format!("{l} < {r}"),
        SignOp::Lte => format!("{l} <= {r}"),
        SignOp::Gt => format!("{l} > {r}"),
        SignOp::Gte => format!("{l} >= {r}"),
    }
}

/// A literal right side was already wrapped in `%…%`; anything else (a
/// column) is wrapped in SQL.
fn like_sql(left: &Resolved, like: &str, right: &Resolved) -> String {
    if right.params.is_empty() {
        format!("{} {like} ('%' || {} || '%') ESCAPE '\\'", left.sql, right.sql)
    } else {
        format!("{} {like} {} ESCAPE '\\'", left.sql, right.sql)
    }
}

fn is_empty_identifier(r: &Resolved) -> bool {
    matches!(r.sql.to_ascii_lowercase().as_str(), "" | "null" | "''" | "\"\"" | "``")
}

fn has_empty_param(b: &QueryBuilder, r: &Resolved) -> bool {
    r.params.iter().any(|&i| match b.args.get(i) {
        Some(SqlValue::Null) => true,
        Some(SqlValue::Text(s)) => s.is_empty(),
        _ => false,
    })
}

fn is_empty(b: &QueryBuilder, r: &Resolved) -> bool {
    is_empty_identifier(r) || (r.null_fallback == NullFallback::Auto && r.params.len() == 1 && has_empty_param(b, r))
}

fn is_known_non_empty(b: &QueryBuilder, r: &Resolved) -> bool {
    if r.null_fallback == NullFallback::Enforced {
        return false;
    }
    r.known_non_empty
        || matches!(r.sql.to_ascii_lowercase().as_str(), "1" | "0" | "true" | "false")
        || (!r.params.is_empty() && !has_empty_param(b, r) && !is_empty_identifier(r))
}

/// An empty operand as SQL: its bound `''` if it has one (so every bound
/// value stays referenced), `''` for `NULL`-like identifiers.
fn empty_sql(r: &Resolved) -> &str {
    if r.params.is_empty() { "''" } else { &r.sql }
}

/// `=` / `!=`, avoiding `COALESCE` where possible so indexes stay usable:
/// `a = ''` becomes `(a = '' OR a IS NULL)`, `a != 'x'` becomes
/// `a IS NOT 'x'` (a plain `!=` against NULL would be NULL, not true).
pub(super) fn equal_sql(b: &QueryBuilder, equal: bool, left: &Resolved, right: &Resolved) -> String {
    let (op, null_op, join, null_check) =
        if equal { ("=", "IS", "OR", "IS NULL") } else { ("IS NOT", "IS NOT", "AND", "IS NOT NULL") };
    let (l, r) = (&left.sql, &right.sql);
    if left.null_fallback == NullFallback::Disabled || right.null_fallback == NullFallback::Disabled {
        return format!("{l} {null_op} {r}");
    }
    let (left_empty, right_empty) = (is_empty(b, left), is_empty(b, right));
    if left_empty && right_empty {
        return format!("{} {op} {}", empty_sql(left), empty_sql(right));
    }
    if is_known_non_empty(b, left) || is_known_non_empty(b, right) {
        let l = if left_empty { empty_sql(left) } else { l };
        let r = if right_empty { empty_sql(right) } else { r };
        return format!("{l} {op} {r}");
    }
    if left_empty {
        return format!("({} {op} {r} {join} {r} {null_check})", empty_sql(left));
    }
    if right_empty {
        return format!("({l} {op} {} {join} {l} {null_check})", empty_sql(right));
    }
    format!("COALESCE({l}, '') {op} COALESCE({r}, '')")
}

/// `NOT EXISTS (an item that fails the comparison)`.
fn many_vs_one(
    b: &QueryBuilder,
    (items, fallback): (&MultiMatch, NullFallback),
    op: SignOp,
    other: &Resolved,
    items_on_right: bool,
) -> String {
    let mut item = Resolved::raw("`__sm`.`multiMatchValue`");
    item.null_fallback = fallback;
    let mut other_side = Resolved::raw(other.sql.clone());
    other_side.params.clone_from(&other.params);
    let condition =
        if items_on_right { operator_sql(b, &other_side, op, &item) } else { operator_sql(b, &item, op, &other_side) };
    format!("NOT EXISTS (SELECT 1 FROM ({}) AS `__sm` WHERE NOT ({condition}))", items.sql())
}

/// `NOT EXISTS (a pair of items that fails the comparison)`.
fn many_vs_many(
    b: &QueryBuilder,
    (left, left_fallback): (&MultiMatch, NullFallback),
    op: SignOp,
    (right, right_fallback): (&MultiMatch, NullFallback),
) -> String {
    let mut l = Resolved::raw("`__ml`.`multiMatchValue`");
    l.null_fallback = left_fallback;
    let mut r = Resolved::raw("`__mr`.`multiMatchValue`");
    r.null_fallback = right_fallback;
    format!(
        "NOT EXISTS (SELECT 1 FROM ({}) AS `__ml` LEFT JOIN ({}) AS `__mr` WHERE NOT ({}))",
        left.sql(),
        right.sql(),
        operator_sql(b, &l, op, &r)
    )
}

/// Replaces each bound value with its LIKE pattern.
fn wrap_like_params(b: &mut QueryBuilder, params: &[usize]) {
    for &i in params {
        if let Some(arg) = b.args.get_mut(i) {
            *arg = SqlValue::Text(like_pattern(&value_text(arg)));
        }
    }
}

/// A value as text, the way Go's `cast.ToString` prints it.
fn value_text(value: &SqlValue) -> String {
    match value {
        SqlValue::Null => String::new(),
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(f) => f.to_string(),
        SqlValue::Text(s) => s.clone(),
        SqlValue::Blob(bytes) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// `%value%` with `\`, `%` and `_` escaped, unless the value already holds
/// an unescaped `%` (then it is used as the user's own pattern).
fn like_pattern(value: &str) -> String {
    if contains_unescaped(value, '%') {
        return value.to_string();
    }
    format!("%{}%", escape_unescaped(value, &['\\', '%', '_']))
}

fn contains_unescaped(s: &str, target: char) -> bool {
    let mut prev = None;
    for c in s.chars() {
        if c == target && prev != Some('\\') {
            return true;
        }
        // an escaped backslash does not escape what follows
        prev = if c == '\\' && prev == Some('\\') { None } else { Some(c) };
    }
    false
}

/// Prefixes special characters with `\` unless already preceded by one.
/// Mirrors PocketBase's right-to-left scan, including its quirk that a
/// character right before a special one is never examined itself
/// (`__` becomes `_\_`).
fn escape_unescaped(s: &str, specials: &[char]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut reversed = Vec::with_capacity(chars.len() * 2);
    let mut pending_escape = false;
    for (i, &c) in chars.iter().enumerate().rev() {
        if pending_escape {
            if c != '\\' {
                reversed.push('\\');
            }
            pending_escape = false;
        } else if specials.contains(&c) {
            pending_escape = true;
        }
        reversed.push(c);
        if i == 0 && pending_escape {
            reversed.push('\\');
        }
    }
    reversed.into_iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_pocketbase() {
        let cases = [
            ("abc", "%abc%"),
            ("a_c", r"%a\_c%"),
            (r"a\c", r"%a\\c%"),
            ("100%", "100%"),
            (r"100\%", r"%100\%%"),
            (r"a\_c", r"%a\_c%"),
            ("_x", r"%\_x%"),
            ("__", r"%_\_%"),
            ("", "%%"),
            ("ünï_", r"%ünï\_%"),
        ];
        for (input, expected) in cases {
            assert_eq!(like_pattern(input), expected, "{input}");
        }
    }

    #[test]
    fn numbers_print_like_go() {
        assert_eq!(value_text(&SqlValue::Real(10.0)), "10");
        assert_eq!(value_text(&SqlValue::Real(5.5)), "5.5");
        assert_eq!(value_text(&SqlValue::Real(1e21)), "1000000000000000000000");
    }

    fn literal(b: &mut QueryBuilder, s: &str) -> Resolved {
        Resolved::literal(b, SqlValue::Text(s.into()))
    }

    #[test]
    fn equality_is_null_safe_against_empty() {
        let mut b = QueryBuilder::default();
        let column = Resolved::raw("c");
        let empty = literal(&mut b, "");
        let text = literal(&mut b, "x");
        assert_eq!(equal_sql(&b, true, &column, &empty), "(c = ?1 OR c IS NULL)");
        assert_eq!(equal_sql(&b, false, &column, &empty), "(c IS NOT ?1 AND c IS NOT NULL)");
        assert_eq!(equal_sql(&b, true, &column, &Resolved::null()), "(c = '' OR c IS NULL)");
        assert_eq!(equal_sql(&b, false, &column, &text), "c IS NOT ?2");
        assert_eq!(equal_sql(&b, true, &Resolved::null(), &empty), "'' = ?1");
        assert_eq!(equal_sql(&b, true, &column, &Resolved::raw("d")), "COALESCE(c, '') = COALESCE(d, '')");
        let mut json = Resolved::raw("j");
        json.null_fallback = NullFallback::Disabled;
        assert_eq!(equal_sql(&b, true, &json, &Resolved::null()), "j IS NULL");
    }
}
