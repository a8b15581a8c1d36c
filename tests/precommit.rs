//! The pre-commit hooks (`.pre-commit-hooks.yaml`) exercised for real: a temporary git
//! repository with a clean and a broken artifact, `pre-commit try-repo` against a snapshot
//! of this repository's working tree; the hook passes on the clean file and fails on the
//! broken one with the expected code.
//!
//! pre-commit comes from PyPI (scripts/test.sh installs a pinned version into `.venv`);
//! without it the test says it skipped. The `language: system` hook runs by default; the
//! `language: rust` hook (which builds mltk-lint with `cargo install`, minutes) runs when
//! `MLTK_LINT_TEST_RUST_HOOK=1`.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pre_commit() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MLTK_LINT_PRE_COMMIT") {
        return Some(PathBuf::from(path));
    }
    let local = root().join(".venv/bin/pre-commit");
    if local.exists() {
        return Some(local);
    }
    let on_path = Command::new("pre-commit").arg("--version").output();
    on_path
        .is_ok_and(|o| o.status.success())
        .then(|| PathBuf::from("pre-commit"))
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
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A git repository holding this working tree's hook definitions (and, for the Rust hook,
/// the sources cargo needs), committed, as pre-commit clones only committed files.
fn hook_repository(dir: &Path, with_sources: bool) -> PathBuf {
    let repo = dir.join("hooks");
    std::fs::create_dir_all(&repo).expect("mkdir");
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        repo.join(".pre-commit-hooks.yaml"),
    )
    .expect("copy hooks");
    if with_sources {
        for file in ["Cargo.toml", "Cargo.lock", "README.md"] {
            std::fs::copy(root().join(file), repo.join(file)).expect("copy");
        }
        for sub in ["src", "data", "schemas", "benches"] {
            if root().join(sub).exists() {
                copy_tree(&root().join(sub), &repo.join(sub));
            }
        }
    }
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "hooks"]);
    repo
}

/// A project with a clean and a broken artifact, staged.
fn project(dir: &Path) -> PathBuf {
    let project = dir.join("project");
    let lookups = project.join("lookups");
    std::fs::create_dir_all(&lookups).expect("mkdir");
    let golden = root().join("tests/golden/input/lookups");
    for name in ["__mlspl_clean.mlmodel", "__mlspl_broken.mlmodel"] {
        std::fs::copy(golden.join(name), lookups.join(name)).expect("copy");
    }
    std::fs::write(lookups.join("other.csv"), "not,a,model\n").expect("write");
    git(&project, &["init", "-q"]);
    git(&project, &["add", "-A"]);
    project
}

fn try_repo(tool: &Path, project: &Path, hooks: &Path, hook: &str, file: &str) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    Command::new(tool)
        .args([
            "try-repo",
            hooks.to_str().expect("utf-8"),
            hook,
            "--files",
            file,
        ])
        .current_dir(project)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("PRE_COMMIT_COLOR", "never")
        .env(
            "PRE_COMMIT_HOME",
            project.parent().expect("dir").join("cache"),
        )
        .output()
        .expect("run pre-commit")
}

fn check_hook(hook: &str, with_sources: bool) {
    let Some(tool) = pre_commit() else {
        eprintln!(
            "SKIPPED pre-commit hook test: pre-commit not installed (scripts/test.sh installs it into .venv)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let hooks = hook_repository(dir.path(), with_sources);
    let project = project(dir.path());

    let clean = try_repo(
        &tool,
        &project,
        &hooks,
        hook,
        "lookups/__mlspl_clean.mlmodel",
    );
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(text(&clean).contains("Passed"), "{}", text(&clean));

    let broken = try_repo(
        &tool,
        &project,
        &hooks,
        hook,
        "lookups/__mlspl_broken.mlmodel",
    );
    assert_eq!(broken.status.code(), Some(1), "{}", text(&broken));
    let output = text(&broken);
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output.contains("lookups/__mlspl_broken.mlmodel:2:135: MLTK105"),
        "{output}"
    );

    // A file the `files` pattern does not cover is not passed to the hook.
    let other = try_repo(&tool, &project, &hooks, hook, "lookups/other.csv");
    assert_eq!(other.status.code(), Some(0), "{}", text(&other));
    assert!(
        text(&other).contains("no files to check"),
        "{}",
        text(&other)
    );
}

#[test]
fn system_hook_passes_clean_and_fails_broken() {
    check_hook("mltk-lint-system", false);
}

#[test]
fn rust_hook_passes_clean_and_fails_broken() {
    if std::env::var_os("MLTK_LINT_TEST_RUST_HOOK").is_none() {
        eprintln!(
            "SKIPPED rust_hook_passes_clean_and_fails_broken: set MLTK_LINT_TEST_RUST_HOOK=1 (builds mltk-lint with cargo install)"
        );
        return;
    }
    check_hook("mltk-lint", true);
}
