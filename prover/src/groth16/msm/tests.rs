use super::*;
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, UniformRand};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn ints(s: &[Fr]) -> Vec<ScalarInt<ark_bn254::g1::Config>> {
    s.iter().map(|x| x.into_bigint()).collect()
}

fn random_g1(n: usize, rng: &mut ChaCha20Rng) -> Vec<G1Affine> {
    let pts: Vec<G1Projective> = (0..n).map(|_| G1Projective::rand(rng)).collect();
    G1Projective::normalize_batch(&pts)
}

fn check_g1(bases: &[G1Affine], scalars: &[Fr]) {
    let want = G1Projective::msm(bases, scalars).unwrap();
    let got = msm(&[bases], &ints(scalars)).unwrap();
    assert_eq!(got.into_affine(), want.into_affine(), "n = {}", bases.len());
}

#[test]
fn matches_arkworks_on_random_terms_of_many_sizes() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for n in [0, 1, 2, 255, 256, 257, 1000, 5000, 40_000] {
        let bases = random_g1(n, &mut rng);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        check_g1(&bases, &scalars);
    }
}

#[test]
fn special_scalars_and_bases() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let n = 6000;
    let mut bases = random_g1(n, &mut rng);
    let mut scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    for i in 0..n {
        match i % 11 {
            0 => scalars[i] = Fr::zero(),
            1 => scalars[i] = Fr::one(),
            2 => scalars[i] = -Fr::one(),
            3 => scalars[i] = Fr::from(i as u64),
            4 => bases[i] = G1Affine::identity(),
            // The same point many times, and its negation: doublings and P + (-P) in buckets.
            5 => bases[i] = bases[0],
            6 => bases[i] = -bases[0],
            7 => scalars[i] = scalars[0],
            _ => {}
        }
    }
    check_g1(&bases, &scalars);
    // Every term equal: each bucket sums copies of one point.
    let same = vec![bases[1]; 3000];
    let seven = vec![Fr::from(7u64); 3000];
    check_g1(&same, &seven);
    // Terms that cancel exactly.
    let mut pm = vec![bases[1]; 2000];
    pm.extend(vec![-bases[1]; 2000]);
    let s = vec![Fr::from(12345u64); 4000];
    check_g1(&pm, &s);
}

#[test]
fn parts_are_concatenated() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let a = random_g1(3000, &mut rng);
    let b = random_g1(1700, &mut rng);
    let scalars: Vec<Fr> = (0..4700).map(|_| Fr::rand(&mut rng)).collect();
    let all: Vec<G1Affine> = a.iter().chain(&b).copied().collect();
    let want = G1Projective::msm(&all, &scalars).unwrap();
    let got = msm(&[&a, &b], &ints(&scalars)).unwrap();
    assert_eq!(got.into_affine(), want.into_affine());
}

#[test]
fn g2_matches_arkworks() {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let n = 3000;
    let pts: Vec<G2Projective> = (0..n).map(|_| G2Projective::rand(&mut rng)).collect();
    let mut bases = G2Projective::normalize_batch(&pts);
    bases[5] = G2Affine::identity();
    bases[6] = bases[7];
    let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let want = G2Projective::msm(&bases, &scalars).unwrap();
    let got = msm(&[&bases], &ints(&scalars)).unwrap();
    assert_eq!(got.into_affine(), want.into_affine());
}

#[test]
fn length_mismatch_is_an_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let bases = random_g1(10, &mut rng);
    let scalars = ints(&[Fr::one(); 9]);
    assert_eq!(
        msm(&[&bases], &scalars),
        Err(MsmError::Length {
            bases: 10,
            scalars: 9
        })
    );
}

#[test]
fn few_terms_take_the_small_path() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    // 300 bases, of which fewer than `SMALL` contribute (zero scalars, identity bases).
    let mut bases = random_g1(300, &mut rng);
    let mut scalars: Vec<Fr> = (0..300).map(|_| Fr::rand(&mut rng)).collect();
    for i in 0..120 {
        scalars[i] = Fr::zero();
        bases[299 - i] = G1Affine::identity();
    }
    check_g1(&bases, &scalars);
}
