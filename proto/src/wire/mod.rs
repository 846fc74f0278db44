//! Wire encodings: the prost-generated protobuf types (`pb`), their validating conversions to
//! domain types, and [`WireMessage`] — size-limited, canonical decoding and content ids.
//! This is the one place untrusted bytes become domain values.

mod codec;
mod convert;
mod error;
mod kinds;

pub use codec::WireMessage;
pub use convert::{MAX_BATCH_ENTRIES, MAX_PATH};
pub use error::DecodeError;
pub use kinds::{decode_gossip, encode_gossip, kind_of, GossipTopic, Kind, KINDS};

/// Generated protobuf types (`proto/proofmesh/v1/messages.proto`, and with the `grpc` feature
/// the health API of `health.proto`: its messages, `health_service_client` and
/// `health_service_server`).
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/proofmesh.v1.rs"));
}

/// The encoded `FileDescriptorSet` of both proto files, for gRPC server reflection.
#[cfg(feature = "grpc")]
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/proofmesh_descriptor.bin"));
