//! Reading an import file into rows of named fields: a CSV or tab-separated text file, or
//! the first sheet of an XLSX workbook, in either of two layouts told apart by the header
//! line: the registry's own template (`record_id`, `id_type`, ... as in
//! `registry-server/data/import/template.csv`) or CanReg5's export with its standard
//! variable names (`PatientID`, `TumourID`, `IncidenceDate`, ...; see
//! [`crate::domain::stats::export`], the layout the registry itself exports). Nothing here
//! checks a value: [`super::row`] does.

use std::io::Cursor;

use serde::Serialize;

/// Which layout a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// The registry's template.
    Template,
    /// CanReg5's export (standard variable names).
    Canreg5,
}

impl std::str::FromStr for Layout {
    type Err = String;

    fn from_str(s: &str) -> Result<Layout, String> {
        match s {
            "template" => Ok(Layout::Template),
            "canreg5" => Ok(Layout::Canreg5),
            _ => Err(format!("{s:?} is not a layout: template or canreg5")),
        }
    }
}

/// A field the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The source's key of the row (template `record_id`; CanReg5 `TumourID`).
    RecordId,
    /// CanReg5's patient key (`PatientID`, `RegNo`): the identifier when none is given.
    PatientKey,
    /// Identifier scheme.
    IdType,
    /// Identifier.
    IdValue,
    /// Arabic name, parts separated by spaces.
    NameAr,
    /// Latin name, parts separated by spaces.
    NameLatin,
    /// CanReg5's first name (Arabic or Latin).
    FirstName,
    /// CanReg5's surname (Arabic or Latin).
    Surname,
    /// Sex.
    Sex,
    /// Birth date.
    BirthDate,
    /// Municipality.
    Municipality,
    /// Region (CanReg5 `AddressCode`).
    Region,
    /// Phone.
    Phone,
    /// Blood group.
    BloodGroup,
    /// ICD-10.
    Icd10,
    /// ICD-O-3 topography.
    Topography,
    /// ICD-O-3 morphology (four digits, or `8140/3`).
    Morphology,
    /// ICD-O-3 behaviour.
    Behaviour,
    /// Grade.
    Grade,
    /// Basis of diagnosis.
    Basis,
    /// Incidence date.
    Incidence,
    /// Staging scheme.
    StageScheme,
    /// Stage group.
    Stage,
    /// TNM T.
    T,
    /// TNM N.
    N,
    /// TNM M.
    M,
    /// CanReg5's record status (2: deleted).
    RecordStatus,
    /// CanReg5's obsolete flag of the tumour record (1: obsolete).
    Obsolete,
    /// CanReg5's obsolete flag of the patient record (1: obsolete).
    ObsoletePatient,
}

/// The template's columns, in its order.
pub const TEMPLATE: &[(&str, Field)] = &[
    ("record_id", Field::RecordId),
    ("id_type", Field::IdType),
    ("id_value", Field::IdValue),
    ("name_ar", Field::NameAr),
    ("name_latin", Field::NameLatin),
    ("sex", Field::Sex),
    ("birth_date", Field::BirthDate),
    ("municipality", Field::Municipality),
    ("region", Field::Region),
    ("phone", Field::Phone),
    ("blood_group", Field::BloodGroup),
    ("icd10", Field::Icd10),
    ("topography", Field::Topography),
    ("morphology", Field::Morphology),
    ("behaviour", Field::Behaviour),
    ("grade", Field::Grade),
    ("basis", Field::Basis),
    ("incidence_date", Field::Incidence),
    ("stage_scheme", Field::StageScheme),
    ("stage", Field::Stage),
    ("t", Field::T),
    ("n", Field::N),
    ("m", Field::M),
];

/// CanReg5's columns read (matched without regard to case, a trailing `*` dropped): each
/// variable by its standard name (`IncidenceDate`) and by its short name in the training
/// registry's data dictionary (`InciD`, CanReg5's `conf/database/TRN.xml`), which is what
/// the export writes by default; and the registry's own extra columns a CanReg5 file may
/// carry (`id_type`, `id_value`, `name_ar`, `name_latin`).
pub const CANREG5: &[(&str, Field)] = &[
    ("TumourID", Field::RecordId),
    ("PatientID", Field::PatientKey),
    ("RegNo", Field::PatientKey),
    ("FirstName", Field::FirstName),
    ("FirstN", Field::FirstName),
    ("Surname", Field::Surname),
    ("FamN", Field::Surname),
    ("Sex", Field::Sex),
    ("BirthDate", Field::BirthDate),
    ("BirthD", Field::BirthDate),
    ("AddressCode", Field::Region),
    ("Addr", Field::Region),
    ("ICD10", Field::Icd10),
    ("I10", Field::Icd10),
    ("Topography", Field::Topography),
    ("Top", Field::Topography),
    ("Morphology", Field::Morphology),
    ("Mor", Field::Morphology),
    ("Behaviour", Field::Behaviour),
    ("Beh", Field::Behaviour),
    ("Grade", Field::Grade),
    ("BasisDiagnosis", Field::Basis),
    ("Bas", Field::Basis),
    ("IncidenceDate", Field::Incidence),
    ("InciD", Field::Incidence),
    ("Stage", Field::Stage),
    ("TumourRecordStatus", Field::RecordStatus),
    ("RecS", Field::RecordStatus),
    ("ObsoleteFlagTumourTable", Field::Obsolete),
    ("ObsoleteFlagPatientTable", Field::ObsoletePatient),
    ("id_type", Field::IdType),
    ("id_value", Field::IdValue),
    ("name_ar", Field::NameAr),
    ("name_latin", Field::NameLatin),
];

/// The columns a file of the layout must have.
pub fn required(layout: Layout) -> &'static [Field] {
    match layout {
        Layout::Template => &[
            Field::RecordId,
            Field::IdType,
            Field::IdValue,
            Field::NameAr,
            Field::Sex,
            Field::BirthDate,
        ],
        Layout::Canreg5 => &[
            Field::RecordId,
            Field::PatientKey,
            Field::Sex,
            Field::BirthDate,
        ],
    }
}

/// The largest file read (100,000 rows of the template are about 20 MB).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// The most rows read from one file.
pub const MAX_ROWS: usize = 1_000_000;

/// The most bytes of one field.
pub const MAX_FIELD: usize = 1024;

/// One data row: its line (1 is the header) and its fields as text, trimmed, empty ones
/// left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    /// The line (the row, in a sheet) in the file.
    pub line: usize,
    /// The fields read.
    pub fields: Vec<(Field, String)>,
    /// Set when the row could not be read whole (a wrong number of fields, an overlong one).
    pub unreadable: Option<String>,
}

impl SourceRow {
    /// The value of `field`, if given.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }
}

/// A whole file read.
#[derive(Debug, Clone)]
pub struct Table {
    /// The layout found (or asked for).
    pub layout: Layout,
    /// The header's columns not read (CanReg5's derived `Age`, `ICCC`, ...).
    pub ignored: Vec<String>,
    /// The rows.
    pub rows: Vec<SourceRow>,
}

/// Why a file was not read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Too big.
    #[error("the file is {0} bytes, more than {MAX_BYTES}")]
    TooBig(usize),
    /// Not UTF-8 text nor an XLSX workbook.
    #[error("the file is neither UTF-8 text (CSV or tab-separated) nor an XLSX workbook: {0}")]
    Unreadable(String),
    /// No header line.
    #[error("the file is empty: it needs a header line naming its columns")]
    Empty,
    /// The header fits neither layout.
    #[error(
        "the header names neither the template's columns (record_id, id_type, ...) nor \
         CanReg5's (TumourID, PatientID, ...)"
    )]
    UnknownLayout,
    /// A column appears twice.
    #[error("the column {0} appears twice")]
    RepeatedColumn(String),
    /// Required columns are missing.
    #[error("the {layout:?} layout needs the columns: {missing}")]
    Missing {
        /// The layout.
        layout: Layout,
        /// The missing columns, comma-separated.
        missing: String,
    },
    /// Too many rows.
    #[error("the file has more than {MAX_ROWS} rows: split it")]
    TooManyRows,
}

/// Reads `bytes`: XLSX when it starts as a ZIP archive, else UTF-8 text (a BOM is skipped),
/// tab-separated when the header has a tab, else comma-separated. `layout` forces one.
///
/// # Errors
/// [`FileError`]: the file as a whole cannot be read. A row that cannot be read is kept,
/// with [`SourceRow::unreadable`] saying why.
pub fn read(bytes: &[u8], layout: Option<Layout>) -> Result<Table, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooBig(bytes.len()));
    }
    let records = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_records(bytes)?
    } else {
        text_records(bytes)?
    };
    let mut records = records.into_iter();
    let (_, header) = records.next().ok_or(FileError::Empty)?;
    let layout = match layout {
        Some(l) => l,
        None => detect(&header)?,
    };
    let names = match layout {
        Layout::Template => TEMPLATE,
        Layout::Canreg5 => CANREG5,
    };
    let mut columns = Vec::with_capacity(header.len());
    let mut ignored = Vec::new();
    for name in &header {
        let name = name
            .trim()
            .trim_start_matches('\u{feff}')
            .trim_end_matches('*');
        let field = names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f);
        if let Some(f) = field {
            if columns.contains(&Some(f)) {
                return Err(FileError::RepeatedColumn(name.to_string()));
            }
        } else {
            ignored.push(name.to_string());
        }
        columns.push(field);
    }
    let missing: Vec<&str> = required(layout)
        .iter()
        .filter(|f| !columns.contains(&Some(**f)))
        .map(|f| column_name(layout, *f))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::Missing {
            layout,
            missing: missing.join(", "),
        });
    }
    let mut rows = Vec::new();
    for (line, record) in records {
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        rows.push(source_row(line, &columns, record));
    }
    Ok(Table {
        layout,
        ignored,
        rows,
    })
}

fn source_row(line: usize, columns: &[Option<Field>], record: Vec<String>) -> SourceRow {
    let mut unreadable = None;
    if record.len() != columns.len() {
        unreadable = Some(format!(
            "{} fields where the header has {}",
            record.len(),
            columns.len()
        ));
    }
    let mut fields = Vec::new();
    for (column, value) in columns.iter().zip(record) {
        let Some(field) = column else { continue };
        let value = value.trim();
        if value.len() > MAX_FIELD {
            unreadable = Some(format!(
                "a field of more than {MAX_FIELD} bytes ({})",
                column_name_any(*field)
            ));
            continue;
        }
        if !value.is_empty() {
            fields.push((*field, value.to_string()));
        }
    }
    SourceRow {
        line,
        fields,
        unreadable,
    }
}

/// The column's name in the layout.
pub fn column_name(layout: Layout, field: Field) -> &'static str {
    let names = match layout {
        Layout::Template => TEMPLATE,
        Layout::Canreg5 => CANREG5,
    };
    names
        .iter()
        .find(|(_, f)| *f == field)
        .map_or("?", |(n, _)| n)
}

fn column_name_any(field: Field) -> &'static str {
    match TEMPLATE.iter().find(|(_, f)| *f == field) {
        Some((n, _)) => n,
        None => column_name(Layout::Canreg5, field),
    }
}

fn detect(header: &[String]) -> Result<Layout, FileError> {
    let has = |name: &str| header.iter().any(|h| h.trim().eq_ignore_ascii_case(name));
    if has("record_id") {
        Ok(Layout::Template)
    } else if ["TumourID", "PatientID", "RegNo", "TumourID*", "RegNo*"]
        .iter()
        .any(|n| has(n))
    {
        Ok(Layout::Canreg5)
    } else {
        Err(FileError::UnknownLayout)
    }
}

/// Records of a text file, with their line numbers.
fn text_records(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, FileError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| FileError::Unreadable(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains('\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // Lines are counted here, from each record's byte offset: the reader's own line count
    // is off for CR LF line ends.
    let (mut line, mut counted) = (1usize, 0usize);
    for record in reader.records() {
        if out.len() > MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        // A record's offset can be that of the line end before it (the LF of a CR LF).
        let at = |p: Option<&csv::Position>| {
            let mut start = p
                .and_then(|p| usize::try_from(p.byte()).ok())
                .unwrap_or(counted)
                .min(text.len());
            while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            start
        };
        match record {
            Ok(r) => {
                let start = at(r.position()).min(text.len()).max(counted);
                line += text.as_bytes()[counted..start]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                counted = start;
                out.push((line, r.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let start = at(e.position()).min(text.len()).max(counted);
                line += text.as_bytes()[counted..start]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                return Err(FileError::Unreadable(format!("line {line}: {e}")));
            }
        }
    }
    Ok(out)
}

/// Records of the first sheet of a workbook, numbered as the sheet's rows.
fn xlsx_records(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, FileError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| FileError::Unreadable(format!("not an XLSX workbook: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(FileError::Empty)?
        .map_err(|e| FileError::Unreadable(format!("the first sheet: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut out = Vec::new();
    for (i, row) in range.rows().enumerate() {
        if out.len() > MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let cells = row
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Int(n) => n.to_string(),
                // Whole numbers typed into a sheet (8140, 509) are stored as floats.
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => {
                    let (y, m, day, ..) = d.to_ymd_hms_milli();
                    format!("{y:04}-{m:02}-{day:02}")
                }
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect();
        out.push((first_row + i + 1, cells));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_told_by_the_header_and_unknown_columns_are_listed() {
        let t = read(
            b"REGNO\tTUMOURID\tSEX\tBIRTHD\tAGE\r\nP1\tT1\t1\t20100101\t9\r\n",
            None,
        )
        .unwrap();
        assert_eq!(t.layout, Layout::Canreg5);
        assert_eq!(t.ignored, vec!["AGE".to_string()]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].line, 2, "{:?}", t.rows);
        assert_eq!(t.rows[0].get(Field::PatientKey), Some("P1"));
        assert_eq!(t.rows[0].get(Field::Sex), Some("1"));
        let t = read(
            "\u{feff}record_id,id_type,id_value,name_ar,sex,birth_date\n\
             r1,national,1,أحمد علي,male,2010-01-01\n,,,,,\n"
                .as_bytes(),
            None,
        )
        .unwrap();
        assert_eq!(t.layout, Layout::Template);
        assert_eq!(t.rows.len(), 1, "a blank row is skipped");
        assert_eq!(t.rows[0].get(Field::NameAr), Some("أحمد علي"));
        assert_eq!(t.rows[0].get(Field::Municipality), None);
    }

    #[test]
    fn a_file_that_cannot_be_read_says_why() {
        assert_eq!(read(b"", None).unwrap_err(), FileError::Empty);
        assert_eq!(
            read(b"a,b\n1,2\n", None).unwrap_err(),
            FileError::UnknownLayout
        );
        assert!(matches!(
            read(b"record_id,sex\nr1,male\n", None).unwrap_err(),
            FileError::Missing { layout: Layout::Template, missing } if missing.contains("id_type")
        ));
        assert!(matches!(
            read(b"record_id,RECORD_ID\n", None).unwrap_err(),
            FileError::RepeatedColumn(_)
        ));
        assert!(matches!(
            read(b"record_id\n\xff\xfe\n", None).unwrap_err(),
            FileError::Unreadable(_)
        ));
        assert!(matches!(
            read(b"PK\x03\x04garbage", None).unwrap_err(),
            FileError::Unreadable(_)
        ));
    }

    #[test]
    fn a_short_row_is_kept_as_unreadable() {
        let t = read(
            b"record_id,id_type,id_value,name_ar,sex,birth_date\nr1,national\n",
            None,
        )
        .unwrap();
        assert_eq!(
            t.rows[0].unreadable.as_deref(),
            Some("2 fields where the header has 6")
        );
    }
}
