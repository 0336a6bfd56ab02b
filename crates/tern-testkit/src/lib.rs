//! Test and benchmark utilities: a private Dovecot per test run (and a Postfix in front of it), fast mailbox seeding with
//! varied messages, a TCP proxy that can delay, cut and stall connections, and hostile
//! servers that replay real sessions mutated.

pub mod dovecot;
pub mod fake_imap;
pub mod hostile;
pub mod messages;
pub mod postfix;
pub mod proxy;
pub mod seed;
pub mod wait;

pub use dovecot::Dovecot;
pub use postfix::Postfix;
pub use proxy::Proxy;
pub use wait::{poll_until, wait_until};
