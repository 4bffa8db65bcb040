//! The domain core: one synchronous API (`App`) used by HTTP handlers, the
//! CLI and the JS engine alike. Knows nothing of HTTP or JS.

pub mod app;
pub mod auth;
pub mod collections;
pub mod console;
pub mod cron;
pub mod datetime;
pub mod error;
pub mod events;
pub mod files;
pub mod filter;
pub mod hooks;
pub mod lenient;
pub mod logs;
pub mod mail;
pub mod oauth2;
pub mod ratelimit;
pub mod realtime;
pub mod records;
pub mod request;
pub mod request_hooks;
pub mod security;
pub mod settings;
pub mod system_migrations;

pub use app::{App, AppConfig};
pub use error::{Error, Result};
