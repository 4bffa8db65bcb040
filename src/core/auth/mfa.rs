//! Multi-factor authentication: when a collection enables MFA (and its
//! rule matches), a first successful method only yields an `_mfas` session
//! id; a second, different method within the MFA window completes the login.

use serde_json::{Value, json};

use super::refs::{MFAS, has_expired};
use crate::core::app::App;
use crate::core::error::{Error, Result};
use crate::core::records::Record;
use crate::core::request::RequestInfo;

fn mfa_id_of(req: &RequestInfo) -> String {
    let from = |m: &serde_json::Map<String, Value>| m.get("mfaId").and_then(Value::as_str).map(str::to_string);
    from(&req.query).filter(|s| !s.is_empty()).or_else(|| from(&req.body)).unwrap_or_default()
}

impl App {
    /// Whether MFA applies to `record`: its collection's MFA rule (an empty
    /// rule means always). A rule that fails to run counts as "applies".
    fn wants_mfa(&self, record: &Record, req: &RequestInfo) -> Result<bool> {
        let Some(opts) = record.collection.auth.as_ref() else { return Ok(false) };
        if opts.mfa.rule.trim().is_empty() {
            return Ok(true);
        }
        self.record_matches_rule(&record.collection, record.id(), &opts.mfa.rule, req)
            .map_err(|_| Error::BadRequest("Failed to authenticate.".into()))
    }

    /// The MFA step of an authentication with `method`: `Some(mfaId)` when
    /// this is the first factor, `None` when MFA is off, does not apply, or
    /// this is a valid second factor (the session is then consumed).
    pub fn check_mfa(&self, record: &Record, method: &str, req: &RequestInfo) -> Result<Option<String>> {
        let Some(opts) = record.collection.auth.as_ref() else { return Ok(None) };
        if !opts.mfa.enabled || method.is_empty() || !self.wants_mfa(record, req)? {
            return Ok(None);
        }
        let mfa_id = mfa_id_of(req);
        if mfa_id.is_empty() {
            let mut mfa = self.new_ref_record(MFAS, record)?;
            mfa.set_raw("method", json!(method));
            self.save_record(&mut mfa)?;
            return Ok(Some(mfa.id().to_string()));
        }
        let found = self.find_ref_by_id(MFAS, &mfa_id)?;
        let mfa = match found {
            Some(m) if !has_expired(&m, opts.mfa.duration) => m,
            expired => {
                if let Some(m) = expired
                    && let Err(err) = self.delete_record(&m)
                {
                    tracing::warn!("failed to delete the expired MFA session {}: {err}", m.id());
                }
                return Err(Error::BadRequest("Invalid or expired MFA session.".into()));
            }
        };
        if mfa.get_str("recordRef") != record.id() || mfa.get_str("collectionRef") != record.collection.id {
            return Err(Error::BadRequest("Invalid MFA session.".into()));
        }
        if mfa.get_str("method") == method {
            return Err(Error::BadRequest("A different authentication method is required.".into()));
        }
        if let Err(err) = self.delete_record(&mfa) {
            tracing::warn!("failed to delete the used MFA session {}: {err}", mfa.id());
        }
        Ok(None)
    }
}
