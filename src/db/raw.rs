//! Raw SQL written by app code (`$app.db().newQuery(sql).bind({...})` in JS
//! hooks and migrations), with PocketBase's dbx placeholder syntax:
//! `{:name}` binds a parameter, `{{table}}` and `[[column]]` quote names.
//! Parameters are always bound, never interpolated. Scripts run them under
//! a deadline ([`super::with_deadline`]): a JS interrupt cannot stop a query in
//! progress.

use rusqlite::{Connection, Statement};
use serde_json::{Map, Value};

use super::dbx::sql_value;
use super::{DbResult, quote, values};

/// Rewrites dbx syntax into SQLite's: `{:name}` → `:name`, `{{t}}` and
/// `[[c]]` → `` `t` ``. Text inside SQL string literals is left alone.
pub fn rewrite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_string = !in_string;
        } else if !in_string {
            let quoted = [("{{", "}}"), ("[[", "]]")].into_iter().find_map(|(open, close)| {
                let inner = rest.strip_prefix(open)?;
                let end = inner.find(close)?;
                Some((quote(inner[..end].trim()), open.len() + end + close.len()))
            });
            if let Some((ident, used)) = quoted {
                out.push_str(&ident);
                rest = &rest[used..];
                continue;
            }
            if let Some(inner) = rest.strip_prefix("{:")
                && let Some(end) = inner.find('}')
                && inner[..end].chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            {
                out.push(':');
                out.push_str(&inner[..end]);
                rest = &inner[end + 1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Binds the parameters the statement uses; others are ignored (dbx binds
/// by name too).
fn bind(stmt: &mut Statement<'_>, params: &Map<String, Value>) -> DbResult<()> {
    for (name, v) in params {
        if let Some(idx) = stmt.parameter_index(&format!(":{name}"))? {
            stmt.raw_bind_parameter(idx, sql_value(v))?;
        }
    }
    Ok(())
}

/// Runs a statement; returns (rows affected, last insert rowid).
pub fn execute(conn: &Connection, sql: &str, params: &Map<String, Value>) -> DbResult<(usize, i64)> {
    let mut stmt = conn.prepare(&rewrite(sql))?;
    bind(&mut stmt, params)?;
    let n = stmt.raw_execute()?;
    Ok((n, conn.last_insert_rowid()))
}

/// Runs a query and returns up to `limit` rows (all when `None`) as
/// objects keyed by column name.
pub fn query(
    conn: &Connection,
    sql: &str,
    params: &Map<String, Value>,
    limit: Option<usize>,
) -> DbResult<Vec<Map<String, Value>>> {
    let mut stmt = conn.prepare(&rewrite(sql))?;
    bind(&mut stmt, params)?;
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let mut m = Map::new();
        for (i, name) in names.iter().enumerate() {
            m.insert(name.clone(), values::plain_from_sql(row.get_ref(i)?));
        }
        out.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dbx_placeholders_become_sqlite_ones() {
        assert_eq!(
            rewrite("UPDATE {{posts}} SET [[title]] = {:t} WHERE id = {:id} AND x = '{:no}'"),
            "UPDATE `posts` SET `title` = :t WHERE id = :id AND x = '{:no}'"
        );
    }

    #[test]
    fn binds_by_name_and_reads_rows() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch("CREATE TABLE t (a TEXT, b INTEGER)").expect("table");
        let params = json!({"a": "x", "b": 2, "unused": true});
        let params = params.as_object().expect("object");
        let (n, _) = execute(&conn, "INSERT INTO {{t}} (a, b) VALUES ({:a}, {:b})", params).expect("insert");
        assert_eq!(n, 1);
        let rows = query(&conn, "SELECT a, b FROM t WHERE b = {:b}", params, None).expect("query");
        assert_eq!(rows, vec![json!({"a": "x", "b": 2}).as_object().cloned().expect("row")]);
    }
}
