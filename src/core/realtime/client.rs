//! One realtime client: its id, its subscriptions, its auth and small
//! key/value store (PocketBase's `client.Get/Set`), and the bounded queue
//! its SSE stream reads. Kept small: an idle guest client is an id, an
//! empty queue and an empty subscription list.

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::queue::{Pushed, Queue};
use super::topic::{Subscription, SubscriptionOptions};
use crate::core::records::Record;

/// The store key of a client's auth record (PocketBase's `RealtimeClientAuthKey`).
pub const AUTH_KEY: &str = "auth";
/// The store key of the IP the client connected from (`RealtimeClientIPKey`).
pub const IP_KEY: &str = "pbRealtimeClientIP";

/// Length of generated client ids (PocketBase's).
const ID_LENGTH: usize = 40;

/// A message for a client: an SSE event name and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub name: String,
    pub data: Vec<u8>,
}

impl Message {
    /// A message with text data.
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Message { name: name.into(), data: data.into() }
    }
}

#[derive(Default)]
struct State {
    subscriptions: Vec<Subscription>,
    auth: Option<Arc<Record>>,
    /// `collectionId/recordId` of `auth` ("" for guests): groups clients
    /// that see records the same way.
    auth_key: Arc<str>,
    ip: Option<Box<str>>,
    store: Option<Box<Map<String, Value>>>,
}

/// What the fan-out needs from a client for one record event.
pub(crate) struct Matched {
    pub subscriptions: Vec<Subscription>,
    pub auth: Option<Arc<Record>>,
    pub auth_key: Arc<str>,
}

/// A subscriptions client.
pub struct Client {
    id: Arc<str>,
    queue: Queue,
    state: Mutex<State>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::with_id(&crate::core::security::random_string(ID_LENGTH))
    }
}

impl Client {
    /// A new client with a random id.
    pub fn new() -> Arc<Client> {
        Arc::new(Client::default())
    }

    /// A client with a chosen id (custom clients registered from JS).
    pub fn with_id(id: &str) -> Client {
        Client { id: Arc::from(id), queue: Queue::default(), state: Mutex::new(State::default()) }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn id_arc(&self) -> Arc<str> {
        self.id.clone()
    }

    /// The queue its stream reads.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The subscriptions whose string (plus `?`) starts with one of
    /// `prefixes`; all of them without prefixes. (name, options) pairs.
    pub fn subscriptions(&self, prefixes: &[String]) -> Vec<(String, SubscriptionOptions)> {
        let st = self.state.lock();
        st.subscriptions
            .iter()
            .filter(|s| prefixes.is_empty() || prefixes.iter().any(|p| s.matches_prefix(p)))
            .map(|s| (s.raw.to_string(), (*s.options).clone()))
            .collect()
    }

    /// Adds subscriptions (empty strings and ones it has are skipped).
    pub fn subscribe<S: AsRef<str>>(&self, subs: &[S]) {
        let mut st = self.state.lock();
        for raw in subs.iter().map(AsRef::as_ref).filter(|s| !s.is_empty()) {
            if !st.subscriptions.iter().any(|e| &*e.raw == raw) {
                st.subscriptions.push(Subscription::parse(raw));
            }
        }
    }

    /// Removes the listed subscriptions, or all of them when `subs` is empty.
    pub fn unsubscribe<S: AsRef<str>>(&self, subs: &[S]) {
        let mut st = self.state.lock();
        if subs.is_empty() {
            st.subscriptions = Vec::new();
        } else {
            st.subscriptions.retain(|e| !subs.iter().any(|s| *e.raw == *s.as_ref()));
        }
    }

    /// Replaces all subscriptions at once (a subscribe request); the
    /// ones kept are not renewed, so no event in flight is missed.
    pub fn replace_subscriptions<S: AsRef<str>>(&self, subs: &[S]) {
        let wanted: Vec<&str> = subs.iter().map(AsRef::as_ref).filter(|s| !s.is_empty()).collect();
        let mut st = self.state.lock();
        let mut kept: Vec<Subscription> = Vec::with_capacity(wanted.len());
        for raw in wanted {
            if kept.iter().any(|k| &*k.raw == raw) {
                continue;
            }
            match st.subscriptions.iter().find(|e| &*e.raw == raw) {
                Some(existing) => kept.push(existing.clone()),
                None => kept.push(Subscription::parse(raw)),
            }
        }
        st.subscriptions = kept;
    }

    /// Whether the client has exactly this subscription.
    pub fn has_subscription(&self, sub: &str) -> bool {
        self.state.lock().subscriptions.iter().any(|s| &*s.raw == sub)
    }

    /// How many subscriptions the client has.
    pub fn subscriptions_count(&self) -> usize {
        self.state.lock().subscriptions.len()
    }

    /// The subscriptions made before `before` whose topic is one of
    /// `topics`, with the auth to check them with. `None` when there is none.
    pub(crate) fn matching(&self, topics: &[&str], before: u64) -> Option<Matched> {
        let st = self.state.lock();
        let mut found: Vec<Subscription> = Vec::new();
        for s in &st.subscriptions {
            if s.since < before && topics.contains(&s.topic()) {
                found.push(s.clone());
            }
        }
        if found.is_empty() {
            return None;
        }
        Some(Matched { subscriptions: found, auth: st.auth.clone(), auth_key: st.auth_key.clone() })
    }

    /// The auth record the client subscribed with.
    pub fn auth(&self) -> Option<Arc<Record>> {
        self.state.lock().auth.clone()
    }

    /// Sets (or with `None` clears) the client's auth.
    pub fn set_auth(&self, auth: Option<Arc<Record>>) {
        let key: Arc<str> = match &auth {
            Some(a) => Arc::from(format!("{}/{}", a.collection.id, a.id())),
            None => Arc::from(""),
        };
        let mut st = self.state.lock();
        st.auth = auth;
        st.auth_key = key;
    }

    /// The IP the client connected from, if known.
    pub fn ip(&self) -> Option<String> {
        self.state.lock().ip.as_deref().map(str::to_string)
    }

    /// Remembers the IP the client connected from.
    pub fn set_ip(&self, ip: &str) {
        self.state.lock().ip = (!ip.is_empty()).then(|| Box::from(ip));
    }

    /// A value of the client's store (`auth` and the IP key included).
    pub fn get(&self, key: &str) -> Option<StoreValue> {
        let st = self.state.lock();
        match key {
            AUTH_KEY => st.auth.clone().map(StoreValue::Auth),
            IP_KEY => st.ip.as_deref().map(|ip| StoreValue::Json(Value::String(ip.to_string()))),
            _ => st.store.as_ref().and_then(|m| m.get(key)).cloned().map(StoreValue::Json),
        }
    }

    /// Stores a value (`auth` takes a record, the IP key a string).
    pub fn set(&self, key: &str, value: StoreValue) {
        match (key, value) {
            (AUTH_KEY, StoreValue::Auth(r)) => self.set_auth(Some(r)),
            (AUTH_KEY, StoreValue::Json(Value::Null)) => self.set_auth(None),
            (IP_KEY, StoreValue::Json(Value::String(ip))) => self.set_ip(&ip),
            (_, StoreValue::Json(v)) => {
                let mut st = self.state.lock();
                st.store.get_or_insert_with(Default::default).insert(key.to_string(), v);
            }
            (_, StoreValue::Auth(r)) => {
                let mut st = self.state.lock();
                st.store.get_or_insert_with(Default::default).insert(key.to_string(), r.to_json());
            }
        }
    }

    /// Removes a store value.
    pub fn unset(&self, key: &str) {
        match key {
            AUTH_KEY => self.set_auth(None),
            IP_KEY => self.state.lock().ip = None,
            _ => {
                let mut st = self.state.lock();
                if let Some(m) = st.store.as_mut() {
                    m.remove(key);
                    if m.is_empty() {
                        st.store = None;
                    }
                }
            }
        }
    }

    /// Queues a message as is (no hooks); see `Broker::send` for the
    /// message hooks and dropping overflowed clients.
    pub fn push(&self, message: Arc<Message>) -> Pushed {
        self.queue.push(message)
    }

    /// Marks the client as gone: nothing more is queued, its stream ends
    /// after what is already queued.
    pub fn discard(&self) {
        self.queue.close();
    }

    /// Whether the client was discarded.
    pub fn is_discarded(&self) -> bool {
        self.queue.is_closed()
    }
}

/// A value of a client's store.
#[derive(Debug, Clone)]
pub enum StoreValue {
    Auth(Arc<Record>),
    Json(Value),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_40_random_chars() {
        let a = Client::new();
        let b = Client::new();
        assert_eq!(a.id().len(), 40);
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn subscriptions_replace_and_match() {
        let c = Client::new();
        c.subscribe(&["test0"]);
        c.replace_subscriptions(&["posts/*", "", "posts/abc?options=%7B%7D", "posts/*"]);
        assert!(!c.has_subscription("test0"));
        assert_eq!(c.subscriptions_count(), 2);
        let m = c.matching(&["posts/abc"], u64::MAX).expect("matched");
        assert_eq!(&*m.subscriptions[0].raw, "posts/abc?options=%7B%7D");
        assert!(c.matching(&["users/*"], u64::MAX).is_none());
        let before = crate::core::realtime::topic::next_sequence();
        c.replace_subscriptions(&["posts/*", "posts/new"]);
        assert!(c.matching(&["posts/*"], before).is_some(), "a kept subscription keeps its age");
        assert!(c.matching(&["posts/new"], before).is_none(), "a newer subscription misses older events");
        assert_eq!(c.subscriptions(&["posts/*?".into()]).len(), 1);
        c.unsubscribe(&["posts/*"]);
        assert_eq!(c.subscriptions(&[]).len(), 1);
    }

    #[test]
    fn store_values_round_trip() {
        let c = Client::new();
        c.set("x", StoreValue::Json(Value::from(5)));
        assert!(matches!(c.get("x"), Some(StoreValue::Json(v)) if v == 5));
        c.unset("x");
        assert!(c.get("x").is_none());
        c.set(IP_KEY, StoreValue::Json(Value::from("127.0.0.1")));
        assert_eq!(c.ip().as_deref(), Some("127.0.0.1"));
        assert!(c.get(AUTH_KEY).is_none());
    }
}
