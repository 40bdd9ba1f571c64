//! Unit tests of the CI5 site groups and the ICD-O-3 topography names.

use std::collections::HashSet;

use super::*;

/// The three-character categories C00-C97 that ICD-10 (WHO, 2019) has.
fn icd10_malignant_categories() -> Vec<u8> {
    const MISSING: [u8; 7] = [27, 28, 29, 35, 36, 42, 59];
    (0..=97u8)
        .filter(|n| !MISSING.contains(n) && *n != 87 && *n != 89)
        .collect()
}

/// Whether a CI5 key label ("C01-02", "C47,C49", "C82-86,C96", "O&U") covers C`number`,
/// read from the label itself, independently of the module's mapping.
fn label_covers(key: &str, number: u8) -> bool {
    if key == "O&U" {
        return matches!(number, 26 | 39 | 48 | 76..=80 | 97);
    }
    key.split(',').any(|part| {
        let Some(part) = part.strip_prefix('C') else {
            return false;
        };
        let (low, high) = part.split_once('-').unwrap_or((part, part));
        match (low.parse::<u8>(), high.parse::<u8>()) {
            (Ok(low), Ok(high)) => (low..=high).contains(&number),
            _ => false,
        }
    })
}

#[test]
fn every_malignant_category_is_in_exactly_one_group() {
    let categories = icd10_malignant_categories();
    assert_eq!(categories.len(), 89);
    for number in categories {
        let code = format!("C{number:02}");
        let group = group_of(&code).unwrap_or_else(|| panic!("{code} has no group"));
        let covering: Vec<&str> = groups()
            .iter()
            .map(|group| group.key)
            .filter(|key| label_covers(key, number))
            .collect();
        assert_eq!(covering, vec![group.key], "{code}");
        // Every fourth character gives the same group.
        for sub in 0..=9 {
            assert_eq!(
                group_of(&format!("{code}.{sub}")),
                Some(group),
                "{code}.{sub}"
            );
            assert_eq!(
                group_of(&format!("{code}{sub}")),
                Some(group),
                "{code}{sub}"
            );
        }
    }
}

#[test]
fn categories_icd10_does_not_have_belong_to_no_group() {
    for code in [
        "C27", "C28", "C29", "C35", "C36", "C42", "C59", "C87", "C89", "C98", "C99",
    ] {
        assert_eq!(group_of(code), None, "{code}");
        assert!(!counts_in_all_sites(code), "{code}");
        assert!(!counts_in_all_but_c44(code), "{code}");
    }
}

#[test]
fn the_list_is_ci5s_in_print_order_with_unique_keys() {
    let list = groups();
    assert_eq!(list.len(), 61);
    assert_eq!(list.first().map(|g| g.name), Some("Lip"));
    assert_eq!(list.last().map(|g| g.key), Some("O&U"));
    assert_eq!(list.last().map(|g| g.name), Some("Other and unspecified"));
    let keys: HashSet<&str> = list.iter().map(|g| g.key).collect();
    assert_eq!(keys.len(), list.len(), "duplicate keys");
    let names: HashSet<&str> = list.iter().map(|g| g.name).collect();
    assert_eq!(names.len(), list.len(), "duplicate names");
    let arabic: HashSet<&str> = list.iter().map(|g| g.name_ar).collect();
    assert_eq!(arabic.len(), list.len(), "duplicate Arabic names");
    // CI5's site numbers (CanReg5, Rcan): 13 Colon, 14 Rectum, 29 Breast, 53 NHL, 59 MPD.
    let at = |number: usize| list.get(number - 1).map(|g| g.name);
    assert_eq!(at(13), Some("Colon"));
    assert_eq!(at(14), Some("Rectum"));
    assert_eq!(at(25), Some("Other skin"));
    assert_eq!(at(29), Some("Breast"));
    assert_eq!(at(53), Some("Non-Hodgkin lymphoma"));
    assert_eq!(at(59), Some("Myeloproliferative disorders"));
    assert_eq!(at(60), Some("Myelodysplastic syndromes"));
    for total in [ALL_SITES, ALL_BUT_C44] {
        assert!(group(total.key).is_none(), "a total is not a group");
    }
}

#[test]
fn every_group_is_reached_by_some_code() {
    let mut reached: HashSet<&str> = icd10_malignant_categories()
        .into_iter()
        .filter_map(|n| group_of(&format!("C{n:02}")))
        .map(|g| g.key)
        .collect();
    reached.extend(
        ["D45", "D46", "D47.1"]
            .into_iter()
            .filter_map(group_of)
            .map(|g| g.key),
    );
    for group in groups() {
        assert!(
            reached.contains(group.key),
            "{} is never reached",
            group.key
        );
        assert_eq!(super::group(group.key), Some(group));
    }
}

#[test]
fn only_c44_is_left_out_of_all_sites_but_c44() {
    for number in icd10_malignant_categories() {
        let code = format!("C{number:02}.9");
        assert!(counts_in_all_sites(&code), "{code}");
        assert_eq!(counts_in_all_but_c44(&code), number != 44, "{code}");
    }
    for code in ["C44", "C44.3", "c449", " C44.9 "] {
        assert_eq!(group_of(code).map(|g| g.name), Some("Other skin"));
        assert!(!counts_in_all_but_c44(code), "{code}");
    }
    for code in ["D45", "D46.9", "D47.3"] {
        assert!(counts_in_all_but_c44(code), "{code}");
    }
    for code in ["", "D05.1", "Z99", "garbage"] {
        assert!(!counts_in_all_but_c44(code), "{code}");
    }
    assert_eq!(ALL_SITES.key, "ALL");
    assert_eq!(ALL_SITES.name, "All sites");
    assert_eq!(ALL_BUT_C44.key, "ALLbC44");
    assert_eq!(ALL_BUT_C44.name, "All sites but C44");
}

#[test]
fn the_codes_of_the_brief() {
    let key = |code: &str| group_of(code).map(|g| g.key);
    let name = |code: &str| group_of(code).map(|g| g.name);
    for code in ["C18.7", "c187 ", "C18", " C18.0", "c18.9"] {
        assert_eq!(name(code), Some("Colon"), "{code:?}");
        assert_eq!(key(code), Some("C18"), "{code:?}");
    }
    assert_eq!(group_of("C18").map(|g| g.name_ar), Some("القولون"));
    for code in ["C19.9", "C20", "C19", "C20.9"] {
        assert_eq!(key(code), Some("C19-20"), "{code}");
        assert_eq!(name(code), Some("Rectum"), "{code}");
    }
    assert_eq!(group_of("C20").map(|g| g.name_ar), Some("المستقيم"));
    assert_eq!(key("C47.2"), Some("C47,C49"));
    assert_eq!(group_of("C47.2"), group_of("C49.1"));
    assert_eq!(key("C48.1"), Some("O&U"), "peritoneum is not soft tissue");
    for code in ["C82.1", "C96.0", "C83.3", "C85.9", "C86.0", "C96.9"] {
        assert_eq!(name(code), Some("Non-Hodgkin lymphoma"), "{code}");
        assert_eq!(key(code), Some("C82-86,C96"), "{code}");
    }
    for code in [
        "C80.9", "C26.9", "C39", "C76.0", "C77.2", "C78", "C79.5", "C97",
    ] {
        assert_eq!(key(code), Some("O&U"), "{code}");
    }
    assert_eq!(key("C92.0"), Some("C92-94"));
    assert_eq!(key("C93.1"), Some("C92-94"));
    assert_eq!(key("C94.2"), Some("C92-94"));
    assert_eq!(key("C91.1"), Some("C91"));
    assert_eq!(key("C88.0"), Some("C88"));
    assert_eq!(key("C33"), Some("C33-34"));
    assert_eq!(key("C34.1"), Some("C33-34"));
    assert_eq!(key("C38.4"), Some("C37-38"));
    assert_eq!(key("C50.9"), Some("C50"));
    assert_eq!(key("C91.00"), Some("C91"), "a national fifth character");
    for code in [
        "D05.1", "D05", "", "C", "C1", "C9", "X18", "C18.", "ＣＱ", "Z99", "C18.7X", "C.18",
        "C18..7", "C18.7.", "C18.1234", "C 18", "18.7", "CC18", "C-18", "C١٨", "Ｃ18", "C18‎",
    ] {
        assert_eq!(group_of(code), None, "{code:?}");
    }
}

#[test]
fn d_codes_only_for_myeloproliferative_and_myelodysplastic() {
    let key = |code: &str| group_of(code).map(|g| g.key);
    for code in ["D45", "D45.9", "D47.1", "D47.3", "D474", "d47.5"] {
        assert_eq!(key(code), Some("MPD"), "{code}");
    }
    for code in ["D46", "D46.0", "D46.9", "d467"] {
        assert_eq!(key(code), Some("MDS"), "{code}");
    }
    // D47 without its subdivision, mast cell tumours, MGUS, other neoplasms of uncertain
    // behaviour, in situ and benign neoplasms.
    for code in [
        "D47", "D47.0", "D47.2", "D47.7", "D47.9", "D00", "D09.0", "D48.9", "D36",
    ] {
        assert_eq!(key(code), None, "{code}");
    }
    for number in 0..=99u8 {
        for sub in ["", ".0", ".1", ".3", ".9"] {
            let code = format!("D{number:02}{sub}");
            let expected = matches!((number, sub), (45 | 46, _) | (47, ".1" | ".3"));
            assert_eq!(group_of(&code).is_some(), expected, "{code}");
        }
    }
}

#[test]
fn sex_specific_groups_are_exactly_c51_to_c58_and_c60_to_c63() {
    for number in icd10_malignant_categories() {
        let code = format!("C{number:02}");
        let sex = group_of(&code).and_then(|g| g.sex);
        let expected = match number {
            51..=58 => Some(SexSite::Female),
            60..=63 => Some(SexSite::Male),
            _ => None,
        };
        assert_eq!(sex, expected, "{code}");
    }
    let female: Vec<&str> = groups()
        .iter()
        .filter(|g| g.sex == Some(SexSite::Female))
        .map(|g| g.key)
        .collect();
    assert_eq!(
        female,
        ["C51", "C52", "C53", "C54", "C55", "C56", "C57", "C58"]
    );
    let male: Vec<&str> = groups()
        .iter()
        .filter(|g| g.sex == Some(SexSite::Male))
        .map(|g| g.key)
        .collect();
    assert_eq!(male, ["C60", "C61", "C62", "C63"]);
    assert_eq!(
        group_of("C50.9").and_then(|g| g.sex),
        None,
        "breast: both sexes"
    );
    assert_eq!(group_of("D46").and_then(|g| g.sex), None);
}

#[test]
fn topography_names() {
    assert_eq!(topography_name("C00"), Some(("Lip", "الشفة")));
    assert_eq!(topography_name("C18"), Some(("Colon", "القولون")));
    assert_eq!(topography_name("C18.7"), Some(("Colon", "القولون")));
    assert_eq!(topography_name(" c187"), Some(("Colon", "القولون")));
    assert_eq!(topography_name("C44.5"), Some(("Skin", "الجلد")));
    assert_eq!(
        topography_name("C80.9"),
        Some(("Unknown primary site", "موقع أولي مجهول"))
    );
    assert_eq!(
        topography_name("C19.9").map(|n| n.0),
        Some("Rectosigmoid junction")
    );
    assert_eq!(
        topography_name("C26").map(|n| n.0),
        Some("Other and ill-defined digestive organs")
    );
    assert_eq!(
        topography_name("C42.1").map(|n| n.0),
        Some("Hematopoietic and reticuloendothelial systems")
    );
    assert_eq!(topography_name("C77.3").map(|n| n.0), Some("Lymph nodes"));
    for code in [
        "C27", "C28", "C29", "C35", "C36", "C43", "C45", "C46", "C59", "C78", "C79", "C81", "C96",
        "C99", "D18", "C18.", "", "C", "ＣＱ",
    ] {
        assert_eq!(topography_name(code), None, "{code:?}");
    }
}

#[test]
fn the_topography_table_is_icd_o_3s() {
    assert_eq!(TOPOGRAPHY.len(), 70);
    let numbers: Vec<u8> = TOPOGRAPHY.iter().map(|row| row.0).collect();
    let mut expected: Vec<u8> = (0..=26).collect();
    expected.extend([
        30, 31, 32, 33, 34, 37, 38, 39, 40, 41, 42, 44, 47, 48, 49, 50,
    ]);
    expected.extend(51..=58);
    expected.extend(60..=77);
    expected.push(80);
    assert_eq!(numbers, expected, "sorted, one row per category");
    for number in 0..=99u8 {
        let code = format!("C{number:02}");
        assert_eq!(
            topography_name(&code).is_some(),
            expected.contains(&number),
            "{code}"
        );
    }
    let arabic: HashSet<&str> = TOPOGRAPHY.iter().map(|row| row.2).collect();
    assert_eq!(arabic.len(), TOPOGRAPHY.len(), "duplicate Arabic names");
}

/// True for a character an Arabic name may hold: Arabic letters, spaces, the Arabic comma,
/// parentheses.
fn arabic_or_punctuation(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | ' ' | '(' | ')')
}

#[test]
fn arabic_names_are_arabic() {
    let names = groups()
        .iter()
        .map(|g| g.name_ar)
        .chain(TOPOGRAPHY.iter().map(|row| row.2))
        .chain([ALL_SITES.name_ar]);
    for name in names {
        assert!(!name.trim().is_empty());
        assert_eq!(name.trim(), name, "{name}");
        assert!(name.chars().all(arabic_or_punctuation), "{name}");
    }
    // The only Latin in an Arabic name: the code C44 of the total.
    let rest = ALL_BUT_C44.name_ar.replace("C44", "");
    assert!(rest.chars().all(arabic_or_punctuation), "{rest}");
    assert!(ALL_BUT_C44.name_ar.contains("C44"));
}

#[test]
fn categories() {
    assert_eq!(category("C18.7").as_deref(), Some("C18"));
    assert_eq!(category("c187 ").as_deref(), Some("C18"));
    assert_eq!(category("C18").as_deref(), Some("C18"));
    assert_eq!(category("C00.0").as_deref(), Some("C00"));
    assert_eq!(category("D05.1").as_deref(), Some("D05"));
    assert_eq!(category("z99").as_deref(), Some("Z99"));
    assert_eq!(category("C27").as_deref(), Some("C27"));
    for code in ["", "C", "C1", "C18.", "ＣＱ", "C18.7X", "18", "C١٨"] {
        assert_eq!(category(code), None, "{code:?}");
    }
}

/// Calls every function on one input and checks that they agree with one another.
fn agree(input: &str) {
    let group = group_of(input);
    let category = category(input);
    if let Some(group) = group {
        assert!(category.is_some(), "{input:?}");
        assert!(groups().contains(group));
        assert!(counts_in_all_sites(input));
        assert_eq!(counts_in_all_but_c44(input), group.key != "C44");
    } else {
        assert!(!counts_in_all_sites(input) && !counts_in_all_but_c44(input));
    }
    if topography_name(input).is_some() {
        assert!(
            category.as_deref().is_some_and(|c| c.starts_with('C')),
            "{input:?}"
        );
    }
    if let Some(category) = category {
        assert_eq!(category.len(), 3, "{input:?}");
        if category.starts_with('C') {
            // A malignant neoplasm's group depends on its category alone.
            assert_eq!(group_of(&category), group, "{input:?}");
        }
    }
}

#[test]
fn no_input_panics() {
    let ascii: Vec<char> = (0u8..128).map(char::from).collect();
    let mut checked = 0usize;
    for &a in &ascii {
        for &b in &ascii {
            agree(&format!("{a}{b}"));
            for &c in &ascii {
                agree(&format!("{a}{b}{c}"));
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 128 * 128 * 128);
    // Four and five characters over the alphabet codes are made of.
    let alphabet: Vec<char> = "Cc D.0189 x\t".chars().collect();
    for &a in &alphabet {
        for &b in &alphabet {
            for &c in &alphabet {
                for &d in &alphabet {
                    agree(&format!("{a}{b}{c}{d}"));
                    for &e in &alphabet {
                        agree(&format!("{a}{b}{c}{d}{e}"));
                    }
                }
            }
        }
    }
    for input in [
        "ＣＱ",
        "Ｃ１８",
        "C١٨.٧",
        "C18.٧",
        "ك18",
        "é",
        "C18\u{0301}",
        "\u{200F}C18",
        "C\u{FEFF}18",
        "🦀",
        "C18🦀",
        "\u{0}",
        "C18.7\u{0}",
        "C\u{10FFFF}",
        "القولون",
        "C18.7 C19",
        "C00000000000000000000000000000000",
        "\u{A0}C18\u{A0}",
        "\u{2003}C20\u{3000}",
    ] {
        agree(input);
        assert!(
            category(input).is_none() || input.trim().is_ascii(),
            "{input:?}"
        );
    }
    // Unicode spaces are trimmed like ASCII ones.
    assert_eq!(group_of("\u{A0}C18\u{A0}").map(|g| g.key), Some("C18"));
    assert_eq!(
        group_of("\u{2003}C20\u{3000}").map(|g| g.key),
        Some("C19-20")
    );
}
