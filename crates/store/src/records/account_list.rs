//! The accounts list: filters, sorting and cursor (keyset) paging that stays fast at any
//! depth — each page seeks from the last row of the previous one through an index.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::health::Band;
use lodestar_domain::search::query_words;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use serde::{Deserialize, Serialize};

use super::accounts::{AccountRow, AccountSummary, SELECT_ACCOUNTS};
use super::search::account_text_condition;
use crate::bulk::Value;
use crate::query::Query;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub tier: Option<Tier>,
    pub owner_id: Option<UserId>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Exact industry, compared without regard to case.
    pub industry: Option<String>,
    /// Next renewal on or after the first date and on or before the second.
    pub renewal_between: Option<(NaiveDate, NaiveDate)>,
    /// Words (or their beginnings: "acm" finds "Acme") that must all be in the name, domain or
    /// external id, through the search index; text without letters or digits finds nothing.
    pub q: Option<String>,
    /// Current health band (unscored accounts never match).
    pub band: Option<Band>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSort {
    Name,
    Arr,
    /// Accounts without a renewal date (no contract with ARR) are left out.
    RenewalDate,
}

impl AccountSort {
    fn column(self) -> &'static str {
        match self {
            AccountSort::Name => "name",
            AccountSort::Arr => "arr_cents",
            AccountSort::RenewalDate => "renewal_date",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountOrder {
    pub sort: AccountSort,
    pub descending: bool,
}

/// One page of results and the cursor for the next one (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Where a page ended: the sort it belongs to, the last sort key and the last id.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    sort: AccountSort,
    desc: bool,
    key: serde_json::Value,
    id: i64,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("a cursor serialises"))
    }

    fn decode(text: &str, order: AccountOrder) -> Result<Cursor> {
        let bad = || StoreError::BadCursor;
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.sort != order.sort || cursor.desc != order.descending {
            return Err(bad());
        }
        Ok(cursor)
    }

    fn key_value(&self) -> Result<Value> {
        let key = &self.key;
        Ok(match self.sort {
            AccountSort::Name => Value::from(key.as_str().ok_or(StoreError::BadCursor)?),
            AccountSort::Arr => Value::from(key.as_i64().ok_or(StoreError::BadCursor)?),
            AccountSort::RenewalDate => Value::from(
                key.as_str()
                    .and_then(|d| d.parse::<NaiveDate>().ok())
                    .ok_or(StoreError::BadCursor)?,
            ),
        })
    }
}

impl Store {
    /// A page of at most `limit` accounts matching `filter`, in `order`, after `cursor`.
    pub async fn list_accounts(
        &self,
        filter: &AccountFilter,
        order: AccountOrder,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<AccountSummary>> {
        let mut conditions: Vec<Query> = Vec::new();
        if let Some(tier) = filter.tier {
            conditions.push(Query::sql("tier = ").value(tier.as_str()));
        }
        if let Some(owner) = filter.owner_id {
            conditions.push(Query::sql("owner_id = ").value(owner.0));
        }
        if let Some(stage) = filter.lifecycle_stage {
            conditions.push(Query::sql("lifecycle_stage = ").value(stage.as_str()));
        }
        if let Some(industry) = &filter.industry {
            conditions.push(Query::sql("LOWER(industry) = ").value(industry.trim().to_lowercase()));
        }
        if let Some((from, to)) = filter.renewal_between {
            conditions.push(
                Query::sql("renewal_date >= ")
                    .value(from)
                    .push(" AND renewal_date <= ")
                    .value(to),
            );
        }
        if let Some(band) = filter.band {
            conditions.push(
                Query::sql("id IN (SELECT account_id FROM health_scores WHERE band = ")
                    .value(band.as_str())
                    .push(")"),
            );
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            let words = query_words(q);
            if words.is_empty() {
                // No record is made of no words: "%" finds nothing.
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            conditions.push(account_text_condition(self.backend(), &words));
        }
        let column = order.sort.column();
        if order.sort == AccountSort::RenewalDate {
            conditions.push(Query::sql("renewal_date IS NOT NULL"));
        }
        let (cmp, dir) = if order.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some(text) = cursor {
            let c = Cursor::decode(text, order)?;
            let key = c.key_value()?;
            conditions.push(
                Query::sql(format!("({column} {cmp} "))
                    .value(key.clone())
                    .push(format!(" OR ({column} = "))
                    .value(key)
                    .push(format!(" AND id {cmp} "))
                    .value(c.id)
                    .push("))"),
            );
        }
        let limit = limit.clamp(1, 500);
        let rows: Vec<AccountRow> = Query::sql(SELECT_ACCOUNTS)
            .where_all(conditions)
            .push(format!(" ORDER BY {column} {dir}, id {dir} LIMIT "))
            .value(i64::from(limit + 1))
            .fetch_all_on(self)
            .await?;
        let mut items = rows
            .into_iter()
            .map(AccountSummary::try_from)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            let last = items.last().expect("limit is at least 1");
            let key = match order.sort {
                AccountSort::Name => serde_json::json!(last.account.fields.name.as_str()),
                AccountSort::Arr => serde_json::json!(last.arr.0),
                AccountSort::RenewalDate => serde_json::json!(last.renewal_date.map(|d| d.to_string())),
            };
            Some(
                Cursor {
                    sort: order.sort,
                    desc: order.descending,
                    key,
                    id: last.account.id.0,
                }
                .encode(),
            )
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}
