//! Unit tests of small-cell suppression at the registry's threshold of 5.

use super::*;

#[test]
fn zero_is_shown_one_to_four_are_suppressed_five_is_shown() {
    assert_eq!(suppress(0, THRESHOLD), Cell::Shown(0));
    assert_eq!(suppress(1, THRESHOLD), Cell::Suppressed);
    assert_eq!(suppress(4, THRESHOLD), Cell::Suppressed);
    assert_eq!(suppress(5, THRESHOLD), Cell::Shown(5));
    assert_eq!(suppress(1_000, THRESHOLD), Cell::Shown(1_000));
    assert_eq!(suppress(4, THRESHOLD).shown(), None);
    assert_eq!(suppress(5, THRESHOLD).shown(), Some(5));
}

#[test]
fn thresholds_that_suppress_nothing() {
    assert_eq!(suppress(1, 1), Cell::Shown(1));
    assert_eq!(suppress(1, 0), Cell::Shown(1));
    assert_eq!(note(1), None);
    assert_eq!(note(0), None);
}

#[test]
fn the_note_under_a_table() {
    assert_eq!(NOTE, "cells of fewer than 5 cases are not shown");
    assert_eq!(note(THRESHOLD).as_deref(), Some(NOTE));
    assert_eq!(
        note(10).as_deref(),
        Some("cells of fewer than 10 cases are not shown")
    );
}
