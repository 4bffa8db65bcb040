//! `?sort=`: comma-separated field paths, `-` for descending and an
//! optional `+` for ascending, plus `@random` and `@rowid`.

use super::compiler::Compiler;
use super::{FilterError, MAX_SORT_FIELDS};
use crate::db::quote;

/// One `ORDER BY` term for a sort item (`-author.name`, `@random`, …).
pub(super) fn sort_term(compiler: &mut Compiler<'_, '_>, item: &str) -> Result<String, FilterError> {
    let item = item.trim();
    let (name, direction) = match item.strip_prefix('-') {
        Some(name) => (name, "DESC"),
        None => (item.strip_prefix('+').unwrap_or(item), "ASC"),
    };
    match name {
        "@random" => Ok("RANDOM()".to_string()),
        "@rowid" => Ok(format!("{}.`_rowid_` {direction}", quote(&compiler.scope.alias))),
        _ => {
            let invalid = || FilterError(format!("invalid sort field {name:?}"));
            let resolved = compiler.field(name).map_err(|_| invalid())?;
            // request values and NULL are constants, not something to order by
            if !resolved.params.is_empty() || resolved.sql.eq_ignore_ascii_case("null") {
                return Err(invalid());
            }
            Ok(format!("{} {direction}", resolved.sql))
        }
    }
}

/// Splits the sort expression and checks the number of items.
pub(super) fn sort_items(sort: &str) -> Result<Vec<&str>, FilterError> {
    let items: Vec<&str> = sort.split(',').collect();
    if items.len() > MAX_SORT_FIELDS {
        return Err(FilterError(format!("too many sort expressions (max {MAX_SORT_FIELDS})")));
    }
    Ok(items)
}
