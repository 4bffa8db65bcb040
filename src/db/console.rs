//! The SQL console behind `POST /api/sql`: runs a superuser's raw SQL the
//! way PocketBase does. A query that starts like a write runs as one batch
//! inside a savepoint that rolls back on any error; anything else runs on
//! a read-only reader and answers the rows of its last statement, every
//! value as text (PocketBase scans them into strings).

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::{DbResult, Executor};

/// One column of a console result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleColumn {
    pub name: String,
    /// The declared type, upper-cased; empty for expressions.
    pub decl_type: String,
}

/// What a console query gave.
#[derive(Debug, Clone, Default)]
pub struct ConsoleResult {
    pub affected_rows: u64,
    pub columns: Vec<ConsoleColumn>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Statement prefixes PocketBase treats as writes (a query starting with
/// SELECT never is).
const WRITE_PREFIXES: &[&str] = &["INSERT", "CREATE", "UPDATE", "DELETE", "DROP", "DETACH", "ALTER", "REPLACE"];

/// Whether PocketBase would run `query` as a write.
pub fn is_write(query: &str) -> bool {
    let upper = query.trim_start().get(..8).unwrap_or(query.trim_start()).to_ascii_uppercase();
    !upper.starts_with("SELECT") && WRITE_PREFIXES.iter().any(|p| upper.starts_with(p))
}

/// Runs `query` (already trimmed, not empty); reads keep at most `max_rows` rows.
pub fn run(exec: &Executor, query: &str, max_rows: usize) -> Result<ConsoleResult, String> {
    if is_write(query) {
        exec.write(|conn| run_write(conn, query)).map_err(|e| describe(&e))
    } else {
        exec.read(|conn| run_read(conn, query, max_rows)).map_err(|e| describe(&e))
    }
}

fn run_write(conn: &Connection, query: &str) -> DbResult<ConsoleResult> {
    // a savepoint works both alone and inside an open transaction
    conn.execute_batch("SAVEPOINT sql_console")?;
    match conn.execute_batch(query) {
        Ok(()) => {
            let affected_rows = conn.changes();
            conn.execute_batch("RELEASE sql_console")?;
            Ok(ConsoleResult { affected_rows, ..Default::default() })
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO sql_console; RELEASE sql_console");
            Err(e)
        }
    }
}

fn run_read(conn: &Connection, query: &str, max_rows: usize) -> DbResult<ConsoleResult> {
    let statements = split_statements(query);
    let Some((last, before)) = statements.split_last() else {
        return Ok(ConsoleResult::default());
    };
    for sql in before {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
    }
    let mut stmt = conn.prepare(last)?;
    let columns: Vec<ConsoleColumn> = stmt
        .columns_with_metadata()
        .map(|c| ConsoleColumn { name: c.name().to_string(), decl_type: declared_type(conn, &c) })
        .collect();
    let n = columns.len();
    let mut out = ConsoleResult { columns, ..Default::default() };
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if out.rows.len() >= max_rows {
            break;
        }
        out.rows.push((0..n).map(|i| row.get_ref(i).map(as_text)).collect::<DbResult<_>>()?);
    }
    Ok(out)
}

/// The declared type of the table column a result column comes from
/// (empty for expressions), upper-cased like Go's `DatabaseTypeName`.
fn declared_type(conn: &Connection, c: &rusqlite::ColumnMetadata<'_>) -> String {
    let (Some(table), Some(origin)) = (c.table_name(), c.origin_name()) else {
        return String::new();
    };
    conn.column_metadata(c.database_name(), table, origin)
        .ok()
        .and_then(|(decl, ..)| decl)
        .map(|d| d.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default()
}

fn as_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Splits SQL text into statements at the `;` outside quotes, brackets
/// and comments (SQLite's prepare takes one statement at a time).
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    let mut push = |from: usize, to: usize| {
        let s = sql[from..to].trim();
        if !s.is_empty() {
            out.push(s);
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q {
                        // a doubled quote is an escaped one
                        if bytes.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                push(start, i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < sql.len() {
        push(start, sql.len());
    }
    out
}

/// An SQLite error as PocketBase's driver words it:
/// `SQL logic error: near "x": syntax error (1)`.
pub fn describe(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(err, msg) => {
            let primary = err.extended_code & 0xff;
            let kind = match primary {
                1 => "SQL logic error",
                5 => "database is locked",
                8 => "attempt to write a readonly database",
                9 => "interrupted",
                13 => "database or disk is full",
                19 => "constraint failed",
                20 => "datatype mismatch",
                25 => "column index out of range",
                _ => "SQLite error",
            };
            match msg {
                Some(m) => format!("{kind}: {m} ({})", err.extended_code),
                None => format!("{kind} ({})", err.extended_code),
            }
        }
        rusqlite::Error::SqlInputError { error, msg, .. } => {
            format!("SQL logic error: {msg} ({})", error.extended_code)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        assert_eq!(split_statements("select 1;select 2"), ["select 1", "select 2"]);
        assert_eq!(
            split_statements("select ';' as a; -- x;\nselect \"b;\""),
            ["select ';' as a", "-- x;\nselect \"b;\""]
        );
        assert_eq!(split_statements("select 'it''s;' ; /* ; */ select 3;"), ["select 'it''s;'", "/* ; */ select 3"]);
        assert!(split_statements(" ; ").is_empty());
    }

    #[test]
    fn write_queries_are_recognised_by_prefix() {
        assert!(is_write("create table t(x)"));
        assert!(is_write("  DELETE FROM t"));
        assert!(!is_write("select 1; delete from t"));
        assert!(!is_write("pragma table_info(t)"));
    }
}
