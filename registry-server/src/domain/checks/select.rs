//! The small vocabulary the tables are written in: topography codes, morphology families, and
//! the selectors that name sets of topographies and morphologies.
//!
//! - a topography code is `C` + two digits + `.` + one digit, as stored on a tumour (`C50.9`);
//! - a topography selector is `*` (any) or a space-separated list of groups (`C53`) and codes
//!   (`C38.4`);
//! - a morphology selector is `*` (any) or a space-separated list of codes (`9510`), inclusive
//!   ranges (`8140-8149`) and families (`+22`, `-02`), optionally preceded by `!`, which
//!   negates the whole list;
//! - a family is `*` (no site profile), `+NN` (specific site-profile) or `-NN` (inverse
//!   site-profile).

use std::fmt;

/// A topography code: its group (the two digits, `50` of `C50.9`) and subsite (`9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Site {
    pub group: u8,
    pub sub: u8,
}

impl Site {
    /// Parses the stored form, `C50.9`, exactly (no lower case, no missing dot).
    pub fn parse(text: &str) -> Option<Site> {
        match text.as_bytes() {
            [b'C', g1, g2, b'.', s] if g1.is_ascii_digit() && g2.is_ascii_digit() => {
                s.is_ascii_digit().then(|| Site {
                    group: (g1 - b'0') * 10 + (g2 - b'0'),
                    sub: s - b'0',
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{:02}.{}", self.group, self.sub)
    }
}

/// One entry of a topography list: a whole group or one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteToken {
    Group(u8),
    Code(Site),
}

impl SiteToken {
    /// `C53` or `C38.4`.
    pub fn parse(text: &str) -> Result<SiteToken, String> {
        if let Some(site) = Site::parse(text) {
            return Ok(SiteToken::Code(site));
        }
        match text.as_bytes() {
            [b'C', g1, g2] if g1.is_ascii_digit() && g2.is_ascii_digit() => {
                Ok(SiteToken::Group((g1 - b'0') * 10 + (g2 - b'0')))
            }
            _ => Err(format!(
                "{text:?} is neither a topography group (C53) nor a code (C53.9)"
            )),
        }
    }

    pub fn matches(self, site: Site) -> bool {
        match self {
            SiteToken::Group(g) => site.group == g,
            SiteToken::Code(code) => site == code,
        }
    }
}

impl fmt::Display for SiteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteToken::Group(g) => write!(f, "C{g:02}"),
            SiteToken::Code(site) => site.fmt(f),
        }
    }
}

/// A set of topographies: any, or those of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopoSel(Option<Vec<SiteToken>>);

impl TopoSel {
    pub fn parse(text: &str) -> Result<TopoSel, String> {
        if text == "*" {
            return Ok(TopoSel(None));
        }
        let tokens = text
            .split(' ')
            .map(SiteToken::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TopoSel(Some(tokens)))
    }

    pub fn matches(&self, site: Site) -> bool {
        self.0
            .as_ref()
            .is_none_or(|tokens| tokens.iter().any(|t| t.matches(site)))
    }
}

/// The family of a morphology in the site/morphology check (TR42 Appendix 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    /// `*`: no site profile (group 1).
    Any,
    /// `+NN`: expected only at the sites listed for it (group 2).
    Must(u8),
    /// `-NN`: not expected at the sites listed for it (group 3).
    MustNot(u8),
}

impl Family {
    pub fn parse(text: &str) -> Result<Family, String> {
        let bad = || format!("{text:?} is not a family (*, +NN or -NN)");
        match text.as_bytes() {
            [b'*'] => Ok(Family::Any),
            [sign @ (b'+' | b'-'), d1, d2] if d1.is_ascii_digit() && d2.is_ascii_digit() => {
                let n = (d1 - b'0') * 10 + (d2 - b'0');
                if n == 0 {
                    Err(bad())
                } else if *sign == b'+' {
                    Ok(Family::Must(n))
                } else {
                    Ok(Family::MustNot(n))
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Family::Any => f.write_str("*"),
            Family::Must(n) => write!(f, "+{n:02}"),
            Family::MustNot(n) => write!(f, "-{n:02}"),
        }
    }
}

/// One entry of a morphology list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MorphToken {
    Range(u16, u16),
    Family(Family),
}

/// A set of morphologies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MorphSel {
    /// None: any morphology.
    tokens: Option<Vec<MorphToken>>,
    negated: bool,
}

/// Parses a four-digit histology code.
pub(crate) fn parse_histology(text: &str) -> Result<u16, String> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse()
            .map_err(|_| format!("{text:?} is not a histology code"))
    } else {
        Err(format!("{text:?} is not a four-digit histology code"))
    }
}

impl MorphSel {
    pub fn parse(text: &str) -> Result<MorphSel, String> {
        if text == "*" {
            return Ok(MorphSel {
                tokens: None,
                negated: false,
            });
        }
        let (negated, list) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let tokens = list
            .split(' ')
            .map(|t| {
                if t.starts_with(['+', '-']) {
                    return Family::parse(t).map(MorphToken::Family);
                }
                let (from, to) = t.split_once('-').unwrap_or((t, t));
                let (from, to) = (parse_histology(from)?, parse_histology(to)?);
                if from > to {
                    return Err(format!("range {t:?} runs backwards"));
                }
                Ok(MorphToken::Range(from, to))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MorphSel {
            tokens: Some(tokens),
            negated,
        })
    }

    /// Whether the selector takes `morphology`, whose family is `family`.
    pub fn matches(&self, morphology: u16, family: Family) -> bool {
        let Some(tokens) = &self.tokens else {
            return true;
        };
        let listed = tokens.iter().any(|t| match *t {
            MorphToken::Range(from, to) => (from..=to).contains(&morphology),
            MorphToken::Family(f) => f == family,
        });
        listed != self.negated
    }

    /// The families the selector names (so the tables can check that they exist).
    pub fn families(&self) -> impl Iterator<Item = Family> + '_ {
        self.tokens.iter().flatten().filter_map(|t| match *t {
            MorphToken::Family(f) => Some(f),
            MorphToken::Range(..) => None,
        })
    }
}
