//! System tests: flows that cross crates, built into one test binary.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Key ceremony → issue → QR → verify → revoke → rotate, through card-format's public API.
mod issue_and_verify;
