//! Contracts and their history.

use chrono::NaiveDate;
use lodestar_domain::contract::{ArrHistory, Contract, ContractFields, Currency, LineItem};
use lodestar_domain::text::{ExternalId, Name};
use lodestar_domain::vocabulary::{ChangeKind, GrowthPotential};
use lodestar_domain::{AccountId, Cents, ContractId};
use rand::Rng;

use super::{Generator, as_dollars, days_after, days_before, dollars, months_after, normal, pick};

/// About one account in eight that is old enough to have renewed churns at some anniversary;
/// with the newer accounts that cannot churn yet, about 10 % of all accounts are churned.
const CHURN_AT_SOME_RENEWAL: f64 = 0.12;
/// Accounts signed within the last year.
const NEW_LOGO_SHARE: f64 = 0.18;
/// A term ends at the latest this many months after today (multi-year terms).
const MAX_MONTHS_TO_RENEWAL: u32 = 18;

/// The main contract's calendar: when it started, renewed, and ended or will renew.
pub(super) struct Schedule {
    pub(super) start: NaiveDate,
    /// Anniversaries on which it renewed (all on or before today).
    pub(super) renewals: Vec<NaiveDate>,
    pub(super) churned_on: Option<NaiveDate>,
    /// Renewal date of the current term, or the churn date.
    pub(super) end_date: NaiveDate,
}

impl Schedule {
    pub(super) fn draw(rng: &mut impl Rng, today: NaiveDate) -> Schedule {
        let days_back = if rng.random_bool(NEW_LOGO_SHARE) {
            rng.random_range(7..365)
        } else {
            rng.random_range(365..1096)
        };
        let start = days_before(today, days_back);
        let mut renewals: Vec<NaiveDate> = (1..)
            .map(|year| months_after(start, 12 * year))
            .take_while(|d| *d <= today)
            .collect();
        let years = renewals.len() as u32;
        if years > 0 && rng.random_bool(CHURN_AT_SOME_RENEWAL) {
            let at = rng.random_range(0..renewals.len());
            let churned_on = renewals[at];
            renewals.truncate(at);
            return Schedule {
                start,
                renewals,
                churned_on: Some(churned_on),
                end_date: churned_on,
            };
        }
        // Annual terms renew on the next anniversary, within 12 months. A few customers signed
        // two-year terms; keep those whose renewal still falls within 18 months.
        let next = months_after(start, 12 * (years + 1));
        let after_next = months_after(start, 12 * (years + 2));
        let limit = months_after(today, MAX_MONTHS_TO_RENEWAL);
        let end_date = if rng.random_bool(0.15) && after_next <= limit {
            after_next
        } else {
            next
        };
        Schedule {
            start,
            renewals,
            churned_on: None,
            end_date,
        }
    }
}

/// Chance per contract year of an upsell, by growth potential.
fn expansion_chance(growth: GrowthPotential) -> f64 {
    match growth {
        GrowthPotential::Low => 0.10,
        GrowthPotential::Medium => 0.28,
        GrowthPotential::High => 0.50,
    }
}

fn contraction_chance(growth: GrowthPotential) -> f64 {
    match growth {
        GrowthPotential::Low => 0.15,
        GrowthPotential::Medium | GrowthPotential::High => 0.07,
    }
}

/// Plays a contract forward from `start`: renewals on the given dates, upsells and downsells
/// in between (never after today), and churn on `churned_on`.
fn play_history(
    rng: &mut impl Rng,
    start: NaiveDate,
    first_arr: Cents,
    renewals: &[NaiveDate],
    churned_on: Option<NaiveDate>,
    today: NaiveDate,
    growth: GrowthPotential,
) -> ArrHistory {
    let mut history = ArrHistory::default();
    history
        .record(start, ChangeKind::New, first_arr)
        .expect("first ARR is positive");
    let horizon = churned_on.unwrap_or_else(|| days_after(today, 1));
    let mut term_start = start;
    for &boundary in renewals.iter().chain(std::iter::once(&horizon)) {
        mid_term_changes(rng, &mut history, term_start, boundary, growth);
        if boundary == horizon {
            break;
        }
        // Most renewals keep the price; some carry a 3–7 % uplift.
        let before = as_dollars(history.current());
        let uplift = if rng.random_bool(0.3) {
            rng.random_range(1.03..1.07)
        } else {
            1.0
        };
        history
            .record(boundary, ChangeKind::Renewal, dollars(before * uplift))
            .expect("renewal keeps ARR positive");
        term_start = boundary;
    }
    if let Some(day) = churned_on {
        history
            .record(day, ChangeKind::Churn, Cents::ZERO)
            .expect("churn follows the last change");
    }
    history
}

/// Upsells and downsells strictly inside the term `[from, until)`.
fn mid_term_changes(
    rng: &mut impl Rng,
    history: &mut ArrHistory,
    from: NaiveDate,
    until: NaiveDate,
    growth: GrowthPotential,
) {
    let length = (until - from).num_days();
    if length < 45 {
        return;
    }
    let mut events: Vec<(NaiveDate, ChangeKind)> = Vec::new();
    for (kind, chance) in [
        (ChangeKind::Expansion, expansion_chance(growth)),
        (ChangeKind::Contraction, contraction_chance(growth)),
    ] {
        if rng.random_bool(chance) {
            let day = days_after(from, rng.random_range(15..length - 15) as u64);
            events.push((day, kind));
        }
    }
    events.sort();
    for (date, kind) in events {
        let before = history.current();
        let after = match kind {
            ChangeKind::Expansion => {
                let factor = rng.random_range(1.1..1.7);
                dollars(as_dollars(before) * factor).max(Cents(before.0 + 100))
            }
            // Contracts under $2,000 are not worth downselling further.
            _ if before.0 < 200_000 => continue,
            _ => dollars(as_dollars(before) * rng.random_range(0.6..0.92)),
        };
        history
            .record(date, kind, after)
            .expect("changes move ARR in their direction");
    }
}

/// Products on a contract whose yearly amounts add up to about `arr`.
fn line_items<R: Rng>(rng: &mut R, arr: Cents, add_on: bool) -> Vec<LineItem> {
    let arr = as_dollars(arr);
    // Bigger customers negotiate bigger discounts.
    let max_discount_steps = if arr > 100_000.0 {
        7
    } else if arr > 20_000.0 {
        4
    } else {
        2
    };
    let discount = |rng: &mut R| 500 * rng.random_range(0..=max_discount_steps) as u16;
    let net = |bp: u16| 1.0 - f64::from(bp) / 10_000.0;
    let fixed = |product: &str, amount: f64, bp: u16| LineItem {
        product: Name::parse(product).expect("product names are valid"),
        quantity: 1,
        unit_price: dollars(amount / net(bp)),
        discount_bp: bp,
    };
    let items = if add_on {
        let product = pick(rng, &["Analytics add-on", "Sandbox environments", "API access"]);
        vec![fixed(product, arr, discount(rng))]
    } else {
        let extras = match rng.random_range(0..10) {
            0..4 => 0,
            4..8 => 1,
            _ => 2,
        };
        let seats_share = if extras == 0 { 1.0 } else { rng.random_range(0.6..0.85) };
        // A seat price the budget can buy at least a handful of.
        let price = [600.0, 480.0, 360.0, 240.0, 120.0]
            .into_iter()
            .find(|p| p * 5.0 <= arr * seats_share)
            .unwrap_or(120.0);
        let bp = discount(rng);
        let seats = ((arr * seats_share) / (price * net(bp))).round().max(1.0) as u32;
        let mut items = vec![LineItem {
            product: Name::parse("Platform seats").expect("valid"),
            quantity: seats,
            unit_price: dollars(price),
            discount_bp: bp,
        }];
        let rest = arr * (1.0 - seats_share);
        match extras {
            1 => items.push(fixed("Premium support", rest, discount(rng))),
            2 => {
                items.push(fixed("Premium support", rest * 0.5, discount(rng)));
                items.push(fixed("Training credits", rest * 0.5, 0));
            }
            _ => {}
        }
        items
    };
    items
        .into_iter()
        .map(|i| i.validate().expect("generated items are valid").into_inner())
        .collect()
}

/// ARR the contract had while it was live: the current one, or the one just before churn.
pub(super) fn live_arr(history: &ArrHistory) -> Cents {
    match history.changes().last() {
        Some(last) if last.kind == ChangeKind::Churn => last.arr_before,
        Some(last) => last.arr_after,
        None => Cents::ZERO,
    }
}

impl Generator {
    /// The main contract and sometimes an add-on co-termed with it; returns their histories.
    pub(super) fn contracts_for(
        &mut self,
        account: AccountId,
        s: &Schedule,
        growth: GrowthPotential,
    ) -> Vec<ArrHistory> {
        let today = self.today;
        // Lognormal first-year ARR: median about $14k, a long tail up to a few million.
        let first = (14_000f64.ln() + 1.45 * normal(&mut self.rng))
            .exp()
            .clamp(1_500.0, 3_000_000.0);
        let main = play_history(
            &mut self.rng,
            s.start,
            dollars(first),
            &s.renewals,
            s.churned_on,
            today,
            growth,
        );
        let mut histories = vec![main.clone()];
        self.push_contract(account, "Platform subscription", s.start, s.end_date, main, false);

        // Bigger customers buy add-ons more often, some time after they started.
        let buys_add_on = self.rng.random_bool(if first >= 50_000.0 { 0.4 } else { 0.15 });
        let earliest = days_after(s.start, 60);
        let latest = days_before(s.churned_on.unwrap_or(today), 14);
        if buys_add_on && earliest < latest {
            let start = days_after(
                earliest,
                self.rng.random_range(0..(latest - earliest).num_days()) as u64,
            );
            let mut renewals: Vec<NaiveDate> = s.renewals.iter().copied().filter(|d| *d > start).collect();
            let mut churned_on = s.churned_on;
            let mut end_date = s.end_date;
            // Some add-ons are dropped at a renewal while the main contract carries on.
            if churned_on.is_none() && !renewals.is_empty() && self.rng.random_bool(0.12) {
                let at = self.rng.random_range(0..renewals.len());
                churned_on = Some(renewals[at]);
                end_date = renewals[at];
                renewals.truncate(at);
            }
            let arr = dollars(first * self.rng.random_range(0.1..0.4));
            let add_on = play_history(&mut self.rng, start, arr, &renewals, churned_on, today, growth);
            histories.push(add_on.clone());
            self.push_contract(account, "Add-on subscription", start, end_date, add_on, true);
        }
        histories
    }

    fn push_contract(
        &mut self,
        account: AccountId,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
        history: ArrHistory,
        add_on: bool,
    ) {
        self.contracts_made += 1;
        let id = self.contracts_made;
        let fields = ContractFields {
            external_id: ExternalId::parse(&format!("CTR-{id:06}")).expect("valid"),
            account_id: account,
            name: Some(Name::parse(name).expect("valid")),
            start_date: start,
            end_date: end,
            currency: Currency::USD,
        };
        let line_items = line_items(&mut self.rng, live_arr(&history), add_on);
        self.contracts.push(Contract {
            id: ContractId(id),
            fields: fields.validate().expect("terms end after they start").into_inner(),
            arr: history.current(),
            line_items,
            changes: history,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::testing::{account_arr, demo, today};
    use chrono::{Days, Months};
    use std::cmp::Reverse;

    #[test]
    fn arr_is_heavy_tailed() {
        let data = demo(500, 3);
        let mut arr: Vec<i64> = account_arr(&data).into_values().collect();
        arr.sort_by_key(|a| Reverse(*a));
        let total: i64 = arr.iter().sum();
        let top: i64 = arr[..arr.len() / 5].iter().sum();
        assert!(top as f64 > 0.6 * total as f64, "top 20% hold {top} of {total}");
    }

    #[test]
    fn active_contracts_renew_within_18_months() {
        let data = demo(500, 8);
        let limit = today().checked_add_months(Months::new(18)).unwrap();
        let year = today().checked_add_months(Months::new(12)).unwrap();
        let active: Vec<&Contract> = data.contracts.iter().filter(|c| !c.changes.is_churned()).collect();
        for c in &active {
            assert!(
                c.fields.end_date > today() && c.fields.end_date <= limit,
                "{:?}",
                c.fields
            );
        }
        assert!(active.iter().any(|c| c.fields.end_date > year), "some multi-year terms");
        for c in data.contracts.iter().filter(|c| c.changes.is_churned()) {
            assert_eq!(c.fields.end_date, c.changes.changes().last().unwrap().effective_date);
        }
        // Starts spread over the last three years, with some new logos this year.
        let oldest = data.contracts.iter().map(|c| c.fields.start_date).min().unwrap();
        assert!(oldest < today() - Days::new(2 * 365));
        assert!(
            data.contracts
                .iter()
                .any(|c| c.fields.start_date > today() - Days::new(365))
        );
        assert!(
            data.contracts
                .iter()
                .flat_map(|c| c.changes.changes())
                .all(|ch| ch.effective_date <= today())
        );
    }

    #[test]
    fn history_has_expansions_contractions_and_churn() {
        let data = demo(200, 9);
        let kinds: Vec<ChangeKind> = data
            .contracts
            .iter()
            .flat_map(|c| c.changes.changes())
            .map(|c| c.kind)
            .collect();
        for kind in [
            ChangeKind::Expansion,
            ChangeKind::Contraction,
            ChangeKind::Churn,
            ChangeKind::Renewal,
        ] {
            assert!(kinds.contains(&kind), "no {kind}");
        }
        // Histories are valid stories: rebuilding them re-checks every rule.
        for c in &data.contracts {
            let changes = c
                .changes
                .changes()
                .iter()
                .map(|ch| (ch.effective_date, ch.kind, ch.arr_after));
            assert_eq!(ArrHistory::from_changes(changes).unwrap(), c.changes);
            assert_eq!(c.changes.changes()[0].effective_date, c.fields.start_date);
        }
    }

    #[test]
    fn line_items_roughly_add_up_to_arr() {
        let data = demo(300, 10);
        for c in &data.contracts {
            assert!((1..=3).contains(&c.line_items.len()));
            let sum: i64 = c.line_items.iter().map(|i| i.annual_amount().0).sum();
            let arr = live_arr(&c.changes).0;
            let off = (sum - arr).abs() as f64 / arr as f64;
            assert!(off < 0.15, "items {sum} vs ARR {arr}");
        }
    }
}
