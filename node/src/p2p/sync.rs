//! Catch-up sync over request/response (`/proofmesh/sync/1`): a node that was down asks a peer
//! for the attestation batches of periods `>= from`.
//!
//! Framing, big-endian and protobuf-free:
//! - request: the period, 8 bytes;
//! - response: a `u32` count (at most [`MAX_SYNC_BATCHES`]), then per batch a `u32` length and
//!   the batch's canonical encoding (each at most `AttestationBatch::MAX_BYTES`, all together at
//!   most [`MAX_SYNC_RESPONSE_BYTES`]).
//!
//! A responder sends batches in period order and stops at the caps ([`SyncResponse::capped`]);
//! the requester asks again from the last period it received. Reading checks every length
//! against the caps *before* allocating, so a peer cannot make us buffer more than the caps.

use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use proofmesh_proto::{AttestationBatch, Period, WireMessage};
use std::io;

/// The protocol name.
pub(crate) const PROTOCOL: StreamProtocol = StreamProtocol::new("/proofmesh/sync/1");
/// Most batches in one response.
pub(crate) const MAX_SYNC_BATCHES: usize = 1024;
/// Most payload bytes in one response.
pub(crate) const MAX_SYNC_RESPONSE_BYTES: usize = 8 << 20;

/// "Send me the attestation batches of periods `>= from`."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyncRequest {
    pub(crate) from: Period,
}

/// Canonical `AttestationBatch` encodings, within the caps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SyncResponse(pub(crate) Vec<Vec<u8>>);

impl SyncResponse {
    /// The longest prefix of `batches` within the caps (oversized entries are skipped), and
    /// how many were left out.
    pub(crate) fn capped(batches: Vec<Vec<u8>>) -> (Self, usize) {
        let total = batches.len();
        let mut bytes = 0usize;
        let mut kept = Vec::new();
        for b in batches {
            if b.len() > AttestationBatch::MAX_BYTES {
                continue;
            }
            if kept.len() == MAX_SYNC_BATCHES || bytes + b.len() > MAX_SYNC_RESPONSE_BYTES {
                break;
            }
            bytes += b.len();
            kept.push(b);
        }
        let left_out = total - kept.len();
        (Self(kept), left_out)
    }
}

/// The request/response codec of the sync protocol.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SyncCodec;

fn invalid(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

async fn read_u32<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<usize> {
    let mut buf = [0u8; 4];
    io.read_exact(&mut buf).await?;
    usize::try_from(u32::from_be_bytes(buf)).map_err(|_| invalid("length overflows usize"))
}

fn len_u32(len: usize) -> io::Result<[u8; 4]> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| invalid("length overflows u32"))
}

impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = SyncRequest;
    type Response = SyncResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut buf = [0u8; 8];
        io.read_exact(&mut buf).await?;
        Ok(SyncRequest {
            from: Period(u64::from_be_bytes(buf)),
        })
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let count = read_u32(io).await?;
        if count > MAX_SYNC_BATCHES {
            return Err(invalid("too many batches in sync response"));
        }
        let mut total = 0usize;
        let mut batches = Vec::with_capacity(count);
        for _ in 0..count {
            let len = read_u32(io).await?;
            total = total.saturating_add(len);
            if len > AttestationBatch::MAX_BYTES || total > MAX_SYNC_RESPONSE_BYTES {
                return Err(invalid("sync response over the size cap"));
            }
            let mut b = vec![0u8; len];
            io.read_exact(&mut b).await?;
            batches.push(b);
        }
        Ok(SyncResponse(batches))
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: SyncRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&req.from.0.to_be_bytes()).await?;
        io.flush().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        // The swarm task caps responses; enforce it here too so we never send what a peer
        // must refuse.
        let (res, left_out) = SyncResponse::capped(res.0);
        if left_out > 0 {
            return Err(invalid("sync response over the caps"));
        }
        io.write_all(&len_u32(res.0.len())?).await?;
        for b in &res.0 {
            io.write_all(&len_u32(b.len())?).await?;
            io.write_all(b).await?;
        }
        io.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    #[test]
    fn request_and_response_round_trip() {
        block_on(async {
            let mut c = SyncCodec;
            let mut buf = Cursor::new(Vec::new());
            let req = SyncRequest { from: Period(42) };
            c.write_request(&PROTOCOL, &mut buf, req).await.unwrap();
            buf.set_position(0);
            assert_eq!(c.read_request(&PROTOCOL, &mut buf).await.unwrap(), req);

            let res = SyncResponse(vec![vec![1, 2, 3], vec![], vec![9; 1000]]);
            let mut buf = Cursor::new(Vec::new());
            c.write_response(&PROTOCOL, &mut buf, res.clone())
                .await
                .unwrap();
            buf.set_position(0);
            assert_eq!(c.read_response(&PROTOCOL, &mut buf).await.unwrap(), res);
        });
    }

    #[test]
    fn oversized_counts_and_lengths_are_refused_before_allocating() {
        block_on(async {
            let mut c = SyncCodec;
            let too_many = len_u32(MAX_SYNC_BATCHES + 1).unwrap().to_vec();
            let mut buf = Cursor::new(too_many);
            assert!(c.read_response(&PROTOCOL, &mut buf).await.is_err());

            let mut huge = len_u32(1).unwrap().to_vec();
            huge.extend(len_u32(AttestationBatch::MAX_BYTES + 1).unwrap());
            let mut buf = Cursor::new(huge);
            assert!(c.read_response(&PROTOCOL, &mut buf).await.is_err());

            let mut truncated = len_u32(1).unwrap().to_vec();
            truncated.extend(len_u32(10).unwrap());
            truncated.extend([0u8; 3]);
            let mut buf = Cursor::new(truncated);
            assert!(c.read_response(&PROTOCOL, &mut buf).await.is_err());
        });
    }

    #[test]
    fn capped_keeps_a_prefix_within_the_caps() {
        let big = vec![0u8; AttestationBatch::MAX_BYTES + 1];
        let (r, left_out) = SyncResponse::capped(vec![vec![1], big, vec![2]]);
        assert_eq!(r.0, vec![vec![1], vec![2]]);
        assert_eq!(left_out, 1);

        let many = vec![vec![0u8; 1]; MAX_SYNC_BATCHES + 5];
        let (r, left_out) = SyncResponse::capped(many);
        assert_eq!(r.0.len(), MAX_SYNC_BATCHES);
        assert_eq!(left_out, 5);

        let fat = vec![vec![0u8; 3 << 20]; 4];
        let (r, left_out) = SyncResponse::capped(fat);
        assert_eq!(r.0.len(), 2);
        assert_eq!(left_out, 2);
    }
}
