//! The accounts list: filters, sorting and cursor (keyset) paging that stays fast at any
//! depth — each page seeks from the last row of the previous one through an index.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use lodestar_domain::UserId;
use lodestar_domain::health::Band;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use serde::{Deserialize, Serialize};

use super::accounts::{AccountRow, AccountSummary, SELECT_ACCOUNTS};
use crate::bulk::{Value, bind_values};
use crate::{Result, Store, StoreError, on_pool};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub tier: Option<Tier>,
    pub owner_id: Option<UserId>,
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Exact industry, compared without regard to case.
    pub industry: Option<String>,
    /// Next renewal on or after the first date and on or before the second.
    pub renewal_between: Option<(NaiveDate, NaiveDate)>,
    /// Free text matched against name, domain and external id.
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

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for ch in text.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
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
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut push = |condition: &str, new: Vec<Value>| {
            let mut c = condition.to_owned();
            for v in new {
                values.push(v);
                c = c.replacen('?', &format!("${}", values.len()), 1);
            }
            conditions.push(c);
        };
        if let Some(tier) = filter.tier {
            push("tier = ?", vec![tier.as_str().into()]);
        }
        if let Some(owner) = filter.owner_id {
            push("owner_id = ?", vec![owner.0.into()]);
        }
        if let Some(stage) = filter.lifecycle_stage {
            push("lifecycle_stage = ?", vec![stage.as_str().into()]);
        }
        if let Some(industry) = &filter.industry {
            push("LOWER(industry) = ?", vec![industry.trim().to_lowercase().into()]);
        }
        if let Some((from, to)) = filter.renewal_between {
            push("renewal_date >= ? AND renewal_date <= ?", vec![from.into(), to.into()]);
        }
        if let Some(band) = filter.band {
            push(
                "id IN (SELECT account_id FROM health_scores WHERE band = ?)",
                vec![band.as_str().into()],
            );
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            let p = like_pattern(q);
            push(
                "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(domain, '')) LIKE ? ESCAPE '\\' OR LOWER(external_id) LIKE ? ESCAPE '\\')",
                vec![p.clone().into(), p.clone().into(), p.into()],
            );
        }
        let column = order.sort.column();
        if order.sort == AccountSort::RenewalDate {
            push("renewal_date IS NOT NULL", vec![]);
        }
        let (cmp, dir) = if order.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some(text) = cursor {
            let c = Cursor::decode(text, order)?;
            let key = c.key_value()?;
            push(
                &format!("({column} {cmp} ? OR ({column} = ? AND id {cmp} ?))"),
                vec![key.clone(), key, c.id.into()],
            );
        }
        let limit = limit.clamp(1, 500);
        let where_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "{SELECT_ACCOUNTS}{where_sql} ORDER BY {column} {dir}, id {dir} LIMIT ${}",
            values.len() + 1
        );
        values.push(i64::from(limit + 1).into());
        let rows: Vec<AccountRow> = on_pool!(self, |p| {
            let mut q = sqlx::query_as(&sql);
            bind_values!(q, values.iter().cloned());
            q.fetch_all(p).await?
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_user_text_literally() {
        assert_eq!(like_pattern(" Acme_50% "), "%acme\\_50\\%%");
    }
}
