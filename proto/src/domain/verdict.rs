//! What a verifier says about one slot's duty in one period.

/// A verifier's verdict on a (slot, period) duty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// A proof arrived in time and verified.
    Valid,
    /// Proofs arrived but none verified (the provider sent garbage or proved the wrong thing).
    Invalid,
    /// No proof arrived before the deadline.
    Missing,
}

impl Verdict {
    /// Every verdict, in wire order.
    pub const ALL: [Verdict; 3] = [Verdict::Valid, Verdict::Invalid, Verdict::Missing];

    /// The wire number (`VERDICT_VALID = 1` …; 0 is "unspecified" and never valid).
    pub fn to_wire(self) -> i32 {
        match self {
            Verdict::Valid => 1,
            Verdict::Invalid => 2,
            Verdict::Missing => 3,
        }
    }

    /// The verdict for a wire number, `None` for 0 and unknown values.
    pub fn from_wire(v: i32) -> Option<Self> {
        match v {
            1 => Some(Verdict::Valid),
            2 => Some(Verdict::Invalid),
            3 => Some(Verdict::Missing),
            _ => None,
        }
    }
}
