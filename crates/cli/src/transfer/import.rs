//! CSV import (F-05). Reads the whole file, checks every row — values, rules between fields,
//! references to users and accounts — and only then writes, in one transaction. By default a
//! file with any invalid row writes nothing; `--skip-invalid` writes the valid rows. Rows are
//! matched by external id (users by email), so importing the same file twice changes nothing.
//!
//! Columns: a required field's column must be there; the other columns a preset names are
//! read when present (a CRM exports the columns its user picked). The columns nothing reads
//! are named in the report, or with `--keep-unmapped` kept as custom fields (accounts only).
//! Reading the file and its rows is pure ([`Sheet::read`], then one reader per kind against
//! the [`Stored`] records it refers to), so it can be tested on any input without a database.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use lodestar_domain::account::AccountFields;
use lodestar_domain::contact::ContactFields;
use lodestar_domain::contract::{ContractFields, Currency};
use lodestar_domain::dates::parse_date;
use lodestar_domain::text::{CustomFields, Email, ExternalId};
use lodestar_domain::ticket::{Tag, TicketFields};
use lodestar_domain::user::{AccountSlot, User, UserFields};
use lodestar_domain::vocabulary::{ContactStatus, LifecycleStage, TicketPriority};
use lodestar_domain::{AccountId, Cents, Invalid, UserId};
use lodestar_store::{AccountUpsert, ContractUpsert, Store, UpsertSummary, UserUpsert};

use super::kinds::{Kind, custom_key};
use super::mapping::Mapping;

pub struct ImportOptions {
    /// A preset name or a mapping file; `None` expects Lodestar's own headers.
    pub mapping: Option<String>,
    pub skip_invalid: bool,
    /// Keep the columns nothing reads as custom fields, named after their headers.
    pub keep_unmapped: bool,
    /// The date an ARR change found by re-importing a contract takes effect.
    pub as_of: NaiveDate,
    /// Show a progress bar (only ever drawn on a terminal).
    pub progress: bool,
}

/// One problem in one cell (or row) of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// 1-based column, when the problem is in one cell.
    pub column: Option<usize>,
    pub field: String,
    pub reason: String,
}

/// A problem with the file as a whole (its header, its CSV), which stops the import before
/// any row is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{} {reason}", column.map(|c| format!("{c}:")).unwrap_or_default())]
pub struct FileError {
    pub line: u64,
    /// 1-based column, when the problem is in one.
    pub column: Option<usize>,
    pub reason: String,
}

impl FileError {
    fn header(column: Option<usize>, reason: String) -> FileError {
        FileError {
            line: 1,
            column,
            reason,
        }
    }
}

/// A column no field reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedColumn {
    pub header: String,
    /// The custom field it fills instead, with `--keep-unmapped`.
    pub kept_as: Option<String>,
}

#[derive(Debug)]
pub struct ImportReport {
    pub file: String,
    pub rows: usize,
    pub invalid: Vec<RowError>,
    /// What was written; `None` when errors stopped the import before writing.
    pub written: Option<UpsertSummary>,
    pub unmapped: Vec<UnmappedColumn>,
}

impl ImportReport {
    /// `FILE:LINE:COLUMN: field: reason` for every problem.
    pub fn error_lines(&self) -> Vec<String> {
        self.invalid
            .iter()
            .map(|e| match e.column {
                Some(c) => format!("{}:{}:{}: {}: {}", self.file, e.line, c, e.field, e.reason),
                None => format!("{}:{}: {}: {}", self.file, e.line, e.field, e.reason),
            })
            .collect()
    }

    /// `; unmapped columns, not imported: "A", "B"` and the columns kept as custom fields.
    fn fmt_unmapped(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ignored: Vec<String> = self
            .unmapped
            .iter()
            .filter(|c| c.kept_as.is_none())
            .map(|c| format!("{:?}", c.header))
            .collect();
        let kept: Vec<String> = self
            .unmapped
            .iter()
            .filter_map(|c| Some(format!("{:?} as custom.{}", c.header, c.kept_as.as_ref()?)))
            .collect();
        if !ignored.is_empty() {
            write!(f, "; unmapped columns, not imported: {}", ignored.join(", "))?;
        }
        if !kept.is_empty() {
            write!(f, "; unmapped columns kept as custom fields: {}", kept.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.written {
            Some(w) => {
                write!(
                    f,
                    "{}: {} rows read, {} created, {} updated",
                    self.file, self.rows, w.created, w.updated
                )?;
                if w.changes_recorded > 0 {
                    write!(f, ", {} ARR changes recorded", w.changes_recorded)?;
                }
                let skipped: HashSet<u64> = self.invalid.iter().map(|e| e.line).collect();
                if !skipped.is_empty() {
                    write!(f, ", {} invalid rows skipped", skipped.len())?;
                }
            }
            None => write!(
                f,
                "{}: {} problems in {} rows; nothing was imported (fix them, or use --skip-invalid to import the valid rows)",
                self.file,
                self.invalid.len(),
                self.rows
            )?,
        }
        self.fmt_unmapped(f)
    }
}

/// Reads `path` as CSV of `kind` and writes it to `store`. Errors about the file as a whole
/// (unreadable, unknown mapping, missing columns) are `Err`; row problems are in the report.
pub async fn import(store: &Store, kind: Kind, path: &Path, options: &ImportOptions) -> anyhow::Result<ImportReport> {
    let file = path.display().to_string();
    if options.keep_unmapped && !kind.has_custom_fields() {
        bail!(
            "--keep-unmapped: {} have no custom fields to keep other columns in; only accounts do",
            kind.name()
        );
    }
    let mapping = match &options.mapping {
        Some(spec) => Mapping::load(spec, kind)?,
        None => Mapping::default(),
    };
    let size = std::fs::metadata(path)
        .with_context(|| format!("{file}: cannot read"))?
        .len();
    let input = std::fs::File::open(path).with_context(|| format!("{file}: cannot read"))?;
    let bar = super::progress_bar(
        size,
        options.progress,
        "reading {bytes}/{total_bytes} [{bar:30}] {eta} left",
    );
    let (mut sheet, unmapped) =
        Sheet::read(kind, mapping, options.keep_unmapped, input, &bar).map_err(|e| anyhow::anyhow!("{file}:{e}"))?;
    let rows = sheet.rows.len() + sheet.errors.len();
    // Checking references and writing one transaction take longer than reading: keep
    // showing that the import is alive.
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"));
    bar.set_message(format!("checking and writing {rows} rows"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));

    let stored = Stored::read(store).await?;
    let written = match kind {
        Kind::Users => {
            let valid = users(&mut sheet, &stored);
            sheet.write_if_clean(options, || store.upsert_users(valid)).await?
        }
        Kind::Accounts => {
            let valid = accounts(&mut sheet, &stored);
            sheet.write_if_clean(options, || store.upsert_accounts(valid)).await?
        }
        Kind::Contacts => {
            let valid = contacts(&mut sheet, &stored);
            sheet.write_if_clean(options, || store.upsert_contacts(valid)).await?
        }
        Kind::Contracts => {
            let valid = contracts(&mut sheet, &stored, options.as_of);
            sheet.write_if_clean(options, || store.upsert_contracts(valid)).await?
        }
        Kind::Tickets => {
            let valid = tickets(&mut sheet, &stored);
            sheet.write_if_clean(options, || store.upsert_tickets(valid)).await?
        }
    };
    bar.finish_and_clear();
    let mut invalid = sheet.errors;
    invalid.sort_by_key(|e| (e.line, e.column));
    Ok(ImportReport {
        file,
        rows,
        invalid,
        written,
        unmapped,
    })
}

/// Exports protect cells that a spreadsheet would run as a formula by prefixing `'`; this
/// takes the prefix off again so an exported file imports to the same values.
pub(crate) fn unneutralise(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// Field → 0-based column index, and the columns no field reads (with `keep_unmapped`, read
/// as the custom fields they are named after).
fn resolve_columns(
    kind: Kind,
    mapping: &Mapping,
    headers: &csv::StringRecord,
    keep_unmapped: bool,
) -> Result<(HashMap<String, usize>, Vec<UnmappedColumn>), FileError> {
    let find = |wanted: &str| {
        headers.iter().position(|h| h == wanted).or_else(|| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(wanted.trim()))
        })
    };
    let mut columns = HashMap::new();
    if mapping.columns.is_empty() {
        for (i, h) in headers.iter().enumerate() {
            if kind.accepts(h.trim()) {
                columns.insert(h.trim().to_owned(), i);
            }
        }
    } else {
        for (field, header) in &mapping.columns {
            match find(header) {
                Some(i) => {
                    columns.insert(field.clone(), i);
                }
                None if kind.required().contains(&field.as_str()) => {
                    return Err(FileError::header(
                        None,
                        format!("the header has no column {header:?} for the required field {field}"),
                    ));
                }
                None if mapping.columns_optional => {}
                None => {
                    return Err(FileError::header(
                        None,
                        format!("the header has no column {header:?} (mapped to {field})"),
                    ));
                }
            }
        }
    }
    let missing: Vec<&str> = kind
        .required()
        .iter()
        .copied()
        .filter(|f| !columns.contains_key(*f))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::header(
            None,
            format!(
                "no column for the required field(s) {}; {} files need {} (use --mapping for other headers)",
                missing.join(", "),
                kind.name(),
                kind.required().join(", ")
            ),
        ));
    }
    let used: HashSet<usize> = columns.values().copied().collect();
    let mut unmapped = Vec::new();
    for (i, header) in headers.iter().enumerate().filter(|(i, _)| !used.contains(i)) {
        let kept_as = if keep_unmapped {
            let key = CustomFields::key_for(header).map_err(|e| {
                FileError::header(
                    Some(i + 1),
                    format!("cannot keep the column as a custom field: {e}; rename it, or map it to custom.KEY in a mapping file"),
                )
            })?;
            let field = format!("custom.{key}");
            if let Some(other) = columns.get(&field) {
                return Err(FileError::header(
                    Some(i + 1),
                    format!(
                        "cannot keep the column {header:?} as {field}: column {} fills it already",
                        other + 1
                    ),
                ));
            }
            columns.insert(field, i);
            Some(key)
        } else {
            None
        };
        unmapped.push(UnmappedColumn {
            header: header.to_owned(),
            kept_as,
        });
    }
    Ok((columns, unmapped))
}

struct Sheet {
    kind: Kind,
    mapping: Mapping,
    columns: HashMap<String, usize>,
    rows: Vec<(u64, Vec<String>)>,
    errors: Vec<RowError>,
}

impl Sheet {
    /// Reads CSV of `kind` from `input` as `mapping` says: the header resolved to fields (see
    /// [`resolve_columns`]), each row's cells kept with its line; a row with the wrong number
    /// of cells is an error of its own.
    fn read(
        kind: Kind,
        mapping: Mapping,
        keep_unmapped: bool,
        input: impl Read,
        bar: &ProgressBar,
    ) -> Result<(Sheet, Vec<UnmappedColumn>), FileError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = reader
            .headers()
            .map_err(|e| FileError::header(None, format!("cannot read the header: {e}")))?
            .clone();
        let (columns, unmapped) = resolve_columns(kind, &mapping, &headers, keep_unmapped)?;
        let mut sheet = Sheet {
            kind,
            mapping,
            columns,
            rows: Vec::new(),
            errors: Vec::new(),
        };
        for record in reader.records() {
            let record = record.map_err(|e| FileError {
                line: e.position().map_or(0, |p| p.line()),
                column: None,
                reason: format!("not valid CSV: {e}"),
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != headers.len() {
                sheet.errors.push(RowError {
                    line,
                    column: None,
                    field: "row".into(),
                    reason: format!("has {} cells but the header has {}", record.len(), headers.len()),
                });
            } else {
                sheet.rows.push((line, record.iter().map(unneutralise).collect()));
            }
            if sheet.rows.len().is_multiple_of(1024) {
                bar.set_position(record.position().map_or(0, |p| p.byte()));
            }
        }
        Ok((sheet, unmapped))
    }
}

/// One row being read: typed access to its fields, collecting every problem.
struct Row<'a> {
    sheet_kind: Kind,
    mapping: &'a Mapping,
    columns: &'a HashMap<String, usize>,
    line: u64,
    cells: &'a [String],
    errors: Vec<RowError>,
}

impl Row<'_> {
    fn column_of(&self, field: &str) -> Option<usize> {
        self.columns.get(field).map(|i| i + 1)
    }

    fn error(&mut self, field: &str, reason: impl Into<String>) {
        let field = self.sheet_kind.field_for(field).to_owned();
        let column = self.column_of(&field);
        self.errors.push(RowError {
            line: self.line,
            column,
            field,
            reason: reason.into(),
        });
    }

    /// The trimmed, translated value of `field`; `None` when unmapped or empty.
    fn text(&self, field: &str) -> Option<&str> {
        let raw = self.cells.get(*self.columns.get(field)?)?;
        let value = self.mapping.translate(field, raw).trim();
        (!value.is_empty()).then_some(value)
    }

    fn optional<T>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.text(field)?.to_owned();
        parse(&value).map_err(|e| self.error(field, e)).ok()
    }

    fn required<T>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        if self.text(field).is_none() {
            self.error(field, "is required");
            return None;
        }
        self.optional(field, parse)
    }

    fn date(&mut self, field: &str, required: bool) -> Option<NaiveDate> {
        let formats = self.mapping.date_formats.clone();
        let parse = |v: &str| parse_date(v, &formats);
        if required {
            self.required(field, parse)
        } else {
            self.optional(field, parse)
        }
    }

    /// A moment as help desks export it: RFC 3339 (`2026-11-20T09:00:00Z`), a UTC date and
    /// time (`2026-11-20 09:00:00`, `2026-11-20 09:00`), or a day (its midnight, UTC).
    fn moment(&mut self, field: &str, required: bool) -> Option<DateTime<Utc>> {
        let formats = self.mapping.date_formats.clone();
        let parse = |v: &str| {
            if let Ok(t) = DateTime::parse_from_rfc3339(v) {
                return Ok(t.with_timezone(&Utc));
            }
            for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
                if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, format) {
                    return Ok(t.and_utc());
                }
            }
            parse_date(v, &formats)
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
                .map_err(|_| format!("{v:?} is not a time (expected 2026-11-20T09:00:00Z, 2026-11-20 09:00 or a date)"))
        };
        if required {
            self.required(field, parse)
        } else {
            self.optional(field, parse)
        }
    }

    fn invalid(&mut self, invalid: Invalid) {
        for e in invalid.errors {
            self.error(e.field, e.reason);
        }
    }
}

fn parse_count(value: &str) -> Result<u32, String> {
    value
        .replace(',', "")
        .parse::<u32>()
        .map_err(|_| format!("{value:?} is not a whole number of zero or more"))
}

impl Sheet {
    /// Reads every row with `read`, which returns the row's key (for duplicate detection)
    /// and its value, or `None` when the row had problems.
    fn read_rows<T>(&mut self, mut read: impl FnMut(&mut Row<'_>) -> Option<(String, T)>) -> Vec<(u64, T)> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let key_field = if self.kind == Kind::Users {
            "email"
        } else {
            "external_id"
        };
        for (line, cells) in &self.rows {
            let mut row = Row {
                sheet_kind: self.kind,
                mapping: &self.mapping,
                columns: &self.columns,
                line: *line,
                cells,
                errors: Vec::new(),
            };
            let value = read(&mut row);
            if let Some((key, value)) = value.filter(|_| row.errors.is_empty()) {
                match seen.get(&key) {
                    Some(first) => row.error(key_field, format!("{key} already appears on line {first}")),
                    None => {
                        seen.insert(key, *line);
                        out.push((*line, value));
                    }
                }
            }
            self.errors.append(&mut row.errors);
        }
        out
    }

    /// Writes the valid rows unless there are errors and `--skip-invalid` was not given.
    async fn write_if_clean<F, Fut>(&self, options: &ImportOptions, write: F) -> anyhow::Result<Option<UpsertSummary>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = lodestar_store::Result<UpsertSummary>>,
    {
        if !self.errors.is_empty() && !options.skip_invalid {
            return Ok(None);
        }
        Ok(Some(
            write().await.context("the import was refused; nothing was written")?,
        ))
    }
}

/// What rows refer to that is already stored: the team and the accounts.
struct Stored {
    people: People,
    /// Account id by external id.
    accounts: HashMap<String, AccountId>,
}

impl Stored {
    async fn read(store: &Store) -> anyhow::Result<Stored> {
        Ok(Stored {
            people: People::new(&store.users().await?),
            accounts: store.account_ids().await?,
        })
    }
}

/// Resolves a person named in a CRM export: by email, else by their exact, unique name
/// (CRM exports often give the owner's name).
struct People {
    by_email: HashMap<String, (UserId, lodestar_domain::vocabulary::Role)>,
    by_name: HashMap<String, Vec<(UserId, lodestar_domain::vocabulary::Role)>>,
}

impl People {
    fn new(users: &[User]) -> People {
        let mut by_name: HashMap<String, Vec<_>> = HashMap::new();
        for u in users {
            by_name
                .entry(u.fields.name.as_str().to_lowercase())
                .or_default()
                .push((u.id, u.fields.role));
        }
        let by_email = users
            .iter()
            .map(|u| (u.fields.email.to_string(), (u.id, u.fields.role)))
            .collect();
        People { by_email, by_name }
    }

    fn resolve(&self, slot: AccountSlot, who: &str) -> Result<UserId, String> {
        let found = match self.by_email.get(&who.to_lowercase()) {
            Some(u) => *u,
            None => match self.by_name.get(&who.to_lowercase()).map(Vec::as_slice) {
                Some([u]) => *u,
                Some(_) => return Err(format!("several users are named {who:?}; use their email")),
                None => return Err(format!("unknown user {who:?} (no user has this email or name)")),
            },
        };
        if !slot.accepts(found.1) {
            return Err(slot.refusal(who, found.1));
        }
        Ok(found.0)
    }
}

fn users(sheet: &mut Sheet, stored: &Stored) -> Vec<UserUpsert> {
    let known = &stored.people.by_email;
    let in_file: HashSet<String> = sheet
        .rows
        .iter()
        .filter_map(|(_, cells)| Some(cells.get(*sheet.columns.get("email")?)?.trim().to_lowercase()))
        .collect();
    let rows = sheet.read_rows(|row| {
        let email = row.required("email", Email::parse);
        let name = row.required("name", |v| v.parse());
        let role = row.required("role", |v| v.parse());
        let capacity = row.optional("capacity", parse_count);
        let manager_email = row.optional("manager_email", Email::parse);
        if let Some(m) = &manager_email
            && !known.contains_key(m.as_str())
            && !in_file.contains(m.as_str())
        {
            row.error(
                "manager_email",
                format!("no user has the email {m} (in the database or this file)"),
            );
        }
        let fields = UserFields {
            email: email?,
            name: name?,
            role: role?,
            manager_id: None,
            capacity,
        };
        match fields.validate(None) {
            Ok(fields) => Some((fields.email.to_string(), UserUpsert { fields, manager_email })),
            Err(e) => {
                row.invalid(e);
                None
            }
        }
    });
    rows.into_iter().map(|(_, u)| u).collect()
}

fn accounts(sheet: &mut Sheet, stored: &Stored) -> Vec<AccountUpsert> {
    let (people, known) = (&stored.people, &stored.accounts);
    let in_file: HashSet<String> = sheet
        .rows
        .iter()
        .filter_map(|(_, cells)| Some(cells.get(*sheet.columns.get("external_id")?)?.trim().to_owned()))
        .collect();
    let custom_columns: Vec<String> = sheet
        .columns
        .keys()
        .filter(|f| custom_key(f).is_some())
        .cloned()
        .collect();
    let rows = sheet.read_rows(|row| {
        let external_id = row.required("external_id", ExternalId::parse);
        let name = row.required("name", |v| v.parse());
        let user = |row: &mut Row<'_>, field: &str, slot: AccountSlot| row.optional(field, |v| people.resolve(slot, v));
        let owner_id = user(row, "owner_email", AccountSlot::Owner);
        let ae_id = user(row, "ae_email", AccountSlot::AccountExecutive);
        let sponsor_id = user(row, "sponsor_email", AccountSlot::ExecutiveSponsor);
        let parent_external_id = row.optional("parent_external_id", |v| {
            let key = ExternalId::parse(v)?;
            if known.contains_key(key.as_str()) || in_file.contains(key.as_str()) {
                Ok(key)
            } else {
                Err(format!(
                    "no account has the external id {key} (in the database or this file)"
                ))
            }
        });
        let mut custom_fields = row
            .optional("custom_fields", CustomFields::parse_json)
            .unwrap_or_default();
        for column in &custom_columns {
            let key = custom_key(column).expect("filtered on custom keys").to_owned();
            if let Some(value) = row.text(column).map(str::to_owned)
                && let Err(e) = custom_fields.insert(key, serde_json::Value::String(value))
            {
                row.error(column, e);
            }
        }
        let fields = AccountFields {
            external_id: external_id?,
            name: name?,
            domain: row.optional("domain", |v| v.parse()),
            industry: row.optional("industry", |v| v.parse()),
            employees: row.optional("employees", parse_count),
            region: row.optional("region", |v| v.parse()),
            lifecycle_stage: row
                .optional("lifecycle_stage", |v| v.parse())
                .unwrap_or(LifecycleStage::Land),
            tier: row.optional("tier", |v| v.parse()),
            owner_id,
            ae_id,
            sponsor_id,
            growth_potential: row.optional("growth_potential", |v| v.parse()),
            engagement_preference: row.optional("engagement_preference", |v| v.parse()),
            launch_date: row.date("launch_date", false),
            first_value_date: row.date("first_value_date", false),
            parent_id: None,
            custom_fields,
        };
        let own_id = known.get(fields.external_id.as_str()).copied();
        if parent_external_id.as_ref() == Some(&fields.external_id) {
            row.error("parent_id", "an account cannot be its own parent");
            return None;
        }
        match fields.validate(own_id) {
            Ok(fields) => Some((
                fields.external_id.to_string(),
                AccountUpsert {
                    fields,
                    parent_external_id,
                },
            )),
            Err(e) => {
                row.invalid(e);
                None
            }
        }
    });
    rows.into_iter().map(|(_, a)| a).collect()
}

/// Resolves `account_external_id` against the accounts already stored.
fn account_ref(row: &mut Row<'_>, known: &HashMap<String, AccountId>) -> Option<AccountId> {
    row.required("account_external_id", |v| {
        // CRM exports may list several associated companies ("123;456"): the first is primary.
        let first = v.split(';').next().unwrap_or(v).trim();
        known
            .get(first)
            .copied()
            .ok_or_else(|| format!("no account has the external id {first:?}; import accounts first"))
    })
}

fn contacts(sheet: &mut Sheet, stored: &Stored) -> Vec<lodestar_domain::Valid<ContactFields>> {
    let rows = sheet.read_rows(|row| {
        let external_id = row.required("external_id", ExternalId::parse);
        let account_id = account_ref(row, &stored.accounts);
        let fields = ContactFields {
            external_id: external_id?,
            account_id: account_id?,
            first_name: row.optional("first_name", |v| v.parse()),
            last_name: row.optional("last_name", |v| v.parse()),
            email: row.optional("email", Email::parse),
            title: row.optional("title", |v| v.parse()),
            role: row.optional("role", |v| v.parse()),
            influence: row.optional("influence", |v| v.parse()),
            status: row.optional("status", |v| v.parse()).unwrap_or(ContactStatus::Active),
            left_on: row.date("left_on", false),
        };
        match fields.validate() {
            Ok(fields) => Some((fields.external_id.to_string(), fields)),
            Err(e) => {
                row.invalid(e);
                None
            }
        }
    });
    rows.into_iter().map(|(_, c)| c).collect()
}

fn contracts(sheet: &mut Sheet, stored: &Stored, as_of: NaiveDate) -> Vec<ContractUpsert> {
    let rows = sheet.read_rows(|row| {
        let external_id = row.required("external_id", ExternalId::parse);
        let account_id = account_ref(row, &stored.accounts);
        let start_date = row.date("start_date", true);
        let end_date = row.date("end_date", true);
        let arr = row.required("arr", Cents::parse);
        let fields = ContractFields {
            external_id: external_id?,
            account_id: account_id?,
            name: row.optional("name", |v| v.parse()),
            start_date: start_date?,
            end_date: end_date?,
            currency: row.optional("currency", Currency::parse).unwrap_or(Currency::USD),
        };
        match fields.validate() {
            Ok(fields) => Some((
                fields.external_id.to_string(),
                ContractUpsert {
                    fields,
                    arr: arr?,
                    as_of,
                },
            )),
            Err(e) => {
                row.invalid(e);
                None
            }
        }
    });
    rows.into_iter().map(|(_, c)| c).collect()
}

fn tickets(sheet: &mut Sheet, stored: &Stored) -> Vec<lodestar_domain::Valid<TicketFields>> {
    let rows = sheet.read_rows(|row| {
        let external_id = row.required("external_id", ExternalId::parse);
        let account_id = account_ref(row, &stored.accounts);
        let subject = row.required("subject", |v| v.parse());
        let status = row.required("status", |v| v.parse());
        let opened_at = row.moment("created_at", true);
        let updated_at = row.moment("updated_at", false);
        // Every cell is read before the first missing one ends the row: all problems at once.
        let priority = row
            .optional("priority", |v| v.parse())
            .unwrap_or(TicketPriority::Normal);
        let requester_email = row.optional("requester_email", Email::parse);
        let tags = row.optional("tags", Tag::parse_list).unwrap_or_default();
        let fields = TicketFields {
            external_id: external_id?,
            account_id: account_id?,
            subject: subject?,
            status: status?,
            priority,
            requester_email,
            tags,
            opened_at: opened_at?,
            updated_at: updated_at.or(opened_at)?,
        };
        match fields.validate() {
            Ok(fields) => Some((fields.external_id.to_string(), fields)),
            Err(e) => {
                row.invalid(e);
                None
            }
        }
    });
    rows.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_import_as_written() {
        assert_eq!(unneutralise("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unneutralise("'-Minus Corp"), "-Minus Corp");
        assert_eq!(
            unneutralise("'quoted'"),
            "'quoted'",
            "only the export's own prefix is removed"
        );
    }
}
