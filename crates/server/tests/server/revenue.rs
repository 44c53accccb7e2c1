//! Revenue (F-63, F-64) through the API and the pages: retention of a period by tier with its
//! counts and sums, a CSM seeing only their own book, AEs refused, retention curves by
//! industry with their at-risk counts, and the pages with their charts' data.

use axum::http::StatusCode;
use lodestar_domain::Cents;
use lodestar_domain::revenue::SubscriptionFields;
use lodestar_domain::text::{ExternalId, Name};
use lodestar_domain::vocabulary::Role;
use lodestar_store::ImportedSubscription;
use serde_json::json;

use crate::support::{TestApp, account, create_account};

fn sub(account: &str, start: &str, end: Option<&str>, mrr: i64) -> ImportedSubscription {
    ImportedSubscription {
        account_external_id: ExternalId::parse(account).unwrap(),
        fields: SubscriptionFields {
            product: Name::parse("Platform").unwrap(),
            start_date: start.parse().unwrap(),
            end_date: end.map(|e| e.parse().unwrap()),
            mrr: Cents(mrr),
            quantity: 1,
            discount_bp: 0,
        }
        .validate()
        .unwrap(),
    }
}

/// Over 2025: acme (enterprise, the CSM's) grows 1,000 → 1,200; beta (enterprise) churns at
/// 500; gamma (mid-tier) shrinks 800 → 600; delta joins mid-year and does not count.
async fn history(app: &TestApp) -> (String, String, String) {
    let (csm, csm_token) = app.api_user("csm@v.io", Role::Csm).await;
    let lead = app.api_user("lead@v.io", Role::Leader).await.1;
    let ae = app.api_user("ae@v.io", Role::Ae).await.1;
    create_account(app, &lead, account("acme", Some(csm))).await;
    let beta = create_account(app, &lead, account("beta", None)).await;
    // beta's one QBR, in its first weeks: the sticky-driver view's only behaviour.
    let qbr = json!({"kind": "qbr", "title": "First QBR", "starts_at": "2024-02-10T15:00:00Z", "duration_minutes": 60});
    let held = app
        .send(
            "POST",
            &format!("/api/v1/accounts/{beta}/meetings"),
            Some(&lead),
            Some(qbr),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{}", held.text);
    let mut gamma = account("gamma", None);
    gamma["tier"] = json!("mid_tier");
    gamma["industry"] = json!("Retail");
    create_account(app, &lead, gamma).await;
    create_account(app, &lead, account("delta", None)).await;
    app.store
        .import_subscriptions(vec![
            sub("acme", "2024-06-01", Some("2025-07-01"), 100_000),
            sub("acme", "2025-07-01", None, 120_000),
            sub("beta", "2024-01-01", Some("2025-09-01"), 50_000),
            sub("gamma", "2024-03-01", Some("2025-04-01"), 80_000),
            sub("gamma", "2025-04-01", None, 60_000),
            sub("delta", "2025-06-01", None, 30_000),
        ])
        .await
        .unwrap();
    (lead, csm_token, ae)
}

#[tokio::test]
async fn retention_by_tier_shows_the_figures_and_what_is_behind_them() {
    let app = TestApp::new().await;
    let (lead, csm, ae) = history(&app).await;
    let uri = "/api/v1/revenue/retention?from=2025-01-01&to=2026-01-01&by=tier&step=quarter";
    let r = app.send("GET", uri, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let total = &r.body["total"];
    // Start: 1,000 + 500 + 800 = 2,300; end: 1,200 + 0 + 600 = 1,800; capped: 1,000 + 600.
    assert_eq!(total["accounts"], 3);
    assert_eq!(total["churned_accounts"], 1);
    assert_eq!(total["start_mrr"], "2300.00");
    assert_eq!(total["end_mrr"], "1800.00");
    assert_eq!(total["retained_mrr"], "1600.00");
    assert_eq!(total["churned_mrr"], "500.00");
    assert_eq!(total["downsold_mrr"], "200.00");
    assert_eq!(total["expanded_mrr"], "200.00");
    assert_eq!(total["nrr"], json!(1800.0 / 2300.0));
    assert_eq!(total["grr"], json!(1600.0 / 2300.0));
    assert_eq!(total["logo_churn"], json!(1.0 / 3.0));
    assert_eq!(total["mrr_churn"], json!(700.0 / 2300.0));
    assert_eq!(r.body["scope"], "all");

    let series = r.body["series"].as_array().unwrap();
    assert_eq!(series.len(), 4, "four quarters");
    assert_eq!(series[3]["from"], "2025-10-01");
    assert_eq!(series[1]["accounts"], 3, "delta joined during Q2: not in its cohort");
    assert_eq!(
        (series[2]["accounts"].as_u64(), series[2]["churned_accounts"].as_u64()),
        (Some(4), Some(1))
    );
    let groups = r.body["groups"].as_array().unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Enterprise", "Mid-tier"], "tiers in their own order");
    assert_eq!(groups[0]["nrr"], json!(1200.0 / 1500.0));
    assert_eq!(groups[1]["grr"], json!(0.75));
    assert_eq!(groups[0]["series"].as_array().unwrap().len(), 4);

    // A CSM sees their own book only; an AE nothing, whatever they ask.
    let mine = app.send("GET", uri, Some(&csm), None).await;
    assert_eq!(mine.body["scope"], "book");
    assert_eq!(mine.body["total"]["accounts"], 1);
    assert_eq!(mine.body["total"]["nrr"], json!(1.2));
    let refused = app
        .send("GET", "/api/v1/revenue/retention?from=nonsense", Some(&ae), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let backwards = app
        .send(
            "GET",
            "/api/v1/revenue/retention?from=2026-01-01&to=2025-01-01",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    assert_eq!(backwards.body["errors"][0]["field"], "to");
    let unknown = app
        .send("GET", "/api/v1/revenue/retention?by=planet", Some(&lead), None)
        .await;
    assert_eq!(unknown.body["errors"][0]["field"], "by");
}

#[tokio::test]
async fn retention_curves_by_industry_count_who_was_at_risk() {
    let app = TestApp::new().await;
    let (lead, _, _) = history(&app).await;
    let r = app
        .send(
            "GET",
            "/api/v1/revenue/survival?by=industry&as_of=2026-01-01",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["band"], "log-log 95% (Greenwood variance)");
    let groups = r.body["groups"].as_array().unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Retail", "No industry"]);
    // No industry: acme (censored at 579 days), beta (churned at 609), delta (censored at 214).
    let none = &groups[1];
    assert_eq!(
        (none["accounts"].as_u64(), none["churned"].as_u64()),
        (Some(3), Some(1))
    );
    let steps = none["steps"].as_array().unwrap();
    let table: Vec<(i64, u64, u64, u64)> = steps
        .iter()
        .map(|s| {
            (
                s["day"].as_i64().unwrap(),
                s["at_risk"].as_u64().unwrap(),
                s["churned"].as_u64().unwrap(),
                s["censored"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(table, [(214, 3, 0, 1), (579, 2, 0, 1), (609, 1, 1, 0)]);
    assert_eq!(steps[2]["survival"], json!(0.0));
    let custom = app
        .send("GET", "/api/v1/revenue/survival?by=custom.channel", Some(&lead), None)
        .await;
    assert_eq!(custom.body["groups"][0]["label"], "Not set");
    let bad = app
        .send("GET", "/api/v1/revenue/survival?by=Not%20a%20key", Some(&lead), None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_pages_show_the_figures_their_charts_and_how_they_are_defined() {
    let app = TestApp::new().await;
    history(&app).await;
    app.user("lena@v.io", Role::Leader).await;
    app.user("abe@v.io", Role::Ae).await;
    let leader = app.session("lena@v.io").await;
    let page = app
        .browse(
            "GET",
            "/revenue/retention?from=2025-01-01&to=2026-01-01&by=tier",
            Some(&leader),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("id=\"nrr\">78.3 %"), "{}", page.text);
    assert!(page.text.contains("id=\"grr\">69.6 %"));
    assert!(page.text.contains("id=\"retention-chart\""));
    assert!(page.text.contains("id=\"retention-group-chart\""));
    assert!(page.text.contains("<td>Mid-tier</td>"));
    assert!(
        page.text.contains("capped at its start MRR"),
        "the definitions are on the page"
    );
    let empty = app
        .browse(
            "GET",
            "/revenue/retention?from=2010-01-01&to=2011-01-01",
            Some(&leader),
            None,
            None,
        )
        .await;
    assert!(empty.text.contains("id=\"no-retention\""));
    let backwards = app
        .browse(
            "GET",
            "/revenue/retention?from=2026-01-01&to=2025-01-01",
            Some(&leader),
            None,
            None,
        )
        .await;
    assert!(backwards.text.contains("id=\"retention-error\""), "{}", backwards.text);

    let curves = app
        .browse(
            "GET",
            "/revenue/curves?by=industry&as_of=2026-01-01",
            Some(&leader),
            None,
            None,
        )
        .await;
    assert_eq!(curves.status, StatusCode::OK);
    assert!(curves.text.contains("id=\"survival-chart\""));
    assert!(curves.text.contains("<td>Retail</td>"));
    assert!(curves.text.contains("log-log 95% (Greenwood variance)"));
    assert!(
        curves.text.contains("id=\"drivers-table\""),
        "the QBR is a sticky driver"
    );

    let ae = app.session("abe@v.io").await;
    let refused = app.browse("GET", "/revenue/retention", Some(&ae), None, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sticky_drivers_compare_retention_with_and_without_an_early_behaviour() {
    let app = TestApp::new().await;
    let (lead, csm, _) = history(&app).await;
    let r = app
        .send(
            "GET",
            "/api/v1/revenue/sticky-drivers?days=90&as_of=2026-01-01",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // All four accounts' first 90 days were over; beta alone churned, and alone held a QBR.
    assert_eq!(
        (r.body["accounts"].as_u64(), r.body["retained"].as_u64()),
        (Some(4), Some(3))
    );
    let qbr = &r.body["drivers"][0];
    assert_eq!(qbr["kind"], "qbr");
    assert_eq!(
        (qbr["with"].as_u64(), qbr["with_retained"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (qbr["without"].as_u64(), qbr["without_retained"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(qbr["difference_points"], json!(-100.0));
    assert_eq!(qbr["effect_size"], json!(-std::f64::consts::PI));
    let mine = app
        .send("GET", "/api/v1/revenue/sticky-drivers", Some(&csm), None)
        .await;
    assert_eq!(mine.body["scope"], "book");
    assert!(mine.body["drivers"].as_array().unwrap().is_empty(), "acme held no QBR");
    let bad = app
        .send("GET", "/api/v1/revenue/sticky-drivers?days=0", Some(&lead), None)
        .await;
    assert_eq!(bad.body["errors"][0]["field"], "days");
}
