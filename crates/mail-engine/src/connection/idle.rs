//! IDLE (RFC 2177) on an [`ImapConnection`]: start it, wait for pushes, and end it with DONE
//! under a deadline (a DONE nobody answers means the connection is dead).

use std::time::{Duration, Instant};

use imap_proto::{MailboxDatum, RequestId, Response};

use tokio::io::AsyncWriteExt;

use super::sorter::{Sorter, Step};
use super::{ImapConnection, Tagged, TaggedStatus};
use crate::error::{EngineError, ErrorKind, Result};

/// What a push announced. Only hints: pushes can be dropped or coalesced, so a delta sync
/// of the folder establishes what really changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    /// `* n EXISTS`: the message count (new mail, usually).
    Exists(u32),
    /// `* n EXPUNGE`.
    Expunge,
    /// `* VANISHED uids` (QRESYNC).
    Vanished,
    /// `* n FETCH (FLAGS …)`: flags changed.
    Flags,
    /// `* STATUS mailbox (…)` (NOTIFY, RFC 5465): another folder changed.
    Status { mailbox: String },
}

impl Push {
    pub(crate) fn from_response(response: &Response<'_>) -> Option<Push> {
        match response {
            Response::MailboxData(MailboxDatum::Exists(count)) => Some(Push::Exists(*count)),
            Response::Expunge(_) => Some(Push::Expunge),
            Response::Vanished { .. } => Some(Push::Vanished),
            Response::Fetch(..) => Some(Push::Flags),
            Response::MailboxData(MailboxDatum::Status { mailbox, .. }) => Some(Push::Status {
                mailbox: crate::mailbox_name::decode_mailbox_name(mailbox),
            }),
            _ => None,
        }
    }
}

/// A running IDLE command.
#[derive(Debug)]
pub struct Idle {
    tag: RequestId,
}

/// What reading during IDLE produced.
enum Read {
    Push(Push),
    /// Anything else harmless (`* OK Still here`, RECENT, …).
    Other,
    Continue,
    /// IDLE's own tagged answer.
    Tagged(TaggedStatus, String),
    /// A tagged answer to no command in flight: the stream cannot be trusted.
    Stray(String),
}

impl ImapConnection {
    /// Sends IDLE and waits for the server's go-ahead. Pushes that arrive before it are
    /// returned so the caller can act on them.
    pub async fn idle_start(&mut self) -> Result<(Idle, Vec<Push>)> {
        let tag = self.send("IDLE").await?;
        self.round_trips += 1;
        let mut early = Vec::new();
        let deadline = Instant::now() + self.timeouts.response;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.read_idle(&tag, remaining).await? {
                None => {
                    return Err(self.mark_broken(format!(
                        "IDLE got no answer within {:.1} s",
                        self.timeouts.response.as_secs_f64()
                    )))
                }
                Some(Read::Continue) => return Ok((Idle { tag }, early)),
                Some(Read::Push(push)) => early.push(push),
                Some(Read::Other) => {}
                Some(Read::Tagged(status, text)) => {
                    return Err(EngineError::new(
                        ErrorKind::ServerRefused,
                        format!("The server refused IDLE: {status:?} {text}"),
                    ));
                }
                Some(Read::Stray(reason)) => {
                    return Err(self.mark_broken(format!("{reason} before IDLE began")))
                }
            }
        }
    }

    /// Waits up to `max` for the next push while idling: `Ok(None)` when nothing came.
    /// Cancel-safe (the response reader keeps partial input buffered), so it may be raced
    /// against a stop signal.
    pub async fn idle_wait(&mut self, idle: &Idle, max: Duration) -> Result<Option<Push>> {
        let deadline = Instant::now() + max;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.read_idle(&idle.tag, remaining).await? {
                None => return Ok(None),
                Some(Read::Push(push)) => return Ok(Some(push)),
                Some(Read::Other) | Some(Read::Continue) => {}
                Some(Read::Tagged(status, text)) => {
                    // A server may end IDLE on its own (NO/BAD/OK): the connection is in an
                    // unknown state for us; replace it.
                    return Err(
                        self.mark_broken(format!("The server ended IDLE ({status:?} {text})"))
                    );
                }
                Some(Read::Stray(reason)) => {
                    return Err(self.mark_broken(format!("{reason} during IDLE")))
                }
            }
        }
    }

    /// Ends IDLE with DONE and waits up to `deadline` for its tagged answer; no answer in
    /// time marks the connection broken. Returns the pushes that arrived meanwhile.
    pub async fn idle_done(&mut self, idle: Idle, deadline: Duration) -> Result<Vec<Push>> {
        self.check_usable()?;
        match tokio::time::timeout(deadline, self.session.run_command_untagged("DONE")).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(self.mark_broken(format!("Sending DONE: {error}"))),
            Err(_) => return Err(self.mark_broken("Sending DONE timed out".to_string())),
        }
        self.idle_ended(&idle, deadline).await
    }

    /// Ends IDLE and runs `command` in the same write, so both cost one round trip. DONE's
    /// answer is awaited as in [`Self::idle_done`]; then `on_response` sees every untagged
    /// response until `command`'s tagged answer, which is returned with the pushes that
    /// arrived before DONE was answered.
    pub async fn idle_done_then<F>(
        &mut self,
        idle: Idle,
        deadline: Duration,
        command: &str,
        mut on_response: F,
    ) -> Result<(Vec<Push>, Tagged)>
    where
        F: FnMut(&Response<'_>) -> Result<()>,
    {
        self.check_usable()?;
        // DONE waits in the write buffer; sending the command flushes both at once.
        let buffered =
            tokio::time::timeout(deadline, self.session.get_mut().write_all(b"DONE\r\n")).await;
        match buffered {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(self.mark_broken(format!("Sending DONE: {error}"))),
            Err(_) => return Err(self.mark_broken("Sending DONE timed out".to_string())),
        }
        let started = Instant::now();
        let mut pending = self.start_pipeline(&[command.to_string()]).await?;
        let pushes = self.idle_ended(&idle, deadline).await?;
        let answer = self
            .next_tagged(&mut pending, &mut |_, response: &Response<'_>| {
                on_response(response)
            })
            .await?;
        self.server_wait += started.elapsed();
        match answer {
            Some((_, tagged)) => Ok((pushes, tagged)),
            None => Err(EngineError::new(ErrorKind::Protocol, "No tagged answer")),
        }
    }

    /// Reads until IDLE's tagged answer (after DONE), within `deadline`.
    async fn idle_ended(&mut self, idle: &Idle, deadline: Duration) -> Result<Vec<Push>> {
        let until = Instant::now() + deadline;
        let mut pushes = Vec::new();
        loop {
            let remaining = until.saturating_duration_since(Instant::now());
            match self.read_idle(&idle.tag, remaining).await? {
                None => {
                    return Err(self.mark_broken(format!(
                        "DONE got no answer within {} ms",
                        deadline.as_millis()
                    )))
                }
                Some(Read::Push(push)) => pushes.push(push),
                Some(Read::Other) | Some(Read::Continue) => {}
                Some(Read::Tagged(status, text)) => {
                    return match status {
                        TaggedStatus::Ok => Ok(pushes),
                        _ => Err(self.mark_broken(format!("IDLE ended with {status:?} {text}"))),
                    };
                }
                Some(Read::Stray(reason)) => {
                    return Err(self.mark_broken(format!("{reason} after DONE")))
                }
            }
        }
    }

    /// Reads one response within `max` (`None`: nothing came), sorted for the IDLE command
    /// `idle_tag` (the same sorter a command pipeline uses). Errors, BYE and end of stream
    /// mark the connection broken.
    async fn read_idle(&mut self, idle_tag: &RequestId, max: Duration) -> Result<Option<Read>> {
        self.check_usable()?;
        let read = tokio::time::timeout(max, super::contained(self.session.read_response())).await;
        let Some(response) = self.settle_read(read)? else {
            return Ok(None);
        };
        let mut sorter = Sorter::new(vec![idle_tag.clone()]);
        let read = match sorter.on_response(response.parsed()) {
            Step::Continue => Read::Continue,
            Step::Answered { tagged, .. } => Read::Tagged(tagged.status, tagged.text),
            Step::Stray(reason) => Read::Stray(reason),
            Step::Bye(text) => {
                return Err(self.mark_broken(format!("The server ended the session: {text}")));
            }
            Step::Untagged => {
                Push::from_response(response.parsed()).map_or(Read::Other, Read::Push)
            }
        };
        Ok(Some(read))
    }
}
