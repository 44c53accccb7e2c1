//! Contracts, their line items and the typed history of ARR changes (F-03). ARR on any date is
//! derived from the history, which is what makes NRR/GRR computable for any period.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Invalid, Rules, Valid};
use crate::money::Cents;
use crate::text::{ExternalId, Name};
use crate::vocabulary::ChangeKind;
use crate::{AccountId, ContractId};

/// An ISO 4217 currency code such as `USD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        match s.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Currency([*a, *b, *c])),
            _ => Err(format!(
                "{input:?} is not a currency code (three letters, e.g. USD or EUR)"
            )),
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("checked ASCII on construction")
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}
impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractFields {
    pub external_id: ExternalId,
    pub account_id: AccountId,
    pub name: Option<Name>,
    pub start_date: NaiveDate,
    /// The renewal date: the last day of the current term is the day before.
    pub end_date: NaiveDate,
    pub currency: Currency,
}

impl ContractFields {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.end_date > self.start_date, "end_date", || {
            format!("{} is not after the start date {}", self.end_date, self.start_date)
        });
        rules.finish(self)
    }
}

/// One product on a contract, priced per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub product: Name,
    pub quantity: u32,
    /// List price per unit per year.
    pub unit_price: Cents,
    /// Discount in basis points (1/100 of a percent): 1500 is 15 %.
    pub discount_bp: u16,
}

impl LineItem {
    pub fn validate(self) -> Result<Valid<Self>, Invalid> {
        let mut rules = Rules::default();
        rules.require(self.quantity > 0, "quantity", || "must be at least 1".into());
        rules.require(self.unit_price.0 >= 0, "unit_price", || "must not be negative".into());
        rules.require(self.discount_bp <= 10_000, "discount_bp", || {
            format!("{} basis points is more than 100 %", self.discount_bp)
        });
        rules.finish(self)
    }

    /// Net amount per year, rounded half up to the cent.
    pub fn annual_amount(&self) -> Cents {
        let gross = i128::from(self.quantity) * i128::from(self.unit_price.0);
        let net = (gross * i128::from(10_000 - self.discount_bp) + 5_000) / 10_000;
        Cents(i64::try_from(net).unwrap_or(i64::MAX))
    }
}

/// A recorded change of a contract's ARR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrChange {
    pub effective_date: NaiveDate,
    pub kind: ChangeKind,
    pub arr_before: Cents,
    pub arr_after: Cents,
}

impl ArrChange {
    pub fn delta(&self) -> Cents {
        Cents(self.arr_after.0 - self.arr_before.0)
    }
}

/// The ordered history of one contract's ARR. Every change is checked against the ones before
/// it, so the history is always a consistent story: it starts with `new`, expansions raise
/// ARR, contractions lower it, churn ends it at zero and nothing follows churn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ArrHistory {
    changes: Vec<ArrChange>,
}

impl ArrHistory {
    /// Rebuilds a history from stored changes, re-checking every rule.
    pub fn from_changes(changes: impl IntoIterator<Item = (NaiveDate, ChangeKind, Cents)>) -> Result<Self, Invalid> {
        let mut history = Self::default();
        for (date, kind, arr_after) in changes {
            history.record(date, kind, arr_after)?;
        }
        Ok(history)
    }

    pub fn changes(&self) -> &[ArrChange] {
        &self.changes
    }

    /// ARR after the last change.
    pub fn current(&self) -> Cents {
        self.changes.last().map_or(Cents::ZERO, |c| c.arr_after)
    }

    /// ARR in force at the end of `date`.
    pub fn arr_at(&self, date: NaiveDate) -> Cents {
        self.changes
            .iter()
            .take_while(|c| c.effective_date <= date)
            .last()
            .map_or(Cents::ZERO, |c| c.arr_after)
    }

    pub fn is_churned(&self) -> bool {
        self.changes.last().is_some_and(|c| c.kind == ChangeKind::Churn)
    }

    /// Appends a change after checking it against the history so far.
    pub fn record(&mut self, date: NaiveDate, kind: ChangeKind, arr_after: Cents) -> Result<ArrChange, Invalid> {
        let before = self.current();
        let last = self.changes.last();
        let mut rules = Rules::default();
        rules.require(arr_after.0 >= 0, "arr", || {
            format!("{arr_after} is negative; ARR cannot be below zero")
        });
        if let Some(last) = last {
            rules.require(date >= last.effective_date, "effective_date", || {
                format!(
                    "{date} is before the previous change on {}; record changes in order",
                    last.effective_date
                )
            });
            rules.require(last.kind != ChangeKind::Churn, "kind", || {
                format!(
                    "the contract churned on {}; a win-back is a new contract",
                    last.effective_date
                )
            });
        }
        match kind {
            ChangeKind::New => {
                rules.require(last.is_none(), "kind", || {
                    "only the first change of a contract is `new`".into()
                });
                rules.require(arr_after.0 > 0, "arr", || {
                    "a new contract must have ARR above zero".into()
                });
            }
            _ => rules.require(last.is_some(), "kind", || {
                format!("the first change of a contract must be `new`, not `{kind}`")
            }),
        }
        match kind {
            ChangeKind::New => {}
            ChangeKind::Expansion => rules.require(arr_after > before, "arr", || {
                format!("an expansion must raise ARR above {before}, got {arr_after}")
            }),
            ChangeKind::Contraction => rules.require(arr_after < before && arr_after.0 > 0, "arr", || {
                format!("a contraction must lower ARR below {before} but stay above zero (use churn for zero), got {arr_after}")
            }),
            ChangeKind::Renewal => rules.require(arr_after.0 > 0, "arr", || {
                "a renewal must keep ARR above zero (use churn for a contract that ends)".into()
            }),
            ChangeKind::Churn => rules.require(arr_after.0 == 0, "arr", || {
                format!("churn takes ARR to zero, got {arr_after}")
            }),
        }
        let change = ArrChange {
            effective_date: date,
            kind,
            arr_before: before,
            arr_after,
        };
        rules.finish(change)?;
        self.changes.push(change);
        Ok(change)
    }
}

/// The change kind that takes ARR from `before` to `after` outside a renewal: what an import
/// records when a re-imported contract carries a different ARR.
pub fn kind_of_adjustment(before: Cents, after: Cents) -> Option<ChangeKind> {
    match after.cmp(&before) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater if before == Cents::ZERO => Some(ChangeKind::New),
        std::cmp::Ordering::Greater => Some(ChangeKind::Expansion),
        std::cmp::Ordering::Less if after == Cents::ZERO => Some(ChangeKind::Churn),
        std::cmp::Ordering::Less => Some(ChangeKind::Contraction),
    }
}

/// A stored contract with its line items and ARR history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub id: ContractId,
    #[serde(flatten)]
    pub fields: ContractFields,
    pub arr: Cents,
    pub line_items: Vec<LineItem>,
    pub changes: ArrHistory,
}

/// An account's ARR (the sum over its contracts) at the end of each of the last `months`
/// months and today, oldest first: what the ARR-over-time chart plots.
pub fn arr_by_month(contracts: &[Contract], today: NaiveDate, months: u32) -> Vec<(NaiveDate, Cents)> {
    month_ends(today, months)
        .into_iter()
        .map(|day| (day, Cents(contracts.iter().map(|c| c.changes.arr_at(day).0).sum())))
        .collect()
}

/// The last day of each of the last `months` months, then today (the current month so far).
fn month_ends(today: NaiveDate, months: u32) -> Vec<NaiveDate> {
    (0..=months)
        .rev()
        .filter_map(|back| {
            let first = today.with_day(1)?.checked_sub_months(Months::new(back))?;
            let next = first.checked_add_months(Months::new(1))?;
            Some(next.pred_opt()?.min(today))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn end_date_must_follow_start_date() {
        let c = ContractFields {
            external_id: ExternalId::parse("k-1").unwrap(),
            account_id: AccountId(1),
            name: None,
            start_date: d("2025-01-01"),
            end_date: d("2026-01-01"),
            currency: Currency::USD,
        };
        assert!(c.clone().validate().is_ok());
        let same_day = ContractFields {
            end_date: d("2025-01-01"),
            ..c.clone()
        };
        assert!(same_day.validate().is_err());
        let err = ContractFields {
            end_date: d("2024-06-01"),
            ..c
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "end_date: 2024-06-01 is not after the start date 2025-01-01"
        );
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        for bad in ["", "EURO", "U1D", "€"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn line_items_net_the_discount() {
        let item = LineItem {
            product: Name::parse("Seats").unwrap(),
            quantity: 40,
            unit_price: Cents(120_00),
            discount_bp: 1_500,
        };
        assert_eq!(item.annual_amount(), Cents(4_080_00));
        assert!(item.clone().validate().is_ok());
        let zero = LineItem {
            quantity: 0,
            ..item.clone()
        };
        assert_eq!(zero.validate().unwrap_err().errors[0].field, "quantity");
        let over = LineItem {
            discount_bp: 10_001,
            ..item.clone()
        };
        assert_eq!(over.validate().unwrap_err().errors[0].field, "discount_bp");
        let negative = LineItem {
            unit_price: Cents(-1),
            ..item
        };
        assert_eq!(negative.validate().unwrap_err().errors[0].field, "unit_price");
    }

    #[test]
    fn arr_at_any_date_follows_the_history() {
        let h = ArrHistory::from_changes([
            (d("2024-01-01"), ChangeKind::New, Cents(10_000_00)),
            (d("2024-07-01"), ChangeKind::Expansion, Cents(15_000_00)),
            (d("2025-01-01"), ChangeKind::Renewal, Cents(15_000_00)),
            (d("2025-03-01"), ChangeKind::Contraction, Cents(12_000_00)),
            (d("2026-01-01"), ChangeKind::Churn, Cents(0)),
        ])
        .unwrap();
        assert_eq!(h.arr_at(d("2023-12-31")), Cents(0));
        assert_eq!(h.arr_at(d("2024-01-01")), Cents(10_000_00));
        assert_eq!(h.arr_at(d("2024-06-30")), Cents(10_000_00));
        assert_eq!(h.arr_at(d("2024-07-01")), Cents(15_000_00));
        assert_eq!(h.arr_at(d("2025-06-01")), Cents(12_000_00));
        assert_eq!(h.arr_at(d("2026-01-01")), Cents(0));
        assert_eq!(h.changes()[3].delta(), Cents(-3_000_00));
        assert!(h.is_churned());
    }

    #[test]
    fn each_change_kind_enforces_its_direction() {
        let start = || ArrHistory::from_changes([(d("2024-01-01"), ChangeKind::New, Cents(100))]).unwrap();
        let fails = |kind, arr: i64, field: &str| {
            let err = start().record(d("2024-02-01"), kind, Cents(arr)).unwrap_err();
            assert_eq!(err.errors[0].field, field, "{kind} to {arr}: {err}");
        };
        fails(ChangeKind::Expansion, 100, "arr");
        fails(ChangeKind::Expansion, 50, "arr");
        fails(ChangeKind::Contraction, 150, "arr");
        fails(ChangeKind::Contraction, 0, "arr");
        fails(ChangeKind::Churn, 10, "arr");
        fails(ChangeKind::Renewal, 0, "arr");
        fails(ChangeKind::New, 200, "kind");
        fails(ChangeKind::Expansion, -5, "arr");
        assert!(start().record(d("2024-02-01"), ChangeKind::Renewal, Cents(120)).is_ok());
    }

    #[test]
    fn histories_start_with_new_stay_in_order_and_end_at_churn() {
        let mut empty = ArrHistory::default();
        assert_eq!(
            empty
                .record(d("2024-01-01"), ChangeKind::Expansion, Cents(5))
                .unwrap_err()
                .errors[0]
                .field,
            "kind"
        );
        assert_eq!(
            empty
                .record(d("2024-01-01"), ChangeKind::New, Cents(0))
                .unwrap_err()
                .errors[0]
                .field,
            "arr"
        );
        let mut h = ArrHistory::from_changes([(d("2024-05-01"), ChangeKind::New, Cents(100))]).unwrap();
        let err = h
            .record(d("2024-04-01"), ChangeKind::Expansion, Cents(200))
            .unwrap_err();
        assert_eq!(err.errors[0].field, "effective_date");
        h.record(d("2024-06-01"), ChangeKind::Churn, Cents(0)).unwrap();
        let err = h.record(d("2024-07-01"), ChangeKind::Renewal, Cents(100)).unwrap_err();
        assert!(err.to_string().contains("win-back is a new contract"));
        assert_eq!(h.changes().len(), 2, "refused changes are not recorded");
    }

    #[test]
    fn adjustments_are_classified_by_direction() {
        assert_eq!(kind_of_adjustment(Cents(100), Cents(100)), None);
        assert_eq!(kind_of_adjustment(Cents(0), Cents(100)), Some(ChangeKind::New));
        assert_eq!(kind_of_adjustment(Cents(100), Cents(150)), Some(ChangeKind::Expansion));
        assert_eq!(kind_of_adjustment(Cents(100), Cents(50)), Some(ChangeKind::Contraction));
        assert_eq!(kind_of_adjustment(Cents(100), Cents(0)), Some(ChangeKind::Churn));
    }

    #[test]
    fn month_ends_run_oldest_first_and_stop_today() {
        let today: NaiveDate = "2026-11-25".parse().unwrap();
        let text: Vec<String> = month_ends(today, 2).iter().map(|d| d.to_string()).collect();
        assert_eq!(text, ["2026-09-30", "2026-10-31", "2026-11-25"]);
    }
}
