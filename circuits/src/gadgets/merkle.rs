//! Codex's `RootFromMerklePath` as gadgets: the hashes along a path with keyed compressions,
//! the odd-node key bits computed from the bits of the leaf index and of the last index, and
//! the mask that picks the root at the tree's real depth out of a fixed `maxDepth` walk.
//! Native twin: `crate::merkle::reconstruct_root`.
//!
//! Costs per level: 240 (compression) + 1 (the left/right switch) + 1 (the root selection,
//! none at level 0) + 2 for a computed odd-node bit (1 at the top level). Callers that know
//! the keys from the tree's shape (the slot tree, whose size is a power of two) pass them as
//! constants or linear combinations and skip the odd-node logic entirely.

use super::{bits::is_zero, enforce_product, poseidon2::compress, BitVar, FrVar};
use crate::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_relations::gr1cs::SynthesisError;

/// The hashes along a path: `out[0] = leaf` and `out[i + 1]` = the compression at level `i`
/// of the node and `siblings[i]`, swapped when `bits[i]` is 1, with key `keys[i]`.
pub fn path_hashes(
    leaf: &FrVar,
    siblings: &[FrVar],
    bits: &[BitVar],
    keys: &[FrVar],
) -> Result<Vec<FrVar>, SynthesisError> {
    if bits.len() != siblings.len() || keys.len() != siblings.len() {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut out = Vec::with_capacity(siblings.len() + 1);
    out.push(leaf.clone());
    for ((sibling, bit), key) in siblings.iter().zip(bits).zip(keys) {
        let node = &out[out.len() - 1];
        // One product swaps the pair: (L + s, R - s) with s = (R - L)·bit.
        let swap = (sibling - node) * bit.fp();
        let h = compress(&(node + &swap), &(sibling - &swap), key)?;
        out.push(h);
    }
    Ok(out)
}

/// `hashes[1] + Σ_{i ≥ 1} mask[i-1]·(hashes[i+1] - hashes[i])`, except the last term.
fn partial_selection(
    hashes: &[FrVar],
    mask: &[BitVar],
) -> Result<(FrVar, Option<(BitVar, FrVar)>), SynthesisError> {
    if hashes.len() < 2 || mask.len() + 2 != hashes.len() {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut acc = hashes[1].clone();
    let mut last = None;
    for (i, m) in mask.iter().enumerate() {
        let step = &hashes[i + 2] - &hashes[i + 1];
        if let Some((m, step)) = last.replace((m.clone(), step)) {
            acc += step * m.fp();
        }
    }
    Ok((acc, last))
}

/// The root at the real depth: with Codex's mask bits `mask[i] = 1` for levels `i < depth`
/// (the entry for level 0 is implicitly 1 and the one for `maxDepth` 0, as circom's
/// `maskBitsCorrected`), `Σ (mask[i] - mask[i+1])·hashes[i+1]`, telescoped to one product per
/// level above the first. `mask` has `hashes.len() - 2` entries (levels 1..maxDepth).
pub fn select_root(hashes: &[FrVar], mask: &[BitVar]) -> Result<FrVar, SynthesisError> {
    let (acc, last) = partial_selection(hashes, mask)?;
    Ok(match last {
        Some((m, step)) => acc + step * m.fp(),
        None => acc,
    })
}

/// Enforces `select_root(hashes, mask) == expected`; the last product and the equality share
/// one constraint, so this costs the same as `select_root` alone.
pub fn enforce_root(
    hashes: &[FrVar],
    mask: &[BitVar],
    expected: &FrVar,
) -> Result<(), SynthesisError> {
    let (acc, last) = partial_selection(hashes, mask)?;
    match last {
        Some((m, step)) => enforce_product(m.fp(), &step, &(expected - &acc)),
        None => enforce_product(&acc, &FrVar::Constant(Fr::ONE), expected),
    }
}

/// Codex's odd-node bits: level `i` is odd iff its node is the last of its layer and has an
/// even index, i.e. `index >> (i+1) == last >> (i+1)` and bits `i` of both are 0. Computed as
/// `IsZero(4·((last - index) >> (i+1)) + index_i + last_i)`: the shifted difference is an
/// integer of absolute value below `2^depth`, so the sum is 0 exactly in that case. Bits must
/// be constrained (they are `BitVar`s); `2·depth - 1` constraints.
pub fn odd_node_bits(
    index_bits: &[BitVar],
    last_bits: &[BitVar],
) -> Result<Vec<BitVar>, SynthesisError> {
    let depth = index_bits.len();
    if last_bits.len() != depth || depth == 0 || depth > 64 {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut odd = vec![BitVar::constant(false); depth];
    // Top level: nothing above, so odd = (1 - index)(1 - last).
    odd[depth - 1] = index_bits[depth - 1]
        .not()
        .and(&last_bits[depth - 1].not())?;
    // diff = (last - index) >> (i + 1), built from the top down.
    let mut diff = FrVar::Constant(Fr::ZERO);
    for i in (0..depth - 1).rev() {
        diff = diff * Fr::from(2u64) + last_bits[i + 1].fp() - index_bits[i + 1].fp();
        let probe = &diff * Fr::from(4u64) + index_bits[i].fp() + last_bits[i].fp();
        odd[i] = is_zero(&probe)?;
    }
    Ok(odd)
}

/// The compression keys of a path: bit 0 = bottom layer (level 0 when `bottom`), bit 1 = the
/// odd-node bit; free linear combinations.
pub fn keys(bottom: bool, odd: &[BitVar]) -> Vec<FrVar> {
    odd.iter()
        .enumerate()
        .map(|(i, o)| o.fp() * Fr::from(2u64) + Fr::from(bottom && i == 0))
        .collect()
}

/// Codex's `RootFromMerklePath(maxDepth)` for a tree whose bottom layer is level 0: walks all
/// `maxDepth` levels and returns the root at the depth given by `mask` (see [`select_root`]).
pub fn root_from_merkle_path(
    leaf: &FrVar,
    siblings: &[FrVar],
    index_bits: &[BitVar],
    last_bits: &[BitVar],
    mask: &[BitVar],
) -> Result<FrVar, SynthesisError> {
    let odd = odd_node_bits(index_bits, last_bits)?;
    let hashes = path_hashes(leaf, siblings, index_bits, &keys(true, &odd))?;
    select_root(&hashes, mask)
}

/// Keys of a level that is never odd: 1 at the bottom layer, else 0.
pub(crate) fn even_key(bottom: bool) -> FrVar {
    FrVar::Constant(if bottom { Fr::ONE } else { Fr::ZERO })
}
