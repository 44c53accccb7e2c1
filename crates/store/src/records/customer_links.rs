//! Customer links: what a customer contact opens without an account (a success plan, a QBR
//! pack, a survey, an onboarding plan). A link is bound to one object, one
//! contact and the actions it allows, lives until it expires or is revoked, and is found by
//! the SHA-256 of its secret alone — the secret itself is never stored.

use chrono::{DateTime, Utc};
use lodestar_domain::onboarding::OnboardingId;
use lodestar_domain::vocabulary::LinkAction;
use lodestar_domain::{AccountId, ContactId, CustomerLinkId, MeetingId, PlanId, SurveyId, UserId};
use serde::{Deserialize, Serialize};

use super::parse;
use super::promises::contact_name;
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// The one object a link shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkTarget {
    SuccessPlan(PlanId),
    /// The pack of a QBR, an EBR or a check-in: the meeting's.
    ReviewPack(MeetingId),
    /// A survey, which the contact answers once.
    Survey(SurveyId),
    /// An onboarding plan: the contact ticks off their side's tasks and says when it is done.
    Onboarding(OnboardingId),
}

impl LinkTarget {
    fn kind(self) -> &'static str {
        match self {
            LinkTarget::SuccessPlan(_) => "success_plan",
            LinkTarget::ReviewPack(_) => "review_pack",
            LinkTarget::Survey(_) => "survey",
            LinkTarget::Onboarding(_) => "onboarding",
        }
    }

    fn id(self) -> i64 {
        match self {
            LinkTarget::SuccessPlan(id) => id.0,
            LinkTarget::ReviewPack(id) => id.0,
            LinkTarget::Survey(id) => id.0,
            LinkTarget::Onboarding(id) => id.0,
        }
    }

    fn read(kind: &str, id: i64) -> Result<LinkTarget> {
        match kind {
            "success_plan" => Ok(LinkTarget::SuccessPlan(PlanId(id))),
            "review_pack" => Ok(LinkTarget::ReviewPack(MeetingId(id))),
            "survey" => Ok(LinkTarget::Survey(SurveyId(id))),
            "onboarding" => Ok(LinkTarget::Onboarding(OnboardingId(id))),
            other => Err(StoreError::Corrupt(format!("customer_links.object_kind {other:?}"))),
        }
    }

    /// The account whose object it is.
    async fn account(self, tx: &mut Tx) -> Result<AccountId> {
        let sql = match self {
            LinkTarget::SuccessPlan(_) => "SELECT account_id FROM success_plans WHERE id = $1",
            LinkTarget::ReviewPack(_) => "SELECT account_id FROM meetings WHERE id = $1",
            LinkTarget::Survey(_) => "SELECT account_id FROM surveys WHERE id = $1",
            LinkTarget::Onboarding(_) => "SELECT account_id FROM onboarding_projects WHERE id = $1",
        };
        let found: Option<i64> = Query::sql(sql).bind(self.id()).scalar_optional(tx).await?;
        found.map(AccountId).ok_or(StoreError::NotFound {
            what: self.kind(),
            key: self.id().to_string(),
        })
    }
}

/// The job kind that creates one customer link and emails it (its payload is a
/// [`CustomerLinkEmail`]). The secret exists only while the job runs: the payload names the
/// link to make, never the link itself.
pub const CUSTOMER_LINK_EMAIL_JOB: &str = "customer_link_email";

/// A link to create for `contact` and the email that carries it: `text` holds `{link}` where
/// the address goes, `base_url` is what the address starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLinkEmail {
    pub object_kind: String,
    pub object_id: i64,
    pub contact_id: ContactId,
    pub actions: Vec<LinkAction>,
    pub days: u32,
    pub subject: String,
    pub text: String,
    pub base_url: String,
    pub created_by: Option<UserId>,
}

impl CustomerLinkEmail {
    pub fn new(target: LinkTarget, contact: ContactId, actions: Vec<LinkAction>, days: u32) -> CustomerLinkEmail {
        CustomerLinkEmail {
            object_kind: target.kind().to_owned(),
            object_id: target.id(),
            contact_id: contact,
            actions,
            days,
            subject: String::new(),
            text: String::new(),
            base_url: String::new(),
            created_by: None,
        }
    }

    pub fn target(&self) -> Result<LinkTarget> {
        LinkTarget::read(&self.object_kind, self.object_id)
    }
}

/// Queues the emails in the caller's transaction, after checking each contact is the
/// target's account's and has an address. Returns the contacts' names and addresses.
pub(crate) async fn queue_link_emails(tx: &mut Tx, emails: &[CustomerLinkEmail]) -> Result<Vec<(String, String)>> {
    let mut to = Vec::new();
    for email in emails {
        let account = email.target()?.account(tx).await?;
        let contact: Option<(i64, String, Option<String>)> = Query::sql(concat!(
            "SELECT c.account_id, ",
            contact_name!(),
            ", c.email FROM contacts c WHERE c.id = $1"
        ))
        .bind(email.contact_id.0)
        .fetch_optional(tx)
        .await?;
        let (name, address) = match contact {
            Some((a, name, Some(address))) if a == account.0 && !address.is_empty() => (name, address),
            Some((a, name, _)) if a == account.0 => {
                return Err(lodestar_domain::Invalid::field(
                    "contact_ids",
                    format!("{name} has no email address to send the link to"),
                )
                .into());
            }
            _ => {
                return Err(lodestar_domain::Invalid::field("contact_ids", "is not a contact of this account").into());
            }
        };
        let payload = serde_json::to_value(email).expect("a link email serialises");
        crate::jobs::enqueue(
            tx,
            &crate::jobs::NewJob::new(CUSTOMER_LINK_EMAIL_JOB, payload, tx.now()),
        )
        .await?;
        to.push((name, address));
    }
    Ok(to)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLink {
    pub id: CustomerLinkId,
    pub target: LinkTarget,
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub actions: Vec<LinkAction>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl CustomerLink {
    pub fn allows(&self, action: LinkAction) -> bool {
        self.actions.contains(&action)
    }

    /// Whether it still opens at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A link to create; `token_hash` is the SHA-256 of the secret handed to the contact.
#[derive(Debug, Clone)]
pub struct NewCustomerLink {
    pub target: LinkTarget,
    pub contact_id: ContactId,
    pub actions: Vec<LinkAction>,
    pub expires_at: DateTime<Utc>,
    pub token_hash: String,
}

const SELECT_LINKS: &str = concat!(
    "SELECT l.id, l.object_kind, l.object_id, l.account_id, l.contact_id, ",
    contact_name!(),
    " AS contact_name, l.actions, l.expires_at, l.revoked_at, u.name AS created_by, l.created_at, l.last_used_at \
     FROM customer_links l JOIN contacts c ON c.id = l.contact_id LEFT JOIN users u ON u.id = l.created_by"
);

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    object_kind: String,
    object_id: i64,
    account_id: i64,
    contact_id: i64,
    contact_name: String,
    actions: String,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<LinkRow> for CustomerLink {
    type Error = StoreError;
    fn try_from(r: LinkRow) -> Result<CustomerLink> {
        Ok(CustomerLink {
            id: CustomerLinkId(r.id),
            target: LinkTarget::read(&r.object_kind, r.object_id)?,
            account_id: AccountId(r.account_id),
            contact_id: ContactId(r.contact_id),
            contact_name: r.contact_name,
            actions: r
                .actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(|a| parse("customer_links.actions", a))
                .collect::<Result<_>>()?,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
    }
}

/// Writes a link for a contact of `account`; refuses a contact of another account.
pub(crate) async fn insert_link(
    tx: &mut Tx,
    account: AccountId,
    link: &NewCustomerLink,
    by: Option<UserId>,
) -> Result<CustomerLink> {
    let contact_account: Option<i64> = Query::sql("SELECT account_id FROM contacts WHERE id = $1")
        .bind(link.contact_id.0)
        .scalar_optional(tx)
        .await?;
    if contact_account != Some(account.0) {
        return Err(lodestar_domain::Invalid::field("contact_id", "is not a contact of this account").into());
    }
    let actions: Vec<&str> = link.actions.iter().map(|a| a.as_str()).collect();
    let id: i64 = Query::sql(
        "INSERT INTO customer_links (token_hash, object_kind, object_id, account_id, contact_id, actions, expires_at, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(link.token_hash.as_str())
    .bind(link.target.kind())
    .bind(link.target.id())
    .bind(account.0)
    .bind(link.contact_id.0)
    .bind(actions.join(","))
    .bind(link.expires_at)
    .bind(by.map(|u| u.0))
    .bind(tx.now())
    .scalar_one(tx)
    .await?;
    link_in(tx, CustomerLinkId(id)).await
}

async fn link_in(tx: &mut Tx, id: CustomerLinkId) -> Result<CustomerLink> {
    let row: Option<LinkRow> = Query::sql(format!("{SELECT_LINKS} WHERE l.id = $1"))
        .bind(id.0)
        .fetch_optional(tx)
        .await?;
    row.ok_or(StoreError::NotFound {
        what: "customer link",
        key: id.to_string(),
    })?
    .try_into()
}

impl Store {
    /// The live link to `target` whose secret hashes to `token_hash` (not expired, not
    /// revoked), marking it used; `None` for anything else, so every kind of bad link looks the
    /// same to the caller (and a link opened at another object's address is not marked used).
    pub async fn use_customer_link(&self, token_hash: &str, target: LinkTarget) -> Result<Option<CustomerLink>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let row: Option<LinkRow> = Query::sql(format!(
            "{SELECT_LINKS} WHERE l.token_hash = $1 AND l.object_kind = $2 AND l.object_id = $3 \
             AND l.revoked_at IS NULL AND l.expires_at > $4"
        ))
        .bind(token_hash)
        .bind(target.kind())
        .bind(target.id())
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Query::sql("UPDATE customer_links SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(row.id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        let mut link = CustomerLink::try_from(row)?;
        link.last_used_at = Some(now);
        Ok(Some(link))
    }

    /// Writes a link to `link.target` (for a contact of the target's account).
    pub async fn create_customer_link(&self, link: &NewCustomerLink, by: Option<UserId>) -> Result<CustomerLink> {
        let mut tx = self.begin_write().await?;
        let account = link.target.account(&mut tx).await?;
        let link = insert_link(&mut tx, account, link, by).await?;
        tx.commit().await?;
        Ok(link)
    }

    /// The email address of the contact a link is for, if they have one.
    pub async fn contact_address(&self, contact: ContactId) -> Result<Option<String>> {
        let mut tx = self.begin_snapshot().await?;
        let found: Option<Option<String>> = Query::sql("SELECT email FROM contacts WHERE id = $1")
            .bind(contact.0)
            .scalar_optional(&mut tx)
            .await?;
        Ok(found.flatten().filter(|e| !e.is_empty()))
    }

    pub async fn customer_link(&self, id: CustomerLinkId) -> Result<CustomerLink> {
        let mut tx = self.begin_snapshot().await?;
        link_in(&mut tx, id).await
    }

    /// Every link to `target`, newest first (live, expired and revoked: the record of sharing).
    pub async fn customer_links_to(&self, target: LinkTarget) -> Result<Vec<CustomerLink>> {
        let rows: Vec<LinkRow> = Query::sql(format!(
            "{SELECT_LINKS} WHERE l.object_kind = $1 AND l.object_id = $2 ORDER BY l.created_at DESC, l.id DESC"
        ))
        .bind(target.kind())
        .bind(target.id())
        .fetch_all_on(self)
        .await?;
        rows.into_iter().map(CustomerLink::try_from).collect()
    }

    /// Ends a link now; revoking a revoked link changes nothing.
    pub async fn revoke_customer_link(&self, id: CustomerLinkId) -> Result<CustomerLink> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        Query::sql("UPDATE customer_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let link = link_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(link)
    }
}
