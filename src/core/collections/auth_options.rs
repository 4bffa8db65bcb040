//! Options that only auth collections have (token settings, auth methods,
//! mail templates), stored in `_collections.options` like PocketBase does.

use serde::{Deserialize, Serialize};

/// A mail template with `{APP_NAME}`-style placeholders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EmailTemplate {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

/// Secret + lifetime of one token type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TokenConfig {
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub duration: i64,
}

/// `authAlert` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AuthAlertConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub email_template: EmailTemplate,
}

/// One configured OAuth2 provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Provider {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "clientId")]
    pub client_id: String,
    #[serde(default, rename = "clientSecret")]
    pub client_secret: String,
    #[serde(default, rename = "authURL")]
    pub auth_url: String,
    #[serde(default, rename = "tokenURL")]
    pub token_url: String,
    #[serde(default, rename = "userInfoURL")]
    pub user_info_url: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub pkce: Option<bool>,
    /// PocketBase 0.40 (Go's json v2) writes a nil map as `{}`, older
    /// releases as `null`; both read as `None`, which is written as `{}`.
    #[serde(default, serialize_with = "map_or_empty")]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

fn map_or_empty<S: serde::Serializer>(
    v: &Option<serde_json::Map<String, serde_json::Value>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(m) => m.serialize(s),
        None => serde_json::Map::new().serialize(s),
    }
}

/// Which auth-record fields OAuth2 user data maps to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2MappedFields {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default, rename = "avatarURL")]
    pub avatar_url: String,
}

/// `oauth2` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Config {
    #[serde(default)]
    pub providers: Vec<OAuth2Provider>,
    #[serde(default)]
    pub mapped_fields: OAuth2MappedFields,
    #[serde(default)]
    pub enabled: bool,
}

/// `passwordAuth` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordAuthConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub identity_fields: Vec<String>,
}

impl Default for PasswordAuthConfig {
    fn default() -> Self {
        Self { enabled: true, identity_fields: vec!["email".into()] }
    }
}

/// `mfa` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub duration: i64,
    #[serde(default)]
    pub rule: String,
}

impl Default for MfaConfig {
    fn default() -> Self {
        Self { enabled: false, duration: 600, rule: String::new() }
    }
}

/// `otp` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpConfig {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub duration: i64,
    #[serde(default)]
    pub length: i64,
    #[serde(default)]
    pub email_template: EmailTemplate,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            duration: 180,
            length: 8,
            email_template: EmailTemplate {
                subject: "OTP for {APP_NAME}".into(),
                body: "<p>Hello,</p>\n<p>Your one-time password is: <strong>{OTP}</strong></p>\n<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>\n<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>".into(),
            },
        }
    }
}

/// Everything in an auth collection's `options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthOptions {
    #[serde(default)]
    pub auth_rule: Option<String>,
    #[serde(default)]
    pub manage_rule: Option<String>,
    #[serde(default)]
    pub auth_alert: AuthAlertConfig,
    #[serde(default)]
    pub oauth2: OAuth2Config,
    #[serde(default)]
    pub password_auth: PasswordAuthConfig,
    #[serde(default)]
    pub mfa: MfaConfig,
    #[serde(default)]
    pub otp: OtpConfig,
    #[serde(default)]
    pub auth_token: TokenConfig,
    #[serde(default)]
    pub password_reset_token: TokenConfig,
    #[serde(default)]
    pub email_change_token: TokenConfig,
    #[serde(default)]
    pub verification_token: TokenConfig,
    #[serde(default)]
    pub file_token: TokenConfig,
    #[serde(default)]
    pub verification_template: EmailTemplate,
    #[serde(default)]
    pub reset_password_template: EmailTemplate,
    #[serde(default)]
    pub confirm_email_change_template: EmailTemplate,
    /// Stored keys this version does not know, written back unchanged.
    #[serde(skip)]
    pub unknown: serde_json::Value,
}

fn signature() -> &'static str {
    "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"
}

impl Default for AuthOptions {
    fn default() -> Self {
        let secret = || crate::core::security::random_string(50);
        AuthOptions {
            auth_rule: Some(String::new()),
            manage_rule: None,
            auth_alert: AuthAlertConfig {
                enabled: true,
                email_template: EmailTemplate {
                    subject: "Login from a new location".into(),
                    body: format!(
                        "<p>Hello,</p>\n<p>We noticed a login to your {{APP_NAME}} account from a new location:</p>\n<p><em>{{ALERT_INFO}}</em></p>\n<p><strong>If this wasn't you, you should immediately change your {{APP_NAME}} account password to revoke access from all other locations.</strong></p>\n<p>If this was you, you may disregard this email.</p>\n{}",
                        signature()
                    ),
                },
            },
            oauth2: OAuth2Config::default(),
            password_auth: PasswordAuthConfig::default(),
            mfa: MfaConfig::default(),
            otp: OtpConfig::default(),
            auth_token: TokenConfig { secret: secret(), duration: 432000 },
            password_reset_token: TokenConfig { secret: secret(), duration: 1800 },
            email_change_token: TokenConfig { secret: secret(), duration: 1800 },
            verification_token: TokenConfig { secret: secret(), duration: 86400 },
            file_token: TokenConfig { secret: secret(), duration: 180 },
            verification_template: EmailTemplate {
                subject: "Verify your {APP_NAME} email".into(),
                body: format!(
                    "<p>Hello,</p>\n<p>Thank you for joining us at {{APP_NAME}}.</p>\n<p>Click on the button below to verify your email address.</p>\n<p>\n  <a class=\"btn\" href=\"{{APP_URL}}/_/#/auth/confirm-verification/{{TOKEN}}\" target=\"_blank\" rel=\"noopener\">Verify</a>\n</p>\n<p><i>If you didn't recently register, please ignore this email.</i></p>\n{}",
                    signature()
                ),
            },
            reset_password_template: EmailTemplate {
                subject: "Reset your {APP_NAME} password".into(),
                body: format!(
                    "<p>Hello,</p>\n<p>Click on the button below to reset your password.</p>\n<p>\n  <a class=\"btn\" href=\"{{APP_URL}}/_/#/auth/confirm-password-reset/{{TOKEN}}\" target=\"_blank\" rel=\"noopener\">Reset password</a>\n</p>\n<p><i>If you didn't ask to reset your password, please ignore this email.</i></p>\n{}",
                    signature()
                ),
            },
            confirm_email_change_template: EmailTemplate {
                subject: "Confirm your {APP_NAME} new email address".into(),
                body: format!(
                    "<p>Hello,</p>\n<p>Click on the button below to confirm your new email address.</p>\n<p>\n  <a class=\"btn\" href=\"{{APP_URL}}/_/#/auth/confirm-email-change/{{TOKEN}}\" target=\"_blank\" rel=\"noopener\">Confirm new email</a>\n</p>\n<p><i>If you didn't ask to change your email address, please ignore this email.</i></p>\n{}",
                    signature()
                ),
            },
            unknown: serde_json::Value::Null,
        }
    }
}

impl AuthOptions {
    /// Fills zero durations and empty secrets with defaults (PocketBase does the same on save).
    pub fn fill_defaults(&mut self) {
        let d = AuthOptions::default();
        for (cfg, def) in [
            (&mut self.auth_token, &d.auth_token),
            (&mut self.password_reset_token, &d.password_reset_token),
            (&mut self.email_change_token, &d.email_change_token),
            (&mut self.verification_token, &d.verification_token),
            (&mut self.file_token, &d.file_token),
        ] {
            if cfg.secret.is_empty() {
                cfg.secret = def.secret.clone();
            }
            if cfg.duration == 0 {
                cfg.duration = def.duration;
            }
        }
        if self.mfa.duration == 0 {
            self.mfa.duration = d.mfa.duration;
        }
        if self.otp.duration == 0 {
            self.otp.duration = d.otp.duration;
        }
        if self.otp.length == 0 {
            self.otp.length = d.otp.length;
        }
        if self.password_auth.identity_fields.is_empty() {
            self.password_auth.identity_fields = vec!["email".into()];
        }
    }
}

fn err(code: &str, message: impl Into<String>) -> serde_json::Value {
    crate::core::error::field_error(code, message)
}

fn nested(errors: &mut crate::core::error::FieldErrors, key: &str, inner: serde_json::Map<String, serde_json::Value>) {
    if !inner.is_empty() {
        errors.insert(key.into(), serde_json::Value::Object(inner));
    }
}

impl AuthOptions {
    /// PocketBase's validation of the auth options (errors keyed like its
    /// `data`: `mfa.enabled`, `otp.length`, `authToken.duration`, …).
    pub fn validate(&self, c: &super::Collection, errors: &mut crate::core::error::FieldErrors) {
        use serde_json::Map;
        for (key, cfg) in [
            ("authToken", &self.auth_token),
            ("passwordResetToken", &self.password_reset_token),
            ("emailChangeToken", &self.email_change_token),
            ("verificationToken", &self.verification_token),
            ("fileToken", &self.file_token),
        ] {
            let mut e = Map::new();
            let len = cfg.secret.chars().count();
            if len == 0 {
                e.insert("secret".into(), err("validation_required", "Cannot be blank."));
            } else if !(30..=255).contains(&len) {
                e.insert(
                    "secret".into(),
                    err("validation_length_out_of_range", "The length must be between 30 and 255."),
                );
            }
            if cfg.duration == 0 {
                e.insert("duration".into(), err("validation_required", "Cannot be blank."));
            } else if cfg.duration < 10 {
                e.insert(
                    "duration".into(),
                    err("validation_min_greater_equal_than_required", "Must be no less than 10."),
                );
            } else if cfg.duration > 94_670_856 {
                e.insert(
                    "duration".into(),
                    err("validation_max_less_equal_than_required", "Must be no greater than 94670856."),
                );
            }
            nested(errors, key, e);
        }
        for (key, t) in [
            ("verificationTemplate", &self.verification_template),
            ("resetPasswordTemplate", &self.reset_password_template),
            ("confirmEmailChangeTemplate", &self.confirm_email_change_template),
        ] {
            let mut e = Map::new();
            if t.subject.trim().is_empty() {
                e.insert("subject".into(), err("validation_required", "Cannot be blank."));
            }
            if t.body.trim().is_empty() {
                e.insert("body".into(), err("validation_required", "Cannot be blank."));
            }
            nested(errors, key, e);
        }
        let duration_err = |d: i64| {
            if d == 0 {
                Some(err("validation_required", "Cannot be blank."))
            } else if d < 10 {
                Some(err("validation_min_greater_equal_than_required", "Must be no less than 10."))
            } else if d > 86_400 {
                Some(err("validation_max_less_equal_than_required", "Must be no greater than 86400."))
            } else {
                None
            }
        };
        let mut otp = Map::new();
        if self.otp.enabled {
            if let Some(e) = duration_err(self.otp.duration) {
                otp.insert("duration".into(), e);
            }
            if self.otp.length < 4 {
                otp.insert(
                    "length".into(),
                    err("validation_min_greater_equal_than_required", "Must be no less than 4."),
                );
            }
        }
        nested(errors, "otp", otp);
        let mut mfa = Map::new();
        if self.mfa.enabled {
            if let Some(e) = duration_err(self.mfa.duration) {
                mfa.insert("duration".into(), e);
            }
            let methods =
                [self.password_auth.enabled, self.oauth2.enabled, self.otp.enabled].iter().filter(|b| **b).count();
            if methods < 2 {
                mfa.insert(
                    "enabled".into(),
                    err("validation_mfa_not_enough_auths", "MFA requires at least 2 auth methods to be enabled."),
                );
            }
        }
        nested(errors, "mfa", mfa);
        if self.password_auth.enabled {
            let mut e = Map::new();
            if self.password_auth.identity_fields.is_empty() {
                e.insert("identityFields".into(), err("validation_required", "Cannot be blank."));
            }
            for name in &self.password_auth.identity_fields {
                if c.field(name).is_none() {
                    e.insert(
                        "identityFields".into(),
                        crate::core::error::field_error_with(
                            "validation_missing_field",
                            format!("Invalid or missing field {name}"),
                            serde_json::json!({"fieldName": name}),
                        ),
                    );
                    break;
                }
                let unique =
                    c.indexes.iter().filter_map(|s| super::index::Index::parse(s)).any(|i| {
                        i.unique && i.column_names().len() == 1 && i.column_names()[0].eq_ignore_ascii_case(name)
                    });
                if !unique {
                    e.insert(
                        "identityFields".into(),
                        crate::core::error::field_error_with(
                            "validation_missing_unique_constraint",
                            format!("The field {name} doesn't have a UNIQUE constraint."),
                            serde_json::json!({"fieldName": name}),
                        ),
                    );
                    break;
                }
            }
            nested(errors, "passwordAuth", e);
        }
        if self.oauth2.enabled {
            let mut providers = Map::new();
            let mut seen = std::collections::HashSet::new();
            for (i, p) in self.oauth2.providers.iter().enumerate() {
                let mut e = Map::new();
                if p.name.is_empty() {
                    e.insert("name".into(), err("validation_required", "Cannot be blank."));
                } else if crate::core::oauth2::providers::find(&p.name).is_none() {
                    e.insert(
                        "name".into(),
                        crate::core::error::field_error_with(
                            "validation_missing_provider",
                            format!("Invalid or missing provider with name {}.", p.name),
                            serde_json::json!({"name": p.name}),
                        ),
                    );
                } else if !seen.insert(p.name.clone()) {
                    e.insert(
                        "name".into(),
                        crate::core::error::field_error_with(
                            "validation_duplicated_provider",
                            format!("The provider {} is already registered.", p.name),
                            serde_json::json!({"name": p.name}),
                        ),
                    );
                }
                if p.client_id.is_empty() {
                    e.insert("clientId".into(), err("validation_required", "Cannot be blank."));
                }
                if p.client_secret.is_empty() {
                    e.insert("clientSecret".into(), err("validation_required", "Cannot be blank."));
                }
                for (key, url) in
                    [("authURL", &p.auth_url), ("tokenURL", &p.token_url), ("userInfoURL", &p.user_info_url)]
                {
                    if !url.is_empty() && !crate::core::records::validate::is_url(url) {
                        e.insert(key.into(), err("validation_is_url", "Must be a valid URL."));
                    }
                }
                if !e.is_empty() {
                    providers.insert(i.to_string(), serde_json::Value::Object(e));
                }
            }
            let mut o = Map::new();
            if !providers.is_empty() {
                o.insert("providers".into(), serde_json::Value::Object(providers));
            }
            nested(errors, "oauth2", o);
        }
    }
}
