//! `proofmesh health`: the dataset-health view of any node, read over its gRPC health API (the
//! same calls a dashboard makes), printed as a table or JSON, optionally followed live.

use crate::output;
use anyhow::{anyhow, Context};
use proofmesh_node::grpc::table::{
    render_dataset, short_root, state_name, status_name, verdict_name,
};
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_change::Change;
use proofmesh_proto::wire::pb::health_service_client::HealthServiceClient;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// How long connecting, and each unary call, may take before the command gives up.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Show the health of the datasets a node tracks: status, K / M, and every slot.
///
/// Reads the node's gRPC health API (`proofmesh.v1.HealthService`). Prints per dataset a
/// header (root shortened, status, K/M, healthy and surviving slots) and one line per slot
/// (index, state, consecutive misses, latest certified period and verdict, number of
/// certificates behind the state). --json prints the same as one JSON document, with full
/// roots and certificate ids. --watch then keeps printing changes as certificates arrive (one
/// line, or one JSON object per line with --json) until interrupted.
/// Exit 0 on success, 2 if the node cannot be reached or refuses the request.
///
/// Example:
///   proofmesh health --addr 10.0.0.5:50051
///   proofmesh health --dataset 0f3c...e1 --json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// The node's gRPC address (`host:port`, or an `http://` URL).
    #[arg(long, value_name = "ADDR", default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Only this dataset (its root: 64 hex digits, canonical little-endian).
    #[arg(long, value_name = "ROOT")]
    dataset: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// After printing the view, stream health changes until interrupted.
    #[arg(long)]
    watch: bool,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(health(a))
}

async fn health(a: Args) -> anyhow::Result<ExitCode> {
    let addr = if a.addr.contains("://") {
        a.addr.clone()
    } else {
        format!("http://{}", a.addr)
    };
    let channel = Endpoint::from_shared(addr.clone())
        .with_context(|| format!("not a node address: {}", a.addr))?
        .connect_timeout(TIMEOUT)
        .connect()
        .await
        .with_context(|| format!("cannot connect to a proofmesh node at {addr}"))?;
    let mut client = HealthServiceClient::new(channel);
    // Subscribe before reading the view, so no change falls between the two.
    let changes = if a.watch {
        let req = pb::WatchHealthRequest {
            dataset_root: a.dataset.clone().unwrap_or_default(),
        };
        Some(call(&addr, client.watch_health(req)).await?.into_inner())
    } else {
        None
    };
    let datasets = fetch(&mut client, &addr, a.dataset.as_deref()).await?;
    if a.json {
        let all: Vec<Value> = datasets.iter().map(dataset_json).collect();
        output::line(&json!({ "node": addr, "datasets": all }).to_string())?;
    } else if datasets.is_empty() {
        output::line(&format!("no datasets known to the node at {addr}"))?;
    } else {
        datasets.iter().try_for_each(print_table)?;
    }
    if let Some(mut changes) = changes {
        loop {
            let next = tokio::select! {
                next = changes.message() => next,
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            };
            match next.map_err(|s| refused(&addr, &s))? {
                Some(c) if a.json => output::line(&change_json(&c).to_string())?,
                Some(c) => output::line(&change_line(&c))?,
                None => break,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One dataset, or every dataset page by page.
async fn fetch(
    client: &mut HealthServiceClient<Channel>,
    addr: &str,
    dataset: Option<&str>,
) -> anyhow::Result<Vec<pb::DatasetHealth>> {
    if let Some(root) = dataset {
        let req = pb::GetDatasetRequest {
            dataset_root: root.to_owned(),
        };
        return Ok(vec![call(addr, client.get_dataset(req))
            .await?
            .into_inner()]);
    }
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListDatasetsRequest {
            page_size: 1000,
            page_token,
            status: 0,
        };
        let page = call(addr, client.list_datasets(req)).await?.into_inner();
        all.extend(page.datasets);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

/// Awaits one call with the timeout, naming the node in any error.
async fn call<T>(
    addr: &str,
    rpc: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> anyhow::Result<tonic::Response<T>> {
    match tokio::time::timeout(TIMEOUT, rpc).await {
        Ok(r) => r.map_err(|s| refused(addr, &s)),
        Err(_) => Err(anyhow!(
            "the node at {addr} did not answer within {TIMEOUT:?}"
        )),
    }
}

fn refused(addr: &str, s: &tonic::Status) -> anyhow::Error {
    anyhow!(
        "the node at {addr} answered {:?}: {}",
        s.code(),
        s.message()
    )
}

fn print_table(d: &pb::DatasetHealth) -> anyhow::Result<()> {
    render_dataset(d).iter().try_for_each(|l| output::line(l))
}

fn dataset_json(d: &pb::DatasetHealth) -> Value {
    let slots: Vec<Value> = d
        .slots
        .iter()
        .map(|s| {
            json!({
                "index": s.slot_index,
                "state": state_name(s.state),
                "misses": s.misses,
                "since_period": s.since_period,
                "latest_period": s.latest_period,
                "latest_verdict": s.latest_period.map(|_| verdict_name(s.latest_verdict)),
                "evidence": s.evidence,
                "repair_requested": s.repair_requested,
            })
        })
        .collect();
    json!({
        "dataset_root": d.dataset_root,
        "status": status_name(d.status),
        "data_slots": d.data_slots,
        "parity_slots": d.parity_slots,
        "healthy_slots": d.healthy_slots,
        "surviving_slots": d.surviving_slots,
        "slots": slots,
    })
}

fn change_json(c: &pb::HealthChange) -> Value {
    let what = match &c.change {
        Some(Change::DatasetAdded(x)) => {
            json!({"dataset_added": {"status": status_name(x.status)}})
        }
        Some(Change::SlotChanged(x)) => json!({"slot_changed": {
            "slot_index": x.slot_index, "from": state_name(x.from), "to": state_name(x.to),
            "evidence": x.evidence}}),
        Some(Change::DatasetChanged(x)) => json!({"dataset_changed": {
            "from": status_name(x.from), "to": status_name(x.to)}}),
        Some(Change::DatasetUnrecoverable(x)) => json!({"dataset_unrecoverable": {
            "surviving_slots": x.surviving_slots}}),
        Some(Change::RepairRequested(x)) => json!({"repair_requested": {
            "slot_index": x.slot_index, "certificate_id": x.certificate_id}}),
        None => Value::Null,
    };
    json!({"sequence": c.sequence, "period": c.period, "dataset_root": c.dataset_root,
           "change": what})
}

fn change_line(c: &pb::HealthChange) -> String {
    let what = match &c.change {
        Some(Change::DatasetAdded(x)) => format!("added, {}", status_name(x.status)),
        Some(Change::SlotChanged(x)) => {
            format!(
                "slot {} {} -> {}",
                x.slot_index,
                state_name(x.from),
                state_name(x.to)
            )
        }
        Some(Change::DatasetChanged(x)) => {
            format!("{} -> {}", status_name(x.from), status_name(x.to))
        }
        Some(Change::DatasetUnrecoverable(x)) => {
            format!("unrecoverable, {} slots survive", x.surviving_slots)
        }
        Some(Change::RepairRequested(x)) => format!("repair requested for slot {}", x.slot_index),
        None => "unknown change".to_owned(),
    };
    format!(
        "#{} period {} dataset {}: {what}",
        c.sequence,
        c.period,
        short_root(&c.dataset_root)
    )
}
