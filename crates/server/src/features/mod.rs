//! The features, one module each. A feature owns its operations (`ops`: actor and input in,
//! result out — where its permission checks and input rules live, once), its API handlers and
//! its web handlers, which both call those operations, and its templates folder
//! (`templates/<feature>/`). Routes of every feature are merged here, and only here.

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod capacity;
pub mod champions;
pub mod churn;
pub mod contacts;
pub mod contracts;
pub mod coverage;
pub mod customer;
pub mod goals;
pub mod handoffs;
pub mod health;
pub mod jobs;
pub mod lxl;
pub mod meetings;
pub mod milestones;
pub mod notify;
pub mod onboarding;
pub mod one_on_ones;
pub mod plans;
pub mod playbooks;
pub mod renewals;
pub mod revenue;
pub mod reviews;
pub mod risk;
pub mod search;
pub mod segments;
pub mod sprints;
pub mod surveys;
pub mod tasks;
pub mod team;
pub mod tickets;
pub mod today;
pub mod triggers;
pub mod usage;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Each feature's API routes with their OpenAPI descriptions.
pub(crate) fn api_routers() -> Vec<OpenApiRouter<AppState>> {
    vec![
        accounts::api_router(),
        contacts::api_router(),
        contracts::api_router(),
        team::api_router(),
        usage::api_router(),
        milestones::api_router(),
        health::api_router(),
        risk::api_router(),
        revenue::api_router(),
        lxl::api_router(),
        meetings::api_router(),
        plans::api_router(),
        goals::api_router(),
        handoffs::api_router(),
        onboarding::api_router(),
        tasks::api_router(),
        today::api_router(),
        calendar::api_router(),
        churn::api_router(),
        jobs::api_router(),
        audit::api_router(),
        notify::api_router(),
        search::api_router(),
        playbooks::api_router(),
        reviews::api_router(),
        renewals::api_router(),
        capacity::api_router(),
        one_on_ones::api_router(),
        segments::api_router(),
        champions::api_router(),
        coverage::api_router(),
        triggers::api_router(),
        sprints::api_router(),
        surveys::api_router(),
        tickets::api_router(),
    ]
}

/// Every page, and the ingestion endpoints.
pub(crate) fn web_router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/today") }))
        .merge(accounts::web_router())
        .merge(contacts::web_router())
        .merge(contracts::web_router())
        .merge(team::web_router())
        .merge(usage::web_router())
        .merge(milestones::web_router())
        .merge(health::web_router())
        .merge(risk::web_router())
        .merge(revenue::web_router())
        .merge(lxl::web_router())
        .merge(meetings::web_router())
        .merge(plans::web_router())
        .merge(goals::web_router())
        .merge(handoffs::web_router())
        .merge(onboarding::web_router())
        .merge(tasks::web_router())
        .merge(today::web_router())
        .merge(calendar::web_router())
        .merge(churn::web_router())
        .merge(jobs::web_router())
        .merge(audit::web_router())
        .merge(notify::web_router())
        .merge(search::web_router())
        .merge(playbooks::web_router())
        .merge(reviews::web_router())
        .merge(renewals::web_router())
        .merge(capacity::web_router())
        .merge(one_on_ones::web_router())
        .merge(segments::web_router())
        .merge(champions::web_router())
        .merge(sprints::web_router())
        .merge(coverage::web_router())
        .merge(triggers::web_router())
        .merge(surveys::web_router())
        .merge(tickets::web_router())
        .merge(customer::staff_router())
        // The top bar marks the section of the page it is on.
        .layer(axum::middleware::from_fn(crate::http::nav::remember_path));
    // Customer pages have no session and no top bar.
    pages.merge(customer::web_router()).merge(usage::ingest::router())
}
