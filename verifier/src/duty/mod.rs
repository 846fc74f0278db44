//! Time, entropy and duty: which slot must prove in which period, and until when a proof is
//! accepted. Provers and verifiers run the same functions, so both know the duties without
//! talking to each other.

mod clock;
mod entropy;

pub use clock::{PeriodClock, Window};
pub use entropy::{ChainEntropy, DevEntropy, EntropySource};

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use proofmesh_proto::SlotId;
use sha2::{Digest, Sha256};

/// Codex's die roll: slot `s` must prove in period `p` iff `H(entropy_p, s) mod
/// proofProbability == 0`. H is SHA-256 over a tag, the entropy (32 bytes LE), the dataset
/// root and the slot index; its first 16 bytes as a big-endian integer are reduced (bias
/// < 2^-96 for any probability below 2^32). A probability of 1 is every period; 0 is the
/// announcement's "no storage proofs" policy: never.
pub fn is_proof_required(entropy: Fr, slot: &SlotId, proof_probability: u32) -> bool {
    match proof_probability {
        0 => return false,
        1 => return true,
        _ => {}
    }
    let mut h = Sha256::new();
    h.update(b"proofmesh/v1/duty");
    h.update(entropy.into_bigint().to_bytes_le());
    h.update(slot.dataset.as_bytes());
    h.update(slot.index.to_be_bytes());
    let d = h.finalize();
    let mut head = [0u8; 16];
    head.copy_from_slice(&d[..16]);
    u128::from_be_bytes(head) % u128::from(proof_probability) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmesh_proto::DatasetRoot;

    #[test]
    fn die_roll_rate_matches_probability() {
        let dataset = DatasetRoot::from_le_bytes([3; 32]).unwrap();
        for p in [1u32, 2, 4, 10] {
            let mut hits = 0;
            for period in 0..4000u64 {
                let slot = SlotId {
                    dataset,
                    index: (period % 7) as u16,
                };
                hits += usize::from(is_proof_required(Fr::from(period), &slot, p));
            }
            let expected = 4000.0 / f64::from(p);
            assert!(
                (f64::from(hits as u32) - expected).abs() < 5.0 * expected.sqrt() + 1.0,
                "p {p}: {hits}"
            );
        }
        // Probability 0: no duty, ever.
        assert!((0..64u64).all(|i| !is_proof_required(
            Fr::from(i),
            &SlotId { dataset, index: 0 },
            0
        )));
        // Deterministic, and it depends on the slot.
        let a = SlotId { dataset, index: 0 };
        let b = SlotId { dataset, index: 1 };
        let e = Fr::from(99u64);
        assert_eq!(is_proof_required(e, &a, 4), is_proof_required(e, &a, 4));
        assert!((0..64u64).any(
            |i| is_proof_required(Fr::from(i), &a, 4) != is_proof_required(Fr::from(i), &b, 4)
        ));
    }
}
