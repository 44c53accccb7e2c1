//! Who is calling. API tokens arrive as `Authorization: Bearer lst_…`; only the SHA-256 of a
//! token is stored, so a leaked database does not leak working tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lodestar_domain::UserId;
use lodestar_domain::access::Actor;
use lodestar_domain::api_token;
use lodestar_domain::text::Name;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{AuditKind, Role, TokenScope};
use lodestar_store::{ApiToken, AuditActor, AuditRecord, Store, WriteKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::http::error::ApiError;

/// The hex SHA-256 of a token: what the store keeps and looks tokens up by.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new secret with 256 random bits after `kind_prefix`, and the part of it shown in lists.
pub(crate) fn new_secret(kind_prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{kind_prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let shown: String = secret.chars().take(kind_prefix.len() + 6).collect();
    (secret, shown)
}

/// Creates an API token acting as `user` (with their role) or as an integration with
/// `role`, usable for the API or (`scope` metrics) only for `/metrics`. Returns the stored record and the secret, which exists only in this return
/// value: show it once.
pub async fn issue_token(
    store: &Store,
    name: &Name,
    role: Role,
    user: Option<UserId>,
    scope: TokenScope,
) -> lodestar_store::Result<(ApiToken, String)> {
    let (secret, shown) = new_secret(api_token::PREFIX);
    let token = store
        .create_token(name, role, user, scope, &shown, &token_hash(&secret))
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

/// Where a request came from: the client address (from the trusted proxy's header when one
/// is configured, else the TCP peer), for throttling and the audit log.
pub(crate) fn client_address(parts: &Parts, state: &AppState) -> Option<String> {
    if let Some(name) = &state.config.client_address_header {
        // A proxy appends the address it saw: the last entry is the one it vouches for.
        return parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().chars().take(64).collect())
            .filter(|v: &String| !v.is_empty());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The client address of a request (see [`client_address`]); never refuses a request.
pub(crate) struct ClientAddress(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state)))
    }
}

/// The secret of an `Authorization: Bearer lst_…` header, if the request carries one of the
/// form tokens have ([`api_token::bearer_token`]).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    api_token::bearer_token(value).ok()
}

/// Who is asking and from where: what permission checks read and what the audit log records.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub actor: AuditActor,
    pub client: Option<String>,
}

impl Origin {
    /// An audit record of `kind` by this origin.
    pub(crate) fn record(
        &self,
        kind: AuditKind,
        subject: Option<String>,
        detail: impl Into<String>,
    ) -> AuditRecord<'_> {
        AuditRecord {
            actor: &self.actor,
            client: self.client.as_deref(),
            kind,
            subject,
            detail: detail.into(),
        }
    }

    /// A signed-in person.
    pub(crate) fn of_user(user: &User, client: Option<String>) -> Origin {
        Origin {
            actor: AuditActor {
                user_id: Some(user.id),
                label: user.fields.email.to_string(),
            },
            client,
        }
    }
}

/// The caller of an API request, with where it came from. Extracting it refuses
/// unauthenticated requests with 401.
pub(crate) struct Who {
    pub actor: Actor,
    pub origin: Origin,
}

impl FromRequestParts<AppState> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = client_address(parts, state);
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            // A browser signed in to the web UI may call the API with its session cookie. A
            // request with any Authorization header is judged by that header alone.
            let user = crate::features::team::session::session_user(state, &parts.headers).await?;
            let user = user.ok_or(ApiError::Unauthenticated)?.user;
            return Ok(Who {
                actor: Actor {
                    role: user.fields.role,
                    user: Some(user.id),
                },
                origin: Origin::of_user(&user, client),
            });
        }
        let secret = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let token = state
            .store
            .token_caller(&token_hash(secret))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if token.scope != TokenScope::Api {
            return Err(ApiError::Forbidden("this token may only read /metrics"));
        }
        let label = match &token.email {
            Some(email) => format!("{email} (token \"{}\", #{})", token.name, token.token),
            None => format!("token \"{}\" (#{})", token.name, token.token),
        };
        Ok(Who {
            actor: Actor {
                role: token.role,
                user: token.user,
            },
            origin: Origin {
                actor: AuditActor {
                    user_id: token.user,
                    label,
                },
                client,
            },
        })
    }
}

/// The caller of an API request, for handlers that record nothing in the audit log.
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Who::from_request_parts(parts, state).await.map(|who| Caller(who.actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_lst_tokens_count() {
        let with = |value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, axum::http::HeaderValue::from_static(value));
            h
        };
        const TOKEN: &str = "lst_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
        assert_eq!(
            bearer_token(&with("Bearer lst_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde")),
            Some(TOKEN)
        );
        assert_eq!(
            bearer_token(&with("bearer  lst_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde ")),
            Some(TOKEN)
        );
        for other in ["Basic dXNlcjpwYXNz", "Bearer xyz", "Bearer lst_abc", TOKEN, "Bearer"] {
            assert_eq!(bearer_token(&with(other)), None, "{other}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
