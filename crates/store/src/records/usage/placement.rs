//! Where stored events belong now: the rule a rebuild of the rollups places them by, and an
//! export picks one account's events by. An event goes to the account of its own groupId,
//! else to its person's (after any alias); an event still waiting for its account has none.

use std::collections::{HashMap, HashSet};

use lodestar_domain::usage::Message;

use crate::{Result, Tx, on_tx};

pub(super) struct Placement {
    /// Account id by external id.
    accounts: HashMap<String, i64>,
    /// Account id by person, for the people placed.
    people: HashMap<String, i64>,
    /// An earlier id → the person's id it was aliased to.
    aliases: HashMap<String, String>,
    /// The message ids still waiting for an account.
    waiting: HashSet<String>,
}

impl Placement {
    /// Reads what places events, as `tx` sees it.
    pub(super) async fn read(tx: &mut Tx) -> Result<Placement> {
        let accounts: Vec<(String, i64)> = on_tx!(&mut *tx, |c| sqlx::query_as("SELECT external_id, id FROM accounts")
            .fetch_all(&mut *c)
            .await?);
        let people: Vec<(String, i64)> = on_tx!(&mut *tx, |c| sqlx::query_as(
            "SELECT user_key, account_id FROM usage_people WHERE account_id IS NOT NULL"
        )
        .fetch_all(&mut *c)
        .await?);
        let aliases: Vec<(String, String)> = on_tx!(&mut *tx, |c| sqlx::query_as(
            "SELECT previous_key, user_key FROM usage_aliases"
        )
        .fetch_all(&mut *c)
        .await?);
        let waiting: Vec<String> = on_tx!(&mut *tx, |c| sqlx::query_scalar("SELECT message_id FROM usage_waiting")
            .fetch_all(&mut *c)
            .await?);
        Ok(Placement {
            accounts: accounts.into_iter().collect(),
            people: people.into_iter().collect(),
            aliases: aliases.into_iter().collect(),
            waiting: waiting.into_iter().collect(),
        })
    }

    /// Whether the message with this id waits for its account.
    pub(super) fn waits(&self, message_id: &str) -> bool {
        self.waiting.contains(message_id)
    }

    /// The person `user_key` is now: the end of its chain of aliases.
    pub(super) fn person<'a>(&'a self, user_key: &'a str) -> &'a str {
        let mut user = user_key;
        // Bounded in case a chain ever loops.
        for _ in 0..self.aliases.len() {
            match self.aliases.get(user) {
                Some(next) if next != user => user = next,
                _ => break,
            }
        }
        user
    }

    /// The account a stored message is on; `None` while it waits.
    pub(super) fn account(&self, m: &Message) -> Option<i64> {
        if self.waits(&m.message_id) {
            return None;
        }
        match &m.group_id {
            Some(g) => self.accounts.get(g).copied(),
            None => self.people.get(self.person(&m.user_key)).copied(),
        }
    }
}
