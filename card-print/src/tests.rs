//! Whole-document tests of [`render`]: page boxes, font embedding, errors.

use super::*;

/// QR text of realistic length (a typical card is about 950 characters) and alphabet.
fn qr_text(seed: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut state = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D;
    let body: String = (0..944)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[(state >> 33) as usize % ALPHABET.len()] as char
        })
        .collect();
    format!("LYOC1:{body}")
}

pub(super) fn sample(seed: usize) -> PrintCard {
    PrintCard {
        serial: format!("Y6XC-IUHN-ZAGP-{seed:04}"),
        issuer: "LY-BEN-PED".into(),
        issuer_region: "Benghazi".into(),
        expires: "2031-01-15".into(),
        identifier: "national 219730412345".into(),
        name_ar: "فاطمة محمد عبدالله المنصوري".into(),
        name_latin: "Fatima Mohamed Abdullah Almansouri".into(),
        birth_date: "1973-04-12".into(),
        sex: "female".into(),
        blood_group: Some("A+".into()),
        qr_text: qr_text(seed),
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// The numbers of every `/MediaBox [...]` in the file.
fn media_boxes(pdf: &[u8]) -> Vec<Vec<f32>> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/MediaBox")
        .map(|(at, _)| {
            let rest = &text[at..];
            let open = rest.find('[').unwrap();
            let close = rest.find(']').unwrap();
            rest[open + 1..close]
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn card_layout_has_two_id1_pages_per_card() {
    let cards: Vec<PrintCard> = (0..3).map(sample).collect();
    let mut calls = Vec::new();
    let pdf = render(&cards, Layout::Card, &mut |n| calls.push(n)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(calls, [1, 2, 3]);
    let boxes = media_boxes(&pdf);
    assert_eq!(boxes.len(), 6);
    for b in boxes {
        assert_eq!(b[..2], [0.0, 0.0]);
        assert!((b[2] - 242.65).abs() < 0.01, "{b:?}");
        assert!((b[3] - 153.01).abs() < 0.01, "{b:?}");
    }
}

#[test]
fn sheet_layout_has_a4_pages_fronts_then_backs() {
    let cards: Vec<PrintCard> = (0..11).map(sample).collect();
    let pdf = render(&cards, Layout::Sheet, &mut |_| {}).unwrap();
    let boxes = media_boxes(&pdf);
    // 11 cards: two sheets, each a page of fronts and a page of backs.
    assert_eq!(boxes.len(), 4);
    for b in boxes {
        assert!((b[2] - 595.28).abs() < 0.01, "{b:?}");
        assert!((b[3] - 841.89).abs() < 0.01, "{b:?}");
    }
}

#[test]
fn fonts_are_embedded_once_whatever_the_number_of_cards() {
    let one = render(&[sample(0)], Layout::Card, &mut |_| {}).unwrap();
    let cards: Vec<PrintCard> = (0..100).map(sample).collect();
    let hundred = render(&cards, Layout::Card, &mut |_| {}).unwrap();
    let hundred_sheets = render(&cards, Layout::Sheet, &mut |_| {}).unwrap();
    for pdf in [&one, &hundred, &hundred_sheets] {
        // Four fonts: Naskh regular and bold, Noto Sans regular and bold.
        assert_eq!(count(pdf, b"/FontFile2"), 4);
        assert_eq!(
            count(pdf, b"/Type /FontDescriptor") + count(pdf, b"/Type/FontDescriptor"),
            4
        );
    }
    // Subset fonts: a one-card PDF is small.
    assert!(one.len() < 120_000, "one card: {} bytes", one.len());
    // Each further card adds its text and QR code, not fonts.
    let per_card = (hundred.len() - one.len()) / 99;
    assert!(
        hundred.len() < one.len() * 100 / 5,
        "{} vs {}",
        hundred.len(),
        one.len()
    );
    assert!(per_card < 40_000, "{per_card} bytes per card");
}

#[test]
fn errors_name_the_card_and_field() {
    assert!(matches!(
        render(&[], Layout::Card, &mut |_| {}),
        Err(PrintError::NoCards)
    ));

    let mut card = sample(1);
    card.name_latin = "Ali \u{1F600}".into();
    let err = render(&[sample(0), card], Layout::Card, &mut |_| {}).unwrap_err();
    assert!(matches!(
        err,
        PrintError::Unprintable {
            field: "name_latin",
            character: '\u{1F600}',
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "card Y6XC-IUHN-ZAGP-0001: the name_latin has a character that cannot be printed: U+1F600"
    );

    let mut card = sample(2);
    card.qr_text = format!("LYOC1:{}", "A".repeat(3_400));
    let err = render(&[card], Layout::Sheet, &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, PrintError::QrTooLong { len: 3_406, .. }),
        "{err}"
    );

    let mut card = sample(3);
    card.identifier = "x".repeat(400);
    let err = render(&[card], Layout::Card, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            PrintError::TooLong {
                field: "identifier",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn long_names_take_two_lines_and_odd_inputs_do_not_panic() {
    let mut card = sample(4);
    // Six parts of 40 letters: the longest name the card format allows.
    let part_ar = "م".repeat(20) + &"ح".repeat(20);
    card.name_ar = vec![part_ar; 6].join(" ");
    let part = "Abcdefghij".repeat(4);
    card.name_latin = vec![part; 6].join(" ");
    assert!(render(&[card], Layout::Card, &mut |_| {}).is_ok());

    let empty = PrintCard {
        qr_text: "LYOC1:".into(),
        ..PrintCard::default()
    };
    assert!(render(&[empty], Layout::Sheet, &mut |_| {}).is_ok());

    let mut odd = sample(5);
    odd.name_ar = "\u{200F}(علي) \u{202E}abc\u{202C} ١٢٣ ﻻ".into();
    odd.sex = "something else".into();
    odd.blood_group = None;
    odd.qr_text = "lower case and ünïcode".into();
    assert!(render(&[odd], Layout::Card, &mut |_| {}).is_ok());
}

#[test]
fn a_failing_card_stops_the_batch_where_it_is() {
    let mut cards: Vec<PrintCard> = (0..40).map(sample).collect();
    cards[5].qr_text = format!("LYOC1:{}", "A".repeat(3_400));
    let mut progress = Vec::new();
    let err = render(&cards, Layout::Sheet, &mut |n| progress.push(n)).unwrap_err();
    assert!(
        matches!(&err, PrintError::QrTooLong { serial, .. } if serial == "Y6XC-IUHN-ZAGP-0005"),
        "{err}"
    );
    assert_eq!(progress, [1, 2, 3, 4, 5]);
}

#[test]
fn absurdly_long_names_are_refused_quickly() {
    let mut card = sample(6);
    card.name_ar = "علي ".repeat(20_000);
    let started = std::time::Instant::now();
    let err = render(&[card], Layout::Card, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            PrintError::TooLong {
                field: "name_ar",
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
