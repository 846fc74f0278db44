//! Keys and signatures as fixed-size byte strings. Their cryptographic validity (a point on
//! the curve, a signature that verifies) is checked by the verifier crate, which owns the
//! cryptography; here they only have the right length.

/// A storage provider's (or dataset owner's) Ed25519 public key: signs announcements, slot
/// claims and proof envelopes, so a proof cannot be replayed under another provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderKey(pub [u8; 32]);

/// An Ed25519 signature by a [`ProviderKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProviderSignature(pub [u8; 64]);

/// A verifier's position in the verifier set in force for a period; attestations name their
/// signer by index so certificates can carry a compact signer bitfield.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerifierIndex(pub u16);

/// A verifier's BLS12-381 public key (min_pk: compressed G1, 48 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlsPublicKey(pub [u8; 48]);

/// A BLS12-381 signature (compressed G2, 96 bytes), single or aggregated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlsSignature(pub [u8; 96]);
