//! Smart cards: the transport trait, PC/SC readers and the on-card layout.

pub mod transport;

pub use transport::{Transport, TransportError};
