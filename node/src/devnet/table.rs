//! The health table the devnet prints (and `proofmesh health` shows): one block per dataset,
//! one line per slot, from the gRPC API.

use super::DevnetError;
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_service_client::HealthServiceClient;

/// Connects to a node's gRPC API (`host:port` or a URL).
pub(crate) async fn connect(
    addr: &str,
) -> Result<HealthServiceClient<tonic::transport::Channel>, DevnetError> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    HealthServiceClient::connect(url)
        .await
        .map_err(|e| DevnetError::Grpc {
            addr: addr.to_owned(),
            why: e.to_string(),
        })
}

/// Every dataset of the node at `addr`, rendered.
pub(super) async fn fetch(addr: &str) -> Result<String, DevnetError> {
    let mut client = connect(addr).await?;
    let page = client
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .map_err(|e| DevnetError::Grpc {
            addr: addr.to_owned(),
            why: e.message().to_owned(),
        })?
        .into_inner();
    Ok(page
        .datasets
        .iter()
        .map(render_dataset)
        .collect::<Vec<_>>()
        .join("\n"))
}

fn status_name(s: i32) -> &'static str {
    match pb::DatasetStatus::try_from(s) {
        Ok(pb::DatasetStatus::Healthy) => "HEALTHY",
        Ok(pb::DatasetStatus::Degraded) => "DEGRADED",
        Ok(pb::DatasetStatus::AtRisk) => "AT RISK",
        Ok(pb::DatasetStatus::Lost) => "LOST",
        _ => "?",
    }
}

fn state_name(s: i32) -> &'static str {
    match pb::SlotState::try_from(s) {
        Ok(pb::SlotState::Healthy) => "healthy",
        Ok(pb::SlotState::Missed) => "missed",
        Ok(pb::SlotState::Invalid) => "invalid",
        Ok(pb::SlotState::Lost) => "LOST",
        Ok(pb::SlotState::Repairing) => "repairing",
        _ => "?",
    }
}

fn verdict_name(v: i32) -> &'static str {
    match pb::Verdict::try_from(v) {
        Ok(pb::Verdict::Valid) => "valid",
        Ok(pb::Verdict::Invalid) => "invalid",
        Ok(pb::Verdict::Missing) => "missing",
        _ => "-",
    }
}

/// One dataset as a text block: a header line and one line per slot.
pub fn render_dataset(d: &pb::DatasetHealth) -> String {
    let root = d.dataset_root.get(..16).unwrap_or(&d.dataset_root);
    let mut s = format!(
        "dataset {root}…  {}  K={} M={}  healthy {}/{}  surviving {}\n",
        status_name(d.status),
        d.data_slots,
        d.parity_slots,
        d.healthy_slots,
        d.data_slots + d.parity_slots,
        d.surviving_slots,
    );
    s += "  slot  state      misses  last verdict        evidence  repair\n";
    for slot in &d.slots {
        let last = slot.latest_period.map_or_else(
            || "-".to_owned(),
            |p| format!("{} @ period {p}", verdict_name(slot.latest_verdict)),
        );
        s += &format!(
            "  {:>4}  {:<9}  {:>6}  {:<18}  {:>8}  {}\n",
            slot.slot_index,
            state_name(slot.state),
            slot.misses,
            last,
            slot.evidence.len(),
            if slot.repair_requested {
                "requested"
            } else {
                ""
            },
        );
    }
    s.trim_end().to_owned()
}
