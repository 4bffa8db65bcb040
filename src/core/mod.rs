//! The domain core: one synchronous API (`App`) used by HTTP handlers, the
//! CLI and the JS engine alike. Knows nothing of HTTP or JS.

pub mod collections;
pub mod datetime;
pub mod error;
pub mod filter;
pub mod records;
pub mod request;
pub mod security;

pub use error::{Error, Result};
