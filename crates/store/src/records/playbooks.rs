//! The playbook library (F-32): each segment's outcomes with their tactics, case studies and ROI
//! figures; the risk playbooks' outreach templates, and the outreach emails filled in from them
//! and queued; the changes churn retrospectives ask of the library.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::notify::EmailMessage;
use lodestar_domain::playbook::{
    CaseStudy, Outcome, OutcomeFields, OutreachApproach, OutreachFacts, OutreachTemplate, PlaybookTarget,
    RenderedEmail, RoiFigure, RoiValue, Tactic,
};
use lodestar_domain::text::{Email, Label, Name, Note};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{
    AccountId, Cents, ContactId, Invalid, JobId, OutcomeId, PlaybookChangeId, TacticId, UserId, Valid,
};

use super::notify::enqueue_email;
use super::promises::contact_name;
use super::timeline::{TimelineKind, record};
use super::{parse, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A stored outcome with who changed it last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryOutcome {
    pub outcome: Outcome,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A risk playbook: the outreach email for one exposure level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskPlaybook {
    pub approach: OutreachApproach,
    pub template: OutreachTemplate,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A churn retrospective's request to change a library entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookChange {
    pub id: PlaybookChangeId,
    /// The churned account whose retrospective asks for it.
    pub account_id: AccountId,
    pub account_name: String,
    pub target: PlaybookTarget,
    /// The outcome's title or the approach's label.
    pub target_title: String,
    pub note: Note,
    pub requested_by: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The whole library: every segment's outcomes (in tier order, then slot), the risk playbooks
/// written so far (in approach order), and the change requests still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookLibrary {
    pub outcomes: Vec<LibraryOutcome>,
    pub risk_playbooks: Vec<RiskPlaybook>,
    pub open_changes: Vec<PlaybookChange>,
}

/// An outreach email filled in for one contact of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outreach {
    pub account_id: AccountId,
    pub approach: OutreachApproach,
    pub contact_id: ContactId,
    pub contact_name: String,
    /// None: the contact has no email address, so it cannot be sent.
    pub to: Option<Email>,
    pub email: RenderedEmail,
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    id: i64,
    tier: String,
    title: String,
    description: String,
    updated_by: Option<String>,
    updated_at: DateTime<Utc>,
}

fn corrupt(column: &str, e: String) -> StoreError {
    StoreError::Corrupt(format!("{column}: {e}"))
}

async fn outcomes_where(tx: &mut Tx, id: Option<OutcomeId>) -> Result<Vec<LibraryOutcome>> {
    let only = |q: Query, column: &str| match id {
        Some(id) => q.push(format!(" WHERE {column} = ")).value(id.0),
        None => q,
    };
    let rows: Vec<OutcomeRow> = only(
        Query::sql(
            "SELECT o.id, o.tier, o.title, o.description, u.name AS updated_by, o.updated_at \
             FROM playbook_outcomes o LEFT JOIN users u ON u.id = o.updated_by",
        ),
        "o.id",
    )
    .push(" ORDER BY o.slot")
    .fetch_all(tx)
    .await?;
    let tactics: Vec<(i64, i64, String, String)> = only(
        Query::sql("SELECT outcome_id, id, title, description FROM playbook_tactics"),
        "outcome_id",
    )
    .push(" ORDER BY outcome_id, position")
    .fetch_all(tx)
    .await?;
    let studies: Vec<(i64, String, String, String)> = only(
        Query::sql("SELECT outcome_id, title, customer, story FROM playbook_case_studies"),
        "outcome_id",
    )
    .push(" ORDER BY outcome_id, position")
    .fetch_all(tx)
    .await?;
    let figures: Vec<(i64, String, i64, String)> = only(
        Query::sql("SELECT outcome_id, label, value_hundredths, unit FROM playbook_roi_figures"),
        "outcome_id",
    )
    .push(" ORDER BY outcome_id, position")
    .fetch_all(tx)
    .await?;
    let mut outcomes = rows
        .into_iter()
        .map(|r| {
            let of = |owner: i64| owner == r.id;
            let fields = OutcomeFields {
                tier: parse("playbook_outcomes.tier", &r.tier)?,
                title: Name::parse(&r.title).map_err(|e| corrupt("playbook_outcomes.title", e))?,
                description: stored_note("playbook_outcomes.description", &r.description)?,
                tactics: tactics
                    .iter()
                    .filter(|t| of(t.0))
                    .map(|(_, id, title, description)| {
                        Ok(Tactic {
                            id: Some(TacticId(*id)),
                            title: Name::parse(title).map_err(|e| corrupt("playbook_tactics.title", e))?,
                            description: stored_note("playbook_tactics.description", description)?,
                        })
                    })
                    .collect::<Result<_>>()?,
                case_studies: studies
                    .iter()
                    .filter(|s| of(s.0))
                    .map(|(_, title, customer, story)| {
                        Ok(CaseStudy {
                            title: Name::parse(title).map_err(|e| corrupt("playbook_case_studies.title", e))?,
                            customer: Name::parse(customer)
                                .map_err(|e| corrupt("playbook_case_studies.customer", e))?,
                            text: stored_note("playbook_case_studies.story", story)?,
                        })
                    })
                    .collect::<Result<_>>()?,
                roi_figures: figures
                    .iter()
                    .filter(|f| of(f.0))
                    .map(|(_, label, value, unit)| {
                        Ok(RoiFigure {
                            label: Label::parse(label).map_err(|e| corrupt("playbook_roi_figures.label", e))?,
                            value: RoiValue(*value),
                            unit: Label::parse(unit).map_err(|e| corrupt("playbook_roi_figures.unit", e))?,
                        })
                    })
                    .collect::<Result<_>>()?,
            };
            Ok(LibraryOutcome {
                outcome: Outcome {
                    id: OutcomeId(r.id),
                    fields,
                },
                updated_by: r.updated_by,
                updated_at: r.updated_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Tier order (strategic first) is the vocabulary's, not the text's.
    outcomes.sort_by_key(|o| o.outcome.fields.tier);
    Ok(outcomes)
}

async fn outcome_in(tx: &mut Tx, id: OutcomeId) -> Result<LibraryOutcome> {
    outcomes_where(tx, Some(id)).await?.pop().ok_or(StoreError::NotFound {
        what: "playbook outcome",
        key: id.to_string(),
    })
}

/// The lowest free slot of `tier`'s five; refused when all are taken.
async fn free_slot(tx: &mut Tx, tier: Tier) -> Result<i64> {
    let taken: Vec<i64> = Query::sql("SELECT slot FROM playbook_outcomes WHERE tier = $1")
        .bind(tier.as_str())
        .scalars(tx)
        .await?;
    let max = i64::try_from(lodestar_domain::playbook::MAX_OUTCOMES_PER_SEGMENT).unwrap_or(5);
    (1..=max).find(|slot| !taken.contains(slot)).ok_or_else(|| {
        Invalid::field(
            "tier",
            format!(
                "{} already has {max} outcomes; a segment keeps at most {max}: remove one first",
                tier.label()
            ),
        )
        .into()
    })
}

/// Writes an outcome's tactics: listed ones keep their ids (and must be this outcome's), new
/// ones are added, unlisted ones go. Case studies and ROI figures are rewritten.
async fn write_parts(tx: &mut Tx, outcome: i64, fields: &OutcomeFields) -> Result<()> {
    let existing: Vec<i64> = Query::sql("SELECT id FROM playbook_tactics WHERE outcome_id = $1")
        .bind(outcome)
        .scalars(tx)
        .await?;
    for tactic in &fields.tactics {
        if let Some(id) = tactic.id.filter(|id| !existing.contains(&id.0)) {
            return Err(Invalid::field("tactics", format!("tactic {id} is not one of this outcome's tactics")).into());
        }
    }
    let kept: Vec<i64> = fields.tactics.iter().filter_map(|t| t.id.map(|id| id.0)).collect();
    for gone in existing.iter().filter(|id| !kept.contains(id)) {
        Query::sql("DELETE FROM playbook_tactics WHERE id = $1")
            .bind(*gone)
            .execute(tx)
            .await?;
    }
    for (position, tactic) in (1_i64..).zip(&fields.tactics) {
        match tactic.id {
            Some(id) => {
                Query::sql("UPDATE playbook_tactics SET position = $1, title = $2, description = $3 WHERE id = $4")
                    .bind(position)
                    .bind(tactic.title.as_str())
                    .bind(tactic.description.as_str())
                    .bind(id.0)
                    .execute(tx)
                    .await?;
            }
            None => {
                Query::sql(
                    "INSERT INTO playbook_tactics (outcome_id, position, title, description) VALUES ($1, $2, $3, $4)",
                )
                .bind(outcome)
                .bind(position)
                .bind(tactic.title.as_str())
                .bind(tactic.description.as_str())
                .execute(tx)
                .await?;
            }
        }
    }
    for table in ["playbook_case_studies", "playbook_roi_figures"] {
        Query::sql(format!("DELETE FROM {table} WHERE outcome_id = $1"))
            .bind(outcome)
            .execute(tx)
            .await?;
    }
    for (position, study) in (1_i64..).zip(&fields.case_studies) {
        Query::sql(
            "INSERT INTO playbook_case_studies (outcome_id, position, title, customer, story) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(outcome)
        .bind(position)
        .bind(study.title.as_str())
        .bind(study.customer.as_str())
        .bind(study.text.as_str())
        .execute(tx)
        .await?;
    }
    for (position, figure) in (1_i64..).zip(&fields.roi_figures) {
        Query::sql(
            "INSERT INTO playbook_roi_figures (outcome_id, position, label, value_hundredths, unit) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(outcome)
        .bind(position)
        .bind(figure.label.as_str())
        .bind(figure.value.0)
        .bind(figure.unit.as_str())
        .execute(tx)
        .await?;
    }
    Ok(())
}

async fn risk_playbooks_in(tx: &mut Tx, only: Option<OutreachApproach>) -> Result<Vec<RiskPlaybook>> {
    let mut q = Query::sql(
        "SELECT r.approach, r.subject, r.body, u.name, r.updated_at FROM risk_playbooks r \
         LEFT JOIN users u ON u.id = r.updated_by",
    );
    if let Some(approach) = only {
        q = q.push(" WHERE r.approach = ").value(approach.as_str());
    }
    /// Approach, subject, body, who changed it last, when.
    type Row = (String, String, String, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = q.fetch_all(tx).await?;
    let mut playbooks = rows
        .into_iter()
        .map(|(approach, subject, body, updated_by, updated_at)| {
            let template = OutreachTemplate::parse(&subject, &body)
                .map_err(|e| StoreError::Corrupt(format!("risk_playbooks: {e}")))?
                .into_inner();
            Ok(RiskPlaybook {
                approach: parse("risk_playbooks.approach", &approach)?,
                template,
                updated_by,
                updated_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    playbooks.sort_by_key(|p| p.approach);
    Ok(playbooks)
}

const SELECT_CHANGES: &str = "SELECT r.id, r.account_id, a.name AS account_name, r.outcome_id, o.title AS outcome_title, \
     r.approach, r.note, u.name AS requested_by, r.requested_at, v.name AS resolved_by, r.resolved_at \
     FROM playbook_change_requests r JOIN accounts a ON a.id = r.account_id \
     LEFT JOIN playbook_outcomes o ON o.id = r.outcome_id \
     LEFT JOIN users u ON u.id = r.requested_by LEFT JOIN users v ON v.id = r.resolved_by";

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    account_id: i64,
    account_name: String,
    outcome_id: Option<i64>,
    outcome_title: Option<String>,
    approach: Option<String>,
    note: String,
    requested_by: Option<String>,
    requested_at: DateTime<Utc>,
    resolved_by: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

fn change_of(r: ChangeRow) -> Result<PlaybookChange> {
    let (target, target_title) = match (r.outcome_id, r.approach) {
        (Some(id), None) => (
            PlaybookTarget::Outcome(OutcomeId(id)),
            r.outcome_title.unwrap_or_default(),
        ),
        (None, Some(approach)) => {
            let approach: OutreachApproach = parse("playbook_change_requests.approach", &approach)?;
            (PlaybookTarget::Risk(approach), approach.label().to_owned())
        }
        _ => return Err(StoreError::Corrupt("playbook_change_requests: no single target".into())),
    };
    Ok(PlaybookChange {
        id: PlaybookChangeId(r.id),
        account_id: AccountId(r.account_id),
        account_name: r.account_name,
        target,
        target_title,
        note: stored_note("playbook_change_requests.note", &r.note)?,
        requested_by: r.requested_by,
        requested_at: r.requested_at,
        resolved_by: r.resolved_by,
        resolved_at: r.resolved_at,
    })
}

async fn changes_where(tx: &mut Tx, condition: Query) -> Result<Vec<PlaybookChange>> {
    let rows: Vec<ChangeRow> = Query::sql(SELECT_CHANGES)
        .where_all(vec![condition])
        .push(" ORDER BY r.requested_at, r.id")
        .fetch_all(tx)
        .await?;
    rows.into_iter().map(change_of).collect()
}

async fn change_in(tx: &mut Tx, id: PlaybookChangeId) -> Result<PlaybookChange> {
    changes_where(tx, Query::sql("r.id = ").value(id.0))
        .await?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "playbook change request",
            key: id.to_string(),
        })
}

/// Fills in `approach`'s template for `contact` of `account`, sent by `from`.
pub(crate) async fn outreach_in(
    tx: &mut Tx,
    account: AccountId,
    approach: OutreachApproach,
    contact: ContactId,
    from: UserId,
) -> Result<Outreach> {
    let facts: Option<(String, i64, Option<NaiveDate>)> =
        Query::sql("SELECT name, arr_cents, renewal_date FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(tx)
            .await?;
    let (account_name, arr_cents, renewal_date) = facts.ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })?;
    let playbook = risk_playbooks_in(tx, Some(approach)).await?.pop().ok_or_else(|| {
        StoreError::Conflict(format!(
            "there is no {} risk playbook yet: a CS leader writes it in the playbook library",
            approach.label()
        ))
    })?;
    let person: Option<(i64, Option<String>, String, Option<String>)> = Query::sql(concat!(
        "SELECT c.account_id, c.first_name, ",
        contact_name!(),
        ", c.email FROM contacts c WHERE c.id = $1"
    ))
    .bind(contact.0)
    .fetch_optional(tx)
    .await?;
    let Some((_, first_name, contact_name, email)) = person.filter(|p| p.0 == account.0) else {
        return Err(Invalid::field(
            "contact_id",
            format!("contact {contact} is not one of this account's contacts"),
        )
        .into());
    };
    let sender: String = Query::sql("SELECT name FROM users WHERE id = $1")
        .bind(from.0)
        .scalar_one(tx)
        .await?;
    let email_text = playbook.template.render(&OutreachFacts {
        account_name,
        contact_first_name: first_name.unwrap_or_else(|| contact_name.clone()),
        csm_name: sender,
        renewal_date,
        arr: Cents(arr_cents),
    })?;
    Ok(Outreach {
        account_id: account,
        approach,
        contact_id: contact,
        contact_name,
        to: email.map(|e| parse("contacts.email", &e)).transpose()?,
        email: email_text,
    })
}

impl Store {
    /// The whole library, as the library page shows it.
    pub async fn playbook_library(&self) -> Result<PlaybookLibrary> {
        let mut tx = self.begin_snapshot().await?;
        Ok(PlaybookLibrary {
            outcomes: outcomes_where(&mut tx, None).await?,
            risk_playbooks: risk_playbooks_in(&mut tx, None).await?,
            open_changes: changes_where(&mut tx, Query::sql("r.resolved_at IS NULL")).await?,
        })
    }

    pub async fn playbook_outcome(&self, id: OutcomeId) -> Result<LibraryOutcome> {
        let mut tx = self.begin_snapshot().await?;
        outcome_in(&mut tx, id).await
    }

    /// Adds an outcome to its segment, which keeps at most five.
    pub async fn create_playbook_outcome(
        &self,
        fields: Valid<OutcomeFields>,
        by: Option<UserId>,
    ) -> Result<LibraryOutcome> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let slot = free_slot(&mut tx, fields.tier).await?;
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO playbook_outcomes (tier, slot, title, description, updated_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(fields.tier.as_str())
        .bind(slot)
        .bind(fields.title.as_str())
        .bind(fields.description.as_str())
        .bind(by.map(|u| u.0))
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        write_parts(&mut tx, id, &fields).await?;
        let outcome = outcome_in(&mut tx, OutcomeId(id)).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Rewrites an outcome; its listed tactics keep their ids. Moving it to another segment
    /// takes a free slot there.
    pub async fn update_playbook_outcome(
        &self,
        id: OutcomeId,
        fields: Valid<OutcomeFields>,
        by: Option<UserId>,
    ) -> Result<LibraryOutcome> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let before = outcome_in(&mut tx, id).await?;
        if before.outcome.fields.tier != fields.tier {
            let slot = free_slot(&mut tx, fields.tier).await?;
            Query::sql("UPDATE playbook_outcomes SET tier = $1, slot = $2 WHERE id = $3")
                .bind(fields.tier.as_str())
                .bind(slot)
                .bind(id.0)
                .execute(&mut tx)
                .await?;
        }
        let now = tx.now();
        Query::sql(
            "UPDATE playbook_outcomes SET title = $1, description = $2, updated_by = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(fields.title.as_str())
        .bind(fields.description.as_str())
        .bind(by.map(|u| u.0))
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        write_parts(&mut tx, id.0, &fields).await?;
        let outcome = outcome_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Removes an outcome with its tactics, case studies, figures and change requests.
    pub async fn delete_playbook_outcome(&self, id: OutcomeId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        super::delete_by_id(&mut tx, "playbook_outcomes", "playbook outcome", id.0).await?;
        tx.commit().await
    }

    /// Writes (or rewrites) the risk playbook of one exposure level.
    pub async fn save_risk_playbook(
        &self,
        approach: OutreachApproach,
        template: Valid<OutreachTemplate>,
        by: Option<UserId>,
    ) -> Result<RiskPlaybook> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        Query::sql(
            "INSERT INTO risk_playbooks (approach, subject, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (approach) DO UPDATE SET subject = excluded.subject, body = excluded.body, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(approach.as_str())
        .bind(template.subject.as_str())
        .bind(template.body.as_str())
        .bind(by.map(|u| u.0))
        .bind(now)
        .execute(&mut tx)
        .await?;
        let playbook = risk_playbooks_in(&mut tx, Some(approach))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a risk playbook vanished in its own transaction".into()))?;
        tx.commit().await?;
        Ok(playbook)
    }

    /// The approach an account's industry exposure calls for, when its industry has one.
    pub async fn suggested_outreach(&self, account: AccountId) -> Result<Option<OutreachApproach>> {
        let exposure: Option<Option<String>> = Query::sql(
            "SELECT e.exposure FROM accounts a LEFT JOIN industry_exposures e ON e.industry = a.industry WHERE a.id = $1",
        )
        .bind(account.0)
        .scalar_optional_on(self)
        .await?;
        let exposure = exposure.ok_or(StoreError::NotFound {
            what: "account",
            key: account.to_string(),
        })?;
        exposure
            .map(|e| {
                lodestar_domain::health::Exposure::parse(&e)
                    .map(OutreachApproach::for_exposure)
                    .map_err(|e| corrupt("industry_exposures.exposure", e))
            })
            .transpose()
    }

    /// The outreach email `from` would send `contact` of `account` by `approach`, filled in.
    pub async fn outreach_preview(
        &self,
        account: AccountId,
        approach: OutreachApproach,
        contact: ContactId,
        from: UserId,
    ) -> Result<Outreach> {
        let mut tx = self.begin_snapshot().await?;
        outreach_in(&mut tx, account, approach, contact, from).await
    }

    /// Queues the outreach email and puts it on the account's timeline. Once a day per
    /// contact and approach; only to a contact with an email, on a server that sends email.
    pub async fn send_outreach(
        &self,
        account: AccountId,
        approach: OutreachApproach,
        contact: ContactId,
        from: UserId,
    ) -> Result<(JobId, Outreach)> {
        let mut tx = self.begin_write().await?;
        if !tx.outbox().email {
            return Err(StoreError::Conflict(
                "this server sends no email: set LODESTAR_SMTP_URL and LODESTAR_MAIL_FROM".into(),
            ));
        }
        let outreach = outreach_in(&mut tx, account, approach, contact, from).await?;
        let Some(to) = outreach.to.clone() else {
            return Err(Invalid::field(
                "contact_id",
                format!("{} has no email address on record", outreach.contact_name),
            )
            .into());
        };
        let today = tx.now().date_naive();
        let message = EmailMessage {
            to,
            subject: outreach.email.subject.clone(),
            text_body: outreach.email.body.clone(),
            html_body: None,
        };
        let key = format!("outreach:{account}:{contact}:{approach}:{today}");
        let job = enqueue_email(&mut tx, &message, Some(key)).await?.ok_or_else(|| {
            StoreError::Conflict(format!(
                "{} already got the {} outreach today",
                outreach.contact_name,
                approach.label()
            ))
        })?;
        let text = format!(
            "Outreach ({}) sent to {}: {}",
            approach.label(),
            outreach.contact_name,
            outreach.email.subject
        );
        let at = tx.now();
        record(&mut tx, account, at, Some(from), TimelineKind::EmailSent, &text).await?;
        tx.commit().await?;
        Ok((job, outreach))
    }

    /// A churned account's retrospective asks for `target` to change.
    pub async fn request_playbook_change(
        &self,
        account: AccountId,
        target: PlaybookTarget,
        note: Note,
        by: Option<UserId>,
    ) -> Result<PlaybookChange> {
        let mut tx = self.begin_write().await?;
        let retro: Option<i64> = Query::sql("SELECT account_id FROM churn_retrospectives WHERE account_id = $1")
            .bind(account.0)
            .scalar_optional(&mut tx)
            .await?;
        if retro.is_none() {
            return Err(StoreError::NotFound {
                what: "churn retrospective for account",
                key: account.to_string(),
            });
        }
        let (outcome, approach) = match target {
            PlaybookTarget::Outcome(id) => {
                let found: Option<i64> = Query::sql("SELECT id FROM playbook_outcomes WHERE id = $1")
                    .bind(id.0)
                    .scalar_optional(&mut tx)
                    .await?;
                if found.is_none() {
                    return Err(Invalid::field("outcome_id", format!("there is no playbook outcome {id}")).into());
                }
                (Some(id.0), None)
            }
            PlaybookTarget::Risk(approach) => (None, Some(approach.as_str())),
        };
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO playbook_change_requests (account_id, outcome_id, approach, note, requested_by, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account.0)
        .bind(outcome)
        .bind(approach)
        .bind(note.as_str())
        .bind(by.map(|u| u.0))
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let change = change_in(&mut tx, PlaybookChangeId(id)).await?;
        tx.commit().await?;
        Ok(change)
    }

    pub async fn playbook_change(&self, id: PlaybookChangeId) -> Result<PlaybookChange> {
        let mut tx = self.begin_snapshot().await?;
        change_in(&mut tx, id).await
    }

    /// Marks a change request done: the library was changed (or the request declined).
    pub async fn resolve_playbook_change(&self, id: PlaybookChangeId, by: Option<UserId>) -> Result<PlaybookChange> {
        let mut tx = self.begin_write().await?;
        let before = change_in(&mut tx, id).await?;
        if before.resolved_at.is_some() {
            return Err(StoreError::Conflict(format!("change request {id} is already resolved")));
        }
        let now = tx.now();
        Query::sql("UPDATE playbook_change_requests SET resolved_at = $1, resolved_by = $2 WHERE id = $3")
            .bind(now)
            .bind(by.map(|u| u.0))
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        let change = change_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// The change requests a churned account's retrospective made, open and resolved.
    pub async fn playbook_changes_of(&self, account: AccountId) -> Result<Vec<PlaybookChange>> {
        let mut tx = self.begin_snapshot().await?;
        changes_where(&mut tx, Query::sql("r.account_id = ").value(account.0)).await
    }
}
