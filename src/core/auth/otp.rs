//! One-time passwords: `request-otp` mails a numeric code and answers its
//! id (a made-up id for unknown emails, at the same cost, so the answer
//! says nothing about which accounts exist); `auth-with-otp` checks it once.
//! Beyond PocketBase's per-IP limit (5 tries per 3 minutes and record), an
//! OTP is burnt after 5 wrong passwords from anywhere.

use std::sync::Arc;

use serde_json::{Value, json};

use super::METHOD_OTP;
use super::password;
use super::refs::{OTPS, has_expired};
use super::response::AuthOutcome;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, FieldErrors, Result, field_error};
use crate::core::events::RecordAuthRequestEvent;
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// Wrong passwords after which an OTP is deleted.
pub const MAX_OTP_FAILURES: i64 = 5;
/// PocketBase's extra rate limit of auth-with-otp per record and client.
const OTP_ATTEMPTS: usize = 5;
const OTP_ATTEMPTS_WINDOW_MS: i64 = 180_000;
/// Unexpired OTPs a record may have before the newest one is reused.
const MAX_RECENT_OTPS: usize = 10;

fn invalid_otp() -> Error {
    Error::BadRequest("Invalid or expired OTP".into())
}

/// Validates the `request-otp` body.
pub fn validate_request_otp(email: &str) -> Result<()> {
    let err = if email.is_empty() {
        Some(field_error("validation_required", "Cannot be blank."))
    } else if email.chars().count() > 255 {
        Some(field_error("validation_length_out_of_range", "The length must be between 1 and 255."))
    } else if !crate::core::records::validate::is_email(email) {
        Some(field_error("validation_is_email", "Must be a valid email address."))
    } else {
        None
    };
    match err {
        Some(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("email".into(), e);
            Err(Error::Validation { message: "An error occurred while validating the submitted data.".into(), errors })
        }
        None => Ok(()),
    }
}

/// Validates the `auth-with-otp` body.
pub fn validate_auth_with_otp(otp_id: &str, password: &str) -> Result<()> {
    let mut errors = FieldErrors::new();
    for (key, value, max) in [("otpId", otp_id, 255), ("password", password, 71)] {
        if value.is_empty() {
            errors.insert(key.into(), field_error("validation_required", "Cannot be blank."));
        } else if value.chars().count() > max {
            errors.insert(
                key.into(),
                field_error("validation_length_out_of_range", format!("The length must be between 1 and {max}.")),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "An error occurred while validating the submitted data.".into(), errors })
    }
}

/// The client key of a request for attempt limits (its IP).
pub(crate) fn client_key(req: &RequestInfo) -> String {
    req.http.as_ref().map(|h| h.remote_ip.clone()).unwrap_or_default()
}

impl App {
    /// Counts one attempt under `key` in a sliding window; false once more
    /// than `max` happened within `window_ms`.
    pub(crate) fn allow_attempt(&self, key: &str, max: usize, window_ms: i64) -> bool {
        let now = chrono::Utc::now().timestamp_millis();
        let mut store = self.store().lock();
        let mut times: Vec<i64> = store
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).filter(|t| now - t < window_ms).collect())
            .unwrap_or_default();
        let allowed = times.len() < max;
        if allowed {
            times.push(now);
        }
        store.insert(key.to_string(), json!(times));
        allowed
    }

    /// Creates a stored OTP for `record` with `pass` (hashed).
    pub fn create_otp(&self, record: &Record, pass: &str) -> Result<Record> {
        let mut otp = self.new_ref_record(OTPS, record)?;
        otp.set_password(pass)?;
        self.save_record(&mut otp)?;
        Ok(otp)
    }

    /// `request-otp` through `onRecordRequestOTPRequest`: the OTP id to
    /// answer, `None` when a hook stopped the request.
    pub fn request_otp_request(&self, c: &Arc<Collection>, req: &RequestInfo, email: &str) -> Result<Option<String>> {
        let opts = c.auth.as_ref().ok_or_else(|| Error::BadRequest("Not an auth collection.".into()))?;
        let record = self.find_auth_record_by_email(c, email)?;
        let length = usize::try_from(opts.otp.length.max(4)).unwrap_or(8);
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = record;
        ev.password = crate::core::security::random_string_with_alphabet(length, b"0123456789");
        let duration = opts.otp.duration;
        let mut answer = None;
        self.hooks().on_record_request_otp_request.trigger(&mut ev, &mut |e| {
            let Some(record) = e.record.clone() else {
                // the same work and the same answer as for a real account
                password::dummy_hash(&e.password);
                answer = Some(crate::core::security::new_record_id());
                return Ok(());
            };
            let mut reused = None;
            if !e.app.config().dev {
                let otps = e.app.find_refs_by_record(OTPS, &record)?;
                let recent = otps.iter().filter(|o| !has_expired(o, duration)).count();
                if recent >= MAX_RECENT_OTPS {
                    tracing::warn!("too many OTP requests for record {}: reusing the last one", record.id());
                    reused = otps.into_iter().next();
                }
            }
            let otp = match reused {
                Some(otp) => {
                    password::dummy_hash(&e.password);
                    otp
                }
                None => {
                    let otp = e.app.create_otp(&record, &e.password)?;
                    let (app, record, otp_id, pass) =
                        (e.app.without_tx(), record.clone(), otp.id().to_string(), e.password.clone());
                    // in the background: the answer must not wait for (or
                    // reveal the timing of) the mail server
                    std::thread::spawn(move || {
                        if let Err(err) = app.send_record_otp(&record, &otp_id, &pass) {
                            tracing::error!("failed to send the OTP email: {err}");
                            if let Ok(Some(otp)) = app.find_ref_by_id(OTPS, &otp_id) {
                                let _ = app.delete_record(&otp);
                            }
                        }
                    });
                    otp
                }
            };
            answer = Some(otp.id().to_string());
            Ok(())
        })?;
        Ok(answer)
    }

    /// `auth-with-otp`: checks the OTP (single use, unexpired, 5 wrong
    /// tries at most), then `onRecordAuthWithOTPRequest` and the auth
    /// response. A matching `sentTo` marks the email verified.
    pub fn auth_with_otp_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        otp_id: &str,
        pass: &str,
    ) -> Result<AuthOutcome> {
        let opts = c.auth.as_ref().ok_or_else(|| Error::BadRequest("Not an auth collection.".into()))?;
        let otp = self.find_ref_by_id(OTPS, otp_id)?.ok_or_else(invalid_otp)?;
        if otp.get_str("collectionRef") != c.id || has_expired(&otp, opts.otp.duration) {
            return Err(invalid_otp());
        }
        let record = self.find_record_by_id(c, otp.get_str("recordRef")).map_err(|_| invalid_otp())?;
        let limit_key = format!("@pb_otp_{}_{}", record.id(), client_key(req));
        if !self.allow_attempt(&limit_key, OTP_ATTEMPTS, OTP_ATTEMPTS_WINDOW_MS) {
            return Err(Error::TooManyRequests("Too many attempts, please try again later with a new OTP.".into()));
        }
        if !otp.validate_password(pass) {
            self.count_otp_failure(&otp);
            return Err(invalid_otp());
        }
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.record = Some(record);
        ev.otp = Some(otp);
        let mut outcome = AuthOutcome::Stopped;
        self.hooks().on_record_auth_with_otp_request.trigger(&mut ev, &mut |e| {
            let (Some(mut record), Some(otp)) = (e.record.clone(), e.otp.clone()) else {
                return Err(invalid_otp());
            };
            let sent_to = otp.get_str("sentTo").to_string();
            // delete first: the OTP is used whatever happens next
            if let Err(err) = e.app.delete_record(&otp) {
                tracing::error!("failed to delete the used OTP {}: {err}", otp.id());
            }
            e.app.store().lock().remove(&failures_key(otp.id()));
            if !record.get_bool("verified") && !sent_to.is_empty() && record.email() == sent_to {
                record.set_raw("verified", json!(true));
                // like PocketBase: a verified upgrade by OTP alone resets the
                // password (a pre-registered account cannot be hijacked)
                if !record.collection.auth.as_ref().is_some_and(|a| a.mfa.enabled) {
                    set_random_password(&mut record)?;
                }
                if let Err(err) = e.app.save_record(&mut record) {
                    tracing::error!("failed to mark record {} verified after its OTP login: {err}", record.id());
                }
            }
            let token = e.app.new_auth_token(&record)?;
            outcome = e.app.auth_response(&e.request, record, token, METHOD_OTP, Value::Null)?;
            Ok(())
        })?;
        Ok(outcome)
    }

    fn count_otp_failure(&self, otp: &Record) {
        let key = failures_key(otp.id());
        let failures = {
            let mut store = self.store().lock();
            let n = store.get(&key).and_then(Value::as_i64).unwrap_or(0) + 1;
            store.insert(key.clone(), json!(n));
            n
        };
        if failures >= MAX_OTP_FAILURES {
            self.store().lock().remove(&key);
            if let Err(err) = self.delete_record(otp) {
                tracing::error!("failed to delete OTP {} after {failures} wrong passwords: {err}", otp.id());
            }
        }
    }
}

fn failures_key(otp_id: &str) -> String {
    format!("@ferrobase_otp_failures_{otp_id}")
}

/// Replaces a record's password with a random one (new tokenKey too).
pub fn set_random_password(record: &mut Record) -> Result<()> {
    record.set_password(&crate::core::security::random_string(30))
}
