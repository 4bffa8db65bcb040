//! The one declaration of every `on*` hook of the JS API: its name, its
//! event type, whether it takes tags, its doc comment and the core chain
//! its handlers go into. From this table come the global `onX(handler,
//! ...tags)` functions and the `$app.onX()` hook objects of every runtime
//! (`__native.hookNames`), the chain each registration is bound to
//! ([`super::bind`]), and the typings' lines for both
//! ([`crate::jsvm::typings`]). Adding a hook is one entry here.

use std::sync::Arc;

use super::bind::{Regs, rebind};
use crate::core::events::Hooks;
use crate::jsvm::pool::Pool;

/// Binds the handlers a pool registered for one hook into its core chain.
pub type BindFn = fn(&Hooks, &Regs<'_>, Option<&Arc<Pool>>);

/// Where the handlers of a hook go.
#[derive(Clone, Copy)]
pub enum Target {
    /// A core hook chain.
    Chain(BindFn),
    /// A subsystem Ferrobase does not have yet: handlers load, never fire.
    Unsupported,
    /// `onServe`: run by the JS runtime itself once the files have loaded
    /// (a `$app` hook object only, no global function).
    Serve,
}

/// One hook of the JS API.
pub struct HookSpec {
    /// The JS name (`onRecordCreate`).
    pub name: &'static str,
    /// The TypeScript type of its event (`core.RecordEvent`).
    pub event: &'static str,
    /// Whether handlers can be limited to tags (collection names or ids).
    pub tagged: bool,
    /// What it is for (one line, the typings' doc comment).
    pub doc: &'static str,
    pub target: Target,
}

impl HookSpec {
    /// Whether it is also a global function (every hook but `onServe`).
    pub fn is_global(&self) -> bool {
        !matches!(self.target, Target::Serve)
    }
}

macro_rules! hooks {
    ($( $(#[doc = $doc:literal])* $name:ident $([$tags:ident])? ($event:literal) => $($target:ident).+ ;)*) => {
        /// Every hook, in the order the runtime defines them.
        pub static HOOKS: &[HookSpec] = &[$(HookSpec {
            name: stringify!($name),
            event: $event,
            tagged: hooks!(@tagged $($tags)?),
            doc: concat!($($doc),*),
            target: hooks!(@target $name $($target).+),
        }),*];
    };
    (@tagged tags) => { true };
    (@tagged) => { false };
    (@target $name:ident unsupported) => { Target::Unsupported };
    (@target $name:ident serve) => { Target::Serve };
    (@target $name:ident $($field:ident).+) => {
        Target::Chain(|h: &Hooks, regs: &Regs<'_>, pool: Option<&Arc<Pool>>| rebind(&h.$($field).+, stringify!($name), regs, pool))
    };
}

hooks! {
    /// When the app bootstraps (after the hook files load); `e.next()` finishes the bootstrap.
    onBootstrap("core.BootstrapEvent") => on_bootstrap;
    /// When the app resets its bootstrap state (not fired by Ferrobase yet: handlers load but never run).
    onBootstrapClear("core.BootstrapEvent") => unsupported;
    /// When the app stops (SIGINT/SIGTERM) or restarts.
    onTerminate("core.TerminateEvent") => on_terminate;
    /// When a backup is created (backups are not built yet: handlers load but never run).
    onBackupCreate("core.BackupEvent") => unsupported;
    /// When a backup is restored (backups are not built yet: handlers load but never run).
    onBackupRestore("core.BackupEvent") => unsupported;
    /// When the settings are (re)loaded from the database.
    onSettingsReload("core.SettingsReloadEvent") => on_settings_reload;
    /// On `GET /api/settings` (superusers only), before the settings are sent.
    onSettingsListRequest("core.SettingsListRequestEvent") => on_settings_list_request;
    /// On `PATCH /api/settings`, before the new settings are saved.
    onSettingsUpdateRequest("core.SettingsUpdateRequestEvent") => on_settings_update_request;
    /// Every email sent through the app mail client (`e.message` may be changed).
    onMailerSend("core.MailerEvent") => on_mailer_send;
    /// Before the "new login location" email to an auth record is sent.
    onMailerRecordAuthAlertSend[tags]("core.MailerRecordEvent") => on_mailer_record_auth_alert_send;
    /// Before the email-change confirmation email is sent.
    onMailerRecordEmailChangeSend[tags]("core.MailerRecordEvent") => on_mailer_record_email_change_send;
    /// Before the one-time-password email is sent.
    onMailerRecordOTPSend[tags]("core.MailerRecordEvent") => on_mailer_record_otp_send;
    /// Before the password-reset email is sent.
    onMailerRecordPasswordResetSend[tags]("core.MailerRecordEvent") => on_mailer_record_password_reset_send;
    /// Before the verification email is sent.
    onMailerRecordVerificationSend[tags]("core.MailerRecordEvent") => on_mailer_record_verification_send;
    /// When a client opens the realtime SSE connection (`GET /api/realtime`).
    onRealtimeConnectRequest("core.RealtimeConnectRequestEvent") => on_realtime_connect_request;
    /// When a realtime client sets its subscriptions (`POST /api/realtime`).
    onRealtimeSubscribeRequest("core.RealtimeSubscribeRequestEvent") => on_realtime_subscribe_request;
    /// Before a realtime message is written to a client.
    onRealtimeMessageSend("core.RealtimeMessageEvent") => on_realtime_message_send;
    /// On `POST /api/batch` (not fired by Ferrobase yet: handlers load but never run).
    onBatchRequest("core.BatchRequestEvent") => unsupported;
    /// On a file download (`GET /api/files/...`), before the file is served.
    onFileDownloadRequest[tags]("core.FileDownloadRequestEvent") => on_file_download_request;
    /// On `POST /api/files/token`, before the file token is sent.
    onFileTokenRequest[tags]("core.FileTokenRequestEvent") => on_file_token_request;
    /// When a model (record or collection) is validated (`$app.validate`, and before every save); `e.next()` runs the checks.
    onModelValidate[tags]("core.ModelEvent") => on_model_validate;
    /// Before a model (record or collection) is created (every save, hooks included); `e.next()` validates and writes it.
    onModelCreate[tags]("core.ModelEvent") => on_model_create.before;
    /// Right before the model (record or collection) row is inserted, after validation (inside the write transaction).
    onModelCreateExecute[tags]("core.ModelEvent") => on_model_create.execute;
    /// After a model (record or collection) was created (after the transaction commits when there is one).
    onModelAfterCreateSuccess[tags]("core.ModelEvent") => on_model_create.after_success;
    /// After creating a model (record or collection) failed: `e.error` says why.
    onModelAfterCreateError[tags]("core.ModelErrorEvent") => on_model_create.after_error;
    /// Before a model (record or collection) is updated (every save, hooks included); `e.next()` validates and writes it.
    onModelUpdate[tags]("core.ModelEvent") => on_model_update.before;
    /// Right before the model (record or collection) row is updated, after validation (inside the write transaction).
    onModelUpdateExecute[tags]("core.ModelEvent") => on_model_update.execute;
    /// After a model (record or collection) was updated (after the transaction commits when there is one).
    onModelAfterUpdateSuccess[tags]("core.ModelEvent") => on_model_update.after_success;
    /// After updating a model (record or collection) failed: `e.error` says why.
    onModelAfterUpdateError[tags]("core.ModelErrorEvent") => on_model_update.after_error;
    /// Before a model (record or collection) is deleted (every delete); `e.next()` deletes it.
    onModelDelete[tags]("core.ModelEvent") => on_model_delete.before;
    /// Right before the model (record or collection) row is deleted (inside the write transaction).
    onModelDeleteExecute[tags]("core.ModelEvent") => on_model_delete.execute;
    /// After a model (record or collection) was deleted (after the transaction commits when there is one).
    onModelAfterDeleteSuccess[tags]("core.ModelEvent") => on_model_delete.after_success;
    /// After deleting a model (record or collection) failed: `e.error` says why.
    onModelAfterDeleteError[tags]("core.ModelErrorEvent") => on_model_delete.after_error;
    /// Each time a record is sent to a client (REST and realtime): hide fields, add custom data.
    onRecordEnrich[tags]("core.RecordEnrichEvent") => on_record_enrich;
    /// When a record is validated (`$app.validate`, and before every save); `e.next()` runs the checks.
    onRecordValidate[tags]("core.RecordEvent") => on_record_validate;
    /// Before a record is created (every save, hooks included); `e.next()` validates and writes it.
    onRecordCreate[tags]("core.RecordEvent") => on_record_create.before;
    /// Right before the record row is inserted, after validation (inside the write transaction).
    onRecordCreateExecute[tags]("core.RecordEvent") => on_record_create.execute;
    /// After a record was created (after the transaction commits when there is one).
    onRecordAfterCreateSuccess[tags]("core.RecordEvent") => on_record_create.after_success;
    /// After creating a record failed: `e.error` says why.
    onRecordAfterCreateError[tags]("core.RecordErrorEvent") => on_record_create.after_error;
    /// Before a record is updated (every save, hooks included); `e.next()` validates and writes it.
    onRecordUpdate[tags]("core.RecordEvent") => on_record_update.before;
    /// Right before the record row is updated, after validation (inside the write transaction).
    onRecordUpdateExecute[tags]("core.RecordEvent") => on_record_update.execute;
    /// After a record was updated (after the transaction commits when there is one).
    onRecordAfterUpdateSuccess[tags]("core.RecordEvent") => on_record_update.after_success;
    /// After updating a record failed: `e.error` says why.
    onRecordAfterUpdateError[tags]("core.RecordErrorEvent") => on_record_update.after_error;
    /// Before a record is deleted (every delete); `e.next()` deletes it.
    onRecordDelete[tags]("core.RecordEvent") => on_record_delete.before;
    /// Right before the record row is deleted (inside the write transaction).
    onRecordDeleteExecute[tags]("core.RecordEvent") => on_record_delete.execute;
    /// After a record was deleted (after the transaction commits when there is one).
    onRecordAfterDeleteSuccess[tags]("core.RecordEvent") => on_record_delete.after_success;
    /// After deleting a record failed: `e.error` says why.
    onRecordAfterDeleteError[tags]("core.RecordErrorEvent") => on_record_delete.after_error;
    /// On `GET /api/collections/{collection}/records`, before the page is sent.
    onRecordsListRequest[tags]("core.RecordsListRequestEvent") => on_records_list_request;
    /// On `GET /api/collections/{collection}/records/{id}`, before the record is sent.
    onRecordViewRequest[tags]("core.RecordRequestEvent") => on_record_view_request;
    /// On a record create request; `e.next()` saves the record and writes the response.
    onRecordCreateRequest[tags]("core.RecordRequestEvent") => on_record_create_request;
    /// On a record update request; `e.next()` saves the record and writes the response.
    onRecordUpdateRequest[tags]("core.RecordRequestEvent") => on_record_update_request;
    /// On a record delete request; `e.next()` deletes the record and writes the response.
    onRecordDeleteRequest[tags]("core.RecordRequestEvent") => on_record_delete_request;
    /// Whenever an auth record is authenticated (every auth method), before the token response.
    onRecordAuthRequest[tags]("core.RecordAuthRequestEvent") => on_record_auth_request;
    /// On `auth-refresh`, before the new token is sent.
    onRecordAuthRefreshRequest[tags]("core.RecordAuthRefreshRequestEvent") => on_record_auth_refresh_request;
    /// On `auth-with-password`, before the identity and password are checked.
    onRecordAuthWithPasswordRequest[tags]("core.RecordAuthWithPasswordRequestEvent") => on_record_auth_with_password_request;
    /// On `auth-with-oauth2`, after the provider answered and before the record is linked or created.
    onRecordAuthWithOAuth2Request[tags]("core.RecordAuthWithOAuth2RequestEvent") => on_record_auth_with_oauth2_request;
    /// On `auth-with-otp`, before the OTP is checked.
    onRecordAuthWithOTPRequest[tags]("core.RecordAuthWithOTPRequestEvent") => on_record_auth_with_otp_request;
    /// On `request-otp`, before the OTP is created and sent.
    onRecordRequestOTPRequest[tags]("core.RecordCreateOTPRequestEvent") => on_record_request_otp_request;
    /// On `request-password-reset`, before the email is sent.
    onRecordRequestPasswordResetRequest[tags]("core.RecordRequestPasswordResetRequestEvent") => on_record_request_password_reset_request;
    /// On `confirm-password-reset`, before the new password is saved.
    onRecordConfirmPasswordResetRequest[tags]("core.RecordConfirmPasswordResetRequestEvent") => on_record_confirm_password_reset_request;
    /// On `request-verification`, before the email is sent.
    onRecordRequestVerificationRequest[tags]("core.RecordRequestVerificationRequestEvent") => on_record_request_verification_request;
    /// On `confirm-verification`, before the record is marked verified.
    onRecordConfirmVerificationRequest[tags]("core.RecordConfirmVerificationRequestEvent") => on_record_confirm_verification_request;
    /// On `request-email-change`, before the email is sent.
    onRecordRequestEmailChangeRequest[tags]("core.RecordRequestEmailChangeRequestEvent") => on_record_request_email_change_request;
    /// On `confirm-email-change`, before the new email is saved.
    onRecordConfirmEmailChangeRequest[tags]("core.RecordConfirmEmailChangeRequestEvent") => on_record_confirm_email_change_request;
    /// When a collection is validated (`$app.validate`, and before every save); `e.next()` runs the checks.
    onCollectionValidate[tags]("core.CollectionEvent") => on_collection_validate;
    /// Before a collection is created (every save, hooks included); `e.next()` validates and writes it.
    onCollectionCreate[tags]("core.CollectionEvent") => on_collection_create.before;
    /// Right before the collection row is inserted, after validation (inside the write transaction).
    onCollectionCreateExecute[tags]("core.CollectionEvent") => on_collection_create.execute;
    /// After a collection was created (after the transaction commits when there is one).
    onCollectionAfterCreateSuccess[tags]("core.CollectionEvent") => on_collection_create.after_success;
    /// After creating a collection failed: `e.error` says why.
    onCollectionAfterCreateError[tags]("core.CollectionErrorEvent") => on_collection_create.after_error;
    /// Before a collection is updated (every save, hooks included); `e.next()` validates and writes it.
    onCollectionUpdate[tags]("core.CollectionEvent") => on_collection_update.before;
    /// Right before the collection row is updated, after validation (inside the write transaction).
    onCollectionUpdateExecute[tags]("core.CollectionEvent") => on_collection_update.execute;
    /// After a collection was updated (after the transaction commits when there is one).
    onCollectionAfterUpdateSuccess[tags]("core.CollectionEvent") => on_collection_update.after_success;
    /// After updating a collection failed: `e.error` says why.
    onCollectionAfterUpdateError[tags]("core.CollectionErrorEvent") => on_collection_update.after_error;
    /// Before a collection is deleted (every delete); `e.next()` deletes it.
    onCollectionDelete[tags]("core.CollectionEvent") => on_collection_delete.before;
    /// Right before the collection row is deleted (inside the write transaction).
    onCollectionDeleteExecute[tags]("core.CollectionEvent") => on_collection_delete.execute;
    /// After a collection was deleted (after the transaction commits when there is one).
    onCollectionAfterDeleteSuccess[tags]("core.CollectionEvent") => on_collection_delete.after_success;
    /// After deleting a collection failed: `e.error` says why.
    onCollectionAfterDeleteError[tags]("core.CollectionErrorEvent") => on_collection_delete.after_error;
    /// On `GET /api/collections`, before the page is sent.
    onCollectionsListRequest("core.CollectionsListRequestEvent") => on_collections_list_request;
    /// On `GET /api/collections/{collection}`, before the collection is sent.
    onCollectionViewRequest("core.CollectionRequestEvent") => on_collection_view_request;
    /// On `POST /api/collections`; `e.next()` saves the collection and writes the response.
    onCollectionCreateRequest("core.CollectionRequestEvent") => on_collection_create_request;
    /// On `PATCH /api/collections/{collection}`; `e.next()` saves it and writes the response.
    onCollectionUpdateRequest("core.CollectionRequestEvent") => on_collection_update_request;
    /// On `DELETE /api/collections/{collection}`; `e.next()` deletes it and writes the response.
    onCollectionDeleteRequest("core.CollectionRequestEvent") => on_collection_delete_request;
    /// On `PUT /api/collections/import`; `e.next()` imports and writes the response.
    onCollectionsImportRequest("core.CollectionsImportRequestEvent") => on_collections_import_request;
    /// Once the hook files have loaded, before the server listens: `e.router` adds routes and middlewares.
    onServe("core.ServeEvent") => serve;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for h in HOOKS {
            assert!(seen.insert(h.name), "{} twice", h.name);
            assert!(h.name.starts_with("on") && !h.doc.trim().is_empty() && h.event.starts_with("core."), "{}", h.name);
        }
        assert_eq!(HOOKS.iter().filter(|h| h.is_global()).count(), 83);
    }
}
