//! The order a folder's sync goes through, as a small state machine: a first (or resumed)
//! sync is followed by a delta that catches up with what changed meanwhile; a delta whose
//! modseqs are unusable is redone with UID+flags; a changed UIDVALIDITY means the folder is
//! fetched again from scratch (only once a fresh EXAMINE confirms it), then caught up. The
//! engine runs each step and reports how it ended; this decides the next one.

use crate::plan::{plan_sync, ServerCapabilities, Strategy, SyncPlan};
use crate::types::{SyncMeta, UidValidity};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// A first (or resumed) sync finished; the cache's sync state is now `meta`.
    InitialDone { meta: Option<SyncMeta> },
    /// A delta was applied: the folder is up to date.
    DeltaApplied,
    /// The delta saw another UIDVALIDITY than `cached`.
    UidValidityChanged { cached: UidValidity },
    /// The server's modseqs cannot be used for this folder.
    ModSeqUnusable,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Run this plan. For a first sync after a UIDVALIDITY change, `replacing` names the
    /// UIDVALIDITY the folder's cache belongs to: it is dropped only when the new EXAMINE
    /// reports a different one.
    Run {
        plan: SyncPlan,
        replacing: Option<UidValidity>,
    },
    /// The folder is up to date.
    Done,
    /// The steps did not settle within the limit (a server that keeps changing its mind).
    GiveUp,
}

/// The most steps one sync takes: initial -> delta, delta -> UID+flags delta, delta ->
/// resync -> delta.
pub const MAX_STEPS: usize = 4;

/// The sequence of steps of one folder's sync.
#[derive(Debug, Clone)]
pub struct SyncChain {
    capabilities: ServerCapabilities,
    steps: usize,
    current: SyncPlan,
}

impl SyncChain {
    /// Starts with the plan for the cached state `meta` (and a forced strategy, if any).
    pub fn start(
        meta: Option<&SyncMeta>,
        capabilities: ServerCapabilities,
        forced: Option<Strategy>,
    ) -> (SyncChain, NextStep) {
        let plan = plan_sync(meta, capabilities, forced);
        let chain = SyncChain {
            capabilities,
            steps: 1,
            current: plan.clone(),
        };
        (
            chain,
            NextStep::Run {
                plan,
                replacing: None,
            },
        )
    }

    /// The step after the current one ended with `outcome`.
    pub fn next(&mut self, outcome: StepOutcome) -> NextStep {
        let next = match (&self.current, outcome) {
            (_, StepOutcome::DeltaApplied) => return NextStep::Done,
            (_, StepOutcome::InitialDone { meta }) => NextStep::Run {
                plan: plan_sync(meta.as_ref(), self.capabilities, None),
                replacing: None,
            },
            (_, StepOutcome::UidValidityChanged { cached }) => NextStep::Run {
                plan: SyncPlan::Initial,
                replacing: Some(cached),
            },
            (SyncPlan::Delta { meta, .. }, StepOutcome::ModSeqUnusable) => NextStep::Run {
                plan: SyncPlan::Delta {
                    strategy: Strategy::UidFlags,
                    meta: meta.clone(),
                },
                replacing: None,
            },
            // A first sync has no modseqs to be unusable: nothing sensible follows.
            (_, StepOutcome::ModSeqUnusable) => return NextStep::GiveUp,
        };
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return NextStep::GiveUp;
        }
        if let NextStep::Run { plan, .. } = &next {
            self.current = plan.clone();
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ModSeq, Uid};

    fn meta(modseq: Option<u64>) -> SyncMeta {
        SyncMeta {
            uid_validity: UidValidity(7),
            uid_next: Uid(50),
            highest_modseq: modseq.map(ModSeq),
            initial_low_uid: None,
        }
    }

    const QRESYNC: ServerCapabilities = ServerCapabilities::QRESYNC;

    fn delta(strategy: Strategy, modseq: Option<u64>) -> SyncPlan {
        SyncPlan::Delta {
            strategy,
            meta: meta(modseq),
        }
    }

    fn run(plan: SyncPlan, replacing: Option<u32>) -> NextStep {
        NextStep::Run {
            plan,
            replacing: replacing.map(UidValidity),
        }
    }

    /// (name, start from, outcomes one after another, the steps expected after each)
    type Case = (
        &'static str,
        Option<SyncMeta>,
        Vec<StepOutcome>,
        Vec<NextStep>,
    );

    #[test]
    fn chains() {
        let cases: Vec<Case> = vec![
            (
                "a first sync is caught up by a delta",
                None,
                vec![
                    StepOutcome::InitialDone {
                        meta: Some(meta(Some(9))),
                    },
                    StepOutcome::DeltaApplied,
                ],
                vec![run(delta(Strategy::Qresync, Some(9)), None), NextStep::Done],
            ),
            (
                "a delta that applies is the end",
                Some(meta(Some(9))),
                vec![StepOutcome::DeltaApplied],
                vec![NextStep::Done],
            ),
            (
                "unusable modseqs: the same delta with UID+flags",
                Some(meta(Some(9))),
                vec![StepOutcome::ModSeqUnusable, StepOutcome::DeltaApplied],
                vec![
                    run(delta(Strategy::UidFlags, Some(9)), None),
                    NextStep::Done,
                ],
            ),
            (
                "a changed UIDVALIDITY: from scratch, replacing the cached one, then caught up",
                Some(meta(Some(9))),
                vec![
                    StepOutcome::UidValidityChanged {
                        cached: UidValidity(7),
                    },
                    StepOutcome::InitialDone {
                        meta: Some(SyncMeta {
                            uid_validity: UidValidity(8),
                            ..meta(Some(2))
                        }),
                    },
                    StepOutcome::DeltaApplied,
                ],
                vec![
                    run(SyncPlan::Initial, Some(7)),
                    run(
                        SyncPlan::Delta {
                            strategy: Strategy::Qresync,
                            meta: SyncMeta {
                                uid_validity: UidValidity(8),
                                ..meta(Some(2))
                            },
                        },
                        None,
                    ),
                    NextStep::Done,
                ],
            ),
            (
                "a server that never settles is given up on",
                Some(meta(Some(9))),
                vec![
                    StepOutcome::ModSeqUnusable,
                    StepOutcome::UidValidityChanged {
                        cached: UidValidity(7),
                    },
                    StepOutcome::InitialDone {
                        meta: Some(meta(Some(9))),
                    },
                    StepOutcome::UidValidityChanged {
                        cached: UidValidity(7),
                    },
                ],
                vec![
                    run(delta(Strategy::UidFlags, Some(9)), None),
                    run(SyncPlan::Initial, Some(7)),
                    run(delta(Strategy::Qresync, Some(9)), None),
                    NextStep::GiveUp,
                ],
            ),
            (
                "a first sync that reports unusable modseqs makes no sense",
                None,
                vec![StepOutcome::ModSeqUnusable],
                vec![NextStep::GiveUp],
            ),
        ];
        for (name, start, outcomes, expected) in cases {
            let (mut chain, first) = SyncChain::start(start.as_ref(), QRESYNC, None);
            assert!(matches!(first, NextStep::Run { .. }), "{name}");
            let steps: Vec<NextStep> = outcomes
                .into_iter()
                .map(|outcome| chain.next(outcome))
                .collect();
            assert_eq!(steps, expected, "{name}");
        }
    }
}
