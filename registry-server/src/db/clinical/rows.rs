//! The rows of the clinical tables, and their conversion back to the card-format records: a
//! stored value that does not parse is an error, never a default.

use card_format::model::{Allergy, MedicineAuthorisation, Stage, Treatment, Tumour};
use sqlx::FromRow;

use super::super::patients::{date_from, enum_from};
use super::super::status::RecordStatus;

/// A tumour row.
#[derive(Debug, Clone, FromRow)]
pub struct TumourRow {
    /// Id.
    pub id: String,
    /// Patient id.
    pub patient_id: String,
    /// ICD-10.
    pub icd10: String,
    /// ICD-O-3 topography.
    pub topography: String,
    /// ICD-O-3 histology.
    pub morphology: i64,
    /// ICD-O-3 behaviour.
    pub behaviour: i64,
    /// Grade.
    pub grade: Option<i64>,
    /// Basis of diagnosis.
    pub basis: i64,
    /// Incidence date (days).
    pub incidence: i64,
    /// Stage scheme name.
    pub stage_scheme: Option<String>,
    /// TNM T.
    pub stage_t: Option<String>,
    /// TNM N.
    pub stage_n: Option<String>,
    /// TNM M.
    pub stage_m: Option<String>,
    /// Stage group.
    pub stage_group: Option<String>,
    /// ICCC-3 group.
    pub iccc: Option<String>,
    /// `active` or `withdrawn`.
    pub status: RecordStatus,
    /// Version.
    pub version: i64,
}

impl TumourRow {
    /// The card-format tumour.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn tumour(&self) -> Result<Tumour, sqlx::Error> {
        let small = |v: i64| u8::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)));
        let stage = match (&self.stage_scheme, &self.stage_group) {
            (Some(scheme), Some(group)) => Some(Stage {
                scheme: enum_from(scheme)?,
                t: self.stage_t.clone(),
                n: self.stage_n.clone(),
                m: self.stage_m.clone(),
                group: group.clone(),
            }),
            _ => None,
        };
        Ok(Tumour {
            icd10: self.icd10.clone(),
            topography: self.topography.clone(),
            morphology: u16::try_from(self.morphology)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            behaviour: small(self.behaviour)?,
            grade: self.grade.map(small).transpose()?,
            basis: small(self.basis)?,
            incidence: date_from(self.incidence)?,
            stage,
            iccc: self.iccc.clone(),
        })
    }
}

/// A treatment row.
#[derive(Debug, Clone, FromRow)]
pub struct TreatmentRow {
    /// Id.
    pub id: String,
    /// Patient id.
    pub patient_id: String,
    /// Kind name.
    pub kind: String,
    /// Regimen.
    pub regimen: Option<String>,
    /// Cycles.
    pub cycles: Option<i64>,
    /// Start (days).
    pub start_date: i64,
    /// End (days).
    pub end_date: Option<i64>,
    /// `active` or `withdrawn`.
    pub status: RecordStatus,
    /// Version.
    pub version: i64,
}

impl TreatmentRow {
    /// The card-format treatment.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn treatment(&self) -> Result<Treatment, sqlx::Error> {
        Ok(Treatment {
            kind: enum_from(&self.kind)?,
            regimen: self.regimen.clone(),
            cycles: self
                .cycles
                .map(u16::try_from)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            start: date_from(self.start_date)?,
            end: self.end_date.map(date_from).transpose()?,
        })
    }
}

/// An allergy row.
#[derive(Debug, Clone, FromRow)]
pub struct AllergyRow {
    /// Id.
    pub id: String,
    /// Patient id.
    pub patient_id: String,
    /// Substance.
    pub substance: String,
    /// Severity name.
    pub severity: String,
    /// Kind name.
    pub kind: Option<String>,
    /// `active` or `withdrawn`.
    pub status: RecordStatus,
    /// Version.
    pub version: i64,
}

impl AllergyRow {
    /// The card-format allergy.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn allergy(&self) -> Result<Allergy, sqlx::Error> {
        Ok(Allergy {
            substance: self.substance.clone(),
            severity: enum_from(&self.severity)?,
            kind: self.kind.as_deref().map(enum_from).transpose()?,
        })
    }
}

/// A medicine authorisation row.
#[derive(Debug, Clone, FromRow)]
pub struct MedicineRow {
    /// Id (the number on the card).
    pub id: i64,
    /// Patient id.
    pub patient_id: String,
    /// ATC code.
    pub atc: String,
    /// Medicine name.
    pub name: String,
    /// Strength.
    pub strength: String,
    /// Dose form name.
    pub form: String,
    /// Quantity per dispensing.
    pub quantity: i64,
    /// Dispensings authorised.
    pub dispensings: i64,
    /// Minimum days between dispensings.
    pub interval_days: i64,
    /// Last valid day (days).
    pub valid_until: i64,
    /// Prescriber user id.
    pub prescriber: Option<String>,
    /// Prescribing facility.
    pub facility_code: Option<String>,
    /// `active` or `withdrawn`.
    pub status: RecordStatus,
    /// Dispensings recorded so far.
    pub dispensed_count: i64,
    /// Unix seconds of the last dispensing.
    pub last_dispensed_at: Option<i64>,
    /// Version.
    pub version: i64,
}

impl MedicineRow {
    /// The card-format authorisation.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn medicine(&self) -> Result<MedicineAuthorisation, sqlx::Error> {
        let conv = |e: std::num::TryFromIntError| sqlx::Error::Decode(Box::new(e));
        Ok(MedicineAuthorisation {
            id: u64::try_from(self.id).map_err(conv)?,
            atc: self.atc.clone(),
            name: self.name.clone(),
            strength: self.strength.clone(),
            form: enum_from(&self.form)?,
            quantity: u32::try_from(self.quantity).map_err(conv)?,
            dispensings: u16::try_from(self.dispensings).map_err(conv)?,
            interval_days: u16::try_from(self.interval_days).map_err(conv)?,
            valid_until: date_from(self.valid_until)?,
        })
    }
}
