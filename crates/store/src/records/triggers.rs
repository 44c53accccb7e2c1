//! Triggers (F-51): the rules, the accounts each rule's signal and condition hit now (its
//! candidates, each with a cause), and firing — once per rule, account and cause, with the
//! actions done in the same transaction as the firing's record.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use lodestar_domain::champion::Departure;
use lodestar_domain::milestone::MilestoneStatus;
use lodestar_domain::notify::{Notification, Subject};
use lodestar_domain::review::ActionText;
use lodestar_domain::text::Name;
use lodestar_domain::trigger::{Action, Condition, RuleFields, Signal, TacticName, TacticNames};
use lodestar_domain::vocabulary::{NotificationKind, TaskSource};
use lodestar_domain::{AccountId, Invalid, TacticId, UserId, Valid};

use super::milestones::account_milestones_in;
use super::notify::{enqueue_email, notify_user, post_to_webhooks};
use super::playbooks::outreach_in;
use super::reviews::open_reactive_qbrs;
use super::tasks::{TaskFields, insert_task};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRule {
    pub id: i64,
    pub fields: RuleFields,
    /// The rule in words, its playbook tactics named by their titles as they are now.
    pub description: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub firings: i64,
    pub last_fired: Option<DateTime<Utc>>,
}

/// An account a rule's signal and condition hit now, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub account_id: AccountId,
    pub account_name: String,
    /// What happened, as a key: the rule fires once per account and cause.
    pub cause: String,
    /// The cause in words.
    pub cause_text: String,
    /// The rule has fired for this account and cause already.
    pub fired: bool,
}

/// A firing of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule_id: i64,
    pub rule_name: String,
    pub account_id: AccountId,
    pub account_name: String,
    pub cause_text: String,
    /// What the actions did, in words.
    pub done: String,
    pub fired_at: DateTime<Utc>,
}

/// What a run of every enabled rule did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriggerRun {
    pub rules: usize,
    pub fired: usize,
}

const SELECT_RULES: &str = "SELECT r.id, r.name, r.signal, r.condition, r.actions, r.enabled, u.name AS created_by, \
     r.created_at, r.updated_at, (SELECT COUNT(*) FROM trigger_firings f WHERE f.rule_id = r.id) AS firings, \
     (SELECT MAX(f.fired_at) FROM trigger_firings f WHERE f.rule_id = r.id) AS last_fired \
     FROM trigger_rules r LEFT JOIN users u ON u.id = r.created_by";

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    signal: String,
    condition: String,
    actions: String,
    enabled: i64,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    firings: i64,
    last_fired: Option<DateTime<Utc>>,
}

fn json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("trigger_rules.{column}: {e}")))
}

/// The titles of the playbook tactics among `ids` (with their outcomes'); a tactic deleted
/// since a rule named it is not in the answer.
async fn tactic_names(tx: &mut Tx, ids: &[TacticId]) -> Result<TacticNames> {
    let mut names = TacticNames::new();
    if ids.is_empty() {
        return Ok(names);
    }
    let rows: Vec<(i64, String, String)> = Query::sql(
        "SELECT t.id, t.title, o.title FROM playbook_tactics t JOIN playbook_outcomes o ON o.id = t.outcome_id \
         WHERE t.id IN (",
    )
    .list(ids.iter().map(|id| id.0))
    .push(")")
    .fetch_all(tx)
    .await?;
    let title = |column: &str, text: &str| Name::parse(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")));
    for (id, tactic, outcome) in rows {
        names.insert(
            TacticId(id),
            TacticName {
                tactic: title("playbook_tactics.title", &tactic)?,
                outcome: title("playbook_outcomes.title", &outcome)?,
            },
        );
    }
    Ok(names)
}

/// Refuses a rule whose playbook task names a tactic the library does not hold (checked in
/// the transaction that saves the rule).
async fn check_tactics(tx: &mut Tx, fields: &RuleFields) -> Result<()> {
    let wanted = fields.tactics();
    let found = tactic_names(tx, &wanted).await?;
    match wanted.iter().find(|id| !found.contains_key(id)) {
        Some(missing) => Err(Invalid::field(
            "playbook_tactic_id",
            format!("the playbook library has no tactic {missing}: pick one of its tactics"),
        )
        .into()),
        None => Ok(()),
    }
}

/// Rules from their rows, each described with its tactics' current titles.
async fn rules_of(tx: &mut Tx, rows: Vec<RuleRow>) -> Result<Vec<TriggerRule>> {
    let mut rules = Vec::with_capacity(rows.len());
    for r in rows {
        let fields = RuleFields {
            name: Name::parse(&r.name).map_err(|e| StoreError::Corrupt(format!("trigger_rules.name: {e}")))?,
            signal: json("signal", &r.signal)?,
            condition: json("condition", &r.condition)?,
            actions: json("actions", &r.actions)?,
            enabled: r.enabled == 1,
        };
        rules.push((r, fields));
    }
    let mut tactics: Vec<TacticId> = rules.iter().flat_map(|(_, f)| f.tactics()).collect();
    tactics.sort();
    tactics.dedup();
    let names = tactic_names(tx, &tactics).await?;
    Ok(rules
        .into_iter()
        .map(|(r, fields)| TriggerRule {
            id: r.id,
            description: fields.describe(&names),
            fields,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            firings: r.firings,
            last_fired: r.last_fired,
        })
        .collect())
}

async fn rule_in(tx: &mut Tx, id: i64) -> Result<TriggerRule> {
    let row: Option<RuleRow> = Query::sql(format!("{SELECT_RULES} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(tx)
        .await?;
    let row = row.ok_or(StoreError::NotFound {
        what: "trigger rule",
        key: id.to_string(),
    })?;
    Ok(rules_of(tx, vec![row]).await?.remove(0))
}

/// The JSON columns of a rule.
fn columns(f: &RuleFields) -> (String, String, String) {
    let text = |v: serde_json::Result<String>| v.expect("rule parts serialise");
    (
        text(serde_json::to_string(&f.signal)),
        text(serde_json::to_string(&f.condition)),
        text(serde_json::to_string(&f.actions)),
    )
}

/// Accounts (not churned) among `ids` that meet `condition`.
async fn meeting_condition(tx: &mut Tx, condition: &Condition, ids: &[i64]) -> Result<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(1000) {
        let mut q = Query::sql("SELECT id FROM accounts WHERE lifecycle_stage <> 'churned' AND id IN (")
            .list(chunk.iter().copied())
            .push(")");
        if let Some(t) = condition.tier {
            q = q.push(" AND tier = ").value(t.as_str());
        }
        if let Some(s) = condition.stage {
            q = q.push(" AND lifecycle_stage = ").value(s.as_str());
        }
        if let Some(a) = condition.min_arr {
            q = q.push(" AND arr_cents >= ").value(a.0);
        }
        let found: Vec<i64> = q.scalars(tx).await?;
        out.extend(found);
    }
    Ok(out)
}

/// (account, name, cause, words) for every account the signal hits now.
async fn signal_hits(tx: &mut Tx, signal: Signal, today: NaiveDate) -> Result<Vec<(i64, String, String, String)>> {
    let mut hits = Vec::new();
    match signal {
        Signal::HealthBand { to } => {
            // Scored `to` now, and some other band on a day of the last week: the day after
            // the last other-band day is when it turned.
            let rows: Vec<(i64, String, NaiveDate)> = Query::sql(
                "SELECT h.account_id, a.name, MAX(s.day) FROM health_scores h JOIN accounts a ON a.id = h.account_id \
                 JOIN health_snapshots s ON s.account_id = h.account_id AND s.band <> h.band AND s.day >= ",
            )
            .value(today - Duration::days(7))
            .push(" WHERE h.band = ")
            .value(to.as_str())
            .push(" GROUP BY h.account_id, a.name")
            .fetch_all(tx)
            .await?;
            for (id, name, last_other) in rows {
                let on = last_other + Duration::days(1);
                hits.push((
                    id,
                    name,
                    format!("band:{}:{on}", to.as_str()),
                    format!("health turned {} on {on}", to.as_str()),
                ));
            }
        }
        Signal::UsageDrop { .. } => {} // read outside the transaction: see `candidates`
        Signal::MilestoneMissed => {
            let launched: Vec<(i64, String)> =
                Query::sql("SELECT id, name FROM accounts WHERE lifecycle_stage <> 'churned' AND launch_date >= ")
                    .value(today - Duration::days(400))
                    .fetch_all(tx)
                    .await?;
            for (id, name) in launched {
                let has_events = super::usage::has_events(tx, AccountId(id)).await?;
                for (milestone, status) in account_milestones_in(tx, AccountId(id), today, has_events).await? {
                    if let MilestoneStatus::Missed { due, .. } = status
                        && (today - due).num_days() < 7
                    {
                        hits.push((
                            id,
                            name.clone(),
                            format!("milestone:{}", milestone.id),
                            format!("missed the milestone \"{}\" (due {due})", milestone.fields.name),
                        ));
                    }
                }
            }
        }
        Signal::ChampionLeft { days } => {
            // Marked departures within the window; inferred ones whenever they are inferred
            // (the day they went quiet is long past by then). One cause per contact, so a
            // contact inferred gone and later marked fires once.
            let since = today - Duration::days(i64::from(days));
            let names: std::collections::HashMap<i64, String> = Query::sql("SELECT id, name FROM accounts")
                .fetch_all::<(i64, String)>(tx)
                .await?
                .into_iter()
                .collect();
            let champions = super::champions::champions_in(tx, None, today).await?;
            let mut gone: Vec<_> = champions
                .into_values()
                .flatten()
                .filter(|c| c.key)
                .filter(|c| match &c.departure {
                    Some(Departure::Marked { on }) => *on >= since,
                    Some(Departure::Inferred { .. }) => true,
                    None => false,
                })
                .collect();
            gone.sort_by_key(|c| (c.account_id.0, c.contact_id.0));
            for c in gone {
                let Some(name) = names.get(&c.account_id.0) else {
                    continue;
                };
                let role = c.role.map_or("key contact".to_owned(), |r| r.label().to_lowercase());
                let how = match &c.departure {
                    Some(Departure::Marked { on }) => format!("left on {on}"),
                    Some(d) => d.describe(),
                    None => continue,
                };
                hits.push((
                    c.account_id.0,
                    name.clone(),
                    format!("champion_left:{}", c.contact_id),
                    format!("{} ({role}) {how}", c.name),
                ));
            }
        }
        Signal::RenewalIn { days } => {
            let rows: Vec<(i64, String, NaiveDate)> =
                Query::sql("SELECT id, name, renewal_date FROM accounts WHERE renewal_date >= ")
                    .value(today)
                    .push(" AND renewal_date <= ")
                    .value(today + Duration::days(i64::from(days)))
                    .fetch_all(tx)
                    .await?;
            for (id, name, on) in rows {
                let left = (on - today).num_days();
                hits.push((
                    id,
                    name,
                    format!("renewal:{on}"),
                    format!("renews on {on} ({left} days)"),
                ));
            }
        }
        Signal::PlanNotApproved { days } => {
            let rows: Vec<(i64, String, i64, i64, DateTime<Utc>)> = Query::sql(
                "SELECT a.id, a.name, p.id, p.version, p.updated_at FROM success_plans p JOIN accounts a ON a.id = p.account_id \
                 WHERE p.state IN ('shared', 'reviewed') AND p.updated_at <= ",
            )
            .value(tx.now() - Duration::days(i64::from(days)))
            .fetch_all(tx)
            .await?;
            for (id, name, plan, version, since) in rows {
                hits.push((
                    id,
                    name,
                    format!("plan:{plan}:v{version}"),
                    format!(
                        "success plan version {version} shared since {} and not approved",
                        since.date_naive()
                    ),
                ));
            }
        }
        Signal::SurveyAnswer { at_most } => {
            // Scores on a 1–5 scale are compared on the same share of the scale as 0–10.
            let rows: Vec<(i64, String, i64, String, i64, String)> = Query::sql(
                "SELECT a.id, a.name, s.id, s.kind, s.score, COALESCE(s.comment, '') FROM survey_answers s \
                 JOIN accounts a ON a.id = s.account_id WHERE s.answered_at >= ",
            )
            .value(tx.now() - Duration::days(7))
            // In tenths of the 0–10 scale, so the comparison stays in whole numbers.
            .push(" AND (CASE WHEN s.kind = 'nps' THEN s.score * 10 ELSE (s.score - 1) * 25 END) <= ")
            .value(i64::from(at_most) * 10)
            .fetch_all(tx)
            .await?;
            for (id, name, answer, kind, score, comment) in rows {
                let said = if comment.is_empty() {
                    String::new()
                } else {
                    format!(": \"{}\"", clipped(&comment, 120))
                };
                hits.push((
                    id,
                    name,
                    format!("survey_answer:{answer}"),
                    format!("answered {} with {score}{said}", kind.to_uppercase()),
                ));
            }
        }
        Signal::RequestShipped => {
            let rows: Vec<(i64, String, i64, String)> = Query::sql(
                "SELECT a.id, a.name, r.id, r.title FROM product_requests r \
                 JOIN product_request_accounts l ON l.request_id = r.id JOIN accounts a ON a.id = l.account_id \
                 WHERE r.shipped_at >= ",
            )
            .value(tx.now() - Duration::days(7))
            .fetch_all(tx)
            .await?;
            for (id, name, request, title) in rows {
                hits.push((
                    id,
                    name,
                    format!("request_shipped:{request}"),
                    format!("\"{title}\", which they asked for, shipped"),
                ));
            }
        }
        Signal::PromiseOverdue { days } => {
            let rows: Vec<(i64, String, i64, String, NaiveDate)> = Query::sql(
                "SELECT a.id, a.name, p.id, p.description, p.due_on FROM promises p JOIN accounts a ON a.id = p.account_id \
                 WHERE p.status = 'open' AND p.due_on <= ",
            )
            .value(today - Duration::days(i64::from(days)))
            .fetch_all(tx)
            .await?;
            for (id, name, promise, text, due) in rows {
                hits.push((
                    id,
                    name,
                    format!("promise:{promise}"),
                    format!("the promise \"{text}\" was due {due}"),
                ));
            }
        }
    }
    Ok(hits)
}

/// `text` cut to `max` characters (a title whose placeholders filled it past its limit).
fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A task titled `title` for the account's CSM (`owner`), due in `due_in_days`, from a
/// trigger: what both task actions do. Returns what was done, in words.
async fn task_for_csm(
    tx: &mut Tx,
    owner: Option<i64>,
    account: AccountId,
    title: &str,
    due_in_days: u16,
) -> Result<String> {
    let Some(owner) = owner else {
        return Ok("no task: the account has no CSM".to_owned());
    };
    let text = clipped(title, 500);
    let task = TaskFields {
        title: ActionText::parse(&text).map_err(|e| StoreError::Corrupt(format!("trigger task title: {e}")))?,
        account: Some(account),
        due_on: Some(tx.today() + Duration::days(i64::from(due_in_days))),
    };
    insert_task(tx, UserId(owner), &task, TaskSource::Trigger).await?;
    Ok(format!("task \"{text}\""))
}

/// Does what `actions` say for one firing; returns what was done, in words.
async fn act(tx: &mut Tx, rule: &TriggerRule, candidate: &Candidate) -> Result<Vec<String>> {
    let account = candidate.account_id;
    let owner: Option<i64> = Query::sql("SELECT owner_id FROM accounts WHERE id = $1")
        .bind(account.0)
        .scalar_optional(tx)
        .await?
        .flatten();
    let mut done = Vec::new();
    let notification = Notification {
        kind: NotificationKind::TriggerFired,
        subject: Subject::parse(&clipped(
            &format!("{}: {}", rule.fields.name, candidate.account_name),
            200,
        ))
        .map_err(|e| StoreError::Corrupt(format!("trigger subject: {e}")))?,
        text: format!(
            "{} {}. Rule: {}",
            candidate.account_name, candidate.cause_text, rule.description
        ),
        link: Some(format!("/accounts/{account}")),
        once_key: Some(format!("trigger:{}:{account}:{}", rule.id, candidate.cause)),
    };
    for action in &rule.fields.actions {
        match action {
            Action::CreateTask { title, due_in_days } => {
                let title = Action::task_title(title, &candidate.account_name, &candidate.cause_text);
                done.push(task_for_csm(tx, owner, account, &title, *due_in_days).await?);
            }
            Action::PlaybookTask { tactic, due_in_days } => {
                // A tactic deleted after the rule was saved (its outcome edited or removed):
                // the firing is still recorded — so this cause does not fire again once an
                // admin picks another tactic — and says why no task was made, on the rule's
                // page where the admin looks. The rule's other actions still run.
                let names = tactic_names(tx, &[*tactic]).await?;
                done.push(match names.get(tactic) {
                    Some(name) => {
                        let title = Action::playbook_task_title(name, &candidate.cause_text);
                        task_for_csm(tx, owner, account, &title, *due_in_days).await?
                    }
                    None => "no task: the rule's playbook tactic no longer exists".to_owned(),
                });
            }
            Action::ReactiveQbr => {
                let why = format!("{} ({})", candidate.cause_text, rule.fields.name);
                let opened = open_reactive_qbrs(tx, &[account.0], &why).await?;
                done.push(if opened.is_empty() {
                    "no reactive QBR: one is open already, or no CSM".to_owned()
                } else {
                    "a reactive QBR task".to_owned()
                });
            }
            Action::SendEmail { approach } => {
                let Some(owner) = owner else {
                    done.push("no email: the account has no CSM to send it".to_owned());
                    continue;
                };
                // The decision maker with an address first, else anyone active with one.
                let contact: Option<i64> = Query::sql(
                    "SELECT id FROM contacts WHERE account_id = $1 AND status = 'active' AND email IS NOT NULL \
                     ORDER BY role = 'decision_maker' DESC, role = 'champion' DESC, id LIMIT 1",
                )
                .bind(account.0)
                .scalar_optional(tx)
                .await?;
                let Some(contact) = contact else {
                    done.push("no email: no contact has an address".to_owned());
                    continue;
                };
                let outreach = outreach_in(
                    tx,
                    account,
                    *approach,
                    lodestar_domain::ContactId(contact),
                    UserId(owner),
                )
                .await?;
                let Some(to) = outreach.to.clone() else { continue };
                let message = lodestar_domain::notify::EmailMessage {
                    to,
                    subject: outreach.email.subject.clone(),
                    text_body: outreach.email.body.clone(),
                    html_body: None,
                };
                let key = format!("trigger-email:{}:{account}:{}", rule.id, candidate.cause);
                done.push(match enqueue_email(tx, &message, Some(key)).await? {
                    Some(_) => format!("email \"{}\" to {}", outreach.email.subject, outreach.contact_name),
                    None => "no email: this server sends none".to_owned(),
                });
            }
            Action::PostWebhook => {
                let targets = post_to_webhooks(tx, &notification).await?;
                done.push(format!(
                    "posted to {targets} webhook target{}",
                    if targets == 1 { "" } else { "s" }
                ));
            }
            Action::NotifyUser { user } => {
                notify_user(tx, *user, &notification).await?;
                done.push(format!("notified user {user}"));
            }
        }
    }
    Ok(done)
}

impl Store {
    pub async fn trigger_rules(&self) -> Result<Vec<TriggerRule>> {
        let mut tx = self.begin_snapshot().await?;
        let rows: Vec<RuleRow> = Query::sql(format!("{SELECT_RULES} ORDER BY r.name, r.id"))
            .fetch_all(&mut tx)
            .await?;
        rules_of(&mut tx, rows).await
    }

    pub async fn trigger_rule(&self, id: i64) -> Result<TriggerRule> {
        let mut tx = self.begin_snapshot().await?;
        rule_in(&mut tx, id).await
    }

    /// Saves a new rule; a playbook task's tactic must be in the library.
    pub async fn create_trigger_rule(&self, fields: Valid<RuleFields>, by: Option<UserId>) -> Result<TriggerRule> {
        let f = fields.into_inner();
        let (signal, condition, actions) = columns(&f);
        let mut tx = self.begin_write().await?;
        check_tactics(&mut tx, &f).await?;
        let now = tx.now();
        let id: i64 = Query::sql(
            "INSERT INTO trigger_rules (name, signal, condition, actions, enabled, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(f.name.as_str())
        .bind(signal)
        .bind(condition)
        .bind(actions)
        .bind(i64::from(f.enabled))
        .bind(by.map(|u| u.0))
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let rule = rule_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Replaces a rule; its firings stay (a cause it fired for does not fire again). A
    /// playbook task's tactic must be in the library.
    pub async fn update_trigger_rule(&self, id: i64, fields: Valid<RuleFields>) -> Result<TriggerRule> {
        let f = fields.into_inner();
        let (signal, condition, actions) = columns(&f);
        let mut tx = self.begin_write().await?;
        rule_in(&mut tx, id).await?;
        check_tactics(&mut tx, &f).await?;
        Query::sql(
            "UPDATE trigger_rules SET name = $1, signal = $2, condition = $3, actions = $4, enabled = $5, updated_at = $6 \
             WHERE id = $7",
        )
        .bind(f.name.as_str())
        .bind(signal)
        .bind(condition)
        .bind(actions)
        .bind(i64::from(f.enabled))
        .bind(tx.now())
        .bind(id)
        .execute(&mut tx)
        .await?;
        let rule = rule_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rule)
    }

    pub async fn delete_trigger_rule(&self, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        rule_in(&mut tx, id).await?;
        Query::sql("DELETE FROM trigger_rules WHERE id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// The accounts `rule` hits as of `today` (signal and condition), each with its cause and
    /// whether the rule fired for it already — a dry run when nothing is done with them.
    pub async fn trigger_candidates(
        &self,
        rule_id: Option<i64>,
        fields: &RuleFields,
        today: NaiveDate,
    ) -> Result<Vec<Candidate>> {
        let mut hits = match fields.signal {
            Signal::UsageDrop { percent } => self
                .usage_drops(today, f64::from(percent) / 100.0)
                .await?
                .into_iter()
                .map(|d| {
                    let week = today.iso_week();
                    (
                        d.account_id.0,
                        d.name,
                        format!("usage_drop:{}-W{:02}", week.year(), week.week()),
                        format!("active people fell from {} to {}", d.active_before, d.active_now),
                    )
                })
                .collect(),
            signal => {
                let mut tx = self.begin_snapshot().await?;
                signal_hits(&mut tx, signal, today).await?
            }
        };
        let mut tx = self.begin_snapshot().await?;
        let ids: Vec<i64> = hits.iter().map(|h| h.0).collect();
        let allowed = meeting_condition(&mut tx, &fields.condition, &ids).await?;
        hits.retain(|h| allowed.contains(&h.0));
        let fired: HashSet<(i64, String)> = match rule_id {
            Some(rule) => {
                let rows: Vec<(i64, String)> =
                    Query::sql("SELECT account_id, cause FROM trigger_firings WHERE rule_id = $1")
                        .bind(rule)
                        .fetch_all(&mut tx)
                        .await?;
                rows.into_iter().collect()
            }
            None => HashSet::new(),
        };
        let mut out: Vec<Candidate> = hits
            .into_iter()
            .map(|(id, name, cause, cause_text)| Candidate {
                fired: fired.contains(&(id, cause.clone())),
                account_id: AccountId(id),
                account_name: name,
                cause,
                cause_text,
            })
            .collect();
        out.sort_by(|a, b| (&a.account_name, &a.cause).cmp(&(&b.account_name, &b.cause)));
        Ok(out)
    }

    /// Runs every enabled rule as of `today`: each candidate it has not fired for yet is
    /// recorded and acted on, one transaction per firing (a rule that fails for one account
    /// does not undo the others).
    pub async fn run_trigger_rules(&self, today: NaiveDate) -> Result<TriggerRun> {
        let mut run = TriggerRun::default();
        for rule in self.trigger_rules().await?.into_iter().filter(|r| r.fields.enabled) {
            run.rules += 1;
            for candidate in self.trigger_candidates(Some(rule.id), &rule.fields, today).await? {
                if candidate.fired {
                    continue;
                }
                let mut tx = self.begin_write().await?;
                let inserted: Option<i64> = Query::sql(
                    "INSERT INTO trigger_firings (rule_id, account_id, cause, cause_text, done, fired_at) \
                     VALUES ($1, $2, $3, $4, '', $5) ON CONFLICT (rule_id, account_id, cause) DO NOTHING RETURNING id",
                )
                .bind(rule.id)
                .bind(candidate.account_id.0)
                .bind(candidate.cause.as_str())
                .bind(candidate.cause_text.as_str())
                .bind(tx.now())
                .scalar_optional(&mut tx)
                .await?;
                // Another server fired it between the read and now.
                let Some(firing) = inserted else { continue };
                let done = act(&mut tx, &rule, &candidate).await?;
                Query::sql("UPDATE trigger_firings SET done = $1 WHERE id = $2")
                    .bind(done.join("; "))
                    .bind(firing)
                    .execute(&mut tx)
                    .await?;
                tx.commit().await?;
                run.fired += 1;
            }
        }
        Ok(run)
    }

    /// Firings, the latest first: of one rule, or of every rule.
    pub async fn trigger_firings(&self, rule: Option<i64>, limit: i64) -> Result<Vec<Firing>> {
        let mut q = Query::sql(
            "SELECT f.rule_id, r.name, f.account_id, a.name, f.cause_text, f.done, f.fired_at FROM trigger_firings f \
             JOIN trigger_rules r ON r.id = f.rule_id JOIN accounts a ON a.id = f.account_id",
        );
        if let Some(rule) = rule {
            q = q.push(" WHERE f.rule_id = ").value(rule);
        }
        type Row = (i64, String, i64, String, String, String, DateTime<Utc>);
        let rows: Vec<Row> = q
            .push(" ORDER BY f.fired_at DESC, f.id DESC LIMIT ")
            .value(limit)
            .fetch_all_on(self)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(rule_id, rule_name, account, account_name, cause_text, done, fired_at)| Firing {
                    rule_id,
                    rule_name,
                    account_id: AccountId(account),
                    account_name,
                    cause_text,
                    done,
                    fired_at,
                },
            )
            .collect())
    }
}
