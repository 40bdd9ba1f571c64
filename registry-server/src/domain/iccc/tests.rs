//! Unit tests of the ICCC-3 derivation. Every expected value is taken from SEER's ICCC-3
//! tables (https://seer.cancer.gov/iccc/iccc3.html, main classification, and
//! https://seer.cancer.gov/iccc/iccc3_ext.html, extended classification); the comment of each
//! case names the SEER extended recode (001-114) of the row that classifies it. The few
//! ICD-O-3.1 cases cite the IARC 2017 update (https://seer.cancer.gov/iccc/iccc-iarc-2017.html).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// The extended code `classify` gives, or None.
fn ext(topography: &str, morphology: u16, behaviour: u8) -> Option<&'static str> {
    classify(topography, morphology, behaviour).map(|i| i.extended)
}

fn table() -> &'static Table {
    match TABLE.as_ref() {
        Ok(table) => table,
        Err(e) => panic!("embedded ICCC-3 table: {e}"),
    }
}

/// (topography, histology, behaviour, expected extended code, SEER extended recode or source).
#[rustfmt::skip]
const CASES: &[(&str, u16, u8, &str, &str)] = &[
    // I Leukaemias.
    ("C42.1", 9836, 3, "Ia.1", "001: precursor B-cell lymphoblastic leukaemia"),
    ("C42.1", 9823, 3, "Ia.2", "002: B-cell chronic lymphocytic leukaemia"),
    ("C42.1", 9827, 3, "Ia.3", "003: adult T-cell leukaemia/lymphoma"),
    ("C42.1", 9820, 3, "Ia.4", "004: lymphoid leukaemia, NOS"),
    ("C42.1", 9811, 3, "Ia.1", "IARC 2017: B lymphoblastic leukaemia, NOS (ICD-O-3.1)"),
    ("C42.1", 9861, 3, "Ib", "005: acute myeloid leukaemia, NOS"),
    ("C42.1", 9863, 3, "Ic", "006: chronic myeloid leukaemia, NOS"),
    ("C42.1", 9989, 3, "Id", "007: myelodysplastic syndrome, NOS"),
    ("C42.1", 9800, 3, "Ie", "008: leukaemia, NOS"),
    // II Lymphomas.
    ("C77.0", 9650, 3, "IIa", "009: Hodgkin lymphoma, NOS"),
    ("C38.1", 9727, 3, "IIb.1", "010: precursor cell lymphoblastic lymphoma"),
    ("C77.1", 9811, 3, "IIb.1", "IARC 2017: B lymphoblastic leukaemia/lymphoma in a node"),
    ("C77.2", 9680, 3, "IIb.2", "011: diffuse large B-cell lymphoma"),
    ("C77.0", 9714, 3, "IIb.3", "012: anaplastic large cell lymphoma"),
    ("C77.9", 9591, 3, "IIb.4", "013: non-Hodgkin lymphoma, NOS"),
    ("C18.0", 9687, 3, "IIc", "014: Burkitt lymphoma"),
    ("C41.0", 9754, 3, "IId", "015: Langerhans cell histiocytosis, disseminated"),
    ("C77.9", 9590, 3, "IIe", "016: malignant lymphoma, NOS"),
    // III CNS, non-malignant behaviours included.
    ("C71.6", 9391, 3, "IIIa.1", "017: ependymoma, NOS"),
    ("C71.5", 9390, 0, "IIIa.2", "018: choroid plexus papilloma (benign)"),
    ("C71.6", 9421, 1, "IIIb", "019: pilocytic astrocytoma (/1)"),
    ("C72.3", 9380, 3, "IIIb", "019: glioma of the optic nerve (C723 only)"),
    ("C71.7", 9400, 3, "IIIb", "019: astrocytoma, NOS"),
    ("C71.6", 9470, 3, "IIIc.1", "020: medulloblastoma"),
    ("C71.0", 9473, 3, "IIIc.2", "021: PNET"),
    ("C71.0", 9501, 3, "IIIc.3", "022: medulloepithelioma, intracranial"),
    ("C71.6", 9508, 3, "IIIc.4", "023: atypical teratoid/rhabdoid tumour"),
    ("C71.1", 9450, 3, "IIId.1", "024: oligodendroglioma"),
    ("C71.9", 9380, 3, "IIId.2", "025: glioma, NOS, of the brain is not IIIb"),
    ("C71.7", 9381, 3, "IIId.3", "026: gliomatosis cerebri"),
    ("C75.1", 8272, 0, "IIIe.1", "027: pituitary adenoma (benign)"),
    ("C75.2", 9351, 1, "IIIe.2", "028: craniopharyngioma (/1)"),
    ("C75.3", 9362, 3, "IIIe.3", "029: pineoblastoma"),
    ("C71.2", 9505, 1, "IIIe.4", "030: ganglioglioma (/1)"),
    ("C70.0", 9530, 0, "IIIe.5", "031: meningioma (benign)"),
    ("C71.9", 8000, 1, "IIIf", "032: intracranial neoplasm of uncertain behaviour"),
    // IV Neuroblastoma.
    ("C74.0", 9500, 3, "IVa", "033: neuroblastoma of the adrenal"),
    ("C74.1", 8700, 3, "IVb", "034: malignant phaeochromocytoma"),
    ("C69.4", 9501, 3, "IVb", "034: medulloepithelioma outside the CNS"),
    // V Retinoblastoma.
    ("C69.2", 9510, 3, "V", "035: retinoblastoma"),
    // VI Renal.
    ("C64.9", 8960, 3, "VIa.1", "036: nephroblastoma"),
    ("C64.9", 8963, 3, "VIa.2", "037: rhabdoid tumour of the kidney"),
    ("C64.9", 8964, 3, "VIa.3", "038: clear cell sarcoma of kidney"),
    ("C64.9", 9364, 3, "VIa.4", "039: pPNET of kidney"),
    ("C64.9", 8312, 3, "VIb", "040: renal cell carcinoma"),
    ("C64.9", 8000, 3, "VIc", "041: malignant renal tumour, NOS"),
    // VII Hepatic.
    ("C22.0", 8970, 3, "VIIa", "042: hepatoblastoma"),
    ("C22.0", 8170, 3, "VIIb", "043: hepatocellular carcinoma"),
    ("C22.0", 8000, 3, "VIIc", "044: malignant hepatic tumour, NOS"),
    // VIII Bone.
    ("C40.2", 9180, 3, "VIIIa", "045: osteosarcoma of the femur"),
    ("C41.4", 9220, 3, "VIIIb", "046: chondrosarcoma of the pelvis"),
    ("C41.4", 9260, 3, "VIIIc.1", "047: Ewing sarcoma of the pelvis"),
    ("C41.2", 9364, 3, "VIIIc.2", "048: pPNET of the spine"),
    ("C41.2", 8810, 3, "VIIId.1", "049: fibrosarcoma of bone"),
    ("C41.0", 9370, 3, "VIIId.2", "050: chordoma"),
    ("C40.0", 8000, 3, "VIIIe", "053: malignant bone tumour, NOS"),
    // IX Soft tissue.
    ("C49.0", 8900, 3, "IXa", "054: rhabdomyosarcoma"),
    ("C49.3", 8810, 3, "IXb.1", "055: fibrosarcoma of soft tissue"),
    ("C47.2", 9540, 3, "IXb.2", "056: malignant peripheral nerve sheath tumour"),
    ("C44.7", 9140, 3, "IXc", "058: Kaposi sarcoma"),
    ("C49.4", 9260, 3, "IXd.1", "059: extraosseous Ewing sarcoma"),
    ("C49.5", 9364, 3, "IXd.2", "060: pPNET of soft tissue"),
    ("C49.2", 8963, 3, "IXd.3", "061: extrarenal rhabdoid tumour"),
    ("C49.2", 9040, 3, "IXd.7", "065: synovial sarcoma"),
    ("C49.1", 9220, 3, "IXd.9", "067: extraskeletal chondrosarcoma"),
    ("C49.9", 8800, 3, "IXe", "070: sarcoma, NOS"),
    // X Germ cell and gonadal.
    ("C71.0", 9064, 3, "Xa.1", "071: intracranial germinoma"),
    ("C75.3", 9080, 0, "Xa.2", "072: mature teratoma of the pineal (benign included)"),
    ("C38.1", 9064, 3, "Xb.1", "077: mediastinal germinoma"),
    ("C76.3", 9071, 3, "Xb.4", "080: sacrococcygeal yolk sac tumour"),
    ("C62.9", 9061, 3, "Xc.1", "083: seminoma"),
    ("C62.9", 9071, 3, "Xc.4", "086: testicular yolk sac tumour"),
    ("C56.9", 9073, 3, "Xc.7", "089: malignant gonadoblastoma"),
    ("C56.9", 8441, 3, "Xd", "090: serous cystadenocarcinoma of the ovary"),
    ("C56.9", 8620, 3, "Xe", "091: malignant granulosa cell tumour"),
    // XI Epithelial and melanoma.
    ("C74.0", 8370, 3, "XIa", "092: adrenal cortical carcinoma"),
    ("C73.9", 8260, 3, "XIb", "093: papillary thyroid carcinoma"),
    ("C73.9", 8345, 3, "XIb", "093: medullary thyroid carcinoma"),
    ("C11.9", 8070, 3, "XIc", "094: nasopharyngeal squamous cell carcinoma"),
    ("C44.5", 8720, 3, "XId", "095: melanoma of the skin"),
    ("C69.3", 8720, 3, "XId", "095: melanoma of the choroid (any site)"),
    ("C44.3", 8090, 3, "XIe", "096: basal cell carcinoma"),
    ("C44.3", 8010, 3, "XIe", "096: carcinoma, NOS, of the skin is XIe, not XIf"),
    ("C07.9", 8430, 3, "XIf.1", "097: mucoepidermoid carcinoma of the parotid"),
    ("C18.7", 8140, 3, "XIf.2", "098: adenocarcinoma of the sigmoid colon"),
    ("C18.1", 8240, 3, "XIf.3", "099: carcinoid of the appendix"),
    ("C34.1", 8010, 3, "XIf.4", "100: carcinoma of the lung"),
    ("C80.9", 8140, 3, "XIf.11", "107: adenocarcinoma, site unknown"),
    // XII Other and unspecified.
    ("C16.2", 8936, 3, "XIIa.1", "108: gastrointestinal stromal tumour"),
    ("C25.0", 8971, 3, "XIIa.2", "109: pancreatoblastoma"),
    ("C34.9", 8973, 3, "XIIa.3", "110: pleuropulmonary blastoma"),
    ("C80.9", 8000, 3, "XIIb", "114: malignant neoplasm, site unknown"),
    ("C76.0", 8000, 3, "XIIb", "114: malignant neoplasm of the head, NOS"),
];

#[test]
fn published_cases_classify_as_the_seer_table_says() {
    let mut wrong = Vec::new();
    for &(topography, morphology, behaviour, expected, why) in CASES {
        let got = ext(topography, morphology, behaviour);
        if got != Some(expected) {
            wrong.push(format!(
                "{morphology}/{behaviour} {topography}: {got:?}, expected {expected} ({why})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let groups: BTreeSet<MainGroup> = CASES
        .iter()
        .filter_map(|&(t, m, b, _, _)| classify(t, m, b))
        .map(|i| i.group)
        .collect();
    assert_eq!(groups.len(), 12, "the cases span every main group");
    assert!(CASES.len() >= 40);
}

/// (topography, histology, behaviour, why the SEER table does not classify it).
#[rustfmt::skip]
const NONE: &[(&str, u16, u8, &str)] = &[
    ("C18.7", 8140, 0, "benign adenoma of the colon"),
    ("C18.7", 8140, 2, "adenocarcinoma in situ: behaviour 2 is classified nowhere"),
    ("C50.9", 8500, 2, "ductal carcinoma in situ"),
    ("C72.5", 9560, 0, "benign schwannoma: IXb.2 (056) is malignant only"),
    ("C71.0", 9120, 0, "haemangioma of the brain: 9120 is IXd.8 (066), malignant only"),
    ("C56.9", 9080, 0, "benign ovarian teratoma: only group III and Xa take behaviour 0"),
    ("C62.9", 9073, 1, "gonadoblastoma /1: Xc.7 (089) is malignant only"),
    ("C80.9", 9380, 3, "glioma outside the CNS: 9380 is listed at CNS sites only (019, 025)"),
    ("C49.0", 8010, 3, "carcinoma of soft tissue: no XIf site range (097-107) holds C49"),
    ("C74.0", 8140, 3, "adenocarcinoma of the adrenal: XIf (097-107) excludes C74"),
    ("C77.0", 8800, 3, "sarcoma of a lymph node: IXe (070) stops at C768"),
    ("C42.1", 9836, 6, "metastatic behaviour"),
    ("C42.1", 9836, 9, "uncertain whether primary or metastatic"),
    ("C42.1", 7999, 3, "not an ICD-O-3 neoplasm histology"),
];

#[test]
fn combinations_outside_iccc3_are_none() {
    for &(topography, morphology, behaviour, why) in NONE {
        assert_eq!(
            classify(topography, morphology, behaviour),
            None,
            "{morphology}/{behaviour} {topography}: {why}"
        );
    }
}

#[test]
fn topography_is_read_as_the_card_stores_it() {
    assert_eq!(ext("C42.1", 9836, 3), Some("Ia.1"));
    assert_eq!(ext("C421", 9836, 3), Some("Ia.1"));
    for bad in [
        "", "C42", "C42.", "C4.21", "c42.1", "C81.0", "D42.1", "C42.1 ", "C42-1",
    ] {
        assert_eq!(classify(bad, 9836, 3), None, "{bad:?}");
    }
}

#[test]
fn the_full_result_carries_group_subgroup_and_names() {
    let iccc = classify("C42.1", 9836, 3);
    assert_eq!(
        iccc,
        Some(Iccc {
            group: MainGroup::I,
            subgroup: "Ia",
            extended: "Ia.1",
            label: "Precursor cell leukemias",
            subgroup_label: "Lymphoid leukemias",
        })
    );
    let v = classify("C69.2", 9510, 3).map(|i| (i.group, i.subgroup, i.extended, i.label));
    assert_eq!(v, Some((MainGroup::V, "V", "V", "Retinoblastoma")));
    let b = classify("C71.9", 9380, 3).map(|i| (i.group, i.subgroup, i.subgroup_label));
    assert_eq!(b, Some((MainGroup::III, "IIId", "Other gliomas")));
}

#[test]
fn code_is_the_subgroup_and_fits_the_card_field() {
    assert_eq!(
        classify("C42.1", 9836, 3).map(|i| i.code()),
        Some("Ia".into())
    );
    assert_eq!(
        classify("C72.3", 9380, 3).map(|i| i.code()),
        Some("IIIb".into())
    );
    assert_eq!(
        classify("C69.2", 9510, 3).map(|i| i.code()),
        Some("V".into())
    );
    // The paediatric fixture (fixtures/summaries/paediatric.json) carries 9811/3 C42.1 as "Ia".
    assert_eq!(
        classify("C42.1", 9811, 3).map(|i| i.code()),
        Some("Ia".into())
    );
    // Card rule 17: code(8, A-Z a-z 0-9).
    for rule in &table().rules {
        let code = rule.iccc().code();
        assert!(
            !code.is_empty() && code.len() <= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()),
            "{code}"
        );
    }
}

#[test]
fn embedded_table_parses() {
    assert_eq!(check_table(), Ok(()));
    assert!(table().rules.len() > 114);
}

/// The 47 lettered subgroups of the publication, and group V.
const SUBGROUPS: &[&str] = &[
    "Ia", "Ib", "Ic", "Id", "Ie", "IIa", "IIb", "IIc", "IId", "IIe", "IIIa", "IIIb", "IIIc",
    "IIId", "IIIe", "IIIf", "IVa", "IVb", "V", "VIa", "VIb", "VIc", "VIIa", "VIIb", "VIIc",
    "VIIIa", "VIIIb", "VIIIc", "VIIId", "VIIIe", "IXa", "IXb", "IXc", "IXd", "IXe", "Xa", "Xb",
    "Xc", "Xd", "Xe", "XIa", "XIb", "XIc", "XId", "XIe", "XIf", "XIIa", "XIIb",
];

/// The subgroups the extended classification divides, with their number of divisions.
const DIVIDED: &[(&str, u8)] = &[
    ("Ia", 4),
    ("IIb", 4),
    ("IIIa", 2),
    ("IIIc", 4),
    ("IIId", 3),
    ("IIIe", 5),
    ("VIa", 4),
    ("VIIIc", 2),
    ("VIIId", 4),
    ("IXb", 3),
    ("IXd", 11),
    ("Xa", 6),
    ("Xb", 6),
    ("Xc", 7),
    ("XIf", 11),
    ("XIIa", 6),
];

#[test]
fn table_covers_every_group_subgroup_and_division_of_the_publication() {
    assert_eq!(SUBGROUPS.len(), 48, "47 lettered subgroups and group V");
    let expected: BTreeSet<String> = SUBGROUPS
        .iter()
        .flat_map(|&s| match DIVIDED.iter().find(|(d, _)| *d == s) {
            Some(&(_, n)) => (1..=n).map(|i| format!("{s}.{i}")).collect::<Vec<_>>(),
            None => vec![s.to_owned()],
        })
        .collect();
    assert_eq!(expected.len(), 32 + 82);
    let rules = &table().rules;
    let extended: BTreeSet<String> = rules.iter().map(|r| r.extended.to_owned()).collect();
    assert_eq!(extended, expected);
    let subgroups: BTreeSet<&str> = rules.iter().map(|r| r.subgroup).collect();
    assert_eq!(subgroups, SUBGROUPS.iter().copied().collect());
    let groups: BTreeSet<MainGroup> = rules.iter().map(|r| r.group).collect();
    assert_eq!(groups, MainGroup::ALL.into_iter().collect());
    // Every subgroup and division is named, and nothing else is.
    let mut named: BTreeSet<String> = expected;
    named.extend(SUBGROUPS.iter().map(|s| (*s).to_owned()));
    let names: BTreeSet<String> = table().names.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(names, named);
}

#[test]
fn seer_recodes_001_to_114_each_name_one_division_in_order() {
    let mut by_recode: BTreeMap<u8, BTreeSet<&str>> = BTreeMap::new();
    for rule in &table().rules {
        match (rule.source, rule.seer) {
            (Source::Seer2005, Some(n)) => {
                by_recode.entry(n).or_default().insert(rule.extended);
            }
            (Source::Iarc2017, None) => {}
            other => panic!("line {}: {other:?}", rule.line),
        }
    }
    assert_eq!(
        by_recode.keys().copied().collect::<Vec<_>>(),
        (1..=114).collect::<Vec<_>>()
    );
    let order: Vec<&str> = by_recode
        .values()
        .map(|codes| {
            assert_eq!(codes.len(), 1, "{codes:?}");
            codes.iter().copied().next().unwrap_or_default()
        })
        .collect();
    // The recodes follow the publication's order: group by group, subgroup by subgroup.
    let mut seen: Vec<&str> = Vec::new();
    for rule in &table().rules {
        if seen.last() != Some(&rule.extended) {
            assert!(!seen.contains(&rule.extended), "{} is split", rule.extended);
            seen.push(rule.extended);
        }
    }
    assert_eq!(order, seen);
}

fn overlap(a: &[RangeInclusive<u16>], b: &[RangeInclusive<u16>]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| x.start() <= y.end() && y.start() <= x.end())
    })
}

#[test]
fn no_two_rules_overlap_so_the_order_never_matters() {
    let rules = &table().rules;
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            let shared = a.behaviours.iter().any(|x| b.behaviours.contains(x))
                && overlap(&a.sites, &b.sites)
                && overlap(&a.histologies, &b.histologies);
            assert!(
                !shared,
                "lines {} ({}) and {} ({}) overlap",
                a.line, a.extended, b.line, b.extended
            );
        }
    }
}

#[test]
fn iarc2017_rules_only_add_histologies_the_2005_table_lacks() {
    let rules = &table().rules;
    for new in rules.iter().filter(|r| r.source == Source::Iarc2017) {
        for old in rules.iter().filter(|r| r.source == Source::Seer2005) {
            assert!(
                !overlap(&new.histologies, &old.histologies),
                "line {}",
                new.line
            );
        }
    }
}

#[test]
fn non_malignant_behaviours_only_in_group_iii_and_xa() {
    for rule in &table().rules {
        let cns = rule.group == MainGroup::III || rule.subgroup == "Xa";
        let expected: &[u8] = if cns { &[0, 1, 3] } else { &[3] };
        assert_eq!(rule.behaviours, expected, "line {}", rule.line);
    }
}

#[test]
fn main_groups_have_numbers_numerals_and_names() {
    for (i, group) in MainGroup::ALL.into_iter().enumerate() {
        assert_eq!(usize::from(group.number()), i + 1);
        assert_eq!(MainGroup::from_roman(group.roman()), Some(group));
        assert!(!group.name().is_empty() && !group.name_ar().is_empty());
        assert_eq!(name(group.roman()), Some(group.name()));
    }
    assert_eq!(MainGroup::from_roman("XIII"), None);
    assert_eq!(MainGroup::IX.roman(), "IX");
    assert_eq!(name("IIIb"), Some("Astrocytomas"));
    assert_eq!(name("XIf.11"), Some("Carcinomas of unspecified site"));
    assert_eq!(name("IIIg"), None);
}

#[test]
fn codes_parse_into_group_subgroup_and_division() {
    assert_eq!(parse_code("Ia.1"), Some((MainGroup::I, "Ia", Some(1))));
    assert_eq!(parse_code("XIf.11"), Some((MainGroup::XI, "XIf", Some(11))));
    assert_eq!(parse_code("VIIIe"), Some((MainGroup::VIII, "VIIIe", None)));
    assert_eq!(parse_code("V"), Some((MainGroup::V, "V", None)));
    for bad in [
        "", "I", "Va", "Ig", "Ia.0", "Ia.01", "Ia.12", "Ia.", "Ia1", "IIII", "ia",
    ] {
        assert_eq!(parse_code(bad), None, "{bad:?}");
    }
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let names = "code\tname\nIa\tLymphoid leukemias\nIa.1\tPrecursor cell leukemias\n";
    let header = "extended\tseer\tsites\thistologies\tbehaviours\tsource\n";
    let good = "Ia.1\t001\tC000-C809\t9835-9837\t3\tseer2005\n";
    assert!(parse(Box::leak(format!("{header}{good}").into_boxed_str()), names).is_ok());
    let bad = [
        ("Ia.1\t001\tC000-C809\t9835-9837\t3\n", "expected 6"),
        ("Ia.2\t002\tC000-C809\t9823\t3\tseer2005\n", "no name"),
        (
            "Iz\t002\tC000-C809\t9823\t3\tseer2005\n",
            "not an ICCC-3 code",
        ),
        ("Ia.1\t001\tC809-C000\t9835\t3\tseer2005\n", "backwards"),
        ("Ia.1\t001\tC81.0\t9835\t3\tseer2005\n", "not a site"),
        (
            "Ia.1\t001\tC000-C809\t983\t3\tseer2005\n",
            "not a histology",
        ),
        (
            "Ia.1\t001\tC000-C809\t9835\t4\tseer2005\n",
            "not an ICD-O-3 behaviour",
        ),
        (
            "Ia.1\t115\tC000-C809\t9835\t3\tseer2005\n",
            "not 001 to 114",
        ),
        ("Ia.1\t-\tC000-C809\t9835\t3\tseer2005\n", "does not fit"),
        (
            "Ia.1\t001\tC000-C809\t9835\t3\tseer2017\n",
            "unknown source",
        ),
    ];
    for (row, message) in bad {
        let text: &'static str = Box::leak(format!("# comment\n\n{header}{row}").into_boxed_str());
        let err = parse(text, names).err();
        let err = err.unwrap_or_else(|| panic!("{row:?} parsed"));
        assert_eq!((err.file, err.line), (RULES_FILE, 4), "{row:?}");
        assert!(err.message.contains(message), "{row:?}: {}", err.message);
    }
    let err = parse("extended\tsites\n", names).err().map(|e| e.line);
    assert_eq!(err, Some(1), "wrong header");
    let err = parse(header, names).err().map(|e| e.message);
    assert_eq!(err.as_deref(), Some("no rules"));
    let err = parse(header, "code\tname\nIa\tA\nIa\tB\n")
        .err()
        .map(|e| (e.file, e.line));
    assert_eq!(err, Some((NAMES_FILE, 3)), "duplicate name");
}
