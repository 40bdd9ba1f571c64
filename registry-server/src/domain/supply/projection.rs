//! Looking ahead and looking back: the day stock would run out at the demand forecast
//! ([`stockout_date`]), and how far a forecast was from what happened ([`mape`]).
//!
//! # The stock-out date
//! A month's demand is spread evenly over its days: Q units over D days take Q × d / D by the
//! end of the month's d-th day. Stock S left at the start of a month runs out on its day
//! d = ⌈S × D / Q⌉ when S ≤ Q (the first day the demand so far reaches S), and otherwise
//! S − Q is carried into the next month. Today's month spreads its demand over the days from
//! today to its end (the dispensings due this month are all due from today,
//! [`super::schedule::monthly_due`]); later months over all their days. Computed in
//! integers: no rounding but the one ceiling.
//!
//! # The forecast error
//! The mean absolute percentage error, MAPE = mean of |forecast − actual| / actual × 100,
//! over the pairs whose actual is above 0. A pair with an actual of 0 has no percentage
//! error (it would divide by 0) and is left out of the mean, as is a pair with a number
//! that is not finite or an actual below 0; no pair left, no MAPE.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use card_format::model::Date;

use super::schedule::month_bounds;

/// The first day the stock `on_hand` today would reach 0 at `monthly_demand`
/// (`(year, month, quantity)`, as [`super::schedule::monthly_due`] and
/// [`super::demand::by_key`] give it), spread evenly over each month's days (see the
/// module's documentation); today when nothing is on hand; `None` when the stock outlasts
/// the months given.
///
/// Months are taken in calendar order whatever their order here; a month given twice counts
/// the sum of its quantities; months before today's, and months that do not exist (month 0
/// or 13), are ignored; a month missing between two others has no demand.
pub fn stockout_date(on_hand: u64, today: Date, monthly_demand: &[(i32, u8, u64)]) -> Option<Date> {
    if on_hand == 0 {
        return Some(today);
    }
    let mut months: BTreeMap<(i32, u8), u64> = BTreeMap::new();
    for &(year, month, quantity) in monthly_demand {
        let total = months.entry((year, month)).or_insert(0);
        *total = total.saturating_add(quantity);
    }
    let today_day = i64::from(today.0);
    let mut left = on_hand;
    for ((year, month), demand) in months {
        let Some((first, last)) = month_bounds(year, month) else {
            continue;
        };
        let (first, last) = (i64::from(first.0).max(today_day), i64::from(last.0));
        if last < first || demand == 0 {
            continue;
        }
        if left > demand {
            left -= demand;
            continue;
        }
        // 1 ≤ left ≤ demand and 1 ≤ days ≤ 31: day is 1 to days.
        let days = last - first + 1;
        let day = (u128::from(left) * u128::try_from(days).ok()?).div_ceil(u128::from(demand));
        let out = first.checked_add(i64::try_from(day).ok()? - 1)?;
        return i32::try_from(out).ok().map(Date);
    }
    None
}

/// The mean absolute percentage error of `(forecast, actual)` pairs, in percent, over the
/// pairs with a finite actual above 0 and a finite forecast (see the module's documentation
/// for the pairs left out); `None` when no pair is left, or the mean overflows.
pub fn mape(pairs: &[(f64, f64)]) -> Option<f64> {
    let mut sum = 0.0;
    let mut counted: usize = 0;
    for &(forecast, actual) in pairs {
        if !(forecast.is_finite() && actual.is_finite() && actual > 0.0) {
            continue;
        }
        sum += (forecast - actual).abs() / actual * 100.0;
        counted += 1;
    }
    if counted == 0 {
        return None;
    }
    // A count beyond 2^53 rounds as an f64; the mean does not notice.
    let mean = sum / counted as f64;
    mean.is_finite().then_some(mean)
}
