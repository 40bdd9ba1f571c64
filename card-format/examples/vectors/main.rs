//! Writes the test keys, certificates and vectors under fixtures/.
//!
//! ```text
//! cargo run -p card-format --example vectors
//! ```
//!
//! The output is deterministic; `cargo test -p card-format --test format vectors::` fails when the
//! committed files differ from what this writes. Private keys are written with mode 0600.

// A generator of test data: a panic is the right answer to a bug in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod generate;

use std::path::Path;

fn main() -> std::io::Result<()> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let files = generate::generate();
    // Remove vectors that are no longer generated, so the directory is exactly the manifest.
    for entry in std::fs::read_dir(fixtures.join("vectors"))? {
        let path = entry?.path();
        let name = format!("vectors/{}", path.file_name().unwrap().to_string_lossy());
        if !files.contains_key(&name) && name != "vectors/README.md" {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, bytes) in &files {
        let path = fixtures.join(name);
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(&path, bytes)?;
        #[cfg(unix)]
        if name.ends_with(".key.pem") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    println!("wrote {} files under {}", files.len(), fixtures.display());
    Ok(())
}
