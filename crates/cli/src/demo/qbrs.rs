//! Demo QBRs (F-35): strategic accounts with a QBR held lately — each with the CSM's gut-check
//! of the renewal, most with their pack shared with the customer's attendees — and QBRs booked
//! ahead, half of them without a senior sponsor invited (flagged for rescheduling). The other
//! strategic accounts have had no QBR, so the overdue list is full. The packs' links hold no
//! secret anyone has: to try the customer's side, share a pack again from its review page.

use chrono::{Duration, NaiveDate, NaiveTime};
use lodestar_domain::meeting::{MeetingFields, local_start};
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::qbr::is_senior;
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{LifecycleStage, MeetingKind, RenewalOutlook, Tier};
use lodestar_domain::{ContactId, UserId, Valid};
use lodestar_store::{LinkTarget, NewCustomerLink, Store};

/// Strategic accounts that get QBRs.
const ACCOUNTS: usize = 8;
/// Of those, the first few have their pack shared.
const WITH_PACK: usize = 5;

const SUMMARY: &str = "## What we agreed\n- Focus next quarter on the **EMEA rollout**: it carries the renewal\n- The weekly usage report goes to the sponsor from now on\n\n## Next review\nIn three months, with the CFO.";

const OUTLOOKS: [(RenewalOutlook, &str); 3] = [
    (RenewalOutlook::Likely, "Sponsor is happy with the rollout"),
    (RenewalOutlook::Unsure, "New CFO reviews every tool over $50k"),
    (RenewalOutlook::AtRisk, "Champion left; usage falling in EMEA"),
];

fn at(day: NaiveDate, hour: u32) -> chrono::DateTime<chrono::Utc> {
    local_start(
        day,
        NaiveTime::from_hms_opt(hour, 0, 0).expect("an hour"),
        chrono_tz::UTC,
    )
    .expect("UTC has every hour")
}

fn qbr(
    title: String,
    starts_on: NaiveDate,
    users: Vec<UserId>,
    contacts: Vec<ContactId>,
) -> anyhow::Result<Valid<MeetingFields>> {
    Ok(MeetingFields {
        kind: MeetingKind::Qbr,
        title: Name::parse(&title).map_err(anyhow::Error::msg)?,
        starts_at: at(starts_on, 14),
        duration_minutes: 60,
        time_zone: chrono_tz::UTC,
        notes: Note::default(),
        users,
        contacts,
    }
    .validate()?)
}

/// Loads the demo QBRs; returns how many meetings it made.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let today = store.today();
    let mut made = 0;
    let mut accounts = Vec::new();
    for a in store.accounts().await? {
        if a.fields.tier == Some(Tier::Strategic) && a.fields.lifecycle_stage != LifecycleStage::Churned {
            let contacts = store.contacts_of(a.id).await?;
            let senior = contacts.iter().find(|c| is_senior(c.fields.role, c.fields.influence));
            let other = contacts.iter().find(|c| !is_senior(c.fields.role, c.fields.influence));
            if let (Some(owner), Some(senior), Some(other)) = (a.fields.owner_id, senior, other) {
                accounts.push((a.clone(), owner, senior.id, other.id));
            }
        }
        if accounts.len() == ACCOUNTS {
            break;
        }
    }
    for (i, (account, owner, senior, other)) in accounts.into_iter().enumerate() {
        let name = account.fields.name.to_string();
        // Held lately, with the sponsor (or, for some, without).
        let held_on = today - Duration::days(12 + 6 * i as i64);
        let contacts = if i % 3 == 2 { vec![other] } else { vec![senior, other] };
        let fields = qbr(format!("Q4 business review · {name}"), held_on, vec![owner], contacts)?;
        let promises = vec![
            PromiseFields {
                description: ActionText::parse("Send the usage report for the EMEA teams")
                    .map_err(anyhow::Error::msg)?,
                owner: PromiseOwner::Us(owner),
                due_on: held_on + Duration::days(7),
            },
            PromiseFields {
                description: ActionText::parse("Name an admin for the EMEA rollout").map_err(anyhow::Error::msg)?,
                owner: PromiseOwner::Customer(senior),
                due_on: held_on + Duration::days(14),
            },
        ];
        let held = store.create_meeting(account.id, fields, promises, Some(owner)).await?;
        let (outlook, note) = OUTLOOKS[i % OUTLOOKS.len()];
        store
            .set_renewal_outlook(held.id, Some(outlook), Note::parse(note).map_err(anyhow::Error::msg)?)
            .await?;
        if i < WITH_PACK {
            let links = held
                .fields
                .contacts
                .iter()
                .map(|contact| NewCustomerLink {
                    target: LinkTarget::ReviewPack(held.id),
                    contact_id: *contact,
                    actions: Vec::new(),
                    expires_at: store.now() + Duration::days(30),
                    // Not the hash of any secret: nobody holds a working link to demo packs.
                    token_hash: format!("demo-pack-{}-{contact}", held.id),
                })
                .collect();
            store
                .share_review_pack(
                    held.id,
                    Note::parse(SUMMARY).map_err(anyhow::Error::msg)?,
                    links,
                    Some(owner),
                )
                .await?;
        }
        // Booked ahead: every other one without a senior sponsor invited.
        let ahead_on = today + Duration::days(3 + 4 * i as i64);
        let contacts = if i % 2 == 0 { vec![other] } else { vec![senior, other] };
        let ahead = qbr(format!("Q1 business review · {name}"), ahead_on, vec![owner], contacts)?;
        store.create_meeting(account.id, ahead, Vec::new(), Some(owner)).await?;
        made += 2;
    }
    Ok(made)
}
