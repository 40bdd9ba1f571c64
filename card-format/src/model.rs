//! The data model of a card: the patient summary and the claims that wrap it.
//!
//! This module owns the Rust types, their CBOR encoding (integer map keys, small integer codes,
//! deterministic per RFC 8949 §4.2) and their validation (in [`validate`]). It knows nothing of
//! signatures ([`crate::cose`]), QR text ([`crate::qr`]) or trust ([`crate::trust`]).
//!
//! The card carries what its readers need and no more: a pharmacist needs the authorised
//! medicines and allergies, an insurer the identity and insurance, a clinician elsewhere the
//! diagnoses and treatments. Addresses, phone numbers and free-text notes stay in the registry.
//!
//! The CDDL of every type is in docs/card-format.md §5; each type's docs quote its part.

pub mod validate;

use minicbor::{Decode, Encode};
use serde::{Deserialize, Serialize};

use crate::serial::CardSerial;

/// A calendar date, as the number of days since 1970-01-01 (the value of RFC 8943 tag 100,
/// sent untagged).
///
/// ```cddl
/// date = int   ; days since 1970-01-01, negative before
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
#[cbor(transparent)]
pub struct Date(#[n(0)] pub i32);

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

impl Date {
    /// The date for a year, month (1-12) and day (1-31).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming `field` when the date does not exist.
    pub fn from_ymd(field: &str, year: i32, month: u8, day: u8) -> crate::Result<Date> {
        let month = time::Month::try_from(month)
            .map_err(|_| crate::Error::invalid(field, "month must be 1 to 12"))?;
        let date = time::Date::from_calendar_date(year, month, day)
            .map_err(|_| crate::Error::invalid(field, "no such day in that month"))?;
        Ok(Date(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY))
    }

    /// Parses `YYYY-MM-DD` (ISO 8601 calendar date).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming `field` when the text is not such a date.
    pub fn parse(field: &str, text: &str) -> crate::Result<Date> {
        let bad = || crate::Error::invalid(field, "expected a date as YYYY-MM-DD");
        let mut parts = text.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y) && digits(m) && digits(d)) {
            return Err(bad());
        }
        let (y, m, d) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        Date::from_ymd(field, y, m, d)
    }

    /// The date of a Unix time (seconds since 1970-01-01T00:00:00Z).
    pub fn from_unix_seconds(seconds: u64) -> Date {
        Date(i32::try_from(seconds / 86_400).unwrap_or(i32::MAX))
    }

    /// Year, month (1-12) and day, or `None` for days outside the supported range
    /// (years -9999 to 9999).
    pub fn to_ymd(self) -> Option<(i32, u8, u8)> {
        let julian = self.0.checked_add(UNIX_EPOCH_JULIAN_DAY)?;
        let date = time::Date::from_julian_day(julian).ok()?;
        Some((date.year(), u8::from(date.month()), date.day()))
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Accepts `YYYY-MM-DD` only.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Date::parse("date", &text)
            .map_err(|_| serde::de::Error::custom("expected a date as YYYY-MM-DD"))
    }
}

/// In OpenAPI documents a date is a `YYYY-MM-DD` string (`format: date`), as serialised.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some("A calendar date, YYYY-MM-DD."))
            .examples(["2025-09-03"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Date {}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_ymd() {
            Some((y, m, d)) => write!(f, "{y:04}-{m:02}-{d:02}"),
            None => write!(f, "day {}", self.0),
        }
    }
}

/// What the card asserts, as a CWT claims set (RFC 8392) with the summary under a private
/// claim. Its wire form is in [`crate::card`], the envelope in [`crate::cose`].
///
/// ```cddl
/// card-claims = {
///   1 => tstr,            ; iss: issuer id (the issuing site), = its certificate's issuer id
///   4 => uint,            ; exp: expiry, Unix seconds
///   6 => uint,            ; iat: issued at, Unix seconds
///   7 => bstr .size 10,   ; cti: the card serial
///   -65537 => summary,    ; private claim: the patient summary, version 1
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPayload {
    /// Issuer id of the issuing site (the `iss` claim), e.g. `LY-BEN-PED`.
    pub issuer: String,
    /// Unix seconds when the card was issued (`iat`).
    pub issued_at: u64,
    /// Unix seconds after which the card is no longer valid (`exp`).
    pub expires_at: u64,
    /// The card's random serial (`cti`).
    pub serial: CardSerial,
    /// The patient summary.
    pub summary: CardSummary,
}

/// The patient summary carried by a card.
///
/// ```cddl
/// summary = {
///   1 => patient,
///   2 => [* tumour],
///   3 => [* treatment],
///   4 => [* medicine],
///   5 => [* allergy],
///   ? 6 => insurance,
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct CardSummary {
    /// Who the patient is.
    #[n(1)]
    pub patient: Patient,
    /// Primary tumours (a patient can have several).
    #[n(2)]
    #[serde(default)]
    pub tumours: Vec<Tumour>,
    /// Treatments given or planned.
    #[n(3)]
    #[serde(default)]
    pub treatments: Vec<Treatment>,
    /// Medicines the patient is authorised to receive.
    #[n(4)]
    #[serde(default)]
    pub medicines: Vec<MedicineAuthorisation>,
    /// Allergies and contraindications a pharmacist must see.
    #[n(5)]
    #[serde(default)]
    pub allergies: Vec<Allergy>,
    /// Health insurance, when the patient has one.
    #[n(6)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance: Option<Insurance>,
}

/// The patient's identity.
///
/// ```cddl
/// patient = {
///   1 => identifier,
///   2 => [1*6 tstr],      ; Arabic name parts: given, father, grandfather, family
///   3 => [1*6 tstr],      ; Latin transliteration, same parts
///   4 => sex,
///   5 => date,            ; birth date
///   ? 6 => blood-group,
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// National number or another identifier.
    #[n(1)]
    pub id: PatientId,
    /// Name in Arabic script, as parts (usually four: given, father, grandfather, family).
    #[n(2)]
    pub name_ar: Vec<String>,
    /// Latin transliteration of the name, same parts.
    #[n(3)]
    pub name_latin: Vec<String>,
    /// Sex, ISO/IEC 5218 codes.
    #[n(4)]
    pub sex: Sex,
    /// Date of birth.
    #[n(5)]
    pub birth_date: Date,
    /// ABO and Rh blood group, when known.
    #[n(6)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_group: Option<BloodGroup>,
}

/// A patient identifier: its scheme and value.
///
/// ```cddl
/// identifier = { 1 => id-type, 2 => tstr }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct PatientId {
    /// Which scheme the value belongs to.
    #[n(1)]
    pub kind: IdType,
    /// The value, ASCII only (national numbers are 12 ASCII digits).
    #[n(2)]
    pub value: String,
}

/// Identifier schemes.
///
/// ```cddl
/// id-type = &(national: 1, passport: 2, family-book: 3, registry: 4)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// Libyan national number (12 digits).
    #[n(1)]
    National,
    /// Passport: issuing state (ISO 3166-1 alpha-3), `:`, number; e.g. `EGY:A1234567`.
    #[n(2)]
    Passport,
    /// Family book (كتيب العائلة) number, for children without a national number.
    #[n(3)]
    FamilyBook,
    /// An identifier issued by the registry itself (newborns, undocumented residents).
    #[n(4)]
    Registry,
}

/// Sex, with the codes of ISO/IEC 5218.
///
/// ```cddl
/// sex = &(not-known: 0, male: 1, female: 2, not-applicable: 9)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Not known.
    #[n(0)]
    NotKnown,
    /// Male.
    #[n(1)]
    Male,
    /// Female.
    #[n(2)]
    Female,
    /// Not applicable.
    #[n(9)]
    NotApplicable,
}

/// ABO group with Rh factor.
///
/// ```cddl
/// blood-group = &(a-pos: 1, a-neg: 2, b-pos: 3, b-neg: 4, ab-pos: 5, ab-neg: 6,
///                 o-pos: 7, o-neg: 8)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum BloodGroup {
    #[n(1)]
    #[serde(rename = "A+")]
    APos,
    #[n(2)]
    #[serde(rename = "A-")]
    ANeg,
    #[n(3)]
    #[serde(rename = "B+")]
    BPos,
    #[n(4)]
    #[serde(rename = "B-")]
    BNeg,
    #[n(5)]
    #[serde(rename = "AB+")]
    AbPos,
    #[n(6)]
    #[serde(rename = "AB-")]
    AbNeg,
    #[n(7)]
    #[serde(rename = "O+")]
    OPos,
    #[n(8)]
    #[serde(rename = "O-")]
    ONeg,
}

impl BloodGroup {
    /// The usual label, e.g. `AB-`.
    pub fn label(self) -> &'static str {
        match self {
            BloodGroup::APos => "A+",
            BloodGroup::ANeg => "A-",
            BloodGroup::BPos => "B+",
            BloodGroup::BNeg => "B-",
            BloodGroup::AbPos => "AB+",
            BloodGroup::AbNeg => "AB-",
            BloodGroup::OPos => "O+",
            BloodGroup::ONeg => "O-",
        }
    }
}

/// One primary tumour, with the IARC/IACR minimum data set.
///
/// ```cddl
/// tumour = {
///   1 => tstr,            ; ICD-10 code, e.g. "C50.9" (C00-D49)
///   2 => tstr,            ; ICD-O-3 topography, "C00.0" to "C80.9"
///   3 => uint,            ; ICD-O-3 histology, 8000 to 9993
///   4 => uint,            ; ICD-O-3 behaviour: 0, 1, 2, 3, 6 or 9
///   ? 5 => uint,          ; grade / differentiation, 1 to 9
///   6 => uint,            ; basis of diagnosis (IARC): 0, 1, 2, 4, 5, 6, 7 or 9
///   7 => date,            ; incidence date
///   ? 8 => stage,
///   ? 9 => tstr,          ; ICCC-3 diagnostic group for childhood cancer, e.g. "IIIb"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Tumour {
    /// ICD-10 code.
    #[n(1)]
    pub icd10: String,
    /// ICD-O-3 topography (primary site).
    #[n(2)]
    pub topography: String,
    /// ICD-O-3 histology (the four digits before the slash).
    #[n(3)]
    pub morphology: u16,
    /// ICD-O-3 behaviour digit (after the slash).
    #[n(4)]
    pub behaviour: u8,
    /// Grade or differentiation (ICD-O-3 sixth digit).
    #[n(5)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<u8>,
    /// Most valid basis of diagnosis (IARC codes).
    #[n(6)]
    pub basis: u8,
    /// Incidence date.
    #[n(7)]
    pub incidence: Date,
    /// Stage, in whichever scheme fits the tumour.
    #[n(8)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// ICCC-3 group, for childhood cancers.
    #[n(9)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccc: Option<String>,
}

/// A stage in a named scheme: TNM carries T, N and M; the others only a group.
///
/// ```cddl
/// stage = {
///   1 => stage-scheme,
///   ? 2 => tstr,          ; T, e.g. "T2"   (TNM only)
///   ? 3 => tstr,          ; N, e.g. "N1a"  (TNM only)
///   ? 4 => tstr,          ; M, e.g. "M0"   (TNM only)
///   5 => tstr,            ; stage group, e.g. "IIB", or the scheme's stage, e.g. "L2"
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The staging scheme.
    #[n(1)]
    pub scheme: StageScheme,
    /// TNM T category.
    #[n(2)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<String>,
    /// TNM N category.
    #[n(3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// TNM M category.
    #[n(4)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<String>,
    /// Stage group (TNM) or stage in the scheme.
    #[n(5)]
    pub group: String,
}

/// Staging schemes.
///
/// ```cddl
/// stage-scheme = &(tnm8: 1, toronto: 2, other: 9)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
pub enum StageScheme {
    /// UICC TNM, 8th edition.
    #[n(1)]
    Tnm8,
    /// Toronto paediatric cancer stage guidelines.
    #[n(2)]
    Toronto,
    /// Another scheme (Ann Arbor, FIGO, INRG...), named in the group text.
    #[n(9)]
    Other,
}

/// A treatment given or planned.
///
/// ```cddl
/// treatment = {
///   1 => treatment-kind,
///   ? 2 => tstr,          ; regimen, e.g. "ABVD"
///   ? 3 => uint,          ; cycles planned
///   4 => date,            ; start
///   ? 5 => date,          ; end
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// What kind of treatment.
    #[n(1)]
    pub kind: TreatmentKind,
    /// Named regimen, for systemic therapy.
    #[n(2)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regimen: Option<String>,
    /// Number of cycles planned.
    #[n(3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles: Option<u16>,
    /// Start date.
    #[n(4)]
    pub start: Date,
    /// End date, once finished.
    #[n(5)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
}

/// Kinds of treatment.
///
/// ```cddl
/// treatment-kind = &(surgery: 1, radiotherapy: 2, chemotherapy: 3, hormone: 4,
///                    immuno-targeted: 5, stem-cell-transplant: 6, palliative: 7)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum TreatmentKind {
    #[n(1)]
    Surgery,
    #[n(2)]
    Radiotherapy,
    #[n(3)]
    Chemotherapy,
    #[n(4)]
    HormoneTherapy,
    #[n(5)]
    ImmunoOrTargeted,
    #[n(6)]
    StemCellTransplant,
    #[n(7)]
    Palliative,
}

/// An authorisation to dispense one medicine. Every member is required, so it travels as an
/// array (about 40 QR characters fewer per card than a map).
///
/// ```cddl
/// medicine = [
///   id: uint,             ; authorisation id in the registry, dispensed against
///   atc: tstr,            ; WHO ATC code, e.g. "L01BA01"
///   name: tstr,           ; medicine name (INN), e.g. "methotrexate"
///   strength: tstr,       ; e.g. "2.5 mg"
///   form: dose-form,
///   quantity: uint,       ; quantity per dispensing, in units of the form
///   dispensings: uint,    ; number of dispensings authorised
///   interval-days: uint,  ; minimum days between two dispensings
///   valid-until: date,    ; last day a dispensing is allowed (inclusive)
/// ]
/// ```
///
/// The prescriber and the prescribing facility stay in the registry, reached through the
/// authorisation id: a pharmacy's offline checks do not need them, and the card stays small.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(array)]
#[serde(deny_unknown_fields)]
pub struct MedicineAuthorisation {
    /// The registry's id of this authorisation; dispensings are recorded against it.
    #[n(0)]
    pub id: u64,
    /// WHO ATC code.
    #[n(1)]
    pub atc: String,
    /// Medicine name (international non-proprietary name).
    #[n(2)]
    pub name: String,
    /// Strength, e.g. `2.5 mg` or `50 mg/5 mL`.
    #[n(3)]
    pub strength: String,
    /// Pharmaceutical form.
    #[n(4)]
    pub form: DoseForm,
    /// Quantity per dispensing, in units of the form.
    #[n(5)]
    pub quantity: u32,
    /// How many dispensings are authorised.
    #[n(6)]
    pub dispensings: u16,
    /// Minimum days between two dispensings.
    #[n(7)]
    pub interval_days: u16,
    /// Last day a dispensing is allowed.
    #[n(8)]
    pub valid_until: Date,
}

/// Pharmaceutical dose forms (the unit that [`MedicineAuthorisation::quantity`] counts).
///
/// ```cddl
/// dose-form = &(tablet: 1, capsule: 2, oral-liquid: 3, injection: 4, infusion: 5,
///               topical: 6, suppository: 7, inhalation: 8, patch: 9, other: 99)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum DoseForm {
    #[n(1)]
    Tablet,
    #[n(2)]
    Capsule,
    #[n(3)]
    OralLiquid,
    #[n(4)]
    Injection,
    #[n(5)]
    Infusion,
    #[n(6)]
    Topical,
    #[n(7)]
    Suppository,
    #[n(8)]
    Inhalation,
    #[n(9)]
    Patch,
    #[n(99)]
    Other,
}

impl DoseForm {
    /// Every form's code (its JSON name), in the order of their CBOR numbers: the lists
    /// forms offer and the files that name a form are checked against.
    pub const CODES: [&'static str; 10] = [
        "tablet",
        "capsule",
        "oral_liquid",
        "injection",
        "infusion",
        "topical",
        "suppository",
        "inhalation",
        "patch",
        "other",
    ];
}

/// An allergy, intolerance or contraindication.
///
/// ```cddl
/// allergy = {
///   1 => tstr,            ; substance, or ATC code when it is a medicine
///   2 => severity,
///   ? 3 => allergy-kind,  ; absent means allergy
/// }
/// severity = &(mild: 1, moderate: 2, severe: 3, life-threatening: 4)
/// allergy-kind = &(allergy: 1, intolerance: 2, contraindication: 3)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Allergy {
    /// The substance or medicine.
    #[n(1)]
    pub substance: String,
    /// How severe.
    #[n(2)]
    pub severity: Severity,
    /// Allergy, intolerance or contraindication; `None` means allergy.
    #[n(3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AllergyKind>,
}

/// Severity of a reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    #[n(1)]
    Mild,
    #[n(2)]
    Moderate,
    #[n(3)]
    Severe,
    #[n(4)]
    LifeThreatening,
}

/// Kind of adverse reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(index_only)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum AllergyKind {
    #[n(1)]
    Allergy,
    #[n(2)]
    Intolerance,
    #[n(3)]
    Contraindication,
}

/// Health insurance membership.
///
/// ```cddl
/// insurance = { 1 => tstr, 2 => tstr }   ; scheme code, member id
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cbor(map)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// The scheme's code.
    #[n(1)]
    pub scheme: String,
    /// The member id within the scheme.
    #[n(2)]
    pub member_id: String,
}

#[cfg(test)]
mod tests {
    use super::DoseForm;

    #[test]
    fn each_dose_form_code_is_the_json_name_of_one_form() {
        let mut seen = Vec::new();
        for code in DoseForm::CODES {
            let form: DoseForm = serde_json::from_value(serde_json::Value::String(code.into()))
                .unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(serde_json::to_value(form).unwrap(), code);
            assert!(!seen.contains(&form), "{code} twice");
            seen.push(form);
        }
    }
}
