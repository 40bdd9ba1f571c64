//! Unit tests of the CanReg5-layout export: the header, lines worked by hand, the unknown
//! codes, dates before 1970, and text that must not break its line.

use super::*;

fn date(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("date", year, month, day).unwrap()
}

/// A record with every field set.
fn full() -> ExportRecord<'static> {
    ExportRecord {
        tumour_key: "P00012302",
        patient_key: "P000123",
        sex: Sex::Female,
        birth_date: Some(date(1950, 6, 15)),
        incidence: date(2021, 3, 4),
        age: Some(70),
        topography: "C18.7",
        morphology: 8140,
        behaviour: 3,
        grade: Some(2),
        basis: 7,
        icd10: "C18.7",
        iccc: Some("IIIb"),
        stage: Some("II"),
        region: Some("east"),
        sequence: 2,
        total_primaries: 3,
        vital_status: Some(VitalStatus::Dead),
        last_contact: Some(date(2023, 1, 10)),
        death_date: Some(date(2023, 2, 1)),
    }
}

/// A record with every optional field absent.
fn sparse() -> ExportRecord<'static> {
    ExportRecord {
        tumour_key: "T1-1",
        patient_key: "T1",
        sex: Sex::NotKnown,
        birth_date: None,
        incidence: date(2020, 1, 1),
        age: None,
        topography: "C80.9",
        morphology: 8000,
        behaviour: 3,
        grade: None,
        basis: 9,
        icd10: "C80",
        iccc: None,
        stage: None,
        region: None,
        sequence: 1,
        total_primaries: 1,
        vital_status: None,
        last_contact: None,
        death_date: None,
    }
}

fn line(record: &ExportRecord<'_>) -> String {
    let mut out = Vec::new();
    write_record(&mut out, record).unwrap();
    String::from_utf8(out).unwrap()
}

/// The fields of one line, without its CR LF.
fn fields(line: &str) -> Vec<String> {
    let body = line.strip_suffix(LINE_END).unwrap();
    body.split(SEPARATOR).map(str::to_owned).collect()
}

#[test]
fn the_header_is_the_columns_joined_by_tabs() {
    let mut out = Vec::new();
    write_header(&mut out).unwrap();
    let header = String::from_utf8(out).unwrap();
    assert_eq!(
        header,
        format!("{}{LINE_END}", COLUMNS.join(&SEPARATOR.to_string()))
    );
    assert_eq!(
        header,
        "PatientID\tTumourID\tSex\tBirthDate\tIncidenceDate\tAge\tTopography\tMorphology\t\
         Behaviour\tGrade\tBasisDiagnosis\tICD10\tICCC\tStage\tAddressCode\tMultPrimSeq\t\
         MultPrimTot\tVitalStatus\tLastcontact\tDeathDate\r\n"
    );
    assert_eq!(COLUMNS.len(), 20);
}

#[test]
fn a_full_record_writes_the_line_worked_by_hand() {
    // Female 2; born 1950-06-15; C18.7 -> 187 and C187; 2nd of 3 primaries; dead 2, so the
    // date of last contact is the date of death.
    assert_eq!(
        line(&full()),
        "P000123\tP00012302\t2\t19500615\t20210304\t70\t187\t8140\t3\t2\t7\tC187\tIIIb\tII\t\
         east\t2\t3\t2\t20230201\t20230201\r\n"
    );
}

#[test]
fn absent_fields_write_the_unknown_codes() {
    // Sex 9, birth 99999999, age 999, grade 9, empty ICCC/stage/address, a sole tumour is
    // sequence 0 of 1, vital status 9, last contact 99999999, no date of death.
    assert_eq!(
        line(&sparse()),
        "T1\tT1-1\t9\t99999999\t20200101\t999\t809\t8000\t3\t9\t9\tC80\t\t\t\t0\t1\t9\t\
         99999999\t\r\n"
    );
}

#[test]
fn sex_codes() {
    assert_eq!(sex_code(Sex::Male), 1);
    assert_eq!(sex_code(Sex::Female), 2);
    assert_eq!(sex_code(Sex::NotKnown), 9);
    assert_eq!(sex_code(Sex::NotApplicable), 9);
    for (sex, code) in [
        (Sex::Male, "1"),
        (Sex::Female, "2"),
        (Sex::NotKnown, "9"),
        (Sex::NotApplicable, "9"),
    ] {
        let record = ExportRecord { sex, ..full() };
        assert_eq!(fields(&line(&record))[2], code);
    }
}

#[test]
fn vital_status_codes() {
    assert_eq!(VitalStatus::Alive.code(), 1);
    assert_eq!(VitalStatus::Dead.code(), 2);
    assert_eq!(VitalStatus::Lost.code(), 1);

    // Alive: the date of last contact as given, no date of death.
    let alive = ExportRecord {
        vital_status: Some(VitalStatus::Alive),
        death_date: None,
        ..full()
    };
    let row = fields(&line(&alive));
    assert_eq!(&row[17..], ["1", "20230110", ""]);

    // Lost: alive at the date of last contact.
    let lost = ExportRecord {
        vital_status: Some(VitalStatus::Lost),
        death_date: None,
        ..full()
    };
    assert_eq!(&fields(&line(&lost))[17..], ["1", "20230110", ""]);

    // Dead, date of death unknown: the last contact as given, the death date unknown.
    let dead = ExportRecord {
        death_date: None,
        ..full()
    };
    assert_eq!(&fields(&line(&dead))[17..], ["2", "20230110", "99999999"]);
}

#[test]
fn dates_before_1970_and_old_ages() {
    let born = date(1950, 6, 15);
    assert!(born.0 < 0);
    let record = ExportRecord {
        birth_date: Some(date(1900, 1, 1)),
        incidence: date(1969, 12, 31),
        age: Some(69),
        ..full()
    };
    let row = fields(&line(&record));
    assert_eq!(row[3], "19000101");
    assert_eq!(row[4], "19691231");
    assert_eq!(row[5], "69");
    assert_eq!(fields(&line(&full()))[3], "19500615");

    // No age reaches the unknown code.
    let record = ExportRecord {
        age: Some(1_000),
        ..full()
    };
    assert_eq!(fields(&line(&record))[5], "999");
    let record = ExportRecord {
        age: Some(0),
        ..full()
    };
    assert_eq!(fields(&line(&record))[5], "0");
}

#[test]
fn codes_lose_their_dot_and_topography_its_c() {
    let record = ExportRecord {
        topography: " c50.9 ",
        icd10: "D05.1",
        morphology: 8500,
        behaviour: 2,
        ..full()
    };
    let row = fields(&line(&record));
    assert_eq!(row[6], "509");
    assert_eq!(row[7], "8500");
    assert_eq!(row[8], "2");
    assert_eq!(row[11], "D051");
}

#[test]
fn a_region_with_separators_and_newlines_cannot_break_the_line() {
    let record = ExportRecord {
        region: Some("north\teast\r\nwest \"A\"\u{2028}x"),
        stage: Some("II\nB"),
        patient_key: "P\t1",
        tumour_key: "T\n1",
        iccc: Some("\"III\""),
        ..full()
    };
    let text = line(&record);
    assert_eq!(text.matches(LINE_END).count(), 1);
    assert!(text.ends_with(LINE_END));
    assert!(!text[..text.len() - LINE_END.len()].contains(['\r', '\n', '"']));
    let row = fields(&text);
    assert_eq!(row.len(), COLUMNS.len());
    assert_eq!(row[0], "P 1");
    assert_eq!(row[1], "T 1");
    assert_eq!(row[12], "'III'");
    assert_eq!(row[13], "II B");
    assert_eq!(row[14], "north east  west 'A' x");
}

#[test]
fn non_ascii_text_is_kept() {
    let record = ExportRecord {
        region: Some("الشرق"),
        ..full()
    };
    assert_eq!(fields(&line(&record))[14], "الشرق");
}

#[test]
fn every_line_has_as_many_fields_as_columns() {
    let mut out = Vec::new();
    write_header(&mut out).unwrap();
    let regions = [None, Some(""), Some("a\tb"), Some("\t\t\n"), Some("east")];
    for (i, region) in regions.iter().enumerate() {
        write_record(
            &mut out,
            &ExportRecord {
                region: *region,
                ..full()
            },
        )
        .unwrap();
        let i = u32::try_from(i).unwrap();
        write_record(
            &mut out,
            &ExportRecord {
                region: *region,
                sequence: i,
                ..sparse()
            },
        )
        .unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.split_terminator(LINE_END).collect();
    assert_eq!(lines.len(), 1 + 2 * regions.len());
    for line in lines {
        assert_eq!(line.split(SEPARATOR).count(), COLUMNS.len(), "{line:?}");
    }
}

#[test]
fn a_failing_writer_fails_the_record() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    assert!(write_header(&mut Full).is_err());
    assert!(write_record(&mut Full, &full()).is_err());
}

#[test]
fn two_hundred_thousand_records_stream_quickly() {
    let started = std::time::Instant::now();
    let mut out = io::BufWriter::new(io::sink());
    write_header(&mut out).unwrap();
    let record = full();
    for _ in 0..200_000 {
        write_record(&mut out, &record).unwrap();
    }
    out.flush().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
