//! Typed row identifiers, so an account id can never be passed where a user id is expected.

macro_rules! id_type {
    ($($name:ident),+) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(
    UserId,
    AccountId,
    ContactId,
    ContractId,
    JobId,
    MilestoneId,
    ScorecardId,
    ReviewId,
    PromiseId,
    MeetingId,
    TaskId,
    CalendarFeedId,
    PulseId,
    TokenId,
    WriteKeyId,
    WebhookId,
    GoalId,
    GoalPartId,
    PlanId,
    PlanTacticId,
    CustomerLinkId,
    OutcomeId,
    TacticId,
    PlaybookChangeId,
    SurveyId,
    SurveyAnswerId,
    TicketId,
    RequestId,
    SprintId,
    SprintGoalId,
    SprintWinId,
    ChallengeId,
    OpportunityId
);
