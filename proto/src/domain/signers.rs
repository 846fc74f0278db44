//! A compact set of verifier indices: bit i of byte i/8 (least significant bit first) is
//! verifier i. Canonical: no trailing zero bytes.

use super::keys::VerifierIndex;

/// Which verifiers signed a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SignerBitfield(Vec<u8>);

impl SignerBitfield {
    /// Most verifiers a set may have (indices are `u16`, and certificates stay small).
    pub const MAX_VERIFIERS: usize = 4096;

    /// The empty set.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Accepts canonical bytes only (no trailing zero byte, within the size bound).
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let canonical = bytes.last() != Some(&0) && bytes.len() <= Self::MAX_VERIFIERS / 8;
        canonical.then_some(Self(bytes))
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Adds a verifier.
    pub fn insert(&mut self, v: VerifierIndex) {
        let (byte, bit) = (usize::from(v.0) / 8, v.0 % 8);
        if self.0.len() <= byte {
            self.0.resize(byte + 1, 0);
        }
        self.0[byte] |= 1 << bit;
    }

    /// Whether a verifier is in the set.
    pub fn contains(&self, v: VerifierIndex) -> bool {
        let (byte, bit) = (usize::from(v.0) / 8, v.0 % 8);
        self.0.get(byte).is_some_and(|b| b & (1 << bit) != 0)
    }

    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = VerifierIndex> + '_ {
        self.0.iter().enumerate().flat_map(|(i, b)| {
            (0..8u16)
                .filter(move |bit| b & (1 << bit) != 0)
                .map(move |bit| VerifierIndex(i as u16 * 8 + bit))
        })
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<VerifierIndex> for SignerBitfield {
    fn from_iter<I: IntoIterator<Item = VerifierIndex>>(iter: I) -> Self {
        let mut s = Self::new();
        for v in iter {
            s.insert(v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_canonical_bytes() {
        let s: SignerBitfield = [0u16, 3, 9, 17].into_iter().map(VerifierIndex).collect();
        assert_eq!(s.as_bytes(), &[0b1001, 0b10, 0b10]);
        assert_eq!(s.iter().map(|v| v.0).collect::<Vec<_>>(), vec![0, 3, 9, 17]);
        assert_eq!(s.len(), 4);
        assert!(
            s.contains(VerifierIndex(9))
                && !s.contains(VerifierIndex(8))
                && !s.contains(VerifierIndex(100))
        );
        assert_eq!(SignerBitfield::from_bytes(vec![1, 0]), None);
        assert_eq!(
            SignerBitfield::from_bytes(vec![1, 2]).map(|s| s.len()),
            Some(2)
        );
    }
}
