//! Test and benchmark utilities: a private Dovecot per test run (and a Postfix in front of
//! it), "an engine for user X" over a real cache, fast mailbox seeding with varied messages, a TCP proxy that can delay, cut and stall connections, and hostile
//! servers that replay real sessions mutated.

pub mod account;
pub mod dovecot;
pub mod fake_imap;
pub mod gmail_like;
pub mod hostile;
pub mod internet;
pub mod loopback;
pub mod messages;
pub mod oauth;
pub mod postfix;
pub mod proxy;
pub mod seed;
pub mod servers;
pub mod tidy;
pub mod wait;

pub use account::{
    add_account, add_folders, engine_for, loopback_smtp, new_account, password_of,
    store_with_account, TestUser,
};
pub use dovecot::Dovecot;
pub use gmail_like::GmailLike;
pub use postfix::Postfix;
pub use proxy::Proxy;
pub use servers::{PrivateServer, ServerKind};
pub use wait::{poll_until, wait_until};
