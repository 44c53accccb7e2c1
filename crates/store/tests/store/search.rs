//! Full-text search (F-07): every kind of record found by the beginnings of its words, ranked,
//! accents folded, the index following every write, and the accounts list's `q` through it.

use crate::common::*;
use lodestar_domain::AccountId;
use lodestar_domain::search::{SearchKind, SearchText};
use lodestar_domain::text::{Domain, Email, Label, Name};
use lodestar_store::testing::{TestDb, execute_sql, query_strings};
use lodestar_store::{AccountFilter, AccountOrder, AccountSort, Backend, SearchHit, Store, store_test};

async fn search(store: &Store, q: &str, kinds: &[SearchKind]) -> Vec<SearchHit> {
    store.search(&SearchText::parse(q).unwrap(), kinds, 20).await.unwrap()
}

/// (kind, title) of each hit, best first.
async fn found(store: &Store, q: &str, kinds: &[SearchKind]) -> Vec<(SearchKind, String)> {
    search(store, q, kinds)
        .await
        .into_iter()
        .map(|h| (h.kind, h.title))
        .collect()
}

/// The words a hit's snippet marks as matched.
fn marked(hit: &SearchHit) -> Vec<&str> {
    hit.snippet
        .iter()
        .filter(|p| p.matched)
        .map(|p| p.text.as_str())
        .collect()
}

async fn named_account(store: &Store, key: &str, name: &str, domain: Option<&str>, industry: &str) -> AccountId {
    let mut fields = account(key);
    fields.name = Name::parse(name).unwrap();
    fields.domain = domain.map(|d| Domain::parse(d).unwrap());
    fields.industry = Some(Label::parse(industry).unwrap());
    store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
    account_id_of(store, key).await
}

/// A meeting (or a note, by its kind) written as the meetings feature writes one.
async fn meeting(store: &Store, account: AccountId, kind: &str, title: &str, notes: &str, cancelled: bool) {
    let cancelled_at = if cancelled {
        "'2026-11-19T08:00:00+00:00'"
    } else {
        "NULL"
    };
    execute_sql(
        store,
        &format!(
            "INSERT INTO meetings (account_id, kind, title, starts_at, duration_minutes, time_zone, notes, cancelled_at, \
             created_at, updated_at) VALUES ({}, '{kind}', '{title}', '2026-11-20T10:00:00+00:00', 30, 'Europe/Berlin', \
             '{notes}', {cancelled_at}, '2026-11-18T08:00:00+00:00', '2026-11-18T08:00:00+00:00')",
            account.0
        ),
    )
    .await;
}

async fn promise(store: &Store, account: AccountId, description: &str) {
    execute_sql(
        store,
        &format!(
            "INSERT INTO promises (account_id, description, owner_contact_id, due_on, status, created_at) \
             VALUES ({0}, '{description}', (SELECT MIN(id) FROM contacts WHERE account_id = {0}), '2026-12-01', 'open', \
             '2026-11-18T08:00:00+00:00')",
            account.0
        ),
    )
    .await;
}

/// Acme (an account whose name, domain and id say so), Globex (its contact at acme.com, a
/// call, a note and a cancelled meeting) and a promise to Acme.
async fn book(store: &Store) -> (AccountId, AccountId) {
    let acme = named_account(store, "ACC-000042", "Acme Corporation", Some("acme.com"), "Retail").await;
    let globex = named_account(store, "globex", "Globex", Some("globex.example"), "Anvils").await;
    let mut wile = contact("wile", globex);
    wile.first_name = Some(Label::parse("Wile").unwrap());
    wile.last_name = Some(Label::parse("Coyote").unwrap());
    wile.email = Some(Email::parse("wile@acme.com").unwrap());
    wile.title = Some(Label::parse("Head of Purchasing").unwrap());
    store.upsert_contacts(vec![wile.validate().unwrap()]).await.unwrap();
    let mut buyer = contact("buyer", acme);
    buyer.first_name = Some(Label::parse("Bea").unwrap());
    buyer.last_name = Some(Label::parse("Buyer").unwrap());
    store.upsert_contacts(vec![buyer.validate().unwrap()]).await.unwrap();
    meeting(
        store,
        globex,
        "call",
        "Quarterly check-in",
        "We went through the renewal.\n\nThey want the **Acme** integration before they sign.",
        false,
    )
    .await;
    meeting(
        store,
        globex,
        "note",
        "Pricing thoughts",
        "Müller asked for a discount on the Café plan.",
        false,
    )
    .await;
    meeting(store, globex, "call", "Acme escalation", "Called off.", true).await;
    promise(store, acme, "Send the integration guide to their CFO").await;
    (acme, globex)
}

store_test!(every_kind_is_found_by_the_beginnings_of_its_words);

async fn every_kind_is_found_by_the_beginnings_of_its_words(store: Store) {
    let (acme, globex) = book(&store).await;

    // "acm" as a user types it: the account by its name first, then the contact by their email
    // and the meeting by its notes — not the cancelled meeting.
    let hits = search(&store, "acm", &[]).await;
    let kinds: Vec<SearchKind> = hits.iter().map(|h| h.kind).collect();
    assert_eq!(kinds[0], SearchKind::Account, "{hits:#?}");
    assert_eq!(hits[0].title, "Acme Corporation");
    assert_eq!((hits[0].id, hits[0].account_id), (acme.0, acme));
    assert!(marked(&hits[0]).contains(&"Acme"), "{:?}", hits[0].snippet);
    assert_eq!(hits.len(), 3, "{hits:#?}");
    let wile = hits.iter().find(|h| h.kind == SearchKind::Contact).unwrap();
    assert_eq!((wile.title.as_str(), wile.account_id), ("Wile Coyote", globex));
    assert_eq!(wile.account_name, "Globex");
    let call = hits.iter().find(|h| h.kind == SearchKind::Meeting).unwrap();
    assert_eq!(call.title, "Quarterly check-in");
    assert!(marked(call).contains(&"Acme"), "{:?}", call.snippet);
    assert!(
        call.snippet.iter().all(|p| !p.text.contains('\n')),
        "a snippet is one line"
    );
    assert!(hits.windows(2).all(|w| w[0].rank >= w[1].rank), "best first");

    // An external id by its parts, in any case; every word must match.
    assert_eq!(
        found(&store, "acc-000042", &[]).await,
        [(SearchKind::Account, "Acme Corporation".into())]
    );
    assert!(found(&store, "acme zebra", &[]).await.is_empty());
    // Accents folded both ways: "cafe muller" finds "Café" and "Müller" in a note.
    assert_eq!(
        found(&store, "cafe MULLER", &[]).await,
        [(SearchKind::Note, "Pricing thoughts".into())]
    );
    assert_eq!(
        found(&store, "müll", &[SearchKind::Note]).await,
        [(SearchKind::Note, "Pricing thoughts".into())]
    );
    let note = &search(&store, "cafe muller", &[]).await[0];
    assert_eq!(marked(note), ["Müller", "Café"], "marked the same on both databases");
    // A promise by its description; kinds narrow the search.
    assert_eq!(
        found(&store, "integr", &[SearchKind::Promise]).await,
        [(SearchKind::Promise, "Send the integration guide to their CFO".into())]
    );
    assert_eq!(
        found(&store, "integr", &[SearchKind::Meeting]).await,
        [(SearchKind::Meeting, "Quarterly check-in".into())]
    );
    assert_eq!(found(&store, "integr", &[]).await.len(), 2);
    assert!(found(&store, "acme", &[SearchKind::Note]).await.is_empty());
    let promise = &search(&store, "cfo", &[]).await[0];
    assert_eq!((promise.kind, promise.account_id), (SearchKind::Promise, acme));
    assert_eq!(marked(promise), ["CFO"]);
    // Contacts by name and job title; the limit holds.
    assert_eq!(
        found(&store, "purchas", &[]).await,
        [(SearchKind::Contact, "Wile Coyote".into())]
    );
    let one = store.search(&SearchText::parse("acm").unwrap(), &[], 1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].kind, SearchKind::Account);
}

store_test!(a_name_outranks_the_same_word_in_other_places);

async fn a_name_outranks_the_same_word_in_other_places(store: Store) {
    // "Initech" is one account's name, a word of another's domain and a word in a long note.
    let named = named_account(&store, "a1", "Initech", None, "Software").await;
    let other = named_account(&store, "a2", "Umbrella", Some("initech-resellers.example"), "Retail").await;
    meeting(
        &store,
        other,
        "note",
        "Market notes",
        "Their main competitor is Initech, which sells the same thing for less in most of their regions.",
        false,
    )
    .await;
    let hits = search(&store, "initech", &[]).await;
    assert_eq!(hits.len(), 3, "{hits:#?}");
    assert_eq!((hits[0].kind, hits[0].id), (SearchKind::Account, named.0), "{hits:#?}");
    assert!(hits[0].rank > hits[1].rank);
}

store_test!(the_index_follows_every_change);

async fn the_index_follows_every_change(store: Store) {
    let (acme, globex) = book(&store).await;
    // A renamed account is found by its new name only.
    let mut renamed = store.account(acme).await.unwrap().unwrap().fields;
    renamed.name = Name::parse("Roadrunner Logistics").unwrap();
    store
        .update_account(acme, renamed.validate(Some(acme)).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        found(&store, "roadrun", &[]).await,
        [(SearchKind::Account, "Roadrunner Logistics".into())]
    );
    assert!(found(&store, "corporation", &[]).await.is_empty());
    // Changed notes, a deleted contact.
    execute_sql(
        &store,
        "UPDATE meetings SET notes = 'Only the pilot is left to plan.' WHERE title = 'Quarterly check-in'",
    )
    .await;
    assert_eq!(
        found(&store, "pilot", &[]).await,
        [(SearchKind::Meeting, "Quarterly check-in".into())]
    );
    assert!(found(&store, "renewal", &[]).await.is_empty());
    let wile = store.contacts_of(globex).await.unwrap()[0].id;
    store.delete_contact(wile).await.unwrap();
    assert!(found(&store, "coyote", &[]).await.is_empty());
    // Deleting an account takes its contacts, meetings and promises out of the index with it.
    assert!(!found(&store, "cfo", &[]).await.is_empty());
    store.delete_account(acme).await.unwrap();
    assert!(found(&store, "cfo", &[]).await.is_empty());
    assert!(found(&store, "bea", &[]).await.is_empty());
    store.delete_account(globex).await.unwrap();
    assert!(found(&store, "pilot", &[]).await.is_empty());
    assert!(found(&store, "pricing", &[]).await.is_empty());
}

store_test!(the_accounts_list_q_matches_name_domain_and_id_through_the_index);

async fn the_accounts_list_q_matches_name_domain_and_id_through_the_index(store: Store) {
    book(&store).await;
    named_account(&store, "acme-2", "Acme Labs", Some("acmelabs.io"), "Software").await;
    let by_name = AccountOrder {
        sort: AccountSort::Name,
        descending: false,
    };
    let names = |q: &str, tier: Option<&str>| {
        let filter = AccountFilter {
            q: Some(q.into()),
            tier: tier.map(|t| t.parse().unwrap()),
            ..AccountFilter::default()
        };
        let store = store.clone();
        async move {
            store
                .list_accounts(&filter, by_name, 50, None)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|a| a.account.fields.name.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("acm", None).await, ["Acme Corporation", "Acme Labs"]);
    assert_eq!(names("ACME lab", None).await, ["Acme Labs"]);
    assert_eq!(names("acmelabs.io", None).await, ["Acme Labs"]);
    assert_eq!(names("000042", None).await, ["Acme Corporation"]);
    // Only the account's own name, domain and id: not its industry, nor its contacts' emails.
    assert!(names("anvil", None).await.is_empty());
    assert_eq!(names("acme.com", None).await, ["Acme Corporation"]);
    // The other filters still apply.
    assert!(names("acm", Some("strategic")).await.is_empty());
    // Paging through the matches.
    let filter = AccountFilter {
        q: Some("acm".into()),
        ..AccountFilter::default()
    };
    let first = store.list_accounts(&filter, by_name, 1, None).await.unwrap();
    let second = store
        .list_accounts(&filter, by_name, 1, first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.items[0].account.fields.name.as_str(), "Acme Labs");
    assert!(second.next_cursor.is_none());
}

store_test!(a_restored_database_is_searchable);

async fn a_restored_database_is_searchable(store: Store) {
    // (No meetings: PostgreSQL cannot back them up yet — migration 13 made two of their
    // columns INTEGER, which the backup does not read.)
    let acme = named_account(&store, "ACC-000042", "Acme Corporation", Some("acme.com"), "Retail").await;
    let mut cafe = contact("cafe", acme);
    cafe.title = Some(Label::parse("Café manager").unwrap());
    store.upsert_contacts(vec![cafe.validate().unwrap()]).await.unwrap();
    promise(&store, acme, "Send the Acme integration guide").await;
    let tables: Vec<String> = store.tables().await.unwrap().into_iter().map(|t| t.name).collect();
    assert!(
        tables.iter().all(|t| !t.contains("_search")),
        "search indexes are not backed up: {tables:?}"
    );
    let accounts = store
        .tables()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "accounts")
        .unwrap();
    assert!(accounts.columns.iter().all(|c| c.name != "search_vector"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.ndjson");
    store.backup(&file).await.unwrap();
    let target = match store.backend() {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::Postgres => TestDb::postgres().await.unwrap(),
    };
    target.store.restore(&file).await.unwrap();
    assert_eq!(found(&target.store, "acm", &[]).await, found(&store, "acm", &[]).await);
    assert_eq!(found(&target.store, "cafe", &[]).await.len(), 1);
    target.finish().await;
}

store_test!(upgrading_indexes_the_records_already_there, unmigrated);

async fn upgrading_indexes_the_records_already_there(store: Store) {
    store.migrate_until(13).await.unwrap();
    // Written as version 13 held them: through today's store API a write would rescore with
    // measures that read tables of later versions.
    let at = "'2026-11-18T08:00:00+00:00'";
    execute_sql(
        &store,
        &format!(
            "INSERT INTO accounts (external_id, name, lifecycle_stage, custom_fields, created_at, updated_at) \
             VALUES ('acme', 'Acme Corporation', 'adopt', '{{}}', {at}, {at})"
        ),
    )
    .await;
    let id = query_strings(
        &store,
        "SELECT CAST(id AS TEXT) FROM accounts WHERE external_id = 'acme'",
    )
    .await;
    let acme = AccountId(id[0].parse().unwrap());
    execute_sql(
        &store,
        &format!(
            "INSERT INTO contacts (external_id, account_id, status, created_at, updated_at) \
             VALUES ('c1', {}, 'active', {at}, {at})",
            acme.0
        ),
    )
    .await;
    promise(&store, acme, "Call back about the Zeppelin launch").await;
    store.migrate().await.unwrap();
    assert_eq!(
        found(&store, "acm", &[]).await,
        [(SearchKind::Account, "Acme Corporation".into())]
    );
    assert_eq!(found(&store, "zeppelin", &[]).await.len(), 1);
}
