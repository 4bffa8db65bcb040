//! The OAuth2 redirect (`/api/oauth2-redirect`) as PocketBase runs it: the
//! provider sends the browser back with `state` (a realtime client id),
//! `code` and maybe `error`; the client that subscribed to `@oauth2` gets
//! them as one message and finishes the sign-in with
//! `auth-with-oauth2` (the SDK's `authWithOAuth2()` popup flow).

use std::sync::Arc;

use serde_json::Value;

use super::client::Message;
use super::requests::Sent;
use crate::core::app::App;

/// The topic a client subscribes to for the redirect data.
pub const OAUTH2_TOPIC: &str = "@oauth2";
/// Where Apple's first-login user name waits for `auth-with-oauth2`
/// (`<prefix><code>` in the app store).
pub const APPLE_NAME_KEY_PREFIX: &str = "@redirect_name_";
/// Longest app store key for an Apple name (a huge code stores nothing).
const MAX_APPLE_NAME_KEY: usize = 1000;
/// Longest Apple user name kept (bytes, cut at a character boundary).
const MAX_APPLE_NAME: usize = 150;

/// What the provider sent back (query of a GET, body of a `form_post`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedirectData {
    pub state: String,
    pub code: String,
    pub error: String,
    /// Apple only: the user's name as JSON, sent on the first sign-in.
    pub apple_user: String,
}

/// How a redirect ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedirectOutcome {
    /// The client got a code and no error: send the browser to the
    /// success page (else the failure page).
    pub success: bool,
    /// An Apple user name stored under this app store key: remove it
    /// after a minute (the caller owns the timers).
    pub stored_name_key: Option<String>,
}

impl RedirectData {
    /// The `@oauth2` message data in PocketBase's key order:
    /// `{"state","code"}` plus `"error"` when set.
    fn message_json(&self) -> String {
        let text = |v: &str| Value::String(v.to_string()).to_string();
        let error = if self.error.is_empty() { String::new() } else { format!(r#","error":{}"#, text(&self.error)) };
        format!(r#"{{"state":{},"code":{}{error}}}"#, text(&self.state), text(&self.code))
    }
}

/// "First Last" from Apple's `user` JSON (`{"name":{"firstName","lastName"}}`),
/// at most [`MAX_APPLE_NAME`] bytes; `None` when unreadable or blank.
fn apple_full_name(user: &str) -> Option<String> {
    let v: Value = serde_json::from_str(user).ok()?;
    let part = |k: &str| v.get("name").and_then(|n| n.get(k)).and_then(Value::as_str).unwrap_or_default();
    let mut full = format!("{} {}", part("firstName"), part("lastName"));
    if full.len() > MAX_APPLE_NAME {
        let mut end = MAX_APPLE_NAME;
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        full.truncate(end);
    }
    let full = full.trim();
    (!full.is_empty()).then(|| full.to_string())
}

impl App {
    /// Hands the provider's redirect to the realtime client named by
    /// `state`, which must be connected from `ip` (clients registered
    /// without an IP, from JS, are not checked) and subscribed to
    /// `@oauth2`. The subscription is used up by any redirect that reached
    /// the client. Never an error: a bad redirect is a failure page.
    pub fn realtime_oauth2_redirect(&self, data: &RedirectData, ip: &str) -> RedirectOutcome {
        let failure = RedirectOutcome::default();
        if data.state.is_empty() {
            tracing::debug!("OAuth2 redirect without a state parameter");
            return failure;
        }
        let client = match self.realtime().client_by_id(&data.state) {
            Some(c) if !c.is_discarded() && c.has_subscription(OAUTH2_TOPIC) => c,
            _ => {
                tracing::debug!("OAuth2 redirect for a missing or unsubscribed realtime client {}", data.state);
                return failure;
            }
        };
        // one redirect per subscription, whatever happens next
        let outcome = self.oauth2_redirect_to(&client, data, ip);
        client.unsubscribe(&[OAUTH2_TOPIC]);
        outcome
    }

    fn oauth2_redirect_to(&self, client: &Arc<super::Client>, data: &RedirectData, ip: &str) -> RedirectOutcome {
        let mut outcome = RedirectOutcome::default();
        // a redirect completed from elsewhere is refused (XSRF guard)
        if client.ip().is_some_and(|client_ip| client_ip != ip) {
            tracing::debug!("OAuth2 redirect from another IP than the realtime client {}", client.id());
            return outcome;
        }
        if !data.apple_user.is_empty() && data.error.is_empty() && !data.code.is_empty() {
            let key = format!("{APPLE_NAME_KEY_PREFIX}{}", data.code);
            match apple_full_name(&data.apple_user) {
                Some(name) if key.len() <= MAX_APPLE_NAME_KEY => {
                    self.store().lock().insert(key.clone(), Value::String(name));
                    outcome.stored_name_key = Some(key);
                }
                _ => tracing::debug!("OAuth2 redirect: Apple user name not stored"),
            }
        }
        let message = Arc::new(Message::new(OAUTH2_TOPIC, data.message_json()));
        let sent = self.realtime_deliver(client, message);
        outcome.success = sent != Sent::Dropped && data.error.is_empty() && !data.code.is_empty();
        if !outcome.success {
            tracing::debug!("OAuth2 redirect failed: error {:?}, code given {}", data.error, !data.code.is_empty());
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_omits_an_empty_error() {
        let d = RedirectData { state: "s".into(), code: "c".into(), ..Default::default() };
        assert_eq!(d.message_json(), r#"{"state":"s","code":"c"}"#);
        let d = RedirectData { state: "s".into(), error: "access \"denied\"".into(), ..Default::default() };
        assert_eq!(d.message_json(), r#"{"state":"s","code":"","error":"access \"denied\""}"#);
        let parsed: Value = serde_json::from_str(&d.message_json()).expect("valid JSON");
        assert_eq!(parsed["error"], "access \"denied\"");
    }

    #[test]
    fn apple_names_are_joined_trimmed_and_bounded() {
        assert_eq!(apple_full_name(r#"{"name":{"firstName":"Ann","lastName":"Lee"}}"#).as_deref(), Some("Ann Lee"));
        assert_eq!(apple_full_name(r#"{"name":{"firstName":"Ann"}}"#).as_deref(), Some("Ann"));
        assert_eq!(apple_full_name(r#"{"name":{}}"#), None);
        assert_eq!(apple_full_name("not json"), None);
        let long = format!(r#"{{"name":{{"firstName":"{}"}}}}"#, "é".repeat(200));
        let name = apple_full_name(&long).expect("name");
        assert!(name.len() <= MAX_APPLE_NAME && name.chars().all(|c| c == 'é'));
    }
}
