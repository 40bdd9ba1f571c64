//! The body of every error answer of the API: an RFC 9457 problem
//! (`application/problem+json`).

use serde::{Deserialize, Serialize};

/// The media type of [`Problem`] bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error, as an RFC 9457 problem (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
    "detail": "invalid birth_date: expected a date as YYYY-MM-DD", "code": "validation",
    "field": "birth_date"
})))]
pub struct Problem {
    /// `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, without patient data.
    pub detail: String,
    /// Stable machine-readable code: `unauthorized`, `forbidden`, `not_found`, `bad_request`,
    /// `validation`, `payload_too_large`, `internal`, or a conflict's own code
    /// (`stale_version`, `too_soon`, ...).
    pub code: String,
    /// For `validation`: the path of the field at fault (`tumour.stage.group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `record_invalid` and `needs_confirmation`: the record checks at fault.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

/// One record check at fault (IARC/IACR, IARC Technical Report 42).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResult {
    /// The check's stable code (`age_morphology`), also what a confirmation names.
    pub check: String,
    /// `query`, `rare` (confirm to keep the record) or `invalid` (refused).
    pub outcome: String,
    /// The record's fields it is about (`morphology`, `incidence`, ...).
    pub fields: Vec<String>,
    /// Why, in English.
    pub message_en: String,
    /// Why, in Arabic.
    pub message_ar: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_round_trips_and_omits_an_absent_field() {
        let p = Problem {
            kind: "/problems/too_soon".into(),
            title: "Conflict".into(),
            status: 409,
            detail: "the next dispensing is allowed from 2026-01-02".into(),
            code: "too_soon".into(),
            field: None,
            checks: Vec::new(),
        };
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains(r#""type":"/problems/too_soon""#), "{text}");
        assert!(!text.contains("field"), "{text}");
        assert!(!text.contains("checks"), "{text}");
        assert_eq!(serde_json::from_str::<Problem>(&text).unwrap(), p);
    }
}
