//! The pharmacy page (pharmacists): scan a card's QR code (a USB scanner types the text and
//! presses Enter) or upload a photo of it, see the verified card, its status, the authorised
//! medicines with what was already dispensed, and record a dispensing.
//!
//! The card is verified with card-format's `TrustStore` loaded from the registry's own signed
//! trust bundle (so revocations count), exactly as an offline pharmacy verifies it. The
//! reads that follow are the API's: the card's status (`card.status`) and each
//! authorisation's dispensings (`dispensing.read`), each audited. Each dispensing form
//! carries an idempotency key made when the page is rendered, so submitting it twice records
//! one dispensing.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use card_format::model::CardPayload;
use card_format::{qr, Policy, Verified};

use super::{date_of, parse_number, render, time_of, Chrome, DeskError, DeskUser, Lang};
use crate::auth::Role;
use crate::domain::dispensing::DispenseRequest;
use crate::domain::{cards, dispensing, trust, Error, Registry};

/// Largest photo upload, bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Largest photo side, pixels (bounds the decoder's memory).
const MAX_PHOTO_SIDE: u32 = 8_000;
/// Most pixels a photo may have: 16 megapixels, more than a phone's default photo (12).
/// An 8000 × 8000 picture cost 4 s of server time; it is refused from its header, before
/// any pixel is decoded.
pub const MAX_PHOTO_PIXELS: u64 = 16_000_000;
/// Photos decoded at once, server-wide; more wait their turn (within the request's time
/// limit), so a burst of uploads cannot take every core.
const CONCURRENT_DECODES: usize = 2;
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_DECODES);

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new()
        .route("/pharmacy", get(page))
        .route("/pharmacy/scan", post(scan))
        .route(
            "/pharmacy/photo",
            post(photo).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES)),
        )
        .route("/pharmacy/dispense", post(dispense))
}

/// A past dispensing.
#[derive(Debug)]
struct Past {
    at: String,
    quantity: i64,
    facility: String,
    flag: String,
}

/// An authorised medicine on the card, with the registry's dispensings of it.
#[derive(Debug)]
struct Medicine {
    id: u64,
    name: String,
    strength: String,
    form: String,
    quantity: u32,
    count: String,
    interval_days: u16,
    valid_until: String,
    key: String,
    past: Vec<Past>,
}

/// A verified card as the page shows it.
#[derive(Debug)]
struct Card {
    serial: String,
    name_ar: String,
    name_latin: String,
    identifier: String,
    birth_date: String,
    status: String,
    expires: String,
    superseded: bool,
    medicines: Vec<Medicine>,
    allergies: Vec<String>,
}

impl Card {
    /// The message key of the card's status.
    fn status_key(&self) -> &'static str {
        match self.status.as_str() {
            "valid" => "status.valid",
            "revoked" => "status.revoked",
            "superseded" => "status.superseded",
            "expired" => "status.expired",
            _ => "refusal.card_unknown",
        }
    }
}

#[derive(Template)]
#[template(path = "desk/pharmacy.html")]
struct PharmacyPage {
    c: Chrome,
    csrf: String,
    qr: String,
    card: Option<Card>,
    error: Option<String>,
    done: Option<&'static str>,
}

fn pharmacy_page(user: &DeskUser) -> PharmacyPage {
    PharmacyPage {
        c: Chrome::for_user(user, "/desk/pharmacy", "pharmacy.title", "/desk/pharmacy"),
        csrf: user.csrf.clone(),
        qr: String::new(),
        card: None,
        error: None,
        done: None,
    }
}

/// `GET /desk/pharmacy`
async fn page(user: DeskUser) -> Result<Response, DeskError> {
    user.require(&[Role::Pharmacist])?;
    render(user.lang, StatusCode::OK, &pharmacy_page(&user))
}

/// Verifies QR text against the registry's current trust bundle.
async fn verify(state: &Registry, text: &str) -> Result<Verified<CardPayload>, VerifyFailed> {
    let cose = qr::decode(text.trim()).map_err(VerifyFailed::Card)?;
    verify_cose(state, &cose, &Policy::default()).await
}

/// Verifies a card's signed bytes as an offline verifier would: card-format's `TrustStore`
/// loaded from the registry's own signed trust bundle (revocations included) and the root.
///
/// # Errors
/// [`VerifyFailed::Card`] for a refused card, [`VerifyFailed::Registry`] when the bundle
/// cannot be made or read.
pub async fn verify_cose(
    state: &Registry,
    cose: &[u8],
    policy: &Policy,
) -> Result<Verified<CardPayload>, VerifyFailed> {
    let bundle = trust::current(state)
        .await
        .map_err(VerifyFailed::Registry)?;
    let now = u64::try_from(state.clock.now()).unwrap_or(0);
    bundle
        .store
        .verify_card(cose, now, policy)
        .map_err(VerifyFailed::Card)
}

/// Why a card did not verify.
#[derive(Debug)]
pub enum VerifyFailed {
    /// The card is refused (the verifier's error).
    Card(card_format::Error),
    /// The registry could not provide its trust bundle.
    Registry(Error),
}

/// A refused card's explanation in `lang`, with the verifier's code.
pub fn verify_message(lang: Lang, e: &card_format::Error) -> String {
    let reason = lang
        .try_t(&format!("verify.{}", e.code()))
        .unwrap_or(lang.t("verify.generic"));
    format!("{} {reason} [{}]", lang.t("pharmacy.invalid"), e.code())
}

fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The page for a verified card: its status and each medicine's dispensings (audited reads).
async fn card_view(
    state: &Registry,
    user: &DeskUser,
    v: &Verified<CardPayload>,
) -> Result<Card, DeskError> {
    let lang = user.lang;
    let payload = v.value();
    let serial = payload.serial.to_string();
    let status = match cards::status_of(state, &user.caller, &serial).await {
        Ok(s) => s.status.to_string(),
        Err(Error::NotFound { .. }) => "unknown".to_string(),
        Err(e) => return Err(user.fail(e)),
    };
    let mut medicines = Vec::new();
    for m in &payload.summary.medicines {
        let past = match dispensing::dispensings_of(state, &user.caller, &m.id.to_string()).await {
            Ok(rows) => rows,
            Err(Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(user.fail(e)),
        };
        medicines.push(Medicine {
            id: m.id,
            name: m.name.clone(),
            strength: m.strength.clone(),
            form: lang
                .try_t(&format!("doseform.{}", serde_name(&m.form)))
                .map_or_else(|| serde_name(&m.form), String::from),
            quantity: m.quantity,
            count: format!("{} / {}", past.len(), m.dispensings),
            interval_days: m.interval_days,
            valid_until: m.valid_until.to_string(),
            key: crate::domain::access::random_secret(),
            past: past
                .iter()
                .map(|d| Past {
                    at: time_of(d.dispensed_at),
                    quantity: d.quantity,
                    facility: d.facility_code.clone(),
                    flag: d.conflict.clone().unwrap_or_default(),
                })
                .collect(),
        });
    }
    let patient = &payload.summary.patient;
    Ok(Card {
        serial,
        name_ar: patient.name_ar.join(" "),
        name_latin: patient.name_latin.join(" "),
        identifier: patient.id.value.clone(),
        birth_date: patient.birth_date.to_string(),
        status,
        expires: date_of(i64::try_from(payload.expires_at).unwrap_or(0)),
        superseded: v
            .warnings()
            .iter()
            .any(|w| matches!(w, card_format::trust::Warning::Superseded)),
        medicines,
        allergies: payload
            .summary
            .allergies
            .iter()
            .map(|a| {
                let severity = lang
                    .try_t(&format!("severity.{}", serde_name(&a.severity)))
                    .map_or_else(|| serde_name(&a.severity), String::from);
                format!("{} ({severity})", a.substance)
            })
            .collect(),
    })
}

/// Verifies `text` and renders the page for it (the card, or why it is refused).
async fn show(
    state: &Registry,
    user: &DeskUser,
    text: &str,
    mut page: PharmacyPage,
    status: StatusCode,
) -> Result<Response, DeskError> {
    match verify(state, text).await {
        Ok(v) => {
            page.card = Some(card_view(state, user, &v).await?);
            page.qr = text.trim().to_string();
            render(user.lang, status, &page)
        }
        Err(VerifyFailed::Card(e)) => {
            page.error = Some(verify_message(user.lang, &e));
            render(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(VerifyFailed::Registry(e)) => Err(user.fail(e)),
    }
}

/// The scan form.
#[derive(Debug, serde::Deserialize)]
struct ScanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    qr: String,
}

/// `POST /desk/pharmacy/scan`: what the scanner typed.
async fn scan(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<ScanForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Pharmacist])?;
    show(
        &state,
        &user,
        &form.qr,
        pharmacy_page(&user),
        StatusCode::OK,
    )
    .await
}

/// The QR texts in a PNG or JPEG photo (as `card-agent verify --image` finds them), decoded
/// off the async threads with bounded dimensions.
async fn qr_texts(bytes: Vec<u8>) -> Result<Vec<String>, &'static str> {
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|_| "pharmacy.bad_image")?
        .into_dimensions()
        .map_err(|_| "pharmacy.bad_image")?;
    if u64::from(width) * u64::from(height) > MAX_PHOTO_PIXELS {
        return Err("pharmacy.image_too_large");
    }
    let _turn = DECODES.acquire().await.map_err(|_| "pharmacy.bad_image")?;
    tokio::task::spawn_blocking(move || {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_PHOTO_SIDE);
        limits.max_image_height = Some(MAX_PHOTO_SIDE);
        limits.max_alloc = Some(256 * 1024 * 1024);
        let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| "pharmacy.bad_image")?;
        if !matches!(
            reader.format(),
            Some(image::ImageFormat::Png | image::ImageFormat::Jpeg)
        ) {
            return Err("pharmacy.bad_image");
        }
        reader.limits(limits);
        let picture = reader
            .decode()
            .map_err(|_| "pharmacy.bad_image")?
            .to_luma8();
        // The decoders of `card-agent verify --image` (card_print::scan).
        card_print::scan::qr_texts(&picture).map_err(|_| "pharmacy.no_qr")
    })
    .await
    .map_err(|_| "pharmacy.bad_image")?
}

/// `POST /desk/pharmacy/photo` (multipart: `csrf`, `photo`), at most 5 MB.
async fn photo(
    State(state): State<Registry>,
    user: DeskUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, DeskError> {
    let mut multipart = multipart.map_err(|_| DeskError::bad_request(user.lang))?;
    let too_large =
        |e: axum::extract::multipart::MultipartError| DeskError::of_multipart(user.lang, &e);
    let (mut csrf, mut bytes) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(too_large)?,
            Some("photo") => bytes = field.bytes().await.map_err(too_large)?.to_vec(),
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    user.require(&[Role::Pharmacist])?;
    let mut page = pharmacy_page(&user);
    match qr_texts(bytes).await {
        Ok(texts) => {
            let text = texts.into_iter().next().unwrap_or_default();
            show(&state, &user, &text, page, StatusCode::OK).await
        }
        Err(key) => {
            page.error = Some(user.lang.t(key).to_string());
            render(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The dispensing form.
#[derive(Debug, serde::Deserialize)]
struct DispenseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    qr: String,
    #[serde(default)]
    authorisation: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    key: String,
}

/// `POST /desk/pharmacy/dispense`: re-verifies the card, records the dispensing through the
/// API's rules, and shows the card again with the outcome.
async fn dispense(
    State(state): State<Registry>,
    user: DeskUser,
    form: Result<Form<DispenseForm>, FormRejection>,
) -> Result<Response, DeskError> {
    let Form(form) = form.map_err(|e| user.bad_form(e))?;
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Pharmacist])?;
    let lang = user.lang;
    let mut page = pharmacy_page(&user);
    let verified = match verify(&state, &form.qr).await {
        Ok(v) => v,
        Err(VerifyFailed::Card(e)) => {
            page.error = Some(verify_message(lang, &e));
            return render(lang, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(VerifyFailed::Registry(e)) => return Err(user.fail(e)),
    };
    let (Some(authorisation_id), Some(quantity)) = (
        parse_number::<u64>(&form.authorisation),
        parse_number::<u32>(&form.quantity),
    ) else {
        page.error = Some(lang.t("invalid.number").to_string());
        return show(
            &state,
            &user,
            &form.qr,
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let request = DispenseRequest {
        idempotency_key: form.key.clone(),
        card_serial: verified.value().serial.to_string(),
        authorisation_id,
        quantity,
        offline_at: None,
    };
    let status = match dispensing::dispense(&state, &user.caller, &request).await {
        Ok(d) if d.replayed => {
            page.done = Some("pharmacy.replayed");
            StatusCode::OK
        }
        Ok(_) => {
            page.done = Some("pharmacy.dispensed_ok");
            StatusCode::OK
        }
        Err(Error::Conflict { code, .. }) => {
            let reason = lang
                .try_t(&format!("refusal.{code}"))
                .unwrap_or(lang.t("error.bad_request"));
            page.error = Some(format!("{} {reason} [{code}]", lang.t("pharmacy.refused")));
            StatusCode::CONFLICT
        }
        Err(Error::Validation { field, .. }) => {
            let message = match field.as_str() {
                "quantity" => lang.t("invalid.number"),
                _ => lang.t("error.bad_request"),
            };
            page.error = Some(format!("{} {message}", lang.t("pharmacy.refused")));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(user.fail(e)),
    };
    show(&state, &user, &form.qr, page, status).await
}
