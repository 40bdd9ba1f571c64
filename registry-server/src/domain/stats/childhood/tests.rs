//! The childhood report on a few children, worked by hand: ICCC-3 groups and subgroups from
//! the site, morphology and behaviour, rates per million, the world ASR over the child groups.

use super::*;
use crate::domain::stats::report::{Decision, SexFilter};

/// A boy of `age`, a new primary of 2024, with ICD-O-3 `topography`, `morphology` and
/// `behaviour` (the ICD-10 code is the topography: the childhood report does not read it).
fn case(topography: &str, morphology: u16, behaviour: u8, age: u32) -> Case {
    Case {
        morphology,
        behaviour,
        ..Case::sample(topography, age)
    }
}

/// Precursor B-cell lymphoblastic leukaemia, 9836/3 in the marrow: ICCC-3 Ia (Ia.1).
fn lymphoid_leukaemia(age: u32) -> Case {
    case("C42.1", 9836, 3, age)
}

/// Person-years of both sexes, half boys and half girls: 0-4 500,000; 5-9 400,000; 10-14
/// 300,000; 15-19 250,000; every adult group 2,000,000.
fn population() -> Population {
    let mut male = [1_000_000.0; AGE_GROUPS];
    male[..4].copy_from_slice(&[250_000.0, 200_000.0, 150_000.0, 125_000.0]);
    Population { male, female: male }
}

fn filter() -> Filter {
    Filter {
        from_year: 2024,
        to_year: 2024,
        region: None,
        sex: SexFilter::Both,
    }
}

/// Six children counted by ICCC-3, one excluded as a duplicate and one not classified; an
/// adult and an adolescent of 17 whom a 0-14 report does not look at.
fn cases() -> Vec<Case> {
    let mut duplicate = lymphoid_leukaemia(4);
    duplicate.decision = Some(Decision::Duplicate);
    // C71.9, neoplasm benign (8000/0): ICCC-3 counts it, in IIIf.
    let mut benign_brain = case("C71.9", 8000, 0, 10);
    benign_brain.decision = Some(Decision::Review);
    vec![
        lymphoid_leukaemia(2),
        lymphoid_leukaemia(3),
        // Acute myeloid leukaemia 9861/3: Ib.
        case("C42.1", 9861, 3, 7),
        // Medulloblastoma C71.9 9470/3: IIIc (IIIc.1).
        case("C71.9", 9470, 3, 5),
        benign_brain,
        // Nephroblastoma C64.9 8960/3: VIa (VIa.1).
        case("C64.9", 8960, 3, 1),
        // A benign naevus of the skin (8720/0) outside the CNS: no ICCC-3 code.
        case("C44.3", 8720, 0, 9),
        duplicate,
        // An adult: never looked at.
        lymphoid_leukaemia(30),
        // Osteosarcoma of the femur, C40.2 9180/3: VIIIa, aged 17 (0-19 only).
        case("C40.2", 9180, 3, 17),
    ]
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

#[test]
fn the_classification_of_the_test_cases() {
    // The codes the worked examples rely on, from data/iccc3/rules.tsv.
    let code = |t: &str, m: u16, b: u8| iccc::classify(t, m, b).map(|c| c.subgroup);
    assert_eq!(code("C42.1", 9836, 3), Some("Ia"));
    assert_eq!(code("C42.1", 9861, 3), Some("Ib"));
    assert_eq!(code("C71.9", 9470, 3), Some("IIIc"));
    assert_eq!(code("C71.9", 8000, 0), Some("IIIf"));
    assert_eq!(code("C64.9", 8960, 3), Some("VIa"));
    assert_eq!(code("C40.2", 9180, 3), Some("VIIIa"));
    assert_eq!(code("C44.3", 8720, 0), None);
}

#[test]
fn ages_0_14_worked_by_hand() {
    let report = childhood(&cases(), &population(), &filter(), ChildAges::To14, false).unwrap();
    // Looked at: the 8 children aged 0-14 (not the adult, not the 17-year-old); counted the
    // 6 ICCC-3 tumours, one of which (the benign brain tumour) awaits a review.
    assert_eq!(report.counted.records, 8);
    assert_eq!(report.counted.included, 6);
    assert_eq!(report.counted.awaiting_review, 1);
    let excluded: Vec<(&str, u64)> = report
        .counted
        .excluded
        .iter()
        .map(|e| (e.reason, e.count))
        .collect();
    assert_eq!(excluded, [("not_in_iccc", 1), ("duplicate_tumour", 1)]);
    assert_eq!(report.counted.suppression, None);
    assert_eq!(report.counted.rules, RULES);
    assert_eq!(report.counted.standards.len(), 3);
    assert_eq!(report.ages, ChildAges::To14);
    assert_eq!(report.age_groups, ["0-4", "5-9", "10-14"]);

    // Each group with cases, followed by its subgroups with cases.
    let rows: Vec<(&str, &str)> = report
        .rows
        .iter()
        .map(|r| (r.level, r.rates.key.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("group", "I"),
            ("subgroup", "Ia"),
            ("subgroup", "Ib"),
            ("group", "III"),
            ("subgroup", "IIIc"),
            ("subgroup", "IIIf"),
            ("group", "VI"),
            ("subgroup", "VIa"),
        ]
    );
    let row = |key: &str| {
        &report
            .rows
            .iter()
            .find(|r| r.rates.key == key)
            .unwrap()
            .rates
    };

    // Group I: 2 leukaemias aged 0-4 (2, 3), 1 aged 5-9 (7).
    let leukaemias = row("I");
    assert_eq!(leukaemias.name, MainGroup::I.name());
    assert_eq!(leukaemias.name_ar, MainGroup::I.name_ar());
    assert_eq!(leukaemias.cases, Some(3));
    assert_eq!(leukaemias.age_cases, [Some(2), Some(1), Some(0)]);
    // Per million: 2 / 500,000 x 1e6 = 4.0; 1 / 400,000 x 1e6 = 2.5; 0.
    let rates: Vec<f64> = leukaemias.age_rates.iter().map(|r| r.unwrap()).collect();
    assert_eq!(rates.len(), 3);
    close(rates[0], 4.0);
    close(rates[1], 2.5);
    close(rates[2], 0.0);
    // Crude over 0-14 only: 3 / 1,200,000 x 1e6 = 2.5.
    close(leukaemias.crude.unwrap(), 2.5);
    // World weights of the child groups 12,000 / 10,000 / 9,000, sum 31,000:
    // ASR = (4.0 x 12,000 + 2.5 x 10,000 + 0 x 9,000) / 31,000 = 73,000 / 31,000 = 73/31
    // = 2.3548387.
    // Var = Σ c_i (k w_i / (P_i Σw))²: 0-4: 1e6 x 12,000 / (500,000 x 31,000) = 24/31, 5-9:
    // 1e6 x 10,000 / (400,000 x 31,000) = 25/31; Var = 2 x 576/961 + 1 x 625/961 = 1,777/961
    // = 1.8491155; SE = √1,777 / 31 = 1.3598219; 1.96 SE = 2.6652509 > ASR: lower 0, upper
    // 73/31 + 1.96 √1,777 / 31 = 5.0200896.
    let world = leukaemias.asr[0];
    assert_eq!(world.standard, "world");
    close(world.rate, 73.0 / 31.0);
    close(world.lower, 0.0);
    close(world.upper, 73.0 / 31.0 + 1.96 * 1777f64.sqrt() / 31.0);
    close(world.upper, 5.020_089_565_185_914);
    // European 8,000 / 7,000 / 7,000, sum 22,000: (4 x 8,000 + 2.5 x 7,000) / 22,000 = 2.25.
    assert_eq!(leukaemias.asr[1].standard, "european");
    close(leukaemias.asr[1].rate, 2.25);
    // WHO 886 / 869 / 860, sum 2,615: (4 x 886 + 2.5 x 869) / 2,615 = 5,716.5 / 2,615.
    assert_eq!(leukaemias.asr[2].standard, "who_2000_2025");
    close(leukaemias.asr[2].rate, 5_716.5 / 2_615.0);
    // No cumulative risk in a childhood table; 3 of the 6 tumours.
    assert_eq!(leukaemias.cumulative_risk, None);
    close(leukaemias.percent.unwrap(), 50.0);

    // Group III: medulloblastoma aged 5, benign brain tumour aged 10: rates 0, 2.5 and
    // 1 / 300,000 x 1e6 = 3.3333; ASR = (2.5 x 10,000 + 3.3333 x 9,000) / 31,000 = 55,000 /
    // 31,000 = 1.7741935. Group VI: 1 aged 0-4: 2.0, ASR 2 x 12,000 / 31,000 = 0.7741935.
    let cns = row("III");
    assert_eq!(cns.age_cases, [Some(0), Some(1), Some(1)]);
    close(cns.age_rates[2].unwrap(), 1e6 / 300_000.0);
    close(cns.asr[0].rate, 55.0 / 31.0);
    close(cns.percent.unwrap(), 200.0 / 6.0);
    let renal = row("VI");
    close(renal.age_rates[0].unwrap(), 2.0);
    close(renal.asr[0].rate, 24.0 / 31.0);
    close(renal.percent.unwrap(), 100.0 / 6.0);
    // The groups ranked by world ASR: I 2.35 > III 1.77 > VI 0.77.
    assert_eq!(
        (leukaemias.rank, cns.rank, renal.rank),
        (Some(1), Some(2), Some(3))
    );

    // Subgroups: not ranked, percent of all 6 tumours. Ia: 2 aged 0-4, 4.0 per million,
    // ASR 4 x 12,000 / 31,000 = 48/31.
    let ia = row("Ia");
    assert_eq!(ia.name, "Lymphoid leukemias");
    assert_eq!(ia.cases, Some(2));
    close(ia.asr[0].rate, 48.0 / 31.0);
    assert_eq!(ia.rank, None);
    close(ia.percent.unwrap(), 200.0 / 6.0);
    assert_eq!(row("Ib").name, "Acute myeloid leukemias");
    assert_eq!(row("Ib").cases, Some(1));
    // The benign tumour of the brain counts, as ICCC-3 has it.
    assert_eq!(row("IIIf").cases, Some(1));
    assert_eq!(row("IIIf").age_cases, [Some(0), Some(0), Some(1)]);
    close(row("VIa").percent.unwrap(), 100.0 / 6.0);

    // All groups: 3 / 2 / 1 cases: rates 6.0, 5.0, 3.3333; crude 6 / 1,200,000 x 1e6 = 5.0.
    // ASR = (6 x 12,000 + 5 x 10,000 + 3.3333 x 9,000) / 31,000 = 152,000 / 31,000 = 152/31.
    // Var = (3 x 24² + 2 x 25² + 1 x 30²) / 31² = (1,728 + 1,250 + 900) / 961 = 3,878/961
    // (10-14: 1e6 x 9,000 / (300,000 x 31,000) = 30/31); interval 152/31 ± 1.96 √3,878 / 31
    // = 4.9032258 ± 3.9372980: 0.9659279 to 8.8405237.
    let total = &report.total;
    assert_eq!(total.key, "all");
    assert_eq!(total.cases, Some(6));
    assert_eq!(total.age_cases, [Some(3), Some(2), Some(1)]);
    close(total.crude.unwrap(), 5.0);
    close(total.asr[0].rate, 152.0 / 31.0);
    close(total.asr[0].lower, 0.965_927_863_896_397_7);
    close(total.asr[0].upper, 8.840_523_749_006_827);
    assert_eq!((total.percent, total.rank), (None, None));
}

#[test]
fn ages_0_19_count_the_adolescent() {
    let report = childhood(&cases(), &population(), &filter(), ChildAges::To19, false).unwrap();
    // The 17-year-old's osteosarcoma is looked at and counted; the adult still is not.
    assert_eq!(report.counted.records, 9);
    assert_eq!(report.counted.included, 7);
    assert_eq!(report.age_groups, ["0-4", "5-9", "10-14", "15-19"]);
    let keys: Vec<&str> = report.rows.iter().map(|r| r.rates.key.as_str()).collect();
    assert_eq!(
        keys,
        ["I", "Ia", "Ib", "III", "IIIc", "IIIf", "VI", "VIa", "VIII", "VIIIa"]
    );
    let bone = &report.rows[8].rates;
    assert_eq!(bone.age_cases, [Some(0), Some(0), Some(0), Some(1)]);
    // 1 / 250,000 x 1e6 = 4.0; 1 of 7 tumours.
    close(bone.age_rates[3].unwrap(), 4.0);
    close(bone.percent.unwrap(), 100.0 / 7.0);
    // World weights 12,000 / 10,000 / 9,000 / 9,000, sum 40,000: ASR of VIII = 4 x 9,000 /
    // 40,000 = 0.9. All groups: (6 x 12,000 + 5 x 10,000 + 3.3333 x 9,000 + 4 x 9,000) /
    // 40,000 = 188,000 / 40,000 = 4.7; crude 7 / 1,450,000 x 1e6.
    close(bone.asr[0].rate, 0.9);
    assert_eq!(report.total.age_cases, [Some(3), Some(2), Some(1), Some(1)]);
    close(report.total.asr[0].rate, 4.7);
    close(report.total.crude.unwrap(), 7.0 / 1.45);
}

#[test]
fn small_cells_are_hidden() {
    // Five lymphoid leukaemias aged 0-4 and one medulloblastoma aged 6.
    let mut few: Vec<Case> = [0, 1, 2, 3, 4].map(lymphoid_leukaemia).to_vec();
    few.push(case("C71.9", 9470, 3, 6));
    let report = childhood(&few, &population(), &filter(), ChildAges::To14, true).unwrap();
    assert_eq!(
        report.counted.suppression.as_deref(),
        Some("cells of fewer than 5 cases are not shown")
    );
    let keys: Vec<(&str, bool)> = report
        .rows
        .iter()
        .map(|r| (r.rates.key.as_str(), r.rates.suppressed))
        .collect();
    assert_eq!(
        keys,
        [("I", false), ("Ia", false), ("III", true), ("IIIc", true)]
    );
    // Group I, 5 cases: shown; 5 / 500,000 x 1e6 = 10.0; the empty age groups shown as 0.
    let leukaemias = &report.rows[0].rates;
    assert_eq!(leukaemias.cases, Some(5));
    assert_eq!(leukaemias.age_cases, [Some(5), Some(0), Some(0)]);
    close(leukaemias.age_rates[0].unwrap(), 10.0);
    assert_eq!(leukaemias.rank, Some(1));
    close(leukaemias.percent.unwrap(), 500.0 / 6.0);
    // Group III, 1 case: every number hidden.
    let cns = &report.rows[2].rates;
    assert_eq!(
        (cns.cases, cns.crude, cns.percent, cns.rank),
        (None, None, None, None)
    );
    assert_eq!(cns.age_cases, [None, None, None]);
    assert_eq!(cns.age_rates, [None, None, None]);
    assert!(cns.asr.is_empty());
    let subgroup = &report.rows[3].rates;
    assert_eq!((subgroup.cases, subgroup.percent), (None, None));
    // The total, 6 cases, is shown, but its 5-9 cell of 1 case is hidden with its rate.
    let total = &report.total;
    assert!(!total.suppressed);
    assert_eq!(total.cases, Some(6));
    assert_eq!(total.age_cases, [Some(5), None, Some(0)]);
    assert_eq!(total.age_rates[1], None);
    close(total.age_rates[2].unwrap(), 0.0);
}
