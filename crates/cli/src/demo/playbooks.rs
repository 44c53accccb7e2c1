//! The demo playbook library (F-32): three or four outcomes per segment, each with tactics, a
//! case study and ROI figures, and the three risk playbooks' outreach emails in the words of
//! seed 004 (an open question, a menu of options, an open channel).

use anyhow::Context;
use lodestar_domain::playbook::{
    CaseStudy, OutcomeFields, OutreachApproach, OutreachTemplate, RoiFigure, RoiValue, Tactic,
};
use lodestar_domain::text::{Label, Name, Note};
use lodestar_domain::vocabulary::Tier;
use lodestar_store::Store;

/// An outcome as written here: title, why, tactics (title, how), a case study (title,
/// customer, story) and ROI figures (label, value, unit).
struct Entry {
    tier: Tier,
    title: &'static str,
    why: &'static str,
    tactics: &'static [(&'static str, &'static str)],
    case: (&'static str, &'static str, &'static str),
    roi: &'static [(&'static str, &'static str, &'static str)],
}

/// The strategic segment's tactic the demo's renewal rule makes its task from.
pub(super) const EBR_TACTIC: &str = "Quarterly EBR with the economic buyer";

const LIBRARY: &[Entry] = &[
    Entry {
        tier: Tier::Strategic,
        title: "Executive alignment on value",
        why: "Their executives can say what they get from us in their own numbers.",
        tactics: &[
            (
                EBR_TACTIC,
                "Review the value plan against their goals; agree the next three tactics.",
            ),
            (
                "Executive sponsor pairing",
                "Our exec meets theirs twice a year, outside renewal season.",
            ),
        ],
        case: (
            "Renewed early at a larger scope",
            "Helios Freight",
            "Their COO presented our ROI summary to their board and asked to add two divisions.",
        ),
        roi: &[("Renewal rate of paired accounts", "97", "%")],
    },
    Entry {
        tier: Tier::Strategic,
        title: "Embedded in daily operations",
        why: "The product is part of how their teams work every day, not a side tool.",
        tactics: &[
            (
                "Workflow mapping workshop",
                "Two days on site mapping their processes to the product's sticky drivers.",
            ),
            (
                "Integration with their data warehouse",
                "The connector kit, set up by our solutions engineer.",
            ),
            (
                "Admin certification",
                "Train-the-trainer for their admins so rollout does not depend on us.",
            ),
        ],
        case: (
            "From pilot to 14 teams",
            "Aurora Health",
            "After the workshop every regional team adopted the same workflow within a quarter.",
        ),
        roi: &[
            ("Weekly active users", "3.2", "× in 6 months"),
            ("Manual reporting time", "11", "hours saved a week"),
        ],
    },
    Entry {
        tier: Tier::Strategic,
        title: "Faster month-end close",
        why: "Finance closes the books in days, not weeks.",
        tactics: &[
            (
                "Close checklist in the product",
                "Replace their spreadsheet checklist with tracked tasks.",
            ),
            (
                "Month-end office hours",
                "Our specialist on call during their first three closes.",
            ),
        ],
        case: (
            "Close in 4 days instead of 9",
            "Northwind Logistics",
            "Their controller credits the shared checklist and the automated reconciliations.",
        ),
        roi: &[("Time to close", "55", "% faster")],
    },
    Entry {
        tier: Tier::Strategic,
        title: "Renewal without surprises",
        why: "Every stakeholder who signs knows the value before the renewal conversation.",
        tactics: &[
            (
                "Map the economic buyer",
                "Before every renewal above $100k: who signs, and what they measure.",
            ),
            (
                "ROI summary 120 days out",
                "Send the value plan's results to the buyer and the champion.",
            ),
        ],
        case: (
            "A three-year renewal after a reorganisation",
            "Blue Ridge Bank",
            "The new CFO had our ROI summary before anyone asked for a discount.",
        ),
        roi: &[("Renewals without a discount", "88", "%")],
    },
    Entry {
        tier: Tier::Enterprise,
        title: "Time to first value under 30 days",
        why: "Teams see a first result in their first month.",
        tactics: &[
            (
                "Kickoff within 4 business days",
                "Goals and pain points from the Sales handoff, agreed with their project lead.",
            ),
            (
                "Weekly status in the first 30 days",
                "Review FAQs from other onboardings when there is nothing to report.",
            ),
        ],
        case: (
            "First report in 12 days",
            "Kinetic Labs",
            "A prescriptive plan instead of their wish list got them live in two weeks.",
        ),
        roi: &[("Median days to first value", "18", "days")],
    },
    Entry {
        tier: Tier::Enterprise,
        title: "Adoption across teams",
        why: "More than the buying team uses the product every week.",
        tactics: &[
            (
                "Team-by-team rollout plan",
                "One team a sprint, each with its own champion.",
            ),
            (
                "Usage review with the champion",
                "Monthly: who is active, who misses the key features.",
            ),
        ],
        case: (
            "Five teams in two quarters",
            "Marker Retail",
            "Each new team's champion was trained by the previous one.",
        ),
        roi: &[("Active seats", "84", "% of licensed")],
    },
    Entry {
        tier: Tier::Enterprise,
        title: "Fewer support escalations",
        why: "Their admins solve everyday problems themselves.",
        tactics: &[
            (
                "Admin training path",
                "Three short sessions and the knowledge base's top ten articles.",
            ),
            (
                "Quarterly ticket review",
                "Go over their tickets and fix the root causes together.",
            ),
        ],
        case: (
            "Tickets halved",
            "J2 Payments",
            "After the admin path their escalations dropped from 30 to 14 a month.",
        ),
        roi: &[("Escalated tickets", "53", "% fewer")],
    },
    Entry {
        tier: Tier::MidTier,
        title: "Self-sufficient admins",
        why: "An admin on their side owns the setup and trains new users.",
        tactics: &[
            (
                "Certified admin in the first 60 days",
                "The online certification with a live Q&A.",
            ),
            (
                "Admin community invite",
                "Peers answer the questions we would otherwise get.",
            ),
        ],
        case: (
            "One admin for 200 users",
            "Alloy Data",
            "Their certified admin runs onboarding for every new hire.",
        ),
        roi: &[("Onboarding time per new user", "40", "minutes")],
    },
    Entry {
        tier: Tier::MidTier,
        title: "Reporting their leadership uses",
        why: "Their leadership sees the numbers they care about without asking.",
        tactics: &[
            (
                "Build the leadership dashboard together",
                "One call to pick five numbers; we build it with them.",
            ),
            (
                "Scheduled monthly report",
                "Sent to their leaders by the product, not by a person.",
            ),
        ],
        case: (
            "The board deck comes from the dashboard",
            "Lunchbox Foods",
            "Their CEO stopped asking for a separate spreadsheet.",
        ),
        roi: &[("Hours spent on reporting", "6", "hours saved a month")],
    },
    Entry {
        tier: Tier::MidTier,
        title: "Expansion to a second use case",
        why: "A second team or use case doubles the value and the stickiness.",
        tactics: &[
            (
                "Use-case review at the QBR",
                "Show what peers in their industry use beyond the first case.",
            ),
            (
                "Free pilot for the second team",
                "30 days, with success criteria agreed up front.",
            ),
        ],
        case: (
            "From support to sales",
            "Crescent Travel",
            "The sales team's pilot turned into a 60-seat expansion.",
        ),
        roi: &[("Net revenue retention of two-use-case accounts", "118", "%")],
    },
    Entry {
        tier: Tier::LongTail,
        title: "Self-serve onboarding completed",
        why: "New customers finish setup without a call.",
        tactics: &[
            (
                "In-product checklist",
                "Five steps to first value, with nudges by email.",
            ),
            (
                "Weekly group onboarding webinar",
                "Open to every new customer; recorded.",
            ),
        ],
        case: (
            "Live in a day",
            "Pine & Co",
            "They finished the checklist on day one and invited their team on day two.",
        ),
        roi: &[("Setup completed within 14 days", "71", "%")],
    },
    Entry {
        tier: Tier::LongTail,
        title: "Habitual weekly use",
        why: "The product is part of the week, so renewal is a non-event.",
        tactics: &[
            (
                "Weekly digest email",
                "What happened in their account, with one suggestion.",
            ),
            (
                "Feature of the month",
                "A short video on one sticky driver, sent to inactive users.",
            ),
        ],
        case: (
            "Back from the brink",
            "Oakline Studio",
            "The feature-of-the-month email brought three lapsed users back.",
        ),
        roi: &[("Accounts active every week", "64", "%")],
    },
    Entry {
        tier: Tier::LongTail,
        title: "Upgrade when they outgrow the plan",
        why: "Growing customers move up a plan instead of leaving.",
        tactics: &[
            (
                "Usage-limit heads-up",
                "Tell them at 80% of a limit, with the next plan's price.",
            ),
            (
                "One-to-many release recap",
                "Quarterly recap of what the higher plans added.",
            ),
        ],
        case: (
            "Upgraded instead of churning",
            "Fernwood Clinics",
            "The heads-up came the week they hired five people.",
        ),
        roi: &[("Upgrades per quarter", "4.5", "% of accounts")],
    },
];

/// Seed 004's three outreach emails, one per level of industry exposure.
const OUTREACH: [(OutreachApproach, &str, &str); 3] = [
    (
        OutreachApproach::OpenQuestion,
        "{{account.name}}: how can we help this year?",
        "Hi {{contact.first_name}},\n\nWe understand that these are challenging times. You have an upcoming renewal on \
         {{renewal_date}}. We value our long-term partnership and think of it as a 10-year relationship.\n\nAs your \
         long-term partners, we're looking for ways to support you in the coming year. Can we have a conversation \
         about what you would need to help you through this difficult time?\n\nBest,\n{{csm.name}}",
    ),
    (
        OutreachApproach::MenuOfOptions,
        "{{account.name}}: options for your renewal",
        "Hi {{contact.first_name}},\n\nYour renewal is coming up on {{renewal_date}}, and we know budgets are under \
         pressure. To make it easier, we can offer any of these:\n\n1. Delayed payment terms\n2. A payment plan \
         spread over the year\n3. A discount on your current {{arr}} a year\n\nWhich would help you most? Reply \
         and I'll set it up.\n\nBest,\n{{csm.name}}",
    ),
    (
        OutreachApproach::OpenChannel,
        "{{account.name}}: your renewal on {{renewal_date}}",
        "Hi {{contact.first_name}},\n\nYour renewal is planned for {{renewal_date}}. If your business is \
         encountering economic challenges, let us know this week. Our renewal invoice is scheduled to go out 30 \
         days before.\n\nBest,\n{{csm.name}}",
    ),
];

fn name(text: &str) -> Name {
    Name::parse(text).expect("a demo name is valid")
}

fn note(text: &str) -> Note {
    Note::parse(text).expect("a demo note is valid")
}

fn label(text: &str) -> Label {
    Label::parse(text).expect("a demo label is valid")
}

/// Writes the library.
pub async fn load(store: &Store) -> anyhow::Result<()> {
    for entry in LIBRARY {
        let fields = OutcomeFields {
            tier: entry.tier,
            title: name(entry.title),
            description: note(entry.why),
            tactics: entry
                .tactics
                .iter()
                .map(|(title, how)| Tactic {
                    id: None,
                    title: name(title),
                    description: note(how),
                })
                .collect(),
            case_studies: vec![CaseStudy {
                title: name(entry.case.0),
                customer: name(entry.case.1),
                text: note(entry.case.2),
            }],
            roi_figures: entry
                .roi
                .iter()
                .map(|(what, value, unit)| {
                    Ok(RoiFigure {
                        label: label(what),
                        value: RoiValue::parse(value).map_err(anyhow::Error::msg)?,
                        unit: label(unit),
                    })
                })
                .collect::<anyhow::Result<_>>()?,
        }
        .validate()?;
        store
            .create_playbook_outcome(fields, None)
            .await
            .with_context(|| format!("outcome {:?}", entry.title))?;
    }
    for (approach, subject, body) in OUTREACH {
        store
            .save_risk_playbook(approach, OutreachTemplate::parse(subject, body)?, None)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_has_three_to_five_outcomes() {
        for tier in Tier::ALL {
            let n = LIBRARY.iter().filter(|e| e.tier == *tier).count();
            assert!((3..=5).contains(&n), "{tier}: {n}");
        }
    }
}
