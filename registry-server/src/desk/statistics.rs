//! The statistics pages (registrars, statisticians; [`crate::domain::statistics`]):
//! incidence with its four charts drawn by the server ([`super::charts`]: top sites by ASR,
//! age-specific rates, the population pyramid, cases by year), childhood cancer, data quality
//! and survival, each table with the statement of what it counted and, outside the
//! registrar's view, the small cells suppressed and said so under the table. The CSV of any
//! table downloads from `/desk/statistics.csv` (always suppressed).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::charts::{self, Direction, Labels, Series, Value};
use super::{render, Chrome, DeskError, DeskUser, Lang};
use crate::domain::statistics::{self, Request};
use crate::domain::stats::childhood::ChildAges;
use crate::domain::stats::incidence::Incidence;
use crate::domain::stats::report::{Counted, RateRow, SexFilter};
use crate::domain::stats::tables::{self, Table, SUPPRESSED};
use crate::domain::{Error, Registry};

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/statistics", get(page))
        .route("/statistics.csv", get(csv))
}

/// The page's form, as typed (every field optional; defaults from the population file).
#[derive(Debug, Default, Deserialize)]
struct Params {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    sex: Option<String>,
    view: Option<String>,
    ages: Option<String>,
    by: Option<String>,
}

/// The four reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Incidence,
    Childhood,
    Quality,
    Survival,
}

impl View {
    const ALL: [View; 4] = [
        View::Incidence,
        View::Childhood,
        View::Quality,
        View::Survival,
    ];

    fn code(self) -> &'static str {
        match self {
            View::Incidence => "incidence",
            View::Childhood => "childhood",
            View::Quality => "quality",
            View::Survival => "survival",
        }
    }
}

/// The form, read: the view, the filter and the choices to offer.
struct Chosen {
    view: View,
    from: i32,
    to: i32,
    region: String,
    sex: SexFilter,
    ages: ChildAges,
}

impl Chosen {
    fn read(p: &Params, years: &[i32]) -> Chosen {
        let latest = years.last().copied().unwrap_or(2025);
        let year = |v: &Option<String>| {
            v.as_deref()
                .and_then(super::parse_number::<i32>)
                .unwrap_or(latest)
        };
        Chosen {
            view: View::ALL
                .into_iter()
                .find(|v| p.view.as_deref() == Some(v.code()))
                .unwrap_or(View::Incidence),
            from: year(&p.from),
            to: year(&p.to),
            region: p.region.clone().unwrap_or_default(),
            sex: match p.sex.as_deref() {
                Some("male") => SexFilter::Male,
                Some("female") => SexFilter::Female,
                _ => SexFilter::Both,
            },
            ages: if p.ages.as_deref() == Some("0-19") {
                ChildAges::To19
            } else {
                ChildAges::To14
            },
        }
    }

    fn request(&self, sex: SexFilter, file: bool) -> Result<Request, Error> {
        let region = Some(self.region.as_str()).filter(|r| !r.is_empty());
        Request::new(self.from, self.to, region, sex, file)
    }

    /// The query string of this choice with `view` (for the tabs and the CSV links).
    fn query(&self, view: View) -> String {
        format!(
            "view={}&from={}&to={}&region={}&sex={}&ages={}",
            view.code(),
            self.from,
            self.to,
            super::percent_encode(&self.region),
            self.sex.as_str(),
            if self.ages == ChildAges::To19 {
                "0-19"
            } else {
                "0-14"
            }
        )
    }
}

/// A table, display-ready.
struct Shown {
    name: &'static str,
    headers: Vec<String>,
    rows: Vec<tables::Row>,
    csv_href: String,
}

/// What a report counted, display-ready.
struct Statement {
    records: u64,
    included: u64,
    awaiting_review: u64,
    excluded: Vec<(String, u64)>,
    rules: Vec<&'static str>,
    standards: Vec<&'static str>,
    suppressed: bool,
}

#[derive(Template)]
#[template(path = "desk/statistics.html")]
struct StatisticsPage {
    c: Chrome,
    tabs: Vec<(String, &'static str, bool)>,
    from: i32,
    to: i32,
    region: String,
    areas: Vec<(String, bool)>,
    sexes: Vec<(&'static str, bool)>,
    sex_key: String,
    view: &'static str,
    age_options: Vec<(&'static str, bool)>,
    problem: Option<String>,
    charts: Vec<String>,
    tables: Vec<Shown>,
    statement: Option<Statement>,
}

/// `GET /desk/statistics`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(statistics::READERS)?;
    let years = statistics::years(&state, &user.caller)
        .await
        .map_err(|e| user.fail(e))?;
    let areas = statistics::areas(&state, &user.caller)
        .await
        .map_err(|e| user.fail(e))?;
    let chosen = Chosen::read(&params, &years);
    let mut page = StatisticsPage {
        // The language switch comes back to the same report, filter and all.
        c: Chrome::for_user(
            &user,
            &format!("/desk/statistics?{}", chosen.query(chosen.view)),
            "stats.title",
            "/desk/statistics",
        ),
        tabs: View::ALL
            .iter()
            .map(|&v| (chosen.query(v), v.code(), v == chosen.view))
            .collect(),
        from: chosen.from,
        to: chosen.to,
        region: chosen.region.clone(),
        areas: areas
            .into_iter()
            .map(|a| {
                let chosen = a == chosen.region;
                (a, chosen)
            })
            .collect(),
        sexes: ["both", "male", "female"]
            .map(|s| (s, s == chosen.sex.as_str()))
            .to_vec(),
        sex_key: format!("stats.sex.{}", chosen.sex.as_str()),
        view: chosen.view.code(),
        age_options: [("0-14", ChildAges::To14), ("0-19", ChildAges::To19)]
            .map(|(s, a)| (s, a == chosen.ages))
            .to_vec(),
        problem: None,
        charts: Vec::new(),
        tables: Vec::new(),
        statement: None,
    };
    match fill(&state, &user, &chosen, &mut page).await {
        Ok(()) => {}
        Err(Error::Conflict { message, .. }) => page.problem = Some(message),
        Err(Error::Validation { message, field }) => {
            page.problem = Some(format!("{field}: {message}"));
        }
        Err(e) => return Err(user.fail(e)),
    }
    render(user.lang, StatusCode::OK, &page)
}

/// A report built for the page or a CSV file: what it counted, its tables (each with the
/// `by` that names it in a CSV link) and, for incidence, the reports of both sexes, of
/// males and of females (the charts).
struct Built {
    counted: Counted,
    tables: Vec<(Table, &'static str)>,
    incidence: Option<[Incidence; 3]>,
}

/// Builds the chosen report; `file` when it leaves as a CSV file (then suppressed).
async fn build(
    state: &Registry,
    caller: &crate::auth::Caller,
    chosen: &Chosen,
    file: bool,
) -> Result<Built, Error> {
    let request = chosen.request(chosen.sex, file)?;
    Ok(match chosen.view {
        View::Incidence => {
            let reports = statistics::incidence_by_sex(state, caller, &request).await?;
            let [sites, topography] = tables::incidence(&reports[0]);
            Built {
                counted: reports[0].counted.clone(),
                tables: vec![(sites, "site"), (topography, "topography")],
                incidence: Some(reports),
            }
        }
        View::Childhood => {
            let report = statistics::childhood(state, caller, &request, chosen.ages).await?;
            Built {
                tables: vec![(tables::childhood(&report), "site")],
                counted: report.counted,
                incidence: None,
            }
        }
        View::Quality => {
            let report = statistics::quality(state, caller, &request).await?;
            let [sites, facilities] = tables::quality(&report);
            Built {
                counted: report.counted,
                tables: vec![(sites, "site"), (facilities, "facility")],
                incidence: None,
            }
        }
        View::Survival => {
            let report = statistics::survival(state, caller, &request).await?;
            Built {
                tables: vec![(tables::survival(&report), "site")],
                counted: report.counted,
                incidence: None,
            }
        }
    })
}

/// Builds the chosen report's charts, tables and statement into `page`.
async fn fill(
    state: &Registry,
    user: &DeskUser,
    chosen: &Chosen,
    page: &mut StatisticsPage,
) -> Result<(), Error> {
    let built = build(state, &user.caller, chosen, false).await?;
    if let Some([report, male, female]) = &built.incidence {
        page.charts = incidence_charts(user.lang, report, male, female);
    }
    page.tables = built
        .tables
        .into_iter()
        .map(|(t, by)| Shown {
            name: t.name,
            headers: t.columns.iter().map(|c| header_of(user.lang, c)).collect(),
            rows: t.rows,
            csv_href: format!("/desk/statistics.csv?{}&by={by}", chosen.query(chosen.view)),
        })
        .collect();
    page.statement = Some(statement(user.lang, &built.counted));
    Ok(())
}

/// A column's header in the page's language: an age group as it is, else its message.
fn header_of(lang: Lang, column: &str) -> String {
    if let Some(group) = column.strip_prefix("rate_") {
        return group.to_string();
    }
    lang.try_t(&format!("stats.col.{column}"))
        .unwrap_or(column)
        .to_string()
}

fn statement(lang: Lang, counted: &Counted) -> Statement {
    Statement {
        records: counted.records,
        included: counted.included,
        awaiting_review: counted.awaiting_review,
        excluded: counted
            .excluded
            .iter()
            .map(|e| {
                let text = lang
                    .try_t(&format!("stats.reason.{}", e.reason))
                    .unwrap_or(e.text);
                (text.to_string(), e.count)
            })
            .collect(),
        rules: counted.rules.clone(),
        standards: counted.standards.clone(),
        suppressed: counted.suppression.is_some(),
    }
}

/// A cell of a report as a chart value.
fn value(v: Option<f64>, suppressed: bool) -> Value {
    match v {
        Some(v) => Value::Shown(v),
        None if suppressed => Value::Suppressed,
        None => Value::Missing,
    }
}

fn world(row: &RateRow) -> Value {
    value(row.asr.first().map(|a| a.rate), row.suppressed)
}

/// The four charts of the incidence view.
fn incidence_charts(
    lang: Lang,
    report: &Incidence,
    male: &Incidence,
    female: &Incidence,
) -> Vec<String> {
    let dir = if lang == Lang::Ar {
        Direction::Rtl
    } else {
        Direction::Ltr
    };
    let t = |k: &'static str| lang.t(k);
    let name = |r: &RateRow| {
        if lang == Lang::Ar {
            r.name_ar.clone()
        } else {
            r.name.clone()
        }
    };
    let labels = |title| Labels {
        title,
        unit: t("stats.per_100000"),
        suppressed: SUPPRESSED,
    };
    // The ten sites of highest world ASR in the report's sex, then (as placeholders, so the
    // hiding shows) the sites whose rows are suppressed, ten in all.
    let mut top: Vec<&RateRow> = report.sites.iter().filter(|r| r.rank.is_some()).collect();
    top.sort_by_key(|r| r.rank);
    top.extend(report.sites.iter().filter(|r| r.suppressed));
    top.truncate(10);
    let find = |rows: &[RateRow], key: &str| rows.iter().find(|r| r.key == key).cloned();
    let series = |rows: &[RateRow], label| Series {
        name: label,
        values: top
            .iter()
            .map(|r| find(rows, &r.key).map_or(Value::Missing, |row| world(&row)))
            .collect(),
    };
    let categories: Vec<String> = top.iter().map(|r| name(r)).collect();
    let category_refs: Vec<&str> = categories.iter().map(String::as_str).collect();
    let bars = charts::bars(
        &labels(t("stats.chart.top_sites")),
        &category_refs,
        &[
            series(&male.sites, t("stats.males")),
            series(&female.sites, t("stats.females")),
        ],
        dir,
    );
    let groups: Vec<&str> = report.age_groups.iter().map(String::as_str).collect();
    let curve = |r: &Incidence, label| Series {
        name: label,
        values: r.totals.first().map_or_else(Vec::new, |row| {
            row.age_rates.iter().map(|v| value(*v, true)).collect()
        }),
    };
    let lines = charts::lines(
        &labels(t("stats.chart.age_rates")),
        &groups,
        &[
            curve(male, t("stats.males")),
            curve(female, t("stats.females")),
        ],
        dir,
    );
    let people = |side: &[f64; 18], label| Series {
        name: label,
        values: side.iter().map(|&p| Value::Shown(p)).collect(),
    };
    let pyramid = charts::pyramid(
        &Labels {
            title: t("stats.chart.pyramid"),
            unit: t("stats.person_years"),
            suppressed: SUPPRESSED,
        },
        &groups,
        &people(&report.population.male, t("stats.males")),
        &people(&report.population.female, t("stats.females")),
        dir,
    );
    let years: Vec<String> = report.by_year.iter().map(|y| y.year.to_string()).collect();
    let year_refs: Vec<&str> = years.iter().map(String::as_str).collect();
    let columns = charts::columns(
        &Labels {
            title: t("stats.chart.by_year"),
            unit: t("stats.cases"),
            suppressed: SUPPRESSED,
        },
        &year_refs,
        &Series {
            name: t("stats.cases"),
            values: report
                .by_year
                .iter()
                .map(|y| value(y.cases.map(|c| c as f64), true))
                .collect(),
        },
        dir,
    );
    vec![bars, lines, pyramid, columns]
}

/// `GET /desk/statistics.csv`: one table of the chosen report, suppressed (a file leaves the
/// registry).
async fn csv(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(statistics::READERS)?;
    let years = statistics::years(&state, &user.caller)
        .await
        .map_err(|e| user.fail(e))?;
    let chosen = Chosen::read(&params, &years);
    let by = params.by.as_deref().unwrap_or("site");
    let built = build(&state, &user.caller, &chosen, true)
        .await
        .map_err(|e| user.fail(e))?;
    let counted = built.counted;
    let mut tables = built.tables.into_iter();
    let first = tables.next();
    let table = match tables.find(|(_, b)| *b == by).or(first) {
        Some((table, _)) => table,
        None => return Err(user.fail(Error::Internal("a report without a table".into()))),
    };
    let mut body = Vec::new();
    tables::write_csv(&mut body, &counted, &table)
        .map_err(|e| user.fail(Error::Internal(format!("writing CSV: {e}"))))?;
    Ok(super::csv_download(&format!("{}.csv", table.name), body))
}
