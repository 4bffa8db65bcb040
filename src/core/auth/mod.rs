//! Authentication: password hashes, record tokens, password login, MFA, the
//! system collections that hang off auth records, and the final auth
//! response every token-issuing flow goes through.

pub mod flows;
pub mod login;
pub mod mfa;
pub mod oauth2;
pub mod origins;
pub mod otp;
pub mod password;
pub mod recovery;
pub mod refs;
pub mod response;
pub mod tokens;

/// Auth method names as PocketBase records them (`_mfas.method`, `e.authMethod`).
pub const METHOD_PASSWORD: &str = "password";
/// One-time password login.
pub const METHOD_OTP: &str = "otp";
/// OAuth2 login.
pub const METHOD_OAUTH2: &str = "oauth2";
