//! Subscription strings as the SDK sends them: a topic (`posts/*`,
//! `posts/RECORD_ID`, a custom name) optionally followed by
//! `?options=<url-encoded JSON {"query":{…},"headers":{…}}>`. The whole
//! string names the subscription (it is the SSE event name); the options
//! become the `@request.query`/`@request.headers` of that subscription's
//! rule checks, `filter`, `expand` and `fields`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

/// Orders subscriptions and record events: the fan-out runs after the
/// write, so an event only goes to subscriptions older than it (as if it
/// had been sent at commit time, like PocketBase does).
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// The next point in the subscriptions/events order.
pub fn next_sequence() -> u64 {
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// The per-subscription request options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionOptions {
    /// Query parameters (string values).
    pub query: Arc<Map<String, Value>>,
    /// Headers, names snake-cased like PocketBase (`X-Token` → `x_token`).
    pub headers: Arc<Map<String, Value>>,
}

impl SubscriptionOptions {
    /// A query parameter ("" when absent).
    pub fn query_param(&self, name: &str) -> &str {
        self.query.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    /// The options as JSON (`{"query":{…},"headers":{…}}`).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("query".into(), Value::Object((*self.query).clone()));
        m.insert("headers".into(), Value::Object((*self.headers).clone()));
        Value::Object(m)
    }
}

/// One subscription of a client.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The string as submitted (the event name of its messages).
    pub raw: Arc<str>,
    /// Byte length of the topic part of `raw` (before the first `?`).
    topic_len: usize,
    pub options: Arc<SubscriptionOptions>,
    /// When it was made (see [`next_sequence`]).
    pub since: u64,
}

impl Subscription {
    /// Parses a submitted subscription string.
    pub fn parse(raw: &str) -> Subscription {
        let topic_len = raw.find('?').unwrap_or(raw.len());
        let options = raw.get(topic_len + 1..).map(parse_options).unwrap_or_default();
        Subscription { raw: Arc::from(raw), topic_len, options: Arc::new(options), since: next_sequence() }
    }

    /// The topic part (`posts/*`).
    pub fn topic(&self) -> &str {
        &self.raw[..self.topic_len]
    }

    /// PocketBase's prefix match: the subscription plus a trailing `?`
    /// starts with `prefix` (so `posts/*?` matches `posts/*` and
    /// `posts/*?options=…`, and `posts?` matches `posts` only).
    pub fn matches_prefix(&self, prefix: &str) -> bool {
        let raw = self.raw.as_bytes();
        let p = prefix.as_bytes();
        if p.len() <= raw.len() {
            return raw.starts_with(p);
        }
        p.len() == raw.len() + 1 && p.starts_with(raw) && p[raw.len()] == b'?'
    }
}

/// The `options` JSON of a subscription's query string; anything that does
/// not decode gives empty options (PocketBase ignores it the same way).
fn parse_options(query: &str) -> SubscriptionOptions {
    let Some((_, raw)) = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "options") else {
        return SubscriptionOptions::default();
    };
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&raw) else {
        return SubscriptionOptions::default();
    };
    let strings = |key: &str, rename: fn(&str) -> String| -> Map<String, Value> {
        match obj.get(key) {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (rename(k), Value::String(to_string(v)))).collect(),
            _ => Map::new(),
        }
    };
    SubscriptionOptions {
        query: Arc::new(strings("query", str::to_string)),
        headers: Arc::new(strings("headers", snakecase)),
    }
}

/// A JSON value as a single string, like Go's `cast.ToString` (objects and
/// arrays become "").
fn to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// PocketBase's `inflector.Snakecase`: ASCII letters and digits form words
/// (anything else, `_` included, separates them); inside a word an upper
/// case letter that follows a non-upper-case one starts a new part.
pub fn snakecase(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        let mut prev: Option<char> = None;
        for c in word.chars() {
            if c.is_ascii_uppercase() && prev.is_some_and(|p| !p.is_ascii_uppercase()) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev = Some(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sdk_options() {
        let opts = r#"{"query":{"filter":"a = 1","expand":"author","n":5,"f":1.5,"b":true,"o":{"x":1}},"headers":{"X-Token":"abc"}}"#;
        let raw = format!(
            "posts/*?options={}",
            percent_encoding::utf8_percent_encode(opts, percent_encoding::NON_ALPHANUMERIC)
        );
        let s = Subscription::parse(&raw);
        assert_eq!(s.topic(), "posts/*");
        assert_eq!(&*s.raw, raw);
        assert_eq!(s.options.query_param("filter"), "a = 1");
        assert_eq!(s.options.query_param("expand"), "author");
        assert_eq!(s.options.query_param("n"), "5");
        assert_eq!(s.options.query_param("f"), "1.5");
        assert_eq!(s.options.query_param("b"), "true");
        assert_eq!(s.options.query_param("o"), "");
        assert_eq!(s.options.headers.get("x_token").and_then(Value::as_str), Some("abc"));
    }

    #[test]
    fn broken_options_are_ignored() {
        for raw in ["posts/*?options=%7Bnope", "posts/*?other=1", "posts/*?", "posts/*?options=%5B1%5D"] {
            let s = Subscription::parse(raw);
            assert_eq!(s.topic(), "posts/*");
            assert!(s.options.query.is_empty() && s.options.headers.is_empty(), "{raw}");
        }
    }

    #[test]
    fn prefix_matching_follows_pocketbase() {
        let plain = Subscription::parse("posts/*");
        assert!(plain.matches_prefix("posts/*?"));
        assert!(!plain.matches_prefix("posts?"));
        let with_options = Subscription::parse("posts/*?options=%7B%7D");
        assert!(with_options.matches_prefix("posts/*?"));
        let legacy = Subscription::parse("posts");
        assert!(legacy.matches_prefix("posts?"));
        assert!(!legacy.matches_prefix("posts/*?"));
        assert!(!Subscription::parse("posts2").matches_prefix("posts?"));
        assert!(!Subscription::parse("posts/*x").matches_prefix("posts/*?"));
    }

    #[test]
    fn snakecase_matches_pocketbase() {
        assert_eq!(snakecase("X-Token"), "x_token");
        assert_eq!(snakecase("XToken"), "xtoken");
        assert_eq!(snakecase("fooBar"), "foo_bar");
        assert_eq!(snakecase("foo2Bar"), "foo2_bar");
        assert_eq!(snakecase("__a__b__"), "a_b");
        assert_eq!(snakecase("Authorization"), "authorization");
    }
}
