//! The watch page (issue #14, inspectors; [`crate::domain::watch`]): one patient's medicine
//! at two pharmacies within an interval, facilities that handed out more than they took in,
//! dispensings dated before their card or authorisation, authorisations corrected upward
//! shortly before a dispensing, and each facility's conflict, refusal and stock-refusal
//! rates, each row with the audit entries behind it. The same rows download as
//! CSV from `/desk/watch.csv`. Reading the page is audited as the API's `watch.read`.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{parse_number, render, time_of, Chrome, DeskError, DeskUser, Lang};
use crate::domain::demand::csv_field;
use crate::domain::watch::{self, AuditLink, Served, Watch};
use crate::domain::Registry;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/watch", get(page))
        .route("/watch.csv", get(csv))
}

/// `?days=` (default 90) and `?interval_days=` (default 7).
#[derive(Debug, Default, Deserialize)]
struct Params {
    days: Option<String>,
    interval_days: Option<String>,
}

impl Params {
    fn read(&self) -> (u32, u32) {
        let days = self
            .days
            .as_deref()
            .and_then(parse_number::<u32>)
            .filter(|d| (1..=366).contains(d))
            .unwrap_or(90);
        let interval = self
            .interval_days
            .as_deref()
            .and_then(parse_number::<u32>)
            .filter(|d| (1..=90).contains(d))
            .unwrap_or(7);
        (days, interval)
    }
}

/// A dispensing as the page shows it.
#[derive(Debug)]
struct ServedView {
    facility: String,
    at: String,
    authorisation: i64,
}

fn served(s: &Served) -> ServedView {
    ServedView {
        facility: s.facility_code.clone(),
        at: time_of(s.at),
        authorisation: s.authorisation_id,
    }
}

/// The audit entries of a row: `#seq action`, comma separated.
fn audit_text(links: &[AuditLink]) -> String {
    links
        .iter()
        .map(|a| format!("#{} {}", a.seq, a.action))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug)]
struct PairView {
    atc: String,
    first: ServedView,
    second: ServedView,
    hours: i64,
    audit: String,
}

#[derive(Debug)]
struct BeforeView {
    dispensing: ServedView,
    card_issued: String,
    authorised: String,
    audit: String,
}

#[derive(Debug)]
struct RaisedView {
    dispensing: ServedView,
    corrected: String,
    by: String,
    quantity: String,
    dispensings: String,
    hours: i64,
    audit: String,
}

#[derive(Debug)]
struct RateView {
    facility: String,
    dispensings: i64,
    conflicts: i64,
    rate: String,
    refusals: i64,
    refusal_rate: String,
    stock_refusals: i64,
    unusual: bool,
}

#[derive(Debug)]
struct OverdrawnView {
    facility: String,
    medicine: String,
    taken_in: i64,
    handed_out: i64,
    excess: i64,
}

#[derive(Template)]
#[template(path = "desk/watch.html")]
struct WatchPage {
    c: Chrome,
    days: u32,
    interval_days: u32,
    pairs: Vec<PairView>,
    overdrawn: Vec<OverdrawnView>,
    before: Vec<BeforeView>,
    raised: Vec<RaisedView>,
    rates: Vec<RateView>,
    csv_href: String,
}

fn form_label(lang: Lang, form: &str) -> String {
    lang.try_t(&format!("doseform.{form}"))
        .map_or_else(|| form.to_owned(), String::from)
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or(String::new(), |r| format!("{:.1}%", r * 100.0))
}

/// `GET /desk/watch`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(watch::READERS)?;
    let lang = user.lang;
    let (days, interval_days) = params.read();
    let w = watch::watch(&state, &user.caller, days, interval_days)
        .await
        .map_err(|e| user.fail(e))?;
    let page = WatchPage {
        c: Chrome::for_user(
            &user,
            &format!("/desk/watch?days={days}&interval_days={interval_days}"),
            "watch.title",
            "/desk/watch",
        ),
        days,
        interval_days,
        pairs: w
            .two_pharmacies
            .iter()
            .map(|p| PairView {
                atc: p.atc.clone(),
                first: served(&p.first),
                second: served(&p.second),
                hours: p.hours_apart,
                audit: audit_text(&p.audit),
            })
            .collect(),
        overdrawn: w
            .overdrawn
            .iter()
            .map(|o| OverdrawnView {
                facility: o.facility_code.clone(),
                medicine: format!("{} {} · {}", o.atc, o.strength, form_label(lang, &o.form)),
                taken_in: o.taken_in,
                handed_out: o.handed_out,
                excess: o.excess,
            })
            .collect(),
        before: w
            .before_card
            .iter()
            .map(|b| BeforeView {
                dispensing: served(&b.dispensing),
                card_issued: time_of(b.card_issued_at),
                authorised: b.authorised_at.map_or(String::new(), time_of),
                audit: audit_text(&b.audit),
            })
            .collect(),
        raised: w
            .raised
            .iter()
            .map(|r| RaisedView {
                dispensing: served(&r.dispensing),
                corrected: time_of(r.corrected_at),
                by: r.corrected_by.clone(),
                quantity: format!("{} → {}", r.quantity_before, r.quantity_after),
                dispensings: format!("{} → {}", r.dispensings_before, r.dispensings_after),
                hours: r.hours_after,
                audit: audit_text(&r.audit),
            })
            .collect(),
        rates: w
            .conflicts
            .iter()
            .map(|o| RateView {
                facility: o.facility_code.clone(),
                dispensings: o.dispensings,
                conflicts: o.conflicts,
                rate: percent(o.conflict_rate),
                refusals: o.refusals,
                refusal_rate: percent(o.refusal_rate),
                stock_refusals: o.stock_refusals,
                unusual: o.unusual,
            })
            .collect(),
        csv_href: format!("/desk/watch.csv?days={days}&interval_days={interval_days}"),
    };
    render(lang, StatusCode::OK, &page)
}

/// The watch as one CSV table: a row per finding, its kind first.
fn to_csv(w: &Watch) -> String {
    let mut out = format!(
        "# watch of the last {} days; two pharmacies within {} days\n\
         kind,facility,other_facility,atc,authorisation,other_authorisation,at,other_at,quantity,other_quantity,rate,audit\n",
        w.days, w.interval_days
    );
    for p in &w.two_pharmacies {
        let _ = writeln!(
            out,
            "two_pharmacies,{},{},{},{},{},{},{},,,,{}",
            csv_field(&p.first.facility_code),
            csv_field(&p.second.facility_code),
            p.atc,
            p.first.authorisation_id,
            p.second.authorisation_id,
            time_of(p.first.at),
            time_of(p.second.at),
            csv_field(&audit_text(&p.audit)),
        );
    }
    for o in &w.overdrawn {
        let _ = writeln!(
            out,
            "overdrawn,{},,{},,,,,{},{},,",
            csv_field(&o.facility_code),
            o.atc,
            o.handed_out,
            o.taken_in,
        );
    }
    for b in &w.before_card {
        let _ = writeln!(
            out,
            "before_card,{},,,{},,{},{},,,,{}",
            csv_field(&b.dispensing.facility_code),
            b.dispensing.authorisation_id,
            time_of(b.dispensing.at),
            time_of(b.authorised_at.unwrap_or(b.card_issued_at)),
            csv_field(&audit_text(&b.audit)),
        );
    }
    for r in &w.raised {
        let _ = writeln!(
            out,
            "raised,{},,,{},,{},{},{},{},,{}",
            csv_field(&r.dispensing.facility_code),
            r.authorisation_id,
            time_of(r.dispensing.at),
            time_of(r.corrected_at),
            r.quantity_after,
            r.quantity_before,
            csv_field(&audit_text(&r.audit)),
        );
    }
    let rate = |r: Option<f64>| r.map_or(String::new(), |r| format!("{r:.4}"));
    for o in w.conflicts.iter().filter(|o| o.unusual) {
        let _ = writeln!(
            out,
            "unusual_conflicts,{},,,,,,,{},{},{},",
            csv_field(&o.facility_code),
            o.conflicts,
            o.dispensings,
            rate(o.conflict_rate),
        );
        let _ = writeln!(
            out,
            "unusual_refusals,{},,,,,,,{},{},{},",
            csv_field(&o.facility_code),
            o.refusals,
            o.dispensings + o.refusals,
            rate(o.refusal_rate),
        );
    }
    out
}

/// `GET /desk/watch.csv`
async fn csv(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(watch::READERS)?;
    let (days, interval_days) = params.read();
    let w = watch::watch(&state, &user.caller, days, interval_days)
        .await
        .map_err(|e| user.fail(e))?;
    Ok(super::csv_download("watch.csv", to_csv(&w)))
}
