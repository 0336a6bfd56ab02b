//! Builders for IMAP commands.

pub mod command;
