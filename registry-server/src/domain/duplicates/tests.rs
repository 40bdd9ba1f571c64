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
    brother.id.value = "119730412345".into();
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
    assert_eq!(birth(date("2019-03-01"), date("2018-03-01")), None);
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
