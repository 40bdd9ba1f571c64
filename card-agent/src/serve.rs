//! `card-agent serve`: the bridge between the registry's web pages and the smart-card reader
//! of the desk's own computer, as national eID clients do it.
//!
//! A small HTTP/1.1 server on **127.0.0.1 only** (default port 47311). The registry's page,
//! loaded from the configured origin, calls it with `fetch`:
//!
//! | request | answer |
//! |---|---|
//! | `GET /v1/hello` | agent, version, readers, the chosen reader, whether it holds a card |
//! | `POST /v1/card/write` `{"card": base64}` | the card verified, written, read back: serial, bytes, reader |
//! | `POST /v1/card/read` | the card read and verified: serial, status, expiry, summary, card |
//!
//! Every request passes [`guard`] first (Host, Origin, pairing code); errors are one JSON
//! object each ([`error`]). Card work reuses what `write` and `read` do
//! ([`crate::smartcard`], [`crate::card::layout`]); each card operation runs on a blocking
//! thread, one at a time. The trust material is reloaded for every card operation, so a
//! `trust sync` takes effect at once.
//!
//! The protocol, and why it is safe: docs/card-agent.md, "serve".

pub mod error;
pub mod guard;
pub mod pairing;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use card_format::model::CardPayload;
use card_format::{Policy, TrustStore, Verified};
use data_encoding::BASE64;
use serde_json::{json, Value};

use crate::card::{layout, pcsc_reader};
use crate::cli::{ServeArgs, TrustArgs};
use crate::{smartcard, verify, Class};
use error::{ApiError, Code};
use guard::Guard;
use pairing::{PairingCode, Source};

/// The largest request body: a card is at most 8 KiB, about 11 KiB in base64.
pub const MAX_BODY: usize = 64 * 1024;

/// The trust material of one card operation.
#[derive(Debug)]
struct Trust {
    store: TrustStore,
    policy: Policy,
}

/// What the handlers share.
#[derive(Debug)]
struct Shared {
    /// `--reader`: part of a reader's name, or the agent's default choice.
    reader: Option<String>,
    /// The trust flags, reloaded for each card operation.
    trust_args: TrustArgs,
    /// `--home`.
    home: Option<PathBuf>,
    /// The last trust material that loaded: used when a reload fails (a bundle being
    /// replaced by hand, say).
    trust: Mutex<Arc<Trust>>,
    /// Held for the whole of a card operation: one at a time, the next one waits.
    card: Arc<tokio::sync::Mutex<()>>,
}

impl Shared {
    fn trust(&self) -> Arc<Trust> {
        let mut last = self.trust.lock().unwrap_or_else(PoisonError::into_inner);
        match crate::trust::load(&self.trust_args, self.home.as_deref()) {
            Ok((store, policy)) => *last = Arc::new(Trust { store, policy }),
            Err(e) => eprintln!(
                "card-agent serve: the trust material did not reload ({e:#}); using the last \
                 that did"
            ),
        }
        Arc::clone(&last)
    }
}

#[derive(Debug, Clone)]
struct AppState(Arc<Shared>);

impl AppState {
    /// Runs `op` on a blocking thread (PC/SC calls block) once no other card operation runs.
    async fn card_op<T, F>(&self, op: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared, &Trust, u64) -> Result<T, ApiError> + Send + 'static,
    {
        // An owned guard moves into the blocking task: if the page goes away, the handler is
        // dropped but the card operation runs to its end, and keeps the card until then.
        let turn = Arc::clone(&self.0.card).lock_owned().await;
        let shared = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let trust = shared.trust();
            let now = crate::trust::now_or(shared.trust_args.now)
                .map_err(|e| ApiError::from_agent(&e))?;
            op(&shared, &trust, now)
        })
        .await
        .map_err(|_| ApiError::new(Code::Internal, "the card operation failed inside the agent"))?
    }
}

/// Starts the server and runs it until SIGINT or SIGTERM.
///
/// # Errors
/// A bad `--origin`, unusable trust material, the pairing code file, the port taken.
pub fn run(args: &ServeArgs, home: Option<&Path>) -> anyhow::Result<()> {
    let origin = guard::parse_origin(&args.origin)
        .map_err(|e| Class::Usage.err(format!("--origin {:?}: {e}", args.origin)))?;
    // Fail now, not at the first card, when the root key or bundle is unusable.
    let (store, policy) = crate::trust::load(&args.trust, home)?;
    let (code, source) =
        PairingCode::load_or_create(&crate::trust::home(home)?, args.new_pairing_code)?;
    let listener = bind(args.port)?;
    let port = listener.local_addr().context("while listening")?.port();
    let shown = code.reveal().to_string();
    let guard = Arc::new(Guard::new(origin.clone(), port, code)?);
    let state = AppState(Arc::new(Shared {
        reader: args.reader.clone(),
        trust_args: args.trust.clone(),
        home: home.map(Path::to_path_buf),
        trust: Mutex::new(Arc::new(Trust { store, policy })),
        card: Arc::new(tokio::sync::Mutex::new(())),
    }));
    // One thread serves the few requests of one desk; card work runs on blocking threads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("while starting the server")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).context("while listening")?;
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("while setting up SIGTERM")?;
        eprintln!("card-agent serve: listening on http://127.0.0.1:{port} (this computer only)");
        eprintln!("card-agent serve: allowed origin {origin}");
        eprintln!(
            "card-agent serve: pairing code {shown} ({}); type it once into the registry's page",
            match source {
                Source::Created => "new",
                Source::Reused => "as before",
                Source::Rotated => "replaced: pair every page again",
            }
        );
        let shutdown = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            eprintln!("card-agent serve: stopping");
        };
        axum::serve(listener, app(state, guard))
            .with_graceful_shutdown(shutdown)
            .await
            .context("while serving")
    })
}

/// Listens on 127.0.0.1 only: the agent is for this computer's browser, and nothing else.
fn bind(port: u16) -> anyhow::Result<TcpListener> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = TcpListener::bind(address).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Class::Usage.err(format!(
                "port {port} on 127.0.0.1 is already taken (is another `card-agent serve` \
                 running?); stop that program or choose another --port"
            ))
        } else {
            Class::Usage.err(format!("cannot listen on {address}: {e}"))
        }
    })?;
    listener.set_nonblocking(true).context("while listening")?;
    Ok(listener)
}

/// The routes behind the guard.
fn app(state: AppState, guard: Arc<Guard>) -> Router {
    Router::new()
        .route("/v1/hello", get(hello))
        .route("/v1/card/write", post(write))
        .route("/v1/card/read", post(read))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            guard::middleware,
        ))
}

/// `GET /v1/hello`: who answers, and what the reader holds (docs/card-agent.md, "serve").
async fn hello(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let readers = tokio::task::spawn_blocking(pcsc_reader::list)
        .await
        .map_err(|_| {
            ApiError::new(
                Code::Internal,
                "listing the readers failed inside the agent",
            )
        })?
        .map_err(|e| ApiError::from_agent(&e))?;
    let chosen = pcsc_reader::choose(&readers, state.0.reader.as_deref())
        .ok()
        .flatten();
    Ok(Json(json!({
        "agent": "card-agent",
        "version": env!("CARGO_PKG_VERSION"),
        "readers": readers.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        "reader": chosen.as_ref().map(|r| r.name.as_str()),
        "card_present": chosen.as_ref().is_some_and(|r| r.card_present),
    })))
}

/// The body of `POST /v1/card/write`.
#[derive(Debug, serde::Deserialize)]
struct WriteRequest {
    /// Standard base64 of the signed card (COSE), with its issuer certificate.
    card: String,
}

/// `POST /v1/card/write`: verify, write, read back (docs/card-agent.md, "serve").
async fn write(State(state): State<AppState>, body: Body) -> Result<Json<Value>, ApiError> {
    let body = read_body(body).await?;
    let request: WriteRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be the JSON object {{\"card\": \"<base64>\"}} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let bytes = BASE64.decode(request.card.trim().as_bytes()).map_err(|e| {
        ApiError::bad_request(format!(
            "the card is not standard base64 (at character {})",
            e.position
        ))
    })?;
    state
        .card_op(move |shared, trust, now| write_card(shared, trust, now, &bytes))
        .await
        .map(Json)
}

fn write_card(shared: &Shared, trust: &Trust, now: u64, bytes: &[u8]) -> Result<Value, ApiError> {
    let prepared = smartcard::prepare_for_card(&trust.store, &trust.policy, now, bytes)
        .map_err(|e| ApiError::from_unwritable(&e))?;
    let mut card = smartcard::connect(shared.reader.as_deref(), None, true)
        .map_err(|e| ApiError::from_agent(&e))?;
    layout::write_card(&mut card, &prepared.bytes).map_err(|e| ApiError::from_card(&e, true))?;
    Ok(json!({
        "serial": prepared.verified.value().serial.to_string(),
        "bytes": prepared.bytes.len(),
        "reader": card.reader(),
    }))
}

/// `POST /v1/card/read`: read and verify (docs/card-agent.md, "serve").
async fn read(State(state): State<AppState>, body: Body) -> Result<Json<Value>, ApiError> {
    let body = read_body(body).await?;
    if !body.trim_ascii().is_empty() {
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body must be empty or a JSON object (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if !value.is_object() {
            return Err(ApiError::bad_request(
                "the body must be empty or a JSON object",
            ));
        }
    }
    state.card_op(read_card).await.map(Json)
}

fn read_card(shared: &Shared, trust: &Trust, now: u64) -> Result<Value, ApiError> {
    let mut card = smartcard::connect(shared.reader.as_deref(), None, false)
        .map_err(|e| ApiError::from_agent(&e))?;
    let bytes = layout::read_card(&mut card).map_err(|e| ApiError::from_card(&e, false))?;
    let mut answer = match verify::verify_bytes(&trust.store, &trust.policy, now, &bytes) {
        Ok(v) => card_json(&v, "valid"),
        Err(e) => refused_json(trust, &bytes, &e)?,
    };
    answer["card"] = BASE64.encode(&bytes).into();
    answer["reader"] = card.reader().into();
    Ok(answer)
}

/// A verified card: what `read --json` shows, in the protocol's names.
fn card_json(v: &Verified<CardPayload>, status: &str) -> Value {
    let card = v.value();
    json!({
        "serial": card.serial.to_string(),
        "status": status,
        "issuer": card.issuer,
        "expires": verify::format_date(card.expires_at),
        "summary": card.summary,
        "warnings": v.warnings().iter().map(|w| w.code()).collect::<Vec<_>>(),
    })
}

/// A card refused for its expiry or revocation (a `200` with that status and the reason);
/// any other refusal is `invalid_card`.
fn refused_json(
    trust: &Trust,
    bytes: &[u8],
    refusal: &card_format::Error,
) -> Result<Value, ApiError> {
    let revoked_as = |reason: card_format::trust::RevocationReason| {
        (
            "revoked",
            reason.as_str(),
            format!("The card was revoked ({reason})."),
        )
    };
    let (mut status, mut reason, mut message) = match refusal {
        card_format::Error::Revoked { reason } => revoked_as(*reason),
        card_format::Error::Expired => ("expired", "expired", "The card expired.".to_string()),
        e => {
            return Err(ApiError::new(
                Code::InvalidCard,
                format!("the card does not verify: {e} [{}]", e.code()),
            ))
        }
    };
    let Some(v) = verify::payload_despite(&trust.store, bytes, refusal) else {
        return Ok(json!({"serial": null, "status": status, "reason": reason,
            "message": message, "expires": null, "summary": null, "warnings": []}));
    };
    // Expiry is checked before revocation: an expired card may be revoked too, which says more.
    let serial = &v.value().serial;
    if let Some(r) = trust.store.bundle().and_then(|b| b.revocation(serial)) {
        (status, reason, message) = revoked_as(r.reason);
    } else if status == "expired" {
        message = format!(
            "The card expired on {}.",
            verify::format_date(v.value().expires_at)
        );
    }
    let mut answer = card_json(&v, status);
    answer["reason"] = reason.into();
    answer["message"] = message.into();
    // The second verification's warnings (no revocation data) describe it, not the card.
    answer["warnings"] = json!([]);
    Ok(answer)
}

/// The request body, at most [`MAX_BODY`] bytes.
async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::bad_request(format!(
            "the request body is larger than {} KiB, or was cut off",
            MAX_BODY / 1024
        ))
    })
}

/// Any other path or method.
async fn not_found(method: Method, uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(100).collect();
    ApiError::new(
        Code::NotFound,
        format!("there is no {method} {path} here; see GET /v1/hello"),
    )
}
