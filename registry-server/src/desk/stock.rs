//! The stock pages (issue #14; [`crate::domain::stock`]): a facility's stock on hand by
//! medicine and batch, the transfers on their way to it and the ones it sent, and, for its
//! pharmacist, the forms that move stock: receive from a supplier, count a batch, adjust one
//! with a reason, send a transfer, record a transfer's arrival. Supply officers read every
//! facility's stock (no forms). One medicine's ledger is `/desk/stock/ledger`; the batches
//! download as CSV from `/desk/stock.csv`.
//!
//! The forms parse into the API's own inputs and call the same operations, so validation,
//! the ledger's rules and the audit entries are the API's. Each form carries an idempotency
//! key made when the page is rendered (submitting it twice records one movement); a movement
//! recorded redirects to the page with what was done (post, redirect, get), and a refused one
//! shows the form again with what was typed and the error beside its field.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use card_format::model::DoseForm;
use serde::Deserialize;

use super::record::labelled;
use super::{date_of, render, time_of, Chrome, DeskError, DeskUser};
use super::{FormState, Lang};
use crate::auth::Role;
use crate::db;
use crate::domain::access::random_secret;
use crate::domain::demand::csv_field;
use crate::domain::stock::{self, FacilityStock, Medicine, Transfer};
use crate::domain::Registry;

mod moves;

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/stock", get(page))
        .route("/stock.csv", get(csv))
        .route("/stock/ledger", get(ledger))
        .route("/stock/receive", post(moves::receive))
        .route("/stock/count", post(moves::count))
        .route("/stock/adjust", post(moves::adjust))
        .route("/stock/transfer", post(moves::transfer))
        .route("/stock/arrive", post(moves::arrive))
}

/// The adjustment reasons.
const REASONS: &[&str] = &["expired", "damaged", "lost", "found", "correction"];

/// `?facility=`: whose stock (a pharmacist's own whatever it says); `?done=`: what was done.
#[derive(Debug, Default, Deserialize)]
struct Params {
    facility: Option<String>,
    done: Option<String>,
}

/// A batch as the page shows it.
#[derive(Debug)]
struct BatchView {
    lot: String,
    expiry: String,
    on_hand: i64,
    expired: bool,
}

/// A medicine's stock as the page shows it.
#[derive(Debug)]
struct ItemView {
    atc: String,
    strength: String,
    form: String,
    on_hand: i64,
    usable: i64,
    batches: Vec<BatchView>,
    ledger_href: String,
}

/// A transfer as the page shows it.
#[derive(Debug)]
struct TransferView {
    id: String,
    medicine: String,
    lot: String,
    from: String,
    to: String,
    sent: String,
    quantity: i64,
    arrived: String,
    status: &'static str,
}

/// The four movement forms, each with what was typed and its errors.
#[derive(Debug)]
struct Forms {
    receipt: FormState,
    count: FormState,
    adjustment: FormState,
    transfer: FormState,
}

impl Forms {
    fn new() -> Forms {
        Forms {
            receipt: FormState::new("rc"),
            count: FormState::new("ct"),
            adjustment: FormState::new("ad"),
            transfer: FormState::new("tr"),
        }
    }
}

#[derive(Template)]
#[template(path = "desk/stock.html")]
struct StockPage {
    c: Chrome,
    csrf: String,
    facility: String,
    /// Facilities a supply officer may choose (empty for a pharmacist).
    facilities: Vec<(String, String)>,
    /// Whether the forms are shown (the facility's own pharmacist).
    can_move: bool,
    keeps_stock: bool,
    items: Vec<ItemView>,
    batches: Vec<(String, String)>,
    arrivals: Vec<TransferView>,
    transfers: Vec<TransferView>,
    forms: Forms,
    dose_forms: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    destinations: Vec<(String, String)>,
    key: String,
    done: Option<&'static str>,
    error: Option<String>,
    csv_href: String,
}

/// The facility a request is about: a pharmacist's own; for a supply officer the one asked
/// for, or else the first.
fn facility_of(user: &DeskUser, asked: Option<&str>, all: &[db::users::Facility]) -> String {
    if user.caller.role == Role::Pharmacist {
        return user.caller.facility_code.clone();
    }
    asked
        .filter(|a| all.iter().any(|f| f.code == *a))
        .map(str::to_owned)
        .or_else(|| {
            all.iter()
                .find(|f| f.kind == "pharmacy" || f.kind == "oncology_centre")
                .map(|f| f.code.clone())
        })
        .unwrap_or_else(|| user.caller.facility_code.clone())
}

fn form_label(lang: Lang, form: &str) -> String {
    lang.try_t(&format!("doseform.{form}"))
        .map_or_else(|| form.to_owned(), String::from)
}

fn form_code(form: DoseForm) -> String {
    match serde_json::to_value(form) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn transfer_view(lang: Lang, t: &Transfer) -> TransferView {
    TransferView {
        id: t.id.clone(),
        medicine: format!(
            "{} {} · {}",
            t.medicine.atc,
            t.medicine.strength,
            form_label(lang, &form_code(t.medicine.form))
        ),
        lot: t.lot.clone(),
        from: t.from_facility.clone(),
        to: t.to_facility.clone(),
        sent: time_of(t.sent_at),
        quantity: t.quantity,
        arrived: t.received_quantity.map_or(String::new(), |q| q.to_string()),
        status: if t.received_at.is_some() {
            "transfer.received"
        } else {
            "transfer.in_transit"
        },
    }
}

/// `atc|form|lot|strength`: a batch in the adjustment and transfer forms' lists (the
/// strength last, as the only part that may hold a `|`).
fn batch_value(atc: &str, form: &str, lot: &str, strength: &str) -> String {
    format!("{atc}|{form}|{lot}|{strength}")
}

/// The medicine and lot of a batch value.
fn parse_batch(value: &str) -> Option<(Medicine, String)> {
    let mut parts = value.splitn(4, '|');
    let (atc, form, lot, strength) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((
        Medicine {
            atc: atc.to_owned(),
            strength: strength.to_owned(),
            form: dose_form(form)?,
        },
        lot.to_owned(),
    ))
}

fn dose_form(code: &str) -> Option<DoseForm> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// The page for `facility` with `forms` as typed.
async fn stock_page(
    state: &Registry,
    user: &DeskUser,
    asked: Option<&str>,
    forms: Forms,
) -> Result<StockPage, DeskError> {
    let lang = user.lang;
    let all = db::users::list_facilities(&state.db)
        .await
        .map_err(|e| user.fail(e.into()))?;
    let facility = facility_of(user, asked, &all);
    let held: FacilityStock = stock::stock(state, &user.caller, &facility)
        .await
        .map_err(|e| user.fail(e))?;
    let moved = stock::transfers(state, &user.caller, &facility)
        .await
        .map_err(|e| user.fail(e))?;
    let mut items = Vec::new();
    let mut batches = vec![(String::new(), "—".to_owned())];
    for i in &held.items {
        let form = form_code(i.medicine.form);
        for b in &i.batches {
            batches.push((
                batch_value(&i.medicine.atc, &form, &b.lot, &i.medicine.strength),
                format!(
                    "{} {} · {} · {} ({})",
                    i.medicine.atc, i.medicine.strength, b.lot, b.expiry, b.on_hand
                ),
            ));
        }
        items.push(ItemView {
            ledger_href: format!(
                "/desk/stock/ledger?facility={}&atc={}&strength={}&form={form}",
                super::percent_encode(&facility),
                super::percent_encode(&i.medicine.atc),
                super::percent_encode(&i.medicine.strength),
            ),
            atc: i.medicine.atc.clone(),
            strength: i.medicine.strength.clone(),
            form: form_label(lang, &form),
            on_hand: i.on_hand,
            usable: i.usable,
            batches: i
                .batches
                .iter()
                .map(|b| BatchView {
                    lot: b.lot.clone(),
                    expiry: b.expiry.to_string(),
                    on_hand: b.on_hand,
                    expired: b.expired,
                })
                .collect(),
        });
    }
    let (arrivals, transfers): (Vec<&Transfer>, Vec<&Transfer>) = moved
        .iter()
        .partition(|t| t.to_facility == facility && t.received_at.is_none());
    let mut destinations = vec![(String::new(), "—".to_owned())];
    destinations.extend(
        all.iter()
            .filter(|f| f.code != facility && f.kind != "insurer" && f.kind != "ministry")
            .map(|f| (f.code.clone(), format!("{} · {}", f.code, f.name))),
    );
    let can_move = user.caller.role == Role::Pharmacist && user.caller.facility_code == facility;
    Ok(StockPage {
        c: Chrome::for_user(user, "/desk/stock", "stock.title", "/desk/stock"),
        csrf: user.csrf.clone(),
        facilities: if user.caller.role == Role::Pharmacist {
            Vec::new()
        } else {
            all.iter()
                .map(|f| (f.code.clone(), format!("{} · {}", f.code, f.name)))
                .collect()
        },
        csv_href: format!(
            "/desk/stock.csv?facility={}",
            super::percent_encode(&facility)
        ),
        facility,
        can_move,
        keeps_stock: held.keeps_stock,
        items,
        batches,
        arrivals: arrivals.iter().map(|t| transfer_view(lang, t)).collect(),
        transfers: transfers.iter().map(|t| transfer_view(lang, t)).collect(),
        forms,
        dose_forms: labelled(lang, "doseform", &DoseForm::CODES, true),
        reasons: labelled(lang, "reason", REASONS, true),
        destinations,
        key: random_secret(),
        done: None,
        error: None,
    })
}

/// `GET /desk/stock`
async fn page(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(stock::READERS)?;
    let mut page = stock_page(&state, &user, params.facility.as_deref(), Forms::new()).await?;
    page.done = match params.done.as_deref() {
        Some("received") => Some("stock.done.received"),
        Some("counted") => Some("stock.done.counted"),
        Some("adjusted") => Some("stock.done.adjusted"),
        Some("sent") => Some("stock.done.sent"),
        Some("arrived") => Some("stock.done.arrived"),
        Some("replayed") => Some("stock.done.replayed"),
        _ => None,
    };
    render(user.lang, StatusCode::OK, &page)
}

/// `?facility=&atc=&strength=&form=`: one medicine's ledger.
#[derive(Debug, Default, Deserialize)]
struct LedgerParams {
    facility: Option<String>,
    #[serde(default)]
    atc: String,
    #[serde(default)]
    strength: String,
    #[serde(default)]
    form: String,
}

/// A ledger entry as the page shows it.
#[derive(Debug)]
struct EntryView {
    seq: i64,
    at: String,
    movement: String,
    lot: String,
    expiry: String,
    change: i64,
    balance: i64,
}

#[derive(Template)]
#[template(path = "desk/stock_ledger.html")]
struct LedgerPage {
    c: Chrome,
    facility: String,
    medicine: String,
    entries: Vec<EntryView>,
    back: String,
}

/// `GET /desk/stock/ledger`: the last 200 entries of one medicine at a facility.
async fn ledger(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<LedgerParams>,
) -> Result<Response, DeskError> {
    user.require(stock::READERS)?;
    let lang = user.lang;
    let facility = match user.caller.role {
        Role::Pharmacist => user.caller.facility_code.clone(),
        _ => params.facility.clone().unwrap_or_default(),
    };
    let form = dose_form(&params.form).ok_or_else(|| DeskError::bad_request(lang))?;
    let medicine = Medicine {
        atc: params.atc.clone(),
        strength: params.strength.clone(),
        form,
    };
    let entries = stock::ledger(&state, &user.caller, &facility, &medicine, 200)
        .await
        .map_err(|e| user.fail(e))?;
    let page = LedgerPage {
        c: Chrome::for_user(&user, "/desk/stock", "stock.ledger.title", "/desk/stock"),
        medicine: format!(
            "{} {} · {}",
            medicine.atc,
            medicine.strength,
            form_label(lang, &params.form)
        ),
        back: format!("/desk/stock?facility={}", super::percent_encode(&facility)),
        facility,
        entries: entries
            .into_iter()
            .map(|e| EntryView {
                seq: e.seq,
                at: time_of(e.recorded_at),
                movement: {
                    let m = lang.t(&format!("movement.{}", e.movement)).to_owned();
                    match e.reason {
                        Some(r) => format!("{m} · {}", lang.t(&format!("reason.{r}"))),
                        None => m,
                    }
                },
                lot: e.lot,
                expiry: e.expiry.to_string(),
                change: e.quantity,
                balance: e.balance,
            })
            .collect(),
    };
    render(lang, StatusCode::OK, &page)
}

/// `GET /desk/stock.csv?facility=`: the facility's batches in stock.
async fn csv(
    State(state): State<Registry>,
    user: DeskUser,
    Query(params): Query<Params>,
) -> Result<Response, DeskError> {
    user.require(stock::READERS)?;
    let all = db::users::list_facilities(&state.db)
        .await
        .map_err(|e| user.fail(e.into()))?;
    let facility = facility_of(&user, params.facility.as_deref(), &all);
    let held = stock::stock(&state, &user.caller, &facility)
        .await
        .map_err(|e| user.fail(e))?;
    let mut body = format!(
        "# stock of {} on {}; keeps stock in the registry: {}\n\
         facility,atc,strength,form,lot,expiry,on_hand,expired\n",
        facility,
        date_of(state.clock.now()),
        held.keeps_stock
    );
    for i in &held.items {
        for b in &i.batches {
            body.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                csv_field(&facility),
                i.medicine.atc,
                csv_field(&i.medicine.strength),
                form_code(i.medicine.form),
                csv_field(&b.lot),
                b.expiry,
                b.on_hand,
                b.expired
            ));
        }
    }
    Ok(super::csv_download(&format!("stock-{facility}.csv"), body))
}
