//! Demo surveys (F-40): an NPS survey on each of the first accounts, sent to up to three of its
//! contacts, most answering — promoters, passives and detractors, with comments (a detractor's
//! answer opens its close-the-loop task) — a CSAT and a micro survey, a year of past NPS
//! answers imported (so the report has periods to compare), and a few beta candidates. Like
//! the plans', the demo's links hold no secret anyone has.

use chrono::{Datelike, Duration};
use lodestar_domain::survey::SurveyFields;
use lodestar_domain::vocabulary::{LinkAction, SurveyKind};
use lodestar_domain::{AccountId, ContactId, SurveyId};
use lodestar_store::{ImportedAnswer, LinkTarget, NewCustomerLink, Store};

/// Accounts that get surveys.
pub const ACCOUNTS: usize = 24;

/// Scores and comments, cycled: every band, most with a write-in.
const ANSWERS: [(i64, &str); 9] = [
    (
        10,
        "The weekly report is the first thing our COO opens on Monday. Would happily test new dashboards early.",
    ),
    (9, "Support answers within the hour. We'd love to try the API beta."),
    (8, "Solid product; the Salesforce sync is still a bit slow."),
    (
        3,
        "Exports keep failing on large accounts and nobody told us when it would be fixed.",
    ),
    (7, ""),
    (10, "Onboarding our EMEA team took days, not weeks."),
    (6, "Pricing went up at renewal without any new value for us."),
    (9, "Great CSM. Please add SSO for the contractors."),
    (
        5,
        "Too many clicks to build a board pack; we still export to spreadsheets.",
    ),
];

async fn link(store: &Store, survey: SurveyId, contact: ContactId) -> anyhow::Result<lodestar_store::CustomerLink> {
    Ok(store
        .create_customer_link(
            &NewCustomerLink {
                target: LinkTarget::Survey(survey),
                contact_id: contact,
                actions: vec![LinkAction::Answer],
                expires_at: store.now() + Duration::days(30),
                // Not the hash of any secret: nobody holds a working link to demo surveys.
                token_hash: format!("demo-survey-{survey}-{contact}"),
            },
            None,
        )
        .await?)
}

/// Returns how many answers there are.
pub async fn load(store: &Store, accounts: &[(AccountId, Vec<ContactId>)]) -> anyhow::Result<usize> {
    let nps = SurveyFields::new(SurveyKind::Nps, "").map_err(anyhow::Error::msg)?;
    let mut answers = 0;
    let mut n = 0;
    for (i, (account, contacts)) in accounts.iter().enumerate() {
        let survey = store.create_survey(*account, &nps, None).await?;
        for (c, contact) in contacts.iter().take(3).enumerate() {
            let link = link(store, survey.id, *contact).await?;
            // One link in four stays unanswered: the response rate is not 100 %.
            if (i + c) % 4 == 3 {
                continue;
            }
            let (score, comment) = ANSWERS[n % ANSWERS.len()];
            n += 1;
            store.answer_survey(&link, score, comment).await?;
            answers += 1;
            if score >= 9 && comment.contains("beta") || comment.contains("early") {
                store
                    .tag_beta_candidate(*contact, "Asked to test new features in their NPS comment", None)
                    .await?;
            }
        }
        let Some(&first) = contacts.first() else { continue };
        if i % 3 == 1 {
            let csat = store
                .create_survey(
                    *account,
                    &SurveyFields::new(SurveyKind::Csat, "").map_err(anyhow::Error::msg)?,
                    None,
                )
                .await?;
            store
                .answer_survey(&link(store, csat.id, first).await?, 4, "Quick answers from support.")
                .await?;
            answers += 1;
        }
        if i % 5 == 2 {
            let micro = SurveyFields::new(SurveyKind::Micro, "How useful is the new weekly usage report?")
                .map_err(anyhow::Error::msg)?;
            let micro = store.create_survey(*account, &micro, None).await?;
            store
                .answer_survey(
                    &link(store, micro.id, first).await?,
                    5,
                    "Very — we forward it to the board.",
                )
                .await?;
            answers += 1;
        }
    }
    answers += past(store, accounts).await?;
    Ok(answers)
}

/// A year of past NPS answers, one a quarter per account, as an import would bring them.
async fn past(store: &Store, accounts: &[(AccountId, Vec<ContactId>)]) -> anyhow::Result<usize> {
    let today = store.today();
    let mut rows = Vec::new();
    for (i, (account, _)) in accounts.iter().enumerate() {
        let Some(found) = store.account(*account).await? else {
            continue;
        };
        for quarter in 1..=4_i64 {
            let day = today - Duration::days(91 * quarter);
            let (score, comment) = ANSWERS[(i + quarter as usize * 2) % ANSWERS.len()];
            rows.push(ImportedAnswer {
                external_id: format!("demo-nps-{}-{}-q{}", found.fields.external_id, day.year(), quarter),
                account_external_id: found.fields.external_id.to_string(),
                contact_email: None,
                kind: SurveyKind::Nps,
                question: SurveyKind::Nps.standard_question().unwrap_or_default().to_owned(),
                score: i32::try_from(score)?,
                comment: (!comment.is_empty()).then(|| comment.to_owned()),
                answered_on: day,
            });
        }
    }
    Ok(usize::try_from(store.import_survey_answers(&rows).await?)?)
}
