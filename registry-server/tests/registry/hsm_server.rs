//! The real server binary signing cards with a key that lives in SoftHSM2: key generated in
//! the token by `keys hsm-new-key`, certified by `keys certify`, server started with
//! `--issuer-hsm-*`, a card issued over HTTP and verified against the root key.
//!
//! Needs softhsm2 and curl (scripts/test.sh installs both): skipped without them on a plain
//! `cargo test`, failed under `CI=true` or `REQUIRE_REAL_STACK=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{qr, Policy, PublicKey, TrustStore};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const SERVER: &str = env!("CARGO_BIN_EXE_registry-server");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn copy_private(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(from, to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn curl(args: &[&str]) -> String {
    run(Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .args(args))
}

#[test]
fn server_signs_cards_with_an_hsm_key() {
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let ready = Path::new(MODULE).exists() && have("softhsm2-util") && have("curl");
    if !testkit::require(
        "SoftHSM2 (and curl)",
        ready,
        "apt-get install softhsm2 curl (scripts/test.sh installs them)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("tokens")).unwrap();
    let conf = d.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            d.join("tokens").display()
        ),
    )
    .unwrap();
    run(Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "registry",
            "--so-pin",
            "1234",
            "--pin",
            "5678",
        ])
        .env("SOFTHSM2_CONF", &conf));
    run(Command::new(SERVER)
        .args([
            "keys",
            "hsm-new-key",
            "--module",
            MODULE,
            "--token-label",
            "registry",
        ])
        .args(["--key-label", "issuer", "--out-public"])
        .arg(d.join("issuer.pub.pem"))
        .env("SOFTHSM2_CONF", &conf)
        .env("HSM_PIN", "5678"));
    copy_private(
        &fixtures().join("keys/root.key.pem"),
        &d.join("root.key.pem"),
    );
    copy_private(
        &fixtures().join("keys/list-signer.key.pem"),
        &d.join("list.key.pem"),
    );
    run(Command::new(SERVER)
        .args(["keys", "certify", "--root-key"])
        .arg(d.join("root.key.pem"))
        .arg("--public-key")
        .arg(d.join("issuer.pub.pem"))
        .args([
            "--issuer-id",
            "LY-BEN-PED",
            "--region",
            "east",
            "--usage",
            "cards",
        ])
        .args([
            "--not-before",
            "2025-01-01",
            "--not-after",
            "2035-01-01",
            "--out",
        ])
        .arg(d.join("issuer.cert")));

    let mut command = Command::new(SERVER);
    command
        .arg("--database-url")
        .arg(format!(
            "sqlite:{}?mode=rwc",
            d.join("registry.sqlite").display()
        ))
        .args([
            "--issuer-hsm-module",
            MODULE,
            "--issuer-hsm-token",
            "registry",
            "--issuer-hsm-key",
            "issuer",
        ])
        .arg("--issuer-cert")
        .arg(d.join("issuer.cert"))
        .arg("--list-key")
        .arg(d.join("list.key.pem"))
        .arg("--list-cert")
        .arg(fixtures().join("trust/list-signer.cert.hex"))
        .arg("--root-public-key")
        .arg(fixtures().join("keys/root.pub.pem"))
        .arg("--first-admin-token-file")
        .arg(d.join("admin-token"))
        .env("SOFTHSM2_CONF", &conf)
        .env("ISSUER_HSM_PIN", "5678")
        .env_remove("DATABASE_URL")
        .args(["--listen", "127.0.0.1:0"]);
    let server = testkit::Child::start(command);
    let base = server.url.clone();
    let admin = std::fs::read_to_string(d.join("admin-token"))
        .unwrap()
        .trim()
        .to_string();
    let auth = |token: &str| format!("Authorization: Bearer {token}");
    let json = |s: String| -> serde_json::Value { serde_json::from_str(&s).unwrap() };
    let new_user = |body: &str| {
        json(curl(&[
            "-H",
            &auth(&admin),
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            &format!("{base}/api/v1/users"),
        ]))
    };
    // The first admin makes a second at once; the second approves the registrar.
    let second = new_user(
        r#"{"username":"admin2","display_name":"Admin 2","role":"admin","facility_code":"LY-MOH"}"#,
    );
    let user = new_user(
        r#"{"username":"reg","display_name":"Registrar","role":"registrar","facility_code":"LY-BEN-PED"}"#,
    );
    let approval = user["approval"]["id"].as_str().unwrap();
    let approved = json(curl(&[
        "-X",
        "POST",
        "-H",
        &auth(second["token"].as_str().unwrap()),
        &format!("{base}/api/v1/approvals/{approval}/approve"),
    ]));
    assert_eq!(approved["status"], "approved", "{approved}");
    let registrar = user["token"].as_str().unwrap().to_string();
    let patient = json(curl(&[
        "-H",
        &auth(&registrar),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"id_type":"national","id_value":"119800101234","name_ar":["سالم","علي"],"name_latin":["Salem","Ali"],"sex":"male","birth_date":"1980-01-01"}"#,
        &format!("{base}/api/v1/patients"),
    ]));
    let id = patient["patient"]["id"].as_str().unwrap();
    let card = json(curl(&[
        "-X",
        "POST",
        "-H",
        &auth(&registrar),
        &format!("{base}/api/v1/patients/{id}/cards"),
    ]));
    let bundle_file = d.join("bundle.cose");
    curl(&[
        "-o",
        bundle_file.to_str().unwrap(),
        &format!("{base}/api/v1/trust-bundle"),
    ]);

    let root = PublicKey::from_pem(
        &std::fs::read_to_string(fixtures().join("keys/root.pub.pem")).unwrap(),
    )
    .unwrap();
    let store =
        TrustStore::from_bundle(root, &std::fs::read(&bundle_file).unwrap(), MAX_BUNDLE_LEN)
            .unwrap();
    let cose = qr::decode(card["qr"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let verified = store.verify_card(&cose, now, &Policy::default()).unwrap();
    let issuer_pub =
        PublicKey::from_pem(&std::fs::read_to_string(d.join("issuer.pub.pem")).unwrap()).unwrap();
    assert_eq!(
        verified.signer().kid(),
        issuer_pub.kid(),
        "signed by the HSM key"
    );
    assert_eq!(
        verified.value().summary.patient.name_latin,
        ["Salem", "Ali"]
    );
}
