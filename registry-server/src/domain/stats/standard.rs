//! The standard populations of direct age standardisation: one weight per five-year age group
//! (0-4, 5-9, …, 80-84, 85+), in the order of [`AgeGroup::index`].
//!
//! The weights are used only as proportions: [`Standard::weight`] divides a table's weight by
//! the table's own sum ([`Standard::total`]), so a table published per 10,000 (WHO) is used
//! as it is, with no rescaling that would change its rounding.

use super::rates::{AgeGroup, AGE_GROUPS};

/// The world standard population, per 100,000: Segi M. *Cancer Mortality for Selected Sites
/// in 24 Countries (1950-57)*. Department of Public Health, Tohoku University School of
/// Medicine, Sendai 1960; as modified by Doll R, Payne P, Waterhouse J (eds.) *Cancer
/// Incidence in Five Continents* vol. I, UICC, Geneva 1966. The weights of Boyle and Parkin
/// (1991), IARC Scientific Publications No. 95, chapter 11. Sum 100,000.
pub const WORLD_SEGI_1960: [u32; AGE_GROUPS] = [
    12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000, 5000, 4000, 4000, 3000, 2000,
    1000, 500, 500,
];

/// The European standard population (1976), per 100,000, introduced in Waterhouse J, Muir C,
/// Correa P, Powell J (eds.) *Cancer Incidence in Five Continents* vol. III, IARC Scientific
/// Publications No. 15, Lyon 1976; the weights of Boyle and Parkin (1991), IARC Scientific
/// Publications No. 95, chapter 11. Sum 100,000.
pub const EUROPEAN_1976: [u32; AGE_GROUPS] = [
    8000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 6000, 5000, 4000, 3000, 2000,
    1000, 1000,
];

/// The WHO World Standard Population 2000-2025, per 10,000, with 85-89, 90-94, 95-99 and
/// 100+ pooled into 85+: Ahmad OB, Boschi-Pinto C, Lopez AD, Murray CJL, Lozano R, Inoue M.
/// *Age standardization of rates: a new WHO standard*. GPE Discussion Paper Series No. 31,
/// World Health Organization, Geneva 2001 (the table's percentages × 100).
///
/// The published percentages are rounded, so these 18 weights sum to 10,003, not 10,000;
/// [`Standard::weight`] divides by that sum.
pub const WHO_2000_2025: [u32; AGE_GROUPS] = [
    886, 869, 860, 847, 822, 793, 761, 715, 659, 604, 537, 455, 372, 296, 221, 152, 91, 63,
];

/// A standard population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standard {
    /// The world standard (Segi 1960, modified by Doll et al. 1966): [`WORLD_SEGI_1960`].
    World,
    /// The European standard (1976): [`EUROPEAN_1976`].
    European,
    /// The WHO World Standard 2000-2025 (Ahmad et al. 2001): [`WHO_2000_2025`].
    Who2000,
}

impl Standard {
    /// Every standard, in the order registries usually report them.
    pub const ALL: [Standard; 3] = [Standard::World, Standard::European, Standard::Who2000];

    /// The table's weights, one per age group.
    pub const fn weights(self) -> &'static [u32; AGE_GROUPS] {
        match self {
            Standard::World => &WORLD_SEGI_1960,
            Standard::European => &EUROPEAN_1976,
            Standard::Who2000 => &WHO_2000_2025,
        }
    }

    /// The sum of the table's weights: 100,000 (world, European) or 10,003 (WHO).
    pub fn total(self) -> u32 {
        self.weights().iter().sum()
    }

    /// The table's weight of one age group, as published.
    pub fn raw_weight(self, group: AgeGroup) -> u32 {
        self.weights()
            .get(group.index())
            .copied()
            .unwrap_or_default()
    }

    /// The weight of one age group as a proportion of the whole table (the 18 proportions sum
    /// to 1).
    pub fn weight(self, group: AgeGroup) -> f64 {
        f64::from(self.raw_weight(group)) / f64::from(self.total())
    }

    /// The name shown beside a rate standardised to this population.
    pub const fn name(self) -> &'static str {
        match self {
            Standard::World => "world standard population (Segi 1960, Doll et al. 1966)",
            Standard::European => "European standard population (1976)",
            Standard::Who2000 => "WHO world standard population 2000-2025",
        }
    }
}

impl std::fmt::Display for Standard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
