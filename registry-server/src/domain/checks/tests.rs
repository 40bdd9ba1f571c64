//! Every check, with a clinical example of each outcome it can give; the tables; the report.

use super::select::{Family, MorphSel, Site, SiteToken, TopoSel};
use super::tables::{self, rows, Item, Source, Tables, EMBEDDED};
use super::*;

fn d(s: &str) -> Date {
    Date::parse("test", s).unwrap()
}

/// A birth date giving `years` at the base incidence date, 2025-01-10.
fn aged(years: i32) -> Option<Date> {
    Some(Date::from_ymd("birth", 2024 - years, 6, 1).unwrap())
}

/// Infiltrating duct carcinoma of the breast in a woman of 54, histologically verified:
/// every check passes.
fn base() -> Subject<'static> {
    Subject {
        sex: Sex::Female,
        birth: Some(d("1970-03-15")),
        incidence: d("2025-01-10"),
        last_contact: Some(d("2025-06-01")),
        death: None,
        topography: "C50.9",
        morphology: 8500,
        behaviour: 3,
        grade: Some(2),
        basis: 7,
    }
}

/// The one finding of the check with this code; asserts its outcome, its English text, and
/// that the Arabic text holds each of `ar`.
#[track_caller]
fn expect(s: &Subject<'_>, code: &str, outcome: Outcome, en: &str, ar: &[&str]) -> Finding {
    let check = Check::from_code(code).unwrap();
    let report = super::check(s);
    let found: Vec<&Finding> = report.of(check).collect();
    assert_eq!(found.len(), 1, "{code}: {found:#?}");
    let f = found[0];
    assert_eq!(f.check.code(), code);
    assert_eq!((f.outcome, f.message.en().as_str()), (outcome, en));
    let text = f.message.ar();
    assert!(!text.trim().is_empty(), "{code}: empty Arabic message");
    for part in ar {
        assert!(text.contains(part), "{code}: {text:?} lacks {part:?}");
    }
    f.clone()
}

// ---- the codes -------------------------------------------------------------------------

#[test]
fn topography_code() {
    expect(
        &base(),
        "topography_code",
        Outcome::Ok,
        "topography C50.9 (Breast, NOS): passes the topography code check",
        &["C50.9", "الثدي"],
    );
    // C39 has only .0, .8 and .9; C81 is an ICD-10 (lymphoma) code, not a topography.
    for code in ["C39.5", "C81.0"] {
        expect(
            &Subject {
                topography: code,
                ..base()
            },
            "topography_code",
            Outcome::Invalid,
            &format!("topography {code} is not an ICD-O-3 topography code"),
            &[code],
        );
    }
    expect(
        &Subject {
            topography: "C50",
            ..base()
        },
        "topography_code",
        Outcome::Invalid,
        "topography \"C50\" is not an ICD-O-3 topography code",
        &["C50"],
    );
    for code in ["C39.0", "C39.8", "C39.9", "C80.9"] {
        let s = Subject {
            topography: code,
            ..base()
        };
        let report = check(&s);
        assert_eq!(
            report.of(Check::TopographyCode).next().unwrap().outcome,
            Outcome::Ok
        );
    }
}

#[test]
fn morphology_code() {
    expect(
        &base(),
        "morphology_code",
        Outcome::Ok,
        "morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)): passes the morphology \
         code check",
        &["8500/3"],
    );
    let s = Subject {
        morphology: 8006,
        ..base()
    };
    expect(
        &s,
        "morphology_code",
        Outcome::Invalid,
        "morphology 8006 is not an ICD-O-3 histology code",
        &["8006"],
    );
    // The cross-checks that need the morphology cannot be done.
    expect(
        &s,
        "topography_morphology",
        Outcome::Missing,
        "morphology 8006 is not valid: the topography/morphology check could not be done",
        &["8006"],
    );
}

#[test]
fn behaviour_grade_and_basis_codes() {
    let s = Subject {
        behaviour: 5,
        ..base()
    };
    expect(
        &s,
        "behaviour_code",
        Outcome::Invalid,
        "behaviour 5 is not an ICD-O-3 behaviour code (0, 1, 2, 3, 6, 9)",
        &["5"],
    );
    expect(
        &s,
        "morphology_behaviour",
        Outcome::Missing,
        "behaviour 5 is not valid: the morphology/behaviour check could not be done",
        &["5"],
    );
    expect(
        &base(),
        "behaviour_code",
        Outcome::Ok,
        "behaviour 3 (malignant, primary site): passes the behaviour code check",
        &["3", "خبيث"],
    );
    expect(
        &Subject {
            grade: Some(0),
            ..base()
        },
        "grade_code",
        Outcome::Invalid,
        "grade 0 is not an ICD-O-3 grade code (1, 2, 3, 4, 5, 6, 7, 8, 9)",
        &["0"],
    );
    expect(
        &base(),
        "grade_code",
        Outcome::Ok,
        "grade 2 (moderately differentiated): passes the grade code check",
        &["2", "متوسط التمايز"],
    );
    expect(
        &Subject {
            grade: None,
            ..base()
        },
        "grade_code",
        Outcome::Ok,
        "grade not recorded: passes the grade code check",
        &["الدرجة"],
    );
    // 3 and 8 are CanReg's older basis codes, not IARC's.
    for basis in [3, 8] {
        expect(
            &Subject { basis, ..base() },
            "basis_code",
            Outcome::Invalid,
            &format!(
                "basis {basis} is not an IARC basis of diagnosis code (0, 1, 2, 4, 5, 6, 7, 9)"
            ),
            &[&basis.to_string()],
        );
    }
    expect(
        &base(),
        "basis_code",
        Outcome::Ok,
        "basis 7 (histology of a primary tumour): passes the basis code check",
        &["7"],
    );
}

// ---- basis of diagnosis --------------------------------------------------------------------

#[test]
fn basis_morphology() {
    expect(
        &base(),
        "basis_morphology",
        Outcome::Ok,
        "basis 7 (histology of a primary tumour), morphology 8500/3 (Infiltrating duct carcinoma, \
         NOS (C50._)), topography C50.9 (Breast, NOS): passes the basis/morphology check",
        &["8500/3"],
    );
    let prostate = Subject {
        sex: Sex::Male,
        topography: "C61.9",
        morphology: 8140,
        basis: 1,
        ..base()
    };
    expect(
        &prostate,
        "basis_morphology",
        Outcome::Query,
        "morphology 8140/3 (Adenocarcinoma, NOS) with basis 1 (clinical): a specific morphology \
         is expected to be verified by cytology or histology (basis 5, 6, 7)",
        &["8140/3", "سريري", "1"],
    );
    // Unknown basis with a specific morphology: queried too.
    let unknown = expect(
        &Subject { basis: 9, ..base() },
        "basis_morphology",
        Outcome::Query,
        "morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)) with basis 9 (unknown): a \
         specific morphology is expected to be verified by cytology or histology (basis 5, 6, 7)",
        &["9"],
    );
    assert_eq!(unknown.fields, ["basis", "morphology", "topography"]);
    // Death certificate only, morphology unspecified; hepatocellular carcinoma on imaging;
    // melanoma of the skin seen clinically.
    for (topography, morphology, basis) in
        [("C80.9", 8000, 0), ("C22.0", 8170, 2), ("C44.5", 8720, 1)]
    {
        let s = Subject {
            topography,
            morphology,
            basis,
            grade: Some(9),
            ..base()
        };
        let f = check(&s).of(Check::BasisMorphology).next().unwrap().clone();
        assert_eq!(f.outcome, Outcome::Ok, "{}", f.message.en());
    }
    // Melanoma accepted without microscopy only in the skin and the eye.
    let rectum = Subject {
        topography: "C20.9",
        morphology: 8720,
        basis: 1,
        grade: Some(9),
        ..base()
    };
    assert_eq!(
        check(&rectum)
            .of(Check::BasisMorphology)
            .next()
            .unwrap()
            .outcome,
        Outcome::Query
    );
    expect(
        &Subject { basis: 3, ..base() },
        "basis_morphology",
        Outcome::Missing,
        "basis 3 is not valid: the basis/morphology check could not be done",
        &["3"],
    );
}

// ---- grade -------------------------------------------------------------------------------

#[test]
fn grade_morphology() {
    expect(
        &base(),
        "grade_morphology",
        Outcome::Ok,
        "grade 2 (moderately differentiated), behaviour 3 (malignant, primary site), morphology \
         8500/3 (Infiltrating duct carcinoma, NOS (C50._)): passes the grade/behaviour/morphology \
         check",
        &["8500/3"],
    );
    expect(
        &Subject {
            grade: Some(5),
            ..base()
        },
        "grade_morphology",
        Outcome::Invalid,
        "grade 5 (T-cell) with morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)) is \
         impossible: this morphology takes grade 1, 2, 3, 4 or 9",
        &["5", "8500/3", "خلايا تائية"],
    );
    let dcis = Subject {
        behaviour: 2,
        grade: Some(3),
        ..base()
    };
    expect(
        &dcis,
        "grade_morphology",
        Outcome::Invalid,
        "grade 3 (poorly differentiated) on a tumour of behaviour 2 (in situ): only a malignant \
         tumour takes a grade other than 9",
        &["3", "2", "موضعي"],
    );
    for grade in [None, Some(9)] {
        let s = Subject { grade, ..dcis };
        assert_eq!(
            check(&s).of(Check::GradeMorphology).next().unwrap().outcome,
            Outcome::Ok
        );
    }
    expect(
        &Subject {
            grade: None,
            ..base()
        },
        "grade_morphology",
        Outcome::Missing,
        "grade not recorded for a tumour of behaviour 3 (malignant, primary site): record it, or \
         9 if not determined",
        &["3"],
    );
    expect(
        &Subject {
            grade: Some(0),
            ..base()
        },
        "grade_morphology",
        Outcome::Missing,
        "grade 0 is not valid: the grade/behaviour/morphology check could not be done",
        &["0"],
    );
    let lymphoma = |morphology, grade| Subject {
        topography: "C77.9",
        morphology,
        grade: Some(grade),
        basis: 7,
        ..base()
    };
    // Mycosis fungoides (T cell); intravascular large B-cell lymphoma; anaplastic large cell
    // lymphoma, T and null cell; NK-cell leukaemia; follicular carcinoma, well differentiated.
    let cases = [
        (9702, 5, Outcome::Ok),
        (9702, 6, Outcome::Invalid),
        (9712, 6, Outcome::Ok),
        (9712, 5, Outcome::Invalid),
        (9714, 4, Outcome::Ok),
        (9714, 7, Outcome::Ok),
        (9714, 6, Outcome::Invalid),
        (9948, 8, Outcome::Ok),
        (9948, 6, Outcome::Invalid),
        (9590, 6, Outcome::Ok),
        (9590, 2, Outcome::Ok),
        (8331, 1, Outcome::Ok),
        (8331, 2, Outcome::Invalid),
        (8331, 9, Outcome::Ok),
    ];
    for (morphology, grade, outcome) in cases {
        let s = lymphoma(morphology, grade);
        let f = check(&s).of(Check::GradeMorphology).next().unwrap().clone();
        assert_eq!(
            f.outcome,
            outcome,
            "{morphology} grade {grade}: {}",
            f.message.en()
        );
    }
    expect(
        &lymphoma(9702, 6),
        "grade_morphology",
        Outcome::Invalid,
        "grade 6 (B-cell) with morphology 9702/3 (Mature T-cell lymphoma, NOS) is impossible: \
         this morphology takes grade 5 or 9",
        &["9702/3"],
    );
    // Behaviour 6 (metastatic) is malignant: it takes a grade.
    let metastasis = Subject {
        morphology: 8140,
        behaviour: 6,
        ..base()
    };
    assert_eq!(
        check(&metastasis)
            .of(Check::GradeMorphology)
            .next()
            .unwrap()
            .outcome,
        Outcome::Ok
    );
}

// ---- age ---------------------------------------------------------------------------------

#[test]
fn age_at_incidence() {
    expect(
        &base(),
        "age_at_incidence",
        Outcome::Ok,
        "birth date 1970-03-15, incidence date 2025-01-10, age 54: passes the age at incidence \
         check",
        &["54", "1970-03-15"],
    );
    expect(
        &Subject {
            birth: Some(d("2025-02-01")),
            ..base()
        },
        "age_at_incidence",
        Outcome::Invalid,
        "incidence date 2025-01-10 is before birth date 2025-02-01: no age at incidence",
        &["2025-01-10", "2025-02-01"],
    );
    expect(
        &Subject {
            birth: Some(d("1909-06-01")),
            ..base()
        },
        "age_at_incidence",
        Outcome::Query,
        "age 115 at incidence is over 110: check the birth and incidence dates",
        &["115", "110"],
    );
    let f = expect(
        &Subject {
            birth: None,
            ..base()
        },
        "age_at_incidence",
        Outcome::Missing,
        "birth date not recorded: the age at incidence check could not be done",
        &["تاريخ الميلاد"],
    );
    assert_eq!(f.fields, ["birth", "incidence"]);
    // A day count outside the calendar (years -9999 to 9999).
    expect(
        &Subject {
            birth: Some(Date(i32::MIN)),
            ..base()
        },
        "age_at_incidence",
        Outcome::Missing,
        "birth date day -2147483648 is not valid: the age at incidence check could not be done",
        &["-2147483648"],
    );
}

#[test]
fn age_is_whole_years_at_the_last_birthday() {
    let age = |birth: &str, incidence: &str| {
        let s = Subject {
            birth: Some(d(birth)),
            incidence: d(incidence),
            last_contact: None,
            ..base()
        };
        check(&s)
            .of(Check::AgeAtIncidence)
            .next()
            .unwrap()
            .message
            .en()
    };
    assert!(age("1990-01-10", "2025-01-10").contains("age 35:"));
    assert!(age("1990-01-11", "2025-01-10").contains("age 34:"));
    assert!(age("2000-02-29", "2001-02-28").contains("age 0:"));
    assert!(age("2000-02-29", "2001-03-01").contains("age 1:"));
    assert!(age("2025-01-10", "2025-01-10").contains("age 0:"));
    // 110 is accepted, 111 queried.
    let at = |years| {
        let s = Subject {
            birth: aged(years),
            ..base()
        };
        check(&s).of(Check::AgeAtIncidence).next().unwrap().outcome
    };
    assert_eq!((at(110), at(111)), (Outcome::Ok, Outcome::Query));
}

#[test]
fn age_topography() {
    let cervix = |years| Subject {
        birth: aged(years),
        topography: "C53.9",
        morphology: 8070,
        grade: Some(9),
        ..base()
    };
    // The more specific rule (under 5) is named, not the under-20 one.
    expect(
        &cervix(3),
        "age_topography",
        Outcome::Rare,
        "age 3 with topography C53.9 (Cervix uteri) is rare (IARC flags ages 0 to 4)",
        &["3", "C53.9", "عنق الرحم"],
    );
    expect(
        &cervix(20),
        "age_topography",
        Outcome::Ok,
        "age 20, topography C53.9 (Cervix uteri): passes the age/topography check",
        &["20"],
    );
    expect(
        &Subject {
            birth: aged(18),
            ..base()
        },
        "age_topography",
        Outcome::Rare,
        "age 18 with topography C50.9 (Breast, NOS) is rare (IARC flags ages 0 to 19)",
        &["18", "C50.9"],
    );
    expect(
        &Subject {
            birth: None,
            ..base()
        },
        "age_topography",
        Outcome::Missing,
        "birth date not recorded: the age/topography check could not be done",
        &["تاريخ الميلاد"],
    );
    expect(
        &Subject {
            birth: Some(d("2025-02-01")),
            ..base()
        },
        "age_topography",
        Outcome::Missing,
        "age at incidence not known: the age/topography check could not be done",
        &["العمر"],
    );
    expect(
        &Subject {
            topography: "C39.5",
            ..base()
        },
        "age_topography",
        Outcome::Missing,
        "topography C39.5 is not valid: the age/topography check could not be done",
        &["C39.5"],
    );
}

#[test]
fn age_morphology() {
    let myeloma = Subject {
        sex: Sex::Male,
        birth: aged(10),
        topography: "C42.1",
        morphology: 9732,
        grade: Some(9),
        ..base()
    };
    expect(
        &myeloma,
        "age_morphology",
        Outcome::Rare,
        "age 10 with morphology 9732/3 (Multiple myeloma (C42.1)) is rare (IARC flags ages 0 to \
         14)",
        &["10", "9732/3"],
    );
    let wilms = |years| Subject {
        birth: aged(years),
        topography: "C64.9",
        morphology: 8960,
        grade: Some(9),
        ..base()
    };
    expect(
        &wilms(30),
        "age_morphology",
        Outcome::Rare,
        "age 30 with morphology 8960/3 (Nephroblastoma, NOS (C64.9)) is rare (IARC flags ages 15 \
         and over)",
        &["30", "8960/3"],
    );
    expect(
        &wilms(3),
        "age_morphology",
        Outcome::Ok,
        "age 3, morphology 8960/3 (Nephroblastoma, NOS (C64.9)): passes the age/morphology check",
        &["3"],
    );
    expect(
        &Subject {
            birth: None,
            ..wilms(3)
        },
        "age_morphology",
        Outcome::Missing,
        "birth date not recorded: the age/morphology check could not be done",
        &["تاريخ الميلاد"],
    );
}

#[test]
fn age_topography_morphology() {
    let prostate = |years| Subject {
        sex: Sex::Male,
        birth: aged(years),
        topography: "C61.9",
        morphology: 8140,
        ..base()
    };
    expect(
        &prostate(35),
        "age_topography_morphology",
        Outcome::Rare,
        "age 35 with topography C61.9 (Prostate gland) and morphology 8140/3 (Adenocarcinoma, \
         NOS) is rare (IARC flags ages 0 to 39)",
        &["35", "C61.9", "8140/3", "البروستاتا"],
    );
    expect(
        &prostate(40),
        "age_topography_morphology",
        Outcome::Ok,
        "age 40, topography C61.9 (Prostate gland), morphology 8140/3 (Adenocarcinoma, NOS): \
         passes the age/topography/morphology check",
        &["40"],
    );
    let retinoblastoma = |years| Subject {
        birth: aged(years),
        topography: "C69.2",
        morphology: 9510,
        grade: Some(9),
        ..base()
    };
    expect(
        &retinoblastoma(8),
        "age_topography_morphology",
        Outcome::Rare,
        "age 8 with topography C69.2 (Retina) and morphology 9510/3 (Retinoblastoma, NOS \
         (C69.2)) is rare (IARC flags ages 6 and over)",
        &["8", "C69.2", "9510/3"],
    );
    let young = check(&retinoblastoma(5));
    assert_eq!(
        young
            .of(Check::AgeTopographyMorphology)
            .next()
            .unwrap()
            .outcome,
        Outcome::Ok
    );
    let choriocarcinoma = |years| Subject {
        birth: aged(years),
        topography: "C58.9",
        morphology: 9100,
        grade: Some(9),
        ..base()
    };
    expect(
        &choriocarcinoma(14),
        "age_topography_morphology",
        Outcome::Rare,
        "age 14 with topography C58.9 (Placenta) and morphology 9100/3 (Choriocarcinoma, NOS) is \
         rare (IARC flags ages 0 to 14)",
        &["14", "C58.9"],
    );
    expect(
        &choriocarcinoma(46),
        "age_topography_morphology",
        Outcome::Rare,
        "age 46 with topography C58.9 (Placenta) and morphology 9100/3 (Choriocarcinoma, NOS) is \
         rare (IARC flags ages 46 and over)",
        &["46"],
    );
    let at = |s: Subject<'_>| {
        check(&s)
            .of(Check::AgeTopographyMorphology)
            .next()
            .unwrap()
            .outcome
    };
    assert_eq!(at(choriocarcinoma(30)), Outcome::Ok);
    // Lung at 17: a carcinoid (824x) is expected, an adenocarcinoma is not.
    let lung = |morphology| Subject {
        birth: aged(17),
        topography: "C34.1",
        morphology,
        grade: Some(9),
        ..base()
    };
    assert_eq!(
        (at(lung(8240)), at(lung(8140))),
        (Outcome::Ok, Outcome::Rare)
    );
    expect(
        &Subject {
            birth: None,
            ..prostate(35)
        },
        "age_topography_morphology",
        Outcome::Missing,
        "birth date not recorded: the age/topography/morphology check could not be done",
        &["تاريخ الميلاد"],
    );
}

// ---- sex ---------------------------------------------------------------------------------

#[test]
fn sex_topography() {
    let male_cervix = Subject {
        sex: Sex::Male,
        topography: "C53.9",
        morphology: 8070,
        ..base()
    };
    let f = expect(
        &male_cervix,
        "sex_topography",
        Outcome::Invalid,
        "sex male with topography C53.9 (Cervix uteri) is impossible",
        &["C53.9", "ذكر"],
    );
    assert_eq!(
        f.message.ar(),
        "الجنس ذكر مع الموقع C53.9 (عنق الرحم) غير ممكن"
    );
    assert_eq!(f.fields, ["sex", "topography"]);
    expect(
        &Subject {
            topography: "C61.9",
            morphology: 8140,
            ..base()
        },
        "sex_topography",
        Outcome::Invalid,
        "sex female with topography C61.9 (Prostate gland) is impossible",
        &["C61.9", "أنثى"],
    );
    // Breast cancer in a man is rare but possible: not this check's concern.
    expect(
        &Subject {
            sex: Sex::Male,
            ..base()
        },
        "sex_topography",
        Outcome::Ok,
        "sex male, topography C50.9 (Breast, NOS): passes the sex/topography check",
        &["C50.9"],
    );
    expect(
        &Subject {
            sex: Sex::NotKnown,
            ..male_cervix
        },
        "sex_topography",
        Outcome::Missing,
        "sex not known: the sex/topography check could not be done",
        &["الجنس غير معروف"],
    );
    expect(
        &Subject {
            sex: Sex::NotApplicable,
            ..male_cervix
        },
        "sex_topography",
        Outcome::Missing,
        "sex not applicable: the sex/topography check could not be done",
        &["الجنس"],
    );
}

#[test]
fn sex_morphology() {
    let man = |topography, morphology, behaviour| Subject {
        sex: Sex::Male,
        topography,
        morphology,
        behaviour,
        grade: Some(9),
        ..base()
    };
    expect(
        &man("C48.2", 8441, 3),
        "sex_morphology",
        Outcome::Rare,
        "sex male with morphology 8441/3 (Serous cystadenocarcinoma, NOS (C56.9)) is rare",
        &["8441/3", "ذكر", "نادر"],
    );
    expect(
        &man("C62.9", 9084, 3),
        "sex_morphology",
        Outcome::Rare,
        "sex male with morphology 9084/3 (Teratoma with malignant transformation) is rare",
        &["9084/3"],
    );
    // The 9084 rule is for malignant tumours only: a dermoid cyst of the testis passes.
    let dermoid = man("C62.9", 9084, 0);
    assert_eq!(
        check(&dermoid)
            .of(Check::SexMorphology)
            .next()
            .unwrap()
            .outcome,
        Outcome::Ok
    );
    expect(
        &Subject {
            topography: "C56.9",
            morphology: 9061,
            grade: Some(9),
            ..base()
        },
        "sex_morphology",
        Outcome::Rare,
        "sex female with morphology 9061/3 (Seminoma, NOS (C62._)) is rare",
        &["9061/3", "أنثى"],
    );
    expect(
        &base(),
        "sex_morphology",
        Outcome::Ok,
        "sex female, morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)): passes the \
         sex/morphology check",
        &["8500/3"],
    );
    expect(
        &Subject {
            sex: Sex::NotKnown,
            ..man("C48.2", 8441, 3)
        },
        "sex_morphology",
        Outcome::Missing,
        "sex not known: the sex/morphology check could not be done",
        &["الجنس غير معروف"],
    );
}

// ---- site, morphology and behaviour --------------------------------------------------------

#[test]
fn topography_morphology() {
    expect(
        &base(),
        "topography_morphology",
        Outcome::Ok,
        "morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)), topography C50.9 (Breast, \
         NOS): passes the topography/morphology check",
        &["C50.9"],
    );
    let at = |topography, morphology| Subject {
        sex: Sex::Male,
        topography,
        morphology,
        grade: Some(9),
        ..base()
    };
    expect(
        &at("C34.1", 8170),
        "topography_morphology",
        Outcome::Rare,
        "morphology 8170/3 (Hepatocellular carcinoma, NOS (C22.0)) with topography C34.1 (Upper \
         lobe, lung) is rare: the family \"Liver tumours\" is expected only at C22 (Liver and \
         intrahepatic bile ducts)",
        &["8170/3", "C34.1", "C22"],
    );
    expect(
        &at("C71.0", 9510),
        "topography_morphology",
        Outcome::Rare,
        "morphology 9510/3 (Retinoblastoma, NOS (C69.2)) with topography C71.0 (Cerebrum) is \
         rare: the family \"Retinoblastomas\" is expected only at C69.2 (Retina), C69.8 \
         (Overlapping lesion of eye and adnexa), C69.9 (Eye, NOS)",
        &["C71.0", "C69.2"],
    );
    // An adenocarcinoma (not site-specific carcinomas, an inverse profile) in bone.
    expect(
        &at("C41.9", 8140),
        "topography_morphology",
        Outcome::Rare,
        "morphology 8140/3 (Adenocarcinoma, NOS) with topography C41.9 (Bone, NOS) is rare: the \
         family \"Not site-specific carcinomas\" is not expected at this site",
        &["8140/3", "C41.9"],
    );
    for (topography, morphology) in [("C18.7", 8140), ("C22.0", 8170), ("C80.9", 8000)] {
        let s = at(topography, morphology);
        let f = check(&s)
            .of(Check::TopographyMorphology)
            .next()
            .unwrap()
            .clone();
        assert_eq!(f.outcome, Outcome::Ok, "{}", f.message.en());
    }
    expect(
        &at("C22", 8170),
        "topography_morphology",
        Outcome::Missing,
        "topography \"C22\" is not valid: the topography/morphology check could not be done",
        &["C22"],
    );
}

#[test]
fn topography_behaviour() {
    let in_situ = |topography| Subject {
        topography,
        behaviour: 2,
        grade: None,
        ..base()
    };
    expect(
        &in_situ("C41.9"),
        "topography_behaviour",
        Outcome::Rare,
        "behaviour 2 (in situ) with topography C41.9 (Bone, NOS) is rare",
        &["C41.9", "موضعي"],
    );
    expect(
        &in_situ("C50.9"),
        "topography_behaviour",
        Outcome::Ok,
        "behaviour 2 (in situ), topography C50.9 (Breast, NOS): passes the topography/behaviour \
         check",
        &["C50.9"],
    );
    let invasive = Subject {
        topography: "C41.9",
        ..base()
    };
    assert_eq!(
        check(&invasive)
            .of(Check::TopographyBehaviour)
            .next()
            .unwrap()
            .outcome,
        Outcome::Ok
    );
    expect(
        &Subject {
            behaviour: 4,
            ..base()
        },
        "topography_behaviour",
        Outcome::Missing,
        "behaviour 4 is not valid: the topography/behaviour check could not be done",
        &["4"],
    );
}

#[test]
fn morphology_behaviour() {
    expect(
        &base(),
        "morphology_behaviour",
        Outcome::Ok,
        "morphology 8500/3 (Infiltrating duct carcinoma, NOS (C50._)): passes the \
         morphology/behaviour check",
        &["8500/3"],
    );
    expect(
        &Subject {
            topography: "C22.0",
            morphology: 8170,
            behaviour: 2,
            grade: None,
            ..base()
        },
        "morphology_behaviour",
        Outcome::Query,
        "morphology 8170/2 is unlikely: ICD-O-3 lists histology 8170 with behaviour 0, 3 only",
        &["8170/2", "8170"],
    );
    // 8140/6 is listed; 8500/6 and 8500/9 count as 8500/3; a benign seminoma is not listed.
    for (morphology, behaviour, outcome) in [
        (8140, 6, Outcome::Ok),
        (8500, 6, Outcome::Ok),
        (8500, 9, Outcome::Ok),
        (9061, 0, Outcome::Query),
    ] {
        let s = Subject {
            morphology,
            behaviour,
            ..base()
        };
        let f = check(&s)
            .of(Check::MorphologyBehaviour)
            .next()
            .unwrap()
            .clone();
        assert_eq!(f.outcome, outcome, "{}", f.message.en());
    }
    expect(
        &Subject {
            morphology: 9999,
            ..base()
        },
        "morphology_behaviour",
        Outcome::Missing,
        "morphology 9999 is not valid: the morphology/behaviour check could not be done",
        &["9999"],
    );
}

// ---- dates -------------------------------------------------------------------------------

#[test]
fn date_order() {
    expect(
        &base(),
        "date_order",
        Outcome::Ok,
        "birth date 1970-03-15, incidence date 2025-01-10, last contact date 2025-06-01: passes \
         the date order check",
        &["2025-06-01"],
    );
    let f = expect(
        &Subject {
            last_contact: Some(d("2024-12-01")),
            ..base()
        },
        "date_order",
        Outcome::Invalid,
        "last contact date 2024-12-01 is before incidence date 2025-01-10",
        &["2024-12-01", "تاريخ آخر اتصال"],
    );
    assert_eq!(f.fields, ["incidence", "last_contact"]);
    let f = expect(
        &Subject {
            last_contact: None,
            death: Some(d("2024-12-31")),
            ..base()
        },
        "date_order",
        Outcome::Invalid,
        "death date 2024-12-31 is before incidence date 2025-01-10",
        &["2024-12-31", "تاريخ الوفاة"],
    );
    assert_eq!(f.fields, ["incidence", "death"]);
    let f = expect(
        &Subject {
            death: Some(d("2025-03-01")),
            ..base()
        },
        "date_order",
        Outcome::Invalid,
        "death date 2025-03-01 is before last contact date 2025-06-01",
        &["2025-03-01", "2025-06-01"],
    );
    assert_eq!(f.fields, ["last_contact", "death"]);
    let f = expect(
        &Subject {
            birth: Some(d("2025-02-01")),
            ..base()
        },
        "date_order",
        Outcome::Invalid,
        "incidence date 2025-01-10 is before birth date 2025-02-01",
        &["تاريخ الميلاد"],
    );
    assert_eq!(f.fields, ["birth", "incidence"]);
    // Two pairs out of order: two findings.
    let s = Subject {
        last_contact: Some(d("2024-12-01")),
        death: Some(d("2024-11-01")),
        ..base()
    };
    let report = check(&s);
    let fields: Vec<_> = report.of(Check::DateOrder).map(|f| f.fields).collect();
    assert_eq!(
        fields,
        [
            &["incidence", "last_contact"][..],
            &["incidence", "death"],
            &["last_contact", "death"]
        ]
    );
    // Death certificate only: incidence, last contact and death on the same day.
    let dco = Subject {
        last_contact: Some(d("2025-01-10")),
        death: Some(d("2025-01-10")),
        ..base()
    };
    assert_eq!(
        check(&dco).of(Check::DateOrder).next().unwrap().outcome,
        Outcome::Ok
    );
}

// ---- the report --------------------------------------------------------------------------

#[test]
fn report_has_every_check_once_in_order() {
    let report = check(&base());
    let checks: Vec<Check> = report.findings.iter().map(|f| f.check).collect();
    assert_eq!(checks, Check::ALL);
    assert!(report.findings.iter().all(|f| f.outcome == Outcome::Ok));
    assert_eq!(report.worst(), Outcome::Ok);
    assert!(!report.refused());
    assert!(!report.needs_confirmation());
}

#[test]
fn report_verdicts() {
    // A rare combination needs a confirmation.
    let young_prostate = Subject {
        sex: Sex::Male,
        birth: aged(35),
        topography: "C61.9",
        morphology: 8140,
        ..base()
    };
    let report = check(&young_prostate);
    assert_eq!(report.worst(), Outcome::Rare);
    assert!(report.needs_confirmation());
    assert!(!report.refused());
    // An impossible one is refused, and needs no confirmation.
    let male_cervix = Subject {
        sex: Sex::Male,
        topography: "C53.9",
        morphology: 8070,
        ..young_prostate
    };
    let report = check(&male_cervix);
    assert_eq!(report.worst(), Outcome::Invalid);
    assert!(report.refused());
    assert!(!report.needs_confirmation());
    // A missing value alone neither refuses nor asks.
    let no_birth = Subject {
        birth: None,
        ..base()
    };
    let report = check(&no_birth);
    assert_eq!(report.worst(), Outcome::Missing);
    assert!(!report.refused() && !report.needs_confirmation());
    // An empty report.
    let empty = Report {
        findings: Vec::new(),
    };
    assert_eq!(empty.worst(), Outcome::Ok);
}

#[test]
fn outcomes_are_ordered_by_severity() {
    let mut all = [
        Outcome::Invalid,
        Outcome::Ok,
        Outcome::Missing,
        Outcome::Rare,
        Outcome::Query,
    ];
    all.sort();
    assert_eq!(
        all,
        [
            Outcome::Ok,
            Outcome::Query,
            Outcome::Rare,
            Outcome::Missing,
            Outcome::Invalid
        ]
    );
}

#[test]
fn codes_are_stable_and_serialised() {
    let codes: Vec<&str> = Check::ALL.iter().map(Check::code).collect();
    assert_eq!(
        codes,
        [
            "topography_code",
            "morphology_code",
            "behaviour_code",
            "grade_code",
            "basis_code",
            "basis_morphology",
            "grade_morphology",
            "age_at_incidence",
            "age_topography",
            "age_morphology",
            "age_topography_morphology",
            "sex_topography",
            "sex_morphology",
            "topography_morphology",
            "topography_behaviour",
            "morphology_behaviour",
            "date_order",
        ]
    );
    for c in Check::ALL {
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!(c.code())
        );
        assert_eq!(Check::from_code(c.code()), Some(c));
    }
    assert_eq!(Check::from_code("sex_site"), None);
    let s = Subject {
        sex: Sex::Male,
        topography: "C53.9",
        morphology: 8070,
        ..base()
    };
    let json = serde_json::to_value(check(&s)).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "sex_topography")
        .unwrap();
    assert_eq!(finding["outcome"], "invalid");
    assert_eq!(finding["fields"], serde_json::json!(["sex", "topography"]));
    assert_eq!(
        finding["message"]["en"],
        "sex male with topography C53.9 (Cervix uteri) is impossible"
    );
    assert_eq!(
        finding["message"]["ar"],
        "الجنس ذكر مع الموقع C53.9 (عنق الرحم) غير ممكن"
    );
}

// ---- the tables --------------------------------------------------------------------------

#[test]
fn every_table_parses() {
    verify_tables().unwrap();
    let t = Tables::parse(&EMBEDDED).unwrap();
    assert_eq!(t.topography.len(), 330);
    assert_eq!(t.groups.len(), 70);
    assert_eq!(t.morphology.len(), 807);
    assert_eq!(t.family_names.len(), 70);
    assert_eq!(t.terms.len(), 1082);
    assert_eq!(t.age_rules.len(), 11);
    assert_eq!(t.sex_rules.len(), 5);
    assert_eq!(t.grade_rules.len(), 12);
    assert_eq!(t.basis_rules.len(), 20);
    assert_eq!(t.behaviour_sites.len(), 1);
}

#[test]
fn tables_say_what_the_sources_say() {
    let t = Tables::parse(&EMBEDDED).unwrap();
    // O3_10T.txt: C39 has .0, .8 and .9 only; topography.tsv names C53.9.
    let mut c39: Vec<u8> = t
        .topography
        .keys()
        .filter(|s| s.group == 39)
        .map(|s| s.sub)
        .collect();
    c39.sort_unstable();
    assert_eq!(c39, [0, 8, 9]);
    assert_eq!(t.topography[&Site::parse("C53.9").unwrap()], "Cervix uteri");
    assert_eq!(t.groups[&53].name_ar, "عنق الرحم");
    assert!(!t.topography.contains_key(&Site::parse("C14.1").unwrap()));
    // MorphFam.txt: 8170+07, 9510+30, 8140-02, 8000***; Must.txt 07C22*, 30C692/8/9;
    // MustNot.txt 02C40*; MorphFamDict.txt line 7 and line 63 + 2.
    assert_eq!(t.morphology[&8170], Family::Must(7));
    assert_eq!(t.morphology[&9510], Family::Must(30));
    assert_eq!(t.morphology[&8140], Family::MustNot(2));
    assert_eq!(t.morphology[&8000], Family::Any);
    assert_eq!(t.profiles[&Family::Must(7)], [SiteToken::Group(22)]);
    let retina: Vec<String> = t.profiles[&Family::Must(30)]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(retina, ["C69.2", "C69.8", "C69.9"]);
    assert!(t.profiles[&Family::MustNot(2)].contains(&SiteToken::Group(40)));
    assert_eq!(t.family_names[&Family::Must(7)], "Liver tumours");
    assert_eq!(
        t.family_names[&Family::MustNot(2)],
        "Not site-specific carcinomas"
    );
    // morphology5.tsv: 81403, 85002; no 85001.
    assert_eq!(t.terms[&(8140, 3)], "Adenocarcinoma, NOS");
    assert!(t.terms.contains_key(&(8500, 2)));
    assert!(!t.terms.contains_key(&(8500, 1)));
    // CheckAgeTopographyMorphology.java: age < 40, C61, 814x.
    let prostate = t
        .age_rules
        .iter()
        .find(|r| {
            r.check == Check::AgeTopographyMorphology
                && r.topography.matches(Site::parse("C61.9").unwrap())
        })
        .unwrap();
    assert_eq!(
        (prostate.from, prostate.to, prostate.outcome),
        (0, Some(39), Outcome::Rare)
    );
    assert!(prostate.morphology.matches(8140, Family::MustNot(2)));
    assert!(!prostate.morphology.matches(8150, Family::Must(10)));
    // CheckGrade.java: NK cell 9948 takes grade 8.
    let nk = t
        .grade_rules
        .iter()
        .find(|r| r.morphology.matches(9948, Family::Must(18)))
        .unwrap();
    assert_eq!(nk.grades, [8]);
    // CheckBasis.java: melanoma 8720 only with C44 or C69.
    let melanoma = t
        .basis_rules
        .iter()
        .find(|r| r.morphology.matches(8720, Family::Must(49)))
        .unwrap();
    assert!(melanoma.topography.matches(Site::parse("C69.3").unwrap()));
    assert!(!melanoma.topography.matches(Site::parse("C20.9").unwrap()));
    // Codes: basis 5, 6, 7 microscopic; behaviours 0-3, 6, 9.
    assert_eq!(
        t.codes_of(Item::Basis, Some(tables::Flag::Microscopic)),
        [5, 6, 7]
    );
    assert_eq!(t.codes_of(Item::Behaviour, None), [0, 1, 2, 3, 6, 9]);
    assert_eq!(t.behaviours_listed(8170), [0, 3]);
}

/// The embedded sources with one file replaced.
fn with(file: &'static str, text: &'static str) -> Result<Tables, TableError> {
    let mut s = EMBEDDED;
    let src = Source { file, text };
    match file {
        "topography.tsv" => s.topography = src,
        "morphology.tsv" => s.morphology = src,
        "grade_rules.tsv" => s.grade_rules = src,
        "age_rules.tsv" => s.age_rules = src,
        "site_profiles.tsv" => s.site_profiles = src,
        _ => unreachable!(),
    }
    Tables::parse(&s)
}

#[test]
fn a_broken_table_is_a_clear_error() {
    let e = with(
        "topography.tsv",
        "# comment\ncode\tname\nC50.9\tBreast, NOS\nC509\tBreast\n",
    )
    .unwrap_err();
    assert_eq!((e.file, e.line), ("topography.tsv", 4));
    assert_eq!(
        e.to_string(),
        "IARC check table data/iarc/topography.tsv, line 4: \"C509\" is not a code like C50.9"
    );
    let e = with(
        "topography.tsv",
        "code\tname\nC50.9\tBreast\nC50.9\tBreast again\n",
    )
    .unwrap_err();
    assert_eq!((e.line, e.reason.as_str()), (3, "duplicate entry"));
    let e = with("topography.tsv", "code\ttitle\nC50.9\tBreast\n").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.reason.starts_with("header is"), "{e}");
    let e = with("topography.tsv", "# only comments\n").unwrap_err();
    assert_eq!((e.line, e.reason.as_str()), (0, "no header line"));
    let e = with("morphology.tsv", "code\tfamily\n8000\t*\n8010\t+99\n").unwrap_err();
    assert_eq!((e.file, e.line), ("morphology.tsv", 3));
    assert!(e.reason.contains("+99"), "{e}");
    // A grade table that leaves morphologies without a rule.
    let e = with(
        "grade_rules.tsv",
        "morphology\tgrades\n8000-8999\t1 2 3 4\n",
    )
    .unwrap_err();
    assert_eq!((e.file, e.line), ("grade_rules.tsv", 0));
    assert!(e.reason.starts_with("no rule for morphology 9"), "{e}");
    let e = with(
        "age_rules.tsv",
        "check\tage_from\tage_to\ttopography\tmorphology\toutcome\n\
         age_topography\t20\t10\tC50\t*\trare\n",
    )
    .unwrap_err();
    assert_eq!((e.line, e.reason.as_str()), (2, "age_to is below age_from"));
    let e = with("site_profiles.tsv", "family\tsite\n+07\tC22\n").unwrap_err();
    assert_eq!(e.line, 0);
    assert!(e.reason.ends_with("has no sites"), "{e}");
    let src = Source {
        file: "x.tsv",
        text: "a\tb\n1\t2\t3\n",
    };
    assert_eq!(
        rows(&src, ["a", "b"]).unwrap_err().reason,
        "3 cells, expected 2"
    );
    let src = Source {
        file: "x.tsv",
        text: "a\tb\n1\t \n",
    };
    assert_eq!(rows(&src, ["a", "b"]).unwrap_err().line, 2);
}

#[test]
fn selectors() {
    assert_eq!(Site::parse("C50.9"), Some(Site { group: 50, sub: 9 }));
    for bad in [
        "c50.9", "C509", "C50.", "C5.09", "C50.x", " C50.9", "C50.9 ",
    ] {
        assert_eq!(Site::parse(bad), None, "{bad:?}");
    }
    let sites = TopoSel::parse("C53 C38.4").unwrap();
    assert!(sites.matches(Site::parse("C53.1").unwrap()));
    assert!(sites.matches(Site::parse("C38.4").unwrap()));
    assert!(!sites.matches(Site::parse("C38.3").unwrap()));
    assert!(TopoSel::parse("*")
        .unwrap()
        .matches(Site::parse("C00.0").unwrap()));
    assert!(TopoSel::parse("C5").is_err());
    let not_carcinoid = MorphSel::parse("!8240-8249").unwrap();
    assert!(not_carcinoid.matches(8140, Family::MustNot(2)));
    assert!(!not_carcinoid.matches(8241, Family::Any));
    let female = MorphSel::parse("+22 +23 9084").unwrap();
    assert!(female.matches(8905, Family::Must(22)));
    assert!(female.matches(9084, Family::Must(59)));
    assert!(!female.matches(8905, Family::Must(24)));
    assert!(MorphSel::parse("8249-8240").is_err());
    assert!(MorphSel::parse("814").is_err());
    assert!(MorphSel::parse("+00").is_err());
}
