//! Field-element conversions shared by every commitment: decimal strings (the format of
//! snarkjs and Codex JSON files) and Codex's bytes → field-element packing.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;

/// Bytes per field element when packing data: 31 bytes always fit below the BN254 modulus.
pub const BYTES_PER_ELEMENT: usize = 31;

/// Why a string is not a canonical BN254 scalar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The string is empty or has characters other than ASCII digits.
    #[error("not a decimal number: {0:?}")]
    NotDecimal(String),
    /// The number is not below the field modulus, so it is not a canonical element.
    #[error("value is not below the BN254 scalar-field modulus: {0}")]
    OutOfRange(String),
}

/// Parses a decimal string into a BN254 scalar, refusing anything non-canonical (≥ r).
pub fn fr_from_decimal(s: &str) -> Result<Fr, FieldError> {
    from_decimal(s)
}

/// Parses a decimal string into an element of any prime field, refusing values ≥ the modulus
/// (snarkjs files carry base-field coordinates as well as scalars).
pub fn from_decimal<F: PrimeField>(s: &str) -> Result<F, FieldError> {
    let n = parse_decimal(s)?;
    let modulus: BigUint = F::MODULUS.into();
    if n >= modulus {
        return Err(FieldError::OutOfRange(abbreviate(s)));
    }
    Ok(F::from(n))
}

/// Formats an element of any prime field as canonical decimal.
pub fn to_decimal<F: PrimeField>(x: &F) -> String {
    let n: BigUint = x.into_bigint().into();
    n.to_str_radix(10)
}

/// Parses a non-negative decimal integer of any size; the base of every JSON number parser.
pub fn parse_decimal(s: &str) -> Result<BigUint, FieldError> {
    if s.is_empty() || s.len() > 200 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::NotDecimal(abbreviate(s)));
    }
    BigUint::parse_bytes(s.as_bytes(), 10).ok_or_else(|| FieldError::NotDecimal(abbreviate(s)))
}

/// Formats a field element as its canonical decimal representation.
pub fn fr_to_decimal(x: &Fr) -> String {
    to_decimal(x)
}

/// Reads up to 31 little-endian bytes as an integer; always below the modulus.
pub fn fr_from_le_chunk(chunk: &[u8]) -> Fr {
    debug_assert!(chunk.len() <= BYTES_PER_ELEMENT);
    Fr::from_le_bytes_mod_order(chunk)
}

/// Codex's packing of bytes into field elements: append `0x01`, pad with `0x00` to a multiple
/// of 31 bytes, read each 31-byte chunk little-endian. A 2048-byte cell gives 67 elements.
pub fn bytes_to_elements(bytes: &[u8]) -> Vec<Fr> {
    let n = bytes.len() / BYTES_PER_ELEMENT + 1;
    let mut out = Vec::with_capacity(n);
    let mut chunks = bytes.chunks_exact(BYTES_PER_ELEMENT);
    for chunk in &mut chunks {
        out.push(fr_from_le_chunk(chunk));
    }
    let rest = chunks.remainder();
    let mut last = [0u8; BYTES_PER_ELEMENT];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] = 0x01;
    out.push(fr_from_le_chunk(&last));
    out
}

/// The low 64 bits of an element's canonical representation (for index extraction).
pub fn low_u64(x: &Fr) -> u64 {
    x.into_bigint().as_ref()[0]
}

/// The canonical 32-byte little-endian encoding, as Codex serializes roots.
pub fn fr_to_le_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

/// The element whose canonical 32-byte little-endian encoding is `bytes`; `None` when the
/// bytes encode a number `>= r` (so one element has exactly one encoding, as on the wire).
pub fn fr_from_canonical_le_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let x = Fr::from_le_bytes_mod_order(bytes);
    (fr_to_le_bytes(&x) == *bytes).then_some(x)
}

fn abbreviate(s: &str) -> String {
    if s.len() <= 90 {
        s.to_owned()
    } else {
        format!("{}…({} chars)", &s[..80], s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip_and_range() {
        let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        let r_minus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(
            fr_to_decimal(&fr_from_decimal(r_minus_1).unwrap()),
            r_minus_1
        );
        assert_eq!(fr_from_decimal("0").unwrap(), Fr::from(0u64));
        assert!(matches!(fr_from_decimal(r), Err(FieldError::OutOfRange(_))));
        for bad in ["", "-1", "1.5", "0x10", " 1", "1e3", "١"] {
            assert!(
                matches!(fr_from_decimal(bad), Err(FieldError::NotDecimal(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn canonical_le_bytes_round_trip_and_refuse_r() {
        let x = fr_from_decimal("123456789").unwrap();
        assert_eq!(fr_from_canonical_le_bytes(&fr_to_le_bytes(&x)), Some(x));
        let minus_one = Fr::from(0u64) - Fr::from(1u64);
        let top = fr_to_le_bytes(&minus_one);
        assert_eq!(fr_from_canonical_le_bytes(&top), Some(minus_one));
        // r itself and everything above it are not canonical.
        let mut r = top;
        r[0] += 1;
        assert_eq!(fr_from_canonical_le_bytes(&r), None);
        assert_eq!(fr_from_canonical_le_bytes(&[0xff; 32]), None);
    }

    #[test]
    fn packing_pads_ten_star() {
        // (bytes, expected element count): always one 0x01 byte, then zeros to a multiple of 31.
        for (len, count) in [
            (0, 1),
            (30, 1),
            (31, 2),
            (32, 2),
            (61, 2),
            (62, 3),
            (2048, 67),
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let elems = bytes_to_elements(&bytes);
            assert_eq!(elems.len(), count, "len {len}");
            // Rebuild the padded byte string from the elements and compare.
            let mut padded = bytes.clone();
            padded.push(1);
            padded.resize(count * 31, 0);
            for (i, e) in elems.iter().enumerate() {
                let le = fr_to_le_bytes(e);
                assert_eq!(
                    &le[..31],
                    &padded[i * 31..(i + 1) * 31],
                    "len {len} elem {i}"
                );
                assert_eq!(le[31], 0);
            }
        }
        // The empty input is exactly the element 1.
        assert_eq!(bytes_to_elements(&[]), vec![Fr::from(1u64)]);
        // 30 bytes of 0xff: 0x01 lands in byte 30 → 2^240 + (2^240 - 1).
        let e = bytes_to_elements(&[0xff; 30]);
        let expect = Fr::from(BigUint::from(1u8) << 241u32) - Fr::from(1u64);
        assert_eq!(e, vec![expect]);
    }
}
