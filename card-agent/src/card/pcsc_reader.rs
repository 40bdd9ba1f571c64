//! Real readers through pcscd (the `pcsc` crate over libpcsclite).
//!
//! Every call establishes its own PC/SC context, so readers plugged in later and a pcscd
//! restarted while the agent runs are picked up; [`wait_for_card`] re-establishes the context
//! when pcscd goes away under it.

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Context, Protocols, ReaderState, Scope, ShareMode, State};

use super::transport::{Transport, TransportError};
use crate::Class;

/// One reader and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReaderInfo {
    /// The reader's name, as pcscd gives it.
    pub name: String,
    /// A card is in the reader.
    pub card_present: bool,
    /// Another program holds the card exclusively.
    pub in_use: bool,
    /// The card's answer to reset, hex, when a card is present.
    pub atr: Option<String>,
}

/// Maps PC/SC service errors to the agent's errors.
fn service_error(e: pcsc::Error) -> anyhow::Error {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::CommError => {
            Class::Reader.err(format!(
                "the smart-card service (pcscd) is not running ({e}); start it, e.g. `pcscd`"
            ))
        }
        pcsc::Error::NoReadersAvailable => Class::Reader.err("no smart-card reader is connected"),
        pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard => {
            Class::NoCard.err("no card in the reader")
        }
        pcsc::Error::SharingViolation => {
            Class::Reader.err("another program is using the card; close it and try again")
        }
        pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
            Class::Reader.err(format!("the reader went away ({e})"))
        }
        other => Class::Reader.err(format!("smart-card service error: {other}")),
    }
}

fn establish() -> anyhow::Result<Context> {
    Context::establish(Scope::User).map_err(service_error)
}

fn reader_names(ctx: &Context) -> anyhow::Result<Vec<CString>> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(service_error(e)),
    }
}

fn states(ctx: &Context, names: &[CString]) -> anyhow::Result<Vec<ReaderState>> {
    let mut states: Vec<ReaderState> = names
        .iter()
        .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
        .collect();
    if !states.is_empty() {
        ctx.get_status_change(Duration::from_millis(0), &mut states)
            .or_else(|e| match e {
                pcsc::Error::Timeout => Ok(()),
                e => Err(service_error(e)),
            })?;
    }
    Ok(states)
}

fn info(state: &ReaderState) -> ReaderInfo {
    let event = state.event_state();
    let present = event.contains(State::PRESENT) && !event.contains(State::MUTE);
    ReaderInfo {
        name: state.name().to_string_lossy().into_owned(),
        card_present: present,
        in_use: event.contains(State::EXCLUSIVE),
        atr: present.then(|| hex::encode_upper(state.atr())),
    }
}

/// Lists the readers and whether each holds a card.
///
/// # Errors
/// pcscd not running (class [`Class::Reader`]).
pub fn list() -> anyhow::Result<Vec<ReaderInfo>> {
    let ctx = establish()?;
    let names = reader_names(&ctx)?;
    Ok(states(&ctx, &names)?.iter().map(info).collect())
}

/// Picks the reader to use: the one whose name contains `wanted`, else the only one holding
/// a card, else the only one. `None` when no reader qualifies yet (a caller that waits
/// tries again).
///
/// # Errors
/// `wanted` matches several readers, or cards are in several readers and nothing was
/// `wanted` (class [`Class::Usage`]).
pub fn choose(readers: &[ReaderInfo], wanted: Option<&str>) -> anyhow::Result<Option<ReaderInfo>> {
    if let Some(wanted) = wanted {
        let matching: Vec<&ReaderInfo> = readers
            .iter()
            .filter(|r| r.name == wanted || r.name.contains(wanted))
            .collect();
        return match matching.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(Class::Usage.err(format!(
                "--reader {wanted:?} matches {} readers ({}); give more of the name",
                many.len(),
                many.iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        };
    }
    let with_card: Vec<&ReaderInfo> = readers.iter().filter(|r| r.card_present).collect();
    match (with_card.as_slice(), readers) {
        ([one], _) => Ok(Some((*one).clone())),
        ([], [only]) => Ok(Some(only.clone())),
        ([], _) => Ok(None),
        (many, _) => Err(Class::Usage.err(format!(
            "cards are in several readers ({}); choose one with --reader",
            many.iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Finds the reader to use and, with `wait`, waits until it holds a card.
///
/// Without `wait`, a reader with no card is an error of class [`Class::NoCard`]. While
/// waiting, readers plugged in and a restarted pcscd are picked up.
///
/// # Errors
/// No such reader, no card (after the wait), pcscd not running (when not waiting).
pub fn wait_for_card(wanted: Option<&str>, wait: Option<Duration>) -> anyhow::Result<String> {
    let deadline = wait.map(|w| Instant::now() + w);
    let mut ctx: Option<Context> = None;
    let mut said = false;
    loop {
        let attempt = (|| -> anyhow::Result<(Option<ReaderInfo>, Vec<String>)> {
            let c = match ctx.take() {
                Some(c) if c.is_valid().is_ok() => c,
                _ => establish()?,
            };
            let names = reader_names(&c)?;
            let readers: Vec<ReaderInfo> = states(&c, &names)?.iter().map(info).collect();
            ctx = Some(c);
            let all = readers.iter().map(|r| r.name.clone()).collect();
            Ok((choose(&readers, wanted)?, all))
        })();
        let waiting = deadline.is_some_and(|d| Instant::now() < d);
        match attempt {
            Ok((Some(reader), _)) if reader.card_present => return Ok(reader.name),
            Ok((Some(reader), _)) if !waiting => {
                return Err(Class::NoCard.err(format!("no card in the reader {}", reader.name)))
            }
            Ok((None, all)) if !waiting => {
                return Err(match wanted {
                    Some(w) => Class::Reader.err(format!("no reader matches {w:?}")),
                    None if all.is_empty() => {
                        Class::Reader.err("no smart-card reader is connected")
                    }
                    // Readers, and a card in none of them.
                    None => Class::NoCard.err(format!(
                        "no card in the reader: none of {} holds one",
                        all.join(", ")
                    )),
                });
            }
            Err(e) if !waiting => return Err(e),
            _ => {}
        }
        // Said once, on stderr (stdout may be JSON): the person at the desk knows the agent
        // is ready for the card, and a test knows when to insert one.
        if !said {
            said = true;
            if let Some(w) = wait {
                eprintln!("waiting for a card (up to {} s)", w.as_secs());
            }
        }
        // Sleep on PC/SC events where the service is up (card inserted, reader plugged), else
        // poll: pcscd may be restarting.
        let pause = Duration::from_millis(250);
        match &ctx {
            Some(c) => {
                let mut watch: Vec<ReaderState> = reader_names(c)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| ReaderState::new(n, State::UNAWARE))
                    .collect();
                watch.push(ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE));
                let _ = c.get_status_change(Duration::from_millis(0), &mut watch);
                for s in &mut watch {
                    s.sync_current_state();
                }
                match c.get_status_change(pause * 4, &mut watch) {
                    Ok(()) | Err(pcsc::Error::Timeout) => {}
                    Err(_) => {
                        ctx = None;
                        std::thread::sleep(pause);
                    }
                }
            }
            None => std::thread::sleep(pause),
        }
    }
}

/// A card connected through pcscd.
pub struct PcscCard {
    card: pcsc::Card,
    reader: String,
    atr: Vec<u8>,
    // Keeps the context alive as long as the card handle.
    _ctx: Context,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("atr", &hex::encode_upper(&self.atr))
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// Connects to the card in `reader`. `exclusive` keeps other programs off the card for
    /// as long as this handle lives (for writes).
    ///
    /// # Errors
    /// No card, the card in use by another program, pcscd not running.
    pub fn connect(reader: &str, exclusive: bool) -> anyhow::Result<PcscCard> {
        let ctx = establish()?;
        let name = CString::new(reader).map_err(|_| Class::Usage.err("bad reader name"))?;
        let mode = if exclusive {
            ShareMode::Exclusive
        } else {
            ShareMode::Shared
        };
        let card = ctx
            .connect(&name, mode, Protocols::ANY)
            .map_err(service_error)?;
        let atr = card
            .get_attribute_owned(pcsc::Attribute::AtrString)
            .unwrap_or_default();
        Ok(PcscCard {
            card,
            reader: reader.to_string(),
            atr,
            _ctx: ctx,
        })
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The card's answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        match self.card.transmit(command, &mut buf) {
            Ok(answer) => Ok(answer.to_vec()),
            // pcsc-lite answers NotTransacted first when the card is pulled mid-command.
            Err(pcsc::Error::RemovedCard | pcsc::Error::NotTransacted) => {
                Err(TransportError::Removed)
            }
            Err(pcsc::Error::NoSmartcard) => Err(TransportError::NoCard),
            Err(pcsc::Error::ResetCard) => Err(TransportError::Reset),
            Err(e) => Err(TransportError::Reader(e.to_string())),
        }
    }
}
