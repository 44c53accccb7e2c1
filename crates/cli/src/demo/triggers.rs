//! Demo trigger rules (F-51), run once so their firings show: a task when a strategic
//! account's renewal is 90 days away, with the playbook's executive business review as a
//! second task (and a webhook post), a reactive QBR and a notification
//! to the admin when a champion leaves, a task to chase a promise a week overdue.

use anyhow::Context;
use lodestar_domain::text::Name;
use lodestar_domain::trigger::{Action, Condition, RuleFields, Signal};
use lodestar_domain::vocabulary::{Role, Tier};
use lodestar_store::Store;

use super::playbooks::EBR_TACTIC;

/// Loads the rules (after the playbook library, whose tactic one names) and runs them once;
/// returns how many firings that made.
pub async fn load(store: &Store) -> anyhow::Result<usize> {
    let Some(admin) = store.users().await?.into_iter().find(|u| u.fields.role == Role::Admin) else {
        return Ok(0);
    };
    let ebr = store
        .playbook_library()
        .await?
        .outcomes
        .into_iter()
        .filter(|o| o.outcome.fields.tier == Tier::Strategic)
        .flat_map(|o| o.outcome.fields.tactics)
        .find(|t| t.title.as_str() == EBR_TACTIC)
        .and_then(|t| t.id)
        .context("the demo playbook library has no strategic EBR tactic")?;
    let rules = [
        RuleFields {
            name: Name::parse("Strategic renewal in 90 days").map_err(anyhow::Error::msg)?,
            signal: Signal::RenewalIn { days: 90 },
            condition: Condition {
                tier: Some(Tier::Strategic),
                ..Condition::default()
            },
            actions: vec![
                Action::CreateTask {
                    title: "Confirm the renewal plan with {account}: {cause}".into(),
                    due_in_days: 7,
                },
                Action::PlaybookTask {
                    tactic: ebr,
                    due_in_days: 14,
                },
                Action::PostWebhook,
            ],
            enabled: true,
        },
        RuleFields {
            name: Name::parse("Champion left").map_err(anyhow::Error::msg)?,
            signal: Signal::ChampionLeft { days: 60 },
            condition: Condition::default(),
            actions: vec![Action::ReactiveQbr, Action::NotifyUser { user: admin.id }],
            enabled: true,
        },
        RuleFields {
            name: Name::parse("Promise a week overdue").map_err(anyhow::Error::msg)?,
            signal: Signal::PromiseOverdue { days: 7 },
            condition: Condition::default(),
            actions: vec![Action::CreateTask {
                title: "Chase {account}: {cause}".into(),
                due_in_days: 2,
            }],
            enabled: true,
        },
    ];
    for rule in rules {
        store.create_trigger_rule(rule.validate()?, Some(admin.id)).await?;
    }
    Ok(store.run_trigger_rules(store.today()).await?.fired)
}
