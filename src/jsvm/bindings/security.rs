//! `$security`: random strings, hashes and HMACs (hex), constant-time
//! comparison, AES-256-GCM encrypt/decrypt (PocketBase's format: base64 of
//! nonce + sealed data) and HS256 JWTs.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rquickjs::prelude::{Func, Opt};
use rquickjs::{Ctx, Exception, Object, Value};
use serde_json::Value as Json;
use sha2::{Digest, Sha256, Sha512};

use super::convert;
use crate::core::security;

/// Installs `$security` on the global object.
pub fn install<'js>(ctx: &Ctx<'js>, g: &Object<'js>) -> rquickjs::Result<()> {
    let sec = Object::new(ctx.clone())?;
    sec.set("randomString", Func::from(|n: f64| security::random_string(count(n))))?;
    sec.set(
        "randomStringWithAlphabet",
        Func::from(|n: f64, alphabet: String| security::random_string_with_alphabet(count(n), alphabet.as_bytes())),
    )?;
    // PocketBase's pseudorandom variants trade strength for speed; the
    // CSPRNG is fast enough to serve both
    sec.set("pseudorandomString", Func::from(|n: f64| security::random_string(count(n))))?;
    sec.set(
        "pseudorandomStringWithAlphabet",
        Func::from(|n: f64, alphabet: String| security::random_string_with_alphabet(count(n), alphabet.as_bytes())),
    )?;
    sec.set("randomStringByRegex", Func::from(|pattern: String| security::random_by_pattern(&pattern)))?;
    sec.set("md5", Func::from(|text: String| hex(&md5::Md5::digest(text.as_bytes()))))?;
    sec.set("sha256", Func::from(|text: String| hex(&Sha256::digest(text.as_bytes()))))?;
    sec.set("sha512", Func::from(|text: String| hex(&Sha512::digest(text.as_bytes()))))?;
    sec.set("hs256", Func::from(|text: String, secret: String| hmac_hex::<Hmac<Sha256>>(&text, &secret)))?;
    sec.set("hs512", Func::from(|text: String, secret: String| hmac_hex::<Hmac<Sha512>>(&text, &secret)))?;
    sec.set("equal", Func::from(|a: String, b: String| constant_time_eq(a.as_bytes(), b.as_bytes())))?;
    sec.set("encrypt", Func::from(encrypt))?;
    sec.set("decrypt", Func::from(decrypt))?;
    sec.set("createJWT", Func::from(create_jwt))?;
    sec.set("parseJWT", Func::from(parse_jwt))?;
    sec.set("parseUnverifiedJWT", Func::from(parse_unverified_jwt))?;
    g.set("$security", sec)
}

/// A non-negative count from a JS number (sizes of random strings).
fn count(n: f64) -> usize {
    if n.is_finite() && n > 0.0 { (n as usize).min(1 << 20) } else { 0 }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_hex<M: Mac + KeyInit>(text: &str, secret: &str) -> String {
    match <M as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(text.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Bytes of a string or a byte array argument.
fn bytes_of(v: Value<'_>) -> rquickjs::Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.to_string()?.into_bytes());
    }
    Ok(match convert::to_json(v)? {
        Json::Array(items) => items.iter().filter_map(Json::as_u64).map(|b| b as u8).collect(),
        Json::Null => Vec::new(),
        other => other.to_string().into_bytes(),
    })
}

fn encrypt<'js>(ctx: Ctx<'js>, data: Value<'js>, key: String) -> rquickjs::Result<String> {
    security::encrypt(&bytes_of(data)?, &key).map_err(|e| Exception::throw_message(&ctx, &e.to_string()))
}

fn decrypt<'js>(ctx: Ctx<'js>, cipher_text: String, key: String) -> rquickjs::Result<Vec<u8>> {
    security::decrypt(&cipher_text, &key).map_err(|e| Exception::throw_message(&ctx, &e.to_string()))
}

/// `createJWT(payload, key, seconds)`: HS256 with `exp` = now + seconds (0
/// gives an already expired token, like PocketBase).
fn create_jwt<'js>(ctx: Ctx<'js>, payload: Value<'js>, key: String, seconds: Opt<f64>) -> rquickjs::Result<String> {
    let mut claims = convert::to_json_map(payload)?;
    let exp = chrono::Utc::now().timestamp().saturating_add(seconds.0.unwrap_or(0.0) as i64);
    claims.insert("exp".into(), Json::from(exp));
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key.as_bytes()))
        .map_err(|e| Exception::throw_message(&ctx, &e.to_string()))
}

fn parse_jwt<'js>(ctx: Ctx<'js>, token: String, key: String) -> rquickjs::Result<Value<'js>> {
    let mut v = Validation::new(Algorithm::HS256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let data = jsonwebtoken::decode::<Json>(&token, &DecodingKey::from_secret(key.as_bytes()), &v)
        .map_err(|e| Exception::throw_message(&ctx, &format!("invalid token: {e}")))?;
    // expired from its `exp` second on, so a 0 duration is expired at once
    if let Some(exp) = data.claims.get("exp").and_then(Json::as_f64)
        && exp <= chrono::Utc::now().timestamp() as f64
    {
        return Err(Exception::throw_message(&ctx, "invalid token: token is expired"));
    }
    convert::to_js(&ctx, &data.claims)
}

fn parse_unverified_jwt<'js>(ctx: Ctx<'js>, token: String) -> rquickjs::Result<Value<'js>> {
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice::<Json>(&b).ok())
        .filter(Json::is_object)
        .ok_or_else(|| Exception::throw_message(&ctx, "invalid token: malformed payload"))?;
    convert::to_js(&ctx, &claims)
}

/// `__native.base64EncodeText(text)`: standard base64 of the UTF-8 text.
pub fn base64_encode_text(text: String) -> String {
    STANDARD.encode(text.as_bytes())
}

/// `__native.base64DecodeText(b64)`: the text, or null when the input is
/// not standard base64 of UTF-8 text.
pub fn base64_decode_text(b64: String) -> Option<String> {
    STANDARD.decode(b64.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex() {
        assert_eq!(hex(&md5::Md5::digest(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hmac_hex::<Hmac<Sha256>>("abc", "key").len(), 64);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
