//! The devnet's final check: every duty of the checked periods has a final certificate with
//! exactly the expected verdict at every verifier (Missing for the withheld slot, Invalid for
//! the invalid one, Valid for all others), all verifiers hold the same certificates, and the
//! injected faults show (a withheld slot is Lost, invalid proofs were rejected and their
//! senders' gossip scores dropped below zero). The heartbeat-only community dataset, when
//! there is one: every slot whose provider heartbeats is Healthy on an Alive certificate at
//! every verifier, and a withheld one is Lost.

use super::layout::Layout;
use super::procs::Fleet;
use super::table::connect;
use super::{DevnetOptions, Report};
use crate::grpc::table::{state_name, verdict_name};
use proofmesh_proto::wire::pb;
use proofmesh_proto::{DatasetRoot, Period, SlotId};
use proofmesh_verifier::duty::{is_proof_required, DevEntropy, EntropySource};
use serde::Serialize;
use std::collections::BTreeMap;

/// A duty: `"slot@period"`.
pub type DutyKey = String;

/// What one verifier holds at the end.
#[derive(Debug, Default, Serialize)]
pub struct VerifierView {
    /// Its gRPC address.
    pub grpc: String,
    /// Final verdict and certificate id per checked duty.
    pub certificates: BTreeMap<DutyKey, (String, String)>,
    /// Slot states, by index.
    pub slots: Vec<String>,
    /// Whether each slot has a repair request raised.
    pub repair_requested: Vec<bool>,
    /// Each slot's latest certified verdict (`-` for none).
    pub latest: Vec<String>,
    /// Proofs it rejected as invalid.
    pub rejected_invalid: f64,
    /// Its connected peers with a gossip score below 0 (`proofmesh_peers_by_score`, every band
    /// but `positive`; absent from the metrics: 0). Only the invalid-proof senders misbehave
    /// in a devnet, so this counts those still connected.
    pub peers_below_zero: f64,
}

/// The outcome of a devnet run with `--periods`.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// True when every check passed.
    pub ok: bool,
    /// What failed, one line each.
    pub problems: Vec<String>,
    /// The dataset root (hex).
    pub dataset: String,
    /// First and last checked period.
    pub periods: (u64, u64),
    /// Every checked duty with its expected verdict.
    pub duties: BTreeMap<DutyKey, String>,
    /// Per verifier.
    pub verifiers: Vec<VerifierView>,
    /// Lost slots rebuilt byte-identical by a volunteer and Healthy again at every verifier.
    pub repaired: Vec<u16>,
    /// Community dataset slots certified Alive at every verifier (heartbeats only).
    pub community_alive: Option<usize>,
    /// Publication → certificate latency of the valid duties (from the nodes' logs).
    pub latency: Option<super::Latency>,
    /// What the crashed verifier had made durable before SIGKILL, and what it reloaded.
    pub restart: Option<RestartCheck>,
}

/// Nothing a killed verifier acknowledged is lost: its log before the crash against what it
/// restored from its store after the restart.
#[derive(Debug, Default, Serialize)]
pub struct RestartCheck {
    /// Periods it signed and published before the crash.
    pub sealed_before: usize,
    /// Distinct (slot, period) certificates it had stored before the crash.
    pub certified_before: usize,
    /// Own attestation batches it reloaded from its store.
    pub own_restored: usize,
    /// Certificates it reloaded from its store.
    pub certificates_restored: usize,
}

/// Reads the crashed verifier's two logs (see [`RestartCheck`]).
fn restart_check(dir: &std::path::Path) -> Option<RestartCheck> {
    let before = std::fs::read_to_string(dir.join("node.before-crash.log")).ok()?;
    let after = std::fs::read_to_string(dir.join("node.log")).ok()?;
    let num = |line: &str, key: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    let sealed: std::collections::BTreeSet<u64> = before
        .lines()
        .filter(|l| l.contains("attestation sealed"))
        .filter_map(|l| num(l, "period"))
        .collect();
    let certified: std::collections::BTreeSet<(u64, u64)> = before
        .lines()
        .filter(|l| l.contains("certificate stored"))
        .filter_map(|l| Some((num(l, "slot")?, num(l, "period")?)))
        .collect();
    let restored = after
        .lines()
        .find(|l| l.contains("state restored from the store"))?;
    Some(RestartCheck {
        sealed_before: sealed.len(),
        certified_before: certified.len(),
        own_restored: num(restored, "own_attestations")? as usize,
        certificates_restored: num(restored, "certificates")? as usize,
    })
}

/// Runs the checks and prints their result.
pub(super) async fn run(
    fleet: &Fleet,
    opts: &DevnetOptions,
    layout: &Layout,
    first: Period,
    last: Period,
    out: &mut dyn Report,
) -> Summary {
    let mut s = Summary {
        periods: (first.0, last.0),
        ..Summary::default()
    };
    let slots = opts.data_slots + opts.parity_slots;
    let demo = layout.root.to_string();
    for (i, addr) in fleet.grpc.iter().enumerate() {
        match view(addr, &demo, slots, fleet, i).await {
            Ok((dataset, v)) => {
                s.dataset = dataset;
                s.verifiers.push(v);
            }
            Err(e) => {
                s.problems.push(format!("verifier {i}: {e}"));
                s.verifiers.push(VerifierView::default());
            }
        }
    }
    let root = hex::decode(&s.dataset)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(DatasetRoot::from_le_bytes);
    let Some(root) = root else {
        s.problems.push("no dataset known to verifier 0".into());
        return finish(s, out);
    };
    let entropy = DevEntropy::new(opts.entropy_seed().as_bytes());
    let mut kill_duties = 0;
    for p in first.0..=last.0 {
        let Some(e) = entropy.entropy(Period(p)) else {
            continue;
        };
        for index in 0..slots {
            // A lost slot's verdicts depend on when its repair lands: checked below instead.
            if opts.lose_slots.contains(&index) {
                continue;
            }
            if !is_proof_required(
                e,
                &SlotId {
                    dataset: root,
                    index,
                },
                opts.proof_probability,
            ) {
                continue;
            }
            let expected = if opts.kill_slot == Some(index) {
                kill_duties += 1;
                "missing"
            } else if opts.invalid_slot == Some(index) {
                "invalid"
            } else {
                "valid"
            };
            s.duties.insert(format!("{index}@{p}"), expected.to_owned());
        }
    }
    for (key, expected) in &s.duties {
        let mut ids = Vec::new();
        for (i, v) in s.verifiers.iter().enumerate() {
            match v.certificates.get(key) {
                None => s
                    .problems
                    .push(format!("verifier {i}: no final verdict for duty {key}")),
                Some((verdict, id)) => {
                    // Exactly the expected verdict: the invalid slot's proofs come from a
                    // sender that gossip scoring never cuts off (`byzantine.rs`), so each of
                    // its duties is Invalid, and its holder's other slots stay Valid.
                    if verdict != expected {
                        s.problems.push(format!(
                            "verifier {i}: duty {key} is {verdict}, expected {expected}"
                        ));
                    }
                    ids.push(id.clone());
                }
            }
        }
        ids.dedup();
        if ids.len() > 1 {
            s.problems
                .push(format!("duty {key}: verifiers hold different certificates"));
        }
    }
    if let Some(k) = opts.kill_slot {
        if kill_duties >= 2 {
            for (i, v) in s.verifiers.iter().enumerate() {
                if v.slots.get(usize::from(k)).map(String::as_str) != Some("lost") {
                    s.problems
                        .push(format!("verifier {i}: withheld slot {k} is not lost"));
                }
                if v.repair_requested.get(usize::from(k)) != Some(&true) {
                    s.problems
                        .push(format!("verifier {i}: no repair requested for slot {k}"));
                }
            }
        }
    }
    if opts.invalid_slot.is_some() {
        let rejected: f64 = s.verifiers.iter().map(|v| v.rejected_invalid).sum();
        // The latest sender is still connected to every verifier it reached.
        let penalised = s.verifiers.iter().any(|v| v.peers_below_zero >= 1.0);
        let certified_invalid = s.verifiers.iter().any(|v| {
            v.certificates
                .values()
                .any(|(verdict, _)| verdict == "invalid")
        });
        if !certified_invalid {
            s.problems.push("no Invalid verdict was certified".into());
        }
        if rejected < 1.0 {
            s.problems
                .push("no verifier rejected an invalid proof".into());
        }
        if !penalised {
            s.problems
                .push("no invalid-proof sender's gossip score dropped below 0".into());
        }
    }
    for &lost in &layout.lost {
        let original = layout
            .dir
            .join("lost")
            .join(proofmesh_erasure::slot_file_name(usize::from(lost)));
        let name = format!("{}-slot_{lost}.bin", layout.root);
        let original = std::fs::read(&original).unwrap_or_default();
        let rebuilt = layout.volunteers.iter().any(|v| {
            std::fs::read(v.join("data").join("repairs").join(&name))
                .is_ok_and(|b| !original.is_empty() && b == original)
        });
        if !rebuilt {
            s.problems.push(format!(
                "lost slot {lost}: no volunteer holds a byte-identical rebuild"
            ));
        }
        let mut healed = rebuilt;
        for (i, v) in s.verifiers.iter().enumerate() {
            let state = v.slots.get(usize::from(lost)).map(String::as_str);
            let latest = v.latest.get(usize::from(lost)).map(String::as_str);
            if state != Some("healthy") || latest != Some("valid") {
                healed = false;
                s.problems.push(format!(
                    "verifier {i}: lost slot {lost} is {state:?} (latest {latest:?}), expected healthy on a valid proof after its repair"
                ));
            }
        }
        if healed {
            s.repaired.push(lost);
        }
    }
    if !layout.lost.is_empty() {
        out.line(&format!(
            "repair: lost slots {:?}, rebuilt byte-identical and healthy again at every verifier: {:?}",
            layout.lost, s.repaired
        ));
    }
    if let Some(c) = &layout.community {
        let withheld = [opts.kill_slot, opts.invalid_slot];
        let periods = last.0.saturating_sub(first.0) + 1;
        let mut alive = usize::from(slots);
        for (i, addr) in fleet.grpc.iter().enumerate() {
            let states = match community(addr, &c.root.to_string()).await {
                Ok(states) => states,
                Err(e) => {
                    s.problems
                        .push(format!("verifier {i}: community dataset: {e}"));
                    continue;
                }
            };
            let mut here = 0;
            for (index, (state, latest)) in states.iter().enumerate() {
                let index = index as u16;
                if withheld.contains(&Some(index)) {
                    if periods >= 2 && state != "lost" {
                        s.problems.push(format!(
                            "verifier {i}: community slot {index} sends no heartbeats but is {state}"
                        ));
                    }
                } else if state == "healthy" && latest == "alive" {
                    here += 1;
                } else {
                    s.problems.push(format!(
                        "verifier {i}: community slot {index} is {state} (latest {latest}), expected healthy on an alive certificate"
                    ));
                }
            }
            alive = alive.min(here);
        }
        out.line(&format!(
            "community dataset (heartbeats only, no proofs): {alive} of {slots} slots certified alive at every verifier"
        ));
        s.community_alive = Some(alive);
    }
    if let Some(i) = opts.crash_verifier {
        match layout.verifiers.get(i).and_then(|d| restart_check(d)) {
            None => s
                .problems
                .push(format!("verifier {i}: no crash/restart logs to check")),
            Some(r) => {
                if r.own_restored < r.sealed_before {
                    s.problems.push(format!(
                        "verifier {i}: signed {} periods before the crash, restored {}",
                        r.sealed_before, r.own_restored
                    ));
                }
                if r.certificates_restored < r.certified_before {
                    s.problems.push(format!(
                        "verifier {i}: stored {} certificates before the crash, restored {}",
                        r.certified_before, r.certificates_restored
                    ));
                }
                out.line(&format!(
                    "verifier {i} after SIGKILL: restored {} of its {} signed periods and {} certificates (it had stored {})",
                    r.own_restored, r.sealed_before, r.certificates_restored, r.certified_before
                ));
                s.restart = Some(r);
            }
        }
    }
    finish(s, out)
}

fn finish(mut s: Summary, out: &mut dyn Report) -> Summary {
    s.ok = s.problems.is_empty();
    out.line(&format!(
        "checked periods {}..={}: {} duties at {} verifiers",
        s.periods.0,
        s.periods.1,
        s.duties.len(),
        s.verifiers.len()
    ));
    for p in &s.problems {
        out.line(&format!("  problem: {p}"));
    }
    out.line(if s.ok {
        "OK: every duty has the same final certificate at every verifier"
    } else {
        "FAILED"
    });
    s
}

/// Each slot's state and latest certified verdict of dataset `root` at the verifier at `addr`.
async fn community(addr: &str, root: &str) -> Result<Vec<(String, String)>, String> {
    let mut client = connect(addr).await.map_err(|e| e.to_string())?;
    let d = client
        .get_dataset(pb::GetDatasetRequest {
            dataset_root: root.to_owned(),
        })
        .await
        .map_err(|e| e.message().to_owned())?
        .into_inner();
    Ok(d.slots
        .iter()
        .map(|s| {
            let latest = s
                .latest_period
                .map_or_else(|| "-".to_owned(), |_| verdict_name(s.latest_verdict));
            (state_name(s.state), latest)
        })
        .collect())
}

async fn view(
    addr: &str,
    dataset: &str,
    slots: u16,
    fleet: &Fleet,
    i: usize,
) -> Result<(String, VerifierView), String> {
    let mut client = connect(addr).await.map_err(|e| e.to_string())?;
    let list = client
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .map_err(|e| e.message().to_owned())?
        .into_inner();
    if !list.datasets.iter().any(|d| d.dataset_root == dataset) {
        return Err("the demo dataset is unknown".into());
    }
    let dataset = dataset.to_owned();
    let mut v = VerifierView {
        grpc: addr.to_owned(),
        ..VerifierView::default()
    };
    for index in 0..slots {
        let slot = client
            .get_slot(pb::GetSlotRequest {
                dataset_root: dataset.clone(),
                slot_index: u32::from(index),
                history: 1000,
            })
            .await
            .map_err(|e| e.message().to_owned())?
            .into_inner();
        v.slots.push(state_name(slot.state));
        v.repair_requested.push(slot.repair_requested);
        v.latest.push(
            slot.latest_period
                .map_or_else(|| "-".to_owned(), |_| verdict_name(slot.latest_verdict)),
        );
        for h in slot.history {
            v.certificates.insert(
                format!("{index}@{}", h.period),
                (verdict_name(h.verdict), h.certificate_id),
            );
        }
    }
    let metrics = scrape(&fleet.metrics[i]).await.unwrap_or_default();
    v.rejected_invalid = metric(
        &metrics,
        "proofmesh_proofs_rejected_total{reason=\"invalid_proof\"}",
    )
    .unwrap_or(0.0);
    v.peers_below_zero = ["negative", "no_gossip", "no_publish", "graylisted"]
        .iter()
        .filter_map(|band| {
            metric(
                &metrics,
                &format!("proofmesh_peers_by_score{{band=\"{band}\"}}"),
            )
        })
        .sum();
    Ok((dataset, v))
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.trim().parse().ok())
}

/// GET /metrics over a plain TCP connection (no HTTP client dependency for one request).
async fn scrape(addr: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let mut body = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_string(&mut body),
    )
    .await
    .map_err(|_| std::io::Error::other("timeout"))??;
    Ok(body)
}
