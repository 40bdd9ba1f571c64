//! The synthetic registry: patients, their tumours and follow-ups, each a pure function of
//! the patient's index (SplitMix64 seeded by it), so every run writes the same registry.
//!
//! - Regions east, west and south with weights 0.3, 0.6 and 0.1.
//! - About 25 adult sites and 6 childhood ones, each with consistent ICD-10, ICD-O-3
//!   topography and morphology (breast C50.x 8500, lung C34.x 8070/8140, prostate C61.9
//!   8140 in men only, precursor B-cell leukaemia C42.1 9836 in children, ...), weights by
//!   sex and an age distribution.
//! - Exactly `tumours - patients` patients have two tumours; about one second tumour in
//!   seven repeats the first (same site and histology a few months later): the rules judged
//!   it a duplicate, and the CanReg5 export leaves it out.
//! - Behaviour 3 (in situ, behaviour 2, for a few breast and bladder tumours); basis of
//!   diagnosis 7 mostly, 5 for most haematological ones, 2 for some, 0 (death certificate
//!   only) for about 3% of tumours.
//! - Follow-up for 90% of patients (and every DCO patient): 1 to 3 contacts after the
//!   latest incidence, the last one alive, lost or dead, from an exponential survival time
//!   whose median depends on the site, the stage and the age.

use registry_server::domain::iccc;
use registry_server::names::common::{FAMILY, FEMALE, MALE};

/// SplitMix64: a small deterministic generator.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: impl Iterator<Item = f64> + Clone) -> usize {
        let total: f64 = weights.clone().sum();
        let mut x = self.unit() * total;
        let mut last = 0;
        for (i, w) in weights.enumerate() {
            if w > 0.0 {
                last = i;
                if x < w {
                    return i;
                }
                x -= w;
            }
        }
        last
    }
}

// ---------------------------------------------------------------------------------------
// Calendar (days since 1970-01-01, proleptic Gregorian)

/// Days since 1970-01-01 of a date (H. Hinnant's `days_from_civil`).
pub fn day(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number.
pub fn civil(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Completed years from `birth` to `at`.
pub fn age_at(birth: i64, at: i64) -> i32 {
    let (by, bm, bd) = civil(birth);
    let (y, m, d) = civil(at);
    y - by - i32::from((m, d) < (bm, bd))
}

pub const FIRST_YEAR: i32 = 2015;
pub const LAST_YEAR: i32 = 2024;

pub fn last_day() -> i64 {
    day(LAST_YEAR, 12, 31)
}

/// The closing date of follow-up.
pub fn follow_up_end() -> i64 {
    day(2025, 6, 30)
}

// ---------------------------------------------------------------------------------------
// Regions and population

pub const REGIONS: [&str; 3] = ["east", "west", "south"];
/// Share of the registry's patients.
pub const REGION_WEIGHTS: [f64; 3] = [0.3, 0.6, 0.1];
/// Mid-2025 population, for the denominators.
pub const REGION_TOTALS: [f64; 3] = [1_700_000.0, 3_600_000.0, 600_000.0];
/// The facility whose registrars write the region's tumours.
pub const REGION_FACILITIES: [&str; 3] = ["LY-BEN-ONC", "LY-TRI-ONC", "LY-SEB-ONC"];

pub const MUNICIPALITIES: [&[&str]; 3] = [
    &["Benghazi", "Bayda", "Tobruk", "Derna", "Marj", "Ajdabiya"],
    &[
        "Tripoli", "Misrata", "Zawiya", "Zliten", "Khoms", "Gharyan", "Zuwara", "Sirte", "Nalut",
    ],
    &["Sabha", "Ubari", "Kufra", "Murzuq"],
];

/// A young population's shape by 5-year age group (0-4 ... 85+), men then women: the
/// east's figures of `data/population/sample.csv` (invented, not official).
const SHAPE: [[f64; 18]; 2] = [
    [
        96_330.0, 92_320.0, 88_310.0, 80_280.0, 73_860.0, 68_240.0, 62_620.0, 56_190.0, 49_770.0,
        44_150.0, 38_530.0, 32_110.0, 26_490.0, 20_870.0, 15_250.0, 10_440.0, 6_420.0, 4_820.0,
    ],
    [
        92_560.0, 88_700.0, 84_840.0, 77_130.0, 70_960.0, 65_560.0, 60_160.0, 53_990.0, 47_820.0,
        42_420.0, 37_020.0, 30_850.0, 25_450.0, 20_050.0, 14_650.0, 10_030.0, 6_170.0, 4_630.0,
    ],
];

/// One population cell: (year, area, sex, age group, population).
pub type Cell = (i32, &'static str, &'static str, i64, i64);

/// The denominators of every year 2015-2024, region, sex and age group: the shape scaled to
/// the region's total, 1.8% a year of growth back from 2025.
pub fn population() -> Vec<Cell> {
    let shape_total: f64 = SHAPE.iter().flatten().sum();
    let mut cells = Vec::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        let growth = 1.018f64.powi(year - 2025);
        for (r, area) in REGIONS.iter().enumerate() {
            let scale = REGION_TOTALS[r] / shape_total * growth;
            for (s, sex) in ["male", "female"].iter().enumerate() {
                for (g, base) in SHAPE[s].iter().enumerate() {
                    let n = (base * scale / 10.0).round() as i64 * 10;
                    cells.push((year, *area, *sex, g as i64, n));
                }
            }
        }
    }
    cells
}

// ---------------------------------------------------------------------------------------
// Sites

/// Who a site occurs in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ages {
    /// Adults: normal with this mean and standard deviation, clamped to 15-97.
    Adult(f64, f64),
    /// Children and adolescents: uniform over these completed years.
    Child(i32, i32),
}

/// One tumour site: ICD-10, topography and morphology variants that belong together.
#[derive(Debug)]
pub struct Site {
    pub name: &'static str,
    /// (ICD-10, ICD-O-3 topography, morphology, weight).
    pub variants: &'static [(&'static str, &'static str, i64, f64)],
    /// Cases per 1,000 in men and in women.
    pub weight: [f64; 2],
    pub ages: Ages,
    /// Median survival in years (stage and age move it).
    pub median_years: f64,
    /// Whether TNM stage groups are recorded.
    pub staged: bool,
    /// Haematological (basis 5 common, no grade).
    pub haem: bool,
    /// The in situ version (ICD-10, morphology) and its share.
    pub in_situ: Option<(&'static str, i64, f64)>,
}

const fn site(
    name: &'static str,
    variants: &'static [(&'static str, &'static str, i64, f64)],
    weight: [f64; 2],
    ages: Ages,
    median_years: f64,
    staged: bool,
) -> Site {
    Site {
        name,
        variants,
        weight,
        ages,
        median_years,
        staged,
        haem: false,
        in_situ: None,
    }
}

const fn haem(
    name: &'static str,
    variants: &'static [(&'static str, &'static str, i64, f64)],
    weight: [f64; 2],
    ages: Ages,
    median_years: f64,
) -> Site {
    Site {
        name,
        variants,
        weight,
        ages,
        median_years,
        staged: false,
        haem: true,
        in_situ: None,
    }
}

use Ages::{Adult, Child};

pub static SITES: &[Site] = &[
    Site {
        in_situ: Some(("D05.1", 8500, 0.03)),
        ..site(
            "breast",
            &[
                ("C50.4", "C50.4", 8500, 40.0),
                ("C50.2", "C50.2", 8500, 20.0),
                ("C50.9", "C50.9", 8500, 25.0),
                ("C50.8", "C50.8", 8520, 10.0),
                ("C50.9", "C50.9", 8480, 5.0),
            ],
            [3.0, 300.0],
            Adult(50.0, 12.0),
            16.0,
            true,
        )
    },
    site(
        "lung",
        &[
            ("C34.1", "C34.1", 8070, 20.0),
            ("C34.3", "C34.3", 8070, 15.0),
            ("C34.1", "C34.1", 8140, 25.0),
            ("C34.9", "C34.9", 8140, 20.0),
            ("C34.9", "C34.9", 8041, 15.0),
            ("C34.0", "C34.0", 8046, 5.0),
        ],
        [170.0, 30.0],
        Adult(63.0, 10.0),
        0.8,
        true,
    ),
    site(
        "colon",
        &[
            ("C18.7", "C18.7", 8140, 40.0),
            ("C18.2", "C18.2", 8140, 25.0),
            ("C18.9", "C18.9", 8140, 25.0),
            ("C18.0", "C18.0", 8480, 10.0),
        ],
        [80.0, 70.0],
        Adult(60.0, 12.0),
        5.0,
        true,
    ),
    site(
        "rectum",
        &[("C20", "C20.9", 8140, 1.0)],
        [40.0, 30.0],
        Adult(58.0, 12.0),
        4.0,
        true,
    ),
    site(
        "prostate",
        &[("C61", "C61.9", 8140, 1.0)],
        [110.0, 0.0],
        Adult(70.0, 8.0),
        12.0,
        true,
    ),
    Site {
        in_situ: Some(("D09.0", 8120, 0.05)),
        ..site(
            "bladder",
            &[
                ("C67.9", "C67.9", 8120, 70.0),
                ("C67.2", "C67.2", 8120, 20.0),
                ("C67.9", "C67.9", 8130, 10.0),
            ],
            [90.0, 15.0],
            Adult(65.0, 10.0),
            7.0,
            true,
        )
    },
    site(
        "stomach",
        &[
            ("C16.9", "C16.9", 8140, 60.0),
            ("C16.0", "C16.0", 8490, 40.0),
        ],
        [30.0, 20.0],
        Adult(62.0, 11.0),
        1.0,
        true,
    ),
    site(
        "liver",
        &[("C22.0", "C22.0", 8170, 1.0)],
        [35.0, 15.0],
        Adult(63.0, 10.0),
        0.7,
        true,
    ),
    site(
        "pancreas",
        &[
            ("C25.9", "C25.9", 8500, 60.0),
            ("C25.0", "C25.0", 8140, 40.0),
        ],
        [20.0, 15.0],
        Adult(64.0, 10.0),
        0.5,
        true,
    ),
    site(
        "thyroid",
        &[
            ("C73", "C73.9", 8260, 80.0),
            ("C73", "C73.9", 8330, 15.0),
            ("C73", "C73.9", 8345, 5.0),
        ],
        [15.0, 55.0],
        Adult(42.0, 14.0),
        40.0,
        true,
    ),
    site(
        "non-Hodgkin lymphoma",
        &[
            ("C83.3", "C77.9", 9680, 60.0),
            ("C85.9", "C77.9", 9591, 40.0),
        ],
        [45.0, 35.0],
        Adult(55.0, 16.0),
        5.0,
        true,
    ),
    site(
        "Hodgkin lymphoma",
        &[("C81.9", "C77.1", 9650, 1.0)],
        [12.0, 10.0],
        Adult(30.0, 12.0),
        25.0,
        true,
    ),
    haem(
        "leukaemia (adult)",
        &[
            ("C92.0", "C42.1", 9861, 50.0),
            ("C91.1", "C42.1", 9823, 50.0),
        ],
        [40.0, 30.0],
        Adult(58.0, 15.0),
        2.0,
    ),
    haem(
        "myeloma",
        &[("C90.0", "C42.1", 9732, 1.0)],
        [15.0, 12.0],
        Adult(65.0, 10.0),
        3.0,
    ),
    site(
        "brain",
        &[
            ("C71.9", "C71.9", 9440, 60.0),
            ("C71.1", "C71.1", 9400, 40.0),
        ],
        [20.0, 15.0],
        Adult(50.0, 15.0),
        1.2,
        false,
    ),
    site(
        "kidney",
        &[("C64", "C64.9", 8312, 1.0)],
        [25.0, 15.0],
        Adult(60.0, 11.0),
        8.0,
        true,
    ),
    site(
        "cervix",
        &[
            ("C53.9", "C53.9", 8070, 85.0),
            ("C53.9", "C53.9", 8140, 15.0),
        ],
        [0.0, 30.0],
        Adult(50.0, 12.0),
        8.0,
        true,
    ),
    site(
        "ovary",
        &[("C56", "C56.9", 8441, 70.0), ("C56", "C56.9", 8460, 30.0)],
        [0.0, 30.0],
        Adult(55.0, 12.0),
        3.0,
        true,
    ),
    site(
        "corpus uteri",
        &[("C54.1", "C54.1", 8380, 1.0)],
        [0.0, 35.0],
        Adult(60.0, 9.0),
        12.0,
        true,
    ),
    site(
        "melanoma of skin",
        &[("C43.5", "C44.5", 8720, 1.0)],
        [5.0, 5.0],
        Adult(55.0, 14.0),
        15.0,
        true,
    ),
    site(
        "oesophagus",
        &[("C15.9", "C15.9", 8070, 1.0)],
        [10.0, 8.0],
        Adult(64.0, 10.0),
        0.8,
        true,
    ),
    site(
        "larynx",
        &[("C32.0", "C32.0", 8070, 1.0)],
        [20.0, 2.0],
        Adult(60.0, 10.0),
        6.0,
        true,
    ),
    site(
        "nasopharynx",
        &[("C11.9", "C11.9", 8072, 1.0)],
        [20.0, 8.0],
        Adult(45.0, 14.0),
        6.0,
        true,
    ),
    site(
        "unknown primary",
        &[
            ("C80.9", "C80.9", 8000, 50.0),
            ("C80.9", "C80.9", 8010, 50.0),
        ],
        [25.0, 20.0],
        Adult(65.0, 11.0),
        0.4,
        false,
    ),
    haem(
        "precursor B-cell leukaemia (child)",
        &[("C91.0", "C42.1", 9836, 1.0)],
        [14.0, 11.0],
        Child(1, 14),
        20.0,
    ),
    site(
        "nephroblastoma (child)",
        &[("C64", "C64.9", 8960, 1.0)],
        [3.0, 3.0],
        Child(0, 7),
        30.0,
        false,
    ),
    site(
        "neuroblastoma (child)",
        &[("C74.9", "C74.9", 9500, 1.0)],
        [2.0, 2.0],
        Child(0, 5),
        4.0,
        false,
    ),
    site(
        "retinoblastoma (child)",
        &[("C69.2", "C69.2", 9510, 1.0)],
        [1.0, 1.0],
        Child(0, 4),
        40.0,
        false,
    ),
    site(
        "medulloblastoma (child)",
        &[("C71.6", "C71.6", 9470, 1.0)],
        [3.0, 2.0],
        Child(3, 14),
        5.0,
        false,
    ),
    site(
        "osteosarcoma (adolescent)",
        &[("C40.2", "C40.2", 9180, 1.0)],
        [2.0, 2.0],
        Child(10, 19),
        6.0,
        false,
    ),
];

const STAGES: [(&str, f64, f64); 7] = [
    // group, share, hazard multiplier
    ("I", 0.17, 0.2),
    ("IIA", 0.14, 0.5),
    ("IIB", 0.12, 0.7),
    ("IIIA", 0.12, 1.3),
    ("IIIB", 0.08, 1.8),
    ("IV", 0.22, 4.0),
    ("", 0.15, 1.0), // not recorded
];

/// Hazard multiplier of all sites, set so that about 35% of followed patients die.
const HAZARD: f64 = 0.7;

// ---------------------------------------------------------------------------------------
// Records

/// A synthetic tumour.
#[derive(Debug, Clone)]
pub struct Tumour {
    pub site: usize,
    pub icd10: &'static str,
    pub topography: &'static str,
    pub morphology: i64,
    pub behaviour: i64,
    pub grade: Option<i64>,
    pub basis: i64,
    pub incidence: i64,
    pub stage: Option<&'static str>,
    pub hazard: f64,
    pub iccc: Option<String>,
    /// Whether the multiple-primary rules judged it a duplicate of the patient's first.
    pub duplicate: bool,
}

/// A synthetic follow-up contact.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub last_contact: i64,
    pub vital_status: &'static str,
    pub death_date: Option<i64>,
    pub death_cause: Option<&'static str>,
    pub recorded_at: i64,
}

/// A synthetic patient with everything recorded about them.
#[derive(Debug, Clone)]
pub struct Patient {
    pub national: String,
    pub female: bool,
    pub name_ar: String,
    pub name_latin: String,
    pub birth_date: i64,
    pub region: usize,
    pub municipality: &'static str,
    pub blood_group: Option<&'static str>,
    /// In order of incidence.
    pub tumours: Vec<Tumour>,
    pub follow_ups: Vec<FollowUp>,
}

const BLOOD_GROUPS: &[&str] = &["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"];

fn pick_site(rng: &mut SplitMix, female: bool, adults_only: bool, not: Option<usize>) -> usize {
    let sex = usize::from(female);
    rng.weighted(SITES.iter().enumerate().map(move |(i, s)| {
        let ok = Some(i) != not && !(adults_only && matches!(s.ages, Child(..)));
        if ok {
            s.weight[sex]
        } else {
            0.0
        }
    }))
}

fn age_for(rng: &mut SplitMix, site: &Site) -> i32 {
    match site.ages {
        Adult(mean, sd) => {
            // A longer tail towards the young than towards the old.
            let z = rng.normal();
            let z = if z < 0.0 { z * 1.15 } else { z * 0.9 };
            ((mean + sd * z).round() as i32).clamp(15, 97)
        }
        Child(lo, hi) => lo + rng.below((hi - lo + 1) as u64) as i32,
    }
}

fn incidence_day(rng: &mut SplitMix) -> i64 {
    // Slightly more cases each year (registration improving, population growing).
    let y = rng.weighted((0..=(LAST_YEAR - FIRST_YEAR)).map(|k| 1.0 + 0.03 * f64::from(k)));
    let year = FIRST_YEAR + y as i32;
    let start = day(year, 1, 1);
    start + rng.below((day(year + 1, 1, 1) - start) as u64) as i64
}

fn tumour(rng: &mut SplitMix, site_index: usize, birth: i64, incidence: i64) -> Tumour {
    let s = &SITES[site_index];
    let v = rng.weighted(s.variants.iter().map(|v| v.3));
    let (mut icd10, topography, morphology, _) = s.variants[v];
    let mut behaviour = 3;
    if let Some((code, _, share)) = s.in_situ {
        if rng.chance(share) {
            icd10 = code;
            behaviour = 2;
        }
    }
    let basis = if s.haem {
        if rng.chance(0.6) {
            5
        } else {
            7
        }
    } else if rng.chance(0.04) {
        2
    } else if rng.chance(0.04) {
        5
    } else {
        7
    };
    let grade =
        (!s.haem && basis == 7 && rng.chance(0.8)).then(|| rng.pick(&[1, 2, 2, 2, 3, 3]) as i64);
    let (stage, stage_hazard) = if s.staged && behaviour == 3 {
        let k = rng.weighted(STAGES.iter().map(|s| s.1));
        let (group, _, h) = STAGES[k];
        ((!group.is_empty()).then_some(group), h)
    } else if behaviour == 2 {
        (Some("0"), 0.05)
    } else {
        (None, 1.0)
    };
    let age = age_at(birth, incidence);
    let age_hazard = (1.0 + f64::from(age - 60) / 40.0).clamp(0.5, 2.0);
    let hazard = std::f64::consts::LN_2 / s.median_years * stage_hazard * age_hazard * HAZARD;
    let iccc = (age < 20)
        .then(|| {
            iccc::classify(
                topography,
                u16::try_from(morphology).unwrap_or(0),
                behaviour as u8,
            )
        })
        .flatten()
        .map(|c| c.code());
    Tumour {
        site: site_index,
        icd10,
        topography,
        morphology,
        behaviour,
        grade,
        basis,
        incidence,
        stage,
        hazard,
        iccc,
        duplicate: false,
    }
}

/// Unix seconds at noon of a day.
fn noon(d: i64) -> i64 {
    d * 86_400 + 43_200
}

impl Patient {
    /// Patient `i` of a registry of `patients` patients and `tumours` tumours.
    pub fn nth(i: u64, patients: u64, tumours: u64) -> Patient {
        let mut rng = SplitMix(i ^ 0x57A7_5EED_2015);
        let female = rng.chance(0.5);
        let region = rng.weighted(REGION_WEIGHTS.iter().copied());
        // 7919 is prime to 185,000 (2^3 5^4 37): i -> 7919 i mod n is a bijection, so
        // exactly `tumours - patients` patients have two tumours.
        let two = (i.wrapping_mul(7919) % patients.max(1)) < tumours.saturating_sub(patients);
        let first_site = pick_site(&mut rng, female, two, None);
        let age = age_for(&mut rng, &SITES[first_site]);
        let mut first_day = incidence_day(&mut rng);
        let birth_date = first_day - i64::from(age) * 36_525 / 100 - rng.below(365) as i64;
        // A birth date of 29 February or age rounding can make the age one less: fine.
        let mut list = vec![tumour(&mut rng, first_site, birth_date, first_day)];
        if two {
            let duplicate = rng.chance(0.135);
            let mut t = if duplicate {
                let mut d = first_day + 10 + rng.below(190) as i64;
                if d > last_day() {
                    d = first_day - 10 - rng.below(190) as i64;
                }
                let mut t = list[0].clone();
                t.incidence = d;
                t
            } else {
                let site = pick_site(&mut rng, female, true, Some(first_site));
                let mut d = incidence_day(&mut rng);
                if (d - first_day).abs() < 180 {
                    d = if first_day + 180 <= last_day() {
                        first_day + 180
                    } else {
                        first_day - 180
                    };
                }
                tumour(&mut rng, site, birth_date, d)
            };
            // The earlier of the two is the patient's first primary.
            if t.incidence < first_day {
                std::mem::swap(&mut t, &mut list[0]);
                first_day = list[0].incidence;
            }
            t.duplicate = duplicate;
            list.push(t);
        }
        // Death certificate only: single-tumour patients, about 3% of tumours.
        let dco = !two && rng.chance(0.035);
        if dco {
            let t = &mut list[0];
            t.basis = 0;
            t.grade = None;
            t.stage = None;
            t.behaviour = 3;
            if t.icd10.starts_with('D') {
                let invasive = SITES[t.site].variants.iter().find(|v| v.1 == t.topography);
                t.icd10 = invasive.map_or(t.icd10, |v| v.0);
            }
        }
        let latest = list.iter().map(|t| t.incidence).max().unwrap_or(first_day);
        let end = follow_up_end();
        let mut follow_ups = Vec::new();
        if dco {
            let t = &list[0];
            follow_ups.push(FollowUp {
                last_contact: t.incidence,
                vital_status: "dead",
                death_date: Some(t.incidence),
                death_cause: Some(t.icd10),
                recorded_at: noon(t.incidence + 20 + rng.below(60) as i64),
            });
        } else if rng.chance(0.9) {
            let span = (end - latest).max(1) as f64;
            let censor = latest + (span * (0.4 + 0.6 * rng.unit())) as i64;
            let t = &list[0];
            let years = -rng.unit().max(1e-12).ln() / t.hazard.max(1e-9);
            let mut death = t.incidence + (years * 365.25) as i64;
            if death < latest {
                death = latest + 30 + rng.below(300) as i64;
            }
            let dead = death <= censor;
            let last = if dead { death } else { censor };
            let contacts = 1 + rng.below(3);
            for k in 1..contacts {
                let d = latest + (last - latest) * k as i64 / contacts as i64;
                follow_ups.push(FollowUp {
                    last_contact: d,
                    vital_status: "alive",
                    death_date: None,
                    death_cause: None,
                    recorded_at: noon(d + 1 + rng.below(20) as i64),
                });
            }
            let (vital_status, death_date, death_cause) = if dead {
                let cause = if rng.chance(0.9) { t.icd10 } else { "I21.9" };
                ("dead", Some(death), Some(cause))
            } else if rng.chance(0.05) {
                ("lost", None, None)
            } else {
                ("alive", None, None)
            };
            follow_ups.push(FollowUp {
                last_contact: last,
                vital_status,
                death_date,
                death_cause,
                recorded_at: noon(last + 21 + rng.below(20) as i64),
            });
        }
        let names = |rng: &mut SplitMix| {
            let given = rng.pick(if female { FEMALE } else { MALE });
            [given, rng.pick(MALE), rng.pick(MALE), rng.pick(FAMILY)]
        };
        let parts = names(&mut rng);
        let json = |f: fn(&(&'static str, &'static str)) -> &'static str| {
            serde_json::to_string(&parts.iter().map(f).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        };
        let year = civil(birth_date).0;
        let serial = (i.wrapping_mul(7_919_993).wrapping_add(1_234_567)) % 10_000_000;
        Patient {
            national: format!("{}{year:04}{serial:07}", if female { 2 } else { 1 }),
            female,
            name_ar: json(|p| p.0),
            name_latin: json(|p| p.1),
            birth_date,
            region,
            municipality: rng.pick(MUNICIPALITIES[region]),
            blood_group: rng.chance(0.4).then(|| rng.pick(BLOOD_GROUPS)),
            tumours: list,
            follow_ups,
        }
    }
}

/// What the generator made, counted (printed by `--dry-run`, and a check on the seeding).
#[derive(Debug, Default)]
pub struct Summary {
    pub patients: u64,
    pub tumours: u64,
    pub duplicates: u64,
    pub followed: u64,
    pub dead: u64,
    pub follow_up_rows: u64,
    pub dco: u64,
    pub in_situ: u64,
    pub children: u64,
    pub by_region: [u64; 3],
    pub by_site: Vec<u64>,
    pub by_year: Vec<u64>,
}

impl Summary {
    pub fn add(&mut self, p: &Patient) {
        if self.by_site.is_empty() {
            self.by_site = vec![0; SITES.len()];
            self.by_year = vec![0; (LAST_YEAR - FIRST_YEAR + 1) as usize];
        }
        self.patients += 1;
        self.tumours += p.tumours.len() as u64;
        self.by_region[p.region] += p.tumours.len() as u64;
        for t in &p.tumours {
            self.duplicates += u64::from(t.duplicate);
            self.dco += u64::from(t.basis == 0);
            self.in_situ += u64::from(t.behaviour == 2);
            self.children += u64::from(age_at(p.birth_date, t.incidence) < 15);
            self.by_site[t.site] += 1;
            let y = (civil(t.incidence).0 - FIRST_YEAR).clamp(0, LAST_YEAR - FIRST_YEAR);
            self.by_year[y as usize] += 1;
        }
        self.followed += u64::from(!p.follow_ups.is_empty());
        self.dead += u64::from(p.follow_ups.iter().any(|f| f.vital_status == "dead"));
        self.follow_up_rows += p.follow_ups.len() as u64;
    }
}
