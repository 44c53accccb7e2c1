//! Churn and its retrospective (F-25, seed 001 play 5). Marking an account churned ends its
//! contracts at zero on the churn date (so revenue figures see the loss), moves it to the
//! Churned stage, tells its timeline, and opens a retrospective that the team fills in. Whether
//! an LxL surfaced the account as a risk before it churned is read from the reviews' agendas.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::review::{ChurnFields, RetrospectiveNotes};
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{ChangeKind, ChurnReason, LifecycleStage};
use lodestar_domain::{AccountId, Cents, FieldError, Invalid, UserId, Valid};

use super::contracts::{Which, load_contracts, record_change_in};
use super::timeline::{TimelineKind, record};
use super::{parse, stored_note};
use crate::bulk::{Value, bind_values};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx, on_pool};

/// A churn and what the team learned from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrospective {
    pub account_id: AccountId,
    pub account_name: String,
    pub owner: Option<String>,
    pub churned_on: NaiveDate,
    pub reason: ChurnReason,
    pub detail: Note,
    /// The ARR its contracts carried when they churned.
    pub arr_lost: Cents,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub notes: RetrospectiveNotes,
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether an LxL started on or before the churn had it on its agenda as a risk (at risk,
    /// or put there by the team).
    pub flagged: bool,
}

/// In SQL over `churn_retrospectives c`: whether a review started on or before the churn had
/// the account on its agenda as a risk (at risk, or put there by the team).
const FLAGGED: &str = "EXISTS (SELECT 1 FROM lxl_lines l JOIN lxl_reviews v ON v.id = l.review_id \
     WHERE l.account_id = c.account_id AND v.started_on <= c.churned_on \
     AND ((',' || l.reasons || ',') LIKE '%,at_risk,%' OR (',' || l.reasons || ',') LIKE '%,added,%'))";

fn select_retrospectives() -> String {
    format!(
        "SELECT c.account_id, a.name AS account_name, o.name AS owner, c.churned_on, c.reason, c.detail, \
         c.arr_lost_cents, r.name AS recorded_by, c.recorded_at, c.prevention, c.exit_interview, c.learnings, \
         c.playbook, c.updated_at, CASE WHEN {FLAGGED} THEN 1 ELSE 0 END AS flagged \
         FROM churn_retrospectives c JOIN accounts a ON a.id = c.account_id \
         LEFT JOIN users o ON o.id = a.owner_id LEFT JOIN users r ON r.id = c.recorded_by"
    )
}

#[derive(sqlx::FromRow)]
struct RetroRow {
    account_id: i64,
    account_name: String,
    owner: Option<String>,
    churned_on: NaiveDate,
    reason: String,
    detail: String,
    arr_lost_cents: i64,
    recorded_by: Option<String>,
    recorded_at: DateTime<Utc>,
    prevention: String,
    exit_interview: String,
    learnings: String,
    playbook: String,
    updated_at: Option<DateTime<Utc>>,
    flagged: i32,
}

fn retrospective_of(r: RetroRow) -> Result<Retrospective> {
    Ok(Retrospective {
        account_id: AccountId(r.account_id),
        account_name: r.account_name,
        owner: r.owner,
        churned_on: r.churned_on,
        reason: parse("churn_retrospectives.reason", &r.reason)?,
        detail: stored_note("churn_retrospectives.detail", &r.detail)?,
        arr_lost: Cents(r.arr_lost_cents),
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at,
        notes: RetrospectiveNotes {
            prevention: stored_note("churn_retrospectives.prevention", &r.prevention)?,
            exit_interview: stored_note("churn_retrospectives.exit_interview", &r.exit_interview)?,
            learnings: stored_note("churn_retrospectives.learnings", &r.learnings)?,
            playbook: stored_note("churn_retrospectives.playbook", &r.playbook)?,
        },
        updated_at: r.updated_at,
        flagged: r.flagged != 0,
    })
}

async fn retrospective_in(tx: &mut Tx, account: AccountId) -> Result<Option<Retrospective>> {
    let sql = format!("{} WHERE c.account_id = $1", select_retrospectives());
    let row: Option<RetroRow> = Query::sql(&sql).bind(account.0).fetch_optional(tx).await?;
    row.map(retrospective_of).transpose()
}

/// A contract's history refusing the churn date, said against the field the user gave.
fn churn_date_refused(contract: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(invalid) => Invalid {
            errors: invalid
                .errors
                .into_iter()
                .map(|FieldError { reason, .. }| FieldError {
                    field: "churned_on",
                    reason: format!("contract {contract}: {reason}"),
                })
                .collect(),
        }
        .into(),
        e => e,
    }
}

impl Store {
    /// Marks `account` churned: its contracts with ARR churn to zero on the churn date, its
    /// stage becomes Churned, its timeline says why, and its retrospective opens. All or
    /// nothing.
    pub async fn mark_churned(
        &self,
        account: AccountId,
        churn: Valid<ChurnFields>,
        actor: Option<UserId>,
    ) -> Result<Retrospective> {
        let churn = churn.into_inner();
        let mut tx = self.begin_write().await?;
        let stage: Option<(String,)> = Query::sql("SELECT lifecycle_stage FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(&mut tx)
            .await?;
        let stage = stage.map(|(stage,)| stage);
        let stage = stage.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        if parse::<LifecycleStage>("accounts.lifecycle_stage", &stage)? == LifecycleStage::Churned {
            return Err(StoreError::Conflict("the account is already churned".into()));
        }
        // The stage first: the contracts' churn rescores the account, and a churned account is
        // not scored, so its history ends with the score it had before.
        let now = tx.now();
        Query::sql("UPDATE accounts SET lifecycle_stage = $1, updated_at = $2 WHERE id = $3")
            .bind(LifecycleStage::Churned.as_str())
            .bind(now)
            .bind(account.0)
            .execute(&mut tx)
            .await?;
        let mut arr_lost = Cents::ZERO;
        for contract in load_contracts(&mut tx, Which::Account(account)).await? {
            if contract.arr.0 == 0 {
                continue;
            }
            arr_lost = Cents(arr_lost.0 + contract.arr.0);
            let key = contract.fields.external_id.to_string();
            record_change_in(&mut tx, contract, churn.churned_on, ChangeKind::Churn, Cents::ZERO)
                .await
                .map_err(|e| churn_date_refused(&key, e))?;
        }
        let mut text = format!(
            "Churned on {}: {} (ARR lost {})",
            churn.churned_on,
            churn.reason.label(),
            arr_lost.whole_dollars()
        );
        if !churn.detail.is_empty() {
            text.push_str(" — ");
            text.push_str(churn.detail.as_str());
        }
        let at = tx.now();
        record(&mut tx, account, at, actor, TimelineKind::Churn, &text).await?;
        // A win-back that churns again starts a new retrospective.
        let now = tx.now();
        Query::sql(
            "INSERT INTO churn_retrospectives (account_id, churned_on, reason, detail, arr_lost_cents, recorded_by, \
             recorded_at, prevention, exit_interview, learnings, playbook) VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', '', '') \
             ON CONFLICT (account_id) DO UPDATE SET churned_on = excluded.churned_on, reason = excluded.reason, \
             detail = excluded.detail, arr_lost_cents = excluded.arr_lost_cents, recorded_by = excluded.recorded_by, \
             recorded_at = excluded.recorded_at, prevention = '', exit_interview = '', learnings = '', playbook = '', \
             updated_at = NULL",
        )
        .bind(account.0)
        .bind(churn.churned_on)
        .bind(churn.reason.as_str())
        .bind(churn.detail.as_str())
        .bind(arr_lost.0)
        .bind(actor.map(|u| u.0))
        .bind(now)
        .execute(&mut tx)
        .await?;
        // Takes the account out of scoring (when it had no contract to churn).
        tx.touch_accounts([account.0]);
        let retro = retrospective_in(&mut tx, account).await?;
        tx.commit().await?;
        retro.ok_or_else(|| StoreError::Corrupt("a retrospective vanished in its own transaction".into()))
    }

    pub async fn retrospective(&self, account: AccountId) -> Result<Option<Retrospective>> {
        let mut tx = self.begin_snapshot().await?;
        retrospective_in(&mut tx, account).await
    }

    /// Saves what the team wrote in a retrospective.
    pub async fn save_retrospective(&self, account: AccountId, notes: RetrospectiveNotes) -> Result<Retrospective> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let changed = Query::sql(
            "UPDATE churn_retrospectives SET prevention = $1, exit_interview = $2, learnings = $3, playbook = $4, \
             updated_at = $5 WHERE account_id = $6",
        )
        .bind(notes.prevention.as_str())
        .bind(notes.exit_interview.as_str())
        .bind(notes.learnings.as_str())
        .bind(notes.playbook.as_str())
        .bind(now)
        .bind(account.0)
        .execute(&mut tx)
        .await?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "churn retrospective for account",
                key: account.to_string(),
            });
        }
        let retro = retrospective_in(&mut tx, account).await?;
        tx.commit().await?;
        retro.ok_or_else(|| StoreError::Corrupt("a retrospective vanished in its own transaction".into()))
    }

    /// A page of churns, the latest first, and how many match in all; `never_flagged` keeps
    /// only those no LxL surfaced as a risk before they churned (seed 001: the ones to learn
    /// most from).
    pub async fn retrospectives(
        &self,
        never_flagged: bool,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Retrospective>, i64)> {
        let filter = if never_flagged {
            format!(" WHERE NOT {FLAGGED}")
        } else {
            String::new()
        };
        let count_sql = format!("SELECT COUNT(*) FROM churn_retrospectives c{filter}");
        let sql = format!(
            "{}{filter} ORDER BY c.churned_on DESC, c.account_id LIMIT $1 OFFSET $2",
            select_retrospectives()
        );
        let page = [
            Value::from(i64::from(limit.clamp(1, 500))),
            Value::from(i64::from(offset)),
        ];
        let (total,): (i64,) = Query::sql(&count_sql).fetch_one_on(self).await?;
        let rows: Vec<RetroRow> = on_pool!(self, |p| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, page.iter().cloned());
            q.fetch_all(p).await?
        });
        Ok((rows.into_iter().map(retrospective_of).collect::<Result<_>>()?, total))
    }
}
