//! The server's tests, one module per feature, in one test binary (one link instead of one per
//! file). Every module drives the real router in-process through `support`.

mod support;

mod access;
mod accounts;
mod capacity;
mod champions;
mod coverage;
mod forms;
mod goals;
mod handoffs;
mod health;
mod http;
mod jobs;
mod meetings;
mod notify;
mod onboarding;
mod one_on_ones;
mod plans;
mod playbooks;
mod qbrs;
mod renewals;
mod revenue;
mod reviews;
mod search;
mod security;
mod segments;
mod sprints;
mod surveys;
mod team;
mod tickets;
mod triggers;
mod usage;
