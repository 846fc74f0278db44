//! One Reed-Solomon codeword: K data shards and M parity shards of equal length, coded exactly
//! as Leopard-RS (and so nim-codex) codes them.
//!
//! No single Rust crate matches Leopard on every Codex pair, so each field goes to the code
//! that does (checked against every pair in `shared/fixtures/leopard`): XOR here,
//! GF(2^8) to `leopard-codec`, GF(2^16) to `reed-solomon-simd`'s high-rate codec (its
//! default rate picks a different, incompatible code for some pairs).
//!
//! Leopard codes each 64-byte unit of a shard independently of the others, so a codeword of
//! shards that are concatenations of blocks is the concatenation of the blocks' codewords;
//! the dataset layer relies on this to code many columns in one call.

use crate::error::{ErasureError, Result};
use crate::field::{check_params, field_for, Field};
use reed_solomon_simd::engine::DefaultEngine;
use reed_solomon_simd::rate::{HighRateDecoder, HighRateEncoder, RateDecoder, RateEncoder};

/// Leopard's processing unit: every shard is a positive multiple of it.
pub const SHARD_ALIGN: usize = 64;

/// Computes the M parity shards of K data shards (`data.len()` = K), as Leopard does.
///
/// Returns them in order; shard K + j of the codeword is `parity[j]`.
pub fn encode(data: &[&[u8]], parity_count: usize) -> Result<Vec<Vec<u8>>> {
    let k = data.len();
    check_params(k, parity_count)?;
    let Some(len) = common_len(data.iter().map(|d| Some(d.len())))? else {
        return Err(ErasureError::TooFewDataShards { k });
    };
    let mut parity = vec![vec![0u8; len]; parity_count];
    match field_for(k, parity_count) {
        Field::Xor => xor_into(&mut parity[0], data),
        Field::Gf8 => {
            let mut shards: Vec<Vec<u8>> = data.iter().map(|d| d.to_vec()).collect();
            shards.append(&mut parity);
            leopard_codec::encode(&mut shards, k).map_err(ErasureError::Gf8)?;
            parity = shards.split_off(k);
        }
        Field::Gf16 => gf16_encode_into(data, &mut parity, len)?,
    }
    Ok(parity)
}

/// Fills in every missing (`None`) shard of a codeword of K + M shards, data and parity, from
/// any K present ones.
///
/// A shard that is present is trusted: erasure decoding cannot tell a corrupted shard from a
/// good one, so check shards against their hashes or roots before calling this. On error the
/// present shards are left as they were.
pub fn reconstruct(shards: &mut [Option<Vec<u8>>], k: usize, m: usize) -> Result<()> {
    reconstruct_inner(shards, k, m, true)
}

/// [`reconstruct`], optionally leaving missing parity shards missing (decoding needs only the
/// data). GF(2^8) and XOR restore everything anyway; GF(2^16) then skips re-encoding.
pub(crate) fn reconstruct_inner(
    shards: &mut [Option<Vec<u8>>],
    k: usize,
    m: usize,
    with_parity: bool,
) -> Result<()> {
    check_params(k, m)?;
    if shards.len() != k + m {
        return Err(ErasureError::WrongShardCount {
            expected: k + m,
            got: shards.len(),
        });
    }
    let present = shards.iter().filter(|s| s.is_some()).count();
    let Some(len) = common_len(shards.iter().map(|s| s.as_ref().map(Vec::len)))? else {
        return Err(ErasureError::TooFewShards { present, needed: k });
    };
    if present == k + m {
        return Ok(());
    }
    if present < k {
        return Err(ErasureError::TooFewShards { present, needed: k });
    }
    if shards[..k].iter().all(Option::is_some) {
        // Only parity is missing: encoding is cheaper than decoding, and a decode needs
        // nothing at all.
        return if with_parity {
            encode_missing_parity(shards, k)
        } else {
            Ok(())
        };
    }
    match field_for(k, m) {
        Field::Xor => {
            // Data and parity XOR to zero, so the one missing shard is the XOR of the rest.
            let mut out = vec![0u8; len];
            xor_into(&mut out, shards.iter().flatten());
            if let Some(slot) = shards.iter_mut().find(|s| s.is_none()) {
                *slot = Some(out);
            }
        }
        Field::Gf8 => {
            let missing: Vec<bool> = shards.iter().map(Option::is_none).collect();
            let mut work: Vec<Vec<u8>> = shards
                .iter_mut()
                .map(|s| s.take().unwrap_or_default())
                .collect();
            let result = leopard_codec::reconstruct(&mut work, k);
            for ((slot, shard), was_missing) in shards.iter_mut().zip(work).zip(missing) {
                if result.is_ok() || !was_missing {
                    *slot = Some(shard);
                }
            }
            result.map_err(ErasureError::Gf8)?;
        }
        Field::Gf16 => {
            gf16_restore_data(shards, k, m, len)?;
            if with_parity && shards[k..].iter().any(Option::is_none) {
                let mut parity = vec![vec![0u8; len]; m];
                let data: Vec<&[u8]> = shards[..k].iter().flatten().map(Vec::as_slice).collect();
                gf16_encode_into(&data, &mut parity, len)?;
                for (slot, p) in shards[k..].iter_mut().zip(parity) {
                    if slot.is_none() {
                        *slot = Some(p);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Re-encodes the missing parity shards of a codeword whose data shards are all present,
/// moving the buffers rather than copying them.
fn encode_missing_parity(shards: &mut [Option<Vec<u8>>], k: usize) -> Result<()> {
    let len = shards.iter().flatten().map(Vec::len).next().unwrap_or(0);
    let missing: Vec<bool> = shards.iter().map(Option::is_none).collect();
    let mut work: Vec<Vec<u8>> = shards
        .iter_mut()
        .map(|s| s.take().unwrap_or_else(|| vec![0u8; len]))
        .collect();
    let result = encode_in_place(&mut work, k);
    for ((slot, shard), was_missing) in shards.iter_mut().zip(work).zip(missing) {
        if result.is_ok() || !was_missing {
            *slot = Some(shard);
        }
    }
    result
}

/// Fills the parity shards `shards[k..]` from the data shards `shards[..k]` in place, with no
/// copies for XOR and GF(2^8): the dataset layer's path, where the buffers are reused per
/// batch. Lengths must already be checked equal and aligned.
pub(crate) fn encode_in_place(shards: &mut [Vec<u8>], k: usize) -> Result<()> {
    let m = shards.len().saturating_sub(k);
    check_params(k, m)?;
    let len = shards.first().map_or(0, Vec::len);
    match field_for(k, m) {
        Field::Xor => {
            let (data, parity) = shards.split_at_mut(k);
            parity[0].fill(0);
            xor_into(&mut parity[0], data.iter());
        }
        Field::Gf8 => leopard_codec::encode(shards, k).map_err(ErasureError::Gf8)?,
        Field::Gf16 => {
            let (data, parity) = shards.split_at_mut(k);
            gf16_encode_into(data, parity, len)?;
        }
    }
    Ok(())
}

/// The length shared by the present shards, after checking each is a positive multiple of
/// 64 bytes and all are equal; `None` when no shard is present.
fn common_len(lens: impl Iterator<Item = Option<usize>>) -> Result<Option<usize>> {
    let mut expected = None;
    for (index, len) in lens.enumerate() {
        let Some(len) = len else { continue };
        if len == 0 || len % SHARD_ALIGN != 0 {
            return Err(ErasureError::BadShardSize { index, len });
        }
        match expected {
            None => expected = Some(len),
            Some(e) if e != len => {
                return Err(ErasureError::UnequalShardSizes {
                    index,
                    len,
                    expected: e,
                })
            }
            Some(_) => {}
        }
    }
    Ok(expected)
}

/// `out ^= s` for every shard `s`.
fn xor_into<T: AsRef<[u8]>>(out: &mut [u8], shards: impl IntoIterator<Item = T>) {
    for s in shards {
        for (o, b) in out.iter_mut().zip(s.as_ref()) {
            *o ^= b;
        }
    }
}

/// GF(2^16) parity of `data` into `parity` (each `len` bytes).
fn gf16_encode_into<T: AsRef<[u8]>>(data: &[T], parity: &mut [Vec<u8>], len: usize) -> Result<()> {
    let mut encoder =
        HighRateEncoder::new(data.len(), parity.len(), len, DefaultEngine::new(), None)
            .map_err(ErasureError::Gf16)?;
    for d in data {
        encoder
            .add_original_shard(d.as_ref())
            .map_err(ErasureError::Gf16)?;
    }
    let result = encoder.encode().map_err(ErasureError::Gf16)?;
    for (p, r) in parity.iter_mut().zip(result.recovery_iter()) {
        p.copy_from_slice(r);
    }
    Ok(())
}

/// Restores the missing data shards of a GF(2^16) codeword from its present shards.
fn gf16_restore_data(shards: &mut [Option<Vec<u8>>], k: usize, m: usize, len: usize) -> Result<()> {
    let mut decoder =
        HighRateDecoder::new(k, m, len, DefaultEngine::new(), None).map_err(ErasureError::Gf16)?;
    for (i, s) in shards.iter().enumerate() {
        let Some(s) = s else { continue };
        if i < k {
            decoder.add_original_shard(i, s)
        } else {
            decoder.add_recovery_shard(i - k, s)
        }
        .map_err(ErasureError::Gf16)?;
    }
    let result = decoder.decode().map_err(ErasureError::Gf16)?;
    for (i, restored) in result.restored_original_iter() {
        if let Some(slot) = shards.get_mut(i) {
            *slot = Some(restored.to_vec());
        }
    }
    Ok(())
}
