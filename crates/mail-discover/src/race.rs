//! Running alternatives at once and taking the first one in order of preference that
//! succeeds — as soon as every one before it has failed — by a deadline. The decision is
//! [`crate::plan::settled`]'s; this only drives the futures.

use std::future::Future;
use std::pin::Pin;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;

use crate::plan::{best_at_deadline, settled, Settled, StepState};

/// One alternative.
pub type Alternative<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// What became of one alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Chosen.
    Won,
    /// Succeeded, but one before it was chosen.
    Passed,
    Failed(String),
    /// Still running when the race ended (a better one won, or the deadline came).
    Unfinished,
}

/// The race's result.
pub struct Race<T> {
    pub winner: Option<(usize, T)>,
    pub outcomes: Vec<Outcome>,
}

/// Runs `alternatives` at once; the first in order that succeeds wins once all before it
/// failed, or at `deadline` the first that succeeded by then.
pub async fn first_in_order<T>(
    alternatives: Vec<Alternative<'_, T>>,
    deadline: Instant,
) -> Race<T> {
    let count = alternatives.len();
    let mut states = vec![StepState::Pending; count];
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut failures: Vec<Option<String>> = vec![None; count];
    let mut running: FuturesUnordered<_> = alternatives
        .into_iter()
        .enumerate()
        .map(|(index, alternative)| async move { (index, alternative.await) })
        .collect();
    let chosen = loop {
        match settled(&states) {
            Settled::Answer(index) => break Some(index),
            Settled::Nothing => break None,
            Settled::Wait => {}
        }
        match tokio::time::timeout_at(deadline, running.next()).await {
            Ok(Some((index, Ok(value)))) => {
                states[index] = StepState::Found;
                results[index] = Some(value);
            }
            Ok(Some((index, Err(error)))) => {
                states[index] = StepState::Failed;
                failures[index] = Some(error);
            }
            Ok(None) => break best_at_deadline(&states),
            Err(_) => break best_at_deadline(&states),
        }
    };
    let outcomes = states
        .iter()
        .enumerate()
        .map(|(index, state)| match state {
            StepState::Found if Some(index) == chosen => Outcome::Won,
            StepState::Found => Outcome::Passed,
            StepState::Failed => Outcome::Failed(failures[index].take().unwrap_or_default()),
            StepState::Pending => Outcome::Unfinished,
        })
        .collect();
    let winner = chosen.and_then(|index| results[index].take().map(|value| (index, value)));
    Race { winner, outcomes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn after(ms: u64, result: Result<u32, &'static str>) -> Alternative<'static, u32> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            result.map_err(str::to_string)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_success_in_order_wins_without_waiting_for_later_ones() {
        let start = Instant::now();
        let race = first_in_order(
            vec![after(30, Err("no")), after(50, Ok(2)), after(10_000, Ok(3))],
            start + Duration::from_secs(60),
        )
        .await;
        assert_eq!(race.winner, Some((1, 2)));
        assert_eq!(
            race.outcomes,
            vec![
                Outcome::Failed("no".into()),
                Outcome::Won,
                Outcome::Unfinished
            ]
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(50),
            "did not wait for the third"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_alternative_is_waited_for_until_the_deadline() {
        let start = Instant::now();
        let race = first_in_order(
            vec![after(10_000, Ok(1)), after(10, Ok(2))],
            start + Duration::from_secs(3),
        )
        .await;
        assert_eq!(
            race.winner,
            Some((1, 2)),
            "the deadline takes what succeeded"
        );
        assert_eq!(race.outcomes, vec![Outcome::Unfinished, Outcome::Won]);
        assert_eq!(start.elapsed(), Duration::from_secs(3));

        let race = first_in_order(
            vec![after(100, Ok(1)), after(10, Ok(2))],
            start + Duration::from_secs(60),
        )
        .await;
        assert_eq!(
            race.winner,
            Some((0, 1)),
            "the preferred one is worth the wait"
        );
        assert_eq!(race.outcomes, vec![Outcome::Won, Outcome::Passed]);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_when_all_fail_or_there_are_none() {
        let start = Instant::now();
        let race = first_in_order(
            vec![after(5, Err("a")), after(6, Err("b"))],
            start + Duration::from_secs(1),
        )
        .await;
        assert!(race.winner.is_none());
        assert_eq!(race.outcomes.len(), 2);
        let race = first_in_order::<u32>(vec![], start + Duration::from_secs(1)).await;
        assert!(race.winner.is_none());
        assert!(race.outcomes.is_empty());
    }
}
