//! Password hashing: argon2id for new hashes; bcrypt hashes written by
//! PocketBase (`$2a$…`) still verify, so an imported pb_data keeps working.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use parking_lot::{Condvar, Mutex};

/// At most one hash per core at a time: each argon2 run takes 19 MiB and a
/// core for ~17 ms, so more in parallel only costs memory (and lets a login
/// flood starve everything else).
struct HashSlots {
    free: Mutex<usize>,
    freed: Condvar,
}

static SLOTS: LazyLock<HashSlots> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    HashSlots { free: Mutex::new(cores), freed: Condvar::new() }
});

struct Slot;

impl Slot {
    fn take() -> Slot {
        let mut free = SLOTS.free.lock();
        while *free == 0 {
            SLOTS.freed.wait(&mut free);
        }
        *free -= 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *SLOTS.free.lock() += 1;
        SLOTS.freed.notify_one();
    }
}

/// Hashes a password with argon2id (random salt, PHC string).
pub fn hash(password: &str) -> Result<String, String> {
    let _slot = Slot::take();
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

thread_local! {
    static VERIFICATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many password verifications ran on the current thread (real or
/// dummy): lets tests check that a login for an unknown identity still
/// pays for a hash, without timing anything.
pub fn verifications_on_this_thread() -> u64 {
    VERIFICATIONS.with(std::cell::Cell::get)
}

/// An argon2id hash of a random password, made once with the same
/// parameters as real hashes.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash(&crate::core::security::random_string(32)).unwrap_or_default());

/// Spends the same time as checking a real password, for logins whose
/// identity does not exist (or has no password): both answers then take
/// as long, so timing does not tell which accounts exist.
pub fn dummy_verify(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}

/// Spends the same time as hashing a new password (for answers that must
/// cost the same whether or not they stored one).
pub fn dummy_hash(password: &str) {
    let _ = hash(password);
}

/// Checks a password against an argon2 or bcrypt hash.
pub fn verify(password: &str, hash: &str) -> bool {
    VERIFICATIONS.with(|c| c.set(c.get() + 1));
    let _slot = Slot::take();
    if hash.starts_with("$2") {
        return bcrypt::verify(password, hash).unwrap_or(false);
    }
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_roundtrip() {
        let h = hash("hunter42").expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("hunter42", &h));
        assert!(!verify("hunter43", &h));
    }

    #[test]
    fn pocketbase_bcrypt_hashes_verify() {
        // written by PocketBase 0.40.6 for the password "1234567890ab"
        let h = "$2a$10$NtgvTYwEGM0VkcIzrYX7JeYvm.3aOSlIGD1WgJexAT0M89ALyqdR6";
        assert!(verify("1234567890ab", h));
        assert!(!verify("1234567890ac", h));
    }

    #[test]
    fn dummy_verify_runs_a_real_verification() {
        let before = verifications_on_this_thread();
        dummy_verify("whatever");
        assert_eq!(verifications_on_this_thread(), before + 1);
        assert!(DUMMY_HASH.starts_with("$argon2id$"));
    }

    #[test]
    fn garbage_hash_never_verifies() {
        assert!(!verify("x", ""));
        assert!(!verify("x", "not-a-hash"));
    }
}
