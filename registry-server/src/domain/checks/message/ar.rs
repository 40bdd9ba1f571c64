//! The Arabic text of messages.

use card_format::model::Sex;

use super::super::select::Site;
use super::super::tables::{tables, Flag, Item};
use super::super::{Check, Outcome};
use super::{combine, join_codes, Absent, DateField, Kind, Value};

/// The check's name in Arabic messages.
fn label(check: Check) -> &'static str {
    match check {
        Check::TopographyCode => "رمز الموقع",
        Check::MorphologyCode => "رمز النوع النسيجي",
        Check::BehaviourCode => "رمز السلوك",
        Check::GradeCode => "رمز الدرجة",
        Check::BasisCode => "رمز أساس التشخيص",
        Check::BasisMorphology => "أساس التشخيص/النوع النسيجي",
        Check::GradeMorphology => "الدرجة/السلوك/النوع النسيجي",
        Check::AgeAtIncidence => "العمر عند الإصابة",
        Check::AgeTopography => "العمر/الموقع",
        Check::AgeMorphology => "العمر/النوع النسيجي",
        Check::AgeTopographyMorphology => "العمر/الموقع/النوع النسيجي",
        Check::SexTopography => "الجنس/الموقع",
        Check::SexMorphology => "الجنس/النوع النسيجي",
        Check::TopographyMorphology => "الموقع/النوع النسيجي",
        Check::TopographyBehaviour => "الموقع/السلوك",
        Check::MorphologyBehaviour => "النوع النسيجي/السلوك",
        Check::DateOrder => "ترتيب التواريخ",
    }
}

fn with_name(text: String, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{text} ({name})"),
        None => text,
    }
}

impl Value {
    pub(super) fn ar(&self) -> String {
        let t = tables();
        match self {
            Value::Sex(sex) => match sex {
                Sex::Male => "الجنس ذكر".into(),
                Sex::Female => "الجنس أنثى".into(),
                Sex::NotKnown => "الجنس غير معروف".into(),
                Sex::NotApplicable => "الجنس غير منطبق".into(),
            },
            Value::Age(age) => format!("العمر {age}"),
            Value::Topography(code) => match Site::parse(code) {
                Some(site) => with_name(
                    format!("الموقع {code}"),
                    t.topography
                        .contains_key(&site)
                        .then(|| t.groups.get(&site.group).map(|g| g.name_ar))
                        .flatten(),
                ),
                None => format!("الموقع «{code}»"),
            },
            Value::Histology(h) => format!("النوع النسيجي {h}"),
            Value::Morphology(h, b) => format!("النوع النسيجي {h}/{b}"),
            Value::Behaviour(b) => with_name(
                format!("السلوك {b}"),
                t.code(Item::Behaviour, *b).map(|c| c.name_ar),
            ),
            Value::Grade(g) => with_name(
                format!("الدرجة {g}"),
                t.code(Item::Grade, *g).map(|c| c.name_ar),
            ),
            Value::Basis(b) => with_name(
                format!("أساس التشخيص {b}"),
                t.code(Item::Basis, *b).map(|c| c.name_ar),
            ),
            Value::Date(field, date) => {
                let field = match field {
                    DateField::Birth => "تاريخ الميلاد",
                    DateField::Incidence => "تاريخ الإصابة",
                    DateField::LastContact => "تاريخ آخر اتصال",
                    DateField::Death => "تاريخ الوفاة",
                };
                format!("{field} {date}")
            }
            Value::Absent(Absent::Birth) => "تاريخ الميلاد غير مسجل".into(),
            Value::Absent(Absent::Age) => "العمر عند الإصابة غير معروف".into(),
            Value::Absent(Absent::Grade) => "الدرجة غير مسجلة".into(),
        }
    }
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Query => "غير مرجّح",
        Outcome::Rare => "نادر",
        Outcome::Invalid => "غير ممكن",
        Outcome::Ok | Outcome::Missing => "مُنبَّه عليه",
    }
}

impl Kind {
    pub(super) fn ar(&self) -> String {
        let t = tables();
        match self {
            Kind::Passed { check, values } => {
                let values: Vec<String> = values.iter().map(Value::ar).collect();
                format!("{}: يجتاز فحص {}", values.join("، "), label(*check))
            }
            Kind::NotRecorded { check, value } => {
                format!("{}: تعذّر إجراء فحص {}", value.ar(), label(*check))
            }
            Kind::NotValid { check, value } => {
                format!("{} غير صالح: تعذّر إجراء فحص {}", value.ar(), label(*check))
            }
            Kind::InvalidCode { value } => {
                let list = |item| join_codes(&t.codes_of(item, None), "، ");
                let what = match value {
                    Value::Topography(_) => "رمز موقع في ICD-O-3".to_string(),
                    Value::Behaviour(_) => {
                        format!("رمز سلوك في ICD-O-3 ({})", list(Item::Behaviour))
                    }
                    Value::Grade(_) => format!("رمز درجة في ICD-O-3 ({})", list(Item::Grade)),
                    Value::Basis(_) => {
                        format!("رمزاً لأساس التشخيص لدى IARC ({})", list(Item::Basis))
                    }
                    _ => "رمزاً نسيجياً في ICD-O-3".to_string(),
                };
                format!("{} ليس {what}", value.ar())
            }
            Kind::Combination {
                values,
                outcome,
                ages,
            } => {
                let mut out = format!(
                    "{} {}",
                    combine(values, Value::ar, " مع ", " و"),
                    outcome_word(*outcome)
                );
                match ages {
                    Some((from, Some(to))) => {
                        out.push_str(&format!(" (تنبّه IARC إلى الأعمار من {from} إلى {to})"));
                    }
                    Some((from, None)) => {
                        out.push_str(&format!(" (تنبّه IARC إلى الأعمار من {from} فما فوق)"));
                    }
                    None => {}
                }
                out
            }
            Kind::BasisNotMicroscopic { morphology, basis } => format!(
                "{} مع {}: يُتوقع إثبات النوع النسيجي المحدد بفحص خلوي أو نسيجي (أساس التشخيص {})",
                morphology.ar(),
                basis.ar(),
                join_codes(&t.codes_of(Item::Basis, Some(Flag::Microscopic)), " أو ")
            ),
            Kind::GradeNotMalignant { grade, behaviour } => format!(
                "{} لورم ذي {}: لا يأخذ درجةً غير 9 إلا الورم الخبيث",
                grade.ar(),
                behaviour.ar()
            ),
            Kind::GradeMissing { behaviour } => format!(
                "الدرجة غير مسجلة لورم ذي {}: سجّلها، أو 9 إن لم تُحدَّد",
                behaviour.ar()
            ),
            Kind::GradeMorphology {
                grade,
                morphology,
                allowed,
            } => format!(
                "{} مع {} غير ممكنة: هذا النوع النسيجي يأخذ الدرجة {} أو 9",
                grade.ar(),
                morphology.ar(),
                join_codes(allowed, " أو ")
            ),
            Kind::IncidenceBeforeBirth { birth, incidence } => format!(
                "تاريخ الإصابة {incidence} يسبق تاريخ الميلاد {birth}: لا يمكن حساب العمر عند الإصابة"
            ),
            Kind::AgeOver { age, limit } => {
                format!("العمر {age} عند الإصابة يتجاوز {limit}: تحقّق من تاريخي الميلاد والإصابة")
            }
            Kind::SiteOutsideProfile {
                morphology,
                topography,
                sites,
                ..
            } => format!(
                "{} مع {} نادر: لا تُتوقع هذه العائلة النسيجية إلا في {}",
                morphology.ar(),
                topography.ar(),
                sites
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("، ")
            ),
            Kind::SiteExcluded {
                morphology,
                topography,
                ..
            } => format!(
                "{} مع {} نادر: لا تُتوقع هذه العائلة النسيجية في هذا الموقع",
                morphology.ar(),
                topography.ar()
            ),
            Kind::BehaviourNotListed {
                histology,
                behaviour,
                listed,
            } => format!(
                "{} غير مرجّح: لا يذكر ICD-O-3 النوع النسيجي {histology} إلا بالسلوك {}",
                Value::Morphology(*histology, *behaviour).ar(),
                join_codes(listed, " أو ")
            ),
            Kind::DateOrder { earlier, later } => {
                format!("{} يسبق {}", later.ar(), earlier.ar())
            }
        }
    }
}
