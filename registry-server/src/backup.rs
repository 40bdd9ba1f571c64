//! `registry-server backup` and `registry-server restore` (docs/registry-server.md,
//! "Backups and restore").
//!
//! A backup is one file, private to its owner (mode 0600: it holds every patient):
//! - **SQLite**: `VACUUM INTO`, SQLite's transactionally consistent copy of a live database
//!   (other connections keep writing meanwhile), a database file itself;
//! - **PostgreSQL**: `pg_dump --format=custom` (one snapshot of the database, or of the
//!   registry's schema), run as a child process; PostgreSQL's client tools must be on `PATH`.
//!
//! A restore loads a backup into a place that holds no registry yet (it never overwrites),
//! then, before anyone uses it: runs the migrations a newer server needs, verifies the whole
//! audit chain (a broken chain undoes the restore: nothing is left behind), digests every
//! table, and moves the trust bundle's sequence past every bundle published since the backup
//! (`bundle_sequence_seen`: agents refuse a bundle older than the one they hold, so a
//! restored registry must never publish a sequence number already used). The restore is
//! audited (`registry.restore`, the backup's SHA-256 as entity).

use std::io::{Read, Seek};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::db::backup::TableDigest;
use crate::db::{self, Backend, DbOptions};

/// Where a registry lives.
#[derive(Debug, Clone)]
pub struct Place {
    /// `sqlite:path...` or `postgres://...`.
    pub url: String,
    /// The PostgreSQL schema, when not the connection's default.
    pub pg_schema: Option<String>,
}

impl Place {
    fn options(&self) -> DbOptions {
        DbOptions {
            url: self.url.clone(),
            max_connections: 2,
            pg_schema: self.pg_schema.clone(),
        }
    }

    fn backend(&self) -> anyhow::Result<Backend> {
        self.url.parse().context("the database URL")
    }

    fn sqlite_file(&self) -> anyhow::Result<PathBuf> {
        db::sqlite_file(&self.url)
            .map(Path::to_path_buf)
            .context("a backup needs a SQLite file, not an in-memory database")
    }
}

/// What a backup wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub file: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Hex of its SHA-256 (the restore's audit entry names it).
    pub sha256: String,
}

/// What a restore loaded and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// Hex of the backup's SHA-256.
    pub sha256: String,
    /// Every table as the backup held it (after the migrations, before the restore's own
    /// two changes below).
    pub tables: Vec<TableDigest>,
    /// Entries of the audit chain, every one verified.
    pub audit_entries: i64,
    /// The bundle sequence the backup held.
    pub bundle_sequence_in_backup: i64,
    /// The sequence the restored registry publishes next: one past the larger of the
    /// backup's and the highest seen in the field.
    pub bundle_sequence: i64,
}

/// Writes a backup of the registry at `from` into the new file `out`.
///
/// # Errors
/// `out` exists; the database is unreachable; `pg_dump` is missing or fails (the file is
/// then removed).
pub async fn backup(from: &Place, out: &Path) -> anyhow::Result<BackupReport> {
    let backend = from.backend()?;
    if backend == Backend::Sqlite {
        let file = from.sqlite_file()?;
        ensure!(file.exists(), "{} does not exist", file.display());
    }
    let created = private_new_file(out)?;
    let done = match backend {
        Backend::Sqlite => sqlite_backup(from, out).await,
        Backend::Postgres => postgres_backup(from, created).await,
    };
    if let Err(e) = done {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    let (bytes, sha256) = file_digest(out)?;
    Ok(BackupReport {
        file: out.to_path_buf(),
        bytes,
        sha256,
    })
}

async fn sqlite_backup(from: &Place, out: &Path) -> anyhow::Result<()> {
    let source = db::connect(&from.options())
        .await
        .context("while opening the database")?;
    let target = out.to_str().context("the backup's path is not UTF-8")?;
    db::backup::sqlite_copy_into(&source, target)
        .await
        .context("while copying the database")?;
    Ok(())
}

async fn postgres_backup(from: &Place, out: std::fs::File) -> anyhow::Result<()> {
    let mut dump = std::process::Command::new("pg_dump");
    dump.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--dbname={}", from.url))
        .stdout(out)
        .stderr(std::process::Stdio::piped());
    if let Some(schema) = &from.pg_schema {
        dump.arg(format!("--schema={schema}"));
    }
    run(dump, "pg_dump").await
}

/// Restores the backup `file` into `to`, which must hold no registry.
///
/// # Errors
/// `to` holds a database already; the backup does not load; its audit chain is broken
/// (the restore is then undone); a database error.
pub async fn restore(
    file: &Path,
    to: &Place,
    bundle_sequence_seen: i64,
    now: i64,
) -> anyhow::Result<RestoreReport> {
    ensure!(
        bundle_sequence_seen >= 0,
        "a bundle sequence is never negative"
    );
    let (_, sha256) = file_digest(file)?;
    let backend = to.backend()?;
    match backend {
        Backend::Sqlite => sqlite_load(file, &to.sqlite_file()?)?,
        Backend::Postgres => postgres_load(file, to).await?,
    }
    match settle(to, &sha256, bundle_sequence_seen, now).await {
        Ok(report) => Ok(report),
        Err(e) => {
            undo(to, backend).await.with_context(|| {
                format!("{e:#}; and undoing the restore failed: remove what it loaded by hand")
            })?;
            Err(e.context("the restore was undone"))
        }
    }
}

/// Migrations, verification, digests, the sequence and the audit entry.
async fn settle(
    to: &Place,
    sha256: &str,
    bundle_sequence_seen: i64,
    now: i64,
) -> anyhow::Result<RestoreReport> {
    let restored = db::connect(&to.options())
        .await
        .context("while opening the restored database")?;
    let chain = db::audit::verify_chain(&restored).await?;
    if !chain.intact {
        bail!(
            "the backup's audit chain is broken at entry {} of {}",
            chain.first_broken.unwrap_or(0),
            chain.entries
        );
    }
    let tables = db::backup::digests(&restored).await?;
    let in_backup = db::trust::sequence(&restored).await?;
    let next = in_backup.max(bundle_sequence_seen) + 1;
    let mut tx = restored.pool.begin().await?;
    db::backup::set_bundle_sequence(&mut tx, next, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &db::audit::SYSTEM,
        "registry.restore",
        "backup",
        sha256,
    )
    .await?;
    tx.commit().await?;
    drop(restored);
    Ok(RestoreReport {
        sha256: sha256.to_string(),
        tables,
        audit_entries: chain.entries,
        bundle_sequence_in_backup: in_backup,
        bundle_sequence: next,
    })
}

/// Copies the backup into a new private file.
fn sqlite_load(backup: &Path, target: &Path) -> anyhow::Result<()> {
    let not_empty = std::fs::metadata(target).is_ok_and(|m| m.len() > 0);
    ensure!(
        !not_empty,
        "{} holds a database already; a restore never overwrites one",
        target.display()
    );
    let _ = std::fs::remove_file(target);
    let mut source = std::fs::File::open(backup)
        .with_context(|| format!("while opening {}", backup.display()))?;
    let mut header = [0u8; 16];
    source
        .read_exact(&mut header)
        .with_context(|| format!("{} is not a SQLite backup", backup.display()))?;
    ensure!(
        &header == b"SQLite format 3\0",
        "{} is not a SQLite backup",
        backup.display()
    );
    source.rewind()?;
    let mut out = private_new_file(target)?;
    let copied = std::io::copy(&mut source, &mut out).and_then(|_| out.sync_all());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(e).with_context(|| format!("while writing {}", target.display()));
    }
    Ok(())
}

/// `pg_restore` in one transaction, into a schema that holds nothing.
async fn postgres_load(backup: &Path, to: &Place) -> anyhow::Result<()> {
    let objects = db::backup::postgres_objects(&mut postgres(to).await?).await?;
    ensure!(
        objects == 0,
        "the database holds {objects} tables or functions already; a restore never \
         overwrites a registry (restore into an empty database or schema)"
    );
    let mut load = std::process::Command::new("pg_restore");
    load.arg("--exit-on-error")
        .arg("--single-transaction")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--dbname={}", to.url))
        .arg(backup)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    run(load, "pg_restore").await
}

/// Removes what a restore loaded: the SQLite file, or every table and function of the
/// schema (which held none before).
async fn undo(to: &Place, backend: Backend) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => {
            let file = to.sqlite_file()?;
            for suffix in ["", "-wal", "-shm"] {
                let mut name = file.clone().into_os_string();
                name.push(suffix);
                match std::fs::remove_file(&name) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
        }
        Backend::Postgres => {
            db::backup::postgres_clear(&mut postgres(to).await?).await?;
            Ok(())
        }
    }
}

/// A plain connection (no migrations) to the place's schema, which may not exist yet.
async fn postgres(to: &Place) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&to.url)
        .await
        .context("while connecting to the database")?;
    if let Some(schema) = &to.pg_schema {
        db::backup::use_schema(&mut conn, schema).await?;
    }
    Ok(conn)
}

/// Runs a PostgreSQL client tool; its error output becomes the error.
async fn run(mut command: std::process::Command, name: &str) -> anyhow::Result<()> {
    let name = name.to_string();
    tokio::task::spawn_blocking(move || run_blocking(&mut command, &name)).await?
}

fn run_blocking(command: &mut std::process::Command, name: &str) -> anyhow::Result<()> {
    let child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("{name} is not installed (Debian: apt-get install postgresql-client)")
        } else {
            anyhow::anyhow!("while starting {name}: {e}")
        }
    })?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        bail!("{name} failed ({}): {}", output.status, said.trim());
    }
    Ok(())
}

/// Creates `path`, which must not exist, readable and writable by its owner only.
pub(crate) fn private_new_file(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("while creating {}", path.display()))
}

/// A file's size and the hex of its SHA-256.
fn file_digest(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("while opening {}", path.display()))?;
    let mut h = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut h)?;
    Ok((bytes, format!("{:x}", h.finalize())))
}
