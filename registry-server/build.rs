//! Rebuilds the server when a migration is added: `sqlx::migrate!` embeds the files of
//! `migrations/` but cargo tracks only the files it has seen (the build script sqlx
//! documents for this).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
