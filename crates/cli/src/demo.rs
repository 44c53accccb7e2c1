//! Demo data: a realistic, deterministic book of business for trying Lodestar out.
//!
//! The model, in the order [`generate`] builds it:
//!
//! 1. Each account gets a main contract whose start lies up to three years back. Its first-year
//!    ARR is lognormal (heavy-tailed: a few big customers carry most of the revenue). The
//!    contract renews on every anniversary, expands or contracts in between (more often for
//!    accounts with high growth potential) and, for about one account in ten, churns on an
//!    anniversary. Some accounts also buy an add-on, co-termed with the main contract.
//! 2. The account's tier follows from its ARR (and growth potential), its lifecycle stage from
//!    its history, and its contacts, engagement preference and custom fields from its tier.
//! 3. The CS team is sized from the number of accounts per tier and the tier benchmark book
//!    sizes, then owners, AEs and executive sponsors are dealt out round-robin.
//! 4. A few smaller accounts become subsidiaries of big ones.
//!
//! Everything comes from one seeded ChaCha8 generator and `config.today`: no clock reads, so
//! the same configuration always gives the same data set.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use lodestar_domain::account::{Account, AccountFields};
use lodestar_domain::contact::{Contact, ContactFields};
use lodestar_domain::contract::{ArrHistory, Contract, ContractFields, Currency, LineItem};
use lodestar_domain::text::{CustomFields, Domain, Email, ExternalId, Label, Name};
use lodestar_domain::user::{User, UserFields};
use lodestar_domain::vocabulary::{
    ChangeKind, ContactRole, ContactStatus, EngagementPreference, GrowthPotential, Influence, LifecycleStage, Role,
    Tier,
};
use lodestar_domain::{AccountId, Cents, ContactId, ContractId, UserId};
use lodestar_store::Dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The demo data set's administrator, who `serve --demo` hands a token to.
pub const ADMIN_EMAIL: &str = "admin@lodestar.demo";

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub accounts: usize,
    pub seed: u64,
    /// Every date is relative to this day, so the data looks current whenever it is made.
    pub today: NaiveDate,
}

/// Builds a complete, internally consistent data set with ids 1..=n for every record kind.
pub fn generate(config: &DemoConfig) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut g = Generator {
        today: config.today,
        rng: &mut rng,
        words: Words::new(config.seed),
        contacts: Vec::with_capacity(config.accounts * 6),
        contracts: Vec::with_capacity(config.accounts + config.accounts / 4),
    };
    let drafts: Vec<Draft> = (0..config.accounts).map(|i| g.draft_account(i)).collect();
    let team = Team::for_book(&drafts, &g.words);
    let book: Vec<Cents> = drafts.iter().map(|d| d.book_arr).collect();
    let parents = assign_parents(g.rng, &book);
    let accounts = team.assign(drafts, parents);
    Dataset {
        created_at: DateTime::<Utc>::from_naive_utc_and_offset(
            config.today.and_hms_opt(0, 0, 0).expect("midnight exists"),
            Utc,
        ),
        users: team.users,
        accounts,
        contacts: g.contacts,
        contracts: g.contracts,
    }
}

// ---------------------------------------------------------------------------------------------
// Word lists. Plain ASCII letters only, so names turn into valid emails and domains as is.

const BRAND_HEADS: [&str; 50] = [
    "North", "Blue", "Bright", "Silver", "Iron", "Red", "Green", "Clear", "Swift", "High", "Oak", "Pine", "Maple",
    "Cedar", "Summit", "River", "Lake", "Sun", "Cloud", "Rock", "Gold", "Crystal", "Eagle", "Falcon", "Wolf", "Bear",
    "Fox", "Hawk", "Lion", "Ever", "Far", "True", "Prime", "Nova", "Terra", "Aqua", "Zen", "Arc", "Core", "Vertex",
    "Apex", "Bold", "Keen", "Open", "Urban", "Coral", "Amber", "Granite", "Copper", "Willow",
];
const BRAND_TAILS: [&str; 50] = [
    "wind", "field", "gate", "bridge", "brook", "wood", "ridge", "point", "path", "view", "way", "line", "light",
    "spark", "wave", "forge", "haven", "port", "mark", "crest", "vale", "hill", "shore", "star", "peak", "leaf",
    "stream", "front", "side", "bay", "land", "mont", "ford", "well", "stone", "water", "works", "scape", "beam",
    "rise", "wing", "fall", "glen", "moor", "dale", "sight", "core", "trail", "pulse", "grove",
];
const DESCRIPTORS: [&str; 40] = [
    "Systems",
    "Solutions",
    "Partners",
    "Labs",
    "Group",
    "Holdings",
    "Technologies",
    "Networks",
    "Dynamics",
    "Industries",
    "Works",
    "Ventures",
    "Digital",
    "Analytics",
    "Consulting",
    "Services",
    "Enterprises",
    "Brands",
    "Global",
    "International",
    "Innovations",
    "Associates",
    "Collective",
    "Alliance",
    "Concepts",
    "Resources",
    "Interactive",
    "Data",
    "Cloud",
    "Security",
    "Design",
    "Studios",
    "Supply",
    "Operations",
    "Platforms",
    "Research",
    "Engineering",
    "Management",
    "Worldwide",
    "Intelligence",
];
/// Distinct brand × descriptor names: up to this many accounts get unique names and domains.
const DISTINCT_NAMES: usize = BRAND_HEADS.len() * BRAND_TAILS.len() * DESCRIPTORS.len();

const FIRST_NAMES: [&str; 60] = [
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amelia", "Hiro", "Isabella",
    "Arjun", "Chloe", "Kofi", "Grace", "Diego", "Hannah", "Omar", "Leila", "Jonas", "Priya", "Samuel", "Yuki",
    "Daniel", "Fatima", "Elias", "Nora", "Wei", "Zara", "Marco", "Ingrid", "Tomas", "Aisha", "Felix", "Camila", "Ravi",
    "Sara", "Kenji", "Lena", "Pedro", "Maya", "Oscar", "Julia", "Ahmed", "Clara", "Ivan", "Rosa", "Anders", "Mei",
    "Victor", "Elena", "Tariq", "Sofia", "Malik", "Alice", "Hugo", "Nadia", "Leo",
];
const LAST_NAMES: [&str; 60] = [
    "Smith",
    "Garcia",
    "Chen",
    "Patel",
    "Mueller",
    "Rossi",
    "Tanaka",
    "Kim",
    "Nguyen",
    "Silva",
    "Johnson",
    "Martin",
    "Lopez",
    "Brown",
    "Dubois",
    "Novak",
    "Jensen",
    "Okafor",
    "Ali",
    "Cohen",
    "Schmidt",
    "Moreau",
    "Santos",
    "Singh",
    "Larsen",
    "Ivanova",
    "Kowalski",
    "Haddad",
    "Park",
    "Wilson",
    "Taylor",
    "Andersen",
    "Fischer",
    "Costa",
    "Sato",
    "Mendes",
    "Bauer",
    "Hughes",
    "Reyes",
    "Walsh",
    "Murphy",
    "Berg",
    "Nakamura",
    "Rahman",
    "Weber",
    "Romero",
    "Clarke",
    "Ferrari",
    "Yilmaz",
    "Horvat",
    "Lindqvist",
    "Mensah",
    "Suzuki",
    "Torres",
    "Evans",
    "Meyer",
    "Gupta",
    "Popescu",
    "Ward",
    "Khan",
];
const DISTINCT_PEOPLE: usize = FIRST_NAMES.len() * LAST_NAMES.len();

const INDUSTRIES: [&str; 12] = [
    "Software",
    "Financial services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
    "Hospitality",
    "Energy",
    "Government",
    "Travel",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    NorthAmerica,
    Emea,
    Apac,
    Latam,
}

impl Region {
    /// Weighted like a typical US-headquartered vendor's customer base.
    const WEIGHTS: [(Region, f64); 4] = [
        (Region::NorthAmerica, 0.45),
        (Region::Emea, 0.30),
        (Region::Apac, 0.17),
        (Region::Latam, 0.08),
    ];
    fn label(self) -> &'static str {
        match self {
            Region::NorthAmerica => "North America",
            Region::Emea => "EMEA",
            Region::Apac => "APAC",
            Region::Latam => "LATAM",
        }
    }
    fn top_level_domains(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["com", "com", "com", "io", "ca"],
            Region::Emea => &["com", "co.uk", "de", "eu", "fr", "nl"],
            Region::Apac => &["com", "com.au", "sg", "co.jp", "in"],
            Region::Latam => &["com", "com.br", "com.mx", "cl"],
        }
    }
    fn legal_forms(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["", "", " Inc", " Co", " LLC"],
            Region::Emea => &["", "", " Ltd", " GmbH", " SA", " BV"],
            Region::Apac => &["", "", " Pty Ltd", " Pte Ltd", " KK"],
            Region::Latam => &["", "", " SA", " Ltda"],
        }
    }
    /// Where the customer's data is hosted (a custom field).
    fn data_region(self) -> &'static str {
        match self {
            Region::Emea => "eu",
            Region::Apac => "apac",
            Region::NorthAmerica | Region::Latam => "us",
        }
    }
}

fn titles(role: ContactRole) -> &'static [&'static str] {
    match role {
        ContactRole::DecisionMaker => &[
            "VP Operations",
            "Head of Customer Experience",
            "Director of IT",
            "VP Sales Operations",
            "Director of Digital",
        ],
        ContactRole::Champion => &[
            "Operations Manager",
            "Senior Product Manager",
            "Customer Experience Lead",
            "Head of Enablement",
        ],
        ContactRole::Admin => &[
            "Systems Administrator",
            "IT Manager",
            "Business Systems Analyst",
            "Platform Administrator",
        ],
        ContactRole::User => &[
            "Analyst",
            "Team Lead",
            "Specialist",
            "Coordinator",
            "Account Manager",
            "Support Agent",
        ],
        ContactRole::ExecSponsor => &[
            "Chief Executive Officer",
            "Chief Operating Officer",
            "Chief Technology Officer",
            "Chief Revenue Officer",
        ],
    }
}

/// Parsed word lists, built once: labels are cloned per record instead of re-validated.
struct Words {
    industries: Vec<Label>,
    regions: [Label; 4],
    /// Multiplier and offset of the permutation that maps an account index to a name: an
    /// affine map modulo `DISTINCT_NAMES` with a multiplier coprime to it is a bijection,
    /// so the first `DISTINCT_NAMES` accounts all get different names without any lookups.
    name_offset: usize,
    person_offset: usize,
}

impl Words {
    const NAME_STRIDE: usize = 104_729; // prime, so coprime with 2^5 · 5^5
    const PERSON_STRIDE: usize = 1_009; // prime, so coprime with 2^4 · 3^2 · 5^2

    fn new(seed: u64) -> Self {
        let label = |s: &str| Label::parse(s).expect("word lists are valid labels");
        Words {
            industries: INDUSTRIES.iter().map(|s| label(s)).collect(),
            regions: Region::WEIGHTS.map(|(r, _)| label(r.label())),
            // Offsets depend on the seed so that different seeds name different companies.
            name_offset: (seed % DISTINCT_NAMES as u64) as usize,
            person_offset: (seed.rotate_left(17) % DISTINCT_PEOPLE as u64) as usize,
        }
    }

    fn region_label(&self, region: Region) -> Label {
        self.regions[region as usize].clone()
    }

    /// Brand head, tail and descriptor of account `index`, plus a counter that only differs
    /// from zero once all distinct combinations are used up.
    fn company(&self, index: usize) -> (&'static str, &'static str, &'static str, usize) {
        let k = (index % DISTINCT_NAMES * Self::NAME_STRIDE + self.name_offset) % DISTINCT_NAMES;
        let head = BRAND_HEADS[k % BRAND_HEADS.len()];
        let tail = BRAND_TAILS[k / BRAND_HEADS.len() % BRAND_TAILS.len()];
        let descriptor = DESCRIPTORS[k / (BRAND_HEADS.len() * BRAND_TAILS.len())];
        (head, tail, descriptor, index / DISTINCT_NAMES)
    }

    /// First and last name of person number `index` (unique among the first 3,600).
    fn person(&self, index: usize) -> (&'static str, &'static str, usize) {
        let k = (index % DISTINCT_PEOPLE * Self::PERSON_STRIDE + self.person_offset) % DISTINCT_PEOPLE;
        (
            FIRST_NAMES[k % FIRST_NAMES.len()],
            LAST_NAMES[k / FIRST_NAMES.len()],
            index / DISTINCT_PEOPLE,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Random helpers (rand 0.9 has no distributions without the extra rand_distr crate).

/// A standard normal sample by the Box–Muller transform.
fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1], so the logarithm is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// Whole dollars, the way contracts are written.
fn dollars(amount: f64) -> Cents {
    Cents(amount.round().max(1.0) as i64 * 100)
}

fn as_dollars(c: Cents) -> f64 {
    c.0 as f64 / 100.0
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .expect("demo dates stay in range")
}

fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .expect("demo dates stay in range")
}

fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .expect("demo dates stay in range")
}

// ---------------------------------------------------------------------------------------------
// Contracts and their history.

/// About one account in eight that is old enough to have renewed churns at some anniversary;
/// with the newer accounts that cannot churn yet, about 10 % of all accounts are churned.
const CHURN_AT_SOME_RENEWAL: f64 = 0.12;
/// Accounts signed within the last year.
const NEW_LOGO_SHARE: f64 = 0.18;
/// A term ends at the latest this many months after today (multi-year terms).
const MAX_MONTHS_TO_RENEWAL: u32 = 18;

/// The main contract's calendar: when it started, renewed, and ended or will renew.
struct Schedule {
    start: NaiveDate,
    /// Anniversaries on which it renewed (all on or before today).
    renewals: Vec<NaiveDate>,
    churned_on: Option<NaiveDate>,
    /// Renewal date of the current term, or the churn date.
    end_date: NaiveDate,
}

impl Schedule {
    fn draw(rng: &mut impl Rng, today: NaiveDate) -> Schedule {
        let days_back = if rng.random_bool(NEW_LOGO_SHARE) {
            rng.random_range(7..365)
        } else {
            rng.random_range(365..1096)
        };
        let start = days_before(today, days_back);
        let mut renewals: Vec<NaiveDate> = (1..)
            .map(|year| months_after(start, 12 * year))
            .take_while(|d| *d <= today)
            .collect();
        let years = renewals.len() as u32;
        if years > 0 && rng.random_bool(CHURN_AT_SOME_RENEWAL) {
            let at = rng.random_range(0..renewals.len());
            let churned_on = renewals[at];
            renewals.truncate(at);
            return Schedule {
                start,
                renewals,
                churned_on: Some(churned_on),
                end_date: churned_on,
            };
        }
        // Annual terms renew on the next anniversary, within 12 months. A few customers signed
        // two-year terms; keep those whose renewal still falls within 18 months.
        let next = months_after(start, 12 * (years + 1));
        let after_next = months_after(start, 12 * (years + 2));
        let limit = months_after(today, MAX_MONTHS_TO_RENEWAL);
        let end_date = if rng.random_bool(0.15) && after_next <= limit {
            after_next
        } else {
            next
        };
        Schedule {
            start,
            renewals,
            churned_on: None,
            end_date,
        }
    }
}

/// Chance per contract year of an upsell, by growth potential.
fn expansion_chance(growth: GrowthPotential) -> f64 {
    match growth {
        GrowthPotential::Low => 0.10,
        GrowthPotential::Medium => 0.28,
        GrowthPotential::High => 0.50,
    }
}

fn contraction_chance(growth: GrowthPotential) -> f64 {
    match growth {
        GrowthPotential::Low => 0.15,
        GrowthPotential::Medium | GrowthPotential::High => 0.07,
    }
}

/// Plays a contract forward from `start`: renewals on the given dates, upsells and downsells
/// in between (never after today), and churn on `churned_on`.
fn play_history(
    rng: &mut impl Rng,
    start: NaiveDate,
    first_arr: Cents,
    renewals: &[NaiveDate],
    churned_on: Option<NaiveDate>,
    today: NaiveDate,
    growth: GrowthPotential,
) -> ArrHistory {
    let mut history = ArrHistory::default();
    history
        .record(start, ChangeKind::New, first_arr)
        .expect("first ARR is positive");
    let horizon = churned_on.unwrap_or_else(|| days_after(today, 1));
    let mut term_start = start;
    for &boundary in renewals.iter().chain(std::iter::once(&horizon)) {
        mid_term_changes(rng, &mut history, term_start, boundary, growth);
        if boundary == horizon {
            break;
        }
        // Most renewals keep the price; some carry a 3–7 % uplift.
        let before = as_dollars(history.current());
        let uplift = if rng.random_bool(0.3) {
            rng.random_range(1.03..1.07)
        } else {
            1.0
        };
        history
            .record(boundary, ChangeKind::Renewal, dollars(before * uplift))
            .expect("renewal keeps ARR positive");
        term_start = boundary;
    }
    if let Some(day) = churned_on {
        history
            .record(day, ChangeKind::Churn, Cents::ZERO)
            .expect("churn follows the last change");
    }
    history
}

/// Upsells and downsells strictly inside the term `[from, until)`.
fn mid_term_changes(
    rng: &mut impl Rng,
    history: &mut ArrHistory,
    from: NaiveDate,
    until: NaiveDate,
    growth: GrowthPotential,
) {
    let length = (until - from).num_days();
    if length < 45 {
        return;
    }
    let mut events: Vec<(NaiveDate, ChangeKind)> = Vec::new();
    for (kind, chance) in [
        (ChangeKind::Expansion, expansion_chance(growth)),
        (ChangeKind::Contraction, contraction_chance(growth)),
    ] {
        if rng.random_bool(chance) {
            let day = days_after(from, rng.random_range(15..length - 15) as u64);
            events.push((day, kind));
        }
    }
    events.sort();
    for (date, kind) in events {
        let before = history.current();
        let after = match kind {
            ChangeKind::Expansion => {
                let factor = rng.random_range(1.1..1.7);
                dollars(as_dollars(before) * factor).max(Cents(before.0 + 100))
            }
            // Contracts under $2,000 are not worth downselling further.
            _ if before.0 < 200_000 => continue,
            _ => dollars(as_dollars(before) * rng.random_range(0.6..0.92)),
        };
        history
            .record(date, kind, after)
            .expect("changes move ARR in their direction");
    }
}

/// Products on a contract whose yearly amounts add up to about `arr`.
fn line_items<R: Rng>(rng: &mut R, arr: Cents, add_on: bool) -> Vec<LineItem> {
    let arr = as_dollars(arr);
    // Bigger customers negotiate bigger discounts.
    let max_discount_steps = if arr > 100_000.0 {
        7
    } else if arr > 20_000.0 {
        4
    } else {
        2
    };
    let discount = |rng: &mut R| 500 * rng.random_range(0..=max_discount_steps) as u16;
    let net = |bp: u16| 1.0 - f64::from(bp) / 10_000.0;
    let fixed = |product: &str, amount: f64, bp: u16| LineItem {
        product: Name::parse(product).expect("product names are valid"),
        quantity: 1,
        unit_price: dollars(amount / net(bp)),
        discount_bp: bp,
    };
    let items = if add_on {
        let product = pick(rng, &["Analytics add-on", "Sandbox environments", "API access"]);
        vec![fixed(product, arr, discount(rng))]
    } else {
        let extras = match rng.random_range(0..10) {
            0..4 => 0,
            4..8 => 1,
            _ => 2,
        };
        let seats_share = if extras == 0 { 1.0 } else { rng.random_range(0.6..0.85) };
        // A seat price the budget can buy at least a handful of.
        let price = [600.0, 480.0, 360.0, 240.0, 120.0]
            .into_iter()
            .find(|p| p * 5.0 <= arr * seats_share)
            .unwrap_or(120.0);
        let bp = discount(rng);
        let seats = ((arr * seats_share) / (price * net(bp))).round().max(1.0) as u32;
        let mut items = vec![LineItem {
            product: Name::parse("Platform seats").expect("valid"),
            quantity: seats,
            unit_price: dollars(price),
            discount_bp: bp,
        }];
        let rest = arr * (1.0 - seats_share);
        match extras {
            1 => items.push(fixed("Premium support", rest, discount(rng))),
            2 => {
                items.push(fixed("Premium support", rest * 0.5, discount(rng)));
                items.push(fixed("Training credits", rest * 0.5, 0));
            }
            _ => {}
        }
        items
    };
    items
        .into_iter()
        .map(|i| i.validate().expect("generated items are valid").into_inner())
        .collect()
}

/// ARR the contract had while it was live: the current one, or the one just before churn.
fn live_arr(history: &ArrHistory) -> Cents {
    match history.changes().last() {
        Some(last) if last.kind == ChangeKind::Churn => last.arr_before,
        Some(last) => last.arr_after,
        None => Cents::ZERO,
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and contacts.

/// An account before the team exists to own it.
struct Draft {
    id: AccountId,
    fields: AccountFields,
    tier: Tier,
    /// Current ARR, or the ARR before churn for churned accounts: what sizes the account.
    book_arr: Cents,
}

/// Tier from ARR: the biggest accounts (and big ones with room to grow) get the most attention.
fn tier_for(arr: Cents, growth: GrowthPotential) -> Tier {
    let arr = as_dollars(arr);
    let high = growth == GrowthPotential::High;
    if arr >= 250_000.0 || (high && arr >= 150_000.0) {
        Tier::Strategic
    } else if arr >= 70_000.0 || (high && arr >= 50_000.0) {
        Tier::Enterprise
    } else if arr >= 18_000.0 {
        Tier::MidTier
    } else {
        Tier::LongTail
    }
}

fn engagement_for(rng: &mut impl Rng, tier: Tier) -> EngagementPreference {
    let high_touch = match tier {
        Tier::Strategic => 0.95,
        Tier::Enterprise => 0.85,
        Tier::MidTier => 0.5,
        Tier::LongTail => 0.12,
    };
    if rng.random_bool(high_touch) {
        EngagementPreference::HighTouch
    } else {
        EngagementPreference::SelfServe
    }
}

/// The stage that the account's history implies (seed 003's Land → Adopt → Expand → Renew).
fn lifecycle_for(
    today: NaiveDate,
    churned: bool,
    launch: Option<NaiveDate>,
    renewal: NaiveDate,
    expanded_recently: bool,
) -> LifecycleStage {
    let recently_launched = launch.is_none_or(|l| l > days_before(today, 90));
    if churned {
        LifecycleStage::Churned
    } else if recently_launched {
        LifecycleStage::Land
    } else if renewal <= days_after(today, 90) {
        LifecycleStage::Renew
    } else if expanded_recently {
        LifecycleStage::Expand
    } else {
        LifecycleStage::Adopt
    }
}

fn contact_count(rng: &mut impl Rng, tier: Tier) -> usize {
    match tier {
        Tier::Strategic => rng.random_range(9..=15),
        Tier::Enterprise => rng.random_range(6..=11),
        Tier::MidTier => rng.random_range(4..=8),
        Tier::LongTail => rng.random_range(3..=5),
    }
}

/// The first contacts fill the buying roles; the rest are mostly everyday users.
fn contact_role(rng: &mut impl Rng, position: usize, tier: Tier) -> ContactRole {
    let big = matches!(tier, Tier::Strategic | Tier::Enterprise);
    match position {
        0 => ContactRole::DecisionMaker,
        1 => ContactRole::Champion,
        2 => ContactRole::Admin,
        3 if big => ContactRole::ExecSponsor,
        _ => weighted(
            rng,
            &[
                (ContactRole::User, 0.7),
                (ContactRole::Champion, 0.15),
                (ContactRole::Admin, 0.15),
            ],
        ),
    }
}

fn influence_for(rng: &mut impl Rng, role: ContactRole) -> Influence {
    use lodestar_domain::vocabulary::Level::{High, Low, Medium};
    match role {
        ContactRole::DecisionMaker | ContactRole::ExecSponsor => High,
        ContactRole::Champion => weighted(rng, &[(High, 0.6), (Medium, 0.4)]),
        ContactRole::Admin => weighted(rng, &[(Medium, 0.7), (Low, 0.3)]),
        ContactRole::User => weighted(rng, &[(Low, 0.75), (Medium, 0.25)]),
    }
}

struct Generator<'r> {
    today: NaiveDate,
    rng: &'r mut ChaCha8Rng,
    words: Words,
    contacts: Vec<Contact>,
    contracts: Vec<Contract>,
}

impl Generator<'_> {
    /// Account number `index` (0-based) with its contracts and contacts.
    fn draft_account(&mut self, index: usize) -> Draft {
        let id = AccountId(index as i64 + 1);
        let today = self.today;
        let growth = weighted(
            self.rng,
            &[
                (GrowthPotential::Low, 0.30),
                (GrowthPotential::Medium, 0.45),
                (GrowthPotential::High, 0.25),
            ],
        );
        let schedule = Schedule::draw(self.rng, today);
        let histories = self.contracts_for(id, &schedule, growth);
        let book_arr = Cents(histories.iter().map(|h| live_arr(h).0).sum());
        let expanded_recently = histories
            .iter()
            .flat_map(|h| h.changes())
            .any(|c| c.kind == ChangeKind::Expansion && c.effective_date > days_before(today, 365));

        let tier = tier_for(book_arr, growth);
        let region = weighted(self.rng, &Region::WEIGHTS);
        let industry = self.rng.random_range(0..self.words.industries.len());
        let (name, domain) = self.company_name(index, region);
        // Go-live a few weeks after signing; first value a few weeks to months after that.
        let launch = Some(days_after(schedule.start, self.rng.random_range(14..=56))).filter(|d| *d <= today);
        let stage = lifecycle_for(
            today,
            schedule.churned_on.is_some(),
            launch,
            schedule.end_date,
            expanded_recently,
        );
        let first_value = match launch {
            Some(l) if stage != LifecycleStage::Land && self.rng.random_bool(0.9) => {
                Some(days_after(l, self.rng.random_range(14..=120)).min(today))
            }
            _ => None,
        };
        // Headcount tracks spend, with plenty of spread.
        let employees = (as_dollars(book_arr) / 100.0 * (0.5 * normal(self.rng)).exp()).clamp(5.0, 400_000.0) as u32;

        self.contacts_for(id, tier, &domain, schedule.start);
        let fields = AccountFields {
            external_id: ExternalId::parse(&format!("ACC-{:06}", index + 1)).expect("valid"),
            name,
            domain: Some(domain),
            industry: Some(self.words.industries[industry].clone()),
            employees: Some(employees),
            region: Some(self.words.region_label(region)),
            lifecycle_stage: stage,
            tier: Some(tier),
            owner_id: None,
            ae_id: None,
            sponsor_id: None,
            growth_potential: Some(growth),
            engagement_preference: Some(engagement_for(self.rng, tier)),
            launch_date: launch,
            first_value_date: first_value,
            parent_id: None,
            custom_fields: self.custom_fields(tier, region),
        };
        Draft {
            id,
            fields,
            tier,
            book_arr,
        }
    }

    /// "Northwind Labs GmbH" at northwindlabs.de.
    fn company_name(&mut self, index: usize, region: Region) -> (Name, Domain) {
        let (head, tail, descriptor, round) = self.words.company(index);
        let form = pick(self.rng, region.legal_forms());
        let tld = pick(self.rng, region.top_level_domains());
        let (name, slug) = if round == 0 {
            (
                format!("{head}{tail} {descriptor}{form}"),
                format!("{head}{tail}{descriptor}"),
            )
        } else {
            // Past the distinct combinations: number the repeats so names stay unique.
            let n = round + 1;
            (
                format!("{head}{tail} {descriptor} {n}{form}"),
                format!("{head}{tail}{descriptor}{n}"),
            )
        };
        let domain = Domain::parse(&format!("{}.{tld}", slug.to_ascii_lowercase())).expect("slugs are valid hosts");
        (Name::parse(&name).expect("company names are short"), domain)
    }

    fn custom_fields(&mut self, tier: Tier, region: Region) -> CustomFields {
        let plan = match tier {
            Tier::Strategic | Tier::Enterprise => "enterprise",
            Tier::MidTier => "growth",
            Tier::LongTail => "starter",
        };
        let sso = match tier {
            Tier::Strategic | Tier::Enterprise => true,
            Tier::MidTier => self.rng.random_bool(0.5),
            Tier::LongTail => self.rng.random_bool(0.1),
        };
        let map = BTreeMap::from([
            ("plan".to_owned(), plan.into()),
            ("data_region".to_owned(), region.data_region().into()),
            ("sso_enabled".to_owned(), sso.into()),
        ]);
        CustomFields::new(map).expect("demo custom fields are valid")
    }

    /// The main contract and sometimes an add-on co-termed with it; returns their histories.
    fn contracts_for(&mut self, account: AccountId, s: &Schedule, growth: GrowthPotential) -> Vec<ArrHistory> {
        let today = self.today;
        // Lognormal first-year ARR: median about $14k, a long tail up to a few million.
        let first = (14_000f64.ln() + 1.45 * normal(self.rng))
            .exp()
            .clamp(1_500.0, 3_000_000.0);
        let main = play_history(
            self.rng,
            s.start,
            dollars(first),
            &s.renewals,
            s.churned_on,
            today,
            growth,
        );
        let mut histories = vec![main.clone()];
        self.push_contract(account, "Platform subscription", s.start, s.end_date, main, false);

        // Bigger customers buy add-ons more often, some time after they started.
        let buys_add_on = self.rng.random_bool(if first >= 50_000.0 { 0.4 } else { 0.15 });
        let earliest = days_after(s.start, 60);
        let latest = days_before(s.churned_on.unwrap_or(today), 14);
        if buys_add_on && earliest < latest {
            let start = days_after(
                earliest,
                self.rng.random_range(0..(latest - earliest).num_days()) as u64,
            );
            let mut renewals: Vec<NaiveDate> = s.renewals.iter().copied().filter(|d| *d > start).collect();
            let mut churned_on = s.churned_on;
            let mut end_date = s.end_date;
            // Some add-ons are dropped at a renewal while the main contract carries on.
            if churned_on.is_none() && !renewals.is_empty() && self.rng.random_bool(0.12) {
                let at = self.rng.random_range(0..renewals.len());
                churned_on = Some(renewals[at]);
                end_date = renewals[at];
                renewals.truncate(at);
            }
            let arr = dollars(first * self.rng.random_range(0.1..0.4));
            let add_on = play_history(self.rng, start, arr, &renewals, churned_on, today, growth);
            histories.push(add_on.clone());
            self.push_contract(account, "Add-on subscription", start, end_date, add_on, true);
        }
        histories
    }

    fn push_contract(
        &mut self,
        account: AccountId,
        name: &str,
        start: NaiveDate,
        end: NaiveDate,
        history: ArrHistory,
        add_on: bool,
    ) {
        let id = self.contracts.len() as i64 + 1;
        let fields = ContractFields {
            external_id: ExternalId::parse(&format!("CTR-{id:06}")).expect("valid"),
            account_id: account,
            name: Some(Name::parse(name).expect("valid")),
            start_date: start,
            end_date: end,
            currency: Currency::USD,
        };
        let line_items = line_items(self.rng, live_arr(&history), add_on);
        self.contracts.push(Contract {
            id: ContractId(id),
            fields: fields.validate().expect("terms end after they start").into_inner(),
            arr: history.current(),
            line_items,
            changes: history,
        });
    }

    fn contacts_for(&mut self, account: AccountId, tier: Tier, domain: &Domain, since: NaiveDate) {
        let count = contact_count(self.rng, tier);
        // Consecutive people of one account come from the name permutation at a random spot,
        // so names (and emails) never repeat within an account.
        let base = self.rng.random_range(0..DISTINCT_PEOPLE);
        let days_as_customer = (self.today - since).num_days().max(1) as u64;
        for position in 0..count {
            let id = self.contacts.len() as i64 + 1;
            let (first, last, _) = self.words.person(base + position);
            let role = contact_role(self.rng, position, tier);
            let left = position > 0 && self.rng.random_bool(0.07);
            let left_on = left.then(|| days_before(self.today, self.rng.random_range(1..=days_as_customer.min(540))));
            let email = format!("{}.{}@{}", first, last, domain.as_str());
            let fields = ContactFields {
                external_id: ExternalId::parse(&format!("CON-{id:07}")).expect("valid"),
                account_id: account,
                first_name: Some(Label::parse(first).expect("valid")),
                last_name: Some(Label::parse(last).expect("valid")),
                email: Some(Email::parse(&email).expect("names and domains make valid emails")),
                title: Some(Label::parse(pick(self.rng, titles(role))).expect("valid")),
                role: Some(role),
                influence: Some(influence_for(self.rng, role)),
                status: if left {
                    ContactStatus::Left
                } else {
                    ContactStatus::Active
                },
                left_on,
            };
            self.contacts.push(Contact {
                id: ContactId(id),
                fields: fields.validate().expect("generated contacts are valid").into_inner(),
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The CS team.

/// Accounts per owner we staff for: the middle of each tier's benchmark range.
fn target_book(tier: Tier) -> usize {
    let range = tier.benchmark_book_size();
    ((range.start() + range.end()) / 2) as usize
}

/// Owners specialise in one tier so every book can be compared with its tier's benchmark.
fn owner_role(tier: Tier) -> Role {
    match tier {
        Tier::LongTail => Role::AssociateCsm,
        Tier::Strategic | Tier::Enterprise | Tier::MidTier => Role::Csm,
    }
}

const CSMS_PER_LEADER: usize = 8;
const ACCOUNTS_PER_AE: usize = 80;

struct Team {
    users: Vec<User>,
    /// Owners per tier, in `Tier::ALL` order.
    owners: Vec<Vec<UserId>>,
    aes: Vec<UserId>,
    executives: Vec<UserId>,
}

impl Team {
    fn for_book(drafts: &[Draft], words: &Words) -> Team {
        let mut per_tier = vec![0usize; Tier::ALL.len()];
        for d in drafts {
            per_tier[tier_slot(d.tier)] += 1;
        }
        let owners_needed: Vec<usize> = Tier::ALL
            .iter()
            .zip(&per_tier)
            .map(|(t, n)| n.div_ceil(target_book(*t)))
            .collect();
        let total_owners: usize = owners_needed.iter().sum();
        let leaders = total_owners.div_ceil(CSMS_PER_LEADER).max(1);
        let executive_count = 2 + leaders / 12;
        let ae_count = drafts.len().div_ceil(ACCOUNTS_PER_AE).max(1);

        let mut team = Team {
            users: Vec::new(),
            owners: Vec::new(),
            aes: Vec::new(),
            executives: Vec::new(),
        };
        team.add(words, Role::Admin, None, Some(ADMIN_EMAIL), Some("Demo Admin"));
        for i in 0..executive_count {
            // The first executive heads customer success; the others report to them.
            let manager = (i > 0).then(|| team.executives[0]);
            let id = team.add(words, Role::Executive, manager, None, None);
            team.executives.push(id);
        }
        let leader_ids: Vec<UserId> = (0..leaders)
            .map(|l| {
                let manager = team.executives[l % team.executives.len()];
                team.add(words, Role::Leader, Some(manager), None, None)
            })
            .collect();
        let mut owner_number = 0;
        for (tier, needed) in Tier::ALL.iter().zip(owners_needed) {
            let ids = (0..needed)
                .map(|_| {
                    let manager = leader_ids[owner_number / CSMS_PER_LEADER];
                    owner_number += 1;
                    team.add(words, owner_role(*tier), Some(manager), None, None)
                })
                .collect();
            team.owners.push(ids);
        }
        // Sales reports to the second executive (think CRO).
        let sales_head = team.executives[1];
        team.aes = (0..ae_count)
            .map(|_| team.add(words, Role::Ae, Some(sales_head), None, None))
            .collect();
        team
    }

    fn add(
        &mut self,
        words: &Words,
        role: Role,
        manager: Option<UserId>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> UserId {
        let id = UserId(self.users.len() as i64 + 1);
        let (first, last, round) = words.person(self.users.len());
        let suffix = if round == 0 { String::new() } else { round.to_string() };
        let generated = format!("{first}.{last}{suffix}@lodestar.demo");
        let fields = UserFields {
            email: Email::parse(email.unwrap_or(&generated)).expect("valid"),
            name: Name::parse(name.unwrap_or(&format!("{first} {last}"))).expect("valid"),
            role,
            manager_id: manager,
            capacity: None,
        };
        let fields = fields
            .validate(Some(id))
            .expect("nobody manages themselves")
            .into_inner();
        self.users.push(User { id, fields });
        id
    }

    /// Deals accounts out round-robin within each tier, so books differ by at most one account.
    fn assign(&self, drafts: Vec<Draft>, parents: Vec<Option<AccountId>>) -> Vec<Account> {
        let mut dealt = vec![0usize; Tier::ALL.len()];
        let mut sponsored = 0;
        drafts
            .into_iter()
            .zip(parents)
            .enumerate()
            .map(|(i, (draft, parent))| {
                let slot = tier_slot(draft.tier);
                let owners = &self.owners[slot];
                let owner = owners[dealt[slot] % owners.len()];
                dealt[slot] += 1;
                let sponsor = (draft.tier == Tier::Strategic).then(|| {
                    sponsored += 1;
                    self.executives[sponsored % self.executives.len()]
                });
                let fields = AccountFields {
                    owner_id: Some(owner),
                    ae_id: Some(self.aes[i % self.aes.len()]),
                    sponsor_id: sponsor,
                    parent_id: parent,
                    ..draft.fields
                };
                let fields = fields
                    .validate(Some(draft.id))
                    .expect("generated accounts are valid")
                    .into_inner();
                Account { id: draft.id, fields }
            })
            .collect()
    }
}

fn tier_slot(tier: Tier) -> usize {
    Tier::ALL.iter().position(|t| *t == tier).expect("every tier is in ALL")
}

/// About 2 % of accounts become subsidiaries of one of the top 10 % by ARR. Parents are never
/// children themselves, so there are no cycles and every parent is at least as big.
fn assign_parents(rng: &mut impl Rng, book: &[Cents]) -> Vec<Option<AccountId>> {
    let mut parents = vec![None; book.len()];
    let mut by_size: Vec<usize> = (0..book.len()).collect();
    by_size.sort_by_key(|&i| (Reverse(book[i]), i));
    let candidates = book.len() / 10;
    if candidates == 0 {
        return parents;
    }
    let mut is_candidate = vec![false; book.len()];
    for &i in &by_size[..candidates] {
        is_candidate[i] = true;
    }
    for (i, parent) in parents.iter_mut().enumerate() {
        if !is_candidate[i] && rng.random_bool(0.022) {
            let p = by_size[rng.random_range(0..candidates)];
            *parent = Some(AccountId(p as i64 + 1));
        }
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;
    use lodestar_domain::user::AccountSlot;
    use std::collections::{HashMap, HashSet};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn demo(accounts: usize, seed: u64) -> Dataset {
        generate(&DemoConfig {
            accounts,
            seed,
            today: today(),
        })
    }

    fn account_arr(data: &Dataset) -> HashMap<AccountId, i64> {
        let mut arr: HashMap<AccountId, i64> = data.accounts.iter().map(|a| (a.id, 0)).collect();
        for c in &data.contracts {
            *arr.get_mut(&c.fields.account_id).unwrap() += c.changes.current().0;
        }
        arr
    }

    fn median(mut v: Vec<i64>) -> i64 {
        v.sort();
        v[v.len() / 2]
    }

    #[test]
    fn same_config_gives_identical_data() {
        let (a, b) = (demo(300, 7), demo(300, 7));
        assert_eq!(a.created_at, b.created_at);
        assert_eq!(a.users, b.users);
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.contacts, b.contacts);
        assert_eq!(a.contracts, b.contracts);
        assert_eq!(a.created_at.date_naive(), today());
        assert_eq!(a.created_at.time(), chrono::NaiveTime::MIN);
    }

    #[test]
    fn different_seeds_give_different_data() {
        let (a, b) = (demo(300, 7), demo(300, 8));
        assert_ne!(a.accounts, b.accounts);
        assert_ne!(a.contacts, b.contacts);
        assert_ne!(a.contracts, b.contracts);
    }

    #[test]
    fn ids_are_sequential_and_references_resolve() {
        let data = demo(300, 1);
        let seq = |ids: Vec<i64>| ids == (1..=ids.len() as i64).collect::<Vec<_>>();
        assert!(seq(data.users.iter().map(|u| u.id.0).collect()));
        assert!(seq(data.accounts.iter().map(|a| a.id.0).collect()));
        assert!(seq(data.contacts.iter().map(|c| c.id.0).collect()));
        assert!(seq(data.contracts.iter().map(|c| c.id.0).collect()));
        assert_eq!(data.accounts.len(), 300);
        assert_eq!(data.accounts[0].fields.external_id.as_str(), "ACC-000001");
        assert_eq!(data.contacts[0].fields.external_id.as_str(), "CON-0000001");
        assert_eq!(data.contracts[0].fields.external_id.as_str(), "CTR-000001");
        let unique = |v: Vec<String>| v.iter().collect::<HashSet<_>>().len() == v.len();
        assert!(unique(data.users.iter().map(|u| u.fields.email.to_string()).collect()));
        assert!(unique(
            data.accounts.iter().map(|a| a.fields.name.to_string()).collect()
        ));
        assert!(unique(
            data.contacts
                .iter()
                .map(|c| c.fields.email.as_ref().unwrap().to_string())
                .collect()
        ));
        let n = data.accounts.len() as i64;
        assert!(data.contacts.iter().all(|c| (1..=n).contains(&c.fields.account_id.0)));
        assert!(data.contracts.iter().all(|c| (1..=n).contains(&c.fields.account_id.0)));
        assert!(data.contracts.iter().all(|c| c.arr == c.changes.current()));
    }

    #[test]
    fn arr_is_heavy_tailed() {
        let data = demo(500, 3);
        let mut arr: Vec<i64> = account_arr(&data).into_values().collect();
        arr.sort_by_key(|a| Reverse(*a));
        let total: i64 = arr.iter().sum();
        let top: i64 = arr[..arr.len() / 5].iter().sum();
        assert!(top as f64 > 0.6 * total as f64, "top 20% hold {top} of {total}");
    }

    #[test]
    fn industries_and_regions_are_varied() {
        let data = demo(300, 2);
        let distinct = |f: fn(&Account) -> Option<&Label>| {
            data.accounts
                .iter()
                .filter_map(f)
                .map(|l| l.as_str())
                .collect::<HashSet<_>>()
                .len()
        };
        assert!(distinct(|a| a.fields.industry.as_ref()) >= 8);
        assert!(distinct(|a| a.fields.region.as_ref()) >= 4);
        for a in &data.accounts {
            let domain = a.fields.domain.as_ref().unwrap().as_str();
            let brand: String = a
                .fields
                .name
                .as_str()
                .split(' ')
                .take(2)
                .collect::<String>()
                .to_lowercase();
            assert!(domain.starts_with(&brand), "{domain} comes from {}", a.fields.name);
            assert!(a.fields.custom_fields.get("plan").is_some());
            assert!(a.fields.custom_fields.get("data_region").is_some());
        }
    }

    #[test]
    fn tier_median_arr_decreases() {
        let data = demo(500, 4);
        let arr = account_arr(&data);
        let medians: Vec<i64> = Tier::ALL
            .iter()
            .map(|t| {
                let of_tier: Vec<i64> = data
                    .accounts
                    .iter()
                    .filter(|a| a.fields.tier == Some(*t) && a.fields.lifecycle_stage != LifecycleStage::Churned)
                    .map(|a| arr[&a.id])
                    .collect();
                assert!(!of_tier.is_empty(), "some {t} accounts");
                median(of_tier)
            })
            .collect();
        assert!(medians.windows(2).all(|w| w[0] > w[1]), "medians {medians:?}");
        // Employees follow ARR on the whole.
        let employees = |t: Tier| {
            median(
                data.accounts
                    .iter()
                    .filter(|a| a.fields.tier == Some(t))
                    .map(|a| i64::from(a.fields.employees.unwrap()))
                    .collect(),
            )
        };
        assert!(employees(Tier::Strategic) > employees(Tier::LongTail));
    }

    #[test]
    fn lifecycle_follows_history() {
        let data = demo(500, 5);
        let mut main: HashMap<AccountId, &Contract> = HashMap::new();
        for c in &data.contracts {
            main.entry(c.fields.account_id).or_insert(c);
        }
        let mut churned = 0;
        for a in &data.accounts {
            let c = main[&a.id];
            let f = &a.fields;
            assert_eq!(
                c.changes.is_churned(),
                f.lifecycle_stage == LifecycleStage::Churned,
                "{}",
                a.id
            );
            match f.lifecycle_stage {
                LifecycleStage::Churned => churned += 1,
                LifecycleStage::Land => assert!(f.first_value_date.is_none()),
                LifecycleStage::Renew => assert!(c.fields.end_date <= today() + Days::new(90)),
                _ => assert!(f.launch_date.unwrap() <= today() - Days::new(90)),
            }
            if let Some(launch) = f.launch_date {
                assert!(launch > c.fields.start_date && launch <= today());
            }
        }
        let share = churned as f64 / data.accounts.len() as f64;
        assert!((0.05..=0.15).contains(&share), "churned share {share}");
        let stages: HashSet<_> = data.accounts.iter().map(|a| a.fields.lifecycle_stage).collect();
        assert_eq!(
            stages.len(),
            LifecycleStage::ALL.len(),
            "every stage occurs: {stages:?}"
        );
    }

    #[test]
    fn every_account_has_3_to_15_contacts() {
        let data = demo(300, 6);
        let mut per_account: HashMap<AccountId, usize> = HashMap::new();
        let domains: HashMap<AccountId, &str> = data
            .accounts
            .iter()
            .map(|a| (a.id, a.fields.domain.as_ref().unwrap().as_str()))
            .collect();
        for c in &data.contacts {
            *per_account.entry(c.fields.account_id).or_default() += 1;
            let email = c.fields.email.as_ref().unwrap().as_str();
            assert!(email.ends_with(&format!("@{}", domains[&c.fields.account_id])));
            if c.fields.status == ContactStatus::Left {
                assert!(c.fields.left_on.unwrap() < today());
            }
        }
        assert_eq!(per_account.len(), data.accounts.len());
        assert!(per_account.values().all(|n| (3..=15).contains(n)), "{per_account:?}");
        assert!(data.contacts.iter().any(|c| c.fields.status == ContactStatus::Left));
        assert!(
            data.contacts
                .iter()
                .any(|c| c.fields.role == Some(ContactRole::DecisionMaker))
        );
    }

    #[test]
    fn active_contracts_renew_within_18_months() {
        let data = demo(500, 8);
        let limit = today().checked_add_months(Months::new(18)).unwrap();
        let year = today().checked_add_months(Months::new(12)).unwrap();
        let active: Vec<&Contract> = data.contracts.iter().filter(|c| !c.changes.is_churned()).collect();
        for c in &active {
            assert!(
                c.fields.end_date > today() && c.fields.end_date <= limit,
                "{:?}",
                c.fields
            );
        }
        assert!(active.iter().any(|c| c.fields.end_date > year), "some multi-year terms");
        for c in data.contracts.iter().filter(|c| c.changes.is_churned()) {
            assert_eq!(c.fields.end_date, c.changes.changes().last().unwrap().effective_date);
        }
        // Starts spread over the last three years, with some new logos this year.
        let oldest = data.contracts.iter().map(|c| c.fields.start_date).min().unwrap();
        assert!(oldest < today() - Days::new(2 * 365));
        assert!(
            data.contracts
                .iter()
                .any(|c| c.fields.start_date > today() - Days::new(365))
        );
        assert!(
            data.contracts
                .iter()
                .flat_map(|c| c.changes.changes())
                .all(|ch| ch.effective_date <= today())
        );
    }

    #[test]
    fn history_has_expansions_contractions_and_churn() {
        let data = demo(200, 9);
        let kinds: Vec<ChangeKind> = data
            .contracts
            .iter()
            .flat_map(|c| c.changes.changes())
            .map(|c| c.kind)
            .collect();
        for kind in [
            ChangeKind::Expansion,
            ChangeKind::Contraction,
            ChangeKind::Churn,
            ChangeKind::Renewal,
        ] {
            assert!(kinds.contains(&kind), "no {kind}");
        }
        // Histories are valid stories: rebuilding them re-checks every rule.
        for c in &data.contracts {
            let changes = c
                .changes
                .changes()
                .iter()
                .map(|ch| (ch.effective_date, ch.kind, ch.arr_after));
            assert_eq!(ArrHistory::from_changes(changes).unwrap(), c.changes);
            assert_eq!(c.changes.changes()[0].effective_date, c.fields.start_date);
        }
    }

    #[test]
    fn line_items_roughly_add_up_to_arr() {
        let data = demo(300, 10);
        for c in &data.contracts {
            assert!((1..=3).contains(&c.line_items.len()));
            let sum: i64 = c.line_items.iter().map(|i| i.annual_amount().0).sum();
            let arr = live_arr(&c.changes).0;
            let off = (sum - arr).abs() as f64 / arr as f64;
            assert!(off < 0.15, "items {sum} vs ARR {arr}");
        }
    }

    #[test]
    fn team_is_sized_to_the_book() {
        let data = demo(500, 11);
        let users: HashMap<UserId, &User> = data.users.iter().map(|u| (u.id, u)).collect();
        let role = |id: UserId| users[&id].fields.role;
        let count = |r: Role| data.users.iter().filter(|u| u.fields.role == r).count();
        let admins: Vec<&User> = data.users.iter().filter(|u| u.fields.role == Role::Admin).collect();
        assert_eq!(admins.len(), 1);
        assert_eq!(admins[0].fields.email.as_str(), "admin@lodestar.demo");
        assert!(
            data.users
                .iter()
                .all(|u| u.fields.email.as_str().ends_with("@lodestar.demo"))
        );
        assert!(count(Role::Executive) >= 2);
        let owners = count(Role::Csm) + count(Role::AssociateCsm);
        assert!(count(Role::Leader) >= 1 && count(Role::Leader) <= owners.div_ceil(8).max(1));
        for u in &data.users {
            let manager = u.fields.manager_id.map(role);
            match u.fields.role {
                Role::Csm | Role::AssociateCsm => assert_eq!(manager, Some(Role::Leader)),
                Role::Leader | Role::Ae => assert_eq!(manager, Some(Role::Executive)),
                _ => {}
            }
        }

        let mut books: HashMap<UserId, Vec<Tier>> = HashMap::new();
        for a in &data.accounts {
            let f = &a.fields;
            let tier = f.tier.unwrap();
            let owner = f.owner_id.unwrap();
            assert!(AccountSlot::Owner.accepts(role(owner)));
            assert_eq!(role(owner), owner_role(tier));
            assert!(AccountSlot::AccountExecutive.accepts(role(f.ae_id.unwrap())));
            assert_eq!(role(f.ae_id.unwrap()), Role::Ae);
            match f.sponsor_id {
                Some(s) => assert!(AccountSlot::ExecutiveSponsor.accepts(role(s)) && role(s) == Role::Executive),
                None => assert_ne!(tier, Tier::Strategic, "strategic accounts have a sponsor"),
            }
            books.entry(owner).or_default().push(tier);
        }
        for (owner, book) in &books {
            let tier = book[0];
            assert!(book.iter().all(|t| *t == tier), "{owner} owns one tier");
            assert!(
                book.len() as u32 <= *tier.benchmark_book_size().end(),
                "{owner}: {} {tier}",
                book.len()
            );
        }
        assert_eq!(books.len(), owners, "every CSM has a book");
    }

    #[test]
    fn subsidiaries_point_to_bigger_accounts_without_cycles() {
        let data = demo(2_000, 12);
        let arr = account_arr(&data);
        let book: HashMap<AccountId, i64> = data.contracts.iter().fold(HashMap::new(), |mut m, c| {
            *m.entry(c.fields.account_id).or_default() += live_arr(&c.changes).0;
            m
        });
        let parent_of: HashMap<AccountId, AccountId> = data
            .accounts
            .iter()
            .filter_map(|a| a.fields.parent_id.map(|p| (a.id, p)))
            .collect();
        let share = parent_of.len() as f64 / data.accounts.len() as f64;
        assert!((0.005..=0.04).contains(&share), "subsidiary share {share}");
        for (child, parent) in &parent_of {
            assert_ne!(child, parent);
            assert!(!parent_of.contains_key(parent), "parents are top-level");
            assert!(book[parent] >= book[child]);
            assert!(arr.contains_key(parent));
        }
    }

    #[test]
    fn tiny_books_do_not_panic() {
        for seed in 0..50 {
            for accounts in [0, 1, 2, 3, 5, 13] {
                let data = demo(accounts, seed);
                assert_eq!(data.accounts.len(), accounts);
                assert!(data.users.len() >= 4, "admin, two executives, a leader, an AE");
            }
        }
    }

    /// `cargo test --release -p lodestar --lib demo -- --ignored` to check the speed.
    #[test]
    #[ignore]
    fn generates_100k_accounts_quickly() {
        let start = std::time::Instant::now();
        let data = demo(100_000, 1);
        let elapsed = start.elapsed();
        assert_eq!(data.accounts.len(), 100_000);
        assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
        eprintln!(
            "100k accounts in {elapsed:?}: {} users, {} contacts, {} contracts",
            data.users.len(),
            data.contacts.len(),
            data.contracts.len()
        );
    }
}
