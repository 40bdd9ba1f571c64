//! The one operation every card connection offers: send a command APDU, get the response.
//!
//! Two implementations: [`crate::card::pcsc_reader`] (a real reader through pcscd) and
//! [`crate::vcard::InProcess`] (the virtual card's logic called directly, for fast unit
//! tests). The smart-card layout code ([`crate::card::layout`]) only sees this trait.

/// Why a command could not be exchanged with the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card left the reader (or lost power) during or before the exchange.
    #[error("the card was removed from the reader")]
    Removed,
    /// The card was reset by another program; the session state on the card is lost.
    #[error("the card was reset")]
    Reset,
    /// There is no card in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// Any other reader or service failure, with the reader's own words.
    #[error("reader error: {0}")]
    Reader(String),
}

/// A connection to one card.
pub trait Transport {
    /// Sends one command APDU and returns the whole response APDU (data, then SW1 SW2).
    ///
    /// A response shorter than two bytes is returned as it is: PC/SC answers an APDU
    /// interrupted by a card removal with an empty response, and the caller must treat it as
    /// a failed command.
    ///
    /// # Errors
    /// [`TransportError`] when nothing could be exchanged.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}
