//! Coverage (F-42): how high and how wide our relationships with a customer reach, and the
//! executive sponsor programme for the accounts that make up the top of ARR.
//!
//! Seed 001: "it is a best practice to be three-high and three-wide in terms of the span of
//! contacts" — people at three levels of the customer (executives, managers, the people doing
//! the work) and in three functions — because stakeholder turnover is a top reason for churn;
//! and "if 80 % of your revenue comes from the top 20 % of your customers, focus on building a
//! robust executive sponsorship program for your top 20 %", keeping the same sponsor.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::vocabulary::{ContactRole, normalise, vocabulary};

/// Levels and functions a covered account reaches.
pub const TARGET: usize = 3;

vocabulary!(
    /// How senior a contact is at the customer.
    ContactLevel, "contact level" {
        Executive = "executive" => "Executive",
        Manager = "manager" => "Manager",
        Practitioner = "practitioner" => "Practitioner",
    }
);

vocabulary!(
    /// The part of the customer's organisation a contact works in.
    Function, "function" {
        ExecutiveOffice = "executive_office" => "Executive office",
        Sales = "sales" => "Sales",
        Marketing = "marketing" => "Marketing",
        CustomerExperience = "customer_experience" => "Customer experience and support",
        Product = "product" => "Product",
        Technology = "technology" => "IT and engineering",
        Operations = "operations" => "Operations",
        Finance = "finance" => "Finance and procurement",
        People = "people" => "People and enablement",
    }
);

/// Words of a job title that place it, checked in order (the first match wins: a "VP Sales
/// Operations" is in sales, an "IT Manager" in IT).
const FUNCTION_WORDS: &[(Function, &[&str])] = &[
    (
        Function::ExecutiveOffice,
        &[
            "ceo",
            "chief executive",
            "president",
            "founder",
            "owner",
            "managing director",
            "general manager",
            "coo",
            "chief operating",
        ],
    ),
    (
        Function::Finance,
        &[
            "cfo",
            "finance",
            "financial",
            "procurement",
            "purchasing",
            "controller",
            "accounting",
        ],
    ),
    (
        Function::Sales,
        &[
            "sales",
            "account manager",
            "account executive",
            "revenue",
            "business development",
        ],
    ),
    (
        Function::Marketing,
        &["marketing", "cmo", "brand", "growth", "communications"],
    ),
    (
        Function::CustomerExperience,
        &["customer", "support", "service", "success", "experience", "care"],
    ),
    (Function::Product, &["product"]),
    (
        Function::Technology,
        &[
            "cto",
            "cio",
            "it",
            "systems",
            "platform",
            "engineering",
            "engineer",
            "developer",
            "technology",
            "digital",
            "data",
            "security",
            "infrastructure",
        ],
    ),
    (
        Function::People,
        &["hr", "people", "talent", "enablement", "training", "learning"],
    ),
    (Function::Operations, &["operations", "ops", "logistics", "supply"]),
];

/// Title words that say how senior a contact is.
const EXECUTIVE_WORDS: &[&str] = &[
    "chief",
    "ceo",
    "cfo",
    "cto",
    "cio",
    "coo",
    "cmo",
    "vp",
    "svp",
    "evp",
    "vice",
    "president",
    "head",
    "director",
    "founder",
    "owner",
    "partner",
];
const MANAGER_WORDS: &[&str] = &["manager", "lead", "supervisor", "principal", "senior"];

/// The title's words, lower case (phrases such as "chief executive" are matched word by word).
fn words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `phrase` (one or more words) appears in `words`.
fn has(words: &[String], phrase: &str) -> bool {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(wanted.len())
        .any(|w| w.iter().zip(&wanted).all(|(a, b)| a == b))
}

/// The function a job title places a contact in, if it says.
pub fn function_of(title: &str) -> Option<Function> {
    let words = words(title);
    FUNCTION_WORDS
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| has(&words, p)))
        .map(|(f, _)| *f)
}

/// How senior a contact is: from the title when it says, else from their buying role (a
/// decision maker or the executive sponsor is an executive, a champion or an admin a manager).
pub fn level_of(title: Option<&str>, role: Option<ContactRole>) -> ContactLevel {
    let words = words(title.unwrap_or_default());
    if EXECUTIVE_WORDS.iter().any(|w| has(&words, w)) {
        return ContactLevel::Executive;
    }
    if MANAGER_WORDS.iter().any(|w| has(&words, w)) {
        return ContactLevel::Manager;
    }
    match role {
        Some(ContactRole::ExecSponsor | ContactRole::DecisionMaker) => ContactLevel::Executive,
        Some(ContactRole::Champion | ContactRole::Admin) => ContactLevel::Manager,
        _ => ContactLevel::Practitioner,
    }
}

/// One active contact as coverage sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed {
    pub name: String,
    pub title: Option<String>,
    pub level: ContactLevel,
    pub function: Option<Function>,
}

/// An account's coverage: who is at each level and in each function, and what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub contacts: Vec<Placed>,
    /// Levels with at least one contact (of three).
    pub high: usize,
    /// Functions with at least one contact.
    pub wide: usize,
    /// What to do about the gaps, in words; empty when three high and three wide.
    pub gaps: Vec<String>,
}

impl Coverage {
    /// Places each active contact (name, title, role) and names the gaps.
    pub fn of(contacts: impl IntoIterator<Item = (String, Option<String>, Option<ContactRole>)>) -> Coverage {
        let contacts: Vec<Placed> = contacts
            .into_iter()
            .map(|(name, title, role)| Placed {
                level: level_of(title.as_deref(), role),
                function: title.as_deref().and_then(function_of),
                name,
                title,
            })
            .collect();
        let mut by_level: BTreeMap<ContactLevel, usize> = BTreeMap::new();
        let mut by_function: BTreeMap<Function, usize> = BTreeMap::new();
        for c in &contacts {
            *by_level.entry(c.level).or_default() += 1;
            if let Some(f) = c.function {
                *by_function.entry(f).or_default() += 1;
            }
        }
        let mut gaps = Vec::new();
        for level in ContactLevel::ALL {
            if !by_level.contains_key(level) {
                gaps.push(match level {
                    ContactLevel::Executive => {
                        "No executive: ask your champion or our executive sponsor for an introduction".to_owned()
                    }
                    ContactLevel::Manager => {
                        "No manager: find who runs the team that uses the product day to day".to_owned()
                    }
                    ContactLevel::Practitioner => {
                        "No one doing the work: meet the people who use the product".to_owned()
                    }
                });
            }
        }
        if by_function.len() < TARGET {
            let reached: Vec<&str> = by_function.keys().map(|f| f.label()).collect();
            gaps.push(if reached.is_empty() {
                "No function is known: record the contacts' job titles".to_owned()
            } else {
                format!(
                    "Only {} function{} ({}): build a relationship in {} more",
                    reached.len(),
                    if reached.len() == 1 { "" } else { "s" },
                    reached.join(", "),
                    TARGET - reached.len()
                )
            });
        }
        Coverage {
            high: by_level.len(),
            wide: by_function.len(),
            contacts,
            gaps,
        }
    }
}

/// How many accounts the executive sponsor programme holds: the top fifth, by ARR, of the
/// accounts with ARR (at least one when any has ARR).
pub fn programme_size(accounts_with_arr: usize) -> usize {
    accounts_with_arr.div_ceil(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_place_contacts_in_functions() {
        for (title, function) in [
            ("VP Sales Operations", Some(Function::Sales)),
            ("Head of Customer Experience", Some(Function::CustomerExperience)),
            ("Director of IT", Some(Function::Technology)),
            ("IT Manager", Some(Function::Technology)),
            ("Operations Manager", Some(Function::Operations)),
            ("Senior Product Manager", Some(Function::Product)),
            ("Chief Financial Officer", Some(Function::Finance)),
            ("Chief Executive Officer", Some(Function::ExecutiveOffice)),
            ("Head of Enablement", Some(Function::People)),
            ("Analyst", None),
            ("Digital Transformation Lead", Some(Function::Technology)),
        ] {
            assert_eq!(function_of(title), function, "{title}");
        }
        // A word inside another word does not count: "Sitemaster" is not IT.
        assert_eq!(function_of("Sitemaster"), None);
    }

    #[test]
    fn the_title_says_how_senior_and_the_role_fills_in() {
        assert_eq!(level_of(Some("VP Operations"), None), ContactLevel::Executive);
        assert_eq!(
            level_of(Some("Head of Enablement"), Some(ContactRole::Champion)),
            ContactLevel::Executive
        );
        assert_eq!(
            level_of(Some("Team Lead"), Some(ContactRole::User)),
            ContactLevel::Manager
        );
        assert_eq!(
            level_of(Some("Analyst"), Some(ContactRole::User)),
            ContactLevel::Practitioner
        );
        assert_eq!(
            level_of(None, Some(ContactRole::DecisionMaker)),
            ContactLevel::Executive
        );
        assert_eq!(
            level_of(Some("Specialist"), Some(ContactRole::Admin)),
            ContactLevel::Manager
        );
    }

    #[test]
    fn three_high_and_three_wide_has_no_gaps_and_less_names_them() {
        let c = |name: &str, title: &str| (name.to_owned(), Some(title.to_owned()), None);
        let covered = Coverage::of([
            c("Ana", "Chief Financial Officer"),
            c("Ben", "IT Manager"),
            c("Cy", "Support Agent"),
        ]);
        assert_eq!((covered.high, covered.wide), (3, 3));
        assert!(covered.gaps.is_empty(), "{:?}", covered.gaps);

        let narrow = Coverage::of([c("Ben", "IT Manager"), c("Dee", "Engineering Manager")]);
        assert_eq!((narrow.high, narrow.wide), (1, 1));
        assert_eq!(
            narrow.gaps,
            [
                "No executive: ask your champion or our executive sponsor for an introduction",
                "No one doing the work: meet the people who use the product",
                "Only 1 function (IT and engineering): build a relationship in 2 more",
            ]
        );
        let none = Coverage::of(std::iter::empty());
        assert_eq!(none.gaps.len(), 4);
        assert!(none.gaps[3].contains("record the contacts' job titles"));
    }

    #[test]
    fn the_programme_is_the_top_fifth() {
        assert_eq!(programme_size(0), 0);
        assert_eq!(programme_size(1), 1);
        assert_eq!(programme_size(10), 2);
        assert_eq!(programme_size(11), 3);
    }
}
