//! The quarterly line-by-line review (F-24, seed 001 play 2). A leader starts one per quarter;
//! the store assembles its agenda from every live account's health, growth and renewal (the
//! rule is `lodestar_domain::review::agenda_reasons`) and freezes each line's figures as they
//! stood. CSMs write the line's history, challenges and asks of the business; action items get
//! an owner and a due date, and the open ones come back at every later review until closed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::health::Band;
use lodestar_domain::promise::{PromiseFields, PromiseOwner};
use lodestar_domain::review::{ActionItemFields, AgendaFacts, Quarter, agenda_reasons, carries_over};
use lodestar_domain::text::Note;
use lodestar_domain::vocabulary::{ActionStatus, AgendaReason, GrowthPotential, LifecycleStage};
use lodestar_domain::{AccountId, Cents, PromiseId, ReviewId, UserId};

use super::promises::{insert_promise, set_promise_status_in};
use super::{parse, parse_opt, stored_note};
use crate::bulk::{Value, insert_rows};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A review and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LxlReview {
    pub id: ReviewId,
    pub quarter: Quarter,
    pub started_by: Option<String>,
    pub started_on: NaiveDate,
    /// Accounts on the agenda.
    pub lines: i64,
    /// Lines whose CSM has written something.
    pub prepared: i64,
    /// Action items agreed at this review that are still open.
    pub open_items: i64,
}

/// What the CSM presents for one account (seed 001: "a brief history of the account, key
/// challenges, and then very specific asks of the business").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineNotes {
    pub history: Note,
    pub challenges: Note,
    pub asks: Note,
}

/// One account on a review's agenda, with its figures as they stood when the review started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LxlLine {
    pub review_id: ReviewId,
    pub account_id: AccountId,
    pub account_name: String,
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
    pub reasons: Vec<AgendaReason>,
    pub score: Option<u32>,
    pub band: Option<Band>,
    pub arr: Cents,
    pub renewal_date: Option<NaiveDate>,
    pub notes: LineNotes,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: PromiseId,
    pub review_id: ReviewId,
    /// The review that agreed it.
    pub quarter: Quarter,
    pub account_id: AccountId,
    pub account_name: String,
    /// The account's CSM (who may move the item besides its owner).
    pub account_owner_id: Option<UserId>,
    pub description: String,
    pub owner_id: UserId,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Which lines of an agenda to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineFilter {
    pub owner: Option<UserId>,
    pub reason: Option<AgendaReason>,
}

const SELECT_REVIEWS: &str = "SELECT r.id, r.quarter, u.name AS started_by, r.started_on, \
     (SELECT COUNT(*) FROM lxl_lines l WHERE l.review_id = r.id) AS lines, \
     (SELECT COUNT(*) FROM lxl_lines l WHERE l.review_id = r.id AND l.updated_at IS NOT NULL) AS prepared, \
     (SELECT COUNT(*) FROM promises i WHERE i.review_id = r.id AND i.status = 'open') AS open_items \
     FROM lxl_reviews r LEFT JOIN users u ON u.id = r.started_by";

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    quarter: String,
    started_by: Option<String>,
    started_on: NaiveDate,
    lines: i64,
    prepared: i64,
    open_items: i64,
}

fn review_of(
    ReviewRow {
        id,
        quarter,
        started_by,
        started_on,
        lines,
        prepared,
        open_items,
    }: ReviewRow,
) -> Result<LxlReview> {
    Ok(LxlReview {
        id: ReviewId(id),
        quarter: parse("lxl_reviews.quarter", &quarter)?,
        started_by,
        started_on,
        lines,
        prepared,
        open_items,
    })
}

const SELECT_LINES: &str = "SELECT l.review_id, l.account_id AS account, a.name, l.owner_id, u.name AS owner, l.reasons, l.score, l.band, \
     l.arr_cents AS arr, l.renewal_date, l.history, l.challenges, l.asks, l.updated_at AS at \
     FROM lxl_lines l JOIN accounts a ON a.id = l.account_id LEFT JOIN users u ON u.id = l.owner_id";

#[derive(sqlx::FromRow)]
struct LineRow {
    review_id: i64,
    account: i64,
    name: String,
    owner_id: Option<i64>,
    owner: Option<String>,
    reasons: String,
    score: Option<i64>,
    band: Option<String>,
    arr: i64,
    renewal_date: Option<NaiveDate>,
    history: String,
    challenges: String,
    asks: String,
    at: Option<DateTime<Utc>>,
}

/// `lxl_lines.reasons`: canonical reasons joined by commas.
fn stored_reasons(text: &str) -> Result<Vec<AgendaReason>> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| parse("lxl_lines.reasons", r))
        .collect()
}

fn line_of(row: LineRow) -> Result<LxlLine> {
    let LineRow {
        review_id,
        account,
        name,
        owner_id,
        owner,
        reasons,
        score,
        band,
        arr,
        renewal_date,
        history,
        challenges,
        asks,
        at,
    } = row;
    Ok(LxlLine {
        review_id: ReviewId(review_id),
        account_id: AccountId(account),
        account_name: name,
        owner_id: owner_id.map(UserId),
        owner,
        reasons: stored_reasons(&reasons)?,
        score: score
            .map(|s| u32::try_from(s).map_err(|_| StoreError::Corrupt("lxl_lines.score".into())))
            .transpose()?,
        band: band
            .map(|b| Band::parse(&b).ok_or_else(|| StoreError::Corrupt("lxl_lines.band".into())))
            .transpose()?,
        arr: Cents(arr),
        renewal_date,
        notes: LineNotes {
            history: stored_note("lxl_lines.history", &history)?,
            challenges: stored_note("lxl_lines.challenges", &challenges)?,
            asks: stored_note("lxl_lines.asks", &asks)?,
        },
        updated_at: at,
    })
}

const SELECT_ITEMS: &str = "SELECT i.id, i.review_id, r.quarter, i.account_id AS account, a.name, a.owner_id AS account_owner, i.description, i.owner_user_id AS owner_id, u.name AS owner, \
     i.due_on AS due_on, i.status, i.created_at, i.closed_at FROM promises i \
     JOIN lxl_reviews r ON r.id = i.review_id JOIN accounts a ON a.id = i.account_id JOIN users u ON u.id = i.owner_user_id";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    review_id: i64,
    quarter: String,
    account: i64,
    name: String,
    account_owner: Option<i64>,
    description: String,
    owner_id: i64,
    owner: String,
    due_on: NaiveDate,
    status: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

fn item_of(row: ItemRow) -> Result<ActionItem> {
    let ItemRow {
        id,
        review_id,
        quarter,
        account,
        name,
        account_owner,
        description,
        owner_id,
        owner,
        due_on,
        status,
        created_at,
        closed_at,
    } = row;
    Ok(ActionItem {
        id: PromiseId(id),
        review_id: ReviewId(review_id),
        quarter: parse("lxl_reviews.quarter", &quarter)?,
        account_id: AccountId(account),
        account_name: name,
        account_owner_id: account_owner.map(UserId),
        description,
        owner_id: UserId(owner_id),
        owner,
        due_on,
        status: parse("lxl_action_items.status", &status)?,
        created_at,
        closed_at,
    })
}

/// The action items meeting `condition`, the latest review's first.
async fn items_where(tx: &mut Tx, condition: Query) -> Result<Vec<ActionItem>> {
    let rows: Vec<ItemRow> = Query::sql(SELECT_ITEMS)
        .where_all(vec![condition])
        .push(" ORDER BY r.quarter DESC, i.due_on, i.id")
        .fetch_all(tx)
        .await?;
    rows.into_iter().map(item_of).collect()
}

async fn review_in(tx: &mut Tx, id: ReviewId) -> Result<LxlReview> {
    let sql = format!("{SELECT_REVIEWS} WHERE r.id = $1");
    let row: Option<ReviewRow> = Query::sql(&sql).bind(id.0).fetch_optional(tx).await?;
    row.map(review_of).transpose()?.ok_or(StoreError::NotFound {
        what: "LxL review",
        key: id.to_string(),
    })
}

async fn line_in(tx: &mut Tx, review: ReviewId, account: AccountId) -> Result<LxlLine> {
    let sql = format!("{SELECT_LINES} WHERE l.review_id = $1 AND l.account_id = $2");
    let row: Option<LineRow> = Query::sql(&sql)
        .bind(review.0)
        .bind(account.0)
        .fetch_optional(tx)
        .await?;
    row.map(line_of).transpose()?.ok_or(StoreError::NotFound {
        what: "agenda line for account",
        key: account.to_string(),
    })
}

/// The agenda line of `account` as it stands now, with `reasons`.
fn line_values(review: ReviewId, account: &AgendaCandidate, reasons: &[AgendaReason]) -> Vec<Value> {
    let reasons: Vec<&str> = reasons.iter().map(|r| r.as_str()).collect();
    vec![
        review.into(),
        account.id.into(),
        reasons.join(",").into(),
        account.owner_id.into(),
        account.score.into(),
        account.band.clone().into(),
        account.arr.into(),
        account.renewal_date.into(),
        "".into(),
        "".into(),
        "".into(),
    ]
}

const LINE_COLUMNS: &[&str] = &[
    "review_id",
    "account_id",
    "reasons",
    "owner_id",
    "score",
    "band",
    "arr_cents",
    "renewal_date",
    "history",
    "challenges",
    "asks",
];

#[derive(sqlx::FromRow)]
struct AgendaCandidate {
    id: i64,
    owner_id: Option<i64>,
    growth_potential: Option<String>,
    lifecycle_stage: String,
    renewal_date: Option<NaiveDate>,
    arr: i64,
    score: Option<i64>,
    band: Option<String>,
}

const SELECT_CANDIDATES: &str = "SELECT a.id, a.owner_id, a.growth_potential, a.lifecycle_stage, a.renewal_date, \
     a.arr_cents AS arr, h.score, h.band FROM accounts a LEFT JOIN health_scores h ON h.account_id = a.id";

impl AgendaCandidate {
    fn facts(&self) -> Result<AgendaFacts> {
        Ok(AgendaFacts {
            band: self
                .band
                .as_deref()
                .map(|b| Band::parse(b).ok_or_else(|| StoreError::Corrupt(format!("health_scores.band: {b:?}"))))
                .transpose()?,
            growth_potential: parse_opt::<GrowthPotential>("accounts.growth_potential", self.growth_potential.clone())?,
            stage: parse::<LifecycleStage>("accounts.lifecycle_stage", &self.lifecycle_stage)?,
            renewal_date: self.renewal_date,
        })
    }
}

impl Store {
    /// Starts the review of `quarter` and assembles its agenda as of `today`. One review per
    /// quarter: a second start is a conflict.
    pub async fn start_lxl_review(
        &self,
        quarter: Quarter,
        started_by: Option<UserId>,
        today: NaiveDate,
    ) -> Result<LxlReview> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = Query::sql("SELECT id FROM lxl_reviews WHERE quarter = $1")
            .bind(quarter.to_string())
            .scalar_optional(&mut tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "the {} review has already been started",
                quarter.label()
            )));
        }
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO lxl_reviews (quarter, started_by, started_on, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(quarter.to_string())
        .bind(started_by.map(|u| u.0))
        .bind(today)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        // Every account: the domain's agenda rule decides, churned ones included (it leaves them out).
        let candidates: Vec<AgendaCandidate> = Query::sql(SELECT_CANDIDATES).fetch_all(&mut tx).await?;
        let mut rows = Vec::new();
        for candidate in &candidates {
            let reasons = agenda_reasons(candidate.facts()?, today);
            if !reasons.is_empty() {
                rows.push(line_values(ReviewId(id), candidate, &reasons));
            }
        }
        insert_rows(&mut tx, "lxl_lines", LINE_COLUMNS, rows, "").await?;
        let review = review_in(&mut tx, ReviewId(id)).await?;
        tx.commit().await?;
        Ok(review)
    }

    /// Every review, the latest quarter first.
    pub async fn lxl_reviews(&self) -> Result<Vec<LxlReview>> {
        let sql = format!("{SELECT_REVIEWS} ORDER BY r.quarter DESC");
        let rows: Vec<ReviewRow> = Query::sql(&sql).fetch_all_on(self).await?;
        rows.into_iter().map(review_of).collect()
    }

    /// The review of `quarter`, if it has started: its id alone, without the agenda's counts
    /// (the account page asks this on every view).
    pub async fn lxl_review_of(&self, quarter: Quarter) -> Result<Option<ReviewId>> {
        let id: Option<i64> = Query::sql("SELECT id FROM lxl_reviews WHERE quarter = $1")
            .bind(quarter.to_string())
            .scalar_optional_on(self)
            .await?;
        Ok(id.map(ReviewId))
    }

    pub async fn lxl_review(&self, id: ReviewId) -> Result<LxlReview> {
        let mut tx = self.begin_snapshot().await?;
        review_in(&mut tx, id).await
    }

    /// A page of a review's agenda, most ARR first, and how many lines match in all.
    pub async fn lxl_lines(
        &self,
        review: ReviewId,
        filter: LineFilter,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<LxlLine>, i64)> {
        let mut conditions = vec![Query::sql("l.review_id = ").value(review)];
        if let Some(owner) = filter.owner {
            conditions.push(Query::sql("l.owner_id = ").value(owner.0));
        }
        if let Some(reason) = filter.reason {
            conditions.push(Query::sql("(',' || l.reasons || ',') LIKE ").value(format!("%,{},%", reason.as_str())));
        }
        let mut tx = self.begin_snapshot().await?;
        let (total,): (i64,) = Query::sql("SELECT COUNT(*) FROM lxl_lines l")
            .where_all(conditions.clone())
            .fetch_one(&mut tx)
            .await?;
        let rows: Vec<LineRow> = Query::sql(SELECT_LINES)
            .where_all(conditions)
            .push(" ORDER BY l.arr_cents DESC, l.account_id LIMIT ")
            .value(i64::from(limit.clamp(1, 500)))
            .push(" OFFSET ")
            .value(i64::from(offset))
            .fetch_all(&mut tx)
            .await?;
        Ok((rows.into_iter().map(line_of).collect::<Result<_>>()?, total))
    }

    pub async fn lxl_line(&self, review: ReviewId, account: AccountId) -> Result<LxlLine> {
        let mut tx = self.begin_snapshot().await?;
        line_in(&mut tx, review, account).await
    }

    /// Puts an account the rule did not pick on the agenda (seed 001: at risk "because the
    /// CSM can sense it").
    pub async fn add_to_lxl_review(&self, review: ReviewId, account: AccountId) -> Result<LxlLine> {
        let mut tx = self.begin_write().await?;
        review_in(&mut tx, review).await?;
        let sql = format!("{SELECT_CANDIDATES} WHERE a.id = $1");
        let candidate: Option<AgendaCandidate> = Query::sql(&sql).bind(account.0).fetch_optional(&mut tx).await?;
        let candidate = candidate.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        let row = line_values(review, &candidate, &[AgendaReason::AddedByHand]);
        insert_rows(&mut tx, "lxl_lines", LINE_COLUMNS, vec![row], "").await?;
        let line = line_in(&mut tx, review, account).await?;
        tx.commit().await?;
        Ok(line)
    }

    /// Saves what the CSM presents for a line.
    pub async fn save_lxl_notes(&self, review: ReviewId, account: AccountId, notes: LineNotes) -> Result<LxlLine> {
        let mut tx = self.begin_write().await?;
        line_in(&mut tx, review, account).await?;
        let now = tx.now();
        Query::sql(
            "UPDATE lxl_lines SET history = $1, challenges = $2, asks = $3, updated_at = $4 \
             WHERE review_id = $5 AND account_id = $6",
        )
        .bind(notes.history.as_str())
        .bind(notes.challenges.as_str())
        .bind(notes.asks.as_str())
        .bind(now)
        .bind(review.0)
        .bind(account.0)
        .execute(&mut tx)
        .await?;
        let line = line_in(&mut tx, review, account).await?;
        tx.commit().await?;
        Ok(line)
    }

    /// Agrees an action item on a line of the review.
    pub async fn add_action_item(
        &self,
        review: ReviewId,
        account: AccountId,
        fields: ActionItemFields,
    ) -> Result<ActionItem> {
        let mut tx = self.begin_write().await?;
        line_in(&mut tx, review, account).await?;
        let owner: Option<i64> = Query::sql("SELECT id FROM users WHERE id = $1")
            .bind(fields.owner_id.0)
            .scalar_optional(&mut tx)
            .await?;
        if owner.is_none() {
            return Err(
                lodestar_domain::Invalid::field("owner_id", format!("there is no user {}", fields.owner_id)).into(),
            );
        }
        let promise = PromiseFields {
            description: fields.description,
            owner: PromiseOwner::Us(fields.owner_id),
            due_on: fields.due_on,
        };
        let id = insert_promise(&mut tx, account, None, Some(review), promise, None).await?;
        let item = items_where(&mut tx, Query::sql("i.id = ").value(id)).await?.pop();
        tx.commit().await?;
        item.ok_or_else(|| StoreError::Corrupt("an action item vanished in its own transaction".into()))
    }

    pub async fn action_item(&self, id: PromiseId) -> Result<ActionItem> {
        let mut tx = self.begin_snapshot().await?;
        items_where(&mut tx, Query::sql("i.id = ").value(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound {
                what: "action item",
                key: id.to_string(),
            })
    }

    /// Moves an action item to `status` (closing it, or reopening it).
    pub async fn set_action_status(&self, id: PromiseId, status: ActionStatus) -> Result<ActionItem> {
        let mut tx = self.begin_write().await?;
        set_promise_status_in(&mut tx, id, status).await?;
        let item = items_where(&mut tx, Query::sql("i.id = ").value(id)).await?.pop();
        tx.commit().await?;
        item.ok_or_else(|| StoreError::Corrupt("an action item vanished in its own transaction".into()))
    }

    /// Every action item agreed for `account`, at any review, the latest review first.
    pub async fn account_action_items(&self, account: AccountId) -> Result<Vec<ActionItem>> {
        let mut tx = self.begin_snapshot().await?;
        items_where(&mut tx, Query::sql("i.account_id = ").value(account.0)).await
    }

    /// The action items agreed at `review`.
    pub async fn review_action_items(&self, review: ReviewId) -> Result<Vec<ActionItem>> {
        let mut tx = self.begin_snapshot().await?;
        items_where(&mut tx, Query::sql("i.review_id = ").value(review)).await
    }

    /// What `review` goes over from before: the domain's `carries_over` rule applied to the
    /// items of earlier reviews.
    pub async fn carried_over_items(&self, review: ReviewId) -> Result<Vec<ActionItem>> {
        let mut tx = self.begin_snapshot().await?;
        let this = review_in(&mut tx, review).await?;
        let quarter = this.quarter.to_string();
        let previous: Option<String> = Query::sql("SELECT MAX(quarter) FROM lxl_reviews WHERE quarter < $1")
            .bind(&quarter)
            .scalar_one(&mut tx)
            .await?;
        let previous = previous
            .map(|q| parse::<Quarter>("lxl_reviews.quarter", &q))
            .transpose()?;
        if previous.is_none() {
            return Ok(Vec::new());
        }
        let mut items = items_where(&mut tx, Query::sql("r.quarter < ").value(quarter)).await?;
        items.retain(|i| carries_over(i.quarter, i.status, this.quarter, previous));
        Ok(items)
    }

    /// The reviews that had `account` on their agenda on or before `day`, with why.
    pub async fn lxl_appearances(
        &self,
        account: AccountId,
        day: NaiveDate,
    ) -> Result<Vec<(LxlReview, Vec<AgendaReason>)>> {
        let mut tx = self.begin_snapshot().await?;
        let found: Vec<(i64, String)> = Query::sql(
            "SELECT l.review_id, l.reasons FROM lxl_lines l JOIN lxl_reviews r ON r.id = l.review_id \
             WHERE l.account_id = $1 AND r.started_on <= $2",
        )
        .bind(account.0)
        .bind(day)
        .fetch_all(&mut tx)
        .await?;
        let reasons: HashMap<i64, String> = found.into_iter().collect();
        let sql = format!(
            "{SELECT_REVIEWS} WHERE r.id IN (SELECT review_id FROM lxl_lines WHERE account_id = $1) \
             AND r.started_on <= $2 ORDER BY r.quarter"
        );
        let rows: Vec<ReviewRow> = Query::sql(&sql).bind(account.0).bind(day).fetch_all(&mut tx).await?;
        let mut out = Vec::new();
        for row in rows {
            let review = review_of(row)?;
            let why = reasons.get(&review.id.0).map(String::as_str).unwrap_or_default();
            out.push((review, stored_reasons(why)?));
        }
        Ok(out)
    }
}
