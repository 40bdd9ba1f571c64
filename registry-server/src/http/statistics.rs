//! The registry's statistics ([`crate::domain::statistics`]): incidence, childhood cancer,
//! data quality and survival, as JSON or as CSV (`format=csv`), for registrars and
//! statisticians; and the CanReg5-layout export of the whole registry, for registrars.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, Exporters, StatisticsReaders};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::domain::statistics::{self, export, Request};
use crate::domain::stats::childhood::{ChildAges, Childhood};
use crate::domain::stats::cohort::Survival;
use crate::domain::stats::incidence::Incidence;
use crate::domain::stats::quality::Quality;
use crate::domain::stats::report::{Counted, SexFilter};
use crate::domain::stats::tables::{self, Table};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(incidence))
        .routes(routes!(childhood))
        .routes(routes!(quality))
        .routes(routes!(survival))
        .routes(routes!(areas))
        .routes(routes!(export_canreg))
}

/// JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The report as JSON, with every figure.
    #[default]
    Json,
    /// One table as CSV (always suppressed), after `#` lines saying what it counted.
    Csv,
}

/// Which table of a report a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// By CI5 site group (incidence, quality).
    #[default]
    Site,
    /// By ICD-O-3 topography (incidence).
    Topography,
    /// By facility (quality).
    Facility,
}

/// A report's parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First year of incidence.
    from: i32,
    /// Last year of incidence (inclusive).
    to: i32,
    /// Region of residence; absent: the whole country.
    region: Option<String>,
    /// `both` (default), `male` or `female`.
    #[param(inline)]
    sex: Option<SexFilter>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<Format>,
    /// The CSV's table: `site` (default), `topography` (incidence) or `facility` (quality).
    #[param(inline)]
    by: Option<By>,
    /// Childhood only: `0-14` (default) or `0-19`.
    #[param(inline)]
    ages: Option<ChildAges>,
}

impl ReportQuery {
    fn request(&self) -> Result<Request, ApiError> {
        Ok(Request::new(
            self.from,
            self.to,
            self.region.as_deref(),
            self.sex.unwrap_or_default(),
            self.format == Some(Format::Csv),
        )?)
    }
}

/// The report as JSON, or the chosen table as CSV.
fn answer<T: Serialize>(
    report: T,
    format: Option<Format>,
    counted: impl Fn(&T) -> &Counted,
    table: impl Fn(&T) -> Table,
) -> Result<Response, ApiError> {
    if format != Some(Format::Csv) {
        return Ok(AppJson(report).into_response());
    }
    let table = table(&report);
    let mut body = Vec::new();
    tables::write_csv(&mut body, counted(&report), &table)
        .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?;
    let disposition = format!("attachment; filename=\"{}.csv\"", table.name);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/v1/statistics/incidence`
#[utoipa::path(
    get,
    path = "/api/v1/statistics/incidence",
    summary = "Incidence by site",
    description = "For the years of incidence `from` to `to`, a region (or the country) and a \
        sex: cases, age-specific rates, crude rate, age-standardised rates (world, European, \
        WHO 2000-2025) with 95% confidence intervals, cumulative risk 0-74, percentage and rank, \
        by CI5 site group and by ICD-O-3 topography, counting primaries only; with what was \
        counted and excluded. Registrars see every cell; statisticians, and every CSV file, see \
        cells of 1 to 4 cases suppressed. 409 `no_population` when a year has no denominators.",
    tag = "statistics",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The report (JSON), or one table (CSV)", body = Incidence),
    )
)]
async fn incidence(
    Allowed(caller, _): Allowed<StatisticsReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let report = statistics::incidence(&state, &caller, &q.request()?).await?;
    let by = q.by.unwrap_or_default();
    answer(
        report,
        q.format,
        |r| &r.counted,
        |r| {
            let [sites, topography] = tables::incidence(r);
            if by == By::Topography {
                topography
            } else {
                sites
            }
        },
    )
}

/// `GET /api/v1/statistics/childhood`
#[utoipa::path(
    get,
    path = "/api/v1/statistics/childhood",
    summary = "Childhood cancer by ICCC-3 group",
    description = "Incidence by ICCC-3 main group and subgroup for ages 0-14 or 0-19 \
        (`ages`), rates per million, standardised on the child age groups of the standard \
        populations. Registrars and statisticians, suppressed as the incidence report.",
    tag = "statistics",
    security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "The report (JSON), or its table (CSV)", body = Childhood))
)]
async fn childhood(
    Allowed(caller, _): Allowed<StatisticsReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let ages = q.ages.unwrap_or_default();
    let report = statistics::childhood(&state, &caller, &q.request()?, ages).await?;
    answer(report, q.format, |r| &r.counted, tables::childhood)
}

/// `GET /api/v1/statistics/quality`
#[utoipa::path(
    get,
    path = "/api/v1/statistics/quality",
    summary = "Data quality indicators",
    description = "By site and by facility: % microscopically verified, % death certificate \
        only, % unknown primary site, % unknown age, the mortality:incidence ratio from the \
        recorded deaths, and the tumours whose query or rare findings nobody confirmed.",
    tag = "statistics",
    security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "The report (JSON), or one table (CSV)", body = Quality))
)]
async fn quality(
    Allowed(caller, _): Allowed<StatisticsReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let report = statistics::quality(&state, &caller, &q.request()?).await?;
    let by = q.by.unwrap_or_default();
    answer(
        report,
        q.format,
        |r| &r.counted,
        |r| {
            let [sites, facilities] = tables::quality(r);
            if by == By::Facility {
                facilities
            } else {
                sites
            }
        },
    )
}

/// `GET /api/v1/statistics/survival`
#[utoipa::path(
    get,
    path = "/api/v1/statistics/survival",
    summary = "Observed survival at 1, 3 and 5 years",
    description = "Kaplan-Meier observed survival of the tumours diagnosed from `from` to `to`, \
        with 95% confidence intervals and the number at risk, for all sites and by site and \
        stage group; death-certificate-only cases and tumours without follow-up are left out \
        and counted.",
    tag = "statistics",
    security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "The report (JSON), or its table (CSV)", body = Survival))
)]
async fn survival(
    Allowed(caller, _): Allowed<StatisticsReaders>,
    State(state): State<Registry>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let report = statistics::survival(&state, &caller, &q.request()?).await?;
    answer(report, q.format, |r| &r.counted, tables::survival)
}

/// `GET /api/v1/statistics/export`: the whole registry in the CanReg5 layout, streamed.
#[utoipa::path(
    get,
    path = "/api/v1/statistics/export",
    summary = "Export every primary tumour in the CanReg5 layout",
    description = "Tab-separated, one line per primary tumour of every live record, with the \
        registry's pseudonymous patient and tumour keys and no name or national identifier \
        (docs/registry-server.md, \"The CanReg5 export\"), for a submission to IARC. Streamed: \
        a database failure midway ends the body early, so a file is whole only when the \
        response completes. Audited. Registrars.",
    tag = "statistics",
    security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "text/tab-separated-values", body = String))
)]
async fn export_canreg(
    Allowed(caller, _): Allowed<Exporters>,
    State(state): State<Registry>,
) -> Result<Response, ApiError> {
    export::admit(&state, &caller).await?;
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    let (finished, outcome) = tokio::sync::oneshot::channel::<bool>();
    tokio::spawn(async move {
        let result = export::write(&state.db, &mut writer).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "the CanReg5 export failed midway");
        }
        drop(writer);
        let _ = finished.send(result.is_ok());
    });
    // The body ends with an error, not a clean end, when the export failed midway: the
    // client sees a broken transfer, never a short file that looks whole.
    let body = futures_util::stream::unfold(Some((reader, outcome)), |state| async move {
        let (mut reader, outcome) = state?;
        let mut chunk = vec![0u8; 64 * 1024];
        match tokio::io::AsyncReadExt::read(&mut reader, &mut chunk).await {
            Ok(0) => match outcome.await {
                Ok(true) => None,
                _ => Some((Err(std::io::Error::other("the export failed midway")), None)),
            },
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(chunk), Some((reader, outcome))))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/tab-separated-values; charset=utf-8",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"canreg5.tsv\"",
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// `GET /api/v1/statistics/areas`
#[utoipa::path(
    get,
    path = "/api/v1/statistics/areas",
    summary = "The areas of the population file",
    tag = "statistics",
    security(("bearer" = [])),
    responses((status = 200, description = "Area names, in order", body = Vec<String>))
)]
async fn areas(
    Allowed(caller, _): Allowed<StatisticsReaders>,
    State(state): State<Registry>,
) -> Result<AppJson<Vec<String>>, ApiError> {
    Ok(AppJson(statistics::areas(&state, &caller).await?))
}
