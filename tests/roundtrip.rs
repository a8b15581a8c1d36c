//! Re-encoding: byte-identical round trips on the corpus and the fixtures, MLTK401 on hand
//! edits, and `fmt` restoring canonical bytes.

// Tests say on stderr when they skip for lack of the corpus.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mltk_lint::artifact::Artifact;
use mltk_lint::format_cmd::{self, FmtOutcome};
use mltk_lint::roundtrip::Mode;
use mltk_lint::{Settings, lint_bytes};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mlmodel" || x == "csv"))
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_round_trips_byte_for_byte() {
    let dir = root().join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED corpus_round_trips_byte_for_byte: ../shared/corpus is not present");
        return;
    }
    let mut identical = 0;
    let mut json_models = 0;
    let mut failures = Vec::new();
    for path in model_files(&dir) {
        let bytes = std::fs::read(&path).expect("read");
        let result = format_cmd::round_trip(&path.display().to_string(), bytes.clone());
        let artifact = Artifact::parse(bytes);
        let is_json = artifact
            .cell("model")
            .is_some_and(|f| mltk_lint::json::parse(&f.value).is_ok());
        if is_json {
            json_models += 1;
            if result.outcome == "identical" {
                identical += 1;
            } else {
                failures.push(format!(
                    "{}: {} at {:?}: {:?} vs {:?}",
                    result.path, result.outcome, result.offset, result.original, result.reencoded
                ));
            }
        }
    }
    assert_eq!(
        json_models, 79,
        "79 of the 81 corpus files have a JSON model cell"
    );
    assert!(
        failures.is_empty(),
        "{identical} identical; failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fixtures_round_trip_byte_for_byte() {
    let mut count = 0;
    for path in model_files(&root().join("fixtures/valid")) {
        let result = format_cmd::round_trip("f", std::fs::read(&path).expect("read"));
        assert_eq!(
            result.outcome,
            "identical",
            "{}: {result:?}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 10);
}

fn hand_edit(text: &str) -> String {
    // json.dumps never writes `":1` or `,"` without a space; swap two keys too.
    text.replacen("\"\"kfold_cv\"\": null", "\"\"kfold_cv\"\":null", 1)
        .replacen("\"\"args\"\": [", "\"\"args\"\":  [", 1)
}

#[test]
fn hand_edits_give_mltk401_and_fmt_restores_canonical_bytes() {
    let valid = root().join("fixtures/valid/__mlspl_linear_regression.mlmodel");
    let original = std::fs::read_to_string(&valid).expect("fixture");
    let edited = hand_edit(&original);
    assert_ne!(edited, original, "the edit must change the file");

    let report = lint_bytes(
        "__mlspl_linear_regression.mlmodel",
        edited.clone().into_bytes(),
        &Settings::default(),
    );
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.code).collect();
    assert_eq!(codes, ["MLTK401"], "only the formatting changed");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("__mlspl_linear_regression.mlmodel");
    std::fs::write(&path, &edited).expect("write");
    assert_eq!(
        format_cmd::format_file(&path, true).expect("check"),
        FmtOutcome::Reformatted
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        edited,
        "--check writes nothing"
    );
    assert_eq!(
        format_cmd::format_file(&path, false).expect("fmt"),
        FmtOutcome::Reformatted
    );
    let formatted = std::fs::read(&path).expect("read");
    assert_eq!(
        String::from_utf8_lossy(&formatted),
        original,
        "fmt restores MLTK's bytes"
    );
    assert_eq!(
        format_cmd::format_file(&path, false).expect("again"),
        FmtOutcome::Unchanged
    );
    let report = lint_bytes(
        "__mlspl_linear_regression.mlmodel",
        formatted.clone(),
        &Settings::default(),
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(format_cmd::round_trip("f", formatted).outcome, "identical");
}

#[test]
fn fmt_makes_crlf_and_drops_blank_lines() {
    let valid = root().join("fixtures/valid/__mlspl_linear_regression.mlmodel");
    let original = std::fs::read(&valid).expect("fixture");
    let windows = String::from_utf8(original.clone())
        .expect("utf-8")
        .replace("\r\n", "\r\r\n");
    let artifact = Artifact::parse(windows.into_bytes());
    let (canonical, _) = format_cmd::reencode_file(&artifact, Mode::Canonical).expect("encodable");
    assert_eq!(canonical, original);
    let (as_read, _) = format_cmd::reencode_file(&artifact, Mode::AsRead).expect("encodable");
    assert_eq!(as_read, artifact.bytes, "the round trip keeps \\r\\r\\n");
}

#[test]
fn roundtrip_command_reports_and_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let valid = root().join("fixtures/valid/__mlspl_linear_regression.mlmodel");
    let edited = dir.path().join("__mlspl_edited.mlmodel");
    std::fs::write(
        &edited,
        hand_edit(&std::fs::read_to_string(&valid).expect("read")),
    )
    .expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
            .args(args)
            .output()
            .expect("run")
    };
    let ok = run(&["roundtrip", valid.to_str().expect("p")]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&ok.stdout)
            .ends_with("1 of 1 files identical after re-encoding (0 differ).\n")
    );
    let bad = run(&["roundtrip", "--format", "json", edited.to_str().expect("p")]);
    assert_eq!(bad.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).expect("json");
    assert_eq!(json["files"][0]["outcome"], "differs");
    assert_eq!(json["files"][0]["line"], 2);
    let check = run(&["fmt", "--check", edited.to_str().expect("p")]);
    assert_eq!(check.status.code(), Some(1));
    let fix = run(&["fmt", edited.to_str().expect("p")]);
    assert_eq!(fix.status.code(), Some(0));
    assert_eq!(
        run(&["fmt", "--check", edited.to_str().expect("p")])
            .status
            .code(),
        Some(0)
    );
}
