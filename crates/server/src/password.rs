//! Password hashing with argon2id (19 MiB, 2 passes: OWASP's minimum), stored as PHC strings.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// A real hash of no one's password: verified against when the email is unknown, so a
/// failed sign-in costs the same work whether or not the user exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(b"no one's password", &salt)
            .expect("argon2 hashes")
            .to_string()
    });
    &DUMMY
}

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password; refuses one shorter than [`MIN_LENGTH`].
pub fn hash(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("the password must have at least {MIN_LENGTH} characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| e.to_string())?
        .to_string())
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

/// At most one argon2 run per core at a time: each takes ~20 ms of CPU and 19 MiB, and a burst
/// of sign-ins must neither stall the async workers nor exhaust memory.
static ARGON2_PERMITS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
});

/// Runs `work` on the blocking pool, one per core at most.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = ARGON2_PERMITS.acquire().await.expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work).await.expect("argon2 does not panic")
}

/// [`verify`] on the blocking pool: what request handlers call.
pub async fn verify_off_thread(password: String, stored: String) -> bool {
    off_the_workers(move || verify(&password, &stored)).await
}

/// [`hash`] on the blocking pool: what request handlers call.
pub async fn hash_off_thread(password: String) -> Result<String, String> {
    off_the_workers(move || hash(&password)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("wrong horse battery", &a));
        assert!(!verify("anything", "not a hash"));
        assert!(hash("short").unwrap_err().contains("at least 12"));
        assert!(PasswordHash::new(dummy_hash()).is_ok(), "the dummy hash is a real one");
    }
}
