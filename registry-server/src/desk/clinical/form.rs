//! A clinical form's fields, parsed straight into the domain's [`Draft`] (digits in any
//! script, dates, the names of enumerations), each field that does not parse marked on the
//! form; a record's data back into a form's values; a domain error placed on its field.

use std::collections::HashMap;

use card_format::model::{Allergy, Date, Stage, Treatment, Tumour};

use super::super::{parse_date, FormState, Lang};
use crate::domain::clinical::{Draft, Kind, MedicineInput};

/// Reads a form's fields into typed values, marking each field that does not parse.
struct Fields<'a> {
    f: &'a mut FormState,
    lang: Lang,
}

impl Fields<'_> {
    /// A required text field.
    fn text(&mut self, name: &str) -> String {
        match self.f.opt(name) {
            Some(v) => v,
            None => {
                let message = super::super::patients::invalid_message(self.lang, name);
                self.f.fail(name, message);
                String::new()
            }
        }
    }

    /// A whole number in any digit script, `None` when left empty; out of `T`'s range is
    /// the field's own message.
    fn number<T: TryFrom<u64>>(&mut self, name: &str) -> Option<T> {
        let text = self.f.opt(name)?;
        let Some(n) = super::super::parse_number::<u64>(&text) else {
            self.f.fail(name, self.lang.t("invalid.number"));
            return None;
        };
        let value = T::try_from(n).ok();
        if value.is_none() {
            let message = self
                .lang
                .try_t(&format!("invalid.{name}"))
                .unwrap_or(self.lang.t("invalid.number"));
            self.f.fail(name, message);
        }
        value
    }

    /// A required whole number.
    fn required_number<T: TryFrom<u64> + Default>(&mut self, name: &str) -> T {
        if self.f.opt(name).is_none() {
            let message = self.lang.t("invalid.number");
            self.f.fail(name, message);
        }
        self.number(name).unwrap_or_default()
    }

    /// A date `YYYY-MM-DD` in any digit script, `None` when left empty.
    fn date(&mut self, name: &str) -> Option<Date> {
        let text = self.f.opt(name)?;
        let date = parse_date(&text);
        if date.is_none() {
            self.f.fail(name, self.date_message(name));
        }
        date
    }

    /// A required date.
    fn required_date(&mut self, name: &str) -> Date {
        if self.f.opt(name).is_none() {
            self.f.fail(name, self.date_message(name));
        }
        self.date(name).unwrap_or(Date(0))
    }

    /// The field's own message for a bad date (`invalid.valid_until`), else the general one.
    fn date_message(&self, name: &str) -> &'static str {
        self.lang
            .try_t(&format!("invalid.{name}"))
            .unwrap_or(self.lang.t("invalid.date"))
    }

    /// The name of one of an enumeration's values (its API name), `None` when left empty.
    fn choice<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let text = self.f.opt(name)?;
        let value = serde_json::from_value(serde_json::Value::String(text)).ok();
        if value.is_none() {
            let message = super::super::patients::invalid_message(self.lang, name);
            self.f.fail(name, message);
        }
        value
    }

    /// A required choice.
    fn required_choice<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        if self.f.opt(name).is_none() {
            let message = super::super::patients::invalid_message(self.lang, name);
            self.f.fail(name, message);
        }
        self.choice(name)
    }
}

/// The draft a form of `kind` holds, or `None` with every field that does not parse marked.
pub(super) fn draft_of(kind: Kind, lang: Lang, f: &mut FormState) -> Option<Draft> {
    let mut x = Fields { f, lang };
    let draft = match kind {
        Kind::Tumour => {
            let stage = match x.f.opt("stage_scheme") {
                None => None,
                Some(_) => x.choice("stage_scheme").map(|scheme| Stage {
                    scheme,
                    t: x.f.opt("stage_t"),
                    n: x.f.opt("stage_n"),
                    m: x.f.opt("stage_m"),
                    group: x.text("stage_group"),
                }),
            };
            Draft::Tumour(Tumour {
                icd10: x.text("icd10"),
                topography: x.text("topography"),
                morphology: x.required_number("morphology"),
                behaviour: x.required_number("behaviour"),
                grade: x.number("grade"),
                basis: x.required_number("basis"),
                incidence: x.required_date("incidence"),
                stage,
                // Derived from the site, morphology and age (domain::clinical::derived).
                iccc: None,
            })
        }
        Kind::Treatment => {
            let kind = x.required_choice("kind");
            Draft::Treatment(Treatment {
                regimen: x.f.opt("regimen"),
                cycles: x.number("cycles"),
                start: x.required_date("start"),
                end: x.date("end"),
                kind: kind?,
            })
        }
        Kind::Allergy => {
            let severity = x.required_choice("severity");
            Draft::Allergy(Allergy {
                substance: x.text("substance"),
                kind: x.choice("kind"),
                severity: severity?,
            })
        }
        Kind::Medicine => {
            let form = x.required_choice("form");
            Draft::Medicine(MedicineInput {
                atc: x.text("atc"),
                name: x.text("name"),
                strength: x.text("strength"),
                quantity: x.required_number("quantity"),
                dispensings: x.required_number("dispensings"),
                interval_days: x.required_number("interval_days"),
                valid_until: x.required_date("valid_until"),
                form: form?,
            })
        }
    };
    (!f.has_errors()).then_some(draft)
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The form values of a record's current data (what the correction form starts from).
pub(super) fn values_of(draft: &Draft) -> HashMap<String, String> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match draft {
        Draft::Tumour(t) => {
            out.extend([
                ("icd10", t.icd10.clone()),
                ("topography", t.topography.clone()),
                ("morphology", t.morphology.to_string()),
                ("behaviour", t.behaviour.to_string()),
                ("grade", t.grade.map(|g| g.to_string()).unwrap_or_default()),
                ("basis", t.basis.to_string()),
                ("incidence", t.incidence.to_string()),
            ]);
            if let Some(s) = &t.stage {
                out.extend([
                    ("stage_scheme", name_of(&s.scheme)),
                    ("stage_t", opt(&s.t)),
                    ("stage_n", opt(&s.n)),
                    ("stage_m", opt(&s.m)),
                    ("stage_group", s.group.clone()),
                ]);
            }
        }
        Draft::Treatment(t) => out.extend([
            ("kind", name_of(&t.kind)),
            ("regimen", opt(&t.regimen)),
            (
                "cycles",
                t.cycles.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("start", t.start.to_string()),
            ("end", t.end.map(|d| d.to_string()).unwrap_or_default()),
        ]),
        Draft::Allergy(a) => out.extend([
            ("substance", a.substance.clone()),
            ("severity", name_of(&a.severity)),
            ("kind", a.kind.as_ref().map(name_of).unwrap_or_default()),
        ]),
        Draft::Medicine(m) => out.extend([
            ("atc", m.atc.clone()),
            ("name", m.name.clone()),
            ("strength", m.strength.clone()),
            ("form", name_of(&m.form)),
            ("quantity", m.quantity.to_string()),
            ("dispensings", m.dispensings.to_string()),
            ("interval_days", m.interval_days.to_string()),
            ("valid_until", m.valid_until.to_string()),
        ]),
    }
    out.into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The fields of each form, in order (the first is where an unplaceable error goes).
fn fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Tumour => &[
            "icd10",
            "topography",
            "morphology",
            "behaviour",
            "grade",
            "basis",
            "incidence",
            "stage_scheme",
            "stage_t",
            "stage_n",
            "stage_m",
            "stage_group",
        ],
        Kind::Treatment => &["kind", "regimen", "cycles", "start", "end"],
        Kind::Allergy => &["substance", "severity", "kind"],
        Kind::Medicine => &[
            "atc",
            "name",
            "strength",
            "form",
            "quantity",
            "dispensings",
            "interval_days",
            "valid_until",
        ],
    }
}

/// Places a domain validation error on the form field it names.
/// Shows record-check findings: each message beside the first form field it is about (the
/// patient's dates and sex beside the incidence date), and, for queries and rare findings, a
/// box per check to confirm it.
pub(super) fn place_findings(
    lang: Lang,
    f: &mut FormState,
    findings: &[crate::domain::checks::Finding],
    confirmable: bool,
) {
    for finding in findings {
        let message = match lang {
            Lang::Ar => finding.message.ar(),
            Lang::En => finding.message.en(),
        };
        let field = finding
            .fields
            .iter()
            .find(|n| {
                [
                    "topography",
                    "morphology",
                    "behaviour",
                    "grade",
                    "basis",
                    "incidence",
                ]
                .contains(n)
            })
            .copied()
            .unwrap_or("incidence");
        f.also_fail(field, &message);
        if confirmable {
            let code = finding.check.code().to_string();
            f.confirmations.push((code, message));
        }
    }
}

pub(super) fn place_error(kind: Kind, lang: Lang, f: &mut FormState, field: &str) {
    let mut path = field;
    for prefix in ["data.", "tumour.", "treatment.", "allergy.", "medicine."] {
        path = path.strip_prefix(prefix).unwrap_or(path);
    }
    let name = path.replace("stage.", "stage_");
    let name = name.split(['.', '[']).next().unwrap_or_default();
    let known = fields(kind);
    let field = known
        .iter()
        .find(|k| **k == name)
        .or(known.first())
        .copied()
        .unwrap_or("reason");
    let message = match field {
        "incidence" | "start" | "end" => lang.t("invalid.date"),
        "morphology" | "behaviour" | "grade" | "basis" | "cycles" | "quantity" | "dispensings"
        | "interval_days" => lang
            .try_t(&format!("invalid.{field}"))
            .unwrap_or(lang.t("invalid.number")),
        other => super::super::patients::invalid_message(lang, other),
    };
    f.fail(field, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(prefix: &'static str, pairs: &[(&str, &str)]) -> FormState {
        let mut f = FormState::new(prefix);
        for (k, v) in pairs {
            f.values.insert((*k).into(), (*v).into());
        }
        f
    }

    #[test]
    fn a_tumour_form_becomes_a_draft_with_ascii_digits() {
        let mut f = form(
            "tu",
            &[
                ("icd10", "C50.4"),
                ("topography", "C50.4"),
                ("morphology", "٨٥٠٠"),
                ("behaviour", "3"),
                ("basis", "7"),
                ("incidence", "٢٠٢٥-٠٩-٠٣"),
                ("stage_scheme", "tnm8"),
                ("stage_group", "IIB"),
            ],
        );
        let Some(Draft::Tumour(t)) = draft_of(Kind::Tumour, Lang::En, &mut f) else {
            panic!("{:?}", f.errors);
        };
        assert_eq!(t.morphology, 8500);
        assert_eq!(t.incidence.to_string(), "2025-09-03");
        assert_eq!(t.stage.map(|s| s.group), Some("IIB".to_string()));
    }

    #[test]
    fn a_number_that_is_not_one_is_marked() {
        let mut f = form("me", &[("quantity", "thirty")]);
        assert!(draft_of(Kind::Medicine, Lang::Ar, &mut f).is_none());
        assert_eq!(f.err("quantity"), Some(Lang::Ar.t("invalid.number")));
    }

    #[test]
    fn unknown_names_and_bad_dates_are_marked_on_their_fields() {
        let mut f = form(
            "tr",
            &[("kind", "magic"), ("start", "2025-13-01"), ("cycles", "2")],
        );
        assert!(draft_of(Kind::Treatment, Lang::En, &mut f).is_none());
        assert!(f.has_err("kind"));
        assert_eq!(f.err("start"), Some(Lang::En.t("invalid.date")));
        assert!(!f.has_err("cycles"));
    }

    #[test]
    fn a_record_shown_for_correction_parses_back_to_itself() {
        let mut f = form(
            "al",
            &[
                ("substance", "penicillin"),
                ("severity", "severe"),
                ("kind", "allergy"),
            ],
        );
        let draft = draft_of(Kind::Allergy, Lang::En, &mut f).unwrap();
        let mut again = FormState::with_values("co", values_of(&draft));
        assert_eq!(draft_of(Kind::Allergy, Lang::En, &mut again), Some(draft));
    }

    #[test]
    fn domain_errors_land_on_their_fields() {
        let mut f = FormState::new("tu");
        place_error(Kind::Tumour, Lang::En, &mut f, "tumour.stage.group");
        assert!(f.has_err("stage_group"));
        place_error(Kind::Medicine, Lang::En, &mut f, "medicine.valid_until");
        assert!(f.has_err("valid_until"));
    }
}
