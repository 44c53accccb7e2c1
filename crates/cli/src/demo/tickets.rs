//! Demo tickets and requests (F-43): half the accounts with usage have support tickets from
//! the last four months — open and solved, of every priority, on a handful of topics — so the
//! account pages and the support-load measure show something real; and a dozen bugs and
//! feature requests linked to the accounts that asked for them, some moving through Jira's
//! statuses and a few shipped (their CSMs have the task of telling the customer).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::account::Account;
use lodestar_domain::text::{ExternalId, Name, Note};
use lodestar_domain::ticket::{JiraKey, RequestFields, Tag, TicketFields};
use lodestar_domain::vocabulary::{
    ContactRole, ContactStatus, LifecycleStage, RequestKind, RequestStatus, TicketPriority, TicketStatus,
};
use lodestar_domain::{AccountId, ContactId};
use lodestar_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{pick, weighted};

/// Ticket subjects by topic (the topic is the ticket's first tag).
const TOPICS: [(&str, [&str; 3]); 6] = [
    (
        "sso",
        [
            "SSO login fails for new users",
            "SAML certificate expired",
            "Okta group sync missing people",
        ],
    ),
    (
        "billing",
        [
            "Invoice shows the wrong seat count",
            "Need a PO number on invoices",
            "Card payment declined",
        ],
    ),
    (
        "reporting",
        [
            "Weekly report arrives empty",
            "Dashboard totals do not match export",
            "Scheduled report stopped",
        ],
    ),
    (
        "integration",
        [
            "CRM sync duplicates contacts",
            "Webhook deliveries time out",
            "API rate limit hit at night",
        ],
    ),
    (
        "performance",
        [
            "Search takes 20 seconds",
            "Pages slow in the afternoon",
            "Export never finishes",
        ],
    ),
    (
        "onboarding",
        [
            "How do we invite a whole team?",
            "Training session for new admins",
            "Where is the import template?",
        ],
    ),
];

/// Requests customers make: title, kind, why, and the status each demo request ends in.
const REQUESTS: [(&str, RequestKind, &str, RequestStatus); 12] = [
    (
        "SAML single sign-on for every plan",
        RequestKind::Feature,
        "Security review before renewal",
        RequestStatus::InProgress,
    ),
    (
        "Audit log export to their SIEM",
        RequestKind::Feature,
        "Compliance asks every quarter",
        RequestStatus::Planned,
    ),
    (
        "CRM sync creates duplicate contacts",
        RequestKind::Bug,
        "Their sales team stopped trusting the data",
        RequestStatus::Shipped,
    ),
    (
        "Scheduled reports in the viewer's time zone",
        RequestKind::Feature,
        "Managers in APAC get them at 3 am",
        RequestStatus::Open,
    ),
    (
        "Dashboard totals differ from the CSV export",
        RequestKind::Bug,
        "Finance found it at month end",
        RequestStatus::Shipped,
    ),
    (
        "Bulk invite from a CSV of people",
        RequestKind::Feature,
        "Onboarding 400 seats by hand",
        RequestStatus::Open,
    ),
    (
        "Custom roles with read-only admins",
        RequestKind::Feature,
        "IT wants to see settings without changing them",
        RequestStatus::Open,
    ),
    (
        "Search is slow on large workspaces",
        RequestKind::Bug,
        "Their power users complain weekly",
        RequestStatus::InProgress,
    ),
    (
        "Data residency in the EU",
        RequestKind::Feature,
        "Legal blocks the EMEA rollout without it",
        RequestStatus::Open,
    ),
    (
        "Webhook retries with backoff",
        RequestKind::Feature,
        "Their integration drops events at night",
        RequestStatus::Shipped,
    ),
    (
        "Mobile app for approvals",
        RequestKind::Feature,
        "Managers approve on the road",
        RequestStatus::Declined,
    ),
    (
        "Slack alerts per channel",
        RequestKind::Feature,
        "One noisy channel for everything today",
        RequestStatus::Open,
    ),
];

/// How a request gets to its final status, as Jira would move it.
fn path_to(status: RequestStatus) -> &'static [RequestStatus] {
    use RequestStatus::*;
    match status {
        Open => &[],
        Planned => &[Planned],
        InProgress => &[Planned, InProgress],
        Shipped => &[Planned, InProgress, Shipped],
        Declined => &[Declined],
    }
}

fn at_noon(day: NaiveDate) -> DateTime<Utc> {
    super::clock_on(day).now()
}

fn tickets_of(
    rng: &mut ChaCha8Rng,
    account: &Account,
    next_id: &mut u64,
    today: NaiveDate,
) -> anyhow::Result<Vec<lodestar_domain::Valid<TicketFields>>> {
    let count = rng.random_range(1..=8);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (topic, subjects) = pick(rng, &TOPICS);
        let opened = at_noon(today) - Duration::hours(rng.random_range(2..120 * 24));
        let open = rng.random_bool(0.3) || opened > at_noon(today) - Duration::days(3);
        let status = if open {
            pick(
                rng,
                &[
                    TicketStatus::New,
                    TicketStatus::Open,
                    TicketStatus::Open,
                    TicketStatus::Pending,
                    TicketStatus::Hold,
                ],
            )
        } else {
            pick(rng, &[TicketStatus::Solved, TicketStatus::Solved, TicketStatus::Closed])
        };
        let priority = weighted(
            rng,
            &[
                (TicketPriority::Low, 2.0),
                (TicketPriority::Normal, 5.0),
                (TicketPriority::High, 2.0),
                (TicketPriority::Urgent, 1.0),
            ],
        );
        let updated = if open {
            opened + Duration::hours(rng.random_range(0..24))
        } else {
            opened + Duration::hours(rng.random_range(1..96))
        };
        let mut tags = vec![topic.to_owned()];
        if priority == TicketPriority::Urgent {
            tags.push("escalated".to_owned());
        }
        *next_id += 1;
        out.push(
            TicketFields {
                external_id: ExternalId::parse(&next_id.to_string()).map_err(anyhow::Error::msg)?,
                account_id: account.id,
                subject: Name::parse(pick(rng, &subjects)).map_err(anyhow::Error::msg)?,
                status,
                priority,
                requester_email: None,
                tags: Tag::parse_list(&tags.join(" ")).map_err(anyhow::Error::msg)?,
                opened_at: opened,
                updated_at: updated.min(at_noon(today)),
            }
            .validate()?,
        );
    }
    Ok(out)
}

/// Who at `account` asks for things: its champion, when it has one still there.
async fn asker(store: &Store, account: AccountId) -> anyhow::Result<Option<ContactId>> {
    Ok(store
        .contacts_of(account)
        .await?
        .into_iter()
        .find(|c| c.fields.role == Some(ContactRole::Champion) && c.fields.status == ContactStatus::Active)
        .map(|c| c.id))
}

/// Loads the demo tickets and requests; returns (tickets, requests).
pub async fn load(store: &Store, accounts: &[Account], seed: u64, today: NaiveDate) -> anyhow::Result<(usize, usize)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x71c4e75);
    let live: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned)
        .collect();
    let mut tickets = Vec::new();
    let mut next_id = 40_000;
    for account in live.iter().step_by(2) {
        tickets.extend(tickets_of(&mut rng, account, &mut next_id, today)?);
    }
    let written = store.upsert_tickets(tickets).await?.created;

    let owned: Vec<&Account> = live.iter().copied().filter(|a| a.fields.owner_id.is_some()).collect();
    if owned.is_empty() {
        return Ok((written, 0));
    }
    for (i, (title, kind, why, status)) in REQUESTS.iter().enumerate() {
        let first = owned[(i * 7) % owned.len()];
        let fields = RequestFields {
            title: Name::parse(title).map_err(anyhow::Error::msg)?,
            kind: *kind,
            detail: Note::parse(why).map_err(anyhow::Error::msg)?,
            jira_key: Some(JiraKey::parse(&format!("PROD-{}", 101 + i)).map_err(anyhow::Error::msg)?),
        }
        .validate()?;
        let request = store
            .create_request(fields, first.id, asker(store, first.id).await?, first.fields.owner_id)
            .await?;
        let more = rng.random_range(0..=5).min(owned.len() - 1);
        for step in 1..=more {
            let other = owned[(i * 7 + step * 13) % owned.len()];
            if other.id != first.id
                && !store
                    .request(request.id)
                    .await?
                    .accounts
                    .iter()
                    .any(|a| a.account_id == other.id)
            {
                store
                    .link_request(
                        request.id,
                        other.id,
                        asker(store, other.id).await?,
                        other.fields.owner_id,
                    )
                    .await?;
            }
        }
        for next in path_to(*status) {
            store.set_request_status(request.id, *next, None).await?;
        }
    }
    Ok((written, REQUESTS.len()))
}
