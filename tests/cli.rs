//! The command line end to end: exit codes, formats, selection, stdin, subcommands.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const MODEL: &str = r#"{"__mlspl_type": ["algos.LinearRegression", "LinearRegression"], "dict": {"estimator": {"__mlspl_type": ["sklearn.linear_model._base", "LinearRegression"], "dict": {"fit_intercept": true}}, "feature_variables": ["x"], "target_variable": "y", "columns": ["x"]}}"#;
const OPTIONS: &str = r#"{"args": ["y", "x"], "target_variable": ["y"], "feature_variables": ["x"], "model_name": "m", "algo_name": "LinearRegression", "mlspl_limits": {"max_inputs": "100000"}, "kfold_cv": null}"#;

fn artifact(model: &str, options: &str) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "algo,model,options\r\nLinearRegression,{},{}\r\n",
        q(model),
        q(options)
    )
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = bin()
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn clean_file_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("__mlspl_m.mlmodel");
    std::fs::write(&path, artifact(MODEL, OPTIONS)).expect("write");
    let output = run(&[path.to_str().expect("utf-8")], None);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "All checks passed (1 file linted).\n");
}

#[test]
fn error_finding_exits_one_and_json_has_positions() {
    let broken = artifact(
        MODEL,
        &OPTIONS.replace(r#""kfold_cv": null"#, r#""kfold_cv": 5"#),
    );
    let output = run(
        &[
            "--format",
            "json",
            "--stdin-filename",
            "__mlspl_m.mlmodel",
            "-",
        ],
        Some(&broken),
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["version"], 1);
    assert_eq!(json["summary"]["errors"], 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["code"], "MLTK210");
    assert_eq!(finding["name"], "kfold-cv");
    assert_eq!(finding["path"], "__mlspl_m.mlmodel");
    assert_eq!(finding["pointer"], "/kfold_cv");
    assert_eq!(finding["line"], 2);
    let line = broken.lines().nth(1).expect("row");
    let column = finding["column"].as_u64().expect("column") as usize;
    assert_eq!(&line[column - 1..column], "5");
}

#[test]
fn human_output_names_code_and_trims_long_lines() {
    let padding = "A".repeat(200_000);
    let model = MODEL.replace(
        r#""fit_intercept": true"#,
        &format!(r#""pad": "{padding}", "fit_intercept": true"#),
    );
    let text = artifact(
        &model,
        &OPTIONS.replace(r#""kfold_cv": null"#, r#""kfold_cv": 5"#),
    );
    let output = run(&["--stdin-filename", "__mlspl_m.mlmodel", "-"], Some(&text));
    let out = stdout(&output);
    assert!(out.contains("MLTK210 kfold-cv"), "{out}");
    assert!(out.contains("__mlspl_m.mlmodel:2:"), "{out}");
    assert!(
        out.len() < 5_000,
        "excerpts must be trimmed, got {} bytes",
        out.len()
    );
    assert!(
        out.ends_with("Found 1 finding (1 error, 0 warnings, 0 infos) in 1 file.\n"),
        "{out}"
    );
}

#[test]
fn select_and_ignore() {
    let broken = artifact(
        MODEL,
        &OPTIONS.replace(r#""kfold_cv": null"#, r#""kfold_cv": 5"#),
    );
    let args = ["--stdin-filename", "__mlspl_m.mlmodel", "--format", "json"];
    let ignored = run(
        &[&args[..], &["--ignore", "MLTK2", "-"]].concat(),
        Some(&broken),
    );
    assert_eq!(ignored.status.code(), Some(0));
    let selected = run(
        &[&args[..], &["--select", "kfold-cv,MLTK001", "-"]].concat(),
        Some(&broken),
    );
    assert_eq!(selected.status.code(), Some(1));
    let bad = run(&["--select", "MLTK2O1", "x"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `MLTK201`"));
}

/// A clean model in `dir`, and a path beside it that does not exist.
fn a_model_and_a_missing_path(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let path = dir.join("__mlspl_m.mlmodel");
    std::fs::write(&path, artifact(MODEL, OPTIONS)).expect("write");
    (path, dir.join("missing.mlmodel"))
}

#[test]
fn unreadable_path_exits_two_but_lints_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, missing) = a_model_and_a_missing_path(dir.path());
    let output = run(
        &[
            "--format",
            "json",
            path.to_str().expect("p"),
            missing.to_str().expect("p"),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn unreadable_path_is_never_all_checks_passed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, missing) = a_model_and_a_missing_path(dir.path());
    for format in ["human", "concise"] {
        let output = run(
            &[
                "--format",
                format,
                path.to_str().expect("p"),
                missing.to_str().expect("p"),
            ],
            None,
        );
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(
            stdout(&output),
            "No findings in 1 file linted; 1 path could not be read.\n",
            "{format}"
        );
    }
}

#[test]
fn a_directory_without_artifacts_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users.csv"), "not,a,model\r\n").expect("write");
    let output = run(&[dir.path().to_str().expect("p")], None);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "All checks passed (0 files linted).\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: no MLTK artifact found under the given paths"),
        "{stderr}"
    );
}

#[test]
fn target_version_is_validated_and_changes_results() {
    let bad = run(&["--target-mltk", "9.9", "x"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("5.7.4"));
    let text = artifact(MODEL, OPTIONS);
    let args = [
        "--stdin-filename",
        "__mlspl_m.mlmodel",
        "--format",
        "json",
        "--select",
        "MLTK105",
        "-",
    ];
    let old = run(
        &[&["--target-mltk", "3.4.0"][..], &args[..]].concat(),
        Some(&text),
    );
    let json: serde_json::Value = serde_json::from_slice(&old.stdout).expect("json");
    assert_eq!(
        json["findings"][0]["code"], "MLTK105",
        "sklearn's `_base` module is unknown to 3.4.0"
    );
}

#[test]
fn rules_and_explain() {
    let output = run(&["rules"], None);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), mltk_lint::rules::ALL.len());
    assert!(out.lines().any(|l| l.starts_with("MLTK101  model-json")));
    let output = run(&["explain", "MLTK209"], None);
    assert!(
        stdout(&output).contains("## What it does") || stdout(&output).contains("### What it does")
    );
    let output = run(&["explain", "MLTK999"], None);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn walks_directories_for_model_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lookups = dir.path().join("app/lookups");
    std::fs::create_dir_all(&lookups).expect("mkdir");
    std::fs::write(lookups.join("__mlspl_m.mlmodel"), artifact(MODEL, OPTIONS)).expect("write");
    std::fs::write(lookups.join("__mlspl_old.csv"), "algo,model,options\r\n").expect("write");
    std::fs::write(lookups.join("users.csv"), "not,a,model\r\n").expect("write");
    let output = run(&["--format", "json", dir.path().to_str().expect("p")], None);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["summary"]["files"], 2);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the header-only model has no row"
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..200 {
        std::fs::write(
            dir.path().join(format!("__mlspl_m{i}.mlmodel")),
            "algo,model,options\r\n",
        )
        .expect("write");
    }
    let mut child = bin()
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "{:?}",
        output.status
    );
    assert!(String::from_utf8_lossy(&output.stderr).is_empty());
}

#[test]
fn human_output_never_shows_a_credential() {
    let secret = "s3cr3t-SESSION-token-0123456789";
    let options = OPTIONS.replace(
        r#""kfold_cv": null"#,
        &format!(r#""kfold_cv": null, "session_key": "{secret}""#),
    );
    let output = run(
        &["--stdin-filename", "__mlspl_m.mlmodel", "-"],
        Some(&artifact(MODEL, &options)),
    );
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("MLTK209 secret"), "{out}");
    assert!(
        !out.contains("SESSION-token"),
        "the credential leaked:\n{out}"
    );
    let json = run(
        &[
            "--format",
            "json",
            "--stdin-filename",
            "__mlspl_m.mlmodel",
            "-",
        ],
        Some(&artifact(MODEL, &options)),
    );
    assert!(!stdout(&json).contains("SESSION-token"));
}

#[test]
fn stdin_without_a_name_skips_the_file_name_rules() {
    let text = artifact(MODEL, OPTIONS);
    let unnamed = run(&["--format", "concise", "-"], Some(&text));
    assert_eq!(unnamed.status.code(), Some(0), "{}", stdout(&unnamed));
    assert_eq!(stdout(&unnamed), "All checks passed (1 file linted).\n");
    // A name given is a name checked: the same bytes as `model.csv` are misnamed.
    let named = run(
        &["--format", "concise", "--stdin-filename", "model.csv", "-"],
        Some(&text),
    );
    let out = stdout(&named);
    assert!(out.contains("model.csv:1:1: MLTK207"), "{out}");
    assert_eq!(named.status.code(), Some(0), "warnings only: {out}");
}
