//! registry-server: the patient registry service.
//!
//! Not built yet: issue #3 brings the service (axum, sqlx, SQLite and PostgreSQL). Until then
//! this binary says so and exits with status 2, rather than pretending to serve.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "registry-server {}: the registry service is not built yet (issue #3); \
         card-format is ready, try `card-agent verify --help`",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
