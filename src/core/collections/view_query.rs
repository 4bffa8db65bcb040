//! What a view query's columns are written as: the top-level SELECT list
//! split into (expression, name) pairs, and PocketBase's rules for the
//! field type of a column that is an expression rather than a plain column
//! (`count(…)` → integer number, `total(…)` → number, `cast(… as T)` → T,
//! anything else → json). SQLite tells us where plain columns come from;
//! this covers what it cannot.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::field::{Field, FieldKind, default_field_id};

static CAST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^cast\s*\(.*\s+as\s+(\w+)\s*\)$").expect("valid cast regex"));
static ALIAS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)^(.*?)\s+(?:as\s+)?([A-Za-z_][\w]*|`[^`]+`|"[^"]+"|\[[^\]]+\])$"#).expect("valid alias regex")
});

/// The expressions of the top-level SELECT list by result column name
/// (case-insensitive keys, lower-cased). Unknown shapes give an empty map.
pub fn select_expressions(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(list) = top_level_select_list(query) else { return out };
    for item in split_top_level(list, ',') {
        let item = item.trim();
        let (expr, name) = match ALIAS_RE.captures(item) {
            // `a.b` alone is a column, not `a` aliased as `b`
            Some(c) if !c[1].trim().is_empty() && !c[1].trim_end().ends_with('.') => {
                (c[1].trim().to_string(), unquote(&c[2]))
            }
            _ => {
                let name = item.rsplit('.').next().unwrap_or(item);
                (item.to_string(), unquote(name))
            }
        };
        out.insert(name.to_lowercase(), expr);
    }
    out
}

/// The field PocketBase infers for a column that is an expression (not a
/// plain column of a collection), with PocketBase's default field id.
pub fn expression_field(name: &str, expr: &str) -> Field {
    let lower = expr.to_lowercase();
    let number = |only_int: bool| FieldKind::Number { min: None, max: None, only_int };
    let kind = if lower.starts_with("count(") {
        number(true)
    } else if lower.starts_with("total(") {
        number(false)
    } else if let Some(c) = CAST_RE.captures(&lower) {
        match &c[1] {
            "real" | "decimal" | "numeric" => number(false),
            "int" | "integer" => number(true),
            "text" => FieldKind::Text {
                min: 0,
                max: 0,
                pattern: String::new(),
                autogenerate_pattern: String::new(),
                primary_key: false,
            },
            "boolean" | "bool" => FieldKind::Bool,
            _ => FieldKind::Json { max_size: 1 },
        }
    } else {
        // PocketBase's default view field: json, maxSize 1 (unused for views)
        FieldKind::Json { max_size: 1 }
    };
    let mut f = Field::new(name, kind);
    f.id = default_field_id(f.field_type(), name);
    f
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let inner = s
        .strip_prefix('`')
        .and_then(|r| r.strip_suffix('`'))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .or_else(|| s.strip_prefix('[').and_then(|r| r.strip_suffix(']')));
    inner.unwrap_or(s).to_string()
}

/// The text between the first top-level SELECT (after DISTINCT/ALL) and
/// its top-level FROM (or the end).
fn top_level_select_list(query: &str) -> Option<&str> {
    let q = query.trim().trim_start_matches('(').trim_start();
    let lower = q.to_ascii_lowercase();
    if !lower.starts_with("select") {
        return None;
    }
    let mut start = "select".len();
    for kw in ["distinct", "all"] {
        let rest = lower[start..].trim_start();
        if rest.starts_with(kw) && rest[kw.len()..].starts_with(|c: char| c.is_whitespace()) {
            start = lower.len() - rest.len() + kw.len();
        }
    }
    let end = find_top_level_keyword(&lower, start, "from").unwrap_or(q.len());
    q.get(start..end)
}

/// Byte offset of a keyword at nesting depth 0, outside quotes.
fn find_top_level_keyword(lower: &str, from: usize, kw: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    let (mut depth, mut i) = (0i32, from);
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0
                && lower[i..].starts_with(kw)
                && i > 0
                && !is_word(bytes[i - 1])
                && bytes.get(i + kw.len()).is_none_or(|b| !is_word(*b)) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits at `sep` outside parentheses and quotes.
fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_list_names_and_expressions() {
        let m = select_expressions(
            "select u.id, email, count(*) as c, cast(x as int) ci, (name || ', ' || 1) as `expr`, max(created) from users u where a = 1",
        );
        assert_eq!(m["id"], "u.id");
        assert_eq!(m["email"], "email");
        assert_eq!(m["c"], "count(*)");
        assert_eq!(m["ci"], "cast(x as int)");
        assert_eq!(m["expr"], "(name || ', ' || 1)");
        assert_eq!(m["max(created)"], "max(created)");
        assert!(select_expressions("with x as (select 1) select * from x").is_empty());
    }

    #[test]
    fn expression_types_follow_pocketbase() {
        let kind = |expr: &str| expression_field("f", expr).kind;
        assert_eq!(kind("count(*)"), FieldKind::Number { min: None, max: None, only_int: true });
        assert_eq!(kind("TOTAL(x)"), FieldKind::Number { min: None, max: None, only_int: false });
        assert_eq!(kind("cast(a as real)"), FieldKind::Number { min: None, max: None, only_int: false });
        assert_eq!(kind("cast(a as boolean)"), FieldKind::Bool);
        assert_eq!(kind("max(x)"), FieldKind::Json { max_size: 1 });
        assert_eq!(expression_field("c", "count(*)").id, "number112844655");
    }
}
