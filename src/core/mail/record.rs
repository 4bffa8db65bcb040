//! The mails of the auth flows (verification, password reset, email
//! change, OTP, login alert), each rendered from the collection's template
//! and sent through its `onMailerRecord*Send` chain.

use serde_json::{Map, Value, json};

use super::message::{Address, Message};
use super::templates::{self, ALERT_INFO, OTP, OTP_ID, TOKEN};
use crate::core::app::App;
use crate::core::auth::refs::OTPS;
use crate::core::collections::auth_options::EmailTemplate;
use crate::core::error::{Error, Result};
use crate::core::events::MailerRecordEvent;
use crate::core::hooks::Hook;
use crate::core::records::Record;

/// What one record mail needs besides the record.
struct RecordMail<'a> {
    template: &'a EmailTemplate,
    placeholders: Vec<(&'static str, String)>,
    to: String,
    meta: Map<String, Value>,
}

impl App {
    fn sender(&self) -> Address {
        let s = self.settings();
        Address { name: s.meta.sender_name.clone(), address: s.meta.sender_address.clone() }
    }

    fn send_record_mail(
        &self,
        hook: &Hook<MailerRecordEvent>,
        record: &Record,
        mail: RecordMail<'_>,
        after_send: &mut dyn FnMut(&mut MailerRecordEvent) -> Result<()>,
    ) -> Result<()> {
        let mut placeholders = templates::record_placeholders(self, record);
        for (k, v) in mail.placeholders {
            placeholders.insert(k.to_string(), v);
        }
        let (subject, html) = templates::render(mail.template, &placeholders);
        let message =
            Message { from: self.sender(), to: vec![Address::new(&mail.to)], subject, html, ..Default::default() };
        let mut ev = MailerRecordEvent {
            app: self.clone(),
            client: self.new_mail_client(),
            message,
            record: record.clone(),
            meta: mail.meta,
        };
        hook.trigger(&mut ev, &mut |e| {
            e.client.send(e.message.clone())?;
            after_send(e)
        })
    }

    fn auth_options_of(record: &Record) -> Result<&crate::core::collections::auth_options::AuthOptions> {
        record.collection.auth.as_ref().ok_or_else(|| Error::BadRequest("Not an auth collection.".into()))
    }

    /// The email verification mail (`{TOKEN}`: a verification token).
    pub fn send_record_verification(&self, record: &Record) -> Result<()> {
        let opts = Self::auth_options_of(record)?;
        let token = self.new_verification_token(record)?;
        let mail = RecordMail {
            template: &opts.verification_template,
            placeholders: vec![(TOKEN, token.clone())],
            to: record.email().to_string(),
            meta: meta(&[("token", json!(token))]),
        };
        self.send_record_mail(&self.hooks().on_mailer_record_verification_send, record, mail, &mut |_| Ok(()))
    }

    /// The password reset mail (`{TOKEN}`: a password reset token).
    pub fn send_record_password_reset(&self, record: &Record) -> Result<()> {
        let opts = Self::auth_options_of(record)?;
        let token = self.new_password_reset_token(record)?;
        let mail = RecordMail {
            template: &opts.reset_password_template,
            placeholders: vec![(TOKEN, token.clone())],
            to: record.email().to_string(),
            meta: meta(&[("token", json!(token))]),
        };
        self.send_record_mail(&self.hooks().on_mailer_record_password_reset_send, record, mail, &mut |_| Ok(()))
    }

    /// The email change confirmation, sent to the new address.
    pub fn send_record_change_email(&self, record: &Record, new_email: &str) -> Result<()> {
        let opts = Self::auth_options_of(record)?;
        let token = self.new_email_change_token(record, new_email)?;
        let mail = RecordMail {
            template: &opts.confirm_email_change_template,
            placeholders: vec![(TOKEN, token.clone())],
            to: new_email.to_string(),
            meta: meta(&[("token", json!(token)), ("newEmail", json!(new_email))]),
        };
        self.send_record_mail(&self.hooks().on_mailer_record_email_change_send, record, mail, &mut |_| Ok(()))
    }

    /// The one-time password mail; once sent, the OTP remembers where it
    /// went (`sentTo`), which lets a successful OTP login verify the email.
    pub fn send_record_otp(&self, record: &Record, otp_id: &str, password: &str) -> Result<()> {
        let opts = Self::auth_options_of(record)?;
        let mail = RecordMail {
            template: &opts.otp.email_template,
            placeholders: vec![(OTP_ID, otp_id.to_string()), (OTP, password.to_string())],
            to: record.email().to_string(),
            meta: meta(&[("otpId", json!(otp_id)), ("password", json!(password))]),
        };
        let otp_id = otp_id.to_string();
        self.send_record_mail(&self.hooks().on_mailer_record_otp_send, record, mail, &mut |e| {
            let Some(to) = e.message.to.first().map(|a| a.address.clone()).filter(|a| !a.is_empty()) else {
                return Ok(());
            };
            match e.app.find_ref_by_id(OTPS, &otp_id)? {
                Some(mut otp) if otp.get_str("sentTo").is_empty() => {
                    otp.set_raw("sentTo", json!(to));
                    if let Err(err) = e.app.save_record(&mut otp) {
                        tracing::error!("failed to update the sentTo of OTP {otp_id}: {err}");
                    }
                }
                Some(_) => {}
                None => tracing::warn!("OTP {otp_id} is gone; its sentTo was not updated"),
            }
            Ok(())
        })
    }

    /// The "login from a new location" alert.
    pub fn send_record_auth_alert(&self, record: &Record, info: &str) -> Result<()> {
        let opts = Self::auth_options_of(record)?;
        let info = templates::escape_html(info);
        let mail = RecordMail {
            template: &opts.auth_alert.email_template,
            placeholders: vec![(ALERT_INFO, info.clone())],
            to: record.email().to_string(),
            meta: meta(&[("info", json!(info))]),
        };
        self.send_record_mail(&self.hooks().on_mailer_record_auth_alert_send, record, mail, &mut |_| Ok(()))
    }
}

fn meta(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// The templates `POST /api/settings/test/email` can send.
pub const TEST_TEMPLATES: [&str; 5] = ["verification", "password-reset", "email-change", "otp", "login-alert"];

impl App {
    /// Sends one record template to `email`, rendered for a placeholder
    /// record of `collection` (default `_superusers`).
    pub fn send_test_email(&self, email: &str, template: &str, collection: &str) -> Result<()> {
        use crate::core::error::{FieldErrors, field_error};
        let mut errors = FieldErrors::new();
        let c = if collection.is_empty() {
            self.find_collection("_superusers").ok()
        } else {
            self.find_collection(collection).ok()
        };
        if !collection.is_empty() && !c.as_ref().is_some_and(|c| c.is_auth()) {
            errors.insert(
                "collection".into(),
                field_error("validation_invalid_auth_collection", "Must be a valid auth collection id or name."),
            );
        }
        if let Err(Error::Validation { errors: e, .. }) =
            crate::core::auth::recovery::validate_email_field("email", email)
        {
            errors.extend(e);
        }
        if template.is_empty() {
            errors.insert("template".into(), field_error("validation_required", "Cannot be blank."));
        } else if !TEST_TEMPLATES.contains(&template) {
            errors.insert("template".into(), field_error("validation_in_invalid", "Must be a valid value."));
        }
        if !errors.is_empty() {
            return Err(Error::Validation {
                message: "An error occurred while validating the submitted data.".into(),
                errors,
            });
        }
        let c = c.ok_or_else(Error::not_found)?;
        let mut record = Record::new(c.clone());
        for f in &c.fields {
            if !f.hidden {
                record.set_raw(&f.name, json!(format!("__pb_test_{}__", f.name)));
            }
        }
        record.refresh_token_key();
        record.set_raw("email", json!(email));
        match template {
            "verification" => self.send_record_verification(&record),
            "password-reset" => self.send_record_password_reset(&record),
            "email-change" => self.send_record_change_email(&record, email),
            "otp" => self.send_record_otp(&record, "_PB_TEST_OTP_ID_", "123456"),
            _ => self.send_record_auth_alert(
                &record,
                &format!("{} - TEST_IP TEST_USER_AGENT", crate::core::datetime::now()),
            ),
        }
    }
}
