//! `trust sync` and `trust show` against a real registry-server, and verification with the
//! synced bundle.

use std::process::Output;

use crate::registry::{agent, repo, Registry};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn sync_pins_the_root_fetches_with_etag_and_verifies_offline() {
    let tmp = tempdir();
    let home = tmp.join("home");
    let mut registry = Registry::start(&tmp.join("registry"));
    let root = repo().join("fixtures/keys/root.pub.pem");

    // No root pinned and none given: a usage error that says what to do.
    let out = agent(&home)
        .args(["trust", "sync", "--server", &registry.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no root key pinned yet"),
        "{}",
        text(&out)
    );

    // First sync pins the root and stores the bundle.
    let out = agent(&home)
        .args(["trust", "sync", "--server", &registry.url, "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("trust bundle updated"),
        "{}",
        text(&out)
    );
    assert!(home.join("root.pem").is_file());
    assert!(home.join("trust-bundle.cose").is_file());

    // Second sync: the ETag matches, nothing is downloaded.
    let out = agent(&home)
        .args(["trust", "sync", "--json", "--server", &registry.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changed"], false, "{v}");

    // A different root key is refused and the pinned one kept.
    let other = repo().join("fixtures/keys/issuer-benghazi.pub.pem");
    let out = agent(&home)
        .args(["trust", "sync", "--server", &registry.url, "--root"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("differs from the root key pinned"),
        "{}",
        text(&out)
    );

    // `trust show` lists the registry's issuer.
    let out = agent(&home)
        .args(["trust", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["issuers"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["server"], registry.url.as_str());
    let out = agent(&home).args(["trust", "show"]).output().unwrap();
    assert!(text(&out).contains("issuers"), "{}", text(&out));

    // Offline: the registry is gone; verification uses the pinned root and the stored bundle.
    registry.kill();
    let card =
        std::fs::read_to_string(repo().join("fixtures/vectors/valid-root-only.qr.txt")).unwrap();
    let out = agent(&home)
        .args(["verify", "--json", card.trim()])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true, "{}", text(&out));
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        !warnings.iter().any(|w| w == "no_revocation_data"),
        "the synced bundle was not used: {v}"
    );

    // A month later (the bundle was made now): still valid, but the old bundle is flagged.
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86_400;
    let out = agent(&home)
        .args(["verify", "--json", "--now", &later.to_string(), card.trim()])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "bundle_old"),
        "{v}"
    );

    // And a sync while the registry is down fails with the registry exit code, keeping the
    // stored bundle.
    let out = agent(&home)
        .args(["trust", "sync", "--server", &registry.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8), "{}", text(&out));
    assert!(home.join("trust-bundle.cose").is_file());
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "card-agent-trust-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The trust bundle never goes back: an agent holding bundle N refuses a bundle numbered
/// below N from a registry that serves one (a registry restored from an old backup, or an
/// impostor with a stolen old bundle), keeps its own, and still verifies with it (issue
/// #16). The first registry's sequence is moved on in its database, as the revocations of
/// a working registry would.
#[test]
fn a_bundle_older_than_the_one_held_is_refused_and_the_held_one_kept() {
    let tmp = tempdir();
    let home = tmp.join("home");
    let ahead = Registry::start(&tmp.join("ahead"));
    let behind = Registry::start(&tmp.join("behind"));
    let root = repo().join("fixtures/keys/root.pub.pem");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!(
            "sqlite:{}",
            tmp.join("ahead").join("registry.sqlite").display()
        );
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE trust_state SET sequence = sequence + 5 WHERE id = 1")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let sync = |url: &str| {
        agent(&home)
            .args(["trust", "sync", "--json", "--server", url, "--root"])
            .arg(&root)
            .output()
            .unwrap()
    };
    let out = sync(&ahead.url);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let held = std::fs::read(home.join("trust-bundle.cose")).unwrap();

    let out = sync(&behind.url);
    assert_eq!(out.status.code(), Some(8), "{}", text(&out));
    assert!(
        text(&out).contains("[bundle_rollback]; the stored bundle is kept"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(home.join("trust-bundle.cose")).unwrap(),
        held,
        "the held bundle is kept"
    );
    let shown = agent(&home)
        .args(["trust", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown));
    let v: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(
        v["sequence"].as_i64().is_some_and(|s| s >= 6),
        "still the ahead registry's bundle: {v}"
    );
}
