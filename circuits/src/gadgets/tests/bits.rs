//! Bit decompositions and the zero test against native integers.
use super::*;
use crate::field::low_u64;
use crate::gadgets::bits::{
    canonical_bits_le, canonical_bits_with_hint, is_zero, low_bits_le, to_bits_le, BitVar,
    FIELD_BITS,
};
use ark_ff::{PrimeField, UniformRand};
use num_bigint::BigUint;

fn bits_of(n: &BigUint, len: usize) -> Vec<bool> {
    (0..len).map(|i| n.bit(i as u64)).collect()
}

fn values(bits: &[BitVar]) -> Vec<bool> {
    bits.iter().map(|b| b.value().unwrap()).collect()
}

fn modulus() -> BigUint {
    Fr::MODULUS.into()
}

fn edge_cases() -> Vec<Fr> {
    let r = modulus();
    let two = |k: u32| Fr::from(BigUint::from(1u8) << k);
    vec![
        Fr::from(0u64),
        Fr::from(1u64),
        -Fr::from(1u64),
        -Fr::from(2u64),
        two(253),
        two(253) - Fr::from(1u64),
        two(32) - Fr::from(1u64),
        // The largest x whose x + r still fits in 254 bits.
        Fr::from((BigUint::from(1u8) << 254u32) - &r - 1u8),
        Fr::from((BigUint::from(1u8) << 254u32) - &r),
    ]
}

#[test]
fn canonical_bits_match_native_in_331_constraints() {
    let mut r = rng(10);
    let mut xs = edge_cases();
    xs.extend((0..20).map(|_| Fr::rand(&mut r)));
    for x in xs {
        let cs = cs();
        let bits = canonical_bits_le(&witness(&cs, x)).unwrap();
        let n: BigUint = x.into_bigint().into();
        assert_eq!(values(&bits), bits_of(&n, FIELD_BITS), "x {n}");
        assert_eq!(cs.num_constraints(), 331);
        assert!(cs.is_satisfied().unwrap(), "x {n}");
        let low = low_bits_le(&witness(&cs, x), 32).unwrap();
        assert_eq!(values(&low), bits_of(&BigUint::from(low_u64(&x)), 32));
    }
}

#[test]
fn non_canonical_bits_are_rejected() {
    let mut r = rng(11);
    let limit = (BigUint::from(1u8) << 254u32) - modulus();
    let mut tried = 0;
    for x in edge_cases()
        .into_iter()
        .chain((0..50).map(|_| Fr::rand(&mut r)))
    {
        let n: BigUint = x.into_bigint().into();
        if n >= limit {
            continue; // x + r does not fit in 254 bits: no second decomposition
        }
        let cs = cs();
        let alt = bits_of(&(n + modulus()), FIELD_BITS);
        let bits = canonical_bits_with_hint(&witness(&cs, x), Some(alt)).unwrap();
        assert_eq!(bits.len(), FIELD_BITS);
        assert!(!cs.is_satisfied().unwrap());
        tried += 1;
    }
    assert!(tried >= 10);
    // A non-boolean "bit" is rejected as well: bit 0 = 2, bit 1 = 0 encode the same 2.
    let cs = cs();
    let mut hint = bits_of(&BigUint::from(2u8), FIELD_BITS);
    hint[1] = false;
    let x = witness(&cs, Fr::from(2u64));
    let _ = canonical_bits_with_hint(&x, Some(hint)).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn small_decomposition_is_a_range_check() {
    for (x, n, ok) in [
        (0u64, 1, true),
        (1, 1, true),
        (2, 1, false),
        (255, 8, true),
        (256, 8, false),
        (11, 8, true),
        (u64::MAX, 64, true),
    ] {
        let cs = cs();
        let bits = to_bits_le(&witness(&cs, Fr::from(x)), n).unwrap();
        assert_eq!(cs.num_constraints(), n);
        assert_eq!(cs.is_satisfied().unwrap(), ok, "x {x} n {n}");
        if ok {
            assert_eq!(values(&bits), bits_of(&BigUint::from(x), n));
        }
    }
    // Field elements far above 2^n ("negative" numbers) are rejected too.
    let cs = cs();
    let _ = to_bits_le(&witness(&cs, -Fr::from(1u64)), 8).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn zero_test() {
    let mut r = rng(12);
    for x in [
        Fr::from(0u64),
        Fr::from(1u64),
        -Fr::from(1u64),
        Fr::rand(&mut r),
    ] {
        let cs = cs();
        let z = is_zero(&witness(&cs, x)).unwrap();
        assert_eq!(z.value().unwrap(), x == Fr::from(0u64));
        assert_eq!(cs.num_constraints(), 2);
        assert!(cs.is_satisfied().unwrap());
    }
    assert!(is_zero(&FrVar::Constant(Fr::from(0u64)))
        .unwrap()
        .value()
        .unwrap());
}
