//! Text for people: the names of the API's enums and the health table that `proofmesh health`
//! and `proofmesh devnet` print (one renderer, so both show the same thing).

use proofmesh_proto::wire::pb;

/// `DATASET_STATUS_AT_RISK` → `at_risk`: the enum name without its prefix, lower case.
fn label(name: Option<&str>, prefix: &str, wire: i32) -> String {
    match name {
        Some(n) => n.strip_prefix(prefix).unwrap_or(n).to_lowercase(),
        None => format!("unknown({wire})"),
    }
}

/// A dataset status as `healthy`, `degraded`, `at_risk`, `lost`.
pub fn status_name(wire: i32) -> String {
    let name = pb::DatasetStatus::try_from(wire)
        .ok()
        .map(|s| s.as_str_name());
    label(name, "DATASET_STATUS_", wire)
}

/// A slot state as `healthy`, `missed`, `invalid`, `lost`, `repairing`.
pub fn state_name(wire: i32) -> String {
    let name = pb::SlotState::try_from(wire).ok().map(|s| s.as_str_name());
    label(name, "SLOT_STATE_", wire)
}

/// A verdict as `valid`, `invalid`, `missing`.
pub fn verdict_name(wire: i32) -> String {
    let name = pb::Verdict::try_from(wire).ok().map(|s| s.as_str_name());
    label(name, "VERDICT_", wire)
}

/// The first and last 8 hex digits of a root: enough to tell datasets apart in a table.
pub fn short_root(root: &str) -> String {
    match (root.get(..8), root.get(root.len().saturating_sub(8)..)) {
        (Some(head), Some(tail)) if root.len() > 16 => format!("{head}..{tail}"),
        _ => root.to_owned(),
    }
}

/// One dataset as lines of text: a header, then one line per slot.
pub fn render_dataset(d: &pb::DatasetHealth) -> Vec<String> {
    let total = d.data_slots + d.parity_slots;
    let mut lines = vec![
        format!(
            "dataset {}  {}  K={} M={}  healthy {}/{}  surviving {}/{}",
            short_root(&d.dataset_root),
            status_name(d.status).to_uppercase(),
            d.data_slots,
            d.parity_slots,
            d.healthy_slots,
            total,
            d.surviving_slots,
            total,
        ),
        "  slot  state      misses  latest                evidence".to_owned(),
    ];
    for s in &d.slots {
        let latest = match s.latest_period {
            Some(p) => format!("{p} {}", verdict_name(s.latest_verdict)),
            None => "-".to_owned(),
        };
        let repair = if s.repair_requested {
            "  repair requested"
        } else {
            ""
        };
        lines.push(format!(
            "  {:>4}  {:<9}  {:>6}  {:<20}  {:>8}{repair}",
            s.slot_index,
            state_name(s.state),
            s.misses,
            latest,
            s.evidence.len(),
        ));
    }
    lines
}
