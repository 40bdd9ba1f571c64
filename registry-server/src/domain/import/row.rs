//! One source row checked into registry values: the patient through the same
//! [`PatientInput::validate`] as a registration at the desk, the tumour through the card's
//! own rules and its derived ICCC-3 group, as [`crate::domain::clinical::create`] does. The
//! values each layout writes its own way (CanReg5's `1`/`2`/`9` sex, `yyyyMMdd` dates,
//! three-digit topography, a morphology with its behaviour as `8140/3`) are read here.
//! Record checks and multiple primaries need the other rows and the registry: [`super`].

use card_format::model::{Date, IdType, Sex, Stage, StageScheme, Tumour};
use sha2::{Digest, Sha256};

use super::layout::{Field, Layout, SourceRow};
use crate::domain::{clinical::derived, Error};
use crate::patient::{ascii_digits, PatientData, PatientInput};

/// A row that passed its own checks.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The source's key of the row.
    pub key: String,
    /// SHA-256 of the row's fields, in a fixed order: what makes a re-run recognise it.
    pub digest: String,
    /// The patient.
    pub patient: PatientData,
    /// The tumour, when the row has one.
    pub tumour: Option<Tumour>,
}

/// What is wrong with a row: the field (the layout's column name) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Column, or `row`.
    pub field: String,
    /// Why; never the value.
    pub message: String,
}

impl Problem {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// From a domain validation error.
pub fn problem_of(e: &Error) -> Problem {
    match e {
        Error::Validation { field, message } => Problem::new(field.clone(), message.clone()),
        other => Problem::new("row", other.to_string()),
    }
}

/// Checks `row` as of `today`.
///
/// # Errors
/// The row's problems (at least one).
pub fn parse(row: &SourceRow, layout: Layout, today: Date) -> Result<Parsed, Vec<Problem>> {
    if let Some(why) = &row.unreadable {
        return Err(vec![Problem::new("row", why.clone())]);
    }
    let key = row
        .get(Field::RecordId)
        .or_else(|| row.get(Field::PatientKey))
        .ok_or_else(|| vec![Problem::new(col(layout, Field::RecordId), "required")])?
        .to_string();
    let mut problems = Vec::new();
    let patient = match patient_input(row, layout).and_then(|p| p.validate(today)) {
        Ok((data, _warnings)) => Some(data),
        Err(e) => {
            problems.push(problem_of(&e));
            None
        }
    };
    let tumour = match (&patient, has_tumour(row)) {
        (_, false) => None,
        (Some(p), true) => match tumour(row, layout, p.birth_date) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(problem_of(&e));
                None
            }
        },
        (None, true) => None,
    };
    match patient {
        Some(patient) if problems.is_empty() => Ok(Parsed {
            key,
            digest: digest(row),
            patient,
            tumour,
        }),
        _ => Err(problems),
    }
}

/// Why a CanReg5 row is not read: a tumour record marked deleted (`TumourRecordStatus` 2)
/// or a record marked obsolete (`ObsoleteFlagTumourTable`, `ObsoleteFlagPatientTable` 1).
pub fn skipped(row: &SourceRow) -> Option<Problem> {
    if row.get(Field::RecordStatus) == Some("2") {
        return Some(Problem::new("TumourRecordStatus", "2: deleted in CanReg5"));
    }
    for (field, name) in [
        (Field::Obsolete, "ObsoleteFlagTumourTable"),
        (Field::ObsoletePatient, "ObsoleteFlagPatientTable"),
    ] {
        if row.get(field) == Some("1") {
            return Some(Problem::new(name, "1: obsolete in CanReg5"));
        }
    }
    None
}

fn col(layout: Layout, field: Field) -> &'static str {
    super::layout::column_name(layout, field)
}

fn has_tumour(row: &SourceRow) -> bool {
    [
        Field::Topography,
        Field::Morphology,
        Field::Icd10,
        Field::Incidence,
    ]
    .iter()
    .any(|f| row.get(*f).is_some())
}

fn digest(row: &SourceRow) -> String {
    let mut fields = row.fields.clone();
    fields.sort();
    let mut hash = Sha256::new();
    for (f, v) in fields {
        hash.update(format!("{f:?}\u{1f}{v}\u{1e}").as_bytes());
    }
    data_encoding::HEXLOWER.encode(&hash.finalize())
}

fn enum_of<T: serde::de::DeserializeOwned>(
    field: &str,
    text: &str,
    expected: &str,
) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(text.to_lowercase()))
        .or_else(|_| serde_json::from_value(serde_json::Value::String(text.to_string())))
        .map_err(|_| Error::invalid(field, format!("expected one of {expected}")))
}

fn parts(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn is_arabic(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}'))
}

fn patient_input(row: &SourceRow, layout: Layout) -> Result<PatientInput, Error> {
    let required = |f: Field| {
        row.get(f)
            .ok_or_else(|| Error::invalid(col(layout, f), "required"))
    };
    let (id_type, id_value) = match (row.get(Field::IdType), row.get(Field::IdValue)) {
        (Some(kind), Some(value)) => (
            enum_of::<IdType>(
                col(layout, Field::IdType),
                kind,
                "national, passport, family_book, registry",
            )?,
            value.to_string(),
        ),
        (None, None) if layout == Layout::Canreg5 => {
            (IdType::Registry, required(Field::PatientKey)?.to_string())
        }
        (None, _) => return Err(Error::invalid(col(layout, Field::IdType), "required")),
        (Some(_), None) => return Err(Error::invalid(col(layout, Field::IdValue), "required")),
    };
    let (mut name_ar, mut name_latin) = (Vec::new(), Vec::new());
    if let Some(n) = row.get(Field::NameAr) {
        name_ar = parts(n);
    }
    if let Some(n) = row.get(Field::NameLatin) {
        name_latin = parts(n);
    }
    // CanReg5 keeps a first name and a surname, in whatever script was typed.
    for f in [Field::FirstName, Field::Surname] {
        if let Some(n) = row.get(f) {
            if is_arabic(n) {
                name_ar.extend(parts(n));
            } else {
                name_latin.extend(parts(n));
            }
        }
    }
    if name_ar.is_empty() {
        return Err(Error::invalid(
            col(layout, Field::NameAr),
            "required: the card carries the Arabic name (a Latin name alone is not enough)",
        ));
    }
    Ok(PatientInput {
        id_type,
        id_value,
        name_ar,
        name_latin: (!name_latin.is_empty()).then_some(name_latin),
        sex: sex(required(Field::Sex)?, layout)?,
        birth_date: date(col(layout, Field::BirthDate), required(Field::BirthDate)?)?.to_string(),
        blood_group: row
            .get(Field::BloodGroup)
            .map(|b| enum_of(col(layout, Field::BloodGroup), b, "A+ ... O-"))
            .transpose()?,
        municipality: row.get(Field::Municipality).map(str::to_string),
        region: row.get(Field::Region).map(str::to_string),
        phone: row.get(Field::Phone).map(str::to_string),
        insurance: None,
    })
}

/// Sex: the template's ISO/IEC 5218 names or digits (0, 1, 2, 9); CanReg5's 1 male,
/// 2 female, 9 unknown (ISO 5218's 0).
fn sex(text: &str, layout: Layout) -> Result<Sex, Error> {
    let field = col(layout, Field::Sex);
    match (ascii_digits(text).as_str(), layout) {
        ("1", _) => Ok(Sex::Male),
        ("2", _) => Ok(Sex::Female),
        ("0", Layout::Template) => Ok(Sex::NotKnown),
        ("9", Layout::Template) => Ok(Sex::NotApplicable),
        ("9", Layout::Canreg5) => Ok(Sex::NotKnown),
        (_, Layout::Canreg5) => Err(Error::invalid(field, "expected 1, 2 or 9")),
        (other, Layout::Template) => enum_of(
            field,
            other,
            "male, female, not_known, not_applicable (or 1, 2, 0, 9)",
        ),
    }
}

/// A date as `YYYY-MM-DD` or `yyyyMMdd` (digits of any script). CanReg5's 99 for an
/// unknown day or month is refused: the registry keeps whole dates only.
fn date(field: &str, text: &str) -> Result<Date, Error> {
    let text = ascii_digits(text);
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        if &text[4..6] == "99" || &text[6..8] == "99" || &text[..4] == "9999" {
            return Err(Error::invalid(
                field,
                "the day, month or year is unknown (99): the registry keeps whole dates only",
            ));
        }
        return Date::parse(
            field,
            &format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]),
        )
        .map_err(|_| Error::invalid(field, "not a date of the calendar"));
    }
    Date::parse(field, &text)
        .map_err(|_| Error::invalid(field, "expected a date as YYYY-MM-DD or yyyyMMdd"))
}

/// ICD-O-3 topography as `C50.9`, `C509` or CanReg5's three digits `509`.
fn topography(field: &str, text: &str) -> Result<String, Error> {
    let t = text.trim().to_uppercase().replace('.', "");
    let digits = t.strip_prefix('C').unwrap_or(&t);
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            "expected an ICD-O-3 site: C50.9, C509 or 509",
        ));
    }
    let digits = format!("{digits:0>3}");
    Ok(format!("C{}.{}", &digits[..2], &digits[2..]))
}

fn number<T: std::str::FromStr>(field: &str, text: &str, what: &str) -> Result<T, Error> {
    ascii_digits(text)
        .parse()
        .map_err(|_| Error::invalid(field, format!("expected {what}")))
}

/// ICD-10 as `C50.9` or CanReg5's `C509`.
fn icd10(text: &str) -> String {
    let t = text.trim().to_uppercase().replace('.', "");
    if t.len() == 4 {
        format!("{}.{}", &t[..3], &t[3..])
    } else {
        t
    }
}

fn tumour(row: &SourceRow, layout: Layout, birth: Date) -> Result<Tumour, Error> {
    let c = |f| col(layout, f);
    let required = |f: Field| row.get(f).ok_or_else(|| Error::invalid(c(f), "required"));
    let morphology_text = required(Field::Morphology)?;
    let (morphology, behaviour) = match morphology_text.split_once('/') {
        Some((m, b)) => (m, Some(b)),
        None => (morphology_text, row.get(Field::Behaviour)),
    };
    let behaviour = behaviour.ok_or_else(|| Error::invalid(c(Field::Behaviour), "required"))?;
    let stage = match row.get(Field::Stage) {
        None => None,
        Some(group) => Some(Stage {
            scheme: match row.get(Field::StageScheme) {
                Some(s) => enum_of(c(Field::StageScheme), s, "tnm8, toronto, other")?,
                None => StageScheme::Other,
            },
            t: row.get(Field::T).map(str::to_string),
            n: row.get(Field::N).map(str::to_string),
            m: row.get(Field::M).map(str::to_string),
            group: group.to_string(),
        }),
    };
    let mut t = Tumour {
        icd10: icd10(required(Field::Icd10)?),
        topography: topography(c(Field::Topography), required(Field::Topography)?)?,
        morphology: number(c(Field::Morphology), morphology, "four digits (8140)")?,
        behaviour: number(c(Field::Behaviour), behaviour, "one digit")?,
        grade: row
            .get(Field::Grade)
            .map(|g| number(c(Field::Grade), g, "one digit"))
            .transpose()?,
        basis: number(c(Field::Basis), required(Field::Basis)?, "one digit")?,
        incidence: date(c(Field::Incidence), required(Field::Incidence)?)?,
        stage,
        iccc: None,
    };
    derived::derive_iccc(&mut t, birth, "tumour")?;
    t.validate("tumour", birth)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(Field, &str)]) -> SourceRow {
        SourceRow {
            line: 2,
            fields: fields.iter().map(|(f, v)| (*f, v.to_string())).collect(),
            unreadable: None,
        }
    }

    fn today() -> Date {
        Date::parse("d", "2026-12-01").unwrap()
    }

    #[test]
    fn a_canreg5_row_reads_its_codes() {
        let r = row(&[
            (Field::RecordId, "T1"),
            (Field::PatientKey, "p-17"),
            (Field::FirstName, "أحمد"),
            (Field::Surname, "Ali"),
            (Field::Sex, "9"),
            (Field::BirthDate, "20100115"),
            (Field::Topography, "749"),
            (Field::Morphology, "9500"),
            (Field::Behaviour, "3"),
            (Field::Basis, "7"),
            (Field::Icd10, "C749"),
            (Field::Incidence, "20120301"),
            (Field::Stage, "L2"),
        ]);
        let p = parse(&r, Layout::Canreg5, today()).unwrap();
        assert_eq!(p.key, "T1");
        assert_eq!(p.patient.id.kind, IdType::Registry);
        assert_eq!(p.patient.id.value, "P-17");
        assert_eq!(p.patient.sex, Sex::NotKnown);
        assert_eq!(p.patient.name_ar, vec!["أحمد".to_string()]);
        assert_eq!(p.patient.name_latin, vec!["Ali".to_string()]);
        let t = p.tumour.unwrap();
        assert_eq!(t.topography, "C74.9");
        assert_eq!(t.icd10, "C74.9");
        assert_eq!(t.incidence.to_string(), "2012-03-01");
        assert_eq!(t.iccc.as_deref(), Some("IVa"), "neuroblastoma under 20");
        assert_eq!(t.stage.unwrap().scheme, StageScheme::Other);
    }

    #[test]
    fn each_bad_value_is_named_by_its_column_without_echoing_it() {
        let base = [
            (Field::RecordId, "r1"),
            (Field::IdType, "national"),
            (Field::IdValue, "119900000011"),
            (Field::NameAr, "سالم علي"),
            (Field::Sex, "male"),
            (Field::BirthDate, "1990-05-06"),
        ];
        assert!(parse(&row(&base), Layout::Template, today()).is_ok());
        let with = |f: Field, v: &str| {
            let mut r = row(&base);
            r.fields.retain(|(g, _)| *g != f);
            r.fields.push((f, v.to_string()));
            parse(&r, Layout::Template, today()).unwrap_err()
        };
        assert_eq!(with(Field::Sex, "3")[0].field, "sex");
        let p = with(Field::BirthDate, "19909906");
        assert_eq!(p[0].field, "birth_date");
        assert!(p[0].message.contains("unknown"), "{p:?}");
        assert_eq!(with(Field::BirthDate, "2027-01-01")[0].field, "birth_date");
        assert_eq!(with(Field::IdType, "ssn")[0].field, "id_type");
        let p = with(Field::NameAr, "Salem");
        assert_eq!(p[0].field, "name_ar[0]");
        assert!(!p[0].message.contains("Salem"));
        let mut r = row(&base);
        for (f, v) in [
            (Field::Icd10, "C50.9"),
            (Field::Topography, "C5X"),
            (Field::Morphology, "8500/3"),
            (Field::Basis, "7"),
            (Field::Incidence, "2020-01-01"),
        ] {
            r.fields.push((f, v.to_string()));
        }
        let p = parse(&r, Layout::Template, today()).unwrap_err();
        assert_eq!(p[0].field, "topography", "{p:?}");
        r.fields.retain(|(f, _)| *f != Field::Topography);
        r.fields.push((Field::Topography, "C50.9".into()));
        let t = parse(&r, Layout::Template, today())
            .unwrap()
            .tumour
            .unwrap();
        assert_eq!(
            (t.morphology, t.behaviour),
            (8500, 3),
            "8500/3 carries the behaviour"
        );
    }

    #[test]
    fn the_digest_ignores_column_order_but_not_values() {
        let a = row(&[(Field::RecordId, "r1"), (Field::Sex, "1")]);
        let b = row(&[(Field::Sex, "1"), (Field::RecordId, "r1")]);
        let c = row(&[(Field::Sex, "2"), (Field::RecordId, "r1")]);
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&c));
    }

    #[test]
    fn topography_and_dates_in_every_spelling() {
        for t in ["C50.9", "c509", "509"] {
            assert_eq!(topography("t", t).unwrap(), "C50.9");
        }
        assert_eq!(topography("t", "1").unwrap(), "C00.1");
        assert!(topography("t", "C5000").is_err());
        assert_eq!(date("d", "٢٠١٠-٠١-١٥").unwrap().to_string(), "2010-01-15");
        assert_eq!(date("d", "20100115").unwrap().to_string(), "2010-01-15");
        assert!(date("d", "20100230").is_err());
    }
}
