//! The fields of a clinical record that are derived, never typed: a tumour's ICCC-3
//! subgroup ([`crate::domain::iccc`]) for a patient under 20 at incidence.

use card_format::model::{Date, Tumour};

use crate::domain::{iccc, Error, Result};

/// ICCC-3 classifies childhood cancers; registries extend it to adolescents (ages 0-19:
/// Steliarova-Foucher et al., Cancer 2005;103:1457, and IARC's IICC-3 series).
pub const ICCC_AGE_LIMIT: i32 = 20;

/// Completed years from `birth` to `day`, or `None` when either date is outside the
/// calendar or `day` is before `birth`.
pub fn age_in_years(birth: Date, day: Date) -> Option<i32> {
    let (by, bm, bd) = birth.to_ymd()?;
    let (y, m, d) = day.to_ymd()?;
    let age = y - by - i32::from((m, d) < (bm, bd));
    (age >= 0).then_some(age)
}

/// The tumour's ICCC-3 subgroup (`"IIIb"`) when the patient was under
/// [`ICCC_AGE_LIMIT`] at incidence and the table classifies it; else `None`.
pub fn iccc_of(tumour: &Tumour, birth: Date) -> Option<String> {
    let age = age_in_years(birth, tumour.incidence)?;
    if age >= ICCC_AGE_LIMIT {
        return None;
    }
    iccc::classify(&tumour.topography, tumour.morphology, tumour.behaviour).map(|c| c.code())
}

/// Fills the tumour's derived ICCC-3 subgroup. A body may leave `iccc` out or carry the
/// derived value (a client sending back what it read); another value is refused, so that
/// nobody believes a typed group was kept.
///
/// # Errors
/// [`Error::Validation`] on `{at}.iccc`.
pub fn derive_iccc(tumour: &mut Tumour, birth: Date, at: &str) -> Result<()> {
    let derived = iccc_of(tumour, birth);
    if let Some(typed) = &tumour.iccc {
        if Some(typed) != derived.as_ref() {
            let expected = derived.as_deref().unwrap_or("none");
            return Err(Error::invalid(
                format!("{at}.iccc"),
                format!(
                    "is derived from the site, morphology, behaviour and the age at incidence \
                     (here: {expected}); leave it out"
                ),
            ));
        }
    }
    tumour.iccc = derived;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse("d", text).unwrap()
    }

    fn tumour(site: &str, morphology: u16, incidence: &str) -> Tumour {
        Tumour {
            icd10: "C91.0".into(),
            topography: site.into(),
            morphology,
            behaviour: 3,
            grade: None,
            basis: 7,
            incidence: date(incidence),
            stage: None,
            iccc: None,
        }
    }

    #[test]
    fn age_counts_completed_years() {
        let birth = date("2010-06-15");
        assert_eq!(age_in_years(birth, date("2030-06-14")), Some(19));
        assert_eq!(age_in_years(birth, date("2030-06-15")), Some(20));
        assert_eq!(age_in_years(birth, date("2010-06-15")), Some(0));
        assert_eq!(age_in_years(birth, date("2010-06-14")), None);
        // Born on 29 February: a year is completed on 1 March in a common year.
        let leap = date("2012-02-29");
        assert_eq!(age_in_years(leap, date("2013-02-28")), Some(0));
        assert_eq!(age_in_years(leap, date("2013-03-01")), Some(1));
    }

    #[test]
    fn iccc_only_under_twenty() {
        // Precursor B lymphoblastic leukaemia (9836/3, bone marrow): ICCC-3 Ia.
        let t = tumour("C42.1", 9836, "2030-06-14");
        assert_eq!(iccc_of(&t, date("2010-06-15")).as_deref(), Some("Ia"));
        let t = tumour("C42.1", 9836, "2030-06-15");
        assert_eq!(iccc_of(&t, date("2010-06-15")), None);
    }

    #[test]
    fn a_typed_group_must_be_the_derived_one() {
        let birth = date("2015-01-01");
        // Retinoblastoma (9510/3, retina) in a child: V.
        let mut t = tumour("C69.2", 9510, "2018-03-01");
        derive_iccc(&mut t, birth, "tumour").unwrap();
        assert_eq!(t.iccc.as_deref(), Some("V"));
        // Sent back as read: accepted.
        derive_iccc(&mut t, birth, "tumour").unwrap();
        assert_eq!(t.iccc.as_deref(), Some("V"));
        // Typed otherwise: refused, naming the field and the derived value.
        t.iccc = Some("Ia".into());
        match derive_iccc(&mut t, birth, "tumour") {
            Err(Error::Validation { field, message }) => {
                assert_eq!(field, "tumour.iccc");
                assert!(message.contains("here: V"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // An adult's tumour has no ICCC-3 group, typed or not.
        let mut adult = tumour("C69.2", 9510, "2045-03-01");
        derive_iccc(&mut adult, birth, "tumour").unwrap();
        assert_eq!(adult.iccc, None);
    }
}
