//! The export of the whole registry of tumours in the CanReg5 layout, for international
//! submission: the file a registry sends to IARC for *Cancer Incidence in Five Continents*
//! (CI5) or loads into CanReg5. One line per tumour, written straight into any
//! [`std::io::Write`] one record at a time, so 200,000 tumours stream through without being
//! collected (give it a [`std::io::BufWriter`]: each record is a few dozen small writes).
//!
//! The file holds no names and no national identifiers: only the registry's own
//! pseudonymous patient and tumour keys.
//!
//! # Layout
//! UTF-8 text, a header line of the column names, then one line per tumour; the fields are
//! separated by a tab ([`SEPARATOR`]) and every line, the header included, ends with CR LF
//! ([`LINE_END`]), as CanReg5's own export writes its tab-separated files. The columns
//! ([`COLUMNS`]) are named by CanReg5's *standard variable names*, the registry-independent
//! names that every CanReg5 data dictionary ties its own short names to (`RegNo`, `InciD`,
//! `Top`, …) and that its export offers as headers:
//!
//! | Column | Content | Unknown |
//! |---|---|---|
//! | `PatientID` | the registry's pseudonymous patient key, the same for all of a person's tumours | — |
//! | `TumourID` | the registry's tumour key | — |
//! | `Sex` | 1 male, 2 female, 9 unknown (ISO 5218's 0 "not known" and 9 "not applicable" both become 9) | `9` |
//! | `BirthDate` | `yyyyMMdd` | `99999999` |
//! | `IncidenceDate` | `yyyyMMdd` | `99999999` |
//! | `Age` | completed years at incidence | `999` |
//! | `Topography` | ICD-O-3, the three digits only: `C18.7` → `187` | — |
//! | `Morphology` | ICD-O-3, four digits: `8140` | — |
//! | `Behaviour` | ICD-O-3, one digit | — |
//! | `Grade` | ICD-O-3, one digit | `9` |
//! | `BasisDiagnosis` | IACR/IARC, one digit as given: 0 death certificate only, 1-4 non-microscopic, 5-8 microscopic, 9 unknown | — |
//! | `ICD10` | C or D and three characters, no dot: `C18.7` → `C187` | — |
//! | `ICCC` | the ICCC-3 (sub)group as the registry writes it (`IIIb`) | empty |
//! | `Stage` | the stage group as text (`II`) | empty |
//! | `AddressCode` | the area of residence at incidence (`east`) | empty |
//! | `MultPrimSeq` | the tumour's rank among the person's primaries: `0` for a person's only tumour, else 1, 2, … | — |
//! | `MultPrimTot` | how many primaries the person has | — |
//! | `VitalStatus` | 1 alive, 2 dead, 9 unknown; a patient lost to follow-up is 1, alive at the date of last contact | `9` |
//! | `Lastcontact` | `yyyyMMdd`; for a dead patient whose date of death is known, the date of death | `99999999` |
//! | `DeathDate` | `yyyyMMdd`; empty for a patient not known to be dead | `99999999` when dead |
//!
//! A date is written `yyyyMMdd`, before 1970 as after (`19500615`). CanReg5 writes an unknown
//! day or month as `99` and an unknown year as `9999`; the registry's dates are either whole
//! or absent, so an absent date is written whole as `99999999` (as the IICC-3 call for data
//! has it), and so is a date outside the years 0 to 9998.
//!
//! `DeathDate` is not one of CanReg5's standard variables (CanReg5 keeps only the date of
//! last contact and the vital status); a registry loading the file into CanReg5 maps it to a
//! date variable of its own or leaves it out.
//!
//! # Text fields
//! The keys, `ICCC`, `Stage` and `AddressCode` are written as given, codes trimmed of
//! surrounding white space, but no field can break its line: a tab, CR, LF, any other control
//! character and U+2028/U+2029 become a space, and a double quote `"` becomes an apostrophe
//! `'`, since CanReg5's import reads quotes around a field and stops at an unclosed one. The
//! file is therefore never quoted, and every line has exactly `COLUMNS.len()` fields.
//!
//! # Source
//! - CanReg5, IARC Cancer Surveillance Branch, <https://github.com/IARC-CSU/CanReg5>, version
//!   5.00.44k (commit `8d320cd4`), read for facts only:
//!   - `src/canreg/common/Globals.java` (`StandardVariableNames` and their notes) and
//!     `doc/standard_variables.md`: the standard variable names; dates `yyyyMMdd`; age with
//!     999 unknown (`DEFAULT_UNKNOWN_AGE_CODE`); topography "ICD-O-3, only the 3 digits";
//!     morphology four digits; behaviour and grade one digit; basis "IACR/IARC standard, 1
//!     digit"; ICD-10 "C or D followed by 3 characters"; `MultPrimSeq`, `MultPrimTot`,
//!     `Lastcontact`, `VitalStatus` (alive or dead), `Stage`, `AddressCode`;
//!   - `conf/database/TRN.xml` (the training registry's data dictionary) and
//!     `demo/dictionary/trn-dictionary.txt`: Sex 1 male, 2 female, 9 unknown; Basis of
//!     diagnosis 0 to 9; Behaviour 0 to 3; Status 1 alive, 2 dead, 9 unknown; topography
//!     dictionary codes such as `187` (C18.7);
//!   - `src/canreg/common/DateHelper.java`: 99 for an unknown day or month, 9999 for an
//!     unknown year;
//!   - `src/canreg/client/gui/analysis/ExportReportInternalFrame.java`: the export is a header
//!     line and one line per record, comma- or tab-separated, UTF-8, through Apache Commons
//!     CSV's default format (CR LF line ends), with a choice of standard variable names as
//!     headers;
//!   - `src/canreg/client/gui/dataentry2/RecordEditorMainFrame.java`: the sequence is 0 for
//!     a person's only tumour, 1 to n otherwise, and the total is the number of tumours;
//!   - `src/canreg/common/conversions/ConversionICDO3toICCC3.java`: CanReg5 derives ICCC-3
//!     itself, as `3b` by default or in Roman numerals (`IIIb`);
//!   - `doc/CanReg5-Instructions/CanReg5-Instructions.tex`, FAQ: the minimum variables (sex
//!     1/2/9, dates with 99 for unknown parts, age 999 unknown, basis 0-9) with a reference
//!     to Jensen OM et al. (eds.), *Cancer Registration: Principles and Methods*, IARC
//!     Scientific Publications No. 95, 1991, chapter 6; and that an unclosed quote breaks
//!     the import.
//! - IARC, *International Incidence of Childhood Cancer* (IICC-3), call for data, required
//!   variables, <http://iicc.iarc.fr/requirements/index.php>: sequence 00 for a single tumour,
//!   01, 02, … for the first, second … of several; sex 1/2/9; 99999999 for an unknown date;
//!   vital status 1 alive, 2 dead, 9 unknown, where "unknown should never occur, since there
//!   is always a date when a patient was last confirmed alive".
//! - Not found: the CI5 Volume XII call-for-data specification itself (only the contents page
//!   of the CI5 Volume X call for data, 2011, turned up). The layout here is CanReg5's, which
//!   registries use to prepare their CI5 submissions; CI5's own column names and whether it
//!   wants the vital status of a patient lost to follow-up coded 1 were not verified.

#[cfg(test)]
mod tests;

use std::io::{self, Write};

use card_format::model::{Date, Sex};

/// The field separator: a tab.
pub const SEPARATOR: char = '\t';

/// The end of every line: CR LF, as CanReg5's export writes it.
pub const LINE_END: &str = "\r\n";

/// An unknown date: year 9999, month 99, day 99.
pub const UNKNOWN_DATE: &str = "99999999";

/// The code of an unknown age.
pub const UNKNOWN_AGE: u32 = 999;

/// The code of an unknown grade (ICD-O-3 grade 9, "not determined").
pub const UNKNOWN_GRADE: u8 = 9;

/// The code of an unknown sex, and of an unknown vital status.
pub const UNKNOWN: u8 = 9;

/// The column names, in order: CanReg5's standard variable names (and `DeathDate`).
pub const COLUMNS: &[&str] = &[
    "PatientID",
    "TumourID",
    "Sex",
    "BirthDate",
    "IncidenceDate",
    "Age",
    "Topography",
    "Morphology",
    "Behaviour",
    "Grade",
    "BasisDiagnosis",
    "ICD10",
    "ICCC",
    "Stage",
    "AddressCode",
    "MultPrimSeq",
    "MultPrimTot",
    "VitalStatus",
    "Lastcontact",
    "DeathDate",
];

/// The separator as a byte, for `write_all`.
const SEP: &[u8] = b"\t";

/// A patient's vital status at the date of last contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VitalStatus {
    /// Alive at the date of last contact.
    Alive,
    /// Dead.
    Dead,
    /// Lost to follow-up: alive when last seen, not traced since.
    Lost,
}

impl VitalStatus {
    /// The layout's code: 1 alive, 2 dead; a patient lost to follow-up is 1, alive at the
    /// date of last contact (an unknown vital status, [`UNKNOWN`], is written only when none
    /// is recorded).
    pub fn code(self) -> u8 {
        match self {
            VitalStatus::Alive | VitalStatus::Lost => 1,
            VitalStatus::Dead => 2,
        }
    }
}

/// The layout's sex code: 1 male, 2 female, 9 unknown (not known or not applicable).
pub fn sex_code(sex: Sex) -> u8 {
    match sex {
        Sex::Male => 1,
        Sex::Female => 2,
        Sex::NotKnown | Sex::NotApplicable => UNKNOWN,
    }
}

/// One tumour as it leaves the registry for IARC: no name, no national identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRecord<'a> {
    /// The registry's tumour key.
    pub tumour_key: &'a str,
    /// The registry's pseudonymous patient key, the same for all tumours of a person.
    pub patient_key: &'a str,
    /// The patient's sex.
    pub sex: Sex,
    /// The date of birth, if known.
    pub birth_date: Option<Date>,
    /// The date of incidence.
    pub incidence: Date,
    /// The age at incidence in completed years, if known (the caller computes it).
    pub age: Option<u32>,
    /// The ICD-O-3 topography, `C18.7`.
    pub topography: &'a str,
    /// The ICD-O-3 morphology, `8140`.
    pub morphology: u16,
    /// The ICD-O-3 behaviour, `3`.
    pub behaviour: u8,
    /// The ICD-O-3 grade, if known.
    pub grade: Option<u8>,
    /// The most valid basis of diagnosis, 0 to 9.
    pub basis: u8,
    /// The ICD-10 code, `C18.7`.
    pub icd10: &'a str,
    /// The ICCC-3 (sub)group, `IIIb`, for a tumour that has one.
    pub iccc: Option<&'a str>,
    /// The stage group as text, `II`, if staged.
    pub stage: Option<&'a str>,
    /// The area of residence at incidence, if known.
    pub region: Option<&'a str>,
    /// The tumour's rank among the person's primaries (1, 2, …) by incidence date.
    pub sequence: u32,
    /// How many primaries the person has.
    pub total_primaries: u32,
    /// The vital status at the date of last contact, if recorded.
    pub vital_status: Option<VitalStatus>,
    /// The date of last contact, if known.
    pub last_contact: Option<Date>,
    /// The date of death, if known.
    pub death_date: Option<Date>,
}

/// Writes the header line: [`COLUMNS`] separated by tabs, ended by CR LF.
///
/// # Errors
/// Whatever `out` returns.
pub fn write_header(out: &mut impl Write) -> io::Result<()> {
    for (i, name) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.write_all(SEP)?;
        }
        out.write_all(name.as_bytes())?;
    }
    out.write_all(LINE_END.as_bytes())
}

/// Writes one record line, the fields in the order of [`COLUMNS`], ended by CR LF.
///
/// # Errors
/// Whatever `out` returns.
pub fn write_record(out: &mut impl Write, record: &ExportRecord<'_>) -> io::Result<()> {
    write_text(out, record.patient_key)?;
    out.write_all(SEP)?;
    write_text(out, record.tumour_key)?;
    write!(out, "\t{}\t", sex_code(record.sex))?;
    write_date(out, record.birth_date)?;
    out.write_all(SEP)?;
    write_date(out, Some(record.incidence))?;
    write!(out, "\t{}\t", age_code(record.age))?;
    write_code(out, record.topography, true)?;
    write!(
        out,
        "\t{:04}\t{}\t{}\t{}\t",
        record.morphology,
        record.behaviour,
        record.grade.unwrap_or(UNKNOWN_GRADE),
        record.basis
    )?;
    write_code(out, record.icd10, false)?;
    out.write_all(SEP)?;
    write_text(out, record.iccc.map_or("", str::trim))?;
    out.write_all(SEP)?;
    write_text(out, record.stage.map_or("", str::trim))?;
    out.write_all(SEP)?;
    write_text(out, record.region.unwrap_or(""))?;
    let sequence = if record.total_primaries > 1 {
        record.sequence
    } else {
        0
    };
    let vital = record.vital_status.map_or(UNKNOWN, VitalStatus::code);
    write!(out, "\t{sequence}\t{}\t{vital}\t", record.total_primaries)?;
    let dead = record.vital_status == Some(VitalStatus::Dead);
    let last_contact = match record.death_date {
        Some(death) if dead => Some(death),
        _ => record.last_contact,
    };
    write_date(out, last_contact)?;
    out.write_all(SEP)?;
    if record.death_date.is_some() || dead {
        write_date(out, record.death_date)?;
    }
    out.write_all(LINE_END.as_bytes())
}

/// The age code: the completed years, or [`UNKNOWN_AGE`] when unknown (or not below it).
fn age_code(age: Option<u32>) -> u32 {
    match age {
        Some(years) if years < UNKNOWN_AGE => years,
        _ => UNKNOWN_AGE,
    }
}

/// Writes a date as `yyyyMMdd`, or [`UNKNOWN_DATE`] when absent or outside the years 0-9998
/// (9999 is the unknown year).
fn write_date<W: Write + ?Sized>(out: &mut W, date: Option<Date>) -> io::Result<()> {
    match date.and_then(Date::to_ymd) {
        Some((year, month, day)) if (0..9999).contains(&year) => {
            write!(out, "{year:04}{month:02}{day:02}")
        }
        _ => out.write_all(UNKNOWN_DATE.as_bytes()),
    }
}

/// Writes an ICD code trimmed and without its dot, and, for a topography, without its
/// leading `C`: `C18.7` → `187` (topography) or `C187` (ICD-10).
fn write_code<W: Write + ?Sized>(out: &mut W, code: &str, topography: bool) -> io::Result<()> {
    let code = code.trim();
    let code = if topography {
        code.strip_prefix(['C', 'c']).unwrap_or(code)
    } else {
        code
    };
    write_clean(out, code, |c| c == '.')
}

/// Writes free text so that it cannot break its line (see the module docs).
fn write_text<W: Write + ?Sized>(out: &mut W, text: &str) -> io::Result<()> {
    write_clean(out, text, |_| false)
}

/// Writes `text`, leaving out the characters `drop` picks and replacing those that would
/// break the line: separators and line breaks by a space, `"` by `'`. Clean runs are
/// written as slices, so a clean field is one `write_all`.
fn write_clean<W: Write + ?Sized>(
    out: &mut W,
    text: &str,
    drop: impl Fn(char) -> bool,
) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let replacement: &[u8] = if drop(c) {
            b""
        } else if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            b" "
        } else if c == '"' {
            b"'"
        } else {
            continue;
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(replacement)?;
        start = i + c.len_utf8();
    }
    out.write_all(&bytes[start..])
}
