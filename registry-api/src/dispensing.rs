//! Dispensing: the request a pharmacy sends, the answer it gets, the refusals with their
//! stable codes, and the rulebook ([`rules`]) that decides them.
//!
//! A pharmacist presents the card serial, the authorisation id printed on the card, the
//! quantity and an idempotency key. A retry with the same key and request returns the first
//! result. A dispensing the pharmacy made while offline carries `offline_at`: the rules are
//! then judged at that time, and a breach of one of [`RECORDED_CONFLICTS`] is recorded and
//! flagged (`conflict`) instead of refused, because the medicine has already left the
//! pharmacy.

pub mod rules;

use card_format::model::Date;
use serde::{Deserialize, Serialize};

/// How far `offline_at` may be ahead of the registry's clock, seconds (pharmacy clocks drift).
pub const OFFLINE_MAX_AHEAD: i64 = 5 * 60;

/// How old an offline dispensing may be when it arrives, seconds (90 days).
pub const OFFLINE_MAX_AGE: i64 = 90 * 86_400;

/// The rules an offline dispensing may break and still be recorded (flagged), in the order
/// they are checked: the first one broken is its `conflict`.
pub const RECORDED_CONFLICTS: [&str; 9] = [
    "before_card",
    "card_revoked",
    "card_superseded",
    "card_expired",
    "before_authorisation",
    "authorisation_expired",
    "over_quantity",
    "over_count",
    "too_soon",
];

/// `POST /api/v1/dispensings`: a dispensing request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DispenseRequest {
    /// Chosen by the client, unique per dispensing (a UUID, say); 8 to 64 characters.
    pub idempotency_key: String,
    /// The card presented (`XXXX-XXXX-XXXX-XXXX`, hyphens optional).
    pub card_serial: String,
    /// The authorisation id printed on the card.
    pub authorisation_id: u64,
    /// Quantity dispensed, at most the authorised quantity per dispensing.
    pub quantity: u32,
    /// Only for a dispensing the pharmacy made while offline and sends now: when it handed
    /// the medicine out, Unix seconds; at most 5 minutes ahead of the registry's clock and at
    /// most 90 days old. The rules are then judged at this time, and a dispensing that breaks
    /// `before_card`, `card_revoked`, `card_superseded`, `card_expired`,
    /// `before_authorisation`, `authorisation_expired`, `over_quantity`, `over_count` or
    /// `too_soon` is recorded with that `conflict` instead of refused. Absent: an ordinary
    /// dispensing, now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub offline_at: Option<u64>,
}

/// A recorded dispensing, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispensing {
    /// Id.
    pub id: String,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// The authorisation dispensed against.
    pub authorisation_id: i64,
    /// The card presented.
    pub card_serial: String,
    /// Pharmacy facility code.
    pub facility_code: String,
    /// Pharmacist user id.
    pub user_id: String,
    /// Quantity dispensed.
    pub quantity: i64,
    /// When the medicine was handed out, Unix seconds: the request's `offline_at` for an
    /// offline dispensing, otherwise when the registry recorded it.
    pub dispensed_at: i64,
    /// True when the pharmacy dispensed offline and synced the dispensing later.
    pub offline: bool,
    /// When the registry recorded it, Unix seconds (for an online dispensing, `dispensed_at`).
    pub received_at: i64,
    /// For an offline dispensing recorded although it broke a rule, the first rule broken
    /// (`before_card`, `card_revoked`, `card_superseded`, `card_expired`,
    /// `before_authorisation`, `authorisation_expired`, `over_quantity`, `over_count`,
    /// `too_soon`): flagged for review. Null otherwise.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub conflict: Option<String>,
}

/// The answer to a dispensing request that was recorded (201), or replayed for a retry (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispensed {
    /// The dispensing.
    pub dispensing: Dispensing,
    /// Dispensings recorded on this authorisation, including this one.
    pub dispensed_count: i64,
    /// Dispensings authorised.
    pub dispensings_authorised: i64,
    /// True when this is the first request's result returned again for a retry.
    pub replayed: bool,
    /// For an offline dispensing recorded although it broke a rule: the first rule broken,
    /// flagged for review (one of the codes of [`RECORDED_CONFLICTS`]). Null when none.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub conflict: Option<String>,
    /// True when the request carried `offline_at`.
    pub offline: bool,
}

/// Why a medicine is not authorised for the card presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAuthorised {
    /// No authorisation has this id.
    NoSuch,
    /// The authorisation is another patient's.
    NotThisPatients,
    /// The authorisation was withdrawn.
    Withdrawn,
    /// The card presented does not list it (checked offline, by the card-agent).
    NotOnCard(u64),
}

/// Why a dispensing is refused: one stable code each ([`Refusal::code`]), and a message
/// without patient data ([`std::fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `card_unknown`: no card has this serial.
    CardUnknown,
    /// `before_card`: dated before the card presented was issued (an offline dispensing
    /// whose `offline_at` the pharmacy's clock or hand put too early).
    BeforeCard,
    /// `card_revoked`, with the revocation reason's code.
    CardRevoked {
        /// The reason code (`lost`, `deceased`...), `other` when none was given.
        reason: Option<String>,
    },
    /// `card_superseded`: a newer card was issued.
    CardSuperseded,
    /// `card_expired`.
    CardExpired,
    /// `medicine_not_authorised`.
    MedicineNotAuthorised(NotAuthorised),
    /// `before_authorisation`: dated before the authorisation was recorded.
    BeforeAuthorisation,
    /// `authorisation_expired`.
    AuthorisationExpired {
        /// Its last valid day.
        valid_until: Date,
    },
    /// `over_quantity`: more than the authorised quantity per dispensing.
    OverQuantity {
        /// The authorised quantity per dispensing.
        max: u32,
    },
    /// `over_count`: every authorised dispensing is done.
    OverCount {
        /// Dispensings authorised.
        authorised: i64,
    },
    /// `too_soon`: the interval since the nearest dispensing has not passed.
    TooSoon {
        /// The first day the next dispensing is allowed.
        next: Date,
    },
    /// `idempotency_key_reused`: the same key was sent with a different request.
    IdempotencyKeyReused,
}

impl Refusal {
    /// The stable code (the problem's `code`, the agent's `[code]`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::CardUnknown => "card_unknown",
            Refusal::BeforeCard => "before_card",
            Refusal::BeforeAuthorisation => "before_authorisation",
            Refusal::CardRevoked { .. } => "card_revoked",
            Refusal::CardSuperseded => "card_superseded",
            Refusal::CardExpired => "card_expired",
            Refusal::MedicineNotAuthorised(_) => "medicine_not_authorised",
            Refusal::AuthorisationExpired { .. } => "authorisation_expired",
            Refusal::OverQuantity { .. } => "over_quantity",
            Refusal::OverCount { .. } => "over_count",
            Refusal::TooSoon { .. } => "too_soon",
            Refusal::IdempotencyKeyReused => "idempotency_key_reused",
        }
    }

    /// Whether an offline dispensing that breaks this rule is still recorded (flagged with
    /// it as its `conflict`): one of [`RECORDED_CONFLICTS`].
    pub fn is_recorded_offline(&self) -> bool {
        RECORDED_CONFLICTS.contains(&self.code())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::CardUnknown => f.write_str("no card with this serial"),
            Refusal::CardRevoked { reason } => write!(
                f,
                "the card was revoked ({})",
                reason.as_deref().unwrap_or("other")
            ),
            Refusal::BeforeCard => f.write_str("dated before the card was issued"),
            Refusal::BeforeAuthorisation => {
                f.write_str("dated before the authorisation was recorded")
            }
            Refusal::CardSuperseded => f.write_str("a newer card was issued; ask for it"),
            Refusal::CardExpired => f.write_str("the card has expired"),
            Refusal::MedicineNotAuthorised(why) => match why {
                NotAuthorised::NoSuch => f.write_str("no such authorisation"),
                NotAuthorised::NotThisPatients => {
                    f.write_str("this medicine is not authorised for this patient")
                }
                NotAuthorised::Withdrawn => f.write_str("the authorisation was withdrawn"),
                NotAuthorised::NotOnCard(id) => {
                    write!(f, "authorisation #{id} is not on this card")
                }
            },
            Refusal::AuthorisationExpired { .. } => f.write_str("the authorisation has expired"),
            Refusal::OverQuantity { max } => write!(f, "at most {max} per dispensing"),
            Refusal::OverCount { authorised } => {
                write!(f, "all {authorised} authorised dispensings are done")
            }
            Refusal::TooSoon { next } => write!(f, "the next dispensing is allowed from {next}"),
            Refusal::IdempotencyKeyReused => {
                f.write_str("this idempotency key was used for a different dispensing")
            }
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_at_is_optional_in_the_body() {
        let body = r#"{"idempotency_key": "key-00000001", "card_serial": "ABCD-EFGH-JKMN-PQRS",
            "authorisation_id": 7, "quantity": 30}"#;
        let r: DispenseRequest = serde_json::from_str(body).unwrap();
        assert_eq!(r.offline_at, None);
        assert!(!serde_json::to_string(&r).unwrap().contains("offline_at"));
    }

    #[test]
    fn unknown_members_are_refused() {
        let body = r#"{"idempotency_key": "key-00000001", "card_serial": "A",
            "authorisation_id": 7, "quantity": 30, "price": 1}"#;
        assert!(serde_json::from_str::<DispenseRequest>(body).is_err());
    }

    #[test]
    fn exactly_the_recorded_conflicts_are_recorded_offline() {
        let all = [
            Refusal::CardUnknown,
            Refusal::BeforeCard,
            Refusal::CardRevoked { reason: None },
            Refusal::CardSuperseded,
            Refusal::CardExpired,
            Refusal::MedicineNotAuthorised(NotAuthorised::Withdrawn),
            Refusal::BeforeAuthorisation,
            Refusal::AuthorisationExpired {
                valid_until: Date(0),
            },
            Refusal::OverQuantity { max: 1 },
            Refusal::OverCount { authorised: 1 },
            Refusal::TooSoon { next: Date(0) },
            Refusal::IdempotencyKeyReused,
        ];
        let recorded: Vec<&str> = all
            .iter()
            .filter(|r| r.is_recorded_offline())
            .map(Refusal::code)
            .collect();
        assert_eq!(recorded, RECORDED_CONFLICTS);
    }
}
