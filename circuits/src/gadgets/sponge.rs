//! Codex's rate-2 Poseidon2 sponge as a gadget (state `(0, 0, 2^64 + 256·3 + 2)`, absorb two
//! elements at a time by addition, `10*` padding, output the first word), twin of
//! `crate::sponge::sponge_rate2`. The state is a value, so a prefix shared by several hashes
//! (the sampler's `entropy, slotRoot`) is absorbed and permuted once and then cloned.

use super::{poseidon2::permute, FrVar};
use crate::sponge::domain_separator;
use crate::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_relations::gr1cs::SynthesisError;

/// Elements absorbed per permutation.
pub const RATE: usize = 2;

/// A rate-2 sponge part-way through absorbing.
#[derive(Debug, Clone)]
pub struct SpongeVar {
    state: [FrVar; 3],
}

impl Default for SpongeVar {
    fn default() -> Self {
        Self::new()
    }
}

impl SpongeVar {
    /// The initial state `(0, 0, IV)`: constants, so nothing is allocated.
    pub fn new() -> Self {
        Self {
            state: [
                FrVar::Constant(Fr::ZERO),
                FrVar::Constant(Fr::ZERO),
                FrVar::Constant(domain_separator(RATE)),
            ],
        }
    }

    /// Absorbs one full block and permutes (240 constraints).
    pub fn absorb_block(&mut self, block: [&FrVar; RATE]) -> Result<(), SynthesisError> {
        for (s, x) in self.state.iter_mut().zip(block) {
            *s += x;
        }
        self.state = permute(&self.state)?;
        Ok(())
    }

    /// Absorbs `input` (any length), pads `10*`, and returns the hash:
    /// `⌊len / 2⌋ + 1` permutations.
    pub fn finish(mut self, input: &[FrVar]) -> Result<FrVar, SynthesisError> {
        let mut blocks = input.chunks_exact(RATE);
        for block in &mut blocks {
            self.absorb_block([&block[0], &block[1]])?;
        }
        let rest = blocks.remainder();
        for (s, x) in self.state.iter_mut().zip(rest) {
            *s += x;
        }
        self.state[rest.len()] += Fr::ONE;
        let [out, _, _] = permute(&self.state)?;
        Ok(out)
    }
}

/// The rate-2 sponge hash of `input` (a cell's 67 elements: 34 permutations).
pub fn sponge_rate2(input: &[FrVar]) -> Result<FrVar, SynthesisError> {
    SpongeVar::new().finish(input)
}
