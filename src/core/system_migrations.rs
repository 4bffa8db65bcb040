//! PocketBase's own (Go) system migrations, for data dirs that an older
//! PocketBase wrote. A fresh data dir gets 0.40's layout at once and all of
//! them recorded; an existing one gets each migration it lacks applied the
//! way PocketBase 0.40 applies it, recorded in `_migrations` under
//! PocketBase's file name, so the data dir reads as migrated to PocketBase
//! too.
//!
//! The 0.23 ones (`1717233556_v0.23_migrate*.go`) turn a 0.22 layout into
//! 0.23's; a data dir without them is refused with a clear message (open it
//! once with PocketBase 0.23 first).

use std::collections::HashSet;

use super::app::App;
use super::collections::Collection;
use super::collections::auth_options::AuthOptions;
use super::collections::index::Index;
use super::error::{Error, Result};
use crate::db::{self, schema};

/// `1763020353_update_default_auth_alert_templates.go` (PocketBase 0.33).
pub const AUTH_ALERT_TEMPLATES: &str = "1763020353_update_default_auth_alert_templates.go";
/// `1778828400_normalize_indexes.go` (PocketBase 0.38).
pub const NORMALIZE_INDEXES: &str = "1778828400_normalize_indexes.go";

/// The migrations that make up a 0.23 layout; without them the data dir
/// is older than 0.23.
const V023: [&str; 5] = [
    "1640988000_init.go",
    "1717233556_v0.23_migrate.go",
    "1717233557_v0.23_migrate2.go",
    "1717233558_v0.23_migrate3.go",
    "1717233559_v0.23_migrate4.go",
];

/// The auth alert body of PocketBase 0.23–0.32 (replaced when unchanged).
const OLD_AUTH_ALERT_BODY: &str = "<p>Hello,</p>\n<p>We noticed a login to your {APP_NAME} account from a new location.</p>\n<p>If this was you, you may disregard this email.</p>\n<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>\n<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>";

type Up = fn(&App) -> Result<()>;

/// The upgrades after 0.23, in PocketBase's order.
const UPGRADES: [(&str, Up); 2] =
    [(AUTH_ALERT_TEMPLATES, update_auth_alert_templates), (NORMALIZE_INDEXES, normalize_indexes)];

/// Refuses a data dir older than PocketBase 0.23 (checked before its
/// collections are read: their layout is another one).
pub fn check_supported(applied: &HashSet<String>) -> Result<()> {
    let missing: Vec<&str> = V023.iter().copied().filter(|m| !applied.contains(*m)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Internal(format!(
        "the data dir was written by PocketBase before 0.23 (no {} in _migrations): open it once with PocketBase 0.23 to upgrade it, then with Ferrobase",
        missing.join(", ")
    )))
}

/// Applies the system migrations the data dir lacks, each in its own
/// transaction with its `_migrations` row; returns their names.
pub fn run_pending(app: &App) -> Result<Vec<&'static str>> {
    let applied = app.executor().read(schema::applied_migrations)?;
    let mut done = Vec::new();
    for (name, up) in UPGRADES {
        if applied.contains(name) {
            continue;
        }
        app.run_in_transaction(|tx| {
            up(tx).map_err(|e| Error::Internal(format!("system migration {name} failed: {e}")))?;
            tx.executor().write(|c| schema::mark_applied(c, name))?;
            Ok(())
        })?;
        tracing::info!("applied PocketBase system migration {name}");
        done.push(name);
    }
    Ok(done)
}

/// Auth collections still using 0.23's default login alert get 0.40's.
fn update_auth_alert_templates(app: &App) -> Result<()> {
    let new_body = AuthOptions::default().auth_alert.email_template.body;
    for c in app.collections().all().iter().filter(|c| c.is_auth()) {
        let Some(auth) = &c.auth else { continue };
        if auth.auth_alert.email_template.body != OLD_AUTH_ALERT_BODY {
            continue;
        }
        let mut updated = (**c).clone();
        if let Some(a) = updated.auth.as_mut() {
            a.auth_alert.email_template.body = new_body.clone();
        }
        app.resave_collection_raw(c, updated)?;
    }
    Ok(())
}

/// Indexes that exist in SQLite but not in a collection's `indexes` (made
/// outside PocketBase, e.g. with the sqlite3 CLI) join the list, except
/// auth's own unique tokenKey/email ones and duplicates of a listed one
/// under another name; then every non-system table collection is saved
/// again, which recreates its indexes from the list.
fn normalize_indexes(app: &App) -> Result<()> {
    for c in app.collections().all().to_vec() {
        if c.system || c.is_view() {
            continue;
        }
        let in_db = app.executor().read(|conn| schema::table_indexes(conn, &c.name))?;
        if in_db.is_empty() && c.indexes.is_empty() {
            continue;
        }
        let listed: Vec<Index> = c.indexes.iter().filter_map(|s| Index::parse(s)).collect();
        let mut updated = (*c).clone();
        for (name, sql) in in_db {
            if listed.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
                continue;
            }
            let Some(mut missing) = Index::parse(&sql) else {
                return Err(Error::Internal(format!("cannot parse the index {name}: {sql}")));
            };
            missing.table = c.name.clone();
            app.executor().write(|conn| schema::drop_index(conn, &name))?;
            let single = if missing.columns.len() == 1 { missing.column_names().pop() } else { None };
            let auth_own = c.is_auth()
                && missing.unique
                && single.is_some_and(|n| n.eq_ignore_ascii_case("tokenKey") || n.eq_ignore_ascii_case("email"));
            if auth_own {
                continue;
            }
            let missing_sql = missing.build_normalized();
            let duplicate = listed.iter().any(|l| {
                let mut same = l.clone();
                same.name = missing.name.clone();
                same.table = missing.table.clone();
                same.build_normalized() == missing_sql
            });
            if !duplicate {
                updated.indexes.push(missing_sql);
            }
        }
        app.resave_collection_raw(&c, updated)?;
    }
    Ok(())
}

impl App {
    /// Stores a changed collection (table, indexes and row) without
    /// validation or hooks, like a trusted migration step does.
    pub(crate) fn resave_collection_raw(&self, old: &Collection, mut c: Collection) -> Result<()> {
        c.updated = super::datetime::now();
        self.executor().write(|conn| -> Result<()> {
            db::sync::update(conn, old, &c)?;
            db::collections::upsert(conn, &c)?;
            Ok(())
        })?;
        self.reload_collections()
    }
}
