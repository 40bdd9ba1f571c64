//! `verify-batch`: an insurer's claims file in, a report out, verified offline on every core.
//!
//! Claims are read in blocks; each block is split across worker threads (one per core by
//! default), and the report keeps the input order. Memory stays bounded by the block size and
//! the longest accepted line, whatever the file size.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::Context;
use card_format::model::CardPayload;
use card_format::serial::CardSerial;
use card_format::{qr, Policy, TrustStore, Verified};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::cli::{BatchFormat, VerifyBatchArgs};
use crate::{Class, Outcome};

/// Claims per block handed to the workers.
const BLOCK: usize = 512;
/// Longest accepted line of a claims file (a QR holds at most 4,296 characters).
const MAX_LINE: usize = 16 * 1024;

/// One claim as read.
#[derive(Debug, Clone, Default, Deserialize)]
struct Claim {
    #[serde(default)]
    claim_id: String,
    #[serde(default)]
    qr: Option<String>,
    #[serde(default)]
    card_serial: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    /// The claim's id, as given.
    pub claim_id: String,
    /// `valid`, `invalid`, `revoked`, `superseded`, or `unchecked` (a serial without the
    /// card's signed text: only the revocation lists could be consulted).
    pub status: &'static str,
    /// The error or warning code (card-format's codes), empty when valid.
    pub reason: String,
    /// The card serial, when known.
    pub serial: String,
    /// The issuing site, when verified.
    pub issuer: String,
    /// Expiry date (YYYY-MM-DD), when verified.
    pub expires: String,
    /// Human-readable detail.
    pub message: String,
}

/// A reader that refuses lines longer than [`MAX_LINE`], so one malformed line cannot make the
/// CSV parser buffer a whole file.
struct LineBounded<R> {
    inner: R,
    since_newline: usize,
}

impl<R: Read> Read for LineBounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for b in &buf[..n] {
            if *b == b'\n' {
                self.since_newline = 0;
            } else {
                self.since_newline += 1;
                if self.since_newline > MAX_LINE {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a line longer than {MAX_LINE} bytes"),
                    ));
                }
            }
        }
        Ok(n)
    }
}

fn format_of(path: &Path, explicit: Option<BatchFormat>) -> BatchFormat {
    explicit.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson" | "json") => BatchFormat::Jsonl,
        _ => BatchFormat::Csv,
    })
}

/// A source of claims, yielding `Ok(claim)` or a row-level error (bad row) per record.
enum Source<'a> {
    Csv(csv::Reader<LineBounded<Box<dyn Read + 'a>>>),
    /// The reader, the line number, the bytes read.
    Jsonl(BufReader<LineBounded<Box<dyn Read + 'a>>>, u64, u64),
}

impl Source<'_> {
    /// Up to `n` claims; an empty vector at the end of the input.
    fn next_block(&mut self, n: usize) -> anyhow::Result<Vec<Result<Claim, String>>> {
        let mut out = Vec::with_capacity(n);
        match self {
            Source::Csv(reader) => {
                let mut record = csv::StringRecord::new();
                let headers = reader
                    .headers()
                    .map_err(|e| Class::Usage.err(format!("the claims file: {e}")))?
                    .clone();
                while out.len() < n {
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => out.push(
                            record
                                .deserialize::<Claim>(Some(&headers))
                                .map_err(|e| format!("bad row: {e}")),
                        ),
                        Err(e) if e.is_io_error() => {
                            return Err(Class::Usage.err(format!("the claims file: {e}")))
                        }
                        Err(e) => out.push(Err(format!("bad row: {e}"))),
                    }
                }
            }
            Source::Jsonl(reader, line_no, bytes) => {
                let mut line = String::new();
                while out.len() < n {
                    line.clear();
                    let read = reader
                        .read_line(&mut line)
                        .map_err(|e| Class::Usage.err(format!("the claims file: {e}")))?;
                    if read == 0 {
                        break;
                    }
                    *bytes += read as u64;
                    *line_no += 1;
                    if line.trim().is_empty() {
                        continue;
                    }
                    out.push(
                        serde_json::from_str::<Claim>(&line)
                            .map_err(|e| format!("bad line {line_no}: {e}")),
                    );
                }
            }
        }
        Ok(out)
    }
}

fn check_claim(
    claim: Result<Claim, String>,
    store: &TrustStore,
    policy: &Policy,
    now: u64,
) -> ReportRow {
    let claim = match claim {
        Ok(c) => c,
        Err(message) => {
            return ReportRow {
                claim_id: String::new(),
                status: "invalid",
                reason: "bad_row".into(),
                serial: String::new(),
                issuer: String::new(),
                expires: String::new(),
                message,
            }
        }
    };
    let mut row = ReportRow {
        claim_id: claim.claim_id,
        status: "invalid",
        reason: String::new(),
        serial: String::new(),
        issuer: String::new(),
        expires: String::new(),
        message: String::new(),
    };
    match (
        claim.qr.as_deref().map(str::trim).filter(|q| !q.is_empty()),
        claim.card_serial,
    ) {
        (Some(text), _) => {
            let result: card_format::Result<Verified<CardPayload>> =
                qr::decode(text).and_then(|cose| store.verify_card(&cose, now, policy));
            match result {
                Ok(v) => {
                    let card = v.value();
                    // Valid, but a newer card exists: insurers want to know.
                    row.status = if v.warnings().iter().any(|w| w.code() == "superseded") {
                        "superseded"
                    } else {
                        "valid"
                    };
                    row.serial = card.serial.to_string();
                    row.issuer = card.issuer.clone();
                    row.expires = crate::verify::format_date(card.expires_at);
                    row.reason = v
                        .warnings()
                        .iter()
                        .map(|w| w.code())
                        .collect::<Vec<_>>()
                        .join(" ");
                    row.message = v
                        .warnings()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ");
                }
                Err(e) => {
                    row.status = match e.code() {
                        "revoked" => "revoked",
                        "superseded" => "superseded",
                        _ => "invalid",
                    };
                    row.reason = e.code().to_string();
                    row.message = e.to_string();
                }
            }
        }
        (None, Some(serial)) => match CardSerial::parse(serial.trim()) {
            Ok(serial) => {
                row.serial = serial.to_string();
                let bundle = store.bundle();
                if let Some(r) = bundle.and_then(|b| b.revocation(&serial)) {
                    row.status = "revoked";
                    row.reason = "revoked".into();
                    row.message = format!("revoked ({})", r.reason.as_str());
                } else if bundle.is_some_and(|b| b.is_superseded(&serial)) {
                    row.status = "superseded";
                    row.reason = "superseded".into();
                    row.message = "a newer card was issued".into();
                } else {
                    row.status = "unchecked";
                    row.reason = if bundle.is_some() {
                        "serial_only".into()
                    } else {
                        "no_revocation_data".into()
                    };
                    row.message = "only a serial: not revoked or superseded in the trust \
                                   bundle, but no signature to check"
                        .into();
                }
            }
            Err(e) => {
                row.reason = e.code().to_string();
                row.message = format!("card_serial: {e}");
            }
        },
        (None, None) => {
            row.reason = "bad_row".into();
            row.message = "the claim has neither qr nor card_serial".into();
        }
    }
    row
}

/// How far into a CSV file the reader is, for the progress bar.
fn source_position(source: &Source<'_>) -> Option<u64> {
    match source {
        Source::Csv(r) => Some(r.position().byte()),
        Source::Jsonl(_, _, bytes) => Some(*bytes),
    }
}

/// Where report rows go.
enum Sink {
    Csv(Box<csv::Writer<BufWriter<Box<dyn Write>>>>),
    Jsonl(BufWriter<Box<dyn Write>>),
}

/// `verify-batch`.
///
/// # Errors
/// Unreadable trust material or input, an unwritable report.
pub fn run(args: &VerifyBatchArgs, home: Option<&Path>) -> anyhow::Result<Outcome> {
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let now = crate::trust::now_or(args.trust.now)?;
    let input_format = format_of(&args.input, args.format);
    let report_format = args.report_format.unwrap_or(input_format);
    let (reader, total): (Box<dyn Read>, Option<u64>) = if args.input.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&args.input)
            .map_err(|e| Class::Usage.err(format!("cannot read {}: {e}", args.input.display())))?;
        let len = file.metadata().map(|m| m.len()).ok();
        (Box::new(file), len)
    };
    let bounded = LineBounded {
        inner: reader,
        since_newline: 0,
    };
    let mut source = match input_format {
        BatchFormat::Csv => Source::Csv(
            csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .flexible(true)
                .buffer_capacity(1 << 16)
                .from_reader(bounded),
        ),
        BatchFormat::Jsonl => Source::Jsonl(BufReader::with_capacity(1 << 16, bounded), 0, 0),
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| Class::Usage.err(format!("cannot create {}: {e}", path.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(1 << 16, out);
    let mut sink = match report_format {
        BatchFormat::Csv => Sink::Csv(Box::new(csv::WriterBuilder::new().from_writer(out))),
        BatchFormat::Jsonl => Sink::Jsonl(out),
    };
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, 256);

    // The bar counts bytes of a file (claims per second would need a first pass), or spins
    // on standard input. It shows only on a terminal.
    let bar = match total {
        Some(len) => {
            let bar = ProgressBar::new(len);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:40}] {percent}% {per_sec} {eta} left")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }
        None => ProgressBar::new_spinner(),
    };
    bar.set_message("verifying claims");
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    // A pipeline: this thread reads blocks and writes the report in input order; `jobs`
    // workers verify blocks as they come, so reading and writing overlap the verification.
    let mut written = 0u64;
    let mut read = 0u64;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (work_tx, work_rx) =
            std::sync::mpsc::sync_channel::<(u64, Vec<Result<Claim, String>>)>(jobs * 2);
        let work_rx = std::sync::Arc::new(std::sync::Mutex::new(work_rx));
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(u64, Vec<ReportRow>)>();
        for _ in 0..jobs {
            let done_tx = done_tx.clone();
            let work_rx = std::sync::Arc::clone(&work_rx);
            let (store, policy) = (&store, &policy);
            scope.spawn(move || loop {
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((i, block)) = next else { return };
                let rows = block
                    .into_iter()
                    .map(|c| check_claim(c, store, policy, now))
                    .collect();
                if done_tx.send((i, rows)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut pending = std::collections::BTreeMap::<u64, Vec<ReportRow>>::new();
        let mut next_out = 0u64;
        let mut emit = |pending: &mut std::collections::BTreeMap<u64, Vec<ReportRow>>,
                        next_out: &mut u64|
         -> anyhow::Result<u64> {
            let mut n = 0;
            while let Some(rows) = pending.remove(next_out) {
                *next_out += 1;
                for row in &rows {
                    *counts.entry(row.status).or_insert(0) += 1;
                    match &mut sink {
                        Sink::Csv(w) => w.serialize(row).context("while writing the report")?,
                        Sink::Jsonl(out) => {
                            serde_json::to_writer(&mut *out, row)
                                .context("while writing the report")?;
                            out.write_all(b"\n").context("while writing the report")?;
                        }
                    }
                }
                n += rows.len() as u64;
            }
            Ok(n)
        };
        let mut blocks = 0u64;
        loop {
            let block = source.next_block(BLOCK)?;
            if block.is_empty() {
                break;
            }
            read += block.len() as u64;
            if work_tx.send((blocks, block)).is_err() {
                break;
            }
            blocks += 1;
            while let Ok((i, rows)) = done_rx.try_recv() {
                pending.insert(i, rows);
            }
            written += emit(&mut pending, &mut next_out)?;
            bar.set_position(source_position(&source).unwrap_or(written));
        }
        drop(work_tx);
        for (i, rows) in done_rx.iter() {
            pending.insert(i, rows);
            written += emit(&mut pending, &mut next_out)?;
        }
        Ok(())
    })?;
    if written != read {
        return Err(anyhow::anyhow!(
            "a verification worker failed: {written} of {read} claims reported"
        ));
    }
    match &mut sink {
        Sink::Csv(w) => w.flush(),
        Sink::Jsonl(out) => out.flush(),
    }
    .context("while writing the report")?;
    bar.finish_and_clear();
    let total: u64 = counts.values().sum();
    let summary = counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!("verify-batch: {total} claims: {summary}");
    Ok(if counts.keys().all(|k| *k == "valid") {
        Outcome::Ok
    } else {
        Outcome::Failed(Class::Refused)
    })
}
