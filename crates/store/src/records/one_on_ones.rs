//! Team 1:1s (F-66): a leader's roster (who reports to them and when each is due), 1:1s held
//! with the person's book figures as they stood, long-term goals with their status history, and
//! anonymous feedback to leadership.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lodestar_domain::health::Band;
use lodestar_domain::one_on_one::{
    BookFigures, CareerGoalFields, CareerGoalStatus, Due, FeedbackFields, FeedbackTopic, OneOnOneFields, RENEWAL_DAYS,
    next_due,
};
use lodestar_domain::promise::Side;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::user::AccountSlot;
use lodestar_domain::vocabulary::{ActionStatus, Role};
use lodestar_domain::{AccountId, Cents, UserId, Valid};

use super::promises::PromiseFilter;
use super::tasks::TaskView;
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError};

/// Someone who reports to a leader, and where they stand with their monthly 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLine {
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub last_held: Option<NaiveDate>,
    pub due: Due,
}

/// A 1:1 as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOnOne {
    pub id: i64,
    pub leader_id: UserId,
    pub leader_name: String,
    pub csm_id: UserId,
    pub csm_name: String,
    pub fields: OneOnOneFields,
    pub figures: BookFigures,
}

/// One status a long-term goal had, from when, set by whom, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalChange {
    pub status: CareerGoalStatus,
    pub note: String,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// A long-term goal with its history, the latest change first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareerGoal {
    pub id: i64,
    pub user_id: UserId,
    pub fields: CareerGoalFields,
    pub status: CareerGoalStatus,
    pub history: Vec<GoalChange>,
}

/// A piece of feedback as leadership reads it: no author, no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub submitted_on: NaiveDate,
    pub topic: FeedbackTopic,
    pub body: String,
}

type OneOnOneRow = (i64, i64, String, i64, String, NaiveDate, String, String, String, String);

const SELECT_ONE_ON_ONES: &str = "SELECT o.id, o.leader_id, l.name, o.csm_id, c.name, o.held_on, o.look_around, \
     o.look_back, o.look_forward, o.figures FROM one_on_ones o JOIN users l ON l.id = o.leader_id \
     JOIN users c ON c.id = o.csm_id";

fn one_on_one(row: OneOnOneRow) -> Result<OneOnOne> {
    let (id, leader, leader_name, csm, csm_name, held_on, around, back, forward, figures) = row;
    Ok(OneOnOne {
        id,
        leader_id: UserId(leader),
        leader_name,
        csm_id: UserId(csm),
        csm_name,
        fields: OneOnOneFields {
            held_on,
            look_around: stored_note("one_on_ones.look_around", &around)?,
            look_back: stored_note("one_on_ones.look_back", &back)?,
            look_forward: stored_note("one_on_ones.look_forward", &forward)?,
        },
        figures: serde_json::from_str(&figures)
            .map_err(|e| StoreError::Corrupt(format!("one_on_ones.figures: {e}")))?,
    })
}

impl Store {
    /// The active people who report to `leader` and may own accounts, by name, with their last
    /// 1:1 and when the next is due.
    pub async fn one_on_one_roster(&self, leader: UserId, today: NaiveDate) -> Result<Vec<RosterLine>> {
        let rows: Vec<(i64, String, String, Option<NaiveDate>)> = Query::sql(
            "SELECT u.id, u.name, u.role, (SELECT MAX(o.held_on) FROM one_on_ones o WHERE o.csm_id = u.id) \
             FROM users u WHERE u.manager_id = $1 AND u.deactivated_at IS NULL",
        )
        .bind(leader)
        .fetch_all_on(self)
        .await?;
        let mut out = Vec::new();
        for (id, name, role, last_held) in rows {
            let role: Role = parse("users.role", &role)?;
            if AccountSlot::Owner.accepts(role) {
                out.push(RosterLine {
                    user: UserId(id),
                    name,
                    role,
                    last_held,
                    due: next_due(last_held, today),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.user.cmp(&b.user)));
        Ok(out)
    }

    /// `csm`'s book today, from the queries the book's own pages use: accounts and ARR, health
    /// bands, renewals within 90 days, their overdue tasks and our overdue promises.
    pub async fn book_figures(&self, csm: UserId, today: NaiveDate) -> Result<BookFigures> {
        let rows: Vec<(i64, i64, Option<NaiveDate>)> = Query::sql(
            "SELECT id, arr_cents, renewal_date FROM accounts WHERE owner_id = $1 AND lifecycle_stage <> 'churned'",
        )
        .bind(csm)
        .fetch_all_on(self)
        .await?;
        let ids: Vec<AccountId> = rows.iter().map(|r| AccountId(r.0)).collect();
        let scores = self.scores_of(&ids).await?;
        let band = |b: Band| scores.values().filter(|(_, x)| *x == b).count() as u32;
        let horizon = today + Duration::days(RENEWAL_DAYS);
        let overdue_tasks = self
            .tasks(csm, TaskView::Open, today)
            .await?
            .iter()
            .filter(|t| t.due_on.is_some_and(|d| d < today))
            .count() as u32;
        let overdue_promises = self
            .promises(&PromiseFilter {
                in_book_of: Some(csm),
                side: Some(Side::Ours),
                status: Some(ActionStatus::Open),
                due_before: Some(today),
                ..PromiseFilter::default()
            })
            .await?
            .len() as u32;
        Ok(BookFigures {
            accounts: rows.len() as u32,
            arr: Cents(rows.iter().map(|r| r.1).sum()),
            green: band(Band::Green),
            yellow: band(Band::Yellow),
            red: band(Band::Red),
            unscored: (ids.len() - scores.len()) as u32,
            renewals_due: rows
                .iter()
                .filter(|r| r.2.is_some_and(|d| d >= today && d <= horizon))
                .count() as u32,
            overdue_tasks,
            overdue_promises,
        })
    }

    /// Records a 1:1 `leader` held with `csm`, with `csm`'s book figures as they are now.
    pub async fn record_one_on_one(
        &self,
        leader: UserId,
        csm: UserId,
        fields: Valid<OneOnOneFields>,
    ) -> Result<OneOnOne> {
        let figures = self.book_figures(csm, self.today()).await?;
        let f = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO one_on_ones (leader_id, csm_id, held_on, look_around, look_back, look_forward, figures, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(leader)
        .bind(csm)
        .bind(f.held_on)
        .bind(f.look_around.as_str())
        .bind(f.look_back.as_str())
        .bind(f.look_forward.as_str())
        .bind(serde_json::to_string(&figures).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        tx.commit().await?;
        self.one_on_one(id).await
    }

    /// Rewrites what a 1:1 says (its figures stay as they were).
    pub async fn update_one_on_one(&self, id: i64, fields: Valid<OneOnOneFields>) -> Result<OneOnOne> {
        let f = fields.into_inner();
        let done = Query::sql(
            "UPDATE one_on_ones SET held_on = $1, look_around = $2, look_back = $3, look_forward = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(f.held_on)
        .bind(f.look_around.as_str())
        .bind(f.look_back.as_str())
        .bind(f.look_forward.as_str())
        .bind(self.now())
        .bind(id)
        .execute_on(self)
        .await?;
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "1:1",
                key: id.to_string(),
            });
        }
        self.one_on_one(id).await
    }

    pub async fn one_on_one(&self, id: i64) -> Result<OneOnOne> {
        let row: Option<OneOnOneRow> = Query::sql(format!("{SELECT_ONE_ON_ONES} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional_on(self)
            .await?;
        one_on_one(row.ok_or(StoreError::NotFound {
            what: "1:1",
            key: id.to_string(),
        })?)
    }

    /// The 1:1s `csm` has had, the latest first.
    pub async fn one_on_ones_of(&self, csm: UserId) -> Result<Vec<OneOnOne>> {
        let rows: Vec<OneOnOneRow> = Query::sql(format!(
            "{SELECT_ONE_ON_ONES} WHERE o.csm_id = $1 ORDER BY o.held_on DESC, o.id DESC"
        ))
        .bind(csm)
        .fetch_all_on(self)
        .await?;
        rows.into_iter().map(one_on_one).collect()
    }

    /// `user`'s long-term goals, open ones first, each with its history.
    pub async fn career_goals(&self, user: UserId) -> Result<Vec<CareerGoal>> {
        let goals: Vec<(i64, String, Option<NaiveDate>, String)> =
            Query::sql("SELECT id, title, target_on, status FROM career_goals WHERE user_id = $1 ORDER BY id")
                .bind(user)
                .fetch_all_on(self)
                .await?;
        let changes: Vec<(i64, String, String, Option<String>, DateTime<Utc>)> = Query::sql(
            "SELECT c.goal_id, c.status, c.note, u.name, c.changed_at FROM career_goal_changes c \
             JOIN career_goals g ON g.id = c.goal_id LEFT JOIN users u ON u.id = c.changed_by \
             WHERE g.user_id = $1 ORDER BY c.changed_at DESC, c.id DESC",
        )
        .bind(user)
        .fetch_all_on(self)
        .await?;
        let mut history: HashMap<i64, Vec<GoalChange>> = HashMap::new();
        for (goal, status, note, by, at) in changes {
            history.entry(goal).or_default().push(GoalChange {
                status: parse("career_goal_changes.status", &status)?,
                note,
                by,
                at,
            });
        }
        let mut out = Vec::new();
        for (id, title, target_on, status) in goals {
            out.push(CareerGoal {
                id,
                user_id: user,
                fields: CareerGoalFields {
                    title: Name::parse(&title).map_err(|e| StoreError::Corrupt(format!("career_goals.title: {e}")))?,
                    target_on,
                },
                status: parse("career_goals.status", &status)?,
                history: history.remove(&id).unwrap_or_default(),
            });
        }
        let closed = |g: &CareerGoal| matches!(g.status, CareerGoalStatus::Reached | CareerGoalStatus::Dropped);
        out.sort_by_key(|g| (closed(g), g.id));
        Ok(out)
    }

    /// Adds a long-term goal for `user`, on track, its first history line saying who set it.
    pub async fn add_career_goal(&self, user: UserId, fields: CareerGoalFields, by: Option<UserId>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO career_goals (user_id, title, target_on, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(user)
        .bind(fields.title.as_str())
        .bind(fields.target_on)
        .bind(CareerGoalStatus::OnTrack.as_str())
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        insert_change(&mut tx, id, CareerGoalStatus::OnTrack, "Goal set", by, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The goal `id`'s owner, for the access check.
    pub async fn career_goal_owner(&self, id: i64) -> Result<UserId> {
        let owner: Option<i64> = Query::sql("SELECT user_id FROM career_goals WHERE id = $1")
            .bind(id)
            .scalar_optional_on(self)
            .await?;
        owner.map(UserId).ok_or(StoreError::NotFound {
            what: "goal",
            key: id.to_string(),
        })
    }

    /// Moves goal `id` to `status`, keeping the change and why in its history.
    pub async fn set_career_goal_status(
        &self,
        id: i64,
        status: CareerGoalStatus,
        note: &Note,
        by: Option<UserId>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let done = Query::sql("UPDATE career_goals SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "goal",
                key: id.to_string(),
            });
        }
        insert_change(&mut tx, id, status, note.as_str(), by, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores feedback under the random `key` the caller drew, with the day only.
    pub async fn submit_feedback(&self, key: i64, fields: Valid<FeedbackFields>) -> Result<()> {
        let f = fields.into_inner();
        Query::sql("INSERT INTO leadership_feedback (id, submitted_on, topic, body) VALUES ($1, $2, $3, $4)")
            .bind(key)
            .bind(self.today())
            .bind(f.topic.as_str())
            .bind(f.body.as_str())
            .execute_on(self)
            .await?;
        Ok(())
    }

    /// Feedback since `from` (a day), the latest day first; within a day by topic and text, so
    /// the list shows nothing of the order it came in.
    pub async fn feedback_since(&self, from: NaiveDate) -> Result<Vec<Feedback>> {
        let rows: Vec<(NaiveDate, String, String)> =
            Query::sql("SELECT submitted_on, topic, body FROM leadership_feedback WHERE submitted_on >= $1")
                .bind(from)
                .fetch_all_on(self)
                .await?;
        let mut out = rows
            .into_iter()
            .map(|(submitted_on, topic, body)| {
                Ok(Feedback {
                    submitted_on,
                    topic: parse("leadership_feedback.topic", &topic)?,
                    body,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| {
            b.submitted_on
                .cmp(&a.submitted_on)
                .then(a.topic.cmp(&b.topic))
                .then(a.body.cmp(&b.body))
        });
        Ok(out)
    }
}

async fn insert_change(
    tx: &mut crate::Tx,
    goal: i64,
    status: CareerGoalStatus,
    note: &str,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<()> {
    Query::sql(
        "INSERT INTO career_goal_changes (goal_id, status, note, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(goal)
    .bind(status.as_str())
    .bind(note)
    .bind(by)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}
