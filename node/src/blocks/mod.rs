//! Block transfer between nodes (`/proofmesh/blocks/1`, the codec in `p2p/blocks.rs`): a
//! holder serves 64 KiB blocks of the slots it holds, each with its path to the slot root
//! ([`server`]); a client fetches a whole slot from whichever holders answer, checking every
//! block against the slot root before writing it ([`fetch`]); and `proofmesh dataset get`
//! fetches any K slots of a dataset and decodes the original file ([`get`]), given its
//! manifest and providers or only its root ([`locate`]: the registry and the providers'
//! locations from the DHT).
//!
//! Nothing is trusted on the way: the only inputs a client needs are the slot roots (from the
//! dataset's manifest, or its announcement), and a holder that serves a wrong byte is caught
//! at the block it is in, penalised (`p2p/scoring.rs`, bad blocks) and not asked again.

pub mod fetch;
pub mod get;
pub mod locate;
pub mod server;

pub use fetch::{fetch_slot, FetchError, FetchOptions, Fetched, PeerFailure, Provider, SlotSpec};
pub use get::{get_dataset, rebuild_slot, GetError, GetReport, RebuildReport};
pub use locate::{locate_dataset, manifest_of, LocateError, Located};
pub use server::{spawn_server, HeldSlot, ServerLimits};
