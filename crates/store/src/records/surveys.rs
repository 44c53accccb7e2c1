//! Surveys (F-40): NPS, CSAT and micro surveys of an account's contacts, their answers (through
//! a customer link, once per link, or imported), NPS by account, segment and period with the
//! response rate, the verbatims every user reads, and beta candidates. A detractor's answer
//! opens a close-the-loop task for the account's CSM in the answer's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::review::ActionText;
use lodestar_domain::survey::{NpsGrouping, NpsTally, SurveyFields, is_detractor};
use lodestar_domain::vocabulary::{SurveyKind, TaskSource};
use lodestar_domain::{AccountId, ContactId, SurveyAnswerId, SurveyId, UserId};

use super::customer_links::{CustomerLink, CustomerLinkEmail, LinkTarget, queue_link_emails};
use super::meetings::account_exists;
use super::parse;
use super::promises::contact_name;
use super::tasks::{TaskFields, insert_task};
use super::timeline::{TimelineKind, record};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub id: SurveyId,
    pub account_id: AccountId,
    pub account_name: String,
    pub kind: SurveyKind,
    pub question: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Links sent for it, and answers given.
    pub sent: u32,
    pub answered: u32,
}

/// One answer, with whom and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswer {
    pub id: SurveyAnswerId,
    pub survey_id: Option<SurveyId>,
    pub account_id: AccountId,
    pub account_name: String,
    pub account_external_id: String,
    pub contact_id: Option<ContactId>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub external_id: Option<String>,
    pub kind: SurveyKind,
    pub question: String,
    pub score: i32,
    pub comment: Option<String>,
    pub answered_at: DateTime<Utc>,
    pub beta_candidate: bool,
}

/// A past answer from a file: the account by external id, the contact by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAnswer {
    pub external_id: String,
    pub account_external_id: String,
    pub contact_email: Option<String>,
    pub kind: SurveyKind,
    pub question: String,
    pub score: i32,
    pub comment: Option<String>,
    pub answered_on: NaiveDate,
}

/// One line of the NPS report.
#[derive(Debug, Clone, PartialEq)]
pub struct NpsLine {
    /// The account's name, the tier's label or the period.
    pub label: String,
    pub account_id: Option<AccountId>,
    pub tally: NpsTally,
}

/// A contact tagged as a beta candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BetaCandidate {
    pub contact_id: ContactId,
    pub contact_name: String,
    pub email: Option<String>,
    pub account_id: AccountId,
    pub account_name: String,
    pub note: String,
    pub tagged_by: Option<String>,
    pub tagged_at: DateTime<Utc>,
}

const SELECT_SURVEYS: &str = "SELECT s.id, s.account_id, a.name AS account_name, s.kind, s.question, u.name AS created_by, \
     s.created_at, \
     (SELECT COUNT(*) FROM customer_links l WHERE l.object_kind = 'survey' AND l.object_id = s.id) AS sent, \
     (SELECT COUNT(*) FROM survey_answers x WHERE x.survey_id = s.id) AS answered \
     FROM surveys s JOIN accounts a ON a.id = s.account_id LEFT JOIN users u ON u.id = s.created_by";

#[derive(sqlx::FromRow)]
struct SurveyRow {
    id: i64,
    account_id: i64,
    account_name: String,
    kind: String,
    question: Option<String>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    sent: i64,
    answered: i64,
}

impl TryFrom<SurveyRow> for Survey {
    type Error = StoreError;
    fn try_from(r: SurveyRow) -> Result<Survey> {
        let kind: SurveyKind = parse("surveys.kind", &r.kind)?;
        let fields = SurveyFields::new(kind, r.question.as_deref().unwrap_or_default())
            .map_err(|e| StoreError::Corrupt(format!("surveys.question: {e}")))?;
        Ok(Survey {
            id: SurveyId(r.id),
            account_id: AccountId(r.account_id),
            account_name: r.account_name,
            kind,
            question: fields.question_text().to_owned(),
            created_by: r.created_by,
            created_at: r.created_at,
            sent: u32::try_from(r.sent).unwrap_or(u32::MAX),
            answered: u32::try_from(r.answered).unwrap_or(u32::MAX),
        })
    }
}

const SELECT_ANSWERS: &str = concat!(
    "SELECT x.id, x.survey_id, x.account_id, a.name AS account_name, a.external_id AS account_external_id, x.contact_id, ",
    "CASE WHEN c.id IS NULL THEN NULL ELSE ",
    contact_name!(),
    " END AS contact_name, c.email AS contact_email, x.external_id, x.kind, x.question, x.score, x.comment, \
     x.answered_at, (SELECT COUNT(*) FROM beta_candidates b WHERE b.contact_id = x.contact_id) AS beta \
     FROM survey_answers x JOIN accounts a ON a.id = x.account_id LEFT JOIN contacts c ON c.id = x.contact_id"
);

#[derive(sqlx::FromRow)]
struct AnswerRow {
    id: i64,
    survey_id: Option<i64>,
    account_id: i64,
    account_name: String,
    account_external_id: String,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    external_id: Option<String>,
    kind: String,
    question: String,
    score: i64,
    comment: Option<String>,
    answered_at: DateTime<Utc>,
    beta: i64,
}

impl TryFrom<AnswerRow> for SurveyAnswer {
    type Error = StoreError;
    fn try_from(r: AnswerRow) -> Result<SurveyAnswer> {
        Ok(SurveyAnswer {
            id: SurveyAnswerId(r.id),
            survey_id: r.survey_id.map(SurveyId),
            account_id: AccountId(r.account_id),
            account_name: r.account_name,
            account_external_id: r.account_external_id,
            contact_id: r.contact_id.map(ContactId),
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            external_id: r.external_id,
            kind: parse("survey_answers.kind", &r.kind)?,
            question: r.question,
            score: i32::try_from(r.score).map_err(|_| StoreError::Corrupt("survey_answers.score".into()))?,
            comment: r.comment,
            answered_at: r.answered_at,
            beta_candidate: r.beta > 0,
        })
    }
}

/// An NPS answer (`value` its score) or an NPS link (`value` the answers through it), with
/// what the report groups by.
#[derive(sqlx::FromRow)]
struct NpsFact {
    account_id: i64,
    name: String,
    tier: Option<String>,
    at: DateTime<Utc>,
    value: i64,
}

#[derive(sqlx::FromRow)]
struct BetaRow {
    contact_id: i64,
    contact_name: String,
    email: Option<String>,
    account_id: i64,
    account_name: String,
    note: String,
    tagged_by: Option<String>,
    tagged_at: DateTime<Utc>,
}

async fn survey_in(tx: &mut Tx, id: SurveyId) -> Result<Survey> {
    let row: Option<SurveyRow> = Query::sql(format!("{SELECT_SURVEYS} WHERE s.id = $1"))
        .bind(id.0)
        .fetch_optional(tx)
        .await?;
    row.ok_or(StoreError::NotFound {
        what: "survey",
        key: id.to_string(),
    })?
    .try_into()
}

async fn answers_where(tx: &mut Tx, condition: Query) -> Result<Vec<SurveyAnswer>> {
    let rows: Vec<AnswerRow> = Query::sql(format!("{SELECT_ANSWERS} WHERE "))
        .append(condition)
        .push(" ORDER BY x.answered_at DESC, x.id DESC")
        .fetch_all(tx)
        .await?;
    rows.into_iter().map(SurveyAnswer::try_from).collect()
}

/// Opens the close-the-loop task of a detractor's answer for the account's CSM (none when
/// the account has no CSM), due the day of the answer: it is on their Today at once.
async fn close_the_loop(tx: &mut Tx, account: AccountId, who: &str, score: i32) -> Result<()> {
    let owner: Option<(Option<i64>, String)> = Query::sql("SELECT owner_id, name FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_optional(tx)
        .await?;
    let Some((Some(owner), name)) = owner else {
        return Ok(());
    };
    let title = ActionText::parse(&format!("Close the loop with {who} of {name}: NPS {score}"))
        .map_err(|e| StoreError::Corrupt(format!("close-the-loop task: {e}")))?;
    let task = TaskFields {
        title,
        account: Some(account),
        due_on: Some(tx.today()),
    };
    insert_task(tx, UserId(owner), &task, TaskSource::Detractor).await?;
    Ok(())
}

impl Store {
    pub async fn create_survey(&self, account: AccountId, fields: &SurveyFields, by: Option<UserId>) -> Result<Survey> {
        let mut tx = self.begin_write().await?;
        account_exists(&mut tx, account).await?;
        let id: i64 = Query::sql(
            "INSERT INTO surveys (account_id, kind, question, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(account.0)
        .bind(fields.kind.as_str())
        .bind(fields.question.as_ref().map(|q| q.as_str().to_owned()))
        .bind(by.map(|u| u.0))
        .bind(tx.now())
        .scalar_one(&mut tx)
        .await?;
        let survey = survey_in(&mut tx, SurveyId(id)).await?;
        tx.commit().await?;
        Ok(survey)
    }

    pub async fn survey(&self, id: SurveyId) -> Result<Survey> {
        let mut tx = self.begin_snapshot().await?;
        survey_in(&mut tx, id).await
    }

    /// An account's surveys, newest first.
    pub async fn surveys_of_account(&self, account: AccountId) -> Result<Vec<Survey>> {
        let rows: Vec<SurveyRow> = Query::sql(format!(
            "{SELECT_SURVEYS} WHERE s.account_id = $1 ORDER BY s.created_at DESC, s.id DESC"
        ))
        .bind(account.0)
        .fetch_all_on(self)
        .await?;
        rows.into_iter().map(Survey::try_from).collect()
    }

    /// A survey's answers, newest first.
    pub async fn survey_answers(&self, id: SurveyId) -> Result<Vec<SurveyAnswer>> {
        let mut tx = self.begin_snapshot().await?;
        answers_where(&mut tx, Query::sql("x.survey_id = $1").bind(id.0)).await
    }

    /// An account's answers (through links and imported), newest first.
    pub async fn account_survey_answers(&self, account: AccountId) -> Result<Vec<SurveyAnswer>> {
        let mut tx = self.begin_snapshot().await?;
        answers_where(&mut tx, Query::sql("x.account_id = $1").bind(account.0)).await
    }

    /// The answer given through `link`, if it has been answered.
    pub async fn answer_of_link(&self, link: &CustomerLink) -> Result<Option<SurveyAnswer>> {
        let mut tx = self.begin_snapshot().await?;
        Ok(answers_where(&mut tx, Query::sql("x.link_id = $1").bind(link.id.0))
            .await?
            .pop())
    }

    /// Queues one email per contact, each creating its own link when sent (the secret is
    /// never stored); all or none. Returns whom they go to (name, address).
    pub async fn email_survey_links(&self, emails: &[CustomerLinkEmail]) -> Result<Vec<(String, String)>> {
        let mut tx = self.begin_write().await?;
        let to = queue_link_emails(&mut tx, emails).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// The contact of `link` answers its survey: once (a second answer is refused and
    /// changes nothing), with a score in the kind's range. A detractor's answer opens a
    /// close-the-loop task for the account's CSM.
    pub async fn answer_survey(&self, link: &CustomerLink, score: i64, comment: &str) -> Result<SurveyAnswer> {
        let LinkTarget::Survey(id) = link.target else {
            return Err(StoreError::NotFound {
                what: "survey",
                key: link.id.to_string(),
            });
        };
        let mut tx = self.begin_write().await?;
        let survey = survey_in(&mut tx, id).await?;
        let answered: Option<i64> = Query::sql("SELECT id FROM survey_answers WHERE link_id = $1")
            .bind(link.id.0)
            .scalar_optional(&mut tx)
            .await?;
        if answered.is_some() {
            return Err(StoreError::Conflict(
                "this survey link has been answered already: an answer is given once".into(),
            ));
        }
        let score = lodestar_domain::survey::score(survey.kind, score)
            .map_err(|e| lodestar_domain::Invalid::field("score", e))?;
        let comment =
            lodestar_domain::survey::comment(comment).map_err(|e| lodestar_domain::Invalid::field("comment", e))?;
        let now = tx.now();
        let answer: i64 = Query::sql(
            "INSERT INTO survey_answers (survey_id, account_id, contact_id, link_id, kind, question, score, comment, \
             answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(survey.id.0)
        .bind(survey.account_id.0)
        .bind(link.contact_id.0)
        .bind(link.id.0)
        .bind(survey.kind.as_str())
        .bind(survey.question.as_str())
        .bind(i64::from(score))
        .bind(comment.clone())
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        record(
            &mut tx,
            survey.account_id,
            now,
            None,
            TimelineKind::Survey,
            &format!(
                "{} answered the {} survey: {score}",
                link.contact_name,
                survey.kind.label()
            ),
        )
        .await?;
        if is_detractor(survey.kind, score) {
            close_the_loop(&mut tx, survey.account_id, &link.contact_name, score).await?;
        }
        tx.touch_accounts([survey.account_id.0]);
        let answer = answers_where(&mut tx, Query::sql("x.id = $1").bind(answer))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("the answer just written is missing".into()))?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Writes past answers from a file, all or none; an answer whose external id is already
    /// stored is left as it is. Returns how many were added. Past answers open no tasks.
    pub async fn import_survey_answers(&self, answers: &[ImportedAnswer]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        let mut touched = Vec::new();
        for (i, a) in answers.iter().enumerate() {
            let row = |field: &'static str, reason: String| {
                lodestar_domain::Invalid::field(field, format!("row {}: {reason}", i + 1))
            };
            let account: Option<i64> = Query::sql("SELECT id FROM accounts WHERE external_id = $1")
                .bind(a.account_external_id.as_str())
                .scalar_optional(&mut tx)
                .await?;
            let account = account.ok_or_else(|| {
                row(
                    "account_external_id",
                    format!("no account has the external id {:?}", a.account_external_id),
                )
            })?;
            let contact = match &a.contact_email {
                None => None,
                Some(email) => {
                    let found: Option<i64> =
                        Query::sql("SELECT id FROM contacts WHERE account_id = $1 AND email = $2 ORDER BY id LIMIT 1")
                            .bind(account)
                            .bind(email.to_lowercase())
                            .scalar_optional(&mut tx)
                            .await?;
                    Some(found.ok_or_else(|| {
                        row(
                            "contact_email",
                            format!("the account has no contact with the email {email}"),
                        )
                    })?)
                }
            };
            let score = lodestar_domain::survey::score(a.kind, i64::from(a.score)).map_err(|e| row("score", e))?;
            let comment = lodestar_domain::survey::comment(a.comment.as_deref().unwrap_or_default())
                .map_err(|e| row("comment", e))?;
            let at = a.answered_on.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
            let written = Query::sql(
                "INSERT INTO survey_answers (account_id, contact_id, external_id, kind, question, score, comment, \
                 answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (external_id) DO NOTHING",
            )
            .bind(account)
            .bind(contact)
            .bind(a.external_id.as_str())
            .bind(a.kind.as_str())
            .bind(a.question.as_str())
            .bind(i64::from(score))
            .bind(comment)
            .bind(at)
            .execute(&mut tx)
            .await?;
            added += written;
            touched.push(account);
        }
        tx.touch_accounts(touched);
        tx.commit().await?;
        Ok(added)
    }

    /// Every answer, oldest first (the export).
    pub async fn all_survey_answers(&self) -> Result<Vec<SurveyAnswer>> {
        let mut tx = self.begin_snapshot().await?;
        let mut all = answers_where(&mut tx, Query::sql("1 = 1")).await?;
        all.reverse();
        Ok(all)
    }

    /// The answers with a comment (the verbatims every user reads), newest first; `q` keeps
    /// those whose comment or account name holds it. Returns the total and one page.
    pub async fn survey_verbatims(&self, q: Option<&str>, limit: u32, offset: u64) -> Result<(u64, Vec<SurveyAnswer>)> {
        let mut tx = self.begin_snapshot().await?;
        let mut condition = Query::sql("x.comment IS NOT NULL");
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            // The words as typed: `%` and `_` match themselves.
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            condition = condition
                .push(" AND (LOWER(x.comment) LIKE ")
                .value(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(a.name) LIKE ")
                .value(pattern)
                .push(" ESCAPE '\\')");
        }
        let total: i64 =
            Query::sql("SELECT COUNT(*) FROM survey_answers x JOIN accounts a ON a.id = x.account_id WHERE ")
                .append(condition.clone())
                .scalar_one(&mut tx)
                .await?;
        let rows: Vec<AnswerRow> = Query::sql(format!("{SELECT_ANSWERS} WHERE "))
            .append(condition)
            .push(" ORDER BY x.answered_at DESC, x.id DESC LIMIT ")
            .value(i64::from(limit))
            .push(" OFFSET ")
            .value(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&mut tx)
            .await?;
        let page = rows.into_iter().map(SurveyAnswer::try_from).collect::<Result<_>>()?;
        Ok((u64::try_from(total).unwrap_or_default(), page))
    }

    /// NPS grouped by account, tier or period, with links sent and answered through them
    /// (the response rate; a link counts in the period it was sent). Imported answers count
    /// in NPS, not in the rate. Groups with neither answers nor links are left out.
    pub async fn nps_report(&self, grouping: NpsGrouping) -> Result<Vec<NpsLine>> {
        let mut tx = self.begin_snapshot().await?;
        let answers: Vec<NpsFact> = Query::sql(
            "SELECT a.id AS account_id, a.name, a.tier, x.answered_at AS at, x.score AS value FROM survey_answers x \
             JOIN accounts a ON a.id = x.account_id WHERE x.kind = 'nps'",
        )
        .fetch_all(&mut tx)
        .await?;
        let links: Vec<NpsFact> = Query::sql(
            "SELECT a.id AS account_id, a.name, a.tier, l.created_at AS at, \
             (SELECT COUNT(*) FROM survey_answers x WHERE x.link_id = l.id) AS value FROM customer_links l \
             JOIN surveys s ON l.object_kind = 'survey' AND s.id = l.object_id \
             JOIN accounts a ON a.id = s.account_id WHERE s.kind = 'nps'",
        )
        .fetch_all(&mut tx)
        .await?;
        let key =
            |id: i64, name: &str, tier: &Option<String>, at: DateTime<Utc>| -> Result<(String, Option<AccountId>)> {
                Ok(match grouping {
                    NpsGrouping::Account => (name.to_owned(), Some(AccountId(id))),
                    NpsGrouping::Tier => (
                        match tier {
                            Some(t) => parse::<lodestar_domain::vocabulary::Tier>("accounts.tier", t)?
                                .label()
                                .to_owned(),
                            None => "No tier".to_owned(),
                        },
                        None,
                    ),
                    NpsGrouping::Month | NpsGrouping::Quarter => (grouping.period(at.date_naive()), None),
                })
            };
        let mut lines: std::collections::BTreeMap<String, NpsLine> = std::collections::BTreeMap::new();
        for NpsFact {
            account_id: id,
            name,
            tier,
            at,
            value: score,
        } in answers
        {
            let (label, account_id) = key(id, &name, &tier, at)?;
            let line = lines.entry(label.clone()).or_insert(NpsLine {
                label,
                account_id,
                tally: NpsTally::default(),
            });
            line.tally.add(i32::try_from(score).unwrap_or_default());
        }
        for NpsFact {
            account_id: id,
            name,
            tier,
            at,
            value: answered,
        } in links
        {
            let (label, account_id) = key(id, &name, &tier, at)?;
            let line = lines.entry(label.clone()).or_insert(NpsLine {
                label,
                account_id,
                tally: NpsTally::default(),
            });
            line.tally.sent += 1;
            line.tally.answered += u32::from(answered > 0);
        }
        let mut out: Vec<NpsLine> = lines.into_values().collect();
        if matches!(grouping, NpsGrouping::Month | NpsGrouping::Quarter) {
            out.reverse();
        }
        Ok(out)
    }

    /// Tags a contact as a beta candidate (again: the note is replaced).
    pub async fn tag_beta_candidate(&self, contact: ContactId, note: &str, by: Option<UserId>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = Query::sql("SELECT id FROM contacts WHERE id = $1")
            .bind(contact.0)
            .scalar_optional(&mut tx)
            .await?;
        exists.ok_or(StoreError::NotFound {
            what: "contact",
            key: contact.to_string(),
        })?;
        Query::sql(
            "INSERT INTO beta_candidates (contact_id, note, tagged_by, tagged_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (contact_id) DO UPDATE SET note = excluded.note",
        )
        .bind(contact.0)
        .bind(note.trim())
        .bind(by.map(|u| u.0))
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    /// Removes the tag; untagging an untagged contact changes nothing.
    pub async fn untag_beta_candidate(&self, contact: ContactId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        Query::sql("DELETE FROM beta_candidates WHERE contact_id = $1")
            .bind(contact.0)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// Every beta candidate, most recently tagged first.
    pub async fn beta_candidates(&self) -> Result<Vec<BetaCandidate>> {
        let rows: Vec<BetaRow> = Query::sql(concat!(
            "SELECT c.id AS contact_id, ",
            contact_name!(),
            " AS contact_name, c.email, a.id AS account_id, a.name AS account_name, b.note, u.name AS tagged_by, \
             b.tagged_at FROM beta_candidates b JOIN contacts c ON c.id = b.contact_id \
             JOIN accounts a ON a.id = c.account_id LEFT JOIN users u ON u.id = b.tagged_by \
             ORDER BY b.tagged_at DESC, c.id"
        ))
        .fetch_all_on(self)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| BetaCandidate {
                contact_id: ContactId(r.contact_id),
                contact_name: r.contact_name,
                email: r.email,
                account_id: AccountId(r.account_id),
                account_name: r.account_name,
                note: r.note,
                tagged_by: r.tagged_by,
                tagged_at: r.tagged_at,
            })
            .collect())
    }
}
