//! Tidy checks on the whole repository (see `tern_testkit::tidy`): a file saying what it is
//! for, a code map that names every crate and module, no circular imports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tern_testkit::tidy::{self, code_map, modules};

#[test]
fn every_rust_file_opens_with_a_line_saying_what_it_is_for() {
    let repo = tidy::repo_root();
    let files = tidy::rust_files(&repo);
    assert!(files.len() > 100, "found only {} files", files.len());
    let silent: Vec<String> = files
        .iter()
        .filter(|path| {
            let source = std::fs::read_to_string(path).expect("readable");
            !tidy::opens_with_doc_line(&source)
        })
        .map(|path| path.strip_prefix(&repo).unwrap().display().to_string())
        .collect();
    assert!(
        silent.is_empty(),
        "these files do not open with a `//!` line saying what they are for: {silent:#?}"
    );
}

#[test]
fn the_code_map_names_every_crate_and_top_level_module() {
    let repo = tidy::repo_root();
    let architecture =
        std::fs::read_to_string(repo.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut problems = Vec::new();
    for crate_dir in tidy::rust_crates(&repo).expect("crates") {
        let heading = crate_dir.strip_prefix(&repo).unwrap().display().to_string();
        let Some(part) = code_map::part(&architecture, &heading) else {
            problems.push(format!("no \"### `{heading}`\" part in the code map"));
            continue;
        };
        let required = code_map::required_names(&crate_dir).expect("modules");
        for name in code_map::missing(part, &required) {
            problems.push(format!(
                "{heading}: `{name}` is not in its part of the code map"
            ));
        }
    }
    // The window's model: each store of ui/src/lib/state.
    let ui = code_map::part(&architecture, "ui/").expect("a ui/ part in the code map");
    let mut stores = Vec::new();
    for entry in std::fs::read_dir(repo.join("ui/src/lib/state")).expect("ui state") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".ts") && !name.ends_with(".test.ts") && !name.ends_with(".d.ts") {
            stores.push(name);
        }
    }
    for name in code_map::missing(ui, &stores) {
        problems.push(format!("ui/: `{name}` is not in its part of the code map"));
    }
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md is behind the tree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let repo = tidy::repo_root();
    let mut circles = Vec::new();
    let mut edges = 0;
    for crate_dir in tidy::rust_crates(&repo).expect("crates") {
        let graph = modules::dependencies(&repo, &crate_dir).expect("the crate's files");
        edges += graph.values().map(|targets| targets.len()).sum::<usize>();
        circles.extend(modules::cycles(&graph));
    }
    assert!(
        edges > 200,
        "only {edges} imports found: is the reader broken?"
    );
    assert!(
        circles.is_empty(),
        "files that import each other in a circle (one of them should not need the other): {circles:#?}"
    );
}
