//! The arithmetic of the registry's statistics (issue #13, "The tumour inventory, part 2"):
//! incidence rates and observed survival, as pure functions over counts. Nothing here reads
//! the database or knows of HTTP; the API, the desk and the CSV exports call it with the
//! counts they have gathered.
//!
//! - [`rates`]: the 18 five-year age groups, crude and age-specific rates, the age-standardised
//!   rate (direct method) with its 95% confidence interval, and the cumulative rate and risk
//!   0-74, on a scale of 100,000 (or 1,000,000 for children);
//! - [`standard`]: the standard populations (world, European, WHO 2000-2025) as tables;
//! - [`survival`]: observed survival by the Kaplan-Meier product-limit estimator, with
//!   Greenwood's variance and a log(−log) confidence interval;
//! - [`suppression`]: which small cells a published table hides;
//! - [`population`]: the denominators' CSV file, parsed and checked whole.
//!
//! # Sources
//! - Boyle P, Parkin DM. Statistical methods for registries. In: Jensen OM, Parkin DM,
//!   MacLennan R, Muir CS, Skeet RG (eds.) *Cancer Registration: Principles and Methods*.
//!   IARC Scientific Publications No. 95, Lyon 1991, chapter 11: rates, direct
//!   standardisation and its variance, cumulative rate and risk (after Day NE, in *Cancer
//!   Incidence in Five Continents* vol. IV).
//! - Parkin DM, Hakulinen T. Analysis of survival. Same volume, chapter 12.
//! - Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. *J Am Stat
//!   Assoc* 1958;53:457-81. Greenwood M. The natural duration of cancer. *Reports on Public
//!   Health and Medical Subjects* 33, HMSO, London 1926. Kalbfleisch JD, Prentice RL. *The
//!   Statistical Analysis of Failure Time Data*. Wiley, New York 1980 (the log(−log)
//!   interval).
//!
//! Every function refuses what it cannot compute with a [`StatsError`] instead of
//! panicking or returning NaN.

pub mod childhood;
pub mod cohort;
pub mod export;
pub mod incidence;
pub mod population;
pub mod quality;
pub mod rates;
pub mod report;
pub mod sites;
pub mod standard;
pub mod suppression;
pub mod survival;
pub mod tables;

pub use rates::{AgeGroup, AgeRange, AgeTable, CumulativeRisk, Rate, Scale, Standardised};
pub use standard::Standard;
pub use suppression::Cell;
pub use survival::{Estimate, KaplanMeier, Observation, Outcome, Step};

/// The normal deviate of a two-sided 95% confidence interval, as Boyle and Parkin (1991)
/// round it.
pub const Z_95: f64 = 1.96;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Nothing to compute from: no age groups, no patients.
    #[error("empty input: no {0}")]
    Empty(&'static str),
    /// A table of age groups that does not have one entry per group.
    #[error(
        "expected {} age groups, got {cases} case counts and {person_years} person-years",
        rates::AGE_GROUPS
    )]
    GroupCount {
        /// How many case counts were given.
        cases: usize,
        /// How many person-years were given.
        person_years: usize,
    },
    /// Person-years that are negative, NaN or infinite.
    #[error(
        "person-years{} are {value}: expected a finite number of at least 0",
        in_group(*group)
    )]
    InvalidPersonYears {
        /// The age group, when the value belongs to one.
        group: Option<AgeGroup>,
        /// The value refused.
        value: f64,
    },
    /// Cases counted where no one was at risk: the counts and the population disagree.
    #[error("{cases} cases but no person-years{}", in_group(*group))]
    CasesWithoutPersonYears {
        /// The age group, when the count belongs to one.
        group: Option<AgeGroup>,
        /// The cases counted.
        cases: u64,
    },
    /// No person-years at all (in the ages asked for): the rate is undefined.
    #[error("no person-years: the rate is undefined")]
    NoPersonYears,
    /// A result too large for a floating-point number: person-years so small (yet above 0)
    /// that cases over them overflow.
    #[error("the rate overflows: person-years too small for the cases")]
    Overflow,
    /// An age range whose first group comes after its last.
    #[error("age range from {first} to {last} is empty")]
    InvalidAgeRange {
        /// The first group asked for.
        first: AgeGroup,
        /// The last group asked for.
        last: AgeGroup,
    },
    /// A cumulative rate over a range that includes the open-ended group 85+, which has no
    /// width.
    #[error("a cumulative rate needs closed age groups; {0} includes 85+")]
    OpenAgeGroup(AgeRange),
    /// A survival time below zero (last contact before diagnosis).
    #[error("survival time of {days} days: expected at least 0")]
    NegativeTime {
        /// The time refused, in days.
        days: i64,
    },
    /// More patients than a survival curve counts (`u32::MAX`).
    #[error("{0} patients: too many for one survival curve")]
    TooManyPatients(usize),
}

/// " in age group 85+", or nothing.
fn in_group(group: Option<AgeGroup>) -> String {
    match group {
        Some(group) => format!(" in age group {group}"),
        None => String::new(),
    }
}
