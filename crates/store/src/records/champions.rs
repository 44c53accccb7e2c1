//! Champion health (F-41): each contact's engagement, delight and influence from what the
//! records say (product use, survey answers, meetings, tickets, requests), whether they left
//! (marked, or inferred from silence plus a bounce or a successor), the alerts these raise, and
//! the CSM's "will they own the relationship in 12 months?".
//!
//! [`champions_in`] reads a set of accounts with one query per source, so the scorecard's
//! champion-health measure can read every account at once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::champion::{
    ANSWER_DAYS, ChampionHealth, Departure, Evidence, RECENT_DAYS, TicketOutcome, USE_DAYS, Whereabouts, departure,
    is_key,
};
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::vocabulary::{ContactRole, ContactStatus, Influence, NotificationKind, RequestStatus, SurveyKind};
use lodestar_domain::{AccountId, ContactId, UserId};

use super::notify::notify_user;
use super::promises::contact_name;
use super::{parse, parse_opt};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// Marked departures older than this no longer raise "champion left".
pub const LEFT_ALERT_DAYS: i64 = 30;

/// One contact's champion health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactChampion {
    pub contact_id: ContactId,
    pub account_id: AccountId,
    pub name: String,
    pub title: Option<String>,
    pub role: Option<ContactRole>,
    /// Carries the relationship (a buying role or high influence): watched for leaving.
    pub key: bool,
    pub will_own: Option<bool>,
    pub health: ChampionHealth,
    pub departure: Option<Departure>,
}

impl ContactChampion {
    /// Still at the customer as far as anyone marked.
    pub fn marked_active(&self) -> bool {
        !matches!(self.departure, Some(Departure::Marked { .. }))
    }
}

/// An alert a contact raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChampionAlertKind {
    /// High influence, cares about the problem, dislikes our solution.
    CaresDislikes,
    /// A key contact left (marked in the last [`LEFT_ALERT_DAYS`], or inferred).
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChampionAlert {
    pub kind: ChampionAlertKind,
    pub account_name: String,
    pub owner: Option<UserId>,
    pub contact: ContactChampion,
    /// What raised it, in words.
    pub text: String,
}

/// ` AND column IN (…)` for `accounts`, nothing for every account. Ids are integers Lodestar
/// holds, never user text.
fn in_accounts(column: &str, accounts: Option<&[i64]>) -> String {
    match accounts {
        None => String::new(),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(
                " AND {column} IN ({})",
                if list.is_empty() {
                    "NULL".to_owned()
                } else {
                    list.join(", ")
                }
            )
        }
    }
}

/// A survey score on a 0–10 scale (a 1–5 answer spread over it).
fn on_ten(kind: SurveyKind, score: i64) -> f64 {
    let (low, high) = kind.range();
    (score as f64 - f64::from(low)) * 10.0 / f64::from(high - low)
}

struct ContactRow {
    id: i64,
    account_id: i64,
    name: String,
    email: Option<String>,
    title: Option<String>,
    role: Option<ContactRole>,
    influence: Option<Influence>,
    left_on: Option<NaiveDate>,
    added_on: NaiveDate,
    will_own: Option<bool>,
}

/// Keeps the later of two days.
fn later(a: &mut Option<NaiveDate>, b: NaiveDate) {
    if a.is_none_or(|a| b > a) {
        *a = Some(b);
    }
}

/// The champion health of every contact of `accounts` (every account for `None`) as of
/// `today`, by account; left contacts are included with their departure.
pub(crate) async fn champions_in(
    tx: &mut Tx,
    accounts: Option<&[i64]>,
    today: NaiveDate,
) -> Result<HashMap<i64, Vec<ContactChampion>>> {
    type Row = (
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<NaiveDate>,
        DateTime<Utc>,
        Option<i64>,
    );
    let sql = format!(
        concat!(
            "SELECT c.id, c.account_id, ",
            contact_name!(),
            ", c.email, c.title, c.role, c.influence, c.status, c.left_on, c.created_at, o.will_own \
             FROM contacts c LEFT JOIN relationship_outlooks o ON o.contact_id = c.id WHERE 1 = 1{} ORDER BY c.id"
        ),
        in_accounts("c.account_id", accounts)
    );
    let rows: Vec<Row> = Query::sql(&sql).fetch_all(tx).await?;
    let mut contacts = Vec::with_capacity(rows.len());
    for (id, account_id, name, email, title, role, influence, status, left_on, created_at, will_own) in rows {
        let status: ContactStatus = parse("contacts.status", &status)?;
        contacts.push(ContactRow {
            id,
            account_id,
            name,
            email: email.map(|e| e.to_lowercase()),
            title,
            role: parse_opt("contacts.role", role)?,
            influence: parse_opt("contacts.influence", influence)?,
            left_on: match status {
                ContactStatus::Left => Some(left_on.unwrap_or(today)),
                ContactStatus::Active => None,
            },
            added_on: created_at.date_naive(),
            will_own: will_own.map(|w| w == 1),
        });
    }
    let mut evidence: HashMap<i64, Evidence> = HashMap::new();
    let mut last_activity: HashMap<i64, Option<NaiveDate>> = HashMap::new();
    let use_from = today - Duration::days(USE_DAYS);
    let recent_from = today - Duration::days(RECENT_DAYS);
    let answer_from = today - Duration::days(ANSWER_DAYS);

    // Product use: the people the usage feed linked to each contact.
    let sql = format!(
        "SELECT p.contact_id, d.day FROM usage_user_days d JOIN usage_people p \
         ON p.user_key = d.user_key AND p.account_id = d.account_id \
         WHERE p.contact_id IS NOT NULL AND d.day >= '{use_from}'{} ORDER BY p.contact_id, d.day",
        in_accounts("d.account_id", accounts)
    );
    let days: Vec<(i64, NaiveDate)> = Query::sql(&sql).fetch_all(tx).await?;
    for (contact, day) in days {
        let e = evidence.entry(contact).or_default();
        e.active_days += 1;
        later(last_activity.entry(contact).or_default(), day);
    }
    let sql = format!(
        "SELECT contact_id, last_seen_at FROM usage_people WHERE contact_id IS NOT NULL{}",
        in_accounts("account_id", accounts)
    );
    let seen: Vec<(i64, DateTime<Utc>)> = Query::sql(&sql).fetch_all(tx).await?;
    for (contact, at) in seen {
        later(last_activity.entry(contact).or_default(), at.date_naive());
    }

    // Survey answers.
    let sql = format!(
        "SELECT contact_id, kind, score, answered_at FROM survey_answers WHERE contact_id IS NOT NULL{}",
        in_accounts("account_id", accounts)
    );
    let answers: Vec<(i64, String, i64, DateTime<Utc>)> = Query::sql(&sql).fetch_all(tx).await?;
    for (contact, kind, score, at) in answers {
        let day = at.date_naive();
        later(last_activity.entry(contact).or_default(), day);
        if day >= answer_from && day <= today {
            let kind: SurveyKind = parse("survey_answers.kind", &kind)?;
            evidence.entry(contact).or_default().answers.push(on_ten(kind, score));
        }
    }

    // Meetings they attended (held, not cancelled).
    let sql = format!(
        "SELECT ma.contact_id, m.starts_at FROM meeting_attendees ma JOIN meetings m ON m.id = ma.meeting_id \
         WHERE ma.contact_id IS NOT NULL AND m.cancelled_at IS NULL{}",
        in_accounts("m.account_id", accounts)
    );
    let meetings: Vec<(i64, DateTime<Utc>)> = Query::sql(&sql).fetch_all(tx).await?;
    for (contact, at) in meetings {
        let day = at.date_naive();
        if day > today {
            continue;
        }
        later(last_activity.entry(contact).or_default(), day);
        if day >= recent_from {
            evidence.entry(contact).or_default().meetings += 1;
        }
    }

    // Tickets, by the requester's address at the same account.
    let by_email: HashMap<(i64, &str), i64> = contacts
        .iter()
        .filter_map(|c| Some(((c.account_id, c.email.as_deref()?), c.id)))
        .collect();
    let sql = format!(
        "SELECT account_id, requester_email, opened_at, solved_at FROM tickets WHERE requester_email IS NOT NULL{}",
        in_accounts("account_id", accounts)
    );
    let tickets: Vec<(i64, String, DateTime<Utc>, Option<DateTime<Utc>>)> = Query::sql(&sql).fetch_all(tx).await?;
    for (account, email, opened, solved) in tickets {
        let Some(&contact) = by_email.get(&(account, email.to_lowercase().as_str())) else {
            continue;
        };
        let opened = opened.date_naive();
        later(last_activity.entry(contact).or_default(), opened);
        if opened >= recent_from && opened <= today {
            let e = evidence.entry(contact).or_default();
            e.tickets += 1;
            let solved = solved.map(|s| s.date_naive()).filter(|s| *s <= today);
            e.ticket_outcomes.extend(TicketOutcome::of(opened, solved, today));
        }
    }

    // The requests they asked for.
    let sql = format!(
        "SELECT pra.contact_id, r.status, r.shipped_at FROM product_request_accounts pra \
         JOIN product_requests r ON r.id = pra.request_id WHERE pra.contact_id IS NOT NULL{}",
        in_accounts("pra.account_id", accounts)
    );
    let requests: Vec<(i64, String, Option<DateTime<Utc>>)> = Query::sql(&sql).fetch_all(tx).await?;
    for (contact, status, shipped_at) in requests {
        let status: RequestStatus = parse("product_requests.status", &status)?;
        let e = evidence.entry(contact).or_default();
        match (status, shipped_at) {
            (RequestStatus::Shipped, Some(at)) if at.date_naive() >= answer_from => e.requests_shipped += 1,
            (s, _) if s.is_open() => e.requests_open += 1,
            _ => {}
        }
    }

    // The latest bounce of each contact's address.
    let sql = format!(
        "SELECT b.email, b.bounced_at FROM email_bounces b WHERE b.email IN \
         (SELECT LOWER(c.email) FROM contacts c WHERE c.email IS NOT NULL{})",
        in_accounts("c.account_id", accounts)
    );
    let bounces: Vec<(String, DateTime<Utc>)> = Query::sql(&sql).fetch_all(tx).await?;
    let mut bounced: HashMap<String, NaiveDate> = HashMap::new();
    for (email, at) in bounces {
        let day = at.date_naive();
        let latest = bounced.entry(email).or_insert(day);
        *latest = (*latest).max(day);
    }

    let mut out: HashMap<i64, Vec<ContactChampion>> = HashMap::new();
    for c in &contacts {
        let mut e = evidence.remove(&c.id).unwrap_or_default();
        e.role = c.role;
        e.title = c.title.clone();
        e.influence = c.influence;
        e.will_own = c.will_own;
        let key = is_key(c.role, c.influence);
        let last = last_activity.get(&c.id).copied().flatten();
        let quiet_since = last.unwrap_or(c.added_on);
        // A successor: someone active in the same buying role at the account, added on a
        // later day than this contact and after they went quiet. (Contacts imported together
        // are colleagues, not successors.)
        let successor = c.role.filter(|_| key).and_then(|role| {
            contacts
                .iter()
                .find(|o| {
                    o.account_id == c.account_id
                        && o.role == Some(role)
                        && o.left_on.is_none()
                        && o.added_on > c.added_on
                        && o.added_on > quiet_since
                })
                .map(|o| o.name.clone())
        });
        let whereabouts = Whereabouts {
            marked_left_on: c.left_on,
            last_activity: last,
            added_on: c.added_on,
            bounced_on: c.email.as_ref().and_then(|e| bounced.get(e).copied()),
            successor,
        };
        // Only key contacts are watched for leaving without a mark.
        let departure = departure(&whereabouts, today).filter(|d| matches!(d, Departure::Marked { .. }) || key);
        out.entry(c.account_id).or_default().push(ContactChampion {
            contact_id: ContactId(c.id),
            account_id: AccountId(c.account_id),
            name: c.name.clone(),
            title: c.title.clone(),
            role: c.role,
            key,
            will_own: c.will_own,
            health: ChampionHealth::of(&e),
            departure,
        });
    }
    Ok(out)
}

/// The alerts of `champions` as of `today`.
fn alerts_of(champion: &ContactChampion, today: NaiveDate) -> Option<(ChampionAlertKind, String)> {
    match &champion.departure {
        Some(Departure::Marked { on }) if (today - *on).num_days() <= LEFT_ALERT_DAYS => {
            Some((ChampionAlertKind::Left, format!("{} left on {on}", champion.name)))
        }
        Some(d @ Departure::Inferred { .. }) => {
            Some((ChampionAlertKind::Left, format!("{} {}", champion.name, d.describe())))
        }
        Some(Departure::Marked { .. }) => None,
        None => champion.health.needs_attention().then(|| {
            (
                ChampionAlertKind::CaresDislikes,
                format!(
                    "{} (influence {}) cares about the problem but dislikes our solution: engagement {}, delight {}",
                    champion.name,
                    champion.health.influence.value,
                    champion.health.engagement.value,
                    champion.health.delight.as_ref().map_or(0, |d| d.value)
                ),
            )
        }),
    }
}

/// The alerts of `accounts` (every account for `None`) as of `today`, the accounts with the
/// most ARR first.
pub(crate) async fn champion_alerts_in(
    tx: &mut Tx,
    accounts: Option<&[i64]>,
    today: NaiveDate,
) -> Result<Vec<ChampionAlert>> {
    let champions = champions_in(tx, accounts, today).await?;
    let sql = format!(
        "SELECT id, name, owner_id FROM accounts WHERE 1 = 1{} ORDER BY arr_cents DESC, name",
        in_accounts("id", accounts)
    );
    let names: Vec<(i64, String, Option<i64>)> = Query::sql(&sql).fetch_all(tx).await?;
    let mut alerts = Vec::new();
    for (id, name, owner) in names {
        for c in champions.get(&id).into_iter().flatten() {
            if let Some((kind, text)) = alerts_of(c, today) {
                alerts.push(ChampionAlert {
                    kind,
                    account_name: name.clone(),
                    owner: owner.map(UserId),
                    contact: c.clone(),
                    text,
                });
            }
        }
    }
    Ok(alerts)
}

impl Store {
    /// The champion health of an account's contacts, the most influential first.
    pub async fn account_champions(&self, account: AccountId) -> Result<(String, Vec<ContactChampion>)> {
        let mut tx = self.begin_snapshot().await?;
        let name: Option<(String,)> = Query::sql("SELECT name FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(&mut tx)
            .await?;
        let (name,) = name.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        let today = tx.today();
        let mut champions = champions_in(&mut tx, Some(&[account.0]), today)
            .await?
            .remove(&account.0)
            .unwrap_or_default();
        champions.sort_by(|a, b| {
            b.marked_active()
                .cmp(&a.marked_active())
                .then(b.health.influence.value.cmp(&a.health.influence.value))
                .then(a.name.cmp(&b.name))
        });
        Ok((name, champions))
    }

    /// The champion alerts of `owner`'s book (every account for `None`), the largest
    /// accounts first.
    pub async fn champion_alerts(&self, owner: Option<UserId>) -> Result<Vec<ChampionAlert>> {
        let mut tx = self.begin_snapshot().await?;
        let today = tx.today();
        let accounts: Option<Vec<i64>> = match owner {
            None => None,
            Some(user) => Some(
                Query::sql("SELECT id FROM accounts WHERE owner_id = $1")
                    .bind(user.0)
                    .fetch_all::<(i64,)>(&mut tx)
                    .await?
                    .into_iter()
                    .map(|(id,)| id)
                    .collect(),
            ),
        };
        champion_alerts_in(&mut tx, accounts.as_deref(), today).await
    }

    /// Tells each account's CSM about its champion alerts: a champion who left once per
    /// departure, a high-influence contact who dislikes our solution once a month while it
    /// lasts (the queue drops a message whose key it has seen). Returns the alerts told.
    pub async fn raise_champion_alerts(&self) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let today = tx.today();
        let alerts = champion_alerts_in(&mut tx, None, today).await?;
        let mut raised = 0;
        for alert in alerts {
            let Some(owner) = alert.owner else { continue };
            let contact = alert.contact.contact_id;
            let (once_key, subject) = match alert.kind {
                ChampionAlertKind::Left => (
                    format!(
                        "champion-left:{contact}:{}",
                        alert.contact.departure.as_ref().map_or(today, Departure::day)
                    ),
                    format!("{} at {} has left", alert.contact.name, alert.account_name),
                ),
                ChampionAlertKind::CaresDislikes => (
                    format!("champion-dislikes:{contact}:{}", today.format("%Y-%m")),
                    format!("{} at {} dislikes our solution", alert.contact.name, alert.account_name),
                ),
            };
            let notification = Notification {
                kind: NotificationKind::ChampionAlert,
                subject: Subject::parse(&subject.chars().take(200).collect::<String>())
                    .map_err(|e| StoreError::Corrupt(format!("champion alert subject: {e}")))?,
                text: alert.text.clone(),
                link: Some(format!("/accounts/{}/champions", alert.contact.account_id)),
                once_key: Some(once_key),
            };
            notify_user(&mut tx, owner, &notification).await?;
            raised += 1;
        }
        tx.commit().await?;
        Ok(raised)
    }

    /// Records the CSM's answer to "will this contact own the relationship in 12 months?"
    /// (`None` forgets it).
    pub async fn set_relationship_outlook(
        &self,
        contact: ContactId,
        will_own: Option<bool>,
        by: Option<UserId>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let found: Option<(i64,)> = Query::sql("SELECT id FROM contacts WHERE id = $1")
            .bind(contact.0)
            .fetch_optional(&mut tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                what: "contact",
                key: contact.to_string(),
            });
        }
        Query::sql("DELETE FROM relationship_outlooks WHERE contact_id = $1")
            .bind(contact.0)
            .execute(&mut tx)
            .await?;
        if let Some(will_own) = will_own {
            let now = tx.now();
            Query::sql(
                "INSERT INTO relationship_outlooks (contact_id, will_own, set_by, set_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(contact.0)
            .bind(i64::from(will_own))
            .bind(by)
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// Records that an email to `email` bounced (the address is kept in lower case).
    pub async fn record_email_bounce(&self, email: &lodestar_domain::text::Email, reason: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        Query::sql("INSERT INTO email_bounces (email, reason, bounced_at) VALUES ($1, $2, $3)")
            .bind(email.as_str().to_lowercase())
            .bind(reason.chars().take(500).collect::<String>())
            .bind(now)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }
}
