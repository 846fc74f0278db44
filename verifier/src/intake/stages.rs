//! The intake pipeline's stages and the state they need (dedupe, proven slots).

use super::error::IntakeError;
use super::keyring::KeyRing;
use super::registry::{provider_signature_ok, Registry};
use crate::duty::{is_proof_required, EntropySource, PeriodClock, Window};
use crate::system::{BatchRng, DecodedProof};
use ark_bn254::Fr;
use ark_ff::PrimeField;
use proofmesh_proto::{
    CircuitId, ContentId, Heartbeat, Period, ProofEnvelope, ProviderKey, SlotId, SlotVerdict,
    Verdict, WireMessage,
};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A proof that passed the cheap checks; ready for (batch) verification.
///
/// Two of the checks are not cheap next to the rest (the provider's Ed25519 signature and
/// decoding the proof's curve points, the G2 subgroup check above all: together about what
/// batch-verifying the proof costs, `proofmesh bench node`), and they depend on nothing but the
/// envelope and the keys.
/// [`Intake::check`] does them at once; a proof taken in with [`Intake::admit`] still owes
/// them, and [`verify_checked`] does them first, in parallel, on the worker that verifies the
/// proof — so the engine's one task, which must see every proof, never spends its time on them.
#[derive(Clone, Debug)]
pub struct CheckedProof {
    envelope: ProofEnvelope,
    id: ContentId,
    /// The decoded proof; `None` while the signature and decoding are still owed.
    proof: Option<DecodedProof>,
    inputs: [Fr; 3],
}

impl CheckedProof {
    /// The envelope as received.
    pub fn envelope(&self) -> &ProofEnvelope {
        &self.envelope
    }
    /// Its content id (gossip message id).
    pub fn id(&self) -> ContentId {
        self.id
    }
    /// The public inputs the verifier derived itself: `entropy, datasetRoot, slotIndex`.
    pub fn public_inputs(&self) -> &[Fr; 3] {
        &self.inputs
    }
}

/// A proof that verified. Only [`Intake::verify`] constructs one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProof {
    slot: SlotId,
    period: Period,
    circuit: CircuitId,
    provider: ProviderKey,
    id: ContentId,
}

impl VerifiedProof {
    /// The slot proven.
    pub fn slot(&self) -> SlotId {
        self.slot
    }
    /// The period proven.
    pub fn period(&self) -> Period {
        self.period
    }
    /// The circuit it was verified against.
    pub fn circuit(&self) -> CircuitId {
        self.circuit
    }
    /// The provider who made it.
    pub fn provider(&self) -> ProviderKey {
        self.provider
    }
    /// The envelope's content id.
    pub fn id(&self) -> ContentId {
        self.id
    }
}

/// Intake state of one verifier: the registry, the clock, the entropy source, the keys, and
/// the memory of what was seen and proven (pruned by period).
pub struct Intake {
    /// Known datasets and slot assignments.
    pub registry: Registry,
    clock: PeriodClock,
    entropy: Box<dyn EntropySource>,
    keys: KeyRing,
    /// Entropy supplied per period (chain mode, or an operator); consulted before `entropy`.
    recorded: BTreeMap<Period, Fr>,
    seen: HashMap<ContentId, Period>,
    /// Duties per period, with the registry version they were derived from (the engine asks
    /// on every tick; deriving them hashes every slot).
    duties: BTreeMap<Period, (u64, std::sync::Arc<Vec<SlotId>>)>,
    proven: BTreeMap<Period, HashSet<SlotId>>,
    invalid: BTreeMap<Period, HashSet<SlotId>>,
    /// Slots a valid heartbeat of their assignee listed, per period.
    alive: BTreeMap<Period, HashSet<SlotId>>,
}

impl Intake {
    /// A fresh intake.
    pub fn new(
        registry: Registry,
        clock: PeriodClock,
        entropy: Box<dyn EntropySource>,
        keys: KeyRing,
    ) -> Self {
        Self {
            registry,
            clock,
            entropy,
            keys,
            recorded: BTreeMap::new(),
            seen: HashMap::new(),
            duties: BTreeMap::new(),
            proven: BTreeMap::new(),
            invalid: BTreeMap::new(),
            alive: BTreeMap::new(),
        }
    }

    /// The period clock.
    pub fn clock(&self) -> &PeriodClock {
        &self.clock
    }

    /// The entropy of a period, if known: one supplied with [`Intake::record_entropy`], else
    /// the configured source's.
    pub fn entropy(&self, period: Period) -> Option<Fr> {
        self.recorded
            .get(&period)
            .copied()
            .or_else(|| self.entropy.entropy(period))
    }

    /// Supplies the entropy of `period` (a chain block hash, read by a source outside the
    /// engine); the first value recorded for a period stands, so a replayed input cannot
    /// change a period's duties. Returns whether it was new.
    pub fn record_entropy(&mut self, period: Period, value: Fr) -> bool {
        if self.recorded.contains_key(&period) {
            return false;
        }
        self.recorded.insert(period, value);
        self.duties.remove(&period);
        true
    }

    /// The verifying keys (shared with the verification workers).
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Forgets that a proof id was seen (its verification did not run: it may be checked
    /// again when it comes back).
    pub fn forget(&mut self, id: &ContentId) {
        self.seen.remove(id);
    }

    /// Remembers a proof id as seen (restored from the store after a restart, so a proof
    /// verified before the restart is a duplicate after it).
    pub fn mark_seen(&mut self, id: ContentId, period: Period) {
        self.seen.insert(id, period);
    }

    /// Whether a valid proof for `slot` in `period` has been accepted.
    pub fn is_proven(&self, slot: &SlotId, period: Period) -> bool {
        self.proven.get(&period).is_some_and(|s| s.contains(slot))
    }

    /// Whether a valid heartbeat of `slot`'s assignee listed it for `period`.
    pub fn is_alive(&self, slot: &SlotId, period: Period) -> bool {
        self.alive.get(&period).is_some_and(|s| s.contains(slot))
    }

    /// Takes in a provider's heartbeat: not seen before, its period open, every listed slot
    /// of a known dataset assigned to its signer in that period (one slot assigned to another
    /// key is an unauthorised claim: `WrongProvider`, and nothing is recorded), its signature
    /// valid. Returns how many listed slots it marked alive; slots of datasets this node does
    /// not know yet, or not assigned to anyone, are skipped — `Unassigned` /
    /// `UnknownDataset` if that leaves none. Only heartbeat duties (datasets owing no proofs)
    /// turn the marks into `Alive` verdicts; for the others a heartbeat is forwarded, and
    /// shown, but a proof is what counts.
    pub fn heartbeat(&mut self, hb: &Heartbeat, now: u64) -> Result<usize, IntakeError> {
        let id = hb.content_id();
        if self.seen.contains_key(&id) {
            return Err(IntakeError::Duplicate);
        }
        match self.clock.window(hb.period, now) {
            Window::TooEarly => return Err(IntakeError::TooEarly(hb.period)),
            Window::TooLate => return Err(IntakeError::TooLate(hb.period)),
            Window::Open => {}
        }
        let mut held = Vec::with_capacity(hb.slots.len());
        let mut skipped = None;
        for slot in &hb.slots {
            let Some(dataset) = self.registry.dataset(&slot.dataset) else {
                skipped = Some(IntakeError::UnknownDataset(slot.dataset.to_string()));
                continue;
            };
            if slot.index >= dataset.slots() {
                return Err(IntakeError::NoSuchSlot {
                    slot: *slot,
                    slots: dataset.slots(),
                });
            }
            match self.registry.provider_at(slot, hb.period) {
                None => skipped = Some(IntakeError::Unassigned(*slot)),
                Some(p) if *p != hb.provider => return Err(IntakeError::WrongProvider(*slot)),
                Some(_) => held.push(*slot),
            }
        }
        if held.is_empty() {
            return Err(skipped.unwrap_or(IntakeError::Duplicate));
        }
        if !provider_signature_ok(&hb.provider, &hb.signing_bytes(), &hb.signature) {
            return Err(IntakeError::BadSignature("heartbeat"));
        }
        self.seen.insert(id, hb.period);
        let n = held.len();
        self.alive.entry(hb.period).or_default().extend(held);
        Ok(n)
    }

    /// Every check but verification, in order of cost: the cheap checks of [`Intake::admit`],
    /// then the provider signature and decoding the proof. A message passing them is
    /// remembered as seen.
    pub fn check(
        &mut self,
        envelope: ProofEnvelope,
        now: u64,
    ) -> Result<CheckedProof, IntakeError> {
        let mut checked = self.admissible(envelope, now)?;
        checked.proof = Some(signed_and_decoded(&self.keys, &checked.envelope)?);
        self.seen.insert(checked.id, checked.envelope.period);
        Ok(checked)
    }

    /// The checks against this verifier's state, in order of cost (duplicate, dataset and
    /// slot, period window, already proven, entropy, duty, assigned provider, known circuit);
    /// the signature and the proof bytes are left to [`verify_checked`], which checks them on
    /// the worker with the rest of the job. A message passing them is remembered as seen (one
    /// whose signature or bytes then fail stays seen: it is the sender's fault, and Rejected).
    pub fn admit(
        &mut self,
        envelope: ProofEnvelope,
        now: u64,
    ) -> Result<CheckedProof, IntakeError> {
        let checked = self.admissible(envelope, now)?;
        self.seen.insert(checked.id, checked.envelope.period);
        Ok(checked)
    }

    fn admissible(&self, envelope: ProofEnvelope, now: u64) -> Result<CheckedProof, IntakeError> {
        let (slot, period) = (envelope.slot, envelope.period);
        let id = envelope.content_id();
        if self.seen.contains_key(&id) {
            return Err(IntakeError::Duplicate);
        }
        let dataset = self
            .registry
            .dataset(&slot.dataset)
            .ok_or_else(|| IntakeError::UnknownDataset(slot.dataset.to_string()))?;
        if slot.index >= dataset.slots() {
            return Err(IntakeError::NoSuchSlot {
                slot,
                slots: dataset.slots(),
            });
        }
        let probability = dataset.proof_probability;
        match self.clock.window(period, now) {
            Window::TooEarly => return Err(IntakeError::TooEarly(period)),
            Window::TooLate => return Err(IntakeError::TooLate(period)),
            Window::Open => {}
        }
        if self.is_proven(&slot, period) {
            return Err(IntakeError::AlreadyProven(slot));
        }
        let entropy = self.entropy(period).ok_or(IntakeError::NoEntropy(period))?;
        if !is_proof_required(entropy, &slot, probability) {
            return Err(IntakeError::NoDuty { slot, period });
        }
        match self.registry.provider_at(&slot, period) {
            None => return Err(IntakeError::Unassigned(slot)),
            Some(p) if *p != envelope.provider => return Err(IntakeError::WrongProvider(slot)),
            Some(_) => {}
        }
        if self.keys.get(&envelope.circuit_id).is_none() {
            return Err(IntakeError::UnknownCircuit(envelope.circuit_id.to_string()));
        }
        let root = Fr::from_le_bytes_mod_order(slot.dataset.as_bytes());
        let inputs = [entropy, root, Fr::from(u64::from(slot.index))];
        Ok(CheckedProof {
            envelope,
            id,
            proof: None,
            inputs,
        })
    }

    /// Verifies checked proofs and records the outcome (see [`verify_checked`] and
    /// [`Intake::record`]); results 1:1 with the input, in order.
    pub fn verify<R: RngCore + CryptoRng>(
        &mut self,
        checked: &[CheckedProof],
        rng: &mut R,
    ) -> Vec<Result<VerifiedProof, IntakeError>> {
        let out = verify_checked(&self.keys, checked, rng as &mut dyn BatchRng);
        self.record(checked, &out);
        out
    }

    /// Records verification results (from [`verify_checked`], possibly run on a worker):
    /// valid proofs mark their (slot, period) proven, proofs that did not verify invalid
    /// (other errors, such as a verification that did not run, change nothing).
    pub fn record(
        &mut self,
        checked: &[CheckedProof],
        results: &[Result<VerifiedProof, IntakeError>],
    ) {
        for (c, r) in checked.iter().zip(results) {
            let (slot, period) = (c.envelope.slot, c.envelope.period);
            match r {
                Ok(_) => self.proven.entry(period).or_default().insert(slot),
                Err(IntakeError::InvalidProof) => {
                    self.invalid.entry(period).or_default().insert(slot)
                }
                Err(_) => false,
            };
        }
    }

    /// The verdicts this verifier attests for `period`, one per duty in slot order. A proof
    /// duty: `Valid` if a valid proof was accepted, `Invalid` if only invalid ones arrived,
    /// `Missing` otherwise. A heartbeat duty: `Alive` if its assignee's heartbeat listed it,
    /// `Missing` otherwise. `None` while the period's entropy (and so its duties) is unknown. Sealed
    /// at the period's deadline. The entropy is the one [`Intake::check`] used (a supplied
    /// value first, then the source's), so the duties attested are the duties checked.
    pub fn verdicts(&mut self, period: Period) -> Option<Vec<SlotVerdict>> {
        let duties = self.duties(period)?;
        let in_set = |m: &BTreeMap<Period, HashSet<SlotId>>, slot: &SlotId| {
            m.get(&period).is_some_and(|s| s.contains(slot))
        };
        let verdicts = duties
            .iter()
            .map(|&slot| {
                let verdict = if self.registry.owes_heartbeats(&slot) {
                    if in_set(&self.alive, &slot) {
                        Verdict::Alive
                    } else {
                        Verdict::Missing
                    }
                } else if in_set(&self.proven, &slot) {
                    Verdict::Valid
                } else if in_set(&self.invalid, &slot) {
                    Verdict::Invalid
                } else {
                    Verdict::Missing
                };
                SlotVerdict { slot, verdict }
            })
            .collect();
        Some(verdicts)
    }

    /// The slots owing a duty in `period` (a proof, or for datasets owing no proofs a
    /// heartbeat), in canonical order (cached per period and registry version); `None` while
    /// the period's entropy is unknown.
    pub fn duties(&mut self, period: Period) -> Option<std::sync::Arc<Vec<SlotId>>> {
        let version = self.registry.version();
        if let Some((v, d)) = self.duties.get(&period) {
            if *v == version {
                return Some(std::sync::Arc::clone(d));
            }
        }
        let entropy = self.entropy(period)?;
        let mut d = self.registry.duties(entropy);
        d.extend(self.registry.heartbeat_duties());
        d.sort_unstable();
        let d = std::sync::Arc::new(d);
        self.duties
            .insert(period, (version, std::sync::Arc::clone(&d)));
        Some(d)
    }

    /// Forgets dedupe, proven and invalid state of periods before `period` (bounded memory).
    pub fn prune_before(&mut self, period: Period) {
        self.duties = self.duties.split_off(&period);
        self.seen.retain(|_, p| *p >= period);
        self.proven = self.proven.split_off(&period);
        self.invalid = self.invalid.split_off(&period);
        self.alive = self.alive.split_off(&period);
    }
}

/// The checks that need only the envelope and the keys: the provider signature, then the
/// proof bytes decoded by the circuit's verifier.
fn signed_and_decoded(
    keys: &KeyRing,
    envelope: &ProofEnvelope,
) -> Result<DecodedProof, IntakeError> {
    let Some(verifier) = keys.get(&envelope.circuit_id) else {
        return Err(IntakeError::UnknownCircuit(envelope.circuit_id.to_string()));
    };
    if !provider_signature_ok(
        &envelope.provider,
        &envelope.signing_bytes(),
        &envelope.signature,
    ) {
        return Err(IntakeError::BadSignature("proof envelope"));
    }
    verifier
        .decode(envelope.proof_system, &envelope.proof)
        .map_err(|e| IntakeError::MalformedProof(e.to_string()))
}

/// Verifies checked proofs, batched per circuit; results 1:1 with the input, in order. Proofs
/// taken in with [`Intake::admit`] have their signature checked and their bytes decoded first,
/// in parallel on the current rayon pool (a failure is that proof's result: `BadSignature` or
/// `MalformedProof`, the sender's fault). Pure and stateless (it needs only the keys), so it
/// runs on a verification worker while the engine goes on; the engine records the results
/// when they come back.
pub fn verify_checked(
    keys: &KeyRing,
    checked: &[CheckedProof],
    rng: &mut dyn BatchRng,
) -> Vec<Result<VerifiedProof, IntakeError>> {
    let owed: Vec<Option<Result<DecodedProof, IntakeError>>> = checked
        .par_iter()
        .map(|c| match c.proof {
            Some(_) => None,
            None => Some(signed_and_decoded(keys, &c.envelope)),
        })
        .collect();
    let mut results: Vec<Option<Result<VerifiedProof, IntakeError>>> = vec![None; checked.len()];
    let mut proofs: Vec<Option<&DecodedProof>> = Vec::with_capacity(checked.len());
    for (i, (c, owed)) in checked.iter().zip(&owed).enumerate() {
        proofs.push(match (&c.proof, owed) {
            (Some(p), _) | (None, Some(Ok(p))) => Some(p),
            (None, Some(Err(e))) => {
                results[i] = Some(Err(e.clone()));
                None
            }
            // Cannot happen (a proof without its decoding always owes one): not judged.
            (None, None) => {
                results[i] = Some(Err(IntakeError::NotVerified("proof not decoded")));
                None
            }
        });
    }
    let mut by_circuit: BTreeMap<CircuitId, Vec<usize>> = BTreeMap::new();
    for (i, c) in checked.iter().enumerate() {
        if proofs[i].is_some() {
            by_circuit.entry(c.envelope.circuit_id).or_default().push(i);
        }
    }
    for (circuit, idx) in by_circuit {
        let Some(verifier) = keys.get(&circuit) else {
            for &i in &idx {
                results[i] = Some(Err(IntakeError::UnknownCircuit(circuit.to_string())));
            }
            continue;
        };
        let items: Vec<(&DecodedProof, &[Fr])> = idx
            .iter()
            .filter_map(|&i| Some((proofs[i]?, &checked[i].inputs[..])))
            .collect();
        for (&i, valid) in idx.iter().zip(verifier.verify_batch(&items, rng)) {
            let c = &checked[i];
            results[i] = Some(if valid {
                Ok(VerifiedProof {
                    slot: c.envelope.slot,
                    period: c.envelope.period,
                    circuit,
                    provider: c.envelope.provider,
                    id: c.id,
                })
            } else {
                Err(IntakeError::InvalidProof)
            });
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(IntakeError::InvalidProof)))
        .collect()
}
