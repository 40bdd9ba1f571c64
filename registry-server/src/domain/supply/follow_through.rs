//! Follow-through: the share of the doses due on authorisations that patients actually
//! collected, measured on the registry's own recent past and applied to the doses due ahead.
//!
//! The schedule ([`super::schedule`]) counts every remaining dispensing as due on time: the
//! most that can be asked for. Patients come late (a late visit moves every later one),
//! miss visits, stop a medicine for toxicity or progression, die, or leave; the doses due
//! over-state what is handed out. The registry knows by how much: for the authorisations
//! that had been handed out at least once before a day `from`, it takes each one's
//! schedule as it stood on `from` (dispensings left and the last one then), counts the
//! units due from `from` to `to`, and compares them with the units handed out on those
//! authorisations in the same days. The ratio, per medicine (ATC, strength, form) over
//! every facility, multiplies the units due in the forecast.
//!
//! A medicine with fewer than [`MIN_AUTHORISATIONS`] authorisations due anything in the
//! window takes the ratio of all medicines together; with fewer than that in all, the
//! ratio is 1 (the schedule as it is).
//!
//! Worked: two authorisations of one medicine due 30 and 40 units in the window, 24 and 32
//! handed out: (24 + 32) / (30 + 40) = 0.8; the forecast's 100 units due in a month become
//! 80.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use card_format::model::Date;

use super::schedule::{units_due_between, Authorised};

/// Fewest authorisations due something in the window for a ratio of their own.
pub const MIN_AUTHORISATIONS: usize = 10;

/// Days of the window the ratio is measured on, ending the day before today: the forecast's
/// three months.
pub const WINDOW_DAYS: i32 = 91;

/// One authorisation in the window: its medicine, its schedule as it stood on the window's
/// first day, and the units handed out on it in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Past<K> {
    /// The medicine.
    pub medicine: K,
    /// The schedule on the window's first day.
    pub authorised: Authorised,
    /// Units dispensed and administered on it in the window.
    pub handed_out: u64,
}

/// The ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowThrough<K: Ord> {
    /// Per medicine with enough authorisations.
    pub per_medicine: BTreeMap<K, f64>,
    /// All medicines together (1 without enough authorisations).
    pub overall: f64,
}

impl<K: Ord> FollowThrough<K> {
    /// The ratio for `medicine`.
    pub fn of(&self, medicine: &K) -> f64 {
        self.per_medicine
            .get(medicine)
            .copied()
            .unwrap_or(self.overall)
    }
}

/// The ratios measured from `from` to `to` (both included).
pub fn measure<K: Ord + Clone>(past: &[Past<K>], from: Date, to: Date) -> FollowThrough<K> {
    // (authorisations, units due, units handed out)
    let mut sums: BTreeMap<K, (usize, u64, u64)> = BTreeMap::new();
    let mut all = (0_usize, 0_u64, 0_u64);
    for p in past {
        let due = units_due_between(&p.authorised, from, to);
        if due == 0 {
            continue;
        }
        let entry = sums.entry(p.medicine.clone()).or_default();
        for s in [entry, &mut all] {
            s.0 += 1;
            s.1 = s.1.saturating_add(due);
            s.2 = s.2.saturating_add(p.handed_out);
        }
    }
    let ratio = |(n, due, out): (usize, u64, u64)| {
        // Units are far below 2^53: the quotient is exact enough.
        (n >= MIN_AUTHORISATIONS && due > 0).then(|| out as f64 / due as f64)
    };
    FollowThrough {
        overall: ratio(all).unwrap_or(1.0),
        per_medicine: sums
            .into_iter()
            .filter_map(|(k, s)| ratio(s).map(|r| (k, r)))
            .collect(),
    }
}

/// `units` due × `ratio`, to the nearest unit (half up); `units` when the ratio is not a
/// finite number of at least 0.
pub fn expected(units: u64, ratio: f64) -> u64 {
    if !(ratio.is_finite() && ratio >= 0.0) {
        return units;
    }
    let product = (units as f64 * ratio + 0.5).floor();
    if product >= u64::MAX as f64 {
        u64::MAX
    } else {
        // A non-negative whole number below 2^64.
        product as u64
    }
}
