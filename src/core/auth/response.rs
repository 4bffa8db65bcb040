//! The last step of every way that issues an auth token (password, OTP,
//! OAuth2, refresh, impersonate): the collection's `authRule`, then the
//! `onRecordAuthRequest` chain whose innermost step runs the MFA check and
//! the new-location bookkeeping. Mirrors PocketBase's `recordAuthResponse`.

use std::sync::Arc;

use serde_json::Value;

use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, Result};
use crate::core::events::RecordAuthRequestEvent;
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// A successful authentication as the auth response hook leaves it.
pub struct AuthResponse {
    pub record: Record,
    pub token: String,
    pub meta: Value,
}

/// How an authentication attempt ended.
pub enum AuthOutcome {
    /// Token and record for the client.
    Authenticated(AuthResponse),
    /// MFA is required: the client must authenticate again with another
    /// method and this id (answered as 401 `{"mfaId": …}`).
    MfaRequired(String),
    /// A hook did not call `next()` (the API answers an empty 200).
    Stopped,
}

/// The message of the 403 when the authRule does not hold.
pub const AUTH_RULE_FAILED: &str = "The request doesn't satisfy the collection requirements to authenticate.";

impl App {
    /// Whether `record` may authenticate with the request `req`: PocketBase
    /// checks the authRule like an access rule (a null rule lets only
    /// superusers through, an empty one everybody).
    pub fn can_authenticate(&self, record: &Record, req: &RequestInfo) -> Result<bool> {
        if req.is_superuser() {
            return Ok(true);
        }
        let Some(opts) = record.collection.auth.as_ref() else { return Ok(false) };
        match &opts.auth_rule {
            None => Ok(false),
            Some(rule) if rule.trim().is_empty() => Ok(true),
            Some(rule) => self.record_matches_rule(&record.collection, record.id(), rule, req),
        }
    }

    /// Finishes an authentication: authRule (403 when it fails), then
    /// `onRecordAuthRequest`. `method` names the auth method (`password`,
    /// `otp`, `oauth2`); an empty one skips MFA and login alerts, as for
    /// refresh and impersonate.
    pub fn auth_response(
        &self,
        req: &RequestInfo,
        record: Record,
        token: String,
        method: &str,
        meta: Value,
    ) -> Result<AuthOutcome> {
        // no superuser token for an IP outside `superuserIPs` (PocketBase)
        if record.is_superuser() {
            let allowed = &self.settings().superuser_ips;
            let ip = req.http.as_ref().map(|h| h.remote_ip.as_str()).unwrap_or_default();
            if !allowed.is_empty() && !crate::core::ratelimit::ip_in_list(allowed, ip) {
                return Err(Error::Forbidden("You are not allowed to perform this request.".into()));
            }
        }
        if !self.can_authenticate(&record, req)? {
            return Err(Error::Forbidden(AUTH_RULE_FAILED.into()));
        }
        let c = record.collection.clone();
        let mut ev = RecordAuthRequestEvent::new(self, &c, req);
        ev.record = Some(record);
        ev.token = token;
        ev.auth_method = method.to_string();
        ev.meta = meta;
        let mut mfa_id = None;
        self.hooks().on_record_auth_request.trigger(&mut ev, &mut |e| {
            let Some(record) = e.record.as_ref() else {
                return Err(Error::BadRequest("Failed to authenticate.".into()));
            };
            if let Some(id) = e.app.check_mfa(record, &e.auth_method, &e.request)? {
                mfa_id = Some(id);
                return Ok(());
            }
            if !e.auth_method.is_empty()
                && record.collection.auth.as_ref().is_some_and(|a| a.auth_alert.enabled)
                && let Err(err) = e.app.track_auth_origin(record, &e.request)
            {
                tracing::warn!("failed to record the login origin: {err}");
            }
            e.handled = true;
            Ok(())
        })?;
        if let Some(id) = mfa_id {
            return Ok(AuthOutcome::MfaRequired(id));
        }
        match ev.record {
            Some(record) if ev.handled => {
                Ok(AuthOutcome::Authenticated(AuthResponse { record, token: ev.token, meta: ev.meta }))
            }
            _ => Ok(AuthOutcome::Stopped),
        }
    }

    /// `auth-with-password` through `onRecordAuthWithPasswordRequest`: the
    /// handlers see the found record (or none) and may change the
    /// credentials before `next()` checks the password.
    pub fn auth_with_password_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        form: &super::login::PasswordForm,
    ) -> Result<AuthOutcome> {
        let found = self.find_login_record(c, &form.identity, &form.identity_field)?;
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = found;
        ev.identity = form.identity.clone();
        ev.password = form.password.clone();
        ev.identity_field = form.identity_field.clone();
        let mut outcome = AuthOutcome::Stopped;
        self.hooks().on_record_auth_with_password_request.trigger(&mut ev, &mut |e| {
            // a handler that rewrote the identity means that account
            if e.identity != form.identity || e.identity_field != form.identity_field {
                e.record = e.app.find_login_record(&e.collection, &e.identity, &e.identity_field)?;
            }
            if !e.app.check_login_password(e.record.as_ref(), &e.password) {
                return Err(Error::BadRequest("Failed to authenticate.".into()));
            }
            let Some(record) = e.record.clone() else {
                return Err(Error::BadRequest("Failed to authenticate.".into()));
            };
            let token = e.app.new_auth_token(&record)?;
            outcome = e.app.auth_response(&e.request, record, token, super::METHOD_PASSWORD, Value::Null)?;
            Ok(())
        })?;
        Ok(outcome)
    }

    /// `auth-refresh` through `onRecordAuthRefreshRequest`: a new token when
    /// the current one is refreshable (impersonate tokens are not), and the
    /// authRule checked again, so a user who no longer satisfies it (banned,
    /// unverified) stops getting tokens.
    pub fn auth_refresh_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        record: Record,
        current_token: &str,
    ) -> Result<AuthOutcome> {
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        let mut outcome = AuthOutcome::Stopped;
        self.hooks().on_record_auth_refresh_request.trigger(&mut ev, &mut |e| {
            let Some(record) = e.record.clone() else {
                return Err(Error::not_found());
            };
            let token = if App::token_is_refreshable(current_token) {
                e.app.new_auth_token(&record)?
            } else {
                current_token.to_string()
            };
            outcome = e.app.auth_response(&e.request, record, token, "", Value::Null)?;
            Ok(())
        })?;
        Ok(outcome)
    }
}
