//! Lodestar's domain: the records a customer success team keeps, the rules that make a record
//! valid, and the calculations on them. This crate never touches IO (database, files, network,
//! clock): callers pass "today" in, so every rule is testable with fixed inputs.

pub mod access;
pub mod account;
pub mod api_token;
pub mod capacity;
pub mod champion;
pub mod contact;
pub mod contract;
pub mod coverage;
pub mod dates;
pub mod error;
pub mod experience;
pub mod goal;
pub mod handoff;
pub mod health;
pub mod ids;
pub mod job;
pub mod lifecycle;
pub mod meeting;
pub mod milestone;
pub mod money;
pub mod notify;
pub mod onboarding;
pub mod one_on_one;
pub mod plan;
pub mod playbook;
pub mod promise;
pub mod qbr;
pub mod renewal;
pub mod retro;
pub mod revenue;
pub mod review;
pub mod risk;
pub mod search;
pub mod segment;
pub mod sprint;
pub mod survey;
pub mod survival;
pub mod text;
pub mod ticket;
pub mod today;
pub mod trigger;
pub mod usage;
pub mod usage_fall;
pub mod user;
pub mod vocabulary;

pub use error::{FieldError, Invalid, Valid};
pub use ids::{
    AccountId, CalendarFeedId, ChallengeId, ContactId, ContractId, CustomerLinkId, GoalId, GoalPartId, JobId,
    MeetingId, MilestoneId, OpportunityId, OutcomeId, PlanId, PlanTacticId, PlaybookChangeId, PromiseId, PulseId,
    RequestId, ReviewId, ScorecardId, SprintGoalId, SprintId, SprintWinId, SurveyAnswerId, SurveyId, TacticId, TaskId,
    TicketId, TokenId, UserId, WebhookId, WriteKeyId,
};
pub use money::Cents;
