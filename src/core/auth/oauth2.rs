//! OAuth2 sign-in: `auth-methods` lists each configured provider with a
//! fresh state and PKCE pair; `auth-with-oauth2` exchanges the code, finds
//! the user through `_externalAuths` (or the signed-in record, or the
//! email), creates the account if needed, links it, and finishes through
//! the auth response with the provider's user as `meta`.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::METHOD_OAUTH2;
use super::otp::set_random_password;
use super::refs::EXTERNAL_AUTHS;
use super::response::AuthOutcome;
use crate::core::app::App;
use crate::core::collections::{Collection, FieldKind};
use crate::core::error::{Error, FieldErrors, Result, field_error_with};
use crate::core::events::RecordAuthRequestEvent;
use crate::core::oauth2::flow::{AuthUser, Provider, s256_challenge};
use crate::core::records::Record;
use crate::core::request::RequestInfo;
use crate::core::security::random_string;

/// The submitted `auth-with-oauth2` form.
#[derive(Debug, Clone, Default)]
pub struct OAuth2Form {
    pub provider: String,
    pub code: String,
    pub code_verifier: String,
    pub redirect_url: String,
    pub create_data: Map<String, Value>,
}

fn failed() -> Error {
    Error::BadRequest("Failed to authenticate.".into())
}

impl App {
    /// The `auth-methods` answer: only what is enabled, and only providers
    /// that can be set up.
    pub fn auth_methods(&self, c: &Collection) -> Value {
        let a = c.auth.clone().unwrap_or_default();
        let identity_fields = if a.password_auth.enabled { a.password_auth.identity_fields.clone() } else { vec![] };
        let mut providers = Vec::new();
        if a.oauth2.enabled {
            for cfg in &a.oauth2.providers {
                let mut p = match Provider::from_config(cfg) {
                    Ok(p) => p,
                    Err(err) => {
                        tracing::debug!("skipping OAuth2 provider {}: {err}", cfg.name);
                        continue;
                    }
                };
                if let Err(err) = p.discover() {
                    tracing::warn!("skipping OAuth2 provider {}: {err}", cfg.name);
                    continue;
                }
                let state = random_string(30);
                let (verifier, challenge) = if p.pkce {
                    let v = random_string(43);
                    let ch = s256_challenge(&v);
                    (v, ch)
                } else {
                    (String::new(), String::new())
                };
                let auth_url =
                    format!("{}&redirect_uri=", p.build_auth_url(&state, p.pkce.then_some(challenge.as_str())));
                providers.push(json!({
                    "name": cfg.name,
                    "displayName": p.display_name,
                    "logo": crate::core::oauth2::providers::logo(&cfg.name),
                    "state": state,
                    "authURL": auth_url,
                    "authUrl": auth_url,
                    "codeVerifier": verifier,
                    "codeChallenge": challenge,
                    "codeChallengeMethod": if p.pkce { "S256" } else { "" },
                }));
            }
        }
        let legacy: Vec<Value> = providers
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p["logo"] = json!("");
                p
            })
            .collect();
        json!({
            "password": {"enabled": a.password_auth.enabled, "identityFields": identity_fields},
            "oauth2": {"enabled": a.oauth2.enabled, "providers": providers},
            "mfa": {"enabled": a.mfa.enabled, "duration": if a.mfa.enabled { a.mfa.duration } else { 0 }},
            "otp": {"enabled": a.otp.enabled, "duration": if a.otp.enabled { a.otp.duration } else { 0 }},
            "authProviders": if a.oauth2.enabled { legacy } else { vec![] },
            "usernamePassword": a.password_auth.enabled && identity_fields.iter().any(|f| f == "username"),
            "emailPassword": a.password_auth.enabled && identity_fields.iter().any(|f| f == "email"),
        })
    }

    /// `auth-with-oauth2` (the form is already validated).
    pub fn auth_with_oauth2_request(
        &self,
        c: &Arc<Collection>,
        req: &RequestInfo,
        form: &OAuth2Form,
    ) -> Result<AuthOutcome> {
        let opts = c.auth.as_ref().ok_or_else(failed)?;
        let cfg = opts
            .oauth2
            .providers
            .iter()
            .find(|p| p.name == form.provider)
            .ok_or_else(|| Error::Internal("Missing or invalid provider config.".into()))?;
        let mut provider = Provider::from_config(cfg)
            .map_err(|e| Error::Internal(format!("Failed to init provider {}: {e}", cfg.name)))?;
        provider.discover().map_err(|e| {
            tracing::debug!("{e}");
            Error::BadRequest("Failed to fetch OAuth2 token.".into())
        })?;
        provider.redirect_url = form.redirect_url.clone();
        let token = provider.exchange(&form.code, &form.code_verifier).map_err(|e| {
            tracing::debug!("OAuth2 code exchange with {} failed: {e}", form.provider);
            Error::BadRequest("Failed to fetch OAuth2 token.".into())
        })?;
        let mut user = provider.fetch_auth_user(&token).map_err(|e| {
            tracing::debug!("OAuth2 user fetch from {} failed: {e}", form.provider);
            Error::BadRequest("Failed to fetch OAuth2 user.".into())
        })?;
        if form.provider == "apple" && user.name.is_empty() {
            let key = format!("@redirect_name_{}", form.code);
            if let Some(Value::String(name)) = self.store().lock().remove(&key) {
                user.name = name;
            }
        }
        if user.id.is_empty() {
            tracing::debug!("OAuth2 provider {} returned a user without id", form.provider);
            return Err(Error::BadRequest("Failed to fetch OAuth2 user.".into()));
        }

        let mut p = Map::new();
        p.insert("c".into(), json!(c.id));
        p.insert("p".into(), json!(form.provider));
        p.insert("i".into(), json!(user.id));
        let link = self
            .find_refs_by_filter(EXTERNAL_AUTHS, "collectionRef = {:c} && provider = {:p} && providerId = {:i}", &p)?
            .into_iter()
            .next();
        let record = match (&link, &req.auth) {
            (Some(l), _) => Some(self.find_record_by_id(c, l.get_str("recordRef"))?),
            (None, Some(auth)) if auth.collection.id == c.id => Some((**auth).clone()),
            _ if !user.email.is_empty() => self.find_auth_record_by_email(c, &user.email)?,
            _ => None,
        };
        let mut ev = RecordAuthRequestEvent::new(self, c, req);
        ev.is_new_record = record.is_none();
        ev.record = record;
        ev.provider_name = form.provider.clone();
        ev.oauth2_user = user.to_json();
        ev.create_data = form.create_data.clone();
        let mut outcome = AuthOutcome::Stopped;
        self.hooks().on_record_auth_with_oauth2_request.trigger(&mut ev, &mut |e| {
            let user = auth_user_from_json(&e.oauth2_user, &user);
            let record = e.app.oauth2_submit(e, &user, link.clone()).map_err(|err| match err {
                Error::Validation { .. } | Error::Api { .. } => err,
                other => {
                    tracing::debug!("OAuth2 submit failed: {other}");
                    failed()
                }
            })?;
            let mut meta = user.to_json();
            meta["isNew"] = json!(e.is_new_record);
            let token = e.app.new_auth_token(&record)?;
            e.record = Some(record.clone());
            outcome = e.app.auth_response(&e.request, record, token, METHOD_OAUTH2, meta)?;
            Ok(())
        })?;
        Ok(outcome)
    }

    /// The provider's avatar as a file, when the avatar is mapped to a file
    /// field and not given in `createData` (PocketBase downloads it with its
    /// public-addresses-only client, 10 s; a failure is logged and the
    /// account is created without it).
    fn oauth2_avatar(
        &self,
        c: &Collection,
        create_data: &Map<String, Value>,
        user: &AuthUser,
    ) -> Option<crate::core::files::Upload> {
        let field = c.auth.as_ref().map(|a| a.oauth2.mapped_fields.avatar_url.clone()).unwrap_or_default();
        if field.is_empty() || user.avatar_url.is_empty() || create_data.contains_key(&field) {
            return None;
        }
        if !matches!(c.field(&field).map(|f| &f.kind), Some(FieldKind::File { .. })) {
            return None;
        }
        match crate::core::files::public_url::download_public(&user.avatar_url, std::time::Duration::from_secs(10)) {
            Ok(file) => Some((field, Arc::new(file))),
            Err(err) => {
                self.log(
                    crate::core::logs::level::WARN,
                    "Failed to retrieve OAuth2 avatar",
                    json!({"error": err, "url": user.avatar_url}),
                );
                None
            }
        }
    }

    /// Creates or updates the account and the `_externalAuths` link, in
    /// one transaction (PocketBase's `oauth2Submit`).
    fn oauth2_submit(&self, e: &RecordAuthRequestEvent, user: &AuthUser, link: Option<Record>) -> Result<Record> {
        let c = e.collection.clone();
        let opts = c.auth.clone().unwrap_or_default();
        // the avatar of a new account, downloaded before the transaction
        // (a slow provider must not hold the writer)
        let avatar = if e.record.is_none() { self.oauth2_avatar(&c, &e.create_data, user) } else { None };
        self.run_in_transaction(|tx| {
            let mut link = link.clone();
            let record = match e.record.clone() {
                None => {
                    if c.is_superusers() {
                        return Err(Error::BadRequest("Superusers are not allowed to sign-up with OAuth2.".into()));
                    }
                    let mut payload = e.create_data.clone();
                    if payload.get("email").and_then(Value::as_str).is_none_or(str::is_empty) {
                        payload.insert("email".into(), json!(user.email));
                    }
                    let mapped = &opts.oauth2.mapped_fields;
                    for (field, value) in [(&mapped.id, &user.id), (&mapped.name, &user.name)] {
                        if !field.is_empty() && !payload.contains_key(field.as_str()) {
                            payload.insert(field.clone(), json!(value));
                        }
                    }
                    if !mapped.username.is_empty()
                        && !payload.contains_key(&mapped.username)
                        && tx.username_is_free(&c, &mapped.username, &user.username)?
                    {
                        payload.insert(mapped.username.clone(), json!(user.username));
                    }
                    if !mapped.avatar_url.is_empty()
                        && !payload.contains_key(&mapped.avatar_url)
                        && !user.avatar_url.is_empty()
                    {
                        match c.field(&mapped.avatar_url).map(|f| &f.kind) {
                            // downloaded above into a file
                            Some(FieldKind::File { .. }) => {}
                            Some(_) => {
                                payload.insert(mapped.avatar_url.clone(), json!(user.avatar_url));
                            }
                            None => {}
                        }
                    }
                    let uploads: Vec<crate::core::files::Upload> = avatar.iter().cloned().collect();
                    crate::core::files::merge_uploads(&c, &mut payload, &uploads);
                    if !payload.contains_key("password") {
                        let pass = random_string(30);
                        payload.insert("password".into(), json!(pass));
                        payload.insert("passwordConfirm".into(), json!(pass));
                    }
                    let mut req = e.request.clone();
                    req.context = "oauth2".into();
                    req.body = payload.clone();
                    if !uploads.is_empty() {
                        req.files = Arc::new(uploads);
                    }
                    let mut created = tx
                        .create_record_request(&c, &payload, &req)?
                        .ok_or_else(|| Error::BadRequest("Failed to create OAuth2 auth record.".into()))?;
                    if created.email() == user.email && !created.get_bool("verified") {
                        created.set_raw("verified", json!(true));
                        tx.save_record(&mut created)?;
                    }
                    created
                }
                Some(mut record) => {
                    let mut changed = false;
                    let is_signed_in =
                        e.request.auth.as_ref().is_some_and(|a| a.id() == record.id() && a.collection.id == c.id);
                    // pre-hijacking: an unverified account may have been
                    // created by someone else with a password they know
                    if !is_signed_in && !record.get_bool("verified") {
                        set_random_password(&mut record)?;
                        changed = true;
                    }
                    if !record.get_bool("verified") {
                        tx.delete_refs_by_record(EXTERNAL_AUTHS, &record)?;
                        link = None;
                    }
                    if record.email().is_empty() && !user.email.is_empty() {
                        record.set_raw("email", json!(user.email));
                        changed = true;
                    }
                    if !record.get_bool("verified") && (record.email().is_empty() || record.email() == user.email) {
                        record.set_raw("verified", json!(true));
                        changed = true;
                    }
                    if changed {
                        tx.save_record(&mut record)?;
                    }
                    record
                }
            };
            if link.is_none() {
                let mut rel = tx.new_ref_record(EXTERNAL_AUTHS, &record)?;
                rel.set_raw("provider", json!(e.provider_name));
                rel.set_raw("providerId", json!(user.id));
                tx.save_record(&mut rel)?;
            }
            Ok(record)
        })
    }

    /// Whether `username` can go into `field` of a new record: it fits the
    /// field's pattern and no record has it yet.
    fn username_is_free(&self, c: &Arc<Collection>, field: &str, username: &str) -> Result<bool> {
        let Some(f) = c.field(field) else { return Ok(false) };
        if username.is_empty() {
            return Ok(false);
        }
        if let FieldKind::Text { pattern, .. } = &f.kind
            && !pattern.is_empty()
            && !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(username))
        {
            return Ok(false);
        }
        let mut p = Map::new();
        p.insert("u".into(), json!(username));
        Ok(self.find_records_by_filter(c, &format!("{field} = {{:u}}"), "", 1, 0, Some(&p))?.is_empty())
    }
}

/// The user a hook may have changed (`e.oauth2User`), over the fetched one.
fn auth_user_from_json(v: &Value, fallback: &AuthUser) -> AuthUser {
    let s = |k: &str, d: &str| v.get(k).and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| d.to_string());
    AuthUser {
        id: s("id", &fallback.id),
        name: s("name", &fallback.name),
        username: s("username", &fallback.username),
        email: s("email", &fallback.email),
        avatar_url: s("avatarURL", &fallback.avatar_url),
        raw_user: v.get("rawUser").and_then(Value::as_object).cloned().unwrap_or_else(|| fallback.raw_user.clone()),
        access_token: s("accessToken", &fallback.access_token),
        refresh_token: s("refreshToken", &fallback.refresh_token),
        expiry: s("expiry", &fallback.expiry),
    }
}

/// Validates the `auth-with-oauth2` form.
pub fn validate_oauth2_form(c: &Collection, form: &OAuth2Form) -> Result<()> {
    let mut errors = FieldErrors::new();
    let providers = c.auth.as_ref().map(|a| a.oauth2.providers.clone()).unwrap_or_default();
    if form.provider.is_empty() {
        errors.insert("provider".into(), crate::core::error::field_error("validation_required", "Cannot be blank."));
    } else if form.provider.chars().count() > 100 {
        errors.insert(
            "provider".into(),
            crate::core::error::field_error("validation_length_out_of_range", "The length must be between 0 and 100."),
        );
    } else if !providers.iter().any(|p| p.name == form.provider) {
        errors.insert(
            "provider".into(),
            field_error_with(
                "validation_invalid_provider",
                format!("Provider with name {} is missing or is not enabled.", form.provider),
                json!({"name": form.provider}),
            ),
        );
    }
    if form.code.is_empty() {
        errors.insert("code".into(), crate::core::error::field_error("validation_required", "Cannot be blank."));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "An error occurred while loading the submitted data.".into(), errors })
    }
}
