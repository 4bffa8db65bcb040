//! Hook events and the app's hook chains (PocketBase's `onRecord*`,
//! `onCollection*` families). Request-level events live with the API but
//! their chains are registered here too.

use std::sync::Arc;

use super::app::App;
use super::collections::Collection;
use super::hooks::{Hook, Tagged};
use super::records::Record;
use super::records::query::ListPage;
use super::request::RequestInfo;

/// A record model event (`onRecordCreate`, `onRecordValidate`, …).
pub struct RecordEvent {
    pub app: App,
    pub record: Record,
}

impl RecordEvent {
    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        RecordEvent { app: self.app.clone(), record: Record::placeholder(self.record.collection.clone()) }
    }
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

impl CollectionEvent {
    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        CollectionEvent { app: self.app.clone(), collection: Collection::placeholder() }
    }
}

impl Tagged for CollectionEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// A collections API request event (`onCollectionCreateRequest`,
/// `onCollectionUpdateRequest`, `onCollectionDeleteRequest`). `collection`
/// is the submitted collection (create, update) or the one to delete.
pub struct CollectionRequestEvent {
    pub app: App,
    pub collection: Collection,
    pub request: RequestInfo,
    /// Set by the innermost action; false when a hook did not call next.
    pub handled: bool,
}

impl CollectionRequestEvent {
    /// A new event for `collection`.
    pub fn new(app: &App, collection: Collection, request: &RequestInfo) -> Self {
        CollectionRequestEvent { app: app.clone(), collection, request: request.clone(), handled: false }
    }

    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        CollectionRequestEvent {
            app: self.app.clone(),
            collection: Collection::placeholder(),
            request: RequestInfo::default(),
            handled: false,
        }
    }
}

impl Tagged for CollectionRequestEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// A records API request event (`onRecordCreateRequest`, `onRecordsListRequest`, …).
pub struct RecordRequestEvent {
    pub app: App,
    pub collection: Arc<Collection>,
    pub request: RequestInfo,
    /// The record of a view/create/update/delete request.
    pub record: Option<Record>,
    /// The page of a list request.
    pub list: Option<ListPage>,
    /// Set by the innermost action; false when a hook did not call next.
    pub handled: bool,
}

impl RecordRequestEvent {
    /// A new event for `collection`.
    pub fn new(app: &App, collection: &Arc<Collection>, request: &RequestInfo, record: Option<Record>) -> Self {
        RecordRequestEvent {
            app: app.clone(),
            collection: collection.clone(),
            request: request.clone(),
            record,
            list: None,
            handled: false,
        }
    }
}

impl RecordRequestEvent {
    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        RecordRequestEvent {
            app: self.app.clone(),
            collection: self.collection.clone(),
            request: RequestInfo::default(),
            record: None,
            list: None,
            handled: false,
        }
    }
}

impl Tagged for RecordRequestEvent {
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
    pub on_records_list_request: Hook<RecordRequestEvent>,
    pub on_record_view_request: Hook<RecordRequestEvent>,
    pub on_record_create_request: Hook<RecordRequestEvent>,
    pub on_record_update_request: Hook<RecordRequestEvent>,
    pub on_record_delete_request: Hook<RecordRequestEvent>,
    pub on_record_validate: Hook<RecordEvent>,
    pub on_record_create: ActionHooks<RecordEvent>,
    pub on_record_update: ActionHooks<RecordEvent>,
    pub on_record_delete: ActionHooks<RecordEvent>,
    pub on_collection_validate: Hook<CollectionEvent>,
    pub on_collection_create: ActionHooks<CollectionEvent>,
    pub on_collection_update: ActionHooks<CollectionEvent>,
    pub on_collection_delete: ActionHooks<CollectionEvent>,
    pub on_collection_create_request: Hook<CollectionRequestEvent>,
    pub on_collection_update_request: Hook<CollectionRequestEvent>,
    pub on_collection_delete_request: Hook<CollectionRequestEvent>,
}
