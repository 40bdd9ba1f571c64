//! Patient identity as the registry records it: normalisation, validation and warnings.
//!
//! A registrar may type a national number in Arabic-Indic (٠١٢) or Eastern Arabic-Indic (۰۱۲)
//! digits; it is stored in ASCII. Cross-checks (the first digit against sex, the next four
//! against the birth year) only warn: the registrar may know better, and a wrong rejection
//! would keep a sick child from care. The Latin name is proposed from the Arabic when the
//! registrar gives none: the usual spelling of a common name (`names::common`), else ICAO
//! Doc 9303 transliteration.

use card_format::model::{BloodGroup, Date, IdType, Insurance, Patient, PatientId, Sex};
use serde::{Deserialize, Serialize};

use crate::domain::Error;
use crate::names;

/// What a registrar sends to register or correct a patient.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    /// Identifier scheme.
    pub id_type: IdType,
    /// Identifier value; digits in any of the three digit scripts.
    pub id_value: String,
    /// Name in Arabic, as parts.
    pub name_ar: Vec<String>,
    /// Latin transliteration, as parts; proposed from the Arabic when absent.
    #[serde(default)]
    pub name_latin: Option<Vec<String>>,
    /// Sex (ISO/IEC 5218 names: `male`, `female`, `not_known`, `not_applicable`).
    pub sex: Sex,
    /// Birth date, `YYYY-MM-DD` (digits in any script).
    pub birth_date: String,
    /// Blood group (`A+` ... `O-`).
    #[serde(default)]
    pub blood_group: Option<BloodGroup>,
    /// Municipality of residence.
    #[serde(default)]
    pub municipality: Option<String>,
    /// Region of residence (`east`, `west`, `south`: an area of the population file), which
    /// the incidence tables count by.
    #[serde(default)]
    pub region: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Health insurance.
    #[serde(default)]
    pub insurance: Option<Insurance>,
}

/// A validated patient, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatientData {
    /// Identifier, ASCII digits.
    #[serde(rename = "identifier")]
    pub id: PatientId,
    /// Arabic name parts.
    pub name_ar: Vec<String>,
    /// Latin name parts.
    pub name_latin: Vec<String>,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: Date,
    /// Blood group.
    pub blood_group: Option<BloodGroup>,
    /// Municipality.
    pub municipality: Option<String>,
    /// Region of residence, lower case.
    #[serde(default)]
    pub region: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Insurance.
    pub insurance: Option<Insurance>,
}

/// Maps Arabic-Indic and Eastern Arabic-Indic digits to ASCII; other characters unchanged.
pub fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect()
}

impl PatientInput {
    /// Normalises and validates; returns the data and any warnings for the registrar.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first invalid field.
    pub fn validate(self, today: Date) -> Result<(PatientData, Vec<String>), Error> {
        let id_value = match self.id_type {
            IdType::National => ascii_digits(self.id_value.trim()).replace([' ', '-'], ""),
            _ => ascii_digits(self.id_value.trim()).to_uppercase(),
        };
        let birth_date = Date::parse("birth_date", &ascii_digits(self.birth_date.trim()))?;
        if birth_date > today {
            return Err(Error::invalid("birth_date", "in the future"));
        }
        let name_ar: Vec<String> = self.name_ar.iter().map(|p| p.trim().to_string()).collect();
        let name_latin = match self.name_latin {
            Some(parts) => parts.iter().map(|p| p.trim().to_string()).collect(),
            None => name_ar.iter().map(|p| names::propose_latin(p)).collect(),
        };
        let data = PatientData {
            id: PatientId {
                kind: self.id_type,
                value: id_value,
            },
            name_ar,
            name_latin,
            sex: self.sex,
            birth_date,
            blood_group: self.blood_group,
            municipality: clean_optional("municipality", self.municipality, 60)?,
            region: clean_optional("region", self.region, 60)?.map(|r| r.to_lowercase()),
            phone: clean_phone(self.phone)?,
            insurance: self.insurance,
        };
        // The card's own rules (identifier format, scripts, lengths) apply to the registry too:
        // anything registered can be put on a card.
        data.to_card_patient()
            .validate()
            .map_err(|e| rename_field(e.into()))?;
        if let Some(ins) = &data.insurance {
            ins.validate("insurance")?;
        }
        let warnings = cross_check(&data);
        Ok((data, warnings))
    }
}

impl PatientData {
    /// The card's view of the patient.
    pub fn to_card_patient(&self) -> Patient {
        Patient {
            id: self.id.clone(),
            name_ar: self.name_ar.clone(),
            name_latin: self.name_latin.clone(),
            sex: self.sex,
            birth_date: self.birth_date,
            blood_group: self.blood_group,
        }
    }
}

/// card-format names fields `patient.x`; the API's body has them at the top level.
fn rename_field(e: Error) -> Error {
    match e {
        Error::Validation { field, message } => Error::Validation {
            field: field
                .strip_prefix("patient.")
                .map(|f| f.replace("id.value", "id_value"))
                .unwrap_or(field),
            message,
        },
        other => other,
    }
}

fn clean_optional(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    let Some(value) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    crate::domain::text::check(field, &value, max)?;
    Ok(Some(value))
}

fn clean_phone(value: Option<String>) -> Result<Option<String>, Error> {
    let Some(value) = value
        .map(|v| ascii_digits(v.trim()))
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    let digits: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let ok = (7..=16).contains(&digits.len())
        && digits
            .trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit())
        && digits.matches('+').count() <= 1
        && (!digits.contains('+') || digits.starts_with('+'));
    if !ok {
        return Err(Error::invalid(
            "phone",
            "7 to 16 digits, optionally starting with +",
        ));
    }
    Ok(Some(digits))
}

/// Warnings from the national number's structure: never a rejection.
///
/// The Libyan national number starts with 1 for men and 2 for women, followed by the year of
/// birth. Registries have exceptions (corrections, late registrations), so a mismatch is a
/// question for the registrar, not an error.
pub fn cross_check(data: &PatientData) -> Vec<String> {
    let mut warnings = Vec::new();
    if data.id.kind != IdType::National {
        return warnings;
    }
    let v = data.id.value.as_bytes();
    let expected_sex = match v.first() {
        Some(b'1') => Some(Sex::Male),
        Some(b'2') => Some(Sex::Female),
        _ => None,
    };
    match expected_sex {
        Some(sex) if sex != data.sex && matches!(data.sex, Sex::Male | Sex::Female) => {
            warnings.push("national number's first digit does not match the sex".to_string());
        }
        None => warnings.push("national number should start with 1 or 2".to_string()),
        _ => {}
    }
    let year = std::str::from_utf8(&v[1.min(v.len())..5.min(v.len())])
        .ok()
        .and_then(|y| y.parse::<i32>().ok());
    let birth_year = data.birth_date.to_ymd().map(|(y, _, _)| y);
    if year.is_some() && year != birth_year {
        warnings.push("national number's digits 2-5 do not match the birth year".to_string());
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str, sex: Sex, birth: &str) -> PatientInput {
        PatientInput {
            id_type: IdType::National,
            id_value: id.into(),
            name_ar: vec!["فاطمة".into(), "علي".into()],
            name_latin: Some(vec!["Fatima".into(), "Ali".into()]),
            sex,
            birth_date: birth.into(),
            blood_group: None,
            municipality: None,
            region: None,
            phone: None,
            insurance: None,
        }
    }

    fn today() -> Date {
        Date::parse("today", "2026-11-25").unwrap()
    }

    #[test]
    fn national_number_accepts_arabic_indic_digits() {
        let (data, warnings) = input("٢١٩٧٣٠٤١٢٣٤٥", Sex::Female, "1973-04-12")
            .validate(today())
            .unwrap();
        assert_eq!(data.id.value, "219730412345");
        assert!(warnings.is_empty(), "{warnings:?}");
        let (data, _) = input("۲۱۹۷۳۰۴۱۲۳۴۵", Sex::Female, "١٩٧٣-٠٤-١٢")
            .validate(today())
            .unwrap();
        assert_eq!(data.id.value, "219730412345");
        assert_eq!(data.birth_date.to_string(), "1973-04-12");
    }

    #[test]
    fn national_number_cross_checks_only_warn() {
        let (_, warnings) = input("119800412345", Sex::Female, "1973-04-12")
            .validate(today())
            .unwrap();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    #[test]
    fn national_number_of_wrong_length_names_the_field() {
        match input("12345", Sex::Male, "1973-04-12").validate(today()) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "id_value"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn birth_date_in_the_future_is_refused() {
        assert!(input("219730412345", Sex::Female, "2030-01-01")
            .validate(today())
            .is_err());
    }
}
