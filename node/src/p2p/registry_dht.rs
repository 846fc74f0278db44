//! The registry in the Kademlia DHT (`proofmesh_verifier::intake::records`): a node puts the
//! records of the datasets it holds; a node that joins reads the index, then every dataset's
//! record, and hands their messages to its role ([`Inbound::Registry`]) to be checked as
//! gossip is. Inbound puts are filtered: a record is checked and merged with the one held
//! before it is stored (Kademlia would otherwise store whatever a peer sends).

use super::location::{location_key, newer, provider_of_key, ProviderLocation};
use super::swarm::SwarmTask;
use super::{GossipMessage, Inbound};
use crate::metrics::{DHT_RECORDS, QUEUE_DROPPED};
use libp2p::kad::{self, store::RecordStore, GetRecordOk, QueryResult, Quorum, Record, RecordKey};
use proofmesh_proto::DatasetRoot;
use proofmesh_verifier::intake::records::{
    dataset_key, index_record, merge_dataset_records, merge_index_records, parse_index_record,
    root_of_key, RecordError, INDEX_KEY,
};
use std::time::{Duration, Instant};

/// How often a node reads the registry from the DHT again (gossip brings what is new in
/// between; this catches what gossip missed).
pub(super) const REFETCH_EVERY: Duration = Duration::from_secs(60);

impl SwarmTask {
    /// Stores `record` (our registry's record of `root`) merged with the one held, puts it to
    /// the DHT, and adds `root` to the index.
    pub(super) fn put_registry(&mut self, root: DatasetRoot, record: Vec<u8>) {
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return;
        };
        let key = dataset_key(&root);
        let held = kad
            .store_mut()
            .get(&RecordKey::new(&key))
            .map(|r| r.value.clone());
        let value = match merge_dataset_records(&key, held.as_deref(), &record) {
            Ok((merged, _)) => merged,
            Err(e) => {
                // Our own registry's record: only a conflict with a record held first.
                tracing::warn!(dataset = %root, error = %e, "own registry record not put to the DHT");
                return;
            }
        };
        let index = index_record([root]);
        let held_index = kad
            .store_mut()
            .get(&RecordKey::new(&INDEX_KEY))
            .map(|r| r.value.clone());
        let index = merge_index_records(held_index.as_deref(), &index).unwrap_or(index);
        for (key, value) in [(key, value), (INDEX_KEY.to_vec(), index)] {
            if let Err(e) = kad.put_record(Record::new(RecordKey::new(&key), value), Quorum::One) {
                tracing::warn!(error = %e, "DHT put failed");
                metrics::counter!(DHT_RECORDS, "op" => "put", "outcome" => "failed").increment(1);
            } else {
                metrics::counter!(DHT_RECORDS, "op" => "put", "outcome" => "stored").increment(1);
            }
        }
    }

    /// Stores our own signed location (`location.rs`) and puts it to the DHT.
    pub(super) fn put_location(&mut self, provider: proofmesh_proto::ProviderKey, value: Vec<u8>) {
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return;
        };
        let record = Record::new(RecordKey::new(&location_key(&provider)), value);
        let outcome = if kad.put_record(record, Quorum::One).is_ok() {
            "stored"
        } else {
            "failed"
        };
        metrics::counter!(DHT_RECORDS, "op" => "put", "outcome" => outcome).increment(1);
    }

    /// Looks up a provider's location (handed over as [`Inbound::Location`] when found).
    pub(super) fn find_provider(&mut self, provider: &proofmesh_proto::ProviderKey) {
        if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
            kad.get_record(RecordKey::new(&location_key(provider)));
        }
    }

    /// Reads the index from the DHT (each dataset record follows when it arrives).
    pub(super) fn fetch_registry(&mut self) {
        self.last_registry_fetch = Instant::now();
        if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
            kad.get_record(RecordKey::new(&INDEX_KEY));
        }
    }

    pub(super) fn on_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::InboundRequest {
                request:
                    kad::InboundRequest::PutRecord {
                        source,
                        record: Some(record),
                        ..
                    },
            } if provider_of_key(record.key.as_ref()).is_some() => {
                if let Err(e) = self.keep_location(record) {
                    tracing::debug!(peer = %source, error = %e, "DHT location refused");
                    metrics::counter!(DHT_RECORDS, "op" => "inbound_put", "outcome" => "refused")
                        .increment(1);
                }
            }
            kad::Event::InboundRequest {
                request:
                    kad::InboundRequest::PutRecord {
                        source,
                        record: Some(record),
                        ..
                    },
            } => match self.keep_record(record, false) {
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(peer = %source, error = %e, "DHT record refused");
                    metrics::counter!(DHT_RECORDS, "op" => "inbound_put", "outcome" => "refused")
                        .increment(1);
                }
            },
            kad::Event::OutboundQueryProgressed {
                result: QueryResult::GetRecord(Ok(GetRecordOk::FoundRecord(found))),
                ..
            } => {
                let key = found.record.key.to_vec();
                if provider_of_key(&key).is_some() {
                    match self.keep_location(found.record) {
                        Ok(location) => {
                            metrics::counter!(DHT_RECORDS, "op" => "get", "outcome" => "found")
                                .increment(1);
                            if self.control.try_send(Inbound::Location(location)).is_err() {
                                tracing::debug!("control queue full: provider location dropped");
                            }
                        }
                        Err(e) => {
                            tracing::debug!(error = %e, "DHT location refused");
                            metrics::counter!(DHT_RECORDS, "op" => "get", "outcome" => "refused")
                                .increment(1);
                        }
                    }
                    return;
                }
                match self.keep_record(found.record, true) {
                    Ok(messages) if key == INDEX_KEY => {
                        debug_assert!(messages.is_empty());
                    }
                    Ok(messages) => {
                        metrics::counter!(DHT_RECORDS, "op" => "get", "outcome" => "found")
                            .increment(1);
                        self.hand_over(messages);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "DHT record refused");
                        metrics::counter!(DHT_RECORDS, "op" => "get", "outcome" => "refused")
                            .increment(1);
                    }
                }
            }
            other => tracing::trace!(?other, "kad"),
        }
    }

    /// Checks a record, merges it with the one held, stores the result. An index we asked
    /// for (`read`) names the dataset records to read next (their messages come back when
    /// they are found; a peer's put of an index starts no reads); a dataset record's messages
    /// (as kept) are returned.
    fn keep_record(
        &mut self,
        record: Record,
        read: bool,
    ) -> Result<Vec<GossipMessage>, RecordError> {
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return Ok(Vec::new());
        };
        let key = record.key.to_vec();
        let held = kad.store_mut().get(&record.key).map(|r| r.value.clone());
        let (value, messages, to_read) = if key == INDEX_KEY {
            let merged = merge_index_records(held.as_deref(), &record.value)?;
            let roots = if read {
                parse_index_record(&record.value)?
            } else {
                Vec::new()
            };
            (merged, Vec::new(), roots)
        } else if root_of_key(&key).is_some() {
            let (merged, kept) = merge_dataset_records(&key, held.as_deref(), &record.value)?;
            (merged, kept, Vec::new())
        } else {
            return Err(RecordError::WrongKey);
        };
        if held.as_deref() != Some(value.as_slice()) {
            let mut stored = Record::new(record.key.clone(), value);
            stored.publisher = record.publisher;
            stored.expires = record.expires;
            if let Err(e) = kad.store_mut().put(stored) {
                tracing::debug!(error = %e, "DHT record not stored");
            }
        }
        for root in to_read {
            kad.get_record(RecordKey::new(&dataset_key(&root)));
        }
        Ok(messages)
    }

    /// Checks a provider location, keeps the later of it and the one held, returns it.
    fn keep_location(
        &mut self,
        record: Record,
    ) -> Result<ProviderLocation, super::location::LocationError> {
        let key = record.key.to_vec();
        let location = ProviderLocation::verify(&key, &record.value)?;
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return Ok(location);
        };
        let held = kad.store_mut().get(&record.key).and_then(|r| {
            ProviderLocation::verify(&key, &r.value)
                .ok()
                .map(|l| (r.value.clone(), l))
        });
        let keep = match &held {
            Some((bytes, h)) => newer(bytes, h.issued, &record.value, location.issued).to_vec(),
            None => record.value.clone(),
        };
        if held.as_ref().map(|(b, _)| b) != Some(&keep) {
            let mut stored = Record::new(record.key.clone(), keep.clone());
            stored.publisher = record.publisher;
            stored.expires = record.expires;
            let _ = kad.store_mut().put(stored);
        }
        ProviderLocation::verify(&key, &keep)
            .map_err(|_| super::location::LocationError::BadSignature)
    }

    fn hand_over(&self, messages: Vec<GossipMessage>) {
        if messages.is_empty() {
            return;
        }
        if self
            .control
            .try_send(Inbound::Registry { messages })
            .is_err()
        {
            metrics::counter!(QUEUE_DROPPED, "queue" => super::swarm::CONTROL_QUEUE).increment(1);
            tracing::debug!("control queue full: DHT registry record dropped (read again later)");
        }
    }
}
