//! Word lists and the name permutations built from them.

use lodestar_domain::text::Label;
use lodestar_domain::vocabulary::ContactRole;

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
pub(super) const DISTINCT_PEOPLE: usize = FIRST_NAMES.len() * LAST_NAMES.len();

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
pub(super) enum Region {
    NorthAmerica,
    Emea,
    Apac,
    Latam,
}

impl Region {
    /// Weighted like a typical US-headquartered vendor's customer base.
    pub(super) const WEIGHTS: [(Region, f64); 4] = [
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
    pub(super) fn top_level_domains(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["com", "com", "com", "io", "ca"],
            Region::Emea => &["com", "co.uk", "de", "eu", "fr", "nl"],
            Region::Apac => &["com", "com.au", "sg", "co.jp", "in"],
            Region::Latam => &["com", "com.br", "com.mx", "cl"],
        }
    }
    pub(super) fn legal_forms(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["", "", " Inc", " Co", " LLC"],
            Region::Emea => &["", "", " Ltd", " GmbH", " SA", " BV"],
            Region::Apac => &["", "", " Pty Ltd", " Pte Ltd", " KK"],
            Region::Latam => &["", "", " SA", " Ltda"],
        }
    }
    /// Where the customer's data is hosted (a custom field).
    pub(super) fn data_region(self) -> &'static str {
        match self {
            Region::Emea => "eu",
            Region::Apac => "apac",
            Region::NorthAmerica | Region::Latam => "us",
        }
    }
}

pub(super) fn titles(role: ContactRole) -> &'static [&'static str] {
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
pub(super) struct Words {
    pub(super) industries: Vec<Label>,
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

    pub(super) fn new(seed: u64) -> Self {
        let label = |s: &str| Label::parse(s).expect("word lists are valid labels");
        Words {
            industries: INDUSTRIES.iter().map(|s| label(s)).collect(),
            regions: Region::WEIGHTS.map(|(r, _)| label(r.label())),
            // Offsets depend on the seed so that different seeds name different companies.
            name_offset: (seed % DISTINCT_NAMES as u64) as usize,
            person_offset: (seed.rotate_left(17) % DISTINCT_PEOPLE as u64) as usize,
        }
    }

    pub(super) fn region_label(&self, region: Region) -> Label {
        self.regions[region as usize].clone()
    }

    /// Brand head, tail and descriptor of account `index`, plus a counter that only differs
    /// from zero once all distinct combinations are used up.
    pub(super) fn company(&self, index: usize) -> (&'static str, &'static str, &'static str, usize) {
        let k = (index % DISTINCT_NAMES * Self::NAME_STRIDE + self.name_offset) % DISTINCT_NAMES;
        let head = BRAND_HEADS[k % BRAND_HEADS.len()];
        let tail = BRAND_TAILS[k / BRAND_HEADS.len() % BRAND_TAILS.len()];
        let descriptor = DESCRIPTORS[k / (BRAND_HEADS.len() * BRAND_TAILS.len())];
        (head, tail, descriptor, index / DISTINCT_NAMES)
    }

    /// First and last name of person number `index` (unique among the first 3,600).
    pub(super) fn person(&self, index: usize) -> (&'static str, &'static str, usize) {
        let k = (index % DISTINCT_PEOPLE * Self::PERSON_STRIDE + self.person_offset) % DISTINCT_PEOPLE;
        (
            FIRST_NAMES[k % FIRST_NAMES.len()],
            LAST_NAMES[k / FIRST_NAMES.len()],
            index / DISTINCT_PEOPLE,
        )
    }
}
