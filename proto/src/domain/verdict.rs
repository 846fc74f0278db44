//! What a verifier says about one slot's duty (a storage proof, or a heartbeat) in one period.

/// A verifier's verdict on a (slot, period) duty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// A proof arrived in time and verified.
    Valid,
    /// Proofs arrived but none verified (the provider sent garbage or proved the wrong thing).
    Invalid,
    /// No proof (or, for a heartbeat duty, no heartbeat) arrived before the deadline.
    Missing,
    /// A heartbeat duty met: the assigned provider's signed heartbeat listed the slot in time.
    /// The slot is *claimed* alive, not proven: only datasets that owe no storage proofs
    /// (`proof_probability` 0) owe heartbeats, and health keeps the two apart.
    Alive,
}

impl Verdict {
    /// Every verdict, in wire order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::Missing,
        Verdict::Alive,
    ];

    /// The wire number (`VERDICT_VALID = 1` …; 0 is "unspecified" and never valid).
    pub fn to_wire(self) -> i32 {
        match self {
            Verdict::Valid => 1,
            Verdict::Invalid => 2,
            Verdict::Missing => 3,
            Verdict::Alive => 4,
        }
    }

    /// The verdict for a wire number, `None` for 0 and unknown values.
    pub fn from_wire(v: i32) -> Option<Self> {
        match v {
            1 => Some(Verdict::Valid),
            2 => Some(Verdict::Invalid),
            3 => Some(Verdict::Missing),
            4 => Some(Verdict::Alive),
            _ => None,
        }
    }
}
