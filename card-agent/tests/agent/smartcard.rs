//! `card-agent write`, `read` and `readers` through the real PC/SC stack: pcscd, the vpcd
//! reader driver and `card-agent virtual-card`, with real signed cards (fixtures/vectors).
//! The slot is `CARD_AGENT_TEST_VPCD_PORT` (default 35964, "Virtual PCD 00 01").

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{temp_dir, transmit, Slot};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vectors")
}

/// The card-agent with an empty home, the fixture root key and trust bundle, on the slot's
/// reader.
fn agent(slot: &Slot, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_card-agent"));
    c.arg("--home").arg(home).args(args);
    let reader = slot.reader().to_str().unwrap().to_string();
    let subcommand = args.first().copied().unwrap_or_default();
    if matches!(subcommand, "read" | "write") {
        c.arg("--reader").arg(reader);
        c.arg("--root").arg(vectors().join("root.pub.pem"));
    }
    c
}

fn run(mut c: Command) -> (Option<i32>, String, String) {
    testkit::run(&mut c)
}

/// Writes the adult sample to a virtual card keeping its file system in `image`, then takes
/// the card out: a card to put back with `slot.start_card(&["--image", image])`.
fn write_adult_image(slot: &Slot, home: &Path, image: &str) {
    let _card = slot.start_card(&["--image", image]);
    let (code, out, err) = run({
        let mut c = agent(slot, home, &["write", "--file", &adult_card()]);
        c.args(["--bundle", &bundle()]);
        c
    });
    assert_eq!(code, Some(0), "{out}{err}");
}

fn bundle() -> String {
    vectors()
        .join("trust-bundle.cose.hex")
        .display()
        .to_string()
}

fn adult_card() -> String {
    vectors().join("valid-adult.qr.txt").display().to_string()
}

fn serial_of(qr_file: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .args(["--home", "/nonexistent", "verify", "--json", "--root"])
        .arg(vectors().join("root.pub.pem"))
        .args(["--bundle", &bundle()])
        .arg(std::fs::read_to_string(qr_file).unwrap().trim())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["serial"].as_str().unwrap().to_string()
}

#[test]
fn write_then_read_a_typical_card_verified_with_the_root_key_alone() {
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let _card = slot.start_card(&[]);

    let (code, out, err) = run(agent(&slot, &home, &["readers", "--json"]));
    assert_eq!(code, Some(0), "{err}");
    let readers: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ours = readers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == slot.reader().to_str().unwrap())
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(ours["card_present"], true, "{out}");

    let (code, out, err) = run({
        let mut c = agent(&slot, &home, &["write", "--file", &adult_card()]);
        c.args(["--bundle", &bundle()]);
        c
    });
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("WRITTEN"), "{out}");

    // No bundle at all: the card carries its issuer certificate, so the root key suffices;
    // the result says revocation was not checked.
    let (code, out, err) = run(agent(&slot, &home, &["read", "--json"]));
    assert_eq!(code, Some(0), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["serial"], serial_of(&adult_card()).as_str());
    assert_eq!(v["summary"]["patient"]["name_latin"][0], "Fatima", "{v}");
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "no_revocation_data"),
        "{v}"
    );

    // The human view shows the summary.
    let (code, out, _) = run({
        let mut c = agent(&slot, &home, &["read"]);
        c.args(["--bundle", &bundle()]);
        c
    });
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("VALID card"), "{out}");
    assert!(out.contains("medicine"), "{out}");
}

#[test]
fn a_card_pulled_mid_write_reads_incomplete_and_a_retry_succeeds() {
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let dir = temp_dir("smartcard-pulled");
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    {
        // Commands on a blank card: 1 SELECT AID, 2 SELECT MF, 3 CREATE DF, 4 SELECT AID,
        // 5 SELECT EF, 6 CREATE EF, 7 SELECT EF, 8 state byte, 9 header, 10.. the body in
        // 255-byte chunks: the 11th command is the second chunk of the body.
        let mut card = slot.start_card(&["--image", image_arg, "--remove-at", "11"]);
        let (code, out, err) = run({
            let mut c = agent(&slot, &home, &["write", "--file", &adult_card()]);
            c.args(["--bundle", &bundle()]);
            c
        });
        assert_eq!(code, Some(7), "{out}{err}");
        assert!(
            err.contains("stopped answering") || err.contains("removed"),
            "{err}"
        );
        card.wait_exit(Duration::from_secs(5))
            .expect("the card left");
    }
    // The card back in the reader, as it was when pulled.
    let _card = slot.start_card(&["--image", image_arg]);
    let (code, out, err) = run(agent(&slot, &home, &["read"]));
    assert_eq!(code, Some(6), "{out}{err}");
    assert!(err.contains("incomplete"), "{err}");
    assert!(!out.contains("VALID"), "{out}");

    let (code, out, err) = run({
        let mut c = agent(&slot, &home, &["write", "--file", &adult_card()]);
        c.args(["--bundle", &bundle()]);
        c
    });
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = run(agent(&slot, &home, &["read", "--json"]));
    assert_eq!(code, Some(0), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["serial"], serial_of(&adult_card()).as_str());
}

#[test]
fn an_empty_reader_a_blank_a_foreign_and_a_non_iso_card_each_get_their_own_code() {
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");

    let (code, _, err) = run(agent(&slot, &home, &["read"]));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("no card in the reader"), "{err}");
    // Without --reader: the readers are there, a card is in none (it said "no smart-card
    // reader is connected", exit 3).
    let mut c = Command::new(env!("CARGO_BIN_EXE_card-agent"));
    c.arg("--home").arg(&home).args(["read", "--root"]);
    c.arg(vectors().join("root.pub.pem"));
    let (code, _, err) = run(c);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("no card in the reader: none of"), "{err}");

    {
        let _card = slot.start_card(&[]);
        let (code, _, err) = run(agent(&slot, &home, &["read"]));
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("holds no health card"), "{err}");
    }
    {
        let _card = slot.start_card(&["--profile", "foreign"]);
        let (code, _, err) = run(agent(&slot, &home, &["read"]));
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("another application"), "{err}");
    }
    {
        let _card = slot.start_card(&["--profile", "non-iso"]);
        let (code, _, err) = run(agent(&slot, &home, &["read"]));
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("does not speak ISO 7816-4"), "{err}");
        let (code, _, err) = run({
            let mut c = agent(&slot, &home, &["write", "--file", &adult_card()]);
            c.args(["--bundle", &bundle()]);
            c
        });
        assert_eq!(code, Some(5), "{err}");
    }
    {
        // A card whose health-card file another program overwrote.
        let _card = slot.start_card(&[]);
        let (code, out, err) = run({
            let mut c = agent(&slot, &home, &["write", "--file", &adult_card()]);
            c.args(["--bundle", &bundle()]);
            c
        });
        assert_eq!(code, Some(0), "{out}{err}");
        let card = slot.connect();
        let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 10];
        select.extend(card_agent::card::layout::AID);
        assert_eq!(transmit(&card, &select).unwrap(), [0x90, 0x00]);
        let select_ef = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01];
        assert_eq!(transmit(&card, &select_ef).unwrap(), [0x90, 0x00]);
        let update = [0x00, 0xD6, 0x00, 0x00, 0x04, b'J', b'U', b'N', b'K'];
        assert_eq!(transmit(&card, &update).unwrap(), [0x90, 0x00]);
        drop(card);
        let (code, _, err) = run(agent(&slot, &home, &["read"]));
        assert_eq!(code, Some(5), "{err}");
        assert!(err.contains("foreign data"), "{err}");
    }
}

#[test]
fn read_wait_picks_up_a_card_inserted_later() {
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let dir = temp_dir("smartcard-wait");
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    write_adult_image(&slot, &home, image_arg);
    // The reader is empty now; `read --wait` starts first, the card goes in once the agent
    // says it is waiting for one.
    let mut waiting = agent(&slot, &home, &["read", "--json", "--wait", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut said = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut said).unwrap();
    assert!(said.starts_with("waiting for a card"), "{said}");
    let _card = slot.start_card(&["--image", image_arg]);
    let out = waiting.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);

    // Without a card and a short wait: the no-card code once the wait runs out.
    drop(_card);
    let (code, _, err) = run(agent(&slot, &home, &["read", "--wait", "1"]));
    assert_eq!(code, Some(4), "{err}");
}

/// pcscd not running: `read` says so (exit 3). pcscd stopped and started again while
/// `read --wait` waits: the agent connects to the new pcscd and reads the card inserted
/// after (issue #17).
#[test]
fn without_pcscd_read_says_so_and_read_wait_survives_its_restart() {
    let mut slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let dir = temp_dir("smartcard-restart");
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    write_adult_image(&slot, &home, image_arg);

    crate::support::stop_pcscd();
    let (code, _, err) = run(agent(&slot, &home, &["read"]));
    let restart = |slot: &mut Slot| {
        crate::support::ensure_pcscd();
        slot.reestablish();
    };
    if code != Some(3) || !err.contains("pcscd") {
        restart(&mut slot);
        panic!("without pcscd: {code:?} {err}");
    }

    let mut waiting = agent(&slot, &home, &["read", "--json", "--wait", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut said = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut said).unwrap();
    restart(&mut slot);
    assert!(said.starts_with("waiting for a card"), "{said}");
    let _card = slot.start_card(&["--image", image_arg]);
    let out = waiting.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
}

/// A card pulled in the middle of a read (the virtual card leaves after its 3rd command):
/// the agent says it stopped answering and to put it back, with the no-card code, and a
/// read after it is put back succeeds (issue #17).
#[test]
fn a_card_pulled_mid_read_says_so_and_the_next_read_succeeds() {
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let dir = temp_dir("smartcard-pull-read");
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    write_adult_image(&slot, &home, image_arg);
    {
        let _card = slot.start_card(&["--image", image_arg, "--remove-at", "3"]);
        let (code, out, err) = run(agent(&slot, &home, &["read", "--json"]));
        assert_eq!(code, Some(4), "{out}{err}");
        assert!(
            err.contains("pulled out") && err.contains("put it back"),
            "{err}"
        );
    }
    let _card = slot.start_card(&["--image", image_arg]);
    let (code, out, err) = run(agent(&slot, &home, &["read", "--json"]));
    assert_eq!(code, Some(0), "{out}{err}");
}

/// A pcscd with no reader, and one with a reader appearing while `read --wait` waits (issue
/// #17). vpcd's two readers are always listed and this pcscd has a fixed socket, so the test
/// runs a pcscd of its own in private mount and network namespaces (`unshare`: its own
/// `/run/pcscd` and its own loopback, so vpcd's ports do not clash with the machine's):
/// first with an empty reader configuration, where `read` says no reader is connected
/// (exit 3) and `read --wait` starts waiting; then restarted with vpcd's, with a virtual card
/// holding the adult sample, which the waiting agent finds and reads.
#[test]
fn no_reader_is_said_and_a_reader_that_appears_while_waiting_is_found() {
    let unshare = testkit::installed("unshare")
        && Command::new("ip")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
    let root = testkit::is_root();
    if !testkit::require(
        "unshare and ip, as root (a pcscd of the test's own)",
        unshare && root,
        "util-linux and iproute2; run the tests as root, as CI does",
    ) {
        return;
    }
    let slot = Slot::lock();
    let home = temp_dir("smartcard-home");
    let dir = temp_dir("smartcard-own-pcscd");
    let image = dir.join("card.json");
    write_adult_image(&slot, &home, image.to_str().unwrap());
    // The slot stays held: no other card test runs (or stops pcscd) meanwhile.
    let empty = dir.join("empty-reader.conf");
    std::fs::write(&empty, "").unwrap();
    let agent_bin = env!("CARGO_BIN_EXE_card-agent");
    let script = format!(
        r#"set -u
ip link set lo up
mount -t tmpfs tmpfs /run/pcscd
up() {{ for i in $(seq 1 100); do [ -S /run/pcscd/pcscd.comm ] && return 0; sleep 0.05; done; return 1; }}
{pcscd} --foreground -c {empty} >/dev/null 2>&1 & first=$!
up || exit 90
"{agent}" --home {home} read --root {root} 2>{dir}/none.err; echo $? >{dir}/none.code
"{agent}" --home {home} read --json --wait 30 --root {root} >{dir}/wait.out 2>{dir}/wait.err & waiting=$!
for i in $(seq 1 100); do grep -q "waiting for a card" {dir}/wait.err && break; sleep 0.05; done
kill $first; wait $first
rm -f /run/pcscd/pcscd.comm
{pcscd} --foreground >/dev/null 2>&1 & second=$!
up || exit 91
"{agent}" virtual-card --vpcd 127.0.0.1:35963 --image {image} >/dev/null 2>&1 & card=$!
wait $waiting; echo $? >{dir}/wait.code
kill $card $second 2>/dev/null
wait $card $second 2>/dev/null
exit 0
"#,
        pcscd = "/usr/sbin/pcscd",
        empty = empty.display(),
        agent = agent_bin,
        home = home.display(),
        root = vectors().join("root.pub.pem").display(),
        dir = dir.display(),
        image = image.display(),
    );
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--net",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read("none.code").trim(), "3", "{}", read("none.err"));
    assert!(
        read("none.err").contains("no smart-card reader is connected"),
        "{}",
        read("none.err")
    );
    assert_eq!(
        read("wait.code").trim(),
        "0",
        "{}{}",
        read("wait.out"),
        read("wait.err")
    );
    let v: serde_json::Value = serde_json::from_str(&read("wait.out")).unwrap();
    assert_eq!(v["valid"], true, "{v}");
}
