//! Random strings and ids, the primitives tokens, ids and secrets are made
//! of, and the AES-256-GCM sealing PocketBase uses for `$security.encrypt`
//! and `--encryptionEnv` settings.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

const ALPHANUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALPHANUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A random string of `[a-zA-Z0-9]` from the OS-seeded CSPRNG.
pub fn random_string(len: usize) -> String {
    random_string_with_alphabet(len, ALPHANUM)
}

/// A random string drawn from `alphabet`.
pub fn random_string_with_alphabet(len: usize, alphabet: &[u8]) -> String {
    if alphabet.is_empty() {
        return String::new();
    }
    let mut rng = rand::rng();
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

/// A new record id: 15 chars of `[a-z0-9]`.
pub fn new_record_id() -> String {
    random_string_with_alphabet(15, LOWER_ALPHANUM)
}

/// A random string matching a simple `[class]{n}` pattern, PocketBase's
/// `autogeneratePattern`. Falls back to 15 lowercase alphanumerics.
pub fn random_by_pattern(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('[')
            && let Some(end) = stripped.find(']')
        {
            let class = expand_class(&stripped[..end]);
            let after = &stripped[end + 1..];
            let (count, after) = parse_count(after);
            out.push_str(&random_string_with_alphabet(count, class.as_bytes()));
            rest = after;
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            if c != '^' && c != '$' {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    if out.is_empty() { new_record_id() } else { out }
}

fn expand_class(class: &str) -> String {
    let chars: Vec<char> = class.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (a, b) = (chars[i] as u32, chars[i + 2] as u32);
            for c in a..=b {
                if let Some(ch) = char::from_u32(c) {
                    out.push(ch);
                }
            }
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn parse_count(s: &str) -> (usize, &str) {
    if let Some(stripped) = s.strip_prefix('{')
        && let Some(end) = stripped.find('}')
    {
        let n = stripped[..end].split(',').next().and_then(|x| x.trim().parse().ok()).unwrap_or(1);
        return (n, &stripped[end + 1..]);
    }
    (1, s)
}

/// Why [`encrypt`] or [`decrypt`] failed, in Go's words where PocketBase
/// shows Go's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("crypto/aes: the key must be 32 bytes (AES-256), it has {0}")]
    KeySize(usize),
    #[error("illegal base64 data: {0}")]
    Base64(String),
    #[error("malformed ciphertext")]
    Malformed,
    #[error("cipher: message authentication failed")]
    Authentication,
}

fn cipher(key: &str) -> Result<Aes256Gcm, CryptoError> {
    Aes256Gcm::new_from_slice(key.as_bytes()).map_err(|_| CryptoError::KeySize(key.len()))
}

/// Seals `data` with AES-256-GCM under a 32-byte `key`: base64 (standard,
/// padded) of a random 12-byte nonce followed by the sealed bytes, the
/// format of PocketBase's `security.Encrypt`.
pub fn encrypt(data: &[u8], key: &str) -> Result<String, CryptoError> {
    let c = cipher(key)?;
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = c.encrypt(&nonce, data).map_err(|_| CryptoError::Malformed)?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

/// Opens what [`encrypt`] (or PocketBase) sealed under `key`.
pub fn decrypt(cipher_text: &str, key: &str) -> Result<Vec<u8>, CryptoError> {
    let c = cipher(key)?;
    let raw = STANDARD.decode(cipher_text.trim()).map_err(|e| CryptoError::Base64(e.to_string()))?;
    if raw.len() < 12 {
        return Err(CryptoError::Malformed);
    }
    let (nonce, sealed) = raw.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
    c.decrypt(&Nonce::from(nonce), sealed).map_err(|_| CryptoError::Authentication)
}

#[cfg(test)]
mod tests {
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";

    #[test]
    fn opens_what_pocketbase_sealed() {
        // made by PocketBase 0.40.6: $security.encrypt("settings-check: ünïcode", KEY)
        let sealed = "b/kYHsvu4x8YfAUaALlb6+ouBXVIHkDrrUi3LgeClne18VbkzJ0uyGMcoimMKj6UcXIhE4U=";
        assert_eq!(super::decrypt(sealed, KEY).expect("opens"), "settings-check: ünïcode".as_bytes());
    }

    #[test]
    fn sealing_round_trips_and_refuses_other_keys_and_tampering() {
        let sealed = super::encrypt(b"secret", KEY).expect("seals");
        assert_ne!(sealed, super::encrypt(b"secret", KEY).expect("seals"), "a fresh nonce each time");
        assert_eq!(super::decrypt(&sealed, KEY).expect("opens"), b"secret");
        let other = "bbcdefghijklmnopqrstuvwxyz012345";
        assert_eq!(super::decrypt(&sealed, other), Err(super::CryptoError::Authentication));
        let mut raw = sealed.into_bytes();
        raw[20] = if raw[20] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(raw).expect("ascii");
        assert_eq!(super::decrypt(&tampered, KEY), Err(super::CryptoError::Authentication));
        assert_eq!(super::encrypt(b"x", "short"), Err(super::CryptoError::KeySize(5)));
        assert_eq!(super::decrypt("AAAA", KEY), Err(super::CryptoError::Malformed));
    }

    use super::*;

    #[test]
    fn record_ids_are_15_lowercase_alphanumerics() {
        let id = new_record_id();
        assert_eq!(id.len(), 15);
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }

    #[test]
    fn pattern_generation_follows_class_and_count() {
        let s = random_by_pattern("[a-zA-Z0-9]{50}");
        assert_eq!(s.len(), 50);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        let p = random_by_pattern("inv_[0-9]{4}");
        assert!(p.starts_with("inv_") && p.len() == 8, "{p}");
    }
}
