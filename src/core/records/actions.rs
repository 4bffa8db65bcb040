//! The record API actions with PocketBase's access rules and upsert form:
//! body modifiers (`field+`, `+field`, `field-`), auth form checks
//! (password/passwordConfirm/oldPassword, manage rights), rule checks.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Record;
use super::query::{ListPage, ListQuery, SUPERUSERS_ONLY};
use super::values::{apply_modifier, to_string};
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

/// `@request.body` as rules see it: submitted values cast to their field
/// types (PocketBase normalises before evaluating rules), passwords kept
/// plain, unknown keys as sent.
fn rule_request(c: &Collection, req: &RequestInfo) -> RequestInfo {
    let mut out = req.clone();
    for (key, value) in out.body.iter_mut() {
        if let Some(field) = c.field(key)
            && !matches!(field.kind, FieldKind::Password { .. })
        {
            *value = super::values::normalize(field, value);
        }
    }
    out
}

/// Whether the caller has "manage" rights on an auth record (superuser or
/// matching `manageRule`).
fn can_manage(app: &App, record: &Record, req: &RequestInfo) -> Result<bool> {
    if req.is_superuser() {
        return Ok(true);
    }
    let Some(rule) = record.collection.auth.as_ref().and_then(|a| a.manage_rule.clone()) else {
        return Ok(false);
    };
    if record.is_new() {
        return Ok(rule.trim().is_empty());
    }
    app.record_matches_rule(&record.collection, &record.original_id(), &rule, req)
}

/// Loads submitted values into the record (PocketBase's record upsert form)
/// and runs the form-level checks that precede field validation.
pub fn load_input(app: &App, record: &mut Record, body: &Map<String, Value>, req: &RequestInfo) -> Result<()> {
    let c = record.collection.clone();
    record.attach_files(req.files.iter().map(|(_, f)| f.clone()));
    let manage = c.is_auth() && can_manage(app, record, req)?;
    let mut errors = FieldErrors::new();
    let mut password_set = false;
    for (key, value) in body {
        let (name, modifier) = split_modifier(key);
        let Some(field) = c.field(name) else { continue };
        match &field.kind {
            FieldKind::Autodate { .. } => continue,
            FieldKind::Password { .. } => {
                let plain = to_string(value);
                if c.is_auth() && name == "password" {
                    password_set = !plain.is_empty() || record.is_new();
                    if plain.is_empty() {
                        continue;
                    }
                }
                record.set_password_field(name, &plain)?;
                continue;
            }
            _ => {}
        }
        if field.is_primary_key() && !record.is_new() && to_string(value) == record.original_id() {
            continue;
        }
        if c.is_auth() && name == "tokenKey" && !req.is_superuser() {
            continue;
        }
        if c.is_auth() && name == "verified" && !manage {
            let new = super::values::to_bool(value);
            if new != record.get_bool("verified") {
                errors.insert("verified".into(), field_error("validation_values_mismatch", "Values don't match."));
            }
            continue;
        }
        match modifier {
            Some(m) => {
                let current = record.get(name).clone();
                let v = apply_modifier(field, &current, m, value);
                record.set_raw(name, v);
            }
            None => record.set(name, value)?,
        }
    }
    if c.is_auth() {
        auth_form_checks(record, body, password_set, manage, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "Failed to load the submitted data.".into(), errors })
    }
}

fn auth_form_checks(
    record: &Record,
    body: &Map<String, Value>,
    password_set: bool,
    manage: bool,
    errors: &mut FieldErrors,
) {
    let password = body.get("password").map(to_string).unwrap_or_default();
    let confirm = body.get("passwordConfirm").map(to_string).unwrap_or_default();
    if record.is_new() && password.is_empty() {
        errors.insert("password".into(), field_error("validation_required", "Cannot be blank."));
        errors.insert("passwordConfirm".into(), field_error("validation_required", "Cannot be blank."));
        return;
    }
    if !password_set || password.is_empty() {
        return;
    }
    if confirm.is_empty() {
        errors.insert("passwordConfirm".into(), field_error("validation_required", "Cannot be blank."));
    } else if confirm != password {
        errors.insert("passwordConfirm".into(), field_error("validation_values_mismatch", "Values don't match."));
    }
    if !record.is_new() && !manage {
        let old = body.get("oldPassword").map(to_string).unwrap_or_default();
        let stored =
            record.original.as_ref().and_then(|o| o.get("password")).and_then(Value::as_str).unwrap_or_default();
        if old.is_empty() {
            errors.insert("oldPassword".into(), field_error("validation_required", "Cannot be blank."));
        } else if !crate::core::auth::password::verify(&old, stored) {
            errors.insert(
                "oldPassword".into(),
                field_error("validation_invalid_old_password", "Missing or invalid old password."),
            );
        }
    }
}

const CREATE_FAILED: &str = "Failed to create record.";
const UPDATE_FAILED: &str = "Failed to update record.";

/// Replaces a validation error's message with the action's one.
fn with_message(e: Error, message: &str) -> Error {
    match e {
        Error::Validation { errors, .. } => Error::Validation { message: message.into(), errors },
        other => other,
    }
}

impl App {
    /// `POST /records`: builds the record from the body, then runs the
    /// `onRecordCreateRequest` chain around the save + create-rule check.
    /// `None` when a hook answered without calling next.
    pub fn create_record_request(
        &self,
        c: &Arc<Collection>,
        body: &Map<String, Value>,
        req: &RequestInfo,
    ) -> Result<Option<Record>> {
        if c.is_view() {
            return Err(Error::BadRequest(CREATE_FAILED.into()));
        }
        if !req.is_superuser() && c.rules.create.is_none() {
            return Err(Error::Forbidden(SUPERUSERS_ONLY.into()));
        }
        let req = &rule_request(c, req);
        let mut record = Record::new(c.clone());
        load_input(self, &mut record, body, req).map_err(|e| with_message(e, CREATE_FAILED))?;
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_create_request.trigger(&mut ev, &mut |e| {
            let req = e.request.clone();
            let app = e.app.clone();
            let record = e.record.as_mut().ok_or_else(|| Error::BadRequest(CREATE_FAILED.into()))?;
            app.create_record_checked(record, &req)?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.record).flatten())
    }

    /// Saves a new record and checks the create rule against it, in one
    /// transaction (rolled back when the rule does not match).
    pub fn create_record_checked(&self, record: &mut Record, req: &RequestInfo) -> Result<()> {
        let c = record.collection.clone();
        let rule = c.rules.create.clone().unwrap_or_default();
        let check_rule = !req.is_superuser() && !rule.trim().is_empty();
        self.run_in_transaction(|tx| {
            tx.save_record(record).map_err(|e| with_message(e, CREATE_FAILED))?;
            if check_rule && !tx.record_matches_rule(&c, record.id(), &rule, req)? {
                return Err(Error::BadRequest(CREATE_FAILED.into()));
            }
            Ok(())
        })
    }

    /// `PATCH /records/{id}`: the update rule is checked against the stored
    /// record (with the submitted body as `@request.body`), then the
    /// `onRecordUpdateRequest` chain runs around the save.
    pub fn update_record_request(
        &self,
        c: &Arc<Collection>,
        id: &str,
        body: &Map<String, Value>,
        req: &RequestInfo,
    ) -> Result<Option<Record>> {
        if c.is_view() {
            return Err(Error::BadRequest(UPDATE_FAILED.into()));
        }
        let req = &rule_request(c, req);
        let mut record = self.find_record_by_rule(c, id, &c.rules.update, req)?;
        load_input(self, &mut record, body, req).map_err(|e| with_message(e, UPDATE_FAILED))?;
        let mut ev = RecordRequestEvent::new(self, c, req, Some(record));
        self.hooks().on_record_update_request.trigger(&mut ev, &mut |e| {
            let app = e.app.clone();
            let record = e.record.as_mut().ok_or_else(|| Error::BadRequest(UPDATE_FAILED.into()))?;
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
            return Err(Error::BadRequest("Failed to delete record.".into()));
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
