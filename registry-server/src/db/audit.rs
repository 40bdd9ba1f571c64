//! The append-only, hash-chained audit log.
//!
//! Every write and every read of patient data appends one entry: who (user, role, facility),
//! when, what action, on which entity. Entries never hold patient data themselves (an entity
//! id is an opaque random id), so the log can be shown to auditors.
//!
//! `hash = SHA-256(prev_hash ‖ seq ‖ at ‖ lp(user_id) ‖ lp(role) ‖ lp(facility_code) ‖
//! lp(action) ‖ lp(entity_type) ‖ lp(entity_id))`, with `seq` and `at` as 8-byte big-endian
//! integers and `lp(x)` a 4-byte big-endian length followed by the UTF-8 bytes. The first
//! entry's `prev_hash` is 32 zero bytes. Editing, deleting or reordering any entry breaks
//! every later hash, which [`verify_chain`] finds.
//!
//! Appends are serialised through the single `audit_head` row: the first statement of an
//! append updates it, which holds its row lock (PostgreSQL) or the write lock (SQLite) until
//! the surrounding transaction commits, so two server instances never fork the chain. The
//! append runs in the same transaction as the write it records: both land, or neither does.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, FromRow};

use super::Db;

mod many;

pub use many::append_many;
use many::chain_in;

/// Who did something, as recorded.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    /// User id.
    pub user_id: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Facility code.
    pub facility_code: &'a str,
}

/// Who the audit log names for what the registry does by itself or a command does
/// (`registry-server recheck`, `population`, `restore`...).
pub const SYSTEM: Actor<'static> = Actor {
    user_id: "system",
    role: "system",
    facility_code: "LY-MOH",
};

/// One audit entry.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// User id.
    pub user_id: String,
    /// Role name.
    pub role: String,
    /// Facility code.
    pub facility_code: String,
    /// What was done: `patient.read`, `card.issue`, `dispensing.record`...
    pub action: String,
    /// The kind of entity: `patient`, `card`, `authorisation`...
    pub entity_type: String,
    /// The entity's id.
    pub entity_id: String,
    /// The previous entry's hash.
    #[serde(with = "hex_bytes")]
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    #[serde(with = "hex_bytes")]
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub hash: Vec<u8>,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&data_encoding::HEXLOWER.encode(bytes))
    }
}

fn lp(hasher: &mut Sha256, text: &str) {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    hasher.update(len.to_be_bytes());
    hasher.update(text.as_bytes());
}

/// The hash of an entry given its predecessor's hash.
pub fn entry_hash(prev_hash: &[u8], e: &Entry) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(e.seq.to_be_bytes());
    h.update(e.at.to_be_bytes());
    for field in [
        &e.user_id,
        &e.role,
        &e.facility_code,
        &e.action,
        &e.entity_type,
        &e.entity_id,
    ] {
        lp(&mut h, field);
    }
    h.finalize().to_vec()
}

/// Appends an entry inside the caller's transaction.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back, write and entry together).
pub async fn append(
    conn: &mut AnyConnection,
    at: i64,
    actor: &Actor<'_>,
    action: &str,
    entity_type: &str,
    entity_id: &str,
) -> Result<i64, sqlx::Error> {
    let (seq, prev_hash): (i64, Vec<u8>) = sqlx::query_as(APPEND).fetch_one(&mut *conn).await?;
    let entry = Pending::new(at, actor, action, entity_type, entity_id).chained(seq, prev_hash);
    insert_entry(&mut *conn, &entry).await?;
    sqlx::query(APPEND_2)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

async fn insert_entry(conn: &mut AnyConnection, entry: &Entry) -> Result<(), sqlx::Error> {
    bind_entry(sqlx::query(INSERT_ENTRY), entry)
        .execute(conn)
        .await?;
    Ok(())
}

/// Binds an entry's columns in the order of [`INSERT_ENTRY`].
fn bind_entry<'q>(query: super::Query<'q>, entry: &'q Entry) -> super::Query<'q> {
    query
        .bind(entry.seq)
        .bind(entry.at)
        .bind(&entry.user_id)
        .bind(&entry.role)
        .bind(&entry.facility_code)
        .bind(&entry.action)
        .bind(&entry.entity_type)
        .bind(&entry.entity_id)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
}

/// Appends an entry in a transaction of its own (for reads, which write nothing else), and
/// returns once it is committed.
///
/// Reads from every request of this server instance are group-committed: one background
/// task appends whatever entries are waiting in one transaction, so the `audit_head` lock is
/// taken once per batch instead of once per read. A request still answers only after its own
/// entry is durable: no read goes unaudited, even across a crash.
///
/// # Errors
/// Database errors, or the audit writer gone.
pub async fn append_alone(
    db: &Db,
    at: i64,
    actor: &Actor<'_>,
    action: &str,
    entity_type: &str,
    entity_id: &str,
) -> Result<(), sqlx::Error> {
    append_reads(db, at, actor, action, entity_type, &[entity_id]).await
}

/// Appends one entry per entity (a search showing several patients), group-committed as
/// [`append_alone`].
///
/// # Errors
/// Database errors, or the audit writer gone.
pub async fn append_reads(
    db: &Db,
    at: i64,
    actor: &Actor<'_>,
    action: &str,
    entity_type: &str,
    entity_ids: &[&str],
) -> Result<(), sqlx::Error> {
    if entity_ids.is_empty() {
        return Ok(());
    }
    let entries = entity_ids
        .iter()
        .map(|id| Pending::new(at, actor, action, entity_type, id))
        .collect();
    let (done, wait) = tokio::sync::oneshot::channel();
    let gone = || sqlx::Error::Protocol("the audit writer has stopped".into());
    db.reads
        .send(Job { entries, done })
        .await
        .map_err(|_| gone())?;
    wait.await
        .map_err(|_| gone())?
        .map_err(sqlx::Error::Protocol)
}

/// An entry waiting for the read-audit writer.
#[derive(Debug)]
struct Pending {
    at: i64,
    user_id: String,
    role: String,
    facility_code: String,
    action: String,
    entity_type: String,
    entity_id: String,
}

impl Pending {
    /// An entry of `actor`'s, not yet in the chain.
    fn new(at: i64, actor: &Actor<'_>, action: &str, entity_type: &str, entity_id: &str) -> Self {
        Pending {
            at,
            user_id: actor.user_id.to_string(),
            role: actor.role.to_string(),
            facility_code: actor.facility_code.to_string(),
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
        }
    }

    /// The entry at `seq`, chained to the previous entry's hash.
    fn chained(&self, seq: i64, prev_hash: Vec<u8>) -> Entry {
        let mut entry = Entry {
            seq,
            at: self.at,
            user_id: self.user_id.clone(),
            role: self.role.clone(),
            facility_code: self.facility_code.clone(),
            action: self.action.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            prev_hash,
            hash: Vec::new(),
        };
        entry.hash = entry_hash(&entry.prev_hash, &entry);
        entry
    }
}

/// One request's entries and where to say they are committed.
#[derive(Debug)]
pub struct Job {
    entries: Vec<Pending>,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// Most jobs committed in one transaction.
const BATCH: usize = 128;

/// Starts this instance's read-audit writer; [`super::connect`] calls it.
pub(crate) fn spawn_read_writer(pool: sqlx::AnyPool) -> tokio::sync::mpsc::Sender<Job> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Job>(1024);
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let result = write_batch(&pool, &batch).await.map_err(|e| {
                tracing::error!(error = %e, "audit append failed");
                "the audit log could not be written".to_string()
            });
            for job in batch {
                let _ = job.done.send(result.clone());
            }
        }
    });
    sender
}

async fn write_batch(pool: &sqlx::AnyPool, batch: &[Job]) -> Result<(), sqlx::Error> {
    let pending: Vec<&Pending> = batch.iter().flat_map(|job| &job.entries).collect();
    let Ok(count) = i64::try_from(pending.len()) else {
        return Err(sqlx::Error::Protocol("audit batch too large".into()));
    };
    if count == 0 {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    chain_in(&mut tx, &pending, count).await?;
    tx.commit().await
}

/// Filters for [`query`]; every filter is optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Only this user's entries.
    pub user_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this kind of entity.
    pub entity_type: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// From this time (Unix seconds, inclusive).
    pub from: Option<i64>,
    /// Until this time (Unix seconds, exclusive).
    pub until: Option<i64>,
    /// Entries after this sequence number (pagination cursor).
    pub after: Option<i64>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// Entries matching `f`, in chain order.
///
/// # Errors
/// Database errors.
pub async fn query(db: &Db, f: &Filter) -> Result<Vec<Entry>, sqlx::Error> {
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    sqlx::query_as::<_, Entry>(QUERY)
        .bind(f.user_id.as_deref())
        .bind(f.action.as_deref())
        .bind(f.entity_type.as_deref())
        .bind(f.entity_id.as_deref())
        .bind(f.from)
        .bind(f.until)
        .bind(f.after.unwrap_or(0))
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: i64,
    /// Whether every hash and link is right and the head matches the last entry.
    pub intact: bool,
    /// The first sequence number found broken, if any.
    pub first_broken: Option<i64>,
}

/// Recomputes every hash from the first entry, a page at a time.
///
/// # Errors
/// Database errors.
pub async fn verify_chain(db: &Db) -> Result<ChainReport, sqlx::Error> {
    const PAGE: i64 = 1000;
    let mut prev = vec![0u8; 32];
    let mut expected_seq = 1;
    let mut after = 0;
    loop {
        let page = sqlx::query_as::<_, Entry>(VERIFY_CHAIN)
            .bind(after)
            .bind(PAGE)
            .fetch_all(db.reader())
            .await?;
        for e in &page {
            let intact =
                e.seq == expected_seq && e.prev_hash == prev && entry_hash(&prev, e) == e.hash;
            if !intact {
                return Ok(ChainReport {
                    entries: expected_seq - 1,
                    intact: false,
                    first_broken: Some(expected_seq),
                });
            }
            prev.clone_from(&e.hash);
            expected_seq += 1;
            after = e.seq;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    let (head_seq, head_hash): (i64, Vec<u8>) = sqlx::query_as(VERIFY_CHAIN_2)
        .fetch_one(db.reader())
        .await?;
    let entries = expected_seq - 1;
    let head_ok = head_seq == entries && head_hash == prev;
    Ok(ChainReport {
        entries,
        intact: head_ok,
        first_broken: (!head_ok).then_some(entries + 1),
    })
}

/// Reads of a patient by a user of another facility than the one that registered the
/// patient, summed per reader and patient.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ReadElsewhere {
    /// The reader.
    pub user_id: String,
    /// The reader's facility.
    pub facility_code: String,
    /// The patient read.
    pub patient_id: String,
    /// The facility that registered the patient (its `patient.create` entry).
    pub registered_at: String,
    /// Reads in the period.
    pub reads: i64,
    /// Unix seconds: the first and the last read in the period.
    pub first_at: i64,
    /// Unix seconds.
    pub last_at: i64,
}

/// [`ReadElsewhere`] rows of reads in `[from, until)`, latest first, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn read_elsewhere(
    db: &Db,
    from: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<ReadElsewhere>, sqlx::Error> {
    sqlx::query_as::<_, ReadElsewhere>(READ_ELSEWHERE)
        .bind(from)
        .bind(until)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// `read_elsewhere`.
const READ_ELSEWHERE: &str = "SELECT r.user_id, r.facility_code, r.entity_id AS patient_id, \
     c.facility_code AS registered_at, COUNT(*) AS reads, MIN(r.at) AS first_at, \
     MAX(r.at) AS last_at \
     FROM audit_log r JOIN audit_log c ON c.entity_type = 'patient' \
     AND c.entity_id = r.entity_id AND c.action = 'patient.create' \
     WHERE r.action = 'patient.read' AND r.entity_type = 'patient' \
     AND r.facility_code <> c.facility_code AND r.at >= $1 AND r.at < $2 \
     GROUP BY r.user_id, r.facility_code, r.entity_id, c.facility_code \
     ORDER BY MAX(r.at) DESC, r.user_id, r.entity_id LIMIT $3";
/// `append`.
const APPEND: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash";
/// `append`.
const APPEND_2: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";
/// `insert_entry`.
pub(crate) const INSERT_ENTRY: &str =
    "INSERT INTO audit_log (seq, at, user_id, role, facility_code, action, entity_type, \
         entity_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// `write_batch`.
const WRITE_BATCH: &str = "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash";
/// `write_batch`.
const WRITE_BATCH_2: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";
/// `query`.
// The casts let PostgreSQL type an optional filter from the statement alone (it prepares
// every statement before any value is bound: tests/registry/layers.rs).
const QUERY: &str =
    "SELECT seq, at, user_id, role, facility_code, action, entity_type, entity_id, \
         prev_hash, hash FROM audit_log \
         WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR action = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR entity_type = $3) \
         AND (CAST($4 AS TEXT) IS NULL OR entity_id = $4) \
         AND (CAST($5 AS BIGINT) IS NULL OR at >= $5) \
         AND (CAST($6 AS BIGINT) IS NULL OR at < $6) AND seq > $7 \
         ORDER BY seq LIMIT $8";
/// `verify_chain`.
const VERIFY_CHAIN: &str =
    "SELECT seq, at, user_id, role, facility_code, action, entity_type, entity_id, \
             prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2";
/// `verify_chain`.
const VERIFY_CHAIN_2: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/audit.rs:read_elsewhere", READ_ELSEWHERE),
    ("db/audit.rs:append", APPEND),
    ("db/audit.rs:append", APPEND_2),
    ("db/audit.rs:insert_entry", INSERT_ENTRY),
    ("db/audit.rs:write_batch", WRITE_BATCH),
    ("db/audit.rs:write_batch", WRITE_BATCH_2),
    ("db/audit.rs:query", QUERY),
    ("db/audit.rs:verify_chain", VERIFY_CHAIN),
    ("db/audit.rs:verify_chain", VERIFY_CHAIN_2),
];
