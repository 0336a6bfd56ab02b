//! Repository checks in the manner of rust-analyzer's tidy tests, run by `tests/tidy.rs`:
//! every Rust file says what it is for on its first line, ARCHITECTURE.md's code map names
//! every crate and top-level module, and no crate has files importing each other in a circle.

pub mod code_map;
pub mod modules;
pub mod uses;

use std::path::{Path, PathBuf};

/// The repository (this crate is `crates/tern-testkit`), or `TERN_TIDY_ROOT` (to check
/// another checkout).
pub fn repo_root() -> PathBuf {
    if let Some(root) = std::env::var_os("TERN_TIDY_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The Rust crates: `crates/*`, `src-tauri`, `fuzz`.
pub fn rust_crates(repo: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(repo.join("crates"))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    for extra in ["src-tauri", "fuzz"] {
        if repo.join(extra).join("Cargo.toml").is_file() {
            crates.push(repo.join(extra));
        }
    }
    Ok(crates)
}

/// Every `.rs` file in the repository, outside build output and dependencies (`vendor/`:
/// other projects' code, changed only as its TERN.md says).
pub fn rust_files(repo: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![repo.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !matches!(
                    name.as_ref(),
                    "target" | "node_modules" | "gen" | "dist" | "vendor"
                ) && !name.starts_with('.')
                {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Whether a file's text opens with a `//!` line.
pub fn opens_with_doc_line(source: &str) -> bool {
    source
        .lines()
        .next()
        .is_some_and(|line| line.starts_with("//!") && line.len() > 4)
}
