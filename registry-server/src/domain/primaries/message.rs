//! The English and Arabic explanation of a [`Verdict`](super::Verdict), naming the tumours'
//! codes, their organ groups (Table 1) and histology groups (Table 2).

use serde::Serialize;

use super::tables::{HistologyGroup, OrganGroup};
use super::{Rule, Tumour};

/// The explanation of a verdict: English with [`Message::en`], Arabic with [`Message::ar`].
/// Serialised as `{"en": "...", "ar": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    en: String,
    ar: String,
}

impl Message {
    /// The message in English, e.g. `same tumour: C50.4 8500/3 and C50.1 8500/3 are in the
    /// same organ, C50 (Breast), with the same histology group, 3 (Adenocarcinoma) ...`.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The message in Arabic.
    pub fn ar(&self) -> &str {
        &self.ar
    }
}

/// What a message is about: one tumour, with what the tables say of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Side<'a> {
    pub(super) tumour: &'a Tumour<'a>,
    pub(super) organ: Option<OrganGroup>,
    pub(super) histology: Option<HistologyGroup>,
}

impl Side<'_> {
    fn code(&self) -> String {
        format!(
            "{} {}/{}",
            self.tumour.topography, self.tumour.morphology, self.tumour.behaviour
        )
    }

    fn organ_en(&self) -> String {
        match self.organ {
            Some(o) => format!("{} ({})", o.code, o.name),
            None => format!("{} (not in Table 1)", self.tumour.topography),
        }
    }

    fn organ_ar(&self) -> String {
        match self.organ {
            Some(o) => format!("{} ({})", o.code, o.name_ar),
            None => format!("{} (غير موجود في الجدول 1)", self.tumour.topography),
        }
    }

    fn histology_en(&self) -> String {
        match self.histology {
            Some(h) => format!("{} ({})", h.number, h.name),
            None => format!(
                "none ({} is in no group of Table 2)",
                self.tumour.morphology
            ),
        }
    }

    fn histology_ar(&self) -> String {
        match self.histology {
            Some(h) => format!("{} ({})", h.number, h.name_ar),
            None => format!(
                "لا شيء ({} ليس في أي مجموعة من الجدول 2)",
                self.tumour.morphology
            ),
        }
    }
}

/// The message of `rule` for the new tumour against an existing one (`old` is `None` for
/// [`Rule::FirstTumour`]).
pub(super) fn message(rule: Rule, new: &Side<'_>, old: Option<&Side<'_>>) -> Message {
    let Some(old) = old else {
        return Message {
            en: format!(
                "new primary: {} is the patient's first tumour (organ {}, histology group {})",
                new.code(),
                new.organ_en(),
                new.histology_en()
            ),
            ar: format!(
                "ورم أولي جديد: {} هو أول ورم للمريض (العضو {}، المجموعة النسيجية {})",
                new.code(),
                new.organ_ar(),
                new.histology_ar()
            ),
        };
    };
    let (n, o) = (new.code(), old.code());
    let (no_en, oo_en, no_ar, oo_ar) = (
        new.organ_en(),
        old.organ_en(),
        new.organ_ar(),
        old.organ_ar(),
    );
    let (nh_en, oh_en, nh_ar, oh_ar) = (
        new.histology_en(),
        old.histology_en(),
        new.histology_ar(),
        old.histology_ar(),
    );
    let reference = rule.reference();
    let (en, ar) = match rule {
        Rule::FirstTumour => (String::new(), String::new()),
        Rule::SameOrganSameHistology => (
            format!("same tumour: {n} and {o} are in the same organ, {no_en}, with the same histology group, {nh_en}; only one tumour is counted in an organ ({reference})"),
            format!("الورم نفسه: {n} و{o} في العضو نفسه {no_ar} ومن المجموعة النسيجية نفسها {nh_ar}؛ لا يُحسب إلا ورم واحد في العضو ({reference})"),
        ),
        Rule::UnspecifiedHistologySameOrgan => (
            format!("same tumour: {n} (histology group {nh_en}) and {o} (histology group {oh_en}) are in the same organ, {no_en}; an unspecified histology is not counted as different from another in the same organ ({reference})"),
            format!("الورم نفسه: {n} (المجموعة النسيجية {nh_ar}) و{o} (المجموعة النسيجية {oh_ar}) في العضو نفسه {no_ar}؛ لا يُعدّ النسيج غير المحدد مختلفاً عن غيره في العضو نفسه ({reference})"),
        ),
        Rule::DifferentOrgan => (
            format!("new primary: {n} is in organ {no_en}, {o} in organ {oo_en} (histology groups {nh_en} and {oh_en}) ({reference})"),
            format!("ورم أولي جديد: {n} في العضو {no_ar}، و{o} في العضو {oo_ar} (المجموعتان النسيجيتان {nh_ar} و{oh_ar}) ({reference})"),
        ),
        Rule::DifferentHistologyGroup => (
            format!("new primary: {n} is in histology group {nh_en}, {o} in group {oh_en}; neoplasms of different histology groups are separate cancers, even in the same organ (organs {no_en} and {oo_en}) ({reference})"),
            format!("ورم أولي جديد: {n} من المجموعة النسيجية {nh_ar}، و{o} من المجموعة {oh_ar}؛ الأورام من مجموعات نسيجية مختلفة سرطانات منفصلة ولو في العضو نفسه (العضوان {no_ar} و{oo_ar}) ({reference})"),
        ),
        Rule::SystemicOncePerPerson => (
            format!("same tumour: {n} and {o} are both in the systemic histology group {nh_en}, counted once per person whatever the site ({reference})"),
            format!("الورم نفسه: {n} و{o} كلاهما من المجموعة النسيجية الجهازية {nh_ar}، وتُحسب مرة واحدة لكل شخص أياً كان الموقع ({reference})"),
        ),
        Rule::UnspecifiedHaematopoietic => (
            format!("same tumour: {n} (histology group {nh_en}) and {o} (histology group {oh_en}) are haematopoietic neoplasms, one of unspecified type; counted once per person ({reference})"),
            format!("الورم نفسه: {n} (المجموعة النسيجية {nh_ar}) و{o} (المجموعة النسيجية {oh_ar}) من أورام الأنسجة المكونة للدم، أحدهما غير محدد النوع؛ يُحسب مرة واحدة لكل شخص ({reference})"),
        ),
        Rule::UnknownSite => (
            format!("review: {n} (organ {no_en}) and {o} (organ {oo_en}) have compatible histology groups ({nh_en}, {oh_en}) but a primary site is unknown, so the organ rule cannot decide ({reference})"),
            format!("للمراجعة: {n} (العضو {no_ar}) و{o} (العضو {oo_ar}) من مجموعتين نسيجيتين متوافقتين ({nh_ar}، {oh_ar}) لكن الموقع الأولي غير معروف، فلا تستطيع قاعدة العضو الحسم ({reference})"),
        ),
        Rule::IllDefinedSite => (
            format!("review: {n} (organ {no_en}) and {o} (organ {oo_en}) have compatible histology groups ({nh_en}, {oh_en}) but a site is ill-defined (C76), so the organ rule cannot decide ({reference})"),
            format!("للمراجعة: {n} (العضو {no_ar}) و{o} (العضو {oo_ar}) من مجموعتين نسيجيتين متوافقتين ({nh_ar}، {oh_ar}) لكن أحد الموقعين غير محدد جيداً (C76)، فلا تستطيع قاعدة العضو الحسم ({reference})"),
        ),
        Rule::InSituAndInvasive => (
            format!("review: {n} and {o} are in the same organ, {no_en}, one in situ (behaviour 2) and one invasive (behaviour 3); the rules count invasive cancers and do not say whether the invasive one is the same tumour ({reference})"),
            format!("للمراجعة: {n} و{o} في العضو نفسه {no_ar}، أحدهما موضعي (السلوك 2) والآخر غازٍ (السلوك 3)؛ القواعد تحسب السرطانات الغازية ولا تقول هل الغازي هو الورم نفسه ({reference})"),
        ),
        Rule::NotPrimaryBehaviour => (
            format!("review: {n} or {o} has behaviour 6 (metastatic) or 9 (uncertain whether primary or metastatic); a metastasis is not a primary cancer and its primary must be found ({reference})"),
            format!("للمراجعة: {n} أو {o} سلوكه 6 (نقيلي) أو 9 (غير مؤكد أنه أولي أم نقيلي)؛ النقيلة ليست سرطاناً أولياً ويجب تحديد الورم الأولي ({reference})"),
        ),
        Rule::NotMalignant => (
            format!("review: {n} or {o} has behaviour 0 (benign) or 1 (uncertain); the rules are for malignant neoplasms ({reference})"),
            format!("للمراجعة: {n} أو {o} سلوكه 0 (حميد) أو 1 (غير مؤكد)؛ القواعد خاصة بالأورام الخبيثة ({reference})"),
        ),
        Rule::HistologyNotGrouped => (
            format!("review: the histology of {n} (group {nh_en}) or of {o} (group {oh_en}) is in no group of Table 2 ({reference})"),
            format!("للمراجعة: نسيج {n} (المجموعة {nh_ar}) أو نسيج {o} (المجموعة {oh_ar}) ليس في أي مجموعة من الجدول 2 ({reference})"),
        ),
        Rule::TopographyNotGrouped => (
            format!("review: the topography of {n} (organ {no_en}) or of {o} (organ {oo_en}) is not an ICD-O-3 site of Table 1 ({reference})"),
            format!("للمراجعة: موقع {n} (العضو {no_ar}) أو موقع {o} (العضو {oo_ar}) ليس موقعاً من مواقع ICD-O-3 في الجدول 1 ({reference})"),
        ),
        Rule::TablesUnavailable => (
            format!("review: the multiple-primary tables failed to load, so {n} cannot be judged against {o} ({reference})"),
            format!("للمراجعة: تعذّر تحميل جداول الأورام الأولية المتعددة، فلا يمكن الحكم على {n} مقابل {o} ({reference})"),
        ),
    };
    Message { en, ar }
}
