//! OAuth2 providers as data (`providers.rs`) and the one code flow that
//! runs them (`flow.rs`): PocketBase's named providers, generic OIDC with
//! discovery and JWKS-verified id tokens, Apple's client secret.

pub mod flow;
pub mod providers;
