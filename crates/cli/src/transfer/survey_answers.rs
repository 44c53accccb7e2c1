//! `lodestar import survey-answers FILE` and `lodestar export survey-answers`: past NPS, CSAT
//! and micro-survey answers as CSV. Columns: `external_id` (names the answer, so importing a
//! file again adds nothing), `account_external_id`, `contact_email` (optional), `kind`,
//! `question`, `score`, `comment`, `answered_on`. Every problem is reported by file, line and
//! column, and nothing is written unless every row is valid. Past answers open no tasks.

use std::io::Write;
use std::path::Path;

use lodestar_domain::dates::parse_date;
use lodestar_domain::survey::{comment, score};
use lodestar_domain::vocabulary::SurveyKind;
use lodestar_store::{ImportedAnswer, Store};

use super::export::neutralise;
use super::import::unneutralise;
use super::{AddedRecords, OwnColumns};

pub const COLUMNS: [&str; 9] = [
    "external_id",
    "account_external_id",
    "contact_email",
    "kind",
    "question",
    "score",
    "comment",
    "answered_on",
    "contact_name",
];
/// The columns an import reads (`contact_name` is the export's, for people reading it).
const REQUIRED: [&str; 5] = ["external_id", "account_external_id", "kind", "score", "answered_on"];

pub async fn import_survey_answers(store: &Store, file: &Path) -> anyhow::Result<AddedRecords> {
    let name = file.display().to_string();
    let OwnColumns { mut reader, headers } = match OwnColumns::open(file, &REQUIRED)? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    let column = |field: &str| headers.get(field).map(|c| c + 1);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        // What an export neutralised for spreadsheets imports as it was written.
        let cell = |field: &str| {
            unneutralise(headers.get(field).and_then(|i| record.get(*i)).unwrap_or_default())
                .trim()
                .to_owned()
        };
        let mut problem = |field: &str, reason: String| {
            errors.push(format!(
                "{name}:{line}:{}: {field}: {reason}",
                column(field).unwrap_or(0)
            ));
        };
        let external_id = cell("external_id");
        if external_id.is_empty() {
            problem("external_id", "must not be empty".into());
        }
        let kind = cell("kind").parse::<SurveyKind>();
        let kind = match kind {
            Ok(k) => Some(k),
            Err(e) => {
                problem("kind", e);
                None
            }
        };
        let scored = match (kind, cell("score").parse::<i64>()) {
            (Some(kind), Ok(s)) => score(kind, s).map_err(|e| problem("score", e)).ok(),
            (_, Err(_)) => {
                problem("score", format!("{:?} is not a whole number", cell("score")));
                None
            }
            (None, _) => None,
        };
        let said = comment(&cell("comment"))
            .map_err(|e| problem("comment", e))
            .ok()
            .flatten();
        let day = parse_date(&cell("answered_on"), &[])
            .map_err(|e| problem("answered_on", e))
            .ok();
        let question = match (kind, cell("question")) {
            (Some(k), q) if q.is_empty() => k.standard_question().unwrap_or_default().to_owned(),
            (_, q) => q,
        };
        if question.is_empty() {
            problem("question", "a micro survey's answer needs its question".into());
        }
        if let (Some(kind), Some(score), Some(answered_on)) = (kind, scored, day) {
            let email = cell("contact_email");
            rows.push(ImportedAnswer {
                external_id,
                account_external_id: cell("account_external_id"),
                contact_email: (!email.is_empty()).then_some(email),
                kind,
                question,
                score,
                comment: said,
                answered_on,
            });
            lines.push(line);
        }
    }
    let count = rows.len();
    if !errors.is_empty() {
        return Ok(AddedRecords::refused(count, errors));
    }
    let written = store.import_survey_answers(&rows).await;
    AddedRecords::from_store(&name, count, written, &lines, |field| column(field).unwrap_or(0))
}

/// Writes every answer, oldest first, as CSV; how many.
pub async fn export_survey_answers(store: &Store, out: &mut dyn Write) -> anyhow::Result<usize> {
    let answers = store.all_survey_answers().await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for a in &answers {
        let external_id = a.external_id.clone().unwrap_or_else(|| format!("lodestar-{}", a.id));
        w.write_record([
            neutralise(&external_id),
            neutralise(&a.account_external_id),
            neutralise(a.contact_email.as_deref().unwrap_or_default()),
            a.kind.as_str().to_owned(),
            neutralise(&a.question),
            a.score.to_string(),
            neutralise(a.comment.as_deref().unwrap_or_default()),
            a.answered_at.date_naive().to_string(),
            neutralise(a.contact_name.as_deref().unwrap_or_default()),
        ])?;
    }
    w.flush()?;
    Ok(answers.len())
}
