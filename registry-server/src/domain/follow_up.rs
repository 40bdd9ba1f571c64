//! Follow-up and vital status: each contact is recorded, never overwritten; the latest says
//! whether the patient is alive, dead or lost to follow-up. Recording a death revokes every
//! card of the patient's as `deceased` (listed in the next trust bundle, so offline verifiers
//! refuse them after a `trust sync`), and no new card is issued while the patient is
//! recorded dead.

use card_format::model::Date;
use serde::{Deserialize, Serialize};

use super::audit::actor;
use super::patients::{self, READERS};
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, follow_up::FollowUpRow};

/// Who records follow-up: registrars (death certificates, registry tracing) and clinicians.
pub const RECORDERS: &[Role] = &[Role::Registrar, Role::Clinician];

/// Vital status at the last contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VitalStatus {
    /// Known alive at the last contact.
    Alive,
    /// Dead.
    Dead,
    /// Lost to follow-up after the last contact.
    Lost,
}

impl VitalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VitalStatus::Alive => "alive",
            VitalStatus::Dead => "dead",
            VitalStatus::Lost => "lost",
        }
    }

    fn parse(stored: &str) -> Result<Self> {
        match stored {
            "alive" => Ok(VitalStatus::Alive),
            "dead" => Ok(VitalStatus::Dead),
            "lost" => Ok(VitalStatus::Lost),
            other => Err(Error::Internal(format!(
                "follow_ups.vital_status holds {other:?}"
            ))),
        }
    }
}

/// A contact, as a client sends it.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// The day the patient was last known alive; with `dead`, the day of death or earlier.
    #[schema(value_type = String, example = "2026-11-20")]
    pub last_contact: Date,
    /// Vital status at that contact.
    pub vital_status: VitalStatus,
    /// With `dead` only: the day of death.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-11-28")]
    pub death_date: Option<Date>,
    /// With `dead` only: the underlying cause of death, ICD-10 (`C91.0`, `I21.9`).
    #[serde(default)]
    pub death_cause: Option<String>,
}

/// A recorded contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    /// The day the patient was last known alive (or died).
    #[schema(value_type = String)]
    pub last_contact: Date,
    /// Vital status.
    pub vital_status: VitalStatus,
    /// With `dead`: the day of death.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub death_date: Option<Date>,
    /// With `dead`: the cause, ICD-10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub death_cause: Option<String>,
    /// When it was recorded (Unix seconds).
    pub recorded_at: i64,
    /// By whom (user id).
    pub recorded_by: String,
}

/// What recording a contact did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// The contact as stored.
    pub follow_up: FollowUp,
    /// The serials of the cards this death revoked (`XXXX-XXXX-XXXX-XXXX`); empty otherwise.
    pub revoked_cards: Vec<String>,
}

fn day(field: &str, value: i64) -> Result<Date> {
    i32::try_from(value)
        .map(Date)
        .map_err(|_| Error::Internal(format!("follow_ups.{field} out of range")))
}

impl FollowUp {
    fn from_row(row: FollowUpRow) -> Result<Self> {
        Ok(FollowUp {
            last_contact: day("last_contact", row.last_contact)?,
            vital_status: VitalStatus::parse(&row.vital_status)?,
            death_date: row.death_date.map(|d| day("death_date", d)).transpose()?,
            death_cause: row.death_cause,
            recorded_at: row.recorded_at,
            recorded_by: row.recorded_by,
        })
    }
}

/// An ICD-10 code: a letter, two digits, optionally a point and one or two digits.
fn is_icd10(code: &str) -> bool {
    let b = code.as_bytes();
    let head =
        b.len() >= 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_digit();
    head && match &b[3..] {
        [] => true,
        [b'.', rest @ ..] => (1..=2).contains(&rest.len()) && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Checks a contact against the patient's birth date and today.
///
/// # Errors
/// [`Error::Validation`] naming the field.
pub fn validate(input: &FollowUpInput, birth: Date, today: Date) -> Result<()> {
    if input.last_contact < birth {
        return Err(Error::invalid("last_contact", "is before the birth date"));
    }
    if input.last_contact > today {
        return Err(Error::invalid("last_contact", "is in the future"));
    }
    match input.vital_status {
        VitalStatus::Dead => {
            let Some(death) = input.death_date else {
                return Err(Error::invalid("death_date", "is required with dead"));
            };
            if death < birth {
                return Err(Error::invalid("death_date", "is before the birth date"));
            }
            if death > today {
                return Err(Error::invalid("death_date", "is in the future"));
            }
            if input.last_contact > death {
                return Err(Error::invalid("last_contact", "is after the death date"));
            }
            match input.death_cause.as_deref() {
                None => return Err(Error::invalid("death_cause", "is required with dead")),
                Some(c) if !is_icd10(c) => {
                    return Err(Error::invalid(
                        "death_cause",
                        "must be an ICD-10 code such as C91.0",
                    ))
                }
                Some(_) => {}
            }
        }
        VitalStatus::Alive | VitalStatus::Lost => {
            if input.death_date.is_some() {
                return Err(Error::invalid("death_date", "only with dead"));
            }
            if input.death_cause.is_some() {
                return Err(Error::invalid("death_cause", "only with dead"));
            }
        }
    }
    Ok(())
}

/// Records a contact (`patient.follow_up`); a death also revokes the patient's cards as
/// `deceased` (`card.revoke` each) and bumps the trust bundle, in the same transaction.
/// Registrars and clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Validation`], database errors.
pub async fn record(
    registry: &Registry,
    caller: &Caller,
    patient_id: &str,
    input: FollowUpInput,
) -> Result<Recorded> {
    caller.require(RECORDERS)?;
    let birth = patients::live_row(registry, patient_id)
        .await?
        .data()?
        .birth_date;
    validate(&input, birth, registry.clock.today())?;
    let now = registry.clock.now();
    let row = db::follow_up::NewFollowUp {
        patient_id,
        last_contact: i64::from(input.last_contact.0),
        vital_status: input.vital_status.as_str(),
        death_date: input.death_date.map(|d| i64::from(d.0)),
        death_cause: input.death_cause.as_deref(),
        recorded_at: now,
        recorded_by: &caller.user_id,
    };
    let who = actor(caller);
    let mut tx = registry.db.pool.begin().await?;
    db::follow_up::insert(&mut tx, &row).await?;
    db::audit::append(
        &mut tx,
        now,
        &who,
        "patient.follow_up",
        "patient",
        patient_id,
    )
    .await?;
    let mut revoked = Vec::new();
    if input.vital_status == VitalStatus::Dead {
        revoked = db::follow_up::revoke_cards_of_deceased(&mut tx, patient_id, now).await?;
        for serial in &revoked {
            db::audit::append(&mut tx, now, &who, "card.revoke", "card", serial).await?;
        }
        if !revoked.is_empty() {
            db::trust::bump_sequence(&mut tx, now).await?;
        }
    }
    tx.commit().await?;
    Ok(Recorded {
        follow_up: FollowUp {
            last_contact: input.last_contact,
            vital_status: input.vital_status,
            death_date: input.death_date,
            death_cause: input.death_cause,
            recorded_at: now,
            recorded_by: caller.user_id.clone(),
        },
        revoked_cards: revoked
            .iter()
            .map(|s| super::cards::display_serial(s))
            .collect(),
    })
}

/// A patient's contacts, oldest first; the read is audited (`patient.follow_up.read`).
/// Registrars and clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn list(registry: &Registry, caller: &Caller, patient_id: &str) -> Result<Vec<FollowUp>> {
    caller.require(READERS)?;
    patients::row(registry, patient_id).await?;
    let rows = db::follow_up::of_patient(&registry.db, patient_id).await?;
    super::audit::read_by(
        registry,
        caller,
        "patient.follow_up.read",
        "patient",
        patient_id,
    )
    .await?;
    rows.into_iter().map(FollowUp::from_row).collect()
}

/// Whether the patient's latest contact records a death (no card is issued then).
///
/// # Errors
/// Database errors, a stored value that does not parse.
pub async fn is_deceased(registry: &Registry, patient_id: &str) -> Result<bool> {
    Ok(
        match db::follow_up::latest(&registry.db, patient_id).await? {
            Some(row) => VitalStatus::parse(&row.vital_status)? == VitalStatus::Dead,
            None => false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse("d", text).unwrap()
    }

    fn field_of(r: Result<()>) -> String {
        match r {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_contact_is_checked_against_birth_today_and_death() {
        let (birth, today) = (d("2015-01-01"), d("2026-12-03"));
        let alive = FollowUpInput {
            last_contact: d("2026-11-20"),
            vital_status: VitalStatus::Alive,
            death_date: None,
            death_cause: None,
        };
        assert!(validate(&alive, birth, today).is_ok());
        let dead = FollowUpInput {
            vital_status: VitalStatus::Dead,
            death_date: Some(d("2026-11-28")),
            death_cause: Some("C91.0".into()),
            ..alive.clone()
        };
        assert!(validate(&dead, birth, today).is_ok());
        let cases = [
            (
                FollowUpInput {
                    last_contact: d("2014-12-31"),
                    ..alive.clone()
                },
                "last_contact",
            ),
            (
                FollowUpInput {
                    last_contact: d("2026-12-04"),
                    ..alive.clone()
                },
                "last_contact",
            ),
            (
                FollowUpInput {
                    death_date: Some(d("2026-11-28")),
                    ..alive.clone()
                },
                "death_date",
            ),
            (
                FollowUpInput {
                    death_cause: Some("C91.0".into()),
                    ..alive.clone()
                },
                "death_cause",
            ),
            (
                FollowUpInput {
                    death_date: None,
                    ..dead.clone()
                },
                "death_date",
            ),
            (
                FollowUpInput {
                    death_date: Some(d("2026-12-04")),
                    ..dead.clone()
                },
                "death_date",
            ),
            (
                FollowUpInput {
                    death_date: Some(d("2026-11-01")),
                    ..dead.clone()
                },
                "last_contact",
            ),
            (
                FollowUpInput {
                    death_cause: None,
                    ..dead.clone()
                },
                "death_cause",
            ),
            (
                FollowUpInput {
                    death_cause: Some("leukaemia".into()),
                    ..dead.clone()
                },
                "death_cause",
            ),
        ];
        for (i, (input, field)) in cases.into_iter().enumerate() {
            assert_eq!(field_of(validate(&input, birth, today)), field, "case {i}");
        }
    }

    #[test]
    fn icd10_codes() {
        for ok in ["C91", "C91.0", "I21.9", "C50.41"] {
            assert!(is_icd10(ok), "{ok}");
        }
        for bad in [
            "", "c91.0", "C9", "C91.", "C91.012", "91.0", "C91-0", "CC1.0",
        ] {
            assert!(!is_icd10(bad), "{bad}");
        }
    }
}
