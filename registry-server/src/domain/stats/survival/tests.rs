//! Unit tests of the Kaplan-Meier estimator. Every expected number is worked by hand in the
//! comment beside it, from the formulas in the module's documentation (Kaplan and Meier
//! 1958; Greenwood 1926; Kalbfleisch and Prentice 1980 for the log(−log) interval).

use super::*;

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected} (± {tolerance})"
    );
}

/// Ten patients, given out of order: deaths at 100, 200, 200, 500, 1000 and 1500 days;
/// censored at 200 (tied with two deaths), 400, 1200 and 2000 days.
fn ten_patients() -> Vec<Observation> {
    vec![
        Observation::censored(1200),
        Observation::death(200),
        Observation::death(100),
        Observation::censored(2000),
        Observation::death(500),
        Observation::censored(200),
        Observation::death(1500),
        Observation::censored(400),
        Observation::death(200),
        Observation::death(1000),
    ]
}

#[test]
fn kaplan_meier_steps_with_ties_and_censoring() {
    let curve = KaplanMeier::estimate(&ten_patients()).unwrap();
    assert_eq!(curve.patients(), 10);
    assert_eq!(curve.deaths(), 6);
    let steps = curve.steps();
    // One step per distinct time of death: 100, 200, 500, 1000, 1500 (the censorings at
    // 400, 1200 and 2000 only lower the number at risk).
    let days: Vec<i64> = steps.iter().map(|s| s.days).collect();
    assert_eq!(days, [100, 200, 500, 1000, 1500]);

    // t = 100: n = 10, d = 1. S = 9/10 = 0.9.
    // Greenwood sum Σ = 1/(10×9) = 1/90; Var = 0.9² × 1/90 = 0.81/90 = 0.009.
    // t = 200: n = 9 (the patient censored at 200 is still at risk: deaths come first),
    // d = 2. S = 0.9 × 7/9 = 0.7. (Censoring first would give n = 8, S = 0.9 × 6/8 = 0.675.)
    // Σ = 1/90 + 2/(9×7) = 7/630 + 20/630 = 27/630 = 3/70; Var = 0.49 × 3/70 = 0.021.
    // Then 2 deaths and 1 censoring leave 6; the censoring at 400 leaves 5.
    // t = 500: n = 5, d = 1. S = 0.7 × 4/5 = 0.56.
    // Σ = 3/70 + 1/(5×4) = 6/140 + 7/140 = 13/140; Var = 0.3136 × 13/140 = 4.0768/140
    // = 0.02912.
    // t = 1000: n = 4, d = 1. S = 0.56 × 3/4 = 0.42.
    // Σ = 13/140 + 1/(4×3) = 39/420 + 35/420 = 74/420 = 37/210; Var = 0.1764 × 37/210
    // = 0.00084 × 37 = 0.03108.
    // The censoring at 1200 leaves 2.
    // t = 1500: n = 2, d = 1. S = 0.42 × 1/2 = 0.21.
    // Σ = 37/210 + 1/(2×1) = 37/210 + 105/210 = 142/210 = 71/105; Var = 0.0441 × 71/105
    // = 0.00042 × 71 = 0.02982.
    let expected = [
        (10, 1, 0.9, 0.009),
        (9, 2, 0.7, 0.021),
        (5, 1, 0.56, 0.029_12),
        (4, 1, 0.42, 0.031_08),
        (2, 1, 0.21, 0.029_82),
    ];
    for (step, (n, d, s, var)) in steps.iter().zip(expected) {
        assert_eq!((step.at_risk, step.deaths), (n, d), "{step:?}");
        close(step.survival, s, 1e-12);
        close(step.variance, var, 1e-12);
        assert!(0.0 <= step.lower && step.lower <= step.survival, "{step:?}");
        assert!(step.survival <= step.upper && step.upper <= 1.0, "{step:?}");
    }

    // The interval at t = 200 (S = 0.7), by hand:
    // Σ = 3/70 = 0.04285714, √Σ = 0.20701967; ln 0.7 = −0.35667494;
    // σ = 0.20701967 / 0.35667494 = 0.58041551; 1.96 σ = 1.13761439;
    // e^1.13761439 = 3.11931801, e^−1.13761439 = 0.32058290;
    // lower = 0.7^3.11931801 = e^(3.11931801 × −0.35667494) = e^−1.11258258 = 0.32870895;
    // upper = 0.7^0.32058290 = e^(0.32058290 × −0.35667494) = e^−0.11434389 = 0.89195117.
    close(steps[1].lower, 0.328_708_948, 1e-8);
    close(steps[1].upper, 0.891_951_173, 1e-8);
    // The other steps' intervals, computed the same way:
    // S = 0.9:  σ = √(1/90) / 0.10536052 = 1.00046260 → 0.47299651 to 0.98528192;
    // S = 0.21: σ = √(71/105) / 1.56064775 = 0.52690174 → 0.01248264 to 0.57370235.
    close(steps[0].lower, 0.472_996_512, 1e-8);
    close(steps[0].upper, 0.985_281_920, 1e-8);
    close(steps[4].lower, 0.012_482_643, 1e-8);
    close(steps[4].upper, 0.573_702_352, 1e-8);
}

#[test]
fn survival_and_number_at_risk_at_1_3_and_5_years() {
    let curve = KaplanMeier::estimate(&ten_patients()).unwrap();
    let [one, three, five] = curve.at_milestones();
    // 365 days: the last death before is at 200, S = 0.7; at risk, the patients whose time is
    // 365 or later: 400, 500, 1000, 1200, 1500, 2000 = 6.
    let one = one.unwrap();
    assert_eq!((one.days, one.at_risk), (365, 6));
    close(one.survival, 0.7, 1e-12);
    close(one.variance, 0.021, 1e-12);
    close(one.lower, 0.328_708_948, 1e-8);
    close(one.upper, 0.891_951_173, 1e-8);
    // 1095 days: last death at 1000, S = 0.42; at risk 1200, 1500, 2000 = 3.
    let three = three.unwrap();
    assert_eq!((three.days, three.at_risk), (1095, 3));
    close(three.survival, 0.42, 1e-12);
    close(three.variance, 0.031_08, 1e-12);
    // 1826 days: last death at 1500, S = 0.21; at risk 2000 = 1.
    let five = five.unwrap();
    assert_eq!((five.days, five.at_risk), (1826, 1));
    close(five.survival, 0.21, 1e-12);
    close(five.variance, 0.029_82, 1e-12);

    // At 0: S = 1 with the interval [1, 1], all 10 at risk.
    let start = curve.at(0).unwrap();
    assert_eq!(start.at_risk, 10);
    assert_eq!(
        (start.survival, start.variance, start.lower, start.upper),
        (1.0, 0.0, 1.0, 1.0)
    );
    // At a time of death the step has happened; the patient who dies then was at risk.
    let at_100 = curve.at(100).unwrap();
    assert_eq!(at_100.at_risk, 10);
    close(at_100.survival, 0.9, 1e-12);
    // At the last patient's time, still an estimate; after it, none.
    assert_eq!(curve.at(2000).map(|e| e.at_risk), Some(1));
    assert_eq!(curve.at(2001), None);
}

#[test]
fn everyone_dying_at_once_gives_zero_not_nan() {
    // n = 3, d = 3: S = 1 × 0/3 = 0; Greenwood's term 3/(3×0) is infinite, so the variance is
    // taken as 0 and the interval as [0, 0].
    let curve = KaplanMeier::estimate(&[
        Observation::death(30),
        Observation::death(30),
        Observation::death(30),
    ])
    .unwrap();
    let [step] = curve.steps() else {
        panic!("{:?}", curve.steps())
    };
    assert_eq!((step.at_risk, step.deaths), (3, 3));
    assert_eq!(
        (step.survival, step.variance, step.lower, step.upper),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(curve.at(30).map(|e| e.survival), Some(0.0));
    assert_eq!(curve.at(31), None);
}

#[test]
fn the_last_death_after_a_censoring() {
    // Deaths at 10 and 20, censored at 15: t = 10, n = 3, S = 2/3; the censoring leaves 1;
    // t = 20, n = 1, d = 1: S = 0 (variance 0, interval [0, 0]).
    let curve = KaplanMeier::estimate(&[
        Observation::death(10),
        Observation::censored(15),
        Observation::death(20),
    ])
    .unwrap();
    let steps = curve.steps();
    assert_eq!(steps.len(), 2);
    close(steps[0].survival, 2.0 / 3.0, 1e-12);
    // Var = (2/3)² × 1/(3×2) = 4/9 × 1/6 = 4/54 = 0.0740741.
    close(steps[0].variance, 4.0 / 54.0, 1e-12);
    assert_eq!(
        (
            steps[1].survival,
            steps[1].variance,
            steps[1].lower,
            steps[1].upper
        ),
        (0.0, 0.0, 0.0, 0.0)
    );
}

#[test]
fn censorings_only_leave_survival_at_one() {
    let curve =
        KaplanMeier::estimate(&[Observation::censored(10), Observation::censored(20)]).unwrap();
    assert!(curve.steps().is_empty());
    let e = curve.at(15).unwrap();
    assert_eq!(
        (e.at_risk, e.survival, e.lower, e.upper),
        (1, 1.0, 1.0, 1.0)
    );
}

#[test]
fn empty_and_negative_input_is_refused() {
    assert_eq!(
        KaplanMeier::estimate(&[]),
        Err(StatsError::Empty("patients"))
    );
    assert_eq!(
        KaplanMeier::estimate(&[Observation::death(5), Observation::censored(-3)]),
        Err(StatsError::NegativeTime { days: -3 })
    );
    assert_eq!(
        StatsError::NegativeTime { days: -3 }.to_string(),
        "survival time of -3 days: expected at least 0"
    );
}
