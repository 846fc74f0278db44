//! Identifiers: datasets, slots, periods, circuits and content ids.

use std::fmt;

/// Most slots a dataset may have: Codex's circuit has `maxLog2NSlots = 8`.
pub const MAX_SLOTS: u32 = 256;

/// The BN254 scalar-field modulus r, little-endian, for the canonical-root check.
const R_LE: [u8; 32] = [
    0x01, 0x00, 0x00, 0xf0, 0x93, 0xf5, 0xe1, 0x43, 0x91, 0x70, 0xb9, 0x79, 0x48, 0xe8, 0x33, 0x28,
    0x5d, 0x58, 0x81, 0x81, 0xb6, 0x45, 0x50, 0xb8, 0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30,
];

fn hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// A dataset's root: a BN254 scalar in canonical 32-byte little-endian form (as Codex
/// serializes roots). The public commitment every proof of the dataset is checked against.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DatasetRoot([u8; 32]);

/// Whether 32 little-endian bytes are a canonical BN254 scalar (`< r`).
fn canonical_scalar(bytes: &[u8; 32]) -> bool {
    // Compare as little-endian integers, most significant byte first.
    bytes.iter().rev().cmp(R_LE.iter().rev()) == std::cmp::Ordering::Less
}

impl DatasetRoot {
    /// Accepts only canonical encodings (`< r`), so one root has one byte string.
    pub fn from_le_bytes(bytes: [u8; 32]) -> Option<Self> {
        canonical_scalar(&bytes).then_some(Self(bytes))
    }

    /// The canonical little-endian bytes.
    pub fn to_le_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DatasetRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatasetRoot(")?;
        hex(&self.0, f)?;
        write!(f, ")")
    }
}

impl fmt::Display for DatasetRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(&self.0, f)
    }
}

/// A slot's root: the root of the Poseidon2 tree over the slot's block hashes (the slot padded
/// with zero blocks to a power of two, as Codex pads it), a BN254 scalar in canonical 32-byte
/// little-endian form. A dataset announcement lists every slot's root; the dataset root is the
/// tree over them (checked by the verifier crate, which owns Poseidon2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotRoot([u8; 32]);

impl SlotRoot {
    /// Accepts only canonical encodings (`< r`).
    pub fn from_le_bytes(bytes: [u8; 32]) -> Option<Self> {
        canonical_scalar(&bytes).then_some(Self(bytes))
    }

    /// The canonical little-endian bytes.
    pub fn to_le_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SlotRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlotRoot(")?;
        hex(&self.0, f)?;
        write!(f, ")")
    }
}

/// One slot of one dataset: what a proof, a duty and a verdict are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotId {
    /// The dataset.
    pub dataset: DatasetRoot,
    /// The slot's index in the dataset, `< MAX_SLOTS`.
    pub index: u16,
}

impl fmt::Display for SlotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.dataset, self.index)
    }
}

/// A proof period, counted from the network's genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Period(pub u64);

impl Period {
    /// The period after this one.
    pub fn next(self) -> Self {
        Period(self.0.saturating_add(1))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The id of a verifying key (SHA-256 of the tagged key, computed by the verifier crate):
/// a proof names the circuit it is for, and verifiers batch proofs by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CircuitId(pub [u8; 32]);

impl CircuitId {
    /// Lower-case hex, as logs, key headers and configuration files show it.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Debug for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CircuitId(")?;
        hex(&self.0, f)?;
        write!(f, ")")
    }
}

impl fmt::Display for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(&self.0, f)
    }
}

/// SHA-256 of a message's canonical encoding: gossip message ids, dedupe keys, references
/// between messages (a repair request names the certificate behind it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(pub [u8; 32]);

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId(")?;
        hex(&self.0, f)?;
        write!(f, ")")
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_roots_only() {
        assert!(DatasetRoot::from_le_bytes(R_LE).is_none());
        let mut below = R_LE;
        below[0] = 0;
        assert!(DatasetRoot::from_le_bytes(below).is_some());
        assert!(DatasetRoot::from_le_bytes([0xff; 32]).is_none());
        assert!(DatasetRoot::from_le_bytes([0; 32]).is_some());
        let mut above = R_LE;
        above[1] = 1;
        assert!(DatasetRoot::from_le_bytes(above).is_none());
        assert!(SlotRoot::from_le_bytes(R_LE).is_none());
        assert!(SlotRoot::from_le_bytes(below).is_some());
    }
}
