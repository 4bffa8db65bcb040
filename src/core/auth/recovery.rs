//! The mailed-token flows: email verification, password reset and email
//! change. Requests answer the same whether or not the account exists (the
//! mail goes out in the background); confirmations check a token of the
//! right type, collection and email, and each token stops working once used
//! where it matters (a new password or email rotates the tokenKey).

use std::sync::Arc;

use serde_json::{Value, json};

use super::tokens::{self, TokenType};
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::collections::FieldKind;
use crate::core::error::{Error, FieldErrors, Result, field_error};
use crate::core::events::RecordAuthRequestEvent;
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// How long a second verification / reset mail is refused (PocketBase's 2 minutes).
const RESEND_WINDOW_MS: i64 = 120_000;

const VALIDATION_MESSAGE: &str = "An error occurred while validating the submitted data.";

fn one_error(key: &str, code: &str, message: &str) -> Error {
    let mut errors = FieldErrors::new();
    errors.insert(key.into(), field_error(code, message));
    Error::Validation { message: VALIDATION_MESSAGE.into(), errors }
}

/// Checks an email form field: required, 1..=255 characters, an email.
pub fn validate_email_field(key: &str, email: &str) -> Result<()> {
    if email.is_empty() {
        Err(one_error(key, "validation_required", "Cannot be blank."))
    } else if email.chars().count() > 255 {
        Err(one_error(key, "validation_length_out_of_range", "The length must be between 1 and 255."))
    } else if !crate::core::records::validate::is_email(email) {
        Err(one_error(key, "validation_is_email", "Must be a valid email address."))
    } else {
        Ok(())
    }
}

fn resend_key(prefix: &str, record: &Record) -> String {
    format!("@{prefix}_{}{}", record.collection.id, record.id())
}

fn claim(token: &str, name: &str) -> String {
    tokens::peek(token).and_then(|c| c.extra.get(name).and_then(Value::as_str).map(str::to_string)).unwrap_or_default()
}

impl App {
    fn recently_sent(&self, key: &str) -> bool {
        let now = chrono::Utc::now().timestamp_millis();
        self.store().lock().get(key).and_then(Value::as_i64).is_some_and(|t| now - t < RESEND_WINDOW_MS)
    }

    fn mark_sent(&self, key: &str) {
        self.store().lock().insert(key.to_string(), json!(chrono::Utc::now().timestamp_millis()));
    }

    /// Runs `f` on a thread of its own with a handle outside any transaction.
    fn in_background(&self, f: impl FnOnce(App) + Send + 'static) {
        let app = self.without_tx();
        std::thread::spawn(move || f(app));
    }

    /// The token's record, if the token is a valid `kind` token of `c`;
    /// otherwise the field error PocketBase reports on `token`.
    fn record_of_token(&self, c: &Collection, token: &str, kind: TokenType) -> Result<Record> {
        let record = self
            .find_auth_record_by_token(token, kind)
            .map_err(|_| one_error("token", "validation_invalid_token", "Invalid or expired token."))?;
        if record.collection.id != c.id {
            return Err(one_error(
                "token",
                "validation_token_collection_mismatch",
                "The provided token is for different auth collection.",
            ));
        }
        Ok(record)
    }

    // ----- verification -----

    /// `request-verification`: mails a verification link to an unverified
    /// account (at most every 2 minutes). false when a hook stopped it.
    pub fn request_verification_request(&self, c: &Arc<Collection>, req: &RequestInfo, email: &str) -> Result<bool> {
        let Some(record) = self.find_auth_record_by_email(c, email)? else { return Ok(true) };
        let key = resend_key("limitVerificationEmail", &record);
        if !record.get_bool("verified") && self.recently_sent(&key) {
            return Ok(true);
        }
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        self.hooks().on_record_request_verification_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            let Some(record) = e.record.clone().filter(|r| !r.get_bool("verified")) else { return Ok(()) };
            let key = key.clone();
            e.app.in_background(move |app| {
                if let Err(err) = app.send_record_verification(&record) {
                    tracing::error!("failed to send the verification email: {err}");
                }
                app.mark_sent(&key);
            });
            Ok(())
        })?;
        Ok(ev.handled)
    }

    /// `confirm-verification`: marks the token's record verified.
    pub fn confirm_verification_request(&self, c: &Arc<Collection>, req: &RequestInfo, token: &str) -> Result<bool> {
        if token.is_empty() {
            return Err(one_error("token", "validation_required", "Cannot be blank."));
        }
        let email = claim(token, "email");
        if email.is_empty() {
            return Err(one_error("token", "validation_invalid_token_claims", "Missing email token claim."));
        }
        let record = self.record_of_token(c, token, TokenType::Verification)?;
        if record.email() != email {
            return Err(one_error(
                "token",
                "validation_token_email_mismatch",
                "The record email doesn't match with the requested token claims.",
            ));
        }
        let was_verified = record.get_bool("verified");
        let key = resend_key("limitVerificationEmail", &record);
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        self.hooks().on_record_confirm_verification_request.trigger(&mut ev, &mut |e| {
            if let Some(record) = e.record.as_mut()
                && !was_verified
            {
                record.set_raw("verified", json!(true));
                // as with OTP: no password can have been set by someone else
                if !record.collection.auth.as_ref().is_some_and(|a| a.password_auth.enabled) {
                    super::otp::set_random_password(record)?;
                }
                e.app
                    .save_record(record)
                    .map_err(|err| rewrap(err, "An error occurred while saving the verified state."))?;
            }
            e.app.store().lock().remove(&key);
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    // ----- password reset -----

    /// `request-password-reset`: mails a reset link (at most every 2 minutes).
    pub fn request_password_reset_request(&self, c: &Arc<Collection>, req: &RequestInfo, email: &str) -> Result<bool> {
        let Some(record) = self.find_auth_record_by_email(c, email)? else { return Ok(true) };
        let key = resend_key("limitPasswordResetEmail", &record);
        if self.recently_sent(&key) {
            return Ok(true);
        }
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        self.hooks().on_record_request_password_reset_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            let Some(record) = e.record.clone() else { return Ok(()) };
            let key = key.clone();
            e.app.in_background(move |app| match app.send_record_password_reset(&record) {
                Ok(()) => app.mark_sent(&key),
                Err(err) => tracing::error!("failed to send the password reset email: {err}"),
            });
            Ok(())
        })?;
        Ok(ev.handled)
    }

    /// `confirm-password-reset`: sets the new password (which rotates the
    /// tokenKey: the reset token and every auth token stop working) and
    /// verifies the email the token was sent to.
    pub fn confirm_password_reset_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        token: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<bool> {
        let mut errors = FieldErrors::new();
        if token.is_empty() {
            errors.insert("token".into(), field_error("validation_required", "Cannot be blank."));
        } else if let Err(Error::Validation { errors: e, .. }) =
            self.record_of_token(c, token, TokenType::PasswordReset)
        {
            errors.extend(e);
        }
        let min = c
            .field("password")
            .and_then(|f| match f.kind {
                FieldKind::Password { min, .. } if min > 0 => Some(min as usize),
                _ => None,
            })
            .unwrap_or(1);
        if password.is_empty() {
            errors.insert("password".into(), field_error("validation_required", "Cannot be blank."));
        } else if !(min..=255).contains(&password.chars().count()) {
            errors.insert(
                "password".into(),
                field_error("validation_length_out_of_range", format!("The length must be between {min} and 255.")),
            );
        }
        if password_confirm.is_empty() {
            errors.insert("passwordConfirm".into(), field_error("validation_required", "Cannot be blank."));
        } else if password_confirm != password {
            errors.insert("passwordConfirm".into(), field_error("validation_values_mismatch", "Values don't match."));
        }
        if !errors.is_empty() {
            return Err(Error::Validation { message: VALIDATION_MESSAGE.into(), errors });
        }
        let record = self
            .find_auth_record_by_token(token, TokenType::PasswordReset)
            .map_err(|_| Error::BadRequest("Invalid or expired password reset token.".into()))?;
        let token_email = claim(token, "email");
        let key = resend_key("limitPasswordResetEmail", &record);
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        ev.password = password.to_string();
        self.hooks().on_record_confirm_password_reset_request.trigger(&mut ev, &mut |e| {
            let password = e.password.clone();
            let Some(record) = e.record.as_mut() else { return Err(Error::not_found()) };
            record.set_password(&password)?;
            if !record.get_bool("verified") && !token_email.is_empty() && record.email() == token_email {
                record.set_raw("verified", json!(true));
            }
            e.app.save_record(record).map_err(|err| rewrap(err, "Failed to set new password."))?;
            e.app.store().lock().remove(&key);
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    // ----- email change -----

    /// `request-email-change` by the signed-in record: mails a confirmation
    /// link to the new address.
    pub fn request_email_change_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        record: Record,
        new_email: &str,
    ) -> Result<bool> {
        validate_email_field("newEmail", new_email)?;
        if new_email == record.email() {
            return Err(one_error("newEmail", "validation_not_in_invalid", "Must not be in list."));
        }
        if self.find_auth_record_by_email(c, new_email)?.is_some_and(|other| other.id() != record.id()) {
            return Err(one_error("newEmail", "validation_invalid_new_email", "Invalid new email address."));
        }
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        ev.new_email = new_email.to_string();
        self.hooks().on_record_request_email_change_request.trigger(&mut ev, &mut |e| {
            let Some(record) = e.record.as_ref() else { return Err(Error::not_found()) };
            e.app
                .send_record_change_email(record, &e.new_email)
                .map_err(|err| rewrap(err, "Failed to request email change."))?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    /// `confirm-email-change`: the token and the account password must both
    /// check out; the email is then changed and verified (rotating the
    /// tokenKey, so the token cannot be used twice).
    pub fn confirm_email_change_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        token: &str,
        password: &str,
    ) -> Result<bool> {
        let mut errors = FieldErrors::new();
        let parsed = if token.is_empty() {
            errors.insert("token".into(), field_error("validation_required", "Cannot be blank."));
            None
        } else {
            match self.parse_email_change_token(c, token) {
                Ok(v) => Some(v),
                Err(Error::Validation { errors: e, .. }) => {
                    errors.extend(e);
                    None
                }
                Err(other) => return Err(other),
            }
        };
        if password.is_empty() {
            errors.insert("password".into(), field_error("validation_required", "Cannot be blank."));
        } else if password.chars().count() > 100 {
            errors.insert(
                "password".into(),
                field_error("validation_length_out_of_range", "The length must be between 1 and 100."),
            );
        } else if !self.check_login_password(parsed.as_ref().map(|(r, _)| r), password) {
            errors.insert(
                "password".into(),
                field_error("validation_invalid_password", "Missing or invalid auth record password."),
            );
        }
        let (record, new_email) = match parsed {
            Some(p) if errors.is_empty() => p,
            _ => return Err(Error::Validation { message: VALIDATION_MESSAGE.into(), errors }),
        };
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        ev.new_email = new_email;
        self.hooks().on_record_confirm_email_change_request.trigger(&mut ev, &mut |e| {
            let new_email = e.new_email.clone();
            let Some(record) = e.record.as_mut() else { return Err(Error::not_found()) };
            record.set_raw("email", json!(new_email));
            record.set_raw("verified", json!(true));
            e.app.save_record(record).map_err(|err| rewrap(err, "Failed to confirm email change."))?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    fn parse_email_change_token(&self, c: &Arc<Collection>, token: &str) -> Result<(Record, String)> {
        let new_email = claim(token, "newEmail");
        if new_email.is_empty() {
            return Err(one_error(
                "token",
                "validation_invalid_token_payload",
                "Invalid token payload - newEmail must be set.",
            ));
        }
        let record = self.record_of_token(c, token, TokenType::EmailChange)?;
        if self.find_auth_record_by_email(c, &new_email)?.is_some() {
            return Err(one_error("token", "validation_invalid_token_email", "The new email address is invalid."));
        }
        Ok((record, new_email))
    }

    /// `impersonate/{id}` (superusers): a non-refreshable auth token of
    /// `duration` seconds (0: the collection's) through the auth response.
    pub fn impersonate_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        id: &str,
        duration: i64,
    ) -> Result<super::response::AuthOutcome> {
        if duration < 0 {
            return Err(one_error("duration", "validation_min_greater_equal_than_required", "Must be no less than 0."));
        }
        let record = self.find_record_by_id(c, id).map_err(|_| Error::not_found())?;
        let mut extra = serde_json::Map::new();
        extra.insert("refreshable".into(), json!(false));
        let token = self.new_record_token(&record, TokenType::Auth, (duration > 0).then_some(duration), extra)?;
        self.auth_response(req, record, token, "", Value::Null)
    }
}

/// A failed save inside a flow: validation errors keep their `data` under
/// the flow's message, anything else becomes a 400 with it.
fn rewrap(err: Error, message: &str) -> Error {
    match err {
        Error::Validation { errors, .. } => Error::Validation { message: message.into(), errors },
        e if e.status() >= 500 => e,
        e if matches!(e, Error::Api { .. }) => e,
        _ => Error::BadRequest(message.into()),
    }
}
