//! PDF rendering of cards.
