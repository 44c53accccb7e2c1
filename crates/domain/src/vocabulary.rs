//! The closed vocabularies of customer success: lifecycle stages, tiers, roles, … Each parses
//! leniently (case, spaces and hyphens don't matter; common synonyms from CRM exports are
//! accepted) and always writes one canonical snake_case spelling.

use std::fmt;
use std::str::FromStr;

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $variant:ident = $text:literal $(| $alias:literal)* => $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The canonical spelling used in storage, exports and the API.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The name shown to people.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(input: &str) -> Result<Self, String> {
                // Fast path for the canonical spelling (what storage and exports hold): no
                // allocation, which matters when a list decodes thousands of values.
                if let Some(v) = Self::ALL.iter().find(|v| v.as_str() == input) {
                    return Ok(*v);
                }
                let key = normalise(input);
                $(
                    if key == $text $(|| key == $alias)* || key == normalise($label) {
                        return Ok(Self::$variant);
                    }
                )+
                let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                Err(format!("unknown {} {:?}; expected one of: {}", $what, input.trim(), allowed.join(", ")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use vocabulary;

pub(crate) fn normalise(input: &str) -> String {
    input.trim().to_lowercase().replace([' ', '-', '/'], "_")
}

vocabulary!(
    /// Where an account is in its life with us (seed 003: Land → Adopt → Expand → Renew).
    LifecycleStage, "lifecycle stage" {
        Land = "land" | "onboarding" | "new" => "Land (onboarding)",
        Adopt = "adopt" | "adoption" => "Adopt",
        Expand = "expand" | "expansion" => "Expand",
        Renew = "renew" | "renewal" => "Renew",
        Churned = "churned" | "churn" | "lost" => "Churned",
    }
);

vocabulary!(
    /// The experience level an account gets; each has a benchmark book size per CSM (seed 004).
    Tier, "tier" {
        Strategic = "strategic" => "Strategic",
        Enterprise = "enterprise" => "Enterprise",
        MidTier = "mid_tier" | "mid" | "mid_market" | "commercial" => "Mid-tier",
        LongTail = "long_tail" | "tech_touch" | "low_touch" | "smb" => "Long tail",
    }
);

impl Tier {
    /// The accounts one CSM can serve in this tier, from the seed's benchmarks
    /// (8–12 strategic, 15 enterprise, 40 mid-tier, 100–200 long tail).
    pub fn benchmark_book_size(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Tier::Strategic => 8..=12,
            Tier::Enterprise => 15..=15,
            Tier::MidTier => 40..=40,
            Tier::LongTail => 100..=200,
        }
    }
}

vocabulary!(
    Level, "level" {
        Low = "low" => "Low",
        Medium = "medium" | "med" | "moderate" => "Medium",
        High = "high" => "High",
    }
);

/// How much an account can still grow with us.
pub type GrowthPotential = Level;
/// How much weight a contact carries in the customer's decisions.
pub type Influence = Level;

vocabulary!(
    /// Who serves the accounts of an experience level (seed 004): one CSM they know by name,
    /// or a pool of CSMs dedicated to the level, any of whom holds the review that is due.
    Coverage, "coverage" {
        Named = "named" | "dedicated" | "named_csm" => "Named CSM",
        Pooled = "pooled" | "pool" | "shared" => "Pooled CSMs",
    }
);

vocabulary!(
    /// Whether the customer wants a person or prefers to help themselves (seed 004 tiers).
    EngagementPreference, "engagement preference" {
        HighTouch = "high_touch" | "high" => "High-touch",
        SelfServe = "self_serve" | "low_touch" | "tech_touch" => "Self-serve",
    }
);

vocabulary!(
    ContactRole, "contact role" {
        DecisionMaker = "decision_maker" | "economic_buyer" | "buyer" => "Decision maker",
        Champion = "champion" => "Champion",
        Admin = "admin" | "administrator" => "Admin",
        User = "user" | "end_user" => "User",
        ExecSponsor = "exec_sponsor" | "executive_sponsor" | "executive" => "Executive sponsor",
    }
);

vocabulary!(
    ContactStatus, "contact status" {
        Active = "active" => "Active",
        Left = "left" | "inactive" | "former" => "Left the company",
    }
);

vocabulary!(
    /// What a person on the vendor's team may do in Lodestar.
    Role, "role" {
        Admin = "admin" => "Admin",
        Leader = "leader" | "cs_leader" | "manager" => "CS leader",
        Csm = "csm" => "CSM",
        AssociateCsm = "associate_csm" | "associate" => "Associate CSM",
        Ae = "ae" | "account_executive" => "Account executive",
        Executive = "executive" | "exec" => "Executive",
        Viewer = "viewer" | "read_only" => "Viewer",
    }
);

vocabulary!(
    /// Why an account's ARR changed. NRR and GRR are computed from these.
    ChangeKind, "change kind" {
        New = "new" | "new_business" => "New business",
        Expansion = "expansion" | "upsell" | "cross_sell" => "Expansion",
        Contraction = "contraction" | "downsell" | "downgrade" => "Contraction",
        Renewal = "renewal" => "Renewal",
        Churn = "churn" | "churned" | "cancellation" => "Churn",
    }
);

vocabulary!(
    /// Why a customer left, in the categories churn retrospectives compare (seed 001, play 5).
    ChurnReason, "churn reason" {
        Budget = "budget" | "price" | "cost" => "Budget or price",
        NoValue = "no_value" | "value" | "low_adoption" | "adoption" => "Did not get value",
        ChampionLeft = "champion_left" | "sponsor_left" | "stakeholder_turnover" => "Champion or sponsor left",
        Competitor = "competitor" | "switched" => "Moved to a competitor",
        ProductGap = "product_gap" | "missing_feature" | "product" => "Product gap",
        Service = "service" | "support" => "Service or support",
        BusinessChange = "business_change" | "acquired" | "out_of_business" | "bankrupt" => "Acquired, merged or closed",
        Other = "other" => "Other",
    }
);

vocabulary!(
    /// What an API token may be used for.
    TokenScope, "token scope" {
        Api = "api" => "API (with the token's role)",
        Metrics = "metrics" => "Metrics only (GET /metrics)",
    }
);

vocabulary!(
    /// What an audit log entry records: the actions on credentials, people, settings and
    /// records that an operator or auditor asks about later.
    AuditKind, "audit kind" {
        SignIn = "sign_in" => "Signed in",
        SignInFailed = "sign_in_failed" => "Sign-in failed",
        SignOut = "sign_out" => "Signed out",
        PasswordChanged = "password_changed" => "Changed their password",
        PasswordReset = "password_reset" => "Reset a password",
        UserCreated = "user_created" => "Created a user",
        RoleChanged = "role_changed" => "Changed a role",
        UserDeactivated = "user_deactivated" => "Deactivated a user",
        UserReactivated = "user_reactivated" => "Reactivated a user",
        UserDeleted = "user_deleted" => "Deleted a user",
        TokenCreated = "token_created" => "Created an API token",
        TokenRevoked = "token_revoked" => "Revoked an API token",
        WriteKeyCreated = "write_key_created" => "Created a write key",
        WriteKeyRevoked = "write_key_revoked" => "Revoked a write key",
        Export = "export" => "Exported data",
        Backup = "backup" => "Backed up the database",
        Restore = "restore" => "Restored a backup",
        ScorecardChanged = "scorecard_changed" => "Changed a health scorecard",
        SettingsChanged = "settings_changed" => "Changed risk settings",
        CadenceChanged = "cadence_changed" => "Changed a review cadence",
        ExperienceChanged = "experience_changed" => "Changed an experience level",
        RoutingChanged = "routing_changed" => "Changed who works expansion opportunities",
        RenewalClosed = "renewal_closed" => "Recorded how a renewal closed",
        CapacityChanged = "capacity_changed" => "Changed a capacity benchmark",
        BooksRebalanced = "books_rebalanced" => "Rebalanced the team's books",
        TiersApplied = "tiers_applied" => "Applied the tier formula",
        SprintSettingsChanged = "sprint_settings_changed" => "Changed the sprint rhythm",
        TriggerChanged = "trigger_changed" => "Changed a trigger rule",
        AccountDeleted = "account_deleted" => "Deleted an account",
        AccountChurned = "account_churned" => "Marked an account churned",
        ValueRecorded = "value_recorded" => "Recorded value received on a goal",
        GoalPartRemoved = "goal_part_removed" => "Removed a part of a goal's ecosystem",
        WebhookCreated = "webhook_created" => "Created a webhook target",
        WebhookChanged = "webhook_changed" => "Changed a webhook target",
        WebhookDeleted = "webhook_deleted" => "Deleted a webhook target",
        CustomerLinkCreated = "customer_link_created" => "Shared a customer link",
        CustomerLinkRevoked = "customer_link_revoked" => "Revoked a customer link",
        CustomerLinkUsed = "customer_link_used" => "A customer used a link",
    }
);

vocabulary!(
    /// What Lodestar tells a person about (F-52); each person chooses, kind by kind, whether it
    /// comes by email and whether it goes to the webhooks that carry that kind.
    NotificationKind, "notification kind" {
        PromiseDue = "promise_due" => "A promise we made is due",
        CustomerPromiseOverdue = "customer_promise_overdue" => "A customer's promise is overdue",
        MeetingReminder = "meeting_reminder" => "Meeting reminders",
        AccountTurnedRed = "account_turned_red" => "An account turned red",
        DailyDigest = "daily_digest" => "Daily digest",
        TriggerFired = "trigger_fired" => "A trigger rule fired",
        RequestShipped = "request_shipped" => "A bug fix or feature a customer asked for shipped",
        ChampionAlert = "champion_alert" => "A champion left, or an influential contact dislikes our solution",
    }
);

vocabulary!(
    /// Why an account is on an LxL review's agenda (seed 001, play 2).
    AgendaReason, "agenda reason" {
        AtRisk = "at_risk" | "risk" => "At risk",
        ExpansionReady = "expansion_ready" | "expansion" | "upside" => "Expansion-ready",
        RenewalSoon = "renewal_soon" | "renewal" => "Renews within 6 months",
        AddedByHand = "added" | "added_by_hand" | "manual" => "Added by the team",
    }
);

vocabulary!(
    /// Where a promise (an action item of a meeting or an LxL review) stands; open ones come
    /// back at every review until closed.
    ActionStatus, "promise status" {
        Open = "open" | "todo" => "Open",
        Done = "done" | "complete" | "completed" => "Done",
        Dropped = "dropped" | "cancelled" | "canceled" | "wont_do" => "Dropped",
    }
);

vocabulary!(
    /// Every kind of conversation a CSM logs (F-37). Notes and email notes are records of
    /// something said, not appointments: they have no length and stay off calendars.
    MeetingKind, "meeting kind" {
        InternalHandoff = "internal_handoff" | "handoff" => "Internal handoff",
        Kickoff = "kickoff" | "kick_off" => "Kickoff",
        Status = "status" | "status_call" => "Status call",
        CheckIn = "check_in" | "checkin" => "Check-in",
        Qbr = "qbr" => "QBR",
        Ebr = "ebr" => "EBR",
        Retrospective = "retrospective" | "retro" => "Retrospective",
        Lxl = "lxl" | "lxl_review" => "LxL review",
        OneOnOne = "one_on_one" | "1:1" | "1on1" => "1:1",
        Call = "call" | "phone_call" => "Call",
        EmailNote = "email_note" | "email" => "Email note",
        Note = "note" => "Note",
    }
);

impl MeetingKind {
    /// An appointment with a time and a length, which calendars show; notes are not.
    pub fn is_appointment(self) -> bool {
        !matches!(self, MeetingKind::EmailNote | MeetingKind::Note)
    }
}

vocabulary!(
    /// Where a task came from; a task from a promise finishes with the promise.
    TaskSource, "task source" {
        Manual = "manual" | "by_hand" => "Made by hand",
        Promise = "promise" => "A promise of ours",
        Plan = "plan" | "success_plan" => "A success plan's check-in",
        ReactiveQbr = "reactive_qbr" => "A reactive QBR",
        Trigger = "trigger" | "rule" => "A trigger rule",
        Detractor = "detractor" | "nps_detractor" => "A detractor's answer: close the loop",
        RequestShipped = "request_shipped" => "A request the customer asked for shipped",
    }
);

vocabulary!(
    /// Where a success plan stands with the customer (F-31): written, shown to them, read by
    /// them, signed off by them.
    PlanState, "plan state" {
        Draft = "draft" => "Draft",
        Shared = "shared" => "Shared with the customer",
        Reviewed = "reviewed" => "Reviewed by the customer",
        Approved = "approved" => "Approved by the customer",
    }
);

vocabulary!(
    /// A tactic of a plan: being worked, set aside for later, or finished. At most three are
    /// active at once (seed 001: focus beats a long list).
    TacticState, "tactic state" {
        Active = "active" => "Active",
        Parked = "parked" | "paused" => "Parked",
        Done = "done" | "finished" => "Done",
    }
);

vocabulary!(
    /// The CSM's gut-check of a renewal, written before a QBR (F-35): what the figures alone
    /// do not say.
    RenewalOutlook, "renewal outlook" {
        Likely = "likely" | "on_track" | "safe" => "Likely to renew",
        Unsure = "unsure" | "unknown" => "Unsure",
        AtRisk = "at_risk" | "risk" | "unlikely" => "At risk",
    }
);

vocabulary!(
    /// Where a renewal sits in the forecast (F-62), in the categories sales forecasts use:
    /// commit (the number the team stands behind), best case (likely, not certain), pipeline
    /// (possible) and omitted (not expected).
    ForecastCategory, "forecast category" {
        Commit = "commit" | "committed" => "Commit",
        BestCase = "best_case" | "best" | "probable" => "Best case",
        Pipeline = "pipeline" | "upside" => "Pipeline",
        Omitted = "omitted" | "omit" | "lost" => "Omitted",
    }
);

vocabulary!(
    /// How a renewal closed.
    RenewalResult, "renewal result" {
        Renewed = "renewed" | "won" => "Renewed",
        Churned = "churned" | "lost" | "cancelled" => "Churned",
    }
);

vocabulary!(
    /// The kind of growth an expansion opportunity is (seed 004): more of the same — a price
    /// increase, more consumption, seats added as the customer grows — or new business — a new
    /// division or business unit, a new product (a cross-sell).
    OpportunityKind, "opportunity kind" {
        PriceIncrease = "price_increase" | "price" | "uplift" => "Price increase",
        Consumption = "consumption" | "usage" => "More consumption",
        OrganicSeats = "organic_seats" | "seats" => "Organic seat growth",
        NewDivision = "new_division" | "division" | "business_unit" => "New division",
        NewProduct = "new_product" | "cross_sell" | "product" => "New product (cross-sell)",
    }
);

vocabulary!(
    /// Where an expansion opportunity stands.
    OpportunityStage, "opportunity stage" {
        Identified = "identified" | "new" => "Identified",
        Qualified = "qualified" => "Qualified",
        Proposal = "proposal" | "proposed" | "negotiation" => "Proposal out",
        Won = "won" | "closed_won" => "Won",
        Lost = "lost" | "closed_lost" => "Lost",
    }
);

vocabulary!(
    /// Who works a kind of expansion: the account's CSM or its account executive.
    Route, "route" {
        Csm = "csm" => "The account's CSM",
        Ae = "ae" | "account_executive" | "sales" => "The account executive",
    }
);

vocabulary!(
    /// What a customer may do through a link, besides reading what it shows.
    LinkAction, "link action" {
        Comment = "comment" => "Comment",
        Review = "review" => "Mark reviewed",
        Approve = "approve" => "Approve",
        Answer = "answer" => "Answer",
        Tick = "tick" => "Tick off tasks",
    }
);

vocabulary!(
    /// What a survey asks (F-40): the Net Promoter question (0–10), satisfaction (1–5), or one
    /// question of the CSM's own (1–5).
    SurveyKind, "survey kind" {
        Nps = "nps" | "net_promoter" => "NPS",
        Csat = "csat" | "satisfaction" => "CSAT",
        Micro = "micro" | "micro_survey" => "Micro survey",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_is_lenient_but_writing_is_canonical() {
        assert_eq!("Mid-Tier".parse::<Tier>().unwrap(), Tier::MidTier);
        assert_eq!(" long tail ".parse::<Tier>().unwrap(), Tier::LongTail);
        assert_eq!("Onboarding".parse::<LifecycleStage>().unwrap(), LifecycleStage::Land);
        assert_eq!(
            "Land (onboarding)".parse::<LifecycleStage>().unwrap(),
            LifecycleStage::Land
        );
        assert_eq!("Associate CSM".parse::<Role>().unwrap(), Role::AssociateCsm);
        assert_eq!(Tier::MidTier.as_str(), "mid_tier");
        for t in Tier::ALL {
            assert_eq!(
                t.as_str().parse::<Tier>().unwrap(),
                *t,
                "canonical spelling round-trips"
            );
            assert_eq!(t.label().parse::<Tier>().unwrap(), *t, "label round-trips");
        }
    }

    #[test]
    fn unknown_values_list_the_allowed_ones() {
        let err = "gold".parse::<Tier>().unwrap_err();
        assert_eq!(
            err,
            r#"unknown tier "gold"; expected one of: strategic, enterprise, mid_tier, long_tail"#
        );
    }

    #[test]
    fn serde_uses_the_canonical_spelling() {
        assert_eq!(
            serde_json::to_string(&Role::AssociateCsm).unwrap(),
            r#""associate_csm""#
        );
        assert_eq!(serde_json::from_str::<Role>(r#""csm""#).unwrap(), Role::Csm);
        assert!(
            serde_json::from_str::<Role>(r#""boss""#)
                .unwrap_err()
                .to_string()
                .contains("unknown role")
        );
    }
}

vocabulary!(
    /// Where a support ticket stands, in Zendesk's words (F-43). New, open, pending and on-hold
    /// tickets are open: the customer is still waiting on something.
    TicketStatus, "ticket status" {
        New = "new" => "New",
        Open = "open" => "Open",
        Pending = "pending" => "Pending",
        Hold = "hold" | "on_hold" => "On hold",
        Solved = "solved" | "resolved" => "Solved",
        Closed = "closed" => "Closed",
    }
);

impl TicketStatus {
    /// Still waiting on an answer or a fix.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Solved | TicketStatus::Closed)
    }
}

vocabulary!(
    /// How urgent a ticket is, in Zendesk's words (F-43).
    TicketPriority, "ticket priority" {
        Low = "low" => "Low",
        Normal = "normal" | "medium" => "Normal",
        High = "high" => "High",
        Urgent = "urgent" | "critical" => "Urgent",
    }
);

impl TicketPriority {
    /// What an open ticket of this priority weighs in the support load: an urgent ticket
    /// weighs as much as four normal ones.
    pub fn weight(self) -> f64 {
        match self {
            TicketPriority::Low => 0.5,
            TicketPriority::Normal => 1.0,
            TicketPriority::High => 2.0,
            TicketPriority::Urgent => 4.0,
        }
    }
}

vocabulary!(
    /// What a customer asked the product for (F-43): a bug fixed or a feature built.
    RequestKind, "request kind" {
        Bug = "bug" | "defect" => "Bug",
        Feature = "feature" | "feature_request" | "story" | "improvement" => "Feature request",
    }
);

vocabulary!(
    /// Where a bug or feature request stands. Jira's usual status names are accepted as
    /// aliases, so an issue's status maps onto it ("To Do", "In Progress", "Done", …).
    RequestStatus, "request status" {
        Open = "open" | "to_do" | "todo" | "backlog" | "new" | "reopened" => "Open",
        Planned = "planned" | "selected_for_development" | "ready" | "accepted" => "Planned",
        InProgress = "in_progress" | "in_review" | "in_development" | "in_qa" => "In progress",
        Shipped = "shipped" | "done" | "released" | "resolved" | "closed" | "fixed" => "Shipped",
        Declined = "declined" | "won't_do" | "wont_do" | "rejected" | "won't_fix" | "wont_fix" => "Declined",
    }
);

impl RequestStatus {
    /// Still to be delivered: neither shipped nor declined.
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Shipped | RequestStatus::Declined)
    }
}

vocabulary!(
    /// An answer to a yes-or-no question asked about a customer, where "not sure" is honest.
    Answer, "answer" {
        Yes = "yes" | "y" | "true" => "Yes",
        No = "no" | "n" | "false" => "No",
        Unsure = "unsure" | "not_sure" | "unknown" | "maybe" => "Not sure",
    }
);

vocabulary!(
    /// Seed 003's first question about a slipping customer: is it us (our platform) or them?
    CauseSide, "side" {
        Us = "us" | "ours" | "our_side" => "Our side",
        Them = "them" | "theirs" | "their_side" | "customer" => "Their side",
        Both = "both" => "Both sides",
        Unclear = "unclear" | "unknown" | "unsure" => "Not clear yet",
    }
);

vocabulary!(
    /// How often a sprint's retrospectives are held (seed 000: monthly or bi-monthly).
    RetroCadence, "retrospective cadence" {
        Monthly = "monthly" | "every_4_weeks" => "Monthly",
        BiMonthly = "bi_monthly" | "bimonthly" | "every_8_weeks" => "Every two months",
    }
);

impl RetroCadence {
    /// The weeks between two retrospectives.
    pub fn weeks(self) -> u32 {
        match self {
            RetroCadence::Monthly => 4,
            RetroCadence::BiMonthly => 8,
        }
    }
}

vocabulary!(
    /// What a challenge vented at a retrospective probably comes from (seed 000: usually a
    /// process, culture or communication, rarely a feature).
    SuspectedCause, "suspected cause" {
        Process = "process" => "Process",
        Culture = "culture" => "Culture",
        Communication = "communication" => "Communication",
        SkillsResources = "skills_resources" | "skills" | "resources" => "Skills or resources",
        Product = "product" | "technology" => "Our product",
        Unknown = "unknown" | "unclear" => "Not clear yet",
    }
);
