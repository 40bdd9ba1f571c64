use super::*;

fn date(text: &str) -> Date {
    Date::parse("d", text).unwrap()
}

fn person(id: &str, ar: &[&str], latin: &[&str], sex: Sex, birth: &str) -> Person {
    Person {
        id: PatientId {
            kind: IdType::National,
            value: id.into(),
        },
        name_ar: ar.iter().map(|s| (*s).to_string()).collect(),
        name_latin: latin.iter().map(|s| (*s).to_string()).collect(),
        sex,
        birth: date(birth),
    }
}

fn fatima() -> Person {
    person(
        "219730412345",
        &["فاطمة", "محمد", "عبدالله", "المنصوري"],
        &["Fatima", "Mohamed", "Abdullah", "Almansouri"],
        Sex::Female,
        "1973-04-12",
    )
}

#[test]
fn the_same_person_typed_twice_scores_every_piece_of_evidence() {
    let s = score(&fatima(), &fatima());
    assert_eq!(
        s.reasons,
        [
            Reason::SameIdentifier,
            Reason::ArabicNames(100),
            Reason::SameBirthDate,
            Reason::LatinNames(100)
        ]
    );
    // 60 + 30 + 25 + 20, worked by hand.
    assert_eq!(s.total, 135);
}

#[test]
fn spelling_variants_swapped_parts_and_a_typo_still_meet() {
    // Another registration: Muhammad for Mohamed, alef hamza and taa marbuta variants,
    // father and grandfather swapped, a digit typo, the birth date's month and day swapped.
    let other = person(
        "219730412354",
        &["فاطمه", "عبد الله", "محمد", "المنصوري"],
        &["Fatma", "Abdallah", "Muhammad", "Al-Mansouri"],
        Sex::Female,
        "1973-12-04",
    );
    let s = score(&fatima(), &other);
    assert!(s.reasons.contains(&Reason::IdentifierTypo), "{s:?}");
    assert!(s.reasons.contains(&Reason::BirthDateSwapped), "{s:?}");
    assert!(s.reasons.contains(&Reason::ArabicNames(100)), "{s:?}");
    assert!(s.total >= 90, "{s:?}");
}

#[test]
fn a_different_person_scores_low_and_a_different_sex_is_a_veto() {
    let stranger = person(
        "119850307777",
        &["عمر", "علي", "سالم", "الورفلي"],
        &["Omar", "Ali", "Salem", "Alwarfalli"],
        Sex::Male,
        "1985-03-07",
    );
    let s = score(&fatima(), &stranger);
    assert_eq!(s.reasons, [Reason::SexDiffers], "{s:?}");
    assert_eq!(s.total, -40);
    let mut brother = fatima();
    brother.id.value = "119800000000".into();
    brother.sex = Sex::Male;
    brother.name_ar[0] = "أحمد".into();
    brother.name_latin[0] = "Ahmed".into();
    let s = score(&fatima(), &brother);
    assert!(s.reasons.contains(&Reason::SexDiffers));
    assert!(s.total < score(&fatima(), &fatima()).total - 40, "{s:?}");
}

#[test]
fn birth_dates_a_day_apart_or_in_the_same_year() {
    assert_eq!(
        birth(date("2019-03-01"), date("2019-02-28")),
        Some(Reason::BirthDateDayOff)
    );
    assert_eq!(
        birth(date("2019-03-01"), date("2019-01-03")),
        Some(Reason::BirthDateSwapped)
    );
    assert_eq!(
        birth(date("2019-03-01"), date("2019-07-20")),
        Some(Reason::SameBirthYear)
    );
    assert_eq!(
        birth(date("2019-03-01"), date("2018-03-01")),
        Some(Reason::BirthDateClose),
        "a year off, the same day"
    );
    assert_eq!(birth(date("2019-03-01"), date("2017-03-01")), None);
    assert_eq!(birth(date("2019-03-01"), date("2018-03-02")), None);
}

#[test]
fn identifier_typos_are_one_change_or_one_adjacent_swap() {
    assert!(one_typo("219730412345", "219730412346"));
    assert!(one_typo("219730412345", "219730412354"));
    assert!(one_typo("12", "21"), "an adjacent swap");
    assert!(
        !one_typo("123", "321"),
        "a swap of non-neighbours is two typos"
    );
    assert!(!one_typo("219730412345", "219730419945"));
    assert!(!one_typo("219730412345", "21973041234"));
    assert!(!one_typo("219730412345", "219730412345_"));
}

#[test]
fn every_reason_says_itself_in_both_languages() {
    for r in [
        Reason::SameIdentifier,
        Reason::IdentifierTypo,
        Reason::ArabicNames(50),
        Reason::LatinNames(50),
        Reason::SameBirthDate,
        Reason::BirthDateDayOff,
        Reason::BirthDateSwapped,
        Reason::SameBirthYear,
        Reason::SexDiffers,
    ] {
        assert!(!r.en().is_empty() && !r.ar().is_empty(), "{r:?}");
    }
    assert_eq!(Reason::ArabicNames(50).points(), 15);
    assert_eq!(Reason::LatinNames(50).points(), 10);
}

#[test]
fn the_birth_date_block_covers_each_close_date_once() {
    let dates: Vec<String> = birth_dates_near(date("2015-03-07"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        dates,
        [
            "2015-03-07",
            "2015-03-06",
            "2015-03-08",
            "2015-07-03",
            "2015-02-07",
            "2015-04-07",
            "2014-03-07",
            "2016-03-07"
        ]
    );
    // 31 January: no 31 February, no swap (month 31); the day before is in December.
    let dates: Vec<String> = birth_dates_near(date("2015-01-31"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        dates,
        [
            "2015-01-31",
            "2015-01-30",
            "2015-02-01",
            "2014-01-31",
            "2016-01-31"
        ]
    );
    // The 5th of May: swapped is itself, listed once.
    assert_eq!(birth_dates_near(date("2015-05-05")).len(), 7);
}

#[test]
fn identifier_variants_are_every_single_typo_and_only_those() {
    let v = identifier_variants("1201");
    // 4 digits × 9 replacements, and 3 neighbour swaps: "2101", "1021", "1210".
    assert_eq!(v.len(), 4 * 9 + 3);
    assert!(v.contains(&"2101".to_string()));
    assert!(v.contains(&"1210".to_string()));
    assert!(v.contains(&"1207".to_string()));
    assert!(!v.contains(&"1201".to_string()));
    assert!(!v.contains(&"2110".to_string()));
    // Letters are replaced by letters, digits by digits.
    let v = identifier_variants("A1");
    assert_eq!(v.len(), 25 + 9 + 1);
    assert!(v.contains(&"1A".to_string()));
    assert!(identifier_variants(&"1".repeat(21)).is_empty());
    // Every variant scores as a typo.
    for other in identifier_variants("119901234567") {
        assert!(one_typo("119901234567", &other), "{other}");
    }
}

#[test]
fn rank_keeps_the_best_candidates_above_the_threshold() {
    let a = fatima();
    let mut twin = fatima();
    twin.id.value = "219730412346".into();
    let stranger = person(
        "119800101010",
        &["خالد", "سالم"],
        &["Khaled", "Salem"],
        Sex::Male,
        "1980-01-01",
    );
    let block = [("p-self", &a), ("p-twin", &twin), ("p-stranger", &stranger)];
    let found = rank(&a, Some("p-self"), block);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].patient_id, "p-twin");
    assert!(found[0].score.total >= THRESHOLD);
    assert!(found[0].score.reasons.contains(&Reason::IdentifierTypo));
}

#[test]
fn a_month_or_a_year_off_is_close() {
    let a = fatima();
    let mut b = fatima();
    b.birth = date("1973-05-12");
    assert!(score(&a, &b).reasons.contains(&Reason::BirthDateClose));
    b.birth = date("1974-04-12");
    assert!(score(&a, &b).reasons.contains(&Reason::BirthDateClose));
    b.birth = date("1973-06-12");
    assert!(score(&a, &b).reasons.contains(&Reason::SameBirthYear));
}

#[test]
fn the_names_can_add_at_most_max_name_points() {
    assert_eq!(
        Reason::ArabicNames(100).points() + Reason::LatinNames(100).points(),
        MAX_NAME_POINTS
    );
    // Ranking skips the name keys only where they could not matter: the same pairs as
    // scoring every patient of the block.
    let a = fatima();
    let mut brother = fatima();
    brother.sex = Sex::Male;
    brother.id.value = "119800000000".into();
    let mut twin = fatima();
    twin.id.value = "219730499999".into();
    let block = [("brother", &brother), ("twin", &twin)];
    let everyone: Vec<&str> = block
        .iter()
        .filter(|(_, p)| score(&a, p).total >= THRESHOLD)
        .map(|(id, _)| *id)
        .collect();
    let ranked: Vec<String> = rank(&a, None, block)
        .into_iter()
        .map(|c| c.patient_id)
        .collect();
    assert_eq!(ranked, everyone);
    assert_eq!(ranked, ["twin"]);
}
