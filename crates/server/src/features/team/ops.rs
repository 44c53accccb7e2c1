//! What managing the team's people and credentials means, for the users API, the admin pages
//! and the password page alike: who may do it, and the audit entry each change leaves.

use lodestar_domain::access::Actor;
use lodestar_domain::text::Name;
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::{AuditKind, Role, TokenScope};
use lodestar_domain::{Invalid, TokenId, UserId, Valid};
use lodestar_store::ApiToken;

use crate::AppState;
use crate::http::auth::{self, Origin};
use crate::http::error::ApiError;
use crate::http::params::allowed;
use crate::password;

pub(crate) fn require_user_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins manage users")
}

pub(crate) fn require_token_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins manage API tokens")
}

fn subject(user: UserId) -> Option<String> {
    Some(format!("user {user}"))
}

/// Adds a person, with a password when they are to sign in to the web UI.
pub(crate) async fn create_user(
    state: &AppState,
    origin: &Origin,
    fields: Valid<UserFields>,
    password: Option<String>,
) -> Result<User, ApiError> {
    let hash = match password {
        Some(p) => Some(
            password::hash_off_thread(p)
                .await
                .map_err(|e| Invalid::field("password", e))?,
        ),
        None => None,
    };
    let user = state.store.create_user(fields).await?;
    if let Some(hash) = hash {
        state.store.set_password_hash(user.id, &hash).await?;
    }
    let detail = format!("{} as {}", user.fields.email, user.fields.role);
    state
        .store
        .audit(&origin.record(AuditKind::UserCreated, subject(user.id), detail))
        .await?;
    Ok(user)
}

/// Replaces a person's fields; a change of role is audited.
pub(crate) async fn update_user(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    fields: Valid<UserFields>,
) -> Result<User, ApiError> {
    let before = state.store.user(id).await?.map(|u| u.fields.role);
    let user = state.store.update_user(id, fields).await?;
    if let Some(before) = before.filter(|r| *r != user.fields.role) {
        let detail = format!("{}: {before} → {}", user.fields.email, user.fields.role);
        state
            .store
            .audit(&origin.record(AuditKind::RoleChanged, subject(id), detail))
            .await?;
    }
    Ok(user)
}

pub(crate) async fn delete_user(state: &AppState, origin: &Origin, id: UserId) -> Result<(), ApiError> {
    let user = state.store.user(id).await?;
    state.store.delete_user(id).await?;
    let detail = user.map(|u| u.fields.email.to_string()).unwrap_or_default();
    state
        .store
        .audit(&origin.record(AuditKind::UserDeleted, subject(id), detail))
        .await?;
    Ok(())
}

/// Locks a person out at once (sign-in, sessions, tokens) or lets them back in. Their records
/// stay. Admins cannot deactivate themselves: someone must be left to undo it.
pub(crate) async fn set_active(state: &AppState, origin: &Origin, id: UserId, active: bool) -> Result<(), ApiError> {
    if !active && origin.actor.user_id == Some(id) {
        return Err(ApiError::Conflict("you cannot deactivate yourself".into()));
    }
    state.store.set_user_active(id, active).await?;
    let kind = if active {
        AuditKind::UserReactivated
    } else {
        AuditKind::UserDeactivated
    };
    let email = state.store.user(id).await?.map(|u| u.fields.email.to_string());
    state
        .store
        .audit(&origin.record(kind, subject(id), email.unwrap_or_default()))
        .await?;
    Ok(())
}

/// An admin sets a person's password; every session of theirs ends.
pub(crate) async fn reset_password(
    state: &AppState,
    origin: &Origin,
    id: UserId,
    new_password: String,
) -> Result<(), ApiError> {
    let hash = password::hash_off_thread(new_password)
        .await
        .map_err(|e| Invalid::field("password", e))?;
    state.store.set_password_hash(id, &hash).await?;
    let ended = state.store.end_sessions(id, None).await?;
    let detail = format!("{ended} session(s) ended");
    state
        .store
        .audit(&origin.record(AuditKind::PasswordReset, subject(id), detail))
        .await?;
    Ok(())
}

/// A person changes their own password, proving the current one; their other sessions end
/// (`keep_session` is the hash of the one they are using, if any).
pub(crate) async fn change_own_password(
    state: &AppState,
    origin: &Origin,
    user: &User,
    current: String,
    new_password: String,
    keep_session: Option<&str>,
) -> Result<(), ApiError> {
    let stored = state
        .store
        .password_hash(&user.fields.email)
        .await?
        .and_then(|(_, h)| h);
    let right = match stored {
        Some(stored) => password::verify_off_thread(current, stored).await,
        None => false,
    };
    if !right {
        return Err(Invalid::field("current_password", "is not your current password").into());
    }
    let hash = password::hash_off_thread(new_password)
        .await
        .map_err(|e| Invalid::field("new_password", e))?;
    state.store.set_password_hash(user.id, &hash).await?;
    let ended = state.store.end_sessions(user.id, keep_session).await?;
    let detail = format!("{ended} other session(s) ended");
    state
        .store
        .audit(&origin.record(AuditKind::PasswordChanged, subject(user.id), detail))
        .await?;
    Ok(())
}

/// Issues a token; its secret is in the answer only.
pub(crate) async fn create_token(
    state: &AppState,
    origin: &Origin,
    name: &Name,
    role: Role,
    scope: TokenScope,
) -> Result<(ApiToken, String), ApiError> {
    let (token, secret) = auth::issue_token(&state.store, name, role, None, scope).await?;
    let detail = format!("\"{name}\", role {role}, scope {scope}");
    state
        .store
        .audit(&origin.record(AuditKind::TokenCreated, Some(format!("token {}", token.id)), detail))
        .await?;
    Ok((token, secret))
}

pub(crate) async fn revoke_token(state: &AppState, origin: &Origin, id: TokenId) -> Result<(), ApiError> {
    state.store.revoke_token(id).await?;
    state
        .store
        .audit(&origin.record(AuditKind::TokenRevoked, Some(format!("token {id}")), ""))
        .await?;
    Ok(())
}
