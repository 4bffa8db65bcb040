//! Random strings and ids, the primitives tokens, ids and secrets are made of.

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

#[cfg(test)]
mod tests {
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
