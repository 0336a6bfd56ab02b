//! Sending mail, offline first: a message is written to the outbox (with its Message-ID and
//! Date) before any attempt (`service.rs`); one drainer at a time submits due messages over
//! SMTP and never sends a message twice (`drain.rs`); sent messages are then appended to the
//! Sent folder unless the server files them itself (`sent_copies.rs`); a background worker
//! drives it all (`worker.rs`).

mod drain;
mod sent_copies;
mod service;
mod worker;

pub use drain::{retry_delay, DrainReport, SendOutcome};
pub(crate) use service::Outbox;
pub use service::QueuedMessage;
pub(crate) use worker::spawn as spawn_worker;
pub use worker::OutboxWorker;
