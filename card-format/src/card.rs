//! Cards: the CWT claims set (RFC 8392) around the summary, and signing a card.
//!
//! Verifying a card needs the trust chain, so it lives in [`crate::trust::TrustStore`]; this
//! module owns the claims' wire form and [`sign_card`].

use minicbor::decode::{Decoder, Error as DecodeError};
use minicbor::encode::{Encoder, Error as EncodeError, Write};

use crate::error::Object;
use crate::keys::Es256Signer;
use crate::model::{CardPayload, CardSummary};
use crate::serial::CardSerial;
use crate::{cose, Error, Result};

/// CWT claim key of the patient summary, version 1 (private use, RFC 8392 §9.1: below -65536).
pub const SUMMARY_CLAIM: i64 = -65537;

/// Largest card (signed bytes) accepted: 8 KiB, over twice what a full card needs and what a
/// version-40 QR code can hold.
pub const MAX_CARD_LEN: usize = 8 * 1024;

const ISS: u64 = 1;
const EXP: u64 = 4;
const IAT: u64 = 6;
const CTI: u64 = 7;

impl<C> minicbor::Encode<C> for CardPayload {
    fn encode<W: Write>(
        &self,
        e: &mut Encoder<W>,
        ctx: &mut C,
    ) -> Result<(), EncodeError<W::Error>> {
        // Keys in the RFC 8949 §4.2.1 order: 1, 4, 6, 7, then -65537 (major type 1 sorts last).
        e.map(5)?;
        e.u64(ISS)?.str(&self.issuer)?;
        e.u64(EXP)?.u64(self.expires_at)?;
        e.u64(IAT)?.u64(self.issued_at)?;
        e.u64(CTI)?.bytes(&self.serial.0)?;
        e.i64(SUMMARY_CLAIM)?;
        self.summary.encode(e, ctx)
    }
}

impl<'b, C> minicbor::Decode<'b, C> for CardPayload {
    fn decode(d: &mut Decoder<'b>, ctx: &mut C) -> Result<Self, DecodeError> {
        let len = d
            .map()?
            .ok_or_else(|| DecodeError::message("indefinite map"))?;
        let (mut iss, mut exp, mut iat, mut cti, mut summary) = (None, None, None, None, None);
        for _ in 0..len {
            match d.i64()? {
                1 => iss = Some(d.str()?.to_owned()),
                4 => exp = Some(d.u64()?),
                6 => iat = Some(d.u64()?),
                7 => {
                    let bytes = d.bytes()?;
                    let serial = CardSerial::from_bytes(bytes)
                        .map_err(|_| DecodeError::message("cti is not 10 bytes"))?;
                    cti = Some(serial);
                }
                SUMMARY_CLAIM => summary = Some(CardSummary::decode(d, ctx)?),
                _ => return Err(DecodeError::message("unknown claim")),
            }
        }
        let missing = |name| DecodeError::message(name);
        Ok(CardPayload {
            issuer: iss.ok_or_else(|| missing("missing iss"))?,
            expires_at: exp.ok_or_else(|| missing("missing exp"))?,
            issued_at: iat.ok_or_else(|| missing("missing iat"))?,
            serial: cti.ok_or_else(|| missing("missing cti"))?,
            summary: summary.ok_or_else(|| missing("missing summary"))?,
        })
    }
}

impl CardPayload {
    /// The deterministic CBOR of the claims set (the COSE payload).
    ///
    /// # Errors
    /// [`Error::Malformed`] if encoding fails (it does not for in-memory values).
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        minicbor::to_vec(self).map_err(|_| Error::malformed(Object::Card, "cannot encode claims"))
    }

    /// Decodes the claims set, insisting on the deterministic encoding, then validates it.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::NonCanonical`] or [`Error::InvalidField`].
    pub fn from_cbor(bytes: &[u8]) -> Result<CardPayload> {
        let payload: CardPayload = cose::decode_canonical(bytes, Object::Card)?;
        payload.validate()?;
        Ok(payload)
    }
}

/// Validates `payload` and signs it as a card: a tagged COSE_Sign1 whose kid is the signer's.
///
/// With `certificate` (the signer's root-signed certificate), the card verifies with the
/// ministry root key alone, at the cost of about 170 bytes.
///
/// # Errors
/// [`Error::InvalidField`] when the payload breaks a rule; [`Error::TooLarge`] when the card
/// would exceed [`MAX_CARD_LEN`]; [`Error::Signing`] when the signer fails.
pub fn sign_card(
    signer: &dyn Es256Signer,
    payload: &CardPayload,
    certificate: Option<&[u8]>,
) -> Result<Vec<u8>> {
    payload.validate()?;
    let bytes = cose::sign(signer, payload.to_cbor()?, certificate, Object::Card)?;
    if bytes.len() > MAX_CARD_LEN {
        return Err(Error::TooLarge {
            what: "card",
            limit: MAX_CARD_LEN,
        });
    }
    Ok(bytes)
}
