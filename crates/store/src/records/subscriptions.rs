//! Subscription history (F-63, F-64): the billing periods a team imports, the typed MRR history
//! derived from them, and the contracts they become.
//!
//! How imported subscriptions relate to contracts: an account's subscription rows are its whole
//! billing history, so an import replaces the account's rows, its MRR movements and the contracts
//! a previous import made from them (found through `subscriptions.contract_id`), in one
//! transaction. Each stretch of continuous activity becomes one contract (a win-back is a new
//! contract, as `ArrHistory` requires): external id `{account}-subscriptions-{n}`, from the
//! stretch's start to its end — or, while it runs, to its next anniversary, the renewal date —
//! with ARR = 12 × MRR, its history `new`, then an expansion or contraction on each MRR change
//! and `churn` on the stretch's end, up to the import day (contract ARR is what the account pays
//! now; later changes wait for a later import), and the subscriptions running on its last day
//! (today, or the day before it ended) as line items. The account's ARR and renewal date are
//! then the contracts' as everywhere else. Contracts entered by hand stay as they are.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use lodestar_domain::access::Scope;
use lodestar_domain::contract::{ArrHistory, ContractFields, Currency, LineItem};
use lodestar_domain::revenue::{
    Movement, MovementKind, Period, SubscriptionFields, active_spans, movements, next_anniversary,
};
use lodestar_domain::text::{CustomFields, ExternalId, Name};
use lodestar_domain::vocabulary::{ChangeKind, Tier};
use lodestar_domain::{AccountId, Cents, ContractId, Invalid, UserId, Valid};

use super::contracts::{
    CHANGE_COLUMNS, CONTRACT_COLUMNS, LINE_ITEM_COLUMNS, change_values, contract_values, line_item_values,
};
use super::{ensure_new_external_id, ids_by_external_id, parse, parse_opt, refresh_account_rollups, to_u32};
use crate::bulk::{Value, insert_rows, insert_rows_returning};
use crate::query::Query;
use crate::{Backend, Result, Store, StoreError};

/// One row of a subscription file: the account by its external id and the period.
#[derive(Debug, Clone)]
pub struct ImportedSubscription {
    pub account_external_id: ExternalId,
    pub fields: Valid<SubscriptionFields>,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionImport {
    pub accounts: usize,
    pub subscriptions: usize,
    pub movements: usize,
    pub contracts: usize,
}

/// An early behaviour of an account, as the sticky-driver view names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// Reached the milestone of this name.
    Milestone(String),
    /// Held a QBR or EBR.
    Qbr,
    /// Used this product feature.
    Feature(String),
}

/// An account as revenue reports group it, with its MRR movements oldest first.
#[derive(Debug, Clone)]
pub struct RevenueAccount {
    pub id: AccountId,
    pub name: String,
    pub tier: Option<Tier>,
    pub industry: Option<String>,
    pub employees: Option<u32>,
    pub region: Option<String>,
    pub owner: Option<(UserId, String)>,
    pub custom_fields: CustomFields,
    /// Whether the account ever had a QBR or EBR meeting.
    pub had_qbr: bool,
    pub movements: Vec<Movement>,
}

/// Which of an account's attributes a revenue report reads besides its movements; the others
/// stay empty (none, no custom fields, no QBR). A report grouped by tier reads the tier alone,
/// one by start cohort none — then the accounts' table is not read at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevenueAttributes {
    pub name: bool,
    pub tier: bool,
    pub industry: bool,
    pub employees: bool,
    pub region: bool,
    pub owner: bool,
    pub custom_fields: bool,
    pub had_qbr: bool,
}

impl RevenueAttributes {
    pub const NONE: Self = Self {
        name: false,
        tier: false,
        industry: false,
        employees: false,
        region: false,
        owner: false,
        custom_fields: false,
        had_qbr: false,
    };
    pub const ALL: Self = Self {
        name: true,
        tier: true,
        industry: true,
        employees: true,
        region: true,
        owner: true,
        custom_fields: true,
        had_qbr: true,
    };
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    name: String,
    tier: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    region: Option<String>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    custom_fields: String,
    had_qbr: bool,
}

const SUBSCRIPTION_COLUMNS: &[&str] = &[
    "account_id",
    "contract_id",
    "product",
    "start_date",
    "end_date",
    "mrr_cents",
    "quantity",
    "discount_bp",
    "created_at",
];
const MOVEMENT_COLUMNS: &[&str] = &[
    "account_id",
    "effective_date",
    "kind",
    "mrr_before_cents",
    "mrr_after_cents",
];

fn movement_kind(text: &str) -> Result<MovementKind> {
    [
        MovementKind::New,
        MovementKind::Expansion,
        MovementKind::Contraction,
        MovementKind::Churn,
        MovementKind::Reactivation,
    ]
    .into_iter()
    .find(|k| k.as_str() == text)
    .ok_or_else(|| StoreError::Corrupt(format!("mrr_movements.kind: unknown {text:?}")))
}

/// An account's movements from the text `revenue_accounts_reading` reads ("id date kind
/// before after", `;` between movements, in any order), oldest first: by day, then by id (the
/// order they were written in).
fn unpack_movements(account: i64, packed: &str) -> Result<Vec<Movement>> {
    let corrupt = |item: &str| StoreError::Corrupt(format!("mrr_movements of account {account}: {item:?}"));
    let mut moves: Vec<(i64, Movement)> = Vec::with_capacity(packed.len() / 32 + 1);
    for item in packed.split(';') {
        let mut field = item.split(' ');
        let mut next = || field.next().ok_or_else(|| corrupt(item));
        let (id, date, kind, before, after) = (next()?, next()?, next()?, next()?, next()?);
        let number = |text: &str| text.parse::<i64>().map_err(|_| corrupt(item));
        moves.push((
            number(id)?,
            Movement {
                date: iso_date(date).ok_or_else(|| corrupt(item))?,
                kind: movement_kind(kind)?,
                mrr_before: Cents(number(before)?),
                mrr_after: Cents(number(after)?),
            },
        ));
    }
    // SQLite's text follows the index, so is in order already: the (stable) sort only checks.
    moves.sort_by_key(|(id, m)| (m.date, *id));
    Ok(moves.into_iter().map(|(_, m)| m).collect())
}

/// A day written `YYYY-MM-DD`, as both databases spell a DATE as text.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range]
            .iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(5..7)?, digits(8..10)?)
}

/// The contract one stretch of activity becomes, as of `today`; none for a stretch not begun.
fn span_contract(
    account: AccountId,
    external_id: ExternalId,
    span: (NaiveDate, Option<NaiveDate>),
    moves: &[Movement],
    subs: &[&SubscriptionFields],
    today: NaiveDate,
) -> Result<Option<(Valid<ContractFields>, ArrHistory, Vec<LineItem>)>> {
    let (start, end) = span;
    if start > today {
        return Ok(None);
    }
    let fields = ContractFields {
        external_id,
        account_id: account,
        name: Some(Name::parse("Subscriptions").expect("a valid name")),
        start_date: start,
        end_date: end.unwrap_or_else(|| next_anniversary(start, today)),
        currency: Currency::USD,
    }
    .validate()?;
    let mut history = ArrHistory::default();
    let in_span = |d: NaiveDate| d >= start && end.is_none_or(|e| d <= e);
    for m in moves.iter().filter(|m| in_span(m.date) && m.date <= today) {
        let kind = match m.kind {
            MovementKind::New | MovementKind::Reactivation => ChangeKind::New,
            MovementKind::Expansion => ChangeKind::Expansion,
            MovementKind::Contraction => ChangeKind::Contraction,
            MovementKind::Churn => ChangeKind::Churn,
        };
        history.record(m.date, kind, Cents(m.mrr_after.0 * 12))?;
    }
    let last_day = end.map_or(today, |e| e.pred_opt().unwrap_or(e)).min(today);
    let items = subs
        .iter()
        .filter(|s| s.period().active_on(last_day))
        .map(|s| line_item(s))
        .collect();
    Ok(Some((fields, history, items)))
}

/// A subscription as a contract line item: its list price per unit per year, so that the net
/// annual amount is twelve times its MRR (to the rounding of a cent per unit).
fn line_item(s: &SubscriptionFields) -> LineItem {
    let net_per_year = i128::from(s.mrr.0) * 12;
    let gross = net_per_year * 10_000 / i128::from(10_000 - s.discount_bp);
    let per_unit = (gross + i128::from(s.quantity) / 2) / i128::from(s.quantity);
    LineItem {
        product: s.product.clone(),
        quantity: s.quantity,
        unit_price: Cents(i64::try_from(per_unit).unwrap_or(i64::MAX)),
        discount_bp: s.discount_bp,
    }
}

/// Deletes the subscription periods and MRR movements of `accounts`, and with `made_contracts`
/// the contracts an earlier import made from them.
async fn clear_history(tx: &mut crate::Tx, accounts: &[i64], made_contracts: bool) -> Result<()> {
    for chunk in accounts.chunks(500) {
        let made: Vec<i64> = if made_contracts {
            Query::sql(
                "SELECT DISTINCT contract_id FROM subscriptions WHERE contract_id IS NOT NULL AND account_id IN (",
            )
            .list(chunk.iter().copied())
            .push(")")
            .scalars(tx)
            .await?
        } else {
            Vec::new()
        };
        for table in ["subscriptions", "mrr_movements"] {
            Query::sql(format!("DELETE FROM {table} WHERE account_id IN ("))
                .list(chunk.iter().copied())
                .push(")")
                .execute(tx)
                .await?;
        }
        for made in made.chunks(500) {
            Query::sql("DELETE FROM contracts WHERE id IN (")
                .list(made.iter().copied())
                .push(")")
                .execute(tx)
                .await?;
        }
    }
    Ok(())
}

/// The rows of an account's periods (each with its contract) and of the MRR movements they make.
fn history_rows(
    account: AccountId,
    subs: &[(&SubscriptionFields, Option<i64>)],
    now: chrono::DateTime<chrono::Utc>,
    sub_rows: &mut Vec<Vec<Value>>,
    move_rows: &mut Vec<Vec<Value>>,
) {
    for (s, contract) in subs {
        sub_rows.push(vec![
            account.0.into(),
            Value::Int(*contract),
            s.product.as_str().into(),
            s.start_date.into(),
            Value::Date(s.end_date),
            s.mrr.0.into(),
            i64::from(s.quantity).into(),
            i64::from(s.discount_bp).into(),
            now.into(),
        ]);
    }
    let periods: Vec<Period> = subs.iter().map(|(s, _)| s.period()).collect();
    for m in movements(&periods) {
        move_rows.push(vec![
            account.0.into(),
            m.date.into(),
            m.kind.as_str().into(),
            m.mrr_before.0.into(),
            m.mrr_after.0.into(),
        ]);
    }
}

impl Store {
    /// Replaces the subscription history of every account the rows name, in one transaction:
    /// the rows, the MRR movements and the contracts they make (see the module's notes). An
    /// unknown account refuses the whole import, naming the row (`row N: …`).
    pub async fn import_subscriptions(&self, rows: Vec<ImportedSubscription>) -> Result<SubscriptionImport> {
        let mut tx = self.begin_write().await?;
        let today = tx.today();
        let now = tx.now();
        let accounts = ids_by_external_id(&mut tx, "accounts").await?;
        let mut by_account: BTreeMap<String, (i64, Vec<SubscriptionFields>)> = BTreeMap::new();
        let mut unknown = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            let key = row.account_external_id.as_str();
            match accounts.get(key) {
                Some(id) => by_account
                    .entry(key.to_owned())
                    .or_insert_with(|| (*id, Vec::new()))
                    .1
                    .push(row.fields.into_inner()),
                None => unknown.push(lodestar_domain::FieldError {
                    field: "account_id",
                    reason: format!("row {}: no account has the external id {key:?}", i + 1),
                }),
            }
        }
        if !unknown.is_empty() {
            return Err(Invalid { errors: unknown }.into());
        }
        let ids: Vec<i64> = by_account.values().map(|(id, _)| *id).collect();
        clear_history(&mut tx, &ids, true).await?;

        let mut summary = SubscriptionImport {
            accounts: by_account.len(),
            subscriptions: 0,
            movements: 0,
            contracts: 0,
        };
        let (mut sub_rows, mut move_rows) = (Vec::new(), Vec::new());
        for (key, (account, subs)) in &by_account {
            let account = AccountId(*account);
            let periods: Vec<Period> = subs.iter().map(SubscriptionFields::period).collect();
            let moves = movements(&periods);
            let mut contract_of_span: Vec<Option<i64>> = Vec::new();
            for (n, span) in active_spans(&periods).into_iter().enumerate() {
                let external_id = ExternalId::parse(&format!("{key}-subscriptions-{}", n + 1))
                    .map_err(|e| Invalid::field("account_id", e))?;
                let in_span: Vec<&SubscriptionFields> = subs
                    .iter()
                    .filter(|s| s.start_date >= span.0 && span.1.is_none_or(|e| s.start_date < e))
                    .collect();
                let Some((fields, history, items)) =
                    span_contract(account, external_id, span, &moves, &in_span, today)?
                else {
                    contract_of_span.push(None);
                    continue;
                };
                ensure_new_external_id(&mut tx, "contracts", "contract", fields.external_id.as_str()).await?;
                let mut row = contract_values(&fields, history.current());
                row.extend([now.into(), now.into()]);
                let mut columns = CONTRACT_COLUMNS.to_vec();
                columns.extend(["created_at", "updated_at"]);
                let ids: Vec<(i64,)> =
                    insert_rows_returning(&mut tx, "contracts", &columns, vec![row], "RETURNING id").await?;
                let contract = ContractId(ids[0].0);
                let changes = history
                    .changes()
                    .iter()
                    .map(|c| change_values(contract, account, c, now))
                    .collect();
                insert_rows(&mut tx, "contract_changes", CHANGE_COLUMNS, changes, "").await?;
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| line_item_values(contract, account, i, item))
                    .collect();
                insert_rows(&mut tx, "contract_line_items", LINE_ITEM_COLUMNS, items, "").await?;
                contract_of_span.push(Some(contract.0));
                summary.contracts += 1;
            }
            let spans = active_spans(&periods);
            let with_contracts: Vec<(&SubscriptionFields, Option<i64>)> = subs
                .iter()
                .map(|s| {
                    let span = spans
                        .iter()
                        .position(|(start, end)| s.start_date >= *start && end.is_none_or(|e| s.start_date < e));
                    (s, span.and_then(|i| contract_of_span[i]))
                })
                .collect();
            history_rows(account, &with_contracts, now, &mut sub_rows, &mut move_rows);
        }
        summary.subscriptions = sub_rows.len();
        summary.movements = move_rows.len();
        insert_rows(&mut tx, "subscriptions", SUBSCRIPTION_COLUMNS, sub_rows, "").await?;
        insert_rows(&mut tx, "mrr_movements", MOVEMENT_COLUMNS, move_rows, "").await?;
        refresh_account_rollups(&mut tx, Some(&ids)).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Writes the subscription history of accounts whose contracts exist already, each period
    /// naming the contract it belongs to (or none): what the demo derives from its contracts'
    /// ARR histories. Replaces the accounts' earlier periods and movements, keeps every
    /// contract. Returns how many periods it wrote.
    pub async fn load_subscription_history(
        &self,
        accounts: Vec<(AccountId, Vec<(Valid<SubscriptionFields>, Option<ContractId>)>)>,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let now = tx.now();
        let ids: Vec<i64> = accounts.iter().map(|(id, _)| id.0).collect();
        clear_history(&mut tx, &ids, false).await?;
        let (mut sub_rows, mut move_rows) = (Vec::new(), Vec::new());
        for (account, subs) in &accounts {
            let subs: Vec<(&SubscriptionFields, Option<i64>)> =
                subs.iter().map(|(s, contract)| (&**s, contract.map(|c| c.0))).collect();
            history_rows(*account, &subs, now, &mut sub_rows, &mut move_rows);
        }
        let written = sub_rows.len();
        insert_rows(&mut tx, "subscriptions", SUBSCRIPTION_COLUMNS, sub_rows, "").await?;
        insert_rows(&mut tx, "mrr_movements", MOVEMENT_COLUMNS, move_rows, "").await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Every subscription with its account's external id, by account, start, product and the
    /// rest, so that an export imported again exports the same file.
    pub async fn exported_subscriptions(&self) -> Result<Vec<(String, SubscriptionFields)>> {
        type Row = (String, String, NaiveDate, Option<NaiveDate>, i64, i64, i64);
        let rows: Vec<Row> = Query::sql(
            "SELECT a.external_id, s.product, s.start_date, s.end_date, s.mrr_cents, s.quantity, s.discount_bp \
             FROM subscriptions s JOIN accounts a ON a.id = s.account_id",
        )
        .fetch_all_on(self)
        .await?;
        let mut out = rows
            .into_iter()
            .map(|(account, product, start_date, end_date, mrr, quantity, discount_bp)| {
                let corrupt = |what: &str| StoreError::Corrupt(format!("subscriptions.{what} of account {account}"));
                let fields = SubscriptionFields {
                    product: parse("subscriptions.product", &product)?,
                    start_date,
                    end_date,
                    mrr: Cents(mrr),
                    quantity: to_u32("subscriptions.quantity", Some(quantity))?.ok_or_else(|| corrupt("quantity"))?,
                    discount_bp: u16::try_from(discount_bp).map_err(|_| corrupt("discount_bp"))?,
                };
                Ok((account, fields))
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|(a, x), (b, y)| {
            (
                a,
                x.start_date,
                x.product.as_str(),
                x.end_date.is_none(),
                x.end_date,
                x.mrr,
                x.quantity,
            )
                .cmp(&(
                    b,
                    y.start_date,
                    y.product.as_str(),
                    y.end_date.is_none(),
                    y.end_date,
                    y.mrr,
                    y.quantity,
                ))
        });
        Ok(out)
    }

    /// The accounts with a subscription history in `scope`, with what reports group them by and
    /// their MRR movements.
    pub async fn revenue_accounts(&self, scope: Scope) -> Result<Vec<RevenueAccount>> {
        self.revenue_accounts_reading(scope, RevenueAttributes::ALL).await
    }

    /// The accounts with a subscription history in `scope`, by id, with the attributes `read`
    /// asks for and their MRR movements: at most two reads, each one pass in index order. The
    /// movements come one row per account, carried as text ("id date kind before after;…"): a
    /// row per movement costs the driver an allocation per value and a hop between threads per
    /// row, which was the bulk of the time (547,380 movements of 100,000 accounts:
    /// BENCHMARKS.md).
    pub async fn revenue_accounts_reading(&self, scope: Scope, read: RevenueAttributes) -> Result<Vec<RevenueAccount>> {
        let mut tx = self.begin_snapshot().await?;
        let backend = tx.backend();
        let packed = match backend {
            Backend::Sqlite => {
                "group_concat(v.id || ' ' || v.effective_date || ' ' || v.kind || ' ' || v.mrr_before_cents \
                 || ' ' || v.mrr_after_cents, ';')"
            }
            Backend::Postgres => {
                "string_agg(CAST(v.id AS TEXT) || ' ' || CAST(v.effective_date AS TEXT) || ' ' || v.kind || ' ' \
                 || CAST(v.mrr_before_cents AS TEXT) || ' ' || CAST(v.mrr_after_cents AS TEXT), ';')"
            }
        };
        let mut moves = Query::sql(format!("SELECT v.account_id, {packed} FROM mrr_movements v"));
        if let Scope::Book(user) = scope {
            moves = moves
                .push(" WHERE v.account_id IN (SELECT a.id FROM accounts a WHERE a.owner_id = ")
                .value(user.0)
                .push(")");
        }
        let mut moves: Vec<(i64, String)> = moves.push(" GROUP BY v.account_id").fetch_all(&mut tx).await?;
        moves.sort_unstable_by_key(|(account, _)| *account);
        let bare = |id: i64, movements: Vec<Movement>| RevenueAccount {
            id: AccountId(id),
            name: String::new(),
            tier: None,
            industry: None,
            employees: None,
            region: None,
            owner: None,
            custom_fields: CustomFields::default(),
            had_qbr: false,
            movements,
        };
        if read == RevenueAttributes::NONE {
            return moves
                .into_iter()
                .map(|(account, packed)| Ok(bare(account, unpack_movements(account, &packed)?)))
                .collect();
        }
        let mut moves_of: HashMap<i64, String> = moves.into_iter().collect();

        // The attributes asked for; the others as the empty value of their type.
        let column = |wanted: bool, sql: &'static str, empty: &'static str| if wanted { sql } else { empty };
        let (null_text, null_int) = match backend {
            Backend::Sqlite => ("NULL", "NULL"),
            Backend::Postgres => ("CAST(NULL AS TEXT)", "CAST(NULL AS BIGINT)"),
        };
        let columns = [
            "a.id".to_owned(),
            format!("{} AS name", column(read.name, "a.name", "''")),
            format!("{} AS tier", column(read.tier, "a.tier", null_text)),
            format!("{} AS industry", column(read.industry, "a.industry", null_text)),
            format!("{} AS employees", column(read.employees, "a.employees", null_int)),
            format!("{} AS region", column(read.region, "a.region", null_text)),
            format!("{} AS owner_id", column(read.owner, "a.owner_id", null_int)),
            format!("{} AS owner_name", column(read.owner, "u.name", null_text)),
            format!(
                "{} AS custom_fields",
                column(read.custom_fields, "a.custom_fields", "'{}'")
            ),
            format!(
                "{} AS had_qbr",
                column(
                    read.had_qbr,
                    "EXISTS (SELECT 1 FROM meetings m WHERE m.account_id = a.id AND m.kind IN ('qbr', 'ebr'))",
                    "1 = 0"
                )
            ),
        ];
        let owners = if read.owner {
            " LEFT JOIN users u ON u.id = a.owner_id"
        } else {
            ""
        };
        let mut accounts = Query::sql(format!(
            "SELECT {} FROM accounts a{owners} WHERE 1 = 1",
            columns.join(", ")
        ));
        if let Scope::Book(user) = scope {
            accounts = accounts.push(" AND a.owner_id = ").value(user.0);
        }
        let accounts: Vec<AccountRow> = accounts.push(" ORDER BY a.id").fetch_all(&mut tx).await?;
        accounts
            .into_iter()
            // Accounts without a subscription history are not in revenue reports.
            .filter_map(|a| moves_of.remove(&a.id).map(|packed| (a, packed)))
            .map(|(a, packed)| {
                Ok(RevenueAccount {
                    name: a.name,
                    tier: parse_opt("accounts.tier", a.tier)?,
                    industry: a.industry,
                    employees: to_u32("accounts.employees", a.employees)?,
                    region: a.region,
                    owner: a.owner_id.map(UserId).zip(a.owner_name),
                    custom_fields: CustomFields::parse_json(&a.custom_fields)
                        .map_err(|e| StoreError::Corrupt(format!("accounts.custom_fields: {e}")))?,
                    had_qbr: a.had_qbr,
                    ..bare(a.id, unpack_movements(a.id, &packed)?)
                })
            })
            .collect()
    }

    /// When each account in `scope` first showed each early behaviour the sticky-driver view
    /// compares: reached a milestone, held a QBR or EBR, used a product feature. Three reads,
    /// each one grouped pass.
    pub async fn first_behaviours(&self, scope: Scope) -> Result<Vec<(AccountId, Behaviour, NaiveDate)>> {
        let mut tx = self.begin_snapshot().await?;
        let in_scope = |sql: &str| {
            let q = Query::sql(sql);
            match scope {
                Scope::All => q,
                Scope::Book(user) => q.push(" AND a.owner_id = ").value(user.0),
            }
        };
        let milestones: Vec<(i64, String, NaiveDate)> = in_scope(
            "SELECT x.account_id, m.name, x.achieved_on FROM milestone_achievements x \
             JOIN milestones m ON m.id = x.milestone_id JOIN accounts a ON a.id = x.account_id WHERE 1 = 1",
        )
        .fetch_all(&mut tx)
        .await?;
        let reviews: Vec<(i64, chrono::DateTime<chrono::Utc>)> = in_scope(
            "SELECT x.account_id, MIN(x.starts_at) FROM meetings x JOIN accounts a ON a.id = x.account_id \
             WHERE x.kind IN ('qbr', 'ebr')",
        )
        .push(" GROUP BY x.account_id")
        .fetch_all(&mut tx)
        .await?;
        let features: Vec<(i64, String, NaiveDate)> = in_scope(
            "SELECT x.account_id, x.feature, MIN(x.day) FROM usage_feature_days x \
             JOIN accounts a ON a.id = x.account_id WHERE 1 = 1",
        )
        .push(" GROUP BY x.account_id, x.feature")
        .fetch_all(&mut tx)
        .await?;
        let mut out = Vec::with_capacity(milestones.len() + reviews.len() + features.len());
        out.extend(
            milestones
                .into_iter()
                .map(|(a, name, on)| (AccountId(a), Behaviour::Milestone(name), on)),
        );
        out.extend(
            reviews
                .into_iter()
                .map(|(a, at)| (AccountId(a), Behaviour::Qbr, at.date_naive())),
        );
        out.extend(
            features
                .into_iter()
                .map(|(a, name, on)| (AccountId(a), Behaviour::Feature(name), on)),
        );
        Ok(out)
    }

    /// One account's MRR movements, oldest first: the typed history behind its ARR.
    pub async fn mrr_movements(&self, account: AccountId) -> Result<Vec<Movement>> {
        type MoveRow = (NaiveDate, String, i64, i64);
        let rows: Vec<MoveRow> = Query::sql(
            "SELECT effective_date, kind, mrr_before_cents, mrr_after_cents FROM mrr_movements \
             WHERE account_id = $1 ORDER BY effective_date, id",
        )
        .bind(account.0)
        .fetch_all_on(self)
        .await?;
        rows.into_iter()
            .map(|(date, kind, before, after)| {
                Ok(Movement {
                    date,
                    kind: movement_kind(&kind)?,
                    mrr_before: Cents(before),
                    mrr_after: Cents(after),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_movements_come_back_oldest_first() {
        let moves = unpack_movements(
            7,
            "12 2025-03-01 churn 15000 0;9 2024-01-01 new 0 10000;11 2024-06-01 expansion 10000 15000;\
             13 2025-03-01 reactivation 0 8000",
        )
        .unwrap();
        let got: Vec<(NaiveDate, MovementKind, i64, i64)> = moves
            .iter()
            .map(|m| (m.date, m.kind, m.mrr_before.0, m.mrr_after.0))
            .collect();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            got,
            [
                (d("2024-01-01"), MovementKind::New, 0, 10_000),
                (d("2024-06-01"), MovementKind::Expansion, 10_000, 15_000),
                (d("2025-03-01"), MovementKind::Churn, 15_000, 0),
                (d("2025-03-01"), MovementKind::Reactivation, 0, 8_000),
            ]
        );
        assert!(unpack_movements(7, "1 2024-01-01 new 0").is_err());
        assert!(unpack_movements(7, "1 2024-13-01 new 0 1").is_err());
        assert!(unpack_movements(7, "1 2024-01-01 upgrade 0 1").is_err());
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_date("2026-12-03"), NaiveDate::from_ymd_opt(2026, 12, 3));
        assert_eq!(iso_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        for bad in ["2023-02-29", "2026-1-03", "2026/12/03", "20261203", "2026-12-0x", ""] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }
}
