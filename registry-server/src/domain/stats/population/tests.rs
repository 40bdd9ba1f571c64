use super::*;

const SAMPLE: &str = include_str!("../../../../data/population/sample.csv");

/// The sample file's header and the 36 cells of one area and year, with `change` applied
/// to the data lines (numbered from 0).
fn one_area(change: impl Fn(usize, String) -> Option<String>) -> String {
    let mut out = String::from("area,year,sex,age_group,population\n");
    let mut i = 0;
    for sex in ["male", "female"] {
        for g in AgeGroup::all() {
            if let Some(line) = change(i, format!("Zliten,2024,{sex},{g},1000")) {
                out.push_str(&line);
                out.push('\n');
            }
            i += 1;
        }
    }
    out
}

#[test]
fn the_sample_file_is_complete_for_three_regions() {
    let rows = parse(SAMPLE.as_bytes()).unwrap();
    // 3 regions × 2 sexes × 18 groups.
    assert_eq!(rows.len(), 108);
    let east_total: u64 = rows
        .iter()
        .filter(|r| r.area == "east")
        .map(|r| r.population)
        .sum();
    // About 1.7 million, as its header says.
    assert!(
        (1_650_000..=1_750_000).contains(&east_total),
        "{east_total}"
    );
    assert_eq!(rows[0].area, "east");
    assert_eq!(rows[0].group.to_string(), "0-4");
    assert_eq!(rows[17].group.to_string(), "85+");
    assert!(SAMPLE.starts_with("# SAMPLE"), "the sample says it is one");
}

#[test]
fn a_complete_area_parses_with_any_digit_script() {
    let text = one_area(|i, line| {
        Some(if i == 0 {
            "Zliten,٢٠٢٤,male,0-4,١٢٣٤".to_string()
        } else {
            line
        })
    });
    let rows = parse(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 36);
    assert_eq!((rows[0].year, rows[0].population), (2024, 1234));
}

#[test]
fn each_bad_cell_is_named_by_line_and_column() {
    let text = one_area(|i, line| {
        Some(match i {
            0 => "Zliten,2024,male,0-4,-5".into(),
            1 => "Zliten,1850,male,5-9,10".into(),
            2 => "Zliten,2024,man,10-14,10".into(),
            3 => "Zliten,2024,male,15-20,10".into(),
            4 => "Zliten,2024,male,20-24,many".into(),
            5 => ",2024,male,25-29,10".into(),
            _ => line,
        })
    });
    let refused = parse(text.as_bytes()).unwrap_err();
    let found: Vec<(u64, &str)> = refused
        .errors
        .iter()
        .filter(|e| e.line > 0)
        .map(|e| (e.line, e.column))
        .collect();
    // The header is line 1, so data line i is line i + 2.
    assert_eq!(
        found,
        [
            (2, "population"),
            (3, "year"),
            (4, "sex"),
            (5, "age_group"),
            (6, "population"),
            (7, "area")
        ]
    );
    assert_eq!(refused.errors[0].message, "negative");
    assert!(refused.errors[3].message.contains("15-20"));
    // The refused rows leave their cells missing too: reported, on line 0.
    assert!(refused
        .errors
        .iter()
        .any(|e| e.line == 0 && e.message == "Zliten 2024 male 15-19 is missing"));
}

#[test]
fn a_missing_or_repeated_cell_refuses_the_file() {
    let missing = one_area(|i, line| (i != 35).then_some(line));
    let refused = parse(missing.as_bytes()).unwrap_err();
    assert_eq!(refused.total, 1);
    assert_eq!(
        refused.errors[0].message,
        "Zliten 2024 female 85+ is missing"
    );
    let twice = one_area(|i, line| {
        Some(if i == 1 {
            format!("{line}\nZliten,2024,male,0-4,7")
        } else {
            line
        })
    });
    let refused = parse(twice.as_bytes()).unwrap_err();
    assert_eq!(refused.total, 1, "{refused:?}");
    assert_eq!(refused.errors[0].line, 4);
    assert!(refused.errors[0]
        .message
        .contains("given twice (first on line 2)"));
}

#[test]
fn a_wrong_header_short_rows_and_an_empty_file_are_refused() {
    let refused = parse(b"region,year,sex,group,n\n").unwrap_err();
    assert_eq!(refused.errors[0].column, "file");
    assert!(refused.errors[0].message.starts_with("the header must be"));
    let short = one_area(|i, line| Some(if i == 0 { "Zliten,2024".into() } else { line }));
    let refused = parse(short.as_bytes()).unwrap_err();
    assert_eq!(refused.errors[0].message, "2 columns, not 5");
    let refused = parse(b"area,year,sex,age_group,population\n").unwrap_err();
    assert_eq!(refused.errors[0].message, "no rows");
    let refused = parse(b"").unwrap_err();
    assert_eq!(refused.errors[0].column, "file");
}

#[test]
fn errors_beyond_the_limit_are_counted_not_listed() {
    let mut text = String::from("area,year,sex,age_group,population\n");
    for _ in 0..(MAX_ERRORS + 50) {
        text.push_str("Zliten,2024,male,0-4,-1\n");
    }
    let refused = parse(text.as_bytes()).unwrap_err();
    assert_eq!(refused.errors.len(), MAX_ERRORS);
    assert!(refused.total >= MAX_ERRORS + 50);
}
