//! `proofmesh bench node`: what a real verifier node sustains on its whole intake path —
//! decode, cheap checks, batch verification on the worker pool, the synced RocksDB write of
//! each step, the gossip verdicts, and our BLS attestation — against the pure batch verifier
//! on the same proofs, in the same run, on the same cores. The ratio says how much of the
//! machine's verification capacity the node's plumbing leaves for proofs.
//!
//! The node is the production one ([`VerifierNode`] over a [`RocksStore`] in a temp dir), run
//! in-process with no swarm: this command plays the swarm. It decodes each payload with the
//! proofs topic's canonical decoder, computes its gossip message id, and queues it on a bounded
//! proofs queue of the swarm's size (waiting when full, where a swarm would drop: every proof
//! must be judged); it takes the node's commands from a detached command queue, counting the
//! verdicts and catching the attestation when it is published.

use super::bench_corpus::{self, load_or_prove, messages, Messages, Scratch};
use crate::output;
use anyhow::{ensure, Context};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use libp2p::gossipsub::MessageId;
use libp2p::PeerId;
use proofmesh_node::config::DEFAULT_BATCH_SIZE;
use proofmesh_node::p2p::{self, GossipMessage, Inbound, MessageRef, P2pConfig, Sent, Topic};
use proofmesh_node::store::{RocksStore, Store};
use proofmesh_node::verifier_node::{EngineParts, VerifierNode};
use proofmesh_proto::{Period, ProofEnvelope, Verdict, VerifierIndex, VerifierMember, VerifierSet};
use proofmesh_prover::groth16::keys::params_text;
use proofmesh_prover::groth16::proof_from_bytes;
use proofmesh_verifier::duty::{DevEntropy, PeriodClock};
use proofmesh_verifier::engine::{EngineConfig, Signer, Writes};
use proofmesh_verifier::intake::{verify_checked, GossipAction, Intake, KeyRing, Registry};
use proofmesh_verifier::{
    verify_batch, BatchItem, HealthConfig, HealthState, PreparedKey, VerifierKeypair,
};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// A verifier node's whole intake path on N distinct valid proofs, against the batch verifier.
///
/// N proofs of proofmesh's own circuit (the smallest parameters, one per slot, datasets of up
/// to 256 slots, all due in period 0 of a dev entropy seed) go through a real verifier node:
/// decoded with the proofs topic's decoder, the engine's cheap checks, then on the node's
/// worker pool the provider signatures, proof decoding and batch verification, one synced
/// RocksDB write per step, a gossip verdict per proof, and the BLS attestation sealed once
/// every duty is proven. Then the pure batch verifier (`verify_batch`) checks the same proofs,
/// decoded beforehand, as one batch on all cores. Prints, last:
///   node: X proofs/s      (first proof in → last verdict out and attestation published)
///   batch: Y proofs/s
///   ratio: Z              (node / batch)
/// after context lines: accepted: N/N, times, CPU and peak memory of each phase, the cost of
/// each part of intake, and `verify_checked` (signatures + decoding + batch verification, the
/// workers' own function) on the same proofs, which says what the node's plumbing costs.
///
/// Proving the corpus takes a fraction of a second per proof; --cache DIR keeps it (and extends
/// a smaller one) for the next run.
///
/// Example:
///   proofmesh bench node --proofs 10000 --cache target/bench-node --rounds 3
///   proofmesh bench node --proofs 2000 --batch-size 64 --jobs 4
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct NodeArgs {
    /// Proofs (distinct slots, one proof each).
    #[arg(long, default_value_t = 1000)]
    proofs: usize,
    /// Keep the proof corpus here and reuse it (created if missing).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Most proofs per verification job (the node's `batch_size`; default: the node's, 256).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Most verification jobs in flight (default: the node's, cores up to 4).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run both phases this many times, alternating, and report each one's best round (the
    /// one least disturbed by other load on the machine).
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

pub(crate) fn run(a: NodeArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.proofs > 0, "--proofs must be at least 1");
    ensure!(
        a.proofs <= proofmesh_proto::wire::MAX_BATCH_ENTRIES,
        "--proofs: at most {} duties fit one attestation",
        proofmesh_proto::wire::MAX_BATCH_ENTRIES
    );
    let (corpus, origin) = load_or_prove(a.proofs, a.cache.as_deref())?;
    let cache = a.cache.as_ref().map_or_else(
        || "no cache".to_owned(),
        |d| format!("cache {}", d.display()),
    );
    output::line(&format!(
        "corpus: {} proofs over {} datasets, circuit {}: {} cached, {} proved in {:.0} s ({cache})",
        corpus.proofs.len(),
        corpus.datasets.len(),
        params_text(&bench_corpus::PARAMS),
        origin.cached,
        origin.proved,
        origin.secs
    ))?;
    let msgs = Arc::new(messages(&corpus)?);
    let mut keys = KeyRing::new();
    keys.insert(&corpus.vk);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batch_size = a.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).max(1);
    // The node's own choice (`launch/verifier.rs`): one job per core, at most 4.
    let jobs = a.jobs.unwrap_or(cores.min(4)).max(1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let rounds = a.rounds.max(1);
    let mut node: Option<NodeRun> = None;
    let mut batch: Option<BatchRun> = None;
    for _ in 0..rounds {
        reset_peak_rss();
        let mut run = runtime.block_on(node_run(&msgs, keys.clone(), batch_size, jobs))?;
        run.rss = peak_rss_mib();
        if node.as_ref().is_none_or(|best| run.secs < best.secs) {
            node = Some(run);
        }
        reset_peak_rss();
        let mut run = batch_run(&msgs, &corpus.vk)?;
        run.rss = peak_rss_mib();
        batch = Some(match batch {
            Some(best) => BatchRun {
                checked_secs: best.checked_secs.min(run.checked_secs),
                admit_us: best.admit_us.min(run.admit_us),
                signature_us: best.signature_us.min(run.signature_us),
                decode_us: best.decode_us.min(run.decode_us),
                ..if run.secs < best.secs { run } else { best }
            },
            None => run,
        });
    }
    let (node, batch) = (
        node.context("no node round")?,
        batch.context("no batch round")?,
    );
    drop(runtime);

    let n = msgs.envelopes.len();
    let per_proof = |secs: f64| 1e6 * secs / n as f64;
    output::line(&format!(
        "cores: {cores}; node: batch size {batch_size}, {jobs} jobs in flight, RocksDB (synced \
         writes: {:.1} ms each for a job's seen proofs); best of {rounds} rounds",
        1e3 * node.write_secs
    ))?;
    output::line(&format!("accepted: {}/{n}", node.accepted))?;
    output::line(&format!(
        "node time: {:.3} s (last verdict {:.3} s, attestation {:.3} s, {} valid verdicts); \
         CPU {:.0} µs/proof; peak RSS {}",
        node.secs,
        node.last_report,
        node.attested,
        node.sealed_valid,
        per_proof(node.cpu_secs),
        node.rss
    ))?;
    output::line(&format!(
        "batch time: {:.3} s (verify_batch, one batch of {n}, all cores); CPU {:.0} µs/proof; \
         peak RSS {}",
        batch.secs,
        per_proof(batch.cpu_secs),
        batch.rss
    ))?;
    output::line(&format!(
        "intake, per proof on one core: engine checks (admit) {:.1} µs, provider signature \
         {:.1} µs, proof decoding (points on the curve and in their groups) {:.1} µs; batch \
         verification (CPU) {:.1} µs",
        batch.admit_us,
        batch.signature_us,
        batch.decode_us,
        per_proof(batch.cpu_secs),
    ))?;
    output::line(&format!(
        "verify_checked (signature + decoding + batch verification, the workers' function, all \
         cores): {:.0} proofs/s; node / that: {:.2}",
        n as f64 / batch.checked_secs,
        batch.checked_secs / node.secs
    ))?;
    output::line(&format!(
        "cpu ratio: {:.2} (batch CPU / node CPU per proof; other load on the machine inflates \
         CPU time less than wall time)",
        batch.cpu_secs / node.cpu_secs
    ))?;
    let (node_rate, batch_rate) = (n as f64 / node.secs, n as f64 / batch.secs);
    output::line(&format!("node: {node_rate:.0} proofs/s"))?;
    output::line(&format!("batch: {batch_rate:.0} proofs/s"))?;
    output::line(&format!("ratio: {:.2}", node_rate / batch_rate))?;
    Ok(ExitCode::SUCCESS)
}

/// What the node phase measured.
struct NodeRun {
    /// First proof queued → last verdict out and our attestation published.
    secs: f64,
    last_report: f64,
    attested: f64,
    /// The process's CPU time over `secs` (every thread).
    cpu_secs: f64,
    accepted: usize,
    sealed_valid: usize,
    /// One synced store write of a job's seen proofs, after the run (mean).
    write_secs: f64,
    rss: String,
}

/// The verifier set: us and two others, so our batch alone forms no certificate (the bench
/// stops at the attestation; certificates need the other verifiers' batches).
fn verifier_set(us: &VerifierKeypair) -> anyhow::Result<VerifierSet> {
    let mut members = vec![VerifierMember {
        key: us.public_key(),
        weight: 1,
    }];
    for i in 1u8..=2 {
        let other = VerifierKeypair::from_seed(&[i; 32])?;
        members.push(VerifierMember {
            key: other.public_key(),
            weight: 1,
        });
    }
    Ok(VerifierSet {
        effective_from: Period(0),
        members,
    })
}

/// A period clock whose period 0 starts at `genesis` and lasts an hour: every proof is in its
/// window however long the run.
fn clock(genesis: u64) -> PeriodClock {
    PeriodClock::new(genesis, 3600, 60)
}

fn intake(keys: KeyRing, genesis: u64) -> Intake {
    Intake::new(
        Registry::new(),
        clock(genesis),
        Box::new(DevEntropy::new(bench_corpus::ENTROPY_SEED)),
        keys,
    )
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Waits until at least 300 ms of the current second remain and returns it: the node must
/// start in period 0's first second to attest period 0 (a node attests only periods it saw
/// from their start).
async fn genesis_second() -> u64 {
    loop {
        let now = unix_millis();
        if now % 1000 <= 700 {
            return now / 1000;
        }
        tokio::time::sleep(Duration::from_millis(1000 - now % 1000 + 1)).await;
    }
}

async fn node_run(
    msgs: &Arc<Messages>,
    keys: KeyRing,
    batch_size: usize,
    jobs: usize,
) -> anyhow::Result<NodeRun> {
    let n = msgs.envelopes.len();
    let scratch = Scratch::new()?;
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(&scratch.0.join("db"))?);
    // The registry as a node that heard it earlier holds it: in its store, restored at start.
    store.write(&Writes {
        datasets: msgs.announcements.clone(),
        assignments: msgs.assignments.clone(),
        ..Writes::default()
    })?;
    let queues = P2pConfig::new(
        libp2p::identity::Keypair::generate_ed25519(),
        vec![],
        vec![],
    );
    let (handle, mut swarm) = p2p::detached(PeerId::random(), queues.command_queue);
    let (proofs_tx, proofs_rx) = mpsc::channel(queues.proofs_queue);
    let (_control_tx, control_rx) = mpsc::channel(queues.control_queue);
    let keypair = VerifierKeypair::from_seed(&[0; 32])?;
    let set = verifier_set(&keypair)?;
    let health_config = HealthConfig::default();
    // The node reads the clock first thing in `VerifierNode::new`, right after this.
    let genesis = genesis_second().await;
    let parts = EngineParts {
        config: EngineConfig {
            batch_size,
            ..EngineConfig::default()
        },
        intake: intake(keys, genesis),
        set,
        signer: Some(Signer {
            index: VerifierIndex(0),
            keypair,
        }),
        health: HealthState::new(health_config),
        workers: jobs,
    };
    let health = Arc::new(RwLock::new(HealthState::new(health_config)));
    let (changes, _) = broadcast::channel(1024);
    let node = VerifierNode::new(parts, Arc::clone(&store), handle, health, changes).await?;

    let shutdown = CancellationToken::new();
    let running = tokio::spawn(node.run(proofs_rx, control_rx, shutdown.clone()));
    let (started, cpu) = (Instant::now(), cpu_secs());
    let (done_tx, done_rx) = oneshot::channel();
    // The swarm's command side: verdicts and publishes.
    let commands = tokio::spawn(async move {
        let mut tally = Tally::default();
        let mut done = Some(done_tx);
        while let Some(sent) = swarm.recv().await {
            match sent {
                Sent::Report { action, .. } => {
                    tally.reports += 1;
                    if action == GossipAction::Accept {
                        tally.accepted += 1;
                    }
                    if tally.reports == n {
                        tally.last_report = started.elapsed().as_secs_f64();
                    }
                }
                Sent::Publish {
                    topic: Topic::Attestations,
                    data,
                } => {
                    if let Ok(GossipMessage::Attestation(b)) = Topic::Attestations.decode(&data) {
                        tally.attested = Some(started.elapsed().as_secs_f64());
                        tally.sealed_valid = b
                            .entries
                            .iter()
                            .filter(|e| e.verdict == Verdict::Valid)
                            .count();
                    }
                }
                Sent::Publish { .. } | Sent::Other => {}
            }
            // Finished: every proof judged and, if all were accepted, the early seal published.
            let finished = tally.reports == n && (tally.attested.is_some() || tally.accepted < n);
            if finished {
                if let Some(tx) = done.take() {
                    let _ = tx.send(());
                }
            }
        }
        tally
    });
    // The swarm's gossip side: message id, canonical decode, the bounded proofs queue.
    let feed = Arc::clone(msgs);
    let failed = CancellationToken::new();
    let feeder_failed = failed.clone();
    let feeder = tokio::spawn(async move {
        let fed = feed_proofs(&feed.envelopes, &proofs_tx).await;
        if fed.is_err() {
            feeder_failed.cancel();
        }
        fed
    });
    // Generous: a 2-core machine verifies ~10,000 of these proofs in a few seconds.
    let limit = Duration::from_secs(120 + n as u64 / 100);
    let finished = tokio::select! {
        done = done_rx => done.is_ok(),
        () = failed.cancelled() => false,
        () = tokio::time::sleep(limit) => false,
    };
    let cpu_secs = cpu_secs() - cpu;
    shutdown.cancel();
    running.await.context("the verifier node panicked")?;
    feeder.await.context("the feeder panicked")??;
    let tally = commands.await.context("the command task panicked")?;
    ensure!(
        finished,
        "not finished after {limit:?}: {} of {n} verdicts, {} accepted, attestation {}",
        tally.reports,
        tally.accepted,
        if tally.attested.is_some() {
            "published"
        } else {
            "not published"
        }
    );
    ensure!(
        tally.accepted == n,
        "accepted: {}/{n} (every proof is valid)",
        tally.accepted
    );
    let attested = tally.attested.unwrap_or(f64::NAN);
    ensure!(
        tally.sealed_valid == n,
        "the attestation holds {} valid verdicts, not {n}",
        tally.sealed_valid
    );
    Ok(NodeRun {
        secs: tally.last_report.max(attested),
        last_report: tally.last_report,
        attested,
        cpu_secs,
        accepted: tally.accepted,
        sealed_valid: tally.sealed_valid,
        write_secs: write_probe(store.as_ref(), batch_size)?,
        rss: String::new(),
    })
}

/// Plays the swarm's gossip side for each payload: the gossip message id (as the swarm
/// computes it), the proofs topic's canonical decoder, the bounded proofs queue.
async fn feed_proofs(envelopes: &[Vec<u8>], queue: &mpsc::Sender<Inbound>) -> anyhow::Result<()> {
    let peer = PeerId::random();
    let topic = Topic::Proofs;
    for data in envelopes {
        let mut h = Sha256::new();
        h.update(topic.name().as_bytes());
        h.update([0u8]);
        h.update(data);
        let id = MessageId::new(&h.finalize());
        let message = topic.decode(data).context("decoding a proof envelope")?;
        ensure!(matches!(message, GossipMessage::Proof(_)), "not a proof");
        let msg = MessageRef {
            id,
            propagation_source: peer,
            topic,
        };
        if queue.send(Inbound::Gossip { msg, message }).await.is_err() {
            break;
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    reports: usize,
    accepted: usize,
    last_report: f64,
    attested: Option<f64>,
    sealed_valid: usize,
}

/// What the batch phase measured.
struct BatchRun {
    /// The pure batch verifier on the decoded proofs (the contract's `batch`).
    secs: f64,
    /// The process's CPU time over `secs`.
    cpu_secs: f64,
    /// `verify_checked` on the admitted proofs: signature, decoding and batch verification, the
    /// function a node's worker runs, with no node around it.
    checked_secs: f64,
    rss: String,
    /// Per proof on one core, none of it part of `secs`: the engine's checks of its state
    /// (`Intake::admit`, with the topic decode), the provider signature, the proof decoding.
    admit_us: f64,
    signature_us: f64,
    decode_us: f64,
}

/// The pure batch verifier on the same proofs: `verify_batch` (what a worker's job comes down
/// to) on the proofs decoded and their public inputs derived by an intake over the same
/// registry first, untimed, as one batch on the global rayon pool; then `verify_checked` on
/// the proofs as the workers get them (signature and decoding still owed). Also times the
/// parts of intake one by one.
fn batch_run(msgs: &Messages, vk: &VerifyingKey<Bn254>) -> anyhow::Result<BatchRun> {
    let n = msgs.envelopes.len() as f64;
    let genesis = unix_millis() / 1000;
    let mut keys = KeyRing::new();
    keys.insert(vk);
    let mut intake = intake(keys, genesis);
    for a in &msgs.announcements {
        intake.registry.announce(a.clone())?;
    }
    for s in &msgs.assignments {
        intake.registry.assign(s.clone())?;
    }
    let decode = |data: &Vec<u8>| match Topic::Proofs.decode(data) {
        Ok(GossipMessage::Proof(e)) => Ok(e),
        Ok(_) => anyhow::bail!("not a proof"),
        Err(e) => Err(e.into()),
    };
    let envelopes = msgs
        .envelopes
        .iter()
        .map(decode)
        .collect::<anyhow::Result<Vec<ProofEnvelope>>>()?;
    let t = Instant::now();
    let admitted = msgs
        .envelopes
        .iter()
        .map(|data| Ok(intake.admit(decode(data)?, genesis)?))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let admit_us = 1e6 * t.elapsed().as_secs_f64() / n;
    let t = Instant::now();
    let signed = envelopes
        .iter()
        .filter(|e| {
            ed25519_dalek::VerifyingKey::from_bytes(&e.provider.0).is_ok_and(|k| {
                k.verify_strict(
                    &e.signing_bytes(),
                    &ed25519_dalek::Signature::from_bytes(&e.signature.0),
                )
                .is_ok()
            })
        })
        .count();
    let signature_us = 1e6 * t.elapsed().as_secs_f64() / n;
    ensure!(signed == envelopes.len(), "a provider signature is bad");
    // Decoding as the workers do it: the circuit's verifier from the key ring.
    let verifier = envelopes
        .first()
        .and_then(|e| intake.keys().get(&e.circuit_id))
        .context("the corpus's circuit is not in the key ring")?;
    let t = Instant::now();
    let decoded = envelopes
        .iter()
        .filter(|e| verifier.decode(e.proof_system, &e.proof).is_ok())
        .count();
    let decode_us = 1e6 * t.elapsed().as_secs_f64() / n;
    ensure!(decoded == envelopes.len(), "a proof does not decode");
    let proofs = envelopes
        .iter()
        .map(|e| proof_from_bytes(&e.proof))
        .collect::<Result<Vec<_>, _>>()?;

    let key = PreparedKey::new(vk);
    let items: Vec<BatchItem<'_>> = proofs
        .iter()
        .zip(&admitted)
        .map(|(p, c)| BatchItem::new(p, c.public_inputs()))
        .collect();
    let (t, cpu) = (Instant::now(), cpu_secs());
    let results = verify_batch(&key, &items, &mut OsRng);
    let secs = t.elapsed().as_secs_f64();
    let cpu_secs = cpu_secs() - cpu;
    let valid = results.iter().filter(|r| matches!(r, Ok(true))).count();
    ensure!(valid == items.len(), "batch: {valid}/{} valid", items.len());

    let t = Instant::now();
    let results = verify_checked(intake.keys(), &admitted, &mut OsRng);
    let checked_secs = t.elapsed().as_secs_f64();
    let valid = results.iter().filter(|r| r.is_ok()).count();
    ensure!(
        valid == admitted.len(),
        "verify_checked: {valid}/{} valid",
        admitted.len()
    );
    Ok(BatchRun {
        secs,
        cpu_secs,
        checked_secs,
        rss: String::new(),
        admit_us,
        signature_us,
        decode_us,
    })
}

/// The mean time of one synced write of a job's seen-proof ids (what the node writes per
/// verification job), on the bench's store once the node has stopped.
fn write_probe(store: &dyn Store, batch_size: usize) -> anyhow::Result<f64> {
    const WRITES: usize = 16;
    let t = Instant::now();
    for w in 0..WRITES {
        let proofs_seen = (0..batch_size)
            .map(|i| {
                let mut id = [0xbe; 32];
                id[..8].copy_from_slice(&((w * batch_size + i) as u64).to_le_bytes());
                (proofmesh_proto::ContentId(id), bench_corpus::PERIOD)
            })
            .collect();
        store.write(&Writes {
            proofs_seen,
            ..Writes::default()
        })?;
    }
    Ok(t.elapsed().as_secs_f64() / WRITES as f64)
}

/// The process's CPU time so far, every thread, user and system (`/proc/self/stat`, in
/// USER_HZ = 100 ticks; 0 where there is none).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces), from field 3 on.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// Resets the process's peak RSS (Linux: `/proc/self/clear_refs`), so each phase reports its
/// own; elsewhere the peaks are cumulative.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak RSS since the last reset (`VmHWM`), for the report.
fn peak_rss_mib() -> String {
    let kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    match kib {
        Some(k) => format!("{:.0} MiB", k as f64 / 1024.0),
        None => "unknown".into(),
    }
}
