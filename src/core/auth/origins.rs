//! Login origins (`_authOrigins`): a fingerprint of client IP + user agent
//! per successful login, so a login from a new place can be told apart and
//! the account owner warned by mail (when the collection's authAlert is on).

use md5::{Digest, Md5};
use serde_json::json;

use super::refs::AUTH_ORIGINS;
use crate::core::app::App;
use crate::core::error::Result;
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// Origins kept per record (the oldest go).
const MAX_AUTH_ORIGINS: usize = 5;

fn user_agent(req: &RequestInfo) -> String {
    let ua = req.headers.get("user_agent").and_then(|v| v.as_str()).unwrap_or_default();
    if ua.len() > 200 {
        let mut cut = 200;
        while !ua.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &ua[..cut])
    } else {
        ua.to_string()
    }
}

impl App {
    /// Records the login's origin; for a known account seen from a new one,
    /// sends the new-location alert (in the background).
    pub fn track_auth_origin(&self, record: &Record, req: &RequestInfo) -> Result<()> {
        let ip = super::otp::client_key(req);
        let ua = user_agent(req);
        let fingerprint = format!("{:x}", Md5::digest(format!("{ip}{ua}").as_bytes()));
        let origins = self.find_refs_by_record(AUTH_ORIGINS, record)?;
        let first_login = origins.is_empty();
        let existing = origins.iter().find(|o| o.get_str("fingerprint") == fingerprint).cloned();
        let is_new = existing.is_none();
        let mut current = match existing {
            Some(o) => o,
            None => {
                let mut o = self.new_ref_record(AUTH_ORIGINS, record)?;
                o.set_raw("fingerprint", json!(fingerprint));
                o
            }
        };
        if !first_login && is_new && !record.email().is_empty() {
            let info = format!("{} - {ip} {ua}", crate::core::datetime::now());
            let (app, record) = (self.without_tx(), record.clone());
            std::thread::spawn(move || {
                if let Err(err) = app.send_record_auth_alert(&record, &info) {
                    tracing::warn!("failed to send the login alert: {err}");
                }
            });
        }
        if is_new && origins.len() >= MAX_AUTH_ORIGINS {
            for old in &origins[MAX_AUTH_ORIGINS - 1..] {
                if let Err(err) = self.delete_record(old) {
                    tracing::warn!("failed to delete the old auth origin {}: {err}", old.id());
                }
            }
        }
        self.save_record(&mut current)
    }
}
