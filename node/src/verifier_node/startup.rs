//! Restart: the store is the truth. The registry, the recent attestations (ours included, so
//! we never sign a period twice) and every certificate are loaded back; health is rebuilt by
//! replaying certificates in period order (health is a pure function of them).

use super::{now_secs, VerifierNode, RETENTION_PERIODS};
use crate::store::StoreError;
use proofmesh_proto::{Period, WireMessage};
use proofmesh_verifier::HealthEvent;

impl VerifierNode {
    pub(super) fn restore(&mut self) -> Result<(), StoreError> {
        let datasets = self.store.datasets()?;
        let assignments = self.store.assignments()?;
        let current = self.intake.clock().period_at(now_secs());
        let from = Period(current.0.saturating_sub(RETENTION_PERIODS));
        let batches = self.store.attestations_from(from)?;
        let certificates = self.store.certificates_from(Period(0))?;
        self.sequence = self.store.last_health_sequence()?;
        let Ok(mut health) = self.health.write() else {
            return Err(StoreError::Corrupt {
                cf: "health",
                key_hex: String::new(),
                why: "health view lock poisoned".into(),
            });
        };
        for a in datasets {
            health.apply(HealthEvent::announced(&a));
            if let Err(e) = self.intake.registry.announce(a) {
                tracing::warn!(error = %e, "stored announcement refused");
            }
        }
        for s in assignments {
            if let Err(e) = self.intake.registry.assign(s) {
                tracing::warn!(error = %e, "stored assignment refused");
            }
        }
        let mut own = 0;
        for b in batches {
            let key = (b.period, b.verifier);
            if self.signer.as_ref().is_some_and(|s| s.index == b.verifier) {
                self.sealed.insert(b.period);
                own += 1;
            }
            match self.pool.insert(b, &self.set) {
                Ok(_) => {
                    *self
                        .batches
                        .entry(key.0)
                        .or_default()
                        .entry(key.1)
                        .or_insert(0) += 1
                }
                Err(e) => tracing::warn!(error = %e, "stored attestation refused"),
            }
        }
        let n_certs = certificates.len();
        for c in certificates {
            let key = (c.period, c.entry.slot);
            let have = self.certified.get(&key).map_or(0, |(_, n)| *n);
            if have == 0 {
                health.apply(HealthEvent::FinalVerdict {
                    slot: c.entry.slot,
                    period: c.period,
                    verdict: c.entry.verdict,
                    certificate: c.content_id(),
                });
            }
            if self.improves(&key, &c) {
                self.certified
                    .insert(key, (c.content_id(), c.signers.len()));
            }
        }
        super::certify::update_dataset_gauges(&health);
        drop(health);
        tracing::info!(
            datasets = self.intake.registry.datasets().count(),
            own_attestations = own,
            certificates = n_certs,
            first_attested_period = self.first_full_period.0,
            "state restored from the store"
        );
        Ok(())
    }
}
