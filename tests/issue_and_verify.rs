use card_format::keys::Es256Signer;
use card_format::model::{CardPayload, CardSummary};
use card_format::trust::{RevocationReason, RevokedCard, MAX_BUNDLE_LEN};
use card_format::{
    qr, sign_card, CardSerial, Certificate, Policy, SoftwareKey, TrustBundle, TrustStore, Usage,
};

const YEAR: u64 = 365 * 86_400;
const START: u64 = 1_767_225_600; // 2026-01-01

fn summaries() -> Vec<CardSummary> {
    [
        include_str!("../fixtures/summaries/adult.json"),
        include_str!("../fixtures/summaries/paediatric.json"),
        include_str!("../fixtures/summaries/several-tumours.json"),
    ]
    .iter()
    .map(|json| serde_json::from_str(json).unwrap())
    .collect()
}

fn certify(root: &SoftwareKey, key: &SoftwareKey, from: u64, to: u64, usage: Usage) -> Vec<u8> {
    Certificate {
        public_key: key.public_key().clone(),
        issuer_id: "LY-BEN-PED".into(),
        region: "east".into(),
        not_before: from,
        not_after: to,
        usage,
    }
    .sign(root)
    .unwrap()
}

struct Ministry {
    root: SoftwareKey,
    list: SoftwareKey,
    list_cert: Vec<u8>,
}

impl Ministry {
    fn bundle(
        &self,
        sequence: u64,
        at: u64,
        issuers: &[&[u8]],
        revoked: &[RevokedCard],
    ) -> Vec<u8> {
        let mut bundle = TrustBundle {
            sequence,
            issued_at: at,
            issuer_certificates: issuers.iter().map(|c| c.to_vec()).collect(),
            revoked_cards: revoked.to_vec(),
            ..TrustBundle::default()
        };
        bundle.normalise();
        bundle.sign(&self.list, &self.list_cert).unwrap()
    }

    fn store(&self, bundle: &[u8]) -> TrustStore {
        TrustStore::from_bundle(self.root.public_key().clone(), bundle, MAX_BUNDLE_LEN).unwrap()
    }
}

fn issue(key: &SoftwareKey, summary: CardSummary, at: u64) -> (CardSerial, String) {
    let payload = CardPayload {
        issuer: "LY-BEN-PED".into(),
        issued_at: at,
        expires_at: at + 5 * YEAR,
        serial: CardSerial::random(),
        summary,
    };
    let cose = sign_card(key, &payload, None).unwrap();
    (payload.serial, qr::encode(&cose))
}

#[test]
fn issued_cards_verify_until_revoked() {
    let root = SoftwareKey::generate();
    let list = SoftwareKey::generate();
    let list_cert = certify(&root, &list, START, START + 10 * YEAR, Usage::TRUST_LISTS);
    let ministry = Ministry {
        root,
        list,
        list_cert,
    };
    let issuer = SoftwareKey::generate();
    let issuer_cert = certify(
        &ministry.root,
        &issuer,
        START,
        START + 2 * YEAR,
        Usage::CARDS,
    );

    let cards: Vec<_> = summaries()
        .into_iter()
        .map(|s| (s.clone(), issue(&issuer, s, START + 86_400)))
        .collect();
    let store = ministry.store(&ministry.bundle(1, START + 2 * 86_400, &[&issuer_cert], &[]));
    let now = START + 3 * 86_400;
    for (summary, (serial, text)) in &cards {
        let verified = store
            .verify_card(&qr::decode(text).unwrap(), now, &Policy::default())
            .unwrap();
        assert_eq!(&verified.value().summary, summary);
        assert_eq!(verified.value().serial, *serial);
        assert!(verified.warnings().is_empty(), "{:?}", verified.warnings());
    }

    let (_, (lost_serial, lost_text)) = &cards[1];
    let revoked = [RevokedCard {
        serial: *lost_serial,
        reason: RevocationReason::Stolen,
        revoked_at: now,
    }];
    let store = ministry.store(&ministry.bundle(2, now, &[&issuer_cert], &revoked));
    let err = store
        .verify_card(
            &qr::decode(lost_text).unwrap(),
            now + 60,
            &Policy::default(),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "card revoked (stolen)");
    // The others are untouched.
    let (_, (_, other)) = &cards[0];
    assert!(store
        .verify_card(&qr::decode(other).unwrap(), now + 60, &Policy::default())
        .is_ok());
}

#[test]
fn rotated_issuer_key_keeps_old_cards_valid() {
    let root = SoftwareKey::generate();
    let list = SoftwareKey::generate();
    let list_cert = certify(&root, &list, START, START + 10 * YEAR, Usage::TRUST_LISTS);
    let ministry = Ministry {
        root,
        list,
        list_cert,
    };
    let old = SoftwareKey::generate();
    let new = SoftwareKey::generate();
    // The old key signed during 2026; the new one from 2027.
    let old_cert = certify(&ministry.root, &old, START, START + YEAR, Usage::CARDS);
    let new_cert = certify(
        &ministry.root,
        &new,
        START + YEAR,
        START + 3 * YEAR,
        Usage::CARDS,
    );
    let summary = summaries().remove(0);
    let (_, old_card) = issue(&old, summary.clone(), START + 100 * 86_400);
    let (_, new_card) = issue(&new, summary.clone(), START + YEAR + 86_400);
    let now = START + YEAR + 2 * 86_400;
    let store = ministry.store(&ministry.bundle(7, now, &[&old_cert, &new_cert], &[]));
    for text in [&old_card, &new_card] {
        store
            .verify_card(&qr::decode(text).unwrap(), now, &Policy::default())
            .unwrap();
    }
    // The old key can no longer sign: a card dated after its period is refused.
    let (_, late) = issue(&old, summary, START + YEAR + 86_400);
    let err = store
        .verify_card(&qr::decode(&late).unwrap(), now, &Policy::default())
        .unwrap_err();
    assert_eq!(err.code(), "certificate_not_valid_at");
}
