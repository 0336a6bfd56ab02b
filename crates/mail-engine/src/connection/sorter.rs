//! Sorting what a server sends while commands are in flight, pure (no socket): each response
//! is a tagged answer to one of them (in whatever order a server answers pipelined
//! commands), an untagged response for the caller, a continuation request, the end of the
//! session, or a stray answer nobody asked for — after which the stream cannot be trusted.
//! Command pipelines and IDLE use the same sorter.

use imap_proto::{RequestId, Response, ResponseCode, Status};

/// How the server answered a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedStatus {
    Ok,
    No,
    Bad,
}

fn status_kind(status: &Status) -> TaggedStatus {
    match status {
        Status::Ok => TaggedStatus::Ok,
        Status::No => TaggedStatus::No,
        _ => TaggedStatus::Bad,
    }
}

/// The tagged answer to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub status: TaggedStatus,
    pub read_only: Option<bool>,
    pub text: String,
    /// COPYUID in the answer (UID COPY; UID MOVE usually sends it untagged).
    pub copy_uid: Option<crate::response::CopyUid>,
    /// APPENDUID in the answer (APPEND): (UIDVALIDITY, UID) of the new message.
    pub append_uid: Option<(u32, u32)>,
}

/// What one response is, for the commands in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The answer to the command at `index` (in the order the commands were written).
    Answered { index: usize, tagged: Tagged },
    /// Data for the caller (FETCH, SEARCH, EXISTS, a push…).
    Untagged,
    /// `+`: the server waits for more from the client (IDLE has begun, a literal may go).
    Continue,
    /// `* BYE`: the server ends the session.
    Bye(String),
    /// A tagged answer for no command in flight, or a second one for the same command.
    Stray(String),
}

/// The commands in flight on one connection and which have been answered.
#[derive(Debug, Clone)]
pub struct Sorter {
    tags: Vec<RequestId>,
    answered: Vec<bool>,
    done: usize,
}

impl Sorter {
    pub fn new(tags: Vec<RequestId>) -> Sorter {
        let answered = vec![false; tags.len()];
        Sorter {
            tags,
            answered,
            done: 0,
        }
    }

    /// Takes one more command in flight (written after the others); returns its index.
    pub fn add(&mut self, tag: RequestId) -> usize {
        self.tags.push(tag);
        self.answered.push(false);
        self.tags.len() - 1
    }

    /// How many commands have their answer.
    pub fn answered(&self) -> usize {
        self.done
    }

    /// Whether every command has its answer.
    pub fn finished(&self) -> bool {
        self.done >= self.tags.len()
    }

    /// Sorts one response.
    pub fn on_response(&mut self, response: &Response<'_>) -> Step {
        match response {
            Response::Done {
                tag,
                status,
                outcome,
            } => {
                let Some(index) = self.tags.iter().position(|known| known == tag) else {
                    return Step::Stray(format!("Unexpected tag {tag:?} from the server"));
                };
                if self.answered[index] {
                    return Step::Stray(format!("Two answers to tag {tag:?}"));
                }
                self.answered[index] = true;
                self.done += 1;
                let read_only = match outcome.code {
                    Some(ResponseCode::ReadOnly) => Some(true),
                    Some(ResponseCode::ReadWrite) => Some(false),
                    _ => None,
                };
                Step::Answered {
                    index,
                    tagged: Tagged {
                        status: status_kind(status),
                        read_only,
                        copy_uid: crate::response::copy_uid(outcome.code.as_ref()),
                        append_uid: crate::response::append_uid(outcome.code.as_ref()),
                        text: outcome.information.as_deref().unwrap_or("").to_string(),
                    },
                }
            }
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Step::Bye(outcome.information.as_deref().unwrap_or("").to_string()),
            Response::Continue { .. } => Step::Continue,
            _ => Step::Untagged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> RequestId {
        RequestId(text.to_string())
    }

    /// What a step was, briefly, for tables.
    fn brief(step: &Step) -> String {
        match step {
            Step::Answered { index, tagged } => {
                format!(
                    "answered {index} {:?} ro={:?}",
                    tagged.status, tagged.read_only
                )
            }
            Step::Untagged => "untagged".into(),
            Step::Continue => "continue".into(),
            Step::Bye(text) => format!("bye {text}"),
            Step::Stray(text) => format!("stray {text}"),
        }
    }

    #[test]
    fn responses_are_sorted_to_their_commands() {
        // (commands in flight, lines the server sends, what each line is)
        let cases: &[(&[&str], &[&str], &[&str])] = &[
            (
                &["A1", "A2"],
                &[
                    "* 3 EXISTS\r\n",
                    "A1 OK [READ-ONLY] done\r\n",
                    "* 1 FETCH (UID 4 FLAGS ())\r\n",
                    "A2 NO nope\r\n",
                ],
                &[
                    "untagged",
                    "answered 0 Ok ro=Some(true)",
                    "untagged",
                    "answered 1 No ro=None",
                ],
            ),
            (
                // Pipelined commands answered in another order.
                &["A1", "A2", "A3"],
                &["A3 OK c\r\n", "A1 OK [READ-WRITE] a\r\n", "A2 BAD b\r\n"],
                &[
                    "answered 2 Ok ro=None",
                    "answered 0 Ok ro=Some(false)",
                    "answered 1 Bad ro=None",
                ],
            ),
            (
                &["A7"],
                &["+ idling\r\n", "* 5 EXISTS\r\n", "A7 OK Idle completed\r\n"],
                &["continue", "untagged", "answered 0 Ok ro=None"],
            ),
            (
                &["A1"],
                &["A9 OK not ours\r\n"],
                &["stray Unexpected tag RequestId(\"A9\") from the server"],
            ),
            (
                &["A1"],
                &["A1 OK once\r\n", "A1 OK twice\r\n"],
                &[
                    "answered 0 Ok ro=None",
                    "stray Two answers to tag RequestId(\"A1\")",
                ],
            ),
            (&["A1"], &["* BYE going down\r\n"], &["bye going down"]),
        ];
        for (tags, lines, expected) in cases {
            let mut sorter = Sorter::new(tags.iter().map(|text| tag(text)).collect());
            let steps: Vec<String> = lines
                .iter()
                .map(|line| {
                    let (_, response) = Response::parse(line.as_bytes()).expect("parses");
                    brief(&sorter.on_response(&response))
                })
                .collect();
            assert_eq!(&steps, expected, "{lines:?}");
        }
    }

    #[test]
    fn a_sorter_knows_when_everything_is_answered() {
        let mut sorter = Sorter::new(vec![tag("A1"), tag("A2")]);
        assert!(!sorter.finished());
        for line in ["A2 OK\r\n", "A1 OK\r\n"] {
            let (_, response) = Response::parse(line.as_bytes()).expect("parses");
            sorter.on_response(&response);
        }
        assert!(sorter.finished());
        assert_eq!(sorter.answered(), 2);
        // COPYUID and APPENDUID come with the answer.
        let mut copy = Sorter::new(vec![tag("A3")]);
        let (_, response) = Response::parse(b"A3 OK [APPENDUID 9 12] done\r\n").expect("parses");
        match copy.on_response(&response) {
            Step::Answered { tagged, .. } => assert_eq!(tagged.append_uid, Some((9, 12))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_command_added_in_flight_keeps_the_pipeline_going_until_it_is_answered() {
        let mut sorter = Sorter::new(vec![tag("A1")]);
        let answer = |sorter: &mut Sorter, line: &str| {
            let (_, response) = Response::parse(line.as_bytes()).expect("parses");
            brief(&sorter.on_response(&response))
        };
        assert_eq!(sorter.add(tag("A2")), 1);
        assert_eq!(answer(&mut sorter, "A1 OK\r\n"), "answered 0 Ok ro=None");
        assert!(!sorter.finished(), "A2 is still in flight");
        assert_eq!(sorter.add(tag("A3")), 2);
        assert_eq!(answer(&mut sorter, "A3 OK\r\n"), "answered 2 Ok ro=None");
        assert_eq!(
            answer(&mut sorter, "A2 NO gone\r\n"),
            "answered 1 No ro=None"
        );
        assert!(sorter.finished());
        assert!(answer(&mut sorter, "A2 OK\r\n").starts_with("stray"));
    }
}
