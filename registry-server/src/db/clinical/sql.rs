//! The statements of [`super`]: the fixed ones, and those built per record kind.

use super::Kind;

/// `tumours`.
pub(super) const TUMOURS: &str = concat!(
    "SELECT ",
    tumour_columns!(),
    " FROM tumours WHERE patient_id = $1 ORDER BY status, incidence, id"
);
/// `treatments`.
pub(super) const TREATMENTS: &str = concat!(
    "SELECT ",
    treatment_columns!(),
    " FROM treatments WHERE patient_id = $1 \
         ORDER BY status, start_date, id"
);
/// `allergies`.
pub(super) const ALLERGIES: &str = concat!(
    "SELECT ",
    allergy_columns!(),
    " FROM allergies WHERE patient_id = $1 ORDER BY status, id"
);
/// `medicines`.
pub(super) const MEDICINES: &str = concat!(
    "SELECT ",
    medicine_columns!(),
    " FROM medicine_authorisations WHERE patient_id = $1 \
         ORDER BY status, id"
);
/// `medicine`.
pub(super) const MEDICINE: &str = concat!(
    "SELECT ",
    medicine_columns!(),
    " FROM medicine_authorisations WHERE id = $1"
);
/// `medicine_in`.
/// `authorised_at`: the audit log holds when an authorisation was made (a correction moves
/// `updated_at`, and the history keeps the time of each correction, not of the making).
pub(super) const AUTHORISED_AT: &str = "SELECT CAST(MIN(at) AS BIGINT) FROM audit_log \
     WHERE entity_type = 'authorisation' AND entity_id = $1 AND action = 'medicine.create'";
pub(super) const MEDICINE_IN: &str = concat!(
    "SELECT ",
    medicine_columns!(),
    " FROM medicine_authorisations WHERE id = $1"
);

/// `put (tumour, new)`.
pub(crate) const INSERT_TUMOUR: &str = concat!(
    "INSERT INTO tumours (",
    tumour_columns!(),
    ", updated_at, updated_by) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', 1, $16, $17)"
);
/// `put (tumour, correction)`.
pub(super) const UPDATE_TUMOUR: &str =
    "UPDATE tumours SET icd10 = $3, topography = $4, morphology = $5, \
             behaviour = $6, grade = $7, basis = $8, incidence = $9, stage_scheme = $10, \
             stage_t = $11, stage_n = $12, stage_m = $13, stage_group = $14, iccc = $15, \
             updated_at = $16, updated_by = $17, version = version + 1 \
             WHERE id = $1 AND patient_id = $2 AND version = $18";
/// `put (treatment, new)`.
pub(super) const INSERT_TREATMENT: &str = concat!(
    "INSERT INTO treatments (",
    treatment_columns!(),
    ", updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 1, $8, $9)"
);
/// `put (treatment, correction)`.
pub(super) const UPDATE_TREATMENT: &str =
    "UPDATE treatments SET kind = $3, regimen = $4, cycles = $5, start_date = $6, \
             end_date = $7, updated_at = $8, updated_by = $9, version = version + 1 \
             WHERE id = $1 AND patient_id = $2 AND version = $10";
/// `put (allergy, new)`.
pub(super) const INSERT_ALLERGY: &str = concat!(
    "INSERT INTO allergies (",
    allergy_columns!(),
    ", updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, 'active', 1, $6, $7)"
);
/// `put (allergy, correction)`.
pub(super) const UPDATE_ALLERGY: &str =
    "UPDATE allergies SET substance = $3, severity = $4, kind = $5, \
             updated_at = $6, updated_by = $7, version = version + 1 \
             WHERE id = $1 AND patient_id = $2 AND version = $8";
/// `put (medicine, new)`.
pub(super) const INSERT_MEDICINE: &str = concat!(
    "INSERT INTO medicine_authorisations (",
    medicine_columns!(),
    ", updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', 0, NULL, 1, \
             $13, $14)"
);
/// `put (medicine, correction)`.
pub(super) const UPDATE_MEDICINE: &str =
    "UPDATE medicine_authorisations SET atc = $3, name = $4, strength = $5, \
             form = $6, quantity = $7, dispensings = $8, interval_days = $9, valid_until = $10, \
             prescriber = $11, facility_code = $12, updated_at = $13, updated_by = $14, \
             version = version + 1 WHERE id = $1 AND patient_id = $2 AND version = $15";

/// The id in a statement's `WHERE`: medicine authorisations are numbered (the number on
/// the card), the other records have text ids.
fn id_param(kind: Kind) -> &'static str {
    if kind == Kind::Medicine {
        "CAST($1 AS BIGINT)"
    } else {
        "$1"
    }
}

/// `withdraw` of a record of `kind`.
pub(super) fn withdraw_sql(kind: Kind) -> String {
    format!(
        "UPDATE {} SET status = 'withdrawn', version = version + 1, updated_at = $2, \
         updated_by = $3 WHERE id = {} AND version = $4 AND status = 'active'",
        kind.table(),
        id_param(kind)
    )
}

/// `owner` of a record of `kind`.
pub(super) fn owner_sql(kind: Kind) -> String {
    format!(
        "SELECT patient_id, version FROM {} WHERE id = {}",
        kind.table(),
        id_param(kind)
    )
}

/// The statements built per record kind, for the test that prepares them all.
pub(crate) fn statements_per_kind() -> Vec<(String, String)> {
    [Kind::Tumour, Kind::Treatment, Kind::Allergy, Kind::Medicine]
        .into_iter()
        .flat_map(|k| {
            [
                (
                    format!("db/clinical.rs:withdraw {}", k.table()),
                    withdraw_sql(k),
                ),
                (format!("db/clinical.rs:owner {}", k.table()), owner_sql(k)),
            ]
        })
        .collect()
}

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/clinical.rs:put (tumour, new)", INSERT_TUMOUR),
    ("db/clinical.rs:put (tumour, correction)", UPDATE_TUMOUR),
    ("db/clinical.rs:put (treatment, new)", INSERT_TREATMENT),
    (
        "db/clinical.rs:put (treatment, correction)",
        UPDATE_TREATMENT,
    ),
    ("db/clinical.rs:put (allergy, new)", INSERT_ALLERGY),
    ("db/clinical.rs:put (allergy, correction)", UPDATE_ALLERGY),
    ("db/clinical.rs:put (medicine, new)", INSERT_MEDICINE),
    ("db/clinical.rs:put (medicine, correction)", UPDATE_MEDICINE),
    ("db/clinical.rs:tumours", TUMOURS),
    ("db/clinical.rs:treatments", TREATMENTS),
    ("db/clinical.rs:allergies", ALLERGIES),
    ("db/clinical.rs:medicines", MEDICINES),
    ("db/clinical.rs:medicine", MEDICINE),
    ("db/clinical.rs:medicine_in", MEDICINE_IN),
    ("db/clinical.rs:authorised_at", AUTHORISED_AT),
];
