//! Which code Leopard-RS uses for a (K, M) pair, and the parameter checks Codex applies.
//!
//! Leopard chooses its field from K and M alone, and the three choices give different parity
//! bytes for the same data; Codex-compatible parity therefore needs the same choice, made
//! here once for the codec and the dataset layer.

use crate::error::{ErasureError, Result};

/// Most shards (K + M) in one Codex codeword.
pub const MAX_SHARDS: usize = 256;

/// The code Leopard-RS applies to a (K, M) pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// M = 1: the single parity shard is the XOR of the data shards.
    Xor,
    /// Reed-Solomon over GF(2^8): Leopard's 8-bit code, used while it fits the field.
    Gf8,
    /// Reed-Solomon over GF(2^16): Leopard's 16-bit code, for pairs GF(2^8) cannot hold.
    Gf16,
}

/// Leopard's field rule: M = 1 is XOR; otherwise GF(2^8) when
/// `nextPow2(nextPow2(M) + K) <= 256`, else GF(2^16).
///
/// Assumes Codex-legal parameters (see [`check_params`]); it does not validate them, so that
/// callers can ask about any pair.
pub fn field_for(k: usize, m: usize) -> Field {
    if m == 1 {
        Field::Xor
    } else if m
        .checked_next_power_of_two()
        .and_then(|p| p.checked_add(k))
        .and_then(usize::checked_next_power_of_two)
        .is_some_and(|n| n <= MAX_SHARDS)
    {
        Field::Gf8
    } else {
        Field::Gf16
    }
}

/// Checks that (K, M) is one of the 16,383 pairs Codex allows: K >= 2, 1 <= M <= K and
/// K + M <= 256; everything downstream relies on it.
pub fn check_params(k: usize, m: usize) -> Result<()> {
    if k < 2 {
        return Err(ErasureError::TooFewDataShards { k });
    }
    if m == 0 {
        return Err(ErasureError::NoParityShards);
    }
    if m > k {
        return Err(ErasureError::TooManyParityShards { k, m });
    }
    if k.saturating_add(m) > MAX_SHARDS {
        return Err(ErasureError::TooManyShards { k, m });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_counts_match_leopard() {
        // shared/fixtures/leopard/README.md: 254 XOR, 13,462 GF(2^8), 2,667 GF(2^16).
        let (mut xor, mut gf8, mut gf16) = (0, 0, 0);
        for k in 2..=255 {
            for m in 1..=k {
                if check_params(k, m).is_err() {
                    continue;
                }
                match field_for(k, m) {
                    Field::Xor => xor += 1,
                    Field::Gf8 => gf8 += 1,
                    Field::Gf16 => gf16 += 1,
                }
            }
        }
        assert_eq!((xor, gf8, gf16), (254, 13_462, 2_667));
    }
}
