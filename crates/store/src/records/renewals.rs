//! Renewals and expansion (F-62): the pipeline of contracts coming up for renewal with the
//! CSM's latest call on each, the calls' history, how each renewal closed, the forecast a period
//! began with held against what happened, and upsell and cross-sell opportunities with their
//! owner routed by the team's policy.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use lodestar_domain::health::Band;
use lodestar_domain::renewal::{
    DueRenewal, ExpansionLine, ForecastReport, OpportunityFields, RenewalCall, RenewalClose, default_route,
    forecast_report,
};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{OpportunityKind, OpportunityStage, RenewalResult, Route, Tier};
use lodestar_domain::{AccountId, Cents, ContractId, OpportunityId, UserId, Valid};

use super::timeline::{TimelineKind, record};
use super::{parse, parse_opt, stored_note};
use crate::query::Query;
use crate::{Result, Store, StoreError, Tx};

/// How long after its end a contract with no result recorded stays on the pipeline: long
/// enough to chase the paperwork of a renewal, not so long that contracts replaced years ago
/// (a renewal booked as a new contract) crowd it.
pub const LAPSED_DAYS: u64 = 90;

/// A call as made: what, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeCall {
    pub call: RenewalCall,
    pub made_by: Option<String>,
    pub made_at: DateTime<Utc>,
}

/// How a renewal closed, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedRenewal {
    pub close: RenewalClose,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A contract coming up for renewal, with the latest call on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub contract_id: ContractId,
    pub contract_external_id: String,
    pub contract_name: Option<String>,
    pub account_id: AccountId,
    pub account_name: String,
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
    pub tier: Option<Tier>,
    pub health: Option<Band>,
    /// The contract's ARR: what is up for renewal.
    pub arr: Cents,
    pub end_date: NaiveDate,
    pub call: Option<MadeCall>,
    pub closed: Option<ClosedRenewal>,
}

/// A renewal with every call made on it, the latest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalDetail {
    pub renewal: Renewal,
    pub calls: Vec<MadeCall>,
}

/// The forecast of a period: renewals due in it, with the report, and expansion expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub renewals: ForecastReport,
    pub expansion: ExpansionLine,
}

/// An upsell or cross-sell opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opportunity {
    pub id: OpportunityId,
    pub account_id: AccountId,
    pub account_name: String,
    pub fields: OpportunityFields,
    pub owner_id: Option<UserId>,
    pub owner: Option<String>,
    /// Why this owner: the policy applied when it was opened.
    pub routed: String,
    pub closed_on: Option<NaiveDate>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Which opportunities a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpportunityFilter {
    pub account: Option<AccountId>,
    pub owner: Option<UserId>,
    pub kind: Option<OpportunityKind>,
    pub stage: Option<OpportunityStage>,
    /// Only those not won or lost.
    pub open_only: bool,
}

const SELECT_RENEWALS: &str = "SELECT c.id, c.external_id, c.name, a.id, a.name, a.owner_id, u.name, a.tier, h.band, \
     c.arr_cents, c.end_date \
     FROM contracts c JOIN accounts a ON a.id = c.account_id LEFT JOIN users u ON u.id = a.owner_id \
     LEFT JOIN health_scores h ON h.account_id = a.id LEFT JOIN renewal_results r ON r.contract_id = c.id";

type RenewalRow = (
    i64,
    String,
    Option<String>,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    NaiveDate,
);

fn renewal_of(row: RenewalRow) -> Result<Renewal> {
    let (id, external, name, account, account_name, owner_id, owner, tier, band, arr, end_date) = row;
    Ok(Renewal {
        contract_id: ContractId(id),
        contract_external_id: external,
        contract_name: name,
        account_id: AccountId(account),
        account_name,
        owner_id: owner_id.map(UserId),
        owner,
        tier: parse_opt("accounts.tier", tier)?,
        health: band.as_deref().and_then(Band::parse),
        arr: Cents(arr),
        end_date,
        call: None,
        closed: None,
    })
}

/// How `contracts`' renewals closed, for those that did.
async fn results_of(tx: &mut Tx, contracts: &[i64]) -> Result<HashMap<i64, ClosedRenewal>> {
    let mut out = HashMap::new();
    for chunk in contracts.chunks(500) {
        let rows: Vec<(i64, String, i64, NaiveDate, String, Option<String>, DateTime<Utc>)> = Query::sql(
            "SELECT r.contract_id, r.result, r.renewed_arr_cents, r.decided_on, r.note, u.name, r.recorded_at \
             FROM renewal_results r LEFT JOIN users u ON u.id = r.recorded_by WHERE r.contract_id IN (",
        )
        .list(chunk.iter().copied())
        .push(")")
        .fetch_all(tx)
        .await?;
        for (contract, result, renewed, decided_on, note, recorded_by, recorded_at) in rows {
            out.insert(
                contract,
                ClosedRenewal {
                    close: RenewalClose {
                        result: parse("renewal_results.result", &result)?,
                        renewed_arr: Cents(renewed),
                        decided_on,
                        note: stored_note("renewal_results.note", &note)?,
                    },
                    recorded_by,
                    recorded_at,
                },
            );
        }
    }
    Ok(out)
}

/// Every call on `contracts`, the latest first.
async fn calls_of(tx: &mut Tx, contracts: &[i64]) -> Result<HashMap<i64, Vec<MadeCall>>> {
    let mut out: HashMap<i64, Vec<MadeCall>> = HashMap::new();
    for chunk in contracts.chunks(500) {
        let rows: Vec<(i64, String, String, i64, String, Option<String>, DateTime<Utc>)> = Query::sql(
            "SELECT k.contract_id, k.outlook, k.category, k.forecast_arr_cents, k.note, u.name, k.made_at \
             FROM renewal_calls k LEFT JOIN users u ON u.id = k.made_by WHERE k.contract_id IN (",
        )
        .list(chunk.iter().copied())
        .push(") ORDER BY k.made_at DESC, k.id DESC")
        .fetch_all(tx)
        .await?;
        for (contract, outlook, category, arr, note, made_by, made_at) in rows {
            out.entry(contract).or_default().push(MadeCall {
                call: RenewalCall {
                    outlook: parse("renewal_calls.outlook", &outlook)?,
                    category: parse("renewal_calls.category", &category)?,
                    forecast_arr: Cents(arr),
                    note: stored_note("renewal_calls.note", &note)?,
                },
                made_by,
                made_at,
            });
        }
    }
    Ok(out)
}

async fn renewals_where(tx: &mut Tx, conditions: Vec<Query>) -> Result<Vec<Renewal>> {
    let rows: Vec<RenewalRow> = Query::sql(SELECT_RENEWALS)
        .where_all(conditions)
        .push(" ORDER BY c.end_date, c.arr_cents DESC, c.id")
        .fetch_all(tx)
        .await?;
    let mut renewals = rows.into_iter().map(renewal_of).collect::<Result<Vec<_>>>()?;
    let ids: Vec<i64> = renewals.iter().map(|r| r.contract_id.0).collect();
    let mut calls = calls_of(tx, &ids).await?;
    let mut results = results_of(tx, &ids).await?;
    for r in &mut renewals {
        r.call = calls
            .get_mut(&r.contract_id.0)
            .and_then(|c| (!c.is_empty()).then(|| c.remove(0)));
        r.closed = results.remove(&r.contract_id.0);
    }
    Ok(renewals)
}

async fn renewal_in(tx: &mut Tx, contract: ContractId) -> Result<RenewalDetail> {
    let mut found = renewals_where(tx, vec![Query::sql("c.id = ").value(contract.0)]).await?;
    let renewal = found.pop().ok_or(StoreError::NotFound {
        what: "contract",
        key: contract.to_string(),
    })?;
    let calls = calls_of(tx, &[contract.0])
        .await?
        .remove(&contract.0)
        .unwrap_or_default();
    Ok(RenewalDetail { renewal, calls })
}

fn refuse_closed(detail: &RenewalDetail) -> Result<()> {
    match &detail.renewal.closed {
        Some(closed) => Err(StoreError::Conflict(format!(
            "the renewal of contract {} closed on {} ({}): it is on the record as it closed",
            detail.renewal.contract_external_id,
            closed.close.decided_on,
            closed.close.result.label()
        ))),
        None => Ok(()),
    }
}

/// The owner a new opportunity of `kind` on `account` is routed to, and why.
async fn route_in(tx: &mut Tx, account: AccountId, kind: OpportunityKind) -> Result<(Option<UserId>, String)> {
    let route = routes_in(tx)
        .await?
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| default_route(kind), |(_, r)| r);
    let people: Option<(Option<i64>, Option<i64>)> = Query::sql("SELECT owner_id, ae_id FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(tx)
        .await?;
    let (csm, ae) = people.ok_or(StoreError::NotFound {
        what: "account",
        key: account.to_string(),
    })?;
    let why = format!("{} → {}", kind.label(), route.label().to_lowercase());
    let chosen = match route {
        Route::Csm => csm,
        Route::Ae => ae,
    };
    Ok(match (chosen, route, csm) {
        (Some(user), ..) => (Some(UserId(user)), why),
        (None, Route::Ae, Some(csm)) => (Some(UserId(csm)), format!("{why}; the account has no AE, so its CSM")),
        _ => (None, format!("{why}; the account has none: assign one")),
    })
}

async fn routes_in(tx: &mut Tx) -> Result<Vec<(OpportunityKind, Route)>> {
    let rows: Vec<(String, String)> = Query::sql("SELECT kind, route FROM opportunity_routes")
        .fetch_all(tx)
        .await?;
    let mut set = HashMap::new();
    for (kind, route) in rows {
        set.insert(
            parse::<OpportunityKind>("opportunity_routes.kind", &kind)?,
            parse::<Route>("opportunity_routes.route", &route)?,
        );
    }
    Ok(OpportunityKind::ALL
        .iter()
        .map(|k| (*k, set.get(k).copied().unwrap_or_else(|| default_route(*k))))
        .collect())
}

const SELECT_OPPORTUNITIES: &str = "SELECT o.id, o.account_id, a.name, o.kind, o.title, o.amount_cents, o.expected_close, \
     o.stage, o.note, o.owner_id, u.name, o.routed, o.closed_on, cb.name, o.created_at \
     FROM opportunities o JOIN accounts a ON a.id = o.account_id LEFT JOIN users u ON u.id = o.owner_id \
     LEFT JOIN users cb ON cb.id = o.created_by";

type OpportunityRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    NaiveDate,
    String,
    String,
    Option<i64>,
    Option<String>,
    String,
    Option<NaiveDate>,
    Option<String>,
    DateTime<Utc>,
);

fn opportunity_of(row: OpportunityRow) -> Result<Opportunity> {
    let (
        id,
        account,
        account_name,
        kind,
        title,
        amount,
        close,
        stage,
        note,
        owner_id,
        owner,
        routed,
        closed_on,
        by,
        at,
    ) = row;
    Ok(Opportunity {
        id: OpportunityId(id),
        account_id: AccountId(account),
        account_name,
        fields: OpportunityFields {
            kind: parse("opportunities.kind", &kind)?,
            title: Name::parse(&title).map_err(|e| StoreError::Corrupt(format!("opportunities.title: {e}")))?,
            amount: Cents(amount),
            expected_close: close,
            stage: parse("opportunities.stage", &stage)?,
            note: stored_note("opportunities.note", &note)?,
        },
        owner_id: owner_id.map(UserId),
        owner,
        routed,
        closed_on,
        created_by: by,
        created_at: at,
    })
}

fn opportunity_conditions(filter: &OpportunityFilter) -> Vec<Query> {
    let mut conditions = Vec::new();
    if let Some(a) = filter.account {
        conditions.push(Query::sql("o.account_id = ").value(a));
    }
    if let Some(o) = filter.owner {
        conditions.push(Query::sql("o.owner_id = ").value(o));
    }
    if let Some(k) = filter.kind {
        conditions.push(Query::sql("o.kind = ").value(k.as_str()));
    }
    if let Some(s) = filter.stage {
        conditions.push(Query::sql("o.stage = ").value(s.as_str()));
    }
    if filter.open_only {
        conditions.push(Query::sql("o.stage NOT IN ('won', 'lost')"));
    }
    conditions
}

async fn opportunity_in(tx: &mut Tx, id: OpportunityId) -> Result<Opportunity> {
    let row: Option<OpportunityRow> = Query::sql(SELECT_OPPORTUNITIES)
        .push(" WHERE o.id = ")
        .value(id.0)
        .fetch_optional(tx)
        .await?;
    row.map(opportunity_of).transpose()?.ok_or(StoreError::NotFound {
        what: "opportunity",
        key: id.to_string(),
    })
}

/// What the timeline says of an opportunity closing.
fn closed_text(o: &OpportunityFields) -> String {
    format!(
        "Expansion {} ({}): {}, {} ARR",
        o.stage.label().to_lowercase(),
        o.kind.label(),
        o.title,
        o.amount.whole_dollars()
    )
}

impl Store {
    /// Contracts ending within `within_days` of `today` whose renewal has not closed, and those
    /// that ended in the last [`LAPSED_DAYS`] with no result recorded (so none slips by
    /// unrecorded), the soonest first. `owner`: one CSM's book.
    pub async fn renewal_pipeline(
        &self,
        owner: Option<UserId>,
        today: NaiveDate,
        within_days: u32,
    ) -> Result<Vec<Renewal>> {
        let mut tx = self.begin_snapshot().await?;
        let mut conditions = vec![
            Query::sql("r.contract_id IS NULL"),
            Query::sql("c.arr_cents > 0"),
            Query::sql("a.lifecycle_stage <> 'churned'"),
            Query::sql("c.end_date >= ").value(today - chrono::Days::new(LAPSED_DAYS)),
            Query::sql("c.end_date <= ").value(today + chrono::Days::new(u64::from(within_days))),
        ];
        if let Some(o) = owner {
            conditions.push(Query::sql("a.owner_id = ").value(o));
        }
        renewals_where(&mut tx, conditions).await
    }

    /// A contract's renewal with every call made on it.
    pub async fn renewal(&self, contract: ContractId) -> Result<RenewalDetail> {
        let mut tx = self.begin_snapshot().await?;
        renewal_in(&mut tx, contract).await
    }

    /// Records the CSM's call on a renewal; the calls before it stay in its history. Refused
    /// once the renewal closed.
    pub async fn call_renewal(
        &self,
        contract: ContractId,
        call: Valid<RenewalCall>,
        by: Option<UserId>,
    ) -> Result<RenewalDetail> {
        let call = call.into_inner();
        let mut tx = self.begin_write().await?;
        let before = renewal_in(&mut tx, contract).await?;
        refuse_closed(&before)?;
        Query::sql(
            "INSERT INTO renewal_calls (contract_id, account_id, outlook, category, forecast_arr_cents, note, made_by, made_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(contract.0)
        .bind(before.renewal.account_id)
        .bind(call.outlook.as_str())
        .bind(call.category.as_str())
        .bind(call.forecast_arr.0)
        .bind(call.note.as_str())
        .bind(by)
        .bind(tx.now())
        .execute(&mut tx)
        .await?;
        let after = renewal_in(&mut tx, contract).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Records how a renewal closed, on the account's timeline too. Once only.
    pub async fn close_renewal(
        &self,
        contract: ContractId,
        close: Valid<RenewalClose>,
        by: Option<UserId>,
    ) -> Result<RenewalDetail> {
        let close = close.into_inner();
        let mut tx = self.begin_write().await?;
        let before = renewal_in(&mut tx, contract).await?;
        refuse_closed(&before)?;
        let now = tx.now();
        Query::sql(
            "INSERT INTO renewal_results (contract_id, account_id, result, renewed_arr_cents, decided_on, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(contract.0)
        .bind(before.renewal.account_id)
        .bind(close.result.as_str())
        .bind(close.renewed_arr.0)
        .bind(close.decided_on)
        .bind(close.note.as_str())
        .bind(by)
        .bind(now)
        .execute(&mut tx)
        .await?;
        let r = &before.renewal;
        let text = match close.result {
            RenewalResult::Renewed => format!(
                "Renewal of contract {} closed: renewed at {} ARR (was {})",
                r.contract_external_id,
                close.renewed_arr.whole_dollars(),
                r.arr.whole_dollars()
            ),
            RenewalResult::Churned => format!(
                "Renewal of contract {} closed: churned ({} ARR lost)",
                r.contract_external_id,
                r.arr.whole_dollars()
            ),
        };
        record(&mut tx, r.account_id, now, by, TimelineKind::Renewal, &text).await?;
        let after = renewal_in(&mut tx, contract).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The forecast of `[from, to)`: the renewals due in it, each at the call it carried when
    /// the period began, against how they closed; and the expansion expected to close in it
    /// against what was won or lost. `owner`: one CSM's book.
    pub async fn renewal_forecast(&self, from: NaiveDate, to: NaiveDate, owner: Option<UserId>) -> Result<Forecast> {
        let mut tx = self.begin_snapshot().await?;
        let mut conditions = vec![
            Query::sql("c.end_date >= ").value(from),
            Query::sql("c.end_date < ").value(to),
            Query::sql("c.arr_cents > 0"),
        ];
        if let Some(o) = owner {
            conditions.push(Query::sql("a.owner_id = ").value(o));
        }
        let due = renewals_where(&mut tx, conditions).await?;
        let ids: Vec<i64> = due.iter().map(|r| r.contract_id.0).collect();
        let calls = calls_of(&mut tx, &ids).await?;
        let start = from.and_time(NaiveTime::MIN).and_utc();
        let due: Vec<DueRenewal> = due
            .iter()
            .map(|r| {
                let calls = calls.get(&r.contract_id.0).map(Vec::as_slice).unwrap_or_default();
                let at = |c: &MadeCall| (c.call.category, c.call.forecast_arr);
                DueRenewal {
                    contract_arr: r.arr,
                    called_at_start: calls.iter().find(|c| c.made_at < start).map(at),
                    called_now: calls.first().map(at),
                    closed: r.closed.as_ref().map(|c| (c.close.result, c.close.renewed_arr)),
                }
            })
            .collect();
        let mut expansion = Query::sql(
            "SELECT o.stage, COUNT(*), CAST(SUM(o.amount_cents) AS BIGINT) FROM opportunities o \
             JOIN accounts a ON a.id = o.account_id WHERE ((o.stage IN ('won', 'lost') AND o.closed_on >= ",
        )
        .value(from)
        .push(" AND o.closed_on < ")
        .value(to)
        .push(") OR (o.stage NOT IN ('won', 'lost') AND o.expected_close >= ")
        .value(from)
        .push(" AND o.expected_close < ")
        .value(to)
        .push("))");
        if let Some(o) = owner {
            expansion = expansion.push(" AND o.owner_id = ").value(o);
        }
        let rows: Vec<(String, i64, i64)> = expansion.push(" GROUP BY o.stage").fetch_all(&mut tx).await?;
        let mut line = ExpansionLine::default();
        for (stage, count, amount) in rows {
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            match parse::<OpportunityStage>("opportunities.stage", &stage)? {
                OpportunityStage::Won => (line.won, line.won_amount) = (count, Cents(amount)),
                OpportunityStage::Lost => (line.lost, line.lost_amount) = (count, Cents(amount)),
                _ => {
                    line.open += count;
                    line.open_amount.0 += amount;
                }
            }
        }
        Ok(Forecast {
            from,
            to,
            renewals: forecast_report(&due),
            expansion: line,
        })
    }

    /// Who works each kind of expansion: the team's policy, the seed's default where unset.
    pub async fn opportunity_routes(&self) -> Result<Vec<(OpportunityKind, Route)>> {
        let mut tx = self.begin_snapshot().await?;
        routes_in(&mut tx).await
    }

    /// Sets who works one kind of expansion from now on (opportunities already open keep
    /// their owner); returns the whole policy.
    pub async fn set_opportunity_route(
        &self,
        kind: OpportunityKind,
        route: Route,
    ) -> Result<Vec<(OpportunityKind, Route)>> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        Query::sql("DELETE FROM opportunity_routes WHERE kind = $1")
            .bind(kind.as_str())
            .execute(&mut tx)
            .await?;
        Query::sql("INSERT INTO opportunity_routes (kind, route, updated_at) VALUES ($1, $2, $3)")
            .bind(kind.as_str())
            .bind(route.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
        let routes = routes_in(&mut tx).await?;
        tx.commit().await?;
        Ok(routes)
    }

    /// Opens an opportunity on `account`, its owner routed by kind.
    pub async fn create_opportunity(
        &self,
        account: AccountId,
        fields: Valid<OpportunityFields>,
        by: Option<UserId>,
    ) -> Result<Opportunity> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let (owner, routed) = route_in(&mut tx, account, fields.kind).await?;
        let now = tx.now();
        let closed_on = fields.stage.is_closed().then(|| tx.today());
        let id: i64 = Query::sql(
            "INSERT INTO opportunities (account_id, kind, title, amount_cents, expected_close, stage, closed_on, note, \
             owner_id, routed, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(account)
        .bind(fields.kind.as_str())
        .bind(fields.title.as_str())
        .bind(fields.amount.0)
        .bind(fields.expected_close)
        .bind(fields.stage.as_str())
        .bind(closed_on)
        .bind(fields.note.as_str())
        .bind(owner)
        .bind(routed.as_str())
        .bind(by)
        .bind(now)
        .scalar_one(&mut tx)
        .await?;
        let text = format!(
            "Expansion opportunity opened ({}): {}, {} ARR, expected by {}; {}",
            fields.kind.label(),
            fields.title,
            fields.amount.whole_dollars(),
            fields.expected_close,
            routed
        );
        record(&mut tx, account, now, by, TimelineKind::Renewal, &text).await?;
        if fields.stage.is_closed() {
            record(&mut tx, account, now, by, TimelineKind::Renewal, &closed_text(&fields)).await?;
        }
        let opportunity = opportunity_in(&mut tx, OpportunityId(id)).await?;
        tx.commit().await?;
        Ok(opportunity)
    }

    /// Changes an opportunity; moving it to won or lost dates its close (and the timeline
    /// says so), reopening it clears that.
    pub async fn update_opportunity(
        &self,
        id: OpportunityId,
        fields: Valid<OpportunityFields>,
        by: Option<UserId>,
    ) -> Result<Opportunity> {
        let fields = fields.into_inner();
        let mut tx = self.begin_write().await?;
        let before = opportunity_in(&mut tx, id).await?;
        let now = tx.now();
        let closed_on = match (before.closed_on, fields.stage.is_closed()) {
            (Some(on), true) if before.fields.stage == fields.stage => Some(on),
            (_, true) => Some(tx.today()),
            (_, false) => None,
        };
        Query::sql(
            "UPDATE opportunities SET kind = $1, title = $2, amount_cents = $3, expected_close = $4, stage = $5, \
             closed_on = $6, note = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(fields.kind.as_str())
        .bind(fields.title.as_str())
        .bind(fields.amount.0)
        .bind(fields.expected_close)
        .bind(fields.stage.as_str())
        .bind(closed_on)
        .bind(fields.note.as_str())
        .bind(now)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        if fields.stage.is_closed() && fields.stage != before.fields.stage {
            record(
                &mut tx,
                before.account_id,
                now,
                by,
                TimelineKind::Renewal,
                &closed_text(&fields),
            )
            .await?;
        }
        let after = opportunity_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn opportunity(&self, id: OpportunityId) -> Result<Opportunity> {
        let mut tx = self.begin_snapshot().await?;
        opportunity_in(&mut tx, id).await
    }

    /// Opportunities meeting `filter`, the soonest expected close first, and how many there
    /// are in all.
    pub async fn opportunities(
        &self,
        filter: &OpportunityFilter,
        limit: u32,
        offset: u32,
    ) -> Result<(i64, Vec<Opportunity>)> {
        let mut tx = self.begin_snapshot().await?;
        let total: i64 = Query::sql("SELECT COUNT(*) FROM opportunities o")
            .where_all(opportunity_conditions(filter))
            .scalar_one(&mut tx)
            .await?;
        let rows: Vec<OpportunityRow> = Query::sql(SELECT_OPPORTUNITIES)
            .where_all(opportunity_conditions(filter))
            .push(" ORDER BY o.expected_close, o.amount_cents DESC, o.id LIMIT ")
            .value(i64::from(limit))
            .push(" OFFSET ")
            .value(i64::from(offset))
            .fetch_all(&mut tx)
            .await?;
        Ok((total, rows.into_iter().map(opportunity_of).collect::<Result<_>>()?))
    }
}
