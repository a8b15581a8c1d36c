//! Every output format over the same finding set (tests/golden/input), compared with the
//! expected output in tests/golden/<format>.out. `MLTK_LINT_UPDATE_GOLDEN=1` rewrites them.
//! Also: several outputs at once, `-o`, `--statistics`, and Microsoft's SARIF validator over
//! the SARIF for every fixture and the corpus.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden_dir() -> PathBuf {
    root().join("tests/golden")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run mltk-lint")
}

/// Replace what depends on the machine (the working directory's URI in SARIF).
fn normalise(text: &str) -> String {
    let cwd = golden_dir();
    let uri = format!("file://{}/", cwd.display());
    text.replace(&uri, "file:///GOLDEN/")
}

fn check_golden(format: &str, extension: &str) {
    let output = run_in(
        &golden_dir(),
        &["--output-format", format, "--isolated", "input"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{format}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut actual = normalise(&String::from_utf8_lossy(&output.stdout));
    if format == "sarif" {
        // The rule list follows the registry (checked by the unit test in src/report/sarif.rs);
        // keep the golden file stable when rules are added.
        let mut log: serde_json::Value = serde_json::from_str(&actual).expect("sarif is json");
        let driver = &mut log["runs"][0]["tool"]["driver"];
        driver["rules"] = serde_json::json!(["<every registry rule>"]);
        driver["version"] = serde_json::json!("<version>");
        driver["semanticVersion"] = serde_json::json!("<version>");
        for result in log["runs"][0]["results"].as_array_mut().expect("results") {
            result["ruleIndex"] = serde_json::json!("<index>");
        }
        actual = serde_json::to_string_pretty(&log).expect("json") + "\n";
    }
    let path = golden_dir().join(format!("{format}.{extension}"));
    if std::env::var_os("MLTK_LINT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with MLTK_LINT_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{format} output differs from {}; if intended, rerun with MLTK_LINT_UPDATE_GOLDEN=1",
        path.display()
    );
}

#[test]
fn golden_human() {
    check_golden("human", "txt");
}

#[test]
fn golden_concise() {
    check_golden("concise", "txt");
}

#[test]
fn golden_json() {
    check_golden("json", "json");
}

#[test]
fn golden_json_lines() {
    check_golden("json-lines", "jsonl");
}

#[test]
fn golden_sarif() {
    check_golden("sarif", "sarif");
}

#[test]
fn golden_github() {
    check_golden("github", "txt");
}

#[test]
fn golden_gitlab() {
    check_golden("gitlab", "json");
}

#[test]
fn golden_junit() {
    check_golden("junit", "xml");
}

#[test]
fn several_outputs_at_once_and_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    let output = run_in(
        &golden_dir(),
        &[
            "--output-format",
            &format!("sarif={}", sarif.display()),
            "--output-format",
            "concise",
            "--output-format",
            &format!("junit={}", junit.display()),
            "input",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(": MLTK105 "), "{stdout}");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif written")).expect("json");
    assert_eq!(log["version"], "2.1.0");
    assert!(
        std::fs::read_to_string(&junit)
            .expect("junit written")
            .contains("<testsuites")
    );

    // -o sends the formats that name no file to FILE; `--format` is still accepted.
    let out = dir.path().join("out.json");
    let output = run_in(
        &golden_dir(),
        &[
            "--format",
            "json",
            "-o",
            out.to_str().expect("utf-8"),
            "input",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("json");
    assert_eq!(document["summary"]["errors"], 4);
}

#[test]
fn statistics_count_findings_per_rule() {
    let output = run_in(&golden_dir(), &["--statistics", "input"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(lines.contains(&"1\tMLTK105\tunknown-type"), "{stdout}");
    assert!(lines.contains(&"1\tMLTK401\tnot-canonical"), "{stdout}");
}

#[test]
fn unknown_format_is_a_usage_error() {
    let output = run_in(&golden_dir(), &["--output-format", "xml", "input"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sarif"));
}

#[test]
fn colour_is_forced_by_clicolor_force_and_disabled_by_no_color() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mltk-lint"));
    let forced = command
        .args(["--output-format", "concise", "input"])
        .current_dir(golden_dir())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\x1b["));
    let plain = Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(["--output-format", "concise", "input"])
        .current_dir(golden_dir())
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\x1b["));
}

/// `@microsoft/sarif-multitool`, installed by scripts/test.sh into `.tools/`, or named by
/// `MLTK_LINT_SARIF_MULTITOOL`.
fn multitool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MLTK_LINT_SARIF_MULTITOOL") {
        return Some(PathBuf::from(path));
    }
    let local = root().join(".tools/node_modules/.bin/sarif-multitool");
    local.exists().then_some(local)
}

#[test]
fn sarif_passes_microsofts_validator() {
    let Some(tool) = multitool() else {
        eprintln!(
            "SKIPPED sarif_passes_microsofts_validator: sarif-multitool not installed (scripts/test.sh installs it into .tools/)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = [
        "fixtures/rules",
        "fixtures/valid",
        "fixtures/diff",
        "fixtures/numpy",
        "tests/golden/input",
    ]
    .iter()
    .map(|p| root().join(p))
    .filter(|p| p.exists())
    .collect();
    let corpus = root().join("../shared/corpus");
    if corpus.exists() {
        inputs.push(corpus);
    } else {
        eprintln!("note: ../shared/corpus absent; validating fixtures only");
    }
    let mut logs = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let log = dir.path().join(format!("run{i}.sarif"));
        let output = run_in(
            &root(),
            &[
                "--output-format",
                &format!("sarif={}", log.display()),
                "--isolated",
                input.to_str().expect("utf-8"),
            ],
        );
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}: {}",
            input.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&log).expect("sarif written");
        assert!(text.contains("\"2.1.0\""));
        logs.push(log);
    }
    let report = dir.path().join("validation.sarif");
    let output = Command::new(&tool)
        .arg("validate")
        .args(&logs)
        .arg("-o")
        .arg(&report)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("run sarif-multitool");
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{console}");
    let validation: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("validation log")).expect("json");
    let errors: Vec<&serde_json::Value> = validation["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().into_iter().flatten())
        .filter(|result| result["level"] == "error")
        .collect();
    assert!(
        errors.is_empty(),
        "validator errors: {errors:#?}\n{console}"
    );
    assert!(!console.contains(": error "), "{console}");
}
