//! The demand pages (issue #14; [`crate::domain::demand`]): for a facility, each medicine's
//! expected demand over the months ahead (due on authorisations, and for the expected new
//! cases) beside its stock on hand, the OpenLMIS consumption measures, the expected
//! stock-out date and the orders proposed, with a chart of the projected stock against the
//! demand per medicine; for a supply officer, also the national roll-up by region. Both
//! download as CSV from `/desk/demand.csv` (`?view=regions` for the roll-up).
//!
//! Supply officers read every facility; a pharmacist reads their own.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::charts::{self, Direction, Labels, Series, Value};
use super::{parse_number, render, Chrome, DeskError, DeskUser, Lang};
use crate::auth::Role;
use crate::db;
use crate::domain::demand::{self, DemandLine, DemandReport};
use crate::domain::Registry;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/demand", get(page))
        .route("/demand.csv", get(csv))
}

/// Charts drawn on one page at most (the table holds every line).
const MAX_CHARTS: usize = 24;

/// `?facility=` (none: the whole country, for a supply officer), `?months=` (default 6),
/// `?view=regions` (the CSV of the roll-up).
#[derive(Debug, Default, Deserialize)]
struct Params {
    facility: Option<String>,
    months: Option<String>,
    view: Option<String>,
}

/// One facility × medicine as the page shows it.
#[derive(Debug)]
struct LineView {
    facility: String,
    facility_href: String,
    region: String,
    medicine: String,
    atc: String,
    on_hand: String,
    months: Vec<(u64, u64, u64)>,
    amc: String,
    months_of_stock: String,
    maximum_stock: u64,
    openlmis_order: u64,
    proposed_order: u64,
    stockout: String,
    /// Whether the stock-out date is a date (for the page's emphasis).
    runs_out: bool,
}

/// One region × medicine.
#[derive(Debug)]
struct RegionView {
    region: String,
    medicine: String,
    facilities: u64,
    on_hand: u64,
    totals: Vec<u64>,
    openlmis_order: u64,
    proposed_order: u64,
    first_stockout: String,
}

#[derive(Template)]
#[template(path = "desk/demand.html")]
struct DemandPage {
    c: Chrome,
    /// The facility shown, or empty for the whole country.
    facility: String,
    /// Facilities a supply officer may choose (empty for a pharmacist).
    facilities: Vec<(String, String)>,
    months: u32,
    month_labels: Vec<String>,
    today: String,
    unplaced: u64,
    lines: Vec<LineView>,
    regions: Vec<RegionView>,
    charts: Vec<String>,
    csv_href: String,
    regions_csv_href: String,
}

fn months_of(params: &Params) -> u32 {
    params
        .months
        .as_deref()
        .and_then(parse_number::<u32>)
        .filter(|m| (1..=12).contains(m))
        .unwrap_or(6)
}

/// The facility asked for: a pharmacist's own; for a supply officer the one asked for, or
/// none (the whole country).
fn facility_of(user: &DeskUser, params: &Params) -> Option<String> {
    if user.caller.role == Role::Pharmacist {
        return Some(user.caller.facility_code.clone());
    }
    params.facility.clone().filter(|f| !f.is_empty())
}

fn form_label(lang: Lang, form: &str) -> String {
    lang.try_t(&format!("doseform.{form}"))
        .map_or_else(|| form.to_owned(), String::from)
}

fn line_view(lang: Lang, l: &DemandLine, months: u32) -> LineView {
    LineView {
        facility_href: format!(
            "/desk/demand?facility={}&months={months}",
            super::percent_encode(&l.facility_code)
        ),
        facility: l.facility_code.clone(),
        region: l.region.clone(),
        medicine: format!("{} {} · {}", l.atc, l.strength, form_label(lang, &l.form)),
        atc: l.atc.clone(),
        on_hand: if l.keeps_stock {
            l.on_hand.to_string()
        } else {
            lang.t("demand.unknown_stock").to_owned()
        },
        months: l
            .months
            .iter()
            .map(|m| (m.due, m.new_cases, m.total))
            .collect(),
        amc: l
            .average_monthly_consumption
            .map_or(String::new(), |p| p.to_string()),
        months_of_stock: l
            .months_of_stock
            .map_or(String::new(), |m| format!("{m:.1}")),
        maximum_stock: l.maximum_stock,
        openlmis_order: l.openlmis_order,
        proposed_order: l.proposed_order,
        runs_out: l.stockout_date.is_some(),
        stockout: match (l.keeps_stock, l.stockout_date) {
            (false, _) => String::new(),
            (true, Some(d)) => d.to_string(),
            (true, None) => lang.t("demand.outlasts").to_owned(),
        },
    }
}

/// The chart of one line: the stock projected at the start of each month (on hand less the
/// demand of the months before, not below 0; only where the facility keeps its stock in the
/// registry) against the month's expected demand.
fn chart(lang: Lang, l: &DemandLine) -> String {
    let x: Vec<&str> = l.months.iter().map(|m| m.month.as_str()).collect();
    let demand = Series {
        name: lang.t("demand.series.demand"),
        values: l
            .months
            .iter()
            .map(|m| Value::Shown(m.total as f64))
            .collect(),
    };
    let mut series = Vec::new();
    if l.keeps_stock {
        let mut left = l.on_hand;
        let mut values = Vec::new();
        for m in &l.months {
            values.push(Value::Shown(left as f64));
            left = left.saturating_sub(m.total);
        }
        series.push(Series {
            name: lang.t("demand.series.stock"),
            values,
        });
    }
    series.push(demand);
    let title = format!(
        "{}: {} {} · {} ({})",
        lang.t("demand.chart.title"),
        l.atc,
        l.strength,
        form_label(lang, &l.form),
        l.facility_code
    );
    let labels = Labels {
        title: &title,
        unit: lang.t("demand.chart.unit"),
        suppressed: "",
    };
    let dir = if lang == Lang::Ar {
        Direction::Rtl
    } else {
        Direction::Ltr
    };
    charts::lines(&labels, &x, &series, dir)
}

async fn report(
    state: &Registry,
    user: &DeskUser,
    facility: Option<&str>,
    months: u32,
) -> Result<DemandReport, DeskError> {
    demand::report(
        state,
        &user.caller,
        facility,
        months,
        &state.settings.regimens,
    )
    .await
    .map_err(|e| user.fail(e))
}

/// `GET /desk/demand`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(demand::READERS)?;
    let lang = user.lang;
    let months = months_of(&params);
    let facility = facility_of(&user, &params);
    let r = report(&state, &user, facility.as_deref(), months).await?;
    let facilities = if user.caller.role == Role::Pharmacist {
        Vec::new()
    } else {
        db::users::list_facilities(&state.db)
            .await
            .map_err(|e| user.fail(e.into()))?
            .into_iter()
            .map(|f| (f.code.clone(), format!("{} · {}", f.code, f.name)))
            .collect()
    };
    let here = match &facility {
        Some(f) => format!(
            "/desk/demand?facility={}&months={months}",
            super::percent_encode(f)
        ),
        None => format!("/desk/demand?months={months}"),
    };
    let query = match &facility {
        Some(f) => format!("facility={}&months={months}", super::percent_encode(f)),
        None => format!("months={months}"),
    };
    let page = DemandPage {
        c: Chrome::for_user(&user, &here, "demand.title", "/desk/demand"),
        month_labels: r
            .lines
            .first()
            .map(|l| l.months.iter().map(|m| m.month.clone()).collect())
            .unwrap_or_default(),
        today: r.today.to_string(),
        unplaced: r.unplaced,
        charts: if facility.is_some() {
            r.lines
                .iter()
                .take(MAX_CHARTS)
                .map(|l| chart(lang, l))
                .collect()
        } else {
            Vec::new()
        },
        lines: r.lines.iter().map(|l| line_view(lang, l, months)).collect(),
        regions: if facility.is_none() {
            r.regions
                .iter()
                .map(|g| RegionView {
                    region: g.region.clone(),
                    medicine: format!("{} {} · {}", g.atc, g.strength, form_label(lang, &g.form)),
                    facilities: g.facilities,
                    on_hand: g.on_hand,
                    totals: g.months.iter().map(|m| m.total).collect(),
                    openlmis_order: g.openlmis_order,
                    proposed_order: g.proposed_order,
                    first_stockout: g.first_stockout.map_or(String::new(), |d| d.to_string()),
                })
                .collect()
        } else {
            Vec::new()
        },
        csv_href: format!("/desk/demand.csv?{query}"),
        regions_csv_href: format!("/desk/demand.csv?months={months}&view=regions"),
        facility: facility.unwrap_or_default(),
        facilities,
        months,
    };
    render(lang, StatusCode::OK, &page)
}

/// `GET /desk/demand.csv`: the facility lines, or with `view=regions` the roll-up.
async fn csv(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(demand::READERS)?;
    let months = months_of(&params);
    let facility = facility_of(&user, &params);
    let r = report(&state, &user, facility.as_deref(), months).await?;
    let (body, name) = if params.view.as_deref() == Some("regions") {
        (r.regions_to_csv(), "demand-regions.csv")
    } else {
        (r.to_csv(), "demand.csv")
    };
    Ok(super::csv_download(name, body))
}
