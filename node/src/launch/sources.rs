//! The node's external inputs, one source each. Today: the entropy of each period, from the
//! configured kind (`dev`: derived from a seed). The chain adapter adds its sources here
//! (block-hash entropy, the marketplace registry) as tasks that feed the engine.

use crate::config::{EntropyKind, NetworkSection};
use proofmesh_verifier::duty::{DevEntropy, EntropySource};
use std::sync::Arc;

/// Makes the entropy source a role needs (each role owns one).
pub(crate) type EntropyFactory = Arc<dyn Fn() -> Box<dyn EntropySource> + Send + Sync>;

/// The entropy source the network section names.
pub(crate) fn entropy(net: &NetworkSection) -> EntropyFactory {
    match net.entropy {
        EntropyKind::Dev => {
            tracing::warn!("entropy source: dev (deterministic, INSECURE: devnets and tests only)");
            let seed = net.entropy_seed.clone().unwrap_or_default();
            Arc::new(move || -> Box<dyn EntropySource> {
                Box::new(DevEntropy::new(seed.as_bytes()))
            })
        }
    }
}
