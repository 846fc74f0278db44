//! The node tests' kit: the `proofmesh` binary as a process (run to completion, or spawned with
//! a deadline that kills it), temp dirs and fixture files, protocol message builders, and
//! waiting on a condition with an explicit timeout. Every wait here is bounded and panics with
//! what it was waiting for, so a hung test names its cause instead of hanging CI.
//!
//! Each test binary compiles this module and uses part of it.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the kit"
)]

use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_proto::wire::pb;
use proofmesh_proto::*;
use rand::{RngCore, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Waiting

/// Polls `cond` every `poll` until it holds; panics naming `what` after `timeout`.
pub(crate) fn wait_until(
    timeout: Duration,
    poll: Duration,
    what: &str,
    mut cond: impl FnMut() -> bool,
) {
    wait_for(timeout, poll, what, || cond().then_some(()));
}

/// Polls `probe` every `poll` until it returns a value; panics naming `what` after `timeout`.
pub(crate) fn wait_for<T>(
    timeout: Duration,
    poll: Duration,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(poll);
    }
}

/// [`wait_until`] for async conditions (on the test's tokio runtime).
pub(crate) async fn wait_until_async<F, Fut>(
    timeout: Duration,
    poll: Duration,
    what: &str,
    mut cond: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(poll).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The binary

/// `proofmesh` with these arguments, run to completion (for commands that end by themselves
/// within seconds).
pub(crate) fn proofmesh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proofmesh"))
        .args(args)
        .output()
        .expect("run proofmesh")
}

/// A command for the `proofmesh` binary.
pub(crate) fn proofmesh_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_proofmesh"))
}

/// Its stdout, lossily.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its stderr, lossily.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path as an argument.
pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A long-running `proofmesh` process whose stdout and stderr go to files in `dir` (a pipe
/// nobody reads would block it once full). Dropping it stops the process ([`Spawned::stop`]).
pub(crate) struct Spawned {
    /// The process.
    pub(crate) child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Spawned {
    /// Starts `cmd` with its output in `dir/<name>.stdout` and `dir/<name>.stderr`.
    pub(crate) fn start(mut cmd: Command, dir: &Path, name: &str) -> Spawned {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn proofmesh");
        Spawned {
            child,
            stdout,
            stderr,
        }
    }

    /// What it printed so far.
    pub(crate) fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// What it printed on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit; after `timeout` stops it ([`Spawned::stop`]) and panics with its
    /// output (`what` names the run).
    pub(crate) fn wait(&mut self, timeout: Duration, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                self.stop();
                panic!(
                    "{what}: still running after {timeout:?}, stopped; it said:\n{}\n{}",
                    tail(&self.stdout(), 60),
                    tail(&self.stderr(), 30)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops it if it still runs: SIGTERM (so a devnet stops its nodes), SIGKILL after
    /// [`STOP_GRACE`].
    pub(crate) fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long [`Spawned::stop`] lets a process stop cleanly before it kills it (a devnet gives
/// each node 10 s).
const STOP_GRACE: Duration = Duration::from_secs(30);

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Sends `signal` (a name, e.g. `TERM`) to `pid` with the `kill` command.
pub(crate) fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Live processes (zombies excluded) whose command line contains `needle`, from `/proc`.
pub(crate) fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !cmdline.contains(needle) {
            continue;
        }
        // `/proc/PID/stat`: "PID (comm) STATE ..."; a zombie has exited, only not been reaped.
        let state = std::fs::read_to_string(e.path().join("stat"))
            .ok()
            .and_then(|st| {
                st.rsplit_once(')')
                    .and_then(|(_, rest)| rest.trim().chars().next())
            });
        if state.is_some_and(|c| c != 'Z') {
            found.push(pid);
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Real nodes (`proofmesh node` processes): start, addresses, metrics, gRPC

/// A bounded wait: [`Deadline::tick`] sleeps `poll`, or panics naming what it waited for once
/// the timeout has passed (async, so a test's gRPC clients can be borrowed in the loop).
pub(crate) struct Deadline {
    at: Instant,
    timeout: Duration,
    what: &'static str,
}

impl Deadline {
    /// `timeout` from now, waiting for `what`.
    pub(crate) fn new(timeout: Duration, what: &'static str) -> Self {
        Self {
            at: Instant::now() + timeout,
            timeout,
            what,
        }
    }

    /// Sleeps `poll`, or panics if the deadline has passed.
    pub(crate) async fn tick_every(&self, poll: Duration) {
        assert!(
            Instant::now() < self.at,
            "timed out after {:?} waiting for {}",
            self.timeout,
            self.what
        );
        tokio::time::sleep(poll).await;
    }
}

/// Seconds since the Unix epoch (a devnet's genesis).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Starts `proofmesh node --config CONFIG` with its output in `dir/<name>.{stdout,stderr}`.
pub(crate) fn start_node(config: &Path, dir: &Path, name: &str) -> Spawned {
    let mut cmd = proofmesh_command();
    cmd.args(["node", "--config", s(config)])
        .env("RUST_LOG", "info,proofmesh_node=debug");
    Spawned::start(cmd, dir, name)
}

/// A file the node writes once it is up (`p2p.addr`, `grpc.addr`), first line.
pub(crate) fn wait_file(path: &Path, what: &str) -> String {
    wait_for(
        Duration::from_secs(30),
        Duration::from_millis(100),
        what,
        || {
            let text = std::fs::read_to_string(path).ok()?;
            let line = text.lines().next()?.trim().to_owned();
            (!line.is_empty()).then_some(line)
        },
    )
}

/// A free TCP port on 127.0.0.1 (for the metrics endpoint, which does not report its port).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A gRPC client of the health API at `addr`.
pub(crate) async fn client(
    addr: &str,
) -> pb::health_service_client::HealthServiceClient<tonic::transport::Channel> {
    pb::health_service_client::HealthServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap_or_else(|e| panic!("gRPC {addr}: {e}"))
}

/// The roots (hex) of the datasets a verifier knows, from its gRPC API.
pub(crate) async fn datasets(
    client: &mut pb::health_service_client::HealthServiceClient<tonic::transport::Channel>,
) -> Vec<String> {
    client
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .datasets
        .into_iter()
        .map(|d| d.dataset_root)
        .collect()
}

/// GET /metrics (plain TCP, HTTP/1.0); empty if the endpoint is not up.
pub(crate) async fn scrape(addr: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return String::new();
    };
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut body = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut body)).await;
    body
}

/// The value of the series whose line starts with `name` (include a trailing space for an
/// unlabelled series).
pub(crate) fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.trim().parse().ok())
}

/// The sum of the series of metric `name` that carry every `label="value"` pair of `labels`
/// (0 when there is none).
pub(crate) fn labelled(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|rest| rest.split_once('}'))
        .filter(|(set, _)| {
            labels
                .iter()
                .all(|(k, v)| set.split(',').any(|p| p == format!("{k}=\"{v}\"")))
        })
        .filter_map(|(_, value)| value.trim().parse::<f64>().ok())
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Files

/// A fresh temporary directory (removed when dropped).
pub(crate) fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The shared checkout beside this one (`../shared/`).
pub(crate) fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel)
}

/// A Codex fixture from `../shared/fixtures/codex/`.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    shared(&format!("fixtures/codex/{rel}"))
}

/// Writes `blocks` random 64 KiB blocks, deterministically from `seed`.
pub(crate) fn slot_file(dir: &Path, name: &str, blocks: usize, seed: u64) -> PathBuf {
    let mut data = vec![0u8; blocks * BLOCK_SIZE];
    rand_chacha::ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut data);
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

// ---------------------------------------------------------------------------------------------
// Protocol messages (well-formed, not validly signed: for the layers below verification)

/// A canonical dataset root derived from `tag`.
pub(crate) fn root(tag: u8) -> DatasetRoot {
    let mut bytes = [tag; 32];
    bytes[31] = 0x01;
    DatasetRoot::from_le_bytes(bytes).unwrap()
}

/// Slot `index` of dataset `root(tag)`.
pub(crate) fn slot(tag: u8, index: u16) -> SlotId {
    SlotId {
        dataset: root(tag),
        index,
    }
}

/// An announcement of dataset `root(tag)` (K = 4, M = 2).
pub(crate) fn announce(tag: u8) -> DatasetAnnounce {
    DatasetAnnounce {
        root: root(tag),
        data_slots: 4,
        parity_slots: 2,
        slot_roots: (0..6)
            .map(|i| SlotRoot::from_le_bytes([i; 32]).unwrap())
            .collect(),
        proof_probability: 4,
        blocks_per_slot: 16,
        cells_per_slot: 512,
        original_size: 4 * 16 * 65536,
        owner: ProviderKey([1; 32]),
        signature: ProviderSignature([2; 64]),
    }
}

/// An assignment of slot `index` of dataset `root(tag)` from `from`.
pub(crate) fn assign(tag: u8, index: u16, from: u64) -> SlotAssign {
    SlotAssign {
        slot: slot(tag, index),
        provider: ProviderKey([3; 32]),
        from_period: Period(from),
        signature: ProviderSignature([4; 64]),
    }
}

/// A proof envelope for slot 5 of dataset `root(tag)` in `period`.
pub(crate) fn envelope(tag: u8, period: u64) -> ProofEnvelope {
    ProofEnvelope {
        slot: slot(tag, 5),
        period: Period(period),
        circuit_id: CircuitId([9; 32]),
        proof_system: ProofSystem::GROTH16_BN254,
        proof: vec![5; PROOF_BYTES],
        provider: ProviderKey([3; 32]),
        signature: ProviderSignature([6; 64]),
    }
}

/// A one-entry attestation batch of verifier 2 for `period`.
pub(crate) fn batch(tag: u8, period: u64) -> AttestationBatch {
    AttestationBatch {
        verifier: VerifierIndex(2),
        period: Period(period),
        entries: vec![SlotVerdict {
            slot: slot(tag, 0),
            verdict: Verdict::Valid,
        }],
        signature: BlsSignature([8; 96]),
    }
}

// --------------------------------------------------------------- small real meshes

/// A small devnet layout for a real-process mesh test: K = 2, M = 1, two-block slots, two
/// samples, every slot proving every period, no fault injection; the test writes its own node
/// configs from it ([`network_section`], [`p2p_section`]).
pub(crate) fn mesh_options(
    dir: &Path,
    verifiers: usize,
    provers: usize,
    period_secs: u64,
    timeout_secs: u64,
    seed: u64,
) -> proofmesh_node::devnet::DevnetOptions {
    proofmesh_node::devnet::DevnetOptions {
        dir: dir.to_path_buf(),
        binary: PathBuf::from(env!("CARGO_BIN_EXE_proofmesh")),
        verifiers,
        provers,
        data_slots: 2,
        parity_slots: 1,
        blocks_per_slot: 2,
        samples: 2,
        period_secs,
        timeout_secs,
        proof_probability: 1,
        kill_slot: None,
        lose_slots: Vec::new(),
        volunteers: 0,
        invalid_slot: None,
        crash_verifier: None,
        periods: None,
        seed,
        grpc_port: 0,
        community: false,
    }
}

/// The `[network]` section of a node config for the mesh of `opts` / `layout`.
pub(crate) fn network_section(
    layout: &proofmesh_node::devnet::Layout,
    opts: &proofmesh_node::devnet::DevnetOptions,
    genesis: u64,
) -> String {
    format!(
        "\n[network]\ngenesis = {genesis}\nperiod_secs = {}\ntimeout_secs = {}\nentropy = \"dev\"\nentropy_seed = {:?}\nverifying_keys = [{:?}]\nverifier_set = {:?}\nmiss_budget = 2\n",
        opts.period_secs,
        opts.timeout_secs,
        opts.entropy_seed(),
        s(&layout.dir.join("keys").join("verifying.key")),
        s(&layout.dir.join("verifiers.toml")),
    )
}

/// The `[p2p]` section of a node config: our `node.key`, `listen`, `bootstrap`.
pub(crate) fn p2p_section(listen: &[&str], bootstrap: &[String]) -> String {
    format!(
        "\n[p2p]\nidentity_key = \"node.key\"\nlisten = {listen:?}\nbootstrap = {bootstrap:?}\n"
    )
}

/// `node.toml` of verifier `i` of a small mesh (gRPC on a free port), bootstrapping from
/// `bootstrap`.
pub(crate) fn mesh_verifier_config(
    layout: &proofmesh_node::devnet::Layout,
    opts: &proofmesh_node::devnet::DevnetOptions,
    i: usize,
    genesis: u64,
    bootstrap: &[String],
) -> PathBuf {
    let text = format!(
        "role = \"verifier\"\ndata_dir = \"data\"\ngrpc_addr = \"127.0.0.1:0\"\n{}{}\n[verifier]\nbls_key = \"verifier.key\"\nbatch_size = 64\nbatch_delay_ms = 100\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], bootstrap),
        network_section(layout, opts, genesis),
    );
    let path = layout.verifiers[i].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `node.toml` of prover `j` of a small mesh: the owner's records of its slots, its
/// `[[prover.hold]]` tables, bootstrapping from `bootstrap`.
pub(crate) fn mesh_prover_config(
    layout: &proofmesh_node::devnet::Layout,
    opts: &proofmesh_node::devnet::DevnetOptions,
    j: usize,
    genesis: u64,
    bootstrap: &[String],
) -> PathBuf {
    let records = layout.prover_records(j);
    let records: Vec<&str> = records.iter().map(|p| s(p)).collect();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = {records:?}\n{}",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], bootstrap),
        network_section(layout, opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        layout.prover_hold(j),
    );
    let path = layout.provers[j].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A small real mesh for a test: its layout (generated off the async workers), one verifier
/// running, and its provers running (prover `j`'s config extended by `extra(j)`).
pub(crate) struct Mesh {
    /// Keeps the mesh's directory alive.
    pub(crate) _tmp: tempfile::TempDir,
    pub(crate) layout: proofmesh_node::devnet::Layout,
    pub(crate) opts: proofmesh_node::devnet::DevnetOptions,
    pub(crate) genesis: u64,
    pub(crate) logs: PathBuf,
    pub(crate) v: Spawned,
    pub(crate) v_p2p: String,
    pub(crate) v_grpc: String,
    pub(crate) provers: Vec<Spawned>,
}

/// Starts a [`Mesh`] of one verifier and `provers` provers (K = 2, M = 1, see
/// [`mesh_options`]), after `edit` adjusted its options.
pub(crate) async fn start_mesh(
    provers: usize,
    period_secs: u64,
    timeout_secs: u64,
    seed: u64,
    edit: impl FnOnce(&mut proofmesh_node::devnet::DevnetOptions),
    extra: impl Fn(usize) -> String,
) -> Mesh {
    let tmp = temp_dir();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let mut opts = mesh_options(&dir, 1, provers, period_secs, timeout_secs, seed);
    edit(&mut opts);
    let layout = tokio::task::spawn_blocking({
        let opts = opts.clone();
        move || proofmesh_node::devnet::generate(&opts).unwrap()
    })
    .await
    .unwrap();
    let genesis = unix_now();
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let v = start_node(
        &mesh_verifier_config(&layout, &opts, 0, genesis, &[]),
        &logs,
        "verifier",
    );
    let v_data = layout.verifiers[0].join("data");
    let v_p2p = wait_file(&v_data.join("p2p.addr"), "V's p2p address");
    let v_grpc = wait_file(&v_data.join("grpc.addr"), "V's gRPC address");
    let provers = (0..provers)
        .map(|j| {
            let config =
                mesh_prover_config(&layout, &opts, j, genesis, std::slice::from_ref(&v_p2p));
            let mut text = std::fs::read_to_string(&config).unwrap();
            text += &extra(j);
            std::fs::write(&config, text).unwrap();
            start_node(&config, &logs, &format!("prover-{j}"))
        })
        .collect();
    Mesh {
        _tmp: tmp,
        layout,
        opts,
        genesis,
        logs,
        v,
        v_p2p,
        v_grpc,
        provers,
    }
}
