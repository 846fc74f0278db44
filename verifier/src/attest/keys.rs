//! BLS12-381 keys and signatures (blst, `min_pk`): a verifier's key pair, validated public
//! keys, and the conversions between blst values and the protocol's fixed-size byte strings.

use super::BLS_DST;
use crate::error::AttestError;
use blst::min_pk::{AggregateSignature, PublicKey, SecretKey, Signature};
use blst::BLST_ERROR;
use proofmesh_proto::{BlsPublicKey, BlsSignature, VerifierIndex};
use std::fmt;

/// A verifier's BLS signing key and its public key. The secret never leaves this type (its
/// `Debug` shows only the public key; blst zeroes the secret on drop).
#[derive(Clone)]
pub struct VerifierKeypair {
    secret: SecretKey,
    public: BlsPublicKey,
}

impl VerifierKeypair {
    /// Derives the key pair from at least 32 bytes of secret key material with the IETF BLS
    /// `KeyGen` (HKDF-SHA-256), so an operator's key is reproducible from a stored seed.
    pub fn from_seed(ikm: &[u8]) -> Result<Self, AttestError> {
        let secret =
            SecretKey::key_gen(ikm, &[]).map_err(|_| AttestError::ShortSeed { got: ikm.len() })?;
        let public = BlsPublicKey(secret.sk_to_pk().compress());
        Ok(Self { secret, public })
    }

    /// The public key, as registered in the verifier set.
    pub fn public_key(&self) -> BlsPublicKey {
        self.public
    }

    /// Signs a 32-byte signing message under [`BLS_DST`].
    pub(crate) fn sign(&self, message: &[u8; 32]) -> Signature {
        self.secret.sign(message, BLS_DST, &[])
    }
}

impl fmt::Debug for VerifierKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierKeypair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A public key that passed `KeyValidate`: a compressed G1 point, on the curve, in the
/// prime-order subgroup and not the point at infinity (an infinity key would let anyone
/// "sign" with the infinity signature). Parse each member key once and keep this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierPublicKey(PublicKey);

impl VerifierPublicKey {
    /// Validates a member's key; `verifier` only labels the error.
    pub fn parse(key: &BlsPublicKey, verifier: VerifierIndex) -> Result<Self, AttestError> {
        PublicKey::key_validate(&key.0)
            .map(Self)
            .map_err(|_| AttestError::InvalidPublicKey {
                verifier: verifier.0,
            })
    }

    /// The blst key, for verification inside this crate.
    pub(crate) fn point(&self) -> &PublicKey {
        &self.0
    }
}

/// Parses a single (not aggregated) signature: a compressed G2 point in the prime-order
/// subgroup, not at infinity. Malformed signatures are the sender's fault.
pub(crate) fn parse_signature(sig: &BlsSignature) -> Result<Signature, AttestError> {
    Signature::sig_validate(&sig.0, true).map_err(|_| AttestError::MalformedSignature)
}

/// The protocol bytes of a blst signature.
pub(crate) fn signature_bytes(sig: &Signature) -> BlsSignature {
    BlsSignature(sig.compress())
}

/// Aggregates signatures received as bytes (each parsed and subgroup-checked) into one: what a
/// certificate carries. Fails on an empty list or a malformed signature.
pub fn aggregate_signatures(sigs: &[BlsSignature]) -> Result<BlsSignature, AttestError> {
    let parsed = sigs
        .iter()
        .map(parse_signature)
        .collect::<Result<Vec<_>, _>>()?;
    aggregate_parsed(&parsed.iter().collect::<Vec<_>>())
}

/// Aggregates already validated signatures.
pub(crate) fn aggregate_parsed(sigs: &[&Signature]) -> Result<BlsSignature, AttestError> {
    AggregateSignature::aggregate(sigs, false)
        .map(|agg| signature_bytes(&agg.to_signature()))
        .map_err(|_| AttestError::NoSigners)
}

/// Whether blst's verification result is success.
pub(crate) fn succeeded(result: BLST_ERROR) -> bool {
    result == BLST_ERROR::BLST_SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn keygen_is_deterministic_and_needs_32_bytes() {
        let a = VerifierKeypair::from_seed(&[7; 32]).unwrap();
        let b = VerifierKeypair::from_seed(&[7; 32]).unwrap();
        let c = VerifierKeypair::from_seed(&[8; 32]).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
        assert_eq!(
            VerifierKeypair::from_seed(&[7; 31]).unwrap_err(),
            AttestError::ShortSeed { got: 31 }
        );
        assert!(!format!("{a:?}").contains("value"));
    }

    #[test]
    fn key_validation_rejects_infinity_and_garbage() {
        let good = VerifierKeypair::from_seed(&[1; 32]).unwrap().public_key();
        assert!(VerifierPublicKey::parse(&good, VerifierIndex(0)).is_ok());
        let mut infinity = [0u8; 48];
        infinity[0] = 0xc0; // compressed, infinity flag
        let err = AttestError::InvalidPublicKey { verifier: 4 };
        assert_eq!(
            VerifierPublicKey::parse(&BlsPublicKey(infinity), VerifierIndex(4)),
            Err(err.clone())
        );
        assert_eq!(
            VerifierPublicKey::parse(&BlsPublicKey([0xff; 48]), VerifierIndex(4)),
            Err(err.clone())
        );
        let mut flipped = good;
        flipped.0[47] ^= 1;
        // Almost every x-coordinate change leaves the curve or the subgroup.
        assert_eq!(
            VerifierPublicKey::parse(&flipped, VerifierIndex(4)),
            Err(err)
        );
    }

    #[test]
    fn aggregation_rejects_empty_and_malformed() {
        assert_eq!(aggregate_signatures(&[]), Err(AttestError::NoSigners));
        assert_eq!(
            aggregate_signatures(&[BlsSignature([0xff; 96])]),
            Err(AttestError::MalformedSignature)
        );
    }

    /// Key derivation, DST and encodings are protocol: pinned so none changes silently.
    #[test]
    fn keys_and_signatures_are_pinned() {
        let kp = VerifierKeypair::from_seed(&[1; 32]).unwrap();
        let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(&kp.public_key().0), "95a254501b7733239ed3cec4d56737977bd09ede881d8a234560e83e5525017add3b1dcc3eabfb85e12a4131b19c253b");
        let sig = signature_bytes(&kp.sign(&[2; 32]));
        assert_eq!(hex(&sig.0), "b7094f9fd606f4ee8592d49f2c5aad6d817c4d0726ab92a60790a24d1cc13dadd6cdb779be0012ba1146b6444243abe4154b2c7efff573fb804774da3521851e81f9fde9403ec7d8d7133d73ab086a3e4e626a84121540b34e06b853ac91b39e");
    }
}
