//! When the remaining dispensings of a medicine authorisation fall due, and the quantity due
//! per calendar month: the demand the registry knows before anyone asks.
//!
//! The next dispensing is due `interval_days` after the last one, or today when there has
//! been none yet or it is overdue; then one every `interval_days`, while dispensings remain
//! and the due day is not after `valid_until` (the last day a dispensing is allowed,
//! inclusive, as on the card). Each due dispensing asks for `quantity` units of the form.
//!
//! # An interval of 0 days
//! The interval is the *minimum* number of days between two dispensings (the rulebook,
//! [`registry_api::dispensing::rules`]); 0 means nothing keeps the remaining dispensings
//! apart, and all of them may be asked for at once. The schedule then counts every remaining
//! dispensing as due on the first due day: the most that can be asked for, and the earliest,
//! which is the safe side for stock. Nothing loops: the due days are an arithmetic
//! progression, counted, never stepped through one day at a time.
//!
//! # Bounds
//! [`due_dates`] lists at most [`MAX_DUE_DATES`] days and [`monthly_due`] at most
//! [`MAX_MONTHS`] months, whatever the input; [`monthly_due`] counts the dispensings of a
//! month arithmetically, so its quantities are never cut short.

#[cfg(test)]
mod tests;

use card_format::model::Date;

/// The most due days [`due_dates`] lists: 65,535, the most dispensings a card can carry
/// ([`card_format::model::MedicineAuthorisation::dispensings`] is a `u16`).
pub const MAX_DUE_DATES: usize = 65_535;

/// The most months [`monthly_due`] lists: a century.
pub const MAX_MONTHS: u32 = 1_200;

/// What the demand arithmetic needs of an active medicine authorisation (the medicine and
/// the facility are the caller's key, [`super::demand::by_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorised {
    /// Quantity per dispensing, in units of the form.
    pub quantity: u32,
    /// Dispensings still authorised (authorised less those recorded).
    pub dispensings_left: u32,
    /// Minimum days between two dispensings.
    pub interval_days: u32,
    /// Last day a dispensing is allowed (inclusive).
    pub valid_until: Date,
    /// The day of the last dispensing, or `None` before the first.
    pub last_dispensed: Option<Date>,
}

/// The due days as an arithmetic progression: day `first + k × interval` for `k` in
/// `0..count`, `count` at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progression {
    first: i64,
    interval: i64,
    count: i64,
}

impl Progression {
    /// The due days of `a` from `today`, or `None` when nothing more is due.
    fn of(a: &Authorised, today: Date) -> Option<Progression> {
        if a.dispensings_left == 0 {
            return None;
        }
        let today = i64::from(today.0);
        let interval = i64::from(a.interval_days);
        // Days are i32 and the interval a u32: every sum here fits an i64.
        let first = match a.last_dispensed {
            Some(last) => (i64::from(last.0) + interval).max(today),
            None => today,
        };
        let valid_until = i64::from(a.valid_until.0);
        if first > valid_until {
            return None;
        }
        let left = i64::from(a.dispensings_left);
        let count = if interval == 0 {
            left
        } else {
            ((valid_until - first) / interval + 1).min(left)
        };
        Some(Progression {
            first,
            interval,
            count,
        })
    }

    /// How many due days fall from day `from` to day `to`, both included.
    fn count_between(&self, from: i64, to: i64) -> i64 {
        let last_k = self.count - 1;
        if from > to || to < self.first {
            return 0;
        }
        if self.interval == 0 {
            return if from <= self.first { self.count } else { 0 };
        }
        // The first k with first + k × interval ≥ from, and the last with ≤ to.
        let lo = if from <= self.first {
            0
        } else {
            (from - self.first).div_euclid(self.interval)
                + i64::from((from - self.first).rem_euclid(self.interval) != 0)
        };
        let hi = ((to - self.first) / self.interval).min(last_k);
        if hi < lo {
            0
        } else {
            hi - lo + 1
        }
    }

    /// The k-th due day.
    fn day(&self, k: i64) -> Option<Date> {
        let day = self.first.checked_add(k.checked_mul(self.interval)?)?;
        i32::try_from(day).ok().map(Date)
    }
}

/// The days the remaining dispensings of `a` fall due, from `today` to `horizon_end`
/// (inclusive), in order. Never more than `a.dispensings_left` days, nor more than
/// [`MAX_DUE_DATES`]; with an interval of 0 the same day repeats once per dispensing left
/// (see the module's documentation). Empty when none is left, the authorisation has
/// expired, or the horizon ends before the next due day.
pub fn due_dates(a: &Authorised, today: Date, horizon_end: Date) -> Vec<Date> {
    let Some(due) = Progression::of(a, today) else {
        return Vec::new();
    };
    let within = due.count_between(due.first, i64::from(horizon_end.0));
    let listed = usize::try_from(within).unwrap_or(0).min(MAX_DUE_DATES);
    let mut days = Vec::with_capacity(listed);
    for k in 0..listed {
        let Some(day) = i64::try_from(k).ok().and_then(|k| due.day(k)) else {
            break;
        };
        days.push(day);
    }
    days
}

/// The units of `a` due from day `from` to day `to` (both included), its schedule taken as
/// it stood on `from` (so an overdue dispensing counts as due on `from`): the count of due
/// days in the range × the quantity. 0 when nothing is left, it has expired, or `to` is
/// before `from`.
pub fn units_due_between(a: &Authorised, from: Date, to: Date) -> u64 {
    let count = Progression::of(a, from).map_or(0, |d| d.count_between(d.first, i64::from(to.0)));
    u64::try_from(count)
        .unwrap_or(0)
        .saturating_mul(u64::from(a.quantity))
}

/// The quantity of `a` due in each of the next `months` calendar months, the current one
/// (today's) first: `(year, month, quantity)`, a month with nothing due included with 0.
/// At most [`MAX_MONTHS`] months, and none past the calendar [`Date`] can name (year 9999);
/// empty when today itself has no calendar date.
pub fn monthly_due(a: &Authorised, today: Date, months: u32) -> Vec<(i32, u8, u64)> {
    let Some((mut year, mut month, _)) = today.to_ymd() else {
        return Vec::new();
    };
    let due = Progression::of(a, today);
    let months = months.min(MAX_MONTHS);
    let mut out = Vec::with_capacity(usize::try_from(months).unwrap_or(0));
    for _ in 0..months {
        let Some((first, last)) = month_bounds(year, month) else {
            break;
        };
        let count = due.map_or(0, |d| {
            d.count_between(i64::from(first.0), i64::from(last.0))
        });
        let quantity = u64::try_from(count)
            .unwrap_or(0)
            .saturating_mul(u64::from(a.quantity));
        out.push((year, month, quantity));
        let Some(next) = next_month(year, month) else {
            break;
        };
        (year, month) = next;
    }
    out
}

/// The first and last day of a calendar month (proleptic Gregorian), or `None` for a month
/// outside 1 to 12 or a year [`Date`] cannot name.
pub fn month_bounds(year: i32, month: u8) -> Option<(Date, Date)> {
    let first = Date::from_ymd("month", year, month, 1).ok()?;
    let last = Date::from_ymd("month", year, month, days_in_month(year, month)?).ok()?;
    Some((first, last))
}

/// The month after `year`-`month`, or `None` for a month outside 1 to 12 or past `i32::MAX`.
pub fn next_month(year: i32, month: u8) -> Option<(i32, u8)> {
    match month {
        1..=11 => Some((year, month + 1)),
        12 => Some((year.checked_add(1)?, 1)),
        _ => None,
    }
}

/// Days in a month of the proleptic Gregorian calendar, or `None` for a month outside 1 to 12.
pub fn days_in_month(year: i32, month: u8) -> Option<u8> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 => Some(if leap { 29 } else { 28 }),
        _ => None,
    }
}
