//! Codex's Poseidon2 sponge: state `(0, 0, 2^64 + 256·t + rate)`, absorb `rate` elements at a
//! time by addition, `10*` padding on the element sequence, output the first state word.
//! Rate 2 hashes cells and the sampler's index; rate 1 is kept for completeness.

use crate::poseidon2::permute;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};

/// Capacity IV for width 3: `2^64 + 256·3 + rate` (domain separation by rate).
pub fn domain_separator(rate: usize) -> Fr {
    Fr::from(2u64).pow([64]) + Fr::from(256 * 3 + rate as u64)
}

/// Hashes a sequence of field elements with the rate-`RATE` sponge (RATE ∈ {1, 2}).
pub fn sponge<const RATE: usize>(input: &[Fr]) -> Fr {
    const { assert!(RATE == 1 || RATE == 2) };
    let mut state = [Fr::ZERO, Fr::ZERO, Fr::ZERO];
    state[2] = domain_separator(RATE);
    let mut blocks = input.chunks_exact(RATE);
    for block in &mut blocks {
        for (s, x) in state.iter_mut().zip(block) {
            *s += x;
        }
        permute(&mut state);
    }
    // 10* padding: the remainder (possibly empty), a one, zeros up to the rate.
    let rest = blocks.remainder();
    for (s, x) in state.iter_mut().zip(rest) {
        *s += x;
    }
    state[rest.len()] += Fr::ONE;
    permute(&mut state);
    state[0]
}

/// Rate-2 sponge (capacity 1): the hash of cells and sampler indices.
pub fn sponge_rate2(input: &[Fr]) -> Fr {
    sponge::<2>(input)
}

/// Rate-1 sponge (capacity 2).
pub fn sponge_rate1(input: &[Fr]) -> Fr {
    sponge::<1>(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_from_decimal;

    /// A literal transcription of the circom `PoseidonSponge` (pad first, then absorb).
    fn reference_sponge(rate: usize, input: &[Fr]) -> Fr {
        let mut padded = input.to_vec();
        padded.push(Fr::ONE);
        while !padded.len().is_multiple_of(rate) {
            padded.push(Fr::ZERO);
        }
        let mut s = [Fr::ZERO, Fr::ZERO, domain_separator(rate)];
        for block in padded.chunks(rate) {
            for i in 0..rate {
                s[i] += block[i];
            }
            permute(&mut s);
        }
        s[0]
    }

    #[test]
    fn empty_sequence_known_answers() {
        // From shared/fixtures/codex/README.md.
        let r2 = fr_from_decimal(
            "15335097698975718583905618186682475632756177170667436996250626760551196078076",
        )
        .unwrap();
        let r1 = fr_from_decimal(
            "11474111961551684932675539562074905375756669035986300321099733737886849683321",
        )
        .unwrap();
        assert_eq!(sponge_rate2(&[]), r2);
        assert_eq!(sponge_rate1(&[]), r1);
    }

    #[test]
    fn domain_separator_value() {
        assert_eq!(domain_separator(2), Fr::from((1u128 << 64) + 0x302));
    }

    #[test]
    fn matches_padded_reference_for_all_small_lengths() {
        let xs: Vec<Fr> = (1..=9u64).map(|i| Fr::from(i * 1_000_003)).collect();
        for n in 0..=xs.len() {
            assert_eq!(
                sponge_rate2(&xs[..n]),
                reference_sponge(2, &xs[..n]),
                "rate 2, n {n}"
            );
            assert_eq!(
                sponge_rate1(&xs[..n]),
                reference_sponge(1, &xs[..n]),
                "rate 1, n {n}"
            );
        }
    }

    #[test]
    fn padding_separates_lengths() {
        // [x] and [x, 1] would collide without the 10* padding's mandatory one.
        let x = Fr::from(42u64);
        assert_ne!(sponge_rate2(&[x]), sponge_rate2(&[x, Fr::ONE]));
        assert_ne!(sponge_rate2(&[x]), sponge_rate2(&[x, Fr::ZERO]));
        assert_ne!(sponge_rate1(&[x]), sponge_rate1(&[x, Fr::ZERO]));
    }
}
