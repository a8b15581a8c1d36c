//! Suppression outside the artifact: baseline round trip, expected findings with reasons,
//! stale entries, `--no-suppressions`.

use std::path::Path;
use std::process::{Command, Output};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/input/lookups");

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let lookups = dir.path().join("lookups");
    std::fs::create_dir(&lookups).expect("mkdir");
    for name in ["__mlspl_broken.mlmodel", "__mlspl_spacing.mlmodel"] {
        std::fs::copy(Path::new(GOLDEN).join(name), lookups.join(name)).expect("copy");
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(["--isolated", "--output-format", "concise"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn baseline_round_trip_survives_line_changes_and_reports_stale_entries() {
    let dir = setup();
    let written = run(
        dir.path(),
        &["--write-baseline", "baseline.json", "lookups"],
    );
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    assert!(text(&written.stderr).contains("wrote 6 baseline entries"));
    let baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("baseline.json")).expect("read"))
            .expect("json");
    let entries = baseline["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 6);
    assert!(entries.iter().all(|e| e.get("line").is_none()));
    assert!(
        entries
            .iter()
            .any(|e| e["path"] == "lookups/__mlspl_broken.mlmodel"
                && e["code"] == "MLTK210"
                && e["pointer"] == "/kfold_cv")
    );

    // With the baseline: nothing is reported, even after lines move.
    let broken = dir.path().join("lookups/__mlspl_broken.mlmodel");
    let original = std::fs::read_to_string(&broken).expect("read");
    std::fs::write(&broken, original.replacen("\r\n", "\r\n\r\n", 1)).expect("w");
    let clean = run(dir.path(), &["--baseline", "baseline.json", "lookups"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
    assert!(text(&clean.stdout).contains("All checks passed"));
    assert!(text(&clean.stderr).is_empty(), "{}", text(&clean.stderr));

    // Fixing one finding makes its entry stale; a new finding is reported.
    let fixed = original
        .replace("\"\"kfold_cv\"\": 3", "\"\"kfold_cv\"\": null")
        .replace(
            "\"\"algo_name\"\": \"\"LogisticRegression",
            "\"\"algo_name\"\": \"\"Logistic Regression",
        );
    std::fs::write(&broken, fixed).expect("w");
    let stale = run(dir.path(), &["--baseline", "baseline.json", "lookups"]);
    let stderr = text(&stale.stderr);
    assert!(
        stderr.contains("stale baseline entry (no such finding): lookups/__mlspl_broken.mlmodel MLTK210 /kfold_cv"),
        "{stderr}"
    );
    assert_eq!(stale.status.code(), Some(0), "{}", text(&stale.stdout));

    // --no-suppressions reports everything again.
    let all = run(
        dir.path(),
        &[
            "--baseline",
            "baseline.json",
            "--no-suppressions",
            "lookups",
        ],
    );
    assert_eq!(all.status.code(), Some(1));
    assert!(text(&all.stdout).contains("MLTK105"));
}

#[test]
fn expected_findings_need_reasons_and_suppress_by_pointer() {
    let dir = setup();
    let expected = dir.path().join("expected.toml");
    std::fs::write(
        &expected,
        r#"
[[expected]]
path = "lookups/__mlspl_broken.mlmodel"
code = "MLTK210"
pointer = "/kfold_cv"
reason = "kept for the cross-validation demo dashboard"

[[expected]]
path = "lookups/__mlspl_broken.mlmodel"
code = "MLTK209"
pointer = "/not/there"
reason = "stale on purpose"
"#,
    )
    .expect("w");
    let output = run(dir.path(), &["--expected", "expected.toml", "lookups"]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("MLTK210"), "{stdout}");
    assert!(stdout.contains("MLTK209"), "other pointer: {stdout}");
    assert!(
        text(&output.stderr).contains("stale expected-findings entry"),
        "{}",
        text(&output.stderr)
    );
    std::fs::write(
        &expected,
        "[[expected]]\npath = \"lookups/__mlspl_broken.mlmodel\"\ncode = \"MLTK210\"\npointer = \"/kfold_cv\"\n",
    )
    .expect("w");
    let missing = run(dir.path(), &["--expected", "expected.toml", "lookups"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no reason"));
}
