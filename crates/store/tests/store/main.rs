//! The store test suite, one module per feature, in one test binary: every `store_test!` case
//! runs on SQLite and on PostgreSQL.

mod common;

mod accounts;
mod audit;
mod backup;
mod capacity;
mod champions;
mod churn;
mod contacts;
mod contracts;
mod coverage;
mod goals;
mod handoffs;
mod health;
mod jobs;
mod lxl;
mod meetings;
mod milestones;
mod notify;
mod onboarding;
mod one_on_ones;
mod plans;
mod playbooks;
mod renewals;
mod reviews;
mod risk;
mod schema;
mod search;
mod segments;
mod sprints;
mod subscriptions;
mod surveys;
mod team;
mod tickets;
mod tls;
mod triggers;
mod usage;
