//! The CSV files of the reports, cell by cell, on registries small enough to work by hand.

use super::*;
use crate::domain::stats::childhood::{self, ChildAges};
use crate::domain::stats::incidence;
use crate::domain::stats::quality::{self, Death};
use crate::domain::stats::rates::AGE_GROUPS;
use crate::domain::stats::report::{Case, Filter, Population, SexFilter};

/// A male malignant primary of 2024 with `icd10` (also its topography), aged `age`.
fn case(icd10: &str, age: u32) -> Case {
    Case {
        facility: "LY-TRI-MED".into(),
        ..Case::sample(icd10, age)
    }
}

/// Males: 20,000 person-years aged 0-4 and 10,000 in each other group (190,000 in all).
fn population() -> Population {
    let mut male = [10_000.0; AGE_GROUPS];
    male[0] = 20_000.0;
    Population {
        male,
        female: [0.0; AGE_GROUPS],
    }
}

fn filter() -> Filter {
    Filter {
        from_year: 2024,
        to_year: 2024,
        region: None,
        sex: SexFilter::Male,
    }
}

/// The CSV text of `table` after `counted`.
fn csv(counted: &Counted, table: &Table) -> String {
    let mut out = Vec::new();
    write_csv(&mut out, counted, table).unwrap();
    String::from_utf8(out).unwrap()
}

/// The records of the CSV body (after the `#` lines), header first, read back by a CSV
/// reader.
fn body(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// `n` copies of `cell`.
fn times(cell: &str, n: usize) -> Vec<&str> {
    vec![cell; n]
}

#[test]
fn the_incidence_csv_cell_by_cell() {
    // 6 colon cancers aged 52, 1 lung aged 3, and an in situ breast tumour left out.
    let mut cases: Vec<Case> = (0..6).map(|_| case("C18.7", 52)).collect();
    cases.push(case("C34.1", 3));
    let mut in_situ = case("C50.9", 60);
    in_situ.behaviour = 2;
    cases.push(in_situ);
    let report = incidence::incidence(&cases, &population(), &filter(), true).unwrap();
    let [sites, topography] = super::incidence(&report);
    assert_eq!(sites.name, "incidence_sites");
    assert_eq!(topography.name, "incidence_topography");
    let text = csv(&report.counted, &sites);

    // The statement first, each line a `#` comment, in this order.
    let comments: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    assert_eq!(
        comments[..3],
        [
            "# period: 2024-2024; area: the whole country; sex: male",
            "# records looked at: 8; counted: 7; of which awaiting a multiple-primary review: 0",
            "# excluded: 1 (not_malignant): behaviour is not 3 (malignant): incidence tables \
             count invasive tumours, as CI5 does",
        ]
    );
    let rules = &comments[3..3 + incidence::RULES.len()];
    for (line, rule) in rules.iter().zip(incidence::RULES) {
        assert_eq!(*line, format!("# rule: {rule}"));
    }
    assert_eq!(
        comments[3 + incidence::RULES.len()..],
        [
            "# standard: world standard population (Segi 1960, Doll et al. 1966)",
            "# standard: European standard population (1976)",
            "# standard: WHO world standard population 2000-2025",
            "# suppressed: cells of fewer than 5 cases are not shown (written <5)",
        ]
    );
    // Then the header, then the rows; nothing but comments before the header.
    let after: Vec<&str> = text.lines().skip(comments.len()).collect();
    assert!(after.iter().all(|l| !l.starts_with('#')));

    let rows = body(&text);
    let ages = [
        "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
        "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+",
    ];
    let mut header = vec!["key", "name", "name_ar", "cases"];
    let rates: Vec<String> = ages.iter().map(|a| format!("rate_{a}")).collect();
    header.extend(rates.iter().map(String::as_str));
    header.extend([
        "crude",
        "asr_world",
        "asr_world_lower",
        "asr_world_upper",
        "asr_european",
        "asr_european_lower",
        "asr_european_upper",
        "asr_who",
        "asr_who_lower",
        "asr_who_upper",
        "cumulative_risk_0_74",
        "percent",
        "rank",
    ]);
    // 3 names + cases + 18 rates + crude + 9 ASR cells + cumulative risk + percent + rank.
    assert_eq!(header.len(), 35);
    assert_eq!(rows[0], header);
    // Colon, lung, then the two totals.
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }

    // Colon: 6 cases aged 50-54 over 10,000: 60 per 100,000, the other groups 0.
    // Crude 6 / 190,000 x 100,000 = 3.1578947 → 3.16.
    // World: 60 x 5,000 / 100,000 = 3.00; Var = 6 x (100,000 x 5,000 / (10,000 x 100,000))²
    // = 6 x 0.25 = 1.5; 1.96 √1.5 = 2.4005: 0.5995 → 0.60, 5.4005 → 5.40.
    // European: 60 x 7,000 / 100,000 = 4.20; Var = 6 x 0.7² = 2.94; 1.96 √2.94 = 3.3607:
    // 0.8393 → 0.84, 7.5607 → 7.56.
    // WHO (sum 10,003): 60 x 537 / 10,003 = 3.2210 → 3.22; Var = 6 x (5,370 / 10,003)² =
    // 1.7291763; 1.96 √Var = 2.5773637: 0.6437 → 0.64, 5.7984 → 5.80.
    // Cumulative risk: 100 x (1 - exp(-5 x 60 / 100,000)) = 0.2996 → 0.30.
    // Percent 6 / 7 = 85.714 → 85.71; rank 1 (world 3.00 against the lung's 0.60).
    let mut colon = vec!["C18", "Colon", "القولون", "6"];
    colon.extend(times("0.00", 10));
    colon.push("60.00");
    colon.extend(times("0.00", 7));
    colon.extend([
        "3.16", "3.00", "0.60", "5.40", "4.20", "0.84", "7.56", "3.22", "0.64", "5.80", "0.30",
        "85.71", "1",
    ]);
    assert_eq!(rows[1], colon);

    // Lung, 1 case: every number written <5; no rank.
    let mut lung = vec![
        "C33-34",
        "Lung (incl. trachea and bronchus)",
        "الرغامى والقصبات والرئة",
    ];
    lung.extend(times(SUPPRESSED, 1 + 18 + 1 + 9 + 1 + 1));
    lung.push("");
    assert_eq!(rows[2], lung);

    // All sites, 7 cases: the 0-4 cell of 1 case hidden; 50-54 60.00.
    // Crude 7 / 190,000 x 100,000 = 3.6842 → 3.68.
    // World: 5 x 12,000 / 100,000 + 3.00 = 3.60; Var = (100,000 x 12,000 / (20,000 x
    // 100,000))² + 1.5 = 0.36 + 1.5 = 1.86; 1.96 √1.86 = 2.6731: 0.9269 → 0.93, 6.2731 → 6.27.
    // European: 5 x 8,000 / 100,000 + 4.20 = 4.60; Var = 0.4² + 2.94 = 3.10; 1.96 √3.10 =
    // 3.4509: 1.1491 → 1.15, 8.0509 → 8.05.
    // WHO: (5 x 886 + 60 x 537) / 10,003 = 36,650 / 10,003 = 3.6639 → 3.66; Var = (100,000 x
    // 886 / (20,000 x 10,003))² + 1.7291763 = 0.4428671² + 1.7291763 = 1.9253076; 1.96 √Var
    // = 2.7196069: 0.9443 → 0.94, 6.3835 → 6.38.
    // Cumulative risk: 100 x (1 - exp(-5 x 65 / 100,000)) = 0.3245 → 0.32.
    // A total has no percentage of itself and no rank: both cells empty (not <5: nothing is
    // hidden there).
    let mut all = vec!["ALL", "All sites", "جميع المواقع", "7", SUPPRESSED];
    all.extend(times("0.00", 9));
    all.push("60.00");
    all.extend(times("0.00", 7));
    all.extend([
        "3.68", "3.60", "0.93", "6.27", "4.60", "1.15", "8.05", "3.66", "0.94", "6.38", "0.32", "",
        "",
    ]);
    assert_eq!(rows[3], all);
    assert_eq!(
        rows[4][..4],
        ["ALLbC44", "All sites but C44", "جميع المواقع عدا C44", "7"]
    );
    assert_eq!(rows[4][4..], all[4..]);
}

#[test]
fn an_unsuppressed_report_writes_no_suppressed_cell() {
    let cases: Vec<Case> = vec![case("C18.7", 52), case("C34.1", 3)];
    let report = incidence::incidence(&cases, &population(), &filter(), false).unwrap();
    let [sites, _] = super::incidence(&report);
    let text = csv(&report.counted, &sites);
    assert!(!text.contains("# suppressed"), "{text}");
    assert!(!text.contains(SUPPRESSED), "{text}");
    let rows = body(&text);
    // Colon, 1 case shown: 1 / 10,000 x 100,000 = 10.00 at 50-54.
    assert_eq!(rows[1][..4], ["C18", "Colon", "القولون", "1"]);
    assert_eq!(rows[1][4 + 10], "10.00");
}

#[test]
fn the_childhood_csv() {
    // Five lymphoid leukaemias (C42.1 9836/3, ICCC-3 Ia) aged 0-4, over 500,000 boys.
    let mut population = population();
    population.male[0] = 500_000.0;
    let leukaemias: Vec<Case> = (0..5)
        .map(|age| Case {
            topography: "C42.1".into(),
            morphology: 9836,
            ..case("C91.0", age)
        })
        .collect();
    let report =
        childhood::childhood(&leukaemias, &population, &filter(), ChildAges::To14, true).unwrap();
    let table = super::childhood(&report);
    let rows = body(&csv(&report.counted, &table));
    // key, names, cases, 3 rates, crude, 9 ASR cells, percent, rank: no cumulative risk.
    let header = &rows[0];
    assert_eq!(header.len(), 3 + 1 + 3 + 1 + 9 + 2);
    assert_eq!(header[4..7], ["rate_0-4", "rate_5-9", "rate_10-14"]);
    assert!(header.iter().all(|c| c != "cumulative_risk_0_74"));
    let keys: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(keys, ["I", "Ia", "all"]);
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    // 5 / 500,000 x 1e6 = 10.00 per million; crude over 0-14, 5 / (500,000 + 10,000 +
    // 10,000) x 1e6 = 9.615 → 9.62; world ASR 10 x 12,000 / 31,000 = 3.87; the group is 100%
    // of the cases, rank 1; the subgroup 100%, unranked.
    assert_eq!(rows[1][3..8], ["5", "10.00", "0.00", "0.00", "9.62"]);
    assert_eq!(rows[1][8], "3.87");
    assert_eq!(rows[1][17..], ["100.00", "1"]);
    assert_eq!(rows[2][17..], ["100.00", ""]);
    // The total: no percentage, no rank (empty, not <5).
    assert_eq!(rows[3][17..], ["", ""]);
}

#[test]
fn the_quality_csv() {
    // Five colon cases at Tripoli; a colon patient of Benghazi diagnosed in 2020 who died in
    // 2024: Benghazi has a row of 0 cases and 1 death.
    let cases: Vec<Case> = (0..5).map(|_| case("C18.7", 60)).collect();
    let mut old = case("C18.4", 60);
    old.year = 2020;
    old.facility = "LY-BEN-ONC".into();
    let deaths = [Death {
        case: old,
        year: 2024,
    }];
    let report = quality::quality(&cases, &deaths, &filter(), false);
    let [sites, facilities] = super::quality(&report);
    let rows = body(&csv(&report.counted, &sites));
    assert_eq!(
        rows[0],
        [
            "key",
            "name",
            "name_ar",
            "cases",
            "mv_percent",
            "dco_percent",
            "unknown_site_percent",
            "unknown_age_percent",
            "deaths",
            "mi_ratio",
            "open_checks",
        ]
    );
    // Colon: 5 cases, all microscopically verified; 1 death: M:I = 1/5 = 0.20.
    assert_eq!(
        rows[1],
        [
            "C18",
            "Colon",
            "القولون",
            "5",
            "100.00",
            "0.00",
            "0.00",
            "0.00",
            "1",
            "0.20",
            "0"
        ]
    );
    assert_eq!(rows[2][..4], ["ALL", "All sites", "جميع المواقع", "5"]);
    let rows = body(&csv(&report.counted, &facilities));
    // Benghazi: no case, so no percentage and no ratio (empty: nothing is suppressed).
    assert_eq!(
        rows[1],
        [
            "LY-BEN-ONC",
            "LY-BEN-ONC",
            "LY-BEN-ONC",
            "0",
            "",
            "",
            "",
            "",
            "1",
            "",
            "0"
        ]
    );
    assert_eq!(
        rows[2][..4],
        ["LY-TRI-MED", "LY-TRI-MED", "LY-TRI-MED", "5"]
    );

    // Suppressed: Benghazi's single death is a small cell, written <5; its percentages
    // still do not exist.
    let report = quality::quality(&cases, &deaths, &filter(), true);
    let [_, facilities] = super::quality(&report);
    let rows = body(&csv(&report.counted, &facilities));
    assert_eq!(
        rows[1],
        [
            "LY-BEN-ONC",
            "LY-BEN-ONC",
            "LY-BEN-ONC",
            "0",
            "",
            "",
            "",
            "",
            SUPPRESSED,
            "",
            "0"
        ]
    );
}
