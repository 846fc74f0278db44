//! rᵢ·Aᵢ for 128-bit weights, cheaper than arkworks' `mul_bigint` (plain double-and-add, one
//! mixed addition per set bit, ≈ 64 for a random weight): a width-4 NAF of rᵢ has ≈ 26
//! non-zero digits, each an addition of a precomputed odd multiple ±P, ±3P, ±5P, ±7P. The
//! tables of a whole chunk are made affine with one batch inversion, so every addition in the
//! main loop is a mixed (Jacobian + affine) one. The 128 doublings remain.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::Zero;

/// NAF window width: digits are odd and in [−7, 7].
const W: usize = 4;
/// Table entries per point: P, 3P, 5P, 7P.
const TABLE: usize = 1 << (W - 2);
/// Digits of a width-W NAF of a 128-bit integer (the top one can sit at bit 128).
const DIGITS: usize = 129;

/// The width-W non-adjacent form of `k`, least significant digit first: k = Σ dⱼ·2ʲ with every
/// non-zero dⱼ odd, |dⱼ| < 2^(W−1), and at most one non-zero digit in any W consecutive ones.
fn wnaf(k: u128) -> [i8; DIGITS] {
    let mut naf = [0i8; DIGITS];
    let mask = (1u64 << W) - 1;
    let mut carry = 0u64;
    let mut pos = 0;
    while pos < DIGITS {
        let bits = if pos < 128 { (k >> pos) as u64 } else { 0 };
        let window = carry + (bits & mask);
        if window & 1 == 0 {
            pos += 1;
            continue;
        }
        // The window is < 2^W + 1, so both casts are exact.
        if window < 1 << (W - 1) {
            carry = 0;
            naf[pos] = window as i8;
        } else {
            carry = 1;
            naf[pos] = window as i8 - (1 << W) as i8;
        }
        pos += W;
    }
    naf
}

/// [rᵢ·Pᵢ] for each point and weight, in Jacobian coordinates.
pub(super) fn scale(points: &[G1Affine], weights: &[u128]) -> Vec<G1Projective> {
    let mut table: Vec<G1Projective> = Vec::with_capacity(TABLE * points.len());
    for p in points {
        let two = p.into_group().double();
        let mut odd = p.into_group();
        table.push(odd);
        for _ in 1..TABLE {
            odd += two;
            table.push(odd);
        }
    }
    let table = G1Projective::normalize_batch(&table);
    table
        .chunks_exact(TABLE)
        .zip(weights)
        .map(|(odd, &r)| mul(odd, r))
        .collect()
}

/// r·P from the table of P's odd multiples.
fn mul(odd: &[G1Affine], r: u128) -> G1Projective {
    let naf = wnaf(r);
    let mut acc = G1Projective::zero();
    let mut started = false;
    for &d in naf.iter().rev() {
        if started {
            acc.double_in_place();
        }
        if d != 0 {
            let entry = odd[usize::from(d.unsigned_abs() / 2)];
            if d > 0 {
                acc += entry;
            } else {
                acc += -entry;
            }
            started = true;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ark_ff::UniformRand;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn value(naf: &[i8; DIGITS]) -> i128 {
        // Exact in i128 only below bit 127; the callers keep k < 2^126 here.
        naf.iter()
            .rev()
            .fold(0i128, |acc, &d| 2 * acc + i128::from(d))
    }

    #[test]
    fn wnaf_is_a_valid_representation() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut ks: Vec<u128> = (0..200).map(|_| u128::from(rng.next_u64()) << 60).collect();
        ks.extend([0, 1, 7, 8, 15, 16, 255, (1 << 126) - 1]);
        for k in ks {
            let naf = wnaf(k);
            assert_eq!(value(&naf), k as i128, "k = {k}");
            for (j, &d) in naf.iter().enumerate() {
                assert!(d == 0 || (d % 2 != 0 && d.abs() < 8), "k = {k}");
                if d != 0 {
                    assert!(naf[j + 1..].iter().take(W - 1).all(|&e| e == 0), "k = {k}");
                }
            }
        }
    }

    #[test]
    fn scale_matches_arkworks() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut points: Vec<G1Affine> = (0..40)
            .map(|_| G1Projective::rand(&mut rng).into_affine())
            .collect();
        points[3] = G1Affine::zero();
        let mut weights: Vec<u128> = points
            .iter()
            .map(|_| (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()))
            .collect();
        weights[..6].copy_from_slice(&[1, 2, 7, u128::MAX, u128::MAX - 7, 1 << 127]);
        let ours = scale(&points, &weights);
        for ((p, &r), got) in points.iter().zip(&weights).zip(ours) {
            let want = p.mul_bigint([r as u64, (r >> 64) as u64]);
            assert_eq!(got, want, "r = {r}");
        }
    }
}
