//! The devnet's node processes: started in order (verifier 0 first, the others bootstrapping
//! to the verifiers already up, provers last), logs in each node's `node.log`, stopped with
//! SIGTERM (graceful) or SIGKILL (the crash demo).

use super::layout::{prover_config, verifier_config, volunteer_config, Layout, NodeAddrs};
use super::{DevnetError, DevnetOptions, Report};
use proofmesh_verifier::duty::PeriodClock;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::process::{Child, Command};

/// Unix seconds.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The running processes and how to reach them.
pub(super) struct Fleet {
    binary: PathBuf,
    verifiers: Vec<Option<Child>>,
    verifier_configs: Vec<PathBuf>,
    verifier_dirs: Vec<PathBuf>,
    provers: Vec<Child>,
    /// gRPC address of each verifier.
    pub(super) grpc: Vec<String>,
    /// Metrics address of each verifier.
    pub(super) metrics: Vec<String>,
    /// p2p addresses of each verifier.
    p2p: Vec<Vec<String>>,
    /// The mesh's clock.
    pub(super) clock: PeriodClock,
}

fn free_port() -> Result<u16, DevnetError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DevnetError::Io(format!("no free port: {e}")))
}

fn spawn(binary: &Path, config: &Path) -> Result<Child, DevnetError> {
    let dir = config.parent().unwrap_or(Path::new("."));
    let log = std::fs::File::create(dir.join("node.log"))
        .map_err(|e| DevnetError::Io(format!("{}: {e}", dir.display())))?;
    let err = log
        .try_clone()
        .map_err(|e| DevnetError::Io(e.to_string()))?;
    let rust_log = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "info,libp2p=warn,libp2p_gossipsub=error".into());
    Command::new(binary)
        .arg("node")
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| DevnetError::Node(format!("cannot start {}: {e}", binary.display())))
}

/// Waits for a node to write `file` into its data dir; fails if it exits first.
async fn wait_file(child: &mut Child, path: &Path) -> Result<String, DevnetError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.trim().is_empty() {
                return Ok(text.trim().to_owned());
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(DevnetError::Node(format!(
                "node exited ({status}) before writing {}; see its node.log",
                path.display()
            )));
        }
        if Instant::now() > deadline {
            return Err(DevnetError::Node(format!(
                "timed out waiting for {}",
                path.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sigterm(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
    }
}

impl Fleet {
    /// Writes configs and starts every node; returns once all are listening.
    pub(super) async fn start(
        layout: &Layout,
        opts: &DevnetOptions,
        out: &mut dyn Report,
    ) -> Result<Self, DevnetError> {
        let genesis = now();
        let clock = PeriodClock::new(genesis, opts.period_secs, opts.timeout_secs);
        let mut fleet = Fleet {
            binary: opts.binary.clone(),
            verifiers: Vec::new(),
            verifier_configs: Vec::new(),
            verifier_dirs: layout.verifiers.clone(),
            provers: Vec::new(),
            grpc: Vec::new(),
            metrics: Vec::new(),
            p2p: Vec::new(),
            clock,
        };
        let mut p2p_addrs: Vec<String> = Vec::new();
        for i in 0..opts.verifiers {
            // Verifier 0 gets the well-known port if it is free, any port otherwise.
            let wanted = std::net::TcpListener::bind(("127.0.0.1", opts.grpc_port)).is_ok();
            let grpc_port = if i == 0 && wanted { opts.grpc_port } else { 0 };
            let metrics = format!("127.0.0.1:{}", free_port()?);
            let addrs = NodeAddrs {
                bootstrap: p2p_addrs.clone(),
                grpc: Some(format!("127.0.0.1:{grpc_port}")),
                metrics: Some(metrics.clone()),
            };
            let config = verifier_config(layout, opts, i, genesis, &addrs)?;
            let mut child = spawn(&opts.binary, &config)?;
            let data = layout.verifiers[i].join("data");
            let p2p = wait_file(&mut child, &data.join("p2p.addr")).await?;
            let grpc = wait_file(&mut child, &data.join("grpc.addr")).await?;
            out.line(&format!(
                "verifier {i}: gRPC {grpc}, metrics http://{metrics}/metrics"
            ));
            p2p_addrs.extend(p2p.lines().map(str::to_owned));
            fleet.p2p.push(p2p.lines().map(str::to_owned).collect());
            fleet.grpc.push(grpc);
            fleet.metrics.push(metrics);
            fleet.verifiers.push(Some(child));
            fleet.verifier_configs.push(config);
        }
        for j in 0..opts.provers {
            let addrs = NodeAddrs {
                bootstrap: p2p_addrs.clone(),
                grpc: None,
                metrics: None,
            };
            let config = prover_config(layout, opts, j, genesis, &addrs)?;
            let mut child = spawn(&opts.binary, &config)?;
            let p2p =
                wait_file(&mut child, &layout.provers[j].join("data").join("p2p.addr")).await?;
            let peer = p2p
                .lines()
                .next()
                .and_then(|a| a.rsplit("/p2p/").next())
                .unwrap_or_default()
                .to_owned();
            out.line(&format!(
                "prover {j}: slots {:?}, peer {peer}",
                layout.holdings[j]
            ));
            fleet.provers.push(child);
        }
        for v in 0..layout.volunteers.len() {
            let addrs = NodeAddrs {
                bootstrap: p2p_addrs.clone(),
                grpc: None,
                metrics: None,
            };
            let config = volunteer_config(layout, opts, v, genesis, &addrs)?;
            let mut child = spawn(&opts.binary, &config)?;
            wait_file(
                &mut child,
                &layout.volunteers[v].join("data").join("p2p.addr"),
            )
            .await?;
            out.line(&format!(
                "volunteer {v}: repairs lost slots {:?}",
                layout.lost
            ));
            // Stopped and checked with the provers.
            fleet.provers.push(child);
        }
        Ok(fleet)
    }

    /// Fails if a node died (other than one we crashed on purpose).
    pub(super) fn check_alive(&mut self) -> Result<(), DevnetError> {
        for (i, v) in self.verifiers.iter_mut().enumerate() {
            if let Some(child) = v {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(DevnetError::Node(format!(
                        "verifier {i} exited ({status}); see {}",
                        self.verifier_dirs[i].join("node.log").display()
                    )));
                }
            }
        }
        for (j, child) in self.provers.iter_mut().enumerate() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(DevnetError::Node(format!("prover {j} exited ({status})")));
            }
        }
        Ok(())
    }

    /// Whether verifier `i` is running.
    pub(super) fn verifier_running(&self, i: usize) -> bool {
        self.verifiers.get(i).is_some_and(Option::is_some)
    }

    /// kill -9 of verifier `i`.
    pub(super) async fn kill_verifier(
        &mut self,
        i: usize,
        out: &mut dyn Report,
    ) -> Result<(), DevnetError> {
        if let Some(Some(mut child)) = self.verifiers.get_mut(i).map(Option::take) {
            child
                .kill()
                .await
                .map_err(|e| DevnetError::Node(format!("cannot kill verifier {i}: {e}")))?;
            out.line(&format!("verifier {i}: killed (SIGKILL)"));
        }
        Ok(())
    }

    /// Restarts verifier `i` from its store, on the same gRPC address.
    pub(super) async fn restart_verifier(
        &mut self,
        i: usize,
        out: &mut dyn Report,
    ) -> Result<(), DevnetError> {
        let config = self.verifier_configs[i].clone();
        // Keep the address the devnet already printed.
        let text = std::fs::read_to_string(&config).map_err(|e| DevnetError::Io(e.to_string()))?;
        let others: Vec<String> = (0..self.p2p.len())
            .filter(|&k| k != i)
            .flat_map(|k| self.p2p[k].clone())
            .collect();
        let fixed: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("grpc_addr") {
                    format!("grpc_addr = {:?}", self.grpc[i])
                } else if l.starts_with("bootstrap") {
                    format!("bootstrap = {others:?}")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        let fixed = fixed.join("\n") + "\n";
        std::fs::write(&config, fixed).map_err(|e| DevnetError::Io(e.to_string()))?;
        let log_dir = self.verifier_dirs[i].clone();
        let _ = std::fs::rename(
            log_dir.join("node.log"),
            log_dir.join("node.before-crash.log"),
        );
        // It listens on a new p2p port: wait for its new address (the invalid-proof sender dials
        // every verifier by the address it wrote).
        let addr_file = log_dir.join("data").join("p2p.addr");
        let _ = std::fs::remove_file(&addr_file);
        let mut child = spawn(&self.binary, &config)?;
        let p2p = wait_file(&mut child, &addr_file).await?;
        self.p2p[i] = p2p.lines().map(str::to_owned).collect();
        self.verifiers[i] = Some(child);
        out.line(&format!("verifier {i}: restarted from its store"));
        Ok(())
    }

    /// SIGTERM to every node, then waits for them (SIGKILL after 10 s).
    pub(super) async fn stop(&mut self, out: &mut dyn Report) {
        let mut children: Vec<&mut Child> = self.provers.iter_mut().collect();
        children.extend(self.verifiers.iter_mut().flatten());
        for c in &children {
            sigterm(c);
        }
        let mut clean = 0;
        for c in children {
            match tokio::time::timeout(Duration::from_secs(10), c.wait()).await {
                Ok(Ok(s)) if s.success() => clean += 1,
                Ok(_) => {}
                Err(_) => {
                    let _ = c.kill().await;
                }
            }
        }
        out.line(&format!("stopped: {clean} nodes exited cleanly"));
    }
}
