//! Auth flows on the App: issuing and checking record tokens, password
//! login, and the superuser management the CLI and installer use.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::tokens::{self, TokenType};
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::collections::collection::SUPERUSERS;
use crate::core::error::{Error, Result};
use crate::core::records::Record;
use crate::db::Select;

/// Email of the hidden account the first-run installer link belongs to.
pub const INSTALLER_EMAIL: &str = "__pbinstaller@example.com";

fn token_config(c: &Collection, kind: TokenType) -> Result<(String, i64)> {
    let a = c.auth.as_ref().ok_or_else(|| Error::BadRequest("Not an auth collection.".into()))?;
    let cfg = match kind {
        TokenType::Auth => &a.auth_token,
        TokenType::File => &a.file_token,
        TokenType::Verification => &a.verification_token,
        TokenType::PasswordReset => &a.password_reset_token,
        TokenType::EmailChange => &a.email_change_token,
    };
    Ok((cfg.secret.clone(), cfg.duration))
}

/// Built-in hooks of the auth subsystem: a real superuser created by any
/// means (API with the installer link, CLI, JS) retires the installer account.
pub fn bind_system_hooks(app: &App) {
    super::refs::bind_hooks(app);
    app.hooks().on_record_create.after_success.bind(
        "system",
        0,
        vec![SUPERUSERS.to_string()],
        Arc::new(|e: &mut crate::core::events::RecordEvent, next: crate::core::hooks::Next<'_, _>| {
            if e.record.email() != INSTALLER_EMAIL
                && let Ok(su) = e.app.superusers()
                && let Ok(installer) = e.app.find_auth_record_by_field(&su, "email", INSTALLER_EMAIL)
            {
                e.app.delete_record(&installer)?;
            }
            next(e)
        }),
    );
}

impl App {
    /// Signs a token of `kind` for an auth record; `duration` overrides the
    /// collection's (seconds).
    pub fn new_record_token(
        &self,
        record: &Record,
        kind: TokenType,
        duration: Option<i64>,
        extra: Map<String, Value>,
    ) -> Result<String> {
        let (secret, default_duration) = token_config(&record.collection, kind)?;
        let claims =
            tokens::claims(kind, record.id(), &record.collection.id, duration.unwrap_or(default_duration), extra);
        tokens::sign(&claims, &format!("{}{}", record.token_key(), secret)).map_err(Error::Internal)
    }

    /// A regular (refreshable) auth token.
    pub fn new_auth_token(&self, record: &Record) -> Result<String> {
        let mut extra = Map::new();
        extra.insert("refreshable".into(), json!(true));
        self.new_record_token(record, TokenType::Auth, None, extra)
    }

    /// A verification token (carries the email it was sent to).
    pub fn new_verification_token(&self, record: &Record) -> Result<String> {
        let mut extra = Map::new();
        extra.insert("email".into(), json!(record.email()));
        self.new_record_token(record, TokenType::Verification, None, extra)
    }

    /// A password reset token (carries the email it was sent to).
    pub fn new_password_reset_token(&self, record: &Record) -> Result<String> {
        let mut extra = Map::new();
        extra.insert("email".into(), json!(record.email()));
        self.new_record_token(record, TokenType::PasswordReset, None, extra)
    }

    /// An email change token for `new_email`.
    pub fn new_email_change_token(&self, record: &Record, new_email: &str) -> Result<String> {
        let mut extra = Map::new();
        extra.insert("email".into(), json!(record.email()));
        extra.insert("newEmail".into(), json!(new_email));
        self.new_record_token(record, TokenType::EmailChange, None, extra)
    }

    /// The record a token of `kind` belongs to, after checking signature,
    /// expiry and type.
    pub fn find_auth_record_by_token(&self, token: &str, kind: TokenType) -> Result<Record> {
        let invalid = || Error::Unauthorized("The request requires valid record authorization token.".into());
        let claims = tokens::peek(token).ok_or_else(invalid)?;
        if claims.kind != kind.as_str() {
            return Err(invalid());
        }
        let c = self.collections().get(&claims.collection_id).filter(|c| c.is_auth()).ok_or_else(invalid)?;
        let record = self.find_record_by_id(&c, &claims.id).map_err(|_| invalid())?;
        let (secret, _) = token_config(&c, kind)?;
        tokens::verify(token, &format!("{}{}", record.token_key(), secret)).ok_or_else(invalid)?;
        Ok(record)
    }

    /// Whether a token may be refreshed (impersonate/installer tokens may not).
    pub fn token_is_refreshable(token: &str) -> bool {
        tokens::peek(token).is_some_and(|c| c.extra.get("refreshable").and_then(Value::as_bool).unwrap_or(false))
    }

    /// An auth record by a unique identity field value (exact match).
    pub fn find_auth_record_by_field(&self, c: &Arc<Collection>, field: &str, value: &str) -> Result<Record> {
        if c.field(field).is_none() {
            return Err(Error::not_found());
        }
        let query = Select::from(&c.name).where_eq(field, value).limit(1);
        self.find_records_by_select(c, &query)?.into_iter().next().ok_or_else(Error::not_found)
    }

    /// The superusers collection.
    pub fn superusers(&self) -> Result<Arc<Collection>> {
        self.find_collection(SUPERUSERS)
    }

    /// Creates or updates a superuser (CLI `superuser upsert/create/update`).
    pub fn upsert_superuser(&self, email: &str, password: &str, must_exist: Option<bool>) -> Result<Record> {
        let su = self.superusers()?;
        let existing = self.find_auth_record_by_field(&su, "email", email).ok();
        let mut record = match (existing, must_exist) {
            (Some(_), Some(false)) => {
                return Err(Error::BadRequest(format!("superuser {email} already exists")));
            }
            (None, Some(true)) => {
                return Err(Error::NotFound(format!("superuser {email} not found")));
            }
            (Some(r), _) => r,
            (None, _) => {
                let mut r = Record::new(su.clone());
                r.set("email", &json!(email))?;
                r.set_raw("verified", json!(true));
                r
            }
        };
        record.set_password(password)?;
        self.save_record(&mut record)?;
        Ok(record)
    }

    /// Deletes a superuser by email (the last one cannot be deleted).
    pub fn delete_superuser(&self, email: &str) -> Result<()> {
        let su = self.superusers()?;
        let record = self
            .find_auth_record_by_field(&su, "email", email)
            .map_err(|_| Error::NotFound(format!("superuser {email} not found")))?;
        if self.count_real_superusers()? <= 1 {
            return Err(Error::BadRequest("You can't delete the only existing superuser.".into()));
        }
        self.delete_record(&record)
    }

    /// Superusers other than the installer account.
    pub fn count_real_superusers(&self) -> Result<i64> {
        let su = self.superusers()?;
        let mut query = Select::from(&su.name);
        let installer = query.arg(INSTALLER_EMAIL);
        Ok(query.and_where(format!("email != {installer}")).count(self.executor())?)
    }

    /// When no superuser exists: a 30-minute, non-refreshable token of the
    /// hidden installer account (created on demand) for the setup link.
    pub fn installer_token(&self) -> Result<Option<String>> {
        if self.count_real_superusers()? > 0 {
            return Ok(None);
        }
        let su = self.superusers()?;
        let record = match self.find_auth_record_by_field(&su, "email", INSTALLER_EMAIL) {
            Ok(r) => r,
            Err(_) => self.upsert_superuser(INSTALLER_EMAIL, &crate::core::security::random_string(30), None)?,
        };
        let mut extra = Map::new();
        extra.insert("refreshable".into(), json!(false));
        Ok(Some(self.new_record_token(&record, TokenType::Auth, Some(1800), extra)?))
    }
}
