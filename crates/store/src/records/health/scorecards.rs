//! Scorecards (F-20): which measures count, with what weight and thresholds, for which
//! segment and lifecycle stage. The card for "any segment, any stage" always exists, so every
//! account is scored by something; changing any card rescores every account.

use lodestar_domain::health::{Bands, MeasureWeight, ScorecardFields};
use lodestar_domain::text::Name;
use lodestar_domain::vocabulary::{LifecycleStage, Tier};
use lodestar_domain::{ScorecardId, Valid};

use super::measures::MEASURES;
use crate::query::Query;
use crate::records::{delete_by_id, parse};
use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub id: ScorecardId,
    pub fields: ScorecardFields,
}

impl Scorecard {
    /// Whether this is the card for every account no other card fits.
    pub fn is_default(&self) -> bool {
        self.fields.tier.is_none() && self.fields.lifecycle_stage.is_none()
    }
}

/// The card Lodestar starts with: every measure at its default weight and thresholds.
pub fn default_scorecard() -> ScorecardFields {
    ScorecardFields {
        name: Name::parse("Default").expect("a valid name"),
        tier: None,
        lifecycle_stage: None,
        bands: Bands {
            red_below: 40,
            green_from: 70,
        },
        measures: MEASURES
            .iter()
            .map(|m| {
                let info = m.info();
                MeasureWeight {
                    measure: info.key.to_owned(),
                    weight: info.default_weight,
                    zero_at: info.default_zero_at,
                    full_at: info.default_full_at,
                }
            })
            .collect(),
    }
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    name: String,
    tier: String,
    lifecycle_stage: String,
    red_below: i64,
    green_from: i64,
    measures: String,
}

const SELECT_CARDS: &str =
    "SELECT id, name, tier, lifecycle_stage, red_below, green_from, measures FROM scorecards ORDER BY id";

fn card(
    CardRow {
        id,
        name,
        tier,
        lifecycle_stage: stage,
        red_below,
        green_from,
        measures,
    }: CardRow,
) -> Result<Scorecard> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("scorecards.{what} of scorecard {id}"));
    let bound = |v: i64, what: &str| u32::try_from(v).map_err(|_| corrupt(what));
    Ok(Scorecard {
        id: ScorecardId(id),
        fields: ScorecardFields {
            name: Name::parse(&name).map_err(|_| corrupt("name"))?,
            tier: if tier.is_empty() {
                None
            } else {
                Some(parse::<Tier>("scorecards.tier", &tier)?)
            },
            lifecycle_stage: if stage.is_empty() {
                None
            } else {
                Some(parse::<LifecycleStage>("scorecards.lifecycle_stage", &stage)?)
            },
            bands: Bands {
                red_below: bound(red_below, "red_below")?,
                green_from: bound(green_from, "green_from")?,
            },
            measures: serde_json::from_str(&measures).map_err(|_| corrupt("measures"))?,
        },
    })
}

async fn read_cards(tx: &mut Tx) -> Result<Vec<Scorecard>> {
    let rows: Vec<CardRow> = Query::sql(SELECT_CARDS).fetch_all(tx).await?;
    rows.into_iter().map(card).collect()
}

/// The row values of a card: tier and stage as '' for "any".
fn card_values(f: &ScorecardFields) -> (String, String, String) {
    (
        f.tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        f.lifecycle_stage.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        serde_json::to_string(&f.measures).expect("measures serialise"),
    )
}

async fn insert_card(tx: &mut Tx, f: &ScorecardFields) -> Result<i64> {
    let (tier, stage, measures) = card_values(f);
    Query::sql(
        "INSERT INTO scorecards (name, tier, lifecycle_stage, red_below, green_from, measures) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(f.name.as_str())
    .bind(tier)
    .bind(stage)
    .bind(i64::from(f.bands.red_below))
    .bind(i64::from(f.bands.green_from))
    .bind(measures)
    .scalar_one(tx)
    .await
}

/// Every card, the default one created first if it does not exist yet (in a write
/// transaction).
pub(crate) async fn cards_in(tx: &mut Tx) -> Result<Vec<Scorecard>> {
    let cards = read_cards(tx).await?;
    if cards.iter().any(Scorecard::is_default) {
        return Ok(cards);
    }
    let mut fields = default_scorecard();
    if cards.iter().any(|c| c.fields.name == fields.name) {
        fields.name = Name::parse("Default (all accounts)").expect("a valid name");
    }
    insert_card(tx, &fields).await?;
    read_cards(tx).await
}

impl Store {
    /// Every scorecard, the default one first.
    pub async fn scorecards(&self) -> Result<Vec<Scorecard>> {
        let mut tx = self.begin_snapshot().await?;
        let cards = read_cards(&mut tx).await?;
        drop(tx);
        let mut cards = if cards.iter().any(Scorecard::is_default) {
            cards
        } else {
            let mut tx = self.begin_write().await?;
            let cards = cards_in(&mut tx).await?;
            tx.commit().await?;
            cards
        };
        cards.sort_by_key(|c| (!c.is_default(), c.id));
        Ok(cards)
    }

    /// Adds a card for a segment and stage, and rescores every account.
    pub async fn create_scorecard(&self, fields: Valid<ScorecardFields>) -> Result<Scorecard> {
        let mut tx = self.begin_write().await?;
        cards_in(&mut tx).await?;
        let id = insert_card(&mut tx, &fields).await?;
        tx.commit().await?;
        self.rescore_all().await?;
        Ok(Scorecard {
            id: ScorecardId(id),
            fields: fields.into_inner(),
        })
    }

    /// Replaces a card and rescores every account. The default card keeps "any segment, any
    /// stage": without it some accounts would have no card.
    pub async fn update_scorecard(&self, id: ScorecardId, fields: Valid<ScorecardFields>) -> Result<Scorecard> {
        let mut tx = self.begin_write().await?;
        let cards = cards_in(&mut tx).await?;
        let current = cards.iter().find(|c| c.id == id).ok_or(StoreError::NotFound {
            what: "scorecard",
            key: id.to_string(),
        })?;
        if current.is_default() && (fields.tier.is_some() || fields.lifecycle_stage.is_some()) {
            return Err(lodestar_domain::Invalid::field(
                "tier",
                "the default scorecard scores every account no other card fits; its segment and stage stay \"any\"",
            )
            .into());
        }
        let (tier, stage, measures) = card_values(&fields);
        Query::sql(
            "UPDATE scorecards SET name = $1, tier = $2, lifecycle_stage = $3, red_below = $4, green_from = $5, \
             measures = $6 WHERE id = $7",
        )
        .bind(fields.name.as_str())
        .bind(tier)
        .bind(stage)
        .bind(i64::from(fields.bands.red_below))
        .bind(i64::from(fields.bands.green_from))
        .bind(measures)
        .bind(id.0)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.rescore_all().await?;
        Ok(Scorecard {
            id,
            fields: fields.into_inner(),
        })
    }

    /// Removes a card (never the default one) and rescores every account.
    pub async fn delete_scorecard(&self, id: ScorecardId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let cards = cards_in(&mut tx).await?;
        if cards.iter().any(|c| c.id == id && c.is_default()) {
            return Err(StoreError::Conflict(
                "the default scorecard scores every account no other card fits; it cannot be removed".into(),
            ));
        }
        delete_by_id(&mut tx, "scorecards", "scorecard", id.0).await?;
        tx.commit().await?;
        self.rescore_all().await
    }
}
