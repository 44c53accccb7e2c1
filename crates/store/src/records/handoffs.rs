//! Handoff and deal quality (F-65): the team's CS-qualification list, each closed deal's
//! handoff (goals, pain points, criteria checked, deal-desk exceptions), its acceptance or
//! rejection at kickoff — asked by the CSM on unmet criteria, decided by a leader — and the
//! account's renewal outcome read beside it. Every step goes on the account's timeline.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::handoff::{
    Criterion, DEFAULT_CRITERIA, DealException, HandoffFields, HandoffId, HandoffState, Rejection, kickoff_due,
};
use lodestar_domain::text::{ExternalId, Label, Note};
use lodestar_domain::vocabulary::ChangeKind;
use lodestar_domain::{AccountId, FieldError, Invalid, UserId, Valid};

use super::timeline::{TimelineKind, record};
use super::{parse, parse_opt, stored_note};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A criterion as checked on one handoff, and whether the CSM's rejection cites it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffCriterion {
    pub name: Label,
    pub met: bool,
    pub cited: bool,
}

/// How the account's contracts moved after the deal was signed: the latest renewal, expansion,
/// contraction or churn, and the renewal date still ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalOutcome {
    pub kind: Option<ChangeKind>,
    pub on: Option<NaiveDate>,
    pub renewal_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub id: HandoffId,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_owner_id: Option<UserId>,
    pub account_owner: Option<String>,
    pub signed_on: NaiveDate,
    pub kickoff_due_on: NaiveDate,
    pub goals: Note,
    pub pain_points: Note,
    pub state: HandoffState,
    pub criteria: Vec<HandoffCriterion>,
    pub exceptions: Vec<DealException>,
    pub rejection_reason: Option<Note>,
    pub rejection_requested_by: Option<String>,
    pub rejection_requested_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<Note>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub outcome: RenewalOutcome,
}

impl Handoff {
    /// The handoff's fields as they stand (what an edit or a rejection is checked against).
    pub fn fields(&self) -> HandoffFields {
        HandoffFields {
            signed_on: self.signed_on,
            goals: self.goals.clone(),
            pain_points: self.pain_points.clone(),
            criteria: self
                .criteria
                .iter()
                .map(|c| Criterion {
                    name: c.name.clone(),
                    met: c.met,
                })
                .collect(),
            exceptions: self.exceptions.clone(),
        }
    }
}

/// A whole handoff written at once, in any state (demo data).
#[derive(Debug, Clone)]
pub struct HandoffDraft {
    pub account: AccountId,
    pub fields: Valid<HandoffFields>,
    pub by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// Accepted at once, or a rejection asked for (and decided by the leader given).
    pub accepted: bool,
    pub rejection: Option<Valid<Rejection>>,
    pub decision: Option<(bool, Note, Option<UserId>)>,
}

/// Kinds of contract change that tell how a deal turned out.
const OUTCOME_KINDS: &str = "('renewal', 'expansion', 'contraction', 'churn')";

fn select_handoffs() -> String {
    format!(
        "SELECT h.id, h.account_id, a.name AS account_name, a.owner_id AS account_owner_id, \
         o.name AS account_owner, h.signed_on, h.kickoff_due_on, h.goals, h.pain_points, h.state, \
         h.rejection_reason, r.name AS rejection_requested_by, h.rejection_requested_at, \
         d.name AS decided_by, h.decided_at, h.decision_note, c.name AS created_by, h.created_at, \
         h.updated_at, a.renewal_date, \
         (SELECT x.kind FROM contract_changes x WHERE x.account_id = h.account_id AND x.kind IN {OUTCOME_KINDS} \
          AND x.effective_date > h.signed_on ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) AS outcome_kind, \
         (SELECT x.effective_date FROM contract_changes x WHERE x.account_id = h.account_id \
          AND x.kind IN {OUTCOME_KINDS} AND x.effective_date > h.signed_on \
          ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) AS outcome_on \
         FROM handoffs h JOIN accounts a ON a.id = h.account_id LEFT JOIN users o ON o.id = a.owner_id \
         LEFT JOIN users r ON r.id = h.rejection_requested_by LEFT JOIN users d ON d.id = h.decided_by \
         LEFT JOIN users c ON c.id = h.created_by"
    )
}

#[derive(sqlx::FromRow)]
struct HandoffRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner_id: Option<i64>,
    account_owner: Option<String>,
    signed_on: NaiveDate,
    kickoff_due_on: NaiveDate,
    goals: String,
    pain_points: String,
    state: String,
    rejection_reason: Option<String>,
    rejection_requested_by: Option<String>,
    rejection_requested_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_note: Option<String>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    renewal_date: Option<NaiveDate>,
    outcome_kind: Option<String>,
    outcome_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct CriterionRow {
    handoff_id: i64,
    name: String,
    met: i64,
    cited: i64,
}

#[derive(sqlx::FromRow)]
struct ExceptionRow {
    handoff_id: i64,
    kind: String,
    detail: String,
}

fn label(column: &str, text: &str) -> Result<Label> {
    Label::parse(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

fn optional_note(column: &str, text: Option<String>) -> Result<Option<Note>> {
    text.map(|t| stored_note(column, &t)).transpose()
}

async fn criteria_of(tx: &mut Tx, ids: &[i64]) -> Result<HashMap<i64, Vec<HandoffCriterion>>> {
    let mut by_handoff: HashMap<i64, Vec<HandoffCriterion>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<CriterionRow> =
            Query::sql("SELECT handoff_id, name, met, cited FROM handoff_criteria WHERE handoff_id IN (")
                .list(chunk.iter().copied())
                .push(") ORDER BY handoff_id, position, id")
                .fetch_all(tx)
                .await?;
        for row in rows {
            by_handoff.entry(row.handoff_id).or_default().push(HandoffCriterion {
                name: label("handoff_criteria.name", &row.name)?,
                met: row.met == 1,
                cited: row.cited == 1,
            });
        }
    }
    Ok(by_handoff)
}

async fn exceptions_of(tx: &mut Tx, ids: &[i64]) -> Result<HashMap<i64, Vec<DealException>>> {
    let mut by_handoff: HashMap<i64, Vec<DealException>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<ExceptionRow> =
            Query::sql("SELECT handoff_id, kind, detail FROM deal_exceptions WHERE handoff_id IN (")
                .list(chunk.iter().copied())
                .push(") ORDER BY handoff_id, id")
                .fetch_all(tx)
                .await?;
        for row in rows {
            by_handoff.entry(row.handoff_id).or_default().push(DealException {
                kind: parse("deal_exceptions.kind", &row.kind)?,
                detail: label("deal_exceptions.detail", &row.detail)?,
            });
        }
    }
    Ok(by_handoff)
}

async fn handoffs_where(tx: &mut Tx, conditions: Vec<Query>, order: &str) -> Result<Vec<Handoff>> {
    let rows: Vec<HandoffRow> = Query::sql(select_handoffs())
        .where_all(conditions)
        .push(format!(" ORDER BY {order}"))
        .fetch_all(tx)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut criteria = criteria_of(tx, &ids).await?;
    let mut exceptions = exceptions_of(tx, &ids).await?;
    rows.into_iter()
        .map(|row| {
            Ok(Handoff {
                id: HandoffId(row.id),
                account_id: AccountId(row.account_id),
                account_name: row.account_name,
                account_owner_id: row.account_owner_id.map(UserId),
                account_owner: row.account_owner,
                signed_on: row.signed_on,
                kickoff_due_on: row.kickoff_due_on,
                goals: stored_note("handoffs.goals", &row.goals)?,
                pain_points: stored_note("handoffs.pain_points", &row.pain_points)?,
                state: parse("handoffs.state", &row.state)?,
                criteria: criteria.remove(&row.id).unwrap_or_default(),
                exceptions: exceptions.remove(&row.id).unwrap_or_default(),
                rejection_reason: optional_note("handoffs.rejection_reason", row.rejection_reason)?,
                rejection_requested_by: row.rejection_requested_by,
                rejection_requested_at: row.rejection_requested_at,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                decision_note: optional_note("handoffs.decision_note", row.decision_note)?,
                created_by: row.created_by,
                created_at: row.created_at,
                updated_at: row.updated_at,
                outcome: RenewalOutcome {
                    kind: parse_opt("contract_changes.kind", row.outcome_kind)?,
                    on: row.outcome_on,
                    renewal_date: row.renewal_date,
                },
            })
        })
        .collect()
}

async fn handoff_in(tx: &mut Tx, id: HandoffId) -> Result<Handoff> {
    handoffs_where(tx, vec![Query::sql("h.id = ").value(id.0)], "h.id")
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "handoff",
            key: id.to_string(),
        })
}

/// Writes a handoff's criteria and exceptions (after removing any it had).
async fn write_lists(tx: &mut Tx, id: HandoffId, account: AccountId, fields: &HandoffFields) -> Result<()> {
    for table in ["handoff_criteria", "deal_exceptions"] {
        Query::sql(format!("DELETE FROM {table} WHERE handoff_id = $1"))
            .bind(id.0)
            .execute(tx)
            .await?;
    }
    let criteria = fields
        .criteria
        .iter()
        .zip(1_i64..)
        .map(|(c, position)| -> Vec<Value> {
            vec![
                id.0.into(),
                account.into(),
                position.into(),
                c.name.as_str().into(),
                i64::from(c.met).into(),
                0_i64.into(),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "handoff_criteria",
        &["handoff_id", "account_id", "position", "name", "met", "cited"],
        criteria,
        "",
    )
    .await?;
    let exceptions = fields
        .exceptions
        .iter()
        .map(|e| -> Vec<Value> {
            vec![
                id.0.into(),
                account.into(),
                e.kind.as_str().into(),
                e.detail.as_str().into(),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "deal_exceptions",
        &["handoff_id", "account_id", "kind", "detail"],
        exceptions,
        "",
    )
    .await?;
    Ok(())
}

async fn insert_handoff(
    tx: &mut Tx,
    account: AccountId,
    fields: &HandoffFields,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<HandoffId> {
    let found: Option<i64> = Query::sql("SELECT id FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_optional(tx)
        .await?;
    if found.is_none() {
        return Err(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        });
    }
    let id: i64 = Query::sql(
        "INSERT INTO handoffs (account_id, signed_on, kickoff_due_on, goals, pain_points, state, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(account.0)
    .bind(fields.signed_on)
    .bind(kickoff_due(fields.signed_on))
    .bind(fields.goals.as_str())
    .bind(fields.pain_points.as_str())
    .bind(HandoffState::HandedOff.as_str())
    .bind(by)
    .bind(at)
    .scalar_one(tx)
    .await?;
    let id = HandoffId(id);
    write_lists(tx, id, account, fields).await?;
    let unmet = fields.unmet().count();
    let text = format!(
        "Deal signed on {} handed to CS: {} of {} qualification criteria met{}; kickoff due {}",
        fields.signed_on,
        fields.criteria.len() - unmet,
        fields.criteria.len(),
        match fields.exceptions.len() {
            0 => String::new(),
            n => format!(", {n} deal-desk exception(s)"),
        },
        kickoff_due(fields.signed_on)
    );
    record(tx, account, at, by, TimelineKind::Handoff, &text).await?;
    Ok(id)
}

/// Refuses a step the handoff's state does not allow (409).
fn require_state(handoff: &Handoff, allowed: &[HandoffState], step: &str) -> Result<()> {
    if allowed.contains(&handoff.state) {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "handoff {} is {}; it cannot be {step}",
            handoff.id,
            handoff.state.label().to_lowercase()
        )))
    }
}

async fn accept_in(tx: &mut Tx, handoff: &Handoff, by: Option<UserId>) -> Result<()> {
    require_state(handoff, &[HandoffState::HandedOff], "accepted")?;
    let now = tx.now();
    Query::sql("UPDATE handoffs SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(HandoffState::Accepted.as_str())
        .bind(now)
        .bind(handoff.id.0)
        .execute(tx)
        .await?;
    let text = format!("Deal signed on {} accepted at kickoff", handoff.signed_on);
    record(tx, handoff.account_id, now, by, TimelineKind::Handoff, &text).await
}

async fn request_rejection_in(tx: &mut Tx, handoff: &Handoff, rejection: &Rejection, by: Option<UserId>) -> Result<()> {
    require_state(handoff, &[HandoffState::HandedOff], "rejected")?;
    let now = tx.now();
    Query::sql(
        "UPDATE handoffs SET state = $1, rejection_reason = $2, rejection_requested_by = $3, \
         rejection_requested_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(HandoffState::RejectionRequested.as_str())
    .bind(rejection.reason.as_str())
    .bind(by)
    .bind(now)
    .bind(handoff.id.0)
    .execute(tx)
    .await?;
    let names: Vec<String> = rejection.criteria.iter().map(|c| c.as_str().to_lowercase()).collect();
    Query::sql("UPDATE handoff_criteria SET cited = 1 WHERE handoff_id = ")
        .value(handoff.id.0)
        .push(" AND LOWER(name) IN (")
        .list(names)
        .push(")")
        .execute(tx)
        .await?;
    let cited: Vec<&str> = rejection.criteria.iter().map(Label::as_str).collect();
    let text = format!(
        "Rejection of the deal signed on {} asked for; unmet: {}",
        handoff.signed_on,
        cited.join(", ")
    );
    record(tx, handoff.account_id, now, by, TimelineKind::Handoff, &text).await
}

async fn decide_in(tx: &mut Tx, handoff: &Handoff, reject: bool, note: &Note, by: Option<UserId>) -> Result<()> {
    require_state(handoff, &[HandoffState::RejectionRequested], "decided")?;
    let now = tx.now();
    let state = if reject {
        HandoffState::Rejected
    } else {
        HandoffState::Accepted
    };
    Query::sql(
        "UPDATE handoffs SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4, updated_at = $3 \
         WHERE id = $5",
    )
    .bind(state.as_str())
    .bind(by)
    .bind(now)
    .bind(note.as_str())
    .bind(handoff.id.0)
    .execute(tx)
    .await?;
    let text = if reject {
        format!("Deal signed on {} rejected, a leader approving", handoff.signed_on)
    } else {
        format!(
            "Rejection of the deal signed on {} declined by a leader; the deal stands",
            handoff.signed_on
        )
    };
    record(tx, handoff.account_id, now, by, TimelineKind::Handoff, &text).await
}

impl Store {
    /// The team's CS-qualification criteria, in order; the domain's defaults while the team
    /// has not set its own.
    pub async fn qualification_criteria(&self) -> Result<Vec<Label>> {
        let mut tx = self.begin_snapshot().await?;
        let names: Vec<String> = Query::sql("SELECT name FROM qualification_criteria ORDER BY position, id")
            .scalars(&mut tx)
            .await?;
        if names.is_empty() {
            return DEFAULT_CRITERIA.iter().map(|n| label("default criteria", n)).collect();
        }
        names.iter().map(|n| label("qualification_criteria.name", n)).collect()
    }

    /// Replaces the team's list; handoffs already made keep the criteria they were checked on.
    pub async fn set_qualification_criteria(&self, names: Valid<Vec<Label>>) -> Result<Vec<Label>> {
        let names = names.into_inner();
        let mut tx = self.begin_write().await?;
        Query::sql("DELETE FROM qualification_criteria")
            .execute(&mut tx)
            .await?;
        let rows = names
            .iter()
            .zip(1_i64..)
            .map(|(n, p)| -> Vec<Value> { vec![p.into(), n.as_str().into()] })
            .collect();
        insert_rows(&mut tx, "qualification_criteria", &["position", "name"], rows, "").await?;
        tx.commit().await?;
        Ok(names)
    }

    /// Hands a closed deal to CS; the kickoff is due four business days after signature.
    pub async fn create_handoff(
        &self,
        account: AccountId,
        fields: Valid<HandoffFields>,
        by: Option<UserId>,
    ) -> Result<Handoff> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let id = insert_handoff(&mut tx, account, &fields, by, now).await?;
        let handoff = handoff_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(handoff)
    }

    /// Changes what was handed over (criteria ticked, exceptions, goals) while the deal is not
    /// under a rejection: a rejection asked for or decided rests on the criteria as they were.
    pub async fn update_handoff(
        &self,
        id: HandoffId,
        fields: Valid<HandoffFields>,
        by: Option<UserId>,
    ) -> Result<Handoff> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let before = handoff_in(&mut tx, id).await?;
        require_state(&before, &[HandoffState::HandedOff, HandoffState::Accepted], "changed")?;
        let now = tx.now();
        Query::sql(
            "UPDATE handoffs SET signed_on = $1, kickoff_due_on = $2, goals = $3, pain_points = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(fields.signed_on)
        .bind(kickoff_due(fields.signed_on))
        .bind(fields.goals.as_str())
        .bind(fields.pain_points.as_str())
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        write_lists(&mut tx, id, before.account_id, &fields).await?;
        let text = format!("Handoff of the deal signed on {} changed", fields.signed_on);
        record(&mut tx, before.account_id, now, by, TimelineKind::Handoff, &text).await?;
        let handoff = handoff_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(handoff)
    }

    pub async fn handoff(&self, id: HandoffId) -> Result<Handoff> {
        let mut tx = self.begin_snapshot().await?;
        handoff_in(&mut tx, id).await
    }

    /// An account's handoffs, the latest deal first.
    pub async fn handoffs_of_account(&self, account: AccountId) -> Result<Vec<Handoff>> {
        let mut tx = self.begin_snapshot().await?;
        handoffs_where(
            &mut tx,
            vec![Query::sql("h.account_id = ").value(account.0)],
            "h.signed_on DESC, h.id DESC",
        )
        .await
    }

    /// Every handoff (in one state when given): rejections awaiting a leader first, then the
    /// latest deals.
    pub async fn handoffs(&self, state: Option<HandoffState>) -> Result<Vec<Handoff>> {
        let mut tx = self.begin_snapshot().await?;
        let conditions = state
            .map(|s| vec![Query::sql("h.state = ").value(s.as_str())])
            .unwrap_or_default();
        handoffs_where(
            &mut tx,
            conditions,
            "CASE WHEN h.state = 'rejection_requested' THEN 0 ELSE 1 END, h.signed_on DESC, h.id DESC",
        )
        .await
    }

    /// The CSM accepts the deal at kickoff (409 unless it was just handed off).
    pub async fn accept_handoff(&self, id: HandoffId, by: Option<UserId>) -> Result<Handoff> {
        let mut tx = self.begin_write().await?;
        let handoff = handoff_in(&mut tx, id).await?;
        accept_in(&mut tx, &handoff, by).await?;
        let handoff = handoff_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(handoff)
    }

    /// The CSM asks to reject the deal on the unmet criteria named (409 unless it was just
    /// handed off); a leader decides.
    pub async fn request_rejection(
        &self,
        id: HandoffId,
        rejection: Valid<Rejection>,
        by: Option<UserId>,
    ) -> Result<Handoff> {
        let rejection = rejection.into_inner();
        let mut tx = self.begin_write().await?;
        let handoff = handoff_in(&mut tx, id).await?;
        // The criteria may have changed since the caller read them: check again, here.
        Rejection::new(&handoff.fields(), rejection.criteria.clone(), rejection.reason.clone())?;
        request_rejection_in(&mut tx, &handoff, &rejection, by).await?;
        let handoff = handoff_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(handoff)
    }

    /// A leader approves the rejection (`reject`) or declines it, which leaves the deal
    /// accepted (409 unless a rejection awaits).
    pub async fn decide_rejection(
        &self,
        id: HandoffId,
        reject: bool,
        note: Note,
        by: Option<UserId>,
    ) -> Result<Handoff> {
        let mut tx = self.begin_write().await?;
        let handoff = handoff_in(&mut tx, id).await?;
        decide_in(&mut tx, &handoff, reject, &note, by).await?;
        let handoff = handoff_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(handoff)
    }

    /// Writes demo handoffs, each brought to its state through the same steps, in one
    /// transaction.
    pub async fn load_handoffs(&self, drafts: Vec<HandoffDraft>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for d in drafts {
            let fields = d.fields.into_inner();
            let id = insert_handoff(&mut tx, d.account, &fields, d.by, d.created_at).await?;
            if d.accepted {
                let h = handoff_in(&mut tx, id).await?;
                accept_in(&mut tx, &h, d.by).await?;
            } else if let Some(rejection) = d.rejection {
                let h = handoff_in(&mut tx, id).await?;
                request_rejection_in(&mut tx, &h, &rejection, d.by).await?;
                if let Some((reject, note, leader)) = d.decision {
                    let h = handoff_in(&mut tx, id).await?;
                    decide_in(&mut tx, &h, reject, &note, leader).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Hands over closed deals from a CRM export, all or none, in one transaction: each names
    /// its account by external id (an unknown one is refused as "row N: …") and its deal by
    /// `external_id`, so a deal imported before is skipped. Returns how many were added.
    pub async fn import_handoffs(&self, deals: Vec<ImportedHandoff>) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        // Every row's account first, so a file with several unknown accounts is reported whole.
        let mut accounts = Vec::with_capacity(deals.len());
        let mut unknown = Vec::new();
        for (i, deal) in deals.iter().enumerate() {
            let account: Option<i64> = Query::sql("SELECT id FROM accounts WHERE external_id = $1")
                .bind(deal.account_external_id.as_str())
                .scalar_optional(&mut tx)
                .await?;
            match account {
                Some(account) => accounts.push(AccountId(account)),
                None => unknown.push(FieldError {
                    field: "account_external_id",
                    reason: format!(
                        "row {}: no account has the external id {:?}",
                        i + 1,
                        deal.account_external_id.as_str()
                    ),
                }),
            }
        }
        if !unknown.is_empty() {
            return Err(Invalid { errors: unknown }.into());
        }
        let mut added = 0;
        for (deal, account) in deals.into_iter().zip(accounts) {
            if deal_known(&mut tx, &deal.external_id, account).await? {
                continue;
            }
            let fields = deal.fields.into_inner();
            let id = insert_handoff(&mut tx, account, &fields, None, now).await?;
            Query::sql("UPDATE handoffs SET external_id = $1 WHERE id = $2")
                .bind(deal.external_id.as_str())
                .bind(id.0)
                .execute(&mut tx)
                .await?;
            added += 1;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Every handoff with its deal's id (the CRM's, or `lodestar-N`) and its account's external
    /// id, oldest first: what `lodestar export handoffs` writes.
    pub async fn exported_handoffs(&self) -> Result<Vec<(String, String, Handoff)>> {
        let mut tx = self.begin_snapshot().await?;
        let keys: Vec<(i64, Option<String>, String)> = Query::sql(
            "SELECT h.id, h.external_id, a.external_id FROM handoffs h JOIN accounts a ON a.id = h.account_id \
             ORDER BY h.signed_on, h.id",
        )
        .fetch_all(&mut tx)
        .await?;
        let mut out = Vec::with_capacity(keys.len());
        for (id, deal, account) in keys {
            let handoff = handoff_in(&mut tx, HandoffId(id)).await?;
            out.push((
                deal.unwrap_or_else(|| format!("{OWN_DEAL_PREFIX}{id}")),
                account,
                handoff,
            ));
        }
        Ok(out)
    }
}

/// Whether a deal is already here: a CRM id seen before, or `lodestar-N` naming handoff N of the
/// same account (what the export writes for a deal created in Lodestar), so that importing an
/// export again adds nothing.
async fn deal_known(tx: &mut Tx, deal: &ExternalId, account: AccountId) -> Result<bool> {
    if let Some(own) = deal
        .as_str()
        .strip_prefix(OWN_DEAL_PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
    {
        let ours: Option<i64> = Query::sql("SELECT id FROM handoffs WHERE id = $1 AND account_id = $2")
            .bind(own)
            .bind(account.0)
            .scalar_optional(tx)
            .await?;
        if ours.is_some() {
            return Ok(true);
        }
    }
    let known: Option<i64> = Query::sql("SELECT id FROM handoffs WHERE external_id = $1")
        .bind(deal.as_str())
        .scalar_optional(tx)
        .await?;
    Ok(known.is_some())
}

/// The deal id the export gives a handoff created in Lodestar rather than imported from a CRM.
const OWN_DEAL_PREFIX: &str = "lodestar-";

/// A closed deal as a CRM export has it.
#[derive(Debug, Clone)]
pub struct ImportedHandoff {
    /// The CRM's id of the deal (opportunity).
    pub external_id: ExternalId,
    pub account_external_id: ExternalId,
    pub fields: Valid<HandoffFields>,
}
