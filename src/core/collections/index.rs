//! Parses and rebuilds the `CREATE [UNIQUE] INDEX` statements stored in a
//! collection's `indexes`, so they can be validated and retargeted on rename.

use std::sync::LazyLock;

use regex::Regex;

/// One parsed index definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub unique: bool,
    pub name: String,
    pub table: String,
    /// Raw column expressions (`title`, `lower(email) COLLATE NOCASE`, …).
    pub columns: Vec<String>,
    pub where_clause: String,
}

static INDEX_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"'\[]?([\w.]+)[`"'\]]?\s+ON\s+[`"'\[]?(\w+)[`"'\]]?\s*\((.+?)\)\s*(?:WHERE\s+(.+?))?\s*;?\s*$"#,
    )
    .expect("valid index regex")
});

fn unquote(s: &str) -> String {
    let t = s.trim();
    let bytes = t.as_bytes();
    if bytes.len() >= 2 {
        let (a, b) = (bytes[0], bytes[bytes.len() - 1]);
        if (a == b'`' && b == b'`') || (a == b'"' && b == b'"') || (a == b'[' && b == b']') {
            return t[1..t.len() - 1].to_string();
        }
    }
    t.to_string()
}

/// Splits on commas that are not inside parentheses or quotes.
fn split_columns(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(cur.trim().to_string());
                    cur.clear();
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

impl Index {
    /// Parses a `CREATE INDEX` statement; `None` if it is not one.
    pub fn parse(sql: &str) -> Option<Self> {
        let caps = INDEX_RE.captures(sql)?;
        let columns = split_columns(caps.get(4)?.as_str());
        if columns.is_empty() {
            return None;
        }
        Some(Index {
            unique: caps.get(1).is_some(),
            name: caps.get(2)?.as_str().to_string(),
            table: caps.get(3)?.as_str().to_string(),
            columns,
            where_clause: caps.get(5).map(|m| m.as_str().trim().to_string()).unwrap_or_default(),
        })
    }

    /// Plain column names of the index (expressions are skipped).
    pub fn column_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter_map(|c| {
                let first = c.split_whitespace().next()?;
                let name = unquote(first);
                name.chars().all(|ch| ch.is_alphanumeric() || ch == '_').then_some(name)
            })
            .collect()
    }

    /// Rebuilds the SQL, PocketBase style.
    pub fn build(&self) -> String {
        let mut s = String::from("CREATE ");
        if self.unique {
            s.push_str("UNIQUE ");
        }
        s.push_str(&format!("INDEX `{}` ON `{}` ({})", self.name, self.table, self.columns.join(", ")));
        if !self.where_clause.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.where_clause);
        }
        s
    }
}

static COLUMN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^(.+?)(?:\s+collate\s+(\w+))?(?:\s+(asc|desc))?$").expect("valid index column regex")
});

impl Index {
    /// The SQL in PocketBase's normal form (`dbutils.Index.Build`): plain
    /// columns in backticks, one per line when there are several, COLLATE
    /// and the sort order spelled out. Used where PocketBase writes index
    /// definitions itself (system migrations), so ours read the same.
    pub fn build_normalized(&self) -> String {
        const TRIM: &[char] = &['`', '"', '\'', '[', ']', '\r', '\n', '\t', '\x0c', '\x0b', ' '];
        let columns: Vec<String> = self
            .columns
            .iter()
            .filter_map(|raw| {
                let caps = COLUMN_RE.captures(raw.trim())?;
                let name = caps.get(1)?.as_str().trim_matches(TRIM);
                if name.is_empty() {
                    return None;
                }
                let mut col =
                    if name.contains('(') || name.contains(' ') { name.to_string() } else { format!("`{name}`") };
                if let Some(collate) = caps.get(2) {
                    col.push_str(" COLLATE ");
                    col.push_str(collate.as_str());
                }
                if let Some(sort) = caps.get(3) {
                    col.push(' ');
                    col.push_str(&sort.as_str().to_uppercase());
                }
                Some(col)
            })
            .collect();
        let mut s = String::from("CREATE ");
        if self.unique {
            s.push_str("UNIQUE ");
        }
        s.push_str(&format!("INDEX `{}` ON `{}` (", self.name, self.table));
        if columns.len() > 1 {
            s.push_str("\n  ");
            s.push_str(&columns.join(",\n  "));
            s.push('\n');
        } else {
            s.push_str(&columns.concat());
        }
        s.push(')');
        if !self.where_clause.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.where_clause);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_sql_matches_pocketbase() {
        let i = Index::parse("CREATE INDEX idx_x ON posts (views)").expect("parses");
        assert_eq!(i.build_normalized(), "CREATE INDEX `idx_x` ON `posts` (`views`)");
        let j = Index::parse("create unique index idx_y on t (a collate nocase desc, lower(b)) where a != ''")
            .expect("parses");
        assert_eq!(
            j.build_normalized(),
            "CREATE UNIQUE INDEX `idx_y` ON `t` (\n  `a` COLLATE nocase DESC,\n  lower(b)\n) WHERE a != ''"
        );
    }

    #[test]
    fn parses_pocketbase_style_indexes() {
        let i =
            Index::parse("CREATE UNIQUE INDEX `idx_email_x` ON `users` (`email`) WHERE `email` != ''").expect("parses");
        assert!(i.unique);
        assert_eq!(i.name, "idx_email_x");
        assert_eq!(i.table, "users");
        assert_eq!(i.column_names(), vec!["email"]);
        assert_eq!(i.where_clause, "`email` != ''");
        let j = Index::parse("create index idx_a on posts (a, lower(b))").expect("parses");
        assert_eq!(j.columns, vec!["a", "lower(b)"]);
        assert_eq!(j.column_names(), vec!["a"]);
    }

    #[test]
    fn rejects_other_statements() {
        assert!(Index::parse("DROP TABLE users").is_none());
        assert!(Index::parse("CREATE INDEX x ON t ()").is_none());
    }
}
