//! The record model: a collection plus field values, with the original
//! values kept for change detection, and its PocketBase JSON export.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::core::collections::{Collection, FieldKind};

/// One record of a collection.
#[derive(Debug, Clone)]
pub struct Record {
    pub collection: Arc<Collection>,
    /// Field name → normalised value (stored representation; passwords hashed).
    pub data: Map<String, Value>,
    /// Values as loaded from storage; `None` for a new record.
    pub original: Option<Map<String, Value>>,
    /// Expanded relations (`expand` key in JSON).
    pub expand: Map<String, Value>,
    /// A relation was expanded (even to nothing): PocketBase then answers
    /// `"expand":{}` rather than leaving the key out.
    pub expand_set: bool,
    /// Values of keys that are not fields (exported only with `export_custom`).
    pub custom: Map<String, Value>,
    /// Export the custom keys too (`withCustomData(true)`).
    pub export_custom: bool,
    /// Per-key visibility forced by `hide()` (false) / `unhide()` (true);
    /// it wins over the field's `hidden` option.
    pub visibility: BTreeMap<String, bool>,
    /// Plain passwords set in this change, for validation only.
    pub plain_passwords: Map<String, Value>,
    /// Export the email even when emailVisibility is false.
    pub ignore_email_visibility: bool,
    /// Export hidden fields (superuser views, `unhide`).
    pub show_hidden: bool,
    /// New files by storage name, stored on save when a file field value
    /// names them (`core::files`).
    pub pending_files: BTreeMap<String, Arc<crate::core::files::File>>,
}

impl Record {
    /// A new, unsaved record with zero values.
    pub fn new(collection: Arc<Collection>) -> Self {
        let mut data = Map::new();
        for f in &collection.fields {
            data.insert(f.name.clone(), f.zero_value());
        }
        Record {
            collection,
            data,
            original: None,
            expand: Map::new(),
            expand_set: false,
            custom: Map::new(),
            export_custom: false,
            visibility: BTreeMap::new(),
            plain_passwords: Map::new(),
            ignore_email_visibility: false,
            show_hidden: false,
            pending_files: BTreeMap::new(),
        }
    }

    /// A record loaded from storage.
    pub fn from_stored(collection: Arc<Collection>, data: Map<String, Value>) -> Self {
        let mut r = Record::new(collection);
        for (k, v) in data {
            r.data.insert(k, v);
        }
        r.original = Some(r.data.clone());
        r
    }

    /// The record id.
    pub fn id(&self) -> &str {
        self.data.get("id").and_then(Value::as_str).unwrap_or_default()
    }

    /// Whether the record has not been saved yet.
    pub fn is_new(&self) -> bool {
        self.original.is_none()
    }

    /// A field value (`Null` when unknown).
    pub fn get(&self, name: &str) -> &Value {
        self.data.get(name).unwrap_or(&Value::Null)
    }

    /// A field value as string ("" when not a string).
    pub fn get_str(&self, name: &str) -> &str {
        self.data.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    /// A field value as bool.
    pub fn get_bool(&self, name: &str) -> bool {
        self.data.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The original id (before an id change in this update).
    pub fn original_id(&self) -> String {
        self.original
            .as_ref()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.id().to_string())
    }

    /// The email of an auth record.
    pub fn email(&self) -> &str {
        self.get_str("email")
    }

    /// The token key of an auth record.
    pub fn token_key(&self) -> &str {
        self.get_str("tokenKey")
    }

    /// Whether this record belongs to `_superusers`.
    pub fn is_superuser(&self) -> bool {
        self.collection.is_superusers()
    }

    /// PocketBase's public JSON: collectionId, collectionName, visible
    /// fields (alphabetical), custom data when enabled, expand; keys hidden
    /// with `hide()` are left out, fields unhidden with `unhide()` kept.
    pub fn to_json(&self) -> Value {
        self.to_json_as(self.show_hidden, self.ignore_email_visibility)
    }

    /// [`Record::to_json`] with explicit visibility flags.
    pub fn to_json_as(&self, show_hidden: bool, ignore_email_visibility: bool) -> Value {
        let forced = |k: &str| self.visibility.get(k).copied();
        let mut m = Map::new();
        if forced("collectionId") != Some(false) {
            m.insert("collectionId".into(), Value::String(self.collection.id.clone()));
        }
        if forced("collectionName") != Some(false) {
            m.insert("collectionName".into(), Value::String(self.collection.name.clone()));
        }
        let is_auth = self.collection.is_auth();
        for f in &self.collection.fields {
            let is_password = matches!(f.kind, FieldKind::Password { .. });
            // hidden password fields stay hidden for superusers too
            let visible = forced(&f.name).unwrap_or(!f.hidden || (show_hidden && !is_password));
            if !visible || (is_auth && (f.name == "tokenKey" || f.name == "password")) {
                continue;
            }
            if is_password {
                // a visible password field is still never exported
                m.insert(f.name.clone(), Value::String(String::new()));
                continue;
            }
            if is_auth && f.name == "email" && !ignore_email_visibility && !self.get_bool("emailVisibility") {
                continue;
            }
            m.insert(f.name.clone(), self.data.get(&f.name).cloned().unwrap_or_else(|| f.zero_value()));
        }
        if self.export_custom {
            for (k, v) in &self.custom {
                if forced(k) != Some(false) {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
        if (self.expand_set || !self.expand.is_empty()) && forced("expand") != Some(false) {
            m.insert("expand".into(), Value::Object(self.expand.clone()));
        }
        Value::Object(m)
    }
}

impl Record {
    /// Sets a field's stored value directly (already normalised).
    pub fn set_raw(&mut self, name: &str, v: Value) {
        self.data.insert(name.to_string(), v);
    }

    /// Normalises and sets a field value; unknown names are ignored unless
    /// they are custom data. Password fields are hashed.
    pub fn set(&mut self, name: &str, v: &Value) -> crate::core::Result<()> {
        let Some(field) = self.collection.field(name).cloned() else {
            return Ok(());
        };
        if let FieldKind::Password { .. } = field.kind {
            let plain = super::values::to_string(v);
            return self.set_password_field(name, &plain);
        }
        self.data.insert(name.to_string(), super::values::normalize(&field, v));
        Ok(())
    }

    /// Hashes and stores a password, remembering the plain text for
    /// validation; an auth record's `password` also rotates its tokenKey.
    pub fn set_password_field(&mut self, name: &str, plain: &str) -> crate::core::Result<()> {
        let hash = if plain.is_empty() {
            String::new()
        } else {
            crate::core::auth::password::hash(plain).map_err(crate::core::Error::Internal)?
        };
        self.data.insert(name.to_string(), Value::String(hash));
        self.plain_passwords.insert(name.to_string(), Value::String(plain.to_string()));
        if self.collection.is_auth() && name == "password" {
            self.refresh_token_key();
        }
        Ok(())
    }

    /// Sets the auth password.
    pub fn set_password(&mut self, plain: &str) -> crate::core::Result<()> {
        self.set_password_field("password", plain)
    }

    /// Checks a plain password against the stored hash.
    pub fn validate_password(&self, plain: &str) -> bool {
        let hash = self.get_str("password");
        !hash.is_empty() && crate::core::auth::password::verify(plain, hash)
    }

    /// Generates a new tokenKey (invalidating the record's tokens).
    pub fn refresh_token_key(&mut self) {
        self.data.insert("tokenKey".into(), Value::String(crate::core::security::random_string(50)));
    }

    /// Whether a field value differs from the stored one.
    pub fn changed(&self, name: &str) -> bool {
        match &self.original {
            None => true,
            Some(o) => o.get(name) != self.data.get(name),
        }
    }

    /// A cheap placeholder used while a record is lent to a hook event.
    pub(crate) fn placeholder(collection: Arc<Collection>) -> Self {
        Record {
            collection,
            data: Map::new(),
            original: None,
            expand: Map::new(),
            expand_set: false,
            custom: Map::new(),
            export_custom: false,
            visibility: BTreeMap::new(),
            plain_passwords: Map::new(),
            ignore_email_visibility: false,
            show_hidden: false,
            pending_files: BTreeMap::new(),
        }
    }
}
