//! What the benchmark measures with: /proc readings of the server, an HTTP/1.1 client over
//! loopback, and the server itself (a child process or a task of this process). Adapted from
//! examples/load.rs (examples cannot import each other).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::http::header::AUTHORIZATION;
use axum::http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use registry_server::db::{self, DbOptions};
use registry_server::domain::{Clock, Settings};
use registry_server::signing::{KeyFiles, Signing};

// ---------------------------------------------------------------------------------------
// /proc readings

/// Resident set (VmRSS) and its peak (VmHWM) of a process, in KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User + system CPU time of a process, in seconds (USER_HZ = 100 on Linux).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

/// (busy, total) jiffies of the whole machine, from /proc/stat.
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// The share of the machine's CPU time that was busy since `before` (all processes: the
/// server, the database, this client, anyone else).
pub fn machine_busy(before: (u64, u64)) -> f64 {
    let after = machine_ticks();
    after.0.saturating_sub(before.0) as f64 / after.1.saturating_sub(before.1).max(1) as f64
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Samples the server's RSS every 20 ms; `peak` is reset at the start of each phase.
#[derive(Debug)]
pub struct Monitor {
    pub pid: u32,
    pub peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Monitor {
    pub fn start(pid: u32) -> Monitor {
        let peak = Arc::new(AtomicU64::new(0));
        let sampled = peak.clone();
        let task = tokio::spawn(async move {
            loop {
                sampled.fetch_max(memory_kib(pid).0, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Monitor { pid, peak, task }
    }

    pub fn reset(&self) {
        self.peak.store(memory_kib(self.pid).0, Ordering::Relaxed);
    }

    pub fn peak_kib(&self) -> u64 {
        self.peak
            .load(Ordering::Relaxed)
            .max(memory_kib(self.pid).0)
    }

    pub fn stop(&self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    pub base: String,
}

/// A streamed answer, read to the end.
#[derive(Debug)]
pub struct Streamed {
    pub status: StatusCode,
    pub bytes: u64,
    pub lines: u64,
    /// From the request to the first body bytes.
    pub first_byte: Duration,
    pub total: Duration,
    /// The first line (the header of a TSV file), or the start of an error body.
    pub first_line: String,
}

impl Api {
    pub fn new(base: String) -> Api {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(4)
            .build_http();
        Api { client, base }
    }

    fn request(&self, path: &str, token: &str) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        Ok(req.body(Full::new(Bytes::new()))?)
    }

    /// `GET path`: status and the whole body.
    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<(StatusCode, Bytes)> {
        let resp = self.client.request(self.request(path, token)?).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// `GET path` read frame by frame to the end, counting bytes and lines, keeping none.
    pub async fn stream(&self, path: &str, token: &str) -> anyhow::Result<Streamed> {
        let start = Instant::now();
        let resp = self.client.request(self.request(path, token)?).await?;
        let status = resp.status();
        let head = start.elapsed();
        let mut body = resp.into_body();
        let (mut bytes, mut lines) = (0u64, 0u64);
        let mut first_byte = None;
        let mut first_line = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.context("the body broke off")?;
            if let Ok(data) = frame.into_data() {
                if data.is_empty() {
                    continue;
                }
                first_byte.get_or_insert_with(|| start.elapsed());
                if first_line.len() < 4096 && !first_line.contains(&b'\n') {
                    first_line.extend_from_slice(&data[..data.len().min(4096)]);
                }
                bytes += data.len() as u64;
                lines += data.iter().filter(|&&b| b == b'\n').count() as u64;
            }
        }
        let first_line = String::from_utf8_lossy(&first_line)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        Ok(Streamed {
            status,
            bytes,
            lines,
            first_byte: first_byte.unwrap_or(head),
            total: start.elapsed(),
            first_line,
        })
    }
}

// ---------------------------------------------------------------------------------------
// The server

/// A running server: a child process or a task of this process.
#[derive(Debug)]
pub enum Server {
    Child(std::process::Child),
    InProcess(tokio::sync::oneshot::Sender<()>),
}

impl Server {
    pub fn pid(&self) -> u32 {
        match self {
            Server::Child(c) => c.id(),
            Server::InProcess(_) => std::process::id(),
        }
    }

    pub fn stop(self) {
        match self {
            Server::Child(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Server::InProcess(tx) => {
                let _ = tx.send(());
            }
        }
    }
}

/// How to start the server.
#[derive(Debug)]
pub struct ServerConfig {
    /// `None`: in this process; `Some(bin)`: that binary as a child process.
    pub child: Option<PathBuf>,
    /// The URL the child gets (for PostgreSQL with the schema as `search_path`).
    pub url: String,
    /// The options the in-process server opens the database with.
    pub options: DbOptions,
    pub work_dir: PathBuf,
    /// `sqlite` or `postgres` (names the log file).
    pub label: &'static str,
    /// More arguments for a child server (the in-process one takes the default settings).
    pub extra_args: Vec<std::ffi::OsString>,
}

/// The URL of a SQLite file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}?mode=rwc", path.display())
}

/// A PostgreSQL URL whose connections use `schema` (as `search_path`): what a child server
/// is given.
pub fn schema_url(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts the server with the fixture test keys; returns it and its base URL.
pub async fn start(config: &ServerConfig) -> anyhow::Result<(Server, String)> {
    let keys = KeyFiles::dev(&repo_root(), &config.work_dir.join("keys"))?;
    // The registry has users already: the server writes no first-admin token; the file is
    // named because the option is, and removed so nothing stale is read.
    let token_file = config
        .work_dir
        .join(format!("admin-token-{}", config.label));
    if token_file.exists() {
        std::fs::remove_file(&token_file)?;
    }
    let (server, base) = match &config.child {
        Some(bin) => {
            if !bin.exists() {
                bail!(
                    "{} not found: cargo build --release -p registry-server --bins",
                    bin.display()
                );
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let log_path = config.work_dir.join(format!("server-{}.log", config.label));
            let log = std::fs::File::create(&log_path)?;
            let mut command = std::process::Command::new(bin);
            if let Some(issuer_key) = &keys.issuer_key {
                command.arg("--issuer-key").arg(issuer_key);
            }
            let child = command
                .arg("--database-url")
                .arg(&config.url)
                .arg("--db-max-connections")
                .arg(config.options.max_connections.to_string())
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--issuer-cert")
                .arg(&keys.issuer_cert)
                .arg("--list-key")
                .arg(&keys.list_key)
                .arg("--list-cert")
                .arg(&keys.list_cert)
                .arg("--root-public-key")
                .arg(&keys.root_public_key)
                .arg("--first-admin-token-file")
                .arg(&token_file)
                .args(&config.extra_args)
                .env_remove("DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| format!("while starting {}", bin.display()))?;
            eprintln!(
                "server: {} (pid {}), log in {}",
                bin.display(),
                child.id(),
                log_path.display()
            );
            (Server::Child(child), format!("http://127.0.0.1:{port}"))
        }
        None => {
            let signing = Signing::load(&keys)?;
            let db = db::connect(&config.options).await?;
            let state =
                registry_server::app::prepare(db, signing, Settings::default(), Clock::system())
                    .await?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let base = format!("http://{}", listener.local_addr()?);
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let app = registry_server::server::app(state);
            tokio::spawn(registry_server::server::serve(
                listener,
                app,
                std::time::Duration::from_secs(30),
                async move {
                    let _ = rx.await;
                },
            ));
            (Server::InProcess(tx), base)
        }
    };
    let probe = Api::new(base.clone());
    let started = Instant::now();
    loop {
        if let Ok((StatusCode::OK, _)) = probe.get("/readyz", "").await {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            server.stop();
            bail!("the server did not become ready in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((server, base))
}
