//! The registry's statistics as a service (issue #13): who may read them, the tumours and
//! denominators gathered from the database, the reports built by [`super::stats`], and the
//! small cells hidden for everyone outside the registry.
//!
//! Registrars (the registry's own staff) see every cell; statisticians, the ministry's
//! epidemiologists, see aggregates only, with cells of 1 to 4 cases suppressed, and every
//! CSV file is suppressed whoever downloads it, since a file leaves the registry. No report
//! holds a name, an identifier or a single record. Each report read is audited
//! (`statistics.read`, on the report and its filter).

pub mod export;

use std::collections::HashSet;

use card_format::model::Date;

use super::audit::actor;
use super::checks::{self, Outcome, Subject};
use super::clinical::derived::age_in_years;
use super::stats::childhood::{self, ChildAges, Childhood};
use super::stats::cohort::{self, Survival};
use super::stats::incidence::{self, Incidence};
use super::stats::quality::{self, Death, Quality};
use super::stats::rates::AGE_GROUPS;
use super::stats::report::{Case, Decision, Filter, Population, SexFilter};
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, stats::Area, stats::CaseRow, stats::FactRow};

/// Who may read the statistics: registrars (every cell) and statisticians (suppressed).
pub const READERS: &[Role] = &[Role::Registrar, Role::Statistician];

/// The longest period a report covers, in years.
pub const MAX_YEARS: i32 = 50;

/// A report's request: period, area, sex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Period, area and sex.
    pub filter: Filter,
    /// Whether the answer leaves the registry as a file (then it is suppressed whoever asks).
    pub file: bool,
}

impl Request {
    /// A request for the years `from` to `to`, `region` (`None` or empty: the country) and
    /// `sex`, checked.
    ///
    /// # Errors
    /// [`Error::Validation`] for a period backwards, longer than [`MAX_YEARS`] or outside
    /// the years 1900-2100, or a region longer than 60 characters.
    pub fn new(
        from: i32,
        to: i32,
        region: Option<&str>,
        sex: SexFilter,
        file: bool,
    ) -> Result<Request> {
        if !(1900..=2100).contains(&from) || !(1900..=2100).contains(&to) {
            return Err(Error::invalid("from", "years are 1900 to 2100"));
        }
        if to < from {
            return Err(Error::invalid("to", "the period ends before it starts"));
        }
        if to - from >= MAX_YEARS {
            return Err(Error::invalid(
                "to",
                format!("a report covers at most {MAX_YEARS} years"),
            ));
        }
        let region = region
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_lowercase);
        if region.as_ref().is_some_and(|r| r.chars().count() > 60) {
            return Err(Error::invalid("region", "at most 60 characters"));
        }
        Ok(Request {
            filter: Filter {
                from_year: from,
                to_year: to,
                region,
                sex,
            },
            file,
        })
    }
}

/// Checks the caller may read statistics; returns whether their cells are suppressed.
fn admit(caller: &Caller, request: &Request) -> Result<bool> {
    caller.require(READERS)?;
    Ok(request.file || caller.role != Role::Registrar)
}

/// The first and last day of the request's period.
fn days(filter: &Filter) -> Result<(i64, i64)> {
    let first = Date::from_ymd("from", filter.from_year, 1, 1)?;
    let last = Date::from_ymd("to", filter.to_year, 12, 31)?;
    Ok((i64::from(first.0), i64::from(last.0)))
}

/// The report's audit entry: the report's name and its filter, no patient data.
async fn audit(registry: &Registry, caller: &Caller, report: &str, filter: &Filter) -> Result<()> {
    let entity = format!(
        "{report}:{}-{}:{}:{}",
        filter.from_year,
        filter.to_year,
        filter.region.as_deref().unwrap_or("country"),
        filter.sex.as_str()
    );
    db::audit::append_alone(
        &registry.db,
        registry.clock.now(),
        &actor(caller),
        "statistics.read",
        "statistics",
        &entity,
    )
    .await?;
    Ok(())
}

/// A stored tumour as a [`Case`]; `confirmed` holds the (tumour, version, check) confirmed,
/// when the case must say whether it has open query or rare findings.
pub(crate) fn case_of(
    row: &CaseRow,
    confirmed: Option<&HashSet<(String, i64, String)>>,
) -> Result<Case> {
    let facts = FactRow {
        sex: row.sex.clone(),
        birth_date: row.birth_date,
        incidence: row.incidence,
        icd10: row.icd10.clone(),
        topography: row.topography.clone(),
        morphology: row.morphology,
        behaviour: row.behaviour,
        basis: row.basis,
        stage_group: row.stage_group.clone(),
        decision: row.decision.clone(),
        death_date: row.death_date,
        last_contact: row.last_contact,
    };
    let mut case = fact_of(&facts, row.region.as_ref())?;
    case.facility = row.facility_code.clone();
    if let Some(confirmed) = confirmed {
        case.open_checks = open_checks(row, &case, confirmed)?;
    }
    Ok(case)
}

/// Whether the record checks find a query or rare finding in `row` that nobody confirmed.
fn open_checks(
    row: &CaseRow,
    case: &Case,
    confirmed: &HashSet<(String, i64, String)>,
) -> Result<bool> {
    let day = |d: i64| db::patients::date_from(d).map_err(Error::from);
    let day_of = |d: Option<i32>| d.map(|d| day(i64::from(d))).transpose();
    let grade = row
        .grade
        .map(|g| {
            u8::try_from(g).map_err(|_| Error::Internal(format!("stored grade {g} out of range")))
        })
        .transpose()?;
    let report = checks::check(&Subject {
        sex: case.sex,
        birth: Some(day(row.birth_date)?),
        incidence: day(row.incidence)?,
        last_contact: day_of(case.last_contact)?,
        death: day_of(case.death)?,
        topography: &row.topography,
        morphology: case.morphology,
        behaviour: case.behaviour,
        grade,
        basis: case.basis,
    });
    Ok(report.findings.iter().any(|f| {
        matches!(f.outcome, Outcome::Query | Outcome::Rare)
            && !confirmed.contains(&(
                row.tumour_id.clone(),
                row.version,
                f.check.code().to_string(),
            ))
    }))
}

/// The stored tumours of the request's period: in a region, those of its patients and of
/// the patients whose region is not recorded (whom the report counts as not placed).
async fn rows_of(registry: &Registry, filter: &Filter) -> Result<Vec<CaseRow>> {
    let (from, to) = days(filter)?;
    let db = &registry.db;
    Ok(match &filter.region {
        None => db::stats::cases(db, from, to, None).await?,
        Some(region) => {
            let mut rows = db::stats::cases(db, from, to, Some(region)).await?;
            rows.extend(db::stats::unplaced(db, from, to).await?);
            rows
        }
    })
}

/// The tumours of the request's period as cases, with their follow-up outcome when
/// `outcome`: in a region, those of its patients and of the patients whose region is not
/// recorded (whom the report counts as not placed).
async fn gather(registry: &Registry, filter: &Filter, outcome: bool) -> Result<Vec<Case>> {
    let (from, to) = days(filter)?;
    let db = &registry.db;
    let areas = match &filter.region {
        None => vec![(Area::Country, None)],
        Some(region) => vec![(Area::Region(region), Some(region)), (Area::Unplaced, None)],
    };
    // A long period is read as two halves at once, one on each of the reader connections
    // (SQLite's reader pool has two): the read is most of a report's time (docs/benchmarks.md).
    let middle = from + (to - from) / 2;
    let halves: Vec<(i64, i64)> = if to - from > 366 {
        vec![(from, middle), (middle + 1, to)]
    } else {
        vec![(from, to)]
    };
    let reads = areas.iter().flat_map(|&(area, region)| {
        halves.iter().map(move |&(a, b)| async move {
            let rows = db::stats::facts(db, a, b, area, outcome).await?;
            rows.iter()
                .map(|row| fact_of(row, region))
                .collect::<Result<Vec<Case>>>()
        })
    });
    let parts = futures_util::future::try_join_all(reads).await?;
    Ok(parts.into_iter().flatten().collect())
}

/// A stored tumour's facts as a [`Case`] of `region` (the area it was read from).
fn fact_of(row: &FactRow, region: Option<&String>) -> Result<Case> {
    let day = |d: i64| db::patients::date_from(d).map_err(Error::from);
    let small = |v: i64, what: &str| {
        u8::try_from(v).map_err(|_| Error::Internal(format!("stored {what} {v} out of range")))
    };
    let birth = day(row.birth_date)?;
    let incidence = day(row.incidence)?;
    Ok(Case {
        sex: db::patients::enum_from(&row.sex)?,
        age: age_in_years(birth, incidence)
            .and_then(|a| u32::try_from(a).ok())
            .unwrap_or(0),
        year: incidence.to_ymd().map_or(0, |(y, _, _)| y),
        region: region.cloned(),
        facility: String::new(),
        icd10: row.icd10.clone(),
        topography: row.topography.clone(),
        morphology: u16::try_from(row.morphology)
            .map_err(|_| Error::Internal("stored morphology out of range".into()))?,
        behaviour: small(row.behaviour, "behaviour")?,
        basis: small(row.basis, "basis")?,
        stage_group: row.stage_group.clone(),
        decision: row.decision.as_deref().and_then(Decision::from_name),
        incidence: incidence.0,
        death: row.death_date.and_then(|d| i32::try_from(d).ok()),
        last_contact: row.last_contact.and_then(|d| i32::try_from(d).ok()),
        open_checks: false,
    })
}

/// The person-years of the period in the area, by sex and age group; refused when a year of
/// the period has no population for the area.
async fn person_years(registry: &Registry, filter: &Filter) -> Result<Population> {
    let cells = db::stats::population(
        &registry.db,
        i64::from(filter.from_year),
        i64::from(filter.to_year),
    )
    .await?;
    let mut population = Population::EMPTY;
    let mut years = HashSet::new();
    for c in &cells {
        // Regions are compared in lower case, as patients' regions are stored.
        if filter
            .region
            .as_ref()
            .is_some_and(|r| *r != c.area.to_lowercase())
        {
            continue;
        }
        years.insert(c.year);
        let Some(slot) = usize::try_from(c.age_group)
            .ok()
            .filter(|&g| g < AGE_GROUPS)
        else {
            continue;
        };
        let side = if c.sex == "male" {
            &mut population.male
        } else {
            &mut population.female
        };
        side[slot] += c.population as f64;
    }
    let area = filter.region.as_deref().unwrap_or("the country");
    for year in filter.from_year..=filter.to_year {
        if !years.contains(&i64::from(year)) {
            return Err(Error::conflict(
                "no_population",
                format!(
                    "no population for {area} in {year}: import the statistics bureau's file \
                     with `registry-server population --file F`"
                ),
            ));
        }
    }
    Ok(population)
}

/// The incidence report.
///
/// # Errors
/// [`Error::Forbidden`] for other roles, `no_population` when a year has no denominators,
/// database errors.
pub async fn incidence(
    registry: &Registry,
    caller: &Caller,
    request: &Request,
) -> Result<Incidence> {
    let suppress = admit(caller, request)?;
    let population = person_years(registry, &request.filter).await?;
    let cases = gather(registry, &request.filter, false).await?;
    let report = incidence::incidence(&cases, &population, &request.filter, suppress)
        .map_err(stats_error)?;
    audit(registry, caller, "incidence", &request.filter).await?;
    Ok(report)
}

/// The incidence report of the request, and those of males and of females over the same
/// period and area (the desk's charts compare them), from one read of the tumours.
///
/// # Errors
/// As [`incidence()`].
pub async fn incidence_by_sex(
    registry: &Registry,
    caller: &Caller,
    request: &Request,
) -> Result<[Incidence; 3]> {
    let suppress = admit(caller, request)?;
    let population = person_years(registry, &request.filter).await?;
    let mut all = request.filter.clone();
    all.sex = SexFilter::Both;
    let cases = gather(registry, &all, false).await?;
    let report = |sex| {
        let filter = Filter {
            sex,
            ..request.filter.clone()
        };
        incidence::incidence(&cases, &population, &filter, suppress).map_err(stats_error)
    };
    let reports = [
        report(request.filter.sex)?,
        report(SexFilter::Male)?,
        report(SexFilter::Female)?,
    ];
    audit(registry, caller, "incidence", &request.filter).await?;
    Ok(reports)
}

/// The childhood cancer report.
///
/// # Errors
/// As [`incidence()`].
pub async fn childhood(
    registry: &Registry,
    caller: &Caller,
    request: &Request,
    ages: ChildAges,
) -> Result<Childhood> {
    let suppress = admit(caller, request)?;
    let population = person_years(registry, &request.filter).await?;
    let cases = gather(registry, &request.filter, false).await?;
    let report = childhood::childhood(&cases, &population, &request.filter, ages, suppress)
        .map_err(stats_error)?;
    audit(registry, caller, "childhood", &request.filter).await?;
    Ok(report)
}

/// The data quality report.
///
/// # Errors
/// [`Error::Forbidden`] for other roles, database errors.
pub async fn quality(registry: &Registry, caller: &Caller, request: &Request) -> Result<Quality> {
    let suppress = admit(caller, request)?;
    let (from, to) = days(&request.filter)?;
    let confirmed: HashSet<(String, i64, String)> = db::recheck::confirmed(&registry.db)
        .await?
        .into_iter()
        .collect();
    let rows = rows_of(registry, &request.filter).await?;
    let cases = rows
        .iter()
        .map(|r| case_of(r, Some(&confirmed)))
        .collect::<Result<Vec<_>>>()?;
    let deaths = db::stats::deaths(&registry.db, from, to)
        .await?
        .iter()
        .filter_map(|r| {
            let year = r
                .death_date
                .and_then(|d| db::patients::date_from(d).ok()?.to_ymd())?
                .0;
            Some(case_of(r, None).map(|case| Death { case, year }))
        })
        .collect::<Result<Vec<_>>>()?;
    let report = quality::quality(&cases, &deaths, &request.filter, suppress);
    audit(registry, caller, "quality", &request.filter).await?;
    Ok(report)
}

/// The survival report.
///
/// # Errors
/// [`Error::Forbidden`] for other roles, database errors.
pub async fn survival(registry: &Registry, caller: &Caller, request: &Request) -> Result<Survival> {
    let suppress = admit(caller, request)?;
    let cases = gather(registry, &request.filter, true).await?;
    let report = cohort::survival(&cases, &request.filter, suppress);
    audit(registry, caller, "survival", &request.filter).await?;
    Ok(report)
}

/// The areas of the population file (for the desk's choice of region).
///
/// # Errors
/// Database errors.
pub async fn areas(registry: &Registry, caller: &Caller) -> Result<Vec<String>> {
    caller.require(READERS)?;
    Ok(db::stats::areas(&registry.db).await?)
}

/// The years the population file covers, in order (for the desk's default period).
///
/// # Errors
/// [`Error::Forbidden`] for other roles; database errors.
pub async fn years(registry: &Registry, caller: &Caller) -> Result<Vec<i32>> {
    caller.require(READERS)?;
    let imports = db::population::imports(&registry.db).await?;
    let mut years: Vec<i32> = imports
        .iter()
        .filter_map(|i| i32::try_from(i.year).ok())
        .collect();
    years.sort_unstable();
    Ok(years)
}

/// A statistics error is the population and the registry disagreeing.
fn stats_error(e: super::stats::StatsError) -> Error {
    Error::conflict(
        "population_mismatch",
        format!("the population does not cover the registry's cases: {e}"),
    )
}
