//! Real-stack test support: the machine's pcscd, vsmartcard's `vpcd` reader driver, and
//! `card-agent virtual-card` as the card, so a test talks to the card through the `pcsc`
//! crate exactly as the agent talks to a physical reader.
//!
//! ```ignore
//! mod support;
//!
//! let slot = support::Slot::lock();                  // this reader is ours until dropped
//! let _card = slot.start_card(&["--profile", "iso"]); // the card is in the reader now
//! let card = slot.connect();
//! assert_eq!(crate::support::transmit(&card, &[0, 0xA4, 0, 0x0C, 2, 0x3F, 0]).unwrap(), [0x90, 0]);
//! ```
//!
//! - [`ensure_pcscd`] starts pcscd when none runs (there is one per machine; it is left
//!   running after the tests).
//! - [`Slot::lock`] takes a vpcd slot: the port comes from `CARD_AGENT_TEST_VPCD_PORT`
//!   (default 35964, reader "Virtual PCD 00 01"; 35963 is "Virtual PCD 00 00"). Tests that
//!   share a slot run one at a time: a mutex serialises the tests of one test binary, and a
//!   machine-wide lock (an abstract Unix socket named after the port, released by the
//!   kernel even when a test process dies) serialises test binaries.
//! - [`VirtualCardProcess`]: one card in the slot; dropping it pulls the card out and waits
//!   long enough for pcscd to notice the next card (the reinsertion caveat of pcscd 1.9.9: a
//!   card that reconnects within ~0.4 s of the last one dying while a client was
//!   transmitting may never be seen).
//!
//! Linux only, like pcscd with vpcd. Every helper panics with a message saying what is
//! missing: a panic here is a failed test.

// Each test binary uses a part of this module.

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Read};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The environment variable that picks the vpcd port of the tests.
pub const PORT_ENV: &str = "CARD_AGENT_TEST_VPCD_PORT";
/// The vpcd port the tests use by default ("Virtual PCD 00 01").
pub const DEFAULT_PORT: u16 = 35964;
/// vpcd's first port ("Virtual PCD 00 00"); slot N listens on this + N.
pub const VPCD_BASE_PORT: u16 = 35963;
/// Where Debian's pcscd is.
pub const PCSCD: &str = "/usr/sbin/pcscd";
/// How long a card may take to show up in its reader.
pub const CARD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait after a card left before the next one goes in (pcscd polls every 0.4 s).
pub const REINSERT_DELAY: Duration = Duration::from_millis(700);

/// The vpcd port of the tests: `CARD_AGENT_TEST_VPCD_PORT`, else 35964.
pub fn test_port() -> u16 {
    match std::env::var(PORT_ENV) {
        Ok(port) => port
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{PORT_ENV}={port:?} is not a port number")),
        Err(_) => DEFAULT_PORT,
    }
}

/// The pcscd reader of a vpcd port: "Virtual PCD 00 00" for 35963, "Virtual PCD 00 01" for
/// 35964 (the two slots Debian's `/etc/reader.conf.d/vpcd` gives).
pub fn reader_name(port: u16) -> String {
    match port.checked_sub(VPCD_BASE_PORT) {
        Some(slot @ 0..=1) => format!("Virtual PCD 00 {slot:02}"),
        _ => panic!("vpcd has slots on ports 35963 and 35964 only, not {port}"),
    }
}

/// Makes sure pcscd runs with the vpcd driver loaded: starts `/usr/sbin/pcscd --foreground`
/// in its own session when no pcscd process exists (it stays up after the tests: one pcscd
/// serves the whole machine), then waits until vpcd listens on the test port and pcscd
/// lists its reader.
///
/// # Panics
/// pcscd is not installed, or does not come up with the vpcd reader within 10 s.
pub fn ensure_pcscd() {
    let port = test_port();
    if !pcscd_running() {
        if !Path::new(PCSCD).exists() {
            panic!(
                "{PCSCD} is missing: the real-stack card tests need the Debian packages pcscd, \
                 vsmartcard-vpcd and libpcsclite-dev; run `bash scripts/test.sh`, which \
                 installs them"
            );
        }
        start_pcscd();
    }
    let reader = reader_name(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listening = port_listening(port);
        let listed = pcsc::Context::establish(pcsc::Scope::User)
            .and_then(|ctx| ctx.list_readers_owned())
            .is_ok_and(|readers| readers.iter().any(|r| r.to_bytes() == reader.as_bytes()));
        if listening && listed {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "pcscd runs but {} (listening on {port}: {listening}, reader {reader:?} listed: \
                 {listed}); is vsmartcard-vpcd installed (/etc/reader.conf.d/vpcd)?",
                if listening {
                    "lists no vpcd reader"
                } else {
                    "vpcd does not listen"
                }
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops every pcscd (SIGTERM) and returns once none is left (a test holding a [`Slot`]
/// does this to see the agent without the service; [`ensure_pcscd`] starts it again).
///
/// # Panics
/// A pcscd still running after 10 s.
pub fn stop_pcscd() {
    let _ = Command::new("pkill")
        .args(["-TERM", "-x", "pcscd"])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pcscd_running() {
        assert!(Instant::now() < deadline, "pcscd did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a live process named `pcscd` exists (a zombie, state `Z`, does not count).
fn pcscd_running() -> bool {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten().any(|entry| {
                let named = std::fs::read_to_string(entry.path().join("comm"))
                    .is_ok_and(|comm| comm.trim_end() == "pcscd");
                let zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|stat| {
                    stat.rsplit_once(") ")
                        .is_some_and(|(_, rest)| rest.starts_with('Z'))
                });
                named && !zombie
            })
        })
        .unwrap_or(false)
}

/// Starts pcscd detached: its own session (`setsid`, else its own process group), no
/// terminal, output discarded; never waited for.
fn start_pcscd() {
    let mut command = if Path::new("/usr/bin/setsid").exists() {
        let mut c = Command::new("/usr/bin/setsid");
        c.arg(PCSCD);
        c
    } else {
        let mut c = Command::new(PCSCD);
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        c
    };
    command
        .arg("--foreground")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {PCSCD}: {e}"));
    // Not waited for: pcscd outlives the test process (and init reaps it).
    drop(child);
}

/// Whether something listens on TCP `port` (read from /proc/net/tcp*, without connecting:
/// a connection to vpcd would be a card insertion).
fn port_listening(port: u16) -> bool {
    let needle = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|text| {
            text.lines().skip(1).any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.len() > 3 && fields[1].ends_with(&needle) && fields[3] == "0A"
            })
        })
    })
}

/// Serialises the tests of one test binary on the slot.
static SLOT_MUTEX: Mutex<()> = Mutex::new(());

/// A vpcd slot held by one test: no other test (in this or another test binary on the
/// machine) uses the reader while this exists.
pub struct Slot {
    port: u16,
    reader: CString,
    context: pcsc::Context,
    _machine_lock: UnixListener,
    _thread_lock: MutexGuard<'static, ()>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("port", &self.port)
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl Slot {
    /// Takes the test slot ([`test_port`]), waiting for other tests to finish with it;
    /// starts pcscd if needed ([`ensure_pcscd`]).
    ///
    /// # Panics
    /// pcscd is not available, the slot stays busy for 10 minutes, or a card that is not
    /// ours sits in the reader.
    pub fn lock() -> Slot {
        let thread_lock = SLOT_MUTEX.lock().unwrap_or_else(|e| e.into_inner());
        let port = test_port();
        let machine_lock = machine_lock(port);
        ensure_pcscd();
        let context = pcsc::Context::establish(pcsc::Scope::User)
            .unwrap_or_else(|e| panic!("pcsc Context::establish: {e}"));
        let slot = Slot {
            port,
            reader: CString::new(reader_name(port)).unwrap(),
            context,
            _machine_lock: machine_lock,
            _thread_lock: thread_lock,
        };
        if !slot.wait_card(false, Duration::from_secs(3)) {
            panic!(
                "a card is in reader {:?} although no test holds it: another virtual card \
                 uses port {port} (one started by hand, or left over from an interrupted test \
                 run: `pgrep -af 'virtual-card --vpcd 127.0.0.1:{port}'`); stop it, or set \
                 {PORT_ENV}",
                slot.reader
            );
        }
        slot
    }

    /// The vpcd port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The reader's name in pcscd.
    pub fn reader(&self) -> &CStr {
        &self.reader
    }

    /// `127.0.0.1:<port>`, for `virtual-card --vpcd`.
    pub fn vpcd_addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The PC/SC context the slot's helpers use.
    pub fn context(&self) -> &pcsc::Context {
        &self.context
    }

    /// Starts `card-agent virtual-card --vpcd 127.0.0.1:<port> <args>` and waits until
    /// pcscd shows the card present and it can be connected to. If pcscd misses the card
    /// (its reinsertion caveat), the card is restarted once.
    ///
    /// # Panics
    /// The card process does not start or print its "virtual card in" line, or the card is
    /// not in the reader within [`CARD_TIMEOUT`] (twice).
    pub fn start_card(&self, args: &[&str]) -> VirtualCardProcess<'_> {
        let card = VirtualCardProcess::spawn(self, args);
        if self.wait_connectable(CARD_TIMEOUT) {
            return card;
        }
        eprintln!(
            "support: the card did not show up in {:?} within {CARD_TIMEOUT:?}; restarting it",
            self.reader
        );
        drop(card);
        let card = VirtualCardProcess::spawn(self, args);
        if self.wait_connectable(CARD_TIMEOUT) {
            return card;
        }
        panic!(
            "the virtual card (card-agent virtual-card --vpcd {} {}) did not show up in \
             reader {:?} within {CARD_TIMEOUT:?}, twice; its output: {:?}",
            self.vpcd_addr(),
            args.join(" "),
            self.reader,
            card.output()
        );
    }

    /// The reader's state now, e.g. [`pcsc::State::PRESENT`] or [`pcsc::State::EMPTY`].
    pub fn state(&self) -> pcsc::State {
        let mut states = [pcsc::ReaderState::new(
            self.reader.clone(),
            pcsc::State::UNAWARE,
        )];
        match self
            .context
            .get_status_change(Duration::from_millis(0), &mut states)
        {
            Ok(()) => states[0].event_state(),
            Err(pcsc::Error::Timeout) => states[0].current_state(),
            Err(e) => panic!("get_status_change on {:?}: {e}", self.reader),
        }
    }

    /// Whether pcscd shows a card in the reader.
    pub fn card_present(&self) -> bool {
        self.state().contains(pcsc::State::PRESENT)
    }

    /// Waits until the reader shows a card (`present`) or no card; `false` on timeout.
    /// Woken by pcscd's own status-change events (`SCardGetStatusChange`), not a poll.
    pub fn wait_card(&self, present: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut watch = [pcsc::ReaderState::new(
            self.reader.clone(),
            pcsc::State::UNAWARE,
        )];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.context.get_status_change(left, &mut watch) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => return false,
                Err(e) => panic!("pcscd: SCardGetStatusChange on {:?}: {e}", self.reader),
            }
            if watch[0].event_state().contains(pcsc::State::PRESENT) == present {
                return true;
            }
            watch[0].sync_current_state();
        }
    }

    /// Waits until a connection to the card succeeds.
    fn wait_connectable(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(card) = self.try_connect() {
                let _ = card.disconnect(pcsc::Disposition::LeaveCard);
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new PC/SC context, after pcscd was restarted (the old one is dead with it).
    pub fn reestablish(&mut self) {
        self.context = pcsc::Context::establish(pcsc::Scope::User)
            .unwrap_or_else(|e| panic!("pcsc Context::establish: {e}"));
    }

    /// Connects to the card in the reader (shared, any protocol).
    pub fn try_connect(&self) -> Result<pcsc::Card, pcsc::Error> {
        self.context
            .connect(&self.reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
    }

    /// Connects to the card in the reader.
    ///
    /// # Panics
    /// No card, or pcscd refuses.
    pub fn connect(&self) -> pcsc::Card {
        self.try_connect()
            .unwrap_or_else(|e| panic!("connect to {:?}: {e}", self.reader))
    }
}

/// The machine-wide lock on a vpcd port: binding an abstract Unix socket succeeds for one
/// process at a time, and the kernel releases it when the process ends, however it ends.
fn machine_lock(port: u16) -> UnixListener {
    let name = format!("card-agent-test-vpcd-{port}");
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut said = false;
    loop {
        match UnixListener::bind_addr(&addr) {
            Ok(listener) => return listener,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if !said {
                    eprintln!("support: waiting for another test process to free vpcd port {port}");
                    said = true;
                }
                if Instant::now() > deadline {
                    panic!("vpcd port {port} stayed locked by another test process for 10 min");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("cannot take the test lock @{name}: {e}"),
        }
    }
}

/// `card-agent virtual-card` running in a [`Slot`]. Dropping it kills the card process
/// (if still running), waits for the reader to show no card and then [`REINSERT_DELAY`].
pub struct VirtualCardProcess<'slot> {
    slot: &'slot Slot,
    child: Child,
    stdout: Receiver<String>,
    lines: Vec<String>,
    stderr: Arc<Mutex<String>>,
    status: Option<ExitStatus>,
}

impl std::fmt::Debug for VirtualCardProcess<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCardProcess")
            .field("pid", &self.child.id())
            .field("port", &self.slot.port)
            .finish_non_exhaustive()
    }
}

impl<'slot> VirtualCardProcess<'slot> {
    /// Spawns the card and waits for its "virtual card in" line (not for pcscd).
    fn spawn(slot: &'slot Slot, args: &[&str]) -> VirtualCardProcess<'slot> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_card-agent"))
            .args(["virtual-card", "--vpcd", &slot.vpcd_addr()])
            .args(args)
            .env_remove("CARD_AGENT_VCARD_TRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn card-agent virtual-card");
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0; 1024];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut card = VirtualCardProcess {
            slot,
            child,
            stdout,
            lines: Vec::new(),
            stderr,
            status: None,
        };
        if card.wait_line("virtual card in", CARD_TIMEOUT).is_none() {
            let status = card.wait_exit(Duration::from_millis(500));
            panic!(
                "card-agent virtual-card {} did not connect to vpcd (exit: {status:?}); \
                 stdout {:?}, stderr {:?}",
                args.join(" "),
                card.lines,
                card.stderr()
            );
        }
        card
    }

    /// The card process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line of standard output starting with `prefix` (lines seen before
    /// count); `None` on timeout or when the process closed its output.
    pub fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines.iter().find(|l| l.starts_with(prefix)) {
                return Some(line.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The standard output lines read so far, and any that are waiting.
    pub fn output(&self) -> Vec<String> {
        let mut lines = self.lines.clone();
        lines.extend(self.stdout.try_iter());
        lines
    }

    /// What the card printed to standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for the process to exit by itself (e.g. after `--remove-at`); `None` if it
    /// still runs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.status {
                return Some(status);
            }
            self.status = self.child.try_wait().expect("try_wait on the card process");
            if self.status.is_some() {
                continue;
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the card process with SIGKILL (a card yanked out) and reaps it.
    pub fn kill(&mut self) -> ExitStatus {
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = Some(self.child.wait().expect("wait for the card process"));
        }
        self.status.unwrap()
    }
}

impl Drop for VirtualCardProcess<'_> {
    fn drop(&mut self) {
        self.kill();
        // The reader should be empty within pcscd's poll interval; then leave pcscd time
        // before the next card goes in.
        let _ = self.slot.wait_card(false, Duration::from_secs(2));
        std::thread::sleep(REINSERT_DELAY);
    }
}

/// Sends one APDU and returns the whole response (data and SW1 SW2; empty when the card
/// was pulled out mid-command).
pub fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Result<Vec<u8>, pcsc::Error> {
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    card.transmit(apdu, &mut buf).map(<[u8]>::to_vec)
}

/// Sends one APDU and checks its status word; returns the response data.
///
/// # Panics
/// The exchange fails or the status word differs.
pub fn expect_sw(card: &pcsc::Card, apdu: &[u8], sw: u16) -> Vec<u8> {
    let response = transmit(card, apdu)
        .unwrap_or_else(|e| panic!("transmit {}: {e}", hex::encode_upper(apdu)));
    let Some((sw_bytes, data)) = response
        .len()
        .checked_sub(2)
        .map(|n| (&response[n..], &response[..n]))
    else {
        panic!(
            "{}: response {response:02X?} without a status word",
            hex::encode_upper(apdu)
        );
    };
    assert_eq!(
        u16::from_be_bytes([sw_bytes[0], sw_bytes[1]]),
        sw,
        "{} answered {}",
        hex::encode_upper(apdu),
        hex::encode_upper(&response)
    );
    data.to_vec()
}

/// A fresh, empty directory for one test's files, under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("card-agent-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
