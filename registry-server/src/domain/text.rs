//! The one rule for text a person types into the registry (issue #15): correction and
//! withdrawal reasons, display names, facility names, municipalities. After trimming it is
//! 1 to `max` characters with no hidden character: no control character (NUL, tab, line
//! feed...), no zero-width character, no bidi mark, embedding, override or isolate
//! ([`card_format::model::validate::is_hidden_char`], the rule every text of a card follows,
//! names included, so a reason can no more hide or reorder what a reader sees than a card
//! can). The error names the field and the rule, never the value.

use super::{Error, Result};
pub use card_format::model::validate::is_hidden_char;

/// Checks one line of free text (the caller trims it where it keeps it).
///
/// # Errors
/// [`Error::Validation`] on `field`: empty after trimming, longer than `max` characters, or
/// holding a hidden character.
pub fn check(field: &str, value: &str, max: usize) -> Result<()> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(is_hidden_char) {
        return Err(Error::invalid(field, rule(max)));
    }
    Ok(())
}

/// The rule as the error states it.
pub fn rule(max: usize) -> String {
    format!("1 to {max} characters, without control, invisible or bidi characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_follows_the_card_text_rule() {
        assert!(check("reason", "  typing error in the birth date ", 200).is_ok());
        assert!(check("reason", "خطأ في تاريخ الميلاد", 200).is_ok());
        for bad in [
            "",
            "   ",
            "a\0b",
            "line one\nline two",
            "tab\there",
            "zero\u{200B}width",
            "joiner\u{200D}",
            "order \u{202E}desrever",
            "isolate \u{2066}x\u{2069}",
            "bom\u{FEFF}",
        ] {
            let e = check("reason", bad, 200).unwrap_err();
            assert!(
                matches!(&e, Error::Validation { field, message }
                    if field == "reason" && message.as_str() == rule(200)),
                "{bad:?}: {e:?}"
            );
        }
        assert!(check("reason", &"x".repeat(200), 200).is_ok());
        assert!(check("reason", &"x".repeat(201), 200).is_err());
    }
}
