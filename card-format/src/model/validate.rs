//! Validation of a card summary and its claims.
//!
//! The registry validates before it signs and the verifier validates after the signature
//! checks, so a card that decodes but breaks a rule (a morphology of 7000, say) is refused with
//! the path of the offending field. Errors name the field, never its value: values are
//! patient data.
//!
//! Limits on counts and lengths keep a card within what a QR code and a smart card can carry
//! (docs/card-format.md §5.3).

use super::{
    Allergy, CardPayload, CardSummary, IdType, Insurance, MedicineAuthorisation, Patient, Stage,
    StageScheme, Treatment, Tumour,
};
use crate::{Error, Result};

/// Most tumours on one card.
pub const MAX_TUMOURS: usize = 8;
/// Most treatments on one card.
pub const MAX_TREATMENTS: usize = 16;
/// Most medicine authorisations on one card.
pub const MAX_MEDICINES: usize = 16;
/// Most allergies on one card.
pub const MAX_ALLERGIES: usize = 16;
/// Longest validity of a card: ten years (in seconds, 3,653 days).
pub const MAX_VALIDITY_SECONDS: u64 = 3_653 * 86_400;

impl CardPayload {
    /// Checks every rule of docs/card-format.md §5.3 on the claims and the summary.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self) -> Result<()> {
        check_code(
            || "iss".to_string(),
            &self.issuer,
            32,
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-',
        )?;
        if self.expires_at <= self.issued_at {
            return Err(Error::invalid("exp", "must be after iat"));
        }
        if self.expires_at - self.issued_at > MAX_VALIDITY_SECONDS {
            return Err(Error::invalid("exp", "validity longer than ten years"));
        }
        self.summary.validate()?;
        let issued = super::Date::from_unix_seconds(self.issued_at);
        if self.summary.patient.birth_date > issued {
            return Err(Error::invalid(
                "patient.birth_date",
                "after the card's issue date",
            ));
        }
        Ok(())
    }
}

impl CardSummary {
    /// Checks the summary on its own (without the claims around it).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self) -> Result<()> {
        self.patient.validate()?;
        check_count("tumours", self.tumours.len(), MAX_TUMOURS)?;
        check_count("treatments", self.treatments.len(), MAX_TREATMENTS)?;
        check_count("medicines", self.medicines.len(), MAX_MEDICINES)?;
        check_count("allergies", self.allergies.len(), MAX_ALLERGIES)?;
        for (i, tumour) in self.tumours.iter().enumerate() {
            tumour.validate(&format!("tumours[{i}]"), self.patient.birth_date)?;
        }
        for (i, t) in self.treatments.iter().enumerate() {
            t.validate(&format!("treatments[{i}]"))?;
        }
        for (i, m) in self.medicines.iter().enumerate() {
            m.validate(&format!("medicines[{i}]"))?;
            if self.medicines[..i].iter().any(|other| other.id == m.id) {
                return Err(Error::invalid(format!("medicines[{i}].id"), "duplicate id"));
            }
        }
        for (i, a) in self.allergies.iter().enumerate() {
            a.validate(&format!("allergies[{i}]"))?;
        }
        if let Some(ins) = &self.insurance {
            ins.validate("insurance")?;
        }
        Ok(())
    }
}

impl Treatment {
    /// Checks one treatment; errors name fields under `at` (e.g. `treatments[0]`).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self, at: &str) -> Result<()> {
        if let Some(regimen) = &self.regimen {
            check_text(|| format!("{at}.regimen"), regimen, 40)?;
        }
        if self.cycles == Some(0) || self.cycles.is_some_and(|c| c > 100) {
            return Err(Error::invalid(format!("{at}.cycles"), "must be 1 to 100"));
        }
        if self.end.is_some_and(|end| end < self.start) {
            return Err(Error::invalid(format!("{at}.end"), "before the start date"));
        }
        Ok(())
    }
}

impl Allergy {
    /// Checks one allergy; errors name fields under `at`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self, at: &str) -> Result<()> {
        check_text(|| format!("{at}.substance"), &self.substance, 60)
    }
}

impl Insurance {
    /// Checks the insurance codes; errors name fields under `at`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self, at: &str) -> Result<()> {
        let code = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '/';
        check_code(|| format!("{at}.scheme"), &self.scheme, 16, code)?;
        check_code(|| format!("{at}.member_id"), &self.member_id, 32, code)
    }
}

impl Patient {
    /// Checks the patient's identity fields.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self) -> Result<()> {
        validate_patient(self)
    }
}

impl Tumour {
    /// Checks one tumour; errors name fields under `at`. The incidence date may not be before
    /// `birth_date`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self, at: &str, birth_date: super::Date) -> Result<()> {
        validate_tumour(at, self, birth_date)
    }
}

impl MedicineAuthorisation {
    /// Checks one authorisation; errors name fields under `at`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a rule.
    pub fn validate(&self, at: &str) -> Result<()> {
        validate_medicine(at, self)
    }
}

fn validate_patient(p: &Patient) -> Result<()> {
    let value = &p.id.value;
    match p.id.kind {
        IdType::National => {
            if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::invalid(
                    "patient.id.value",
                    "national number must be 12 digits",
                ));
            }
        }
        IdType::Passport => {
            let ok = value.len() <= 24
                && value.split_once(':').is_some_and(|(state, number)| {
                    state.len() == 3
                        && state.bytes().all(|b| b.is_ascii_uppercase())
                        && !number.is_empty()
                        && number
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                });
            if !ok {
                return Err(Error::invalid(
                    "patient.id.value",
                    "passport must be STATE:NUMBER, e.g. EGY:A1234567",
                ));
            }
        }
        IdType::FamilyBook | IdType::Registry => check_code(
            || "patient.id.value".to_string(),
            value,
            24,
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '/',
        )?,
    }
    check_name("patient.name_ar", &p.name_ar, is_arabic_name_char)?;
    check_name("patient.name_latin", &p.name_latin, is_latin_name_char)?;
    let (year, _, _) = p
        .birth_date
        .to_ymd()
        .ok_or_else(|| Error::invalid("patient.birth_date", "out of range"))?;
    if year < 1900 {
        return Err(Error::invalid("patient.birth_date", "before 1900"));
    }
    Ok(())
}

fn validate_tumour(at: &str, t: &Tumour, birth_date: super::Date) -> Result<()> {
    if !is_icd10_neoplasm(&t.icd10) {
        return Err(Error::invalid(
            format!("{at}.icd10"),
            "must be an ICD-10 code C00 to D49",
        ));
    }
    if !is_icdo3_topography(&t.topography) {
        return Err(Error::invalid(
            format!("{at}.topography"),
            "must be an ICD-O-3 topography C00.0 to C80.9",
        ));
    }
    if !(8000..=9993).contains(&t.morphology) {
        return Err(Error::invalid(
            format!("{at}.morphology"),
            "must be 8000 to 9993",
        ));
    }
    if ![0, 1, 2, 3, 6, 9].contains(&t.behaviour) {
        return Err(Error::invalid(
            format!("{at}.behaviour"),
            "must be 0, 1, 2, 3, 6 or 9",
        ));
    }
    if t.grade.is_some_and(|g| !(1..=9).contains(&g)) {
        return Err(Error::invalid(format!("{at}.grade"), "must be 1 to 9"));
    }
    if ![0, 1, 2, 4, 5, 6, 7, 9].contains(&t.basis) {
        return Err(Error::invalid(
            format!("{at}.basis"),
            "must be an IARC basis code",
        ));
    }
    if t.incidence < birth_date {
        return Err(Error::invalid(
            format!("{at}.incidence"),
            "before the birth date",
        ));
    }
    if let Some(stage) = &t.stage {
        validate_stage(&format!("{at}.stage"), stage)?;
    }
    if let Some(iccc) = &t.iccc {
        check_code(
            || format!("{at}.iccc"),
            iccc,
            8,
            |c| c.is_ascii_alphanumeric(),
        )?;
    }
    Ok(())
}

fn validate_stage(at: &str, s: &Stage) -> Result<()> {
    let ascii = |c: char| c.is_ascii_alphanumeric() || "()+-.".contains(c);
    check_code(|| format!("{at}.group"), &s.group, 16, ascii)?;
    let parts = [("t", &s.t, 'T'), ("n", &s.n, 'N'), ("m", &s.m, 'M')];
    for (name, value, letter) in parts {
        let field = || format!("{at}.{name}");
        match (s.scheme, value) {
            (StageScheme::Tnm8, Some(v)) => {
                check_code(field, v, 8, ascii)?;
                // y, r, a, c and p are TNM prefixes (ypT2, cN1...).
                if !v
                    .trim_start_matches(['y', 'r', 'a', 'c', 'p'])
                    .starts_with(letter)
                {
                    return Err(Error::invalid(field(), format!("must start with {letter}")));
                }
            }
            (StageScheme::Tnm8, None) => {
                return Err(Error::invalid(field(), "required for TNM"));
            }
            (_, Some(_)) => return Err(Error::invalid(field(), "only TNM has T, N and M")),
            (_, None) => {}
        }
    }
    Ok(())
}

fn validate_medicine(at: &str, m: &MedicineAuthorisation) -> Result<()> {
    if m.id == 0 {
        return Err(Error::invalid(format!("{at}.id"), "must not be 0"));
    }
    if !is_atc_substance(&m.atc) {
        return Err(Error::invalid(
            format!("{at}.atc"),
            "must be a 7-character WHO ATC code, e.g. L01BA01",
        ));
    }
    check_text(|| format!("{at}.name"), &m.name, 60)?;
    check_text(|| format!("{at}.strength"), &m.strength, 24)?;
    if !(1..=100_000).contains(&m.quantity) {
        return Err(Error::invalid(
            format!("{at}.quantity"),
            "must be 1 to 100000",
        ));
    }
    if !(1..=366).contains(&m.dispensings) {
        return Err(Error::invalid(
            format!("{at}.dispensings"),
            "must be 1 to 366",
        ));
    }
    if m.interval_days > 366 {
        return Err(Error::invalid(
            format!("{at}.interval_days"),
            "must be 0 to 366",
        ));
    }
    Ok(())
}

/// `C00`-`D49`, optionally followed by `.` and one or two digits.
pub fn is_icd10_neoplasm(code: &str) -> bool {
    let b = code.as_bytes();
    let head_ok = b.len() >= 3
        && matches!(b[0], b'C' | b'D')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && (b[0] == b'C' || (b[1] - b'0') * 10 + (b[2] - b'0') <= 49);
    let tail_ok = match b.len() {
        3 => true,
        5 | 6 => b[3] == b'.' && b[4..].iter().all(u8::is_ascii_digit),
        _ => false,
    };
    head_ok && tail_ok
}

/// `C00.0` to `C80.9`.
pub fn is_icdo3_topography(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[0] == b'C'
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b'.'
        && b[4].is_ascii_digit()
        && (b[1] - b'0') * 10 + (b[2] - b'0') <= 80
}

/// A level-5 (chemical substance) WHO ATC code: letter, two digits, two letters, two digits.
pub fn is_atc_substance(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 7
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_uppercase()
        && b[4].is_ascii_uppercase()
        && b[5].is_ascii_digit()
        && b[6].is_ascii_digit()
}

fn is_arabic_name_char(c: char) -> bool {
    // Arabic (U+0600-06FF), Arabic Supplement, and the joiners used in names; no Latin.
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | ' ' | '\u{200C}')
}

fn is_latin_name_char(c: char) -> bool {
    (c.is_alphabetic() && !is_arabic_name_char(c) && (c as u32) < 0x0250)
        || matches!(c, ' ' | '-' | '\'')
}

fn check_name(field: &str, parts: &[String], allowed: fn(char) -> bool) -> Result<()> {
    if parts.is_empty() || parts.len() > 6 {
        return Err(Error::invalid(field, "must have 1 to 6 parts"));
    }
    for (i, part) in parts.iter().enumerate() {
        check_text(|| format!("{field}[{i}]"), part, 40)?;
        if !part.chars().all(allowed) {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                "has characters outside its script",
            ));
        }
    }
    Ok(())
}

fn check_count(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(Error::invalid(field, format!("at most {max} entries")));
    }
    Ok(())
}

/// A character no text of a card or of the registry may hold: a control character (Unicode
/// Cc: NUL, tab, line feed...), a line or paragraph separator (U+2028, U+2029), or an
/// invisible format character that changes how the text around it is shown or compared:
/// the soft hyphen (U+00AD), the Arabic letter mark (U+061C), the Mongolian vowel separator
/// (U+180E), zero-width space, non-joiner and joiner (U+200B to U+200D), the left-to-right
/// and right-to-left marks (U+200E, U+200F), the bidi embeddings and overrides (U+202A to
/// U+202E), the word joiner and invisible operators (U+2060 to U+2064), the bidi isolates
/// (U+2066 to U+2069), the byte-order mark (U+FEFF) and the interlinear annotation marks
/// (U+FFF9 to U+FFFB). docs/card-format.md §5.3, "text(max)".
///
/// One rule for all text: names refuse these through their script's letters, and every
/// free text (reasons, addresses, allergy reactions, medicine names) through this.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Non-empty, at most `max` characters, no hidden character ([`is_hidden_char`]), no leading
/// or trailing space.
///
/// Field paths are built only when a check fails: verification runs these on every card.
fn check_text(field: impl FnOnce() -> String, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid(
            field(),
            format!("must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(is_hidden_char) || value.trim() != value {
        return Err(Error::invalid(
            field(),
            "control, invisible or bidi characters, or outer spaces",
        ));
    }
    Ok(())
}

fn check_code(
    field: impl FnOnce() -> String,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<()> {
    if value.is_empty() || value.len() > max || !value.chars().all(allowed) {
        return Err(Error::invalid(
            field(),
            format!("must be 1 to {max} code characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_accepts_neoplasm_codes_only() {
        for ok in ["C50", "C50.9", "C91.00", "D49", "D09.0"] {
            assert!(is_icd10_neoplasm(ok), "{ok}");
        }
        for bad in ["C5", "D50", "E11.9", "C50.", "C50.123", "c50.9", "C5O.9"] {
            assert!(!is_icd10_neoplasm(bad), "{bad}");
        }
    }

    #[test]
    fn topography_range_is_c00_to_c80() {
        assert!(is_icdo3_topography("C00.0"));
        assert!(is_icdo3_topography("C80.9"));
        assert!(!is_icdo3_topography("C81.0"));
        assert!(!is_icdo3_topography("C50"));
    }

    #[test]
    fn atc_needs_substance_level() {
        assert!(is_atc_substance("L01BA01"));
        assert!(!is_atc_substance("L01BA"));
        assert!(!is_atc_substance("l01ba01"));
    }

    #[test]
    fn text_refuses_control_invisible_and_bidi_characters() {
        for hidden in [
            '\0', '\t', '\n', '\u{7F}', '\u{85}', '\u{AD}', '\u{61C}', '\u{180E}', '\u{200B}',
            '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2028}', '\u{2029}', '\u{202A}',
            '\u{202E}', '\u{2060}', '\u{2064}', '\u{2066}', '\u{2069}', '\u{FEFF}', '\u{FFF9}',
            '\u{FFFB}',
        ] {
            assert!(is_hidden_char(hidden), "U+{:04X}", u32::from(hidden));
            let text = format!("penicillin{hidden}rash");
            let e = check_text(|| "allergies[0].reaction".into(), &text, 64).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidField { field, .. } if field == "allergies[0].reaction"),
                "U+{:04X}: {e:?}",
                u32::from(hidden)
            );
        }
        // Visible neighbours of the hidden ranges, Arabic letters and diacritics, and the
        // narrow no-break space stay allowed.
        for shown in ['a', ' ', '\u{A0}', '\u{202F}', '\u{2030}', 'ب', '\u{064E}'] {
            assert!(!is_hidden_char(shown), "U+{:04X}", u32::from(shown));
        }
        assert!(check_text(|| "x".into(), "طفح جلدي\u{202F}خفيف", 64).is_ok());
    }
}
