//! End-to-end latency from proof publication to final certificate, read from the nodes' logs
//! after a run: provers log `proof published period=P slot=S`, verifiers log
//! `certificate stored slot=S period=P …` (all processes share this machine's clock). For
//! every valid duty: the delay to the first certificate at each verifier, and the delay until
//! *every* verifier holds one.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Latency quantiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Quantiles {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

/// Publication → certificate latencies of one run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Per (duty, verifier): publication → that verifier stores a certificate.
    pub per_verifier: Quantiles,
    /// Per duty: publication → the last verifier stores a certificate.
    pub at_every_verifier: Quantiles,
    /// Per duty: the period's *last* proof published → the last verifier stores this duty's
    /// certificate. A verifier signs a period once (early seal when every duty is proven), so
    /// this is the mesh's own latency: propagation, batch verification, attestation, quorum.
    pub after_last_proof: Quantiles,
}

fn quantiles(mut v: Vec<f64>) -> Quantiles {
    v.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    };
    Quantiles {
        n: v.len(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: v.last().copied().unwrap_or(0.0),
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch of a `2026-11-26T00:08:55.308697Z` timestamp.
fn parse_time(s: &str) -> Option<f64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, mi) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let sec = t.next()?.parse::<f64>().ok()?;
    Some(days_from_civil(y, mo, da) as f64 * 86_400.0 + h * 3600.0 + mi * 60.0 + sec)
}

fn field(line: &str, key: &str) -> Option<u64> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// (slot, period) → time, from lines containing `marker`; the first occurrence wins.
fn events(log: &Path, marker: &str) -> BTreeMap<(u64, u64), f64> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(log) else {
        return out;
    };
    // Certificates count only when Valid: a proof published too late ends Missing, and its
    // "latency" would measure nothing.
    for line in text
        .lines()
        .filter(|l| l.contains(marker) && (!l.contains("verdict=") || l.contains("verdict=valid")))
    {
        let (Some(t), Some(slot), Some(period)) = (
            line.split_whitespace().next().and_then(parse_time),
            field(line, "slot"),
            field(line, "period"),
        ) else {
            continue;
        };
        out.entry((slot, period)).or_insert(t);
    }
    out
}

/// Reads the logs of one run. `verifier_logs` should leave out a verifier that was
/// restarted (its catch-up is not propagation latency).
/// Only duties of periods in `periods` count (the first period after start-up is partial).
pub(super) fn measure(
    prover_logs: &[&Path],
    verifier_logs: &[&Path],
    periods: std::ops::RangeInclusive<u64>,
) -> Latency {
    let mut published = BTreeMap::new();
    for log in prover_logs {
        published.extend(events(log, "proof published"));
    }
    published.retain(|(_, period), _| periods.contains(period));
    let certified: Vec<_> = verifier_logs
        .iter()
        .map(|log| events(log, "certificate stored"))
        .collect();
    let mut last_of_period: BTreeMap<u64, f64> = BTreeMap::new();
    for ((_, period), t) in &published {
        let e = last_of_period.entry(*period).or_insert(*t);
        *e = e.max(*t);
    }
    let mut per_verifier = Vec::new();
    let mut at_every = Vec::new();
    let mut after_last = Vec::new();
    for (duty, t0) in &published {
        let delays: Vec<f64> = certified
            .iter()
            .filter_map(|c| c.get(duty).map(|t| (t - t0) * 1000.0))
            .collect();
        if delays.len() == certified.len() && !delays.is_empty() {
            let worst = delays.iter().copied().fold(f64::MIN, f64::max);
            at_every.push(worst);
            let last = last_of_period.get(&duty.1).copied().unwrap_or(*t0);
            after_last.push(worst - (last - t0) * 1000.0);
        }
        per_verifier.extend(delays);
    }
    Latency {
        per_verifier: quantiles(per_verifier),
        at_every_verifier: quantiles(at_every),
        after_last_proof: quantiles(after_last),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn timestamps_and_quantiles() {
        let a = parse_time("2026-11-26T00:00:01.500000Z").unwrap();
        let b = parse_time("2026-11-25T23:59:59.000000Z").unwrap();
        assert!((a - b - 2.5).abs() < 1e-6);
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0.0));
        let q = quantiles((1..=100).map(f64::from).collect());
        assert_eq!(
            (q.n, q.p50_ms, q.p99_ms, q.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
    }

    #[test]
    fn delays_from_logs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.log");
        let v1 = dir.path().join("v1.log");
        let v2 = dir.path().join("v2.log");
        std::fs::write(
            &p,
            "2026-11-26T00:00:10.000000Z  INFO x: proof published period=3 slot=1\n",
        )
        .unwrap();
        std::fs::write(&v1, "2026-11-26T00:00:10.100000Z  INFO x: certificate stored slot=1 period=3 verdict=valid signers=3\n2026-11-26T00:00:11.000000Z  INFO x: certificate stored slot=1 period=3 verdict=valid signers=3\n").unwrap();
        std::fs::write(&v2, "2026-11-26T00:00:10.250000Z  INFO x: certificate stored slot=1 period=3 verdict=valid signers=3\n").unwrap();
        let l = measure(&[&p], &[&v1, &v2], 0..=9);
        assert_eq!(measure(&[&p], &[&v1, &v2], 4..=9).per_verifier.n, 0);
        assert_eq!(l.per_verifier.n, 2);
        assert!((l.per_verifier.max_ms - 250.0).abs() < 1e-3);
        assert_eq!(l.at_every_verifier.n, 1);
        assert!((l.at_every_verifier.p50_ms - 250.0).abs() < 1e-3);
    }
}
