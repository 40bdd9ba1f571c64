//! Writes a [`History`] into the database through SQL, with the rows the API writes: only
//! what had happened before a cutoff (patients and tumours recorded, authorisations
//! prescribed and withdrawn, their counts and last dispensing as of then, dispensings,
//! administrations, deaths recorded), so the report sees the registry as it stood that day.

use super::history::{History, FACILITIES};
use super::seed::{Rows, Target, V};

/// The supply officer whose token the latency bench uses.
pub const OFFICER: &str = "bench-supply-officer";

fn registrar(f: usize) -> String {
    format!("bench-supply-registrar-{f}")
}

fn pharmacist(f: usize) -> String {
    format!("bench-supply-pharmacist-{f}")
}

/// The facilities (and the ministry) and their users.
pub async fn reference(target: &mut Target, now: i64) -> anyhow::Result<()> {
    let mut facilities = Rows::new(
        "facilities",
        &["code", "name", "region", "kind", "created_at"],
    );
    for f in &FACILITIES {
        facilities.push([
            V::K(f.code),
            V::K(f.name),
            V::K(f.region),
            V::K("oncology_centre"),
            V::I(now),
        ]);
    }
    facilities.push([
        V::K("LY-MOH"),
        V::K("Ministry of Health"),
        V::K("national"),
        V::K("ministry"),
        V::I(now),
    ]);
    let mut users = Rows::new(
        "users",
        &[
            "id",
            "username",
            "display_name",
            "role",
            "facility_code",
            "active",
            "created_at",
        ],
    );
    let mut user = |id: String, role: &'static str, facility: &'static str| {
        users.push([
            V::S(id.clone()),
            V::S(id.clone()),
            V::S(id),
            V::K(role),
            V::K(facility),
            V::I(1),
            V::I(now),
        ]);
    };
    for (i, f) in FACILITIES.iter().enumerate() {
        user(registrar(i), "registrar", f.code);
        user(pharmacist(i), "pharmacist", f.code);
    }
    user(OFFICER.to_string(), "supply_officer", "LY-MOH");
    target.write(&facilities).await?;
    target.write(&users).await
}

/// Empties the tables [`until`] writes, children first.
pub async fn wipe(target: &mut Target) -> anyhow::Result<()> {
    for table in [
        "administrations",
        "dispensings",
        "medicine_authorisations",
        "follow_ups",
        "tumour_primaries",
        "tumours",
        "patients",
    ] {
        target.execute(&format!("DELETE FROM {table}")).await?;
    }
    Ok(())
}

/// Patient `p`'s registry id.
fn patient_id(p: usize) -> String {
    format!("bench-patient-{p:07}")
}

/// Rows written, by table.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub patients: u64,
    pub authorisations: u64,
    pub dispensings: u64,
    pub administrations: u64,
    pub deaths: u64,
}

/// Writes what had happened before `cutoff` (Unix seconds), in one transaction.
pub async fn until(target: &mut Target, h: &History, cutoff: i64) -> anyhow::Result<Written> {
    let cutoff_day = cutoff.div_euclid(86_400);
    let mut w = Written::default();
    let mut patients = Rows::new(
        "patients",
        &[
            "id",
            "id_type",
            "id_value",
            "name_ar",
            "name_latin",
            "sex",
            "birth_date",
            "region",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
        ],
    );
    let mut tumours = Rows::new(
        "tumours",
        &[
            "id",
            "patient_id",
            "icd10",
            "topography",
            "morphology",
            "behaviour",
            "basis",
            "incidence",
            "stage_scheme",
            "stage_group",
            "status",
            "version",
            "updated_at",
            "updated_by",
        ],
    );
    let mut primaries = Rows::new(
        "tumour_primaries",
        &["tumour_id", "version", "decision", "rule", "decided_at"],
    );
    let mut deaths = Rows::new(
        "follow_ups",
        &[
            "patient_id",
            "last_contact",
            "vital_status",
            "death_date",
            "death_cause",
            "recorded_at",
            "recorded_by",
        ],
    );
    for (i, p) in h.patients.iter().enumerate() {
        if p.recorded >= cutoff_day {
            continue;
        }
        w.patients += 1;
        let id = patient_id(i);
        let at = p.recorded * 86_400 + 9 * 3_600;
        let (icd10, topography, morphology, ..) = super::history::KINDS[p.kind];
        patients.push([
            V::S(id.clone()),
            V::K("national"),
            V::S(format!("1{i:011}")),
            V::K("[\"مريض\"]"),
            V::S(format!("[\"Patient\",\"{i}\"]")),
            V::K(if p.female { "female" } else { "male" }),
            V::I(p.birth),
            V::K(FACILITIES[p.facility].region),
            V::I(1),
            V::I(at),
            V::I(at),
            V::S(registrar(p.facility)),
        ]);
        let tumour = format!("bench-tumour-{i:07}");
        tumours.push([
            V::S(tumour.clone()),
            V::S(id.clone()),
            V::K(icd10),
            V::K(topography),
            V::I(morphology),
            V::I(3),
            V::I(7),
            V::I(p.incidence),
            p.stage.map(|_| "tnm8").into(),
            p.stage.into(),
            V::K("active"),
            V::I(1),
            V::I(at),
            V::S(registrar(p.facility)),
        ]);
        primaries.push([
            V::S(tumour),
            V::I(1),
            V::K("new_primary"),
            V::K("first_tumour"),
            V::I(at),
        ]);
        if let Some((died, recorded)) = p.death.filter(|d| d.1 < cutoff_day) {
            w.deaths += 1;
            deaths.push([
                V::S(id),
                V::I(died),
                V::K("dead"),
                V::I(died),
                V::K(icd10),
                V::I(recorded * 86_400 + 9 * 3_600),
                V::S(registrar(p.facility)),
            ]);
        }
    }
    // Each authorisation's count and last dispensing as of the cutoff.
    let mut counts = vec![(0_i64, None::<i64>); h.auths.len()];
    let mut dispensings = Rows::new(
        "dispensings",
        &[
            "id",
            "idempotency_key",
            "request_hash",
            "authorisation_id",
            "card_serial",
            "facility_code",
            "user_id",
            "quantity",
            "dispensed_at",
            "received_at",
        ],
    );
    let mut administrations = Rows::new(
        "administrations",
        &[
            "id",
            "idempotency_key",
            "request_hash",
            "authorisation_id",
            "facility_code",
            "user_id",
            "cycle",
            "quantity",
            "given_at",
        ],
    );
    for (k, g) in h.given.iter().enumerate() {
        if g.at >= cutoff {
            continue;
        }
        let a = &h.auths[g.auth];
        let c = &mut counts[g.auth];
        c.0 += 1;
        c.1 = Some(c.1.map_or(g.at, |t: i64| t.max(g.at)));
        let id = format!("bench-given-{k:08}");
        let key = format!("bench-key-{k:08}");
        let hash = V::K("\\x00");
        let facility = V::K(FACILITIES[g.facility].code);
        if h.medicines[a.medicine].administered {
            w.administrations += 1;
            administrations.push([
                V::S(id),
                V::S(key),
                hash,
                V::I(a.id),
                facility,
                V::S(pharmacist(g.facility)),
                V::I(g.nth),
                V::I(g.quantity),
                V::I(g.at),
            ]);
        } else {
            w.dispensings += 1;
            dispensings.push([
                V::S(id),
                V::S(key),
                hash,
                V::I(a.id),
                V::S(format!(
                    "BNCH-{:04}-{:04}-0001",
                    a.patient / 10_000,
                    a.patient % 10_000
                )),
                facility,
                V::S(pharmacist(g.facility)),
                V::I(g.quantity),
                V::I(g.at),
                V::I(g.at),
            ]);
        }
    }
    let mut auths = Rows::new(
        "medicine_authorisations",
        &[
            "id",
            "patient_id",
            "atc",
            "name",
            "strength",
            "form",
            "quantity",
            "dispensings",
            "interval_days",
            "valid_until",
            "facility_code",
            "status",
            "dispensed_count",
            "last_dispensed_at",
            "version",
            "updated_at",
            "updated_by",
        ],
    );
    for (a, (count, last)) in h.auths.iter().zip(&counts) {
        if a.created >= cutoff {
            continue;
        }
        w.authorisations += 1;
        let m = &h.medicines[a.medicine];
        let withdrawn = a.withdrawn.filter(|&t| t < cutoff);
        auths.push([
            V::I(a.id),
            V::S(patient_id(a.patient)),
            V::S(m.atc.clone()),
            V::S(m.atc.clone()),
            V::S(m.strength.clone()),
            V::S(m.form.clone()),
            V::I(a.quantity),
            V::I(a.dispensings),
            V::I(a.interval),
            V::I(a.valid_until),
            V::K(FACILITIES[a.facility].code),
            V::K(if withdrawn.is_some() {
                "withdrawn"
            } else {
                "active"
            }),
            V::I(*count),
            (*last).into(),
            V::I(if withdrawn.is_some() { 2 } else { 1 }),
            V::I(withdrawn.unwrap_or(a.created)),
            V::S(registrar(a.facility)),
        ]);
    }
    target.execute("BEGIN").await?;
    for rows in [
        &patients,
        &tumours,
        &primaries,
        &deaths,
        &auths,
        &dispensings,
        &administrations,
    ] {
        target.write(rows).await?;
    }
    target.execute("COMMIT").await?;
    Ok(w)
}
