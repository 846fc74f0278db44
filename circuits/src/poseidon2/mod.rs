//! The Poseidon2 permutation over BN254 with state width 3, exactly as Codex uses it, and the
//! keyed compression built on it. Every hash in proofmesh reduces to this function, so it is
//! written for speed (cheap linear layers, no allocation) and checked against Codex's answer.

mod constants;

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};

pub(crate) use constants::{FINAL_EXTERNAL, INITIAL_EXTERNAL, INTERNAL};

/// Number of external (full) rounds before and after the internal rounds.
pub const HALF_FULL_ROUNDS: usize = 4;
/// Number of internal (partial) rounds.
pub const PARTIAL_ROUNDS: usize = 56;

/// The initial external round constants (public so the circuit can share them).
pub fn initial_external_constants() -> &'static [[Fr; 3]; HALF_FULL_ROUNDS] {
    &INITIAL_EXTERNAL
}
/// The internal round constants.
pub fn internal_constants() -> &'static [Fr; PARTIAL_ROUNDS] {
    &INTERNAL
}
/// The final external round constants.
pub fn final_external_constants() -> &'static [[Fr; 3]; HALF_FULL_ROUNDS] {
    &FINAL_EXTERNAL
}

#[inline(always)]
fn sbox(x: &mut Fr) {
    let x2 = x.square();
    let x4 = x2.square();
    *x *= x4;
}

/// `x_i + (x_0 + x_1 + x_2)`: the circulant matrix circ(2, 1, 1).
#[inline(always)]
fn external_linear(s: &mut [Fr; 3]) {
    let sum = s[0] + s[1] + s[2];
    s[0] += sum;
    s[1] += sum;
    s[2] += sum;
}

/// The internal matrix [[2,1,1],[1,2,1],[1,1,3]] = all-ones + diag(1, 1, 2).
#[inline(always)]
fn internal_linear(s: &mut [Fr; 3]) {
    let sum = s[0] + s[1] + s[2];
    s[0] += sum;
    s[1] += sum;
    s[2].double_in_place();
    s[2] += sum;
}

#[inline(always)]
fn external_round(s: &mut [Fr; 3], c: &[Fr; 3]) {
    for (x, c) in s.iter_mut().zip(c) {
        *x += c;
        sbox(x);
    }
    external_linear(s);
}

/// Applies the permutation in place.
pub fn permute(state: &mut [Fr; 3]) {
    external_linear(state);
    for c in &INITIAL_EXTERNAL {
        external_round(state, c);
    }
    for c in &INTERNAL {
        state[0] += c;
        sbox(&mut state[0]);
        internal_linear(state);
    }
    for c in &FINAL_EXTERNAL {
        external_round(state, c);
    }
}

/// Codex's keyed two-to-one compression `C_k(x, y) = Perm(x, y, k)[0]`; the key separates
/// bottom-layer and odd nodes so no tree can be re-read as another.
pub fn compress(x: Fr, y: Fr, key: u8) -> Fr {
    let mut s = [x, y, Fr::from(key)];
    permute(&mut s);
    s[0]
}

#[cfg(test)]
mod tests;
