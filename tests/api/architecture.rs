//! The invariants of ARCHITECTURE.md that no compiler lint states, checked
//! on the source: imports between the top-level modules of `src/` go one
//! way (the domain never imports the HTTP layer, and no two modules import
//! each other, directly or through others), and there is no process-wide
//! mutable state (`static` items); and the server has one HTTP stack.
//!
//! The module graph is read from the `crate::<module>` paths of each file's
//! code, outside comments and unit-test modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The HTTP layer: handlers, the application state, wiring.
const HTTP: [&str; 6] = [
    "oidc",
    "control",
    "state",
    "startup",
    "listener",
    "mock_server",
];

/// The domain: what PSC is about, independent of HTTP.
const DOMAIN: [&str; 18] = [
    "identifiers",
    "outbound",
    "registry",
    "annuaire",
    "ciba",
    "scenarios",
    "faults",
    "journal",
    "tokens",
    "sessions",
    "keys",
    "clock",
    "urls",
    "outcome",
    "matching",
    "endpoint",
    "codeflow",
    "channel",
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// A file's code: comments dropped, and its unit tests (from the first
/// `#[cfg(test)]` on).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module of a file under `src/` (`oidc/token.rs` → `oidc`).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(SRC).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// Every Rust file under `src/`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            (file, text)
        })
        .collect()
}

/// The lines of code (outside comments and unit tests) that `wrong`
/// picks, each as `file:line: code`.
fn code_lines_where(wrong: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in sources() {
        for (n, line) in code_of(&text).lines().enumerate() {
            if wrong(line) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

/// Every top-level module and the top-level modules its code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in sources() {
        let module = module_of(&file);
        if module == "main" || module == "lib" {
            continue;
        }
        let code = code_of(&text);
        let used = graph.entry(module.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() && name != module {
                used.insert(name);
            }
        }
    }
    graph
}

/// A cycle through `from`, if one exists: the modules on it, in order.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(path.last()?).into_iter().flatten() {
        if next == from {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(cycle) = cycle_from(graph, from, path) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_domain_never_imports_the_http_layer() {
    let graph = graph();
    let mut wrong = Vec::new();
    for module in DOMAIN {
        for used in graph.get(module).into_iter().flatten() {
            if HTTP.contains(&used.as_str()) {
                wrong.push(format!("{module} -> {used}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "domain modules import the HTTP layer: {wrong:?}"
    );
}

#[test]
fn top_level_modules_import_each_other_in_one_direction() {
    let graph = graph();
    assert!(graph.len() > 20, "the graph was read: {graph:?}");
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, module, &mut vec![module.clone()]) {
            panic!(
                "modules import each other in a circle: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_checks_see_a_cycle_and_a_wrong_import() {
    // The checks themselves, on a made-up graph.
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default().insert("a".into());
    let cycle = cycle_from(&graph, "a", &mut vec!["a".into()]);
    assert_eq!(cycle.unwrap(), ["a", "b", "c", "a"]);
    graph.entry("c".into()).or_default().clear();
    assert!(cycle_from(&graph, "a", &mut vec!["a".into()]).is_none());
    assert_eq!(
        code_of("use crate::x; // crate::y\n#[cfg(test)]\nuse crate::z;"),
        "use crate::x; "
    );
}

#[test]
fn no_process_wide_mutable_state() {
    let statics = code_lines_where(|line| {
        let item = line.trim_start();
        let item = item.strip_prefix("pub ").unwrap_or(item);
        item.starts_with("static ") || item.starts_with("static mut ")
    });
    assert!(
        statics.is_empty(),
        "state must live in AppState (several servers run in one process): {statics:#?}"
    );
}

/// Errors are typed: a failure says which case it is (an enum or struct of
/// `thiserror`), turned into text only where it is reported.
#[test]
fn errors_are_types_not_strings() {
    let stringly = code_lines_where(|line| {
        let compact: String = line.split_whitespace().collect();
        compact.contains(",String>") && compact.contains("Result<")
    });
    assert!(
        stringly.is_empty(),
        "give these errors a type: {stringly:#?}"
    );
}

/// Files small enough to read in one go: at most 400 lines of code before
/// their tests.
#[test]
fn files_are_small_enough_to_read_in_one_go() {
    let long: Vec<String> = sources()
        .iter()
        .filter_map(|(file, text)| {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let lines = code.lines().count();
            (lines > 400).then(|| format!("{}: {lines} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:#?}");
}

/// HTTP stacks other than actix's (server, and awc for the outgoing
/// requests): none may be among the server's dependencies. reqwest is the
/// tests' client, a dev-dependency.
const OTHER_HTTP_STACKS: [&str; 6] = ["hyper", "reqwest", "ureq", "isahc", "surf", "attohttpc"];

/// The server's dependency graph (normal dependencies, this platform)
/// has one HTTP stack: actix's.
#[test]
fn the_server_has_one_http_stack() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["tree", "--locked", "--offline", "--edges", "normal"])
        .args([
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--package",
            "psc-mock",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let crates: BTreeSet<(&str, &str)> = tree
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?, words.next()?))
        })
        .collect();
    assert!(
        crates.iter().any(|(name, _)| *name == "awc"),
        "the tree was not read: {tree}"
    );
    let others: Vec<_> = crates
        .iter()
        .filter(|(name, _)| OTHER_HTTP_STACKS.contains(name))
        .collect();
    assert!(others.is_empty(), "a second HTTP stack: {others:?}");
}
