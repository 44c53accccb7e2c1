//! Contacts in the web UI: the form that adds one to an account (the account page lists them).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lodestar_domain::AccountId;
use lodestar_domain::user::User;
use lodestar_domain::vocabulary::{ContactRole, Influence};
use serde::Deserialize;

use super::ops::{self, ContactInput};
use crate::AppState;
use crate::features::accounts::ops::writable;
use crate::http::error::ApiError;
use crate::http::forms::{FormState, filled, suggested_external_id};
use crate::http::pages::{Choice, Html, SignedIn, choices, render};

#[derive(askama::Template)]
#[template(path = "contacts/contact_form.html")]
struct ContactFormPage {
    me: User,
    account_id: i64,
    account: String,
    form: FormState,
    roles: Vec<Choice>,
    influences: Vec<Choice>,
}

/// A contact as its form sends it. A new contact is active: one who has left is recorded as
/// leaving on the contact itself.
#[derive(Deserialize)]
pub(crate) struct ContactForm {
    external_id: String,
    first_name: String,
    last_name: String,
    email: String,
    title: String,
    role: String,
    influence: String,
}

impl ContactForm {
    fn typed(&self) -> FormState {
        FormState::with_values([
            ("external_id", self.external_id.clone()),
            ("first_name", self.first_name.clone()),
            ("last_name", self.last_name.clone()),
            ("email", self.email.clone()),
            ("title", self.title.clone()),
            ("role", self.role.clone()),
            ("influence", self.influence.clone()),
        ])
    }

    /// The input the API reads for this contact.
    fn into_input(self) -> ContactInput {
        ContactInput {
            external_id: self.external_id,
            first_name: filled(&self.first_name),
            last_name: filled(&self.last_name),
            email: filled(&self.email),
            title: filled(&self.title),
            role: filled(&self.role),
            influence: filled(&self.influence),
            status: None,
            left_on: None,
        }
    }
}

fn form_page(me: User, account_id: AccountId, account: String, form: FormState) -> Result<Html, ApiError> {
    render(&ContactFormPage {
        me,
        account_id: account_id.0,
        account,
        form,
        roles: choices(ContactRole::ALL, None, ContactRole::as_str, ContactRole::label),
        influences: choices(Influence::ALL, None, Influence::as_str, Influence::label),
    })
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let account = writable(&state.store, &actor, AccountId(id)).await?;
    let form = FormState::with_values([("external_id", suggested_external_id("contact"))]);
    Ok(form_page(me, account.id, account.fields.name.to_string(), form)?.into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    SignedIn { user: me, actor, .. }: SignedIn,
    Path(id): Path<i64>,
    Form(submitted): Form<ContactForm>,
) -> Result<Response, ApiError> {
    let account = writable(&state.store, &actor, AccountId(id)).await?;
    let mut form = submitted.typed();
    match ops::create(&state.store, account.id, submitted.into_input()).await {
        Ok(_) => return Ok(Redirect::to(&format!("/accounts/{id}#contacts")).into_response()),
        Err(e) => form.absorb(e, "external_id")?,
    }
    let page = form_page(me, account.id, account.fields.name.to_string(), form)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
