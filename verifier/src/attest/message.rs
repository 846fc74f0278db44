//! The message a verifier signs for a batch: a SHA-256 digest of fixed-width fields, so it
//! has one encoding and can be recomputed from a certificate without the batch itself.

use proofmesh_proto::{Period, VerifierIndex};
use sha2::{Digest, Sha256};

/// Prefix of every batch signing message: versioned, so a future change of the message
/// layout cannot be confused with this one (the BLS DST separates proofmesh from other
/// protocols; this tag separates message kinds within proofmesh).
pub const SIGNING_TAG: &[u8; 32] = b"proofmesh/v1/attestation-batch\0\0";

/// The 32-byte message a verifier signs for its batch of `period`:
/// `SHA-256(SIGNING_TAG ‖ period u64 BE ‖ verifier u16 BE ‖ entry_count u32 BE ‖ entries_root)`.
///
/// Binding the index makes every signer's message distinct (safe aggregation); binding the
/// count fixes the tree's shape, so an inclusion proof's position is unambiguous.
pub fn signing_message(
    period: Period,
    verifier: VerifierIndex,
    entry_count: u32,
    entries_root: &[u8; 32],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SIGNING_TAG);
    h.update(period.0.to_be_bytes());
    h.update(verifier.0.to_be_bytes());
    h.update(entry_count.to_be_bytes());
    h.update(entries_root);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_changes_the_message() {
        let base = signing_message(Period(7), VerifierIndex(3), 10, &[1; 32]);
        assert_ne!(
            base,
            signing_message(Period(8), VerifierIndex(3), 10, &[1; 32])
        );
        assert_ne!(
            base,
            signing_message(Period(7), VerifierIndex(4), 10, &[1; 32])
        );
        assert_ne!(
            base,
            signing_message(Period(7), VerifierIndex(3), 11, &[1; 32])
        );
        assert_ne!(
            base,
            signing_message(Period(7), VerifierIndex(3), 10, &[2; 32])
        );
    }

    /// The message layout is protocol: a change must be deliberate (and versioned).
    #[test]
    fn message_is_pinned() {
        let m = signing_message(Period(1), VerifierIndex(2), 3, &[4; 32]);
        let hex: String = m.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "4c981e0b2d1a888fc9181ae6bb7b1a38ea627346697ec29b7453530314fa567a"
        );
    }
}
