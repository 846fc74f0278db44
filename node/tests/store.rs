#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The store contract, run unchanged against `MemoryStore` and `RocksStore` (module `memory`
//! and `rocks`), with real signed batches and certificates; then what only RocksDB can show:
//! reopening keeps everything, and damaged, foreign, locked or other-version stores are
//! refused with typed errors.

use std::path::Path;
use std::sync::OnceLock;

use proofmesh_node::store::{MemoryStore, RocksStore, Store, StoreError, SCHEMA_VERSION};
use proofmesh_proto::*;
use proofmesh_verifier::attest::{sign_batch, VerifierKeypair};
use proofmesh_verifier::engine::{HealthChange, Writes};
use proofmesh_verifier::quorum::{check_batch, check_certificate, AttestationPool};
use proofmesh_verifier::HealthEffect;

const CFS: [&str; 8] = [
    "datasets",
    "assignments",
    "attestations",
    "certificates",
    "slots",
    "health",
    "proofs_seen",
    "meta",
];

fn keypairs() -> &'static [VerifierKeypair] {
    static KEYS: OnceLock<Vec<VerifierKeypair>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (1..=3u8)
            .map(|i| VerifierKeypair::from_seed(&[i; 32]).unwrap())
            .collect()
    })
}

fn set() -> VerifierSet {
    let members = keypairs().iter();
    VerifierSet {
        effective_from: Period(0),
        members: members
            .map(|kp| VerifierMember {
                key: kp.public_key(),
                weight: 1,
            })
            .collect(),
    }
}

fn root(tag: u8) -> DatasetRoot {
    let mut bytes = [tag; 32];
    bytes[31] = 0; // most significant byte: far below r
    DatasetRoot::from_le_bytes(bytes).unwrap()
}

fn slot(tag: u8, index: u16) -> SlotId {
    SlotId {
        dataset: root(tag),
        index,
    }
}

fn announce(tag: u8, data_slots: u16) -> DatasetAnnounce {
    DatasetAnnounce {
        root: root(tag),
        data_slots,
        parity_slots: 2,
        slot_roots: (0..data_slots + 2)
            .map(|i| SlotRoot::from_le_bytes([i as u8; 32]).unwrap())
            .collect(),
        proof_probability: 4,
        blocks_per_slot: 16,
        cells_per_slot: 512,
        original_size: u64::from(data_slots) * 16 * 65536,
        owner: ProviderKey([tag; 32]),
        signature: ProviderSignature([9; 64]),
    }
}

fn assign(tag: u8, index: u16, from: u64) -> SlotAssign {
    SlotAssign {
        slot: slot(tag, index),
        provider: ProviderKey([index as u8; 32]),
        from_period: Period(from),
        signature: ProviderSignature([from as u8; 64]),
    }
}

/// A signed batch of verifier `v` on slots 0..4 of dataset 1 (`flip` changes one verdict).
fn batch(v: u16, period: u64, flip: bool) -> AttestationBatch {
    let entries = (0..4u16)
        .map(|i| SlotVerdict {
            slot: slot(1, i),
            verdict: if flip && i == 2 {
                Verdict::Valid
            } else {
                Verdict::ALL[usize::from(i) % 3]
            },
        })
        .collect();
    let kp = &keypairs()[usize::from(v)];
    sign_batch(kp, VerifierIndex(v), Period(period), entries).unwrap()
}

/// The four certificates of `period` (one per slot), formed by a real attestation pool.
fn certificates(period: u64) -> Vec<QuorumCertificate> {
    let (mut pool, set) = (AttestationPool::new(), set());
    for v in 0..3 {
        pool.insert(batch(v, period, false), &set).unwrap();
    }
    let certs = pool.certificates(Period(period), &set);
    assert_eq!(certs.len(), 4);
    certs
}

/// Dataset `tag`'s settled health after a miss of slot 0 in period 1, from the real state
/// machine.
fn checkpoint(tag: u8) -> proofmesh_verifier::health::DatasetCheckpoint {
    let mut h = proofmesh_verifier::HealthState::new(Default::default());
    let _ = h.apply(proofmesh_verifier::HealthEvent::DatasetAnnounced {
        dataset: root(tag),
        data_slots: 2,
        parity_slots: 1,
    });
    let _ = h.apply(proofmesh_verifier::HealthEvent::FinalVerdict {
        slot: slot(tag, 0),
        period: Period(1),
        verdict: Verdict::Missing,
        certificate: ContentId([9; 32]),
    });
    h.settle_before(Period(2)).pop().unwrap()
}

fn change(sequence: u64, period: u64) -> HealthChange {
    let mut evidence = [0; 32];
    evidence[24..].copy_from_slice(&sequence.to_be_bytes());
    HealthChange {
        sequence,
        effect: HealthEffect::SlotChanged {
            slot: slot(1, 2),
            from: proofmesh_verifier::health::SlotState::Healthy,
            to: proofmesh_verifier::health::SlotState::Missed(1),
            period: Period(period),
            evidence: vec![ContentId(evidence)],
        },
    }
}

// ------------------------------------------------------------------------ the shared suite

fn empty_store_reads_empty(s: &dyn Store) {
    assert!(s.datasets().unwrap().is_empty());
    assert!(s.assignments().unwrap().is_empty());
    assert!(s.attestations_from(Period(0)).unwrap().is_empty());
    assert!(s.certificates_from(Period(0)).unwrap().is_empty());
    assert_eq!(s.certificate(&ContentId([1; 32])).unwrap(), None);
    assert!(s.slot_certificates(&slot(1, 0), 10).unwrap().is_empty());
    assert!(s.health_changes_after(0, 10).unwrap().is_empty());
    assert_eq!(s.last_health_sequence().unwrap(), 0);
    assert!(!s.proof_seen(&ContentId([1; 32])).unwrap());
    assert_eq!(s.meta("schema_version").unwrap(), None); // internal keys are not user keys
}

fn datasets_in_root_order_first_write_wins(s: &dyn Store) {
    for tag in [3, 1, 2, 1] {
        s.put_dataset(&announce(tag, 4)).unwrap();
    }
    s.put_dataset(&announce(2, 9)).unwrap(); // another announcement of a stored root
    let want: Vec<_> = [1, 2, 3].map(|t| announce(t, 4)).to_vec();
    assert_eq!(s.datasets().unwrap(), want);
}

fn assignments_in_slot_then_period_order(s: &dyn Store) {
    let claims = [
        assign(2, 0, 1),
        assign(1, 200, 5),
        assign(1, 3, 256),
        assign(1, 3, 7),
    ];
    for claim in claims.iter().chain(&claims) {
        s.put_assignment(claim).unwrap();
    }
    // Same (slot, from_period), another assignment: the smaller content id is kept, whichever
    // came first (the registry's conflict rule), through both write paths.
    let mut other = assign(1, 3, 7);
    other.provider = ProviderKey([0xee; 32]);
    let winner = [assign(1, 3, 7), other.clone()]
        .into_iter()
        .min_by_key(|a| a.content_id())
        .unwrap();
    s.put_assignment(&other).unwrap();
    s.put_assignment(&assign(1, 3, 7)).unwrap();
    s.write(&Writes {
        assignments: vec![other, assign(1, 3, 7)],
        ..Writes::default()
    })
    .unwrap();
    let want = vec![
        winner,
        assign(1, 3, 256),
        assign(1, 200, 5),
        assign(2, 0, 1),
    ];
    assert_eq!(s.assignments().unwrap(), want);
}

fn attestations_in_period_verifier_order(s: &dyn Store) {
    let (a, b, c) = (
        batch(2, 256, false),
        batch(0, 256, false),
        batch(1, 255, false),
    );
    let (liar1, liar2) = (batch(1, 256, false), batch(1, 256, true)); // equivocation: both kept
    for batch in [&a, &b, &c, &liar2, &liar1, &a] {
        s.put_attestation(batch).unwrap();
    }
    let mut liars = [liar1, liar2];
    liars.sort_by_key(|b| b.content_id());
    let [l1, l2] = liars;
    assert_eq!(
        s.attestations_from(Period(0)).unwrap(),
        vec![c, b.clone(), l1.clone(), l2.clone(), a.clone()]
    );
    assert_eq!(
        s.attestations_from(Period(256)).unwrap(),
        vec![b, l1, l2, a]
    );
    assert!(s.attestations_from(Period(257)).unwrap().is_empty());
}

fn certificates_by_id_slot_and_period(s: &dyn Store) {
    let (p1, p2, p300) = (certificates(1), certificates(2), certificates(300));
    s.put_certificates(&p300, &[]).unwrap();
    s.put_certificates(&p1, &[]).unwrap();
    s.put_certificates(&p2, &[]).unwrap();
    s.put_certificates(&p1, &[]).unwrap(); // re-put: no duplicates anywhere
    for cert in p1.iter().chain(&p2).chain(&p300) {
        assert_eq!(
            s.certificate(&cert.content_id()).unwrap().as_ref(),
            Some(cert)
        );
    }
    let all: Vec<_> = [&p1, &p2, &p300].into_iter().flatten().cloned().collect();
    assert_eq!(s.certificates_from(Period(0)).unwrap(), all);
    assert_eq!(s.certificates_from(Period(2)).unwrap(), all[4..].to_vec());
    assert!(s.certificates_from(Period(301)).unwrap().is_empty());
    // Newest period first, per slot, at most `limit`.
    let slot2 = slot(1, 2);
    let history = s.slot_certificates(&slot2, 10).unwrap();
    assert_eq!(history, vec![p300[2].clone(), p2[2].clone(), p1[2].clone()]);
    assert_eq!(
        s.slot_certificates(&slot2, 2).unwrap(),
        history[..2].to_vec()
    );
    assert!(s.slot_certificates(&slot2, 0).unwrap().is_empty());
    assert!(s.slot_certificates(&slot(1, 9), 10).unwrap().is_empty());
}

fn health_changes_paged_in_sequence_order(s: &dyn Store) {
    let changes: Vec<_> = (1..=300).map(|q| change(q, q / 10)).collect();
    s.put_certificates(&[], &changes[200..]).unwrap();
    s.put_certificates(&[], &changes[..200]).unwrap();
    assert_eq!(s.last_health_sequence().unwrap(), 300);
    assert_eq!(s.health_changes_after(0, 1000).unwrap(), changes);
    assert_eq!(
        s.health_changes_after(255, 3).unwrap(),
        changes[255..258].to_vec()
    );
    assert!(s.health_changes_after(300, 10).unwrap().is_empty());
    assert!(s.health_changes_after(u64::MAX, 10).unwrap().is_empty());
    assert!(s.health_changes_after(0, 0).unwrap().is_empty());
}

/// A reader racing the writer never sees a health change without its certificates.
fn put_certificates_is_atomic(s: &dyn Store) {
    let rounds: Vec<_> = (1..=6)
        .map(|p| (certificates(p), vec![change(p, p)]))
        .collect();
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for (certs, changes) in &rounds {
                s.put_certificates(certs, changes).unwrap();
            }
        });
        loop {
            let done = writer.is_finished();
            let seen = s.last_health_sequence().unwrap();
            let certs = s.certificates_from(Period(0)).unwrap().len() as u64;
            assert!(
                certs >= 4 * seen,
                "health change {seen} visible with {certs} certificates"
            );
            if done {
                assert_eq!((seen, certs), (6, 24));
                break;
            }
        }
    });
}

fn proofs_seen_once_and_pruned(s: &dyn Store) {
    let ids: Vec<_> = (0..4u8).map(|i| ContentId([i; 32])).collect();
    for (i, id) in ids.iter().enumerate() {
        assert!(s.mark_proof_seen(id, Period(10 + i as u64)).unwrap());
        assert!(!s.mark_proof_seen(id, Period(10 + i as u64)).unwrap());
        assert!(!s.mark_proof_seen(id, Period(99)).unwrap());
    }
    s.prune_proofs_before(Period(12)).unwrap();
    let seen: Vec<_> = ids.iter().map(|id| s.proof_seen(id).unwrap()).collect();
    assert_eq!(seen, [false, false, true, true]);
    assert!(s.mark_proof_seen(&ids[0], Period(20)).unwrap()); // pruned: new again
    s.prune_proofs_before(Period(0)).unwrap();
    s.prune_proofs_before(Period(u64::MAX)).unwrap();
    assert!(ids.iter().all(|id| !s.proof_seen(id).unwrap()));
}

fn attestations_pruned_by_period(s: &dyn Store) {
    for p in 5..9 {
        s.put_attestation(&batch(0, p, false)).unwrap();
        s.put_attestation(&batch(1, p, false)).unwrap();
    }
    s.prune_attestations_before(Period(7)).unwrap();
    let left: Vec<u64> = s
        .attestations_from(Period(0))
        .unwrap()
        .iter()
        .map(|b| b.period.0)
        .collect();
    assert_eq!(left, [7, 7, 8, 8]);
    s.prune_attestations_before(Period(0)).unwrap();
    assert_eq!(s.attestations_from(Period(0)).unwrap().len(), 4);
    s.prune_attestations_before(Period(u64::MAX)).unwrap();
    assert!(s.attestations_from(Period(0)).unwrap().is_empty());
}

fn meta_round_trip(s: &dyn Store) {
    assert_eq!(s.meta("clock").unwrap(), None);
    s.put_meta("clock", b"one").unwrap();
    s.put_meta("clock", b"two").unwrap();
    s.put_meta("schema_version", &[0xff; 4]).unwrap(); // a user key: cannot clobber the schema
    s.put_meta("", b"").unwrap();
    assert_eq!(s.meta("clock").unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(s.meta("").unwrap().as_deref(), Some(&b""[..]));
}

/// One engine step's write lands whole: records, batches, certificates with their health
/// changes, seen proofs; a later step's pruning drops old batches and seen proofs only.
fn step_write_is_one_atomic_batch(s: &dyn Store) {
    let set = set();
    let mut w = Writes {
        datasets: vec![announce(1, 4)],
        assignments: vec![assign(1, 2, 3)],
        ..Writes::default()
    };
    for v in 0..3 {
        w.attestations
            .push(check_batch(batch(v, 1, false), &set).unwrap());
    }
    for c in certificates(1) {
        w.certificates.push(check_certificate(c, &set).unwrap());
    }
    w.health.push(HealthChange {
        sequence: 1,
        effect: HealthEffect::DatasetAdded {
            dataset: root(1),
            status: proofmesh_verifier::health::DatasetStatus::Healthy,
        },
    });
    w.proofs_seen.push((ContentId([7; 32]), Period(1)));
    w.proofs_seen.push((ContentId([8; 32]), Period(5)));
    s.write(&w).unwrap();
    assert_eq!(s.datasets().unwrap(), vec![announce(1, 4)]);
    assert_eq!(s.assignments().unwrap(), vec![assign(1, 2, 3)]);
    assert_eq!(s.attestations_from(Period(0)).unwrap().len(), 3);
    assert_eq!(s.certificates_from(Period(0)).unwrap().len(), 4);
    assert_eq!(s.last_health_sequence().unwrap(), 1);
    assert!(s.proof_seen(&ContentId([7; 32])).unwrap());
    assert_eq!(
        s.proofs_seen_from(Period(2)).unwrap(),
        vec![(ContentId([8; 32]), Period(5))]
    );
    assert_eq!(s.pruned_before().unwrap(), Period(0));
    assert!(s.health_checkpoints().unwrap().is_empty());
    // A re-announcement with other bytes does not replace the first (first write wins); the
    // prune point and the checkpoints it settled land together.
    let prune = Writes {
        datasets: vec![announce(1, 3)],
        health_settled: vec![checkpoint(1)],
        prune_before: Some(Period(2)),
        ..Writes::default()
    };
    s.write(&prune).unwrap();
    assert_eq!(s.pruned_before().unwrap(), Period(2));
    assert_eq!(s.health_checkpoints().unwrap(), vec![checkpoint(1)]);
    assert_eq!(s.datasets().unwrap(), vec![announce(1, 4)]);
    assert!(s.attestations_from(Period(0)).unwrap().is_empty());
    assert!(!s.proof_seen(&ContentId([7; 32])).unwrap());
    assert!(s.proof_seen(&ContentId([8; 32])).unwrap());
    assert_eq!(s.certificates_from(Period(0)).unwrap().len(), 4);
    // An empty step writes nothing and succeeds.
    s.write(&Writes::default()).unwrap();
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod memory { $( #[test] fn $name() { super::$name(&super::MemoryStore::new()); } )* }
        mod rocks { $( #[test] fn $name() {
            let dir = tempfile::tempdir().unwrap();
            super::$name(&super::RocksStore::open(dir.path()).unwrap());
        } )* }
    };
}

suite!(
    empty_store_reads_empty,
    datasets_in_root_order_first_write_wins,
    assignments_in_slot_then_period_order,
    attestations_in_period_verifier_order,
    certificates_by_id_slot_and_period,
    health_changes_paged_in_sequence_order,
    put_certificates_is_atomic,
    proofs_seen_once_and_pruned,
    attestations_pruned_by_period,
    meta_round_trip,
    step_write_is_one_atomic_batch,
);

// ------------------------------------------------------------------- RocksDB on its own

/// Everything a restarted node reads back.
#[derive(Debug, PartialEq)]
struct Snapshot {
    datasets: Vec<DatasetAnnounce>,
    assignments: Vec<SlotAssign>,
    attestations: Vec<AttestationBatch>,
    certificates: Vec<QuorumCertificate>,
    slot_history: Vec<QuorumCertificate>,
    health: Vec<HealthChange>,
    last_sequence: u64,
    seen: [bool; 2],
    meta: Option<Vec<u8>>,
    pruned_before: Period,
    checkpoints: Vec<proofmesh_verifier::health::DatasetCheckpoint>,
}

fn fill(s: &dyn Store) {
    s.put_dataset(&announce(1, 4)).unwrap();
    s.put_assignment(&assign(1, 2, 3)).unwrap();
    for v in 0..3 {
        s.put_attestation(&batch(v, 1, false)).unwrap();
    }
    s.put_certificates(&certificates(1), &[change(1, 1), change(2, 1)])
        .unwrap();
    s.mark_proof_seen(&ContentId([7; 32]), Period(1)).unwrap();
    s.put_meta("clock", b"1").unwrap();
    s.write(&Writes {
        health_settled: vec![checkpoint(1), checkpoint(2)],
        prune_before: Some(Period(1)),
        ..Writes::default()
    })
    .unwrap();
}

fn snapshot(s: &dyn Store) -> Snapshot {
    Snapshot {
        datasets: s.datasets().unwrap(),
        assignments: s.assignments().unwrap(),
        attestations: s.attestations_from(Period(0)).unwrap(),
        certificates: s.certificates_from(Period(0)).unwrap(),
        slot_history: s.slot_certificates(&slot(1, 1), 5).unwrap(),
        health: s.health_changes_after(0, 100).unwrap(),
        last_sequence: s.last_health_sequence().unwrap(),
        seen: [ContentId([7; 32]), ContentId([8; 32])].map(|id| s.proof_seen(&id).unwrap()),
        meta: s.meta("clock").unwrap(),
        pruned_before: s.pruned_before().unwrap(),
        checkpoints: s.health_checkpoints().unwrap(),
    }
}

/// Writes `value` at `key` of `cf` through a raw RocksDB handle (the store must be closed).
fn raw_put(dir: &Path, cf: &str, key: &[u8], value: &[u8]) {
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, CFS).unwrap();
    db.put_cf(db.cf_handle(cf).unwrap(), key, value).unwrap();
}

fn raw_delete(dir: &Path, cf: &str, key: &[u8]) {
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, CFS).unwrap();
    db.delete_cf(db.cf_handle(cf).unwrap(), key).unwrap();
}

#[test]
fn reopen_keeps_everything_and_matches_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/store"); // missing parents are created
    let before = {
        let store = RocksStore::open(&path).unwrap();
        fill(&store);
        snapshot(&store)
    };
    let memory = MemoryStore::new();
    fill(&memory);
    assert_eq!(snapshot(&memory), before);
    assert_eq!(before.certificates.len(), 4);
    assert_eq!(before.seen, [true, false]);
    assert_eq!(before.checkpoints.len(), 2);
    let reopened = RocksStore::open(&path).unwrap();
    assert_eq!(snapshot(&reopened), before);
    // And it keeps working after the restart.
    reopened
        .put_certificates(&certificates(2), &[change(3, 2)])
        .unwrap();
    assert_eq!(reopened.last_health_sequence().unwrap(), 3);
    assert!(!reopened
        .mark_proof_seen(&ContentId([7; 32]), Period(1))
        .unwrap());
}

#[test]
fn another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    store.put_dataset(&announce(1, 4)).unwrap();
    drop(store);
    let other = (SCHEMA_VERSION + 1).to_be_bytes();
    raw_put(dir.path(), "meta", b"sschema_version", &other);
    assert_eq!(
        RocksStore::open(dir.path()).unwrap_err(),
        StoreError::Schema {
            found: SCHEMA_VERSION + 1,
            expected: SCHEMA_VERSION
        }
    );
    // A store holding data without any version is not silently adopted either.
    raw_delete(dir.path(), "meta", b"sschema_version");
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { cf: "meta", .. }),
        "{err:?}"
    );
}

#[test]
fn corrupt_values_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(4);
    let id = certs[0].content_id();
    let store = RocksStore::open(dir.path()).unwrap();
    store.put_certificates(&certs, &[]).unwrap();
    store.put_dataset(&announce(1, 4)).unwrap();
    drop(store);
    let mut cert_key = vec![b'c'];
    cert_key.extend_from_slice(&id.0);
    raw_put(dir.path(), "certificates", &cert_key, &[1, 0xde, 0xad]);
    let mut future = vec![2]; // a value encoding version this binary does not know
    future.extend(announce(1, 4).encode());
    raw_put(dir.path(), "datasets", root(1).as_bytes(), &future);

    let store = RocksStore::open(dir.path()).unwrap();
    let corrupt = |r: Result<_, StoreError>, want_cf: &str| match r {
        Err(StoreError::Corrupt { cf, key_hex, why }) => {
            assert_eq!(cf, want_cf);
            (key_hex, why)
        }
        other => panic!("expected Corrupt in {want_cf}, got {other:?}"),
    };
    let (key_hex, _) = corrupt(store.certificate(&id).map(|_| ()), "certificates");
    assert_eq!(key_hex, hex::encode(&cert_key));
    corrupt(
        store.certificates_from(Period(0)).map(|_| ()),
        "certificates",
    );
    corrupt(
        store.slot_certificates(&certs[0].entry.slot, 1).map(|_| ()),
        "certificates",
    );
    let (_, why) = corrupt(store.datasets().map(|_| ()), "datasets");
    assert!(why.contains("version 2"), "{why}");
    // Other records are unaffected.
    assert_eq!(
        store.certificate(&certs[1].content_id()).unwrap().as_ref(),
        Some(&certs[1])
    );
}

#[test]
fn a_store_open_elsewhere_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _first = RocksStore::open(dir.path()).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
}

#[test]
fn foreign_paths_are_not_stores() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_store = |path: &Path| match RocksStore::open(path) {
        Err(StoreError::NotAStore { why, .. }) => why,
        other => panic!("expected NotAStore for {path:?}, got {other:?}"),
    };
    let file = dir.path().join("file");
    std::fs::write(&file, b"hello").unwrap();
    assert!(not_a_store(&file).contains("not a directory"));
    assert!(not_a_store(dir.path()).contains("not empty")); // holds `file`, and no database
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing was written"
    );

    let foreign = dir.path().join("foreign");
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    drop(rocksdb::DB::open(&opts, &foreign).unwrap()); // another application's database
    assert!(not_a_store(&foreign).contains("without proofmesh"));
    opts.create_missing_column_families(true);
    drop(rocksdb::DB::open_cf(&opts, &foreign, ["meta", "blocks"]).unwrap());
    assert!(not_a_store(&foreign).contains("blocks"));
}
