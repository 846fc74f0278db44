//! Key files and the verifier set file.
//!
//! A key file holds one 32-byte secret as 64 hex digits (and a newline), written with mode
//! 0600. The same format serves the libp2p identity (Ed25519), the provider key (Ed25519,
//! signs proof envelopes), the dataset owner's key (Ed25519, signs announcements and slot
//! assignments) and the verifier key (the seed of the BLS attestation key). The verifier set file is TOML: `effective_from` and `[[members]]` with
//! `key` (96 hex digits, compressed BLS12-381 G1) and `weight`.

use ed25519_dalek::{Signer, SigningKey};
use proofmesh_proto::{
    BlsPublicKey, Period, ProviderKey, ProviderSignature, VerifierMember, VerifierSet,
};
use proofmesh_verifier::VerifierKeypair;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a key or verifier-set file was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file cannot be read or written (the I/O error follows as the cause).
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not what the file should hold.
    #[error("{path}: {why}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// Reads a 32-byte secret written by [`write_secret`].
pub fn read_secret(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bytes = hex::decode(text.trim()).map_err(|e| KeyFileError::Malformed {
        path: path.to_path_buf(),
        why: format!("not hex: {e}"),
    })?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| KeyFileError::Malformed {
            path: path.to_path_buf(),
            why: format!("{} bytes, expected 32 (64 hex digits)", b.len()),
        })
}

/// Writes a 32-byte secret as hex, readable by its owner only.
pub fn write_secret(path: &Path, secret: &[u8; 32]) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(path, format!("{}\n", hex::encode(secret))).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

/// The libp2p identity stored in `path`.
pub fn identity(path: &Path) -> Result<libp2p::identity::Keypair, KeyFileError> {
    let secret = read_secret(path)?;
    libp2p::identity::Keypair::ed25519_from_bytes(secret).map_err(|e| KeyFileError::Malformed {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}

/// The BLS attestation key derived from the seed in `path`.
pub fn verifier_keypair(path: &Path) -> Result<VerifierKeypair, KeyFileError> {
    let seed = read_secret(path)?;
    VerifierKeypair::from_seed(&seed).map_err(|e| KeyFileError::Malformed {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}

/// An Ed25519 signing key: a provider's (proof envelopes) or a dataset owner's (announcements
/// and slot assignments).
pub struct ProviderSigner(SigningKey);

impl ProviderSigner {
    /// The key stored in `path`.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        Ok(Self::from_secret(&read_secret(path)?))
    }

    /// The key of a 32-byte secret.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// The public key verifiers check signatures with.
    pub fn public(&self) -> ProviderKey {
        ProviderKey(self.0.verifying_key().to_bytes())
    }

    /// Signs a message's signing bytes.
    pub fn sign(&self, signing_bytes: &[u8]) -> ProviderSignature {
        ProviderSignature(self.0.sign(signing_bytes).to_bytes())
    }
}

/// Whether `sig` is `key`'s Ed25519 signature over `msg` (strict: no malleable signatures or
/// small-order keys), for records a provider signs outside the protocol's messages.
pub fn provider_signature_ok(key: &ProviderKey, msg: &[u8], sig: &ProviderSignature) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(&key.0).is_ok_and(|k| {
        k.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig.0))
            .is_ok()
    })
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    effective_from: u64,
    members: Vec<MemberFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    key: String,
    weight: u64,
}

/// Reads a verifier set file; every key must be a valid BLS public key and every weight > 0.
pub fn read_verifier_set(path: &Path) -> Result<VerifierSet, KeyFileError> {
    let bad = |why: String| KeyFileError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: SetFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if file.members.is_empty() || file.members.len() > usize::from(u16::MAX) {
        return Err(bad(format!("{} members", file.members.len())));
    }
    let mut members = Vec::with_capacity(file.members.len());
    for (i, m) in file.members.iter().enumerate() {
        let key: [u8; 48] = hex::decode(&m.key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("member {i}: key is not 96 hex digits")))?;
        let index = proofmesh_proto::VerifierIndex(i as u16);
        proofmesh_verifier::attest::VerifierPublicKey::parse(&BlsPublicKey(key), index)
            .map_err(|e| bad(format!("member {i}: {e}")))?;
        if m.weight == 0 {
            return Err(bad(format!("member {i}: weight must be > 0")));
        }
        members.push(VerifierMember {
            key: BlsPublicKey(key),
            weight: m.weight,
        });
    }
    Ok(VerifierSet {
        effective_from: Period(file.effective_from),
        members,
    })
}

/// Writes a verifier set file.
pub fn write_verifier_set(path: &Path, set: &VerifierSet) -> Result<(), KeyFileError> {
    let file = SetFile {
        effective_from: set.effective_from.0,
        members: set
            .members
            .iter()
            .map(|m| MemberFile {
                key: hex::encode(m.key.0),
                weight: m.weight,
            })
            .collect(),
    };
    let text = toml::to_string(&file).map_err(|e| KeyFileError::Malformed {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}
