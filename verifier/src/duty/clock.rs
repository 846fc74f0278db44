//! The period clock: periods of fixed length from a genesis time; a proof for period `p` is
//! accepted from `p`'s start until its end plus a timeout (the deadline, when verifiers seal
//! their attestations).

use proofmesh_proto::Period;

/// Period arithmetic over Unix seconds (no clock reads here: callers pass `now`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodClock {
    /// Unix time of period 0's start.
    pub genesis: u64,
    /// Period length in seconds (> 0).
    pub period_secs: u64,
    /// Grace after a period's end during which its proofs are still accepted.
    pub timeout_secs: u64,
}

impl PeriodClock {
    /// A clock; `period_secs` of 0 is raised to 1 so arithmetic never divides by zero.
    pub fn new(genesis: u64, period_secs: u64, timeout_secs: u64) -> Self {
        Self {
            genesis,
            period_secs: period_secs.max(1),
            timeout_secs,
        }
    }

    /// The period containing `now` (period 0 before genesis).
    pub fn period_at(&self, now: u64) -> Period {
        Period(now.saturating_sub(self.genesis) / self.period_secs)
    }

    /// When `p` starts.
    pub fn start(&self, p: Period) -> u64 {
        self.genesis
            .saturating_add(p.0.saturating_mul(self.period_secs))
    }

    /// When `p` ends (the next period's start).
    pub fn end(&self, p: Period) -> u64 {
        self.start(p.next())
    }

    /// The last second at which proofs for `p` are accepted; attestations are sealed then.
    pub fn deadline(&self, p: Period) -> u64 {
        self.end(p).saturating_add(self.timeout_secs)
    }

    /// Whether a proof for `p` is accepted at `now`: too early before `p` starts, too late
    /// after its deadline.
    pub fn window(&self, p: Period, now: u64) -> Window {
        if now < self.start(p) {
            Window::TooEarly
        } else if now > self.deadline(p) {
            Window::TooLate
        } else {
            Window::Open
        }
    }
}

/// Where `now` lies relative to a period's acceptance window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Before the period started.
    TooEarly,
    /// Within [start, deadline].
    Open,
    /// After the deadline.
    TooLate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_windows() {
        let c = PeriodClock::new(1000, 60, 30);
        assert_eq!(c.period_at(0), Period(0));
        assert_eq!(c.period_at(1059), Period(0));
        assert_eq!(c.period_at(1060), Period(1));
        assert_eq!(
            (c.start(Period(2)), c.end(Period(2)), c.deadline(Period(2))),
            (1120, 1180, 1210)
        );
        assert_eq!(c.window(Period(2), 1119), Window::TooEarly);
        assert_eq!(c.window(Period(2), 1120), Window::Open);
        assert_eq!(c.window(Period(2), 1210), Window::Open);
        assert_eq!(c.window(Period(2), 1211), Window::TooLate);
        assert_eq!(PeriodClock::new(0, 0, 0).period_at(5), Period(5));
    }
}
