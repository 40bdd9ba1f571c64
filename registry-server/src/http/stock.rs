//! Stock of medicines at each facility ([`crate::domain::stock`]): pharmacists record
//! receipts, counts, adjustments and transfers at their own facility; pharmacists (their
//! own) and supply officers read stock, ledgers and transfers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use card_format::model::DoseForm;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, DemandReaders, Inspectors, StockKeepers, StockReaders};
use super::error::Problem;
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::domain::demand::DemandReport;
use crate::domain::stock::{
    self, AdjustmentInput, CountInput, FacilityStock, LedgerEntry, Medicine, Moved, ReceiptInput,
    ReceiveInput, Transfer, TransferInput,
};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(receipt))
        .routes(routes!(count))
        .routes(routes!(adjustment))
        .routes(routes!(send))
        .routes(routes!(arrive))
        .routes(routes!(facility_stock))
        .routes(routes!(ledger))
        .routes(routes!(transfers))
        .routes(routes!(demand))
        .routes(routes!(watch))
}

/// 201 for a movement recorded, 200 for a retry answered with the first.
fn created(moved: Moved) -> (StatusCode, AppJson<Moved>) {
    let status = if moved.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, AppJson(moved))
}

/// `POST /api/v1/stock/receipts` (pharmacist).
#[utoipa::path(
    post,
    path = "/api/v1/stock/receipts",
    summary = "Record stock received at the caller's facility",
    description = "A batch received from a supplier. The facility keeps its stock in the \
        registry from its first receipt or count on: every dispensing there then draws on it. \
        Audited as `stock.receipt`.",
    tag = "stock",
    security(("bearer" = [])),
    request_body = ReceiptInput,
    responses(
        (status = 201, description = "Recorded: the ledger entry and the stock on hand now", body = Moved),
        (status = 200, description = "A retry (same `idempotency_key` and content): the first entry, nothing written", body = Moved),
        (status = 409, description = "`idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `atc`, `strength`, `lot`, `quantity`, `expiry` (already past, or another than the batch's on record) (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn receipt(
    Allowed(caller, _): Allowed<StockKeepers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<ReceiptInput>,
) -> Result<(StatusCode, AppJson<Moved>), ApiError> {
    Ok(created(stock::receive(&state, &caller, &input).await?))
}

/// `POST /api/v1/stock/counts` (pharmacist).
#[utoipa::path(
    post,
    path = "/api/v1/stock/counts",
    summary = "Record a physical count of one batch",
    description = "Sets the batch to the quantity counted; the entry keeps the difference \
        found. A batch the ledger does not know needs its `expiry` (an opening count). \
        Audited as `stock.count`.",
    tag = "stock",
    security(("bearer" = [])),
    request_body = CountInput,
    responses(
        (status = 201, description = "Recorded", body = Moved),
        (status = 200, description = "A retry: the first entry", body = Moved),
        (status = 409, description = "`idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, or `expiry` missing for a new batch or other than on record (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn count(
    Allowed(caller, _): Allowed<StockKeepers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<CountInput>,
) -> Result<(StatusCode, AppJson<Moved>), ApiError> {
    Ok(created(stock::count(&state, &caller, &input).await?))
}

/// `POST /api/v1/stock/adjustments` (pharmacist).
#[utoipa::path(
    post,
    path = "/api/v1/stock/adjustments",
    summary = "Record an adjustment of one batch, with its reason",
    description = "`expired`, `damaged` and `lost` take stock away (a negative `quantity`), \
        `found` adds, `correction` either. Audited as `stock.adjustment.<reason>`.",
    tag = "stock",
    security(("bearer" = [])),
    request_body = AdjustmentInput,
    responses(
        (status = 201, description = "Recorded", body = Moved),
        (status = 200, description = "A retry: the first entry", body = Moved),
        (status = 409, description = "`insufficient_stock` (the batch holds less), `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown `lot`, a `quantity` whose sign does not fit the reason (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn adjustment(
    Allowed(caller, _): Allowed<StockKeepers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<AdjustmentInput>,
) -> Result<(StatusCode, AppJson<Moved>), ApiError> {
    Ok(created(stock::adjust(&state, &caller, &input).await?))
}

/// `POST /api/v1/stock/transfers` (pharmacist).
#[utoipa::path(
    post,
    path = "/api/v1/stock/transfers",
    summary = "Send stock of one batch to another facility",
    description = "It leaves the sender's stock now and is in transit until the receiving \
        facility records its arrival. Audited as `stock.transfer.send`.",
    tag = "stock",
    security(("bearer" = [])),
    request_body = TransferInput,
    responses(
        (status = 201, description = "Sent: the ledger entry and the transfer", body = Moved),
        (status = 200, description = "A retry: the first entry", body = Moved),
        (status = 409, description = "`insufficient_stock`, `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown `lot` or `to_facility` (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn send(
    Allowed(caller, _): Allowed<StockKeepers>,
    State(state): State<Registry>,
    AppJson(input): AppJson<TransferInput>,
) -> Result<(StatusCode, AppJson<Moved>), ApiError> {
    Ok(created(stock::send(&state, &caller, &input).await?))
}

/// `POST /api/v1/stock/transfers/{id}/receive` (pharmacist of the receiving facility).
#[utoipa::path(
    post,
    path = "/api/v1/stock/transfers/{id}/receive",
    summary = "Record the arrival of a transfer",
    description = "What arrived (all that was sent, unless `quantity` says less) enters the \
        receiving facility's stock in the batch sent. Audited as `stock.transfer.receive`.",
    tag = "stock",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Transfer id")),
    request_body = ReceiveInput,
    responses(
        (status = 201, description = "Received", body = Moved),
        (status = 403, description = "A transfer to another facility (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transfer (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`transfer_received`: it has already been received", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn arrive(
    Allowed(caller, _): Allowed<StockKeepers>,
    State(state): State<Registry>,
    Path(id): Path<String>,
    AppJson(input): AppJson<ReceiveInput>,
) -> Result<(StatusCode, AppJson<Moved>), ApiError> {
    Ok(created(stock::arrive(&state, &caller, &id, &input).await?))
}

/// `GET /api/v1/facilities/{code}/stock` (pharmacist of the facility, supply officer).
#[utoipa::path(
    get,
    path = "/api/v1/facilities/{code}/stock",
    summary = "What a facility holds",
    description = "Each medicine it has held, with its batches in stock, first expiry first, \
        and what is still in date (`usable`).",
    tag = "stock",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Facility code")),
    responses(
        (status = 200, description = "The facility's stock", body = FacilityStock),
        (status = 403, description = "A pharmacist asking for another facility (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such facility (`not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn facility_stock(
    Allowed(caller, _): Allowed<StockReaders>,
    State(state): State<Registry>,
    Path(code): Path<String>,
) -> Result<AppJson<FacilityStock>, ApiError> {
    Ok(AppJson(stock::stock(&state, &caller, &code).await?))
}

/// Which medicine's ledger.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    #[param(value_type = String)]
    pub form: DoseForm,
    /// At most this many entries, newest first (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// `GET /api/v1/facilities/{code}/stock/ledger` (pharmacist of the facility, supply officer).
#[utoipa::path(
    get,
    path = "/api/v1/facilities/{code}/stock/ledger",
    summary = "A medicine's ledger at a facility",
    description = "Every entry, newest first: receipts, transfers, counts, adjustments, and \
        the dispensings and administrations that drew on it (`source_id`).",
    tag = "stock",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Facility code"), LedgerQuery),
    responses(
        (status = 200, description = "The entries, newest first", body = Vec<LedgerEntry>),
        (status = 403, description = "A pharmacist asking for another facility (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `atc`, `strength` or `limit` (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn ledger(
    Allowed(caller, _): Allowed<StockReaders>,
    State(state): State<Registry>,
    Path(code): Path<String>,
    AppQuery(q): AppQuery<LedgerQuery>,
) -> Result<AppJson<Vec<LedgerEntry>>, ApiError> {
    let medicine = Medicine {
        atc: q.atc,
        strength: q.strength,
        form: q.form,
    };
    let limit = q.limit.unwrap_or(100);
    Ok(AppJson(
        stock::ledger(&state, &caller, &code, &medicine, limit).await?,
    ))
}

/// `GET /api/v1/facilities/{code}/transfers` (pharmacist of the facility, supply officer).
#[utoipa::path(
    get,
    path = "/api/v1/facilities/{code}/transfers",
    summary = "Transfers sent by or to a facility",
    description = "Newest first (at most 200), each `in_transit` or `received`.",
    tag = "stock",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Facility code")),
    responses(
        (status = 200, description = "The transfers", body = Vec<Transfer>),
        (status = 403, description = "A pharmacist asking for another facility (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn transfers(
    Allowed(caller, _): Allowed<StockReaders>,
    State(state): State<Registry>,
    Path(code): Path<String>,
) -> Result<AppJson<Vec<Transfer>>, ApiError> {
    Ok(AppJson(stock::transfers(&state, &caller, &code).await?))
}

/// Which demand.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DemandQuery {
    /// One facility (a pharmacist: their own, which they must name); none: every facility.
    pub facility: Option<String>,
    /// Months ahead, 1 to 12 (default 6).
    pub months: Option<u32>,
    /// `csv` for the facility lines as a CSV file; JSON otherwise.
    pub format: Option<String>,
}

/// `GET /api/v1/demand` (supply officer; pharmacist for their facility).
#[utoipa::path(
    get,
    path = "/api/v1/demand",
    summary = "Demand for medicines in the months ahead, per facility, and by region",
    description = "For each facility × medicine: the units due on active authorisations \
        and those the expected new cases' regimens will take, month by month; the OpenLMIS \
        consumption measures of the past three months (adjusted consumption with stock-out \
        days, average monthly consumption, months of stock, maximum stock, order quantity); \
        the stock on hand, the expected stock-out date and the registry's proposed order. \
        `regions` rolls the lines up by region. With `format=csv`, the lines as a CSV file.",
    tag = "stock",
    security(("bearer" = [])),
    params(DemandQuery),
    responses(
        (status = 200, description = "The report (or its CSV file)", body = DemandReport),
        (status = 403, description = "A pharmacist asking for another facility or for all (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`months` out of 1 to 12, or `format` other than `csv` (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn demand(
    Allowed(caller, _): Allowed<DemandReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<DemandQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let csv = match q.format.as_deref() {
        None => false,
        Some("csv") => true,
        Some(_) => {
            return Err(crate::domain::Error::invalid("format", "csv, or none for JSON").into())
        }
    };
    let regimens = state.settings.regimens.clone();
    let report = crate::domain::demand::report(
        &state,
        &caller,
        q.facility.as_deref(),
        q.months.unwrap_or(6),
        &regimens,
    )
    .await?;
    if csv {
        return Ok((
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"demand.csv\"",
                ),
            ],
            report.to_csv(),
        )
            .into_response());
    }
    Ok(AppJson(report).into_response())
}

/// The watch's period.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WatchQuery {
    /// Days looked back, 1 to 366 (default 90).
    pub days: Option<u32>,
    /// Two pharmacies within this many days, 1 to 90 (default 7).
    pub interval_days: Option<u32>,
}

/// `GET /api/v1/watch` (inspector).
#[utoipa::path(
    get,
    path = "/api/v1/watch",
    summary = "The watch on unjustified disbursement",
    description = "One patient's medicine dispensed at two pharmacies within the interval; \
        facilities that handed out more of a medicine than they took in; dispensings dated \
        before their card or authorisation; offline conflict and stock refusal rates per \
        facility, flagged when unusual. Each row names dispensings and authorisations with \
        the audit entries behind them; each authorisation shown is an audited read \
        (`watch.read`).",
    tag = "stock",
    security(("bearer" = [])),
    params(WatchQuery),
    responses(
        (status = 200, description = "The watch", body = crate::domain::watch::Watch),
        (status = 422, description = "`days` or `interval_days` out of range (`validation`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn watch(
    Allowed(caller, _): Allowed<Inspectors>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<WatchQuery>,
) -> Result<AppJson<crate::domain::watch::Watch>, ApiError> {
    Ok(AppJson(
        crate::domain::watch::watch(
            &state,
            &caller,
            q.days.unwrap_or(90),
            q.interval_days.unwrap_or(7),
        )
        .await?,
    ))
}
