//! The childhood cancer report (issue #13, item 3): incidence by ICCC-3 main group and
//! subgroup (Steliarova-Foucher et al., Cancer 2005;103:1457, [`crate::domain::iccc`]) for
//! ages 0-14 or 0-19, rates per million person-years, standardised on the world standard's
//! child groups (IARC, *International Incidence of Childhood Cancer* vol. 3, 2017).
//!
//! Counted: primaries classified by ICCC-3 from their site, morphology and behaviour, which
//! include the non-malignant intracranial and intraspinal tumours ICCC-3 counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rates::{AgeGroup, AgeRange, Scale, AGE_GROUPS};
use super::report::{
    self, add, rank, rate_row, suppress_row, Case, Counted, Filter, Population, RateRow, Shape,
    Tally,
};
use super::StatsError;
use crate::domain::iccc::{self, MainGroup};

/// Not classified by ICCC-3 (a site, morphology and behaviour outside its tables).
const NOT_IN_ICCC: report::Reason = (
    "not_in_iccc",
    "ICCC-3 does not classify its site, morphology and behaviour",
);

/// The rules a childhood report applies.
pub const RULES: &[&str] = &[
    "primaries only: a tumour the multiple-primary rules judged the same as another record is \
     not counted",
    "groups derived from the ICD-O-3 site, morphology and behaviour by the ICCC-3 tables \
     (Steliarova-Foucher et al. 2005; SEER's conversion); non-malignant intracranial and \
     intraspinal tumours are counted as ICCC-3 does",
    "age is the completed years at the date of incidence",
    "rates per 1,000,000 person-years; age-standardised by the direct method on the child age \
     groups of each standard population, 95% confidence interval ASR +/- 1.96 x SE",
];

/// The ages of a childhood report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub enum ChildAges {
    /// 0-14, the ICCC-3 definition of childhood.
    #[default]
    #[serde(rename = "0-14")]
    To14,
    /// 0-19, children and adolescents.
    #[serde(rename = "0-19")]
    To19,
}

impl ChildAges {
    /// The age range.
    pub fn range(self) -> AgeRange {
        let last = match self {
            ChildAges::To14 => 2,
            ChildAges::To19 => 3,
        };
        AgeRange::new(
            AgeGroup::FIRST,
            AgeGroup::from_index(last).unwrap_or(AgeGroup::FIRST),
        )
        .unwrap_or(AgeRange::CHILDREN)
    }

    /// The oldest age counted.
    pub fn oldest(self) -> u32 {
        match self {
            ChildAges::To14 => 14,
            ChildAges::To19 => 19,
        }
    }
}

/// One line of the childhood table: a main group or one of its subgroups.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChildRow {
    /// `group` or `subgroup`.
    pub level: &'static str,
    /// The rates.
    #[serde(flatten)]
    pub rates: RateRow,
}

/// A childhood cancer report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Childhood {
    /// What it counted.
    pub counted: Counted,
    /// The ages (`0-14` or `0-19`).
    pub ages: ChildAges,
    /// The age groups of the columns.
    pub age_groups: Vec<String>,
    /// Each main group with cases, followed by its subgroups with cases.
    pub rows: Vec<ChildRow>,
    /// All ICCC-3 groups together.
    pub total: RateRow,
}

/// Builds the childhood report of `cases` over `population` for `filter` and `ages`.
///
/// # Errors
/// [`StatsError`] when the population does not cover the cases.
pub fn childhood(
    cases: &[Case],
    population: &Population,
    filter: &Filter,
    ages: ChildAges,
    suppress: bool,
) -> Result<Childhood, StatsError> {
    let mut tally = Tally::new(filter);
    let mut groups: BTreeMap<MainGroup, [u32; AGE_GROUPS]> = BTreeMap::new();
    let mut subgroups: BTreeMap<(MainGroup, &'static str), [u32; AGE_GROUPS]> = BTreeMap::new();
    let mut all = [0u32; AGE_GROUPS];
    for case in cases.iter().filter(|c| c.age <= ages.oldest()) {
        if !tally.consider(case) {
            continue;
        }
        let Some(class) = iccc::classify(&case.topography, case.morphology, case.behaviour) else {
            tally.exclude(NOT_IN_ICCC);
            continue;
        };
        tally.include(case);
        add(
            groups.entry(class.group).or_insert([0; AGE_GROUPS]),
            case.age,
        );
        add(
            subgroups
                .entry((class.group, class.subgroup))
                .or_insert([0; AGE_GROUPS]),
            case.age,
        );
        add(&mut all, case.age);
    }
    let person_years = population.of(filter.sex);
    let shape = Shape {
        ages: ages.range(),
        per: Scale::PerMillion,
        cumulative: false,
    };
    let total_cases: u64 = all.iter().map(|&c| u64::from(c)).sum();
    let mut group_rows = Vec::new();
    for (group, counts) in &groups {
        let key = group.roman();
        group_rows.push((
            *group,
            rate_row(
                (key, group.name(), group.name_ar()),
                *counts,
                person_years,
                shape,
            )?,
        ));
    }
    let mut only: Vec<RateRow> = group_rows.iter().map(|(_, r)| r.clone()).collect();
    rank(&mut only, total_cases);
    let mut rows = Vec::new();
    for ((group, _), ranked) in group_rows.into_iter().zip(only) {
        rows.push(ChildRow {
            level: "group",
            rates: ranked,
        });
        for ((_, code), counts) in subgroups
            .range((group, "")..)
            .take_while(|((g, _), _)| *g == group)
        {
            let name = iccc::name(code).unwrap_or(code);
            let mut row = rate_row((code, name, name), *counts, person_years, shape)?;
            row.percent = (total_cases > 0).then(|| {
                report::count(row.cases.unwrap_or(0)) * 100.0 / report::count(total_cases)
            });
            rows.push(ChildRow {
                level: "subgroup",
                rates: row,
            });
        }
    }
    let mut total = rate_row(
        ("all", "All ICCC-3 groups", "جميع مجموعات ICCC-3"),
        all,
        person_years,
        shape,
    )?;
    if suppress {
        rows.iter_mut().for_each(|r| suppress_row(&mut r.rates));
        suppress_row(&mut total);
    }
    Ok(Childhood {
        counted: tally.counted(RULES.to_vec(), report::standard_names(), suppress),
        ages,
        age_groups: ages.range().groups().map(|g| g.to_string()).collect(),
        rows,
        total,
    })
}

#[cfg(test)]
mod tests;
