//! Which core chain each `on*` registration goes into, and swapping the
//! JS handlers of all chains on (re)load.

use std::collections::HashMap;
use std::sync::Arc;

use super::{BridgeEvent, JS_OWNER, rust_handler};
use crate::core::App;
use crate::core::hooks::Hook;
use crate::jsvm::pool::Pool;

type Regs<'a> = HashMap<&'a str, Vec<(usize, i32, Vec<String>)>>;

fn rebind<E: BridgeEvent>(hook: &Hook<E>, name: &'static str, regs: &Regs<'_>, pool: Option<&Arc<Pool>>) {
    let handlers = regs
        .get(name)
        .zip(pool)
        .map(|(list, pool)| {
            list.iter()
                .map(|(index, priority, tags)| (*priority, tags.clone(), rust_handler::<E>(pool.clone(), *index, name)))
                .collect()
        })
        .unwrap_or_default();
    hook.replace_owner(JS_OWNER, handlers);
}

/// Hooks of subsystems Ferrobase does not have yet: their handlers load
/// but never fire (a warning says so).
const UNSUPPORTED_HOOKS: [&str; 6] = [
    "onBootstrapClear",
    "onBackupCreate",
    "onBackupRestore",
    "onBatchRequest",
    "onFileDownloadRequest",
    "onFileTokenRequest",
];

/// Replaces the JS handlers in every chain of `app` with the ones `pool`
/// registered (each chain swapped atomically).
pub fn bind_hooks(app: &App, pool: &Arc<Pool>) {
    bind(app, Some(pool));
}

/// Removes every JS handler from `app` (the engine stopped). This also
/// ends the pools, whose handlers keep them alive.
pub fn unbind_hooks(app: &App) {
    bind(app, None);
}

fn bind(app: &App, pool: Option<&Arc<Pool>>) {
    crate::jsvm::jobs::bind_crons(app, pool);
    let mut regs: Regs<'_> = HashMap::new();
    let defs = pool.map(|p| p.registry.hooks.as_slice()).unwrap_or_default();
    for (index, def) in defs.iter().enumerate() {
        if def.name.is_empty() {
            continue;
        }
        regs.entry(def.name.as_str()).or_default().push((index, def.priority, def.tags.clone()));
    }
    for name in regs.keys() {
        if UNSUPPORTED_HOOKS.contains(name) {
            tracing::warn!("{name} is not supported yet: its JS handlers will not run");
        }
    }
    let h = app.hooks();
    rebind(&h.on_bootstrap, "onBootstrap", &regs, pool);
    rebind(&h.on_terminate, "onTerminate", &regs, pool);
    rebind(&h.on_settings_reload, "onSettingsReload", &regs, pool);
    rebind(&h.on_model_validate, "onModelValidate", &regs, pool);
    rebind(&h.on_model_create.before, "onModelCreate", &regs, pool);
    rebind(&h.on_model_create.execute, "onModelCreateExecute", &regs, pool);
    rebind(&h.on_model_create.after_success, "onModelAfterCreateSuccess", &regs, pool);
    rebind(&h.on_model_create.after_error, "onModelAfterCreateError", &regs, pool);
    rebind(&h.on_model_update.before, "onModelUpdate", &regs, pool);
    rebind(&h.on_model_update.execute, "onModelUpdateExecute", &regs, pool);
    rebind(&h.on_model_update.after_success, "onModelAfterUpdateSuccess", &regs, pool);
    rebind(&h.on_model_update.after_error, "onModelAfterUpdateError", &regs, pool);
    rebind(&h.on_model_delete.before, "onModelDelete", &regs, pool);
    rebind(&h.on_model_delete.execute, "onModelDeleteExecute", &regs, pool);
    rebind(&h.on_model_delete.after_success, "onModelAfterDeleteSuccess", &regs, pool);
    rebind(&h.on_model_delete.after_error, "onModelAfterDeleteError", &regs, pool);
    rebind(&h.on_record_enrich, "onRecordEnrich", &regs, pool);
    rebind(&h.on_record_auth_request, "onRecordAuthRequest", &regs, pool);
    rebind(&h.on_record_auth_with_password_request, "onRecordAuthWithPasswordRequest", &regs, pool);
    rebind(&h.on_record_auth_refresh_request, "onRecordAuthRefreshRequest", &regs, pool);
    rebind(&h.on_record_auth_with_otp_request, "onRecordAuthWithOTPRequest", &regs, pool);
    rebind(&h.on_record_request_otp_request, "onRecordRequestOTPRequest", &regs, pool);
    rebind(&h.on_record_auth_with_oauth2_request, "onRecordAuthWithOAuth2Request", &regs, pool);
    rebind(&h.on_record_request_verification_request, "onRecordRequestVerificationRequest", &regs, pool);
    rebind(&h.on_record_confirm_verification_request, "onRecordConfirmVerificationRequest", &regs, pool);
    rebind(&h.on_record_request_password_reset_request, "onRecordRequestPasswordResetRequest", &regs, pool);
    rebind(&h.on_record_confirm_password_reset_request, "onRecordConfirmPasswordResetRequest", &regs, pool);
    rebind(&h.on_record_request_email_change_request, "onRecordRequestEmailChangeRequest", &regs, pool);
    rebind(&h.on_record_confirm_email_change_request, "onRecordConfirmEmailChangeRequest", &regs, pool);
    rebind(&h.on_mailer_send, "onMailerSend", &regs, pool);
    rebind(&h.on_mailer_record_verification_send, "onMailerRecordVerificationSend", &regs, pool);
    rebind(&h.on_mailer_record_password_reset_send, "onMailerRecordPasswordResetSend", &regs, pool);
    rebind(&h.on_mailer_record_email_change_send, "onMailerRecordEmailChangeSend", &regs, pool);
    rebind(&h.on_mailer_record_otp_send, "onMailerRecordOTPSend", &regs, pool);
    rebind(&h.on_mailer_record_auth_alert_send, "onMailerRecordAuthAlertSend", &regs, pool);
    rebind(&h.on_settings_list_request, "onSettingsListRequest", &regs, pool);
    rebind(&h.on_settings_update_request, "onSettingsUpdateRequest", &regs, pool);
    rebind(&h.on_collections_list_request, "onCollectionsListRequest", &regs, pool);
    rebind(&h.on_collections_import_request, "onCollectionsImportRequest", &regs, pool);
    rebind(&h.on_collection_view_request, "onCollectionViewRequest", &regs, pool);
    rebind(&h.on_collection_create_request, "onCollectionCreateRequest", &regs, pool);
    rebind(&h.on_collection_update_request, "onCollectionUpdateRequest", &regs, pool);
    rebind(&h.on_collection_delete_request, "onCollectionDeleteRequest", &regs, pool);
    rebind(&h.on_record_validate, "onRecordValidate", &regs, pool);
    rebind(&h.on_record_create.before, "onRecordCreate", &regs, pool);
    rebind(&h.on_record_create.execute, "onRecordCreateExecute", &regs, pool);
    rebind(&h.on_record_create.after_success, "onRecordAfterCreateSuccess", &regs, pool);
    rebind(&h.on_record_create.after_error, "onRecordAfterCreateError", &regs, pool);
    rebind(&h.on_record_update.before, "onRecordUpdate", &regs, pool);
    rebind(&h.on_record_update.execute, "onRecordUpdateExecute", &regs, pool);
    rebind(&h.on_record_update.after_success, "onRecordAfterUpdateSuccess", &regs, pool);
    rebind(&h.on_record_update.after_error, "onRecordAfterUpdateError", &regs, pool);
    rebind(&h.on_record_delete.before, "onRecordDelete", &regs, pool);
    rebind(&h.on_record_delete.execute, "onRecordDeleteExecute", &regs, pool);
    rebind(&h.on_record_delete.after_success, "onRecordAfterDeleteSuccess", &regs, pool);
    rebind(&h.on_record_delete.after_error, "onRecordAfterDeleteError", &regs, pool);
    rebind(&h.on_records_list_request, "onRecordsListRequest", &regs, pool);
    rebind(&h.on_record_view_request, "onRecordViewRequest", &regs, pool);
    rebind(&h.on_record_create_request, "onRecordCreateRequest", &regs, pool);
    rebind(&h.on_record_update_request, "onRecordUpdateRequest", &regs, pool);
    rebind(&h.on_record_delete_request, "onRecordDeleteRequest", &regs, pool);
    rebind(&h.on_collection_validate, "onCollectionValidate", &regs, pool);
    rebind(&h.on_collection_create.before, "onCollectionCreate", &regs, pool);
    rebind(&h.on_collection_create.execute, "onCollectionCreateExecute", &regs, pool);
    rebind(&h.on_collection_create.after_success, "onCollectionAfterCreateSuccess", &regs, pool);
    rebind(&h.on_collection_create.after_error, "onCollectionAfterCreateError", &regs, pool);
    rebind(&h.on_collection_update.before, "onCollectionUpdate", &regs, pool);
    rebind(&h.on_collection_update.execute, "onCollectionUpdateExecute", &regs, pool);
    rebind(&h.on_collection_update.after_success, "onCollectionAfterUpdateSuccess", &regs, pool);
    rebind(&h.on_collection_update.after_error, "onCollectionAfterUpdateError", &regs, pool);
    rebind(&h.on_collection_delete.before, "onCollectionDelete", &regs, pool);
    rebind(&h.on_collection_delete.execute, "onCollectionDeleteExecute", &regs, pool);
    rebind(&h.on_collection_delete.after_success, "onCollectionAfterDeleteSuccess", &regs, pool);
    rebind(&h.on_collection_delete.after_error, "onCollectionAfterDeleteError", &regs, pool);
    rebind(&h.on_realtime_connect_request, "onRealtimeConnectRequest", &regs, pool);
    rebind(&h.on_realtime_subscribe_request, "onRealtimeSubscribeRequest", &regs, pool);
    rebind(&h.on_realtime_message_send, "onRealtimeMessageSend", &regs, pool);
}
