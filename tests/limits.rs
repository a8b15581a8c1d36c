//! Resource limits (`src/limits.rs`, `docs/robustness.md`): every limit named in
//! `limits::TABLE` can be lowered with `--limit NAME=VALUE` and with `[limits]` in the
//! configuration, and lowering it turns a normal input into an MLTK109 finding that names the
//! limit, while the default does not fire.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A normal input, written into `dir`; returns its path.
#[derive(Debug, Clone, Copy)]
enum Input {
    /// `fixtures/valid/__mlspl_linear_regression.mlmodel`: JSON, npy payloads, options.
    LinearRegression,
    /// A model cell holding a `csr_matrix` (an npz payload), from the numpy self-test.
    Sparse,
    /// A model cell holding an npz whose one member (80 KB of pseudo-random float64) is
    /// deflated, as `numpy.savez_compressed` writes it: it compresses about 1.1:1.
    DeflatedSparse,
    /// `tests/hostile/sklearn_lr_p2.pkl`: a benign scikit-learn pickle.
    Pickle,
    /// A protocol-2 pickle of `bytes` (`_codecs.encode`) holding a pickle of `{'x': 1}`.
    NestedPickle,
    /// `fixtures/rules/MLTK102_legacy-pickle`: a pickle in the `model` cell.
    LegacyPickle,
}

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

impl Input {
    fn write(self, dir: &Path) -> PathBuf {
        let copy = |rel: &str, name: &str| {
            let path = dir.join(name);
            std::fs::copy(repo(rel), &path).expect("copy input");
            path
        };
        match self {
            Input::LinearRegression => copy(
                "fixtures/valid/__mlspl_linear_regression.mlmodel",
                "__mlspl_linear_regression.mlmodel",
            ),
            Input::Sparse => {
                let model =
                    std::fs::read_to_string(repo("fixtures/numpy/selftest_codecs.model.txt"))
                        .expect("read model");
                let text = format!(
                    "algo,model,options\r\nLinearRegression,{},{}\r\n",
                    quote(model.trim()),
                    quote("{}")
                );
                let path = dir.join("__mlspl_sparse.mlmodel");
                std::fs::write(&path, text).expect("write");
                path
            }
            Input::DeflatedSparse => {
                use std::io::Write as _;
                let mut header =
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (10000,), }".to_owned();
                while !(10 + header.len() + 1).is_multiple_of(64) {
                    header.push(' ');
                }
                header.push('\n');
                let mut npy = b"\x93NUMPY\x01\x00".to_vec();
                npy.extend((header.len() as u16).to_le_bytes());
                npy.extend(header.as_bytes());
                let mut state: u64 = 1;
                for _ in 0..10_000 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    npy.extend(((state >> 11) as f64).to_le_bytes());
                }
                let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                zip.start_file("data.npy", options).expect("zip");
                zip.write_all(&npy).expect("zip");
                let npz = zip.finish().expect("zip").into_inner();
                use base64::Engine as _;
                let payload = base64::engine::general_purpose::STANDARD.encode(npz);
                let model = format!(
                    r#"{{"__mlspl_type": ["scipy.sparse.csr", "csr_matrix"], "sparse_npy": "{payload}"}}"#
                );
                let text = format!(
                    "algo,model,options\r\nLinearRegression,{},{}\r\n",
                    quote(&model),
                    quote("{}")
                );
                let path = dir.join("__mlspl_deflated.mlmodel");
                std::fs::write(&path, text).expect("write");
                path
            }
            Input::Pickle => copy("tests/hostile/sklearn_lr_p2.pkl", "model.pkl"),
            Input::NestedPickle => {
                let path = dir.join("nested.pkl");
                std::fs::write(
                    &path,
                    b"\x80\x02c_codecs\nencode\nq\x01X\x12\x00\x00\x00\xc2\x80\x02}q\x00X\x01\x00\x00\x00xq\x01K\x01s.q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04R.",
                )
                .expect("write");
                path
            }
            Input::LegacyPickle => copy(
                "fixtures/rules/MLTK102_legacy-pickle/__mlspl_linear_regression.mlmodel",
                "__mlspl_linear_regression.mlmodel",
            ),
        }
    }
}

/// Every limit of `limits::TABLE`: a lowered value and a normal input it fires on.
const CASES: &[(&str, &str, Input)] = &[
    ("file-size", "1K", Input::LinearRegression),
    ("json-depth", "2", Input::LinearRegression),
    ("json-values", "5", Input::LinearRegression),
    ("string-length", "64", Input::LinearRegression),
    ("npy-elements", "0", Input::LinearRegression),
    ("npy-header", "32", Input::LinearRegression),
    ("npz-members", "1", Input::Sparse),
    ("npz-uncompressed", "64", Input::Sparse),
    ("npz-ratio", "1", Input::DeflatedSparse),
    ("pickle-ops", "3", Input::Pickle),
    ("pickle-memo", "1", Input::Pickle),
    ("pickle-stack", "2", Input::Pickle),
    ("pickle-text", "8", Input::Pickle),
    ("pickle-expansion", "2", Input::Pickle),
    ("pickle-globals", "1", Input::Pickle),
    ("pickle-nested", "0", Input::NestedPickle),
    ("findings-per-rule", "0", Input::LegacyPickle),
];

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mltk-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mltk-lint")
}

/// `mltk-lint --format json ARGS PATH`: the (code, message) of every finding.
fn findings(dir: &Path, args: &[&str], path: &Path) -> Vec<(String, String)> {
    let path = path.to_str().expect("utf-8 path");
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    all.push(path);
    let output = run(dir, &all);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "mltk-lint {all:?}: {:?}\n{stderr}",
        output.status
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json output");
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

fn limit_findings(found: &[(String, String)]) -> Vec<&str> {
    found
        .iter()
        .filter(|(code, _)| code == "MLTK109")
        .map(|(_, message)| message.as_str())
        .collect()
}

fn assert_names(found: &[(String, String)], name: &str, how: &str) {
    let hits = limit_findings(found);
    let tag = format!("(limit `{name}`)");
    assert!(
        !hits.is_empty() && hits.iter().all(|m| m.contains(&tag)),
        "{how}: expected MLTK109 naming {tag}, got {found:?}"
    );
}

#[test]
fn every_limit_has_a_case() {
    let names: Vec<&str> = mltk_lint::limits::TABLE.iter().map(|s| s.name).collect();
    let cases: Vec<&str> = CASES.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(names, cases);
}

#[test]
fn lowering_a_limit_on_the_command_line_gives_mltk109_naming_it() {
    for &(name, value, input) in CASES {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = input.write(dir.path());
        let clean = findings(dir.path(), &["--isolated"], &path);
        assert!(
            limit_findings(&clean).is_empty(),
            "{name}: the default fires on {input:?}: {clean:?}"
        );
        let setting = format!("{name}={value}");
        let lowered = findings(dir.path(), &["--isolated", "--limit", &setting], &path);
        assert_names(&lowered, name, &format!("--limit {setting} on {input:?}"));
    }
}

#[test]
fn lowering_a_limit_in_the_configuration_gives_mltk109_naming_it() {
    for &(name, value, input) in CASES {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = input.write(dir.path());
        std::fs::write(
            dir.path().join(".mltk-lint.toml"),
            format!("[limits]\n{name} = \"{value}\"\n"),
        )
        .expect("write config");
        let lowered = findings(dir.path(), &[], &path);
        assert_names(&lowered, name, &format!("[limits] {name} on {input:?}"));
    }
}

#[test]
fn pyproject_limits_and_the_command_line_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = Input::LinearRegression.write(dir.path());
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.mltk-lint.limits]\njson-depth = 2\n",
    )
    .expect("write config");
    assert_names(&findings(dir.path(), &[], &path), "json-depth", "pyproject");
    let raised = findings(dir.path(), &["--limit", "json-depth=1e3"], &path);
    assert!(limit_findings(&raised).is_empty(), "{raised:?}");
    // --max-file-size is the same limit as --limit file-size, and wins over it.
    let both = findings(
        dir.path(),
        &[
            "--limit",
            "file-size=1K",
            "--max-file-size",
            "1M",
            "--limit",
            "json-depth=1000",
        ],
        &path,
    );
    assert!(limit_findings(&both).is_empty(), "{both:?}");
}

#[test]
fn a_pickle_in_the_model_cell_uses_the_run_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = Input::LegacyPickle.write(dir.path());
    let clean = findings(dir.path(), &["--isolated"], &path);
    assert!(limit_findings(&clean).is_empty(), "{clean:?}");
    let lowered = findings(
        dir.path(),
        &["--isolated", "--limit", "pickle-ops=3"],
        &path,
    );
    assert_names(&lowered, "pickle-ops", "legacy pickle cell");
}

#[test]
fn long_strings_in_the_options_cell_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = Input::LinearRegression.write(dir.path());
    let found = findings(
        dir.path(),
        &["--isolated", "--limit", "string-length=8"],
        &path,
    );
    assert!(
        limit_findings(&found)
            .iter()
            .any(|m| m.contains("`options` cell") && m.contains("(limit `string-length`)")),
        "{found:?}"
    );
}

#[test]
fn unknown_limit_names_are_errors_listing_the_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = Input::LinearRegression.write(dir.path());
    let path = path.to_str().expect("utf-8");
    let output = run(dir.path(), &["--isolated", "--limit", "json-dept=3", path]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean `json-depth`"), "{stderr}");
    assert!(stderr.contains("pickle-memo"), "{stderr}");
    let output = run(
        dir.path(),
        &["--isolated", "--limit", "npy-elements=lots", path],
    );
    assert_eq!(output.status.code(), Some(2));

    std::fs::write(
        dir.path().join(".mltk-lint.toml"),
        "[limits]\nnpz-member = 3\n",
    )
    .expect("write config");
    let output = run(dir.path(), &[path]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did you mean `limits.npz-members`"),
        "{stderr}"
    );
}

#[test]
fn help_lists_every_limit_with_its_default() {
    let output = run(Path::new(env!("CARGO_MANIFEST_DIR")), &["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for spec in mltk_lint::limits::TABLE {
        let line = format!("{} ({})", spec.name, spec.default_text());
        assert!(help.contains(&line), "--help lacks `{line}`:\n{help}");
    }
}
