//! Who is calling. API tokens arrive as `Authorization: Bearer lst_…`; only the SHA-256 of a
//! token is stored, so a leaked database does not leak working tokens.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lodestar_domain::UserId;
use lodestar_domain::access::Actor;
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::Role;
use lodestar_store::{ApiToken, Store, WriteKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::http::error::ApiError;

const TOKEN_PREFIX: &str = "lst_";

/// The hex SHA-256 of a token: what the store keeps and looks tokens up by.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new secret with 256 random bits after `kind_prefix`, and the part of it shown in lists.
fn new_secret(kind_prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{kind_prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let shown: String = secret.chars().take(kind_prefix.len() + 6).collect();
    (secret, shown)
}

/// Creates an API token acting as `user` (with their role) or as an integration with
/// `role`. Returns the stored record and the secret, which exists only in this return
/// value: show it once.
pub async fn issue_token(
    store: &Store,
    name: &Name,
    role: Role,
    user: Option<UserId>,
) -> lodestar_store::Result<(ApiToken, String)> {
    let (secret, shown) = new_secret(TOKEN_PREFIX);
    let token = store
        .create_token(name, role, user, &shown, &token_hash(&secret))
        .await?;
    Ok((token, secret))
}

/// Creates a write key for an event source; like a token, it is returned only here.
pub async fn issue_write_key(store: &Store, name: &Name) -> lodestar_store::Result<(WriteKey, String)> {
    let (secret, shown) = new_secret("wk_");
    let key = store
        .create_write_key(name.as_str(), &shown, &token_hash(&secret))
        .await?;
    Ok((key, secret))
}

/// The caller of an API request. Extracting it refuses unauthenticated requests with 401.
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if header.is_none() {
            // A browser signed in to the web UI may call the API with its session cookie.
            if let Some(user) = crate::features::team::session::session_user(&state.store, &parts.headers).await? {
                return Ok(Caller(Actor {
                    role: user.fields.role,
                    user: Some(user.id),
                }));
            }
        }
        let secret = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|s| s.starts_with(TOKEN_PREFIX))
            .ok_or(ApiError::Unauthenticated)?;
        let (role, user) = state
            .store
            .token_actor(&token_hash(secret))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let actor = Actor { role, user };
        Ok(Caller(actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
