//! The verification worker pool: each job the engine hands out is batch-verified on a
//! blocking thread (the pairings use rayon's pool inside), and its results come back on a
//! bounded queue that the router feeds to the engine. The router stops taking proofs in while
//! `max_jobs` jobs are in flight, so the pool and the queues stay bounded; a worker never
//! waits on the router for anything but queue space, so the two cannot deadlock.

use crate::metrics as m;
use proofmesh_verifier::engine::JobId;
use proofmesh_verifier::intake::{
    verify_checked, CheckedProof, IntakeError, KeyRing, VerifiedProof,
};
use rand::rngs::OsRng;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// One job's results, 1:1 with its proofs.
pub(super) type JobResults = (JobId, Vec<Result<VerifiedProof, IntakeError>>);

pub(super) struct Workers {
    keys: Arc<KeyRing>,
    max_jobs: usize,
    in_flight: usize,
    tx: mpsc::Sender<JobResults>,
    /// Finished jobs, for the router.
    pub(super) results: mpsc::Receiver<JobResults>,
}

impl Workers {
    pub(super) fn new(keys: Arc<KeyRing>, max_jobs: usize) -> Self {
        let max_jobs = max_jobs.max(1);
        // Room for every job that can be in flight, and then some: a worker never blocks.
        let (tx, results) = mpsc::channel(2 * max_jobs + 8);
        Self {
            keys,
            max_jobs,
            in_flight: 0,
            tx,
            results,
        }
    }

    /// Whether another job may start (the router takes proofs in only then).
    pub(super) fn has_room(&self) -> bool {
        self.in_flight < self.max_jobs
    }

    /// Starts verifying a job on a blocking thread.
    pub(super) fn submit(&mut self, job: JobId, proofs: Vec<CheckedProof>) {
        self.in_flight += 1;
        let keys = Arc::clone(&self.keys);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let n = proofs.len();
            // A panic in the verifier is a local fault: the proofs are reported Ignore (never
            // the sender's fault) and the node goes on.
            let results = std::panic::catch_unwind(AssertUnwindSafe(|| {
                verify_checked(&keys, &proofs, &mut OsRng)
            }))
            .unwrap_or_else(|_| {
                tracing::error!(proofs = n, "verification worker panicked");
                vec![Err(IntakeError::NotVerified("verification worker panicked")); n]
            });
            metrics::histogram!(m::VERIFY_BATCH_SECONDS).record(started.elapsed().as_secs_f64());
            metrics::histogram!(m::VERIFY_BATCH_SIZE).record(n as f64);
            // Closed only when the router is gone (shutdown): nothing left to report to.
            let _ = tx.blocking_send((job, results));
        });
    }

    /// A job came back.
    pub(super) fn done(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}
