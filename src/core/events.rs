//! Hook events and the app's hook chains (PocketBase's `onRecord*`,
//! `onCollection*` families). Request-level events live with the API but
//! their chains are registered here too.

use super::app::App;
use super::collections::Collection;
use super::hooks::{Hook, Tagged};
use super::records::Record;

/// A record model event (`onRecordCreate`, `onRecordValidate`, …).
pub struct RecordEvent {
    pub app: App,
    pub record: Record,
}

impl Tagged for RecordEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.record.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// A collection model event (`onCollectionCreate`, …).
pub struct CollectionEvent {
    pub app: App,
    pub collection: Collection,
}

impl Tagged for CollectionEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// The four chains of one model action.
pub struct ActionHooks<E> {
    /// Wraps the whole action (`onRecordCreate`).
    pub before: Hook<E>,
    /// The storage step (`onRecordCreateExecute`).
    pub execute: Hook<E>,
    /// After commit (`onRecordAfterCreateSuccess`).
    pub after_success: Hook<E>,
    /// After a failure (`onRecordAfterCreateError`).
    pub after_error: Hook<E>,
}

impl<E> Default for ActionHooks<E> {
    fn default() -> Self {
        ActionHooks {
            before: Hook::default(),
            execute: Hook::default(),
            after_success: Hook::default(),
            after_error: Hook::default(),
        }
    }
}

/// All hook chains of an app.
#[derive(Default)]
pub struct Hooks {
    pub on_record_validate: Hook<RecordEvent>,
    pub on_record_create: ActionHooks<RecordEvent>,
    pub on_record_update: ActionHooks<RecordEvent>,
    pub on_record_delete: ActionHooks<RecordEvent>,
    pub on_collection_validate: Hook<CollectionEvent>,
    pub on_collection_create: ActionHooks<CollectionEvent>,
    pub on_collection_update: ActionHooks<CollectionEvent>,
    pub on_collection_delete: ActionHooks<CollectionEvent>,
}
