//! The outbox's state machine, pure: which event moves an outgoing message from which state
//! to which. The store applies a transition as a compare-and-set (`UPDATE … WHERE state =
//! from`), so two processes can never both move one message, and nothing but this table
//! decides what may follow what — in particular that nothing leaves `committing` (the final
//! dot may have gone out) back to `queued`: a message is never sent twice by Tern itself.

/// Where an outgoing message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    Queued,
    Sending,
    Committing,
    Sent,
    Failed,
    Uncertain,
}

/// What happened to an outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxEvent {
    /// The drainer holding the outbox lock takes it to send.
    Claim,
    /// The server accepted the envelope and DATA: the final dot goes next.
    DataAccepted,
    /// The server answered the final dot with 2xx.
    Accepted,
    /// A temporary failure before the final dot: try again later.
    Deferred,
    /// A permanent refusal (5xx), before or at the final dot.
    Refused,
    /// The connection was lost after the final dot, before the answer.
    LostAfterDot,
    /// The person asks to send it again.
    Retry,
    /// A drainer died holding it (found by the next lock holder).
    Recover,
}

/// Every state, for tables and tests.
pub const ALL_STATES: [OutboxState; 6] = [
    OutboxState::Queued,
    OutboxState::Sending,
    OutboxState::Committing,
    OutboxState::Sent,
    OutboxState::Failed,
    OutboxState::Uncertain,
];

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Committing => "committing",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Uncertain => "uncertain",
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "sending" => OutboxState::Sending,
            "committing" => OutboxState::Committing,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "uncertain" => OutboxState::Uncertain,
            _ => OutboxState::Queued,
        }
    }

    /// Whether the message is on its way (queued, or being sent): the outbox's "waiting".
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            OutboxState::Queued | OutboxState::Sending | OutboxState::Committing
        )
    }

    /// Whether the person must decide (refused, or maybe sent): the outbox's "attention".
    pub fn needs_attention(self) -> bool {
        matches!(self, OutboxState::Failed | OutboxState::Uncertain)
    }

    /// The state `event` moves a message in this state to; `None` when it cannot happen.
    pub fn on(self, event: OutboxEvent) -> Option<OutboxState> {
        use OutboxEvent as E;
        use OutboxState as S;
        match (self, event) {
            (S::Queued, E::Claim) => Some(S::Sending),
            (S::Sending, E::DataAccepted) => Some(S::Committing),
            (S::Committing, E::Accepted) => Some(S::Sent),
            (S::Sending, E::Deferred) => Some(S::Queued),
            (S::Sending | S::Committing, E::Refused) => Some(S::Failed),
            (S::Committing, E::LostAfterDot) => Some(S::Uncertain),
            (S::Queued | S::Failed | S::Uncertain, E::Retry) => Some(S::Queued),
            // Its final dot never went out: safe to send again.
            (S::Sending, E::Recover) => Some(S::Queued),
            // Its final dot may have gone out: the person decides.
            (S::Committing, E::Recover) => Some(S::Uncertain),
            _ => None,
        }
    }

    /// Whether the message may be removed (not while a drainer has it).
    pub fn can_discard(self) -> bool {
        !matches!(self, OutboxState::Sending | OutboxState::Committing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutboxEvent as E;
    use OutboxState as S;

    const EVENTS: [E; 8] = [
        E::Claim,
        E::DataAccepted,
        E::Accepted,
        E::Deferred,
        E::Refused,
        E::LostAfterDot,
        E::Retry,
        E::Recover,
    ];

    /// (state, event, next) for every pair; `None`: the event cannot happen in that state.
    #[test]
    fn the_whole_table() {
        #[rustfmt::skip]
        let expected: [(S, [Option<S>; 8]); 6] = [
            //            Claim            DataAccepted        Accepted      Deferred         Refused          LostAfterDot        Retry            Recover
            (S::Queued,     [Some(S::Sending), None,               None,         None,            None,            None,               Some(S::Queued), None]),
            (S::Sending,    [None,             Some(S::Committing), None,        Some(S::Queued), Some(S::Failed), None,               None,            Some(S::Queued)]),
            (S::Committing, [None,             None,               Some(S::Sent), None,           Some(S::Failed), Some(S::Uncertain), None,            Some(S::Uncertain)]),
            (S::Sent,       [None,             None,               None,         None,            None,            None,               None,            None]),
            (S::Failed,     [None,             None,               None,         None,            None,            None,               Some(S::Queued), None]),
            (S::Uncertain,  [None,             None,               None,         None,            None,            None,               Some(S::Queued), None]),
        ];
        for (state, row) in expected {
            for (event, next) in EVENTS.iter().zip(row) {
                assert_eq!(state.on(*event), next, "{state:?} + {event:?}");
            }
        }
    }

    #[test]
    fn nothing_leads_from_committing_back_to_the_queue() {
        // Every path out of `committing` ends where the person decides or it is done.
        for event in EVENTS {
            assert_ne!(S::Committing.on(event), Some(S::Queued), "{event:?}");
            assert_ne!(S::Committing.on(event), Some(S::Sending), "{event:?}");
        }
    }

    #[test]
    fn only_messages_no_drainer_holds_can_be_discarded() {
        let discardable: Vec<S> = ALL_STATES.into_iter().filter(|s| s.can_discard()).collect();
        assert_eq!(
            discardable,
            vec![S::Queued, S::Sent, S::Failed, S::Uncertain]
        );
        for state in ALL_STATES {
            assert_eq!(S::parse(state.as_str()), state);
        }
    }

    /// Every state is exactly one of: on its way, waiting for the person, or done.
    #[test]
    fn each_state_counts_as_waiting_or_attention_or_neither() {
        let expected = [
            (S::Queued, true, false),
            (S::Sending, true, false),
            (S::Committing, true, false),
            (S::Sent, false, false),
            (S::Failed, false, true),
            (S::Uncertain, false, true),
        ];
        for (state, waiting, attention) in expected {
            assert_eq!(state.is_waiting(), waiting, "{state:?}");
            assert_eq!(state.needs_attention(), attention, "{state:?}");
        }
    }
}
