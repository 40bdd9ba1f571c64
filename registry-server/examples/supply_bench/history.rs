//! The synthetic history of medicines handed out: a pure function of a seed and a scale,
//! generated whole in memory before anything is written, and never reading the forecast.
//!
//! - 10 facilities in 3 regions (west 4, east 4, south 2), each with its own number of new
//!   diagnoses a month at month 0 (4 to 45), its own monthly growth (0.5% to 3.5%: the
//!   rollout) and a seasonal swing of ±10% (peak in spring). Cases arrive as Poisson counts
//!   per facility and month, from 12 months before the window (so that patients already on
//!   long treatments are there at month 0) to the window's end, 24 months after its start.
//! - A case has a site, morphology and stage drawn from a case mix of 16 kinds ([`KINDS`]),
//!   and is given each medicine of the regimen table that matches it with the row's share as
//!   a probability. The table is the one the registry forecasts with (the built-in file plus
//!   the bench's rows, [`regimens`]): the back-test assumes the table is right.
//! - Each medicine becomes authorisations and dispensings (tablets, capsules) or
//!   administrations (injections, infusions, in day care) on the row's course: oral ones 30
//!   days at a time ([`ORAL_GAP`]) on authorisations of 6 dispensings with a minimum
//!   interval of 28 days, renewed at the last dispensing while the course lasts; cycles every
//!   7, 14, 21 or 28 days (whichever gives the row's units a month closest) on one
//!   authorisation for the course.
//! - Noise ([`NOISE`]): a visit comes 0 to 3 days after it is due, some late by 4 to 21
//!   days, some missed (the next visit a whole gap later); patients die (a monthly hazard by
//!   stage), stop a medicine (toxicity or progression), leave the system, or move to another
//!   facility of their region; some visits happen at another facility of the region; some
//!   cases diagnosed at a smaller facility are treated at their region's main centre.

use registry_server::domain::supply::regimens::{Regimens, BUILT_IN};

use super::synth::{day, SplitMix};

/// The bench's rows, appended to the built-in table.
pub const EXTRA_REGIMENS: &str = include_str!("regimens.csv");

/// The regimen table of the bench: the built-in rows and the bench's.
pub fn regimens() -> anyhow::Result<Regimens> {
    Ok(Regimens::parse(&format!("{BUILT_IN}\n{EXTRA_REGIMENS}"))?)
}

/// Months of the window (month 0 is January 2025) and months generated before it.
pub const MONTHS: i32 = 24;
pub const BEFORE: i32 = 12;

/// Days since 1970-01-01 of the first day of month `m` (0 = January 2025; the latency
/// bench moves its history to end this month by generating it `origin` months later).
pub fn month_start(m: i32) -> i64 {
    let year = 2025 + m.div_euclid(12);
    day(year, m.rem_euclid(12) as u32 + 1, 1)
}

/// The `YYYY-MM` of month `m`.
pub fn month_name(m: i32) -> String {
    format!("{}-{:02}", 2025 + m.div_euclid(12), m.rem_euclid(12) + 1)
}

#[derive(Debug, Clone, Copy)]
pub struct Facility {
    pub code: &'static str,
    pub name: &'static str,
    pub region: &'static str,
    /// Index of its region's main centre (itself for a main centre).
    pub main: usize,
    /// New diagnoses a month at month 0.
    pub base: f64,
    /// Monthly growth of the new diagnoses.
    pub growth: f64,
}

const fn facility(
    code: &'static str,
    name: &'static str,
    region: &'static str,
    main: usize,
    base: f64,
    growth: f64,
) -> Facility {
    Facility {
        code,
        name,
        region,
        main,
        base,
        growth,
    }
}

pub const FACILITIES: [Facility; 10] = [
    facility(
        "LY-TRI-ONC",
        "Tripoli oncology centre",
        "west",
        0,
        45.0,
        0.010,
    ),
    facility(
        "LY-TRI-HOS",
        "Tripoli central hospital",
        "west",
        0,
        15.0,
        0.030,
    ),
    facility(
        "LY-MIS-ONC",
        "Misrata oncology centre",
        "west",
        0,
        25.0,
        0.020,
    ),
    facility("LY-ZAW-HOS", "Zawiya hospital", "west", 0, 12.0, 0.035),
    facility(
        "LY-BEN-ONC",
        "Benghazi oncology centre",
        "east",
        4,
        35.0,
        0.015,
    ),
    facility(
        "LY-BEN-HOS",
        "Benghazi medical centre",
        "east",
        4,
        12.0,
        0.025,
    ),
    facility("LY-BAY-HOS", "Bayda hospital", "east", 4, 14.0, 0.020),
    facility("LY-TOB-HOS", "Tobruk hospital", "east", 4, 8.0, 0.030),
    facility(
        "LY-SEB-ONC",
        "Sabha oncology centre",
        "south",
        8,
        12.0,
        0.005,
    ),
    facility("LY-KUF-HOS", "Kufra hospital", "south", 8, 4.0, 0.030),
];

/// A kind of case: ICD-10, topography, morphology, weight in the mix, women only, stages.
type Kind = (
    &'static str,
    &'static str,
    i64,
    f64,
    bool,
    &'static [(&'static str, f64)],
);

const EARLY: &[(&str, f64)] = &[
    ("I", 0.25),
    ("IIA", 0.2),
    ("IIB", 0.15),
    ("IIIA", 0.12),
    ("IIIB", 0.1),
    ("IV", 0.18),
];
const LATE: &[(&str, f64)] = &[
    ("I", 0.1),
    ("IIA", 0.08),
    ("IIB", 0.08),
    ("IIIA", 0.14),
    ("IIIB", 0.16),
    ("IV", 0.44),
];
const NONE: &[(&str, f64)] = &[];

pub const KINDS: [Kind; 16] = [
    ("C50.4", "C50.4", 8500, 25.0, true, EARLY),
    ("C18.7", "C18.7", 8140, 8.0, false, LATE),
    ("C20.9", "C20.9", 8140, 4.0, false, LATE),
    ("C34.1", "C34.1", 8070, 10.0, false, LATE),
    ("C61.9", "C61.9", 8140, 7.0, false, EARLY),
    ("C91.0", "C42.1", 9836, 4.0, false, NONE),
    ("C92.1", "C42.1", 9875, 2.0, false, NONE),
    ("C83.3", "C77.9", 9680, 6.0, false, NONE),
    ("C16.9", "C16.9", 8140, 5.0, false, LATE),
    ("C53.9", "C53.9", 8070, 4.0, true, EARLY),
    ("C56.9", "C56.9", 8441, 3.0, true, LATE),
    ("C22.0", "C22.0", 8170, 4.0, false, LATE),
    ("C64.9", "C64.9", 8312, 3.0, false, EARLY),
    ("C71.9", "C71.9", 9440, 3.0, false, NONE),
    ("C90.0", "C42.1", 9732, 3.0, false, NONE),
    ("C67.9", "C67.9", 8120, 5.0, false, EARLY),
];

/// The noise rates, as the write-up states them.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    /// A visit late by 4 to 21 days (beyond the 0 to 3 days of every visit).
    pub late: f64,
    /// A visit missed (the next one a whole gap later).
    pub missed: f64,
    /// A visit at another facility of the region.
    pub elsewhere: f64,
    /// A case of a smaller facility treated at the region's main centre.
    pub referred: f64,
    /// Monthly hazards: stopping a medicine (toxicity, progression), leaving the system,
    /// moving to another facility of the region.
    pub stop: f64,
    pub leave: f64,
    pub move_: f64,
    /// Monthly hazard of death without a stage (haematological, brain), and by stage.
    pub death_unstaged: f64,
    pub death: [(&'static str, f64); 4],
    /// A death recorded in the registry (follow-up, 7 to 90 days later).
    pub death_recorded: f64,
    /// A stopped medicine's authorisation withdrawn by the clinician (0 to 30 days later).
    pub withdrawn: f64,
}

pub const NOISE: Noise = Noise {
    late: 0.15,
    missed: 0.03,
    elsewhere: 0.05,
    referred: 0.15,
    stop: 0.015,
    leave: 0.002,
    move_: 0.004,
    death_unstaged: 0.015,
    death: [("IV", 0.035), ("III", 0.012), ("II", 0.004), ("I", 0.002)],
    death_recorded: 0.7,
    withdrawn: 0.6,
};

/// Days between two oral dispensings (a month's tablets), before the noise.
pub const ORAL_GAP: i64 = 30;

#[derive(Debug, Clone)]
pub struct Medicine {
    pub atc: String,
    pub strength: String,
    pub form: String,
    /// Given in day care (an administration) rather than dispensed.
    pub administered: bool,
}

#[derive(Debug, Clone)]
pub struct Patient {
    /// Where the case was diagnosed and its tumour recorded.
    pub facility: usize,
    pub female: bool,
    pub birth: i64,
    pub kind: usize,
    pub stage: Option<&'static str>,
    /// Days.
    pub incidence: i64,
    pub recorded: i64,
    /// (day of death, day the death was recorded) when recorded.
    pub death: Option<(i64, i64)>,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub id: i64,
    pub patient: usize,
    pub medicine: usize,
    pub quantity: i64,
    pub dispensings: i64,
    pub interval: i64,
    /// Day.
    pub valid_until: i64,
    /// The prescribing facility.
    pub facility: usize,
    /// Unix seconds.
    pub created: i64,
    pub withdrawn: Option<i64>,
}

/// A dispensing or an administration (by the medicine's form).
#[derive(Debug, Clone)]
pub struct Given {
    pub auth: usize,
    pub facility: usize,
    pub quantity: i64,
    /// Unix seconds.
    pub at: i64,
    /// 1, 2, ... on its authorisation.
    pub nth: i64,
}

/// What happened, counted (for the write-up).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub visits: u64,
    pub late: u64,
    pub missed: u64,
    pub elsewhere: u64,
    pub referred: u64,
    pub died: u64,
    pub stopped: u64,
    pub left: u64,
    pub moved: u64,
    pub withdrawn: u64,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    /// Months from January 2025 to the history's month 0.
    pub origin: i32,
    pub medicines: Vec<Medicine>,
    pub patients: Vec<Patient>,
    pub auths: Vec<Auth>,
    pub given: Vec<Given>,
    pub counts: Counts,
}

fn poisson(rng: &mut SplitMix, lambda: f64) -> u64 {
    let limit = (-lambda).exp();
    let (mut n, mut p) = (0, rng.unit());
    while p > limit {
        n += 1;
        p *= rng.unit();
    }
    n
}

/// Days until an event of monthly hazard `h`.
fn waiting(rng: &mut SplitMix, h: f64) -> i64 {
    (-(1.0 - rng.unit()).ln() / (h / 30.44)).min(1e6) as i64
}

fn seconds(day: i64, rng: &mut SplitMix) -> i64 {
    day * 86_400 + 8 * 3_600 + rng.below(9 * 3_600) as i64
}

/// The cycle of an administered row of `units` a month: (units per cycle, days), the pair
/// of 7, 14, 21 or 28 days closest to `units` a month (21 days on a tie).
fn cycle(units: u64) -> (i64, i64) {
    let mut best = (1, 28, f64::MAX);
    for days in [21, 14, 28, 7] {
        let q = ((units as f64 * days as f64 / 30.44).round() as i64).max(1);
        let error = (q as f64 * 30.44 / days as f64 - units as f64).abs();
        if error < best.2 - 1e-9 {
            best = (q, days, error);
        }
    }
    (best.0, best.1)
}

struct Course {
    medicine: usize,
    quantity: i64,
    interval: i64,
    gap: i64,
    per_auth: i64,
    total: i64,
}

/// The history of `scale` times the facilities' new cases, from `seed`, its month 0
/// `origin` months after January 2025.
pub fn generate(seed: u64, scale: f64, regimens: &Regimens, origin: i32) -> History {
    let mut rng = SplitMix(seed ^ 0x5EED_0014_D3AD);
    let mut h = History {
        origin,
        ..History::default()
    };
    let end = month_start(origin + MONTHS);
    for m in -BEFORE..MONTHS {
        let (first, next) = (month_start(origin + m), month_start(origin + m + 1));
        let season = 1.0 + 0.1 * (std::f64::consts::TAU * (f64::from(m) - 1.0) / 12.0).sin();
        for (f, fac) in FACILITIES.iter().enumerate() {
            let lambda = fac.base * scale * (1.0 + fac.growth).powi(m) * season;
            for _ in 0..poisson(&mut rng, lambda) {
                let incidence = first + rng.below((next - first) as u64) as i64;
                case(&mut rng, &mut h, regimens, f, incidence, end);
            }
        }
    }
    h
}

fn case(
    rng: &mut SplitMix,
    h: &mut History,
    regimens: &Regimens,
    f: usize,
    incidence: i64,
    end: i64,
) {
    let kind = rng.weighted(KINDS.iter().map(|k| k.3));
    let (icd10, _, morphology, _, women, stages) = KINDS[kind];
    let female = women || (icd10 != "C61.9" && rng.chance(0.5));
    let stage = (!stages.is_empty()).then(|| stages[rng.weighted(stages.iter().map(|s| s.1))].0);
    let death_h = stage.map_or(NOISE.death_unstaged, |s| {
        NOISE
            .death
            .iter()
            .find(|d| s.starts_with(d.0))
            .map_or(0.01, |d| d.1)
    });
    let died = incidence + waiting(rng, death_h);
    let leaves = incidence + waiting(rng, NOISE.leave);
    let moves = incidence + waiting(rng, NOISE.move_);
    let region: Vec<usize> = (0..FACILITIES.len())
        .filter(|&g| FACILITIES[g].region == FACILITIES[f].region)
        .collect();
    let others: Vec<usize> = region.iter().copied().filter(|&g| g != f).collect();
    let moved_to = others[rng.below(others.len() as u64) as usize];
    let mut treated = f;
    if FACILITIES[f].main != f && rng.chance(NOISE.referred) {
        treated = FACILITIES[f].main;
        h.counts.referred += 1;
    }
    let recorded = incidence + rng.below(21) as i64;
    let start = incidence + 21 + rng.below(30) as i64;
    let death = (died < end && rng.chance(NOISE.death_recorded))
        .then(|| (died, died + 7 + rng.below(84) as i64));
    let patient = h.patients.len();
    h.patients.push(Patient {
        facility: f,
        female,
        birth: incidence - 365 * (35 + rng.below(40) as i64),
        kind,
        stage,
        incidence,
        recorded,
        death,
    });
    let mut courses = Vec::new();
    for r in regimens.for_case(icd10, morphology as u16, stage) {
        if !rng.chance(r.share) {
            continue;
        }
        let medicine = match h
            .medicines
            .iter()
            .position(|m| (&m.atc, &m.strength, &m.form) == (&r.atc, &r.strength, &r.form))
        {
            Some(i) => i,
            None => {
                h.medicines.push(Medicine {
                    atc: r.atc.clone(),
                    strength: r.strength.clone(),
                    form: r.form.clone(),
                    administered: matches!(r.form.as_str(), "injection" | "infusion"),
                });
                h.medicines.len() - 1
            }
        };
        let course = if h.medicines[medicine].administered {
            let (mut q, days) = cycle(r.units_per_month);
            if q >= 2 {
                // Doses by body surface: a vial more or less for some patients.
                q += [0, 0, 0, 0, 0, 1, -1][rng.below(7) as usize];
            }
            let total = ((f64::from(r.months) * 30.44 / days as f64).round() as i64).max(1);
            Course {
                medicine,
                quantity: q,
                interval: days,
                gap: days,
                per_auth: total,
                total,
            }
        } else {
            Course {
                medicine,
                quantity: r.units_per_month as i64,
                interval: 28,
                gap: ORAL_GAP,
                per_auth: 6,
                total: i64::from(r.months),
            }
        };
        courses.push(course);
    }
    let mut stops = [false; 3];
    let mut moved = false;
    for c in courses {
        let stopped = start + waiting(rng, NOISE.stop);
        let last = stopped.min(died).min(leaves);
        let which = if last == died {
            0
        } else if last == leaves {
            1
        } else {
            2
        };
        let mut day = start;
        let mut done = 0;
        let mut auth: Option<usize> = None;
        let mut used = 0;
        while done < c.total && day < last.min(end) {
            let at = if day >= moves { moved_to } else { treated };
            moved |= at != treated;
            let a = match auth {
                Some(a) if day <= h.auths[a].valid_until => a,
                // The first, or one re-prescribed when the last ran out before its visits.
                _ => {
                    let created = (day - rng.below(4) as i64).max(recorded);
                    used = 0;
                    prescribe(h, patient, &c, c.total - done, seconds(created, rng), at)
                }
            };
            auth = Some(a);
            h.counts.visits += 1;
            if rng.chance(NOISE.missed) {
                h.counts.missed += 1;
                day += c.gap;
                continue;
            }
            let mut place = at;
            if rng.chance(NOISE.elsewhere) {
                let others: Vec<usize> = region.iter().copied().filter(|&g| g != at).collect();
                place = others[rng.below(others.len() as u64) as usize];
                h.counts.elsewhere += 1;
            }
            let at_seconds = seconds(day, rng).max(h.auths[a].created + 60);
            used += 1;
            done += 1;
            h.given.push(Given {
                auth: a,
                facility: place,
                quantity: c.quantity,
                at: at_seconds,
                nth: used,
            });
            if used == h.auths[a].dispensings && done < c.total {
                // Renewed at the review of the last dispensing while the course lasts.
                used = 0;
                let next = prescribe(h, patient, &c, c.total - done, at_seconds + 600, at);
                auth = Some(next);
            }
            day += c.gap + rng.below(4) as i64;
            if rng.chance(NOISE.late) {
                h.counts.late += 1;
                day += 4 + rng.below(18) as i64;
            }
        }
        if done < c.total && last < end {
            stops[which] = true;
            if which == 2 && rng.chance(NOISE.withdrawn) {
                if let Some(a) = auth {
                    h.auths[a].withdrawn = Some(seconds(last + rng.below(31) as i64, rng));
                    h.counts.withdrawn += 1;
                }
            }
        }
    }
    h.counts.moved += u64::from(moved);
    h.counts.died += u64::from(stops[0]);
    h.counts.left += u64::from(stops[1]);
    h.counts.stopped += u64::from(stops[2]);
}

/// A new authorisation of `c` for at most `left` dispensings, created at `created` (Unix
/// seconds) by `facility`.
fn prescribe(
    h: &mut History,
    patient: usize,
    c: &Course,
    left: i64,
    created: i64,
    facility: usize,
) -> usize {
    let count = c.per_auth.min(left);
    let created_day = created.div_euclid(86_400);
    h.auths.push(Auth {
        id: 1_000_000 + h.auths.len() as i64,
        patient,
        medicine: c.medicine,
        quantity: c.quantity,
        dispensings: count,
        interval: c.interval,
        valid_until: created_day + count * c.gap + 60,
        facility,
        created,
        withdrawn: None,
    });
    h.auths.len() - 1
}
