//! The two realtime API flows as PocketBase runs them: a connect request
//! registers a client and queues `PB_CONNECT` inside
//! `onRealtimeConnectRequest`; a subscribe request checks the form, the
//! client (id, IP, auth) and replaces its subscriptions and auth inside
//! `onRealtimeSubscribeRequest`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::client::{Client, Message};
use super::events::{IDLE_TIMEOUT, MAX_TIMEOUT, RealtimeConnectRequestEvent, RealtimeSubscribeRequestEvent};
use crate::core::app::App;
use crate::core::error::{Error, FieldErrors, Result, field_error, field_error_with};
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// Most subscriptions one request may set.
const MAX_SUBSCRIPTIONS: usize = 1000;
/// Longest subscription string.
const MAX_SUBSCRIPTION_LENGTH: usize = 2500;
/// Longest client id.
const MAX_CLIENT_ID_LENGTH: usize = 255;

/// A registered client and how long its stream may stay open.
pub struct Connected {
    pub client: Arc<Client>,
    pub idle_timeout: Duration,
    pub max_timeout: Duration,
}

/// How a message was handled by [`App::realtime_deliver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Queued,
    /// A message hook skipped it (did not call next).
    Skipped,
    /// The client is gone (discarded, overflowed or refused by a hook).
    Dropped,
}

/// The body of `POST /api/realtime`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribeForm {
    pub client_id: String,
    pub subscriptions: Vec<String>,
}

impl SubscribeForm {
    /// Reads and validates the body fields. `form_encoded`: a single
    /// `subscriptions` value arrives as a string, not a list.
    pub fn parse(body: &Map<String, Value>, form_encoded: bool) -> Result<SubscribeForm> {
        let client_id = match body.get("clientId") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(Error::bad_input()),
        };
        let subscriptions = match body.get("subscriptions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) if form_encoded => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(Error::bad_input))
                .collect::<Result<_>>()?,
            Some(_) => return Err(Error::bad_input()),
        };
        let mut errors = FieldErrors::new();
        let id_len = client_id.chars().count();
        if id_len == 0 {
            errors.insert("clientId".into(), field_error("validation_required", "Cannot be blank."));
        } else if id_len > MAX_CLIENT_ID_LENGTH {
            errors.insert(
                "clientId".into(),
                field_error_with(
                    "validation_length_out_of_range",
                    format!("The length must be between 1 and {MAX_CLIENT_ID_LENGTH}."),
                    json!({ "max": MAX_CLIENT_ID_LENGTH, "min": 1 }),
                ),
            );
        }
        if subscriptions.len() > MAX_SUBSCRIPTIONS {
            errors.insert(
                "subscriptions".into(),
                field_error_with(
                    "validation_length_too_long",
                    format!("The length must be no more than {MAX_SUBSCRIPTIONS}."),
                    json!({ "max": MAX_SUBSCRIPTIONS, "min": 0 }),
                ),
            );
        } else {
            let mut items = Map::new();
            for (i, s) in subscriptions.iter().enumerate() {
                if s.chars().count() > MAX_SUBSCRIPTION_LENGTH {
                    items.insert(
                        i.to_string(),
                        field_error_with(
                            "validation_length_too_long",
                            format!("The length must be no more than {MAX_SUBSCRIPTION_LENGTH}."),
                            json!({ "max": MAX_SUBSCRIPTION_LENGTH, "min": 0 }),
                        ),
                    );
                }
            }
            if !items.is_empty() {
                errors.insert("subscriptions".into(), Value::Object(items));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation {
                message: "Something went wrong while processing your request.".into(),
                errors,
            });
        }
        Ok(SubscribeForm { client_id, subscriptions })
    }
}

fn same_auth(a: &Record, b: &Record) -> bool {
    a.id() == b.id() && a.collection.id == b.collection.id
}

impl App {
    /// `GET /api/realtime`: registers `client` and queues `PB_CONNECT`,
    /// wrapped by `onRealtimeConnectRequest`. `None` when a hook did not
    /// call next or `PB_CONNECT` could not be delivered.
    pub fn realtime_connect_request(&self, client: Arc<Client>, req: RequestInfo) -> Result<Option<Connected>> {
        let mut ev = RealtimeConnectRequestEvent {
            app: self.clone(),
            request: req,
            client,
            idle_timeout: IDLE_TIMEOUT,
            max_timeout: MAX_TIMEOUT,
            handled: false,
        };
        let res = self.hooks().on_realtime_connect_request.trigger(&mut ev, &mut |e| {
            e.app.realtime().register(e.client.clone());
            let data = format!(r#"{{"clientId":"{}"}}"#, e.client.id());
            let sent = e.app.realtime_deliver(&e.client, Arc::new(Message::new("PB_CONNECT", data)));
            e.handled = sent != Sent::Dropped;
            Ok(())
        });
        if let Err(e) = res {
            self.realtime().unregister_client(&ev.client);
            return Err(e);
        }
        if !ev.handled {
            self.realtime().unregister_client(&ev.client);
            return Ok(None);
        }
        Ok(Some(Connected { client: ev.client, idle_timeout: ev.idle_timeout, max_timeout: ev.max_timeout }))
    }

    /// `POST /api/realtime`: replaces a client's subscriptions and sets its
    /// auth, wrapped by `onRealtimeSubscribeRequest`. `ip` is the caller's
    /// IP, which must be the one the client connected from. `false` when a
    /// hook did not call next.
    pub fn realtime_subscribe_request(&self, form: SubscribeForm, req: &RequestInfo, ip: &str) -> Result<bool> {
        let client = self
            .realtime()
            .client_by_id(&form.client_id)
            .ok_or_else(|| Error::NotFound("Missing or invalid client id.".into()))?;
        if let Some(client_ip) = client.ip()
            && client_ip != ip
        {
            // an extra guard against guessed client ids
            return Err(Error::BadRequest("Invalid realtime client.".into()));
        }
        // only a guest -> auth upgrade; any other auth change is refused
        if let Some(current) = client.auth()
            && !req.auth.as_ref().is_some_and(|a| same_auth(&current, a))
        {
            return Err(Error::Forbidden("The current and the previous request authorization don't match.".into()));
        }
        let mut ev = RealtimeSubscribeRequestEvent {
            app: self.clone(),
            request: req.clone(),
            client,
            subscriptions: form.subscriptions,
            handled: false,
        };
        self.hooks().on_realtime_subscribe_request.trigger(&mut ev, &mut |e| {
            e.client.set_auth(e.request.auth.clone());
            e.client.replace_subscriptions(&e.subscriptions);
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(v: Value) -> Result<SubscribeForm> {
        SubscribeForm::parse(v.as_object().expect("object"), false)
    }

    #[test]
    fn form_validation_matches_pocketbase() {
        let err = form(json!({})).expect_err("blank");
        let Error::Validation { errors, .. } = err else { panic!("validation") };
        assert_eq!(errors["clientId"]["code"], "validation_required");
        assert!(!errors.contains_key("subscriptions"));

        let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        let Err(Error::Validation { errors, .. }) = form(json!({"clientId": "x", "subscriptions": many})) else {
            panic!("too many")
        };
        assert_eq!(errors["subscriptions"]["code"], "validation_length_too_long");

        let long = "a".repeat(2501);
        let Err(Error::Validation { errors, .. }) =
            form(json!({"clientId": "a".repeat(256), "subscriptions": ["abc", long]}))
        else {
            panic!("too long")
        };
        assert_eq!(errors["subscriptions"]["1"]["code"], "validation_length_too_long");
        assert_eq!(errors["clientId"]["code"], "validation_length_out_of_range");

        assert!(matches!(form(json!({"clientId": 5})), Err(Error::BadRequest(_))));
        assert!(matches!(form(json!({"clientId": "x", "subscriptions": "a"})), Err(Error::BadRequest(_))));
        assert!(matches!(form(json!({"clientId": "x", "subscriptions": [1]})), Err(Error::BadRequest(_))));
        let ok = form(json!({"clientId": "x", "subscriptions": ["a", "b"]})).expect("valid");
        assert_eq!(ok.subscriptions, ["a", "b"]);
        let single = SubscribeForm::parse(json!({"clientId": "x", "subscriptions": "a"}).as_object().expect("o"), true)
            .expect("form value");
        assert_eq!(single.subscriptions, ["a"]);
    }
}
