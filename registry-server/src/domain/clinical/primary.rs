//! The multiple-primary rules ([`crate::domain::primaries`]) applied to a tumour as it is
//! entered or corrected: against the patient's other active tumours, the IARC/IACR/ENCR 2004
//! rules say duplicate, new primary or needs review; the decision and the rule are stored
//! with the tumour's version and shown on the record. Nothing is refused: a registrar acts
//! on a duplicate or a review.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::{self, clinical::TumourRow, primaries::PrimaryRow};
use crate::domain::primaries::{self, Decision, Tumour as Seen};
use crate::domain::{Registry, Result};
use card_format::model::Tumour;

/// A tumour's decision, as the API and the desk show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Primary {
    /// `duplicate`, `new_primary` or `review`.
    pub decision: String,
    /// The rule's stable code (`same_organ_same_histology`, `different_organ`, ...).
    pub rule: String,
    /// The other tumour that decided it (none for the patient's first tumour).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// Why, in English, naming the organ and histology groups and citing the rule.
    pub message_en: String,
    /// Why, in Arabic.
    pub message_ar: String,
}

/// The stored decision of a tumour (without the messages, which are made when judged).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPrimary {
    /// The tumour.
    pub tumour_id: String,
    /// `duplicate`, `new_primary` or `review`.
    pub decision: String,
    /// The rule's stable code.
    pub rule: String,
    /// The other tumour that decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
}

fn decision_code(d: Decision) -> &'static str {
    match d {
        Decision::Duplicate => "duplicate",
        Decision::NewPrimary => "new_primary",
        Decision::Review => "review",
    }
}

/// Judges `tumour` of `patient_id` against the patient's other active tumours (all but
/// `itself`, for a correction).
///
/// # Errors
/// Database errors, a stored value that does not parse.
pub async fn judge(
    registry: &Registry,
    patient_id: &str,
    tumour: &Tumour,
    itself: Option<&str>,
) -> Result<Primary> {
    let rows: Vec<_> = db::clinical::tumours(&registry.db, patient_id)
        .await?
        .into_iter()
        .filter(|r| r.status.as_str() == "active" && Some(r.id.as_str()) != itself)
        .collect();
    let others: Vec<(String, Tumour)> = rows
        .iter()
        .map(|r| Ok((r.id.clone(), r.tumour()?)))
        .collect::<Result<_>>()?;
    Ok(judge_among(tumour, &others))
}

/// Judges `tumour` against `others` (each with its id), which are the patient's other active
/// tumours: the pure part of [`judge`], for a caller that holds them already (an import).
pub fn judge_among(tumour: &Tumour, others: &[(String, Tumour)]) -> Primary {
    let seen: Vec<Seen<'_>> = others
        .iter()
        .map(|(_, t)| Seen {
            topography: &t.topography,
            morphology: t.morphology,
            behaviour: t.behaviour,
        })
        .collect();
    let new = Seen {
        topography: &tumour.topography,
        morphology: tumour.morphology,
        behaviour: tumour.behaviour,
    };
    let verdict = primaries::judge(&new, &seen);
    let against = if seen.is_empty() {
        None
    } else {
        others.get(verdict.against).map(|(id, _)| id.clone())
    };
    Primary {
        decision: decision_code(verdict.decision).to_string(),
        rule: verdict.rule.code().to_string(),
        against,
        message_en: verdict.message.en().to_string(),
        message_ar: verdict.message.ar().to_string(),
    }
}

/// Stores the decision of version `version` of tumour `tumour_id`, in the caller's
/// transaction.
///
/// # Errors
/// Database errors.
pub async fn store(
    conn: &mut AnyConnection,
    tumour_id: &str,
    version: i64,
    primary: &Primary,
    now: i64,
) -> Result<()> {
    let row = PrimaryRow {
        tumour_id: tumour_id.to_string(),
        decision: primary.decision.clone(),
        rule: primary.rule.clone(),
        against_id: primary.against.clone(),
    };
    db::primaries::insert(conn, &row, version, now).await?;
    Ok(())
}

/// The stored decisions of the current versions of a patient's tumours.
///
/// # Errors
/// Database errors.
pub async fn of_patient(registry: &Registry, patient_id: &str) -> Result<Vec<StoredPrimary>> {
    Ok(db::primaries::of_patient(&registry.db, patient_id)
        .await?
        .into_iter()
        .map(|r| StoredPrimary {
            tumour_id: r.tumour_id,
            decision: r.decision,
            rule: r.rule,
            against: r.against_id,
        })
        .collect())
}

/// Judges again the tumours a merge moved (`moved`, rows of the merged record) against the
/// surviving record's active tumours (`kept`), oldest incidence first, each also against the
/// moved ones judged before it, and replaces their stored decisions, in the caller's
/// transaction: the same tumour registered at two facilities is then marked duplicate. With
/// `kept` empty (an unmerge), the moved tumours are judged among themselves again.
///
/// # Errors
/// Database errors, a stored tumour that does not parse.
pub async fn rejudge(
    conn: &mut AnyConnection,
    kept: &[TumourRow],
    moved: &[TumourRow],
    now: i64,
) -> Result<Vec<StoredPrimary>> {
    let active = |r: &&TumourRow| r.status.as_str() == "active";
    let mut seen_rows: Vec<&TumourRow> = kept.iter().filter(active).collect();
    let mut seen: Vec<Tumour> = seen_rows
        .iter()
        .map(|r| r.tumour())
        .collect::<Result<_, _>>()?;
    let mut order: Vec<&TumourRow> = moved.iter().filter(active).collect();
    order.sort_by_key(|r| (r.incidence, r.id.clone()));
    let mut out = Vec::new();
    for row in order {
        let tumour = row.tumour()?;
        let views: Vec<Seen<'_>> = seen
            .iter()
            .map(|t| Seen {
                topography: &t.topography,
                morphology: t.morphology,
                behaviour: t.behaviour,
            })
            .collect();
        let verdict = primaries::judge(
            &Seen {
                topography: &tumour.topography,
                morphology: tumour.morphology,
                behaviour: tumour.behaviour,
            },
            &views,
        );
        let stored = PrimaryRow {
            tumour_id: row.id.clone(),
            decision: decision_code(verdict.decision).to_string(),
            rule: verdict.rule.code().to_string(),
            against_id: if views.is_empty() {
                None
            } else {
                seen_rows.get(verdict.against).map(|r| r.id.clone())
            },
        };
        db::primaries::replace(conn, &stored, row.version, now).await?;
        out.push(StoredPrimary {
            tumour_id: stored.tumour_id,
            decision: stored.decision,
            rule: stored.rule,
            against: stored.against_id,
        });
        seen_rows.push(row);
        seen.push(tumour);
    }
    Ok(out)
}
