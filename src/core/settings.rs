//! App settings, stored as JSON in `_params` (id `settings`) with
//! PocketBase 0.40's shape and defaults; secrets are never exported.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::{Error, FieldErrors, field_error};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SmtpConfig {
    pub enabled: bool,
    pub port: i64,
    pub host: String,
    pub username: String,
    pub password: String,
    pub auth_method: String,
    pub tls: bool,
    pub local_name: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            enabled: false,
            port: 587,
            host: "smtp.example.com".into(),
            username: String::new(),
            password: String::new(),
            auth_method: String::new(),
            tls: false,
            local_name: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct S3Config {
    pub enabled: bool,
    pub bucket: String,
    pub region: String,
    pub endpoint: String,
    pub access_key: String,
    pub secret: String,
    pub force_path_style: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BackupsConfig {
    pub cron: String,
    pub cron_max_keep: i64,
    pub s3: S3Config,
}

impl Default for BackupsConfig {
    fn default() -> Self {
        BackupsConfig { cron: String::new(), cron_max_keep: 3, s3: S3Config::default() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct MetaConfig {
    pub app_name: String,
    #[serde(rename = "appURL")]
    pub app_url: String,
    pub sender_name: String,
    pub sender_address: String,
    pub hide_controls: bool,
    pub accent_color: String,
}

impl Default for MetaConfig {
    fn default() -> Self {
        MetaConfig {
            app_name: "Acme".into(),
            app_url: "http://localhost:8090".into(),
            sender_name: "Support".into(),
            sender_address: "support@example.com".into(),
            hide_controls: false,
            accent_color: "#1055c9".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RateLimitRule {
    pub label: String,
    pub audience: String,
    pub duration: i64,
    pub max_requests: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RateLimitsConfig {
    pub rules: Vec<RateLimitRule>,
    #[serde(rename = "excludedIPs")]
    pub excluded_ips: Vec<String>,
    pub enabled: bool,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        let rule = |label: &str, duration, max_requests| RateLimitRule {
            label: label.into(),
            audience: String::new(),
            duration,
            max_requests,
        };
        RateLimitsConfig {
            rules: vec![
                rule("*:auth", 3, 2),
                rule("*:create", 5, 20),
                rule("/api/batch", 1, 3),
                rule("/api/", 10, 300),
            ],
            excluded_ips: vec![],
            enabled: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TrustedProxyConfig {
    pub headers: Vec<String>,
    #[serde(rename = "useLeftmostIP")]
    pub use_leftmost_ip: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchConfig {
    pub enabled: bool,
    pub max_requests: i64,
    pub timeout: i64,
    pub max_body_size: i64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig { enabled: false, max_requests: 50, timeout: 3, max_body_size: 0 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct LogsConfig {
    pub max_data_size: i64,
    pub max_days: i64,
    pub min_level: i64,
    #[serde(rename = "logIP")]
    pub log_ip: bool,
    pub log_auth_id: bool,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig { max_data_size: 0, max_days: 5, min_level: 0, log_ip: true, log_auth_id: false }
    }
}

/// All app settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    #[serde(rename = "superuserIPs")]
    pub superuser_ips: Vec<String>,
    pub smtp: SmtpConfig,
    pub backups: BackupsConfig,
    pub s3: S3Config,
    pub meta: MetaConfig,
    pub rate_limits: RateLimitsConfig,
    pub trusted_proxy: TrustedProxyConfig,
    pub batch: BatchConfig,
    pub logs: LogsConfig,
    /// Keys of the stored settings this version does not know (written by
    /// a newer PocketBase), written back unchanged on save.
    #[serde(skip)]
    pub unknown: Value,
}

fn merge(dst: &mut Value, patch: &Value) {
    match (dst, patch) {
        (Value::Object(d), Value::Object(p)) => {
            for (k, v) in p {
                match d.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d, p) => *d = p.clone(),
    }
}

impl Settings {
    /// Reads the stored settings JSON leniently (see [`super::lenient`]).
    pub fn from_stored(raw: &str) -> Result<Settings, serde_json::Error> {
        let raw: Value = serde_json::from_str(raw)?;
        let (mut settings, unknown) = super::lenient::decode::<Settings>(&raw)?;
        settings.unknown = unknown;
        Ok(settings)
    }

    /// The JSON stored in `_params`, unknown keys included.
    pub fn to_stored(&self) -> Result<String, serde_json::Error> {
        Ok(super::lenient::encode(self, &self.unknown)?.to_string())
    }

    /// The JSON the API returns: without the secrets (PocketBase leaves
    /// the keys out, it does not blank them).
    pub fn to_public_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        for (path, key) in [(&["smtp"][..], "password"), (&["s3"][..], "secret"), (&["backups", "s3"][..], "secret")] {
            let parent = path.iter().try_fold(&mut v, |node, k| node.get_mut(*k));
            if let Some(Value::Object(m)) = parent {
                m.remove(key);
            }
        }
        v
    }

    /// Applies a partial update (deep merge), keeping secrets when the patch
    /// sends them empty, and validates the result.
    pub fn patched(&self, patch: &Value) -> Result<Settings, Error> {
        if !patch.is_object() {
            return Err(Error::bad_input());
        }
        let mut current = serde_json::to_value(self).map_err(|e| Error::Internal(e.to_string()))?;
        merge(&mut current, patch);
        let mut next: Settings = serde_json::from_value(current).map_err(|_| Error::bad_input())?;
        next.unknown = self.unknown.clone();
        if next.smtp.password.is_empty() {
            next.smtp.password = self.smtp.password.clone();
        }
        if next.s3.secret.is_empty() {
            next.s3.secret = self.s3.secret.clone();
        }
        if next.backups.s3.secret.is_empty() {
            next.backups.s3.secret = self.backups.s3.secret.clone();
        }
        next.validate()?;
        Ok(next)
    }

    /// PocketBase's settings validation (the parts with client-facing errors).
    pub fn validate(&self) -> Result<(), Error> {
        let mut errors = FieldErrors::new();
        let mut meta = Map::new();
        if self.meta.app_name.trim().is_empty() {
            meta.insert("appName".into(), field_error("validation_required", "Cannot be blank."));
        } else if self.meta.app_name.chars().count() > 255 {
            meta.insert(
                "appName".into(),
                field_error("validation_length_out_of_range", "The length must be between 1 and 255."),
            );
        }
        if self.meta.app_url.trim().is_empty() {
            meta.insert("appURL".into(), field_error("validation_required", "Cannot be blank."));
        } else if !super::records::validate::is_url(&self.meta.app_url) {
            meta.insert("appURL".into(), field_error("validation_is_url", "Must be a valid URL."));
        }
        if self.meta.sender_name.trim().is_empty() {
            meta.insert("senderName".into(), field_error("validation_required", "Cannot be blank."));
        }
        if !super::records::validate::is_email(&self.meta.sender_address) {
            meta.insert("senderAddress".into(), field_error("validation_is_email", "Must be a valid email address."));
        }
        if !meta.is_empty() {
            errors.insert("meta".into(), Value::Object(meta));
        }
        let mut batch = Map::new();
        if self.batch.enabled && self.batch.max_requests <= 0 {
            batch.insert("maxRequests".into(), field_error("validation_required", "Cannot be blank."));
        }
        if self.batch.enabled && self.batch.timeout <= 0 {
            batch.insert("timeout".into(), field_error("validation_required", "Cannot be blank."));
        }
        if !batch.is_empty() {
            errors.insert("batch".into(), Value::Object(batch));
        }
        let mut logs = Map::new();
        if !(0..=100_000).contains(&self.logs.max_days) {
            logs.insert(
                "maxDays".into(),
                field_error("validation_max_less_equal_than_required", "Must be no greater than 100000."),
            );
        }
        if !logs.is_empty() {
            errors.insert("logs".into(), Value::Object(logs));
        }
        if self.smtp.enabled && self.smtp.host.trim().is_empty() {
            errors.insert("smtp".into(), json!({"host": field_error("validation_required", "Cannot be blank.")}));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { message: "An error occurred while validating the submitted data.".into(), errors })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_update_merges_and_keeps_other_values() {
        let s = Settings::default();
        let n = s.patched(&json!({"meta": {"appName": "X"}, "logs": {"maxDays": 9}})).expect("valid");
        assert_eq!(n.meta.app_name, "X");
        assert_eq!(n.meta.sender_address, "support@example.com");
        assert_eq!(n.logs.max_days, 9);
    }

    #[test]
    fn invalid_values_report_nested_keys() {
        let s = Settings::default();
        let Err(Error::Validation { errors, .. }) = s.patched(&json!({"meta": {"appName": "", "appURL": "not a url"}}))
        else {
            panic!("expected validation error");
        };
        assert_eq!(errors["meta"]["appName"]["code"], "validation_required");
        assert!(errors["meta"]["appURL"].is_object());
    }

    #[test]
    fn stored_settings_of_older_pocketbase_read_leniently() {
        // PocketBase 0.23 writes nil slices as null and lacks newer keys
        let s = Settings::from_stored(
            r#"{"meta":{"appName":"Old"},"rateLimits":{"rules":null,"excludedIPs":null,"enabled":false},
               "trustedProxy":{"headers":null},"superuserIPs":null,"someFutureKey":{"a":1},
               "logs":{"maxDays":7,"futureLogOption":true}}"#,
        )
        .expect("reads");
        assert_eq!(s.meta.app_name, "Old");
        assert_eq!(s.meta.sender_name, "Support");
        assert!(s.rate_limits.rules.is_empty());
        assert!(s.trusted_proxy.headers.is_empty());
        assert_eq!(s.logs.max_days, 7);
        let n = s.patched(&json!({"meta": {"appName": "New"}})).expect("valid");
        let stored: Value = serde_json::from_str(&n.to_stored().expect("encodes")).expect("json");
        assert_eq!(stored["someFutureKey"], json!({"a": 1}));
        assert_eq!(stored["logs"]["futureLogOption"], true);
        assert_eq!(stored["meta"]["appName"], "New");
    }

    #[test]
    fn secrets_are_not_exported_and_survive_empty_patches() {
        let mut s = Settings::default();
        s.smtp.password = "hunter2".into();
        let public = s.to_public_json();
        assert!(public["smtp"].get("password").is_none() && public["backups"]["s3"].get("secret").is_none());
        assert_eq!(public["smtp"]["host"], "smtp.example.com");
        let n = s.patched(&json!({"smtp": {"password": ""}})).expect("valid");
        assert_eq!(n.smtp.password, "hunter2");
    }
}
