//! `card-agent virtual-card` in the real PC/SC stack: pcscd, vsmartcard's vpcd driver and
//! the `pcsc` crate, as the agent uses a physical reader. The slot is
//! `CARD_AGENT_TEST_VPCD_PORT` (default 35964, "Virtual PCD 00 01"); see `support`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{expect_sw, temp_dir, transmit, Slot};
use card_agent::vcard::{ATR_ISO, ATR_NON_ISO, FOREIGN_AID, FOREIGN_DATA};

const OK: u16 = 0x9000;
/// An application identifier the foreign card does not hold (proprietary, unregistered).
const HEALTH_AID: &[u8] = &[0xF0, 0x48, 0x45, 0x41, 0x4C, 0x54, 0x48];
const DF_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03];
const EF_SIZE: usize = 8192;

fn apdu(header: [u8; 4], data: &[u8], le: Option<u8>) -> Vec<u8> {
    let mut out = header.to_vec();
    if !data.is_empty() {
        out.push(u8::try_from(data.len()).unwrap());
        out.extend(data);
    }
    out.extend(le);
    out
}

fn select_mf() -> Vec<u8> {
    apdu([0, 0xA4, 0, 0x0C], &[0x3F, 0], None)
}

fn create_df(fid: u16, aid: &[u8]) -> Vec<u8> {
    let mut fcp = vec![0x82, 1, 0x38, 0x83, 2];
    fcp.extend(fid.to_be_bytes());
    fcp.extend([0x84, u8::try_from(aid.len()).unwrap()]);
    fcp.extend(aid);
    create(&fcp)
}

fn create_ef(fid: u16, size: usize) -> Vec<u8> {
    let mut fcp = vec![0x82, 1, 1, 0x83, 2];
    fcp.extend(fid.to_be_bytes());
    fcp.extend([0x80, 2]);
    fcp.extend(u16::try_from(size).unwrap().to_be_bytes());
    create(&fcp)
}

fn create(fcp: &[u8]) -> Vec<u8> {
    let mut data = vec![0x62, u8::try_from(fcp.len()).unwrap()];
    data.extend(fcp);
    apdu([0, 0xE0, 0, 0], &data, None)
}

fn update(offset: usize, chunk: &[u8]) -> Vec<u8> {
    let [hi, lo] = u16::try_from(offset).unwrap().to_be_bytes();
    apdu([0, 0xD6, hi, lo], chunk, None)
}

fn read(offset: usize) -> Vec<u8> {
    let [hi, lo] = u16::try_from(offset).unwrap().to_be_bytes();
    apdu([0, 0xB0, hi, lo], &[], Some(0))
}

/// SELECT MF, CREATE DF 5000 (named), CREATE EF 5001 of 8 KiB: 3 APDUs.
fn make_files(card: &pcsc::Card) {
    expect_sw(card, &select_mf(), OK);
    expect_sw(card, &create_df(0x5000, DF_AID), OK);
    expect_sw(card, &create_ef(0x5001, EF_SIZE), OK);
}

/// Reads EF 5000/5001 whole, in 256-byte READ BINARYs.
fn read_ef(card: &pcsc::Card) -> Vec<u8> {
    expect_sw(
        card,
        &apdu([0, 0xA4, 0x08, 0x0C], &[0x50, 0, 0x50, 1], None),
        OK,
    );
    let mut out = Vec::with_capacity(EF_SIZE);
    for offset in (0..EF_SIZE).step_by(256) {
        out.extend(expect_sw(card, &read(offset), OK));
    }
    out
}

fn pattern(seed: u32) -> Vec<u8> {
    (0..EF_SIZE as u32)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed) % 251) as u8)
        .collect()
}

#[test]
fn write_and_read_8_kib_through_pcscd() {
    let slot = Slot::lock();
    let _process = slot.start_card(&[]);
    let card = slot.connect();
    assert_eq!(card.status2_owned().unwrap().atr(), ATR_ISO);

    let started = Instant::now();
    make_files(&card);
    // SELECT with FCP but no Le: 61xx, then GET RESPONSE (pcsc-lite does not do it on T=1).
    let response = transmit(
        &card,
        &apdu([0, 0xA4, 0x08, 0x04], &[0x50, 0, 0x50, 1], None),
    )
    .unwrap();
    assert_eq!(response[0], 0x61, "{response:02X?}");
    let fcp = expect_sw(&card, &[0, 0xC0, 0, 0, response[1]], OK);
    assert!(
        fcp.windows(4).any(|w| w == [0x80, 2, 0x20, 0x00]),
        "{fcp:02X?}"
    );
    let setup = started.elapsed();

    let data = pattern(7);
    let started = Instant::now();
    for (i, chunk) in data.chunks(255).enumerate() {
        expect_sw(&card, &update(i * 255, chunk), OK);
    }
    let written = started.elapsed();
    let read_back = read_ef(&card);
    let total = started.elapsed();
    assert!(read_back == data, "read back differs from what was written");

    // The fixed size holds through pcscd too.
    expect_sw(&card, &update(EF_SIZE - 1, &[1, 2]), 0x6700);
    expect_sw(&card, &read(EF_SIZE), 0x6B00);

    let apdus = EF_SIZE.div_ceil(255) + 1 + EF_SIZE / 256;
    eprintln!(
        "8 KiB through pcscd: setup (5 APDUs) {setup:.1?}; write ({} UPDATE BINARY) \
         {written:.1?}; write + read ({apdus} APDUs) {total:.1?} = {:.2} ms per APDU",
        EF_SIZE.div_ceil(255),
        total.as_secs_f64() * 1000.0 / apdus as f64
    );
}

/// The card is pulled out at an UPDATE BINARY: the client sees an empty response or an
/// error, the reader shows no card, and the image holds exactly the acknowledged chunks
/// (plus the one in flight when the removal applies it).
fn removal_mid_write(applies: bool) {
    let dir = temp_dir(if applies { "remove-applies" } else { "remove" });
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    // APDUs 1-3 make the files; 4.. are UPDATEs: the 10th UPDATE is APDU 13.
    let remove_at = 13;
    let data = pattern(3);
    let slot = Slot::lock();
    {
        let mut args = vec!["--image", image_arg, "--remove-at", "13"];
        if applies {
            args.push("--remove-applies");
        }
        let mut process = slot.start_card(&args);
        let card = slot.connect();
        make_files(&card);
        let mut acknowledged = 0;
        let mut failure = None;
        for (i, chunk) in data.chunks(255).enumerate() {
            match transmit(&card, &update(i * 255, chunk)) {
                Ok(r) if r == [0x90, 0] => acknowledged += 1,
                other => {
                    failure = Some(other);
                    break;
                }
            }
        }
        assert_eq!(acknowledged, remove_at - 4);
        match failure.unwrap() {
            Ok(empty) => assert!(empty.is_empty(), "{empty:02X?}"),
            Err(e) => eprintln!("the UPDATE in flight failed with {e}"),
        }
        let status = process
            .wait_exit(Duration::from_secs(5))
            .expect("card exits");
        assert!(status.success(), "{status}");
        assert_eq!(
            process.wait_line("virtual card removed", Duration::from_secs(1)),
            Some(format!("virtual card removed at APDU {remove_at}"))
        );
        assert!(
            slot.wait_card(false, Duration::from_secs(3)),
            "the reader still shows a card"
        );
        assert!(transmit(&card, &read(0)).is_err());
    }

    let process = slot.start_card(&["--image", image_arg]);
    let stored = read_ef(&slot.connect());
    let kept = (acknowledged_len(remove_at, applies)).min(EF_SIZE);
    assert!(stored[..kept] == data[..kept], "acknowledged chunks lost");
    assert!(
        stored[kept..].iter().all(|b| *b == 0),
        "more than the acknowledged chunks stored"
    );
    drop(process);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Bytes stored when the card leaves at `remove_at` (APDUs 1-3 make the files).
fn acknowledged_len(remove_at: usize, applies: bool) -> usize {
    (remove_at - 4 + usize::from(applies)) * 255
}

#[test]
fn removal_mid_write_keeps_the_acknowledged_chunks() {
    removal_mid_write(false);
}

#[test]
fn removal_mid_write_that_applies_keeps_the_chunk_in_flight() {
    removal_mid_write(true);
}

#[test]
fn sigkill_mid_write_keeps_the_acknowledged_chunks() {
    let dir = temp_dir("sigkill");
    let image = dir.join("card.json");
    let image_arg = image.to_str().unwrap();
    let slot = Slot::lock();
    // What each 255-byte chunk of the EF holds for sure, and what it may hold instead (the
    // UPDATE in flight at the kill).
    let chunks = EF_SIZE.div_ceil(255);
    let mut acknowledged: Vec<u8> = vec![0; chunks];
    let mut in_flight = None;
    {
        let process = slot.start_card(&["--image", image_arg]);
        let card = slot.connect();
        make_files(&card);
        let pid = process.pid();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(60));
            Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap()
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        'passes: for pass in 0u32.. {
            assert!(Instant::now() < deadline, "the card was not killed");
            for (i, stored) in acknowledged.iter_mut().enumerate() {
                let value = u8::try_from((pass * 37 + i as u32) % 250 + 1).unwrap();
                let len = 255.min(EF_SIZE - i * 255);
                match transmit(&card, &update(i * 255, &vec![value; len])) {
                    Ok(r) if r == [0x90, 0] => *stored = value,
                    other => {
                        eprintln!("SIGKILL in pass {pass} at chunk {i}: {other:02X?}");
                        in_flight = Some((i, value));
                        break 'passes;
                    }
                }
            }
        }
        assert!(killer.join().unwrap().success());
        assert!(
            slot.wait_card(false, Duration::from_secs(3)),
            "the reader still shows a card"
        );
        drop(process);
    }

    let process = slot.start_card(&["--image", image_arg]);
    let stored = read_ef(&slot.connect());
    let (flight_chunk, flight_value) = in_flight.unwrap();
    for (i, chunk) in stored.chunks(255).enumerate() {
        let first = chunk[0];
        assert!(
            chunk.iter().all(|b| *b == first),
            "chunk {i} written in part"
        );
        if i == flight_chunk {
            assert!(
                first == acknowledged[i] || first == flight_value,
                "chunk {i} in flight holds {first}, neither {} nor {flight_value}",
                acknowledged[i]
            );
        } else {
            assert_eq!(first, acknowledged[i], "chunk {i}");
        }
    }
    drop(process);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_iso_profile_answers_6e00() {
    let slot = Slot::lock();
    let _process = slot.start_card(&["--profile", "non-iso"]);
    let card = slot.connect();
    assert_eq!(card.status2_owned().unwrap().atr(), ATR_NON_ISO);
    expect_sw(&card, &select_mf(), 0x6E00);
    expect_sw(&card, &read(0), 0x6E00);
    expect_sw(&card, &create_df(0x5000, DF_AID), 0x6E00);
}

#[test]
fn foreign_profile_holds_another_application_only() {
    let slot = Slot::lock();
    let _process = slot.start_card(&["--profile", "foreign"]);
    let card = slot.connect();
    expect_sw(
        &card,
        &apdu([0, 0xA4, 0x04, 0x0C], HEALTH_AID, None),
        0x6A82,
    );
    expect_sw(&card, &apdu([0, 0xA4, 0x04, 0x0C], &FOREIGN_AID, None), OK);
    let data = expect_sw(&card, &[0, 0xB0, 0x81, 0, 0x40], OK);
    assert_eq!(&data[..FOREIGN_DATA.len()], FOREIGN_DATA);
}

#[test]
fn capacity_limit_gives_6a84() {
    let slot = Slot::lock();
    let _process = slot.start_card(&["--capacity", "4096"]);
    let card = slot.connect();
    expect_sw(&card, &select_mf(), OK);
    expect_sw(&card, &create_ef(0x5001, 4000), OK);
    expect_sw(&card, &select_mf(), OK);
    expect_sw(&card, &create_ef(0x5002, 97), 0x6A84);
    expect_sw(&card, &create_ef(0x5002, 96), OK);
}

fn run_agent(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_card-agent"))
        .arg("virtual-card")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn damaged_image_is_a_usage_error() {
    let dir = temp_dir("damaged");
    let image = dir.join("card.json");
    std::fs::write(&image, "{\"format\": \"card-agent virtual card\"").unwrap();
    // Checked before connecting: no reader needed.
    let output = run_agent(&["--vpcd", "127.0.0.1:1", "--image", image.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("damaged card image"), "{stderr}");
    assert!(
        stderr.contains(Path::new("card.json").to_str().unwrap()),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_vpcd_is_a_reader_error_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let output = run_agent(&["--vpcd", &addr]);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&addr) && stderr.contains("pcscd"),
        "{stderr}"
    );
}
