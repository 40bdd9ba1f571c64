//! The dispensing rulebook: one pure function, [`judge`], from what is known about a
//! dispensing ([`Facts`]) to every rule it breaks, in the order the rules are checked
//! ([`Verdict`]).
//!
//! Three callers, one verdict:
//! - the registry, online: the first rule broken refuses ([`Verdict::first`]); the count and
//!   interval are then claimed in one conditional statement, so two instances cannot both
//!   take the last dispensing, and a lost race is explained by judging the fresh counters
//!   again;
//! - the registry, for an offline dispensing as it syncs: judged at `offline_at`; the rules
//!   of [`super::RECORDED_CONFLICTS`] record it flagged, the others refuse
//!   ([`Verdict::offline`]);
//! - the card-agent at the pharmacy, offline: the card already verified, the count from the
//!   registry when it answers and from the pharmacy's own store; the first rule broken
//!   refuses before anything is handed over.
//!
//! The rules, in order: the card is known; issued by the time judged; not revoked, not
//! superseded, not expired at it; the authorisation is this patient's and active; recorded
//! by the time judged; not expired on the day judged; the quantity is 1 to the quantity authorised per dispensing; fewer dispensings
//! counted than authorised; no other dispensing less than `interval_days` before or after.

use card_format::model::Date;

use super::{NotAuthorised, Refusal};

const DAY: i64 = 86_400;

/// When a card's state changed, as far as the rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Not recorded: taken as before any time judged.
    Unrecorded,
    /// At this time, Unix seconds.
    At(i64),
}

impl Since {
    /// Whether the change had happened by `at`.
    pub fn is_by(self, at: i64) -> bool {
        match self {
            Since::Unrecorded => true,
            Since::At(t) => t <= at,
        }
    }
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// When.
    pub since: Since,
    /// The reason's code (`lost`, `deceased`...).
    pub reason: Option<String>,
}

/// The card presented, as the registry holds it (or, for the card-agent, as verified
/// offline against the trust bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// When it was issued, Unix seconds, if known (the registry knows; for an offline check
    /// at the card-agent the time judged is now, after any card's issue).
    pub issued_at: Option<i64>,
    /// When it expires, Unix seconds.
    pub expires_at: i64,
    /// Its revocation, if revoked.
    pub revoked: Option<Revoked>,
    /// When a newer card replaced it, if one did.
    pub superseded: Option<Since>,
}

impl Card {
    /// A card neither revoked nor superseded.
    pub fn active(expires_at: i64) -> Card {
        Card {
            issued_at: None,
            expires_at,
            revoked: None,
            superseded: None,
        }
    }
}

/// The terms of a medicine authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorisation {
    /// When it was recorded, Unix seconds, if known (the registry looks it up for an
    /// offline dispensing; a dispensing now is after it).
    pub authorised_at: Option<i64>,
    /// Quantity per dispensing.
    pub quantity: u32,
    /// Dispensings authorised.
    pub dispensings: i64,
    /// Minimum days between dispensings.
    pub interval_days: i64,
    /// Last valid day.
    pub valid_until: Date,
}

/// What is known of the authorisation's other dispensings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Earlier {
    /// Dispensings already counted against it, not counting the one judged.
    pub count: i64,
    /// The other dispensing nearest in time to the one judged (before or after), Unix
    /// seconds.
    pub nearest: Option<i64>,
}

impl Earlier {
    /// From the times of the other dispensings, for a dispensing at `at`.
    pub fn from_times(times: impl IntoIterator<Item = i64>, at: i64) -> Earlier {
        let mut earlier = Earlier::default();
        for t in times {
            earlier.count += 1;
            if earlier
                .nearest
                .is_none_or(|n| t.abs_diff(at) < n.abs_diff(at))
            {
                earlier.nearest = Some(t);
            }
        }
        earlier
    }
}

/// Everything the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// When the medicine is (or was) handed out, Unix seconds.
    pub at: i64,
    /// The card presented; None: no card has its serial.
    pub card: Option<Card>,
    /// The authorisation, or why it is not one the card's patient may be dispensed against.
    pub authorisation: Result<Authorisation, NotAuthorised>,
    /// The quantity handed out.
    pub quantity: u32,
    /// The authorisation's other dispensings.
    pub earlier: Earlier,
}

/// Every rule a dispensing breaks, in the order they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    broken: Vec<Refusal>,
}

impl Verdict {
    /// The first rule broken: the refusal of a dispensing made now. None: allowed.
    pub fn first(&self) -> Option<&Refusal> {
        self.broken.first()
    }

    /// Every rule broken, in order.
    pub fn broken(&self) -> &[Refusal] {
        &self.broken
    }

    /// Whether no rule is broken.
    pub fn is_allowed(&self) -> bool {
        self.broken.is_empty()
    }

    /// For a dispensing already made offline: `Ok(None)` records it, `Ok(Some(conflict))`
    /// records it flagged with the first rule broken, `Err` refuses it (a rule it cannot be
    /// recorded against: an unknown card, an authorisation not the patient's).
    ///
    /// # Errors
    /// The first rule broken that is not one of [`super::RECORDED_CONFLICTS`].
    pub fn offline(self) -> Result<Option<Refusal>, Refusal> {
        if let Some(refusal) = self.broken.iter().find(|r| !r.is_recorded_offline()) {
            return Err(refusal.clone());
        }
        Ok(self.broken.into_iter().next())
    }
}

/// Judges a dispensing by every rule.
pub fn judge(facts: &Facts) -> Verdict {
    let mut broken = Vec::new();
    let at = facts.at;
    let Some(card) = &facts.card else {
        return Verdict {
            broken: vec![Refusal::CardUnknown],
        };
    };
    if card.issued_at.is_some_and(|t| t > at) {
        broken.push(Refusal::BeforeCard);
    }
    if let Some(revoked) = card.revoked.as_ref().filter(|r| r.since.is_by(at)) {
        broken.push(Refusal::CardRevoked {
            reason: revoked.reason.clone(),
        });
    }
    if card.superseded.is_some_and(|since| since.is_by(at)) {
        broken.push(Refusal::CardSuperseded);
    }
    if card.expires_at <= at {
        broken.push(Refusal::CardExpired);
    }
    let a = match facts.authorisation {
        Ok(a) => a,
        Err(why) => {
            broken.push(Refusal::MedicineNotAuthorised(why));
            return Verdict { broken };
        }
    };
    if a.authorised_at.is_some_and(|t| t > at) {
        broken.push(Refusal::BeforeAuthorisation);
    }
    let day = Date::from_unix_seconds(u64::try_from(at).unwrap_or(0));
    if a.valid_until < day {
        broken.push(Refusal::AuthorisationExpired {
            valid_until: a.valid_until,
        });
    }
    if facts.quantity == 0 || facts.quantity > a.quantity {
        broken.push(Refusal::OverQuantity { max: a.quantity });
    }
    if facts.earlier.count >= a.dispensings {
        broken.push(Refusal::OverCount {
            authorised: a.dispensings,
        });
    }
    if let Some(nearest) = facts.earlier.nearest {
        let interval = a.interval_days.saturating_mul(DAY);
        if i128::from(nearest.abs_diff(at)) < i128::from(interval) {
            broken.push(Refusal::TooSoon {
                next: next_day(nearest, a.interval_days),
            });
        }
    }
    Verdict { broken }
}

/// The first day a dispensing after one at `last` is allowed.
pub fn next_day(last: i64, interval_days: i64) -> Date {
    let next = last.saturating_add(interval_days.saturating_mul(DAY));
    Date::from_unix_seconds(u64::try_from(next).unwrap_or(0))
}

#[cfg(test)]
mod tests;
