//! Observed survival: the Kaplan-Meier product-limit estimator (Kaplan EL, Meier P. *J Am
//! Stat Assoc* 1958;53:457-81), with Greenwood's variance (Greenwood M, 1926) and a 95%
//! confidence interval on the log(−log) scale (Kalbfleisch JD, Prentice RL, 1980), as
//! registries use them (Parkin DM, Hakulinen T. Analysis of survival. In: Jensen OM et al.
//! (eds.) *Cancer Registration: Principles and Methods*, IARC Scientific Publications No. 95,
//! Lyon 1991, chapter 12).
//!
//! Each patient is an [`Observation`]: the days from diagnosis to death, or to the last time
//! the patient was known alive (censored). At each distinct time t_j at which d_j patients
//! die, of the n_j still under observation just before t_j (those whose time is t_j or
//! later):
//!
//! - survival S(t) = Π_{t_j ≤ t} (1 − d_j / n_j);
//! - Greenwood's variance Var(S(t)) = S(t)² × Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j));
//! - the 95% interval, with σ = √(Σ d_j / (n_j (n_j − d_j))) / |ln S(t)| the standard error
//!   of ln(−ln S(t)): exp(−exp(ln(−ln S) ± 1.96 σ)), that is from S^exp(+1.96 σ) (lower) to
//!   S^exp(−1.96 σ) (upper). It always lies within [0, 1].
//!
//! Ties: deaths come before censorings at the same time, so a patient censored at t_j still
//! counts among the n_j at risk at t_j. Where S is 1 (before the first death) the variance is
//! 0 and the interval [1, 1]; where every patient at risk dies, S falls to 0 and the variance
//! is taken as 0 and the interval as [0, 0] (Greenwood's sum is infinite there), so no result
//! is ever NaN.

use super::{StatsError, Z_95};

#[cfg(test)]
mod tests;

/// One year, in days.
pub const ONE_YEAR: i64 = 365;
/// Three years, in days.
pub const THREE_YEARS: i64 = 1095;
/// Five years, in days.
pub const FIVE_YEARS: i64 = 1826;
/// The times at which registries report survival: 1, 3 and 5 years.
pub const MILESTONES: [i64; 3] = [ONE_YEAR, THREE_YEARS, FIVE_YEARS];

/// How a patient's follow-up ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The patient died (of any cause: observed survival).
    Death,
    /// The patient was last known alive then (lost to follow-up, or alive at the closing
    /// date).
    Censored,
}

/// One patient's follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Observation {
    /// Days from diagnosis to death or to the last contact.
    pub days: i64,
    /// Death, or censored.
    pub outcome: Outcome,
}

impl Observation {
    /// A death after `days`.
    pub fn death(days: i64) -> Observation {
        Observation {
            days,
            outcome: Outcome::Death,
        }
    }

    /// A patient last known alive after `days`.
    pub fn censored(days: i64) -> Observation {
        Observation {
            days,
            outcome: Outcome::Censored,
        }
    }
}

/// The curve at one time at which patients died.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The time, in days.
    pub days: i64,
    /// n_j: the patients under observation just before this time.
    pub at_risk: u32,
    /// d_j: the deaths at this time.
    pub deaths: u32,
    /// S(t) from this time until the next step.
    pub survival: f64,
    /// Greenwood's variance of S(t).
    pub variance: f64,
    /// The lower bound of the 95% log(−log) interval.
    pub lower: f64,
    /// The upper bound of the 95% log(−log) interval.
    pub upper: f64,
}

/// The curve read at a given time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The time asked for, in days.
    pub days: i64,
    /// The patients still under observation at that time (time equal or later).
    pub at_risk: u32,
    /// S(t): survival to that time.
    pub survival: f64,
    /// Greenwood's variance of S(t).
    pub variance: f64,
    /// The lower bound of the 95% log(−log) interval.
    pub lower: f64,
    /// The upper bound of the 95% log(−log) interval.
    pub upper: f64,
}

/// A Kaplan-Meier survival curve.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// Every patient's time, sorted.
    times: Vec<i64>,
    /// One step per distinct time of death, in time order.
    steps: Vec<Step>,
}

impl KaplanMeier {
    /// The curve of `observations`. Refused when there are none, when a time is negative,
    /// or when there are more than `u32::MAX`.
    pub fn estimate(observations: &[Observation]) -> Result<KaplanMeier, StatsError> {
        if observations.is_empty() {
            return Err(StatsError::Empty("patients"));
        }
        let mut at_risk = u32::try_from(observations.len())
            .map_err(|_| StatsError::TooManyPatients(observations.len()))?;
        if let Some(o) = observations.iter().find(|o| o.days < 0) {
            return Err(StatsError::NegativeTime { days: o.days });
        }
        let mut sorted: Vec<(i64, bool)> = observations
            .iter()
            .map(|o| (o.days, o.outcome == Outcome::Death))
            .collect();
        sorted.sort_unstable();

        let mut steps = Vec::new();
        let mut survival = 1.0;
        let mut greenwood = 0.0;
        let mut rest = sorted.as_slice();
        while let Some(&(days, _)) = rest.first() {
            let same = rest.iter().take_while(|&&(t, _)| t == days).count();
            let (here, after) = rest.split_at_checked(same).unwrap_or((rest, &[]));
            let deaths = here.iter().filter(|&&(_, death)| death).count();
            let deaths = u32::try_from(deaths).unwrap_or(at_risk).min(at_risk);
            if deaths > 0 {
                let (n, d) = (f64::from(at_risk), f64::from(deaths));
                let (variance, lower, upper) = if deaths < at_risk {
                    survival *= (n - d) / n;
                    greenwood += d / (n * (n - d));
                    let (lower, upper) = log_log_interval(survival, greenwood);
                    (survival * survival * greenwood, lower, upper)
                } else {
                    survival = 0.0;
                    (0.0, 0.0, 0.0)
                };
                steps.push(Step {
                    days,
                    at_risk,
                    deaths,
                    survival,
                    variance,
                    lower,
                    upper,
                });
            }
            at_risk = at_risk.saturating_sub(u32::try_from(same).unwrap_or(u32::MAX));
            rest = after;
        }
        let times = sorted.into_iter().map(|(days, _)| days).collect();
        Ok(KaplanMeier { times, steps })
    }

    /// The steps of the curve: one per distinct time of death.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The number of patients.
    pub fn patients(&self) -> u32 {
        u32::try_from(self.times.len()).unwrap_or(u32::MAX)
    }

    /// The number of deaths.
    pub fn deaths(&self) -> u32 {
        self.steps.iter().map(|s| s.deaths).sum()
    }

    /// The patients still under observation at `days`: those whose time is `days` or later.
    pub fn at_risk(&self, days: i64) -> u32 {
        let before = self.times.partition_point(|&t| t < days);
        u32::try_from(self.times.len().saturating_sub(before)).unwrap_or(u32::MAX)
    }

    /// The curve at `days`: S and its interval from the last step at or before `days`, and
    /// the number at risk then. None after the last patient's time (no one was observed
    /// that long).
    pub fn at(&self, days: i64) -> Option<Estimate> {
        if days > *self.times.last()? {
            return None;
        }
        let passed = self.steps.partition_point(|s| s.days <= days);
        let step = passed.checked_sub(1).and_then(|i| self.steps.get(i));
        let (survival, variance, lower, upper) = match step {
            Some(s) => (s.survival, s.variance, s.lower, s.upper),
            None => (1.0, 0.0, 1.0, 1.0),
        };
        Some(Estimate {
            days,
            at_risk: self.at_risk(days),
            survival,
            variance,
            lower,
            upper,
        })
    }

    /// The curve at 1, 3 and 5 years ([`MILESTONES`]), each None past the last follow-up.
    pub fn at_milestones(&self) -> [Option<Estimate>; 3] {
        MILESTONES.map(|days| self.at(days))
    }
}

/// The 95% interval of S on the log(−log) scale, given Greenwood's sum Σ d_j / (n_j (n_j −
/// d_j)): from S^exp(1.96 σ) to S^exp(−1.96 σ), σ = √sum / |ln S|. [1, 1] at S = 1 and
/// [0, 0] at S = 0.
fn log_log_interval(survival: f64, sum: f64) -> (f64, f64) {
    if survival >= 1.0 {
        return (1.0, 1.0);
    }
    if survival <= 0.0 {
        return (0.0, 0.0);
    }
    let sigma = sum.sqrt() / -survival.ln();
    (
        survival.powf((Z_95 * sigma).exp()),
        survival.powf((-Z_95 * sigma).exp()),
    )
}
