//! Password login: finding an auth record by one of its identity fields
//! and checking the password, so that an unknown identity costs the same
//! as a wrong password (PocketBase's enumeration protection).

use std::sync::Arc;

use serde_json::Value;

use super::password;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::collections::index::Index;
use crate::core::error::{Error, FieldErrors, Result, field_error};
use crate::core::records::Record;
use crate::db::Select;

/// Longest identity or password a login accepts (PocketBase's limit),
/// checked before anything is looked up or hashed.
pub const MAX_CREDENTIAL_LEN: usize = 255;

/// The submitted `auth-with-password` form.
#[derive(Debug, Clone, Default)]
pub struct PasswordForm {
    pub identity: String,
    pub password: String,
    pub identity_field: String,
}

fn length_error() -> Value {
    field_error("validation_length_out_of_range", format!("The length must be between 1 and {MAX_CREDENTIAL_LEN}."))
}

/// PocketBase's form validation of `auth-with-password`: required,
/// 1..=255 characters, and `identityField` one of the collection's identity
/// fields.
pub fn validate_password_form(c: &Collection, form: &PasswordForm) -> Result<()> {
    let mut errors = FieldErrors::new();
    for (key, value) in [("identity", &form.identity), ("password", &form.password)] {
        if value.is_empty() {
            errors.insert(key.into(), field_error("validation_required", "Cannot be blank."));
        } else if value.chars().count() > MAX_CREDENTIAL_LEN {
            errors.insert(key.into(), length_error());
        }
    }
    if !form.identity_field.is_empty() {
        let allowed = c.auth.as_ref().is_some_and(|a| a.password_auth.identity_fields.contains(&form.identity_field));
        if form.identity_field.chars().count() > MAX_CREDENTIAL_LEN {
            errors.insert("identityField".into(), length_error());
        } else if !allowed {
            errors.insert("identityField".into(), field_error("validation_in_invalid", "Must be a valid value."));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "An error occurred while validating the submitted data.".into(), errors })
    }
}

/// Whether `value` looks like an email (no need to query the email field
/// for anything else).
fn looks_like_email(value: &str) -> bool {
    crate::core::records::validate::is_email(value)
}

impl App {
    /// The auth record whose identity `field` equals `value`. Like
    /// PocketBase, the field must be an identity field with a single-column
    /// unique index; the match is case-insensitive when that index is
    /// `COLLATE NOCASE`.
    pub fn find_record_by_identity(&self, c: &Arc<Collection>, field: &str, value: &str) -> Result<Option<Record>> {
        let Some(opts) = c.auth.as_ref() else { return Ok(None) };
        if !opts.password_auth.identity_fields.iter().any(|f| f == field) || c.field(field).is_none() {
            return Ok(None);
        }
        let Some(nocase) = unique_index_collation(c, field) else {
            return Ok(None);
        };
        let query = Select::from(&c.name).where_eq_collate(field, value, nocase).limit(1);
        Ok(self.find_records_by_select(c, &query)?.into_iter().next())
    }

    /// The auth record with this email (case-insensitive when the email
    /// index is `COLLATE NOCASE`), PocketBase's `FindAuthRecordByEmail`.
    pub fn find_auth_record_by_email(&self, c: &Arc<Collection>, email: &str) -> Result<Option<Record>> {
        if !c.is_auth() || email.is_empty() {
            return Ok(None);
        }
        let nocase = unique_index_collation(c, "email") == Some(true);
        let query = Select::from(&c.name).where_eq_collate("email", email, nocase).limit(1);
        Ok(self.find_records_by_select(c, &query)?.into_iter().next())
    }

    /// Looks up the record a login names: the given identity field, or each
    /// identity field in turn (email first, and only for email-like input).
    pub fn find_login_record(
        &self,
        c: &Arc<Collection>,
        identity: &str,
        identity_field: &str,
    ) -> Result<Option<Record>> {
        if !identity_field.is_empty() {
            return self.find_record_by_identity(c, identity_field, identity);
        }
        let Some(opts) = c.auth.as_ref() else { return Ok(None) };
        let mut fields: Vec<&str> = opts.password_auth.identity_fields.iter().map(String::as_str).collect();
        // email first, as PocketBase does for compatibility with older versions
        fields.sort_by_key(|f| *f != "email");
        for f in fields {
            if f == "email" && !looks_like_email(identity) {
                continue;
            }
            if let Some(r) = self.find_record_by_identity(c, f, identity)? {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// Checks a login's password. A missing record (or one without a
    /// password) still runs one hash verification, so both failures take
    /// as long as a wrong password.
    pub fn check_login_password(&self, record: Option<&Record>, password: &str) -> bool {
        match record {
            Some(r) if !r.get_str("password").is_empty() => r.validate_password(password),
            _ => {
                password::dummy_verify(password);
                false
            }
        }
    }
}

/// `Some(nocase)` when `field` has a single-column unique index.
fn unique_index_collation(c: &Collection, field: &str) -> Option<bool> {
    c.indexes.iter().filter_map(|sql| Index::parse(sql)).filter(|i| i.unique && i.columns.len() == 1).find_map(|i| {
        let col = i.columns[0].trim();
        let mut parts = col.split_whitespace();
        let name = parts.next()?.trim_matches(|ch| matches!(ch, '`' | '"' | '[' | ']'));
        if !name.eq_ignore_ascii_case(field) {
            return None;
        }
        let rest: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
        Some(rest.windows(2).any(|w| w[0] == "collate" && w[1] == "nocase"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::collections::CollectionType;

    fn users() -> Collection {
        let mut c = Collection::new("users", CollectionType::Auth);
        c.indexes = c.auth_indexes().to_vec();
        c
    }

    #[test]
    fn credentials_over_255_chars_are_refused_by_field() {
        let c = users();
        let long = "x".repeat(256);
        let form = PasswordForm { identity: long.clone(), password: long, identity_field: String::new() };
        let Err(Error::Validation { errors, .. }) = validate_password_form(&c, &form) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors["identity"]["code"], "validation_length_out_of_range");
        assert_eq!(errors["password"]["code"], "validation_length_out_of_range");
    }

    #[test]
    fn exactly_255_chars_and_multibyte_chars_are_counted_as_characters() {
        let c = users();
        let form =
            PasswordForm { identity: "é".repeat(255), password: "p".repeat(255), identity_field: String::new() };
        assert!(validate_password_form(&c, &form).is_ok());
    }

    #[test]
    fn unknown_identity_field_is_refused() {
        let c = users();
        let form = PasswordForm { identity: "a@b.c".into(), password: "x".into(), identity_field: "name".into() };
        let Err(Error::Validation { errors, .. }) = validate_password_form(&c, &form) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors["identityField"]["code"], "validation_in_invalid");
    }

    #[test]
    fn index_collation_is_detected() {
        let mut c = users();
        assert_eq!(unique_index_collation(&c, "email"), Some(false));
        assert_eq!(unique_index_collation(&c, "username"), None);
        c.indexes.push("CREATE UNIQUE INDEX idx_u ON users (`username` COLLATE NOCASE)".into());
        assert_eq!(unique_index_collation(&c, "username"), Some(true));
    }
}
