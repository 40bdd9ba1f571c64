//! `registry-server import`: the command around [`crate::domain::import`]. It reads the
//! file, acts as the named registrar, shows a progress bar on a terminal, prints a count per
//! outcome and each row not imported (line, key, outcome, column: why; never a value), and
//! writes the whole report to a new CSV file of mode 0600 when asked.

use std::io::Write as _;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::auth::{Caller, Role};
use crate::config::ImportArgs;
use crate::db;
use crate::domain::import::{self, layout, Outcome, Report, RowReport};
use crate::domain::Clock;

/// Runs the command.
///
/// # Errors
/// An unreadable or oversized file, an unknown or inactive user, a user who is not a
/// registrar, a file that cannot be read at all, an unreachable database. Refused rows are
/// not errors: they are reported.
pub async fn command(args: ImportArgs) -> anyhow::Result<()> {
    import::check_source(&args.source).map_err(|e| anyhow::anyhow!("{e}"))?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?
        .len();
    if size > layout::MAX_BYTES as u64 {
        bail!(
            "{} is {size} bytes, more than {}: split it",
            args.file.display(),
            layout::MAX_BYTES
        );
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("while reading {}", args.file.display()))?;
    let db = crate::app::connect_with(&args.db.database_url, 4).await?;
    let caller = registrar(&db, &args.user).await?;
    let mut report_file = match &args.report {
        Some(path) => Some(crate::backup::private_new_file(path)?),
        None => None,
    };
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let options = import::Options {
        source: args.source.clone(),
        dry_run: args.dry_run,
        confirm_checks: args.confirm_checks,
        layout: args.layout,
    };
    let done = import::run(
        &db,
        Clock::system().now(),
        &caller,
        &bytes,
        &options,
        &progress,
    )
    .await;
    bar.finish_and_clear();
    let done = done.map_err(|e| match e {
        crate::domain::Error::Db(e) => anyhow::anyhow!(
            "the database failed ({e}); the batches written before stay, and running the \
             same command again finishes the file"
        ),
        other => anyhow::anyhow!("{other}"),
    })?;
    if let Some(file) = report_file.as_mut() {
        write_report(file, &done.rows)?;
    }
    if args.json {
        let summary = serde_json::json!({
            "source": done.source,
            "layout": done.layout,
            "dry_run": done.dry_run,
            "ignored_columns": done.ignored_columns,
            "counts": done.counts,
            "patients": done.patients,
            "tumours": done.tumours,
        });
        println!("{summary}");
    } else {
        print_summary(&done);
    }
    Ok(())
}

/// The importing user, who must be an active registrar.
async fn registrar(db: &db::Db, username: &str) -> anyhow::Result<Caller> {
    let id = db::web::user_id_by_name(db, username).await?;
    let mut conn = db.pool.acquire().await?;
    let user = match id {
        Some(id) => db::users::user(&mut conn, &id).await?,
        None => None,
    };
    let Some(user) = user else {
        bail!("no user is named {username:?}");
    };
    if user.active != 1 {
        bail!("the user {username:?} is disabled");
    }
    let role = Role::from_name(&user.role).context("the user's role is unknown")?;
    if role != Role::Registrar {
        bail!(
            "{username:?} is a {}: records are imported by a registrar",
            role.as_str()
        );
    }
    Ok(Caller {
        user_id: user.id,
        username: user.username,
        role,
        facility_code: user.facility_code,
    })
}

fn problems(r: &RowReport) -> String {
    r.problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_summary(done: &Report) {
    for r in &done.rows {
        if matches!(
            r.outcome,
            Outcome::Imported | Outcome::WouldImport | Outcome::Unchanged
        ) && r.problems.is_empty()
        {
            continue;
        }
        println!(
            "line {}\t{}\t{}\t{}",
            r.line,
            r.record,
            r.outcome.code(),
            problems(r)
        );
    }
    if !done.ignored_columns.is_empty() {
        println!("columns not read: {}", done.ignored_columns.join(", "));
    }
    let counts: Vec<String> = done
        .counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "{}: {} rows ({}); {} patients and {} tumours {}",
        done.source,
        done.rows.len(),
        counts.join(", "),
        done.patients,
        done.tumours,
        if done.dry_run {
            "would be registered (dry run: nothing written)"
        } else {
            "registered"
        }
    );
}

fn write_report(file: &mut std::fs::File, rows: &[RowReport]) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
    out.write_record([
        "line",
        "record",
        "outcome",
        "patient",
        "problems",
        "checks",
        "primary",
        "duplicates",
    ])?;
    for r in rows {
        out.write_record([
            r.line.to_string().as_str(),
            &r.record,
            r.outcome.code(),
            &r.patient,
            &problems(r),
            &r.checks.join(" "),
            &r.primary,
            &r.duplicates.join(" "),
        ])?;
    }
    out.flush()?;
    out.into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?
        .flush()?;
    Ok(())
}
