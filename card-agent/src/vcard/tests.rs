//! Unit tests of the virtual card: APDUs and status words, sizes and capacity, profiles,
//! removal, the image file and the vpcd protocol.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

use super::*;
use crate::card::{Transport, TransportError};
use crate::cli::{VirtualCardArgs, VirtualCardProfile};

/// Bytes from hex with spaces.
fn h(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

fn sw_of(response: &[u8]) -> u16 {
    assert!(response.len() >= 2, "response {response:02X?}");
    u16::from_be_bytes([response[response.len() - 2], response[response.len() - 1]])
}

fn data_of(response: &[u8]) -> &[u8] {
    &response[..response.len() - 2]
}

/// Sends an APDU and checks the status word; returns the response data.
fn ok(card: &mut VirtualCard, apdu: &str) -> Vec<u8> {
    expect(card, apdu, sw::OK)
}

fn expect(card: &mut VirtualCard, apdu: &str, sw: u16) -> Vec<u8> {
    let response = card.process(&h(apdu));
    assert_eq!(
        sw_of(&response),
        sw,
        "{apdu} answered {:04X}",
        sw_of(&response)
    );
    data_of(&response).to_vec()
}

fn iso(capacity: usize) -> VirtualCard {
    VirtualCard::new(VirtualCardProfile::Iso, capacity)
}

/// CREATE FILE of a transparent EF.
fn create_ef(fid: u16, size: u16, sfi: Option<u8>) -> Vec<u8> {
    let mut fcp = vec![0x82, 1, 1, 0x83, 2];
    fcp.extend(fid.to_be_bytes());
    fcp.extend([0x80, 2]);
    fcp.extend(size.to_be_bytes());
    if let Some(sfi) = sfi {
        fcp.extend([0x88, 1, sfi << 3]);
    }
    create(&fcp)
}

/// CREATE FILE of a DF.
fn create_df(fid: u16, aid: Option<&[u8]>) -> Vec<u8> {
    let mut fcp = vec![0x82, 1, 0x38, 0x83, 2];
    fcp.extend(fid.to_be_bytes());
    if let Some(aid) = aid {
        fcp.push(0x84);
        fcp.push(aid.len() as u8);
        fcp.extend(aid);
    }
    create(&fcp)
}

fn create(fcp: &[u8]) -> Vec<u8> {
    let mut apdu = vec![0, 0xE0, 0, 0, fcp.len() as u8 + 2, 0x62, fcp.len() as u8];
    apdu.extend(fcp);
    apdu
}

fn run_ok(card: &mut VirtualCard, apdu: &[u8]) -> Vec<u8> {
    let response = card.process(apdu);
    assert_eq!(sw_of(&response), sw::OK, "{apdu:02X?}");
    data_of(&response).to_vec()
}

const AID: &[u8] = &[0xA0, 0, 0, 0, 1, 2, 3];

/// MF / DF 5000 (AID) / EF 5001 of `size` bytes with SFI 1; the EF is current.
fn card_with_ef(size: u16) -> VirtualCard {
    let mut card = iso(32 * 1024);
    run_ok(&mut card, &create_df(0x5000, Some(AID)));
    run_ok(&mut card, &create_ef(0x5001, size, Some(1)));
    card
}

fn update(offset: u16, data: &[u8]) -> Vec<u8> {
    let mut apdu = vec![0, 0xD6];
    apdu.extend(offset.to_be_bytes());
    apdu.push(data.len() as u8);
    apdu.extend(data);
    apdu
}

fn read(offset: u16, le: u8) -> Vec<u8> {
    let mut apdu = vec![0, 0xB0];
    apdu.extend(offset.to_be_bytes());
    apdu.push(le);
    apdu
}

#[test]
fn atrs_have_valid_check_bytes() {
    for atr in [&ATR_ISO[..], &ATR_ISO_EXTENDED, &ATR_NON_ISO] {
        assert_eq!(atr[0], 0x3B);
        assert_eq!(atr[1..].iter().fold(0, |a, b| a ^ b), 0, "{atr:02X?}");
        // T0's low nibble is the number of historical bytes.
        assert!(atr.len() > usize::from(atr[1] & 0x0F));
    }
    assert_eq!(iso(10).atr(), ATR_ISO);
    assert_eq!(iso(10).with_extended_length().atr(), ATR_ISO_EXTENDED);
    let non_iso = VirtualCard::new(VirtualCardProfile::NonIso, 10);
    assert_eq!(non_iso.with_extended_length().atr(), ATR_NON_ISO);
}

#[test]
fn select_mf_with_and_without_response() {
    let mut card = iso(1024);
    assert!(ok(&mut card, "00 A4 00 0C 02 3F00").is_empty());
    assert!(ok(&mut card, "00 A4 00 0C").is_empty());
    let fcp = ok(&mut card, "00 A4 00 04 02 3F00 00");
    assert_eq!(fcp, h("62 0A 82 01 38 83 02 3F00 8A 01 05"));
    let fci = ok(&mut card, "00 A4 00 00 02 3F00 00");
    assert_eq!(fci, h("6F 0A 82 01 38 83 02 3F00 8A 01 05"));
    // Le too short: 6Cxx with the length there is.
    expect(&mut card, "00 A4 00 04 02 3F00 05", 0x6C0C);
}

#[test]
fn response_without_le_waits_for_get_response() {
    let mut card = iso(1024);
    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    assert_eq!(
        ok(&mut card, "00 C0 00 00 0C"),
        h("62 0A 82 01 38 83 02 3F00 8A 01 05")
    );
    // Nothing waits any more.
    expect(&mut card, "00 C0 00 00 0C", sw::CONDITIONS_NOT_SATISFIED);

    // In pieces.
    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    assert_eq!(
        expect(&mut card, "00 C0 00 00 04", 0x6108),
        h("62 0A 82 01")
    );
    assert_eq!(ok(&mut card, "00 C0 00 00 00"), h("38 83 02 3F00 8A 01 05"));

    // Any other command drops the waiting response.
    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    ok(&mut card, "00 A4 00 0C 02 3F00");
    expect(&mut card, "00 C0 00 00 0C", sw::CONDITIONS_NOT_SATISFIED);

    // And so does a power cycle.
    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    card.power_on();
    expect(&mut card, "00 C0 00 00 0C", sw::CONDITIONS_NOT_SATISFIED);

    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    expect(&mut card, "00 C0 01 00 0C", sw::WRONG_P1P2);
    expect(&mut card, "00 A4 00 04 02 3F00", 0x610C);
    expect(&mut card, "00 C0 00 00", sw::WRONG_LENGTH);
}

#[test]
fn create_and_select_every_way() {
    let mut card = card_with_ef(100);
    // The new EF is current: readable at once, zero-filled.
    assert_eq!(ok(&mut card, "00 B0 00 00 10"), vec![0; 16]);

    let ef_fcp = h("62 11 80 02 0064 82 01 01 83 02 5001 88 01 08 8A 01 05");
    let df_fcp = h("62 13 82 01 38 83 02 5000 84 07 A0000000010203 8A 01 05");
    ok(&mut card, "00 A4 00 0C 02 3F00");
    expect(&mut card, "00 B0 00 00 10", sw::NO_CURRENT_EF);
    // By FID, step by step.
    assert_eq!(ok(&mut card, "00 A4 00 04 02 5000 00"), df_fcp);
    assert_eq!(ok(&mut card, "00 A4 02 04 02 5001 00"), ef_fcp);
    // P1 = 00 finds the current DF, its parent and the parent's other files too.
    assert_eq!(ok(&mut card, "00 A4 00 04 02 5000 00"), df_fcp);
    ok(&mut card, "00 A4 00 0C 02 5001");
    ok(&mut card, "00 A4 00 0C 02 3F00");
    // P1 = 01 / 02: only DFs / only EFs.
    expect(&mut card, "00 A4 02 0C 02 5000", sw::FILE_NOT_FOUND);
    ok(&mut card, "00 A4 01 0C 02 5000");
    expect(&mut card, "00 A4 01 0C 02 5001", sw::FILE_NOT_FOUND);
    ok(&mut card, "00 A4 02 0C 02 5001");
    // Parent of DF 5000 is the MF; the MF has none.
    ok(&mut card, "00 A4 03 0C");
    expect(&mut card, "00 A4 03 0C", sw::FILE_NOT_FOUND);
    ok(&mut card, "00 A4 01 0C 02 5000");
    assert_eq!(
        ok(&mut card, "00 A4 03 04 00"),
        h("62 0A 82 01 38 83 02 3F00 8A 01 05")
    );
    expect(&mut card, "00 A4 03 0C 02 3F00", sw::NC_INCONSISTENT);
    // Path from the MF, with or without 3F00; path from the current DF.
    assert_eq!(ok(&mut card, "00 A4 08 04 04 5000 5001 00"), ef_fcp);
    assert_eq!(ok(&mut card, "00 A4 08 04 06 3F00 5000 5001 00"), ef_fcp);
    assert_eq!(ok(&mut card, "00 A4 08 04 02 5000 00"), df_fcp);
    expect(&mut card, "00 A4 08 0C 04 5001 5000", sw::FILE_NOT_FOUND);
    expect(&mut card, "00 A4 08 0C 03 5000 50", sw::NC_INCONSISTENT);
    ok(&mut card, "00 A4 00 0C 02 3F00");
    assert_eq!(ok(&mut card, "00 A4 09 04 04 5000 5001 00"), ef_fcp);
    // By DF name, whole or right-truncated.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    assert_eq!(ok(&mut card, "00 A4 04 04 07 A0000000010203 00"), df_fcp);
    ok(&mut card, "00 A4 04 0C 05 A000000001");
    expect(
        &mut card,
        "00 A4 04 0C 08 A0000000010203 04",
        sw::FILE_NOT_FOUND,
    );
    expect(
        &mut card,
        "00 A4 04 0C 07 A0000000030303",
        sw::FILE_NOT_FOUND,
    );
    // The DF selected by name is current: its EF by FID.
    ok(&mut card, "00 A4 04 0C 07 A0000000010203");
    ok(&mut card, "00 A4 02 0C 02 5001");
    assert_eq!(ok(&mut card, "00 B0 00 00 04"), vec![0; 4]);
    // A failed SELECT leaves the current file as it was.
    expect(&mut card, "00 A4 00 0C 02 6000", sw::FILE_NOT_FOUND);
    assert_eq!(ok(&mut card, "00 B0 00 00 04"), vec![0; 4]);
    // Wrong parameters.
    expect(&mut card, "00 A4 05 0C 02 3F00", sw::WRONG_P1P2);
    expect(&mut card, "00 A4 00 08 02 3F00", sw::WRONG_P1P2);
    expect(&mut card, "00 A4 00 0D 02 3F00", sw::WRONG_P1P2);
    expect(&mut card, "00 A4 00 0C 03 3F0000", sw::NC_INCONSISTENT);
    expect(
        &mut card,
        "00 A4 04 0C 11 A000000001020304050607080910111213",
        sw::NC_INCONSISTENT,
    );
}

#[test]
fn read_and_update_binary_within_a_fixed_size() {
    let mut card = card_with_ef(600);
    // 255-byte writes, 256-byte reads (Le = 00).
    let data: Vec<u8> = (0..600u32).map(|i| (i * 7 % 251) as u8).collect();
    for (i, chunk) in data.chunks(255).enumerate() {
        run_ok(&mut card, &update((i * 255) as u16, chunk));
    }
    assert_eq!(run_ok(&mut card, &read(0, 0)), data[..256]);
    assert_eq!(run_ok(&mut card, &read(256, 0)), data[256..512]);
    // The last 88 bytes: end of file before Le bytes.
    let last = card.process(&read(512, 0));
    assert_eq!(sw_of(&last), sw::END_OF_FILE);
    assert_eq!(data_of(&last), &data[512..]);
    assert_eq!(run_ok(&mut card, &read(599, 1)), data[599..]);
    // At or past the end.
    assert_eq!(card.process(&read(600, 1)), h("6B00"));
    assert_eq!(card.process(&read(0x7FFF, 1)), h("6B00"));
    // Writing past the end: refused whole, nothing written.
    assert_eq!(card.process(&update(590, &[0xEE; 11])), h("6700"));
    assert_eq!(card.process(&update(600, &[0xEE])), h("6B00"));
    assert_eq!(card.ef_data(&[0x5000, 0x5001]), Some(&data[..]));
    assert_eq!(run_ok(&mut card, &update(590, &[0xEE; 10])), b"");
    assert_eq!(card.ef_data(&[0x5000, 0x5001]).unwrap()[590..], [0xEE; 10]);
    // Lengths.
    expect(&mut card, "00 B0 00 00", sw::WRONG_LENGTH);
    expect(&mut card, "00 B0 00 00 01 00", sw::WRONG_LENGTH);
    expect(&mut card, "00 D6 00 00", sw::WRONG_LENGTH);
    expect(&mut card, "00 D6 00 00 02 01", sw::WRONG_LENGTH);
    // No current EF.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    expect(&mut card, "00 B0 00 00 01", sw::NO_CURRENT_EF);
    expect(&mut card, "00 D6 00 00 01 01", sw::NO_CURRENT_EF);
    ok(&mut card, "00 A4 00 0C 02 5000");
    expect(&mut card, "00 B0 00 00 01", sw::NO_CURRENT_EF);
}

#[test]
fn empty_ef_reads_as_end_of_file() {
    let mut card = card_with_ef(0);
    assert_eq!(card.process(&read(0, 0)), h("6282"));
    assert_eq!(card.process(&read(1, 0)), h("6B00"));
    assert_eq!(card.process(&update(0, &[1])), h("6B00"));
}

#[test]
fn short_ef_identifiers() {
    let mut card = card_with_ef(10);
    ok(&mut card, "00 D6 81 02 03 010203");
    ok(&mut card, "00 A4 00 0C 02 5000");
    // The EF becomes current.
    assert_eq!(ok(&mut card, "00 B0 81 02 03"), h("010203"));
    assert_eq!(ok(&mut card, "00 B0 00 03 02"), h("0203"));
    expect(&mut card, "00 B0 82 00 01", sw::FILE_NOT_FOUND);
    expect(&mut card, "00 B0 81 0A 01", sw::OFFSET_OUTSIDE_EF);
    expect(&mut card, "00 B0 A1 00 01", sw::WRONG_P1P2);
    expect(&mut card, "00 B0 80 00 01", sw::WRONG_P1P2);
    // Short identifiers are looked up in the current DF only.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    expect(&mut card, "00 B0 81 00 01", sw::FILE_NOT_FOUND);
}

#[test]
fn create_file_checks() {
    let mut card = card_with_ef(10);
    ok(&mut card, "00 A4 00 0C 02 5000");
    // The FID, the short identifier, the DF name are taken; the FID of the DF itself too.
    assert_eq!(card.process(&create_ef(0x5001, 1, None)), h("6A89"));
    assert_eq!(card.process(&create_ef(0x5002, 1, Some(1))), h("6A89"));
    assert_eq!(card.process(&create_ef(0x5000, 1, None)), h("6A89"));
    assert_eq!(card.process(&create_df(0x5100, Some(AID))), h("6A8A"));
    // The same FID in another DF is fine.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    run_ok(&mut card, &create_ef(0x5001, 1, Some(1)));
    // Malformed FCPs, reserved FIDs, record files.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    expect(&mut card, "00 E0 00 00 04 62 02 82 00", sw::WRONG_DATA);
    expect(
        &mut card,
        "00 E0 00 00 09 62 07 82 01 38 83 02 3FFF",
        sw::WRONG_DATA,
    );
    expect(
        &mut card,
        "00 E0 00 00 09 62 07 82 01 38 83 02 3F00",
        sw::WRONG_DATA,
    );
    expect(
        &mut card,
        "00 E0 00 00 09 62 07 82 01 02 83 02 6000",
        sw::FUNCTION_NOT_SUPPORTED,
    );
    expect(
        &mut card,
        "00 E0 00 00 09 62 07 82 01 01 83 02 6000",
        sw::WRONG_DATA,
    );
    expect(
        &mut card,
        "00 E0 01 00 09 62 07 82 01 38 83 02 6000",
        sw::WRONG_P1P2,
    );
    expect(&mut card, "00 E0 00 00", sw::WRONG_LENGTH);
    expect(
        &mut card,
        "00 E0 00 00 09 62 07 82 01 38 83 02 60",
        sw::WRONG_LENGTH,
    );
    // A new DF becomes current: files created next go in it.
    run_ok(&mut card, &create_df(0x6000, None));
    run_ok(&mut card, &create_ef(0x6001, 2, None));
    assert!(card.ef_data(&[0x6000, 0x6001]).is_some());
    assert_eq!(card.used(), 13);
}

#[test]
fn capacity_is_finite() {
    let mut card = iso(1000);
    run_ok(&mut card, &create_df(0x5000, None));
    run_ok(&mut card, &create_ef(0x5001, 600, None));
    assert_eq!(card.process(&create_ef(0x5002, 401, None)), h("6A84"));
    assert!(card.ef_data(&[0x5000, 0x5002]).is_none());
    run_ok(&mut card, &create_ef(0x5002, 400, None));
    assert_eq!(card.used(), 1000);
    assert_eq!(card.process(&create_ef(0x5003, 1, None)), h("6A84"));
    // DFs cost nothing.
    run_ok(&mut card, &create_df(0x5100, None));
    // Deleting frees the memory.
    ok(&mut card, "00 A4 08 0C 02 5000");
    ok(&mut card, "00 E4 02 00 02 5001");
    assert_eq!(card.used(), 400);
    run_ok(&mut card, &create_ef(0x5003, 600, None));
}

#[test]
fn delete_file() {
    let mut card = card_with_ef(10);
    run_ok(&mut card, &create_ef(0x5002, 20, None));
    // The current EF (no data).
    ok(&mut card, "00 E4 00 00");
    assert!(card.ef_data(&[0x5000, 0x5002]).is_none());
    // Its DF is current afterwards.
    expect(&mut card, "00 B0 00 00 01", sw::NO_CURRENT_EF);
    expect(&mut card, "00 E4 01 00 02 5001", sw::FILE_NOT_FOUND);
    expect(&mut card, "00 E4 02 00 02 5002", sw::FILE_NOT_FOUND);
    expect(&mut card, "00 E4 03 00 02 5001", sw::WRONG_P1P2);
    expect(&mut card, "00 E4 02 01 02 5001", sw::WRONG_P1P2);
    expect(&mut card, "00 E4 02 00 01 50", sw::NC_INCONSISTENT);
    ok(&mut card, "00 E4 02 00 02 5001");
    assert_eq!(card.used(), 0);
    // A DF with its contents, by FID from its parent.
    run_ok(&mut card, &create_ef(0x5001, 10, None));
    ok(&mut card, "00 A4 00 0C 02 3F00");
    ok(&mut card, "00 E4 01 00 02 5000");
    assert!(card.mf().children.is_empty());
    // The current DF (no data, no current EF); the MF cannot go.
    run_ok(&mut card, &create_df(0x5000, Some(AID)));
    ok(&mut card, "00 E4 00 00");
    assert!(card.mf().children.is_empty());
    expect(&mut card, "00 E4 00 00", sw::CONDITIONS_NOT_SATISFIED);
    // Its name is free again.
    run_ok(&mut card, &create_df(0x5000, Some(AID)));
}

#[test]
fn status_words_for_bad_commands() {
    let mut card = iso(100);
    expect(&mut card, "00 50 00 00", sw::INS_NOT_SUPPORTED);
    expect(&mut card, "00 84 00 00 08", sw::INS_NOT_SUPPORTED);
    expect(&mut card, "00 B1 00 00 00", sw::INS_NOT_SUPPORTED);
    expect(&mut card, "80 A4 00 0C 02 3F00", sw::CLA_NOT_SUPPORTED);
    expect(&mut card, "FF A4 00 0C 02 3F00", sw::CLA_NOT_SUPPORTED);
    expect(&mut card, "20 A4 00 0C 02 3F00", sw::CLA_NOT_SUPPORTED);
    expect(&mut card, "01 A4 00 0C 02 3F00", sw::CHANNEL_NOT_SUPPORTED);
    expect(&mut card, "40 A4 00 0C 02 3F00", sw::CHANNEL_NOT_SUPPORTED);
    expect(
        &mut card,
        "0C A4 00 0C 02 3F00",
        sw::SECURE_MESSAGING_NOT_SUPPORTED,
    );
    expect(
        &mut card,
        "60 A4 00 0C 02 3F00",
        sw::SECURE_MESSAGING_NOT_SUPPORTED,
    );
    expect(&mut card, "10 A4 00 0C 02 3F00", sw::CHAINING_NOT_SUPPORTED);
    // Wrong Lc, too short, extended (not in the ATR).
    expect(&mut card, "00 A4 00 0C 03 3F00", sw::WRONG_LENGTH);
    expect(&mut card, "00 A4 00 0C 01 3F00 00 00", sw::WRONG_LENGTH);
    expect(&mut card, "00 A4 00", sw::WRONG_LENGTH);
    expect(&mut card, "00", sw::WRONG_LENGTH);
    expect(&mut card, "", sw::WRONG_LENGTH);
    expect(&mut card, "00 A4 00 0C 00 00 02 3F00", sw::WRONG_LENGTH);
    expect(&mut card, "00 B0 00 00 00 08 00", sw::WRONG_LENGTH);
}

#[test]
fn extended_length_when_advertised() {
    let mut card = iso(4096).with_extended_length();
    run_ok(&mut card, &create_ef(0x5001, 3000, None));
    let data: Vec<u8> = (0..2048u32).map(|i| (i % 253) as u8).collect();
    let mut apdu = h("00 D6 00 00 00 0800");
    apdu.extend(&data);
    run_ok(&mut card, &apdu);
    assert_eq!(ok(&mut card, "00 B0 00 00 00 0800"), data);
    // Le = 0000 means 65536: the whole rest of the file, end of file.
    let all = card.process(&h("00 B0 00 00 00 0000"));
    assert_eq!(sw_of(&all), sw::END_OF_FILE);
    assert_eq!(data_of(&all).len(), 3000);
}

#[test]
fn foreign_profile_holds_another_application() {
    let mut card = VirtualCard::new(VirtualCardProfile::Foreign, 32 * 1024);
    assert_eq!(card.atr(), ATR_ISO);
    assert_eq!(card.used(), 84);
    // Not our application.
    expect(
        &mut card,
        "00 A4 04 0C 07 F0484541 4C5448",
        sw::FILE_NOT_FOUND,
    );
    // EF.DIR lists the foreign one.
    let dir = expect(&mut card, "00 B0 9E 00 00", sw::END_OF_FILE);
    assert_eq!(dir, h("61 12 4F 07 A0000000031010 50 07 5041594D454E54"));
    let mut select = h("00 A4 04 04 07");
    select.extend(FOREIGN_AID);
    select.push(0);
    let fci = run_ok(&mut card, &select);
    assert!(fci.windows(7).any(|w| w == FOREIGN_AID), "{fci:02X?}");
    let data = ok(&mut card, "00 B0 81 00 40");
    assert_eq!(&data[..FOREIGN_DATA.len()], FOREIGN_DATA);
    assert_eq!(
        card.ef_data(&[FOREIGN_DF_FID, FOREIGN_EF_FID]),
        Some(&data[..])
    );
    assert!(card.mf().child(EF_DIR_FID).is_some());
    // It is an ordinary ISO card otherwise: there is room for more.
    ok(&mut card, "00 A4 00 0C 02 3F00");
    run_ok(&mut card, &create_df(0x5000, Some(AID)));
}

#[test]
fn non_iso_profile_refuses_everything() {
    let mut card = VirtualCard::new(VirtualCardProfile::NonIso, 1024);
    assert_eq!(card.atr(), ATR_NON_ISO);
    for apdu in [
        "00 A4 00 0C 02 3F00",
        "00 B0 00 00 00",
        "FF CA 00 00 00",
        "00 C0 00 00 00",
        "00",
        "",
    ] {
        expect(&mut card, apdu, sw::CLA_NOT_SUPPORTED);
    }
}

fn in_process_with_ef() -> InProcess {
    let mut reader = InProcess::new(card_with_ef(1020));
    reader.transmit(&h("00 A4 00 0C 02 3F00")).unwrap();
    reader
}

/// SELECT the EF and write four 255-byte chunks: 5 APDUs.
fn write_chunks(reader: &mut InProcess) -> Vec<Result<Vec<u8>, TransportError>> {
    let mut results = vec![reader.transmit(&h("00 A4 08 0C 04 5000 5001"))];
    for i in 0..4u8 {
        results.push(reader.transmit(&update(u16::from(i) * 255, &[i + 1; 255])));
    }
    results
}

#[test]
fn in_process_removal_drops_the_apdu_in_flight() {
    let mut reader = in_process_with_ef();
    // The 3rd APDU from now: the second UPDATE.
    reader.remove_at(3, false);
    let results = write_chunks(&mut reader);
    assert_eq!(results[0], Ok(h("9000")));
    assert_eq!(results[1], Ok(h("9000")));
    assert_eq!(results[2], Ok(vec![]));
    assert_eq!(results[3], Err(TransportError::Removed));
    assert_eq!(results[4], Err(TransportError::Removed));
    assert!(reader.is_removed());
    let data = reader.card().ef_data(&[0x5000, 0x5001]).unwrap();
    assert_eq!(data[..255], [1; 255]);
    assert_eq!(data[255..], [0; 765]);

    // Back in: a new session (no current EF), same files, no second removal.
    reader.reinsert();
    assert!(!reader.is_removed());
    assert_eq!(reader.transmit(&read(0, 1)), Ok(h("6986")));
    let results = write_chunks(&mut reader);
    assert!(results.iter().all(|r| r == &Ok(h("9000"))), "{results:?}");
    assert_eq!(reader.commands(), 6);
}

#[test]
fn in_process_removal_that_applies() {
    let mut reader = in_process_with_ef();
    reader.remove_at(3, true);
    let results = write_chunks(&mut reader);
    assert_eq!(results[2], Ok(vec![]));
    assert_eq!(results[3], Err(TransportError::Removed));
    let data = reader
        .into_card()
        .ef_data(&[0x5000, 0x5001])
        .unwrap()
        .to_vec();
    assert_eq!(data[..510], [[1; 255], [2; 255]].concat());
    assert_eq!(data[510..], [0; 510]);
}

#[test]
fn in_process_from_args_counts_from_insertion() {
    let args = args(Some(2), false, None);
    let mut reader = InProcess::from_args(&args).unwrap();
    assert_eq!(reader.transmit(&h("00 A4 00 0C 02 3F00")), Ok(h("9000")));
    assert_eq!(reader.transmit(&h("00 A4 00 0C 02 3F00")), Ok(vec![]));
    assert_eq!(
        reader.transmit(&h("00 A4 00 0C 02 3F00")),
        Err(TransportError::Removed)
    );
    let mut reader = InProcess::new(iso(10));
    reader.remove_at(1, false);
    reader.remove_at(0, false);
    assert_eq!(reader.transmit(&h("00 A4 00 0C 02 3F00")), Ok(h("9000")));
}

fn args(remove_at: Option<u64>, remove_applies: bool, image: Option<PathBuf>) -> VirtualCardArgs {
    VirtualCardArgs {
        vpcd: "127.0.0.1:1".to_owned(),
        image,
        capacity: 32 * 1024,
        remove_at,
        remove_applies,
        profile: VirtualCardProfile::Iso,
    }
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("card-agent-vcard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn image_keeps_every_acknowledged_change() {
    let dir = temp_dir("image");
    let path = dir.join("card.json");
    let mut card = VirtualCard::open(VirtualCardProfile::Iso, 4096, &path).unwrap();
    assert_eq!(card.image(), Some(path.as_path()));
    assert!(path.exists(), "a new card is saved at once");
    run_ok(&mut card, &create_df(0x5000, Some(AID)));
    run_ok(&mut card, &create_ef(0x5001, 600, Some(1)));
    for i in 0..3u8 {
        run_ok(
            &mut card,
            &update(
                u16::from(i) * 255,
                &[i + 1; 255][..(600 - usize::from(i) * 255).min(255)],
            ),
        );
        // Saved before the answer: the file on disk has it already.
        let reloaded = VirtualCard::open(VirtualCardProfile::Iso, 4096, &path).unwrap();
        assert_eq!(reloaded.mf(), card.mf());
    }
    // A refused command changes nothing on disk.
    let before = std::fs::read(&path).unwrap();
    assert_eq!(card.process(&update(599, &[9, 9])), h("6700"));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // The same card comes back, with a new session.
    let mut again = VirtualCard::open(VirtualCardProfile::Iso, 4096, &path).unwrap();
    expect(&mut again, "00 B0 00 00 01", sw::NO_CURRENT_EF);
    assert_eq!(ok(&mut again, "00 A4 04 0C 07 A0000000010203"), b"");
    assert_eq!(ok(&mut again, "00 B0 81 00 02"), [1, 1]);
    assert_eq!(ok(&mut again, "00 B0 01 FE 02"), [3, 3]);

    // Another profile or capacity is not this card.
    let e = VirtualCard::open(VirtualCardProfile::Iso, 8192, &path).unwrap_err();
    assert!(format!("{e:#}").contains("--capacity"), "{e:#}");
    let e = VirtualCard::open(VirtualCardProfile::Foreign, 4096, &path).unwrap_err();
    assert!(format!("{e:#}").contains("--profile"), "{e:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn image_of_the_foreign_profile_starts_with_its_files() {
    let dir = temp_dir("foreign");
    let path = dir.join("card.json");
    let card = VirtualCard::open(VirtualCardProfile::Foreign, 1024, &path).unwrap();
    assert_eq!(card.used(), 84);
    let again = VirtualCard::open(VirtualCardProfile::Foreign, 1024, &path).unwrap();
    assert_eq!(again.mf(), card.mf());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_image_is_a_clear_error() {
    let dir = temp_dir("damaged");
    let path = dir.join("card.json");
    std::fs::write(
        &path,
        "{\"format\": \"card-agent virtual card\", \"version\": 1,",
    )
    .unwrap();
    let e = VirtualCard::from_args(&args(None, false, Some(path.clone()))).unwrap_err();
    let text = format!("{e:#}");
    assert!(text.contains("damaged card image"), "{text}");
    assert!(text.contains("card.json"), "{text}");
    std::fs::write(&path, [0xFF, 0xFE, 0]).unwrap();
    let e = VirtualCard::from_args(&args(None, false, Some(path.clone()))).unwrap_err();
    assert!(format!("{e:#}").contains("card.json"), "{e:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_save_undoes_the_change() {
    let dir = temp_dir("failed-save");
    let path = dir.join("card.json");
    let mut card = VirtualCard::open(VirtualCardProfile::Iso, 4096, &path).unwrap();
    run_ok(&mut card, &create_ef(0x5001, 10, None));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(card.process(&update(0, &[1, 2])), h("6581"));
    assert_eq!(card.ef_data(&[0x5001]), Some(&[0; 10][..]));
    assert_eq!(card.process(&create_ef(0x5002, 1, None)), h("6581"));
    assert!(card.mf().child(0x5002).is_none());
    // The session is as before the failed command: EF 5001 still current.
    assert_eq!(ok(&mut card, "00 B0 00 00 02"), [0, 0]);
}

/// A fake vpcd: a listener, the card process's side in a thread.
fn with_fake_vpcd(
    remove_at: Option<u64>,
    remove_applies: bool,
    talk: impl FnOnce(&mut TcpStream),
) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut args = args(remove_at, remove_applies, None);
    args.vpcd = listener.local_addr().unwrap().to_string();
    let card = std::thread::spawn(move || run(&args));
    let (mut stream, _) = listener.accept().unwrap();
    talk(&mut stream);
    drop(stream);
    card.join().unwrap()
}

fn send(stream: &mut TcpStream, body: &[u8]) {
    let mut message = (body.len() as u16).to_be_bytes().to_vec();
    message.extend(body);
    stream.write_all(&message).unwrap();
}

/// The next message, or `None` when the card closed the connection.
fn receive(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0; 2];
    stream.read_exact(&mut len).ok()?;
    let mut body = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body).unwrap();
    Some(body)
}

#[test]
fn vpcd_protocol() {
    let result = with_fake_vpcd(None, false, |vpcd| {
        send(vpcd, &[1]);
        send(vpcd, &[4]);
        assert_eq!(receive(vpcd).unwrap(), ATR_ISO);
        send(vpcd, &h("00 A4 00 04 02 3F00 00"));
        assert_eq!(
            receive(vpcd).unwrap(),
            h("62 0A 82 01 38 83 02 3F00 8A 01 05 9000")
        );
        send(vpcd, &h("00 A4 00 04 02 3F00"));
        assert_eq!(receive(vpcd).unwrap(), h("610C"));
        // A reset drops the waiting response.
        send(vpcd, &[2]);
        send(vpcd, &h("00 C0 00 00 0C"));
        assert_eq!(receive(vpcd).unwrap(), h("6985"));
        send(vpcd, &[0]);
        send(vpcd, &[1]);
        send(vpcd, &[4]);
        assert_eq!(receive(vpcd).unwrap(), ATR_ISO);
    });
    // vpcd closing the connection is an error of the reader class.
    let e = result.unwrap_err();
    assert!(format!("{e}").contains("closed the connection"), "{e}");
    assert_eq!(crate::exit_code(&e), crate::Class::Reader as u8);
}

#[test]
fn vpcd_removal_closes_the_connection() {
    for applies in [false, true] {
        let result = with_fake_vpcd(Some(3), applies, |vpcd| {
            send(vpcd, &[1]);
            send(vpcd, &h("00 A4 00 0C 02 3F00"));
            assert_eq!(receive(vpcd).unwrap(), h("9000"));
            send(vpcd, &h("00 A4 00 0C 02 3F00"));
            assert_eq!(receive(vpcd).unwrap(), h("9000"));
            send(vpcd, &h("00 A4 00 0C 02 3F00"));
            assert_eq!(receive(vpcd), None);
        });
        result.unwrap();
    }
}

#[test]
fn vpcd_refused_names_the_address_and_pcscd() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let mut args = args(None, false, None);
    args.vpcd.clone_from(&addr);
    let e = run(&args).unwrap_err();
    let text = format!("{e}");
    assert!(text.contains(&addr) && text.contains("pcscd"), "{text}");
    assert_eq!(crate::exit_code(&e), crate::Class::Reader as u8);
    args.vpcd = "no port here".to_owned();
    let e = run(&args).unwrap_err();
    assert_eq!(crate::exit_code(&e), crate::Class::Usage as u8, "{e}");
}
