//! [`InProcess`]: the virtual card behind the [`Transport`] trait, without pcscd, for fast
//! unit tests of the code that talks to cards.

use super::emulator::VirtualCard;
use crate::card::{Transport, TransportError};
use crate::cli::VirtualCardArgs;

/// When the card is pulled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Removal {
    /// The command count (since insertion) of the APDU at which the card leaves.
    at: u64,
    /// Whether that APDU is applied before the card leaves.
    applies: bool,
}

/// A [`VirtualCard`] in a reader, called directly: a [`Transport`] that behaves like the
/// PC/SC one, card removal included.
///
/// A removal planned with [`Self::remove_at`] happens the way pcscd reports a card pulled
/// out mid-command: the APDU in flight returns `Ok` with an **empty** response (applied to
/// the card or not), and every later [`Transport::transmit`] returns
/// [`TransportError::Removed`] until [`Self::reinsert`]. A removal happens once: after
/// reinsertion the card stays in unless another removal is planned.
#[derive(Debug)]
pub struct InProcess {
    card: VirtualCard,
    removal: Option<Removal>,
    commands: u64,
    removed: bool,
}

impl InProcess {
    /// The card, inserted and powered.
    pub fn new(mut card: VirtualCard) -> InProcess {
        card.power_on();
        InProcess {
            card,
            removal: None,
            commands: 0,
            removed: false,
        }
    }

    /// The card `virtual-card` would run with these arguments, removal plan included.
    ///
    /// # Errors
    /// As [`VirtualCard::from_args`].
    pub fn from_args(args: &VirtualCardArgs) -> anyhow::Result<InProcess> {
        let mut reader = InProcess::new(VirtualCard::from_args(args)?);
        if let Some(n) = args.remove_at {
            reader.remove_at(n, args.remove_applies);
        }
        Ok(reader)
    }

    /// Plans a removal at the `n`-th command APDU from now (1 = the next one), which the
    /// card applies first if `applies` (e.g. the UPDATE BINARY is stored but never
    /// answered). Replaces an earlier plan; `n = 0` cancels it.
    pub fn remove_at(&mut self, n: u64, applies: bool) {
        self.removal = (n > 0).then(|| Removal {
            at: self.commands + n,
            applies,
        });
    }

    /// Puts the card back: a new session (the MF is current) on the same file system, the
    /// command count back to 0, no removal planned.
    pub fn reinsert(&mut self) {
        self.card.power_on();
        self.removal = None;
        self.commands = 0;
        self.removed = false;
    }

    /// Whether the card has been pulled out.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    /// The command APDUs the card received since it was inserted (the one at removal
    /// included).
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The card, to look at its files.
    pub fn card(&self) -> &VirtualCard {
        &self.card
    }

    /// The card, to change it behind the reader's back (e.g. reset it with
    /// [`VirtualCard::power_on`]).
    pub fn card_mut(&mut self) -> &mut VirtualCard {
        &mut self.card
    }

    /// The card, out of the reader.
    pub fn into_card(self) -> VirtualCard {
        self.card
    }
}

impl Transport for InProcess {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::Removed);
        }
        self.commands += 1;
        match self.removal {
            Some(removal) if removal.at == self.commands => {
                if removal.applies {
                    self.card.process(command);
                }
                self.removed = true;
                self.removal = None;
                Ok(Vec::new())
            }
            _ => Ok(self.card.process(command)),
        }
    }
}
