//! Tickets and feature requests (F-43), on both databases: tickets kept by their external id,
//! an account's support numbers and its support-load measure; requests linked to accounts,
//! ranked by ARR demand, and what shipping one does (the CSMs told, renewals first).

use chrono::{DateTime, TimeZone, Utc};
use lodestar_domain::contract::{ContractFields, Currency};
use lodestar_domain::text::{Email, ExternalId, Name, Note};
use lodestar_domain::ticket::{JiraKey, RequestFields, Tag, TicketFields};
use lodestar_domain::vocabulary::{RequestKind, RequestStatus, Role, TaskSource, TicketPriority, TicketStatus};
use lodestar_domain::{AccountId, Cents, UserId};
use lodestar_store::{Clock, ContractUpsert, EMAIL_JOB, Outbox, Store, StoreError, TaskView, TimelineKind, store_test};

use crate::common::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

/// A store at noon on 2026-12-02 sending email, with three accounts of two CSMs: acme renews
/// in 200 days with the largest ARR, globex in 30 days, initech (no CSM) in 60.
async fn book(store: Store) -> (Store, [UserId; 2], [AccountId; 3]) {
    let store = store.with_clock(Clock::fixed(now())).with_outbox(Outbox {
        email: true,
        public_url: Some("https://cs.vendor.io".into()),
    });
    let mut csms = Vec::new();
    for key in ["acme", "globex"] {
        let csm = store
            .create_user(
                user(&format!("{key}-csm@example.com"), Role::Csm)
                    .validate(None)
                    .unwrap(),
            )
            .await
            .unwrap()
            .id;
        csms.push(csm);
    }
    let mut ids = Vec::new();
    for (i, (key, arr, days)) in [("acme", 90_000, 200), ("globex", 30_000, 30), ("initech", 10_000, 60)]
        .into_iter()
        .enumerate()
    {
        let mut fields = account(key);
        fields.owner_id = csms.get(i).copied();
        store.upsert_accounts(vec![upsert(fields)]).await.unwrap();
        let id = account_id_of(&store, key).await;
        let fields = ContractFields {
            external_id: ExternalId::parse(&format!("{key}-k")).unwrap(),
            account_id: id,
            name: None,
            start_date: d("2026-01-01"),
            end_date: now().date_naive() + chrono::Duration::days(days),
            currency: Currency::USD,
        };
        let c = ContractUpsert {
            fields: fields.validate().unwrap(),
            arr: Cents(arr),
            as_of: d("2026-01-01"),
        };
        store.upsert_contracts(vec![c]).await.unwrap();
        ids.push(id);
    }
    (store, [csms[0], csms[1]], [ids[0], ids[1], ids[2]])
}

fn ticket(
    key: &str,
    account: AccountId,
    status: TicketStatus,
    priority: TicketPriority,
    days_ago: i64,
) -> TicketFields {
    let opened = now() - chrono::Duration::days(days_ago);
    TicketFields {
        external_id: ExternalId::parse(key).unwrap(),
        account_id: account,
        subject: Name::parse(&format!("Ticket {key}")).unwrap(),
        status,
        priority,
        requester_email: Some(Email::parse("ada@acme.example").unwrap()),
        tags: Tag::parse_list("sso login").unwrap(),
        opened_at: opened,
        updated_at: opened + chrono::Duration::hours(6),
    }
}

store_test!(tickets_are_kept_by_external_id_and_weigh_on_health);
async fn tickets_are_kept_by_external_id_and_weigh_on_health(store: Store) {
    let (store, _, [acme, globex, _]) = book(store).await;
    let batch = vec![
        ticket("z-1", acme, TicketStatus::Open, TicketPriority::Urgent, 10)
            .validate()
            .unwrap(),
        ticket("z-2", acme, TicketStatus::Pending, TicketPriority::Normal, 2)
            .validate()
            .unwrap(),
        ticket("z-3", acme, TicketStatus::Solved, TicketPriority::High, 5)
            .validate()
            .unwrap(),
    ];
    let first = store.upsert_tickets(batch.clone()).await.unwrap();
    assert_eq!((first.created, first.updated), (3, 0));
    let again = store.upsert_tickets(batch).await.unwrap();
    assert_eq!(
        (again.created, again.updated),
        (0, 3),
        "the same file twice adds nothing"
    );
    assert_eq!(store.tickets_of_account(acme, 0).await.unwrap().len(), 3);

    let stats = store.ticket_stats(acme).await.unwrap();
    assert_eq!(stats.open, 2);
    assert!((stats.load - 5.0).abs() < 1e-9, "urgent 4 + normal 1: {}", stats.load);
    assert_eq!(stats.median_solve_hours, Some(6));
    assert_eq!(stats.oldest_open_days, Some(10));
    assert_eq!(stats.top_tags[0].0, "login");

    // An event older than what is stored (a webhook arriving late) changes nothing.
    let mut late = ticket("z-2", acme, TicketStatus::New, TicketPriority::Low, 2);
    late.updated_at = late.opened_at;
    store.upsert_tickets(vec![late.validate().unwrap()]).await.unwrap();
    let kept = store
        .ticket_by_external_id(&ExternalId::parse("z-2").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.fields.status, TicketStatus::Pending);

    // The ticket moves to another account: both are rescored, and the list follows it.
    let moved = ticket("z-1", globex, TicketStatus::Solved, TicketPriority::Urgent, 10)
        .validate()
        .unwrap();
    store.upsert_tickets(vec![moved]).await.unwrap();
    assert_eq!(store.tickets_of_account(acme, 0).await.unwrap().len(), 2);
    let t = store
        .ticket_by_external_id(&ExternalId::parse("z-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.fields.account_id, globex);
    assert_eq!(t.solved_at, Some(t.fields.updated_at));

    let health = store.account_health(acme, now().date_naive()).await.unwrap();
    let load = health
        .current
        .expect("scored")
        .health
        .measures
        .into_iter()
        .find(|m| m.measure == "support_load")
        .expect("the default card weighs the support load");
    let reading = load.reading.expect("acme has tickets");
    assert!(
        (reading.value - 1.0).abs() < 1e-9,
        "only the pending normal ticket is open: {reading:?}"
    );
    assert!(reading.fact.starts_with("1 open ticket,"), "{}", reading.fact);
}

store_test!(a_ticket_finds_its_account_by_organization_or_requester);
async fn a_ticket_finds_its_account_by_organization_or_requester(store: Store) {
    let (store, _, [acme, globex, _]) = book(store).await;
    let mut c = contact("ada", globex);
    c.email = Some(Email::parse("ada@globex.example").unwrap());
    store.upsert_contacts(vec![c.validate().unwrap()]).await.unwrap();
    let ada = Email::parse("ADA@globex.example").unwrap();
    assert_eq!(
        store.ticket_account(Some("acme"), Some(&ada)).await.unwrap(),
        Some(acme)
    );
    assert_eq!(
        store.ticket_account(Some("nobody"), Some(&ada)).await.unwrap(),
        Some(globex)
    );
    assert_eq!(store.ticket_account(None, None).await.unwrap(), None);
}

fn request(title: &str, jira: Option<&str>) -> RequestFields {
    RequestFields {
        title: Name::parse(title).unwrap(),
        kind: RequestKind::Feature,
        detail: Note::parse("They need it for the audit").unwrap(),
        jira_key: jira.map(|k| JiraKey::parse(k).unwrap()),
    }
}

store_test!(requests_rank_by_arr_demand_and_shipping_tells_the_csms_renewals_first);
async fn requests_rank_by_arr_demand_and_shipping_tells_the_csms_renewals_first(store: Store) {
    let (store, [acme_csm, globex_csm], [acme, globex, initech]) = book(store).await;
    let sso = store
        .create_request(
            request("SAML single sign-on", Some("prod-7")).validate().unwrap(),
            globex,
            None,
            Some(globex_csm),
        )
        .await
        .unwrap();
    let export = store
        .create_request(
            request("CSV export", None).validate().unwrap(),
            acme,
            None,
            Some(acme_csm),
        )
        .await
        .unwrap();
    for account in [acme, initech] {
        store.link_request(sso.id, account, None, Some(acme_csm)).await.unwrap();
    }
    let again = store.link_request(sso.id, acme, None, None).await.unwrap_err();
    assert!(
        matches!(&again, StoreError::Conflict(m) if m.contains("already linked")),
        "{again:?}"
    );
    let taken = store
        .create_request(request("Other", Some("PROD-7")).validate().unwrap(), acme, None, None)
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)));

    let (ranked, more) = store.open_requests_by_demand(0).await.unwrap();
    assert!(!more);
    let order: Vec<_> = ranked.iter().map(|r| (r.id, r.demand().0)).collect();
    assert_eq!(order, [(sso.id, 130_000), (export.id, 90_000)], "ARR in cents, summed");

    let found = store
        .request_by_jira_key(&JiraKey::parse("PROD-7").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, sso.id);
    let moved = store
        .set_request_status(sso.id, RequestStatus::InProgress, None)
        .await
        .unwrap();
    assert!(moved.told.is_empty());
    let shipped = store
        .set_request_status(sso.id, RequestStatus::Shipped, None)
        .await
        .unwrap();
    assert_eq!(
        shipped.told,
        [globex, acme],
        "initech has no CSM; globex renews within 90 days"
    );
    assert_eq!(shipped.request.shipped_at, Some(now()));
    let same = store
        .set_request_status(sso.id, RequestStatus::Shipped, None)
        .await
        .unwrap();
    assert!(same.told.is_empty(), "shipping twice tells nobody twice");

    let today = now().date_naive();
    let globex_tasks = store.tasks(globex_csm, TaskView::Open, today).await.unwrap();
    let task = globex_tasks
        .iter()
        .find(|t| t.source == TaskSource::RequestShipped)
        .unwrap();
    assert_eq!(task.due_on, Some(today), "renewing soon: tell them today");
    assert!(task.title.contains("SAML single sign-on"), "{}", task.title);
    let acme_tasks = store.tasks(acme_csm, TaskView::Open, today).await.unwrap();
    let task = acme_tasks
        .iter()
        .find(|t| t.source == TaskSource::RequestShipped)
        .unwrap();
    assert_eq!(task.due_on, Some(today + chrono::Duration::days(7)));

    let jobs = store
        .jobs(Some(lodestar_domain::job::JobState::Queued), 500, 0)
        .await
        .unwrap()
        .1;
    let mut emails: Vec<String> = jobs
        .iter()
        .filter(|j| j.kind == EMAIL_JOB)
        .map(|j| j.payload["subject"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(emails.len(), 2, "{emails:?}");
    emails.sort();
    assert_eq!(
        emails,
        [
            "Shipped: SAML single sign-on - tell Account acme",
            "Shipped: SAML single sign-on - tell Account globex"
        ]
    );

    let (ranked, _) = store.open_requests_by_demand(0).await.unwrap();
    assert_eq!(ranked.len(), 1, "a shipped request leaves the open list");
    let of_acme = store.requests_of_account(acme).await.unwrap();
    assert_eq!(of_acme[0].id, export.id, "open requests first");
    let timeline = store.timeline_entries(globex).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == TimelineKind::Request && e.text.contains("In progress → Shipped")),
        "{timeline:?}"
    );
}
