//! Block transfer over request/response (`/proofmesh/blocks/1`): a peer asks a holder for a
//! run of 64 KiB blocks of one slot; the holder answers with the blocks, each with its path up
//! the slot tree, or with a typed refusal. The requester checks every block against the slot
//! root (`proofmesh_circuits::block::verify_block`) before it uses a byte of it.
//!
//! Framing, big-endian and protobuf-free, every length fixed or bounded by a constant here:
//! - request, exactly [`REQUEST_BYTES`]: dataset root (32 bytes, canonical little-endian), slot
//!   index `u16`, first block `u64`, block count `u32` (1 to [`MAX_BLOCKS_PER_REQUEST`]);
//! - response: a tag byte, then
//!   - `0` blocks: first block `u64`, count `u32` (1 to [`MAX_BLOCKS_PER_REQUEST`]), path length
//!     `u8` (1 to [`MAX_PATH_LEN`]), then per block its 65,536 bytes and its path (canonical
//!     32-byte little-endian field elements, bottom sibling first);
//!   - `1` not held; `2` out of range, then the slot's stored block count `u64`; `3` busy, then
//!     a retry hint in ms `u32`; `4` unavailable (the holder could not read its copy).
//!
//! A response is at most [`MAX_RESPONSE_BYTES`] (≈ 1.03 MiB). Reading checks every count
//! against its cap *before* allocating, so a peer cannot make us buffer more than one
//! response; anything else (unknown tag, zero or too many blocks, a non-canonical root or
//! sibling) is a protocol violation: the stream fails with `InvalidData`.

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use proofmesh_circuits::field::{fr_from_canonical_le_bytes, fr_to_le_bytes};
use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_circuits::Fr;
use proofmesh_proto::DatasetRoot;
use std::io;

/// The protocol name.
pub(crate) const PROTOCOL: StreamProtocol = StreamProtocol::new("/proofmesh/blocks/1");
/// Most blocks one request may ask for (1 MiB of block data).
pub const MAX_BLOCKS_PER_REQUEST: u32 = 16;
/// Longest block path on the wire: slot trees of up to 2^48 blocks (16 EiB).
pub const MAX_PATH_LEN: usize = 48;
/// Bytes of a request.
pub(crate) const REQUEST_BYTES: usize = 32 + 2 + 8 + 4;
/// Most bytes of a response: tag, header, and the most blocks with the longest paths.
pub const MAX_RESPONSE_BYTES: usize =
    1 + 8 + 4 + 1 + MAX_BLOCKS_PER_REQUEST as usize * (BLOCK_SIZE + MAX_PATH_LEN * 32);

const TAG_BLOCKS: u8 = 0;
const TAG_NOT_HELD: u8 = 1;
const TAG_OUT_OF_RANGE: u8 = 2;
const TAG_BUSY: u8 = 3;
const TAG_UNAVAILABLE: u8 = 4;

/// "Send me blocks `first .. first + count` of slot `slot` of dataset `dataset`."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRequest {
    /// The dataset.
    pub dataset: DatasetRoot,
    /// The slot's index in the dataset.
    pub slot: u16,
    /// The first block wanted.
    pub first: u64,
    /// How many consecutive blocks (1 to [`MAX_BLOCKS_PER_REQUEST`]).
    pub count: u32,
}

/// One served block: its bytes and its path up the slot tree (unverified until the receiver
/// checks it against the slot root).
#[derive(Clone, PartialEq, Eq)]
pub struct ServedBlock {
    /// The block's 64 KiB.
    pub data: Vec<u8>,
    /// Its siblings up the slot tree, bottom first.
    pub path: Vec<Fr>,
}

impl std::fmt::Debug for ServedBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedBlock")
            .field("len", &self.data.len())
            .field("path_len", &self.path.len())
            .finish()
    }
}

/// Why a holder did not serve a request. None of these is the requester's fault, nor (by
/// itself) the holder's: a requester tries another holder, or the same one later when `Busy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockRefusal {
    /// The peer does not hold this slot of this dataset.
    NotHeld,
    /// The range is not within the slot's stored blocks (pad blocks are never served).
    OutOfRange {
        /// The slot's stored blocks, as the holder has them.
        stored: u64,
    },
    /// The holder's per-peer or total limits are reached: ask again after the hint.
    Busy {
        /// Suggested wait before asking this holder again, in ms.
        retry_after_ms: u32,
    },
    /// The holder could not read its copy of the slot (a local fault on its side).
    Unavailable,
}

impl BlockRefusal {
    /// The `outcome` label of `proofmesh_blocks_served_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotHeld => "not_held",
            Self::OutOfRange { .. } => "out_of_range",
            Self::Busy { .. } => "busy",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The answer to a [`BlockRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockResponse {
    /// Blocks `first .. first + blocks.len()`, each with its path.
    Blocks {
        /// Index of the first block.
        first: u64,
        /// The blocks, in order.
        blocks: Vec<ServedBlock>,
    },
    /// A typed refusal.
    Refused(BlockRefusal),
}

impl BlockResponse {
    /// Bytes of block data in the response (0 for a refusal).
    pub fn block_bytes(&self) -> u64 {
        match self {
            Self::Blocks { blocks, .. } => blocks.iter().map(|b| b.data.len() as u64).sum(),
            Self::Refused(_) => 0,
        }
    }
}

/// The request/response codec of the block protocol.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BlockCodec;

fn invalid(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

fn be_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}

fn check_count(count: u32) -> io::Result<usize> {
    if count == 0 || count > MAX_BLOCKS_PER_REQUEST {
        return Err(invalid("block count outside 1..=MAX_BLOCKS_PER_REQUEST"));
    }
    Ok(count as usize)
}

impl BlockRequest {
    /// The request's bytes.
    pub(crate) fn encode(&self) -> [u8; REQUEST_BYTES] {
        let mut out = [0u8; REQUEST_BYTES];
        out[..32].copy_from_slice(self.dataset.as_bytes());
        out[32..34].copy_from_slice(&self.slot.to_be_bytes());
        out[34..42].copy_from_slice(&self.first.to_be_bytes());
        out[42..46].copy_from_slice(&self.count.to_be_bytes());
        out
    }

    /// Decodes a request; `InvalidData` for a non-canonical root or a count out of bounds.
    pub(crate) fn decode(b: &[u8; REQUEST_BYTES]) -> io::Result<Self> {
        let mut root = [0u8; 32];
        root.copy_from_slice(&b[..32]);
        let dataset = DatasetRoot::from_le_bytes(root)
            .ok_or_else(|| invalid("non-canonical dataset root"))?;
        let count = be_u32(&b[42..46]);
        check_count(count)?;
        Ok(Self {
            dataset,
            slot: u16::from_be_bytes([b[32], b[33]]),
            first: be_u64(&b[34..42]),
            count,
        })
    }
}

async fn read_response<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<BlockResponse> {
    let mut tag = [0u8; 1];
    io.read_exact(&mut tag).await?;
    let refused = |r| Ok(BlockResponse::Refused(r));
    match tag[0] {
        TAG_BLOCKS => {}
        TAG_NOT_HELD => return refused(BlockRefusal::NotHeld),
        TAG_OUT_OF_RANGE => {
            let mut b = [0u8; 8];
            io.read_exact(&mut b).await?;
            return refused(BlockRefusal::OutOfRange {
                stored: u64::from_be_bytes(b),
            });
        }
        TAG_BUSY => {
            let mut b = [0u8; 4];
            io.read_exact(&mut b).await?;
            return refused(BlockRefusal::Busy {
                retry_after_ms: u32::from_be_bytes(b),
            });
        }
        TAG_UNAVAILABLE => return refused(BlockRefusal::Unavailable),
        _ => return Err(invalid("unknown block response tag")),
    }
    let mut header = [0u8; 13];
    io.read_exact(&mut header).await?;
    let first = be_u64(&header[..8]);
    let count = check_count(be_u32(&header[8..12]))?;
    let path_len = usize::from(header[12]);
    if path_len == 0 || path_len > MAX_PATH_LEN {
        return Err(invalid("block path length outside 1..=MAX_PATH_LEN"));
    }
    // Both bounded by the checks above: at most one response's worth.
    let mut blocks = Vec::with_capacity(count);
    let mut sibling = vec![0u8; path_len * 32];
    for _ in 0..count {
        let mut data = vec![0u8; BLOCK_SIZE];
        io.read_exact(&mut data).await?;
        io.read_exact(&mut sibling).await?;
        let path = sibling
            .chunks_exact(32)
            .map(|c| {
                let mut a = [0u8; 32];
                a.copy_from_slice(c);
                fr_from_canonical_le_bytes(&a).ok_or_else(|| invalid("non-canonical sibling"))
            })
            .collect::<io::Result<Vec<Fr>>>()?;
        blocks.push(ServedBlock { data, path });
    }
    Ok(BlockResponse::Blocks { first, blocks })
}

async fn write_response<T: AsyncWrite + Unpin>(io: &mut T, res: &BlockResponse) -> io::Result<()> {
    match res {
        BlockResponse::Refused(BlockRefusal::NotHeld) => io.write_all(&[TAG_NOT_HELD]).await?,
        BlockResponse::Refused(BlockRefusal::OutOfRange { stored }) => {
            io.write_all(&[TAG_OUT_OF_RANGE]).await?;
            io.write_all(&stored.to_be_bytes()).await?;
        }
        BlockResponse::Refused(BlockRefusal::Busy { retry_after_ms }) => {
            io.write_all(&[TAG_BUSY]).await?;
            io.write_all(&retry_after_ms.to_be_bytes()).await?;
        }
        BlockResponse::Refused(BlockRefusal::Unavailable) => {
            io.write_all(&[TAG_UNAVAILABLE]).await?
        }
        BlockResponse::Blocks { first, blocks } => {
            // Never send what a peer must refuse.
            let count = u32::try_from(blocks.len()).map_err(|_| invalid("too many blocks"))?;
            check_count(count)?;
            let path_len = blocks[0].path.len();
            if path_len == 0 || path_len > MAX_PATH_LEN {
                return Err(invalid("block path length outside 1..=MAX_PATH_LEN"));
            }
            if blocks
                .iter()
                .any(|b| b.data.len() != BLOCK_SIZE || b.path.len() != path_len)
            {
                return Err(invalid("blocks of one response differ in shape"));
            }
            let mut header = [0u8; 14];
            header[0] = TAG_BLOCKS;
            header[1..9].copy_from_slice(&first.to_be_bytes());
            header[9..13].copy_from_slice(&count.to_be_bytes());
            header[13] = path_len as u8;
            io.write_all(&header).await?;
            let mut path = Vec::with_capacity(path_len * 32);
            for b in blocks {
                io.write_all(&b.data).await?;
                path.clear();
                b.path
                    .iter()
                    .for_each(|s| path.extend_from_slice(&fr_to_le_bytes(s)));
                io.write_all(&path).await?;
            }
        }
    }
    Ok(())
}

impl libp2p::request_response::Codec for BlockCodec {
    type Protocol = StreamProtocol;
    type Request = BlockRequest;
    type Response = BlockResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<BlockRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut buf = [0u8; REQUEST_BYTES];
        io.read_exact(&mut buf).await?;
        BlockRequest::decode(&buf)
    }

    async fn read_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<BlockResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_response(io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: BlockRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        check_count(req.count)?;
        io.write_all(&req.encode()).await?;
        io.flush().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: BlockResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_response(io, &res).await?;
        io.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    fn request() -> BlockRequest {
        BlockRequest {
            dataset: DatasetRoot::from_le_bytes([7; 32]).unwrap(),
            slot: 3,
            first: 1 << 40,
            count: MAX_BLOCKS_PER_REQUEST,
        }
    }

    fn blocks(n: usize, path_len: usize) -> BlockResponse {
        BlockResponse::Blocks {
            first: 9,
            blocks: (0..n)
                .map(|i| ServedBlock {
                    data: vec![i as u8; BLOCK_SIZE],
                    path: (0..path_len)
                        .map(|j| Fr::from((i * 100 + j) as u64))
                        .collect(),
                })
                .collect(),
        }
    }

    fn encoded(res: &BlockResponse) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        block_on(write_response(&mut buf, res)).unwrap();
        buf.into_inner()
    }

    fn decoded(bytes: Vec<u8>) -> io::Result<BlockResponse> {
        block_on(BlockCodec.read_response(&PROTOCOL, &mut Cursor::new(bytes)))
    }

    #[test]
    fn requests_round_trip_and_bad_ones_are_refused() {
        block_on(async {
            let mut c = BlockCodec;
            let mut buf = Cursor::new(Vec::new());
            c.write_request(&PROTOCOL, &mut buf, request())
                .await
                .unwrap();
            assert_eq!(buf.get_ref().len(), REQUEST_BYTES);
            buf.set_position(0);
            assert_eq!(
                c.read_request(&PROTOCOL, &mut buf).await.unwrap(),
                request()
            );
            for count in [0, MAX_BLOCKS_PER_REQUEST + 1] {
                let mut b = request().encode();
                b[42..46].copy_from_slice(&count.to_be_bytes());
                assert!(BlockRequest::decode(&b).is_err(), "count {count}");
                let mut sink = Cursor::new(Vec::new());
                let r = BlockRequest { count, ..request() };
                assert!(c.write_request(&PROTOCOL, &mut sink, r).await.is_err());
            }
            let mut b = request().encode();
            b[..32].copy_from_slice(&[0xff; 32]);
            assert!(BlockRequest::decode(&b).is_err());
            let short = request().encode()[..REQUEST_BYTES - 1].to_vec();
            assert!(c
                .read_request(&PROTOCOL, &mut Cursor::new(short))
                .await
                .is_err());
        });
    }

    #[test]
    fn responses_round_trip() {
        let refusals = [
            BlockRefusal::NotHeld,
            BlockRefusal::OutOfRange { stored: 12345 },
            BlockRefusal::Busy {
                retry_after_ms: 250,
            },
            BlockRefusal::Unavailable,
        ];
        for r in refusals {
            let res = BlockResponse::Refused(r);
            assert_eq!(decoded(encoded(&res)).unwrap(), res);
        }
        for (n, path_len) in [
            (1, 1),
            (3, 10),
            (MAX_BLOCKS_PER_REQUEST as usize, MAX_PATH_LEN),
        ] {
            let res = blocks(n, path_len);
            let bytes = encoded(&res);
            assert!(bytes.len() <= MAX_RESPONSE_BYTES);
            assert_eq!(decoded(bytes).unwrap(), res);
        }
        assert_eq!(
            encoded(&blocks(MAX_BLOCKS_PER_REQUEST as usize, MAX_PATH_LEN)).len(),
            MAX_RESPONSE_BYTES
        );
    }

    #[test]
    fn bad_responses_are_refused_before_allocating() {
        // Too many blocks, no blocks, zero or overlong paths: refused from the header alone.
        let header = |count: u32, path_len: u8| {
            let mut b = vec![TAG_BLOCKS];
            b.extend(9u64.to_be_bytes());
            b.extend(count.to_be_bytes());
            b.push(path_len);
            b
        };
        for (count, path_len) in [
            (MAX_BLOCKS_PER_REQUEST + 1, 4),
            (u32::MAX, 4),
            (0, 4),
            (1, 0),
            (1, MAX_PATH_LEN as u8 + 1),
        ] {
            let e = decoded(header(count, path_len)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{count} {path_len}");
        }
        // Truncated block data or path.
        let mut bytes = encoded(&blocks(2, 3));
        bytes.truncate(bytes.len() - 1);
        assert!(decoded(bytes).is_err());
        // A non-canonical sibling.
        let mut bytes = encoded(&blocks(1, 1));
        let n = bytes.len();
        bytes[n - 32..].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            decoded(bytes).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        // Unknown tag; empty stream.
        assert!(decoded(vec![9]).is_err());
        assert!(decoded(vec![]).is_err());
    }

    #[test]
    fn malformed_responses_are_never_written() {
        let mut sink = Cursor::new(Vec::new());
        for res in [
            blocks(0, 1),
            blocks(MAX_BLOCKS_PER_REQUEST as usize + 1, 1),
            blocks(1, MAX_PATH_LEN + 1),
            BlockResponse::Blocks {
                first: 0,
                blocks: vec![ServedBlock {
                    data: vec![0; 10],
                    path: vec![Fr::from(1u64)],
                }],
            },
        ] {
            assert!(block_on(write_response(&mut sink, &res)).is_err());
        }
        let mut mixed = blocks(2, 3);
        if let BlockResponse::Blocks { blocks, .. } = &mut mixed {
            blocks[1].path.pop();
        }
        assert!(block_on(write_response(&mut sink, &mixed)).is_err());
    }
}
