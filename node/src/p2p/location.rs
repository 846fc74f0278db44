//! Where a provider can be reached: its peer id and addresses, signed with its provider key
//! and kept in the DHT under that key (`/proofmesh/2/provider/<key>`). Registry records name
//! provider keys, not peers; this record turns an assignment into a peer to fetch blocks from
//! (`proofmesh dataset get ROOT`). Of two records of one key the later `issued` wins (equal:
//! the smaller bytes), so every node keeps the same one.

use crate::keys::ProviderSigner;
use libp2p::{Multiaddr, PeerId};
use proofmesh_proto::{ProviderKey, ProviderSignature};

/// Most addresses one location lists.
pub const MAX_ADDRS: usize = 16;
/// Most bytes of a location record.
pub const MAX_LOCATION_BYTES: usize = 4096;
const KEY_PREFIX: &[u8] = b"/proofmesh/2/provider/";
const SIGN_TAG: &[u8] = b"proofmesh/v2/ProviderLocation/sign";

/// A provider's signed location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderLocation {
    /// The provider key (signs the provider's proofs and heartbeats, and this).
    pub provider: ProviderKey,
    /// Unix seconds it was made: the later one of a key wins.
    pub issued: u64,
    /// The provider node's peer id.
    pub peer: PeerId,
    /// Its listen addresses.
    pub addrs: Vec<Multiaddr>,
}

/// Why a location record was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Cut short, over a bound, or with a field that does not parse.
    #[error("malformed location record: {0}")]
    Malformed(&'static str),
    /// Not signed by the key it names.
    #[error("location record not signed by its provider key")]
    BadSignature,
    /// Filed under another provider's key.
    #[error("location record under another provider's key")]
    WrongKey,
}

/// The DHT key of `provider`'s location.
pub fn location_key(provider: &ProviderKey) -> Vec<u8> {
    let mut k = KEY_PREFIX.to_vec();
    k.extend_from_slice(&provider.0);
    k
}

/// The provider whose location `key` is, if it is a location key.
pub fn provider_of_key(key: &[u8]) -> Option<ProviderKey> {
    Some(ProviderKey(key.strip_prefix(KEY_PREFIX)?.try_into().ok()?))
}

impl ProviderLocation {
    /// The bytes signed: a tag, then every field.
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.provider.0);
        b.extend_from_slice(&self.issued.to_le_bytes());
        let peer = self.peer.to_bytes();
        b.push(peer.len() as u8);
        b.extend_from_slice(&peer);
        b.push(self.addrs.len() as u8);
        for a in &self.addrs {
            let a = a.to_vec();
            b.extend_from_slice(&(a.len() as u16).to_le_bytes());
            b.extend_from_slice(&a);
        }
        b
    }

    /// The record value: the body, then the provider's signature over tag ‖ body.
    pub fn sign(&self, signer: &ProviderSigner) -> Vec<u8> {
        let mut addrs = self.addrs.clone();
        addrs.truncate(MAX_ADDRS);
        let me = Self {
            addrs,
            ..self.clone()
        };
        let body = me.body();
        let mut msg = SIGN_TAG.to_vec();
        msg.extend_from_slice(&body);
        let mut out = body;
        out.extend_from_slice(&signer.sign(&msg).0);
        out
    }

    /// A record value back, its signature checked; `key` is the DHT key it was found under.
    pub fn verify(key: &[u8], bytes: &[u8]) -> Result<Self, LocationError> {
        if bytes.len() > MAX_LOCATION_BYTES || bytes.len() < 64 {
            return Err(LocationError::Malformed("size"));
        }
        let (body, sig) = bytes.split_at(bytes.len() - 64);
        let mut r = Reader(body);
        let provider = ProviderKey(r.array::<32>()?);
        let issued = u64::from_le_bytes(r.array::<8>()?);
        let n = usize::from(r.array::<1>()?[0]);
        let peer = PeerId::from_bytes(r.take(n)?).map_err(|_| LocationError::Malformed("peer"))?;
        let count = usize::from(r.array::<1>()?[0]);
        if count > MAX_ADDRS {
            return Err(LocationError::Malformed("addresses"));
        }
        let mut addrs = Vec::with_capacity(count);
        for _ in 0..count {
            let n = usize::from(u16::from_le_bytes(r.array::<2>()?));
            let a = Multiaddr::try_from(r.take(n)?.to_vec())
                .map_err(|_| LocationError::Malformed("address"))?;
            addrs.push(a);
        }
        if !r.0.is_empty() {
            return Err(LocationError::Malformed("trailing bytes"));
        }
        if provider_of_key(key) != Some(provider) {
            return Err(LocationError::WrongKey);
        }
        let mut msg = SIGN_TAG.to_vec();
        msg.extend_from_slice(body);
        let sig = ProviderSignature(
            sig.try_into()
                .map_err(|_| LocationError::Malformed("sig"))?,
        );
        if !crate::keys::provider_signature_ok(&provider, &msg, &sig) {
            return Err(LocationError::BadSignature);
        }
        Ok(Self {
            provider,
            issued,
            peer,
            addrs,
        })
    }
}

/// Which of two valid records of one key to keep: the later `issued`, else the smaller bytes.
pub fn newer<'a>(a: &'a [u8], a_issued: u64, b: &'a [u8], b_issued: u64) -> &'a [u8] {
    match a_issued.cmp(&b_issued) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal => a.min(b),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LocationError> {
        if self.0.len() < n {
            return Err(LocationError::Malformed("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LocationError> {
        self.take(N)?
            .try_into()
            .map_err(|_| LocationError::Malformed("truncated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(signer: &ProviderSigner) -> ProviderLocation {
        ProviderLocation {
            provider: signer.public(),
            issued: 1000,
            peer: PeerId::random(),
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".parse().unwrap()],
        }
    }

    #[test]
    fn signed_locations_verify_and_forged_or_misfiled_ones_do_not() {
        let signer = ProviderSigner::from_secret(&[4; 32]);
        let other = ProviderSigner::from_secret(&[5; 32]);
        let loc = location(&signer);
        let bytes = loc.sign(&signer);
        let key = location_key(&signer.public());
        assert_eq!(ProviderLocation::verify(&key, &bytes), Ok(loc.clone()));
        // Signed by another key than the one it names.
        assert_eq!(
            ProviderLocation::verify(&key, &loc.sign(&other)),
            Err(LocationError::BadSignature)
        );
        // Under another provider's key.
        assert_eq!(
            ProviderLocation::verify(&location_key(&other.public()), &bytes),
            Err(LocationError::WrongKey)
        );
        // Truncated anywhere.
        for cut in [0, 10, 40, bytes.len() - 1] {
            assert!(
                ProviderLocation::verify(&key, &bytes[..cut]).is_err(),
                "{cut}"
            );
        }
        let mut flipped = bytes.clone();
        flipped[33] ^= 1;
        assert_eq!(
            ProviderLocation::verify(&key, &flipped),
            Err(LocationError::BadSignature)
        );
    }

    #[test]
    fn the_later_record_wins_whatever_the_order() {
        assert_eq!(newer(b"a", 2, b"b", 1), b"a");
        assert_eq!(newer(b"a", 1, b"b", 2), b"b");
        assert_eq!(newer(b"b", 1, b"a", 1), newer(b"a", 1, b"b", 1));
    }
}
