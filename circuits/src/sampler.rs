//! Which cells a proof must open: `idx_j` = the low `log2(nCells)` bits of
//! `Sponge2(entropy, slotRoot, j)` for `j = 1..=nSamples`, drawn with replacement. Prover and
//! verifier derive the same indices, so the prover cannot choose what to show.

use crate::field::low_u64;
use crate::sponge::sponge_rate2;
use ark_bn254::Fr;

/// Why cells cannot be sampled from a slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplerError {
    /// Codex slots always have a power-of-two number of cells (padded with zero blocks).
    #[error("a slot must have a power-of-two number of cells, got {0}")]
    CellsNotPowerOfTwo(u64),
}

/// The index of the `counter`-th sampled cell (counters start at 1, as in Codex).
pub fn cell_index(
    entropy: Fr,
    slot_root: Fr,
    counter: u64,
    n_cells: u64,
) -> Result<u64, SamplerError> {
    if !n_cells.is_power_of_two() {
        return Err(SamplerError::CellsNotPowerOfTwo(n_cells));
    }
    let h = sponge_rate2(&[entropy, slot_root, Fr::from(counter)]);
    Ok(low_u64(&h) & (n_cells - 1))
}

/// The `n_samples` cell indices a proof for this entropy and slot must open, in order.
pub fn sample_indices(
    entropy: Fr,
    slot_root: Fr,
    n_cells: u64,
    n_samples: usize,
) -> Result<Vec<u64>, SamplerError> {
    (1..=n_samples as u64)
        .map(|j| cell_index(entropy, slot_root, j, n_cells))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_from_decimal;

    #[test]
    fn codex_fixture_indices() {
        // shared/fixtures/codex/README.md: entropy 1234567, this slot root, 512 cells.
        let root = fr_from_decimal(
            "20744935707483803411869804102043283881376973626291244537230284476834672019997",
        )
        .unwrap();
        let idx = sample_indices(Fr::from(1234567u64), root, 512, 5).unwrap();
        assert_eq!(idx, vec![287, 21, 307, 157, 508]);
    }

    #[test]
    fn rejects_non_power_of_two() {
        assert_eq!(
            cell_index(Fr::from(1u64), Fr::from(2u64), 1, 500),
            Err(SamplerError::CellsNotPowerOfTwo(500))
        );
        assert!(cell_index(Fr::from(1u64), Fr::from(2u64), 1, 0).is_err());
    }

    #[test]
    fn indices_stay_in_range_and_depend_on_inputs() {
        let a = sample_indices(Fr::from(1u64), Fr::from(2u64), 64, 50).unwrap();
        assert!(a.iter().all(|&i| i < 64));
        let b = sample_indices(Fr::from(3u64), Fr::from(2u64), 64, 50).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            sample_indices(Fr::from(1u64), Fr::from(2u64), 1, 3).unwrap(),
            vec![0, 0, 0]
        );
    }
}
