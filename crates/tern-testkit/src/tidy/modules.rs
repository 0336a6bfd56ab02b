//! A crate's files as modules (from each target's root through its `mod x;` declarations),
//! the file-to-file dependencies their paths make, and the cycles among them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::uses::{file_facts, FileFacts};

/// The root files of a crate's targets: library, binary, tests, benches, build script.
pub fn target_roots(crate_dir: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for fixed in ["src/lib.rs", "src/main.rs", "build.rs"] {
        let path = crate_dir.join(fixed);
        if path.is_file() {
            roots.push(path);
        }
    }
    for dir in ["src/bin", "tests", "benches", "fuzz_targets"] {
        let Ok(entries) = std::fs::read_dir(crate_dir.join(dir)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        found.sort();
        for path in found {
            if path.extension().is_some_and(|ext| ext == "rs") {
                roots.push(path);
            } else if path.join("main.rs").is_file() {
                roots.push(path.join("main.rs"));
            }
        }
    }
    roots
}

/// Where `mod x;` in `file` looks for x: beside a crate root or a `mod.rs`, else in the
/// directory named after the file.
fn children_dir(file: &Path, is_root: bool) -> PathBuf {
    let parent = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("");
    if is_root || name == "mod" {
        parent
    } else {
        parent.join(name)
    }
}

fn child_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|path| path.is_file())
}

/// One target's modules: module path -> (file, what the file declares and re-exports).
type Modules<'a> = BTreeMap<Vec<String>, (PathBuf, &'a FileFacts)>;

/// Which file a path used in the file with module path `from` lands in, within one target.
/// A name a module re-exports is followed to where it comes from. `None` for other crates
/// and the standard library.
fn resolve(
    segments: &[String],
    from: &[String],
    modules: &Modules<'_>,
    depth: usize,
) -> Option<PathBuf> {
    let declared = &modules.get(from)?.1.modules;
    let mut at: Vec<String> = match segments.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => from.to_vec(),
        Some("super") => from[..from.len().checked_sub(1)?].to_vec(),
        Some(first) if declared.iter().any(|name| name == first) => {
            let mut child = from.to_vec();
            child.push(first.to_string());
            child
        }
        _ => return None,
    };
    let mut rest = &segments[1..];
    while let Some(first) = rest.first() {
        if first == "super" {
            at.pop();
        } else {
            let mut deeper = at.clone();
            deeper.push(first.clone());
            if !modules.contains_key(&deeper) {
                break;
            }
            at = deeper;
        }
        rest = &rest[1..];
    }
    let (file, facts) = modules.get(&at)?;
    // `crate::Name` where the module only re-exports Name: where it comes from.
    if let Some(name) = rest.first() {
        let reexport = facts.reexports.iter().find(|(known, _)| known == name);
        if let Some((_, path)) = reexport.filter(|_| depth < 8) {
            let mut followed = path.clone();
            followed.extend(rest[1..].iter().cloned());
            if let Some(found) = resolve(&followed, &at, modules, depth + 1) {
                return Some(found);
            }
        }
    }
    Some(file.clone())
}

/// File-to-file dependencies of a crate (paths relative to `repo`), all targets together.
pub fn dependencies(
    repo: &Path,
    crate_dir: &Path,
) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let mut read: BTreeMap<PathBuf, FileFacts> = BTreeMap::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for root in target_roots(crate_dir) {
        // Module paths are per target: its files are those its root reaches.
        let mut target: Vec<(PathBuf, Vec<String>)> = Vec::new();
        let mut stack = vec![(root.clone(), Vec::<String>::new())];
        while let Some((path, module)) = stack.pop() {
            if !read.contains_key(&path) {
                let source = std::fs::read_to_string(&path)
                    .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
                read.insert(path.clone(), file_facts(&source));
            }
            let dir = children_dir(&path, path == root);
            for child in &read[&path].modules {
                let Some(child_path) = child_file(&dir, child) else {
                    anyhow::bail!("{}: no file for `mod {child};`", path.display());
                };
                let mut child_module = module.clone();
                child_module.push(child.clone());
                stack.push((child_path, child_module));
            }
            target.push((path, module));
        }
        let modules: Modules<'_> = target
            .iter()
            .map(|(path, module)| (module.clone(), (path.clone(), &read[path])))
            .collect();
        for (path, module) in &target {
            let facts = &read[path];
            let from = relative(repo, path);
            let entry = graph.entry(from.clone()).or_default();
            for segments in &facts.paths {
                if let Some(to) = resolve(segments, module, &modules, 0) {
                    let to = relative(repo, &to);
                    if to != from {
                        entry.insert(to);
                    }
                }
            }
        }
    }
    Ok(graph)
}

fn relative(repo: &Path, path: &Path) -> String {
    path.strip_prefix(repo)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The groups of files that depend on each other in a circle (Tarjan's strongly connected
/// components of more than one file, or a file depending on itself).
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(targets) = state.graph.get(node) {
            for target in targets {
                let target = target.as_str();
                if !state.index.contains_key(target) {
                    visit(state, target);
                    let low = state.low[node].min(state.low[target]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(target) {
                    let low = state.low[node].min(state.index[target]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut group = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                group.push(member.to_string());
                if member == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                state.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string());
            graph.entry(to.to_string()).or_default();
        }
        graph
    }

    #[test]
    fn circles_are_found_and_chains_are_not() {
        assert!(cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
        assert_eq!(
            cycles(&graph(&[
                ("a", "b"),
                ("b", "c"),
                ("c", "a"),
                ("c", "d"),
                ("d", "e"),
                ("e", "d")
            ])),
            vec![
                vec!["d".to_string(), "e".to_string()],
                vec!["a".into(), "b".into(), "c".into()]
            ]
        );
    }

    #[test]
    fn paths_resolve_to_the_deepest_module_file_through_reexports() {
        let facts = |modules: &[&str], reexports: &[(&str, &str)]| FileFacts {
            modules: modules.iter().map(|s| s.to_string()).collect(),
            paths: Vec::new(),
            reexports: reexports
                .iter()
                .map(|(name, path)| {
                    (
                        name.to_string(),
                        path.split("::").map(str::to_string).collect(),
                    )
                })
                .collect(),
        };
        let lib = facts(
            &["watch", "core_handle"],
            &[("Engine", "engine::Engine"), ("Core", "core_handle::Core")],
        );
        let watch = facts(&["registry"], &[]);
        let leaf = facts(&[], &[]);
        let modules: Modules<'_> = [
            (vec![], ("lib.rs", &lib)),
            (vec!["watch"], ("watch/mod.rs", &watch)),
            (vec!["watch", "registry"], ("watch/registry.rs", &leaf)),
            (vec!["watch", "x"], ("watch/x.rs", &leaf)),
            (vec!["core_handle"], ("core_handle.rs", &leaf)),
        ]
        .into_iter()
        .map(|(module, (path, facts))| {
            (
                module.into_iter().map(str::to_string).collect(),
                (PathBuf::from(path), facts),
            )
        })
        .collect();
        let at = |path: &str, from: &[&str]| {
            let segments: Vec<String> = path.split("::").map(str::to_string).collect();
            let from: Vec<String> = from.iter().map(|s| s.to_string()).collect();
            resolve(&segments, &from, &modules, 0).map(|path| path.display().to_string())
        };
        // (path, used in module, the file it lands in)
        let cases: [(&str, &[&str], Option<&str>); 7] = [
            (
                "crate::core_handle::Core",
                &["watch"],
                Some("core_handle.rs"),
            ),
            (
                "super::registry::Registry",
                &["watch", "x"],
                Some("watch/registry.rs"),
            ),
            ("registry::Registry", &["watch"], Some("watch/registry.rs")),
            (
                "super::Watchers",
                &["watch", "registry"],
                Some("watch/mod.rs"),
            ),
            ("std::sync::Arc", &["watch"], None),
            // A re-export is followed to where the item is; an item of lib.rs stays there.
            ("crate::Core", &["watch"], Some("core_handle.rs")),
            ("crate::Other", &["watch"], Some("lib.rs")),
        ];
        for (path, from, expected) in cases {
            assert_eq!(at(path, from).as_deref(), expected, "{path} in {from:?}");
        }
    }
}
