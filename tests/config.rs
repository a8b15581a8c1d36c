//! Configuration: discovery upward from each file, `--config`, `--isolated`, per-path
//! ignores, severity overrides, custom algorithms, exclude, and the exit controls.

use std::path::Path;
use std::process::{Command, Output};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/input/lookups");

/// A copy of the golden inputs (`__mlspl_broken`: MLTK105, 205, 209, 210, 302;
/// `__mlspl_spacing`: MLTK401 info; `__mlspl_clean`) under `dir/rel`.
fn copy_inputs(dir: &Path, rel: &str) {
    let target = dir.join(rel);
    std::fs::create_dir_all(&target).expect("mkdir");
    for name in [
        "__mlspl_broken.mlmodel",
        "__mlspl_spacing.mlmodel",
        "__mlspl_clean.mlmodel",
    ] {
        std::fs::copy(Path::new(GOLDEN).join(name), target.join(name)).expect("copy");
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run")
}

fn codes(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once(": ")?;
            let code = rest.split(' ').next()?;
            code.starts_with("MLTK").then(|| {
                let file = place.split(':').next().unwrap_or("");
                let file = Path::new(file).file_name().unwrap_or_default();
                format!("{} {code}", file.to_string_lossy())
            })
        })
        .collect()
}

#[test]
fn closest_configuration_wins_and_pyproject_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "app/lookups");
    copy_inputs(dir.path(), "other/lookups");
    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "ignore = [\"MLTK401\"]\n",
    )
    .expect("w");
    // A pyproject without our table is skipped; one with it is the closest configuration.
    std::fs::write(
        dir.path().join("other/pyproject.toml"),
        "[project]\nname = \"x\"\n",
    )
    .expect("w");
    std::fs::write(
        dir.path().join("app/pyproject.toml"),
        "[tool.mltk-lint]\nignore = [\"MLTK2\"]\n",
    )
    .expect("w");
    let output = run(dir.path(), &["--output-format", "concise", "app", "other"]);
    let found = codes(&output);
    let app: Vec<&String> = found.iter().filter(|c| c.contains("broken")).collect();
    // app/: MLTK2xx ignored but MLTK401 (not ignored there) is still reported.
    assert!(
        found.iter().any(|c| c == "__mlspl_spacing.mlmodel MLTK401"),
        "{found:?}"
    );
    assert_eq!(
        found.iter().filter(|c| c.ends_with("MLTK401")).count(),
        1,
        "other/ uses the root file, which ignores MLTK401: {found:?}"
    );
    assert_eq!(
        app.iter().filter(|c| c.contains("MLTK2")).count(),
        3,
        "other/ still reports MLTK205/209/210 once: {found:?}"
    );

    // --isolated ignores every file.
    let isolated = run(
        dir.path(),
        &["--output-format", "concise", "--isolated", "app", "other"],
    );
    assert_eq!(codes(&isolated).len(), 12, "{:?}", codes(&isolated));

    // --config fixes one file for everything.
    std::fs::write(dir.path().join("only105.toml"), "select = [\"MLTK105\"]\n").expect("w");
    let fixed = run(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "--config",
            "only105.toml",
            "app",
            "other",
        ],
    );
    assert_eq!(
        codes(&fixed),
        [
            "__mlspl_broken.mlmodel MLTK105",
            "__mlspl_broken.mlmodel MLTK105"
        ]
    );
}

#[test]
fn per_path_ignores_and_exclude() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "legacy/lookups");
    copy_inputs(dir.path(), "new/lookups");
    copy_inputs(dir.path(), "vendor/lookups");
    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "exclude = [\"vendor/**\"]\n[per-path-ignores]\n\"legacy/**\" = [\"secret\", \"MLTK1\", \"MLTK3\"]\n\"__mlspl_spacing.mlmodel\" = [\"MLTK401\"]\n",
    )
    .expect("w");
    let output = run(dir.path(), &["--output-format", "concise", "."]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("vendor/"), "{text}");
    assert!(!text.contains("MLTK401"), "{text}");
    let legacy: Vec<&str> = text.lines().filter(|l| l.contains("legacy/")).collect();
    assert_eq!(legacy.len(), 2, "MLTK205 and MLTK210 only: {text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("new/")).count(),
        5,
        "{text}"
    );
    // A file named explicitly is linted even if excluded; --exclude adds globs.
    let explicit = run(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "--exclude",
            "new/**",
            ".",
            "vendor/lookups/__mlspl_broken.mlmodel",
        ],
    );
    let text = String::from_utf8_lossy(&explicit.stdout);
    assert!(!text.contains("new/"), "{text}");
    assert!(
        text.contains("vendor/lookups/__mlspl_broken.mlmodel"),
        "{text}"
    );
}

#[test]
fn severity_overrides_and_fail_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "lookups");
    let spacing = "lookups/__mlspl_spacing.mlmodel";
    // An info finding does not fail by default...
    assert_eq!(run(dir.path(), &[spacing]).status.code(), Some(0));
    // ...a severity override makes it an error...
    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "[severity]\nnot-canonical = \"error\"\n",
    )
    .expect("w");
    let output = run(dir.path(), &["--output-format", "json", spacing]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["findings"][0]["severity"], "error");
    // ...--exit-zero keeps the exit status 0...
    assert_eq!(
        run(dir.path(), &["--exit-zero", spacing]).status.code(),
        Some(0)
    );
    // ...and fail-on (configuration or command line) lowers the threshold.
    std::fs::write(dir.path().join(".mltk-lint.toml"), "fail-on = \"info\"\n").expect("w");
    assert_eq!(run(dir.path(), &[spacing]).status.code(), Some(1));
    assert_eq!(
        run(dir.path(), &["--fail-on", "error", spacing])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(dir.path(), &["--isolated", "--fail-on", "info", spacing])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn unknown_keys_are_usage_errors_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "lookups");
    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "extend_select = [\"MLTK1\"]\n",
    )
    .expect("w");
    let output = run(dir.path(), &["lookups"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean `extend-select`"), "{stderr}");
}

#[test]
fn custom_algorithms_from_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "lookups");
    let clean =
        std::fs::read_to_string(dir.path().join("lookups/__mlspl_clean.mlmodel")).expect("read");
    let custom = clean
        .replacen("LinearRegression,", "MyRegressor,", 1)
        .replace(
            "algos.LinearRegression\"\", \"\"LinearRegression",
            "algos_contrib.MyRegressor\"\", \"\"MyRegressor",
        )
        .replace(
            "\"\"algo_name\"\": \"\"LinearRegression",
            "\"\"algo_name\"\": \"\"MyRegressor",
        );
    std::fs::write(dir.path().join("lookups/__mlspl_clean.mlmodel"), custom).expect("w");
    let target = "lookups/__mlspl_clean.mlmodel";
    let unknown = run(dir.path(), &["--output-format", "concise", target]);
    assert!(
        codes(&unknown).iter().any(|c| c.ends_with("MLTK301")),
        "{:?}",
        codes(&unknown)
    );
    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "[[custom-algorithms]]\nname = \"MyRegressor\"\npackage = \"algos_contrib\"\ncodecs = [[\"algos_contrib.MyRegressor\", \"MyRegressor\"]]\n",
    )
    .expect("w");
    let declared = run(dir.path(), &["--output-format", "concise", target]);
    assert_eq!(
        codes(&declared),
        ["__mlspl_clean.mlmodel MLTK105"],
        "the estimator pair is not declared"
    );
}

#[test]
fn core_ml_models_over_the_size_limit_are_still_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "lookups");
    let core_ml = [
        0x08, 0x04, 0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, b'i', b'n', 0, 0xff,
    ];
    std::fs::write(dir.path().join("lookups/Big.mlmodel"), core_ml).expect("w");
    // Over the size limit the linter reads only the head, and still recognises the model;
    // an MLTK file over the limit gets MLTK109 as before.
    let args = [
        "--isolated",
        "--output-format",
        "concise",
        "--max-file-size",
        "10",
        "lookups/Big.mlmodel",
        "lookups/__mlspl_clean.mlmodel",
    ];
    let output = run(dir.path(), &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipping lookups/Big.mlmodel: an Apple Core ML model"),
        "{stderr}"
    );
    assert_eq!(codes(&output), ["__mlspl_clean.mlmodel MLTK109"]);
}

#[test]
fn core_ml_models_are_skipped_with_a_notice_and_gitignore_is_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_inputs(dir.path(), "lookups");
    // An Apple Core ML model: protobuf, specificationVersion 4, then a description.
    let mut core_ml = vec![0x08, 0x04, 0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, b'i', b'n'];
    core_ml.extend_from_slice(&[0u8, 0xff, 0x10, 0x80]);
    std::fs::write(dir.path().join("lookups/MobileNet.mlmodel"), &core_ml).expect("w");
    std::fs::write(dir.path().join(".gitignore"), "*broken*\n").expect("w");
    let output = run(
        dir.path(),
        &["--isolated", "--output-format", "concise", "."],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipping ./lookups/MobileNet.mlmodel: an Apple Core ML model"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("MobileNet"), "{stdout}");
    assert!(!stdout.contains("broken"), "gitignored: {stdout}");
    assert!(stdout.contains("in 2 files"), "{stdout}");
    assert_eq!(output.status.code(), Some(0), "{stdout}");
}
