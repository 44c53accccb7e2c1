//! QBRs, EBRs and check-ins (F-35): the accounts overdue for a review their experience level
//! entitles them to; the agenda a review is held on, assembled from the account's records; the
//! CSM's gut-check of the renewal; the pack shared with the customer's attendees afterwards;
//! and the reactive QBR a red health score opens.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::goal::{GoalStatus, PartRating};
use lodestar_domain::qbr::{
    Agenda, AgendaAttendee, AgendaGoal, AgendaPlan, AgendaTactic, Cadence, ContractCheck, PackPromise, PeerMetric,
    PeerUsage, QbrPack, REVIEW_KINDS, is_review, is_senior, percentile_rank, shown_figure,
};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{ActionStatus, Coverage, MeetingKind, RenewalOutlook, TaskSource, Tier};
use lodestar_domain::{AccountId, MeetingId, UserId};

use super::accounts::{AccountRow, AccountSummary, SELECT_ACCOUNTS};
use super::contacts::contacts_of_in;
use super::customer_links::{CustomerLink, NewCustomerLink, insert_link};
use super::experience::{LEVEL_OF_ACCOUNT, entitlements_in};
use super::goals::goals_where;
use super::meetings::{Attendee, Meeting, meeting_in};
use super::plans::plan_in;
use super::promises::{PromiseFilter, promises_where};
use super::tasks::{TaskFields, insert_task};
use super::timeline::{TimelineKind, record};
use super::{parse, parse_opt};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// An account owed a review it has not had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueReview {
    pub account_id: AccountId,
    pub account_name: String,
    pub owner: Option<String>,
    pub tier: Option<Tier>,
    /// The experience level that entitles the account to the review.
    pub level: String,
    /// Who holds it: the owner (named) or anyone of the level's pool.
    pub coverage: Coverage,
    pub cadence: Cadence,
    /// The day of the last review that kept the cadence, if there was one.
    pub last_held: Option<NaiveDate>,
    /// When the next one was due: the last one's day plus the cadence, or (never held) the
    /// launch (else creation) day plus the cadence.
    pub due_on: NaiveDate,
    /// A review already booked, if one is.
    pub next_booked: Option<DateTime<Utc>>,
}

/// A business review ahead, with whether a senior person of the customer's is invited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcomingReview {
    pub meeting_id: MeetingId,
    pub account_id: AccountId,
    pub account_name: String,
    pub owner: Option<String>,
    pub kind: MeetingKind,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub sponsor_missing: bool,
}

/// A pack as shared: its content, frozen when shared, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedPack {
    pub pack: QbrPack,
    pub shared_at: DateTime<Utc>,
}

/// A review meeting with everything its page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub meeting: Meeting,
    pub agenda: Agenda,
    pub pack: Option<SharedPack>,
}

/// Days of usage a review compares: the last four weeks.
const USAGE_DAYS: i64 = 28;

/// Days a reactive QBR task is given.
const REACTIVE_QBR_DAYS: i64 = 7;

fn kinds_list(kinds: &[MeetingKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The review meeting `id`; any other kind of meeting is refused.
async fn review_meeting(tx: &mut Tx, id: MeetingId) -> Result<Meeting> {
    let meeting = meeting_in(tx, id).await?;
    if !is_review(meeting.fields.kind) {
        return Err(StoreError::Conflict(format!(
            "meeting {id} is a {}, not a QBR, an EBR or a check-in: it has no agenda",
            meeting.fields.kind.label()
        )));
    }
    Ok(meeting)
}

/// The account's usage of the last four weeks beside the other accounts of its tier (all
/// accounts when it has none); churned accounts are no peers.
async fn peer_usage(tx: &mut Tx, account: AccountId, tier: Option<Tier>, today: NaiveDate) -> Result<PeerUsage> {
    let from = today - Duration::days(USAGE_DAYS - 1);
    let peers_of = |q: Query| match tier {
        Some(t) => q.push(" AND a.tier = ").value(t.as_str()),
        None => q,
    };
    let totals: Vec<(i64, i64, i64)> = peers_of(
        Query::sql(
            "SELECT a.id, CAST(COALESCE(SUM(d.events), 0) AS BIGINT), CAST(COALESCE(SUM(d.active_users), 0) AS BIGINT) \
             FROM accounts a LEFT JOIN usage_account_days d ON d.account_id = a.id AND d.day >= ",
        )
        .value(from)
        .push(" AND d.day <= ")
        .value(today)
        .push(" WHERE a.lifecycle_stage <> 'churned'"),
    )
    .push(" GROUP BY a.id")
    .fetch_all(tx)
    .await?;
    let features: Vec<(i64, i64)> = peers_of(
        Query::sql(
            "SELECT f.account_id, COUNT(DISTINCT f.feature) FROM usage_feature_days f JOIN accounts a ON a.id = f.account_id \
             WHERE f.day >= ",
        )
        .value(from)
        .push(" AND f.day <= ")
        .value(today)
        .push(" AND a.lifecycle_stage <> 'churned'"),
    )
    .push(" GROUP BY f.account_id")
    .fetch_all(tx)
    .await?;
    let features: HashMap<i64, i64> = features.into_iter().collect();
    let columns: [(&str, Vec<f64>); 3] = [
        (
            "Events, last 4 weeks",
            totals.iter().map(|(_, events, _)| *events as f64).collect(),
        ),
        (
            "Average daily active users",
            totals
                .iter()
                .map(|(_, _, users)| (*users as f64 / USAGE_DAYS as f64 * 10.0).round() / 10.0)
                .collect(),
        ),
        (
            "Features used, last 4 weeks",
            totals
                .iter()
                .map(|(id, _, _)| features.get(id).copied().unwrap_or(0) as f64)
                .collect(),
        ),
    ];
    let at = totals.iter().position(|(id, _, _)| *id == account.0);
    let metrics = columns
        .into_iter()
        .filter_map(|(label, mut values)| {
            let value = values[at?];
            let percentile = percentile_rank(value, &values);
            values.sort_by(f64::total_cmp);
            let peer_median = values[values.len() / 2];
            Some(PeerMetric {
                label: label.to_owned(),
                value,
                shown: shown_figure(value),
                percentile,
                peer_median,
                median_shown: shown_figure(peer_median),
            })
        })
        .collect();
    Ok(PeerUsage {
        segment: tier.map_or("all", |t| t.label()).to_owned(),
        peers: totals.len(),
        metrics,
    })
}

async fn agenda_in(tx: &mut Tx, meeting: &Meeting, today: NaiveDate) -> Result<Agenda> {
    let account = meeting.account_id;
    let row: AccountRow = Query::sql(format!("{SELECT_ACCOUNTS} WHERE id = $1"))
        .bind(account.0)
        .fetch_one(tx)
        .await?;
    let summary = AccountSummary::try_from(row)?;
    let tier = summary.account.fields.tier;
    let contacts = contacts_of_in(tx, account).await?;
    let attendees = meeting
        .attendees
        .iter()
        .map(|a| match a {
            Attendee::User { name, .. } => AgendaAttendee {
                name: name.clone(),
                customer: false,
                role: None,
                senior: false,
            },
            Attendee::Contact { id, name, .. } => {
                let contact = contacts.iter().find(|c| c.id == *id).map(|c| &c.fields);
                let role = contact.and_then(|c| c.role);
                AgendaAttendee {
                    name: name.clone(),
                    customer: true,
                    role: role.map(|r| r.label().to_owned()),
                    senior: is_senior(role, contact.and_then(|c| c.influence)),
                }
            }
        })
        .collect();
    let goals = goals_where(
        tx,
        vec![Query::sql("g.account_id = ").value(account.0)],
        "g.due_on, g.id",
    )
    .await?
    .into_iter()
    .filter(|g| g.fields.status != GoalStatus::Dropped)
    .map(|g| AgendaGoal {
        title: g.fields.title.to_string(),
        measure: g.fields.measure(),
        status: g.fields.status.label().to_owned(),
        below: g
            .parts
            .iter()
            .filter(|p| p.rating == Some(PartRating::Below))
            .map(|p| format!("{} ({})", p.fields.name, p.fields.kind.label().to_lowercase()))
            .collect(),
        value: g
            .value
            .as_ref()
            .map_or_else(|| "Not recorded yet".to_owned(), |v| v.value.describe()),
    })
    .collect();
    let plan = plan_in(tx, "p.account_id", account.0).await?;
    let library_used: Vec<i64> = plan
        .iter()
        .flat_map(|p| p.tactics.iter().filter_map(|t| t.library_tactic_id.map(|l| l.0)))
        .collect();
    let plan = plan.map(|p| {
        let tactic = |t: &super::plans::PlanTactic| AgendaTactic {
            title: t.fields.title.to_string(),
            due_on: t.fields.due_on,
        };
        AgendaPlan {
            title: p.fields.title.to_string(),
            version: p.version,
            state: p.state.label().to_owned(),
            approved: p.approval().is_some(),
            active: p.active_tactics().map(tactic).collect(),
            done: p
                .tactics
                .iter()
                .filter(|t| t.state == lodestar_domain::vocabulary::TacticState::Done)
                .map(tactic)
                .collect(),
        }
    });
    let health: Option<(i64, String)> = Query::sql("SELECT score, band FROM health_scores WHERE account_id = $1")
        .bind(account.0)
        .fetch_optional(tx)
        .await?;
    let outlook: Option<(Option<String>, String)> =
        Query::sql("SELECT renewal_outlook, outlook_note FROM business_reviews WHERE meeting_id = $1")
            .bind(meeting.id.0)
            .fetch_optional(tx)
            .await?;
    let (outlook, outlook_note) = outlook.unwrap_or_default();
    let library: Vec<(i64, String)> = match tier {
        Some(t) => {
            Query::sql(
                "SELECT t.id, t.title FROM playbook_tactics t JOIN playbook_outcomes o ON o.id = t.outcome_id \
                 WHERE o.tier = $1 ORDER BY o.slot, t.position, t.id",
            )
            .bind(t.as_str())
            .fetch_all(tx)
            .await?
        }
        None => Vec::new(),
    };
    let library: Vec<String> = library
        .into_iter()
        .filter(|(id, _)| !library_used.contains(id))
        .map(|(_, title)| title)
        .collect();
    let mut agenda = Agenda {
        account_name: summary.account.fields.name.to_string(),
        title: meeting.fields.title.to_string(),
        kind: meeting.fields.kind,
        starts_at: meeting.fields.starts_at,
        attendees,
        goals,
        plan,
        contract: ContractCheck {
            arr: summary.arr.whole_dollars(),
            renewal_date: summary.renewal_date,
            days_to_renewal: summary.renewal_date.map(|d| (d - today).num_days()),
            health_score: health.as_ref().and_then(|(s, _)| u32::try_from(*s).ok()),
            health_band: health.map(|(_, b)| b),
            outlook: parse_opt("business_reviews.renewal_outlook", outlook)?,
            outlook_note,
        },
        usage: peer_usage(tx, account, tier, today).await?,
        recommendations: Vec::new(),
    };
    agenda.recommend(&library);
    Ok(agenda)
}

async fn pack_in(tx: &mut Tx, meeting: MeetingId) -> Result<Option<SharedPack>> {
    let row: Option<(Option<String>, Option<DateTime<Utc>>)> =
        Query::sql("SELECT pack, pack_shared_at FROM business_reviews WHERE meeting_id = $1")
            .bind(meeting.0)
            .fetch_optional(tx)
            .await?;
    match row {
        Some((Some(json), Some(shared_at))) => Ok(Some(SharedPack {
            pack: serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("business_reviews.pack: {e}")))?,
            shared_at,
        })),
        _ => Ok(None),
    }
}

/// Opens a reactive QBR task for the CSM of each of `accounts`, saying `why` ("its health
/// turned red"), unless one is open already (one per spell of red, or per trigger cause).
/// Returns the accounts that got one.
pub(crate) async fn open_reactive_qbrs(tx: &mut Tx, accounts: &[i64], why: &str) -> Result<Vec<i64>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let owners: Vec<(i64, i64, String)> =
        Query::sql("SELECT a.id, a.owner_id, a.name FROM accounts a WHERE a.owner_id IS NOT NULL AND a.id IN (")
            .list(accounts.iter().copied())
            .push(
                ") AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.account_id = a.id AND t.source = 'reactive_qbr' \
                 AND t.done_at IS NULL)",
            )
            .fetch_all(tx)
            .await?;
    let due = tx.today() + Duration::days(REACTIVE_QBR_DAYS);
    let mut opened = Vec::new();
    for (account, owner, name) in owners {
        let task = TaskFields {
            title: ActionText::parse(&format!("Hold a reactive QBR with {name}: {why}"))
                .map_err(|e| StoreError::Corrupt(format!("reactive QBR task: {e}")))?,
            account: Some(AccountId(account)),
            due_on: Some(due),
        };
        insert_task(tx, UserId(owner), &task, TaskSource::ReactiveQbr).await?;
        opened.push(account);
    }
    Ok(opened)
}

impl Store {
    /// The accounts overdue for a review their experience level entitles them to, the longest
    /// overdue first. With `owner`: that CSM's book, plus every account of a pooled level when
    /// they serve in its pool (own an account of it). An account owed both a QBR and a
    /// check-in is listed once, for the QBR, which keeps both. Churned accounts are owed
    /// nothing; an account with no level (no tier, not placed) is owed nothing either.
    pub async fn overdue_reviews(&self, owner: Option<UserId>, today: NaiveDate) -> Result<Vec<OverdueReview>> {
        let mut tx = self.begin_snapshot().await?;
        let now = tx.now();
        let levels = entitlements_in(&mut tx).await?;
        // The pools `owner` serves: the pooled levels of the accounts they own.
        let mut pools: Vec<i64> = Vec::new();
        if let Some(o) = owner {
            let theirs: Vec<Option<i64>> = Query::sql(format!(
                "SELECT DISTINCT {LEVEL_OF_ACCOUNT} FROM accounts a WHERE a.lifecycle_stage <> 'churned' AND a.owner_id = "
            ))
            .value(o.0)
            .scalars(&mut tx)
            .await?;
            pools = theirs
                .into_iter()
                .flatten()
                .filter(|l| levels.get(l).is_some_and(|(_, e)| e.coverage == Coverage::Pooled))
                .collect();
        }
        let book = |q: Query| match owner {
            None => q,
            Some(o) if pools.is_empty() => q.push(" AND a.owner_id = ").value(o.0),
            Some(o) => q
                .push(" AND (a.owner_id = ")
                .value(o.0)
                .push(format!(" OR {LEVEL_OF_ACCOUNT} IN ("))
                .list(pools.iter().copied())
                .push("))"),
        };
        type AccountFacts = (
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<NaiveDate>,
            DateTime<Utc>,
            Option<i64>,
        );
        let accounts: Vec<AccountFacts> = book(Query::sql(format!(
            "SELECT a.id, a.name, u.name, a.tier, a.launch_date, a.created_at, {LEVEL_OF_ACCOUNT} FROM accounts a \
             LEFT JOIN users u ON u.id = a.owner_id WHERE a.lifecycle_stage <> 'churned'"
        )))
        .fetch_all(&mut tx)
        .await?;
        let meetings = |aggregate: &str, side: &str| {
            book(Query::sql(format!(
                "SELECT m.account_id, m.kind, {aggregate}(m.starts_at) FROM meetings m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.cancelled_at IS NULL AND m.kind IN ({}) AND m.starts_at {side} ",
                kinds_list(&REVIEW_KINDS)
            ))
            .value(now))
            .push(" GROUP BY m.account_id, m.kind")
        };
        let by_kind = |rows: Vec<(i64, String, DateTime<Utc>)>| -> Result<HashMap<(i64, MeetingKind), DateTime<Utc>>> {
            rows.into_iter()
                .map(|(id, kind, at)| Ok(((id, parse("meetings.kind", &kind)?), at)))
                .collect()
        };
        let last = by_kind(meetings("MAX", "<=").fetch_all(&mut tx).await?)?;
        let next = by_kind(meetings("MIN", ">").fetch_all(&mut tx).await?)?;
        let mut out = Vec::new();
        for (id, name, owner_name, tier, launch, created, level) in accounts {
            let Some((level_name, entitlements)) = level.and_then(|l| levels.get(&l)) else {
                continue;
            };
            let tier: Option<Tier> = parse_opt("accounts.tier", tier)?;
            for cadence in entitlements.cadences() {
                let kept = cadence.kept_by();
                let last_held = kept
                    .iter()
                    .filter_map(|k| last.get(&(id, *k)))
                    .max()
                    .map(|at| at.date_naive());
                let due_on = last_held.or(launch).unwrap_or(created.date_naive())
                    + Duration::days(i64::from(cadence.every_days));
                if due_on < today {
                    out.push(OverdueReview {
                        account_id: AccountId(id),
                        account_name: name.clone(),
                        owner: owner_name.clone(),
                        tier,
                        level: level_name.to_string(),
                        coverage: entitlements.coverage,
                        cadence,
                        last_held,
                        due_on,
                        next_booked: kept.iter().filter_map(|k| next.get(&(id, *k))).min().copied(),
                    });
                    // The QBR comes first; holding it keeps the check-in cadence too.
                    break;
                }
            }
        }
        out.sort_by(|a, b| (a.due_on, &a.account_name).cmp(&(b.due_on, &b.account_name)));
        Ok(out)
    }

    /// The QBRs and EBRs (of one CSM's book when `owner` is set) starting in `[from, to)`, the
    /// soonest first, each with whether a senior person of the customer's is invited.
    pub async fn upcoming_reviews(
        &self,
        owner: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UpcomingReview>> {
        let mut tx = self.begin_snapshot().await?;
        let mut q = Query::sql(
            "SELECT m.id, m.account_id, a.name, u.name, m.kind, m.title, m.starts_at, \
             EXISTS (SELECT 1 FROM meeting_attendees t JOIN contacts c ON c.id = t.contact_id \
             WHERE t.meeting_id = m.id AND (c.role IN ('exec_sponsor', 'decision_maker') OR c.influence = 'high')) \
             FROM meetings m JOIN accounts a ON a.id = m.account_id LEFT JOIN users u ON u.id = a.owner_id \
             WHERE m.cancelled_at IS NULL AND m.kind IN ('qbr', 'ebr') AND m.starts_at >= ",
        )
        .value(from)
        .push(" AND m.starts_at < ")
        .value(to);
        if let Some(o) = owner {
            q = q.push(" AND a.owner_id = ").value(o.0);
        }
        type Row = (i64, i64, String, Option<String>, String, String, DateTime<Utc>, bool);
        let rows: Vec<Row> = q.push(" ORDER BY m.starts_at, m.id").fetch_all(&mut tx).await?;
        rows.into_iter()
            .map(|(id, account, name, owner, kind, title, starts_at, senior)| {
                Ok(UpcomingReview {
                    meeting_id: MeetingId(id),
                    account_id: AccountId(account),
                    account_name: name,
                    owner,
                    kind: parse("meetings.kind", &kind)?,
                    title,
                    starts_at,
                    sponsor_missing: !senior,
                })
            })
            .collect()
    }

    /// A review meeting with its agenda as of `today` and its pack, if shared.
    pub async fn review(&self, meeting: MeetingId, today: NaiveDate) -> Result<Review> {
        let mut tx = self.begin_snapshot().await?;
        let meeting = review_meeting(&mut tx, meeting).await?;
        let agenda = agenda_in(&mut tx, &meeting, today).await?;
        let pack = pack_in(&mut tx, meeting.id).await?;
        Ok(Review { meeting, agenda, pack })
    }

    /// Writes the CSM's gut-check of the renewal on a review (internal: never in the pack).
    pub async fn set_renewal_outlook(
        &self,
        meeting: MeetingId,
        outlook: Option<RenewalOutlook>,
        note: Note,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        review_meeting(&mut tx, meeting).await?;
        Query::sql(
            "INSERT INTO business_reviews (meeting_id, renewal_outlook, outlook_note, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (meeting_id) DO UPDATE SET renewal_outlook = excluded.renewal_outlook, \
             outlook_note = excluded.outlook_note, updated_at = excluded.updated_at",
        )
        .bind(meeting.0)
        .bind(outlook.map(|o| o.as_str()))
        .bind(note.as_str())
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// After the meeting: freezes the pack — the agenda's customer part, `summary` and the
    /// meeting's promises — and shares it through `links`, one per customer attendee (each
    /// checked to be a contact of the account). Sharing again refreshes the pack that every
    /// link shows. Refused before the meeting has started, and for a cancelled meeting.
    pub async fn share_review_pack(
        &self,
        meeting: MeetingId,
        summary: Note,
        links: Vec<NewCustomerLink>,
        by: Option<UserId>,
    ) -> Result<(SharedPack, Vec<CustomerLink>)> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let today = tx.today();
        let m = review_meeting(&mut tx, meeting).await?;
        if m.cancelled_at.is_some() {
            return Err(StoreError::Conflict(
                "the meeting was cancelled: there is no pack to share".into(),
            ));
        }
        if m.fields.starts_at > now {
            return Err(StoreError::Conflict(format!(
                "the meeting starts at {}: share the pack after it",
                m.fields.starts_at.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        if links.is_empty() {
            return Err(lodestar_domain::Invalid::field(
                "contacts",
                "no customer contact attended: add the customer's attendees to the meeting first",
            )
            .into());
        }
        let agenda = agenda_in(&mut tx, &m, today).await?;
        let promises = promises_where(
            &mut tx,
            &PromiseFilter {
                meeting: Some(meeting),
                ..PromiseFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|p| p.status != ActionStatus::Dropped)
        .map(|p| PackPromise {
            owner: p.owner_name,
            ours: matches!(p.owner, lodestar_domain::promise::PromiseOwner::Us(_)),
            text: p.description,
            due_on: Some(p.due_on),
        })
        .collect();
        let held_on = m.fields.starts_at.with_timezone(&m.fields.time_zone).date_naive();
        let pack = QbrPack::of(&agenda, held_on, summary.as_str().to_owned(), promises);
        let json = serde_json::to_string(&pack).map_err(|e| StoreError::Corrupt(format!("pack: {e}")))?;
        Query::sql(
            "INSERT INTO business_reviews (meeting_id, pack, pack_shared_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (meeting_id) DO UPDATE SET pack = excluded.pack, pack_shared_at = excluded.pack_shared_at, \
             updated_at = excluded.updated_at",
        )
        .bind(meeting.0)
        .bind(json)
        .bind(now)
        .execute(&mut tx)
        .await?;
        let mut made = Vec::new();
        for link in &links {
            made.push(insert_link(&mut tx, m.account_id, link, by).await?);
        }
        let names: Vec<&str> = made.iter().map(|l| l.contact_name.as_str()).collect();
        record(
            &mut tx,
            m.account_id,
            now,
            by,
            TimelineKind::Meeting,
            &format!(
                "{} pack of \"{}\" shared with {}",
                m.fields.kind.label(),
                m.fields.title,
                names.join(", ")
            ),
        )
        .await?;
        tx.commit().await?;
        Ok((SharedPack { pack, shared_at: now }, made))
    }

    /// The pack of a review, if shared.
    pub async fn review_pack(&self, meeting: MeetingId) -> Result<Option<SharedPack>> {
        let mut tx = self.begin_snapshot().await?;
        pack_in(&mut tx, meeting).await
    }
}
