//! Cancer sites as the registry tabulates them: the ICD-10 groups of *Cancer Incidence in Five
//! Continents* (CI5) and the three-character topography categories of ICD-O-3.
//!
//! - [`groups`]: the 61 site groups of CI5 volume XI, in CI5's print order (lip first, "Other
//!   and unspecified" last), each with its CI5 label of ICD-10 codes as a stable key
//!   ([`SiteGroup::key`]), its English and Arabic names, and the sex that alone has the site;
//! - [`group_of`]: the group of a tumour's ICD-10 code;
//! - [`ALL_SITES`], [`ALL_BUT_C44`] and [`counts_in_all_but_c44`]: the two totals under the
//!   groups;
//! - [`topography_name`] and [`category`]: ICD-O-3 topography categories C00-C80 and their
//!   names.
//!
//! # Where each code goes
//! Every three-character category of ICD-10 chapter II's malignant neoplasms (C00-C97) falls in
//! exactly one group. The groups are those of CI5; the choices below are CI5's, except where
//! marked *(registry)*:
//! - C19 (rectosigmoid junction) goes with C20 in "Rectum" (`C19-20`); C47 (peripheral nerves)
//!   with C49 in "Connective and soft tissue" (`C47,C49`); C96 with C82-C86 in "Non-Hodgkin
//!   lymphoma" (`C82-86,C96`); C93 and C94 with C92 in "Myeloid leukaemia" (`C92-94`);
//! - "Other and unspecified" (`O&U`) takes C26, C39, C48, C76 and C80, and *(registry)* the
//!   secondary sites C77-C79 (a tumour known only by a secondary site has an unknown
//!   primary, as C80 has) and C97 (multiple independent primaries; the registry records each
//!   primary as a tumour of its own, so C97 should not occur);
//! - ICD-10 has no categories C27-C29, C35, C36, C42, C59, C87, C89, C98 or C99: those codes
//!   belong to no group ([`group_of`] answers `None`), as do ICD-10-CM's C4A, C7A and C7B;
//! - CI5 defines "Myeloproliferative disorders" (`MPD`) and "Myelodysplastic syndromes" (`MDS`)
//!   by ICD-O-3 morphology (malignant since ICD-O-3); in ICD-10 they are neoplasms of uncertain
//!   behaviour. *(registry)* Their ICD-10 (2010) codes: MPD = D45 (polycythaemia vera), D47.1
//!   (chronic myeloproliferative disease), D47.3 (essential thrombocythaemia), D47.4
//!   (osteomyelofibrosis), D47.5 (chronic eosinophilic leukaemia); MDS = D46. No other D code
//!   is tabulated, nor D47 without its fourth character (it could be a MGUS, D47.2);
//! - the totals are sums of the groups: [`ALL_SITES`] counts all 61 groups, MPD and MDS
//!   included, as IARC's CanReg5 and Rcan count CI5's sites 1-61; [`ALL_BUT_C44`] all but
//!   "Other skin" (C44).
//!
//! A code is read leniently: surrounding spaces are trimmed, the letter may be lower case, the
//! dot may be missing ("C187"), and up to three subdivision digits are accepted (national
//! extensions such as ICD-10-GM's C91.00); only the first four characters decide. Anything else
//! (empty, "C1", "C18.", "C18.7X", non-ASCII) is not a code. No input panics.
//!
//! # Source
//! - Bray F, Colombet M, Mery L, Piñeros M, Znaor A, Zanetti R, Ferlay J (eds.) *Cancer
//!   Incidence in Five Continents, Vol. XI* (electronic version). International Agency for
//!   Research on Cancer, Lyon 2017. Chapter 3, Ferlay J, Kraywinkel K, Rous B, Znaor A.
//!   *Classification and coding*, Table 3.1 (ICD-10 codes, Volume XI groupings, short titles).
//!   <http://ci5.iarc.fr/CI5-XI/Pages/Chapter3.aspx> (now <https://ci5.iarc.who.int>).
//!   The list, its order and its English titles were checked against IARC's own tools, which
//!   number CI5's sites 1-61 and the totals 62-63: CanReg5
//!   (<https://github.com/IARC-CSU/CanReg5>, `conf/tables/r/shiny/data/color_cancer_ci5.csv`)
//!   and Rcan (<https://github.com/timat35/Rcan>, `Rcan/man/csu_ci5_mean.Rd`); the ICD-10
//!   codes of each group against a registry's transcription of Table 3.1. The table itself
//!   could not be read.
//! - Fritz A, Percy C, Jack A, Shanmugaratnam K, Sobin L, Parkin DM, Whelan S (eds.)
//!   *International Classification of Diseases for Oncology*, third edition (ICD-O-3). World
//!   Health Organization, Geneva 2000; topography, categories C00-C80 (unchanged in the first
//!   revision, 2013).
//!   <https://www.who.int/standards/classifications/other-classifications/international-classification-of-diseases-for-oncology>
//! - World Health Organization. *ICD-10, International Statistical Classification of Diseases
//!   and Related Health Problems, 10th revision*, version 2019, chapter II (the categories
//!   that exist; D45-D47). <https://icd.who.int/browse10/2019/en>
//!
//! The Arabic names are the registry's, in Modern Standard Arabic medical usage.

#[cfg(test)]
mod tests;

/// One row of the CI5 site list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteGroup {
    /// Stable key, the CI5 label of the ICD-10 codes: "C00", "C01-02", "C18", "C19-20",
    /// "C82-86,C96", "MPD", "MDS", "O&U" ...
    pub key: &'static str,
    /// English name as CI5 prints it ("Colon", "Rectum", "Non-Hodgkin lymphoma", "Other and
    /// unspecified").
    pub name: &'static str,
    /// Arabic name (Modern Standard Arabic medical usage, e.g. "القولون", "المستقيم").
    pub name_ar: &'static str,
    /// `Some(SexSite::Male)` for sites only men have (C60-C63), `Some(SexSite::Female)` for
    /// C51-C58, `None` otherwise (breast included).
    pub sex: Option<SexSite>,
}

/// The sex that alone has a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SexSite {
    /// A male genital organ (C60-C63).
    Male,
    /// A female genital organ or the placenta (C51-C58).
    Female,
}

/// One of the two totals printed under the groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// Stable key, CI5's abbreviation ("ALL", "ALLbC44").
    pub key: &'static str,
    /// English name as CI5 prints it.
    pub name: &'static str,
    /// Arabic name.
    pub name_ar: &'static str,
}

/// "All sites": every tumour of every group.
pub const ALL_SITES: Total = Total {
    key: "ALL",
    name: "All sites",
    name_ar: "جميع المواقع",
};

/// "All sites but C44": every tumour of every group but "Other skin" (C44).
pub const ALL_BUT_C44: Total = Total {
    key: "ALLbC44",
    name: "All sites but C44",
    name_ar: "جميع المواقع عدا C44",
};

/// The key of "Other and unspecified".
const OTHER: &str = "O&U";
/// The key of "Myeloproliferative disorders".
const MPD: &str = "MPD";
/// The key of "Myelodysplastic syndromes".
const MDS: &str = "MDS";

/// A group of both sexes.
const fn both(key: &'static str, name: &'static str, name_ar: &'static str) -> SiteGroup {
    SiteGroup {
        key,
        name,
        name_ar,
        sex: None,
    }
}

/// A group only women have.
const fn female(key: &'static str, name: &'static str, name_ar: &'static str) -> SiteGroup {
    SiteGroup {
        sex: Some(SexSite::Female),
        ..both(key, name, name_ar)
    }
}

/// A group only men have.
const fn male(key: &'static str, name: &'static str, name_ar: &'static str) -> SiteGroup {
    SiteGroup {
        sex: Some(SexSite::Male),
        ..both(key, name, name_ar)
    }
}

/// The CI5 XI site list, in print order (CI5's site numbers 1-61).
#[rustfmt::skip]
static GROUPS: [SiteGroup; 61] = [
    both("C00", "Lip", "الشفة"),
    both("C01-02", "Tongue", "اللسان"),
    both("C03-06", "Mouth", "الفم"),
    both("C07-08", "Salivary glands", "الغدد اللعابية"),
    both("C09", "Tonsil", "اللوزة"),
    both("C10", "Other oropharynx", "أجزاء أخرى من البلعوم الفموي"),
    both("C11", "Nasopharynx", "البلعوم الأنفي"),
    both("C12-13", "Hypopharynx", "البلعوم السفلي"),
    both("C14", "Pharynx unspecified", "البلعوم، غير محدد"),
    both("C15", "Oesophagus", "المريء"),
    both("C16", "Stomach", "المعدة"),
    both("C17", "Small intestine", "الأمعاء الدقيقة"),
    both("C18", "Colon", "القولون"),
    both("C19-20", "Rectum", "المستقيم"),
    both("C21", "Anus", "الشرج"),
    both("C22", "Liver", "الكبد"),
    both("C23-24", "Gallbladder etc.", "المرارة والطرق الصفراوية"),
    both("C25", "Pancreas", "البنكرياس"),
    both("C30-31", "Nose, sinuses etc.", "الأنف والجيوب الأنفية وغيرها"),
    both("C32", "Larynx", "الحنجرة"),
    both("C33-34", "Lung (incl. trachea and bronchus)", "الرغامى والقصبات والرئة"),
    both("C37-38", "Other thoracic organs", "أعضاء صدرية أخرى"),
    both("C40-41", "Bone", "العظم"),
    both("C43", "Melanoma of skin", "الورم الميلانيني الجلدي"),
    both("C44", "Other skin", "أورام الجلد الأخرى"),
    both("C45", "Mesothelioma", "ورم الظهارة المتوسطة"),
    both("C46", "Kaposi sarcoma", "ساركوما كابوزي"),
    both("C47,C49", "Connective and soft tissue", "النسيج الضام والأنسجة الرخوة"),
    both("C50", "Breast", "الثدي"),
    female("C51", "Vulva", "الفرج"),
    female("C52", "Vagina", "المهبل"),
    female("C53", "Cervix uteri", "عنق الرحم"),
    female("C54", "Corpus uteri", "جسم الرحم"),
    female("C55", "Uterus unspecified", "الرحم، غير محدد"),
    female("C56", "Ovary", "المبيض"),
    female("C57", "Other female genital organs", "أعضاء تناسلية أنثوية أخرى"),
    female("C58", "Placenta", "المشيمة"),
    male("C60", "Penis", "القضيب"),
    male("C61", "Prostate", "البروستاتة"),
    male("C62", "Testis", "الخصية"),
    male("C63", "Other male genital organs", "أعضاء تناسلية ذكرية أخرى"),
    both("C64", "Kidney", "الكلية"),
    both("C65", "Renal pelvis", "حويضة الكلية"),
    both("C66", "Ureter", "الحالب"),
    both("C67", "Bladder", "المثانة"),
    both("C68", "Other urinary organs", "أعضاء بولية أخرى"),
    both("C69", "Eye", "العين"),
    both("C70-72", "Brain, nervous system", "الدماغ والجهاز العصبي"),
    both("C73", "Thyroid", "الغدة الدرقية"),
    both("C74", "Adrenal gland", "الغدة الكظرية"),
    both("C75", "Other endocrine", "غدد صماء أخرى"),
    both("C81", "Hodgkin lymphoma", "لمفومة هودجكين"),
    both("C82-86,C96", "Non-Hodgkin lymphoma", "لمفومة لاهودجكينية"),
    both("C88", "Immunoproliferative diseases", "الأمراض التكاثرية المناعية"),
    both("C90", "Multiple myeloma", "الورم النقوي المتعدد"),
    both("C91", "Lymphoid leukaemia", "ابيضاض الدم اللمفاوي"),
    both("C92-94", "Myeloid leukaemia", "ابيضاض الدم النقوي"),
    both("C95", "Leukaemia unspecified", "ابيضاض الدم، غير محدد"),
    both(MPD, "Myeloproliferative disorders", "الاضطرابات التكاثرية النقوية"),
    both(MDS, "Myelodysplastic syndromes", "متلازمات خلل التنسج النقوي"),
    both(OTHER, "Other and unspecified", "مواقع أخرى وغير محددة"),
];

/// Every group in CI5's print order (lip first ... "Other and unspecified" last). Does not
/// include the two totals ([`ALL_SITES`], [`ALL_BUT_C44`]).
pub fn groups() -> &'static [SiteGroup] {
    &GROUPS
}

/// The group of a key ("C19-20", "O&U"), or `None` for a key CI5 does not have.
pub fn group(key: &str) -> Option<&'static SiteGroup> {
    GROUPS.iter().find(|group| group.key == key)
}

/// The group of an ICD-10 code ("C18.7", "C187", "C18"; lower case accepted, surrounding
/// spaces trimmed); `None` if it is not a code of a malignant neoplasm CI5 tabulates ("D05",
/// "Z99", "", "C9", "C27", garbage). See the module documentation for where each code goes.
pub fn group_of(icd10: &str) -> Option<&'static SiteGroup> {
    let code = parse(icd10)?;
    let key = match code.letter {
        b'C' => malignant_key(code.number)?,
        b'D' => uncertain_key(code.number, code.subdivision)?,
        _ => return None,
    };
    group(key)
}

/// True when the code counts in "All sites" ([`ALL_SITES`]): it belongs to a group.
pub fn counts_in_all_sites(icd10: &str) -> bool {
    group_of(icd10).is_some()
}

/// True when the code counts in "All sites but C44" ([`ALL_BUT_C44`]): it belongs to a group,
/// and not to "Other skin" (C44.*). False for a code that counts in no total.
pub fn counts_in_all_but_c44(icd10: &str) -> bool {
    group_of(icd10).is_some_and(|group| group.key != "C44")
}

/// The key of the group of the ICD-10 category C`number`.
fn malignant_key(number: u8) -> Option<&'static str> {
    Some(match number {
        0 => "C00",
        1 | 2 => "C01-02",
        3..=6 => "C03-06",
        7 | 8 => "C07-08",
        9 => "C09",
        10 => "C10",
        11 => "C11",
        12 | 13 => "C12-13",
        14 => "C14",
        15 => "C15",
        16 => "C16",
        17 => "C17",
        18 => "C18",
        19 | 20 => "C19-20",
        21 => "C21",
        22 => "C22",
        23 | 24 => "C23-24",
        25 => "C25",
        30 | 31 => "C30-31",
        32 => "C32",
        33 | 34 => "C33-34",
        37 | 38 => "C37-38",
        40 | 41 => "C40-41",
        43 => "C43",
        44 => "C44",
        45 => "C45",
        46 => "C46",
        47 | 49 => "C47,C49",
        50 => "C50",
        51 => "C51",
        52 => "C52",
        53 => "C53",
        54 => "C54",
        55 => "C55",
        56 => "C56",
        57 => "C57",
        58 => "C58",
        60 => "C60",
        61 => "C61",
        62 => "C62",
        63 => "C63",
        64 => "C64",
        65 => "C65",
        66 => "C66",
        67 => "C67",
        68 => "C68",
        69 => "C69",
        70..=72 => "C70-72",
        73 => "C73",
        74 => "C74",
        75 => "C75",
        81 => "C81",
        82..=86 | 96 => "C82-86,C96",
        88 => "C88",
        90 => "C90",
        91 => "C91",
        92..=94 => "C92-94",
        95 => "C95",
        26 | 39 | 48 | 76..=80 | 97 => OTHER,
        // 27-29, 35, 36, 42, 59, 87, 89, 98, 99: no such ICD-10 category.
        _ => return None,
    })
}

/// The key of the group of the ICD-10 code D`number`.`subdivision`: only the
/// myeloproliferative disorders and myelodysplastic syndromes are tabulated.
fn uncertain_key(number: u8, subdivision: Option<u8>) -> Option<&'static str> {
    match (number, subdivision) {
        (45, _) => Some(MPD),
        (46, _) => Some(MDS),
        (47, Some(1 | 3 | 4 | 5)) => Some(MPD),
        _ => None,
    }
}

/// The ICD-O-3 topography categories: number (C`number`), English name as ICD-O-3 prints it
/// (in sentence case), Arabic name. Sorted by number.
#[rustfmt::skip]
static TOPOGRAPHY: [(u8, &str, &str); 70] = [
    (0, "Lip", "الشفة"),
    (1, "Base of tongue", "قاعدة اللسان"),
    (2, "Other and unspecified parts of tongue", "أجزاء أخرى وغير محددة من اللسان"),
    (3, "Gum", "اللثة"),
    (4, "Floor of mouth", "قاع الفم"),
    (5, "Palate", "الحنك"),
    (6, "Other and unspecified parts of mouth", "أجزاء أخرى وغير محددة من الفم"),
    (7, "Parotid gland", "الغدة النكفية"),
    (8, "Other and unspecified major salivary glands", "غدد لعابية كبرى أخرى وغير محددة"),
    (9, "Tonsil", "اللوزة"),
    (10, "Oropharynx", "البلعوم الفموي"),
    (11, "Nasopharynx", "البلعوم الأنفي"),
    (12, "Pyriform sinus", "الجيب الكمثري"),
    (13, "Hypopharynx", "البلعوم السفلي"),
    (14, "Other and ill-defined sites in lip, oral cavity and pharynx",
        "مواقع أخرى وغير واضحة التحديد في الشفة وجوف الفم والبلعوم"),
    (15, "Esophagus", "المريء"),
    (16, "Stomach", "المعدة"),
    (17, "Small intestine", "الأمعاء الدقيقة"),
    (18, "Colon", "القولون"),
    (19, "Rectosigmoid junction", "الوصل المستقيمي السيني"),
    (20, "Rectum", "المستقيم"),
    (21, "Anus and anal canal", "الشرج والقناة الشرجية"),
    (22, "Liver and intrahepatic bile ducts", "الكبد والقنوات الصفراوية داخل الكبد"),
    (23, "Gallbladder", "المرارة"),
    (24, "Other and unspecified parts of biliary tract",
        "أجزاء أخرى وغير محددة من الطرق الصفراوية"),
    (25, "Pancreas", "البنكرياس"),
    (26, "Other and ill-defined digestive organs", "أعضاء هضمية أخرى وغير واضحة التحديد"),
    (30, "Nasal cavity and middle ear", "جوف الأنف والأذن الوسطى"),
    (31, "Accessory sinuses", "الجيوب المجاورة للأنف"),
    (32, "Larynx", "الحنجرة"),
    (33, "Trachea", "الرغامى"),
    (34, "Bronchus and lung", "القصبات والرئة"),
    (37, "Thymus", "الغدة الزعترية"),
    (38, "Heart, mediastinum, and pleura", "القلب والمنصف والجنبة"),
    (39, "Other and ill-defined sites within respiratory system and intrathoracic organs",
        "مواقع أخرى وغير واضحة التحديد في الجهاز التنفسي والأعضاء داخل الصدر"),
    (40, "Bones, joints and articular cartilage of limbs",
        "عظام الأطراف ومفاصلها وغضاريفها المفصلية"),
    (41, "Bones, joints and articular cartilage of other and unspecified sites",
        "العظام والمفاصل والغضاريف المفصلية في مواقع أخرى وغير محددة"),
    (42, "Hematopoietic and reticuloendothelial systems",
        "الجهاز المكون للدم والجهاز الشبكي البطاني"),
    (44, "Skin", "الجلد"),
    (47, "Peripheral nerves and autonomic nervous system",
        "الأعصاب المحيطية والجهاز العصبي الذاتي"),
    (48, "Retroperitoneum and peritoneum", "خلف الصفاق والصفاق"),
    (49, "Connective, subcutaneous and other soft tissues",
        "النسيج الضام والنسيج تحت الجلد والأنسجة الرخوة الأخرى"),
    (50, "Breast", "الثدي"),
    (51, "Vulva", "الفرج"),
    (52, "Vagina", "المهبل"),
    (53, "Cervix uteri", "عنق الرحم"),
    (54, "Corpus uteri", "جسم الرحم"),
    (55, "Uterus, NOS", "الرحم، غير محدد"),
    (56, "Ovary", "المبيض"),
    (57, "Other and unspecified female genital organs", "أعضاء تناسلية أنثوية أخرى وغير محددة"),
    (58, "Placenta", "المشيمة"),
    (60, "Penis", "القضيب"),
    (61, "Prostate gland", "غدة البروستاتة"),
    (62, "Testis", "الخصية"),
    (63, "Other and unspecified male genital organs", "أعضاء تناسلية ذكرية أخرى وغير محددة"),
    (64, "Kidney", "الكلية"),
    (65, "Renal pelvis", "حويضة الكلية"),
    (66, "Ureter", "الحالب"),
    (67, "Bladder", "المثانة"),
    (68, "Other and unspecified urinary organs", "أعضاء بولية أخرى وغير محددة"),
    (69, "Eye and adnexa", "العين وملحقاتها"),
    (70, "Meninges", "السحايا"),
    (71, "Brain", "الدماغ"),
    (72, "Spinal cord, cranial nerves, and other parts of central nervous system",
        "الحبل الشوكي والأعصاب القحفية وأجزاء أخرى من الجهاز العصبي المركزي"),
    (73, "Thyroid gland", "الغدة الدرقية"),
    (74, "Adrenal gland", "الغدة الكظرية"),
    (75, "Other endocrine glands and related structures", "غدد صماء أخرى وبنى ذات صلة"),
    (76, "Other and ill-defined sites", "مواقع أخرى وغير واضحة التحديد"),
    (77, "Lymph nodes", "العقد اللمفية"),
    (80, "Unknown primary site", "موقع أولي مجهول"),
];

/// English and Arabic name of an ICD-O-3 topography three-character category, "C00" .. "C80"
/// (input "C18.7", "C187" or "C18", read as [`group_of`] reads codes). `None` for a category
/// ICD-O-3 does not have: C27-C29, C35, C36, C43, C45, C46, C59, C78, C79 (ICD-10 categories
/// defined by morphology or behaviour, which ICD-O-3 codes on the site itself), C81 and
/// above, or anything that is not a code.
pub fn topography_name(code: &str) -> Option<(&'static str, &'static str)> {
    let code = parse(code).filter(|code| code.letter == b'C')?;
    let index = TOPOGRAPHY
        .binary_search_by_key(&code.number, |&(number, _, _)| number)
        .ok()?;
    TOPOGRAPHY
        .get(index)
        .map(|&(_, name, name_ar)| (name, name_ar))
}

/// The three-character category of a topography or ICD-10 code, normalised ("C18.7",
/// "c187 " and "C18" give "C18"; "D05.1" gives "D05"), or `None` if it is not a code. Whether
/// the category exists is not checked: "C27" gives "C27".
pub fn category(code: &str) -> Option<String> {
    let code = parse(code)?;
    Some(format!("{}{:02}", char::from(code.letter), code.number))
}

/// A code, read: its letter (upper case), its two-digit number and its first subdivision
/// digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Code {
    /// The chapter letter, A-Z.
    letter: u8,
    /// The number of the category, 0-99.
    number: u8,
    /// The fourth character (the first after the dot), if given.
    subdivision: Option<u8>,
}

/// Reads a code: a letter, two digits, then nothing or an optional dot and one to three digits.
/// Works on bytes, so no input can split a character.
fn parse(code: &str) -> Option<Code> {
    let bytes = code.trim().as_bytes();
    let [letter, tens, units, tail @ ..] = bytes else {
        return None;
    };
    if !letter.is_ascii_alphabetic() || !tens.is_ascii_digit() || !units.is_ascii_digit() {
        return None;
    }
    let subdivision = if tail.is_empty() {
        None
    } else {
        let digits = tail.strip_prefix(b".").unwrap_or(tail);
        if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.first().map(|digit| digit - b'0')
    };
    Some(Code {
        letter: letter.to_ascii_uppercase(),
        number: (tens - b'0') * 10 + (units - b'0'),
        subdivision,
    })
}
