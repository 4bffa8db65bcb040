//! Stateless JWTs with PocketBase's claims. The signing key is the record's
//! `tokenKey` + the collection's per-type secret, so a password change
//! (new tokenKey) or a rotated secret invalidates old tokens.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Token kinds PocketBase issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Auth,
    File,
    Verification,
    PasswordReset,
    EmailChange,
}

impl TokenType {
    /// The `type` claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Auth => "auth",
            TokenType::File => "file",
            TokenType::Verification => "verification",
            TokenType::PasswordReset => "passwordReset",
            TokenType::EmailChange => "emailChange",
        }
    }
}

/// The claims every record token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, rename = "collectionId")]
    pub collection_id: String,
    #[serde(default)]
    pub exp: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Signs claims with HS256.
pub fn sign(claims: &Claims, key: &str) -> Result<String, String> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key.as_bytes()))
        .map_err(|e| e.to_string())
}

/// Reads the claims without checking the signature (to find the record).
pub fn peek(token: &str) -> Option<Claims> {
    jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token).ok()
}

/// Verifies signature and expiry.
pub fn verify(token: &str, key: &str) -> Option<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.required_spec_claims.clear();
    v.validate_exp = true;
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key.as_bytes()), &v).ok().map(|d| d.claims)
}

/// Builds claims expiring `duration_secs` from now.
pub fn claims(kind: TokenType, id: &str, collection_id: &str, duration_secs: i64, extra: Map<String, Value>) -> Claims {
    Claims {
        id: id.to_string(),
        kind: kind.as_str().to_string(),
        collection_id: collection_id.to_string(),
        exp: chrono::Utc::now().timestamp() + duration_secs,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_only_with_the_same_key() {
        let c = claims(TokenType::Auth, "abc", "col", 60, Map::new());
        let t = sign(&c, "key1").expect("signs");
        assert_eq!(verify(&t, "key1").map(|c| c.id), Some("abc".into()));
        assert!(verify(&t, "key2").is_none());
        assert_eq!(peek(&t).map(|c| c.collection_id), Some("col".into()));
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let c = claims(TokenType::Auth, "abc", "col", -10, Map::new());
        let t = sign(&c, "k").expect("signs");
        assert!(verify(&t, "k").is_none());
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(peek("not-a-token").is_none());
        assert!(verify("a.b.c", "k").is_none());
    }
}
