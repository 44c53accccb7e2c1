//! Sprints (F-33): the workspace's rhythm, an account's sprints with their goals (drawn from its
//! goals and plan tactics) and quick wins, the slipping accounts a new sprint would re-engage,
//! and the portfolio board by lifecycle stage. Starting a sprint books its first retrospective.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use lodestar_domain::lifecycle::{Facts, Step, steps};
use lodestar_domain::meeting::{MeetingFields, local_start, parse_time_zone};
use lodestar_domain::sprint::{GoalSource, RootCause, Slip, SprintFields, SprintSettings, WinFields, retro_days};
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{LifecycleStage, MeetingKind, RetroCadence, Tier};
use lodestar_domain::{
    AccountId, Cents, ContactId, GoalId, Invalid, MeetingId, PlanTacticId, SprintGoalId, SprintId, SprintWinId, UserId,
    Valid,
};

use super::meetings::insert_meeting;
use super::timeline::{TimelineKind, record};
use super::today::USAGE_FALL_SHARE;
use super::{parse, parse_opt, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// The hour a booked retrospective starts, in the CSM's time zone.
const RETRO_HOUR: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SprintGoal {
    pub id: SprintGoalId,
    pub slot: i64,
    /// What it was drawn from; `None` when that goal or tactic has since been deleted.
    pub source: Option<GoalSource>,
    /// The title as it was when picked.
    pub title: String,
    pub progress: u8,
    pub done_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SprintWin {
    pub id: SprintWinId,
    pub title: String,
    pub achieved_on: NaiveDate,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sprint {
    pub id: SprintId,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_owner_id: Option<UserId>,
    pub number: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Set when a new sprint started before this one ran its course.
    pub ended_on: Option<NaiveDate>,
    pub focus: Note,
    pub retro_cadence: RetroCadence,
    /// Why the account was slipping when this sprint started to re-engage it.
    pub slipped: Option<String>,
    pub root_cause: Option<RootCause>,
    pub goals: Vec<SprintGoal>,
    pub wins: Vec<SprintWin>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Sprint {
    /// The day the sprint stopped or will stop.
    pub fn last_day(&self) -> NaiveDate {
        self.ended_on.unwrap_or(self.ends_on)
    }

    pub fn is_running(&self, today: NaiveDate) -> bool {
        self.starts_on <= today && today <= self.last_day()
    }

    /// The goals' mean progress, 0–100.
    pub fn progress(&self) -> u8 {
        if self.goals.is_empty() {
            return 0;
        }
        let sum: u32 = self.goals.iter().map(|g| u32::from(g.progress)).sum();
        u8::try_from(sum / u32::try_from(self.goals.len()).unwrap_or(1)).unwrap_or(100)
    }

    /// Days into the sprint and its length, for "week 3 of 8".
    pub fn week_of(&self, today: NaiveDate) -> (i64, i64) {
        let length = (self.ends_on - self.starts_on).num_days() / 7 + 1;
        let week = ((today - self.starts_on).num_days() / 7 + 1).clamp(1, length);
        (week, length)
    }
}

/// What a goal or tactic offers as a sprint goal: its source and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalOption {
    pub source: GoalSource,
    pub title: String,
}

/// One account on the portfolio board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardCard {
    pub account_id: AccountId,
    pub name: String,
    pub tier: Option<Tier>,
    pub stage: LifecycleStage,
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
    pub arr: Cents,
    pub sprint: Option<Sprint>,
    pub slips: Vec<Slip>,
    /// Slipping, and no re-engagement sprint answers it yet.
    pub propose_sprint: bool,
}

#[derive(sqlx::FromRow)]
struct SprintRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner: Option<i64>,
    number: i64,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    focus: String,
    retro_cadence: String,
    slipped: Option<String>,
    cause_side: Option<String>,
    cause_same_goals: Option<String>,
    cause_communication: Option<String>,
    cause_too_fast: Option<String>,
    cause_misunderstood: Option<String>,
    cause_skills_gap: Option<String>,
    cause_note: Option<String>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
}

const SELECT_SPRINTS: &str = "SELECT s.id, s.account_id, a.name AS account_name, a.owner_id AS account_owner, \
     s.number, s.starts_on, s.ends_on, s.ended_on, s.focus, s.retro_cadence, s.slipped, s.cause_side, \
     s.cause_same_goals, s.cause_communication, s.cause_too_fast, s.cause_misunderstood, s.cause_skills_gap, \
     s.cause_note, u.name AS created_by, s.created_at FROM sprints s JOIN accounts a ON a.id = s.account_id \
     LEFT JOIN users u ON u.id = s.created_by";

fn root_cause_of(row: &SprintRow) -> Result<Option<RootCause>> {
    let Some(side) = &row.cause_side else {
        return Ok(None);
    };
    let answer = |column: &str, value: &Option<String>| -> Result<lodestar_domain::vocabulary::Answer> {
        parse(column, value.as_deref().unwrap_or_default())
    };
    Ok(Some(RootCause {
        side: parse("sprints.cause_side", side)?,
        same_goals: answer("sprints.cause_same_goals", &row.cause_same_goals)?,
        communication_breakdown: answer("sprints.cause_communication", &row.cause_communication)?,
        too_fast: answer("sprints.cause_too_fast", &row.cause_too_fast)?,
        objectives_misunderstood: answer("sprints.cause_misunderstood", &row.cause_misunderstood)?,
        skills_gap: answer("sprints.cause_skills_gap", &row.cause_skills_gap)?,
        note: stored_note("sprints.cause_note", row.cause_note.as_deref().unwrap_or_default())?,
    }))
}

/// Sprints matching `condition` (none: all), latest first, with their goals and wins.
async fn sprints_where(tx: &mut Tx, condition: Option<Query>) -> Result<Vec<Sprint>> {
    let rows: Vec<SprintRow> = Query::sql(SELECT_SPRINTS)
        .where_all(condition.into_iter().collect())
        .push(" ORDER BY s.starts_on DESC, s.id DESC")
        .fetch_all(tx)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    type GoalRow = (i64, i64, i64, Option<i64>, Option<i64>, String, i64, Option<NaiveDate>);
    let goal_rows: Vec<GoalRow> = Query::sql(
        "SELECT sprint_id, id, slot, goal_id, plan_tactic_id, title, progress, done_on FROM sprint_goals \
         WHERE sprint_id IN (",
    )
    .list(ids.iter().copied())
    .push(") ORDER BY sprint_id, slot")
    .fetch_all(tx)
    .await?;
    let mut goals: HashMap<i64, Vec<SprintGoal>> = HashMap::new();
    for (sprint, id, slot, goal, tactic, title, progress, done_on) in goal_rows {
        let source = match (goal, tactic) {
            (Some(g), _) => Some(GoalSource::Goal(GoalId(g))),
            (None, Some(t)) => Some(GoalSource::Tactic(PlanTacticId(t))),
            (None, None) => None,
        };
        goals.entry(sprint).or_default().push(SprintGoal {
            id: SprintGoalId(id),
            slot,
            source,
            title,
            progress: u8::try_from(progress).map_err(|e| StoreError::Corrupt(format!("sprint_goals.progress: {e}")))?,
            done_on,
        });
    }
    let win_rows: Vec<(i64, i64, String, NaiveDate, Option<String>)> = Query::sql(
        "SELECT w.sprint_id, w.id, w.title, w.achieved_on, u.name FROM sprint_wins w \
         LEFT JOIN users u ON u.id = w.created_by WHERE w.sprint_id IN (",
    )
    .list(ids.iter().copied())
    .push(") ORDER BY w.sprint_id, w.achieved_on, w.id")
    .fetch_all(tx)
    .await?;
    let mut wins: HashMap<i64, Vec<SprintWin>> = HashMap::new();
    for (sprint, id, title, achieved_on, created_by) in win_rows {
        wins.entry(sprint).or_default().push(SprintWin {
            id: SprintWinId(id),
            title,
            achieved_on,
            created_by,
        });
    }
    rows.into_iter()
        .map(|row| {
            Ok(Sprint {
                root_cause: root_cause_of(&row)?,
                id: SprintId(row.id),
                account_id: AccountId(row.account_id),
                account_name: row.account_name,
                account_owner_id: row.account_owner.map(UserId),
                number: row.number,
                starts_on: row.starts_on,
                ends_on: row.ends_on,
                ended_on: row.ended_on,
                focus: stored_note("sprints.focus", &row.focus)?,
                retro_cadence: parse("sprints.retro_cadence", &row.retro_cadence)?,
                slipped: row.slipped,
                goals: goals.remove(&row.id).unwrap_or_default(),
                wins: wins.remove(&row.id).unwrap_or_default(),
                created_by: row.created_by,
                created_at: row.created_at,
            })
        })
        .collect()
}

pub(crate) async fn sprint_in(tx: &mut Tx, id: SprintId) -> Result<Sprint> {
    sprints_where(tx, Some(Query::sql("s.id = ").value(id)))
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "sprint",
            key: id.to_string(),
        })
}

async fn settings_in(tx: &mut Tx) -> Result<SprintSettings> {
    let row: Option<(i64, String)> =
        Query::sql("SELECT sprint_weeks, retro_cadence FROM sprint_settings WHERE singleton = 1")
            .fetch_optional(tx)
            .await?;
    match row {
        None => Ok(SprintSettings::default()),
        Some((weeks, cadence)) => Ok(SprintSettings {
            weeks: u32::try_from(weeks)
                .map_err(|e| StoreError::Corrupt(format!("sprint_settings.sprint_weeks: {e}")))?,
            retro_cadence: parse("sprint_settings.retro_cadence", &cadence)?,
        }),
    }
}

/// The title of a goal or tactic picked as a sprint goal, refusing one of another account.
/// The goals a sprint may draw on: active goals, and tactics not yet done.
const OPEN_GOAL: &str = "status = 'active'";
const OPEN_TACTIC: &str = "t.state IN ('active', 'parked')";

async fn goal_title(tx: &mut Tx, account: AccountId, source: GoalSource) -> Result<String> {
    let (query, what, id) = match source {
        GoalSource::Goal(g) => (
            Query::sql(format!(
                "SELECT title FROM goals WHERE account_id = $1 AND id = $2 AND {OPEN_GOAL}"
            ))
            .bind(account)
            .bind(g.0),
            "goal",
            g.0,
        ),
        GoalSource::Tactic(t) => (
            Query::sql(format!(
                "SELECT t.title FROM plan_tactics t JOIN success_plans p ON p.id = t.plan_id \
                 WHERE p.account_id = $1 AND t.id = $2 AND {OPEN_TACTIC}"
            ))
            .bind(account)
            .bind(t.0),
            "plan tactic",
            t.0,
        ),
    };
    query.scalar_optional(tx).await?.ok_or_else(|| {
        Invalid::field(
            "goals",
            format!("{what} {id} is not one of this account's open {what}s (active goals, tactics not done)"),
        )
        .into()
    })
}

/// A sprint that a newer one has followed is the record its retrospectives reviewed: it no
/// longer changes.
async fn refuse_superseded(tx: &mut Tx, sprint: &Sprint) -> Result<()> {
    let next: Option<i64> =
        Query::sql("SELECT number FROM sprints WHERE account_id = $1 AND number > $2 ORDER BY number LIMIT 1")
            .bind(sprint.account_id)
            .bind(sprint.number)
            .scalar_optional(tx)
            .await?;
    match next {
        Some(next) => Err(StoreError::Conflict(format!(
            "sprint {} is over: sprint {next} followed it, so its goals and wins stay as they were",
            sprint.number
        ))),
        None => Ok(()),
    }
}

/// Who a booked retrospective gathers, in which zone.
pub(crate) struct RetroPeople {
    pub users: Vec<UserId>,
    pub contacts: Vec<ContactId>,
    pub zone: Tz,
}

/// The people a sprint's first retrospective invites: the CSM and the account's key people
/// (seed 000: as large a group as can reach a consensus), in the CSM's time zone.
async fn default_people(tx: &mut Tx, account: AccountId, owner: Option<UserId>) -> Result<RetroPeople> {
    let zone: String = match owner {
        Some(o) => {
            Query::sql("SELECT time_zone FROM users WHERE id = $1")
                .bind(o)
                .scalar_one(tx)
                .await?
        }
        None => "UTC".to_owned(),
    };
    let contacts: Vec<i64> = Query::sql(
        "SELECT id FROM contacts WHERE account_id = $1 AND status = 'active' \
         AND role IN ('exec_sponsor', 'decision_maker', 'champion') ORDER BY id",
    )
    .bind(account)
    .scalars(tx)
    .await?;
    Ok(RetroPeople {
        users: owner.into_iter().collect(),
        contacts: contacts.into_iter().map(ContactId).collect(),
        zone: parse_time_zone(&zone).map_err(|e| StoreError::Corrupt(format!("users.time_zone: {e}")))?,
    })
}

fn retro_title(sprint_number: Option<i64>) -> String {
    match sprint_number {
        Some(number) => format!("Retrospective, sprint {number}"),
        None => "Retrospective".to_owned(),
    }
}

/// Books a retrospective of `sprint` (id and number) starting at `starts_at`.
pub(crate) async fn book_retro(
    tx: &mut Tx,
    account: AccountId,
    sprint: Option<(SprintId, i64)>,
    starts_at: DateTime<Utc>,
    people: RetroPeople,
    by: Option<UserId>,
) -> Result<MeetingId> {
    let fields = MeetingFields {
        kind: MeetingKind::Retrospective,
        title: Name::parse(&retro_title(sprint.map(|(_, number)| number))).expect("a short title"),
        starts_at,
        duration_minutes: lodestar_domain::retro::MINUTES,
        time_zone: people.zone,
        notes: Note::default(),
        users: people.users,
        contacts: people.contacts,
    }
    .validate()?
    .into_inner();
    let meeting = insert_meeting(tx, account, &fields, by).await?;
    Query::sql("INSERT INTO retrospectives (meeting_id, sprint_id, updated_at) VALUES ($1, $2, $3)")
        .bind(meeting)
        .bind(sprint.map(|s| s.0))
        .bind(tx.now())
        .execute(tx)
        .await?;
    Ok(meeting)
}

/// [`RETRO_HOUR`] on `day` in `zone` (an hour later on a day the clocks skip it).
fn retro_start(day: NaiveDate, zone: Tz) -> Result<DateTime<Utc>> {
    let at = NaiveTime::from_hms_opt(RETRO_HOUR, 0, 0).expect("a time");
    local_start(day, at, zone)
        .or_else(|_| local_start(day, at + chrono::Duration::hours(1), zone))
        .map_err(StoreError::Corrupt)
}

/// Books the first retrospective about a month after launch (seed 000: they begin about a
/// month after the customer is officially launched), unless one is already ahead. Returns its
/// day when it booked one.
pub(crate) async fn book_first_retro(
    tx: &mut Tx,
    account: AccountId,
    launched_on: NaiveDate,
) -> Result<Option<NaiveDate>> {
    let ahead: Option<i64> = Query::sql(
        "SELECT m.id FROM meetings m WHERE m.account_id = $1 AND m.kind = 'retrospective' \
         AND m.cancelled_at IS NULL AND m.starts_at >= $2 LIMIT 1",
    )
    .bind(account)
    .bind(tx.now())
    .scalar_optional(tx)
    .await?;
    if ahead.is_some() {
        return Ok(None);
    }
    let owner: Option<i64> = Query::sql("SELECT owner_id FROM accounts WHERE id = $1")
        .bind(account)
        .scalar_one(tx)
        .await?;
    let day = launched_on + chrono::Days::new(28);
    let people = default_people(tx, account, owner.map(UserId)).await?;
    let at = retro_start(day, people.zone)?;
    book_retro(tx, account, None, at, people, None).await?;
    Ok(Some(day))
}

impl Store {
    pub async fn sprint_settings(&self) -> Result<SprintSettings> {
        let mut tx = self.begin_snapshot().await?;
        settings_in(&mut tx).await
    }

    /// Sets the workspace's sprint length and retrospective cadence (new sprints use them).
    pub async fn set_sprint_settings(
        &self,
        settings: Valid<SprintSettings>,
        by: Option<UserId>,
    ) -> Result<SprintSettings> {
        let settings = settings.into_inner();
        let mut tx = self.begin_write().await?;
        Query::sql(
            "INSERT INTO sprint_settings (singleton, sprint_weeks, retro_cadence, updated_by, updated_at) \
             VALUES (1, $1, $2, $3, $4) ON CONFLICT (singleton) DO UPDATE SET sprint_weeks = $1, \
             retro_cadence = $2, updated_by = $3, updated_at = $4",
        )
        .bind(i64::from(settings.weeks))
        .bind(settings.retro_cadence.as_str())
        .bind(by)
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// The goals and plan tactics an account's sprint may draw from: goals in progress, and
    /// tactics active or parked (a sprint may take a parked one up again).
    pub async fn sprint_goal_options(&self, account: AccountId) -> Result<Vec<GoalOption>> {
        let mut tx = self.begin_snapshot().await?;
        let goals: Vec<(i64, String)> = Query::sql(format!(
            "SELECT id, title FROM goals WHERE account_id = $1 AND {OPEN_GOAL} ORDER BY due_on, id"
        ))
        .bind(account)
        .fetch_all(&mut tx)
        .await?;
        let tactics: Vec<(i64, String)> = Query::sql(format!(
            "SELECT t.id, t.title FROM plan_tactics t JOIN success_plans p ON p.id = t.plan_id \
             WHERE p.account_id = $1 AND {OPEN_TACTIC} ORDER BY t.id"
        ))
        .bind(account)
        .fetch_all(&mut tx)
        .await?;
        Ok(goals
            .into_iter()
            .map(|(id, title)| GoalOption {
                source: GoalSource::Goal(GoalId(id)),
                title,
            })
            .chain(tactics.into_iter().map(|(id, title)| GoalOption {
                source: GoalSource::Tactic(PlanTacticId(id)),
                title,
            }))
            .collect())
    }

    /// Starts a sprint on `account`: a running sprint ends the day before; the goals are
    /// checked to be the account's; a re-engagement keeps why the account slipped; the first
    /// retrospective is booked unless one is already ahead (then it joins this sprint). All in
    /// one transaction, written on the timeline.
    pub async fn start_sprint(
        &self,
        account: AccountId,
        fields: Valid<SprintFields>,
        by: Option<UserId>,
    ) -> Result<Sprint> {
        let fields = fields.into_inner();
        let slipped = match fields.root_cause {
            Some(_) => {
                let slips = self
                    .slips(self.today(), Some(account))
                    .await?
                    .remove(&account)
                    .unwrap_or_default();
                let words: Vec<String> = slips.iter().map(Slip::describe).collect();
                Some(if words.is_empty() {
                    "not slipping by the numbers".to_owned()
                } else {
                    words.join("; ")
                })
            }
            None => None,
        };
        let mut tx = self.begin_write().await?;
        let owner: Option<Option<i64>> = Query::sql("SELECT owner_id FROM accounts WHERE id = $1")
            .bind(account)
            .scalar_optional(&mut tx)
            .await?;
        let owner = owner
            .ok_or(StoreError::NotFound {
                what: "account",
                key: account.to_string(),
            })?
            .map(UserId);
        let later: Option<(i64, NaiveDate)> = Query::sql(
            "SELECT number, starts_on FROM sprints WHERE account_id = $1 AND starts_on >= $2 ORDER BY starts_on LIMIT 1",
        )
        .bind(account)
        .bind(fields.starts_on)
        .fetch_optional(&mut tx)
        .await?;
        if let Some((number, starts_on)) = later {
            return Err(StoreError::Conflict(format!(
                "sprint {number} starts on {starts_on}: a new sprint starts after the latest one"
            )));
        }
        let mut titles = Vec::new();
        for source in &fields.goals {
            titles.push(goal_title(&mut tx, account, *source).await?);
        }
        let settings = settings_in(&mut tx).await?;
        Query::sql("UPDATE sprints SET ended_on = $1 WHERE account_id = $2 AND ended_on IS NULL AND ends_on >= $3")
            .bind(fields.starts_on.pred_opt().unwrap_or(fields.starts_on))
            .bind(account)
            .bind(fields.starts_on)
            .execute(&mut tx)
            .await?;
        let number: i64 = Query::sql("SELECT COALESCE(MAX(number), 0) + 1 FROM sprints WHERE account_id = $1")
            .bind(account)
            .scalar_one(&mut tx)
            .await?;
        let now = tx.now();
        let cause = fields.root_cause.as_ref();
        let id: i64 = Query::sql(
            "INSERT INTO sprints (account_id, number, starts_on, ends_on, focus, retro_cadence, slipped, cause_side, \
             cause_same_goals, cause_communication, cause_too_fast, cause_misunderstood, cause_skills_gap, cause_note, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             RETURNING id",
        )
        .bind(account)
        .bind(number)
        .bind(fields.starts_on)
        .bind(fields.ends_on())
        .bind(fields.focus.as_str())
        .bind(settings.retro_cadence.as_str())
        .bind(slipped.clone())
        .bind(cause.map(|c| c.side.as_str()))
        .bind(cause.map(|c| c.same_goals.as_str()))
        .bind(cause.map(|c| c.communication_breakdown.as_str()))
        .bind(cause.map(|c| c.too_fast.as_str()))
        .bind(cause.map(|c| c.objectives_misunderstood.as_str()))
        .bind(cause.map(|c| c.skills_gap.as_str()))
        .bind(cause.map(|c| c.note.as_str()))
        .bind(by)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        for (slot, (source, title)) in fields.goals.iter().zip(&titles).enumerate() {
            let (goal, tactic) = match source {
                GoalSource::Goal(g) => (Some(g.0), None),
                GoalSource::Tactic(t) => (None, Some(t.0)),
            };
            Query::sql(
                "INSERT INTO sprint_goals (sprint_id, slot, goal_id, plan_tactic_id, title, progress, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6)",
            )
            .bind(id)
            .bind(i64::try_from(slot).unwrap_or(0) + 1)
            .bind(goal)
            .bind(tactic)
            .bind(title.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        // A retrospective already booked inside the new sprint becomes its retrospective; one
        // before the new sprint starts stays with the sprint it reviews.
        let sprint_start = fields.starts_on.and_time(NaiveTime::MIN).and_utc().max(now);
        let ahead: Option<i64> = Query::sql(
            "SELECT r.meeting_id FROM retrospectives r JOIN meetings m ON m.id = r.meeting_id \
             WHERE m.account_id = $1 AND m.cancelled_at IS NULL AND r.closed_at IS NULL AND m.starts_at >= $2 \
             ORDER BY m.starts_at LIMIT 1",
        )
        .bind(account)
        .bind(sprint_start)
        .scalar_optional(&mut tx)
        .await?;
        match ahead {
            Some(meeting) => {
                Query::sql("UPDATE retrospectives SET sprint_id = $1, updated_at = $2 WHERE meeting_id = $3")
                    .bind(id)
                    .bind(now)
                    .bind(meeting)
                    .execute(&mut tx)
                    .await?;
                Query::sql("UPDATE meetings SET title = $1, updated_at = $2 WHERE id = $3")
                    .bind(retro_title(Some(number)))
                    .bind(now)
                    .bind(meeting)
                    .execute(&mut tx)
                    .await?;
            }
            None => {
                let first = retro_days(fields.starts_on, fields.weeks, settings.retro_cadence)[0];
                let people = default_people(&mut tx, account, owner).await?;
                let at = retro_start(first, people.zone)?;
                book_retro(&mut tx, account, Some((SprintId(id), number)), at, people, by).await?;
            }
        }
        let mut text = format!(
            "Sprint {number} started ({} to {}): {}",
            fields.starts_on,
            fields.ends_on(),
            titles.join("; ")
        );
        if let Some(slipped) = &slipped {
            text.push_str(&format!(". Re-engaging: {slipped}"));
            if let Some(found) = cause.map(RootCause::findings).filter(|f| !f.is_empty()) {
                text.push_str(&format!("; root cause: {}", found.join(", ")));
            }
        }
        record(&mut tx, account, now, by, TimelineKind::Sprint, &text).await?;
        let sprint = sprint_in(&mut tx, SprintId(id)).await?;
        tx.commit().await?;
        Ok(sprint)
    }

    pub async fn sprint(&self, id: SprintId) -> Result<Sprint> {
        let mut tx = self.begin_snapshot().await?;
        sprint_in(&mut tx, id).await
    }

    /// An account's sprints, the latest first.
    pub async fn account_sprints(&self, account: AccountId) -> Result<Vec<Sprint>> {
        let mut tx = self.begin_snapshot().await?;
        super::meetings::account_exists(&mut tx, account).await?;
        sprints_where(&mut tx, Some(Query::sql("s.account_id = ").value(account))).await
    }

    /// The sprint a goal belongs to.
    pub async fn sprint_of_goal(&self, goal: SprintGoalId) -> Result<Sprint> {
        let mut tx = self.begin_snapshot().await?;
        let sprint: Option<i64> = Query::sql("SELECT sprint_id FROM sprint_goals WHERE id = $1")
            .bind(goal)
            .scalar_optional(&mut tx)
            .await?;
        let sprint = sprint.ok_or(StoreError::NotFound {
            what: "sprint goal",
            key: goal.to_string(),
        })?;
        sprint_in(&mut tx, SprintId(sprint)).await
    }

    /// Moves a sprint goal: its progress, and done (today, at 100 %) or not.
    pub async fn set_sprint_goal_progress(&self, goal: SprintGoalId, progress: u8, done: bool) -> Result<Sprint> {
        let mut tx = self.begin_write().await?;
        let today = tx.today();
        let sprint: Option<i64> = Query::sql("SELECT sprint_id FROM sprint_goals WHERE id = $1")
            .bind(goal)
            .scalar_optional(&mut tx)
            .await?;
        let sprint = sprint.ok_or(StoreError::NotFound {
            what: "sprint goal",
            key: goal.to_string(),
        })?;
        let before = sprint_in(&mut tx, SprintId(sprint)).await?;
        refuse_superseded(&mut tx, &before).await?;
        Query::sql(
            "UPDATE sprint_goals SET progress = $1, done_on = CASE WHEN $2 = 1 THEN COALESCE(done_on, $3) END, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(if done { 100 } else { i64::from(progress) })
        .bind(i64::from(done))
        .bind(today)
        .bind(tx.now())
        .bind(goal)
        .execute(&mut tx)
        .await?;
        let sprint = sprint_in(&mut tx, SprintId(sprint)).await?;
        tx.commit().await?;
        Ok(sprint)
    }

    /// Records a quick win on a sprint, on the account's timeline too. The win falls within the
    /// sprint's days.
    pub async fn add_sprint_win(&self, sprint: SprintId, win: Valid<WinFields>, by: Option<UserId>) -> Result<Sprint> {
        let win = win.into_inner();
        let mut tx = self.begin_write().await?;
        let before = sprint_in(&mut tx, sprint).await?;
        refuse_superseded(&mut tx, &before).await?;
        if !(before.starts_on..=before.last_day()).contains(&win.achieved_on) {
            return Err(Invalid::field(
                "achieved_on",
                format!(
                    "sprint {} runs from {} to {}: a win on {} belongs to another stretch of work",
                    before.number,
                    before.starts_on,
                    before.last_day(),
                    win.achieved_on
                ),
            )
            .into());
        }
        let now = tx.now();
        Query::sql("INSERT INTO sprint_wins (sprint_id, title, achieved_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sprint)
            .bind(win.title.as_str())
            .bind(win.achieved_on)
            .bind(by)
            .bind(now)
            .execute(&mut tx)
            .await?;
        let text = format!(
            "Quick win in sprint {}: {} ({})",
            before.number, win.title, win.achieved_on
        );
        record(&mut tx, before.account_id, now, by, TimelineKind::Sprint, &text).await?;
        let after = sprint_in(&mut tx, sprint).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Which accounts slip and why (seed 003): health red, or usage falling past Today's
    /// threshold. `account`: only that one.
    pub async fn slips(&self, today: NaiveDate, account: Option<AccountId>) -> Result<HashMap<AccountId, Vec<Slip>>> {
        let mut out: HashMap<AccountId, Vec<Slip>> = HashMap::new();
        let mut red = Query::sql(
            "SELECT h.account_id FROM health_scores h JOIN accounts a ON a.id = h.account_id \
             WHERE h.band = 'red' AND a.lifecycle_stage <> 'churned'",
        );
        if let Some(a) = account {
            red = red.push(" AND h.account_id = ").value(a);
        }
        let mut tx = self.begin_snapshot().await?;
        for id in red.scalars::<i64>(&mut tx).await? {
            out.entry(AccountId(id)).or_default().push(Slip::Red);
        }
        drop(tx);
        for drop in self.usage_drops(today, USAGE_FALL_SHARE).await? {
            if account.is_none_or(|a| a == drop.account_id) {
                out.entry(drop.account_id).or_default().push(Slip::UsageFalling {
                    before: drop.active_before,
                    now: drop.active_now,
                });
            }
        }
        Ok(out)
    }

    /// The portfolio board: accounts (of `owner`'s book, or all) not churned, each with its
    /// running sprint and why it slips; the slipping ones first, then those in a sprint, then
    /// by ARR.
    pub async fn sprint_board(&self, owner: Option<UserId>, today: NaiveDate) -> Result<Vec<BoardCard>> {
        let slips = self.slips(today, None).await?;
        let mut tx = self.begin_snapshot().await?;
        type Row = (i64, String, Option<String>, String, Option<i64>, Option<String>, i64);
        let mut accounts = Query::sql(
            "SELECT a.id, a.name, a.tier, a.lifecycle_stage, a.owner_id, u.name, a.arr_cents FROM accounts a \
             LEFT JOIN users u ON u.id = a.owner_id WHERE a.lifecycle_stage <> 'churned'",
        );
        if let Some(o) = owner {
            accounts = accounts.push(" AND a.owner_id = ").value(o);
        }
        let rows: Vec<Row> = accounts.fetch_all(&mut tx).await?;
        let running = sprints_where(
            &mut tx,
            Some(
                Query::sql("s.starts_on <= ")
                    .value(today)
                    .push(" AND COALESCE(s.ended_on, s.ends_on) >= ")
                    .value(today),
            ),
        )
        .await?;
        let reengaged: Vec<(i64, NaiveDate)> =
            Query::sql("SELECT account_id, MAX(starts_on) FROM sprints WHERE slipped IS NOT NULL GROUP BY account_id")
                .fetch_all(&mut tx)
                .await?;
        let reengaged: HashMap<i64, NaiveDate> = reengaged.into_iter().collect();
        let weeks = settings_in(&mut tx).await?.weeks;
        let mut by_account: HashMap<AccountId, Sprint> = running.into_iter().map(|s| (s.account_id, s)).collect();
        let mut cards = Vec::with_capacity(rows.len());
        for (id, name, tier, stage, owner_id, owner, arr) in rows {
            let account = AccountId(id);
            let slips = slips.get(&account).cloned().unwrap_or_default();
            let propose_sprint =
                lodestar_domain::sprint::propose_reengagement(&slips, reengaged.get(&id).copied(), weeks, today);
            cards.push(BoardCard {
                account_id: account,
                name,
                tier: parse_opt("accounts.tier", tier)?,
                stage: parse("accounts.lifecycle_stage", &stage)?,
                owner_id: owner_id.map(UserId),
                owner,
                arr: Cents(arr),
                sprint: by_account.remove(&account),
                slips,
                propose_sprint,
            });
        }
        cards.sort_by(|a, b| {
            a.slips
                .is_empty()
                .cmp(&b.slips.is_empty())
                .then(b.sprint.is_some().cmp(&a.sprint.is_some()))
                .then(b.arr.cmp(&a.arr))
                .then(a.name.cmp(&b.name))
        });
        Ok(cards)
    }

    /// Whether to propose re-engaging `account` with a new sprint, and why it slips.
    pub async fn reengagement(&self, account: AccountId, today: NaiveDate) -> Result<(Vec<Slip>, bool)> {
        let slips = self
            .slips(today, Some(account))
            .await?
            .remove(&account)
            .unwrap_or_default();
        let mut tx = self.begin_snapshot().await?;
        let last: Option<NaiveDate> =
            Query::sql("SELECT MAX(starts_on) FROM sprints WHERE account_id = $1 AND slipped IS NOT NULL")
                .bind(account)
                .scalar_one(&mut tx)
                .await?;
        let weeks = settings_in(&mut tx).await?.weeks;
        let propose = lodestar_domain::sprint::propose_reengagement(&slips, last, weeks, today);
        Ok((slips, propose))
    }

    /// Where `account` stands: the stage on record, and the steps the evidence says it has
    /// reached (contract signed, launch or first value, first expansion, renewal ahead).
    pub async fn lifecycle(&self, account: AccountId, today: NaiveDate) -> Result<(LifecycleStage, Vec<Step>)> {
        let mut tx = self.begin_snapshot().await?;
        type AccountRow = (String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);
        let row: Option<AccountRow> = Query::sql(
            "SELECT lifecycle_stage, launch_date, first_value_date, renewal_date FROM accounts WHERE id = $1",
        )
        .bind(account)
        .fetch_optional(&mut tx)
        .await?;
        let (stage, launched_on, first_value_on, renewal_on) = row.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        let signed_on: Option<NaiveDate> = Query::sql("SELECT MIN(start_date) FROM contracts WHERE account_id = $1")
            .bind(account)
            .scalar_one(&mut tx)
            .await?;
        let first_expansion: Option<(NaiveDate, i64, i64)> = Query::sql(
            "SELECT effective_date, arr_before_cents, arr_after_cents FROM contract_changes \
             WHERE account_id = $1 AND kind = 'expansion' ORDER BY effective_date, id LIMIT 1",
        )
        .bind(account)
        .fetch_optional(&mut tx)
        .await?;
        let facts = Facts {
            signed_on,
            launched_on,
            first_value_on,
            first_expansion: first_expansion.map(|(on, before, after)| (on, Cents(before), Cents(after))),
            renewal_on,
        };
        Ok((parse("accounts.lifecycle_stage", &stage)?, steps(&facts, today)))
    }
}
