//! Contacts: `/api/v1/accounts/{id}/contacts` and `/api/v1/contacts/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lodestar_domain::contact::Contact;
use lodestar_domain::{AccountId, ContactId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::ContactInput;
use crate::AppState;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, DeleteProblems, ReadProblems, WriteProblems};
use crate::http::json::{Json, patched};
use crate::http::params::{IdPath, path_id};
use lodestar_domain::access::Actor;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, replace_contact, patch_contact, delete_contact))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOutput {
    pub id: i64,
    pub account_id: i64,
    pub external_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub role: Option<String>,
    pub influence: Option<String>,
    pub status: String,
    pub left_on: Option<NaiveDate>,
}

fn text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(T::to_string)
}

impl From<Contact> for ContactOutput {
    fn from(c: Contact) -> Self {
        let f = c.fields;
        ContactOutput {
            id: c.id.0,
            account_id: f.account_id.0,
            external_id: f.external_id.to_string(),
            first_name: text(&f.first_name),
            last_name: text(&f.last_name),
            email: text(&f.email),
            title: text(&f.title),
            role: text(&f.role),
            influence: text(&f.influence),
            status: f.status.to_string(),
            left_on: f.left_on,
        }
    }
}

fn contact_not_found(id: ContactId) -> ApiError {
    ApiError::NotFound(format!("contact {id} does not exist"))
}

/// The contacts of an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The account's contacts", body = Vec<ContactOutput>),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_contacts(
    State(state): State<AppState>,
    Caller(_): Caller,
    id: IdPath,
) -> Result<axum::Json<Vec<ContactOutput>>, ApiError> {
    let account = crate::features::accounts::ops::existing_in_path(&state.store, id).await?;
    Ok(axum::Json(
        state
            .store
            .contacts_of(account)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Add a contact to an account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/contacts", tag = "contacts", params(("id" = i64, Path)),
    request_body = ContactInput,
    responses(
        (status = 201, description = "Created", body = ContactOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_contact(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ContactInput>,
) -> Result<(StatusCode, axum::Json<ContactOutput>), ApiError> {
    let account = AccountId(path_id(id)?);
    crate::features::accounts::ops::writable(&state.store, &actor, account).await?;
    let created = super::ops::create(&state.store, account, body.read()?).await?;
    Ok((StatusCode::CREATED, axum::Json(created.into())))
}

/// Read one contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The contact", body = ContactOutput),
        ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_contact(
    State(state): State<AppState>,
    Caller(_): Caller,
    id: IdPath,
) -> Result<axum::Json<ContactOutput>, ApiError> {
    let id = ContactId(path_id(id)?);
    Ok(axum::Json(
        state
            .store
            .contact(id)
            .await?
            .ok_or_else(|| contact_not_found(id))?
            .into(),
    ))
}

/// Replace every field of a contact (it stays on its account).
#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    request_body = ContactInput,
    responses(
        (status = 200, description = "The updated contact", body = ContactOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn replace_contact(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<ContactInput>,
) -> Result<axum::Json<ContactOutput>, ApiError> {
    let id = ContactId(path_id(id)?);
    let current = writable_contact(&state, &actor, id).await?;
    replace(&state, current, body.read()?).await
}

/// Change some fields of a contact: a JSON merge patch (RFC 7396) of its replace body.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    request_body(content = ContactInput, content_type = "application/merge-patch+json",
        description = "Any of ContactInput's fields; null clears one"),
    responses(
        (status = 200, description = "The updated contact", body = ContactOutput),
        WriteProblems,
    ),
    security(("bearer" = [])))]
async fn patch_contact(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
    body: Json<serde_json::Value>,
) -> Result<axum::Json<ContactOutput>, ApiError> {
    let id = ContactId(path_id(id)?);
    let current = writable_contact(&state, &actor, id).await?;
    let input = patched::<ContactInput>(ContactOutput::from(current.clone()), body.read()?, &[])?;
    replace(&state, current, input).await
}

/// The contact, if `actor` may change its account.
async fn writable_contact(state: &AppState, actor: &Actor, id: ContactId) -> Result<Contact, ApiError> {
    let current = state.store.contact(id).await?.ok_or_else(|| contact_not_found(id))?;
    crate::features::accounts::ops::writable(&state.store, actor, current.fields.account_id).await?;
    Ok(current)
}

/// What a replace and a patch both end in; the contact stays on its account.
async fn replace(
    state: &AppState,
    current: Contact,
    input: ContactInput,
) -> Result<axum::Json<ContactOutput>, ApiError> {
    let fields = input.into_fields(current.fields.account_id)?;
    Ok(axum::Json(state.store.update_contact(current.id, fields).await?.into()))
}

/// Delete a contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        DeleteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_contact(
    State(state): State<AppState>,
    Caller(actor): Caller,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = ContactId(path_id(id)?);
    let current = state.store.contact(id).await?.ok_or_else(|| contact_not_found(id))?;
    crate::features::accounts::ops::writable(&state.store, &actor, current.fields.account_id).await?;
    state.store.delete_contact(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
