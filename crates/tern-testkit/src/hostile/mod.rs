//! Hostile servers for tests: real sessions recorded ([`RecordingProxy`]), turned into data
//! ([`Transcript`]), mutated the ways a lying, broken or dying server would ([`mutate`]),
//! and played back to a client ([`ScriptedServer`]).

mod mutate;
mod recorder;
mod server;
mod transcript;

pub use mutate::{mutate, Mutation, Random};
pub use recorder::RecordingProxy;
pub use server::{After, Script, ScriptedServer};
pub use transcript::{split_lines, verb_of, Exchange, Transcript, TAG};
