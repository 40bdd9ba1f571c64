//! The regimen table of the demand forecast: which medicines a newly diagnosed case will
//! need, keyed by ICD-10 site, ICD-O-3 morphology and stage group, as an editable CSV file
//! (`registry-server/data/regimens.csv` is built in; `--regimens FILE` replaces it). The
//! file's own comment lines say what each column means; its figures are labelled as sample
//! figures for planning tests, not a clinical protocol.
//!
//! [`Regimens::parse`] checks the whole file and refuses it at the first bad line, naming
//! it; [`Regimens::for_case`] gives every row a case matches (a regimen of two medicines is
//! two rows, and every row that matches counts).

#[cfg(test)]
mod tests;

use card_format::model::validate::is_atc_substance;
use card_format::model::DoseForm;

/// Largest regimen file, bytes.
pub const MAX_BYTES: usize = 1024 * 1024;

/// The built-in table.
pub const BUILT_IN: &str = include_str!("../../../data/regimens.csv");

/// One medicine of a regimen.
#[derive(Debug, Clone, PartialEq)]
pub struct Regimen {
    /// First ICD-10 category, e.g. `C18`.
    pub site_from: String,
    /// Last ICD-10 category (the same for one category).
    pub site_to: String,
    /// Morphology codes, inclusive (`None`: any).
    pub morphology: Option<(u16, u16)>,
    /// Stage group prefix (`None`: any stage, known or not).
    pub stage: Option<String>,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form (`snake_case` name).
    pub form: String,
    /// Fraction of such new cases that receive it.
    pub share: f64,
    /// Units a case receives each month while on it.
    pub units_per_month: u64,
    /// Months a case stays on it.
    pub months: u32,
}

/// The table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Regimens {
    /// Its rows, in file order.
    pub rows: Vec<Regimen>,
}

/// Why a regimen file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("regimen file line {line}: {message}")]
pub struct RegimenError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn is_category(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 3 && matches!(b[0], b'C' | b'D') && b[1].is_ascii_digit() && b[2].is_ascii_digit()
}

impl Regimens {
    /// Parses a regimen file: `#` lines and blank lines are comments; the first other line
    /// is the header, exactly `site,morphology,stage,atc,strength,form,share,units_per_month,months`.
    ///
    /// # Errors
    /// The first line that does not fit, with its number.
    pub fn parse(text: &str) -> Result<Regimens, RegimenError> {
        if text.len() > MAX_BYTES {
            return Err(RegimenError {
                line: 0,
                message: format!("larger than {MAX_BYTES} bytes"),
            });
        }
        let mut rows = Vec::new();
        let mut header = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let bad = |message: String| RegimenError { line, message };
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if !header {
                if l != "site,morphology,stage,atc,strength,form,share,units_per_month,months" {
                    return Err(bad("expected the header site,morphology,stage,atc,strength,form,share,units_per_month,months".into()));
                }
                header = true;
                continue;
            }
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let [site, morphology, stage, atc, strength, form, share, units, months] = f[..] else {
                return Err(bad(format!("{} fields, expected 9", f.len())));
            };
            let (site_from, site_to) = site.split_once('-').unwrap_or((site, site));
            if !is_category(site_from) || !is_category(site_to) || site_from > site_to {
                return Err(bad(format!(
                    "site {site:?}: an ICD-10 category such as C50, or a range C18-C20"
                )));
            }
            let morphology = if morphology == "*" {
                None
            } else {
                let (a, b) = morphology
                    .split_once('-')
                    .unwrap_or((morphology, morphology));
                match (a.parse::<u16>(), b.parse::<u16>()) {
                    (Ok(a), Ok(b)) if (8000..=9999).contains(&a) && a <= b && b <= 9999 => {
                        Some((a, b))
                    }
                    _ => {
                        return Err(bad(format!(
                            "morphology {morphology:?}: * or a range such as 9800-9989"
                        )))
                    }
                }
            };
            let stage = match stage {
                "*" => None,
                s if !s.is_empty()
                    && s.len() <= 4
                    && s.chars().all(|c| matches!(c, 'I' | 'V' | 'A' | 'B' | 'C')) =>
                {
                    Some(s.to_owned())
                }
                s => {
                    return Err(bad(format!(
                        "stage {s:?}: * or a stage group such as II or IIIB"
                    )))
                }
            };
            if !is_atc_substance(atc) {
                return Err(bad(format!("atc {atc:?}: a 7-character WHO ATC code")));
            }
            let strength = strength.split_whitespace().collect::<Vec<_>>().join(" ");
            if strength.is_empty() || strength.chars().count() > 24 {
                return Err(bad("strength: 1 to 24 characters".into()));
            }
            if !DoseForm::CODES.contains(&form) {
                return Err(bad(format!(
                    "form {form:?}: one of {}",
                    DoseForm::CODES.join(", ")
                )));
            }
            let share: f64 = share
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=1.0).contains(s))
                .ok_or_else(|| bad(format!("share {share:?}: a fraction from 0 to 1")))?;
            let units_per_month: u64 = units
                .parse()
                .ok()
                .filter(|u| (1..=100_000).contains(u))
                .ok_or_else(|| bad(format!("units_per_month {units:?}: 1 to 100000")))?;
            let months: u32 = months
                .parse()
                .ok()
                .filter(|m| (1..=120).contains(m))
                .ok_or_else(|| bad(format!("months {months:?}: 1 to 120")))?;
            rows.push(Regimen {
                site_from: site_from.to_owned(),
                site_to: site_to.to_owned(),
                morphology,
                stage,
                atc: atc.to_owned(),
                strength,
                form: form.to_owned(),
                share,
                units_per_month,
                months,
            });
        }
        if !header {
            return Err(RegimenError {
                line: 0,
                message: "no header line".into(),
            });
        }
        Ok(Regimens { rows })
    }

    /// The built-in table.
    ///
    /// # Panics
    /// Never: a test parses the built-in file.
    pub fn built_in() -> Regimens {
        Regimens::parse(BUILT_IN).unwrap_or_default()
    }

    /// Every row a case of `icd10` (e.g. `C50.4`), `morphology` and `stage` group matches.
    pub fn for_case<'a>(
        &'a self,
        icd10: &'a str,
        morphology: u16,
        stage: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Regimen> + 'a {
        let category = icd10.get(..3).unwrap_or("");
        self.rows.iter().filter(move |r| {
            r.site_from.as_str() <= category
                && category <= r.site_to.as_str()
                && r.morphology
                    .is_none_or(|(a, b)| (a..=b).contains(&morphology))
                && r.stage.as_deref().is_none_or(|want| {
                    stage.is_some_and(|s| s.starts_with(want) && stage_prefix_ok(s, want))
                })
        })
    }
}

/// `II` matches `II`, `IIA`, `IIB` but not `III`: the character after the prefix must not
/// be another `I` or `V`.
fn stage_prefix_ok(stage: &str, prefix: &str) -> bool {
    !matches!(stage[prefix.len()..].chars().next(), Some('I' | 'V'))
}
