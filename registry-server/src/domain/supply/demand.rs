//! A month's demand for a medicine at a facility: the dispensings due that month on the active
//! authorisations ([`super::schedule::monthly_due`], summed per facility × medicine by
//! [`by_key`]), plus the expected new cases that will be started on it
//! ([`morbidity`]: new cases per month × the share of them on the regimen × the dose per
//! case; the regimen table that gives the share and the dose is data, read elsewhere).
//!
//! Quantities stay whole numbers in the unit of the form. The cytotoxics and antibodies have
//! no WHO defined daily dose ([`no_defined_daily_dose`]): they are counted in mg, vials or
//! units as prescribed, and nothing here converts one unit into another.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use card_format::model::Date;

use super::schedule::{monthly_due, Authorised};
use super::SupplyError;

/// 2^64 as an f64, exactly: every non-negative whole f64 below it is a `u64`.
const U64_LIMIT: f64 = 18_446_744_073_709_551_616.0;

/// The ATC groups without a WHO defined daily dose, kept in units of the form: alkylating
/// agents (L01A), antimetabolites (L01B), plant alkaloids (L01C), cytotoxic antibiotics
/// (L01D), monoclonal antibodies and antibody-drug conjugates (L01F) and other
/// antineoplastic agents (L01X). The protein kinase inhibitors (L01E) have DDDs.
pub const NO_DDD_GROUPS: [&str; 6] = ["L01A", "L01B", "L01C", "L01D", "L01F", "L01X"];

/// Whether the medicine of ATC code `atc` has no WHO defined daily dose
/// ([`NO_DDD_GROUPS`]); letter case and surrounding spaces are ignored.
pub fn no_defined_daily_dose(atc: &str) -> bool {
    let atc = atc.trim();
    atc.get(..4)
        .is_some_and(|group| NO_DDD_GROUPS.iter().any(|g| g.eq_ignore_ascii_case(group)))
}

/// The morbidity part of a month's demand: `new_cases_per_month` (expected, so possibly
/// fractional) × `share` (of those cases treated with the regimen, 0 to 1) ×
/// `dose_per_case` (units of the form a new case takes in its first month), rounded up to a
/// whole unit as OpenLMIS rounds quantities up. A product within 10⁻⁹ (relative) of a whole
/// number is taken as that number, so that floating-point noise (1.1 × 0.2 × 100 is
/// 22.000000000000004) does not add a unit.
///
/// 2.4 cases a month, 25% of them on a regimen of 6 vials per case: 2.4 × 0.25 × 6 = 3.6,
/// rounded up to 4 vials.
///
/// # Errors
/// [`SupplyError::InvalidNumber`] when the cases are negative or not finite, or the share
/// is outside 0 to 1 (or NaN); [`SupplyError::Overflow`] when the result exceeds what a
/// `u64` holds.
pub fn morbidity(
    new_cases_per_month: f64,
    share: f64,
    dose_per_case: u64,
) -> Result<u64, SupplyError> {
    let units = expected_units(new_cases_per_month, share, dose_per_case)?;
    let nearest = units.round();
    let whole = if (units - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        units.ceil()
    };
    if whole >= U64_LIMIT {
        return Err(SupplyError::Overflow("morbidity demand"));
    }
    // `whole` is a non-negative whole number below 2^64: the cast is exact.
    Ok(whole as u64)
}

/// The morbidity part before any rounding: `new_cases_per_month` × `share` ×
/// `dose_per_case`, the expected units (2.4 × 0.25 × 6 = 3.6). The forecast sums these over
/// a month's regimen rows and rounds the sum once ([`super::forecast`]): rounding each row
/// up added up to a unit per row and month, half again the demand of the rarer medicines
/// in the back-test (docs/benchmarks.md).
///
/// # Errors
/// As [`morbidity`], but for the overflow: the product is returned as it is.
pub fn expected_units(
    new_cases_per_month: f64,
    share: f64,
    dose_per_case: u64,
) -> Result<f64, SupplyError> {
    if !(new_cases_per_month.is_finite() && new_cases_per_month >= 0.0) {
        return Err(SupplyError::InvalidNumber {
            what: "new cases per month",
            value: new_cases_per_month,
            expected: "a finite number of at least 0",
        });
    }
    if !(0.0..=1.0).contains(&share) {
        return Err(SupplyError::InvalidNumber {
            what: "regimen share",
            value: share,
            expected: "a fraction from 0 to 1",
        });
    }
    // Doses beyond 2^53 are rounded to the nearest f64; such a dose is no medicine's.
    Ok(new_cases_per_month * share * dose_per_case as f64)
}

/// Adds `per_month` (the morbidity part, [`morbidity`]) to the quantity of every month of
/// `monthly`, saturating.
pub fn add_each_month(monthly: &mut [(i32, u8, u64)], per_month: u64) {
    for (_, _, quantity) in monthly.iter_mut() {
        *quantity = quantity.saturating_add(per_month);
    }
}

/// The sum of several monthly demands, month by month, in calendar order (a month present in
/// any part appears once; quantities saturate).
pub fn sum_monthly<'a>(
    parts: impl IntoIterator<Item = &'a [(i32, u8, u64)]>,
) -> Vec<(i32, u8, u64)> {
    let mut months: BTreeMap<(i32, u8), u64> = BTreeMap::new();
    for part in parts {
        for &(year, month, quantity) in part {
            let total = months.entry((year, month)).or_insert(0);
            *total = total.saturating_add(quantity);
        }
    }
    months
        .into_iter()
        .map(|((year, month), quantity)| (year, month, quantity))
        .collect()
}

/// The dispensings due in each of the next `months` calendar months (today's first), summed
/// per key: the caller's key is the facility × medicine (ATC code, strength, form) of each
/// authorisation. Every key's list covers the same months
/// ([`super::schedule::monthly_due`]).
pub fn by_key<'a, K: Ord>(
    authorisations: impl IntoIterator<Item = (K, &'a Authorised)>,
    today: Date,
    months: u32,
) -> BTreeMap<K, Vec<(i32, u8, u64)>> {
    let mut demand: BTreeMap<K, Vec<(i32, u8, u64)>> = BTreeMap::new();
    for (key, authorised) in authorisations {
        let due = monthly_due(authorised, today, months);
        match demand.get_mut(&key) {
            Some(total) => {
                // Same today and months: the same months in the same order.
                for (sum, (_, _, quantity)) in total.iter_mut().zip(due) {
                    sum.2 = sum.2.saturating_add(quantity);
                }
            }
            None => {
                demand.insert(key, due);
            }
        }
    }
    demand
}
