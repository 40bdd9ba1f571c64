use super::*;
use crate::domain::duplicates::one_typo;
use crate::names::{fold_arabic, search_keys};
use crate::patient::ascii_digits;

fn person(r: &Record) -> &Person {
    r.person.as_ref().unwrap()
}

/// The items of `a` not in `b`, counting repeats.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.to_vec();
    let mut out = Vec::new();
    for x in a {
        match rest.iter().position(|y| y == x) {
            Some(i) => drop(rest.remove(i)),
            None => out.push(x.clone()),
        }
    }
    out
}

fn typed(pop: &Population) -> Vec<String> {
    pop.records
        .iter()
        .map(|r| format!("{:?}", r.typed))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_population() {
    let (a, b, c) = (
        population(300, 30, 7),
        population(300, 30, 7),
        population(300, 30, 8),
    );
    assert_eq!(typed(&a), typed(&b));
    assert_eq!(a.planted, b.planted);
    assert_eq!(a.siblings, b.siblings);
    assert_ne!(typed(&a), typed(&c));
    assert_eq!(evaluate(&a), evaluate(&b));
}

#[test]
fn the_population_is_valid_unique_and_as_documented() {
    let pop = population(3_000, 300, 11);
    assert_eq!(pop.records.len(), 3_300);
    let mut ids = HashSet::new();
    let (mut children, mut books) = (0, 0);
    for r in &pop.records {
        let p = person(r);
        // A duplicate keeps the original's identifier unless one of these changed it.
        let new_id = [Perturbation::OtherScheme, Perturbation::IdentifierTypo];
        if r.perturbations.is_empty() || new_id.iter().any(|k| r.perturbations.contains(k)) {
            assert!(ids.insert((p.id.kind, p.id.value.clone())), "{p:?}");
        }
        let (year, _, _) = p.birth.to_ymd().unwrap();
        assert!((1950..=2025).contains(&year), "{p:?}");
        children += usize::from(year >= 2006);
        books += usize::from(p.id.kind == IdType::FamilyBook);
        let names = if p.sex == Sex::Female { FEMALE } else { MALE };
        if r.perturbations.is_empty() {
            assert_eq!(p.name_ar.len(), 4);
            assert!(names.iter().any(|n| n.0 == p.name_ar[0]), "{p:?}");
        }
        if p.id.kind == IdType::National && !r.perturbations.contains(&new_id[1]) {
            let digit = if p.sex == Sex::Female { '2' } else { '1' };
            assert!(
                p.id.value.len() == 12 && p.id.value.starts_with(digit),
                "{p:?}"
            );
        }
    }
    assert!(
        (2_550..=3_050).contains(&children),
        "about 85 %: {children}"
    );
    assert!(
        books > 200 && books < 600,
        "about 15 % of the children: {books}"
    );
    let mut bases = HashSet::new();
    for &(base, dup) in &pop.planted {
        assert!(base < 3_000 && dup >= 3_000 && bases.insert(base));
        let n = pop.records[dup].perturbations.len();
        assert!((1..=3).contains(&n), "{:?}", pop.records[dup]);
    }
    for &(older, younger) in &pop.siblings {
        let (a, b) = (person(&pop.records[older]), person(&pop.records[younger]));
        assert_eq!(a.name_ar[1..], b.name_ar[1..]);
        assert_ne!(a.name_ar[0], b.name_ar[0]);
    }
    assert!(!pop.siblings.is_empty());
}

/// Every planted change did what its kind claims, on what was typed and after normalisation.
#[test]
fn each_perturbation_changed_what_it_claims() {
    use Perturbation::*;
    let pop = population(4_000, 2_000, 3);
    let mut seen = HashSet::new();
    for &(b, d) in &pop.planted {
        let (base, dup) = (&pop.records[b], &pop.records[d]);
        let (p, q) = (person(base), person(dup));
        let kinds = &dup.perturbations;
        seen.extend(kinds.iter().copied());
        let has = |k| kinds.contains(&k);
        assert_eq!(p.sex, q.sex);
        let names_kept = !has(LatinSpelling) && !has(LatinSpellingUnmerged) && !has(ArabicSpelling);
        if !has(DroppedPart) && names_kept {
            assert!(minus(&p.name_ar, &q.name_ar).is_empty(), "{p:?} {q:?}");
            assert_eq!(p.name_ar != q.name_ar, has(SwappedParts), "{p:?} {q:?}");
        }
        assert_eq!(q.name_ar.len(), if has(DroppedPart) { 3 } else { 4 });
        assert_eq!(q.name_latin.len(), q.name_ar.len());
        let (gone, new) = (
            minus(&p.name_latin, &q.name_latin),
            minus(&q.name_latin, &p.name_latin),
        );
        if has(LatinSpelling) || has(LatinSpellingUnmerged) {
            assert_eq!(new.len(), 1, "one part respelt: {p:?} {q:?}");
            let merged = search_keys(&new)
                .iter()
                .any(|k| search_keys(&gone).contains(k));
            assert_eq!(merged, has(LatinSpelling), "{gone:?} {new:?}");
        } else {
            assert!(new.is_empty(), "{p:?} {q:?}");
        }
        let new = minus(&q.name_ar, &p.name_ar);
        assert_eq!(new.len(), usize::from(has(ArabicSpelling)), "{p:?} {q:?}");
        let respelt = has(LatinSpelling) || has(LatinSpellingUnmerged);
        let expected = usize::from(has(DroppedPart)) + usize::from(respelt);
        assert_eq!(gone.len(), expected, "{p:?} {q:?}");
        let typed_digits = dup
            .typed
            .id_value
            .chars()
            .any(|c| c.is_numeric() && !c.is_ascii_digit());
        assert_eq!(typed_digits, has(ArabicIndicDigits), "{:?}", dup.typed);
        if has(ArabicIndicDigits) {
            assert_ne!(dup.typed.id_value, q.id.value);
            assert_eq!(ascii_digits(&dup.typed.id_value), q.id.value);
        }
        match (has(OtherScheme), has(IdentifierTypo)) {
            (true, _) => assert!(p.id.kind != q.id.kind && p.id.value != q.id.value),
            (false, true) => {
                assert_eq!(p.id.kind, q.id.kind);
                assert!(one_typo(&p.id.value, &q.id.value), "{:?} {:?}", p.id, q.id);
            }
            (false, false) => assert_eq!(p.id, q.id),
        }
        let ((y, m, day), (y2, m2, d2)) = (p.birth.to_ymd().unwrap(), q.birth.to_ymd().unwrap());
        match (has(BirthDayOff), has(BirthMonthDaySwapped)) {
            (true, false) => assert_eq!((p.birth.0 - q.birth.0).abs(), 1),
            (false, true) => assert!(y == y2 && m == d2 && day == m2 && m != day),
            (false, false) => assert_eq!(p.birth, q.birth),
            (true, true) => panic!("exclusive: {kinds:?}"),
        }
    }
    assert_eq!(seen.len(), 10, "every kind is drawn: {seen:?}");
    // The birth dates typed are normalised through the registry's parser too.
    assert!(pop
        .records
        .iter()
        .all(|r| r.typed.birth_date == person(r).birth.to_string()));
}

#[test]
fn arabic_and_latin_variants_are_spellings_of_the_same_name() {
    assert!(latin_variants("Mohamed").contains(&"Muhammad".to_string()));
    let family = latin_variants("Al-Warfalli");
    for v in ["El-Warfalli", "Al Warfalli", "Alwarfalli", "Warfalli"] {
        assert!(family.contains(&v.to_string()), "{family:?}");
    }
    assert!(latin_variants("Nobody").is_empty());
    let mut rng = SplitMix(5);
    let parts: Vec<String> = ["عبدالله", "أحمد", "مصطفى", "الورفلي"]
        .map(String::from)
        .to_vec();
    for _ in 0..200 {
        let (i, new) = perturb::arabic_variant(&parts, &mut rng).unwrap();
        assert_ne!(new, parts[i]);
        let article = new.strip_prefix("ال").is_some() != parts[i].strip_prefix("ال").is_some();
        let space = new.contains(' ') != parts[i].contains(' ');
        if !article && !space {
            assert_eq!(fold_arabic(&new), fold_arabic(&parts[i]), "{new}");
        }
    }
}

#[test]
fn small_and_empty_populations_do_not_fail() {
    assert!(population(0, 5, 1).records.is_empty());
    let pop = population(3, 10, 1);
    assert_eq!((pop.records.len(), pop.planted.len()), (6, 3));
    let e = evaluate(&pop);
    assert_eq!((e.planted, e.refused), (3, 0));
    assert!(!e.to_string().is_empty());
}

/// The measure: 10,000 patients of whom 500 are planted duplicates (run with
/// `--nocapture` to see the table).
#[test]
fn the_target_is_met_on_ten_thousand_patients_with_500_planted() {
    let pop = population(9_500, 500, 2026);
    assert_eq!(pop.records.len(), 10_000);
    let e = evaluate(&pop);
    println!("{e}");
    assert_eq!(e.refused, 0);
    assert!(e.recall >= 0.95, "{e}");
    assert!(e.precision >= 0.90, "{e}");
}
