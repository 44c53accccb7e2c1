//! Onboarding (F-36): an account's onboarding project — its dates, risks and tasks on both
//! sides — the tasks ticked off (by us, or by the customer through their link), the customer's
//! answer that completes it, and the time to first value and to completion per account and
//! per segment.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::onboarding::{
    CustomerVerdict, OnboardingFields, OnboardingId, TaskFields, TaskSide, days_between, median_days,
};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::MeetingKind;
use lodestar_domain::{AccountId, UserId, Valid};

use super::meetings::insert_meeting;
use super::sprints::{key_people, retro_start};
use super::timeline::{TimelineKind, record};
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingTask {
    pub id: i64,
    pub fields: TaskFields,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarding {
    pub id: OnboardingId,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_owner_id: Option<UserId>,
    /// The account's segment (tier), if set.
    pub tier: Option<String>,
    pub fields: OnboardingFields,
    pub kickoff_due_on: NaiveDate,
    pub midway_on: NaiveDate,
    pub tasks: Vec<OnboardingTask>,
    /// The customer's latest answer, if they gave one.
    pub verdict: Option<CustomerVerdict>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Set when the customer said both parts are done.
    pub completed_on: Option<NaiveDate>,
    /// The account's first value, when it is recorded.
    pub first_value_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl Onboarding {
    /// Days from signature to first value.
    pub fn days_to_first_value(&self) -> Option<i64> {
        self.first_value_date.map(|d| days_between(self.fields.signed_on, d))
    }

    /// Days from signature to the customer's "complete".
    pub fn days_to_complete(&self) -> Option<i64> {
        self.completed_on.map(|d| days_between(self.fields.signed_on, d))
    }
}

/// A segment's onboarding figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingTimes {
    /// The tier, or "no tier".
    pub segment: String,
    pub projects: usize,
    pub completed: usize,
    pub median_days_to_first_value: Option<i64>,
    pub median_days_to_complete: Option<i64>,
}

const SELECT_PROJECTS: &str = "SELECT p.id, p.account_id, a.name AS account_name, a.owner_id AS account_owner_id, \
     a.tier, a.first_value_date, p.signed_on, p.kickoff_due_on, p.midway_on, p.target_on, p.risks, \
     p.technical_done, p.process_done, p.answered_by, p.answered_at, p.completed_on, p.created_at \
     FROM onboarding_projects p JOIN accounts a ON a.id = p.account_id";

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner_id: Option<i64>,
    tier: Option<String>,
    first_value_date: Option<NaiveDate>,
    signed_on: NaiveDate,
    kickoff_due_on: NaiveDate,
    midway_on: NaiveDate,
    target_on: NaiveDate,
    risks: String,
    technical_done: Option<i64>,
    process_done: Option<i64>,
    answered_by: Option<String>,
    answered_at: Option<DateTime<Utc>>,
    completed_on: Option<NaiveDate>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    project_id: i64,
    title: String,
    side: String,
    owner: String,
    due_on: NaiveDate,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<String>,
}

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

async fn tasks_of(tx: &mut Tx, ids: &[i64]) -> Result<HashMap<i64, Vec<OnboardingTask>>> {
    let mut by_project: HashMap<i64, Vec<OnboardingTask>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<TaskRow> = Query::sql(
            "SELECT id, project_id, title, side, owner, due_on, done_at, done_by FROM onboarding_tasks \
             WHERE project_id IN (",
        )
        .list(chunk.iter().copied())
        .push(") ORDER BY project_id, due_on, id")
        .fetch_all(tx)
        .await?;
        for row in rows {
            by_project.entry(row.project_id).or_default().push(OnboardingTask {
                id: row.id,
                fields: TaskFields {
                    title: Name::parse(&row.title).map_err(|e| corrupt("onboarding_tasks.title", e))?,
                    side: parse("onboarding_tasks.side", &row.side)?,
                    owner: Label::parse(&row.owner).map_err(|e| corrupt("onboarding_tasks.owner", e))?,
                    due_on: row.due_on,
                },
                done_at: row.done_at,
                done_by: row.done_by,
            });
        }
    }
    Ok(by_project)
}

async fn projects_where(tx: &mut Tx, conditions: Vec<Query>) -> Result<Vec<Onboarding>> {
    let rows: Vec<ProjectRow> = Query::sql(SELECT_PROJECTS)
        .where_all(conditions)
        .push(" ORDER BY p.signed_on DESC, p.id DESC")
        .fetch_all(tx)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tasks = tasks_of(tx, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let verdict = match (row.technical_done, row.process_done) {
                (Some(t), Some(p)) => Some(CustomerVerdict {
                    technical: t == 1,
                    process: p == 1,
                }),
                _ => None,
            };
            Ok(Onboarding {
                id: OnboardingId(row.id),
                account_id: AccountId(row.account_id),
                account_name: row.account_name,
                account_owner_id: row.account_owner_id.map(UserId),
                tier: row.tier,
                fields: OnboardingFields {
                    signed_on: row.signed_on,
                    target_on: row.target_on,
                    risks: stored_note("onboarding_projects.risks", &row.risks)?,
                },
                kickoff_due_on: row.kickoff_due_on,
                midway_on: row.midway_on,
                tasks: tasks.remove(&row.id).unwrap_or_default(),
                verdict,
                answered_by: row.answered_by,
                answered_at: row.answered_at,
                completed_on: row.completed_on,
                first_value_date: row.first_value_date,
                created_at: row.created_at,
            })
        })
        .collect()
}

async fn project_in(tx: &mut Tx, id: OnboardingId) -> Result<Onboarding> {
    projects_where(tx, vec![Query::sql("p.id = ").value(id.0)])
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "onboarding project",
            key: id.to_string(),
        })
}

async fn insert_task(tx: &mut Tx, project: OnboardingId, account: AccountId, task: &TaskFields) -> Result<i64> {
    Query::sql(
        "INSERT INTO onboarding_tasks (project_id, account_id, title, side, owner, due_on) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project.0)
    .bind(account.0)
    .bind(task.title.as_str())
    .bind(task.side.as_str())
    .bind(task.owner.as_str())
    .bind(task.due_on)
    .scalar_one(tx)
    .await
}

/// Refuses changes to a plan the customer has called complete (409).
fn open_project(project: &Onboarding) -> Result<()> {
    match project.completed_on {
        Some(on) => Err(StoreError::Conflict(format!(
            "onboarding was completed on {on}, as the customer said; it no longer changes"
        ))),
        None => Ok(()),
    }
}

/// Books the midway touchpoint with the customer's executive sponsor (seed 000) as a check-in
/// on the CSM's calendar and theirs, at the hour Lodestar books its own meetings.
async fn book_midway(tx: &mut Tx, account: AccountId, on: NaiveDate, by: Option<UserId>) -> Result<()> {
    let owner: Option<i64> = Query::sql("SELECT owner_id FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_one(tx)
        .await?;
    let people = key_people(tx, account, owner.map(UserId), "'exec_sponsor'").await?;
    let fields = MeetingFields {
        kind: MeetingKind::CheckIn,
        title: Name::parse("Onboarding midway touchpoint with the executive sponsor").expect("a short title"),
        starts_at: retro_start(on, people.zone)?,
        duration_minutes: MIDWAY_MINUTES,
        time_zone: people.zone,
        notes: Note::parse(
            "Halfway through onboarding: what is done, what is at risk, and whether the goals Sales heard still hold.",
        )
        .expect("a short note"),
        users: people.users,
        contacts: people.contacts,
    }
    .validate()?
    .into_inner();
    insert_meeting(tx, account, &fields, by).await?;
    Ok(())
}

/// How long the midway touchpoint is booked for.
const MIDWAY_MINUTES: u32 = 30;

impl Store {
    /// Starts an account's onboarding with its first tasks, and books the midway touchpoint
    /// with the executive sponsor when it is still ahead.
    pub async fn create_onboarding(
        &self,
        account: AccountId,
        fields: Valid<OnboardingFields>,
        tasks: Vec<TaskFields>,
        by: Option<UserId>,
    ) -> Result<Onboarding> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let found: Option<i64> = Query::sql("SELECT id FROM accounts WHERE id = $1")
            .bind(account.0)
            .scalar_optional(&mut tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                what: "account",
                key: account.to_string(),
            });
        }
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO onboarding_projects (account_id, signed_on, kickoff_due_on, midway_on, target_on, risks, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(account.0)
        .bind(fields.signed_on)
        .bind(fields.kickoff_due())
        .bind(fields.midway_on())
        .bind(fields.target_on)
        .bind(fields.risks.as_str())
        .bind(by)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let id = OnboardingId(id);
        for task in &tasks {
            insert_task(&mut tx, id, account, task).await?;
        }
        if fields.midway_on() >= tx.today() {
            book_midway(&mut tx, account, fields.midway_on(), by).await?;
        }
        let text = format!(
            "Onboarding started: kickoff due {}, sponsor touchpoint {}, target {}",
            fields.kickoff_due(),
            fields.midway_on(),
            fields.target_on
        );
        record(&mut tx, account, now, by, TimelineKind::Handoff, &text).await?;
        tx.touch_accounts([account.0]);
        let project = project_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn onboarding(&self, id: OnboardingId) -> Result<Onboarding> {
        let mut tx = self.begin_snapshot().await?;
        project_in(&mut tx, id).await
    }

    /// An account's onboarding projects, the latest first.
    pub async fn onboardings_of_account(&self, account: AccountId) -> Result<Vec<Onboarding>> {
        let mut tx = self.begin_snapshot().await?;
        projects_where(&mut tx, vec![Query::sql("p.account_id = ").value(account.0)]).await
    }

    /// Adds a task to an open plan.
    pub async fn add_onboarding_task(&self, id: OnboardingId, task: TaskFields) -> Result<Onboarding> {
        let mut tx = self.begin_write().await?;
        let project = project_in(&mut tx, id).await?;
        open_project(&project)?;
        if project.tasks.len() >= lodestar_domain::onboarding::MAX_TASKS {
            return Err(lodestar_domain::Invalid::field("title", "the plan holds 60 tasks at most").into());
        }
        insert_task(&mut tx, id, project.account_id, &task).await?;
        tx.touch_accounts([project.account_id.0]);
        let project = project_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Ticks a task of the plan off (or back on), naming who did; `side` limits which tasks
    /// the caller may tick (the customer's link: their own only).
    pub async fn tick_onboarding_task(
        &self,
        id: OnboardingId,
        task: i64,
        done: bool,
        by: &str,
        side: Option<TaskSide>,
    ) -> Result<Onboarding> {
        let mut tx = self.begin_write().await?;
        let project = project_in(&mut tx, id).await?;
        let found = project
            .tasks
            .iter()
            .find(|t| t.id == task && side.is_none_or(|s| t.fields.side == s))
            .ok_or(StoreError::NotFound {
                what: "onboarding task",
                key: task.to_string(),
            })?;
        open_project(&project)?;
        let now = tx.now();
        Query::sql("UPDATE onboarding_tasks SET done_at = $1, done_by = $2 WHERE id = $3")
            .bind(done.then_some(now))
            .bind(done.then_some(by))
            .bind(found.id)
            .execute(&mut tx)
            .await?;
        Query::sql("UPDATE onboarding_projects SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        tx.touch_accounts([project.account_id.0]);
        let project = project_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Records the customer's answer (`contact` names them); both parts done completes
    /// onboarding today and books the first customer retrospective a month later. A completed
    /// onboarding takes no further answer (409).
    pub async fn answer_onboarding(
        &self,
        id: OnboardingId,
        verdict: CustomerVerdict,
        contact: &str,
    ) -> Result<Onboarding> {
        let mut tx = self.begin_write().await?;
        let project = project_in(&mut tx, id).await?;
        open_project(&project)?;
        let now = tx.now();
        let completed = verdict.complete().then(|| now.date_naive());
        Query::sql(
            "UPDATE onboarding_projects SET technical_done = $1, process_done = $2, answered_by = $3, \
             answered_at = $4, completed_on = $5, updated_at = $4 WHERE id = $6",
        )
        .bind(i64::from(verdict.technical))
        .bind(i64::from(verdict.process))
        .bind(contact)
        .bind(now)
        .bind(completed)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        let first_retro = match completed {
            Some(on) => super::sprints::book_first_retro(&mut tx, project.account_id, on).await?,
            None => None,
        };
        let text = match completed {
            Some(_) => format!(
                "Onboarding complete: {contact} confirmed the technical implementation and the process integration{}",
                first_retro.map_or_else(String::new, |d| format!("; the first retrospective is booked on {d}"))
            ),
            None => format!(
                "{contact} says onboarding is not complete yet (technical implementation {}, process integration {})",
                if verdict.technical { "done" } else { "not done" },
                if verdict.process { "done" } else { "not done" }
            ),
        };
        record(&mut tx, project.account_id, now, None, TimelineKind::Handoff, &text).await?;
        tx.touch_accounts([project.account_id.0]);
        let project = project_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Time to first value and to completion per segment (tier), medians in days.
    pub async fn onboarding_times(&self) -> Result<Vec<OnboardingTimes>> {
        let mut tx = self.begin_snapshot().await?;
        let projects = projects_where(&mut tx, Vec::new()).await?;
        let mut by_segment: BTreeMap<String, Vec<Onboarding>> = BTreeMap::new();
        for p in projects {
            let segment = p.tier.clone().unwrap_or_else(|| "no tier".to_owned());
            by_segment.entry(segment).or_default().push(p);
        }
        Ok(by_segment
            .into_iter()
            .map(|(segment, list)| OnboardingTimes {
                projects: list.len(),
                completed: list.iter().filter(|p| p.completed_on.is_some()).count(),
                median_days_to_first_value: median_days(
                    list.iter().filter_map(Onboarding::days_to_first_value).collect(),
                ),
                median_days_to_complete: median_days(list.iter().filter_map(Onboarding::days_to_complete).collect()),
                segment,
            })
            .collect())
    }
}
