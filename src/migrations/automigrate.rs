//! Automigrate (`--automigrate`, on by default): a collection created,
//! updated or deleted through the collections API writes the migration that
//! replays the change (`<unix>_created_<name>.js`, `_updated_<old name>`,
//! `_deleted_<old name>`) into the migrations dir and records it as
//! applied. Like PocketBase it listens to the request hooks only, so changes
//! made by migrations, hooks or imports never write files.
//!
//! Unlike PocketBase, two changes within the same second do not collide:
//! each file gets a later timestamp than the previous one, which also keeps
//! name order equal to the order of the changes.

use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

use super::{MigrateError, files, templates};
use crate::core::App;
use crate::core::collections::Collection;
use crate::core::events::CollectionRequestEvent;
use crate::core::hooks::{Hook, Next};
use crate::db::schema;

/// Owner of the automigrate handlers in the hook chains.
pub const OWNER: &str = "automigrate";

struct Writer {
    dir: PathBuf,
    last_unix: Mutex<i64>,
}

/// Binds automigrate into `app`'s collection request hooks, writing into
/// `dir`. Binding again replaces the previous binding.
pub fn register(app: &App, dir: impl Into<PathBuf>) {
    let writer = Arc::new(Writer { dir: dir.into(), last_unix: Mutex::new(0) });
    let hooks = app.hooks();
    bind(&hooks.on_collection_create_request, &writer);
    bind(&hooks.on_collection_update_request, &writer);
    bind(&hooks.on_collection_delete_request, &writer);
}

/// Removes automigrate from `app`.
pub fn unregister(app: &App) {
    let hooks = app.hooks();
    hooks.on_collection_create_request.unbind_owner(OWNER);
    hooks.on_collection_update_request.unbind_owner(OWNER);
    hooks.on_collection_delete_request.unbind_owner(OWNER);
}

fn bind(hook: &Hook<CollectionRequestEvent>, writer: &Arc<Writer>) {
    let writer = writer.clone();
    hook.replace_owner(
        OWNER,
        vec![(
            0,
            vec![],
            Arc::new(move |e: &mut CollectionRequestEvent, next: Next<'_, CollectionRequestEvent>| {
                let old = e.app.collections().get(&e.collection.id);
                next(e)?;
                if !e.handled {
                    return Ok(());
                }
                let new = e.app.collections().get(&e.collection.id);
                // the change is committed and answered; a file that cannot
                // be written is logged, not turned into an API error
                if let Err(err) = writer.write(&e.app, old.as_deref(), new.as_deref()) {
                    tracing::error!("automigrate: {err}");
                }
                Ok(())
            }),
        )],
    );
}

impl Writer {
    /// A timestamp after the previous file's.
    fn next_unix(&self) -> i64 {
        let mut last = self.last_unix.lock();
        let now = chrono::Utc::now().timestamp();
        *last = if now > *last { now } else { *last + 1 };
        *last
    }

    fn write(&self, app: &App, old: Option<&Collection>, new: Option<&Collection>) -> Result<(), MigrateError> {
        let (action, source) = match (old, new) {
            (None, Some(new)) => (format!("created_{}", new.name), templates::created(new)),
            (Some(old), None) => (format!("deleted_{}", old.name), templates::deleted(old)),
            (Some(old), Some(new)) => match templates::updated(old, new) {
                Some(source) => (format!("updated_{}", old.name), source),
                None => return Ok(()),
            },
            (None, None) => return Ok(()),
        };
        let applied = app.executor().read(schema::applied_migrations)?;
        let name = loop {
            let name = files::file_name(self.next_unix(), &action);
            if !applied.contains(&name) && !self.dir.join(&name).exists() {
                break name;
            }
        };
        let path = self.dir.join(&name);
        app.run_in_transaction(|tx| {
            tx.executor().write(|c| schema::mark_applied(c, &name))?;
            super::write_new(&path, &source).map_err(|e| crate::core::Error::Internal(e.to_string()))
        })?;
        tracing::info!("automigrate: wrote {}", path.display());
        Ok(())
    }
}
