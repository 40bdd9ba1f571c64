use super::*;
use proptest::prelude::*;

const NOW: i64 = 20_000 * DAY + 12 * 3600;

fn authorisation() -> Authorisation {
    Authorisation {
        authorised_at: None,
        quantity: 30,
        dispensings: 3,
        interval_days: 28,
        valid_until: Date(20_100),
    }
}

fn facts() -> Facts {
    Facts {
        at: NOW,
        card: Some(Card::active(NOW + 365 * DAY)),
        authorisation: Ok(authorisation()),
        quantity: 30,
        earlier: Earlier::default(),
    }
}

fn codes(f: &Facts) -> Vec<&'static str> {
    judge(f).broken().iter().map(Refusal::code).collect()
}

/// An offline dispensing dated before its card was issued, or before its authorisation was
/// recorded, breaks `before_card` or `before_authorisation` (recorded offline, flagged);
/// the same dispensing at or after those times breaks nothing.
#[test]
fn a_dispensing_dated_before_its_card_or_authorisation_breaks_a_rule() {
    let mut f = facts();
    f.card.as_mut().unwrap().issued_at = Some(NOW + 1);
    assert_eq!(codes(&f), ["before_card"]);
    assert_eq!(judge(&f).offline(), Ok(Some(Refusal::BeforeCard)));
    f.card.as_mut().unwrap().issued_at = Some(NOW);
    assert!(judge(&f).is_allowed());
    let mut f = facts();
    f.authorisation.as_mut().unwrap().authorised_at = Some(NOW + DAY);
    assert_eq!(codes(&f), ["before_authorisation"]);
    f.card.as_mut().unwrap().issued_at = Some(NOW + 2 * DAY);
    assert_eq!(codes(&f), ["before_card", "before_authorisation"]);
    assert_eq!(judge(&f).offline(), Ok(Some(Refusal::BeforeCard)));
    f.authorisation.as_mut().unwrap().authorised_at = Some(NOW);
    f.card.as_mut().unwrap().issued_at = None;
    assert!(judge(&f).is_allowed());
}

#[test]
fn an_ordinary_dispensing_is_allowed() {
    assert!(judge(&facts()).is_allowed());
    assert_eq!(judge(&facts()).offline(), Ok(None));
}

/// One row per rule: the facts changed, the codes broken (in order).
#[test]
fn each_rule_breaks_alone() {
    type Change = fn(&mut Facts);
    let cases: &[(&str, Change, &[&str])] = &[
        ("unknown card", |f| f.card = None, &["card_unknown"]),
        (
            "revoked before",
            |f| {
                f.card.as_mut().unwrap().revoked = Some(Revoked {
                    since: Since::At(NOW - 1),
                    reason: Some("lost".into()),
                })
            },
            &["card_revoked"],
        ),
        (
            "revoked at an unrecorded time",
            |f| {
                f.card.as_mut().unwrap().revoked = Some(Revoked {
                    since: Since::Unrecorded,
                    reason: None,
                })
            },
            &["card_revoked"],
        ),
        (
            "revoked after the time judged",
            |f| {
                f.card.as_mut().unwrap().revoked = Some(Revoked {
                    since: Since::At(NOW + 1),
                    reason: None,
                })
            },
            &[],
        ),
        (
            "superseded",
            |f| f.card.as_mut().unwrap().superseded = Some(Since::At(NOW)),
            &["card_superseded"],
        ),
        (
            "superseded later",
            |f| f.card.as_mut().unwrap().superseded = Some(Since::At(NOW + 1)),
            &[],
        ),
        (
            "expired at the second",
            |f| f.card.as_mut().unwrap().expires_at = NOW,
            &["card_expired"],
        ),
        (
            "another patient's",
            |f| f.authorisation = Err(NotAuthorised::NotThisPatients),
            &["medicine_not_authorised"],
        ),
        (
            "authorisation ended yesterday",
            |f| f.authorisation.as_mut().unwrap().valid_until = Date(19_999),
            &["authorisation_expired"],
        ),
        (
            "authorisation ends today",
            |f| f.authorisation.as_mut().unwrap().valid_until = Date(20_000),
            &[],
        ),
        ("one too many", |f| f.quantity = 31, &["over_quantity"]),
        ("none", |f| f.quantity = 0, &["over_quantity"]),
        (
            "all done",
            |f| {
                f.earlier = Earlier {
                    count: 3,
                    nearest: Some(NOW - 100 * DAY),
                }
            },
            &["over_count"],
        ),
        (
            "a second too soon",
            |f| {
                f.earlier = Earlier {
                    count: 1,
                    nearest: Some(NOW - 28 * DAY + 1),
                }
            },
            &["too_soon"],
        ),
        (
            "exactly the interval",
            |f| {
                f.earlier = Earlier {
                    count: 1,
                    nearest: Some(NOW - 28 * DAY),
                }
            },
            &[],
        ),
        (
            "a later one within the interval (offline, sent late)",
            |f| {
                f.earlier = Earlier {
                    count: 1,
                    nearest: Some(NOW + 3 * DAY),
                }
            },
            &["too_soon"],
        ),
    ];
    for (i, (name, change, want)) in cases.iter().enumerate() {
        let mut f = facts();
        change(&mut f);
        assert_eq!(codes(&f), *want, "case {i}: {name}");
    }
}

#[test]
fn every_broken_rule_is_listed_in_order() {
    let mut f = facts();
    f.card.as_mut().unwrap().revoked = Some(Revoked {
        since: Since::Unrecorded,
        reason: None,
    });
    f.card.as_mut().unwrap().superseded = Some(Since::At(NOW - 5));
    f.card.as_mut().unwrap().expires_at = NOW - 1;
    f.authorisation.as_mut().unwrap().valid_until = Date(1);
    f.quantity = 99;
    f.earlier = Earlier {
        count: 3,
        nearest: Some(NOW),
    };
    assert_eq!(
        codes(&f),
        [
            "card_revoked",
            "card_superseded",
            "card_expired",
            "authorisation_expired",
            "over_quantity",
            "over_count",
            "too_soon"
        ]
    );
}

#[test]
fn offline_records_a_conflict_but_refuses_what_cannot_be_recorded() {
    let mut f = facts();
    f.quantity = 31;
    assert_eq!(
        judge(&f).offline().map(|c| c.map(|r| r.code())),
        Ok(Some("over_quantity"))
    );
    // A card conflict does not hide an authorisation that is not the patient's.
    f.card.as_mut().unwrap().expires_at = NOW;
    f.authorisation = Err(NotAuthorised::Withdrawn);
    assert_eq!(
        judge(&f).offline().map_err(|r| r.code()),
        Err("medicine_not_authorised")
    );
    f.card = None;
    assert_eq!(
        judge(&f).offline().map_err(|r| r.code()),
        Err("card_unknown")
    );
}

#[test]
fn messages_name_the_limit_and_never_the_patient() {
    let mut f = facts();
    f.earlier = Earlier {
        count: 1,
        nearest: Some(NOW - 27 * DAY),
    };
    let verdict = judge(&f);
    let refusal = verdict.first().unwrap();
    // 20,000 - 27 + 28 days since 1970-01-01 is 2024-10-05.
    assert_eq!(
        refusal.to_string(),
        "the next dispensing is allowed from 2024-10-05"
    );
    f.quantity = 40;
    assert_eq!(
        judge(&f).first().unwrap().to_string(),
        "at most 30 per dispensing"
    );
}

#[test]
fn earlier_from_times_counts_and_finds_the_nearest() {
    let e = Earlier::from_times([NOW - 40 * DAY, NOW + 2 * DAY, NOW - 3 * DAY], NOW);
    assert_eq!(e.count, 3);
    assert_eq!(e.nearest, Some(NOW + 2 * DAY));
    assert_eq!(Earlier::from_times([], NOW), Earlier::default());
}

proptest! {
    /// The interval rule is the registry's conditional claim (`last + interval <= now`
    /// allows) for any dispensing after the last one.
    #[test]
    fn interval_rule_matches_the_claim(gap in 0i64..100 * DAY, interval_days in 0i64..60) {
        let mut f = facts();
        f.authorisation.as_mut().unwrap().interval_days = interval_days;
        f.earlier = Earlier { count: 1, nearest: Some(NOW - gap) };
        let claim_allows = NOW - gap + interval_days * DAY <= NOW;
        prop_assert_eq!(judge(&f).is_allowed(), claim_allows);
    }

    /// Judging never panics, whatever the numbers.
    #[test]
    fn judging_any_facts_is_total(
        at in any::<i64>(), expires in any::<i64>(), since in any::<i64>(),
        quantity in any::<u32>(), max in any::<u32>(), count in any::<i64>(),
        dispensings in any::<i64>(), interval in any::<i64>(), nearest in any::<Option<i64>>(),
        valid in any::<i32>(),
    ) {
        let f = Facts {
            at,
            card: Some(Card {
                issued_at: Some(since),
                expires_at: expires,
                revoked: Some(Revoked { since: Since::At(since), reason: None }),
                superseded: Some(Since::At(since)),
            }),
            authorisation: Ok(Authorisation {
                authorised_at: Some(since), quantity: max, dispensings, interval_days: interval, valid_until: Date(valid),
            }),
            quantity,
            earlier: Earlier { count, nearest },
        };
        let _ = judge(&f);
    }
}
