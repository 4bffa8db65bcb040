//! The record API actions in PocketBase's order: the submitted data (with
//! `field+`/`+field`/`field-` modifiers resolved and hidden fields dropped
//! for non-superusers), the rule decided before anything is written or
//! hooked, then the request hook chain around the form checks and the save.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Record;
use super::query::{ListPage, ListQuery, SUPERUSERS_ONLY};
use super::values::{apply_modifier, normalize, to_string};
use crate::core::app::App;
use crate::core::collections::{Collection, FieldKind};
use crate::core::error::{Error, FieldErrors, Result, field_error};
use crate::core::events::RecordRequestEvent;
use crate::core::request::RequestInfo;

/// Splits `name+`, `+name`, `name-` into the field name and modifier.
fn split_modifier(key: &str) -> (&str, Option<char>) {
    if let Some(n) = key.strip_suffix('+') {
        return (n, Some('+'));
    }
    if let Some(n) = key.strip_prefix('+') {
        return (n, Some('^'));
    }
    if let Some(n) = key.strip_suffix('-') {
        return (n, Some('-'));
    }
    (key, None)
}

/// The submitted data as PocketBase's record API uses it, both to load the
/// record and as `@request.body` in rules: field keys (modifiers included)
/// are applied to the record's current values in key-length order and
/// stored, normalised, under the plain field name; other keys stay as sent.
/// Hidden fields are dropped unless the caller is a superuser (the auth
/// `password` excepted), so a guest or an owner can neither set nor probe
/// them.
pub fn request_data(record: &Record, body: &Map<String, Value>, superuser: bool) -> Map<String, Value> {
    let c = &record.collection;
    let mut out = body.clone();
    let mut keys: Vec<&String> = body.keys().collect();
    keys.sort_by_key(|k| k.len());
    let mut current: Map<String, Value> = Map::new();
    for key in keys {
        let (name, modifier) = split_modifier(key);
        let Some(field) = c.field(name) else { continue };
        let value = &body[key.as_str()];
        out.remove(key.as_str());
        let resolved = match (&field.kind, modifier) {
            (FieldKind::Password { .. }, _) => value.clone(),
            (_, Some(m)) => {
                let cur = current.get(name).unwrap_or_else(|| record.get(name));
                apply_modifier(field, cur, m, value)
            }
            (_, None) => normalize(field, value),
        };
        current.insert(name.to_string(), resolved.clone());
        out.insert(name.to_string(), resolved);
    }
    if !superuser {
        for f in c.fields.iter().filter(|f| f.hidden) {
            if !(c.is_auth() && f.name == "password") {
                out.remove(&f.name);
            }
        }
    }
    out
}

/// The request as the rules of a create/update see it: `@request.body` is
/// the resolved submitted data.
fn with_body(req: &RequestInfo, data: &Map<String, Value>) -> RequestInfo {
    let mut out = req.clone();
    out.body = data.clone();
    out
}

/// How much a record form lets the caller change on an auth record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Owners and guests: email, verified and password need their flows.
    Default,
    /// A matching `manageRule`: may set email, verified and password directly.
    Manager,
    /// Superusers.
    Superuser,
}

/// PocketBase's record upsert form: loads submitted data into a record and,
/// inside the request hook chain, checks the auth fields (email, verified,
/// password/passwordConfirm/oldPassword) against the caller's access.
#[derive(Debug, Clone)]
pub struct RecordForm {
    pub access: Access,
    password: String,
    password_confirm: String,
    old_password: String,
}

impl RecordForm {
    /// A form for a caller with the given access.
    pub fn new(access: Access) -> Self {
        RecordForm { access, password: String::new(), password_confirm: String::new(), old_password: String::new() }
    }

    /// Whether the caller may change system auth fields directly.
    pub fn has_manage_access(&self) -> bool {
        self.access >= Access::Manager
    }

    /// Sets the submitted values (from [`request_data`]) on the record.
    pub fn load(&mut self, record: &mut Record, data: &Map<String, Value>) -> Result<()> {
        let c = record.collection.clone();
        let is_auth = c.is_auth();
        if is_auth {
            let text = |k: &str| data.get(k).map(to_string).unwrap_or_default();
            self.password = text("password");
            self.password_confirm = text("passwordConfirm");
            self.old_password = text("oldPassword");
        }
        for (name, value) in data {
            let Some(field) = c.field(name) else { continue };
            match &field.kind {
                FieldKind::Autodate { .. } => continue,
                FieldKind::Password { .. } => {
                    let plain = to_string(value);
                    // an empty auth password on update keeps the stored one
                    if is_auth && name == "password" && plain.is_empty() && !record.is_new() {
                        continue;
                    }
                    record.set_password_field(name, &plain)?;
                    continue;
                }
                _ => {}
            }
            if field.hidden && self.access != Access::Superuser && !(is_auth && name == "password") {
                continue;
            }
            if field.is_primary_key() && !record.is_new() && to_string(value) == record.original_id() {
                continue;
            }
            record.set_raw(name, normalize(field, value));
        }
        Ok(())
    }

    /// The form-level checks of an auth record (PocketBase's
    /// `validateFormFields`), run right before the save.
    pub fn validate(&self, record: &Record) -> Result<()> {
        if !record.collection.is_auth() {
            return Ok(());
        }
        let disabled = self.password_checks_disabled(record);
        let is_new = record.is_new();
        let manage = self.has_manage_access();
        let original = |k: &str| record.original.as_ref().and_then(|o| o.get(k)).cloned().unwrap_or(Value::Null);
        let mismatch = || field_error("validation_values_mismatch", "Values don't match.");
        let required = || field_error("validation_required", "Cannot be blank.");
        let mut errors = FieldErrors::new();
        if !is_new && !manage && record.email() != original("email").as_str().unwrap_or_default() {
            errors.insert("email".into(), mismatch());
        }
        if !manage && record.get_bool("verified") != original("verified").as_bool().unwrap_or(false) {
            errors.insert("verified".into(), mismatch());
        }
        let (pw, confirm, old) = (&self.password, &self.password_confirm, &self.old_password);
        if !disabled {
            if (is_new || !confirm.is_empty() || !old.is_empty()) && pw.is_empty() {
                errors.insert("password".into(), required());
            }
            if (is_new || !pw.is_empty() || !old.is_empty()) && confirm.is_empty() {
                errors.insert("passwordConfirm".into(), required());
            } else if confirm != pw {
                errors.insert("passwordConfirm".into(), mismatch());
            }
            if !is_new && !manage && (!pw.is_empty() || !confirm.is_empty()) {
                let stored = original("password");
                if old.is_empty() {
                    errors.insert("oldPassword".into(), required());
                } else if !crate::core::auth::password::verify(old, stored.as_str().unwrap_or_default()) {
                    errors.insert(
                        "oldPassword".into(),
                        field_error("validation_invalid_old_password", "Missing or invalid old password."),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation { message: "Failed to validate the submitted data.".into(), errors })
        }
    }

    /// A hook that set another password (or a hash directly) takes the
    /// password checks off, as in PocketBase.
    fn password_checks_disabled(&self, record: &Record) -> bool {
        match record.plain_passwords.get("password").and_then(Value::as_str) {
            Some(plain) if !plain.is_empty() => plain != self.password,
            _ => record.is_new() && !record.get_str("password").is_empty() && self.password.is_empty(),
        }
    }
}

const CREATE_FAILED: &str = "Failed to create record.";
const UPDATE_FAILED: &str = "Failed to update record.";
const UNSUPPORTED: &str = "Unsupported collection type.";

/// Replaces a validation error's message with the action's one; a plain
/// JS error thrown by a hook becomes the action's 400 (PocketBase keeps
/// only API errors as they are).
fn with_message(e: Error, message: &str) -> Error {
    match e {
        Error::Validation { errors, .. } => Error::Validation { message: message.into(), errors },
        Error::Thrown { .. } => Error::BadRequest(message.into()),
        other => other,
    }
}

impl App {
    /// Whether a non-superuser matches the auth collection's `manageRule`
    /// for the record (stored, or about to be created). An empty rule grants
    /// nothing: managing is for superusers unless a rule says who else.
    fn manage_access(&self, record: &Record, req: &RequestInfo) -> Result<bool> {
        let Some(rule) = record.collection.auth.as_ref().and_then(|a| a.manage_rule.clone()) else {
            return Ok(false);
        };
        if rule.trim().is_empty() || req.auth.is_none() {
            return Ok(false);
        }
        if record.is_new() {
            self.unsaved_record_matches_rule(record, &rule, req)
        } else {
            self.record_matches_rule(&record.collection, &record.original_id(), &rule, req)
        }
    }

    /// `POST /records`: the create rule is decided on the submitted values
    /// before anything is written or hooked; then `onRecordCreateRequest`
    /// runs around the form checks and the save. `None` when a hook
    /// answered without calling next.
    pub fn create_record_request(
        &self,
        c: &Arc<Collection>,
        body: &Map<String, Value>,
        req: &RequestInfo,
    ) -> Result<Option<Record>> {
        if c.is_view() {
            return Err(Error::BadRequest(UNSUPPORTED.into()));
        }
        let superuser = req.is_superuser();
        if !superuser && c.rules.create.is_none() {
            return Err(Error::Forbidden(SUPERUSERS_ONLY.into()));
        }
        let mut record = Record::new(c.clone());
        let data = request_data(&record, body, superuser);
        let req = &with_body(req, &data);
        let mut form = RecordForm::new(if superuser { Access::Superuser } else { Access::Default });
        form.load(&mut record, &data)?;
        if !superuser {
            let rule = c.rules.create.as_deref().unwrap_or_default();
            if !self.unsaved_record_matches_rule(&record, rule, req)? {
                return Err(Error::BadRequest(CREATE_FAILED.into()));
            }
            if self.manage_access(&record, req)? {
                form.access = Access::Manager;
            }
        }
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_create_request.trigger(&mut ev, &mut |e| {
            let app = e.app.clone();
            let record = e.record.as_mut().ok_or_else(|| Error::BadRequest(CREATE_FAILED.into()))?;
            form.validate(record).map_err(|err| with_message(err, CREATE_FAILED))?;
            app.save_record(record).map_err(|err| with_message(err, CREATE_FAILED))?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.record).flatten())
    }

    /// `PATCH /records/{id}`: the update rule is checked against the stored
    /// record (with the resolved submitted data as `@request.body`), then
    /// the `onRecordUpdateRequest` chain runs around the form checks and
    /// the save.
    pub fn update_record_request(
        &self,
        c: &Arc<Collection>,
        id: &str,
        body: &Map<String, Value>,
        req: &RequestInfo,
    ) -> Result<Option<Record>> {
        if c.is_view() {
            return Err(Error::BadRequest(UNSUPPORTED.into()));
        }
        let superuser = req.is_superuser();
        if !superuser && c.rules.update.is_none() {
            return Err(Error::Forbidden(SUPERUSERS_ONLY.into()));
        }
        // the stored values resolve the modifiers; the rule then decides
        let stored = self.find_record_by_id(c, id)?;
        let data = request_data(&stored, body, superuser);
        let req = &with_body(req, &data);
        let mut record = self.find_record_by_rule(c, id, &c.rules.update, req)?;
        let mut form = RecordForm::new(if superuser { Access::Superuser } else { Access::Default });
        form.load(&mut record, &data)?;
        if !superuser && self.manage_access(&record, req)? {
            form.access = Access::Manager;
        }
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_update_request.trigger(&mut ev, &mut |e| {
            let app = e.app.clone();
            let record = e.record.as_mut().ok_or_else(|| Error::BadRequest(UPDATE_FAILED.into()))?;
            form.validate(record).map_err(|err| with_message(err, UPDATE_FAILED))?;
            app.save_record(record).map_err(|err| with_message(err, UPDATE_FAILED))?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.record).flatten())
    }

    /// `DELETE /records/{id}`: delete under the delete rule, wrapped by
    /// `onRecordDeleteRequest`. `false` when a hook answered without next.
    pub fn delete_record_request(&self, c: &Arc<Collection>, id: &str, req: &RequestInfo) -> Result<bool> {
        if c.is_view() {
            return Err(Error::BadRequest(UNSUPPORTED.into()));
        }
        let record = self.find_record_by_rule(c, id, &c.rules.delete, req)?;
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_delete_request.trigger(&mut ev, &mut |e| {
            let app = e.app.clone();
            let record = e.record.as_ref().ok_or_else(Error::not_found)?;
            app.delete_record(record)?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    /// `GET /records/{id}` wrapped by `onRecordViewRequest`.
    pub fn view_record_request(&self, c: &Arc<Collection>, id: &str, req: &RequestInfo) -> Result<Option<Record>> {
        let record = self.view_record(c, id, req)?;
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_view_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.record).flatten())
    }

    /// `GET /records` wrapped by `onRecordsListRequest`.
    pub fn list_records_request(
        &self,
        c: &Arc<Collection>,
        q: &ListQuery,
        req: &RequestInfo,
    ) -> Result<Option<ListPage>> {
        let page = self.list_records(c, q, req)?;
        let mut ev = RecordRequestEvent::new(self, c, req, None);
        ev.list = Some(page);
        self.hooks().on_records_list_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.list).flatten())
    }
}
