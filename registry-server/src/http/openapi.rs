//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the body types' `ToSchema` derives, served at `GET /api/v1/openapi.json`
//! (public: it describes the API, not its data).
//!
//! The errors every operation shares are added here once, by [`CommonProblems`], as
//! references to reusable responses: 401 and 403 on every operation that needs a token;
//! 400, 413 and 422 on every operation with a JSON body; 408 and 500 on every `/api/v1`
//! operation. Each handler's own annotation lists only its success and its specific errors
//! (404, 409 with their codes, 422 for checks beyond the body's shape). Operation ids are
//! `{tag}_{handler}` (`patients_history`, `clinical_history`), unique in the document.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::clinical;
use super::error::{Problem, PROBLEM_JSON};
use super::{ApiError, Registry};

/// The name of the bearer-token security scheme in the document.
pub const BEARER: &str = "bearer";

/// The document's root: its information, tags and shared schemas. The paths come from the
/// handlers the routers register ([`super::documented`]); [`CommonProblems`] runs last.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Oncology patient registry",
        description = "Patients, tumours, treatments, allergies, authorised medicines, signed \
            health cards, dispensings and the trust bundle. Send an API token as \
            `Authorization: Bearer lyr_...` except on the operations without a security \
            requirement. Errors are RFC 9457 problems (`application/problem+json`) with a \
            stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, clinical::RecordKind)),
    tags(
        (name = "admin", description = "Facilities, users, API tokens and desk passwords (admins)"),
        (name = "patients", description = "Patient identity: register, find, read, correct"),
        (name = "clinical", description = "Tumours, treatments, allergies, medicine authorisations"),
        (name = "cards", description = "Signed health cards: issue, fetch, status, revoke"),
        (name = "dispensings", description = "Dispensings against authorisations (pharmacists)"),
        (name = "stock", description = "Medicines in stock at each facility: receipts, counts, adjustments, transfers (pharmacists; supply officers read)"),
        (name = "statistics", description = "The registry's statistics: aggregates only (registrars, statisticians)"),
        (name = "audit", description = "The hash-chained audit log (auditors)"),
        (name = "trust", description = "The signed trust bundle for offline verifiers (public)"),
        (name = "issuers", description = "Issuer keys published in the trust bundle (admins)"),
        (name = "operations", description = "Health, readiness, metrics, this document (public)"),
    ),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`, without authentication.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new().routes(routes!(document))
}

/// The serialised document, built once.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| json().map_err(|e| e.to_string()));

/// The document as served, in JSON.
///
/// A record shown with its id and version beside its own fields (`#[serde(flatten)]`) is an
/// `allOf` of the record's schema and those fields. A record that refuses unknown fields in
/// requests has `additionalProperties: false`, which inside an `allOf` would forbid the id and
/// version too; it is dropped there (and kept on request bodies).
///
/// # Errors
/// Serialisation fails (a programming error).
pub fn json() -> Result<String, serde_json::Error> {
    let mut openapi = super::documented().into_openapi();
    CommonProblems.modify(&mut openapi);
    let mut document = serde_json::to_value(openapi)?;
    open_all_of(&mut document, false);
    serde_json::to_string(&document)
}

/// Removes `additionalProperties: false` from the members of every `allOf`.
fn open_all_of(value: &mut serde_json::Value, in_all_of: bool) {
    match value {
        serde_json::Value::Object(map) => {
            if in_all_of && map.get("additionalProperties") == Some(&serde_json::Value::Bool(false))
            {
                map.remove("additionalProperties");
            }
            for (key, child) in map.iter_mut() {
                open_all_of(child, key == "allOf");
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                open_all_of(item, in_all_of);
            }
        }
        _ => {}
    }
}

/// This document: the API in OpenAPI 3.1.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    summary = "This OpenAPI document",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document",
        content_type = "application/json", body = Object))
)]
async fn document() -> Response {
    match &*DOCUMENT {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(e) => ApiError::internal(format!("cannot serialise the OpenAPI document: {e}"))
            .into_response(),
    }
}

/// Adds the bearer scheme, the shared problem responses, and references to them on every
/// operation they apply to.
#[derive(Debug)]
pub struct CommonProblems;

/// A shared response: component name, status, description, whether it has a problem body.
const SHARED: &[(&str, &str, &str, bool)] = &[
    (
        "BadRequest",
        "400",
        "The body is not JSON, or the Content-Type is not application/json (`bad_request`)",
        true,
    ),
    (
        "Unauthorized",
        "401",
        "No token, or an unknown or revoked one (`unauthorized`)",
        true,
    ),
    (
        "Forbidden",
        "403",
        "The caller's role may not do this (`forbidden`); nothing was written",
        true,
    ),
    (
        "RequestTimeout",
        "408",
        "The request took longer than the server's time limit (no body)",
        false,
    ),
    (
        "PayloadTooLarge",
        "413",
        "The body is larger than the server's limit (`payload_too_large`)",
        true,
    ),
    (
        "Unprocessable",
        "422",
        "A field is missing, unknown, of the wrong type or invalid (`validation`); `field` \
         is its path",
        true,
    ),
    (
        "InternalError",
        "500",
        "The registry could not complete the request (`internal`); details are in its log only",
        true,
    ),
];

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token, `lyr_` and 52 Base32 characters, from an admin",
                    ))
                    .build(),
            ),
        );
        for (name, _, description, problem) in SHARED {
            let mut response = ResponseBuilder::new().description(*description);
            if *problem {
                response = response.content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                );
            }
            components
                .responses
                .insert((*name).to_string(), RefOr::T(response.build()));
        }
        for (path, item) in &mut openapi.paths.paths {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                // Handler names repeat across modules (`history`, `record`): prefix the tag.
                if let (Some(id), Some(tag)) = (
                    &operation.operation_id,
                    operation.tags.as_ref().and_then(|t| t.first()),
                ) {
                    operation.operation_id = Some(format!("{tag}_{id}"));
                }
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let api = path.starts_with("/api/v1/") && !path.ends_with("/openapi.json");
                for (name, status, _, _) in SHARED {
                    let applies = match *status {
                        "401" | "403" => secured,
                        "400" | "413" | "422" => has_body,
                        _ => api,
                    };
                    if applies {
                        operation
                            .responses
                            .responses
                            .entry((*status).to_string())
                            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                    }
                }
            }
        }
    }
}
