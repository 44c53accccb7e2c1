//! Demo onboarding (F-36): five accounts with usage each have an onboarding plan, one in every
//! state — just started, on track, behind (tasks overdue), the customer saying the process
//! integration is not done yet, and complete as the customer confirmed — with tasks on both
//! sides and risks, so the onboarding pages, the customer's link and the "onboarding" measure
//! show every case.

use chrono::{Days, NaiveDate};
use lodestar_domain::account::Account;
use lodestar_domain::onboarding::{CustomerVerdict, OnboardingFields, TaskFields, TaskSide, standard_tasks};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::LifecycleStage;
use lodestar_store::Store;

/// Days since signature, plan length in days, the share of due tasks done (of 4), the answer.
const PLANS: [(u64, u64, usize, Option<(bool, bool)>); 5] = [
    (2, 60, 0, None),
    (30, 60, 4, None),
    (45, 60, 1, None),
    (70, 60, 4, Some((true, false))),
    (90, 60, 4, Some((true, true))),
];

const CUSTOMER_TASKS: [(&str, &str, u64); 3] = [
    ("Name the project lead and the admins", "Their project lead", 5),
    ("Connect single sign-on", "Their IT lead", 20),
    ("Map the renewal and escalation process", "Their CS operations lead", 40),
];

fn text<T>(parsed: Result<T, String>) -> anyhow::Result<T> {
    parsed.map_err(anyhow::Error::msg)
}

/// Loads the demo onboarding plans; returns how many.
pub async fn load(store: &Store, accounts: &[Account], today: NaiveDate) -> anyhow::Result<usize> {
    let open = accounts
        .iter()
        .filter(|a| a.fields.lifecycle_stage != LifecycleStage::Churned)
        .filter(|a| a.fields.owner_id.is_some());
    let mut count = 0;
    for (account, (days, length, done, answer)) in open.zip(PLANS) {
        let signed_on = today - Days::new(days);
        let fields = OnboardingFields {
            signed_on,
            target_on: signed_on + Days::new(length),
            risks: text(Note::parse("Their IT team is short-staffed until the new quarter"))?,
        };
        let mut tasks = standard_tasks(&fields, &text(Label::parse("Our CSM"))?);
        for (title, owner, after) in CUSTOMER_TASKS {
            tasks.push(TaskFields {
                title: text(Name::parse(title))?,
                side: TaskSide::Customer,
                owner: text(Label::parse(owner))?,
                due_on: signed_on + Days::new(after),
            });
        }
        let plan = store
            .create_onboarding(account.id, fields.validate()?, tasks, account.fields.owner_id)
            .await?;
        let due: Vec<_> = plan.tasks.iter().filter(|t| t.fields.due_on <= today).collect();
        for task in due.iter().take(done) {
            let by = match task.fields.side {
                TaskSide::Ours => "Our CSM",
                TaskSide::Customer => "Their project lead (customer)",
            };
            store.tick_onboarding_task(plan.id, task.id, true, by, None).await?;
        }
        if let Some((technical, process)) = answer {
            store
                .answer_onboarding(plan.id, CustomerVerdict { technical, process }, "Their project lead")
                .await?;
        }
        count += 1;
    }
    Ok(count)
}
