//! Property tests of CSV import with mappings: whatever a file holds — any bytes, and CSV
//! near what CRMs and Lodestar export — reading it and its rows never panics, and every
//! problem names a field and says what is wrong. Cases per property: PROPTEST_CASES
//! (proptest's 256 when unset); see BENCHMARKS.md for the long run.

use indicatif::ProgressBar;
use lodestar_domain::notify::TimeZone;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::Role;
use lodestar_domain::{AccountId, UserId};
use proptest::prelude::*;

use super::{People, Sheet, Stored, accounts, contacts, contracts, tickets, users};
use crate::transfer::kinds::Kind;
use crate::transfer::mapping::{Mapping, PRESETS};

/// A team and accounts for rows to refer to, with a name two people share.
fn stored() -> Stored {
    let user = |id: i64, email: &str, name: &str, role: Role| User {
        id: UserId(id),
        fields: UserFields {
            email: Email::parse(email).unwrap(),
            name: Name::parse(name).unwrap(),
            role,
            manager_id: None,
            capacity: None,
        },
        time_zone: TimeZone::UTC,
    };
    Stored {
        people: People::new(&[
            user(1, "sam@vendor.io", "Sam Success", Role::Csm),
            user(2, "ana@vendor.io", "Ana Exec", Role::Ae),
            user(3, "lena@vendor.io", "Lena Lead", Role::Leader),
            user(4, "sam2@vendor.io", "Sam Success", Role::Viewer),
        ]),
        accounts: [("A1", 1), ("901", 2), ("001A", 3)]
            .into_iter()
            .map(|(key, id)| (key.to_owned(), AccountId(id)))
            .collect(),
    }
}

fn says_why(message: &str) {
    assert!(!message.trim().is_empty(), "a problem without a reason");
}

/// Reads `input` as a `kind` file with the mapping `spec` (Lodestar's own headers when
/// `None`), then its rows against [`stored`].
fn check_import(kind: Kind, spec: Option<&str>, keep_unmapped: bool, input: &[u8]) {
    let mapping = match spec.map(|s| Mapping::load(s, kind)) {
        None => Mapping::default(),
        Some(Ok(mapping)) => mapping,
        // A preset a kind has none of (users): refused up front, saying so.
        Some(Err(e)) => return says_why(&e.to_string()),
    };
    let keep_unmapped = keep_unmapped && kind.has_custom_fields();
    let (mut sheet, unmapped) = match Sheet::read(kind, mapping, keep_unmapped, input, &ProgressBar::hidden()) {
        Ok(read) => read,
        Err(e) => return says_why(&e.reason),
    };
    let stored = stored();
    let as_of = "2026-12-02".parse().unwrap();
    let valid = match kind {
        Kind::Users => users(&mut sheet, &stored).len(),
        Kind::Accounts => accounts(&mut sheet, &stored).len(),
        Kind::Contacts => contacts(&mut sheet, &stored).len(),
        Kind::Contracts => contracts(&mut sheet, &stored, as_of).len(),
        Kind::Tickets => tickets(&mut sheet, &stored).len(),
    };
    assert!(valid <= sheet.rows.len());
    for e in &sheet.errors {
        assert!(!e.field.is_empty(), "{e:?}");
        says_why(&e.reason);
        assert!(e.column.is_none_or(|c| c >= 1), "{e:?}");
    }
    assert!(unmapped.iter().all(|c| c.kept_as.is_some() == keep_unmapped));
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::Users,
        Kind::Accounts,
        Kind::Contacts,
        Kind::Contracts,
        Kind::Tickets,
    ])
}

fn mapping() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![Just(None), prop::sample::select(PRESETS.to_vec()).prop_map(Some)]
}

/// Headers of every kind's own fields and of the presets, custom columns, and names that
/// make no custom field key.
fn header() -> impl Strategy<Value = String> {
    let mut names: Vec<&str> = [
        Kind::Users,
        Kind::Accounts,
        Kind::Contacts,
        Kind::Contracts,
        Kind::Tickets,
    ]
    .iter()
    .flat_map(|k| k.fields().iter().copied())
    .collect();
    names.extend([
        "Record ID",
        "Company name",
        "Company Domain Name",
        "Company owner",
        "Lifecycle Stage",
        "Parent Company ID",
        "Associated Company IDs",
        "Close Date",
        "Contract End Date",
        "Annual recurring revenue",
        "Account ID",
        "Account Name",
        "Website",
        "Account Owner",
        "Contract Start Date",
        "ARR",
        "custom.plan",
        "custom.",
        "Plan",
        "plan",
        "Annual Revenue",
        "2024 ARR",
        "Région",
        "",
        " external_id ",
    ]);
    prop_oneof![
        4 => prop::sample::select(names).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

/// Cells near what a CRM or Lodestar writes, right and wrong.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "", " ", "A1", "901", "901;902", "001A", "NOPE", "sam@vendor.io", "Sam Success", "ana@vendor.io",
            "Lena Lead", "ghost@vendor.io", "SAM@VENDOR.IO", "Acme", "=SUM(1)", "'=cmd", "'-minus", "adopt", "customer",
            "Evangelist", "churned", "enterprise", "Mid-Tier", "gold", "2025-01-31", "1/31/2025", "2025-13-01",
            "2025-01-31T10:00:00Z", "2025-02-30", "12000", "12,000.50", "$48,000.00", "-5", "1.005", "1e5",
            "999999999999999999999", "EUR", "usd", "XYZ", "csm", "viewer", "leader", "left", "active", "high",
            "decision_maker", "https://www.acme.com/", "not a domain", "{\"plan\":\"gold\",\"seats\":4}",
            "{\"Plan\":{}}", "[1]", "{", "0", "4294967296", "1,000", "self-serve",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,20}",
        1 => (990usize..1010).prop_map(|n| "x".repeat(n)),
    ]
}

/// The headers a `kind` file read with the mapping `spec` cannot do without.
fn required_headers(kind: Kind, spec: Option<&str>) -> Vec<String> {
    let mapping = spec.and_then(|s| Mapping::load(s, kind).ok());
    kind.required()
        .iter()
        .map(|field| match &mapping {
            Some(m) => m.columns.get(*field).cloned().unwrap_or_default(),
            None => (*field).to_owned(),
        })
        .collect()
}

/// A `kind` file for the mapping `spec`: mostly with the required columns (so its rows are
/// read), more columns, in any order, and a few rows, each of the header's width or
/// (sometimes) not, written by a CSV writer so quoting is right.
fn near_csv(kind: Kind, spec: Option<&'static str>) -> impl Strategy<Value = Vec<u8>> {
    let required = prop_oneof![4 => Just(required_headers(kind, spec)), 1 => Just(Vec::new())];
    (required, prop::collection::vec(header(), 0..6))
        .prop_flat_map(|(required, more)| Just([required, more].concat()).prop_shuffle())
        .prop_flat_map(|headers| {
            let width = headers.len();
            let ragged = prop::collection::vec(cell(), width.saturating_sub(1)..=width + 1);
            let rows = prop::collection::vec(
                prop_oneof![4 => prop::collection::vec(cell(), width..=width), 1 => ragged],
                0..6,
            );
            (Just(headers), rows)
        })
        .prop_map(|(headers, rows)| {
            let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            writer.write_record(&headers).unwrap();
            for row in rows {
                writer.write_record(&row).unwrap();
            }
            writer.into_inner().unwrap()
        })
}

/// A kind, a mapping for it, whether to keep unmapped columns, and a file near one of it.
fn near_import() -> impl Strategy<Value = (Kind, Option<&'static str>, bool, Vec<u8>)> {
    (kind(), mapping(), any::<bool>())
        .prop_flat_map(|(kind, spec, keep)| (Just(kind), Just(spec), Just(keep), near_csv(kind, spec)))
}

proptest! {
    #[test]
    fn csv_imports_of_any_bytes(
        kind in kind(),
        spec in mapping(),
        keep_unmapped in any::<bool>(),
        input in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        check_import(kind, spec, keep_unmapped, &input);
    }

    #[test]
    fn csv_imports_near_what_crms_export((kind, spec, keep_unmapped, input) in near_import()) {
        check_import(kind, spec, keep_unmapped, &input);
    }
}
