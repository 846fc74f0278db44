//! Key files: a fixed header naming the circuit, then the key in arkworks' serialization.
//!
//! ```text
//! offset size
//!  0      6   magic b"PMKEY\x01" (format 1: points compressed)
//!                or b"PMKEY\x02" (format 2: points uncompressed)
//!  6      1   kind: 1 proving key, 2 verifying key
//!  7     20   CircuitParams as 5 × u32 LE: maxDepth, maxLog2NSlots, blockTreeDepth,
//!             nFieldElemsPerCell, nSamples
//! 27     32   circuit_id = circuit_id_of(verifying key) (SHA-256, see proofmesh-verifier)
//! 59      8   key length in bytes, u64 LE
//! 67     32   SHA-256 of the key bytes
//! 99      …   the key, `CanonicalSerialize::serialize_with_mode`, compressed or not
//! ```
//!
//! Proving keys are written in format 2 (uncompressed): twice the bytes, but loading needs no
//! square root per point, which made a 100-sample key take 46 s to load (snarkjs' `.zkey`
//! stores its points uncompressed for the same reason). Verifying keys stay in format 1.
//! Both formats are read for both kinds.
//!
//! Loading checks all of it: magic, kind, length (a truncated copy is named as such, before
//! any decoding), the digest (any corruption), that the header's circuit_id is the hash of
//! the verifying key inside (for a proving key, of its embedded verifying key) and — when
//! the caller says which circuit it needs — the parameters. Whether a proving key's sizes
//! fit the circuit of its header is checked by [`Prover::new`](super::Prover::new).
//!
//! Point validation: a verifying key is fully validated (on curve, prime-order subgroup); it
//! is what proofs are checked against. A proving key is decoded unchecked
//! (`Validate::No`) and only its embedded verifying key is validated:
//! validating every point costs ~3.3× the decoding (measured for `(8, 4, 5, 67, 2)`, 4.7 MB:
//! 4.9 s validated vs 1.5 s unchecked on 2 busy cores; it is dominated by the G2 subgroup
//! checks), longer than setup itself. Skipping it is safe: the digest rules out corruption, a
//! maliciously crafted proving key can only make its holder's proofs invalid, and
//! [`Prover::prove`](super::Prover::prove) verifies every proof before returning it.
//!
//! Decoding: the key bytes are read whole (their length is in the header), hashed, and the
//! proving key's point vectors are decoded in parallel on the rayon pool.

use crate::error::KeyError;
use ark_bn254::{Bn254, G1Affine};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use proofmesh_circuits::CircuitParams;
use proofmesh_verifier::{circuit_id_of, CircuitId};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first bytes of a format-1 key file (points compressed).
pub const MAGIC: [u8; 6] = *b"PMKEY\x01";
/// The first bytes of a format-2 key file (points uncompressed).
pub const MAGIC_UNCOMPRESSED: [u8; 6] = *b"PMKEY\x02";

/// How a key file encodes its points (its format version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEncoding {
    /// Format 1: half the size, a square root per point to load.
    Compressed,
    /// Format 2: loads at memory speed.
    Uncompressed,
}

impl KeyEncoding {
    fn magic(self) -> [u8; 6] {
        match self {
            KeyEncoding::Compressed => MAGIC,
            KeyEncoding::Uncompressed => MAGIC_UNCOMPRESSED,
        }
    }

    fn compress(self) -> Compress {
        match self {
            KeyEncoding::Compressed => Compress::Yes,
            KeyEncoding::Uncompressed => Compress::No,
        }
    }
}
/// Bytes before the serialized key.
pub const HEADER_LEN: usize = 6 + 1 + 20 + 32 + 8 + 32;

/// Which key a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The prover's key (large: grows with the constraint count).
    Proving,
    /// The verifier's key (small: grows with the public-input count).
    Verifying,
}

impl KeyKind {
    fn byte(self) -> u8 {
        match self {
            KeyKind::Proving => 1,
            KeyKind::Verifying => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            KeyKind::Proving => "proving",
            KeyKind::Verifying => "verifying",
        }
    }
}

/// The parsed header of a key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHeader {
    /// Which key follows.
    pub kind: KeyKind,
    /// How its points are encoded.
    pub encoding: KeyEncoding,
    /// The circuit the key is for.
    pub params: CircuitParams,
    /// `CircuitId::of` the verifying key.
    pub circuit_id: CircuitId,
    /// Length of the serialized key.
    pub key_len: u64,
    /// SHA-256 of the serialized key.
    pub key_digest: [u8; 32],
}

/// A key read from a file, with what its header says.
#[derive(Debug, Clone)]
pub struct KeyFile<K> {
    /// The file it came from.
    pub path: PathBuf,
    /// The circuit the key is for.
    pub params: CircuitParams,
    /// The verifying key's id (checked against the key).
    pub circuit_id: CircuitId,
    /// The key.
    pub key: K,
}

/// `(maxDepth, maxLog2NSlots, blockTreeDepth, nFieldElemsPerCell, nSamples)`, as errors and
/// the CLI show parameters.
pub fn params_text(p: &CircuitParams) -> String {
    format!(
        "({}, {}, {}, {}, {})",
        p.max_depth, p.max_log2_slots, p.block_tree_depth, p.field_elems_per_cell, p.n_samples
    )
}

fn params_words(p: &CircuitParams) -> [usize; 5] {
    [
        p.max_depth,
        p.max_log2_slots,
        p.block_tree_depth,
        p.field_elems_per_cell,
        p.n_samples,
    ]
}

impl KeyHeader {
    fn encode(&self) -> Result<[u8; HEADER_LEN], std::io::Error> {
        let mut h = [0u8; HEADER_LEN];
        h[..6].copy_from_slice(&self.encoding.magic());
        h[6] = self.kind.byte();
        for (i, w) in params_words(&self.params).into_iter().enumerate() {
            let w = u32::try_from(w).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "parameter above 2^32")
            })?;
            h[7 + 4 * i..11 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        h[27..59].copy_from_slice(&self.circuit_id.0);
        h[59..67].copy_from_slice(&self.key_len.to_le_bytes());
        h[67..99].copy_from_slice(&self.key_digest);
        Ok(h)
    }

    fn decode(path: &Path, h: &[u8; HEADER_LEN]) -> Result<Self, KeyError> {
        let encoding = if h[..6] == MAGIC {
            KeyEncoding::Compressed
        } else if h[..6] == MAGIC_UNCOMPRESSED {
            KeyEncoding::Uncompressed
        } else {
            return Err(KeyError::Magic {
                path: path.to_path_buf(),
            });
        };
        let kind = match h[6] {
            1 => KeyKind::Proving,
            2 => KeyKind::Verifying,
            _ => {
                return Err(KeyError::Magic {
                    path: path.to_path_buf(),
                })
            }
        };
        let word = |i: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&h[7 + 4 * i..11 + 4 * i]);
            u32::from_le_bytes(b) as usize
        };
        let mut id = [0u8; 32];
        id.copy_from_slice(&h[27..59]);
        let mut len = [0u8; 8];
        len.copy_from_slice(&h[59..67]);
        let mut key_digest = [0u8; 32];
        key_digest.copy_from_slice(&h[67..99]);
        Ok(Self {
            kind,
            encoding,
            params: CircuitParams {
                max_depth: word(0),
                max_log2_slots: word(1),
                block_tree_depth: word(2),
                field_elems_per_cell: word(3),
                n_samples: word(4),
            },
            circuit_id: CircuitId(id),
            key_len: u64::from_le_bytes(len),
            key_digest,
        })
    }
}

/// A reader or writer that hashes what passes through it.
struct Hashing<T> {
    inner: T,
    sha: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `key` with its header to `path`, through a temporary file renamed into place, so a
/// reader never sees half a key. Returns the circuit id written.
fn write_key<K: CanonicalSerialize>(
    path: &Path,
    kind: KeyKind,
    encoding: KeyEncoding,
    params: &CircuitParams,
    vk: &VerifyingKey<Bn254>,
    key: &K,
) -> Result<CircuitId, KeyError> {
    let circuit_id = circuit_id_of(vk);
    // First pass: the digest (serializing is cheap next to decoding: no sqrt).
    let mut digest = Hashing {
        inner: std::io::sink(),
        sha: Sha256::new(),
    };
    key.serialize_with_mode(&mut digest, encoding.compress())
        .map_err(|e| KeyError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
    let header = KeyHeader {
        kind,
        encoding,
        params: *params,
        circuit_id,
        key_len: key.serialized_size(encoding.compress()) as u64,
        key_digest: digest.sha.finalize().into(),
    };
    let tmp = path.with_extension("key.partial");
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp).map_err(io(path))?);
        w.write_all(&header.encode().map_err(io(path))?)
            .map_err(io(path))?;
        key.serialize_with_mode(&mut w, encoding.compress())
            .map_err(|e| KeyError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })?;
        w.into_inner()
            .map_err(|e| io(path)(e.into_error()))?
            .sync_all()
            .map_err(io(path))?;
        std::fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| circuit_id)
}

/// Writes a proving key file (its header's circuit id is that of the embedded verifying key).
pub fn write_proving_key(
    path: &Path,
    params: &CircuitParams,
    pk: &ProvingKey<Bn254>,
) -> Result<CircuitId, KeyError> {
    write_proving_key_as(path, params, pk, KeyEncoding::Uncompressed)
}

/// [`write_proving_key`] in a chosen format (format 1 halves the file for storage or
/// transfer; both load).
pub fn write_proving_key_as(
    path: &Path,
    params: &CircuitParams,
    pk: &ProvingKey<Bn254>,
    encoding: KeyEncoding,
) -> Result<CircuitId, KeyError> {
    write_key(path, KeyKind::Proving, encoding, params, &pk.vk, pk)
}

/// Writes a verifying key file.
pub fn write_verifying_key(
    path: &Path,
    params: &CircuitParams,
    vk: &VerifyingKey<Bn254>,
) -> Result<CircuitId, KeyError> {
    write_key(
        path,
        KeyKind::Verifying,
        KeyEncoding::Compressed,
        params,
        vk,
        vk,
    )
}

/// Reads and checks only the header of a key file (cheap: 67 bytes and the file size).
pub fn read_header(path: &Path) -> Result<KeyHeader, KeyError> {
    header_of(path, &mut File::open(path).map_err(io(path))?)
}

fn header_of(path: &Path, f: &mut File) -> Result<KeyHeader, KeyError> {
    let size = f.metadata().map_err(io(path))?.len();
    let mut h = [0u8; HEADER_LEN];
    if size < HEADER_LEN as u64 {
        return Err(KeyError::Magic {
            path: path.to_path_buf(),
        });
    }
    f.read_exact(&mut h).map_err(io(path))?;
    let header = KeyHeader::decode(path, &h)?;
    let got = size - HEADER_LEN as u64;
    if got != header.key_len {
        return Err(KeyError::Length {
            path: path.to_path_buf(),
            got,
            want: header.key_len,
        });
    }
    Ok(header)
}

fn read_key<K>(
    path: &Path,
    kind: KeyKind,
    want: Option<&CircuitParams>,
    decode_key: impl Fn(&mut &[u8], Compress) -> Result<K, SerializationError>,
    vk_of: impl Fn(&K) -> &VerifyingKey<Bn254>,
) -> Result<KeyFile<K>, KeyError> {
    let mut f = File::open(path).map_err(io(path))?;
    let header = header_of(path, &mut f)?;
    if header.kind != kind {
        return Err(KeyError::Kind {
            path: path.to_path_buf(),
            got: header.kind.name(),
            want: kind.name(),
        });
    }
    if let Some(want) = want.filter(|w| **w != header.params) {
        return Err(KeyError::Params {
            path: path.to_path_buf(),
            got: params_text(&header.params),
            want: params_text(want),
        });
    }
    let decode = |why: String| KeyError::Decode {
        path: path.to_path_buf(),
        why,
    };
    // The whole key in memory (its length is checked against the file size above), so the
    // points can be decoded in parallel.
    let len = usize::try_from(header.key_len).map_err(|_| decode("key too large".into()))?;
    let mut bytes = vec![0u8; len];
    f.read_exact(&mut bytes).map_err(io(path))?;
    if Sha256::digest(&bytes)[..] != header.key_digest {
        return Err(decode(
            "the key bytes do not match the header's SHA-256 (corrupted)".into(),
        ));
    }
    let mut rest = &bytes[..];
    let key =
        decode_key(&mut rest, header.encoding.compress()).map_err(|e| decode(e.to_string()))?;
    // Bytes the encoding did not use: a malformed file.
    if !rest.is_empty() {
        return Err(decode("bytes left after the key".into()));
    }
    vk_of(&key)
        .check()
        .map_err(|e| decode(format!("verifying key: {e}")))?;
    let actual = circuit_id_of(vk_of(&key));
    if actual != header.circuit_id {
        return Err(KeyError::CircuitId {
            path: path.to_path_buf(),
            header: header.circuit_id.to_hex(),
            actual: actual.to_hex(),
        });
    }
    Ok(KeyFile {
        path: path.to_path_buf(),
        params: header.params,
        circuit_id: header.circuit_id,
        key,
    })
}

/// `ProvingKey::deserialize_with_mode(.., Validate::No)`, with the five point vectors
/// decoded in parallel: decompressing a point takes a square root, and a key holds millions.
fn decode_proving_key(
    r: &mut &[u8],
    compress: Compress,
) -> Result<ProvingKey<Bn254>, SerializationError> {
    let vk = VerifyingKey::deserialize_with_mode(&mut *r, compress, Validate::No)?;
    let beta_g1 = G1Affine::deserialize_with_mode(&mut *r, compress, Validate::No)?;
    let delta_g1 = G1Affine::deserialize_with_mode(&mut *r, compress, Validate::No)?;
    Ok(ProvingKey {
        vk,
        beta_g1,
        delta_g1,
        a_query: par_points(r, compress)?,
        b_g1_query: par_points(r, compress)?,
        b_g2_query: par_points(r, compress)?,
        h_query: par_points(r, compress)?,
        l_query: par_points(r, compress)?,
    })
}

/// A `Vec<T>` as arkworks encodes it (u64 LE length, then the items), items decoded on the
/// rayon pool.
fn par_points<T: CanonicalDeserialize + CanonicalSerialize + Default + Send>(
    r: &mut &[u8],
    compress: Compress,
) -> Result<Vec<T>, SerializationError> {
    let n = u64::deserialize_compressed(&mut *r)?;
    let size = T::default().serialized_size(compress);
    let total = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(size))
        .filter(|&t| t <= r.len())
        .ok_or(SerializationError::InvalidData)?;
    let (body, rest) = r.split_at(total);
    let items = body
        .par_chunks(size)
        .map(|mut c| T::deserialize_with_mode(&mut c, compress, Validate::No))
        .collect::<Result<Vec<T>, _>>()?;
    *r = rest;
    Ok(items)
}

/// Reads a proving key file (its verifying key validated, the rest decoded unchecked: see
/// the module doc); `want` rejects keys for other circuits.
pub fn read_proving_key(
    path: &Path,
    want: Option<&CircuitParams>,
) -> Result<KeyFile<ProvingKey<Bn254>>, KeyError> {
    read_key(
        path,
        KeyKind::Proving,
        want,
        decode_proving_key,
        |pk: &ProvingKey<Bn254>| &pk.vk,
    )
}

/// Reads a verifying key file, validating every point; `want` rejects keys for other circuits.
pub fn read_verifying_key(
    path: &Path,
    want: Option<&CircuitParams>,
) -> Result<KeyFile<VerifyingKey<Bn254>>, KeyError> {
    read_key(
        path,
        KeyKind::Verifying,
        want,
        |r, compress| VerifyingKey::deserialize_with_mode(r, compress, Validate::Yes),
        |vk| vk,
    )
}

/// Checks that a proving key and a verifying key come from the same setup.
pub fn check_pair(
    pk: &KeyFile<ProvingKey<Bn254>>,
    vk: &KeyFile<VerifyingKey<Bn254>>,
) -> Result<(), KeyError> {
    if pk.circuit_id == vk.circuit_id && pk.params == vk.params {
        Ok(())
    } else {
        Err(KeyError::Mismatch {
            proving_path: pk.path.clone(),
            proving: format!("{} {}", pk.circuit_id, params_text(&pk.params)),
            verifying_path: vk.path.clone(),
            verifying: format!("{} {}", vk.circuit_id, params_text(&vk.params)),
        })
    }
}

/// Loads a key pair for proving: both headers are compared first (cheap: a pair from two
/// setups or for two circuits fails before the large proving key is decoded), then the
/// verifying key (validated) and the proving key are read, paired and fitted to the circuit.
/// `want` rejects keys for other parameters.
pub fn load_prover(
    proving: &Path,
    verifying: &Path,
    want: Option<&CircuitParams>,
) -> Result<super::Prover, crate::ProverError> {
    let (ph, vh) = (read_header(proving)?, read_header(verifying)?);
    for (path, h, kind) in [
        (proving, &ph, KeyKind::Proving),
        (verifying, &vh, KeyKind::Verifying),
    ] {
        if h.kind != kind {
            return Err(KeyError::Kind {
                path: path.to_path_buf(),
                got: h.kind.name(),
                want: kind.name(),
            }
            .into());
        }
    }
    if ph.circuit_id != vh.circuit_id || ph.params != vh.params {
        return Err(KeyError::Mismatch {
            proving_path: proving.to_path_buf(),
            proving: format!("{} {}", ph.circuit_id, params_text(&ph.params)),
            verifying_path: verifying.to_path_buf(),
            verifying: format!("{} {}", vh.circuit_id, params_text(&vh.params)),
        }
        .into());
    }
    let vk = read_verifying_key(verifying, want)?;
    let pk = read_proving_key(proving, want)?;
    check_pair(&pk, &vk)?;
    super::Prover::new(pk.params, pk.key, pk.path)
}
