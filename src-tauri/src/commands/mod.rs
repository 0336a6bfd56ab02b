//! The commands the window invokes. Each parses its input, calls one engine (or profile)
//! method and maps the result to a DTO; errors cross as `{code, message}`.

pub mod account;
pub mod account_settings;
pub mod compose;
pub mod desktop;
pub mod mail;
pub mod view;
