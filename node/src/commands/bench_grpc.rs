//! `proofmesh bench grpc`: requests per second and latency percentiles of the gRPC health API
//! under concurrent load, against `grpc.health.v1.Health/Check` on the same server as a
//! same-run baseline — what an operator uses to size a node that dashboards poll, and what a
//! developer uses to see what `GetDataset` costs above tonic's own floor.

use crate::output;
use anyhow::{anyhow, Context};
use proofmesh_node::grpc::{serve, GrpcError, HealthApi};
use proofmesh_node::store::{MemoryStore, Store};
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_service_client::HealthServiceClient;
use proofmesh_proto::wire::MAX_BATCH_ENTRIES;
use proofmesh_proto::{
    DatasetRoot, Period, SlotId, SlotVerdict, Verdict, VerifierIndex, VerifierMember, VerifierSet,
    WireMessage,
};
use proofmesh_verifier::attest::{sign_batch, VerifierKeypair};
use proofmesh_verifier::quorum::AttestationPool;
use proofmesh_verifier::{HealthConfig, HealthEvent, HealthState};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Most HTTP/2 connections the load is spread over: a dashboard or a proxy multiplexes many
/// requests over a few connections, and one connection would measure a single h2 stream
/// scheduler rather than the server.
const MAX_CHANNELS: usize = 4;
/// How long connecting to the node may take before the command gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the in-process server may take to stop once the load has ended.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Verifiers signing the fixture's certificates (equal weight, so 3 of 4 form a quorum).
const VERIFIERS: u8 = 4;
/// Certified periods of fixture history per slot (as in the `health` criterion bench).
const PERIODS: u64 = 4;
/// Seed of the fixture and of the workers' root choices: runs are repeatable.
const SEED: u64 = 0x5eed_6270;

/// Load the gRPC health API and print requests/s and latency percentiles.
///
/// Sends `proofmesh.v1.HealthService/GetDataset` for random known dataset roots, with
/// --concurrency requests in flight spread over up to 4 HTTP/2 connections, and as a
/// baseline `grpc.health.v1.Health/Check` (the cheapest RPC of the same server and stack)
/// with the same load. Each RPC is warmed up for --warmup seconds, then measured for
/// --duration seconds in two halves ordered Check, GetDataset, GetDataset, Check so that
/// drift on a shared machine cancels out of the ratio. Prints per RPC:
///   <rpc>: X req/s  p50 … p90 … p99 … max …
///   ratio: R   (GetDataset req/s over Check req/s: 1.0 means the handler costs nothing)
///
/// Without --addr it serves an in-process node on 127.0.0.1:0 (same runtime, so client and
/// server share the cores) over --datasets × --slots slots with 4 periods of real quorum
/// certificates from 4 verifiers (85 % Valid, 10 % Missing, 5 % Invalid, seeded), and the
/// Prometheus recorder installed as in a node. With --addr it loads that node and picks
/// roots among those it lists. Exit 2 if the node cannot be reached or any request fails.
///
/// Example:
///   proofmesh bench grpc
///   proofmesh bench grpc --concurrency 128 --duration 20 --json
///   proofmesh bench grpc --addr 10.0.0.5:50051
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct GrpcArgs {
    /// A running node's gRPC address (`host:port` or `http://` URL); default: an in-process one.
    #[arg(long, value_name = "ADDR")]
    addr: Option<String>,
    /// Datasets of the in-process node.
    #[arg(long, default_value_t = 100, conflicts_with = "addr")]
    datasets: usize,
    /// Slots per dataset of the in-process node (K + M, M = a third, at least 1).
    #[arg(long, default_value_t = 6, conflicts_with = "addr")]
    slots: u16,
    /// Requests in flight at any time.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds measured per RPC.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of unmeasured load per RPC before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Checks the flags, then runs the bench on a multi-thread runtime (the node's own kind, so
/// tonic's scheduling is what a node sees).
pub(crate) fn run(a: GrpcArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(a.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(a.slots >= 2, "--slots must be at least 2 (K ≥ 1, M ≥ 1)");
    anyhow::ensure!(
        u32::from(a.slots) <= proofmesh_proto::MAX_SLOTS,
        "--slots must be at most {}",
        proofmesh_proto::MAX_SLOTS
    );
    anyhow::ensure!(a.datasets > 0, "--datasets must be at least 1");
    anyhow::ensure!(
        a.datasets * usize::from(a.slots) <= MAX_BATCH_ENTRIES,
        "--datasets × --slots must be at most {MAX_BATCH_ENTRIES} (one attestation batch)"
    );
    let duration = seconds("--duration", a.duration)?;
    let warmup = seconds("--warmup", a.warmup)?;
    anyhow::ensure!(!duration.is_zero(), "--duration must be above 0");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(bench(a, duration, warmup))
}

/// A non-negative, finite number of seconds given for `flag`.
fn seconds(flag: &str, s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| anyhow!("{flag}: not a number of seconds: {s}"))
}

/// The two RPCs measured.
#[derive(Clone, Copy)]
enum Rpc {
    /// `grpc.health.v1.Health/Check`: the baseline.
    Check,
    /// `proofmesh.v1.HealthService/GetDataset` of a random known root.
    GetDataset,
}

/// What is being loaded: the address, the roots to ask for, and the in-process server if any.
struct Target {
    /// `http://host:port`.
    url: String,
    /// Roots the node knows, as sent on the wire.
    roots: Arc<[String]>,
    /// The in-process server, stopped once the load ends.
    server: Option<InProcess>,
}

/// The in-process server's task and the token that stops it.
struct InProcess {
    /// Cancels `serve`.
    shutdown: CancellationToken,
    /// The `serve` task.
    task: JoinHandle<Result<(), GrpcError>>,
    /// Certificates in its store, for the report.
    certificates: usize,
}

/// Finds or starts the node, warms up, measures both RPCs (ABBA), stops the in-process node
/// and prints the report.
async fn bench(a: GrpcArgs, duration: Duration, warmup: Duration) -> anyhow::Result<ExitCode> {
    let target = match &a.addr {
        Some(addr) => remote(addr).await?,
        None => in_process(a.datasets, a.slots).await?,
    };
    let channels = connect(&target.url, a.concurrency.min(MAX_CHANNELS)).await?;
    let load =
        |rpc, length, seed| phase(rpc, &channels, &target.roots, a.concurrency, length, seed);
    load(Rpc::Check, warmup, 1).await?;
    load(Rpc::GetDataset, warmup, 2).await?;
    // ABBA: a linear drift in the machine's speed (other processes, frequency) cancels out.
    let half = duration / 2;
    let mut check = load(Rpc::Check, half, 3).await?;
    let mut get = load(Rpc::GetDataset, half, 4).await?;
    get.extend(load(Rpc::GetDataset, half, 5).await?);
    check.extend(load(Rpc::Check, half, 6).await?);
    drop(channels);
    let certificates = match target.server {
        Some(server) => Some(stop(server).await?),
        None => None,
    };

    let (check, get) = (check.summary(), get.summary());
    let ratio = get.rate / check.rate;
    let threads = tokio::runtime::Handle::current().metrics().num_workers();
    let channels = a.concurrency.min(MAX_CHANNELS);
    if a.json {
        let server = match certificates {
            Some(certificates) => json!({
                "in_process": true,
                "datasets": a.datasets,
                "slots": a.slots,
                "periods": PERIODS,
                "certificates": certificates,
            }),
            None => json!({ "in_process": false, "datasets": target.roots.len() }),
        };
        let doc = json!({
            "addr": target.url,
            "server": server,
            "concurrency": a.concurrency,
            "channels": channels,
            "runtime_threads": threads,
            "warmup_s": warmup.as_secs_f64(),
            "duration_s": duration.as_secs_f64(),
            "check": check.json(),
            "get_dataset": get.json(),
            "ratio": ratio,
        });
        output::line(&doc.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let server = match certificates {
        Some(c) => format!(
            "in-process, {} datasets × {} slots, {c} certificates",
            a.datasets, a.slots
        ),
        None => format!("remote, {} dataset roots listed", target.roots.len()),
    };
    output::line(&format!("server: {} ({server})", target.url))?;
    output::line(&format!(
        "load: {} in flight over {channels} connections, {threads} runtime threads, \
         {:.1} s warm-up + {:.1} s measured per RPC",
        a.concurrency,
        warmup.as_secs_f64(),
        duration.as_secs_f64()
    ))?;
    output::line(&check.line("Health/Check"))?;
    output::line(&get.line("GetDataset"))?;
    output::line(&format!(
        "ratio: {ratio:.2} (GetDataset req/s / Health/Check req/s)"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// An existing node: its address and every dataset root it lists.
async fn remote(addr: &str) -> anyhow::Result<Target> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let channel = connect(&url, 1).await?.pop().context("no connection")?;
    let mut client = HealthServiceClient::new(channel);
    let mut roots = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListDatasetsRequest {
            page_size: 1000,
            page_token,
            status: 0,
        };
        let page = client
            .list_datasets(req)
            .await
            .with_context(|| format!("{url}: ListDatasets failed"))?
            .into_inner();
        roots.extend(page.datasets.into_iter().map(|d| d.dataset_root));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    anyhow::ensure!(
        !roots.is_empty(),
        "{url} tracks no datasets: nothing to ask for"
    );
    Ok(Target {
        url,
        roots: roots.into(),
        server: None,
    })
}

/// Builds the fixture, installs the node's metrics recorder (so each call is counted as in a
/// node) and serves it on 127.0.0.1:0 on this runtime.
async fn in_process(datasets: usize, slots: u16) -> anyhow::Result<Target> {
    let f = tokio::task::spawn_blocking(move || fixture(datasets, slots))
        .await
        .context("fixture builder panicked")??;
    proofmesh_node::metrics::serve(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let (changes, _) = broadcast::channel(16);
    let store: Arc<dyn Store> = f.store;
    let api = HealthApi::new(Arc::new(RwLock::new(f.state)), store, changes);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(listener, api, shutdown.clone()));
    Ok(Target {
        url: format!("http://{addr}"),
        roots: f.roots.iter().map(ToString::to_string).collect(),
        server: Some(InProcess {
            shutdown,
            task,
            certificates: f.certificates,
        }),
    })
}

/// Stops the in-process server (its connections are already closed) and returns its
/// certificate count; a server that failed while serving fails the bench.
async fn stop(server: InProcess) -> anyhow::Result<usize> {
    server.shutdown.cancel();
    tokio::time::timeout(STOP_TIMEOUT, server.task)
        .await
        .context("the in-process server did not stop")?
        .context("the in-process server panicked")??;
    Ok(server.certificates)
}

/// What the in-process node serves.
struct Fixture {
    /// The health view, as the verifier actor would have left it.
    state: HealthState,
    /// The certificates behind it.
    store: Arc<MemoryStore>,
    /// Every dataset root, sorted.
    roots: Vec<DatasetRoot>,
    /// Certificates in `store`.
    certificates: usize,
}

/// `datasets` random roots of `slots` slots each (M = a third, at least 1), announced, then
/// `PERIODS` periods of seeded verdicts (85 % Valid, 10 % Missing, 5 % Invalid) certified by
/// `VERIFIERS` real BLS signers, stored and applied — so slots carry real states, misses and
/// evidence ids, as in `tests/grpc.rs` but at scale. CPU-bound: run off the runtime.
fn fixture(datasets: usize, slots: u16) -> anyhow::Result<Fixture> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let keys = (1..=VERIFIERS)
        .map(|i| VerifierKeypair::from_seed(&[i; 32]))
        .collect::<Result<Vec<_>, _>>()?;
    let set = VerifierSet {
        effective_from: Period(0),
        members: keys
            .iter()
            .map(|k| VerifierMember {
                key: k.public_key(),
                weight: 1,
            })
            .collect(),
    };
    let mut roots = Vec::with_capacity(datasets);
    while roots.len() < datasets {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        // Below 2^252 < r: always a canonical root.
        bytes[31] &= 0x0f;
        roots.extend(DatasetRoot::from_le_bytes(bytes));
    }
    roots.sort_unstable();
    roots.dedup();
    let parity = (slots / 3).max(1);
    let mut state = HealthState::new(HealthConfig::default());
    for &dataset in &roots {
        state.apply(HealthEvent::DatasetAnnounced {
            dataset,
            data_slots: slots - parity,
            parity_slots: parity,
        });
    }
    let store = Arc::new(MemoryStore::new());
    let mut certificates = 0;
    for p in 1..=PERIODS {
        // Sorted by slot (roots are sorted), as a batch must be.
        let entries: Vec<SlotVerdict> = roots
            .iter()
            .flat_map(|&dataset| (0..slots).map(move |index| SlotId { dataset, index }))
            .map(|slot| {
                let verdict = match rng.gen_range(0..100) {
                    0..85 => Verdict::Valid,
                    85..95 => Verdict::Missing,
                    _ => Verdict::Invalid,
                };
                SlotVerdict { slot, verdict }
            })
            .collect();
        let mut pool = AttestationPool::new();
        for (v, kp) in (0u16..).zip(&keys) {
            let batch = sign_batch(kp, VerifierIndex(v), Period(p), entries.clone())?;
            pool.insert(batch, &set)?;
        }
        let certs = pool.certificates(Period(p), &set);
        anyhow::ensure!(
            certs.len() == entries.len(),
            "fixture: {} certificates for {} slots in period {p}",
            certs.len(),
            entries.len()
        );
        store.put_certificates(&certs, &[])?;
        certificates += certs.len();
        for c in &certs {
            state.apply(HealthEvent::FinalVerdict {
                slot: c.entry.slot,
                period: c.period,
                verdict: c.entry.verdict,
                certificate: c.content_id(),
            });
        }
    }
    Ok(Fixture {
        state,
        store,
        roots,
        certificates,
    })
}

/// `n` HTTP/2 connections to `url` (each `Endpoint::connect` opens its own).
async fn connect(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("not a node address: {url}"))?
        .connect_timeout(CONNECT_TIMEOUT);
    let mut channels = Vec::with_capacity(n);
    for _ in 0..n {
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("cannot connect to a proofmesh node at {url}"))?;
        channels.push(channel);
    }
    Ok(channels)
}

/// One measured stretch of load: every completed request's latency, and how long it took
/// from the first request sent to the last answer received.
struct Sample {
    /// Latencies of all requests, in no particular order.
    latencies: Vec<Duration>,
    /// Wall time of the stretch (all workers).
    elapsed: Duration,
}

/// Throughput and latency percentiles of one RPC.
struct Summary {
    /// Requests completed.
    requests: usize,
    /// Requests per second.
    rate: f64,
    /// Median latency.
    p50: Duration,
    /// 90th percentile.
    p90: Duration,
    /// 99th percentile.
    p99: Duration,
    /// Largest latency.
    max: Duration,
}

impl Sample {
    /// Adds another stretch of the same RPC (the second half of ABBA).
    fn extend(&mut self, other: Sample) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
    }

    /// Sorts the latencies once and reads throughput and percentiles off them.
    fn summary(mut self) -> Summary {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        // Nearest rank: the smallest latency at least `q` of the requests did not exceed.
        let at = |q: f64| {
            let rank = (q * n as f64).ceil() as usize;
            let i = rank.clamp(1, n.max(1)) - 1;
            self.latencies.get(i).copied().unwrap_or_default()
        };
        Summary {
            requests: n,
            rate: n as f64 / self.elapsed.as_secs_f64(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: self.latencies.last().copied().unwrap_or_default(),
        }
    }
}

impl Summary {
    /// The text report's line for RPC `name`, latencies in milliseconds.
    fn line(&self, name: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "{name}: {:.0} req/s  p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  \
             ({} requests)",
            self.rate,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.requests
        )
    }

    /// The JSON report's object, latencies in microseconds.
    fn json(&self) -> serde_json::Value {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        json!({
            "requests": self.requests,
            "requests_per_s": self.rate,
            "p50_us": us(self.p50),
            "p90_us": us(self.p90),
            "p99_us": us(self.p99),
            "max_us": us(self.max),
        })
    }
}

/// Runs `concurrency` workers, each with one request in flight at a time, round-robin over
/// `channels`, sending `rpc` until `length` has passed; a request sent before the end counts.
/// Any failed request (or wrong answer) fails the whole bench: it would measure errors.
async fn phase(
    rpc: Rpc,
    channels: &[Channel],
    roots: &Arc<[String]>,
    concurrency: usize,
    length: Duration,
    seed: u64,
) -> anyhow::Result<Sample> {
    let start = Instant::now();
    let end = start + length;
    let mut workers = JoinSet::new();
    for (w, channel) in (0..concurrency).zip(channels.iter().cycle()) {
        let channel = channel.clone();
        let roots = Arc::clone(roots);
        let rng = ChaCha8Rng::seed_from_u64(SEED ^ (seed << 32) ^ w as u64);
        workers.spawn(worker(rpc, channel, roots, rng, end));
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.context("a load worker panicked")??);
    }
    Ok(Sample {
        latencies,
        elapsed: start.elapsed(),
    })
}

/// One in-flight request at a time until `end`; the latency of each, in order.
async fn worker(
    rpc: Rpc,
    channel: Channel,
    roots: Arc<[String]>,
    mut rng: ChaCha8Rng,
    end: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let mut health = HealthClient::new(channel.clone());
    let mut api = HealthServiceClient::new(channel);
    let mut latencies = Vec::new();
    loop {
        let sent = Instant::now();
        if sent >= end {
            return Ok(latencies);
        }
        match rpc {
            Rpc::Check => {
                let req = HealthCheckRequest {
                    service: String::new(),
                };
                let status = health.check(req).await.context("Health/Check")?;
                anyhow::ensure!(
                    status.get_ref().status == ServingStatus::Serving as i32,
                    "Health/Check: the node is not serving"
                );
            }
            Rpc::GetDataset => {
                let root = roots.choose(&mut rng).context("no dataset roots")?;
                let req = pb::GetDatasetRequest {
                    dataset_root: root.clone(),
                };
                let d = api.get_dataset(req).await.context("GetDataset")?;
                anyhow::ensure!(
                    d.get_ref().dataset_root == *root,
                    "GetDataset: asked for {root}, got {}",
                    d.get_ref().dataset_root
                );
            }
        }
        latencies.push(sent.elapsed());
    }
}
