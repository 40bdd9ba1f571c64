//! Start-up: logging, database, keys, first admin, then serving until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::auth;
use crate::config::{LogFormat, ServeArgs};
use crate::db::{self, Db, DbOptions};
use crate::domain::{Clock, Registry, Settings};
use crate::server;
use crate::signing::{KeyFiles, Signing};

/// Runs the server as configured.
///
/// # Errors
/// Bad configuration, an unreachable database, unusable keys, or a listener that fails.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing(args.log_format);
    if args.dev && db::Backend::Postgres == args.database_url.parse()? {
        bail!("--dev uses the embedded SQLite database; unset DATABASE_URL or drop --dev");
    }
    let files = key_files(&args)?;
    let signing = match &args.issuer_hsm_module {
        Some(module) => {
            let pin = std::env::var("ISSUER_HSM_PIN")
                .context("ISSUER_HSM_PIN must hold the HSM user PIN")?;
            let hsm = crate::hsm::HsmSigner::open(
                module,
                args.issuer_hsm_token.as_deref().unwrap_or_default(),
                &pin,
                args.issuer_hsm_key.as_deref().unwrap_or_default(),
            )
            .context("while opening the issuing key in the HSM")?;
            Signing::load_with(Box::new(hsm), &files)?
        }
        None => Signing::load(&files)?,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls::load_config(cert, key)?),
        (None, None) => None,
        _ => bail!("--tls-cert and --tls-key go together"),
    };
    // The embedded record-check and ICCC-3 tables: a build that cannot read them must not
    // serve (a defect the unit tests rule out; this names the file and line if it happens).
    crate::domain::checks::verify_tables().context("the record-check tables")?;
    crate::domain::iccc::check_table().context("the ICCC-3 table")?;
    crate::domain::primaries::verify_tables().context("the multiple-primary tables")?;
    let db = db::connect(&DbOptions {
        url: args.database_url.clone(),
        max_connections: args.db_max_connections,
        pg_schema: None,
    })
    .await
    .context("while connecting to the database")?;
    let regimens = match &args.regimens {
        None => crate::domain::supply::regimens::Regimens::built_in(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the regimen table {}", path.display()))?;
            crate::domain::supply::regimens::Regimens::parse(&text)
                .with_context(|| format!("the regimen table {}", path.display()))?
        }
    };
    let settings = Settings {
        regimens: std::sync::Arc::new(regimens),
        card_validity_days: args.card_validity_days,
        token_lifetime_days: args.token_lifetime_days,
        max_body_bytes: args.max_body_bytes,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        client_address_header: args.desk_client_address_header.clone(),
        ..Settings::default()
    };
    let state = prepare(db, signing, settings, Clock::system()).await?;
    if let Some(token) = first_admin(&state).await? {
        write_secret(&args.first_admin_token_file, &token)?;
        let file = args.first_admin_token_file.display();
        if args.log_format == LogFormat::Json {
            tracing::warn!(token_file = %file, "first start: admin user created, token written");
        } else {
            eprintln!(
                "First start: an admin user was created. Its API token is in {file} \
                 (mode 0600); read it with `cat {file}` and keep it safe."
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("while binding {}", args.listen))?;
    let address = listener.local_addr().unwrap_or(args.listen);
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%address, scheme, backend = ?state.db.backend, "registry listening");
    if args.log_format == LogFormat::Text {
        eprintln!("registry-server listening on {scheme}://{address}");
    }
    let app = server::app(state);
    let headers = Duration::from_secs(args.header_read_timeout_secs);
    match tls {
        Some(tls) => server::tls::serve(listener, app, tls, headers, shutdown_signal()).await,
        None => server::serve(listener, app, headers, shutdown_signal()).await,
    }
    .context("while serving")
}

fn key_files(args: &ServeArgs) -> anyhow::Result<KeyFiles> {
    if args.dev {
        let repo = repo_root();
        return KeyFiles::dev(&repo, &repo.join("var/dev-keys"));
    }
    let need = |p: &Option<PathBuf>, name: &str| {
        p.clone()
            .with_context(|| format!("--{name} is required (or run with --dev for the test keys)"))
    };
    Ok(KeyFiles {
        issuer_key: match args.issuer_hsm_module {
            Some(_) => None,
            None => Some(need(&args.issuer_key, "issuer-key")?),
        },
        issuer_cert: need(&args.issuer_cert, "issuer-cert")?,
        list_key: need(&args.list_key, "list-key")?,
        list_cert: need(&args.list_cert, "list-cert")?,
        root_public_key: need(&args.root_public_key, "root-public-key")?,
    })
}

/// The repository root (for `--dev`): where `fixtures/` is.
fn repo_root() -> PathBuf {
    let from_build = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if from_build.join("fixtures").is_dir() {
        from_build
    } else {
        PathBuf::from(".")
    }
}

/// Builds the state: registers the issuing site and its certificate.
///
/// # Errors
/// Database errors.
pub async fn prepare(
    db: Db,
    signing: Signing,
    settings: Settings,
    clock: Clock,
) -> anyhow::Result<Registry> {
    let now = clock.now();
    let info = &signing.issuer_info;
    let mut tx = db.pool.begin().await?;
    if !db::users::facility_exists(&mut tx, &info.issuer_id).await? {
        db::users::insert_facility(
            &mut *tx,
            &db::users::Facility {
                code: info.issuer_id.clone(),
                name: info.issuer_id.clone(),
                region: info.region.clone(),
                kind: "oncology_centre".into(),
                created_at: now,
            },
        )
        .await?;
    }
    db::trust::add_issuer_certificate(
        &mut tx,
        &info.kid().to_hex(),
        &signing.issuer_certificate,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Registry {
        db,
        signing: Arc::new(signing),
        settings: Arc::new(settings),
        clock,
        bundle: Arc::new(tokio::sync::Mutex::new(None)),
        metrics: Arc::new(crate::metrics::Metrics::new()?),
        follow_through: Arc::new(tokio::sync::Mutex::new(None)),
    })
}

/// When the registry has no user, creates the ministry facility and an `admin` user, and
/// returns its token (to be shown once).
///
/// # Errors
/// Database errors.
pub async fn first_admin(state: &Registry) -> anyhow::Result<Option<String>> {
    if db::users::any_user(&state.db).await? {
        return Ok(None);
    }
    let now = state.clock.now();
    let user_id = auth::new_id();
    let mut tx = state.db.pool.begin().await?;
    if !db::users::facility_exists(&mut tx, "LY-MOH").await? {
        db::users::insert_facility(
            &mut *tx,
            &db::users::Facility {
                code: "LY-MOH".into(),
                name: "Ministry of Health".into(),
                region: "national".into(),
                kind: "ministry".into(),
                created_at: now,
            },
        )
        .await?;
    }
    db::users::insert_user(
        &mut *tx,
        &db::users::User {
            id: user_id.clone(),
            username: "admin".into(),
            display_name: "Administrator".into(),
            role: "admin".into(),
            facility_code: "LY-MOH".into(),
            active: 1,
            created_at: now,
        },
    )
    .await?;
    let token = crate::domain::credentials::issue(state, &mut tx, &user_id, now)
        .await?
        .token;
    let actor = db::audit::SYSTEM;
    db::audit::append(&mut tx, now, &actor, "user.create", "user", &user_id).await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// `registry-server set-password --username U`: reads one line from standard input and sets
/// it as the user's desk password (audited as done by `system`).
///
/// # Errors
/// An unreachable database, no such user, a password shorter than 12 characters.
pub async fn set_password(args: crate::config::SetPasswordArgs) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("while reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    let db = connect_for_command(&args.db.database_url).await?;
    let user_id = db::web::user_id_by_name(&db, &args.username)
        .await?
        .with_context(|| format!("no user named {}", args.username))?;
    let actor = db::audit::SYSTEM;
    crate::domain::access::set_password(&db, Clock::system().now(), &actor, &user_id, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("password set for {}", args.username);
    Ok(())
}

/// `registry-server recheck`: every active tumour through the record checks; prints those
/// that fail (invalid, or a query or rare finding nobody confirmed) by facility, and a
/// summary line. Audited as done by `system`.
///
/// # Errors
/// An unreachable database, a stored value that does not parse.
pub async fn recheck(args: crate::config::RecheckArgs) -> anyhow::Result<()> {
    crate::domain::checks::verify_tables().context("the record-check tables")?;
    let db = connect_for_command(&args.db.database_url).await?;
    let actor = db::audit::SYSTEM;
    let found = crate::domain::recheck::run(&db, Clock::system().now(), &actor)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&found)?);
        return Ok(());
    }
    for f in &found.failures {
        for finding in &f.findings {
            println!(
                "{}\t{}\tv{}\t{}\t{}\t{}",
                if f.facility.is_empty() {
                    "-"
                } else {
                    &f.facility
                },
                f.tumour_id,
                f.version,
                finding.check.code(),
                finding.outcome.code(),
                finding.message.en()
            );
        }
    }
    println!(
        "{} active tumours checked, {} fail",
        found.checked,
        found.failures.len()
    );
    Ok(())
}

/// `registry-server duplicates`: the duplicate search over every live record; the pairs
/// found join the review queue. Audited as done by `system`.
///
/// # Errors
/// An unreachable database, a stored value that does not parse.
pub async fn duplicates(args: crate::config::RecheckArgs) -> anyhow::Result<()> {
    let db = connect_for_command(&args.db.database_url).await?;
    let scan = crate::domain::linkage::scan(&db, Clock::system().now(), &db::audit::SYSTEM)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&scan)?);
    } else {
        println!(
            "{} records searched, {} candidate pairs",
            scan.patients, scan.pairs
        );
    }
    Ok(())
}

/// The largest denominators file read (a century of 500 municipalities is about 60 MB).
const MAX_POPULATION_FILE: u64 = 256 * 1024 * 1024;

/// `registry-server population --file F`: imports the denominators; a refused file prints
/// its errors (line, column, message) and fails. Audited as done by `system`.
///
/// # Errors
/// An unreadable or oversized file, a refused file, an unreachable database.
pub async fn population(args: crate::config::PopulationArgs) -> anyhow::Result<()> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_POPULATION_FILE,
        "{} is {size} bytes, more than {MAX_POPULATION_FILE}",
        args.file.display()
    );
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?;
    let db = connect_for_command(&args.db.database_url).await?;
    let done =
        crate::domain::population::import(&db, Clock::system().now(), &db::audit::SYSTEM, &bytes)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    match done {
        Ok(years) => {
            for y in years {
                println!(
                    "{}: version {}, {} areas, {} cells, population {}",
                    y.year, y.version, y.areas, y.cells, y.total
                );
            }
            Ok(())
        }
        Err(refused) => {
            for e in &refused.errors {
                eprintln!("line {}: {}: {}", e.line, e.column, e.message);
            }
            anyhow::bail!(
                "{} refused with {} errors; nothing was imported",
                args.file.display(),
                refused.total
            )
        }
    }
}

/// `registry-server export-canreg --out F`: the whole registry in the CanReg5 layout, into a
/// new file of mode 0600 (it is pseudonymised health data).
///
/// # Errors
/// The file exists or cannot be created, the database, a write.
pub async fn export_canreg(args: crate::config::ExportArgs) -> anyhow::Result<()> {
    let db = connect_for_command(&args.db.database_url).await?;
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .await
        .with_context(|| format!("while creating {}", args.out.display()))?;
    let mut file = tokio::io::BufWriter::new(file);
    crate::domain::statistics::export::audit(&db, Clock::system().now(), &db::audit::SYSTEM)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let done = crate::domain::statistics::export::write(&db, &mut file)
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {} is incomplete", args.out.display()))?;
    println!(
        "{}: {} tumours of {} patients ({} duplicates left out)",
        args.out.display(),
        done.tumours,
        done.patients,
        done.duplicates
    );
    Ok(())
}

/// `registry-server backup --out F`.
///
/// # Errors
/// See [`crate::backup::backup`].
pub async fn backup(args: crate::config::BackupArgs) -> anyhow::Result<()> {
    let from = crate::backup::Place {
        url: args.db.database_url,
        pg_schema: args.pg_schema,
    };
    let done = crate::backup::backup(&from, &args.out).await?;
    println!(
        "{}: {} bytes, SHA-256 {}",
        done.file.display(),
        done.bytes,
        done.sha256
    );
    Ok(())
}

/// `registry-server restore --from F --bundle-sequence-seen N`.
///
/// # Errors
/// See [`crate::backup::restore`].
pub async fn restore(args: crate::config::RestoreArgs) -> anyhow::Result<()> {
    let to = crate::backup::Place {
        url: args.database_url,
        pg_schema: args.pg_schema,
    };
    let now = Clock::system().now();
    let done = crate::backup::restore(&args.from, &to, args.bundle_sequence_seen, now).await?;
    if args.json {
        println!("{}", serde_json::to_string(&done)?);
        return Ok(());
    }
    for t in &done.tables {
        println!("{}\t{} rows\t{}", t.table, t.rows, t.digest);
    }
    println!(
        "restored {} ({} tables); audit chain intact, {} entries; bundle sequence {} in the \
         backup, {} from now on",
        done.sha256,
        done.tables.len(),
        done.audit_entries,
        done.bundle_sequence_in_backup,
        done.bundle_sequence
    );
    Ok(())
}

/// A small pool for a one-off command.
pub(crate) async fn connect_for_command(url: &str) -> anyhow::Result<db::Db> {
    connect_with(url, 2).await
}

/// [`connect_for_command`] with `max_connections` (PostgreSQL: the import's duplicate
/// searches run side by side).
pub(crate) async fn connect_with(url: &str, max_connections: u32) -> anyhow::Result<db::Db> {
    db::connect(&DbOptions {
        url: url.to_string(),
        max_connections,
        pg_schema: None,
    })
    .await
    .context("while connecting to the database")
}

fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::signing::write_private(path, format!("{secret}\n").as_bytes())
}

/// Logs to stderr, one line per event: text for people, JSON lines (`--log-format json`) for
/// collectors. The level comes from `RUST_LOG` (default `info`).
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
