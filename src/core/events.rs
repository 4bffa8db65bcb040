//! Hook events and the app's hook chains (PocketBase's app lifecycle,
//! `onModel*`, `onRecord*`, `onCollection*` and request families).
//! Request-level events live with the API but their chains are registered
//! here too.

use std::sync::Arc;

use super::app::App;
use super::collections::Collection;
use super::hooks::{ActionError, Hook, ModelActionEvent, Next, Tagged};
use super::realtime::{RealtimeConnectRequestEvent, RealtimeMessageEvent, RealtimeSubscribeRequestEvent};
use super::records::Record;
use super::records::query::ListPage;
use super::request::RequestInfo;
use super::settings::Settings;

/// An app lifecycle event (`onBootstrap`, `onServe`, `onTerminate`,
/// `onSettingsReload`).
pub struct AppEvent {
    pub app: App,
    /// `onTerminate`: whether the app is restarting.
    pub is_restart: bool,
}

impl Tagged for AppEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// The model of a model event: a record or a collection.
pub enum Model {
    Record(Record),
    Collection(Box<Collection>),
}

/// A model event (`onModelCreate`, …): fired for records and collections
/// alike, inside the matching record/collection chain like PocketBase's
/// proxies. Tags are collection names/ids, `_collections` for collections.
pub struct ModelEvent {
    pub app: App,
    pub model: Model,
    /// `e.error` in the after-error chains.
    pub error: Option<ActionError>,
}

impl Tagged for ModelEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        match &self.model {
            Model::Record(r) => tags.iter().any(|t| *t == r.collection.id || *t == r.collection.name),
            Model::Collection(_) => tags.iter().any(|t| t == "_collections"),
        }
    }
}

/// `onRecordEnrich`: a record about to be sent in an API response.
pub struct RecordEnrichEvent {
    pub app: App,
    pub record: Record,
    pub request: RequestInfo,
}

impl Tagged for RecordEnrichEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.record.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// The auth request events (`onRecordAuthRequest`,
/// `onRecordAuthWithPasswordRequest`, `onRecordAuthRefreshRequest`, the
/// OTP, OAuth2, verification, password reset and email change requests):
/// one event type, each family filling the fields it has.
pub struct RecordAuthRequestEvent {
    pub app: App,
    pub collection: Arc<Collection>,
    pub request: RequestInfo,
    /// The authenticated record (set by the password action when it succeeds).
    pub record: Option<Record>,
    /// `onRecordAuthRequest`: the token, auth method and response meta.
    pub token: String,
    pub auth_method: String,
    pub meta: serde_json::Value,
    /// `onRecordAuthWithPasswordRequest`: the submitted credentials.
    pub identity: String,
    pub identity_field: String,
    pub password: String,
    /// `onRecordAuthWithOTPRequest`: the OTP being used.
    pub otp: Option<Record>,
    /// `onRecordAuthWithOAuth2Request`: provider, its user, the submitted
    /// `createData`, and whether a new record will be created.
    pub provider_name: String,
    pub oauth2_user: serde_json::Value,
    pub create_data: serde_json::Map<String, serde_json::Value>,
    pub is_new_record: bool,
    /// Email change requests: the new address.
    pub new_email: String,
    /// Set by the innermost action; false when a hook did not call next.
    pub handled: bool,
}

impl RecordAuthRequestEvent {
    /// A new event for `collection` with empty credentials.
    pub fn new(app: &App, collection: &Arc<Collection>, request: &RequestInfo) -> Self {
        RecordAuthRequestEvent {
            app: app.clone(),
            collection: collection.clone(),
            request: request.clone(),
            record: None,
            token: String::new(),
            auth_method: String::new(),
            meta: serde_json::Value::Null,
            identity: String::new(),
            identity_field: String::new(),
            password: String::new(),
            otp: None,
            provider_name: String::new(),
            oauth2_user: serde_json::Value::Null,
            create_data: serde_json::Map::new(),
            is_new_record: false,
            new_email: String::new(),
            handled: false,
        }
    }
}

/// `onMailerSend`: any mail sent through the app's mail client.
pub struct MailerEvent {
    pub app: App,
    pub client: super::mail::MailClient,
    pub message: super::mail::Message,
}

impl Tagged for MailerEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// `onMailerRecord*Send`: a mail of an auth flow, with its record and the
/// flow's data (`meta`: token, otpId/password, newEmail, info).
pub struct MailerRecordEvent {
    pub app: App,
    pub client: super::mail::MailClient,
    pub message: super::mail::Message,
    pub record: Record,
    pub meta: serde_json::Map<String, serde_json::Value>,
}

impl Tagged for MailerRecordEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.record.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

impl Tagged for RecordAuthRequestEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// `onSettingsListRequest` / `onSettingsUpdateRequest`.
pub struct SettingsRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    /// The current settings (`e.settings`, `e.oldSettings`).
    pub settings: Settings,
    /// An update's new settings (`e.newSettings`).
    pub new_settings: Option<Settings>,
    pub handled: bool,
}

impl Tagged for SettingsRequestEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// `onCollectionsListRequest`: the collections of a list page.
pub struct CollectionsListRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    pub collections: Vec<Collection>,
    pub handled: bool,
}

impl Tagged for CollectionsListRequestEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// `onCollectionsImportRequest`: the submitted collections, which the
/// handlers may change before `next()` imports them.
pub struct CollectionsImportRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    pub collections_data: Vec<serde_json::Value>,
    pub delete_missing: bool,
    pub handled: bool,
}

impl Tagged for CollectionsImportRequestEvent {
    fn matches_tags(&self, _tags: &[String]) -> bool {
        true
    }
}

/// A record model event (`onRecordCreate`, `onRecordValidate`, …).
#[derive(Clone)]
pub struct RecordEvent {
    pub app: App,
    pub record: Record,
    /// `e.error` in the after-error chains.
    pub error: Option<ActionError>,
}

impl RecordEvent {
    /// An event for `record`.
    pub fn new(app: &App, record: Record) -> Self {
        RecordEvent { app: app.clone(), record, error: None }
    }

    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        RecordEvent::new(&self.app, Record::placeholder(self.record.collection.clone()))
    }
}

impl ModelActionEvent for RecordEvent {
    fn through_model(hook: &Hook<ModelEvent>, e: &mut Self, inner: Next<'_, Self>) -> super::Result<()> {
        through_model(hook, e, inner)
    }

    fn set_app(&mut self, app: &App) {
        self.app = app.clone();
    }

    fn set_error(&mut self, error: Option<ActionError>) {
        self.error = error;
    }
}

impl Tagged for RecordEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.record.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// A collection model event (`onCollectionCreate`, …).
#[derive(Clone)]
pub struct CollectionEvent {
    pub app: App,
    pub collection: Collection,
    /// `e.error` in the after-error chains.
    pub error: Option<ActionError>,
}

impl CollectionEvent {
    /// An event for `collection`.
    pub fn new(app: &App, collection: Collection) -> Self {
        CollectionEvent { app: app.clone(), collection, error: None }
    }

    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        CollectionEvent::new(&self.app, Collection::placeholder())
    }
}

impl ModelActionEvent for CollectionEvent {
    fn through_model(hook: &Hook<ModelEvent>, e: &mut Self, inner: Next<'_, Self>) -> super::Result<()> {
        through_model_collection(hook, e, inner)
    }

    fn set_app(&mut self, app: &App) {
        self.app = app.clone();
    }

    fn set_error(&mut self, error: Option<ActionError>) {
        self.error = error;
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
    pub on_bootstrap: Hook<AppEvent>,
    /// Internal: fired by `serve` before it listens (not a JS global, like PocketBase).
    pub on_serve: Hook<AppEvent>,
    pub on_terminate: Hook<AppEvent>,
    pub on_settings_reload: Hook<AppEvent>,
    pub on_model_validate: Hook<ModelEvent>,
    pub on_model_create: ActionHooks<ModelEvent>,
    pub on_model_update: ActionHooks<ModelEvent>,
    pub on_model_delete: ActionHooks<ModelEvent>,
    pub on_record_enrich: Hook<RecordEnrichEvent>,
    pub on_record_auth_request: Hook<RecordAuthRequestEvent>,
    pub on_record_auth_with_password_request: Hook<RecordAuthRequestEvent>,
    pub on_record_auth_refresh_request: Hook<RecordAuthRequestEvent>,
    pub on_record_auth_with_otp_request: Hook<RecordAuthRequestEvent>,
    pub on_record_request_otp_request: Hook<RecordAuthRequestEvent>,
    pub on_record_auth_with_oauth2_request: Hook<RecordAuthRequestEvent>,
    pub on_record_request_verification_request: Hook<RecordAuthRequestEvent>,
    pub on_record_confirm_verification_request: Hook<RecordAuthRequestEvent>,
    pub on_record_request_password_reset_request: Hook<RecordAuthRequestEvent>,
    pub on_record_confirm_password_reset_request: Hook<RecordAuthRequestEvent>,
    pub on_record_request_email_change_request: Hook<RecordAuthRequestEvent>,
    pub on_record_confirm_email_change_request: Hook<RecordAuthRequestEvent>,
    pub on_mailer_send: Hook<MailerEvent>,
    pub on_mailer_record_verification_send: Hook<MailerRecordEvent>,
    pub on_mailer_record_password_reset_send: Hook<MailerRecordEvent>,
    pub on_mailer_record_email_change_send: Hook<MailerRecordEvent>,
    pub on_mailer_record_otp_send: Hook<MailerRecordEvent>,
    pub on_mailer_record_auth_alert_send: Hook<MailerRecordEvent>,
    pub on_settings_list_request: Hook<SettingsRequestEvent>,
    pub on_settings_update_request: Hook<SettingsRequestEvent>,
    pub on_collections_list_request: Hook<CollectionsListRequestEvent>,
    pub on_collections_import_request: Hook<CollectionsImportRequestEvent>,
    pub on_collection_view_request: Hook<CollectionRequestEvent>,
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
    pub on_file_download_request: Hook<crate::core::files::events::FileDownloadRequestEvent>,
    pub on_file_token_request: Hook<crate::core::files::events::FileTokenRequestEvent>,
    pub on_realtime_connect_request: Hook<RealtimeConnectRequestEvent>,
    pub on_realtime_subscribe_request: Hook<RealtimeSubscribeRequestEvent>,
    pub on_realtime_message_send: Hook<RealtimeMessageEvent>,
}

/// Runs `inner` inside a model chain: the record moves into the model event
/// for the model handlers and back for `inner` (PocketBase's record/model
/// proxy). Without model handlers this is just `inner(e)`.
pub fn through_model(
    hook: &Hook<ModelEvent>,
    e: &mut RecordEvent,
    inner: &mut dyn FnMut(&mut RecordEvent) -> super::Result<()>,
) -> super::Result<()> {
    if hook.is_empty() {
        return inner(e);
    }
    let placeholder = Record::placeholder(e.record.collection.clone());
    let mut me = ModelEvent {
        app: e.app.clone(),
        model: Model::Record(std::mem::replace(&mut e.record, placeholder)),
        error: e.error.clone(),
    };
    let res = hook.trigger(&mut me, &mut |me| match &mut me.model {
        Model::Record(r) => {
            std::mem::swap(&mut e.record, r);
            let res = inner(e);
            std::mem::swap(&mut e.record, r);
            res
        }
        Model::Collection(_) => Err(super::Error::BadRequest("The model was replaced by a collection.".into())),
    });
    if let Model::Record(r) = me.model {
        e.record = r;
    }
    res
}

/// [`through_model`] for collection events.
pub fn through_model_collection(
    hook: &Hook<ModelEvent>,
    e: &mut CollectionEvent,
    inner: &mut dyn FnMut(&mut CollectionEvent) -> super::Result<()>,
) -> super::Result<()> {
    if hook.is_empty() {
        return inner(e);
    }
    let taken = std::mem::replace(&mut e.collection, Collection::placeholder());
    let mut me = ModelEvent { app: e.app.clone(), model: Model::Collection(Box::new(taken)), error: e.error.clone() };
    let res = hook.trigger(&mut me, &mut |me| match &mut me.model {
        Model::Collection(c) => {
            std::mem::swap(&mut e.collection, &mut **c);
            let res = inner(e);
            std::mem::swap(&mut e.collection, &mut **c);
            res
        }
        Model::Record(_) => Err(super::Error::BadRequest("The model was replaced by a record.".into())),
    });
    if let Model::Collection(c) = me.model {
        e.collection = *c;
    }
    res
}
