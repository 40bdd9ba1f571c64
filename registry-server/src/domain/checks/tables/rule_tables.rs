//! The rule tables: age, sex, grade, basis and behaviour/site rules.

use card_format::model::Sex;

use super::super::select::{MorphSel, TopoSel};
use super::super::{Check, Outcome};
use super::{
    number, rows, AgeRule, BasisRule, BehaviourSite, GradeRule, Item, SexRule, Source, TableError,
    Tables,
};

impl Tables {
    pub(super) fn parse_age_rules(&self, src: &Source) -> Result<Vec<AgeRule>, TableError> {
        let columns = [
            "check",
            "age_from",
            "age_to",
            "topography",
            "morphology",
            "outcome",
        ];
        let mut out = Vec::new();
        for (n, [check, from, to, topography, morphology, outcome]) in rows(src, columns)? {
            let check = match Check::from_code(check) {
                Some(
                    c @ (Check::AgeTopography
                    | Check::AgeMorphology
                    | Check::AgeTopographyMorphology),
                ) => c,
                _ => return Err(src.error(n, format!("{check:?} is not an age check"))),
            };
            let from = number(from).map_err(|e| src.error(n, e))?;
            let to = match to {
                "*" => None,
                to => Some(number(to).map_err(|e| src.error(n, e))?),
            };
            if to.is_some_and(|to| to < from) {
                return Err(src.error(n, "age_to is below age_from"));
            }
            let morphology = MorphSel::parse(morphology).map_err(|e| src.error(n, e))?;
            self.check_families(&morphology, src, n)?;
            out.push(AgeRule {
                check,
                from,
                to,
                topography: TopoSel::parse(topography).map_err(|e| src.error(n, e))?,
                morphology,
                outcome: parse_outcome(outcome).map_err(|e| src.error(n, e))?,
            });
        }
        Ok(out)
    }

    pub(super) fn parse_sex_rules(&self, src: &Source) -> Result<Vec<SexRule>, TableError> {
        let columns = [
            "check",
            "sex",
            "topography",
            "morphology",
            "behaviour",
            "outcome",
        ];
        let mut out = Vec::new();
        for (n, [check, sex, topography, morphology, behaviour, outcome]) in rows(src, columns)? {
            let check = match Check::from_code(check) {
                Some(c @ (Check::SexTopography | Check::SexMorphology)) => c,
                _ => return Err(src.error(n, format!("{check:?} is not a sex check"))),
            };
            let sex = match sex {
                "male" => Sex::Male,
                "female" => Sex::Female,
                _ => return Err(src.error(n, format!("sex {sex:?} is not male or female"))),
            };
            let behaviours = match behaviour {
                "*" => None,
                list => Some(
                    list.split(' ')
                        .map(|b| self.behaviour(b, src, n))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let morphology = MorphSel::parse(morphology).map_err(|e| src.error(n, e))?;
            self.check_families(&morphology, src, n)?;
            out.push(SexRule {
                check,
                sex,
                topography: TopoSel::parse(topography).map_err(|e| src.error(n, e))?,
                morphology,
                behaviours,
                outcome: parse_outcome(outcome).map_err(|e| src.error(n, e))?,
            });
        }
        Ok(out)
    }

    pub(super) fn parse_grade_rules(&self, src: &Source) -> Result<Vec<GradeRule>, TableError> {
        let mut out = Vec::new();
        for (n, [morphology, grades]) in rows(src, ["morphology", "grades"])? {
            let morphology = MorphSel::parse(morphology).map_err(|e| src.error(n, e))?;
            self.check_families(&morphology, src, n)?;
            let grades = grades
                .split(' ')
                .map(|g| {
                    let g = number(g).map_err(|e| src.error(n, e))?;
                    match self.code(Item::Grade, g) {
                        Some(_) => Ok(g),
                        None => Err(src.error(n, format!("grade {g} is not in codes.tsv"))),
                    }
                })
                .collect::<Result<Vec<u8>, _>>()?;
            out.push(GradeRule { morphology, grades });
        }
        let uncovered = self
            .morphology
            .iter()
            .find(|(m, f)| !out.iter().any(|r| r.morphology.matches(**m, **f)));
        if let Some((m, _)) = uncovered {
            return Err(src.error(0, format!("no rule for morphology {m}")));
        }
        Ok(out)
    }

    pub(super) fn parse_basis_rules(&self, src: &Source) -> Result<Vec<BasisRule>, TableError> {
        let mut out = Vec::new();
        for (n, [morphology, topography]) in rows(src, ["morphology", "topography"])? {
            let morphology = MorphSel::parse(morphology).map_err(|e| src.error(n, e))?;
            self.check_families(&morphology, src, n)?;
            out.push(BasisRule {
                morphology,
                topography: TopoSel::parse(topography).map_err(|e| src.error(n, e))?,
            });
        }
        Ok(out)
    }

    pub(super) fn parse_behaviour_sites(
        &self,
        src: &Source,
    ) -> Result<Vec<BehaviourSite>, TableError> {
        let mut out = Vec::new();
        for (n, [behaviour, topography, outcome]) in
            rows(src, ["behaviour", "topography", "outcome"])?
        {
            out.push(BehaviourSite {
                behaviour: self.behaviour(behaviour, src, n)?,
                topography: TopoSel::parse(topography).map_err(|e| src.error(n, e))?,
                outcome: parse_outcome(outcome).map_err(|e| src.error(n, e))?,
            });
        }
        Ok(out)
    }
}

/// The outcome a rule gives when it flags: query, rare or invalid.
fn parse_outcome(text: &str) -> Result<Outcome, String> {
    match text {
        "query" => Ok(Outcome::Query),
        "rare" => Ok(Outcome::Rare),
        "invalid" => Ok(Outcome::Invalid),
        _ => Err(format!("outcome {text:?} is not query, rare or invalid")),
    }
}
