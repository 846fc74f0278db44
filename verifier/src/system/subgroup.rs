//! Membership of a BN254 G2 point in the prime-order subgroup, at half the cost of arkworks'
//! check. Decoding a proof is dominated by this test (arkworks multiplies by the 127-bit
//! `6x²`: ≈ 160 µs, more than half a batch-verified proof's own cost), so every proof the
//! intake admits pays for it.
//!
//! The test is Dai, Lin, Zhao and Zhou's for BN curves (ePrint 2022/348, §3 and §5.1; gnark-crypto
//! uses it): for a point P on the twist, `[r]P = 0` exactly when
//! `[x₀+1]P + ψ([x₀]P) + ψ²([x₀]P) = ψ³([2x₀]P)`, where x₀ is the curve's 63-bit seed and ψ the
//! untwist-Frobenius-twist endomorphism: one 63-bit multiplication and a few additions.
//! Tests compare it with arkworks' check and with `[r]P = 0` on points inside and outside G2.

use ark_bn254::{Config as Bn254Config, Fq2, G2Affine, G2Projective};
use ark_ec::bn::BnConfig;
use ark_ec::AdditiveGroup;
use ark_ff::Field;

/// x₀, BN254's seed (`6x₀ + 2` is the ate loop count).
const SEED: u64 = 4_965_661_367_192_848_881;

/// `true` when `p` (on the curve) is in the prime-order subgroup G2. The identity is.
pub fn g2_in_subgroup(p: &G2Affine) -> bool {
    let xp = mul_by_seed(p);
    let psi_xp = psi(&xp);
    let lhs = xp + p + psi_xp + psi(&psi_xp);
    let rhs = psi(&psi(&psi(&xp.double())));
    lhs == rhs
}

/// `[x₀]p`, by double-and-add over the seed's 63 bits (mixed additions of the affine `p`).
fn mul_by_seed(p: &G2Affine) -> G2Projective {
    let mut acc = G2Projective::default();
    for bit in (0..u64::BITS - SEED.leading_zeros()).rev() {
        acc.double_in_place();
        if SEED >> bit & 1 == 1 {
            acc += p;
        }
    }
    acc
}

/// ψ on Jacobian coordinates: Frobenius on each coordinate (a field automorphism, so
/// `x = X/Z²`, `y = Y/Z³` map alike), then x times `ξ^((p-1)/3)` and y times `ξ^((p-1)/2)`.
fn psi(p: &G2Projective) -> G2Projective {
    let frob = |c: &Fq2| {
        let mut c = *c;
        c.frobenius_map_in_place(1);
        c
    };
    let mut out = *p;
    out.x = frob(&p.x) * Bn254Config::TWIST_MUL_BY_Q_X;
    out.y = frob(&p.y) * Bn254Config::TWIST_MUL_BY_Q_Y;
    out.z = frob(&p.z);
    out
}

/// `ψ` of an affine point, for tests against the projective form.
#[cfg(test)]
fn psi_affine(p: &G2Affine) -> G2Affine {
    use ark_ec::CurveGroup;
    psi(&G2Projective::from(*p)).into_affine()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr};
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::{BigInteger, PrimeField, UniformRand, Zero};
    use num_bigint::BigUint;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// A point on the twist, not forced into G2 (almost surely outside it).
    fn any_point(rng: &mut ChaCha20Rng) -> G2Affine {
        loop {
            let x = Fq2::new(Fq::rand(rng), Fq::rand(rng));
            if let Some(p) = G2Affine::get_point_from_x_unchecked(x, rng.gen()) {
                return p;
            }
        }
    }

    fn naive(p: &G2Affine) -> bool {
        p.mul_bigint(Fr::MODULUS).is_zero()
    }

    #[test]
    fn agrees_with_arkworks_and_the_definition() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut inside = 0;
        for i in 0..64 {
            let p = if i % 2 == 0 {
                (G2Projective::generator() * Fr::rand(&mut rng)).into_affine()
            } else {
                any_point(&mut rng)
            };
            let want = naive(&p);
            assert_eq!(g2_in_subgroup(&p), want, "point {i}");
            assert_eq!(p.is_in_correct_subgroup_assuming_on_curve(), want);
            inside += usize::from(want);
        }
        assert_eq!(
            inside, 32,
            "odd samples fell in G2: the test lost its negatives"
        );
        assert!(g2_in_subgroup(&G2Affine::identity()));
    }

    /// Points of the cofactor part alone (`[r]P`, no G2 component), and of its small-order
    /// pieces, are refused: the cases a cheap or batched check would most likely miss.
    #[test]
    fn refuses_points_of_the_cofactor_part() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let h = BigUint::from_bytes_le(
            &<ark_bn254::g2::Config as ark_ec::CurveConfig>::COFACTOR
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect::<Vec<_>>(),
        );
        for small in [10069u32, 5_864_401] {
            assert_eq!(
                &h % small,
                BigUint::from(0u32),
                "{small} divides the cofactor"
            );
        }
        for _ in 0..8 {
            let p = any_point(&mut rng);
            let cof = p.mul_bigint(Fr::MODULUS).into_affine();
            assert!(!cof.is_zero());
            assert!(!g2_in_subgroup(&cof));
            // Order exactly 10069: [r·h/10069]P (non-zero for almost every P).
            let k = BigUint::from_bytes_le(&Fr::MODULUS.to_bytes_le()) * (&h / 10069u32);
            let tiny = p.mul_bigint(k.to_u64_digits()).into_affine();
            if !tiny.is_zero() {
                assert!(!g2_in_subgroup(&tiny));
                assert!(!naive(&tiny));
            }
            let g = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
            assert!(!g2_in_subgroup(&(g + tiny).into_affine()) || tiny.is_zero());
        }
    }

    #[test]
    fn psi_is_the_endomorphism_of_eigenvalue_p_on_g2() {
        // On G2, ψ acts as multiplication by p (the base field's characteristic) mod r.
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let g = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let p_mod_r = Fr::from_le_bytes_mod_order(&Fq::MODULUS.to_bytes_le());
        assert_eq!(psi_affine(&g), (g * p_mod_r).into_affine());
    }
}
