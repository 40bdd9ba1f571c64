//! Unit tests of the regimen table: the built-in file parses, matching by site range,
//! morphology and stage prefix, and refusals by line.

use super::*;

#[test]
fn the_built_in_table_parses() {
    let table = Regimens::parse(BUILT_IN).unwrap();
    assert_eq!(table.rows.len(), 8);
    assert_eq!(Regimens::built_in(), table);
}

fn table() -> Regimens {
    Regimens::parse(
        "# comment\n\nsite,morphology,stage,atc,strength,form,share,units_per_month,months\n\
         C50,*,*,L02BA01,20  mg,tablet,0.6,30,60\n\
         C50,*,II,L01DB01,50 mg,injection,0.5,2,4\n\
         C18-C20,*,III,L01BC06,500 mg,tablet,0.6,112,6\n\
         C91,9800-9989,*,L01BB02,50 mg,tablet,0.9,60,24\n",
    )
    .unwrap()
}

fn matched(icd10: &str, morphology: u16, stage: Option<&str>) -> Vec<String> {
    let t = table();
    t.for_case(icd10, morphology, stage)
        .map(|r| r.atc.clone())
        .collect()
}

#[test]
fn a_case_matches_every_row_of_its_site_morphology_and_stage() {
    assert_eq!(table().rows[0].strength, "20 mg", "spaces normalised");
    assert_eq!(matched("C50.4", 8500, Some("IIB")), ["L02BA01", "L01DB01"]);
    // II is not a prefix of III; an unknown stage matches only the rows for any stage.
    assert_eq!(matched("C50.4", 8500, Some("IIIA")), ["L02BA01"]);
    assert_eq!(matched("C50.9", 8500, None), ["L02BA01"]);
    // A range of categories, inclusive at both ends.
    assert_eq!(matched("C20", 8140, Some("IIIB")), ["L01BC06"]);
    assert_eq!(matched("C18.7", 8140, Some("III")), ["L01BC06"]);
    assert!(matched("C21.0", 8140, Some("III")).is_empty());
    // Morphology ranges.
    assert_eq!(matched("C91.0", 9836, None), ["L01BB02"]);
    assert!(matched("C91.0", 8000, None).is_empty());
}

#[test]
fn a_bad_line_is_refused_with_its_number() {
    let head = "site,morphology,stage,atc,strength,form,share,units_per_month,months\n";
    for (row, what) in [
        ("C5,*,*,L02BA01,20 mg,tablet,0.6,30,60", "site"),
        ("C50,*,*,L02BA0,20 mg,tablet,0.6,30,60", "atc"),
        ("C50,*,*,L02BA01,20 mg,pill,0.6,30,60", "form"),
        ("C50,*,*,L02BA01,20 mg,tablet,1.5,30,60", "share"),
        ("C50,*,*,L02BA01,20 mg,tablet,0.5,0,60", "units_per_month"),
        ("C50,*,*,L02BA01,20 mg,tablet,0.5,30,0", "months"),
        ("C50,100-200,*,L02BA01,20 mg,tablet,0.5,30,6", "morphology"),
        ("C50,*,X,L02BA01,20 mg,tablet,0.5,30,6", "stage"),
        ("C50,*,*,L02BA01", "fields"),
    ] {
        let e = Regimens::parse(&format!("# c\n{head}{row}\n")).unwrap_err();
        assert_eq!(e.line, 3, "{row}");
        assert!(e.message.contains(what), "{row}: {e}");
    }
    assert_eq!(Regimens::parse("C50,x\n").unwrap_err().line, 1);
    assert_eq!(Regimens::parse("# only comments\n").unwrap_err().line, 0);
}
