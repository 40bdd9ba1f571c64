//! What a form was submitted with and what was wrong with it, so a page can show every value
//! again and each error beside its field.

use std::collections::HashMap;

/// The values a form was submitted with and the errors found, by field name; templates
/// re-show every value typed and each error beside its field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    /// Prefix of the fields' element ids (several forms share a page).
    pub prefix: &'static str,
    /// Values by field name.
    pub values: HashMap<String, String>,
    /// Error messages (already in the page language) by field name.
    pub errors: HashMap<String, String>,
    /// Record checks the user may confirm: code and message (in the page language).
    pub confirmations: Vec<(String, String)>,
}

impl FormState {
    /// An empty form whose element ids start with `prefix`.
    pub fn new(prefix: &'static str) -> FormState {
        FormState {
            prefix,
            ..FormState::default()
        }
    }

    /// A form holding `values`.
    pub fn with_values(prefix: &'static str, values: HashMap<String, String>) -> FormState {
        FormState {
            prefix,
            values,
            errors: HashMap::new(),
            confirmations: Vec::new(),
        }
    }

    /// The value typed in `field` (empty when none).
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// The trimmed value of `field`, None when empty.
    pub fn opt(&self, field: &str) -> Option<String> {
        let v = self.v(field).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Whether `field`'s value is `option` (for `<select>`).
    pub fn is(&self, field: &str, option: &str) -> bool {
        self.v(field) == option
    }

    /// The error of `field`, if any.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Whether `field` has an error.
    pub fn has_err(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    /// Whether any field has an error.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Records an error for `field` (the first one found stays).
    pub fn fail(&mut self, field: &str, message: &str) {
        self.errors
            .entry(field.to_string())
            .or_insert_with(|| message.to_string());
    }

    /// Adds a message to `field`'s error, after any it has.
    pub fn also_fail(&mut self, field: &str, message: &str) {
        let entry = self.errors.entry(field.to_string()).or_default();
        if !entry.is_empty() {
            entry.push_str(" · ");
        }
        entry.push_str(message);
    }
}
