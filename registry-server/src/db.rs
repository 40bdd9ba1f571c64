//! The database: one code path over SQLite (embedded default) and PostgreSQL (production).
//!
//! All SQL lives in the submodules, one per table family; handlers call their functions and
//! never write SQL. Queries are runtime `query_as` over `AnyPool` with `$1` placeholders and
//! portable column types (integers, text, blobs), so the same statement runs on both
//! backends. Migrations for each backend are embedded and run at start-up.
//!
//! SQLite runs with one pooled connection (WAL, foreign keys on): a single writer is what
//! SQLite supports anyway, and it rules out "database is locked" under load. PostgreSQL runs
//! with a pool shared by request handlers; several server instances may share one database,
//! so every check-then-write is either one conditional statement or guarded by a unique
//! constraint (see [`dispensings`] and [`audit`]).

pub mod administrations;
pub mod approvals;
pub mod audit;
pub mod backup;
pub mod cards;
pub mod clinical;
pub mod confirmations;
pub mod demand;
pub mod dispensings;
pub mod follow_up;
pub mod imports;
pub mod linkage;
pub mod merges;
pub mod patients;
pub mod population;
pub mod primaries;
pub mod recheck;
pub mod stats;
pub mod status;
pub mod stock;
pub mod tokens;
pub mod trust;
pub mod users;
pub mod watch;
pub mod web;

use std::str::FromStr;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Executor};

/// Which database the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl FromStr for Backend {
    type Err = sqlx::Error;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres://".into(),
            ))
        }
    }
}

/// A connection pool and the backend behind it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// Connections for queries that only read. With SQLite, a pool of its own beside the
    /// single writing connection (WAL lets readers run while one transaction writes), so a
    /// lookup never queues behind a write; with PostgreSQL, the same pool.
    reader: AnyPool,
    /// The group-commit writer of read-audit entries ([`audit::append_alone`]).
    reads: tokio::sync::mpsc::Sender<audit::Job>,
    /// Background tasks stop once every clone of this `Db` is gone.
    _alive: std::sync::Arc<()>,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite:path?mode=rwc` or `postgres://...`.
    pub url: String,
    /// Pool size for PostgreSQL (SQLite always uses one connection).
    pub max_connections: u32,
    /// PostgreSQL schema to use instead of `public` (tests isolate themselves this way); it
    /// is created when missing.
    pub pg_schema: Option<String>,
}

/// Connects and runs the migrations.
///
/// # Errors
/// A bad URL, an unreachable database, or a failed migration.
pub async fn connect(options: &DbOptions) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend: Backend = options.url.parse()?;
    let pool = match backend {
        Backend::Sqlite => {
            if let Some(file) = sqlite_file(&options.url) {
                private_sqlite_file(file).map_err(sqlx::Error::Io)?;
            }
            AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
                             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536;",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(&options.url)
                .await?
        }
        Backend::Postgres => {
            if let Some(schema) = &options.pg_schema {
                check_identifier(schema)?;
                let admin = AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&options.url)
                    .await?;
                admin
                    .execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                    .await?;
                admin.close().await;
            }
            let search_path = options.pg_schema.clone();
            AnyPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(move |conn, _| {
                    let search_path = search_path.clone();
                    Box::pin(async move {
                        if let Some(schema) = search_path {
                            conn.execute(format!("SET search_path TO {schema}").as_str())
                                .await?;
                        }
                        // The statistics' queries cost enough to pass PostgreSQL's JIT
                        // thresholds, and compiling them took three times as long as
                        // running them (docs/benchmarks.md, "Statistics"); the registry's
                        // queries are short, so JIT never pays here.
                        conn.execute("SET jit = off").await?;
                        Ok(())
                    })
                })
                .connect(&options.url)
                .await?
        }
    };
    migrate(backend, &pool).await?;
    // SQLite readers map up to 1 GiB of the file instead of copying its pages through the
    // page cache: the statistics read whole years of tumours (docs/benchmarks.md).
    let reader = match backend {
        Backend::Sqlite => {
            AnyPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; \
                             PRAGMA cache_size = -16384; PRAGMA mmap_size = 1073741824;",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(&options.url)
                .await?
        }
        Backend::Postgres => pool.clone(),
    };
    let alive = std::sync::Arc::new(());
    if backend == Backend::Sqlite {
        spawn_checkpointer(&options.url, std::sync::Arc::downgrade(&alive)).await?;
    }
    let reads = audit::spawn_read_writer(pool.clone());
    Ok(Db {
        pool,
        backend,
        reader,
        reads,
        _alive: alive,
    })
}

/// SQLite: checkpoints the WAL into the database file once a second from a connection of
/// its own. The writer's automatic checkpoint is off: run inside a commit, it stalled every
/// request queued behind the writer for several milliseconds each time; a PASSIVE checkpoint
/// here waits for nobody.
async fn spawn_checkpointer(url: &str, alive: std::sync::Weak<()>) -> Result<(), sqlx::Error> {
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                pool.close().await;
                return;
            }
            if let Err(e) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
    Ok(())
}

/// Applies the embedded migrations of `backend`.
async fn migrate(backend: Backend, pool: &AnyPool) -> Result<(), sqlx::Error> {
    let migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    migrator.run(pool).await.map_err(sqlx::Error::from)
}

impl Db {
    /// The pool for queries that only read.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Checks the database answers (for `/readyz`).
    ///
    /// # Errors
    /// The database is unreachable.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query(PING).execute(&self.pool).await.map(|_| ())
    }
}

/// A schema name is spliced into SQL, so only plain identifiers are allowed.
fn check_identifier(name: &str) -> Result<(), sqlx::Error> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            "schema name must be [a-z_][a-z0-9_]*".into(),
        ))
    }
}

/// The database file of a `sqlite:` URL (none for `:memory:`).
pub(crate) fn sqlite_file(url: &str) -> Option<&std::path::Path> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(std::path::Path::new(path))
}

/// Creates the SQLite file (and its directory) with mode 0600 before SQLite opens it:
/// SQLite gives the -wal and -shm files the mode of the database file, so all three are
/// private to the registry's user. An existing file readable by others is used, with a
/// warning naming the file (the mode is the operator's to fix; changing it here could break
/// a deliberate setup).
fn private_sqlite_file(file: &std::path::Path) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(file)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        file = %file.display(),
                        mode = format!("{mode:o}"),
                        "the database file is readable by other users; chmod 600 it"
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// How long a request waits for a database connection before it is told the database is
/// unavailable (sqlx's default is 30 s: a registrar at the desk and a load balancer's probe
/// both waited half a minute to learn nothing).
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Why the database cannot do what was asked, when it is not the statement's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No connection within [`ACQUIRE_TIMEOUT`], a connection that broke, PostgreSQL
    /// shutting down or starting (SQLSTATE classes 08 and 57P), or SQLite unable to write
    /// its file (read-only, I/O error, cannot open).
    Unavailable,
    /// The disk under the database is full (SQLite's `SQLITE_FULL`; PostgreSQL's 53100).
    StorageFull,
}

/// The outage behind an error, if it is one rather than a failed statement.
pub fn outage(e: &sqlx::Error) -> Option<Outage> {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Some(Outage::Unavailable)
        }
        sqlx::Error::Database(d) => {
            let code = d.code()?;
            if code.len() == 5 {
                // PostgreSQL: a SQLSTATE.
                match code.as_ref() {
                    "53100" => Some(Outage::StorageFull),
                    c if c.starts_with("08") || c.starts_with("57P") => Some(Outage::Unavailable),
                    _ => None,
                }
            } else {
                // SQLite: an extended result code, whose low byte is the primary code.
                match code.parse::<i64>().ok()? & 0xff {
                    13 => Some(Outage::StorageFull),
                    8 | 10 | 14 => Some(Outage::Unavailable),
                    _ => None,
                }
            }
        }
        _ => None,
    }
}

/// Whether an error is an [`Outage`] of any kind.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    outage(e).is_some()
}

/// Whether an error is a unique-constraint violation (both backends report it this way).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// `ping`.
const PING: &str = "SELECT 1";

/// Every statement the registry runs, by name: the fixed ones of each module and the
/// built ones in their shapes (per record kind, a name search of one and of three keys).
/// A test prepares each on SQLite and on PostgreSQL.
pub fn statements() -> Vec<(String, String)> {
    let fixed = [
        STATEMENTS,
        administrations::STATEMENTS,
        approvals::STATEMENTS,
        audit::STATEMENTS,
        backup::STATEMENTS,
        cards::STATEMENTS,
        clinical::STATEMENTS,
        confirmations::STATEMENTS,
        demand::STATEMENTS,
        dispensings::STATEMENTS,
        follow_up::STATEMENTS,
        imports::STATEMENTS,
        patients::STATEMENTS,
        population::STATEMENTS,
        primaries::STATEMENTS,
        recheck::STATEMENTS,
        stats::STATEMENTS,
        stock::STATEMENTS,
        stock::transfers::STATEMENTS,
        tokens::STATEMENTS,
        trust::STATEMENTS,
        users::STATEMENTS,
        watch::STATEMENTS,
        web::STATEMENTS,
    ];
    let mut all: Vec<(String, String)> = fixed
        .iter()
        .flat_map(|list| list.iter())
        .map(|(name, sql)| ((*name).to_string(), (*sql).to_string()))
        .collect();
    all.extend(clinical::statements_per_kind());
    all.extend(patients::search_statements());
    all.extend(linkage::statements());
    all.extend(merges::statements());
    all.extend(imports::statements());
    all
}

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[("db.rs:ping", PING)];

/// Most parameters in one multi-row INSERT ([`many`]). SQLite's limit is 32,766, but
/// binding costs it time that grows with the square of a statement's parameters (sqlx looks
/// each one's name up, and SQLite finds a name by a linear scan): 7,500 parameters made an
/// import four times slower than 256.
pub(crate) const MANY_PARAMETERS: usize = 256;

/// Most rows in one list query ([`patients::find_by_values`]).
pub(crate) const MANY_ROWS: usize = MANY_PARAMETERS;

/// How many rows of `binds` parameters go into one multi-row INSERT.
pub(crate) fn rows_per_statement(binds: usize) -> usize {
    (MANY_PARAMETERS / binds.max(1)).max(1)
}

/// A statement with its parameters bound so far.
pub(crate) type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Inserts `rows` with [`many`] of `single` (whose row has `binds` parameters), as few
/// statements as [`rows_per_statement`] allows; `bind` binds one row's parameters in the
/// order of `single`'s.
///
/// # Errors
/// Database errors, or what `bind` returns.
pub(crate) async fn insert_all<T>(
    conn: &mut AnyConnection,
    single: &str,
    binds: usize,
    rows: &[T],
    bind: impl for<'q> Fn(Query<'q>, &'q T) -> Result<Query<'q>, sqlx::Error>,
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(rows_per_statement(binds)) {
        let sql = many(single, binds, chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row)?;
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `single`, an `INSERT ... VALUES (...)` of one row whose parameters are `$1` to `$binds`,
/// as one INSERT of `rows` rows: the same columns and values, each row's parameters
/// numbered after the previous row's. A bulk write (an import) then costs one statement per
/// table and [`MANY_PARAMETERS`] parameters instead of one per row, with the very SQL of the single
/// insert.
pub(crate) fn many(single: &str, binds: usize, rows: usize) -> String {
    let (head, tuple) = single.split_once(" VALUES ").unwrap_or((single, "()"));
    let mut out = String::with_capacity(head.len() + 8 + rows * (tuple.len() + 16));
    out.push_str(head);
    out.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        let mut chars = tuple.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c != '$' {
                continue;
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let k: usize = digits.parse().unwrap_or(0);
            out.push_str(&(k + row * binds).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{outage, Outage};

    /// A database error carrying only a code, as each backend reports it.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn of(code: &'static str) -> Option<Outage> {
        outage(&sqlx::Error::Database(Box::new(Coded(code))))
    }

    #[test]
    fn outages_are_told_from_failed_statements_on_both_backends() {
        // SQLite extended codes: FULL, READONLY_DBMOVED, IOERR_WRITE, CANTOPEN; CONSTRAINT.
        assert_eq!(of("13"), Some(Outage::StorageFull));
        assert_eq!(of("1032"), Some(Outage::Unavailable));
        assert_eq!(of("778"), Some(Outage::Unavailable));
        assert_eq!(of("14"), Some(Outage::Unavailable));
        assert_eq!(of("2067"), None);
        // PostgreSQL SQLSTATEs: disk_full, connection_failure, admin_shutdown,
        // cannot_connect_now; unique_violation, syntax error.
        assert_eq!(of("53100"), Some(Outage::StorageFull));
        assert_eq!(of("08006"), Some(Outage::Unavailable));
        assert_eq!(of("57P01"), Some(Outage::Unavailable));
        assert_eq!(of("57P03"), Some(Outage::Unavailable));
        assert_eq!(of("23505"), None);
        assert_eq!(of("42601"), None);
        assert_eq!(
            outage(&sqlx::Error::PoolTimedOut),
            Some(Outage::Unavailable)
        );
        assert_eq!(outage(&sqlx::Error::RowNotFound), None);
    }
}
