//! The requisition quantities of OpenLMIS v3 (requisition service,
//! `LineItemFieldsCalculator`), letter for letter:
//!
//! | letter | quantity | here |
//! |---|---|---|
//! | A | beginning balance | |
//! | B | total received quantity | |
//! | C | total consumed quantity | |
//! | D | total losses and adjustments (signed) | |
//! | E | stock on hand = A + B ± D − C | [`stock_on_hand`] |
//! | X | total stock-out days | |
//! | M | months in the period | |
//! | N | adjusted consumption = RoundUp(C × (M × 30) / ((M × 30) − X)) | [`adjusted_consumption`] |
//! | P | average consumption = RoundUp(mean of N over the periods) | [`average_consumption`] |
//! | H | maximum stock quantity = P × maximum periods of stock | [`maximum_stock`] |
//! | I | calculated order quantity = max(0, H − E) | [`order_quantity`] |
//!
//! and months of stock = stock on hand / average monthly consumption, as mSupply computes it
//! ([`months_of_stock`]).
//!
//! # Where this departs from the OpenLMIS source
//! - N is computed exactly, in integers: ⌈C × 30M / (30M − X)⌉. OpenLMIS first divides
//!   30M / (30M − X) to 1,000 decimal places, rounding half up, then multiplies by C and
//!   rounds up; when the exact N is a whole number and that 1,000th-place rounding went up,
//!   OpenLMIS answers one more. C = 85, X = 5, M = 3: exactly 85 × 90 / 85 = 90, OpenLMIS
//!   91; C = 23, X = 7, M = 1: exactly 30, OpenLMIS 31. The formula as documented (OLMIS-886,
//!   the calculator's own comment) is the exact one, so that is what is kept.
//! - A period of 0 months is refused ([`SupplyError::InvalidPeriod`]): OpenLMIS never makes
//!   one (its periods are whole months; the formula "only works well for periods that are a
//!   whole number of months", OpenLMIS wiki, "Adjusted Consumption calculations and 360-day
//!   calendar", 2017).
//! - The maximum periods of stock is a whole number here; OpenLMIS allows a decimal one and
//!   rounds H half up.
//! - The additional quantity required (Z) of some OpenLMIS templates is not part of N here:
//!   the registry's equivalent is the morbidity part of [`super::demand`].

#[cfg(test)]
mod tests;

use super::SupplyError;

/// Days OpenLMIS counts in a month (its 360-day calendar).
pub const DAYS_PER_MONTH: u64 = 30;

/// Stock on hand E = A + B ± D − C: `opening` (A) plus `received` (B) plus the signed
/// `adjustments` (D, losses negative) minus `consumed` (C).
///
/// # Errors
/// [`SupplyError::NegativeStockOnHand`] when the result is below zero (the figures disagree;
/// OpenLMIS would store the negative number), [`SupplyError::Overflow`] above `u64::MAX`.
pub fn stock_on_hand(
    opening: u64,
    received: u64,
    adjustments: i64,
    consumed: u64,
) -> Result<u64, SupplyError> {
    // Every term fits an i128 and so do their sums: no overflow in here.
    let value =
        i128::from(opening) + i128::from(received) + i128::from(adjustments) - i128::from(consumed);
    if value < 0 {
        return Err(SupplyError::NegativeStockOnHand { value });
    }
    u64::try_from(value).map_err(|_| SupplyError::Overflow("stock on hand"))
}

/// Adjusted consumption N of a period: the consumption `consumed` (C) scaled up for the
/// `stockout_days` (X) on which nothing could be consumed, in a period of `months` (M)
/// months of 30 days: N = ⌈C × 30M / (30M − X)⌉.
///
/// As OpenLMIS: N = 0 when C = 0, and N = C when the whole period was stocked out
/// (X = 30M), since there is no day to scale from. C = 20, X = 5, M = 3:
/// ⌈20 × 90 / 85⌉ = ⌈21.18⌉ = 22.
///
/// # Errors
/// [`SupplyError::InvalidPeriod`] for M = 0; [`SupplyError::StockoutDaysExceedPeriod`] when
/// X > 30M (OpenLMIS refuses such a requisition: "stockout days can't be greater than length
/// of period"); [`SupplyError::Overflow`] when N exceeds `u64::MAX`.
pub fn adjusted_consumption(
    consumed: u64,
    stockout_days: u32,
    months: u32,
) -> Result<u64, SupplyError> {
    if months == 0 {
        return Err(SupplyError::InvalidPeriod { months });
    }
    let period_days = u64::from(months) * DAYS_PER_MONTH;
    let stockout = u64::from(stockout_days);
    if stockout > period_days {
        return Err(SupplyError::StockoutDaysExceedPeriod {
            stockout_days,
            period_days,
        });
    }
    if consumed == 0 {
        return Ok(0);
    }
    let in_stock_days = period_days - stockout;
    if in_stock_days == 0 {
        return Ok(consumed);
    }
    // C < 2^64 and 30M < 2^37: the product fits a u128.
    let scaled = u128::from(consumed) * u128::from(period_days);
    let adjusted = scaled.div_ceil(u128::from(in_stock_days));
    u64::try_from(adjusted).map_err(|_| SupplyError::Overflow("adjusted consumption"))
}

/// Average consumption P: the mean of the adjusted consumptions N of the periods given (the
/// current one and the previous ones), rounded up; `None` when there are none.
///
/// One period: P = N; [5, 10] gives ⌈7.5⌉ = 8; [5, 10, 15] gives 10 (OpenLMIS's cases).
pub fn average_consumption(adjusted: &[u64]) -> Option<u64> {
    let periods = u128::try_from(adjusted.len()).ok()?;
    if periods == 0 {
        return None;
    }
    // At most usize::MAX terms of at most 2^64 − 1 each: the sum fits a u128.
    let sum: u128 = adjusted.iter().map(|&n| u128::from(n)).sum();
    // The mean is at most the largest N, so it fits a u64.
    u64::try_from(sum.div_ceil(periods)).ok()
}

/// Maximum stock quantity H = P × maximum periods of stock, saturating at `u64::MAX`.
pub fn maximum_stock(average: u64, max_periods: u32) -> u64 {
    average.saturating_mul(u64::from(max_periods))
}

/// Calculated order quantity I = max(0, H − E): what brings the stock on hand up to the
/// maximum stock quantity, nothing when it is already there.
pub fn order_quantity(maximum: u64, on_hand: u64) -> u64 {
    maximum.saturating_sub(on_hand)
}

/// Months of stock = stock on hand / average monthly consumption (mSupply); `None` when the
/// consumption is 0, for which the stock lasts indefinitely (mSupply answers null too).
pub fn months_of_stock(on_hand: u64, average_monthly: u64) -> Option<f64> {
    if average_monthly == 0 {
        return None;
    }
    // Quantities beyond 2^53 lose precision as f64; months of stock is a ratio for display
    // and thresholds, where that does not matter.
    Some(on_hand as f64 / average_monthly as f64)
}

/// Average monthly consumption from the adjusted consumption N of a period of `months`
/// months: ⌈N / M⌉, so that a quarter's N compares with [`months_of_stock`].
///
/// # Errors
/// [`SupplyError::InvalidPeriod`] for M = 0.
pub fn monthly_consumption(adjusted: u64, months: u32) -> Result<u64, SupplyError> {
    if months == 0 {
        return Err(SupplyError::InvalidPeriod { months });
    }
    Ok(adjusted.div_ceil(u64::from(months)))
}
