//! The desk's languages and its message catalogue: every message in Arabic (the default) and
//! English.
//!
//! Templates and handlers name messages by key (`login.title`); [`Lang::t`] looks them up. A
//! key missing from the catalogue shows as the key itself (visible in review, never a panic),
//! and the unit tests check that every key a template uses exists with both languages.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Arabic, right to left: the default.
    #[default]
    Ar,
    /// English.
    En,
}

impl Lang {
    /// From the `lang` cookie's value; anything else is Arabic.
    pub fn from_code(code: &str) -> Lang {
        match code {
            "en" => Lang::En,
            _ => Lang::Ar,
        }
    }

    /// `ar` or `en` (the `lang` attribute and cookie value).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// `rtl` or `ltr`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::En,
            Lang::En => Lang::Ar,
        }
    }

    /// The message `key` in this language (the key itself when it is missing).
    pub fn t(self, key: &str) -> &str {
        match CATALOGUE.get(key) {
            Some((ar, en)) => match self {
                Lang::Ar => ar,
                Lang::En => en,
            },
            None => key,
        }
    }

    /// The message `key` if it exists.
    pub fn try_t(self, key: &str) -> Option<&'static str> {
        CATALOGUE.get(key).map(|(ar, en)| match self {
            Lang::Ar => *ar,
            Lang::En => *en,
        })
    }
}

static CATALOGUE: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| all().map(|(key, ar, en)| (*key, (*ar, *en))).collect());

/// Every message of the desk: [`MESSAGES`], then the statistics pages' own, then the
/// medicines-and-supplies pages'.
pub fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    MESSAGES
        .iter()
        .chain(statistics::MESSAGES)
        .chain(supply::MESSAGES)
        .chain(admin::MESSAGES)
        .chain(import::MESSAGES)
}

mod admin;
mod import;
mod statistics;
mod supply;

/// Every message but the statistics pages': key, Arabic, English.
#[rustfmt::skip]
pub const MESSAGES: &[(&str, &str, &str)] = &[
    // Chrome.
    ("app.title", "سجل الأورام", "Cancer registry"),
    ("app.desk", "مكتب السجل", "Registry desk"),
    ("lang.switch", "English", "العربية"),
    ("lang.switch.label", "تغيير اللغة", "Change language"),
    ("nav.home", "الرئيسية", "Home"),
    ("nav.patients", "المرضى", "Patients"),
    ("nav.register", "تسجيل مريض", "Register a patient"),
    ("nav.pharmacy", "الصيدلية", "Pharmacy"),
    ("nav.audit", "سجل التدقيق", "Audit log"),
    ("record.follow_up", "المتابعة والحالة الحيوية", "Follow-up and vital status"),
    ("record.add_follow_up", "تسجيل تواصل أو وفاة", "Record a contact or a death"),
    ("follow_up.last_contact", "آخر تواصل", "Last contact"),
    ("follow_up.vital_status", "الحالة الحيوية", "Vital status"),
    ("follow_up.death_date", "تاريخ الوفاة", "Date of death"),
    ("follow_up.death_cause", "سبب الوفاة (ICD-10)", "Cause of death (ICD-10)"),
    ("follow_up.recorded", "سُجّل في", "Recorded"),
    ("follow_up.saved", "سُجّلت المتابعة. الوفاة تلغي بطاقات المريض.", "Follow-up recorded. A death revokes the patient's cards."),
    (
        "follow_up.invalid_last_contact",
        "يجب أن يكون بين تاريخ الميلاد واليوم، ولا يتجاوز تاريخ الوفاة.",
        "Must be between the birth date and today, and not after the death.",
    ),
    (
        "follow_up.invalid_death_date",
        "مطلوب مع الوفاة فقط، بين تاريخ الميلاد واليوم.",
        "Only with dead, and between the birth date and today.",
    ),
    (
        "follow_up.invalid_death_cause",
        "مطلوب مع الوفاة فقط: رمز ICD-10 مثل C91.0.",
        "Only with dead: an ICD-10 code such as C91.0.",
    ),
    ("vital.alive", "على قيد الحياة", "Alive"),
    ("vital.dead", "متوفى", "Dead"),
    ("vital.lost", "انقطعت المتابعة", "Lost to follow-up"),
    ("nav.recheck", "إعادة فحص السجلات", "Re-check records"),
    ("nav.statistics", "الإحصاءات", "Statistics"),
    ("nav.duplicates", "السجلات المكررة", "Duplicate records"),
    ("dup.title", "مرضى قد يكونون مسجلين مرتين", "Patients who may be registered twice"),
    ("dup.intro", "أزواج وجدها البحث عن التكرار عند التسجيل أو عند الطلب، الأعلى درجة أولاً. الدمج ينقل الأورام والعلاجات والأدوية والمتابعة والبطاقات إلى السجل المحتفظ به، ويلغي بطاقة السجل المدموج، ويمكن للمدقق التراجع عنه.", "Pairs found by the duplicate search at registration or on request, highest score first. A merge moves tumours, treatments, medicines, follow-up and cards to the record kept, supersedes the merged record's card, and can be undone by an auditor."),
    ("dup.none", "لا توجد أزواج تنتظر المراجعة.", "No pair is waiting for review."),
    ("dup.pair", "زوج", "Pair"),
    ("dup.score", "الدرجة", "Score"),
    ("dup.record_a", "السجل أ", "Record A"),
    ("dup.record_b", "السجل ب", "Record B"),
    ("dup.identifier", "الرقم", "Identifier"),
    ("dup.reason", "سبب الدمج أو التراجع", "Reason for the merge or its undoing"),
    ("dup.keep_a", "شخص واحد: الاحتفاظ بالسجل أ", "One person: keep record A"),
    ("dup.keep_b", "شخص واحد: الاحتفاظ بالسجل ب", "One person: keep record B"),
    ("dup.distinct", "شخصان مختلفان", "Two different people"),
    ("dup.merges", "آخر عمليات الدمج", "Latest merges"),
    ("dup.merged_at", "التاريخ", "Date"),
    ("dup.survivor", "السجل المحتفظ به", "Record kept"),
    ("dup.merged", "السجل المدموج", "Record merged"),
    ("dup.moved", "ما نُقل", "Moved"),
    ("dup.open_record", "فتح السجل", "Open record"),
    ("dup.undone", "تم التراجع", "undone"),
    ("dup.in_force", "ساري", "in force"),
    ("dup.unmerge", "التراجع عن الدمج", "Undo the merge"),
    ("dup.distinct_done", "سُجّل أنهما شخصان مختلفان.", "Recorded as two different people."),
    ("dup.unmerged_done", "تم التراجع عن الدمج.", "The merge was undone."),
    ("dup.found_done", "انتهى البحث عن التكرار؛ الأزواج الموجودة أدناه.", "The duplicate search ran; the pairs found are below."),
    ("dup.reason_required", "اكتب السبب (من 1 إلى 200 حرف).", "Give the reason (1 to 200 characters)."),
    ("dup.merged_done", "تم الدمج: بطاقة السجل المدموج لم تعد سارية.", "Merged: the merged record's card is no longer current."),
    ("dup.merged_into", "هذا السجل مدموج في سجل آخر؛ لا يُكتب فيه بعد الآن.", "This record was merged into another; nothing more is written to it."),
    ("dup.open_survivor", "فتح السجل المحتفظ به", "Open the record kept"),
    ("dup.pending", "قد يكون هذا المريض مسجلاً مرة أخرى:", "This patient may be registered again:"),
    ("dup.review", "مراجعة الأزواج", "Review the pairs"),
    ("dup.find", "البحث عن سجلات مكررة", "Find duplicate records"),
    ("conflict.patient_merged", "هذا السجل مدموج في سجل آخر.", "This record was merged into another."),
    ("conflict.already_unmerged", "تم التراجع عن هذا الدمج من قبل.", "This merge was undone already."),
    ("conflict.merged_again", "نُقلت سجلات هذا الدمج بدمج لاحق: تراجع عن ذلك أولاً.", "Rows of this merge moved on in a later merge: undo that one first."),
    ("recheck.title", "الأورام المسجلة التي لا تجتاز فحوص السجل", "Stored tumours that fail the record checks"),
    ("recheck.checked", "الأورام النشطة المفحوصة", "Active tumours checked"),
    ("recheck.failing", "لا تجتاز", "Failing"),
    ("recheck.none", "كل الأورام المسجلة تجتاز الفحوص.", "Every stored tumour passes the checks."),
    ("recheck.tumour", "الورم", "Tumour"),
    ("recheck.check", "الفحص", "Check"),
    ("recheck.outcome", "النتيجة", "Result"),
    ("recheck.message", "السبب", "Why"),
    ("recheck.outcome_invalid", "غير صالح", "invalid"),
    ("recheck.outcome_query", "استفسار", "query"),
    ("recheck.outcome_rare", "نادر", "rare"),
    ("nav.main", "القائمة الرئيسية", "Main menu"),
    ("nav.skip", "انتقل إلى المحتوى", "Skip to content"),
    ("user.signed_in_as", "المستخدم", "Signed in as"),
    ("user.sign_out", "تسجيل الخروج", "Sign out"),
    ("role.admin", "مدير النظام", "administrator"),
    ("role.registrar", "موظف التسجيل", "registrar"),
    ("role.clinician", "طبيب", "clinician"),
    ("role.pharmacist", "صيدلي", "pharmacist"),
    ("role.insurer", "جهة التأمين", "insurer"),
    ("role.auditor", "مدقق", "auditor"),
    ("role.statistician", "إحصائي", "statistician"),
    ("common.save", "حفظ", "Save"),
    ("common.search", "بحث", "Search"),
    ("common.version", "الإصدار", "Version"),
    ("common.status", "الحالة", "Status"),
    ("common.actions", "إجراءات", "Actions"),
    ("common.none", "لا يوجد", "None"),
    ("common.back", "رجوع", "Back"),
    ("common.yes", "نعم", "Yes"),
    ("common.no", "لا", "No"),
    ("common.reason", "السبب", "Reason"),
    ("common.busy", "جارٍ التنفيذ…", "Working…"),
    ("common.fix_errors", "يرجى تصحيح الحقول المشار إليها.", "Please correct the fields marked below."),
    ("status.active", "سارية", "active"),
    ("status.withdrawn", "مسحوبة", "withdrawn"),
    ("status.superseded", "مستبدلة", "superseded"),
    ("status.revoked", "ملغاة", "revoked"),
    ("status.valid", "صالحة", "valid"),
    ("status.expired", "منتهية", "expired"),
    // Home.
    ("home.title", "مرحباً", "Welcome"),
    ("home.intro", "اختر عملاً من القائمة.", "Choose a task from the menu."),
    ("home.nothing", "لا توجد صفحات في المكتب لهذا الدور؛ استخدم واجهة البرمجة أو card-agent.", "The desk has no pages for this role; use the API or card-agent."),
    // Sign-in.
    ("login.title", "تسجيل الدخول", "Sign in"),
    ("login.username", "اسم المستخدم", "Username"),
    ("login.password", "كلمة المرور", "Password"),
    ("login.submit", "دخول", "Sign in"),
    ("login.failed", "اسم المستخدم أو كلمة المرور غير صحيحة.", "Wrong username or password."),
    ("login.rate_limited", "محاولات كثيرة فاشلة. انتظر ١٥ دقيقة ثم حاول مرة أخرى.", "Too many failed attempts. Wait 15 minutes and try again."),
    ("login.expired", "انتهت صلاحية النموذج. أعد المحاولة.", "The form expired. Please try again."),
    ("login.signed_out", "تم تسجيل الخروج.", "You are signed out."),
    ("login.session_ended", "انتهت الجلسة. سجّل الدخول مرة أخرى.", "Your session ended. Please sign in again."),
    // Errors.
    ("error.title", "خطأ", "Error"),
    ("error.forbidden.title", "غير مسموح", "Not allowed"),
    ("error.forbidden", "دورك لا يسمح بهذه الصفحة أو هذا الإجراء.", "Your role may not use this page or do this."),
    ("error.csrf", "تعذّر التحقق من النموذج (رمز الحماية مفقود أو خاطئ). أعد تحميل الصفحة وحاول مجدداً. لم يتغير شيء.", "The form could not be verified (missing or wrong security token). Reload the page and try again. Nothing was changed."),
    ("error.not_found", "غير موجود.", "Not found."),
    ("error.bad_request", "طلب غير صالح. لم يتغير شيء.", "The request is not valid. Nothing was changed."),
    ("error.too_large", "الملف كبير جداً (الحد ٥ ميغابايت). لم يتغير شيء.", "The file is too large (at most 5 MB). Nothing was changed."),
    ("error.internal", "تعذّر على السجل إكمال الطلب. حاول مرة أخرى.", "The registry could not complete the request. Try again."),
    ("error.storage_full", "قرص السجل ممتلئ، ولم يُحفظ شيء. أبلغ مسؤول النظام ليحرّر مساحة، ثم حاول مرة أخرى.", "The registry's disk is full, and nothing was saved. Tell the system administrator to free space, then try again."),
    ("error.database_unavailable", "قاعدة بيانات السجل لا تستجيب الآن، ولم يُحفظ شيء. حاول مرة أخرى بعد دقيقة.", "The registry's database is not answering right now, and nothing was saved. Try again in a minute."),
    ("error.home", "العودة إلى الرئيسية", "Back to the home page"),
    ("conflict.stale_version", "تغيّر السجل منذ قراءته أو سُحب. أعد فتح الصفحة وأعد التصحيح.", "The record changed since it was read, or was withdrawn. Reopen the page and correct it again."),
    ("conflict.duplicate_identifier", "يوجد مريض مسجل بهذا المعرّف.", "A patient with this identifier is already registered."),
    ("conflict.already_revoked", "البطاقة ملغاة مسبقاً.", "The card is already revoked."),
    ("conflict.card_too_full", "السجل يحتوي أكثر مما تتسع له البطاقة.", "The record holds more than a card can carry."),
    ("conflict.concurrent_issue", "أُصدرت بطاقة أخرى لهذا المريض في اللحظة نفسها؛ أعد المحاولة.", "Another card was issued for this patient at the same moment; try again."),
    // Search.
    ("search.title", "البحث عن مريض", "Find a patient"),
    ("search.by_identifier", "بالمعرّف", "By identifier"),
    ("search.by_name", "بالاسم", "By name"),
    ("search.identifier", "رقم المعرّف", "Identifier"),
    ("search.id_type", "نوع المعرّف", "Identifier type"),
    ("search.name", "الاسم (بالعربية أو اللاتينية)", "Name (Arabic or Latin)"),
    ("search.results", "النتائج", "Results"),
    ("search.no_results", "لا يوجد مريض مطابق.", "No matching patient."),
    ("search.more", "نتائج أخرى", "More results"),
    ("search.give_one", "اكتب معرّفاً أو اسماً.", "Type an identifier or a name."),
    // Identity fields.
    ("field.id_type", "نوع المعرّف", "Identifier type"),
    ("field.id_value", "رقم المعرّف", "Identifier"),
    ("field.name_ar", "الاسم بالعربية", "Name in Arabic"),
    ("field.name_latin", "الاسم بالحروف اللاتينية", "Name in Latin letters"),
    ("field.part1", "الاسم", "Given name"),
    ("field.part2", "اسم الأب", "Father's name"),
    ("field.part3", "اسم الجد", "Grandfather's name"),
    ("field.part4", "اللقب", "Family name"),
    ("field.sex", "الجنس", "Sex"),
    ("field.birth_date", "تاريخ الميلاد", "Birth date"),
    ("field.blood_group", "فصيلة الدم", "Blood group"),
    ("field.municipality", "البلدية", "Municipality"),
    ("field.region", "المنطقة", "Region"),
    ("field.region_hint", "east أو west أو south", "east, west or south"),
    ("field.phone", "الهاتف", "Phone"),
    ("field.insurance_scheme", "جهة التأمين", "Insurance scheme"),
    ("field.insurance_member_id", "رقم العضوية", "Member number"),
    ("field.date_hint", "بالصيغة سنة-شهر-يوم، مثل ١٩٧٣-٠٤-١٢", "As year-month-day, e.g. 1973-04-12"),
    ("field.optional", "اختياري", "optional"),
    ("idtype.national", "الرقم الوطني", "National number"),
    ("idtype.passport", "جواز السفر", "Passport"),
    ("idtype.family_book", "كتيب العائلة", "Family book"),
    ("idtype.registry", "رقم السجل", "Registry number"),
    ("sex.male", "ذكر", "Male"),
    ("sex.female", "أنثى", "Female"),
    ("sex.not_known", "غير معروف", "Not known"),
    ("sex.not_applicable", "لا ينطبق", "Not applicable"),
    ("register.title", "تسجيل مريض جديد", "Register a new patient"),
    ("register.submit", "تسجيل", "Register"),
    ("register.propose", "اقترح الاسم اللاتيني", "Propose the Latin name"),
    ("register.proposal", "الاسم اللاتيني المقترح (التهجئة الشائعة أو ICAO 9303):", "Proposed Latin name (usual spelling, or ICAO 9303):"),
    ("register.latin_hint", "اتركه فارغاً ليُقترح من الاسم العربي.", "Leave empty to have it proposed from the Arabic name."),
    ("register.done", "تم تسجيل المريض.", "The patient is registered."),
    ("register.warning", "تنبيه", "Warning"),
    // Validation.
    ("invalid.required", "هذا الحقل مطلوب.", "This field is required."),
    ("invalid.generic", "القيمة غير صالحة.", "This value is not valid."),
    ("invalid.id_value", "المعرّف غير صالح: الرقم الوطني ١٢ رقماً.", "Not a valid identifier: a national number has 12 digits."),
    ("invalid.birth_date", "تاريخ غير صالح: اكتبه سنة-شهر-يوم، ولا يكون في المستقبل.", "Not a valid date: write it as year-month-day, not in the future."),
    ("invalid.date", "تاريخ غير صالح: اكتبه سنة-شهر-يوم.", "Not a valid date: write it as year-month-day."),
    ("invalid.number", "اكتب عدداً صحيحاً.", "Type a whole number."),
    ("invalid.name_ar", "اكتب الاسم بالحروف العربية (جزءان على الأقل).", "Write the name in Arabic letters (at least two parts)."),
    ("invalid.name_latin", "اكتب الاسم بالحروف اللاتينية.", "Write the name in Latin letters."),
    ("invalid.phone", "من ٧ إلى ١٦ رقماً، ويمكن أن يبدأ بـ +.", "7 to 16 digits, optionally starting with +."),
    ("invalid.reason", "اكتب سبباً (حتى ٢٠٠ حرف).", "Give a reason (up to 200 characters)."),
    ("invalid.topography", "رمز الموقع ICD-O-3 من C00.0 إلى C80.9.", "An ICD-O-3 site code, C00.0 to C80.9."),
    ("invalid.icd10", "رمز ICD-10 مثل C50.4.", "An ICD-10 code such as C50.4."),
    ("invalid.morphology", "رمز النسيج من ٨٠٠٠ إلى ٩٩٩٣.", "A histology code, 8000 to 9993."),
    ("invalid.valid_until", "تاريخ غير صالح أو منقضٍ.", "Not a valid date, or already past."),
    ("invalid.atc", "رمز ATC من المستوى الخامس، مثل L02BA01.", "A level-5 ATC code such as L02BA01."),
    // Record.
    ("record.title", "سجل المريض", "Patient record"),
    ("record.identity", "الهوية", "Identity"),
    ("record.tumours", "الأورام", "Tumours"),
    ("record.treatments", "العلاجات", "Treatments"),
    ("record.medicines", "الأدوية المصرّح بها", "Authorised medicines"),
    ("record.allergies", "الحساسية", "Allergies"),
    ("record.cards", "البطاقات", "Cards"),
    ("record.history", "السجل السابق", "History"),
    ("record.correct", "تصحيح", "Correct"),
    ("record.add_tumour", "إضافة ورم", "Add a tumour"),
    ("record.add_treatment", "إضافة علاج", "Add a treatment"),
    ("record.add_medicine", "تصريح دواء", "Authorise a medicine"),
    ("record.add_allergy", "إضافة حساسية", "Add an allergy"),
    ("record.saved", "تم الحفظ.", "Saved."),
    ("record.no_history", "لا توجد إصدارات سابقة.", "No earlier versions."),
    ("record.correction_title", "تصحيح سجل", "Correct a record"),
    ("tumour.icd10", "رمز ICD-10", "ICD-10 code"),
    ("tumour.topography", "الموقع ICD-O-3", "Site (ICD-O-3)"),
    ("tumour.morphology", "النسيج ICD-O-3", "Histology (ICD-O-3)"),
    ("tumour.behaviour", "السلوك", "Behaviour"),
    ("tumour.grade", "الدرجة", "Grade"),
    ("tumour.basis", "أساس التشخيص", "Basis of diagnosis"),
    ("tumour.incidence", "تاريخ التشخيص", "Incidence date"),
    ("tumour.stage_scheme", "نظام التصنيف", "Staging scheme"),
    ("tumour.stage_t", "T", "T"),
    ("tumour.stage_n", "N", "N"),
    ("tumour.stage_m", "M", "M"),
    ("tumour.stage_group", "المرحلة", "Stage group"),
    ("tumour.iccc", "مجموعة ICCC-3", "ICCC-3 group"),
    ("tumour.primary", "أولي متعدد (IARC 2004)", "Multiple primary (IARC 2004)"),
    ("tumour.confirmed", "فحوص مؤكدة", "Checks confirmed"),
    ("primary.duplicate", "مكرر", "duplicate"),
    ("primary.new_primary", "ورم أولي جديد", "new primary"),
    ("primary.review", "يحتاج مراجعة", "needs review"),
    (
        "checks.confirm",
        "فحوص السجل (IARC): أؤكد ما يلي رغم ندرته",
        "Record checks (IARC): I confirm these, unusual as they are",
    ),
    ("tumour.stage", "المرحلة", "Stage"),
    ("treatment.kind", "نوع العلاج", "Kind"),
    ("treatment.regimen", "البروتوكول", "Regimen"),
    ("treatment.cycles", "عدد الدورات", "Cycles"),
    ("treatment.start", "تاريخ البدء", "Start"),
    ("treatment.end", "تاريخ الانتهاء", "End"),
    ("medicine.atc", "رمز ATC", "ATC code"),
    ("medicine.name", "اسم الدواء", "Medicine"),
    ("medicine.strength", "التركيز", "Strength"),
    ("medicine.form", "الشكل الصيدلاني", "Form"),
    ("medicine.quantity", "الكمية لكل صرف", "Quantity per dispensing"),
    ("medicine.dispensings", "عدد مرات الصرف", "Dispensings"),
    ("medicine.interval_days", "الفاصل (أيام)", "Interval (days)"),
    ("medicine.valid_until", "صالح حتى", "Valid until"),
    ("medicine.dispensed", "صُرف", "Dispensed"),
    ("allergy.substance", "المادة", "Substance"),
    ("allergy.severity", "الشدة", "Severity"),
    ("allergy.kind", "النوع", "Kind"),
    ("card.serial", "الرقم التسلسلي", "Serial"),
    ("card.issued", "تاريخ الإصدار", "Issued"),
    ("card.expires", "تاريخ الانتهاء", "Expires"),
    ("card.issue", "إصدار بطاقة", "Issue a card"),
    ("card.issued_ok", "أُصدرت البطاقة.", "The card is issued."),
    ("card.revoke", "إلغاء البطاقة", "Revoke the card"),
    ("card.pdf", "بطاقة للطباعة (PDF)", "Printable card (PDF)"),
    ("card.not_printable", "لا تُطبع إلا البطاقة السارية (هذه ملغاة أو مستبدلة أو منتهية).", "Only the active card can be printed (this one is revoked, superseded or expired)."),
    ("card.revoked_ok", "أُلغيت البطاقة.", "The card is revoked."),
    ("revoke.lost", "مفقودة", "lost"),
    ("revoke.stolen", "مسروقة", "stolen"),
    ("revoke.deceased", "المريض متوفى", "patient deceased"),
    ("revoke.error", "خطأ في البطاقة", "issued in error"),
    // Smart card.
    ("sc.title", "البطاقة الذكية", "Smart card"),
    ("sc.write", "كتابة على البطاقة الذكية", "Write to smart card"),
    ("sc.read", "قراءة البطاقة الذكية", "Read smart card"),
    ("sc.settings", "إعدادات برنامج البطاقة", "Card agent settings"),
    ("sc.port", "المنفذ", "Port"),
    ("sc.pairing", "رمز الاقتران", "Pairing code"),
    ("sc.remember", "حفظ", "Save"),
    ("sc.start_agent", "لم يُعثر على برنامج البطاقة. شغّله على هذا الجهاز بالأمر:", "The card agent is not reachable. Start it on this computer with:"),
    ("sc.written", "كُتبت البطاقة.", "The card is written."),
    ("sc.read_ok", "قُرئت البطاقة.", "The card was read."),
    ("sc.no_reader", "لا يوجد قارئ بطاقات متصل.", "No card reader is connected."),
    ("sc.no_card", "لا توجد بطاقة في القارئ.", "There is no card in the reader."),
    ("sc.card_unusable", "البطاقة غير صالحة للاستخدام.", "The card cannot be used."),
    ("sc.incomplete", "كتابة البطاقة لم تكتمل؛ أعد الكتابة.", "The card was not completely written; write it again."),
    ("sc.write_failed", "فشلت الكتابة على البطاقة.", "Writing the card failed."),
    ("sc.invalid_card", "البطاقة لا تحمل توقيعاً صالحاً.", "The card does not carry a valid signature."),
    ("sc.revoked", "البطاقة ملغاة.", "The card is revoked."),
    ("sc.bad_request", "طلب غير صالح إلى برنامج البطاقة.", "The card agent refused the request as invalid."),
    ("sc.origin_refused", "برنامج البطاقة لا يقبل هذه الصفحة؛ شغّله مع --origin لهذا العنوان.", "The card agent does not accept this page; start it with --origin for this address."),
    ("sc.host_refused", "برنامج البطاقة رفض عنوان الاتصال.", "The card agent refused the host name."),
    ("sc.pairing_required", "رمز الاقتران مفقود أو خاطئ؛ اكتب الرمز الذي يعرضه برنامج البطاقة.", "The pairing code is missing or wrong; type the code the card agent shows."),
    ("sc.unknown_error", "خطأ من برنامج البطاقة.", "The card agent reported an error."),
    // Pharmacy.
    ("pharmacy.title", "الصيدلية: مسح البطاقة", "Pharmacy: scan a card"),
    ("pharmacy.scan", "رمز QR (امسحه بالقارئ)", "QR code (scan it with the reader)"),
    ("pharmacy.scan_hint", "ضع المؤشر هنا وامسح البطاقة؛ القارئ يضغط Enter.", "Keep the cursor here and scan the card; the scanner presses Enter."),
    ("pharmacy.check", "تحقق", "Check"),
    ("pharmacy.photo", "أو صورة لرمز QR بصيغة PNG أو JPEG", "Or a photo of the QR code (PNG or JPEG)"),
    ("pharmacy.upload", "تحقق من الصورة", "Check the photo"),
    ("pharmacy.patient", "المريض", "Patient"),
    ("pharmacy.card_status", "حالة البطاقة", "Card status"),
    ("pharmacy.past", "الصرف السابق", "Past dispensings"),
    ("pharmacy.no_past", "لم يُصرف شيء بعد.", "Nothing dispensed yet."),
    ("pharmacy.dispense", "صرف", "Dispense"),
    ("pharmacy.quantity", "الكمية", "Quantity"),
    ("pharmacy.dispensed_ok", "سُجّل الصرف.", "The dispensing is recorded."),
    ("pharmacy.replayed", "هذا الصرف مسجّل مسبقاً (إرسال مكرر)؛ لم يُسجّل مرة ثانية.", "This dispensing was already recorded (a repeated submission); it was not recorded twice."),
    ("pharmacy.refused", "رُفض الصرف:", "Dispensing refused:"),
    ("pharmacy.invalid", "البطاقة مرفوضة:", "The card is refused:"),
    ("pharmacy.no_qr", "لم يُعثر على رمز QR مقروء في الصورة.", "No readable QR code was found in the photo."),
    ("pharmacy.bad_image", "الملف ليس صورة PNG أو JPEG مقروءة.", "The file is not a readable PNG or JPEG image."),
    ("pharmacy.image_too_large", "الصورة كبيرة جدًا: يكفي 16 ميغابكسل لقراءة رمز البطاقة.", "The photo is too large: 16 megapixels are enough to read the card's code."),
    ("pharmacy.at", "التاريخ", "Date"),
    ("pharmacy.facility", "الصيدلية", "Pharmacy"),
    ("pharmacy.count", "مرات الصرف", "Dispensings"),
    ("pharmacy.allergies", "الحساسية", "Allergies"),
    ("refusal.card_unknown", "البطاقة غير معروفة لدى السجل.", "The registry does not know this card."),
    ("refusal.before_card", "الصرف مؤرخ قبل إصدار البطاقة.", "The dispensing is dated before the card was issued."),
    ("refusal.card_revoked", "البطاقة ملغاة.", "The card is revoked."),
    ("refusal.card_superseded", "صدرت بطاقة أحدث لهذا المريض؛ اطلب البطاقة الجديدة.", "A newer card was issued to this patient; ask for the new card."),
    ("refusal.card_expired", "البطاقة منتهية الصلاحية.", "The card has expired."),
    ("refusal.medicine_not_authorised", "هذا الدواء غير مصرّح به لهذا المريض.", "This medicine is not authorised for this patient."),
    ("refusal.before_authorisation", "الصرف مؤرخ قبل تسجيل التصريح.", "The dispensing is dated before the authorisation was recorded."),
    ("refusal.authorisation_expired", "انتهت صلاحية التصريح.", "The authorisation has expired."),
    ("refusal.over_quantity", "الكمية أكبر من المصرّح بها في كل صرف.", "The quantity is more than authorised per dispensing."),
    ("refusal.over_count", "صُرفت كل المرات المصرّح بها.", "Every authorised dispensing has been made."),
    ("refusal.too_soon", "لم تمضِ المدة المطلوبة منذ آخر صرف.", "Too soon: the interval since the last dispensing has not passed."),
    ("refusal.idempotency_key_reused", "النموذج استُخدم لصرف آخر؛ أعد مسح البطاقة.", "This form was used for another dispensing; scan the card again."),
    ("verify.expired", "البطاقة منتهية الصلاحية.", "The card has expired."),
    ("verify.revoked", "البطاقة ملغاة.", "The card is revoked."),
    ("verify.bad_signature", "التوقيع غير صالح: البطاقة ليست أصلية.", "The signature is not valid: the card is not genuine."),
    ("verify.unknown_kid", "جهة الإصدار غير معروفة.", "Unknown issuer."),
    ("verify.issuer_revoked", "مفتاح جهة الإصدار ملغى.", "The issuer's key is revoked."),
    ("verify.not_a_card", "هذا ليس رمز بطاقة صحية.", "This is not a health card code."),
    ("verify.generic", "لا يمكن التحقق من البطاقة.", "The card cannot be verified."),
    ("verify.superseded_warning", "صدرت بطاقة أحدث لهذا المريض.", "A newer card has been issued to this patient."),
    // Coded values.
    ("scheme.tnm8", "TNM الإصدار ٨", "TNM 8th edition"),
    ("scheme.toronto", "تورونتو (الأطفال)", "Toronto (paediatric)"),
    ("scheme.other", "نظام آخر", "Other scheme"),
    ("treatmentkind.surgery", "جراحة", "Surgery"),
    ("treatmentkind.radiotherapy", "علاج إشعاعي", "Radiotherapy"),
    ("treatmentkind.chemotherapy", "علاج كيميائي", "Chemotherapy"),
    ("treatmentkind.hormone_therapy", "علاج هرموني", "Hormone therapy"),
    ("treatmentkind.immuno_or_targeted", "علاج مناعي أو موجّه", "Immunotherapy or targeted therapy"),
    ("treatmentkind.stem_cell_transplant", "زراعة خلايا جذعية", "Stem-cell transplant"),
    ("treatmentkind.palliative", "رعاية تلطيفية", "Palliative care"),
    ("doseform.tablet", "أقراص", "Tablet"),
    ("doseform.capsule", "كبسولات", "Capsule"),
    ("doseform.oral_liquid", "سائل فموي", "Oral liquid"),
    ("doseform.injection", "حقن", "Injection"),
    ("doseform.infusion", "تسريب وريدي", "Infusion"),
    ("doseform.topical", "موضعي", "Topical"),
    ("doseform.suppository", "تحاميل", "Suppository"),
    ("doseform.inhalation", "استنشاق", "Inhalation"),
    ("doseform.patch", "لصقة", "Patch"),
    ("doseform.other", "شكل آخر", "Other"),
    ("severity.mild", "خفيفة", "Mild"),
    ("severity.moderate", "متوسطة", "Moderate"),
    ("severity.severe", "شديدة", "Severe"),
    ("severity.life_threatening", "مهددة للحياة", "Life-threatening"),
    ("allergykind.allergy", "حساسية", "Allergy"),
    ("allergykind.intolerance", "عدم تحمّل", "Intolerance"),
    ("allergykind.contraindication", "مانع استعمال", "Contraindication"),
    // Audit.
    ("audit.title", "سجل التدقيق", "Audit log"),
    ("audit.user", "معرّف المستخدم", "User id"),
    ("audit.action", "الإجراء", "Action"),
    ("audit.entity_type", "نوع الكيان", "Entity type"),
    ("audit.entity_id", "معرّف الكيان", "Entity id"),
    ("audit.from", "من تاريخ", "From"),
    ("audit.until", "حتى تاريخ (غير مشمول)", "Until (exclusive)"),
    ("audit.filter", "تصفية", "Filter"),
    ("audit.seq", "الرقم", "No."),
    ("audit.at", "الوقت", "Time"),
    ("audit.role", "الدور", "Role"),
    ("audit.facility", "المنشأة", "Facility"),
    ("audit.next", "الصفحة التالية", "Next page"),
    ("audit.verify", "تحقق من سلسلة السجل", "Verify the chain"),
    ("audit.intact", "السلسلة سليمة.", "The chain is intact."),
    ("audit.broken", "السلسلة مكسورة عند الرقم", "The chain is broken at entry"),
    ("audit.entries", "عدد القيود", "Entries"),
    ("audit.empty", "لا توجد قيود مطابقة.", "No matching entries."),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn has_arabic_letter(text: &str) -> bool {
        text.chars().any(|c| ('\u{0621}'..='\u{064A}').contains(&c))
    }

    #[test]
    fn every_key_has_arabic_and_english_once() {
        let mut seen = std::collections::HashSet::new();
        for (i, (key, ar, en)) in all().enumerate() {
            assert!(seen.insert(*key), "#{i} {key} twice");
            assert!(!ar.trim().is_empty() && !en.trim().is_empty(), "#{i} {key}");
        }
        // Messages that are words (not codes like "T") are really translated.
        let words = all().filter(|(k, ar, _)| !k.starts_with("tumour.stage_") || ar.len() > 1);
        for (key, ar, en) in words {
            if *key == "lang.switch" {
                // The switch names the other language in that language.
                assert!(has_arabic_letter(en) && !has_arabic_letter(ar), "{key}");
                continue;
            }
            assert!(
                has_arabic_letter(ar),
                "{key}: Arabic text has no Arabic letter"
            );
            assert!(
                !has_arabic_letter(en),
                "{key}: English text has Arabic letters"
            );
        }
    }

    #[test]
    fn every_key_used_by_a_template_or_handler_exists() {
        let sources = [
            include_str!("../../templates/desk/base.html"),
            include_str!("../../templates/desk/login.html"),
            include_str!("../../templates/desk/home.html"),
            include_str!("../../templates/desk/error.html"),
            include_str!("../../templates/desk/search.html"),
            include_str!("../../templates/desk/register.html"),
            include_str!("../../templates/desk/record.html"),
            include_str!("../../templates/desk/statistics.html"),
            include_str!("../../templates/desk/correct.html"),
            include_str!("../../templates/desk/pharmacy.html"),
            include_str!("../../templates/desk/audit.html"),
            include_str!("../../templates/desk/macros.html"),
            include_str!("../../templates/desk/stock.html"),
            include_str!("../../templates/desk/stock_ledger.html"),
            include_str!("../../templates/desk/demand.html"),
            include_str!("../../templates/desk/watch.html"),
            include_str!("../../templates/desk/admin.html"),
            include_str!("../../templates/desk/admin_user.html"),
            include_str!("../../templates/desk/import.html"),
            include_str!("import.rs"),
            include_str!("admin.rs"),
            include_str!("stock.rs"),
            include_str!("demand.rs"),
            include_str!("watch.rs"),
            include_str!("../desk.rs"),
            include_str!("patients.rs"),
            include_str!("clinical.rs"),
            include_str!("record.rs"),
            include_str!("pharmacy.rs"),
            include_str!("audit.rs"),
            include_str!("session.rs"),
            include_str!("login.rs"),
        ];
        let mut checked = 0;
        for source in sources {
            for (marker, close) in [("t(\"", '"'), ("tkey(\"", '"')] {
                for piece in source.split(marker).skip(1) {
                    let key = piece.split(close).next().unwrap_or_default();
                    if key.contains('.') && !key.ends_with('.') {
                        assert!(CATALOGUE.contains_key(key), "missing message {key}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} keys found in the sources");
    }

    #[test]
    fn unknown_cookie_values_mean_arabic() {
        assert_eq!(Lang::from_code("en"), Lang::En);
        assert_eq!(Lang::from_code("fr"), Lang::Ar);
        assert_eq!(Lang::Ar.dir(), "rtl");
        assert_eq!(Lang::En.other(), Lang::Ar);
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }
}
