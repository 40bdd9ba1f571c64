//! The pharmacy: `dispense` and `sync`.
//!
//! A dispensing is written to the local SQLite store (`<home>/pharmacy.sqlite`, WAL,
//! synchronous FULL) with its idempotency key **before** it is sent. Online, it is sent at
//! once; when the registry cannot be reached (or with `--offline`) it stays queued and `sync`
//! sends it later with `offline_at`, so the registry records it even where it breaks a rule
//! (flagged as a conflict for review), because the medicine has already left the pharmacy.
//! The same key on every retry means a retry never duplicates; a row leaves the queue only
//! after the registry's answer is stored, so a crash or a killed registry never loses one.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use card_format::model::{CardPayload, MedicineAuthorisation};
use card_format::Verified;
use rand_core::{OsRng, RngCore};
use registry_api::dispensing::rules::{self, Authorisation, Card, Earlier, Facts};
use registry_api::dispensing::{DispenseRequest, Dispensed, Dispensing, NotAuthorised, Refusal};
use registry_api::problem::Problem;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::Row;

use crate::card::layout;
use crate::card::pcsc_reader::{self, PcscCard};
use crate::cli::{DispenseArgs, SourceArgs, SyncArgs};
use crate::{verify, Class, Outcome};

/// The local store.
pub struct Store {
    rt: tokio::runtime::Runtime,
    pool: SqlitePool,
    /// Where the store lives (a full disk is checked there).
    home: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// A local dispensing record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Local {
    /// The idempotency key it is sent under.
    pub idempotency_key: String,
    /// Card serial, `XXXX-XXXX-XXXX-XXXX`.
    pub card_serial: String,
    /// Authorisation id.
    pub authorisation_id: i64,
    /// Quantity handed out.
    pub quantity: i64,
    /// When it was handed out (Unix seconds).
    pub dispensed_at: i64,
    /// `sending`, `queued`, `recorded`, `refused`.
    pub state: String,
    /// The registry's conflict code, when it recorded the dispensing with one.
    pub conflict: Option<String>,
    /// The registry's refusal code.
    pub refusal: Option<String>,
    /// The registry's message.
    pub message: Option<String>,
}

fn db_err(e: impl std::fmt::Display) -> anyhow::Error {
    Class::Usage.err(format!("the pharmacy's local store: {e}"))
}

/// What the pharmacist reads when the disk under the local store is full.
pub const DISK_FULL: &str = "the pharmacy's disk is full: nothing was recorded, so hand \
     nothing over; free space on this computer, then dispense again (every queued dispensing \
     is kept)";

/// Whether a store error is a full disk: SQLite's `SQLITE_FULL` (the low byte of its
/// extended code is 13), or an I/O error (SQLite reports a full disk while it sizes its
/// shared-memory file as `SQLITE_IOERR_SHMSIZE`) where a small probe file cannot be written
/// for lack of space.
fn is_disk_full(e: &sqlx::Error, home: &Path) -> bool {
    let primary = match e {
        sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| c & 0xff),
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => return true,
        sqlx::Error::Io(_) => Some(10),
        _ => None,
    };
    match primary {
        Some(13) => true,
        Some(10) => no_space_in(home),
        _ => false,
    }
}

/// Whether 64 KiB cannot be written in `dir` for lack of space.
fn no_space_in(dir: &Path) -> bool {
    use std::io::Write;
    let probe = dir.join(".space-probe");
    let written = std::fs::File::create(&probe).and_then(|mut f| f.write_all(&[0u8; 65_536]));
    let _ = std::fs::remove_file(&probe);
    matches!(written, Err(e) if e.kind() == std::io::ErrorKind::StorageFull)
}

/// A store error as the pharmacist reads it: [`DISK_FULL`] for a full disk.
fn store_err(home: &Path) -> impl Fn(sqlx::Error) -> anyhow::Error + '_ {
    move |e| {
        if is_disk_full(&e, home) {
            Class::Usage.err(DISK_FULL)
        } else {
            db_err(e)
        }
    }
}

impl Store {
    /// Opens (creating and migrating) `<home>/pharmacy.sqlite`.
    ///
    /// # Errors
    /// The file cannot be created or migrated.
    pub fn open(home: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(home)
            .with_context(|| format!("while creating {}", home.display()))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("while starting the runtime")?;
        let path = home.join("pharmacy.sqlite");
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = rt.block_on(async {
            let pool = sqlx::pool::PoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(store_err(home))?;
            sqlx::migrate!("./migrations")
                .run(&pool)
                .await
                .map_err(|e| match e {
                    sqlx::migrate::MigrateError::Execute(e) => store_err(home)(e),
                    other => db_err(other),
                })?;
            Ok::<_, anyhow::Error>(pool)
        })?;
        Ok(Store {
            rt,
            pool,
            home: home.to_path_buf(),
        })
    }

    /// Records a dispensing about to be sent (`sending`) or queued (`queued`).
    ///
    /// # Errors
    /// The store cannot be written.
    pub fn insert(&self, d: &Local) -> anyhow::Result<()> {
        self.rt
            .block_on(
                sqlx::query(
                    "INSERT INTO dispensings (idempotency_key, card_serial, authorisation_id, \
                     quantity, dispensed_at, state) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(&d.idempotency_key)
                .bind(&d.card_serial)
                .bind(d.authorisation_id)
                .bind(d.quantity)
                .bind(d.dispensed_at)
                .bind(&d.state)
                .execute(&self.pool),
            )
            .map_err(store_err(&self.home))?;
        Ok(())
    }

    /// Stores the registry's answer, or a failed attempt (`state` unchanged).
    fn settle(&self, key: &str, answer: &Answer, now: i64) -> anyhow::Result<()> {
        let (state, registry_id, conflict, refusal, message) = match answer {
            Answer::Recorded {
                id,
                conflict,
                message,
            } => (
                "recorded",
                Some(id.clone()),
                conflict.clone(),
                None,
                message.clone(),
            ),
            Answer::Refused { code, message } => (
                "refused",
                None,
                None,
                Some(code.clone()),
                Some(message.clone()),
            ),
            Answer::Unreachable(_) => {
                self.rt
                    .block_on(
                        sqlx::query(
                            "UPDATE dispensings SET attempts = attempts + 1, last_attempt_at = ?, \
                             state = CASE state WHEN 'sending' THEN 'queued' ELSE state END \
                             WHERE idempotency_key = ? AND state IN ('sending', 'queued')",
                        )
                        .bind(now)
                        .bind(key)
                        .execute(&self.pool),
                    )
                    .map_err(store_err(&self.home))?;
                return Ok(());
            }
        };
        self.rt
            .block_on(
                sqlx::query(
                    "UPDATE dispensings SET state = ?, registry_id = ?, conflict = ?, refusal = ?, \
                     message = ?, attempts = attempts + 1, last_attempt_at = ? \
                     WHERE idempotency_key = ?",
                )
                .bind(state)
                .bind(registry_id)
                .bind(conflict)
                .bind(refusal)
                .bind(message)
                .bind(now)
                .bind(key)
                .execute(&self.pool),
            )
            .map_err(store_err(&self.home))?;
        Ok(())
    }

    fn rows(&self, sql: &str, bind: Option<i64>) -> anyhow::Result<Vec<Local>> {
        let mut q = sqlx::query(sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = self
            .rt
            .block_on(q.fetch_all(&self.pool))
            .map_err(store_err(&self.home))?;
        rows.iter()
            .map(|r| {
                Ok(Local {
                    idempotency_key: r.try_get("idempotency_key")?,
                    card_serial: r.try_get("card_serial")?,
                    authorisation_id: r.try_get("authorisation_id")?,
                    quantity: r.try_get("quantity")?,
                    dispensed_at: r.try_get("dispensed_at")?,
                    state: r.try_get("state")?,
                    conflict: r.try_get("conflict")?,
                    refusal: r.try_get("refusal")?,
                    message: r.try_get("message")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(store_err(&self.home))
    }

    /// This pharmacy's dispensings against an authorisation that count (not refused).
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn for_authorisation(&self, id: i64) -> anyhow::Result<Vec<Local>> {
        self.rows(
            "SELECT * FROM dispensings WHERE authorisation_id = ? AND state <> 'refused' \
             ORDER BY dispensed_at",
            Some(id),
        )
    }

    /// Dispensings still to send, oldest first.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn pending(&self) -> anyhow::Result<Vec<Local>> {
        self.rows(
            "SELECT * FROM dispensings WHERE state IN ('sending', 'queued') \
             ORDER BY dispensed_at, idempotency_key",
            None,
        )
    }
}

/// What the registry said to one dispensing.
#[derive(Debug, Clone)]
enum Answer {
    Recorded {
        id: String,
        conflict: Option<String>,
        message: Option<String>,
    },
    Refused {
        code: String,
        message: String,
    },
    Unreachable(String),
}

/// The registry, for dispensings.
struct Registry(crate::client::RegistryClient);

impl Registry {
    fn from_args(source: &SourceArgs) -> anyhow::Result<Option<Registry>> {
        Ok(crate::client::RegistryClient::from_source(source)?.map(Registry))
    }

    fn send(&self, d: &Local, offline: bool) -> Answer {
        let (Ok(authorisation_id), Ok(quantity)) =
            (u64::try_from(d.authorisation_id), u32::try_from(d.quantity))
        else {
            return Answer::Refused {
                code: "invalid".into(),
                message: "the stored dispensing has an impossible id or quantity".into(),
            };
        };
        let body = DispenseRequest {
            idempotency_key: d.idempotency_key.clone(),
            card_serial: d.card_serial.clone(),
            authorisation_id,
            quantity,
            offline_at: offline.then(|| u64::try_from(d.dispensed_at).unwrap_or(0)),
        };
        let mut response = match self.0.post_json("/dispensings", &body) {
            Ok(r) => r,
            Err(e) => return Answer::Unreachable(e.to_string()),
        };
        let status = response.status().as_u16();
        let bytes = match response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => return Answer::Unreachable(format!("answer {status} unreadable: {e}")),
        };
        let unreadable =
            |e: serde_json::Error| Answer::Unreachable(format!("answer {status} unreadable: {e}"));
        match status {
            200 | 201 => match serde_json::from_slice::<Dispensed>(&bytes) {
                Ok(answer) => Answer::Recorded {
                    id: answer.dispensing.id,
                    conflict: answer.conflict,
                    message: None,
                },
                Err(e) => unreadable(e),
            },
            // Refusals (409) and invalid requests (422) are final: kept for a person.
            409 | 422 => match serde_json::from_slice::<Problem>(&bytes) {
                Ok(p) => Answer::Refused {
                    code: p.code,
                    message: p.detail,
                },
                Err(e) => unreadable(e),
            },
            // 401/403: a token problem, 5xx: a registry problem; both retried later.
            _ => Answer::Unreachable(format!(
                "the registry answered {status}: {}",
                serde_json::from_slice::<Problem>(&bytes)
                    .map(|p| p.detail)
                    .unwrap_or_default()
            )),
        }
    }

    /// Dispensings the registry holds for an authorisation, when it can be asked.
    fn dispensed(&self, authorisation: u64) -> Option<i64> {
        let mut r = self
            .0
            .get(&format!("/authorisations/{authorisation}/dispensings"))
            .ok()?;
        if r.status() != 200 {
            return None;
        }
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 22)
            .read_to_vec()
            .ok()?;
        let rows: Vec<Dispensing> = serde_json::from_slice(&bytes).ok()?;
        i64::try_from(rows.len()).ok()
    }
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("pharm-{}", hex::encode(bytes))
}

/// Reads the card the pharmacist presents: QR text, an image, or the smart card.
fn card_bytes(args: &DispenseArgs) -> anyhow::Result<Vec<u8>> {
    if let Some(qr) = &args.qr {
        let text = if qr == "-" {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("while reading standard input")?;
            line
        } else {
            qr.clone()
        };
        return card_format::qr::decode(text.trim())
            .map_err(|e| Class::Refused.err(format!("{e} [{}]", e.code())));
    }
    if let Some(image) = &args.image {
        let texts = verify::qr_texts_in_image(image)?;
        let text = texts
            .first()
            .ok_or_else(|| Class::Image.err("no QR code in the image"))?;
        return card_format::qr::decode(text)
            .map_err(|e| Class::Refused.err(format!("{e} [{}]", e.code())));
    }
    let name = pcsc_reader::wait_for_card(
        args.reader.reader.as_deref(),
        args.reader.wait.map(Duration::from_secs),
    )?;
    let mut card = PcscCard::connect(&name, false)?;
    layout::read_card(&mut card).map_err(|e| e.class(false).err(e.to_string()))
}

/// What the rulebook says about dispensing `m` offline, now, on a card expiring at
/// `expires_at`; `None` when allowed. The count is the larger of the registry's (when it
/// answered) and this pharmacy's own.
fn offline_refusal(
    m: &MedicineAuthorisation,
    quantity: u32,
    expires_at: u64,
    done: &[Local],
    registry_count: Option<i64>,
    now: u64,
) -> Option<Refusal> {
    let at = i64::try_from(now).unwrap_or(i64::MAX);
    let mut earlier = Earlier::from_times(done.iter().map(|d| d.dispensed_at), at);
    earlier.count = earlier.count.max(registry_count.unwrap_or(0));
    let facts = Facts {
        at,
        card: Some(Card::active(i64::try_from(expires_at).unwrap_or(i64::MAX))),
        // Judged now: after the card's issue and the authorisation's recording.
        authorisation: Ok(Authorisation {
            authorised_at: None,
            quantity: m.quantity,
            dispensings: i64::from(m.dispensings),
            interval_days: i64::from(m.interval_days),
            valid_until: m.valid_until,
        }),
        quantity,
        earlier,
    };
    rules::judge(&facts).first().cloned()
}

/// `dispense`.
///
/// # Errors
/// The card unreadable, the trust material or the local store unusable.
pub fn dispense(args: &DispenseArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (trust_store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    let home_dir = crate::trust::home(home)?;
    let store = Store::open(&home_dir)?;
    let registry = if args.offline {
        None
    } else {
        Registry::from_args(&args.source)?
    };
    let bytes = card_bytes(args)?;
    let verified: Verified<CardPayload> =
        match verify::verify_bytes(&trust_store, &policy, now, &bytes) {
            Ok(v) => v,
            Err(e) => {
                let result = Err(e);
                if args.json {
                    println!("{}", verify::json_line(&result));
                } else {
                    println!("{}", verify::text_line(&result));
                    println!("nothing may be dispensed on this card");
                }
                return Ok(Outcome::Failed(Class::Refused));
            }
        };
    let card = verified.value();
    let serial = card.serial.to_string();

    // Listing asks about every medicine; dispensing one asks about that one only (one round
    // trip to the registry instead of one per medicine on the card).
    let mut medicines = Vec::new();
    for m in &card.summary.medicines {
        if args.medicine.is_some_and(|wanted| wanted != m.id) {
            continue;
        }
        let id = i64::try_from(m.id).unwrap_or(i64::MAX);
        let local = store.for_authorisation(id)?;
        let remote = registry.as_ref().and_then(|r| r.dispensed(m.id));
        medicines.push((m, local, remote));
    }
    let Some(wanted) = args.medicine else {
        if args.json {
            let list: Vec<serde_json::Value> = medicines
                .iter()
                .map(|(m, local, remote)| {
                    serde_json::json!({
                        "authorisation_id": m.id, "atc": m.atc, "name": m.name,
                        "strength": m.strength, "quantity": m.quantity,
                        "dispensings_authorised": m.dispensings, "interval_days": m.interval_days,
                        "valid_until": m.valid_until.to_string(),
                        "dispensed_here": local.len(), "dispensed_registry": remote,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"valid": true, "serial": serial, "medicines": list,
                    "warnings": verified.warnings().iter().map(|w| w.code()).collect::<Vec<_>>()})
            );
        } else {
            println!("{}", verify::describe(&verified));
            println!();
            println!("authorised medicines (dispensed: at the registry / by this pharmacy):");
            for (m, local, remote) in &medicines {
                println!(
                    "  #{:<6} {} {} {}  x{} per dispensing, {} of {} dispensed ({} here), every {} days, until {}",
                    m.id,
                    m.atc,
                    m.name,
                    m.strength,
                    m.quantity,
                    remote.map_or("?".to_string(), |r| r.to_string()),
                    m.dispensings,
                    local.len(),
                    m.interval_days,
                    m.valid_until
                );
            }
        }
        return Ok(Outcome::Ok);
    };

    let refuse = |code: &str, message: String| -> anyhow::Result<Outcome> {
        if args.json {
            println!(
                "{}",
                serde_json::json!({"dispensed": false, "serial": serial, "authorisation_id": wanted,
                    "code": code, "message": message})
            );
        } else {
            println!("REFUSED  {message} [{code}]");
        }
        Ok(Outcome::Failed(Class::Refused))
    };
    let Some((m, local, remote)) = medicines.iter().find(|(m, ..)| m.id == wanted) else {
        let refusal = Refusal::MedicineNotAuthorised(NotAuthorised::NotOnCard(wanted));
        return refuse(refusal.code(), refusal.to_string());
    };
    let quantity = args.quantity.unwrap_or(m.quantity);
    if let Some(refusal) = offline_refusal(m, quantity, card.expires_at, local, *remote, now) {
        return refuse(refusal.code(), refusal.to_string());
    }
    let record = Local {
        idempotency_key: new_key(),
        card_serial: serial.clone(),
        authorisation_id: i64::try_from(m.id).unwrap_or(i64::MAX),
        quantity: i64::from(quantity),
        dispensed_at: i64::try_from(now).unwrap_or(i64::MAX),
        state: if registry.is_some() {
            "sending"
        } else {
            "queued"
        }
        .to_string(),
        conflict: None,
        refusal: None,
        message: None,
    };
    store.insert(&record)?;
    let answer = match &registry {
        Some(r) => r.send(&record, false),
        None => Answer::Unreachable("offline".into()),
    };
    store.settle(&record.idempotency_key, &answer, record.dispensed_at)?;
    let (dispensed, state, detail, code) = match &answer {
        Answer::Recorded { conflict, .. } => (
            true,
            "recorded",
            match conflict {
                Some(c) => format!("recorded at the registry, flagged for review: {c}"),
                None => "recorded at the registry".to_string(),
            },
            conflict.clone(),
        ),
        Answer::Refused { code, message } => {
            (false, "refused", message.clone(), Some(code.clone()))
        }
        Answer::Unreachable(why) => (
            true,
            "queued",
            if args.offline || registry.is_none() {
                "offline: queued; `card-agent sync` sends it when the registry is reachable"
                    .to_string()
            } else {
                format!(
                    "the registry is unreachable ({why}); queued, `card-agent sync` sends it later"
                )
            },
            None,
        ),
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({"dispensed": dispensed, "state": state, "serial": serial,
                "authorisation_id": m.id, "quantity": quantity, "code": code,
                "idempotency_key": record.idempotency_key, "message": detail})
        );
    } else if dispensed {
        println!(
            "DISPENSED  {} {} x{quantity} on card {serial}: {detail}",
            m.name, m.strength
        );
    } else {
        println!(
            "REFUSED  {detail} [{}]",
            code.as_deref().unwrap_or("refused")
        );
    }
    Ok(if dispensed {
        Outcome::Ok
    } else {
        Outcome::Failed(Class::Refused)
    })
}

/// `sync`.
///
/// # Errors
/// No registry given, the local store unusable; the registry unreachable ends with
/// [`Class::Registry`] after storing what was sent.
pub fn sync(args: &SyncArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let home_dir = crate::trust::home(home)?;
    let store = Store::open(&home_dir)?;
    let registry = Registry::from_args(&args.source)?
        .ok_or_else(|| Class::Usage.err("sync needs --server (or CARD_AGENT_SERVER)"))?;
    let pending = store.pending()?;
    let (mut recorded, mut conflicts, mut refused) = (0, 0, 0);
    let mut unreachable = None;
    for d in &pending {
        // An online attempt whose answer was lost is retried as it was sent: the registry
        // answers a retry with the first result. A queued one carries its offline time.
        let answer = registry.send(d, d.state == "queued");
        let now = i64::try_from(crate::trust::now_or(None)?).unwrap_or(i64::MAX);
        store.settle(&d.idempotency_key, &answer, now)?;
        match &answer {
            Answer::Recorded { conflict, .. } => {
                recorded += 1;
                if let Some(c) = conflict {
                    conflicts += 1;
                    if !args.json {
                        println!(
                            "CONFLICT  #{} on card {}: {c} (recorded, flagged for review)",
                            d.authorisation_id, d.card_serial
                        );
                    }
                }
            }
            Answer::Refused { code, message } => {
                refused += 1;
                if !args.json {
                    println!(
                        "REFUSED   #{} on card {}: {message} [{code}] (kept in the local store)",
                        d.authorisation_id, d.card_serial
                    );
                }
            }
            Answer::Unreachable(why) => {
                unreachable = Some(why.clone());
                break;
            }
        }
    }
    let remaining = store.pending()?.len();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"sent": recorded + refused, "recorded": recorded,
                "conflicts": conflicts, "refused": refused, "remaining": remaining,
                "error": unreachable})
        );
    } else {
        println!(
            "synced {} of {}: {recorded} recorded ({conflicts} flagged), {refused} refused, {remaining} still queued",
            recorded + refused,
            pending.len()
        );
    }
    match unreachable {
        Some(why) => Err(Class::Registry.err(format!(
            "the registry became unreachable ({why}); {remaining} dispensings stay queued"
        ))),
        None if refused > 0 => Ok(Outcome::Failed(Class::Refused)),
        None => Ok(Outcome::Ok),
    }
}
