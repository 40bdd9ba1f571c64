//! One facility × medicine's demand for the months ahead, beside the OpenLMIS consumption
//! measures of the same item, its expected stock-out date and the orders each proposes.
//!
//! Demand of month i (0 = this month) = the dispensings due on active authorisations that
//! month ([`super::schedule::monthly_due`]) × the medicine's follow-through (the share of
//! the doses due that were collected lately, [`super::follow_through`]), to the nearest
//! unit, + the new cases' regimens: a regimen row of
//! share s, u units a month for L months, for new cases arriving at r a month, counts
//! r × min(i + 1, L) cases on it in month i (those diagnosed this month and after, still
//! within their L months: the cases already diagnosed have authorisations and are in the
//! first term), each taking s × u units ([`super::demand::expected_units`]); the month's
//! sum over the rows is rounded to the nearest unit, once (half up).
//!
//! The OpenLMIS baseline extrapolates consumption only: N per past month from its
//! consumption C and stock-out days X (M = 1), P = the mean of the Ns, maximum stock
//! H = P × [`MAX_PERIODS`], order I = max(0, H − E) ([`super::openlmis`]). The registry's
//! own proposal orders what its forecast says the next [`MAX_PERIODS`] months take, less
//! what is on hand: max(0, demand of months 0 to 2 − E). The stock-out date is the day the
//! stock on hand runs out at the forecast demand ([`super::projection::stockout_date`]).

#[cfg(test)]
mod tests;

use card_format::model::Date;

use super::demand::expected_units;
use super::follow_through::expected;
use super::openlmis::{
    adjusted_consumption, average_consumption, maximum_stock, months_of_stock, order_quantity,
};
use super::projection::stockout_date;
use super::regimens::Regimen;
use super::schedule::next_month;
use super::SupplyError;

/// Months of stock an order aims to hold (OpenLMIS's maximum periods of stock, and the
/// registry's proposal's horizon).
pub const MAX_PERIODS: u32 = 3;

/// A past month's consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consumed {
    /// Units dispensed and administered.
    pub units: u64,
    /// Days the item was out of stock.
    pub stockout_days: u32,
}

/// What the forecast takes for one facility × medicine.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs<'a> {
    /// Today.
    pub today: Date,
    /// Months ahead, from this one.
    pub months: u32,
    /// The dispensings due, `(year, month, units)` from this month, as
    /// [`super::demand::by_key`] gives them (may be shorter than `months`).
    pub due: Vec<(i32, u8, u64)>,
    /// The share of the units due that patients are expected to collect
    /// ([`super::follow_through`]; 1: the schedule as it is).
    pub follow_through: f64,
    /// New cases a month and the regimen row they start.
    pub new_cases: Vec<(f64, &'a Regimen)>,
    /// Consumption of the past months, oldest first.
    pub consumed: Vec<Consumed>,
    /// Stock on hand now.
    pub on_hand: u64,
}

/// One month of demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Units due on active authorisations, on their schedules.
    pub scheduled: u64,
    /// Units expected on them: `scheduled` × the follow-through, to the nearest unit.
    pub due: u64,
    /// Units the expected new cases will take.
    pub new_cases: u64,
    /// The sum.
    pub total: u64,
}

/// The forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Demand per month, this month first.
    pub months: Vec<Month>,
    /// OpenLMIS adjusted consumption N of each past month, oldest first.
    pub adjusted: Vec<u64>,
    /// OpenLMIS average consumption P (none without past months).
    pub average_monthly: Option<u64>,
    /// Months of stock at P.
    pub months_of_stock: Option<f64>,
    /// OpenLMIS maximum stock H = P × 3.
    pub maximum_stock: u64,
    /// OpenLMIS order quantity I = max(0, H − E).
    pub openlmis_order: u64,
    /// The registry's proposal: max(0, demand of the next 3 months − E).
    pub proposed_order: u64,
    /// The day the stock runs out at the forecast demand (none: it outlasts the months).
    pub stockout: Option<Date>,
}

/// Forecasts one facility × medicine.
///
/// # Errors
/// A count that does not fit ([`SupplyError`]): more stock-out days than a month has, a
/// share out of range.
pub fn forecast(i: &Inputs<'_>) -> Result<Forecast, SupplyError> {
    let Some((mut year, mut month, _)) = i.today.to_ymd() else {
        return Err(SupplyError::Overflow("today"));
    };
    let mut months = Vec::new();
    for k in 0..i.months {
        let scheduled = i
            .due
            .iter()
            .filter(|&&(y, m, _)| (y, m) == (year, month))
            .fold(0_u64, |sum, &(_, _, q)| sum.saturating_add(q));
        let due = expected(scheduled, i.follow_through);
        let mut expected = 0.0_f64;
        for &(per_month, regimen) in &i.new_cases {
            let on = per_month * f64::from((k + 1).min(regimen.months));
            expected += expected_units(on, regimen.share, regimen.units_per_month)?;
        }
        let new_cases = nearest_unit(expected)?;
        months.push(Month {
            year,
            month,
            scheduled,
            due,
            new_cases,
            total: due.saturating_add(new_cases),
        });
        (year, month) = next_month(year, month).ok_or(SupplyError::Overflow("month"))?;
    }
    let adjusted = i
        .consumed
        .iter()
        .map(|c| adjusted_consumption(c.units, c.stockout_days, 1))
        .collect::<Result<Vec<_>, _>>()?;
    let average_monthly = average_consumption(&adjusted);
    let maximum = average_monthly.map_or(0, |p| maximum_stock(p, MAX_PERIODS));
    let horizon: u64 = months
        .iter()
        .take(MAX_PERIODS as usize)
        .fold(0, |sum, m| sum.saturating_add(m.total));
    let monthly: Vec<(i32, u8, u64)> = months.iter().map(|m| (m.year, m.month, m.total)).collect();
    Ok(Forecast {
        stockout: stockout_date(i.on_hand, i.today, &monthly),
        months_of_stock: average_monthly.and_then(|p| months_of_stock(i.on_hand, p)),
        openlmis_order: order_quantity(maximum, i.on_hand),
        proposed_order: horizon.saturating_sub(i.on_hand),
        maximum_stock: maximum,
        average_monthly,
        adjusted,
        months,
    })
}

/// A month's expected new-case units to the nearest whole unit (half up, so 0.5 is 1). A
/// sum within 10⁻⁹ (relative) of a half is taken as that half, so that floating-point noise
/// (1/12 × 0.6 × 30 is 1.4999999999999998) does not round it down.
fn nearest_unit(units: f64) -> Result<u64, SupplyError> {
    let up = units + 0.5;
    let whole = if (up - up.round()).abs() <= 1e-9 * up.abs().max(1.0) {
        up.round()
    } else {
        up.floor()
    };
    if !(whole.is_finite() && whole >= 0.0 && whole < u64::MAX as f64) {
        return Err(SupplyError::Overflow("morbidity demand"));
    }
    // A non-negative whole number below 2^64: the cast is exact.
    Ok(whole as u64)
}
