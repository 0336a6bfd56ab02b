//! How much a server may send in one response, enforced on the raw bytes before the IMAP
//! parser buffers them.
//!
//! async-imap grows its buffer to whatever a literal announces (`{1000000000}`, up to its own
//! 512 MiB) and keeps a response whole until it parses. A hostile server could make every
//! connection cost that much memory; a long line without literals also costs it a re-parse per
//! read. [`ResponseScanner`] follows the response grammar just far enough to see where lines
//! and literals start and end, and refuses a literal or a response larger than the current
//! [`ResponseLimits`] the moment it is announced: nothing is allocated for it. The limits are
//! shared with the connection, which raises them for a command whose answer it expects to be
//! large (a message body of a known size) and lowers them again afterwards.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The default largest response (lines and literals together) and literal: list headers,
/// flags, a SEARCH of a 2-million-message folder, a few-megabyte body all fit.
pub const DEFAULT_RESPONSE_BYTES: u64 = 32 << 20;

/// Never more than this in one response, whatever an earlier answer announced.
pub const CEILING_RESPONSE_BYTES: u64 = 512 << 20;

/// The limits in force on one connection (shared by the connection and its stream).
#[derive(Debug)]
pub struct ResponseLimits {
    max_response: AtomicU64,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        Self {
            max_response: AtomicU64::new(DEFAULT_RESPONSE_BYTES),
        }
    }
}

impl ResponseLimits {
    /// The largest response (and so the largest literal) accepted now.
    pub fn max_response(&self) -> u64 {
        self.max_response.load(Ordering::Relaxed)
    }

    /// Accepts responses up to `bytes` (never above [`CEILING_RESPONSE_BYTES`], never below
    /// the default) until the returned guard is dropped.
    pub fn raise_to(self: &Arc<Self>, bytes: u64) -> RaisedLimit {
        let bytes = bytes.clamp(DEFAULT_RESPONSE_BYTES, CEILING_RESPONSE_BYTES);
        let previous = self.max_response.swap(bytes, Ordering::Relaxed);
        RaisedLimit {
            limits: self.clone(),
            previous,
        }
    }
}

/// Restores the previous limit when dropped.
#[must_use = "the limit goes back when this is dropped"]
pub struct RaisedLimit {
    limits: Arc<ResponseLimits>,
    previous: u64,
}

impl Drop for RaisedLimit {
    fn drop(&mut self) {
        self.limits
            .max_response
            .store(self.previous, Ordering::Relaxed);
    }
}

/// What the server sent beyond the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitExceeded {
    /// A literal announced larger than the limit.
    Literal { announced: u64, limit: u64 },
    /// A response (lines plus literals) grew past the limit.
    Response { limit: u64 },
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitExceeded::Literal { announced, limit } => write!(
                f,
                "the server announced a literal of {announced} bytes where at most {limit} were expected"
            ),
            LimitExceeded::Response { limit } => write!(
                f,
                "the server sent a response longer than the {limit} bytes expected"
            ),
        }
    }
}

impl std::error::Error for LimitExceeded {}

/// Where the scanner is in the response grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a line; `brace` holds the digits after a `{` seen last, `closed` says the `}`
    /// followed them (so a CRLF now announces a literal).
    Line {
        brace: Option<u64>,
        closed: bool,
        cr: bool,
    },
    /// Inside a literal, with this many bytes to go.
    Literal(u64),
}

/// Follows lines and literals of the server's byte stream (pure; fed by the stream).
#[derive(Debug, Clone)]
pub struct ResponseScanner {
    state: State,
    /// Bytes of the response under way.
    response: u64,
}

impl Default for ResponseScanner {
    fn default() -> Self {
        Self {
            state: State::Line {
                brace: None,
                closed: false,
                cr: false,
            },
            response: 0,
        }
    }
}

impl ResponseScanner {
    /// Takes the next bytes of the stream; fails as soon as they exceed `max_response`.
    pub fn feed(&mut self, bytes: &[u8], max_response: u64) -> Result<(), LimitExceeded> {
        self.feed_skipping(bytes, max_response, true)
    }

    /// [`Self::feed`]; with `skip_ordinary` off, one byte at a time (the tests' reference).
    fn feed_skipping(
        &mut self,
        mut bytes: &[u8],
        max_response: u64,
        skip_ordinary: bool,
    ) -> Result<(), LimitExceeded> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Literal(remaining) => {
                    let take = (*remaining).min(bytes.len() as u64);
                    *remaining -= take;
                    bytes = &bytes[take as usize..];
                    if *remaining == 0 {
                        self.state = State::Line {
                            brace: None,
                            closed: false,
                            cr: false,
                        };
                    }
                }
                State::Line { brace, closed, cr } => {
                    if skip_ordinary && brace.is_none() {
                        // Outside a `{digits}` only `{` and LF change anything but `cr`:
                        // skip to the next of them in one search, not a match per byte.
                        let ordinary = memchr::memchr2(b'{', b'\n', bytes).unwrap_or(bytes.len());
                        if ordinary > 0 {
                            self.response += ordinary as u64;
                            if self.response > max_response {
                                return Err(LimitExceeded::Response {
                                    limit: max_response,
                                });
                            }
                            *closed = false;
                            *cr = bytes[ordinary - 1] == b'\r';
                            bytes = &bytes[ordinary..];
                            continue;
                        }
                    }
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    self.response += 1;
                    if self.response > max_response {
                        return Err(LimitExceeded::Response {
                            limit: max_response,
                        });
                    }
                    match byte {
                        b'\n' if *cr => {
                            if let (Some(announced), true) = (*brace, *closed) {
                                // A literal follows: refuse it before a byte of it is read.
                                if announced > max_response
                                    || self.response.saturating_add(announced) > max_response
                                {
                                    return Err(LimitExceeded::Literal {
                                        announced,
                                        limit: max_response,
                                    });
                                }
                                self.response += announced;
                                self.state = if announced == 0 {
                                    State::Line {
                                        brace: None,
                                        closed: false,
                                        cr: false,
                                    }
                                } else {
                                    State::Literal(announced)
                                };
                            } else {
                                // The response is complete.
                                self.response = 0;
                                *brace = None;
                                *closed = false;
                                *cr = false;
                            }
                        }
                        b'\r' => *cr = true,
                        b'{' => {
                            *brace = Some(0);
                            *closed = false;
                            *cr = false;
                        }
                        b'0'..=b'9' if brace.is_some() && !*closed => {
                            let digits = brace.unwrap_or(0);
                            *brace = Some(
                                digits
                                    .saturating_mul(10)
                                    .saturating_add(u64::from(byte - b'0')),
                            );
                            *cr = false;
                        }
                        b'}' if brace.is_some() && !*closed => {
                            *closed = true;
                            *cr = false;
                        }
                        _ => {
                            *brace = None;
                            *closed = false;
                            *cr = false;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The most a body announced as `size` bytes may really take: servers count line ends and
/// encodings differently, so twice the size and a little more, never less than 1 MiB.
pub(crate) fn body_limit(size: u32) -> u64 {
    (u64::from(size) * 2 + (64 << 10)).max(1 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]], limit: u64) -> Result<(), LimitExceeded> {
        let mut scanner = ResponseScanner::default();
        for chunk in chunks {
            scanner.feed(chunk, limit)?;
        }
        Ok(())
    }

    #[test]
    fn ordinary_responses_pass() {
        let session: &[&[u8]] = &[
            b"* OK ready\r\n",
            b"* 1 FETCH (UID 4 BODY[] {5}\r\nhello)\r\n",
            b"* 2 FETCH (UID 5 BODY[] ~{3}\r\n\0\x01\x02)\r\n",
            b"* LIST () \"/\" \"a{5}\"\r\n",
            b"A1 OK done\r\n",
        ];
        for chunk_size in [1, 2, 7, 1000] {
            let joined = session.concat();
            let chunks: Vec<&[u8]> = joined.chunks(chunk_size).collect();
            assert_eq!(scan(&chunks, 64), Ok(()), "chunks of {chunk_size}");
        }
    }

    #[test]
    fn a_literal_larger_than_the_limit_is_refused_when_announced() {
        assert_eq!(
            scan(&[b"* 1 FETCH (BODY[] {1000000000}\r\n"], 1 << 20),
            Err(LimitExceeded::Literal {
                announced: 1_000_000_000,
                limit: 1 << 20
            })
        );
        // Digits beyond u64 saturate instead of wrapping to something small.
        assert!(matches!(
            scan(
                &[b"* 1 FETCH (BODY[] {99999999999999999999999999}\r\n"],
                1 << 20
            ),
            Err(LimitExceeded::Literal { .. })
        ));
        // Split anywhere, the same.
        let line = b"* 1 FETCH (BODY[] {2000}\r\n";
        let chunks: Vec<&[u8]> = line.chunks(1).collect();
        assert!(scan(&chunks, 1000).is_err());
    }

    #[test]
    fn literals_add_up_within_one_response() {
        // Two literals of 600 in one response exceed 1000; the same in two responses do not.
        let one = b"* 1 FETCH (BODY[1] {600}\r\n";
        let body = [b'x'; 600];
        let mid = b" BODY[2] {600}\r\n";
        assert!(scan(&[one, &body, mid], 1000).is_err());
        let close = b")\r\n";
        assert_eq!(scan(&[one, &body, close, one, &body, close], 1000), Ok(()));
    }

    #[test]
    fn a_long_line_is_refused() {
        let line = vec![b'1'; 2000];
        assert_eq!(
            scan(&[b"* SEARCH ", &line], 1000),
            Err(LimitExceeded::Response { limit: 1000 })
        );
    }

    #[test]
    fn braces_not_at_the_line_end_are_not_literals() {
        // `{5}` followed by something else is text; the CRLF ends the response.
        assert_eq!(scan(&[b"* OK {5} text\r\n", b"A1 OK\r\n"], 100), Ok(()));
        // A literal's bytes may contain CRLF and braces without confusing the scanner.
        assert_eq!(
            scan(&[b"* 1 FETCH (BODY[] {8}\r\n{9999}\r\n)\r\n"], 100),
            Ok(())
        );
    }

    /// The scanner without its fast path: one byte at a time.
    fn scan_bytewise(stream: &[u8], limit: u64) -> Result<(), LimitExceeded> {
        let mut scanner = ResponseScanner::default();
        scanner.feed_skipping(stream, limit, false)
    }

    #[test]
    fn skipping_ordinary_bytes_decides_as_byte_by_byte() {
        // Random streams over the bytes that matter, cut in chunks of several sizes: the same
        // verdict as the byte-by-byte path.
        let alphabet: &[u8] = b"{}1\r\nx";
        let mut seed = 0x9e37_79b9_u32;
        for _ in 0..3000 {
            let mut stream = Vec::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                stream.push(alphabet[(seed % alphabet.len() as u32) as usize]);
            }
            for limit in [3, 12, 64] {
                let expected = scan_bytewise(&stream, limit);
                for chunk_size in [2, 3, 5, 64] {
                    let chunks: Vec<&[u8]> = stream.chunks(chunk_size).collect();
                    assert_eq!(
                        scan(&chunks, limit),
                        expected,
                        "{:?} in chunks of {chunk_size}, limit {limit}",
                        String::from_utf8_lossy(&stream)
                    );
                }
            }
        }
    }

    #[test]
    fn raising_is_undone_when_the_guard_goes() {
        let limits = Arc::new(ResponseLimits::default());
        {
            let _raised = limits.raise_to(100 << 20);
            assert_eq!(limits.max_response(), 100 << 20);
        }
        assert_eq!(limits.max_response(), DEFAULT_RESPONSE_BYTES);
        let _capped = limits.raise_to(u64::MAX);
        assert_eq!(limits.max_response(), CEILING_RESPONSE_BYTES);
    }
}
