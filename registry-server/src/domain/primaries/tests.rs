use std::collections::HashSet;

use super::tables::{self, Source};
use super::*;

use Decision::{Duplicate, NewPrimary, Review};

const fn t(topography: &'static str, morphology: u16, behaviour: u8) -> Tumour<'static> {
    Tumour {
        topography,
        morphology,
        behaviour,
    }
}

/// (existing, new, expected decision, expected rule, what it exercises: rule of the 2004
/// rules and table group).
type Case = (
    Tumour<'static>,
    Tumour<'static>,
    Decision,
    Rule,
    &'static str,
);

const CASES: &[Case] = &[
    // Rule 3: one tumour per organ or pair of organs; multifocal and bilateral count once.
    (
        t("C50.1", 8500, 3),
        t("C50.4", 8500, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: two breast ductal carcinomas (paired organ C50), Table 2 group 3",
    ),
    (
        t("C64.9", 8312, 3),
        t("C64.9", 8312, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: renal cell carcinoma of both kidneys (pair of organs C64), group 3",
    ),
    (
        t("C67.2", 8120, 3),
        t("C67.4", 8120, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: multifocal bladder urothelial carcinoma (the rules' example), group 1",
    ),
    (
        t("C18.0", 8140, 3),
        t("C18.7", 8140, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: caecum and sigmoid are one organ, C18 colon, group 3",
    ),
    (
        t("C44.3", 8090, 3),
        t("C44.5", 8090, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: two basal cell carcinomas anywhere on the skin (C44) count once, group 2",
    ),
    (
        t("C50.4", 8500, 2),
        t("C50.1", 8500, 2),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3: two in situ ductal carcinomas of the breast, group 3",
    ),
    // Rule 3 with Table 1: groups of categories counted as one organ.
    (
        t("C19.9", 8140, 3),
        t("C20.9", 8140, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C19-C20: rectosigmoid junction and rectum, group 3",
    ),
    (
        t("C33.9", 8070, 3),
        t("C34.1", 8070, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C33-C34: trachea and lung, group 1",
    ),
    (
        t("C40.2", 9180, 3),
        t("C41.4", 9180, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C40-C41: osteosarcoma of limb and pelvic bones, group 6",
    ),
    (
        t("C65.9", 8120, 3),
        t("C67.9", 8120, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C65-C68: renal pelvis and bladder, group 1",
    ),
    (
        t("C01.9", 8070, 3),
        t("C02.1", 8070, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C01-C02: base and border of tongue, group 1",
    ),
    (
        t("C00.1", 8070, 3),
        t("C06.0", 8070, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C00, C03-C06: lip and cheek mucosa, group 1",
    ),
    (
        t("C09.9", 8070, 3),
        t("C13.9", 8070, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C09-C10, C12-C14: tonsil and hypopharynx, group 1",
    ),
    (
        t("C23.9", 8140, 3),
        t("C24.0", 8140, 3),
        Duplicate,
        Rule::SameOrganSameHistology,
        "rule 3, Table 1 C23-C24: gallbladder and extrahepatic bile duct, group 3",
    ),
    // Rule 3: different organs.
    (
        t("C18.7", 8140, 3),
        t("C50.4", 8500, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3: colon C18 and breast C50, both group 3",
    ),
    (
        t("C18.7", 8140, 3),
        t("C20.9", 8140, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3, Table 1: colon C18 is not grouped with rectum C19-C20, group 3",
    ),
    (
        t("C64.9", 8312, 3),
        t("C65.9", 8312, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3, Table 1: kidney C64 is not in the urinary group C65-C68, group 3",
    ),
    (
        t("C02.1", 8070, 3),
        t("C04.0", 8070, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3, Table 1: tongue C01-C02 and floor of mouth C00, C03-C06, group 1",
    ),
    (
        t("C11.9", 8070, 3),
        t("C10.9", 8070, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3, Table 1: nasopharynx C11 is not in the pharynx group C09-C10, C12-C14",
    ),
    (
        t("C53.9", 8140, 3),
        t("C54.1", 8140, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3, Table 1: cervix C53 and corpus uteri C54 are not grouped, group 3",
    ),
    (
        t("C50.1", 8500, 2),
        t("C18.7", 8140, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 3: an in situ breast tumour does not stop an invasive colon primary, group 3",
    ),
    (
        t("C38.4", 9050, 3),
        t("C48.2", 9050, 3),
        NewPrimary,
        Rule::DifferentOrgan,
        "rule 4.1 names groups 8-15 only: mesothelioma (group 7) of pleura and peritoneum",
    ),
    // Rule 4.2: different histology groups are separate cancers, even in one organ.
    (
        t("C34.1", 8070, 3),
        t("C34.3", 8140, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: lung squamous (group 1) and adenocarcinoma (group 3)",
    ),
    (
        t("C16.2", 8140, 3),
        t("C16.2", 8890, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: stomach adenocarcinoma (group 3) and leiomyosarcoma (group 6)",
    ),
    (
        t("C44.3", 8090, 3),
        t("C44.5", 8720, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: skin basal cell carcinoma (group 2) and melanoma (group 16)",
    ),
    (
        t("C44.3", 8070, 3),
        t("C44.6", 8090, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: skin squamous (group 1) and basal cell carcinoma (group 2)",
    ),
    (
        t("C34.1", 8010, 3),
        t("C34.1", 8800, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: carcinoma NOS (group 5) is not unspecified for a sarcoma (group 6)",
    ),
    (
        t("C80.9", 8140, 3),
        t("C34.1", 8070, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: different groups (3, 1) decide even with an unknown site",
    ),
    (
        t("C42.1", 9863, 3),
        t("C50.4", 8500, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: chronic myeloid leukaemia (group 8) and breast carcinoma (group 3)",
    ),
    // Rule 4.2 exceptions: unspecified groups 5 and 17 in the same organ.
    (
        t("C18.2", 8010, 3),
        t("C18.7", 8140, 3),
        Duplicate,
        Rule::UnspecifiedHistologySameOrgan,
        "rule 4.2: carcinoma NOS (group 5) then adenocarcinoma (group 3) in colon C18",
    ),
    (
        t("C18.7", 8140, 3),
        t("C18.2", 8010, 3),
        Duplicate,
        Rule::UnspecifiedHistologySameOrgan,
        "rule 4.2: adenocarcinoma (group 3) then carcinoma NOS (group 5) in colon C18",
    ),
    (
        t("C34.1", 8041, 3),
        t("C34.1", 8010, 3),
        Duplicate,
        Rule::UnspecifiedHistologySameOrgan,
        "rule 4.2: small cell carcinoma (group 4) and carcinoma NOS (group 5) in lung",
    ),
    (
        t("C16.9", 8000, 3),
        t("C16.3", 9680, 3),
        Duplicate,
        Rule::UnspecifiedHistologySameOrgan,
        "rule 4.2: malignant neoplasm NOS (group 17) and a gastric B-cell lymphoma (group 9)",
    ),
    // Rule 4.1: systemic cancers counted once per person.
    (
        t("C42.1", 9863, 3),
        t("C42.1", 9875, 3),
        Duplicate,
        Rule::SystemicOncePerPerson,
        "rule 4.1: two myeloid leukaemias (group 8)",
    ),
    (
        t("C42.1", 9823, 3),
        t("C77.3", 9680, 3),
        Duplicate,
        Rule::SystemicOncePerPerson,
        "rule 4.1: CLL then diffuse large B-cell lymphoma, both B-cell (group 9)",
    ),
    (
        t("C44.5", 9140, 3),
        t("C49.2", 9140, 3),
        Duplicate,
        Rule::SystemicOncePerPerson,
        "rule 4.1: Kaposi sarcoma of skin and of soft tissue (group 15)",
    ),
    (
        t("C42.1", 9800, 3),
        t("C42.1", 9863, 3),
        Duplicate,
        Rule::UnspecifiedHaematopoietic,
        "rules 4.1, 4.2: leukaemia NOS (group 14) and chronic myeloid leukaemia (group 8)",
    ),
    (
        t("C77.0", 9590, 3),
        t("C77.2", 9650, 3),
        Duplicate,
        Rule::UnspecifiedHaematopoietic,
        "rules 4.1, 4.2: lymphoma NOS (group 14) and Hodgkin lymphoma (group 11)",
    ),
    (
        t("C42.1", 9863, 3),
        t("C77.2", 9680, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: myeloid leukaemia (group 8) then B-cell lymphoma (group 9)",
    ),
    (
        t("C77.2", 9650, 3),
        t("C77.4", 9680, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: Hodgkin (group 11) then diffuse large B-cell lymphoma (group 9)",
    ),
    (
        t("C44.5", 9140, 3),
        t("C77.2", 9680, 3),
        NewPrimary,
        Rule::DifferentHistologyGroup,
        "rule 4.2: Kaposi sarcoma (group 15) and a B-cell lymphoma (group 9)",
    ),
    (
        t("C42.1", 9811, 3),
        t("C77.2", 9680, 3),
        Duplicate,
        Rule::SystemicOncePerPerson,
        "rule 4.1, ICD-O-3.1 code: B-lymphoblastic leukaemia 9811 is B-cell (group 9)",
    ),
    // Registry rules: what the codes cannot decide.
    (
        t("C50.1", 8500, 2),
        t("C50.1", 8500, 3),
        Review,
        Rule::InSituAndInvasive,
        "registry: in situ then invasive breast carcinoma (C50, group 3)",
    ),
    (
        t("C50.1", 8500, 3),
        t("C50.2", 8500, 2),
        Review,
        Rule::InSituAndInvasive,
        "registry: invasive then in situ breast carcinoma (C50, group 3)",
    ),
    (
        t("C53.9", 8070, 2),
        t("C53.9", 8140, 3),
        Review,
        Rule::InSituAndInvasive,
        "registry: in situ squamous (group 1) and invasive adenocarcinoma (3) of cervix",
    ),
    (
        t("C80.9", 8140, 3),
        t("C18.7", 8140, 3),
        Review,
        Rule::UnknownSite,
        "registry, rule 3 undecidable: adenocarcinoma of unknown primary (C80.9) then colon",
    ),
    (
        t("C80.9", 8000, 3),
        t("C80.9", 8000, 3),
        Review,
        Rule::UnknownSite,
        "registry: two tumours of unknown primary site (C80.9), group 17",
    ),
    (
        t("C76.0", 8070, 3),
        t("C32.1", 8070, 3),
        Review,
        Rule::IllDefinedSite,
        "registry: squamous carcinoma of the head and neck, NOS (C76.0), then larynx",
    ),
    (
        t("C34.1", 8140, 6),
        t("C50.4", 8500, 3),
        Review,
        Rule::NotPrimaryBehaviour,
        "rule 2: an existing lung metastasis (behaviour 6) may be the breast primary's",
    ),
    (
        t("C50.4", 8500, 3),
        t("C22.0", 8140, 6),
        Review,
        Rule::NotPrimaryBehaviour,
        "rule 2: a new liver tumour coded metastatic (behaviour 6) is not a primary",
    ),
    (
        t("C50.4", 8500, 3),
        t("C50.4", 8500, 9),
        Review,
        Rule::NotPrimaryBehaviour,
        "rule 2: behaviour 9, uncertain whether primary or metastatic",
    ),
    (
        t("C70.0", 9530, 0),
        t("C71.1", 9440, 3),
        Review,
        Rule::NotMalignant,
        "registry: a benign meningioma (behaviour 0) is outside the rules",
    ),
    (
        t("C25.0", 8158, 3),
        t("C25.1", 8140, 3),
        Review,
        Rule::HistologyNotGrouped,
        "registry: ICD-O-3.1 code 8158, which the sources do not agree on, has no group",
    ),
    (
        t("C43.5", 8720, 3),
        t("C44.5", 8720, 3),
        Review,
        Rule::TopographyNotGrouped,
        "registry: C43 is an ICD-10 code, not an ICD-O-3 site",
    ),
];

#[test]
fn embedded_tables_parse() {
    let tables = tables::tables().expect("the embedded tables parse");
    assert!(verify_tables().is_ok());
    assert_eq!(tables.groups.len(), 17);
    assert_eq!(tables.organs.len(), 54);
    assert_eq!(tables.by_category.len(), 70);
    assert!(tables.ranges.len() > 80);
}

#[test]
fn the_case_table_holds() {
    assert!(CASES.len() >= 30, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for (existing, new, decision, rule, why) in CASES {
        let verdict = judge(new, std::slice::from_ref(existing));
        if (verdict.decision, verdict.rule) != (*decision, *rule) || verdict.against != 0 {
            failures.push(format!(
                "{why}: expected {decision:?} {rule:?}, got {:?} {:?}: {}",
                verdict.decision,
                verdict.rule,
                verdict.message.en()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_of_the_case_table_is_exercised() {
    let used: HashSet<Rule> = CASES.iter().map(|c| c.3).collect();
    for rule in [
        Rule::SameOrganSameHistology,
        Rule::UnspecifiedHistologySameOrgan,
        Rule::DifferentOrgan,
        Rule::DifferentHistologyGroup,
        Rule::SystemicOncePerPerson,
        Rule::UnspecifiedHaematopoietic,
        Rule::UnknownSite,
        Rule::IllDefinedSite,
        Rule::InSituAndInvasive,
        Rule::NotPrimaryBehaviour,
        Rule::NotMalignant,
        Rule::HistologyNotGrouped,
        Rule::TopographyNotGrouped,
    ] {
        assert!(used.contains(&rule), "{rule:?}");
    }
}

#[test]
fn a_pair_is_judged_the_same_in_either_order() {
    for (existing, new, decision, rule, why) in CASES {
        let verdict = judge(existing, std::slice::from_ref(new));
        assert_eq!(
            (verdict.decision, verdict.rule),
            (*decision, *rule),
            "{why}"
        );
    }
}

#[test]
fn first_tumour_is_a_new_primary() {
    let verdict = judge(&t("C50.4", 8500, 3), &[]);
    assert_eq!(verdict.decision, NewPrimary);
    assert_eq!(verdict.rule, Rule::FirstTumour);
    assert!(
        verdict.message.en().contains("C50 (Breast)"),
        "{}",
        verdict.message.en()
    );
    assert!(
        verdict.message.ar().contains("الثدي"),
        "{}",
        verdict.message.ar()
    );
}

#[test]
fn a_duplicate_of_any_existing_tumour_wins() {
    let existing = [
        t("C18.7", 8140, 3),
        t("C80.9", 8500, 3),
        t("C50.1", 8500, 3),
    ];
    let verdict = judge(&t("C50.4", 8500, 3), &existing);
    assert_eq!(
        (verdict.decision, verdict.rule),
        (Duplicate, Rule::SameOrganSameHistology)
    );
    assert_eq!(verdict.against, 2);
}

#[test]
fn a_review_wins_over_new_primaries() {
    let existing = [
        t("C18.7", 8140, 3),
        t("C80.9", 8500, 3),
        t("C34.1", 8070, 3),
    ];
    let verdict = judge(&t("C50.4", 8500, 3), &existing);
    assert_eq!(
        (verdict.decision, verdict.rule),
        (Review, Rule::UnknownSite)
    );
    assert_eq!(verdict.against, 1);
}

#[test]
fn new_primary_against_all_names_the_first() {
    let existing = [t("C18.7", 8140, 3), t("C34.1", 8070, 3)];
    let verdict = judge(&t("C50.4", 8500, 3), &existing);
    assert_eq!(
        (verdict.decision, verdict.rule),
        (NewPrimary, Rule::DifferentOrgan)
    );
    assert_eq!(verdict.against, 0);
}

#[test]
fn messages_name_the_organ_and_histology_groups() {
    let verdict = judge(&t("C20.9", 8140, 3), &[t("C19.9", 8010, 3)]);
    assert_eq!(verdict.rule, Rule::UnspecifiedHistologySameOrgan);
    let en = verdict.message.en();
    for part in [
        "C19-C20 (Rectosigmoid junction and rectum)",
        "3 (Adenocarcinoma)",
        "5 (Unspecified carcinomas (NOS))",
        "rule 4.2",
    ] {
        assert!(en.contains(part), "{part:?} not in {en}");
    }
    let ar = verdict.message.ar();
    for part in [
        "المستقيم",
        "السرطانة الغدية",
        "سرطانات غير محددة",
        "C20.9 8140/3",
    ] {
        assert!(ar.contains(part), "{part:?} not in {ar}");
    }
    // Every rule has a message in both languages, naming both tumours.
    for (existing, new, _, rule, _) in CASES {
        let v = judge(new, std::slice::from_ref(existing));
        for text in [v.message.en(), v.message.ar()] {
            assert!(
                text.contains(new.topography) && text.contains(existing.topography),
                "{rule:?}: {text}"
            );
        }
    }
}

#[test]
fn serialised_forms_are_stable() {
    let verdict = judge(&t("C50.4", 8500, 3), &[t("C18.7", 8140, 3)]);
    let json = serde_json::to_value(&verdict).expect("serialises");
    assert_eq!(json["decision"], "new_primary");
    assert_eq!(json["rule"], "different_organ");
    assert_eq!(json["against"], 0);
    assert!(json["message"]["en"]
        .as_str()
        .is_some_and(|s| s.contains("C50")));
    assert!(json["message"]["ar"].as_str().is_some());
    for rule in CASES
        .iter()
        .map(|c| c.3)
        .chain([Rule::FirstTumour, Rule::TablesUnavailable])
    {
        assert_eq!(serde_json::to_value(rule).expect("serialises"), rule.code());
    }
    assert_eq!(serde_json::to_value(Review).expect("serialises"), "review");
}

#[test]
fn topographies_are_read_as_stored() {
    assert_eq!(organ_group("C19.9").map(|o| o.code), Some("C19-C20"));
    assert_eq!(organ_group("C199").map(|o| o.code), Some("C19-C20"));
    assert_eq!(
        organ_group("C50.9").map(|o| (o.code, o.table1)),
        Some(("C50", false))
    );
    for bad in [
        "", "C5", "C50.", "C50.99", "X50.9", "c50.9", "C50.x", "C43.5", "C81.0",
    ] {
        assert_eq!(organ_group(bad), None, "{bad:?}");
    }
}

#[test]
fn table1_has_the_eight_groups() {
    let tables = tables::tables().expect("parses");
    let groups: Vec<&str> = tables
        .organs
        .iter()
        .filter(|o| o.table1)
        .map(|o| o.code)
        .collect();
    assert_eq!(
        groups,
        [
            "C00,C03-C06",
            "C01-C02",
            "C09-C10,C12-C14",
            "C19-C20",
            "C23-C24",
            "C33-C34",
            "C40-C41",
            "C65-C68"
        ]
    );
    for (a, b) in [("C00.1", "C05.0"), ("C12.9", "C14.0"), ("C66.9", "C68.0")] {
        assert_eq!(organ_group(a), organ_group(b), "{a} {b}");
    }
    for (a, b) in [
        ("C18.9", "C19.9"),
        ("C10.9", "C11.9"),
        ("C53.9", "C54.9"),
        ("C54.9", "C55.9"),
    ] {
        assert_ne!(organ_group(a), organ_group(b), "{a} {b}");
    }
}

/// Every ICD-O-3 topography category (the registry's list, `data/iarc/topography_groups.tsv`)
/// and every four-character code (`data/iarc/topography.tsv`) is in exactly one organ group,
/// and the organ table lists no other category.
#[test]
fn every_icdo3_topography_has_one_organ() {
    let tables = tables::tables().expect("parses");
    let data = |text: &'static str| -> Vec<&'static str> {
        text.lines()
            .filter(|l| l.starts_with('C'))
            .filter_map(|l| l.split('\t').next())
            .collect()
    };
    let categories = data(include_str!("../../../data/iarc/topography_groups.tsv"));
    assert_eq!(categories.len(), 70);
    for c in &categories {
        assert!(tables.by_category.contains_key(*c), "{c}");
    }
    let listed: HashSet<&str> = categories.iter().copied().collect();
    for c in tables.by_category.keys() {
        assert!(
            listed.contains(c.as_str()),
            "{c} is not an ICD-O-3 category"
        );
    }
    let codes = data(include_str!("../../../data/iarc/topography.tsv"));
    assert!(codes.len() > 300);
    for code in codes {
        assert!(organ_group(code).is_some(), "{code}");
    }
}

/// The codes the sources leave without a group (histology_codes.tsv's header).
const UNGROUPED: [u16; 7] = [8158, 8163, 8552, 9597, 9725, 9991, 9992];

/// Every valid ICD-O-3 histology (the registry's list, `data/iarc/morphology.tsv`) is in
/// exactly one group of Table 2, except the seven codes no two sources agree on; and no code
/// of 8000-9999 is in two ranges.
#[test]
fn every_icdo3_histology_has_one_group() {
    let tables = tables::tables().expect("parses");
    for code in 8000..=9999u16 {
        let n = tables
            .ranges
            .iter()
            .filter(|r| (r.first..=r.last).contains(&code))
            .count();
        assert!(n <= 1, "{code} is in {n} ranges");
    }
    let codes: Vec<u16> = include_str!("../../../data/iarc/morphology.tsv")
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|l| l.split('\t').next()?.parse().ok())
        .collect();
    assert!(codes.len() > 800);
    for code in codes {
        let group = histology_group(code);
        if UNGROUPED.contains(&code) {
            assert_eq!(group, None, "{code}");
        } else {
            assert!(group.is_some_and(|g| (1..=17).contains(&g)), "{code}");
        }
    }
    // The ICD-O-3.1 additions are only codes the 2004 ranges do not list.
    let additions = tables
        .ranges
        .iter()
        .filter(|r| r.source == Source::IcdO31)
        .count();
    assert_eq!(additions, 9);
}

#[test]
fn table2_ranges_of_the_2004_rules() {
    for (code, group) in [
        (8050, 5),
        (8051, 1),
        (8070, 1),
        (8120, 1),
        (8090, 2),
        (8140, 3),
        (8500, 3),
        (8941, 3),
        (8041, 4),
        (8240, 4),
        (8010, 5),
        (8022, 5),
        (8800, 6),
        (9180, 6),
        (9050, 7),
        (9055, 7),
        (9863, 8),
        (9987, 8),
        (9680, 9),
        (9823, 9),
        (9700, 10),
        (9948, 10),
        (9650, 11),
        (9667, 11),
        (9740, 12),
        (9750, 13),
        (9590, 14),
        (9800, 14),
        (9989, 14),
        (9140, 15),
        (8720, 16),
        (9530, 16),
        (8000, 17),
        (8005, 17),
    ] {
        assert_eq!(histology_group(code), Some(group), "{code}");
    }
    for code in [
        7999, 8006, 8016, 8023, 8047, 8085, 8111, 8714, 8791, 9993, 9999,
    ] {
        assert_eq!(histology_group(code), None, "{code}");
    }
    assert_eq!(
        histology_group_name(15).map(|g| g.name),
        Some("Kaposi sarcoma")
    );
    assert_eq!(histology_group_name(0), None);
    assert_eq!(histology_group_name(18), None);
}

fn leak(text: String) -> &'static str {
    text.leak()
}

#[test]
fn a_defective_table_names_its_file_and_line() {
    // A line added at the end of each file in turn.
    let cases = [
        (
            leak(format!("{}C9\tC9\tNothing\tلا شيء\trule3\n", tables::ORGANS)),
            tables::GROUPS,
            tables::CODES,
            tables::ORGANS_FILE,
            "bad categories",
        ),
        (
            leak(format!(
                "{}C50b\tC50\tBreast again\tالثدي\trule3\n",
                tables::ORGANS
            )),
            tables::GROUPS,
            tables::CODES,
            tables::ORGANS_FILE,
            "C50 is in two organ groups",
        ),
        (
            leak(format!(
                "{}C81\tC81-C82\tTwo\tاثنان\trule3\n",
                tables::ORGANS
            )),
            tables::GROUPS,
            tables::CODES,
            tables::ORGANS_FILE,
            "several categories",
        ),
        (
            tables::ORGANS,
            leak(format!("{}17\tMore\tالمزيد\n", tables::GROUPS)),
            tables::CODES,
            tables::GROUPS_FILE,
            "expected group 18",
        ),
        (
            tables::ORGANS,
            tables::GROUPS,
            leak(format!("{}8145\t8146\t3\t2004\n", tables::CODES)),
            tables::CODES_FILE,
            "overlaps",
        ),
        (
            tables::ORGANS,
            tables::GROUPS,
            leak(format!("{}9999\t9990\t14\t2004\n", tables::CODES)),
            tables::CODES_FILE,
            "reversed",
        ),
        (
            tables::ORGANS,
            tables::GROUPS,
            leak(format!("{}9994\t9994\t18\t2004\n", tables::CODES)),
            tables::CODES_FILE,
            "bad group",
        ),
        (
            tables::ORGANS,
            tables::GROUPS,
            leak(format!("{}9994\t9994\t14\n", tables::CODES)),
            tables::CODES_FILE,
            "3 fields",
        ),
    ];
    for (organs, groups, codes, file, what) in cases {
        let err = tables::parse(organs, groups, codes).expect_err(what);
        let text = match (organs, groups, codes) {
            (o, _, _) if file == tables::ORGANS_FILE => o,
            (_, g, _) if file == tables::GROUPS_FILE => g,
            (_, _, c) => c,
        };
        assert_eq!(err.file, file, "{what}");
        assert_eq!(err.line, text.lines().count(), "{what}: {err}");
        assert!(err.to_string().contains(what), "{what}: {err}");
        assert!(err.to_string().starts_with(file), "{err}");
    }
    let err = tables::parse("nothing\n", tables::GROUPS, tables::CODES).expect_err("header");
    assert_eq!((err.file, err.line), (tables::ORGANS_FILE, 1));
}
