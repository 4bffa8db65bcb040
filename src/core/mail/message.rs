//! A mail message as PocketBase's `mailer.Message` describes it (and as JS
//! builds it with `new MailerMessage({...})`), and its conversion into a
//! MIME message: HTML with a plain-text alternative, attachments, headers.

use std::collections::BTreeMap;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::core::error::{Error, Result};

/// A mail address with an optional display name (`{name, address}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
}

impl Address {
    /// An address without a name.
    pub fn new(address: &str) -> Self {
        Address { name: String::new(), address: address.to_string() }
    }

    fn mailbox(&self) -> Result<Mailbox> {
        let addr = self
            .address
            .trim()
            .parse()
            .map_err(|_| Error::BadRequest(format!("Invalid mail address {:?}.", self.address)))?;
        let name = Some(self.name.trim().to_string()).filter(|n| !n.is_empty());
        Ok(Mailbox::new(name, addr))
    }

    /// `Name <address>` (or the bare address).
    pub fn to_header(&self) -> String {
        match self.mailbox() {
            Ok(m) => m.to_string(),
            Err(_) => self.address.clone(),
        }
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub content: Vec<u8>,
}

/// One outgoing message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub from: Address,
    pub to: Vec<Address>,
    pub bcc: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub headers: BTreeMap<String, String>,
    pub attachments: Vec<Attachment>,
    pub inline_attachments: Vec<Attachment>,
}

fn addresses_json(list: &[Address]) -> Value {
    Value::Array(list.iter().map(|a| json!({"name": a.name, "address": a.address})).collect())
}

fn attachments_json(list: &[Attachment]) -> Value {
    Value::Object(
        list.iter()
            .map(|a| (a.name.clone(), Value::String(String::from_utf8_lossy(&a.content).into_owned())))
            .collect(),
    )
}

fn address_of(v: &Value) -> Option<Address> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(Address::new(s.trim())),
        Value::Object(o) => {
            let s = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let a = Address { name: s("name"), address: s("address") };
            (!a.address.is_empty()).then_some(a)
        }
        _ => None,
    }
}

fn addresses_of(v: Option<&Value>) -> Vec<Address> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(address_of).collect(),
        Some(other) => address_of(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn attachments_of(v: Option<&Value>) -> Vec<Attachment> {
    let Some(Value::Object(m)) = v else { return Vec::new() };
    m.iter()
        .map(|(name, content)| {
            let bytes = match content {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Array(items) => items.iter().filter_map(|b| b.as_u64().map(|n| n as u8)).collect(),
                other => other.to_string().into_bytes(),
            };
            Attachment { name: name.clone(), content: bytes }
        })
        .collect()
}

impl Message {
    /// The JSON shape JS sees (`message.to[0].address`, …).
    pub fn to_json(&self) -> Value {
        json!({
            "from": {"name": self.from.name, "address": self.from.address},
            "to": addresses_json(&self.to),
            "bcc": addresses_json(&self.bcc),
            "cc": addresses_json(&self.cc),
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "headers": self.headers,
            "attachments": attachments_json(&self.attachments),
            "inlineAttachments": attachments_json(&self.inline_attachments),
        })
    }

    /// Reads the JSON shape back (lenient: missing keys are empty).
    pub fn from_json(v: &Value) -> Message {
        let o = v.as_object().cloned().unwrap_or_default();
        let s = |k: &str| o.get(k).map(crate::core::records::values::to_string).unwrap_or_default();
        let headers = match o.get("headers") {
            Some(Value::Object(h)) => {
                h.iter().map(|(k, v)| (k.clone(), crate::core::records::values::to_string(v))).collect()
            }
            _ => BTreeMap::new(),
        };
        Message {
            from: o.get("from").and_then(address_of).unwrap_or_default(),
            to: addresses_of(o.get("to")),
            bcc: addresses_of(o.get("bcc")),
            cc: addresses_of(o.get("cc")),
            subject: s("subject"),
            html: s("html"),
            text: s("text"),
            headers,
            attachments: attachments_of(o.get("attachments")),
            inline_attachments: attachments_of(o.get("inlineAttachments")),
        }
    }

    /// The MIME message: `multipart/alternative` (text generated from the
    /// HTML when none is given), wrapped with inline parts and attachments.
    pub fn to_mime(&self) -> Result<lettre::Message> {
        if self.to.is_empty() && self.cc.is_empty() && self.bcc.is_empty() {
            return Err(Error::BadRequest("The message has no recipients.".into()));
        }
        let mut b = lettre::Message::builder().from(self.from.mailbox()?).subject(self.subject.clone());
        for a in &self.to {
            b = b.to(a.mailbox()?);
        }
        for a in &self.cc {
            b = b.cc(a.mailbox()?);
        }
        for a in &self.bcc {
            b = b.bcc(a.mailbox()?);
        }
        let mut has_message_id = false;
        for (k, v) in &self.headers {
            if k.eq_ignore_ascii_case("message-id") {
                has_message_id = true;
            }
            let name = HeaderName::new_from_ascii(k.clone())
                .map_err(|_| Error::BadRequest(format!("Invalid mail header name {k:?}.")))?;
            b = b.raw_header(HeaderValue::new(name, v.clone()));
        }
        if !has_message_id && let Some((_, domain)) = self.from.address.split_once('@') {
            let id = crate::core::security::random_string(15);
            b = b.message_id(Some(format!("<{id}@{domain}>")));
        }
        let text = if self.text.is_empty() { super::templates::html_to_text(&self.html) } else { self.text.clone() };
        let mut body = if self.html.is_empty() {
            MultiPart::mixed().singlepart(SinglePart::plain(text))
        } else {
            MultiPart::alternative_plain_html(text, self.html.clone())
        };
        if !self.inline_attachments.is_empty() {
            let mut related = MultiPart::related().multipart(body);
            for a in &self.inline_attachments {
                related =
                    related.singlepart(MimeAttachment::new_inline(a.name.clone()).body(a.content.clone(), sniff(a)));
            }
            body = related;
        }
        if !self.attachments.is_empty() {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &self.attachments {
                mixed = mixed.singlepart(MimeAttachment::new(a.name.clone()).body(a.content.clone(), sniff(a)));
            }
            body = mixed;
        }
        b.multipart(body).map_err(|e| Error::BadRequest(format!("Invalid mail message: {e}.")))
    }

    /// A readable dump for the log fallback.
    pub fn summary(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("from".into(), json!(self.from.to_header()));
        m.insert("to".into(), json!(self.to.iter().map(Address::to_header).collect::<Vec<_>>()));
        if !self.cc.is_empty() {
            m.insert("cc".into(), json!(self.cc.iter().map(Address::to_header).collect::<Vec<_>>()));
        }
        if !self.bcc.is_empty() {
            m.insert("bcc".into(), json!(self.bcc.iter().map(Address::to_header).collect::<Vec<_>>()));
        }
        m.insert("subject".into(), json!(self.subject));
        let text = if self.text.is_empty() { super::templates::html_to_text(&self.html) } else { self.text.clone() };
        m.insert("text".into(), json!(text));
        m
    }
}

/// A content type from the attachment's name (octet-stream otherwise).
fn sniff(a: &Attachment) -> ContentType {
    let ext = a.name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    let mime = match ext.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    };
    ContentType::parse(mime).unwrap_or(ContentType::TEXT_PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_roundtrip_keeps_addresses_and_headers() {
        let v = json!({
            "from": {"address": "a@example.com", "name": "A"},
            "to": [{"address": "b@example.com"}, "c@example.com"],
            "subject": "Hi", "html": "<p>x</p>", "headers": {"X-Test": "1"},
        });
        let m = Message::from_json(&v);
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[1].address, "c@example.com");
        assert_eq!(m.headers["X-Test"], "1");
        assert_eq!(Message::from_json(&m.to_json()), m);
    }

    #[test]
    fn mime_has_both_parts_and_the_custom_header() {
        let mut m = Message::from_json(&json!({
            "from": {"address": "a@example.com"}, "to": [{"address": "b@example.com"}],
            "subject": "Hello", "html": "<p>Hi <b>there</b></p>", "headers": {"X-Custom": "yes"},
        }));
        m.attachments.push(Attachment { name: "note.txt".into(), content: b"attached".to_vec() });
        let raw = String::from_utf8(m.to_mime().expect("mime").formatted()).expect("utf8");
        assert!(raw.contains("X-Custom: yes"));
        assert!(raw.contains("Message-ID: <"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("note.txt"));
    }

    #[test]
    fn invalid_addresses_are_client_errors() {
        let m = Message::from_json(&json!({"from": {"address": "x"}, "to": ["not an address"]}));
        assert_eq!(m.to_mime().err().map(|e| e.status()), Some(400));
        let m = Message::from_json(&json!({"from": {"address": "a@example.com"}}));
        assert_eq!(m.to_mime().err().map(|e| e.status()), Some(400));
    }
}
