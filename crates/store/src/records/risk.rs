//! Portfolio risk (F-23): the at-risk list, revenue up for renewal by health band and by
//! industry exposure, and the churn re-forecast with the leaders' loss rates. The store reads
//! the portfolio; `lodestar_domain::risk` does the arithmetic.

use chrono::NaiveDate;
use lodestar_domain::health::{Band, Exposure};
use lodestar_domain::risk::{
    Forecast, LossRate, LossRates, PortfolioAccount, RenewalWindow, Tally, at_risk, exposure_levels, in_portfolio,
    reforecast, renewals_ahead,
};
use lodestar_domain::{AccountId, Cents, UserId};

use super::health::stored_health;
use super::parse;
use crate::query::Query;
use crate::{Result, Store, StoreError};

/// A red account, with the measure that costs it most.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRiskAccount {
    pub id: AccountId,
    pub name: String,
    pub owner: Option<String>,
    pub arr: Cents,
    pub renewal_date: Option<NaiveDate>,
    pub score: u32,
    /// The measure's label and fact: the first answer to "why is this account red?".
    pub main_drag: Option<(String, String)>,
}

/// Everything the portfolio risk view shows, for one book or the whole portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRisk {
    /// The red accounts with the most ARR, most first.
    pub at_risk: Vec<AtRiskAccount>,
    /// Every red account.
    pub at_risk_total: Tally,
    pub renewals: Vec<RenewalWindow>,
    pub forecast: Forecast,
}

/// How `churn_loss_rates` names an exposure level.
fn exposure_key(exposure: Option<Exposure>) -> &'static str {
    exposure.map_or("not_set", Exposure::as_str)
}

impl Store {
    /// The churn re-forecast's loss rates: the leaders' where set, the defaults elsewhere.
    pub async fn loss_rates(&self) -> Result<LossRates> {
        let rows: Vec<(String, i64)> = Query::sql("SELECT exposure, loss_percent FROM churn_loss_rates")
            .fetch_all_on(self)
            .await?;
        let mut rates = LossRates::default();
        for (key, percent) in rows {
            let exposure = exposure_levels()
                .into_iter()
                .find(|e| exposure_key(*e) == key)
                .ok_or_else(|| StoreError::Corrupt(format!("churn_loss_rates.exposure: {key:?}")))?;
            let rate = u32::try_from(percent)
                .ok()
                .and_then(|p| LossRate::new(p).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("churn_loss_rates.loss_percent: {percent}")))?;
            rates.set(exposure, rate);
        }
        Ok(rates)
    }

    /// Saves every level's loss rate.
    pub async fn set_loss_rates(&self, rates: LossRates) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for exposure in exposure_levels() {
            let percent = i64::from(rates.rate(exposure).percent());
            Query::sql(
                "INSERT INTO churn_loss_rates (exposure, loss_percent) VALUES ($1, $2) \
                 ON CONFLICT (exposure) DO UPDATE SET loss_percent = excluded.loss_percent",
            )
            .bind(exposure_key(exposure))
            .bind(percent)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// The portfolio's risk as of `today` (one CSM's book when `owner` is set): the `limit`
    /// red accounts with the most ARR, renewals ahead and the re-forecast over `horizon_days`.
    pub async fn portfolio_risk(
        &self,
        owner: Option<UserId>,
        today: NaiveDate,
        horizon_days: u32,
        limit: u32,
    ) -> Result<PortfolioRisk> {
        // One CSM's book, or every account.
        let in_book = || {
            owner
                .map(|o| Query::sql("a.owner_id = ").value(o.0))
                .into_iter()
                .collect::<Vec<_>>()
        };
        #[derive(sqlx::FromRow)]
        struct PortfolioRow {
            lifecycle_stage: String,
            arr_cents: i64,
            renewal_date: Option<NaiveDate>,
            band: Option<String>,
            exposure: Option<String>,
        }
        let rows: Vec<PortfolioRow> = Query::sql(
            "SELECT a.lifecycle_stage, a.arr_cents, a.renewal_date, h.band, e.exposure FROM accounts a \
             LEFT JOIN health_scores h ON h.account_id = a.id \
             LEFT JOIN industry_exposures e ON e.industry = a.industry",
        )
        .where_all(in_book())
        .fetch_all_on(self)
        .await?;
        let mut accounts = Vec::new();
        for PortfolioRow {
            lifecycle_stage: stage,
            arr_cents: arr,
            renewal_date,
            band,
            exposure,
        } in rows
        {
            if !in_portfolio(parse("accounts.lifecycle_stage", &stage)?, Cents(arr)) {
                continue;
            }
            accounts.push(PortfolioAccount {
                arr: Cents(arr),
                renewal_date,
                band: band
                    .map(|b| Band::parse(&b).ok_or_else(|| StoreError::Corrupt(format!("health_scores.band: {b:?}"))))
                    .transpose()?,
                exposure: exposure
                    .map(|e| Exposure::parse(&e).map_err(|e| StoreError::Corrupt(format!("industry_exposures: {e}"))))
                    .transpose()?,
            });
        }
        let at_risk_total = at_risk(&accounts);
        #[derive(sqlx::FromRow)]
        struct RedRow {
            id: i64,
            name: String,
            owner: Option<String>,
            arr_cents: i64,
            renewal_date: Option<NaiveDate>,
            score: i64,
            band: String,
            measures: String,
        }
        let mut red = in_book();
        red.push(Query::sql("h.band = 'red'"));
        let rows: Vec<RedRow> = Query::sql(
            "SELECT a.id, a.name, u.name AS owner, a.arr_cents, a.renewal_date, h.score, h.band, n.measures \
             FROM health_scores h JOIN accounts a ON a.id = h.account_id LEFT JOIN users u ON u.id = a.owner_id \
             JOIN health_snapshots n ON n.day = h.day AND n.account_id = h.account_id",
        )
        .where_all(red)
        .push(" ORDER BY a.arr_cents DESC, a.id LIMIT ")
        .value(i64::from(limit.clamp(1, 500)))
        .fetch_all_on(self)
        .await?;
        let at_risk = rows
            .into_iter()
            .map(|r| {
                let health = stored_health(r.score, &r.band, &r.measures)?;
                Ok(AtRiskAccount {
                    id: AccountId(r.id),
                    name: r.name,
                    owner: r.owner,
                    arr: Cents(r.arr_cents),
                    renewal_date: r.renewal_date,
                    score: health.score,
                    main_drag: health.main_drag().map(|m| {
                        let fact = m.reading.as_ref().map(|r| r.fact.clone()).unwrap_or_default();
                        (m.label.clone(), fact)
                    }),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rates = self.loss_rates().await?;
        Ok(PortfolioRisk {
            at_risk,
            at_risk_total,
            renewals: renewals_ahead(&accounts, today),
            forecast: reforecast(&accounts, &rates, today, horizon_days),
        })
    }
}
