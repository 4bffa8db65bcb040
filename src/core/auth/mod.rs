//! Authentication primitives: password hashes and record tokens.

pub mod flows;
pub mod password;
pub mod tokens;
