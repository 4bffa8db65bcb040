//! The system collections that point at an auth record through
//! `collectionRef` + `recordRef` (`_mfas`, `_otps`, `_externalAuths`,
//! `_authOrigins`): creating, finding and deleting their rows, and keeping
//! them consistent when the auth record changes or goes away.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::Result;
use crate::core::events::{CollectionEvent, RecordEvent};
use crate::core::hooks::Next;
use crate::core::records::Record;

pub const MFAS: &str = "_mfas";
pub const OTPS: &str = "_otps";
pub const EXTERNAL_AUTHS: &str = "_externalAuths";
pub const AUTH_ORIGINS: &str = "_authOrigins";

const ALL: [&str; 4] = [MFAS, OTPS, EXTERNAL_AUTHS, AUTH_ORIGINS];

fn owner_params(owner: &Record) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("c".into(), json!(owner.collection.id));
    p.insert("r".into(), json!(owner.id()));
    p
}

/// Whether a row created at `created` is older than `max_secs`.
pub fn has_expired(row: &Record, max_secs: i64) -> bool {
    match crate::core::datetime::parse(row.get_str("created")) {
        Some(t) => (chrono::Utc::now() - t).num_milliseconds() > max_secs.saturating_mul(1000),
        None => true,
    }
}

impl App {
    fn ref_collection(&self, name: &str) -> Result<Arc<Collection>> {
        self.find_collection(name)
    }

    /// A new (unsaved) row of `name` pointing at `owner`.
    pub fn new_ref_record(&self, name: &str, owner: &Record) -> Result<Record> {
        let mut r = Record::new(self.ref_collection(name)?);
        r.set_raw("collectionRef", json!(owner.collection.id));
        r.set_raw("recordRef", json!(owner.id()));
        Ok(r)
    }

    /// A row of `name` by id.
    pub fn find_ref_by_id(&self, name: &str, id: &str) -> Result<Option<Record>> {
        let c = self.ref_collection(name)?;
        match self.find_record_by_id(&c, id) {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// All rows of `name` pointing at `owner`, newest first.
    pub fn find_refs_by_record(&self, name: &str, owner: &Record) -> Result<Vec<Record>> {
        let c = self.ref_collection(name)?;
        let params = owner_params(owner);
        self.find_records_by_filter(&c, "collectionRef = {:c} && recordRef = {:r}", "-created", 0, 0, Some(&params))
    }

    /// Rows of `name` matching a filter with params.
    pub fn find_refs_by_filter(&self, name: &str, filter: &str, params: &Map<String, Value>) -> Result<Vec<Record>> {
        let c = self.ref_collection(name)?;
        self.find_records_by_filter(&c, filter, "-created", 0, 0, Some(params))
    }

    /// Deletes every row of `name` pointing at `owner`.
    pub fn delete_refs_by_record(&self, name: &str, owner: &Record) -> Result<()> {
        for r in self.find_refs_by_record(name, owner)? {
            self.delete_record(&r)?;
        }
        Ok(())
    }

    /// Deletes the `_mfas` or `_otps` rows older than their collection's
    /// MFA/OTP duration (hourly jobs, like PocketBase's).
    pub fn delete_expired_auth_refs(&self, name: &str) -> Result<()> {
        for c in self.collections().all().iter().filter(|c| c.is_auth()) {
            let Some(opts) = c.auth.as_ref() else { continue };
            let secs = if name == MFAS { opts.mfa.duration } else { opts.otp.duration };
            let cutoff = chrono::Utc::now() - chrono::Duration::seconds(secs.max(0));
            let mut p = Map::new();
            p.insert("c".into(), json!(c.id));
            p.insert("d".into(), json!(crate::core::datetime::format(cutoff)));
            for r in self.find_refs_by_filter(name, "collectionRef = {:c} && created < {:d}", &p)? {
                self.delete_record(&r)?;
            }
        }
        Ok(())
    }
}

/// Binds the consistency hooks PocketBase registers for these collections.
pub fn bind_hooks(app: &App) {
    let hooks = app.hooks();
    // a password or email change rotates the tokenKey (if the change did
    // not already), so every token issued before stops working; bound last
    // so it sees what the other handlers changed
    hooks.on_record_update.execute.bind(
        "system",
        i32::MAX,
        vec![],
        Arc::new(|e: &mut RecordEvent, next: Next<'_, RecordEvent>| {
            let r = &mut e.record;
            if r.collection.is_auth()
                && let Some(orig) = r.original.as_ref()
                && orig.get("tokenKey") == r.data.get("tokenKey")
                && (orig.get("password") != r.data.get("password") || orig.get("email") != r.data.get("email"))
            {
                r.refresh_token_key();
            }
            next(e)
        }),
    );
    // after an update of an auth record: a new tokenKey drops its OTPs, a
    // new password its MFA sessions and known login origins, and the
    // unverified -> verified upgrade its OAuth2 links (pre-hijacking)
    hooks.on_record_update.execute.bind(
        "system",
        99,
        vec![],
        Arc::new(|e: &mut RecordEvent, next: Next<'_, RecordEvent>| {
            if !e.record.collection.is_auth() {
                return next(e);
            }
            let orig = e.record.original.clone().unwrap_or_default();
            let was_verified = orig.get("verified").and_then(Value::as_bool).unwrap_or(false);
            let upgraded = !was_verified && e.record.get_bool("verified");
            if upgraded && !e.app.find_refs_by_record(EXTERNAL_AUTHS, &e.record)?.is_empty() {
                e.app.delete_refs_by_record(EXTERNAL_AUTHS, &e.record)?;
                if orig.get("tokenKey") == e.record.data.get("tokenKey") {
                    e.record.refresh_token_key();
                }
            }
            next(e)?;
            let token_key_changed = orig.get("tokenKey") != e.record.data.get("tokenKey");
            let password_changed = orig.get("password") != e.record.data.get("password");
            if token_key_changed {
                e.app.delete_refs_by_record(OTPS, &e.record)?;
            }
            if password_changed {
                e.app.delete_refs_by_record(MFAS, &e.record)?;
                if let Err(err) = e.app.delete_refs_by_record(AUTH_ORIGINS, &e.record) {
                    tracing::warn!("failed to delete the auth origins of {}: {err}", e.record.id());
                }
            }
            Ok(())
        }),
    );
    // rows go with the auth record and with the auth collection
    hooks.on_record_delete.execute.bind(
        "system",
        99,
        vec![],
        Arc::new(|e: &mut RecordEvent, next: Next<'_, RecordEvent>| {
            next(e)?;
            if e.record.collection.is_auth() {
                for name in ALL {
                    e.app.delete_refs_by_record(name, &e.record)?;
                }
            }
            Ok(())
        }),
    );
    hooks.on_collection_delete.execute.bind(
        "system",
        99,
        vec![],
        Arc::new(|e: &mut CollectionEvent, next: Next<'_, CollectionEvent>| {
            let is_auth = e.collection.is_auth();
            let id = e.collection.id.clone();
            next(e)?;
            if is_auth {
                let mut p = Map::new();
                p.insert("c".into(), json!(id));
                for name in ALL {
                    for r in e.app.find_refs_by_filter(name, "collectionRef = {:c}", &p)? {
                        e.app.delete_record(&r)?;
                    }
                }
            }
            Ok(())
        }),
    );
    for (id, name) in [("__pbMFACleanup__", MFAS), ("__pbOTPCleanup__", OTPS)] {
        let cleanup = app.downgrade();
        let job: crate::core::cron::JobFn = Arc::new(move || {
            let Some(app) = cleanup.upgrade() else { return };
            if let Err(err) = app.delete_expired_auth_refs(name) {
                tracing::warn!("failed to delete expired {name} rows: {err}");
            }
        });
        if let Err(err) = app.cron().add(id, "0 * * * *", "system", job) {
            tracing::warn!("cannot schedule {id}: {err}");
        }
    }
}
