//! Success and value plans (F-31): one per account, its tactics (three active at most), its
//! versions, and what the customer did with it through a link — comments, a review, an
//! approval — each bound to the version they read.

use chrono::NaiveTime;
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::meeting::MeetingFields;
use lodestar_domain::plan::{PlanFields, TacticFields, active_limit, check_ins, needs_active_slot};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::{Name, Note};
use lodestar_domain::vocabulary::{MeetingKind, PlanState, TacticState, TaskSource};
use lodestar_domain::{AccountId, ContactId, Invalid, PlanId, PlanTacticId, TacticId, UserId, Valid};
use serde::Serialize;

use super::customer_links::{CustomerLink, NewCustomerLink, insert_link};
use super::meetings::{account_exists, insert_meeting};
use super::promises::contact_name;
use super::tasks::{TaskFields, insert_task};
use super::timeline::{TimelineKind, record};
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTactic {
    pub id: PlanTacticId,
    /// The playbook library's tactic it was taken from, if it was.
    pub library_tactic_id: Option<TacticId>,
    pub fields: TacticFields,
    pub state: TacticState,
}

/// A review or sign-off of one version by one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOffKind {
    Reviewed,
    Approved,
}

impl SignOffKind {
    fn as_str(self) -> &'static str {
        match self {
            SignOffKind::Reviewed => "reviewed",
            SignOffKind::Approved => "approved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub version: i64,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub kind: SignOffKind,
    /// The name the contact typed to approve.
    pub signature: String,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanComment {
    pub version: i64,
    pub author: String,
    /// Written by the customer through a link (else by one of us).
    pub from_customer: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccessPlan {
    pub id: PlanId,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_owner_id: Option<UserId>,
    pub fields: PlanFields,
    pub state: PlanState,
    /// Rises with each change of the title, summary or tactics.
    pub version: i64,
    pub tactics: Vec<PlanTactic>,
    /// Newest first, every version's.
    pub sign_offs: Vec<SignOff>,
    /// Oldest first.
    pub comments: Vec<PlanComment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SuccessPlan {
    /// The approval of the current version, if there is one.
    pub fn approval(&self) -> Option<&SignOff> {
        self.sign_offs
            .iter()
            .find(|s| s.version == self.version && s.kind == SignOffKind::Approved)
    }

    /// The latest approval of an earlier version, which no longer holds.
    pub fn superseded_approval(&self) -> Option<&SignOff> {
        self.sign_offs
            .iter()
            .find(|s| s.version < self.version && s.kind == SignOffKind::Approved)
    }

    pub fn active_tactics(&self) -> impl Iterator<Item = &PlanTactic> {
        self.tactics.iter().filter(|t| t.state == TacticState::Active)
    }
}

/// Who writes a comment on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAuthor {
    User(UserId),
    Contact(ContactId),
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    account_id: i64,
    account_name: String,
    account_owner: Option<i64>,
    title: String,
    summary: String,
    state: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SELECT_PLANS: &str = "SELECT p.id, p.account_id, a.name AS account_name, a.owner_id AS account_owner, p.title, \
     p.summary, p.state, p.version, p.created_at, p.updated_at FROM success_plans p JOIN accounts a ON a.id = p.account_id";

pub(crate) async fn plan_in(tx: &mut Tx, condition: &str, key: i64) -> Result<Option<SuccessPlan>> {
    let row: Option<PlanRow> = Query::sql(format!("{SELECT_PLANS} WHERE {condition} = $1"))
        .bind(key)
        .fetch_optional(tx)
        .await?;
    let Some(r) = row else { return Ok(None) };
    type TacticRow = (i64, Option<i64>, String, String, String, Option<NaiveDate>);
    let tactics: Vec<TacticRow> = Query::sql(
        "SELECT id, library_tactic_id, title, description, state, due_on FROM plan_tactics WHERE plan_id = $1 ORDER BY id",
    )
            .bind(r.id)
            .fetch_all(tx)
            .await?;
    type SignOffRow = (i64, i64, String, String, String, DateTime<Utc>);
    let sign_offs: Vec<SignOffRow> = Query::sql(concat!(
        "SELECT s.version, s.contact_id, ",
        contact_name!(),
        ", s.kind, s.signature, s.signed_at FROM plan_sign_offs s JOIN contacts c ON c.id = s.contact_id \
         WHERE s.plan_id = $1 ORDER BY s.signed_at DESC, s.version DESC"
    ))
    .bind(r.id)
    .fetch_all(tx)
    .await?;
    type CommentRow = (i64, String, Option<i64>, String, DateTime<Utc>);
    let comments: Vec<CommentRow> = Query::sql(
        "SELECT version, author, contact_id, body, created_at FROM plan_comments WHERE plan_id = $1 ORDER BY created_at, id",
    )
    .bind(r.id)
    .fetch_all(tx)
    .await?;
    Ok(Some(SuccessPlan {
        id: PlanId(r.id),
        account_id: AccountId(r.account_id),
        account_name: r.account_name,
        account_owner_id: r.account_owner.map(UserId),
        fields: PlanFields {
            title: Name::parse(&r.title).map_err(|e| StoreError::Corrupt(format!("success_plans.title: {e}")))?,
            summary: stored_note("success_plans.summary", &r.summary)?,
        },
        state: parse("success_plans.state", &r.state)?,
        version: r.version,
        tactics: tactics
            .into_iter()
            .map(|(id, library, title, description, state, due_on)| {
                Ok(PlanTactic {
                    id: PlanTacticId(id),
                    library_tactic_id: library.map(TacticId),
                    fields: TacticFields {
                        title: Name::parse(&title)
                            .map_err(|e| StoreError::Corrupt(format!("plan_tactics.title: {e}")))?,
                        description: stored_note("plan_tactics.description", &description)?,
                        due_on,
                    },
                    state: parse("plan_tactics.state", &state)?,
                })
            })
            .collect::<Result<_>>()?,
        sign_offs: sign_offs
            .into_iter()
            .map(|(version, contact, name, kind, signature, signed_at)| {
                Ok(SignOff {
                    version,
                    contact_id: ContactId(contact),
                    contact_name: name,
                    kind: match kind.as_str() {
                        "approved" => SignOffKind::Approved,
                        "reviewed" => SignOffKind::Reviewed,
                        other => return Err(StoreError::Corrupt(format!("plan_sign_offs.kind {other:?}"))),
                    },
                    signature,
                    signed_at,
                })
            })
            .collect::<Result<_>>()?,
        comments: comments
            .into_iter()
            .map(|(version, author, contact, body, created_at)| PlanComment {
                version,
                author,
                from_customer: contact.is_some(),
                body,
                created_at,
            })
            .collect(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }))
}

async fn plan_by_id(tx: &mut Tx, id: PlanId) -> Result<SuccessPlan> {
    plan_in(tx, "p.id", id.0).await?.ok_or(StoreError::NotFound {
        what: "success plan",
        key: id.to_string(),
    })
}

/// A new version: the content as it now stands is kept under the next number, and the state
/// goes back to "shared" if the customer had reviewed or approved an earlier one.
async fn new_version(tx: &mut Tx, id: PlanId, by: Option<UserId>, what: &str) -> Result<SuccessPlan> {
    let before = plan_by_id(tx, id).await?;
    let state = before.state.after_edit();
    let now = tx.now();
    Query::sql("UPDATE success_plans SET version = version + 1, state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now)
        .bind(id.0)
        .execute(tx)
        .await?;
    let plan = plan_by_id(tx, id).await?;
    keep_version(tx, &plan).await?;
    let undone = match before.state {
        PlanState::Approved => format!(
            " — the customer's approval of version {} does not carry over",
            before.version
        ),
        PlanState::Reviewed => format!(
            " — the customer's review of version {} does not carry over",
            before.version
        ),
        _ => String::new(),
    };
    plan_event(
        tx,
        plan.account_id,
        by,
        &format!("Success plan {what}: version {}{undone}", plan.version),
    )
    .await?;
    Ok(plan)
}

/// An entry on the account's timeline about its plan, now.
async fn plan_event(tx: &mut Tx, account: AccountId, by: Option<UserId>, text: &str) -> Result<()> {
    let now = tx.now();
    record(tx, account, now, by, TimelineKind::Plan, text).await
}

/// Stores the plan's content under its version number.
async fn keep_version(tx: &mut Tx, plan: &SuccessPlan) -> Result<()> {
    let content = serde_json::json!({
        "title": plan.fields.title.as_str(),
        "summary": plan.fields.summary.as_str(),
        "tactics": plan.tactics.iter().map(|t| serde_json::json!({
            "title": t.fields.title.as_str(),
            "description": t.fields.description.as_str(),
            "due_on": t.fields.due_on,
            "state": t.state.as_str(),
        })).collect::<Vec<_>>(),
    });
    Query::sql("INSERT INTO plan_versions (plan_id, version, content, created_at) VALUES ($1, $2, $3, $4)")
        .bind(plan.id.0)
        .bind(plan.version)
        .bind(content.to_string())
        .bind(tx.now())
        .execute(tx)
        .await?;
    Ok(())
}

/// Writes a tactic as a new version of the plan, refusing a fourth active one.
async fn insert_tactic(
    tx: &mut Tx,
    plan: PlanId,
    fields: TacticFields,
    state: TacticState,
    library: Option<TacticId>,
    by: Option<UserId>,
) -> Result<SuccessPlan> {
    plan_by_id(tx, plan).await?;
    if needs_active_slot(None, state) {
        active_limit(&active_titles(tx, plan).await?).map_err(StoreError::Conflict)?;
    }
    let now = tx.now();
    Query::sql(
        "INSERT INTO plan_tactics (plan_id, library_tactic_id, title, description, state, due_on, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(plan.0)
    .bind(library.map(|t| t.0))
    .bind(fields.title.as_str())
    .bind(fields.description.as_str())
    .bind(state.as_str())
    .bind(fields.due_on)
    .bind(now)
    .execute(tx)
    .await?;
    new_version(tx, plan, by, &format!("tactic added ({})", fields.title)).await
}

/// Books the check-ins an approval calls for (`plan::check_ins`): a meeting with the account's
/// CSM and the approving contact, and a task for the CSM to prepare it. A month the plan
/// already has a check-in in is skipped, so approving a later version books only what is new.
async fn schedule_check_ins(tx: &mut Tx, plan: &SuccessPlan, link: &CustomerLink) -> Result<()> {
    let milestones: Vec<(NaiveDate, String)> = plan
        .active_tactics()
        .filter_map(|t| t.fields.due_on.map(|d| (d, t.fields.title.to_string())))
        .collect();
    let booked: Vec<String> = Query::sql("SELECT month FROM plan_check_ins WHERE plan_id = $1")
        .bind(plan.id.0)
        .scalars(tx)
        .await?;
    let owner = plan.account_owner_id;
    for check_in in check_ins(tx.today(), &milestones) {
        if booked.contains(&check_in.month) {
            continue;
        }
        let agenda = if check_in.tactics.is_empty() {
            "How is the plan going? Any change of goals, people or priorities?".to_owned()
        } else {
            let due: Vec<String> = check_in.tactics.iter().map(|t| format!("- {t}")).collect();
            format!(
                "Milestones due this month:\n{}\n\nHave they happened as agreed?",
                due.join("\n")
            )
        };
        let fields = MeetingFields {
            kind: MeetingKind::CheckIn,
            title: Name::parse("Success plan check-in").expect("a short title"),
            starts_at: check_in
                .on
                .and_time(NaiveTime::from_hms_opt(15, 0, 0).expect("15:00"))
                .and_utc(),
            duration_minutes: 30,
            time_zone: chrono_tz::UTC,
            notes: Note::parse(&agenda).map_err(|e| StoreError::Corrupt(format!("check-in agenda: {e}")))?,
            users: owner.into_iter().collect(),
            contacts: vec![link.contact_id],
        }
        .validate()?
        .into_inner();
        let meeting = insert_meeting(tx, plan.account_id, &fields, None).await?;
        Query::sql("INSERT INTO plan_check_ins (plan_id, month, meeting_id) VALUES ($1, $2, $3)")
            .bind(plan.id.0)
            .bind(check_in.month.as_str())
            .bind(meeting.0)
            .execute(tx)
            .await?;
        if let Some(owner) = owner {
            let task = TaskFields {
                title: ActionText::parse(&format!("Prepare the success plan check-in with {}", plan.account_name))
                    .map_err(|e| StoreError::Corrupt(format!("check-in task: {e}")))?,
                account: Some(plan.account_id),
                due_on: Some(check_in.on),
            };
            insert_task(tx, owner, &task, TaskSource::Plan).await?;
        }
    }
    Ok(())
}

async fn active_titles(tx: &mut Tx, plan: PlanId) -> Result<Vec<String>> {
    Query::sql("SELECT title FROM plan_tactics WHERE plan_id = $1 AND state = 'active' ORDER BY id")
        .bind(plan.0)
        .scalars(tx)
        .await
}

impl Store {
    pub async fn success_plan(&self, id: PlanId) -> Result<SuccessPlan> {
        let mut tx = self.begin_snapshot().await?;
        plan_by_id(&mut tx, id).await
    }

    pub async fn success_plan_of(&self, account: AccountId) -> Result<Option<SuccessPlan>> {
        let mut tx = self.begin_snapshot().await?;
        plan_in(&mut tx, "p.account_id", account.0).await
    }

    /// The plan of a tactic.
    pub async fn plan_of_tactic(&self, tactic: PlanTacticId) -> Result<SuccessPlan> {
        let plan: Option<i64> = Query::sql("SELECT plan_id FROM plan_tactics WHERE id = $1")
            .bind(tactic.0)
            .scalar_optional_on(self)
            .await?;
        let plan = plan.ok_or(StoreError::NotFound {
            what: "tactic",
            key: tactic.to_string(),
        })?;
        self.success_plan(PlanId(plan)).await
    }

    /// Starts an account's plan as a draft, version 1.
    pub async fn create_success_plan(
        &self,
        account: AccountId,
        fields: PlanFields,
        by: Option<UserId>,
    ) -> Result<SuccessPlan> {
        let mut tx = self.begin_write().await?;
        account_exists(&mut tx, account).await?;
        if plan_in(&mut tx, "p.account_id", account.0).await?.is_some() {
            return Err(StoreError::Conflict(
                "the account has a success plan already: change that one".into(),
            ));
        }
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO success_plans (account_id, title, summary, state, version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'draft', 1, $4, $5, $5) RETURNING id",
        )
        .bind(account.0)
        .bind(fields.title.as_str())
        .bind(fields.summary.as_str())
        .bind(by.map(|u| u.0))
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let plan = plan_by_id(&mut tx, PlanId(id)).await?;
        keep_version(&mut tx, &plan).await?;
        plan_event(&mut tx, account, by, "Success plan started (draft)").await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Changes the title and summary: a new version when anything changed.
    pub async fn update_success_plan(&self, id: PlanId, fields: PlanFields, by: Option<UserId>) -> Result<SuccessPlan> {
        let mut tx = self.begin_write().await?;
        let before = plan_by_id(&mut tx, id).await?;
        if before.fields == fields {
            return Ok(before);
        }
        Query::sql("UPDATE success_plans SET title = $1, summary = $2 WHERE id = $3")
            .bind(fields.title.as_str())
            .bind(fields.summary.as_str())
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let plan = new_version(&mut tx, id, by, "edited").await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Adds a tactic (a new version). An active one needs a free slot: a fourth is refused
    /// with the three named.
    pub async fn add_tactic(
        &self,
        plan: PlanId,
        fields: Valid<TacticFields>,
        state: TacticState,
        by: Option<UserId>,
    ) -> Result<SuccessPlan> {
        let mut tx = self.begin_write().await?;
        let plan = insert_tactic(&mut tx, plan, fields.into_inner(), state, None, by).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Adds a tactic of the playbook library to the plan in one step: its title and
    /// description copied, `due_on` as the milestone.
    pub async fn add_library_tactic(
        &self,
        plan: PlanId,
        library: TacticId,
        due_on: Option<NaiveDate>,
        state: TacticState,
        by: Option<UserId>,
    ) -> Result<SuccessPlan> {
        let mut tx = self.begin_write().await?;
        let found: Option<(String, String)> =
            Query::sql("SELECT title, description FROM playbook_tactics WHERE id = $1")
                .bind(library.0)
                .fetch_optional(&mut tx)
                .await?;
        let (title, description) = found.ok_or(StoreError::NotFound {
            what: "playbook tactic",
            key: library.to_string(),
        })?;
        let fields = TacticFields {
            title: Name::parse(&title).map_err(|e| StoreError::Corrupt(format!("playbook_tactics.title: {e}")))?,
            description: stored_note("playbook_tactics.description", &description)?,
            due_on,
        }
        .validate(tx.today())?
        .into_inner();
        let plan = insert_tactic(&mut tx, plan, fields, state, Some(library), by).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Works, parks or finishes a tactic. Progress, not a change of what was agreed: the
    /// version stays. Making a fourth tactic active is refused.
    pub async fn set_tactic_state(&self, tactic: PlanTacticId, state: TacticState) -> Result<SuccessPlan> {
        let mut tx = self.begin_write().await?;
        let found: Option<(i64, String)> = Query::sql("SELECT plan_id, state FROM plan_tactics WHERE id = $1")
            .bind(tactic.0)
            .fetch_optional(&mut tx)
            .await?;
        let (plan, before) = found.ok_or(StoreError::NotFound {
            what: "tactic",
            key: tactic.to_string(),
        })?;
        let before: TacticState = parse("plan_tactics.state", &before)?;
        if needs_active_slot(Some(before), state) {
            active_limit(&active_titles(&mut tx, PlanId(plan)).await?).map_err(StoreError::Conflict)?;
        }
        Query::sql("UPDATE plan_tactics SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state.as_str())
            .bind(tx.now())
            .bind(tactic.0)
            .execute(&mut tx)
            .await?;
        let plan = plan_by_id(&mut tx, PlanId(plan)).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Shares the plan with one of the account's contacts through a new link; a draft becomes
    /// "shared". The link's secret is the caller's: only its hash arrives here.
    pub async fn share_success_plan(
        &self,
        id: PlanId,
        link: NewCustomerLink,
        by: Option<UserId>,
    ) -> Result<(SuccessPlan, CustomerLink)> {
        let mut tx = self.begin_write().await?;
        let plan = plan_by_id(&mut tx, id).await?;
        let link = insert_link(&mut tx, plan.account_id, &link, by).await?;
        let now = tx.now();
        Query::sql("UPDATE success_plans SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(plan.state.after_sharing().as_str())
            .bind(now)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        plan_event(
            &mut tx,
            plan.account_id,
            by,
            &format!(
                "Success plan version {} shared with {}",
                plan.version, link.contact_name
            ),
        )
        .await?;
        let plan = plan_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok((plan, link))
    }

    /// The contact of `link` reviews or approves `version` of the plan. Refused when the plan
    /// has changed since that version (they must read the new one); doing it twice records it
    /// once. Returns the plan and whether this was the first time.
    pub async fn sign_off_success_plan(
        &self,
        id: PlanId,
        version: i64,
        link: &CustomerLink,
        kind: SignOffKind,
        signature: &str,
    ) -> Result<(SuccessPlan, bool)> {
        let mut tx = self.begin_write().await?;
        let plan = plan_by_id(&mut tx, id).await?;
        if version != plan.version {
            return Err(StoreError::Conflict(format!(
                "the plan changed since you opened it (you read version {version}, it is now version {}): \
                 read the new version first",
                plan.version
            )));
        }
        let state = match kind {
            SignOffKind::Reviewed => plan.state.after_review(),
            SignOffKind::Approved => plan.state.after_approval(),
        }
        .map_err(|e| StoreError::Conflict(e.into()))?;
        let already = plan
            .sign_offs
            .iter()
            .any(|s| s.version == version && s.contact_id == link.contact_id && s.kind == kind);
        if already {
            return Ok((plan, false));
        }
        let now = tx.now();
        Query::sql(
            "INSERT INTO plan_sign_offs (plan_id, version, contact_id, kind, signature, link_id, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(version)
        .bind(link.contact_id.0)
        .bind(kind.as_str())
        .bind(signature)
        .bind(link.id.0)
        .bind(now)
        .execute(&mut tx)
        .await?;
        Query::sql("UPDATE success_plans SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state.as_str())
            .bind(now)
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        if kind == SignOffKind::Approved {
            schedule_check_ins(&mut tx, &plan, link).await?;
        }
        let what = match kind {
            SignOffKind::Reviewed => "reviewed",
            SignOffKind::Approved => "approved",
        };
        plan_event(
            &mut tx,
            plan.account_id,
            None,
            &format!("Success plan version {version} {what} by {}", link.contact_name),
        )
        .await?;
        let plan = plan_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok((plan, true))
    }

    /// A comment on the plan's current version, by one of us or by the customer.
    pub async fn comment_on_success_plan(&self, id: PlanId, author: CommentAuthor, body: Note) -> Result<SuccessPlan> {
        if body.as_str().trim().is_empty() {
            return Err(Invalid::field("body", "is required").into());
        }
        let mut tx = self.begin_write().await?;
        let plan = plan_by_id(&mut tx, id).await?;
        let (user, contact, name): (Option<i64>, Option<i64>, String) = match author {
            CommentAuthor::User(u) => {
                let name: String = Query::sql("SELECT name FROM users WHERE id = $1")
                    .bind(u.0)
                    .scalar_one(&mut tx)
                    .await?;
                (Some(u.0), None, name)
            }
            CommentAuthor::Contact(c) => {
                let name: String = Query::sql(concat!("SELECT ", contact_name!(), " FROM contacts c WHERE c.id = $1"))
                    .bind(c.0)
                    .scalar_one(&mut tx)
                    .await?;
                (None, Some(c.0), name)
            }
        };
        let now = tx.now();
        Query::sql(
            "INSERT INTO plan_comments (plan_id, version, contact_id, user_id, author, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(plan.version)
        .bind(contact)
        .bind(user)
        .bind(name.as_str())
        .bind(body.as_str())
        .bind(now)
        .execute(&mut tx)
        .await?;
        if let CommentAuthor::Contact(_) = author {
            plan_event(
                &mut tx,
                plan.account_id,
                None,
                &format!("{name} commented on the success plan (version {})", plan.version),
            )
            .await?;
        }
        let plan = plan_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(plan)
    }
}
