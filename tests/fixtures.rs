//! The generated fixtures: every rule fires on its broken fixture (and only the codes
//! `fixtures/rules/EXPECTED.json` lists), every valid fixture lints clean, every rule has a
//! fixture, and the generators reproduce the committed files.

// Tests say on stderr when they skip for lack of the corpus or Python.
#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use mltk_lint::rules::ALL;
use mltk_lint::{Settings, lint_bytes};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn codes_of(path: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(path).expect("read fixture");
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    let report = lint_bytes(name, bytes, &Settings::default());
    report
        .diagnostics
        .iter()
        .map(|d| d.rule.code.to_owned())
        .collect()
}

fn expected() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("fixtures/rules/EXPECTED.json"))
        .expect("EXPECTED.json");
    serde_json::from_str(&text).expect("EXPECTED.json is a map of lists")
}

#[test]
fn every_broken_fixture_gives_exactly_its_codes() {
    let mut failures = Vec::new();
    for (relative, codes) in expected() {
        let path = root().join("fixtures/rules").join(&relative);
        let found = codes_of(&path);
        let want: BTreeSet<String> = codes.into_iter().collect();
        if found != want {
            failures.push(format!("{relative}: expected {want:?}, found {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_fixture_named_for_it() {
    let expected = expected();
    for rule in ALL {
        let prefix = format!("{}_{}", rule.code, rule.name);
        assert!(
            expected
                .iter()
                .any(|(path, codes)| path.starts_with(&prefix)
                    && codes.iter().any(|c| c == rule.code)),
            "no fixture fixtures/rules/{prefix}/ giving {}",
            rule.code
        );
    }
}

#[test]
fn valid_fixtures_lint_clean() {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("fixtures/valid")).expect("fixtures/valid") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "mlmodel") {
            count += 1;
            let found = codes_of(&path);
            assert!(found.is_empty(), "{}: {found:?}", path.display());
        }
    }
    assert!(
        count >= 10,
        "expected the generated valid fixtures, found {count}"
    );
}

fn python() -> Option<String> {
    std::env::var("MLTK_LINT_PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists())
}

#[test]
fn data_files_match_the_spec() {
    let spec = root().join("../shared/spec");
    if !spec.is_dir() {
        eprintln!("SKIPPED data_files_match_the_spec: ../shared/spec is not present");
        return;
    }
    let python = python().unwrap_or_else(|| "python3".to_owned());
    let output = Command::new(&python)
        .arg("tools/gen_data.py")
        .arg("--check")
        .current_dir(root())
        .output();
    let Ok(output) = output else {
        eprintln!("SKIPPED data_files_match_the_spec: no python3");
        return;
    };
    assert!(
        output.status.success(),
        "data/ or schemas/ differ from what tools/gen_data.py makes of the spec:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn fixture_generator_reproduces_committed_files() {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED fixture_generator_reproduces_committed_files: set MLTK_LINT_PYTHON (scripts/test.sh does) to a Python with fixtures/requirements.txt"
        );
        return;
    };
    let output = Command::new(python)
        .args(["fixtures/generate.py", "--check"])
        .current_dir(root())
        .output()
        .expect("run generate.py");
    assert!(
        output.status.success(),
        "fixtures differ from what fixtures/generate.py writes:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
