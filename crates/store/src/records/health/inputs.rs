//! The score's inputs that only people give (seed 004, "pandemic"; seed 001, play 1): the
//! CSM's pulse, the account's problem severity, each industry's exposure and each segment's
//! price threshold. Every write rescores the accounts it concerns.

use chrono::{DateTime, Utc};
use lodestar_domain::health::{Exposure, PulseLevel, Severity};
use lodestar_domain::vocabulary::Tier;
use lodestar_domain::{AccountId, Cents, Invalid, PulseId, UserId};

use super::stored_level;
use crate::query::Query;
use crate::records::parse;
use crate::records::timeline::{TimelineKind, record};
use crate::{Result, Store, StoreError, Tx};

/// The longest reason or note kept.
const MAX_NOTE_CHARS: usize = 2000;

fn note(field: &'static str, text: &str, required: bool) -> Result<String> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(Invalid::field(field, "is required: say why").into());
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Invalid::field(field, format!("is longer than {MAX_NOTE_CHARS} characters")).into());
    }
    Ok(text.to_owned())
}

async fn ensure_account(tx: &mut Tx, account: AccountId) -> Result<()> {
    let found: Option<(i64,)> = Query::sql("SELECT id FROM accounts WHERE id = $1")
        .bind(account.0)
        .fetch_optional(tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulse {
    pub id: PulseId,
    pub level: PulseLevel,
    pub reason: String,
    /// Who recorded it, by name.
    pub author: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub note: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryExposure {
    pub industry: String,
    /// `None`: not set, so the measure has no data for these accounts.
    pub exposure: Option<Exposure>,
    /// Accounts in the industry.
    pub accounts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceThreshold {
    pub tier: Tier,
    pub min_arr: Option<Cents>,
}

/// The account's current problem, if one is recorded.
pub(crate) async fn problem_in(tx: &mut Tx, account: AccountId) -> Result<Option<Problem>> {
    let row: Option<(i64, String, DateTime<Utc>)> =
        Query::sql("SELECT severity, note, updated_at FROM account_problems WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(tx)
            .await?;
    row.map(|(severity, note, updated_at)| {
        Ok(Problem {
            severity: stored_level("account_problems.severity", severity, Severity::new)?,
            note,
            updated_at,
        })
    })
    .transpose()
}

impl Store {
    /// Records the CSM's pulse on an account, tells its timeline, and rescores it.
    pub async fn record_pulse(
        &self,
        account: AccountId,
        level: PulseLevel,
        reason: &str,
        author: Option<UserId>,
    ) -> Result<Pulse> {
        let reason = note("reason", reason, true)?;
        let mut tx = self.begin_write().await?;
        ensure_account(&mut tx, account).await?;
        let at = tx.now();
        let (id,): (i64,) = Query::sql(
            "INSERT INTO account_pulses (account_id, level, reason, author_id, recorded_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(account.0)
        .bind(i64::from(level.get()))
        .bind(&reason)
        .bind(author.map(|u| u.0))
        .bind(at)
        .fetch_one(&mut tx)
        .await?;
        let text = format!("Pulse: {} — {reason}", level.label());
        record(&mut tx, account, at, author, TimelineKind::Pulse, &text).await?;
        tx.touch_accounts([account.0]);
        tx.commit().await?;
        let mut pulses = self.pulses(account, 1).await?;
        pulses.retain(|p| p.id.0 == id);
        pulses.pop().ok_or(StoreError::NotFound {
            what: "pulse",
            key: id.to_string(),
        })
    }

    /// The account's pulses, newest first.
    pub async fn pulses(&self, account: AccountId, limit: i64) -> Result<Vec<Pulse>> {
        #[derive(sqlx::FromRow)]
        struct PulseRow {
            id: i64,
            level: i64,
            reason: String,
            author: Option<String>,
            recorded_at: DateTime<Utc>,
        }
        let rows: Vec<PulseRow> = Query::sql(
            "SELECT p.id, p.level, p.reason, u.name AS author, p.recorded_at FROM account_pulses p \
             LEFT JOIN users u ON u.id = p.author_id WHERE p.account_id = $1 ORDER BY p.recorded_at DESC, p.id DESC LIMIT $2",
        )
        .bind(account.0)
        .bind(limit)
        .fetch_all_on(self)
        .await?;
        rows.into_iter()
            .map(
                |PulseRow {
                     id,
                     level,
                     reason,
                     author,
                     recorded_at,
                 }| {
                    Ok(Pulse {
                        id: PulseId(id),
                        level: stored_level("account_pulses.level", level, PulseLevel::new)?,
                        reason,
                        author,
                        recorded_at,
                    })
                },
            )
            .collect()
    }

    /// Sets (or, with `None`, clears) the account's problem severity and rescores it.
    pub async fn set_problem(
        &self,
        account: AccountId,
        severity: Option<Severity>,
        note_text: &str,
        actor: Option<UserId>,
    ) -> Result<()> {
        let note_text = note("note", note_text, false)?;
        let mut tx = self.begin_write().await?;
        ensure_account(&mut tx, account).await?;
        let at = tx.now();
        let text = match severity {
            Some(severity) => {
                Query::sql(
                    "INSERT INTO account_problems (account_id, severity, note, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET severity = excluded.severity, \
                     note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(account.0)
                .bind(i64::from(severity.get()))
                .bind(&note_text)
                .bind(actor.map(|u| u.0))
                .bind(at)
                .execute(&mut tx)
                .await?;
                let mut text = format!("Problem severity: {} – {}", severity.get(), severity.label());
                if !note_text.is_empty() {
                    text.push_str(&format!(" — {note_text}"));
                }
                text
            }
            None => {
                Query::sql("DELETE FROM account_problems WHERE account_id = $1")
                    .bind(account.0)
                    .execute(&mut tx)
                    .await?;
                "Problem severity cleared".to_owned()
            }
        };
        record(&mut tx, account, at, actor, TimelineKind::Edit, &text).await?;
        tx.touch_accounts([account.0]);
        tx.commit().await
    }

    pub async fn problem(&self, account: AccountId) -> Result<Option<Problem>> {
        let mut tx = self.begin_snapshot().await?;
        problem_in(&mut tx, account).await
    }

    /// Every industry the accounts name (and any with an exposure set), with its exposure.
    pub async fn industry_exposures(&self) -> Result<Vec<IndustryExposure>> {
        let rows: Vec<(String, Option<String>, i64)> = Query::sql("SELECT i.industry, e.exposure, (SELECT COUNT(*) FROM accounts a WHERE a.industry = i.industry) FROM \
             (SELECT industry FROM accounts WHERE industry IS NOT NULL UNION SELECT industry FROM industry_exposures) i \
             LEFT JOIN industry_exposures e ON e.industry = i.industry ORDER BY i.industry")
            .fetch_all_on(self)
            .await?;
        rows.into_iter()
            .map(|(industry, exposure, accounts)| {
                let exposure = exposure
                    .map(|e| Exposure::parse(&e).map_err(|e| StoreError::Corrupt(format!("industry_exposures: {e}"))))
                    .transpose()?;
                Ok(IndustryExposure {
                    industry,
                    exposure,
                    accounts,
                })
            })
            .collect()
    }

    /// Sets (or clears) industries' exposure and rescores every account.
    pub async fn set_industry_exposures(&self, settings: &[(String, Option<Exposure>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (industry, exposure) in settings {
            let industry = industry.trim();
            if industry.is_empty() {
                return Err(Invalid::field("industry", "is required").into());
            }
            match exposure {
                Some(e) => {
                    Query::sql(
                        "INSERT INTO industry_exposures (industry, exposure) VALUES ($1, $2) \
                     ON CONFLICT (industry) DO UPDATE SET exposure = excluded.exposure",
                    )
                    .bind(industry)
                    .bind(e.as_str())
                    .execute(&mut tx)
                    .await?
                }
                None => {
                    Query::sql("DELETE FROM industry_exposures WHERE industry = $1")
                        .bind(industry)
                        .execute(&mut tx)
                        .await?
                }
            };
        }
        tx.commit().await?;
        self.rescore_all().await
    }

    /// Every segment (tier) with its price threshold.
    pub async fn price_thresholds(&self) -> Result<Vec<PriceThreshold>> {
        let rows: Vec<(String, i64)> = Query::sql("SELECT tier, min_arr_cents FROM price_thresholds")
            .fetch_all_on(self)
            .await?;
        let mut set = Vec::new();
        for (tier, cents) in rows {
            set.push((parse::<Tier>("price_thresholds.tier", &tier)?, Cents(cents)));
        }
        Ok(Tier::ALL
            .iter()
            .map(|tier| PriceThreshold {
                tier: *tier,
                min_arr: set.iter().find(|(t, _)| t == tier).map(|(_, c)| *c),
            })
            .collect())
    }

    /// Sets (or clears) segments' price thresholds and rescores every account.
    pub async fn set_price_thresholds(&self, settings: &[(Tier, Option<Cents>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (tier, min_arr) in settings {
            match min_arr {
                Some(c) if c.0 <= 0 => {
                    return Err(Invalid::field("min_arr", "must be more than zero").into());
                }
                Some(c) => {
                    Query::sql(
                        "INSERT INTO price_thresholds (tier, min_arr_cents) VALUES ($1, $2) \
                     ON CONFLICT (tier) DO UPDATE SET min_arr_cents = excluded.min_arr_cents",
                    )
                    .bind(tier.as_str())
                    .bind(c.0)
                    .execute(&mut tx)
                    .await?
                }
                None => {
                    Query::sql("DELETE FROM price_thresholds WHERE tier = $1")
                        .bind(tier.as_str())
                        .execute(&mut tx)
                        .await?
                }
            };
        }
        tx.commit().await?;
        self.rescore_all().await
    }
}
