//! People at the customer (F-02).

use chrono::NaiveDate;
use lodestar_domain::contact::{Contact, ContactFields};
use lodestar_domain::{AccountId, ContactId, Valid};

use super::{
    UpsertSummary, claim_external_id, delete_by_id, ensure_new_external_id, existing_keys, parse, parse_opt,
    upsert_by_key,
};
use crate::bulk::Value;
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    external_id: String,
    account_id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    title: Option<String>,
    role: Option<String>,
    influence: Option<String>,
    status: String,
    left_on: Option<NaiveDate>,
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;
    fn try_from(r: ContactRow) -> Result<Contact> {
        Ok(Contact {
            id: ContactId(r.id),
            fields: ContactFields {
                external_id: parse("contacts.external_id", &r.external_id)?,
                account_id: AccountId(r.account_id),
                first_name: parse_opt("contacts.first_name", r.first_name)?,
                last_name: parse_opt("contacts.last_name", r.last_name)?,
                email: parse_opt("contacts.email", r.email)?,
                title: parse_opt("contacts.title", r.title)?,
                role: parse_opt("contacts.role", r.role)?,
                influence: parse_opt("contacts.influence", r.influence)?,
                status: parse("contacts.status", &r.status)?,
                left_on: r.left_on,
            },
        })
    }
}

pub(crate) const CONTACT_COLUMNS: &[&str] = &[
    "external_id",
    "account_id",
    "first_name",
    "last_name",
    "email",
    "title",
    "role",
    "influence",
    "status",
    "left_on",
];

pub(crate) fn contact_values(f: &ContactFields) -> Vec<Value> {
    vec![
        f.external_id.as_str().into(),
        f.account_id.0.into(),
        Value::text_of(&f.first_name),
        Value::text_of(&f.last_name),
        Value::text_of(&f.email),
        Value::text_of(&f.title),
        Value::text_of(&f.role),
        Value::text_of(&f.influence),
        f.status.as_str().into(),
        f.left_on.into(),
    ]
}

const SELECT_CONTACTS: &str = "SELECT id, external_id, account_id, first_name, last_name, email, title, role, \
     influence, status, left_on FROM contacts";

impl Store {
    /// Creates or updates contacts by external id in one transaction.
    pub async fn upsert_contacts(&self, contacts: Vec<Valid<ContactFields>>) -> Result<UpsertSummary> {
        let mut tx = self.begin_write().await?;
        let keys: Vec<String> = contacts.iter().map(|c| c.external_id.to_string()).collect();
        let existing = existing_keys(&mut tx, "contacts", "external_id", &keys).await?;
        let rows = contacts.iter().map(|c| contact_values(c)).collect();
        upsert_by_key(&mut tx, "contacts", CONTACT_COLUMNS, rows).await?;
        link_usage(&mut tx, contacts.iter().map(|c| &**c)).await?;
        tx.commit().await?;
        Ok(UpsertSummary::of(&keys, |k| existing.contains(k), 0))
    }

    pub async fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        let sql = format!("{SELECT_CONTACTS} WHERE id = $1");
        let row: Option<ContactRow> = Query::sql(&sql).bind(id.0).fetch_optional_on(self).await?;
        row.map(Contact::try_from).transpose()
    }

    /// Creates one contact; refuses an external id that is already taken.
    pub async fn create_contact(&self, fields: Valid<ContactFields>) -> Result<Contact> {
        let mut tx = self.begin_write().await?;
        ensure_new_external_id(&mut tx, "contacts", "contact", fields.external_id.as_str()).await?;
        let written = upsert_by_key(&mut tx, "contacts", CONTACT_COLUMNS, vec![contact_values(&fields)]).await?;
        link_usage(&mut tx, [&*fields]).await?;
        tx.commit().await?;
        let id = ContactId(written[0].0);
        self.contact(id).await?.ok_or(StoreError::NotFound {
            what: "contact",
            key: id.to_string(),
        })
    }

    /// Replaces every field of a contact (its external id too, if not taken).
    pub async fn update_contact(&self, id: ContactId, fields: Valid<ContactFields>) -> Result<Contact> {
        let mut tx = self.begin_write().await?;
        claim_external_id(&mut tx, "contacts", "contact", id.0, fields.external_id.as_str()).await?;
        upsert_by_key(&mut tx, "contacts", CONTACT_COLUMNS, vec![contact_values(&fields)]).await?;
        link_usage(&mut tx, [&*fields]).await?;
        tx.commit().await?;
        self.contact(id).await?.ok_or(StoreError::NotFound {
            what: "contact",
            key: id.to_string(),
        })
    }

    pub async fn delete_contact(&self, id: ContactId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        delete_by_id(&mut tx, "contacts", "contact", id.0).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every contact, ordered by external id.
    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        let sql = format!("{SELECT_CONTACTS} ");
        let mut rows: Vec<ContactRow> = Query::sql(&sql).fetch_all_on(self).await?;
        // Sorted here, not in SQL: byte order is the same on both backends whatever the
        // PostgreSQL collation, so exports of equal data are equal files.
        rows.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        rows.into_iter().map(Contact::try_from).collect()
    }

    /// The contacts of one account, ordered by last and first name.
    pub async fn contacts_of(&self, account: AccountId) -> Result<Vec<Contact>> {
        let mut tx = self.begin_snapshot().await?;
        contacts_of_in(&mut tx, account).await
    }
}

/// An account's contacts, by name.
/// People seen in the product with these contacts' emails become theirs.
async fn link_usage<'a>(tx: &mut Tx, contacts: impl IntoIterator<Item = &'a ContactFields>) -> Result<()> {
    let emails: Vec<String> = contacts
        .into_iter()
        .filter_map(|c| c.email.as_ref().map(|e| e.as_str().to_owned()))
        .collect();
    super::usage::link_people_to_contacts(tx, &emails).await
}

pub(crate) async fn contacts_of_in(tx: &mut Tx, account: AccountId) -> Result<Vec<Contact>> {
    let sql = format!("{SELECT_CONTACTS} WHERE account_id = $1 ORDER BY COALESCE(last_name, first_name, email), id");
    let rows: Vec<ContactRow> = Query::sql(&sql).bind(account.0).fetch_all(tx).await?;
    rows.into_iter().map(Contact::try_from).collect()
}
