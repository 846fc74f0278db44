//! `proofmesh devnet`: a whole mesh on loopback — a demo dataset, keys, a verifier set,
//! verifiers and provers as separate `proofmesh node` processes — with its health watched
//! over gRPC, and (with a period count) a final check that every duty got a final verdict at
//! every verifier and that all verifiers hold the same certificates.
//!
//! It lives in the library so integration tests drive exactly what users run; the binary
//! passes its own path (`std::env::current_exe`) for the node processes.

mod byzantine;
mod check;
mod latency;
mod layout;
mod procs;
mod table;

pub use check::{DutyKey, RestartCheck, Summary, VerifierView};
pub use latency::{Latency, Quantiles};
pub use layout::{generate, Layout};

use crate::devnet::procs::Fleet;
use proofmesh_proto::Period;
use proofmesh_verifier::duty::PeriodClock;
use std::path::PathBuf;
use std::time::Duration;

/// Why the devnet failed to start or run.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// A file could not be written or read.
    #[error("{0}")]
    Io(String),
    /// Key files.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyFileError),
    /// The Groth16 setup failed.
    #[error(transparent)]
    Prover(#[from] proofmesh_prover::ProverError),
    /// A key file of the prover crate.
    #[error(transparent)]
    KeyFile(#[from] proofmesh_prover::KeyError),
    /// A node process did not come up or died.
    #[error("{0}")]
    Node(String),
    /// The gRPC API of a verifier could not be queried.
    #[error("gRPC {addr}: {why}")]
    Grpc {
        /// Which verifier.
        addr: String,
        /// What failed.
        why: String,
    },
}

/// Everything `proofmesh devnet` can be asked.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Directory for all files (created; an existing devnet there is replaced).
    pub dir: PathBuf,
    /// The `proofmesh` binary to start nodes with.
    pub binary: PathBuf,
    /// Verifier processes (≥ 3 for a meaningful quorum).
    pub verifiers: usize,
    /// Prover processes; slots are dealt round-robin.
    pub provers: usize,
    /// K.
    pub data_slots: u16,
    /// M.
    pub parity_slots: u16,
    /// 64 KiB blocks per slot (a power of two).
    pub blocks_per_slot: usize,
    /// Cells sampled per proof.
    pub samples: usize,
    /// Period length.
    pub period_secs: u64,
    /// Proof acceptance after a period's end.
    pub timeout_secs: u64,
    /// A slot proves with probability 1 / this.
    pub proof_probability: u32,
    /// A slot whose prover withholds its proofs.
    pub kill_slot: Option<u16>,
    /// Slots whose data is lost: their prover does not hold them (no proofs, nothing served;
    /// the original files move to `DIR/lost/`), and `volunteers` volunteer nodes repair them.
    pub lose_slots: Vec<u16>,
    /// Volunteer nodes started when `lose_slots` is not empty.
    pub volunteers: usize,
    /// A slot whose proofs do not verify: its prover withholds it and the devnet sends, each
    /// period from the first checked one, a well-formed invalid proof signed by the slot's
    /// provider from a fresh gossip identity (`byzantine.rs` says why).
    pub invalid_slot: Option<u16>,
    /// A verifier to kill -9 mid-run and restart one period later.
    pub crash_verifier: Option<usize>,
    /// Stop after this many attested periods and check them (None: run until Ctrl-C).
    pub periods: Option<u64>,
    /// Seed of the demo dataset and of the dev entropy.
    pub seed: u64,
    /// gRPC port of verifier 0 (0: any free port).
    pub grpc_port: u16,
    /// Also a heartbeat-only community dataset (`proof_probability` 0, one block per slot,
    /// `DIR/community/`), its slots held by the same provers as the demo dataset's: judged
    /// on heartbeats alone, shown beside the demo dataset in the health table.
    pub community: bool,
}

impl DevnetOptions {
    /// The dev entropy seed shared by every node of this devnet.
    pub fn entropy_seed(&self) -> String {
        format!("proofmesh-devnet-{}", self.seed)
    }
}

/// Sink for the devnet's human output (the CLI prints lines; tests collect them).
pub trait Report: Send {
    /// One line of output.
    fn line(&mut self, text: &str);
}

/// Generates, starts, watches and (with `periods`) checks a devnet. Returns the summary of
/// the final check (`None` when it ran until `stop`).
pub async fn run(
    mut opts: DevnetOptions,
    out: &mut dyn Report,
    stop: tokio_util::sync::CancellationToken,
) -> Result<Option<Summary>, DevnetError> {
    let io = |e: std::io::Error| DevnetError::Io(format!("{}: {e}", opts.dir.display()));
    if opts.dir.exists() {
        std::fs::remove_dir_all(&opts.dir).map_err(io)?;
    }
    // Absolute, because the node configs name shared files (keys, verifier set) by path and
    // a node resolves relative paths against its own config's folder.
    std::fs::create_dir_all(&opts.dir).map_err(io)?;
    opts.dir = std::fs::canonicalize(&opts.dir).map_err(io)?;
    out.line(&format!("devnet in {}", opts.dir.display()));
    out.line(&format!(
        "generating a dataset of {} slots (K = {}, M = {}, {} KiB each) and Groth16 keys ({} samples)…",
        opts.data_slots + opts.parity_slots,
        opts.data_slots,
        opts.parity_slots,
        opts.blocks_per_slot * 64,
        opts.samples
    ));
    let gen_opts = opts.clone();
    let (layout, mut byzantine) = tokio::task::spawn_blocking(move || {
        let layout = generate(&gen_opts)?;
        let byzantine = gen_opts
            .invalid_slot
            .map(|s| byzantine::Byzantine::new(&layout, &gen_opts, s))
            .transpose()?;
        Ok::<_, DevnetError>((layout, byzantine))
    })
    .await
    .map_err(|e| DevnetError::Io(e.to_string()))??;
    if stop.is_cancelled() {
        out.line("stopped before any node started");
        return Ok(None);
    }
    // Not interruptible: a stop during start-up waits for the last node to come up (bounded by
    // its start-up timeout), then stops them all like at any other time.
    let mut fleet = Fleet::start(&layout, &opts, out).await?;
    let clock = fleet.clock;
    let first = clock.period_at(procs::now()).next();
    out.line(&format!(
        "mesh up: {} verifiers, {} provers; gRPC health API on {addr} (try: proofmesh health --addr {addr})",
        opts.verifiers,
        opts.provers,
        addr = fleet.grpc[0]
    ));
    out.line(&format!(
        "periods of {} s; checking from period {}",
        opts.period_secs, first.0
    ));
    let last = opts.periods.map(|n| Period(first.0 + n.max(1) - 1));
    let watching = Watching {
        clock,
        first,
        last,
        byzantine: byzantine.as_mut(),
    };
    let result = watch(&mut fleet, &opts, out, &stop, watching).await;
    let summary = match (result, last) {
        (Ok(Watched::Settled), Some(last)) => {
            Some(check::run(&fleet, &opts, &layout, first, last, out).await)
        }
        (Ok(_), _) => None,
        (Err(e), _) => {
            fleet.stop(out).await;
            return Err(e);
        }
    };
    fleet.stop(out).await;
    let summary = summary.map(|mut s| {
        let provers: Vec<PathBuf> = layout.provers.iter().map(|d| d.join("node.log")).collect();
        let verifiers: Vec<PathBuf> = (0..layout.verifiers.len())
            .filter(|i| opts.crash_verifier != Some(*i))
            .map(|i| layout.verifiers[i].join("node.log"))
            .collect();
        let l = latency::measure(
            &provers.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            &verifiers.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            s.periods.0..=s.periods.1,
        );
        out.line(&format!(
            "latency, proof published → final certificate: at each verifier p50 {:.0} ms, p99 {:.0} ms (n = {}); at every verifier p50 {:.0} ms, p99 {:.0} ms (n = {}); from the period's last proof, at every verifier p50 {:.0} ms, p99 {:.0} ms",
            l.per_verifier.p50_ms,
            l.per_verifier.p99_ms,
            l.per_verifier.n,
            l.at_every_verifier.p50_ms,
            l.at_every_verifier.p99_ms,
            l.at_every_verifier.n,
            l.after_last_proof.p50_ms,
            l.after_last_proof.p99_ms,
        ));
        s.latency = Some(l);
        s
    });
    Ok(summary)
}

/// How watching the mesh ended.
enum Watched {
    /// The last period to check has settled: time for the final check.
    Settled,
    /// `stop` came first (SIGINT or SIGTERM): nothing is checked, the nodes are stopped.
    Stopped,
}

/// What [`watch`] follows.
struct Watching<'a> {
    /// The mesh's clock.
    clock: PeriodClock,
    /// The first period checked (and the first with injected invalid proofs).
    first: Period,
    /// The last period to check, if any.
    last: Option<Period>,
    /// The sender of invalid proofs, with `--invalid-slot`.
    byzantine: Option<&'a mut byzantine::Byzantine>,
}

/// Prints the health table whenever it changes, sends the invalid proofs and crashes and
/// restarts a verifier if asked, and returns once `last` has settled at every verifier, or on
/// `stop`.
async fn watch(
    fleet: &mut Fleet,
    opts: &DevnetOptions,
    out: &mut dyn Report,
    stop: &tokio_util::sync::CancellationToken,
    w: Watching<'_>,
) -> Result<Watched, DevnetError> {
    let Watching {
        clock,
        first,
        last,
        mut byzantine,
    } = w;
    let mut shown = String::new();
    let crash_at = Period(first.0 + 1);
    let mut crashed: Option<Period> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(Watched::Stopped),
            _ = tick.tick() => {}
        }
        fleet.check_alive()?;
        let now = procs::now();
        let current = clock.period_at(now);
        if let Some(b) = byzantine.as_deref_mut() {
            if current >= first && last.is_none_or(|l| current <= l) && b.publish(current).await? {
                out.line(&format!(
                    "period {}: invalid proof of slot {} sent from a fresh peer",
                    current.0,
                    opts.invalid_slot.unwrap_or_default()
                ));
            }
        }
        if let Some(i) = opts.crash_verifier {
            // Three quarters into the second checked period: after the first period's deadline
            // (its attestation and certificates are on disk), before this period's.
            if crashed.is_none()
                && current >= crash_at
                && clock.start(current) + opts.period_secs * 3 / 4 <= now
            {
                fleet.kill_verifier(i, out).await?;
                crashed = Some(current);
            } else if crashed.is_some_and(|p| current > p) && !fleet.verifier_running(i) {
                fleet.restart_verifier(i, out).await?;
            }
        }
        if let Ok(table) = table::fetch(&fleet.grpc[0]).await {
            if table != shown {
                out.line(&format!("── period {} ──", current.0));
                out.line(&table);
                shown = table;
            }
        }
        if let Some(last) = last {
            // Settled: attestations sealed at the deadline, certificates formed by then plus
            // the settle time (= timeout), plus slack for gossip.
            let settled = clock.deadline(last) + opts.timeout_secs.max(1) + 3;
            if now >= settled {
                return Ok(Watched::Settled);
            }
        }
    }
}
