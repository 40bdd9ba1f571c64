//! The vpcd client: puts a [`VirtualCard`] in a reader of the local pcscd.
//!
//! vsmartcard's `vpcd` driver, loaded by pcscd, listens on TCP (port 35963 for reader
//! "Virtual PCD 00 00", 35964 for "Virtual PCD 00 01"); a card is a TCP client of it.
//! Connecting inserts the card, closing the connection pulls it out. Every message, both
//! ways, is a 2-byte big-endian length and that many bytes. From vpcd, a 1-byte message is a
//! control code (0 power off, 1 power on, 2 reset, 4 "send your ATR", answered with the
//! ATR); a longer one is a command APDU, answered with the response APDU.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use super::emulator::VirtualCard;
use crate::cli::VirtualCardArgs;
use crate::Class;

/// Set this environment variable to `1` to have `virtual-card` print every message it
/// exchanges with vpcd (APDUs in hex, card data included) to standard error. Off by default:
/// card data is never printed otherwise.
pub const TRACE_ENV: &str = "CARD_AGENT_VCARD_TRACE";

/// Runs the virtual card in the vpcd reader at `args.vpcd` until it is removed.
///
/// Prints `virtual card in <address>` to standard output once connected (the card is then
/// inserted; pcscd sees it within about 0.4 s). With `--remove-at N`, the card is pulled out
/// at the N-th command APDU since the start (1-based; applied first with
/// `--remove-applies`, never answered): it prints `virtual card removed at APDU N`, closes
/// the connection and returns `Ok`. With `--image`, every change is saved before its answer
/// goes out (see [`VirtualCard::open`]). No APDU or card data is printed unless
/// [`TRACE_ENV`] is set.
///
/// # Errors
/// The card image cannot be used (class [`Class::Usage`]); vpcd cannot be reached (pcscd or
/// its vpcd driver is not running), the connection fails, or vpcd closes it (pcscd stopped):
/// class [`Class::Reader`].
pub fn run(args: &VirtualCardArgs) -> anyhow::Result<()> {
    let mut card = VirtualCard::from_args(args)?;
    let mut stream = connect(&args.vpcd)?;
    let trace = std::env::var(TRACE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let mut out = io::stdout().lock();
    writeln!(out, "virtual card in {}", args.vpcd)?;
    out.flush()?;
    drop(out);

    let reader_error = |e: io::Error| {
        Class::Reader.err(format!(
            "the connection to the vpcd reader at {} failed: {e}",
            args.vpcd
        ))
    };
    let mut commands: u64 = 0;
    loop {
        let Some(message) = read_message(&mut stream).map_err(reader_error)? else {
            return Err(Class::Reader.err(format!(
                "the vpcd reader at {} closed the connection (pcscd stopped?)",
                args.vpcd
            )));
        };
        if trace {
            eprintln!("vpcd > card {}", hex::encode_upper(&message));
        }
        let response = match message.as_slice() {
            [] => continue,
            [0..=2] => {
                card.power_on();
                continue;
            }
            [4] => card.atr().to_vec(),
            [_] => continue,
            apdu => {
                commands += 1;
                if args.remove_at == Some(commands) {
                    if args.remove_applies {
                        card.process(apdu);
                    }
                    drop(stream);
                    let mut out = io::stdout().lock();
                    writeln!(out, "virtual card removed at APDU {commands}")?;
                    out.flush()?;
                    return Ok(());
                }
                card.process(apdu)
            }
        };
        if trace {
            eprintln!("card > vpcd {}", hex::encode_upper(&response));
        }
        write_message(&mut stream, &response).map_err(reader_error)?;
    }
}

/// Connects to vpcd with Nagle off (each answer goes out at once).
fn connect(addr: &str) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(addr).map_err(|e| match e.kind() {
        io::ErrorKind::ConnectionRefused => Class::Reader.err(format!(
            "cannot connect to the vpcd reader at {addr}: connection refused. pcscd with the \
             vpcd driver (Debian package vsmartcard-vpcd) must be running, e.g. \
             `/usr/sbin/pcscd --foreground`"
        )),
        io::ErrorKind::InvalidInput => {
            Class::Usage.err(format!("--vpcd {addr}: not a host:port address ({e})"))
        }
        _ => Class::Reader.err(format!("cannot connect to the vpcd reader at {addr}: {e}")),
    })?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Asks the kernel to acknowledge received data at once. vpcd writes each message as two
/// TCP segments (length, then body) with Nagle on: without this, its body waits for our
/// delayed ACK and every APDU takes about 40 ms instead of well under 1 ms. Linux resets
/// the flag on its own, so it is set again before every read.
fn quickack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Only a speed-up: a failure changes nothing else.
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

/// Reads one message; `None` when vpcd closed the connection.
fn read_message(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    quickack(stream);
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    }
    let mut message = vec![0; usize::from(u16::from_be_bytes(len))];
    quickack(stream);
    stream.read_exact(&mut message)?;
    Ok(Some(message))
}

/// Writes one message in a single write.
fn write_message(stream: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let len = u16::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "response over 65535 bytes"))?;
    let mut message = Vec::with_capacity(body.len() + 2);
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(body);
    stream.write_all(&message)
}
