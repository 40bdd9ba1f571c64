//! The perturbations of a planted duplicate: the tables of real spelling variants and the
//! changes themselves, applied to what the registrar types.

use card_format::model::{Date, IdType};

use super::{record, Ids, Record, SplitMix, ATTEMPTS};
use crate::names::search_keys;
use crate::patient::PatientInput;

/// What was changed in a planted duplicate; the changes are applied in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Perturbation {
    /// The grandfather's name left out.
    DroppedPart,
    /// A Latin name part in another real spelling, one the search keys merge.
    LatinSpelling,
    /// A Latin spelling the keys do not merge (Ibrahim / Brahim); drawn as the one above.
    LatinSpellingUnmerged,
    /// An Arabic part spelt otherwise: أ إ آ → ا, ة → ه, ى → ي, a compound spaced or joined,
    /// tashkeel added, ال dropped or added.
    ArabicSpelling,
    /// The family name first, or the father's and grandfather's names swapped.
    SwappedParts,
    /// The identifier of the other scheme (family book for national, or the reverse).
    OtherScheme,
    /// One digit of the identifier changed, or two neighbours swapped.
    IdentifierTypo,
    /// The identifier typed in Arabic-Indic (٠-٩) or Eastern Arabic-Indic (۰-۹) digits.
    ArabicIndicDigits,
    /// The birth date a day off.
    BirthDayOff,
    /// The birth date with month and day swapped.
    BirthMonthDaySwapped,
}

/// Every kind with its label, in the order of application and of the report.
static KINDS: [(Perturbation, &str); 10] = [
    (Perturbation::DroppedPart, "grandfather's name dropped"),
    (
        Perturbation::LatinSpelling,
        "Latin spelling variant (merged by the keys)",
    ),
    (
        Perturbation::LatinSpellingUnmerged,
        "Latin spelling variant (not merged)",
    ),
    (Perturbation::ArabicSpelling, "Arabic spelling variant"),
    (Perturbation::SwappedParts, "name parts swapped"),
    (Perturbation::OtherScheme, "identifier of the other scheme"),
    (Perturbation::IdentifierTypo, "identifier one typo away"),
    (
        Perturbation::ArabicIndicDigits,
        "identifier in Arabic-Indic digits",
    ),
    (Perturbation::BirthDayOff, "birth date a day off"),
    (
        Perturbation::BirthMonthDaySwapped,
        "birth month and day swapped",
    ),
];

impl Perturbation {
    /// Every kind, in the order of application and of the report.
    pub fn all() -> impl Iterator<Item = Perturbation> {
        KINDS.iter().map(|(k, _)| *k)
    }

    /// The kind in English.
    pub fn label(self) -> &'static str {
        let found = KINDS.iter().find(|(k, _)| *k == self);
        found.map_or("", |(_, label)| label)
    }
}

/// Real Latin spellings of the common names besides the usual one, `usual: other|other;`.
const LATIN_VARIANTS: &str = "\
    Mohamed: Muhammad|Mohammed|Mohamad|Mohammad|Mhamed; Ahmed: Ahmad; Ali: Aly;\
    Abdullah: Abdallah|Abd Allah|Abdellah|Abdulla; Omar: Umar|Omer; Khaled: Khalid|Khaleed;\
    Salem: Salim|Saalem; Mustafa: Mostafa|Moustafa|Mustapha; Ibrahim: Ebrahim|Brahim|Ibraheem;\
    Yousef: Youssef|Yusuf|Yousif|Youcef; Hussein: Husein|Hussain|Husayn|Hocine;\
    Abdulsalam: Abdelsalam|Abdessalam|Abd Al-Salam|Abdussalam; Hassan: Hasan|Hassen;\
    Abdulrahman: Abdelrahman|Abderrahmane|Abd Al-Rahman|Abdurrahman; Faraj: Farag|Faradj;\
    Miftah: Meftah|Muftah; Saleh: Salih|Saleeh; Adel: Adil|Aadel; Mahmoud: Mahmud|Mahmood;\
    Tarek: Tariq|Tarik|Tareq; Walid: Waleed|Oualid; Ramadan: Ramadhan|Ramdan;\
    Suleiman: Sulayman|Sliman|Soliman|Slimane; Abdulhamid: Abdelhamid|Abd Al-Hamid|Abdulhameed;\
    Milad: Meelad|Miled; Alhadi: El Hadi|Al-Hadi|Hadi|Elhadi; Nouri: Nuri|Nory;\
    Alsadiq: Al-Sadek|Essadek|Assadiq|Sadiq; Jamal: Gamal|Djamel; Mansour: Mansur|Mansoor;\
    Marwan: Merwan; Osama: Usama|Oussama|Ousama; Hamza: Hamzah|Hamzeh; Essam: Issam|Isam;\
    Fathi: Fethi|Fathy; Bashir: Basheer|Bechir|Bachir; Altaher: Al-Taher|Ettaher|Tahir;\
    Abdulkarim: Abdelkarim|Abdulkareem|Abd Al-Karim; Moataz: Mutaz|Motaz|Moutaz;\
    Fatima: Fatma|Fatimah|Fatema; Aisha: Aicha|Aysha|Aishah|Ayesha; Amal: Amel;\
    Khadija: Khadidja|Khadeeja|Khadiga; Mariam: Maryam|Meriem|Miriam; Amna: Amina|Aminah;\
    Zainab: Zeinab|Zaynab|Zineb; Suad: Souad|Soad; Najat: Nagat|Najet; Hanan: Hanane;\
    Salma: Salima|Salema; Asma: Asmaa|Esma; Huda: Houda|Hoda; Nouria: Nuria|Nouriya;\
    Rabia: Rabiaa|Rabea; Fawzia: Fawziya|Fouzia; Sumaya: Somaya|Soumaya|Sumayyah;\
    Iman: Eman|Imane; Rehab: Rihab; Mona: Muna|Mouna; Aziza: Azeeza; Naima: Naeema|Nayma;\
    Halima: Haleema|Halimah; Sara: Sarah; Laila: Layla|Leila|Lyla; Hajer: Hajar|Hagar;\
    Ruqaya: Roqaya|Rokaya|Ruqayyah; Wafa: Wafaa; Nadia: Nadiya; Safia: Safiya|Safiyya;\
    Al-Magariaf: Al-Megarief|Al-Mgarief; Al-Tarhouni: Al-Tarhuni|Tarhuny;\
    Al-Obeidi: Al-Obaidi|El-Abidi; Al-Misrati: Al-Musrati|Misurati; Al-Fitouri: Al-Fituri;\
    Al-Sharif: El-Cherif|Al-Sherif|Asharif; Al-Senussi: Al-Sanusi|Senoussi|As-Senussi;\
    Al-Ghariani: Al-Gheriani|Al-Gharyani; Ben Halim: Bin Halim|Benhalim;\
    Al-Maghrebi: Al-Maghribi|Magrabi; Al-Trabelsi: Al-Tarabulsi|Trabulsi;\
    Al-Jehani: Al-Juhani; Al-Gamati: Al-Qamati|Guemati; Al-Zway: Al-Zuwai|Zwai;\
    Al-Tajouri: Tajuri|Tagouri; Al-Swehli: Al-Suwayhili|Sewehli; Al-Mahjoub: Mahgoub;\
    Al-Ferjani: Al-Farjani|Fergiani; Al-Gaddafi: Al-Qadhafi|Kadhafi|Gadhafi;\
    Ben Omran: Bin Omran|Ben Amran|Benomran; Bushnaf: Bouchnaf|Boushnaf";

/// The other Latin spellings of `usual`: those of the table and, for a family name `Al-X`,
/// also `El-X`, `Al X`, `Alx` and `X`. Sorted, each once.
pub fn latin_variants(usual: &str) -> Vec<String> {
    let entries = LATIN_VARIANTS.split(';').filter_map(|e| e.split_once(':'));
    let listed = entries.filter(|(name, _)| name.trim() == usual);
    let others = listed.flat_map(|(_, v)| v.split('|'));
    let mut out: Vec<String> = others.map(|v| v.trim().to_string()).collect();
    if let Some(rest) = usual.strip_prefix("Al-") {
        let joined = format!("Al{}", rest.to_lowercase());
        out.extend([
            format!("El-{rest}"),
            format!("Al {rest}"),
            joined,
            rest.into(),
        ]);
    }
    out.sort();
    out.dedup();
    out
}

fn has_variants(latin: &str) -> bool {
    !latin_variants(latin).is_empty()
}

/// A planted duplicate of `base`: 1 to 3 kinds, each drawn among those still open.
pub(super) fn plant(base: &PatientInput, rng: &mut SplitMix, ids: &mut Ids) -> Record {
    use Perturbation::*;
    let birth = Date::parse("d", &base.birth_date)
        .ok()
        .and_then(Date::to_ymd);
    let swappable = birth.is_some_and(|(_, m, d)| d <= 12 && d != m);
    let spelt = base.name_latin.iter().flatten().any(|l| has_variants(l));
    let rival = |k| match k {
        BirthDayOff => BirthMonthDaySwapped,
        BirthMonthDaySwapped => BirthDayOff,
        OtherScheme => IdentifierTypo,
        IdentifierTypo => OtherScheme,
        k => k,
    };
    let mut chosen: Vec<Perturbation> = Vec::new();
    for _ in 0..1 + rng.index(3) {
        let taken = |k| chosen.contains(&k) || chosen.contains(&rival(k));
        let closed =
            |k| (k == BirthMonthDaySwapped && !swappable) || (k == LatinSpelling && !spelt);
        let open = Perturbation::all().filter(|&k| k != LatinSpellingUnmerged);
        let open: Vec<Perturbation> = open.filter(|&k| !taken(k) && !closed(k)).collect();
        chosen.extend(rng.pick(&open));
    }
    chosen.sort();
    let mut d = base.clone();
    let done = chosen
        .into_iter()
        .filter_map(|k| apply(k, &mut d, rng, ids));
    let done = done.collect();
    record(d, done)
}

/// Applies `k` to `d`: the kind as recorded, or None when it could not be applied.
fn apply(
    k: Perturbation,
    d: &mut PatientInput,
    rng: &mut SplitMix,
    ids: &mut Ids,
) -> Option<Perturbation> {
    use Perturbation::*;
    let coin = rng.index(2) == 0;
    match k {
        LatinSpelling | LatinSpellingUnmerged => {
            let latin = d.name_latin.as_mut()?;
            let spelt: Vec<usize> = (0..latin.len())
                .filter(|&i| latin.get(i).is_some_and(|l| has_variants(l)))
                .collect();
            let part = latin.get_mut(rng.pick(&spelt)?)?;
            let new = rng.pick(&latin_variants(part))?;
            let old_keys = search_keys(&[std::mem::replace(part, new.clone())]);
            let merged = search_keys(&[new]).iter().any(|key| old_keys.contains(key));
            return Some(if merged {
                LatinSpelling
            } else {
                LatinSpellingUnmerged
            });
        }
        ArabicSpelling => {
            let (i, new) = arabic_variant(&d.name_ar, rng)?;
            *d.name_ar.get_mut(i)? = new;
        }
        DroppedPart => {
            let latin = d.name_latin.as_mut()?;
            if d.name_ar.len() < 4 || latin.len() < 4 {
                return None;
            }
            d.name_ar.remove(2);
            latin.remove(2);
        }
        SwappedParts => {
            let same = d.name_ar.get(1) == d.name_ar.get(2);
            let family_first = d.name_ar.len() < 4 || coin || same;
            for parts in [&mut d.name_ar, d.name_latin.as_mut()?] {
                match family_first {
                    true => parts.rotate_right(1),
                    false => parts.swap(1, 2),
                }
            }
        }
        OtherScheme => {
            let national = d.id_type == IdType::National;
            d.id_type = if national {
                IdType::FamilyBook
            } else {
                IdType::National
            };
            d.id_value = ids.new_id(d.id_type, d);
        }
        IdentifierTypo => {
            let mut typos = (0..ATTEMPTS).map(|_| typo(&d.id_value, rng));
            let free = |v: &String| *v != d.id_value && ids.used.insert((d.id_type, v.clone()));
            d.id_value = typos.find(free)?;
        }
        ArabicIndicDigits => {
            let zero = if coin { 0x0660 } else { 0x06F0 };
            let digit = |c: char| c.to_digit(10).and_then(|v| char::from_u32(zero + v));
            d.id_value = d.id_value.chars().map(|c| digit(c).unwrap_or(c)).collect();
        }
        BirthDayOff | BirthMonthDaySwapped => {
            let old = Date::parse("birth_date", &d.birth_date).ok()?;
            let new = match (k, old.to_ymd()) {
                (BirthMonthDaySwapped, Some((y, m, day))) => Date::from_ymd("d", y, day, m).ok()?,
                _ => Date(old.0 + if coin { -1 } else { 1 }),
            };
            d.birth_date = new.to_string();
        }
    }
    Some(k)
}

/// One digit replaced by another, or two neighbours swapped (may equal `value`).
fn typo(value: &str, rng: &mut SplitMix) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let i = rng.index(chars.len());
    if rng.index(2) == 0 && i + 1 < chars.len() {
        chars.swap(i, i + 1);
    } else if let Some(c) = chars.get_mut(i) {
        let to = c.to_digit(10).unwrap_or(0) + 1 + u32::try_from(rng.index(9)).unwrap_or(0);
        *c = char::from_digit(to % 10, 10).unwrap_or(*c);
    }
    chars.into_iter().collect()
}

/// Harakat a registrar may add: fatha, damma, kasra, shadda, sukun.
const HARAKAT: [char; 5] = ['\u{064E}', '\u{064F}', '\u{0650}', '\u{0651}', '\u{0652}'];

/// The Arabic spelling changes of a part (whether it is the family name, its text); None
/// where one does not apply. Adding ال applies to a family name without it that is no
/// compound with بن or بو (none in the common list).
const ARABIC_CHANGES: [fn(bool, &str) -> Option<String>; 6] = [
    |_, p| {
        p.contains(['أ', 'إ', 'آ'])
            .then(|| p.replace(['أ', 'إ', 'آ'], "ا"))
    },
    |_, p| p.contains('ة').then(|| p.replace('ة', "ه")),
    |_, p| p.contains('ى').then(|| p.replace('ى', "ي")),
    |_, p| match p.strip_prefix("عبد") {
        Some(rest) if !rest.is_empty() && !rest.starts_with(' ') => Some(format!("عبد {rest}")),
        _ => p.contains(' ').then(|| p.replace(' ', "")),
    },
    // Tashkeel: `arabic_variant` adds the harakat.
    |_, p| Some(p.to_string()),
    |family, p| match p.strip_prefix("ال") {
        Some(rest) if rest.chars().count() >= 3 => Some(rest.to_string()),
        None if family && !p.starts_with("بن") && !p.starts_with("بو") => {
            Some(format!("ال{p}"))
        }
        _ => None,
    },
];

/// Another Arabic spelling of one part: (which part, the new spelling). The change is drawn
/// among those that apply to some part, then the part among those it applies to.
pub(super) fn arabic_variant(parts: &[String], rng: &mut SplitMix) -> Option<(usize, String)> {
    let family = |i: usize| i + 1 == parts.len();
    let applies = |c: &fn(bool, &str) -> Option<String>| -> Vec<usize> {
        let parts = parts.iter().enumerate();
        parts
            .filter(|(i, p)| c(family(*i), p).is_some())
            .map(|(i, _)| i)
            .collect()
    };
    let open: Vec<usize> = (0..ARABIC_CHANGES.len())
        .filter(|&c| {
            ARABIC_CHANGES
                .get(c)
                .is_some_and(|c| !applies(c).is_empty())
        })
        .collect();
    let c = rng.pick(&open)?;
    let change = ARABIC_CHANGES.get(c)?;
    let i = rng.pick(&applies(change))?;
    let new = change(family(i), parts.get(i)?)?;
    if c != 4 {
        return Some((i, new));
    }
    let letters: Vec<usize> = new
        .char_indices()
        .filter(|c| c.1 != ' ')
        .map(|c| c.0)
        .collect();
    let at: Vec<usize> = (0..1 + rng.index(2))
        .filter_map(|_| rng.pick(&letters))
        .collect();
    let mut out = String::new();
    for (i, c) in new.char_indices() {
        out.push(c);
        if at.contains(&i) {
            out.extend(rng.pick(&HARAKAT));
        }
    }
    Some((i, out))
}
