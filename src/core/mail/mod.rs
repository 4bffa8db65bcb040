//! Outgoing mail: messages, the SMTP / sendmail / log client, PocketBase's
//! templates and placeholders, and the mails of the auth flows.

pub mod client;
pub mod message;
pub mod record;
pub mod templates;

pub use client::{MailClient, Transport};
pub use message::{Address, Attachment, Message};
