//! The real-file corpus (`../shared/corpus`, not part of this repository): every file is
//! processed without panic, every codec record decodes, the known defects are found, and
//! `docs/corpus.md` holds the current per-file outcome for MLTK 5.7.4.

// Tests say on stderr when they skip for lack of the corpus or Python.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mltk_lint::{Settings, lint_bytes};

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mlmodel" || x == "csv"))
        .collect();
    files.sort();
    files
}

/// Codes per file name, each code once, in order.
fn outcomes(dir: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let settings = Settings::default();
    let mut out = BTreeMap::new();
    for path in corpus_files(dir) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_owned();
        let bytes = std::fs::read(&path).expect("read");
        let report = std::panic::catch_unwind(|| lint_bytes(&name, bytes, &settings))
            .unwrap_or_else(|_| panic!("panic on {name}"));
        let mut codes: Vec<(String, String)> = report
            .diagnostics
            .iter()
            .map(|d| (d.rule.code.to_owned(), d.severity.as_str().to_owned()))
            .collect();
        codes.sort();
        codes.dedup();
        out.insert(name, codes);
    }
    out
}

fn has(outcome: &BTreeMap<String, Vec<(String, String)>>, name_part: &str, code: &str) -> usize {
    outcome
        .iter()
        .filter(|(name, _)| name.contains(name_part))
        .filter(|(_, codes)| codes.iter().any(|(c, _)| c == code))
        .count()
}

#[test]
fn corpus_outcomes() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED corpus_outcomes: ../shared/corpus is not present");
        return;
    };
    let outcome = outcomes(&dir);
    assert_eq!(outcome.len(), 81, "the corpus has 81 model files");
    for (name, codes) in &outcome {
        for (code, _) in codes {
            assert!(
                code != "MLTK103" && code != "MLTK104",
                "{name}: every codec record of the corpus decodes, got {code}"
            );
        }
    }
    assert_eq!(
        has(&outcome, "3ed91fb3____mlspl_DetectRiskySPL", "MLTK006"),
        1
    );
    assert_eq!(has(&outcome, "j8lp__", "MLTK102"), 1);
    assert_eq!(has(&outcome, "121abhi__", "MLTK007"), 3);
    assert_eq!(has(&outcome, "splunk-mltk-container-docker", "MLTK209"), 1);
    let risky = outcome
        .keys()
        .filter(|n| n.contains("mlspl_DetectRiskySPL"))
        .count();
    assert!(risky >= 4);
    // The three clean DetectRiskySPL versions say LogisticRegression in algo_name; the
    // conflicted one's first row is a marker line, so there is no algo cell to compare.
    assert_eq!(has(&outcome, "mlspl_DetectRiskySPL", "MLTK205"), risky - 1);

    let table = corpus_table(&outcome);
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/corpus.md");
    let text = std::fs::read_to_string(&doc).unwrap_or_default();
    let begin = "<!-- outcome:start -->\n";
    let end = "<!-- outcome:end -->";
    let (head, rest) = text
        .split_once(begin)
        .expect("docs/corpus.md has the outcome markers");
    let (_, tail) = rest.split_once(end).expect("end marker");
    let expected = format!("{head}{begin}{table}{end}{tail}");
    if text != expected {
        if std::env::var_os("MLTK_LINT_UPDATE_DOCS").is_some() {
            std::fs::write(&doc, expected).expect("write");
        } else {
            panic!(
                "docs/corpus.md is stale: run `MLTK_LINT_UPDATE_DOCS=1 cargo test --test corpus` and review the diff"
            );
        }
    }
}

fn corpus_table(outcome: &BTreeMap<String, Vec<(String, String)>>) -> String {
    let mut table = String::from("| # | file | errors | warnings |\n|---|---|---|---|\n");
    for (i, (name, codes)) in outcome.iter().enumerate() {
        let pick = |severity: &str| {
            let list: Vec<&str> = codes
                .iter()
                .filter(|(_, s)| s == severity)
                .map(|(c, _)| c.as_str())
                .collect();
            if list.is_empty() {
                "–".to_owned()
            } else {
                list.join(" ")
            }
        };
        table.push_str(&format!(
            "| {} | `{name}` | {} | {} |\n",
            i + 1,
            pick("error"),
            pick("warning")
        ));
    }
    table
}
