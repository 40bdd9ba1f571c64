//! The virtual ISO 7816-4 card, for tests, training and demos without a physical reader.
//!
//! - [`VirtualCard`]: the card's logic (file system, APDUs, status words), pure and
//!   synchronous;
//! - [`run`] (`card-agent virtual-card`): the card in a reader of the real pcscd, through
//!   vsmartcard's `vpcd` driver, so every PC/SC program sees a real card;
//! - [`InProcess`]: the card behind [`crate::card::Transport`] without pcscd, for unit tests.
//!
//! Profiles ([`crate::cli::VirtualCardProfile`]): a blank ISO card, an ISO card holding
//! another application ([`FOREIGN_AID`]), or a non-ISO card that refuses every command.
//! Faults: removal at a chosen command APDU, applied or not (`--remove-at`,
//! `--remove-applies`, [`InProcess::remove_at`]). Persistence: the file system in a JSON
//! image saved after every change ([`VirtualCard::open`]).

mod apdu;
mod emulator;
pub mod fs;
mod image;
mod in_process;
mod vpcd;

#[cfg(test)]
mod tests;

pub use apdu::sw;
pub use emulator::{
    VirtualCard, ATR_ISO, ATR_ISO_EXTENDED, ATR_NON_ISO, EF_DIR_FID, FOREIGN_AID, FOREIGN_DATA,
    FOREIGN_DF_FID, FOREIGN_EF_FID,
};
pub use in_process::InProcess;
pub use vpcd::{run, TRACE_ENV};
