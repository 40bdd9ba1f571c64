//! Chaining several entries with one update of the audit head and one multi-row INSERT per
//! [`super::super::MANY_PARAMETERS`] parameters: the read-audit writer's batches, and the
//! entries of a bulk write (an import).

use sqlx::AnyConnection;

use super::{Actor, Pending, INSERT_ENTRY, WRITE_BATCH, WRITE_BATCH_2};

/// Reserves the sequence numbers of `count` entries with one update of the head row (which
/// takes its lock), chains the entries in memory, stores them, then the last hash.
pub(super) async fn chain_in(
    conn: &mut AnyConnection,
    pending: &[&Pending],
    count: i64,
) -> Result<(), sqlx::Error> {
    let (last_seq, mut prev_hash): (i64, Vec<u8>) = sqlx::query_as(WRITE_BATCH)
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let mut entries = Vec::with_capacity(pending.len());
    for (i, e) in (0..).zip(pending) {
        let entry = e.chained(last_seq - count + 1 + i, prev_hash);
        prev_hash = entry.hash.clone();
        entries.push(entry);
    }
    super::super::insert_all(conn, INSERT_ENTRY, 10, &entries, |q, e| {
        Ok(super::bind_entry(q, e))
    })
    .await?;
    sqlx::query(WRITE_BATCH_2)
        .bind(&prev_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Appends one entry per `(action, entity_type, entity_id)` inside the caller's transaction,
/// taking the head row once for all of them (a bulk write such as an import).
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub async fn append_many(
    conn: &mut AnyConnection,
    at: i64,
    actor: &Actor<'_>,
    entries: &[(&str, &str, &str)],
) -> Result<(), sqlx::Error> {
    let Ok(count) = i64::try_from(entries.len()) else {
        return Err(sqlx::Error::Protocol("audit batch too large".into()));
    };
    if count == 0 {
        return Ok(());
    }
    let pending: Vec<Pending> = entries
        .iter()
        .map(|(action, kind, id)| Pending::new(at, actor, action, kind, id))
        .collect();
    let refs: Vec<&Pending> = pending.iter().collect();
    chain_in(conn, &refs, count).await
}
