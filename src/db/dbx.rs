//! PocketBase's `dbx` expressions (`$dbx.hashExp`, `$dbx.like`, …) compiled
//! to parametrised SQLite: every value becomes a `?` argument, and `{:name}`
//! placeholders of raw expressions and queries are bound by name.

use super::SqlValue;
use serde_json::{Map, Value};

/// One `dbx.Expression`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `$dbx.exp(sql, params)`: raw SQL with `{:name}` placeholders.
    Raw {
        sql: String,
        params: Map<String, Value>,
    },
    /// `$dbx.hashExp({col: value})`: equality per column (null → IS NULL,
    /// arrays → IN), joined with AND.
    Hash(Vec<(String, Value)>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    In {
        column: String,
        values: Vec<Value>,
        not: bool,
    },
    /// `like`/`notLike`/`orLike`/`orNotLike`: `%value%` matches with the
    /// value's own `%`, `_` and `\` escaped.
    Like {
        column: String,
        values: Vec<Value>,
        not: bool,
        or: bool,
    },
    Exists {
        inner: Box<Expr>,
        not: bool,
    },
    Between {
        column: String,
        from: Value,
        to: Value,
        not: bool,
    },
}

/// A JSON value as an SQLite argument (objects and arrays as JSON text,
/// booleans as 0/1 like PocketBase stores them).
pub fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// dbx's column quoting: each dot-separated part of a plain identifier in
/// backticks; anything else (functions, already quoted names) as written.
pub fn quote_column(name: &str) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !plain {
        return name.to_string();
    }
    name.split('.').map(|p| format!("`{p}`")).collect::<Vec<_>>().join(".")
}

/// Replaces each `{:name}` in `sql` with a numbered `?N` and pushes its bound value
/// (NULL when unbound, like an unset dbx param).
pub fn bind_placeholders(sql: &str, params: &Map<String, Value>, args: &mut Vec<SqlValue>) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("{:") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        args.push(params.get(name).map_or(SqlValue::Null, sql_value));
        out.push_str(&format!("?{}", args.len()));
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    out
}

fn escape_like(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Expr {
    /// The SQL of the expression, pushing its arguments; `""` when the
    /// expression is empty (an empty AND, `notIn` without values).
    pub fn build(&self, args: &mut Vec<SqlValue>) -> String {
        match self {
            Expr::Raw { sql, params } => bind_placeholders(sql, params, args),
            Expr::Hash(pairs) => {
                let mut sorted: Vec<&(String, Value)> = pairs.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                let parts: Vec<Expr> = sorted
                    .into_iter()
                    .map(|(col, v)| match v {
                        Value::Null => Expr::Raw { sql: format!("{} IS NULL", quote_column(col)), params: Map::new() },
                        Value::Array(items) => Expr::In { column: col.clone(), values: items.clone(), not: false },
                        other => {
                            let mut params = Map::new();
                            params.insert("v".into(), other.clone());
                            Expr::Raw { sql: format!("{}={{:v}}", quote_column(col)), params }
                        }
                    })
                    .collect();
                Expr::And(parts).build(args)
            }
            Expr::Not(inner) => {
                let sql = inner.build(args);
                if sql.is_empty() { sql } else { format!("NOT ({sql})") }
            }
            Expr::And(items) | Expr::Or(items) => {
                let joiner = if matches!(self, Expr::And(_)) { " AND " } else { " OR " };
                let parts: Vec<String> = items.iter().map(|e| e.build(args)).filter(|s| !s.is_empty()).collect();
                match parts.len() {
                    0 => String::new(),
                    1 => parts.into_iter().next().unwrap_or_default(),
                    _ => parts.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(joiner),
                }
            }
            Expr::In { column, values, not } => {
                if values.is_empty() {
                    return if *not { String::new() } else { "0=1".into() };
                }
                let marks: Vec<String> = values
                    .iter()
                    .map(|v| {
                        args.push(sql_value(v));
                        format!("?{}", args.len())
                    })
                    .collect();
                let op = if *not { "NOT IN" } else { "IN" };
                format!("{} {op} ({})", quote_column(column), marks.join(", "))
            }
            Expr::Like { column, values, not, or } => {
                let op = if *not { "NOT LIKE" } else { "LIKE" };
                let col = quote_column(column);
                let parts: Vec<String> = values
                    .iter()
                    .map(|v| {
                        args.push(SqlValue::Text(escape_like(v)));
                        format!("{col} {op} ?{} ESCAPE '\\'", args.len())
                    })
                    .collect();
                parts.join(if *or { " OR " } else { " AND " })
            }
            Expr::Exists { inner, not } => {
                let sql = inner.build(args);
                if sql.is_empty() {
                    return String::new();
                }
                format!("{}EXISTS ({sql})", if *not { "NOT " } else { "" })
            }
            Expr::Between { column, from, to, not } => {
                args.push(sql_value(from));
                args.push(sql_value(to));
                let n = args.len();
                format!("{} {}BETWEEN ?{} AND ?{n}", quote_column(column), if *not { "NOT " } else { "" }, n - 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn build(e: &Expr) -> (String, Vec<SqlValue>) {
        let mut args = Vec::new();
        (e.build(&mut args), args)
    }

    #[test]
    fn expressions_compile_to_parametrised_sql() {
        let hash = Expr::Hash(vec![("status".into(), json!("active")), ("deleted".into(), Value::Null)]);
        assert_eq!(
            build(&hash),
            ("(`deleted` IS NULL) AND (`status`=?1)".into(), vec![SqlValue::Text("active".into())])
        );
        let mut params = Map::new();
        params.insert("min".into(), json!(5));
        let raw = Expr::Raw { sql: "views > {:min} AND x = {:missing}".into(), params };
        assert_eq!(build(&raw), ("views > ?1 AND x = ?2".into(), vec![SqlValue::Integer(5), SqlValue::Null]));
        let or = Expr::Or(vec![
            Expr::In { column: "a.id".into(), values: vec![json!("x"), json!("y")], not: false },
            Expr::Like { column: "title".into(), values: vec![json!("50%")], not: true, or: false },
        ]);
        let (sql, args) = build(&or);
        assert_eq!(sql, "(`a`.`id` IN (?1, ?2)) OR (`title` NOT LIKE ?3 ESCAPE '\\')");
        assert_eq!(args[2], SqlValue::Text("%50\\%%".into()));
        let between =
            Expr::Not(Box::new(Expr::Between { column: "n".into(), from: json!(1), to: json!(2), not: false }));
        assert_eq!(build(&between).0, "NOT (`n` BETWEEN ?1 AND ?2)");
        assert_eq!(build(&Expr::In { column: "id".into(), values: vec![], not: false }).0, "0=1");
        assert_eq!(build(&Expr::And(vec![])).0, "");
    }
}
