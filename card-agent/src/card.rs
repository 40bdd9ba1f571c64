//! Smart cards: the transport trait, PC/SC readers and the on-card layout.

pub mod apdu;
pub mod layout;
pub mod pcsc_reader;
pub mod transport;

pub use transport::{Transport, TransportError};
