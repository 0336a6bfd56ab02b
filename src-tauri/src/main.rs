//! The `tern-app` binary: starts the desktop app (everything lives in the library).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tern_app::run();
}
