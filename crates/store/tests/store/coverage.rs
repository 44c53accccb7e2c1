//! Coverage and the executive sponsor programme, on both databases.

use chrono::{Days, TimeZone, Utc};
use lodestar_domain::text::Label;
use lodestar_domain::vocabulary::{ContactStatus, Role};
use lodestar_domain::{AccountId, UserId};
use lodestar_store::{Clock, Store, store_test};

use crate::common::*;

async fn person(store: &Store, email: &str, role: Role) -> UserId {
    store
        .create_user(user(email, role).validate(None).unwrap())
        .await
        .unwrap()
        .id
}

async fn with_sponsor(store: &Store, account: AccountId, sponsor: Option<UserId>) {
    let mut fields = store.account(account).await.unwrap().unwrap().fields;
    fields.sponsor_id = sponsor;
    store
        .update_account(account, fields.validate(Some(account)).unwrap(), None)
        .await
        .unwrap();
}

store_test!(contacts_are_placed_by_level_and_function_and_the_gaps_named);

async fn contacts_are_placed_by_level_and_function_and_the_gaps_named(store: Store) {
    let acme = one_account(&store, "acme").await;
    let narrow = one_account(&store, "narrow").await;
    for (key, account, title, left) in [
        ("cfo", acme, "Chief Financial Officer", false),
        ("itm", acme, "IT Manager", false),
        ("agent", acme, "Support Agent", false),
        ("gone", acme, "VP Sales", true),
        ("admin", narrow, "Systems Administrator", false),
    ] {
        let mut c = contact(key, account);
        c.title = Some(Label::parse(title).unwrap());
        if left {
            c.status = ContactStatus::Left;
            c.left_on = Some(d("2026-10-01"));
        }
        store.create_contact(c.validate().unwrap()).await.unwrap();
    }
    let covered = store.account_coverage(acme).await.unwrap();
    assert_eq!((covered.coverage.high, covered.coverage.wide), (3, 3), "{covered:?}");
    assert!(covered.coverage.gaps.is_empty());
    assert_eq!(covered.coverage.contacts.len(), 3, "a contact who left does not count");

    let thin = store.account_coverage(narrow).await.unwrap();
    assert_eq!((thin.coverage.high, thin.coverage.wide), (1, 1));
    assert_eq!(thin.coverage.gaps.len(), 3, "{:?}", thin.coverage.gaps);
    assert!(store.account_coverage(AccountId(9999)).await.is_err());
}

store_test!(the_programme_is_the_top_fifth_by_arr_and_sponsor_changes_are_kept);

async fn the_programme_is_the_top_fifth_by_arr_and_sponsor_changes_are_kept(store: Store) {
    let store = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()));
    let today = store.today();
    let exec = person(&store, "exec@example.com", Role::Executive).await;
    let lead = person(&store, "lead@example.com", Role::Leader).await;
    let mut ids = Vec::new();
    for (i, key) in ["a1", "a2", "a3", "a4", "a5", "a6"].iter().enumerate() {
        let id = one_account(&store, key).await;
        let arr = (i as i64 + 1) * 100_000_00;
        store
            .upsert_contracts(vec![contract_ending(
                &format!("k-{key}"),
                id,
                arr,
                today + Days::new(200),
                today,
            )])
            .await
            .unwrap();
        ids.push(id);
    }
    // Six accounts with ARR: the programme is the two largest, a6 then a5.
    let (a5, a6) = (ids[4], ids[5]);
    with_sponsor(&store, a6, Some(exec)).await;
    let later = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()));
    with_sponsor(&later, a6, Some(lead)).await;
    with_sponsor(&later, a5, Some(lead)).await;
    let last = store.with_clock(Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    with_sponsor(&last, a5, None).await;
    // Saving an account without touching its sponsor records nothing.
    with_sponsor(&last, a6, Some(lead)).await;

    let programme = store.sponsor_programme().await.unwrap();
    assert_eq!(programme.accounts_with_arr, 6);
    assert_eq!(programme.total_arr.0, 2_100_000_00);
    let names: Vec<&str> = programme.accounts.iter().map(|a| a.account_name.as_str()).collect();
    assert_eq!(names, ["Account a6", "Account a5"]);
    assert_eq!(programme.programme_arr.0, 1_100_000_00);
    let (top, second) = (&programme.accounts[0], &programme.accounts[1]);
    assert_eq!(
        (top.sponsor.as_deref(), top.changes, top.unsponsored()),
        (Some("lead"), 1, false)
    );
    assert_eq!(
        (second.sponsor.as_deref(), second.changes, second.unsponsored()),
        (None, 1, true)
    );

    let history = store.account_coverage(a6).await.unwrap().sponsor_history;
    let seen: Vec<(Option<&str>, Option<&str>)> = history
        .iter()
        .map(|h| (h.sponsor.as_deref(), h.previous.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [(Some("lead"), Some("exec")), (Some("exec"), None)],
        "the latest first"
    );
    assert_eq!(
        history[0].changed_at,
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
    );

    // A deactivated sponsor leaves the account as good as unsponsored.
    store.set_user_active(lead, false).await.unwrap();
    let programme = store.sponsor_programme().await.unwrap();
    assert!(programme.accounts[0].sponsor_gone && programme.accounts[0].unsponsored());
}
