//! Shared test harness for rule tests: build artifacts, lint them with one rule, and check
//! the invariants every finding must hold.

use crate::diagnostic::Diagnostic;
use crate::linter::{FileReport, lint_bytes};
use crate::rules::{Rule, RuleSet, Selector};
use crate::settings::Settings;

/// A clean LinearRegression model for MLTK 5.7.4.
pub const MODEL: &str = r#"{"__mlspl_type": ["algos.LinearRegression", "LinearRegression"], "dict": {"estimator": {"__mlspl_type": ["sklearn.linear_model._base", "LinearRegression"], "dict": {"fit_intercept": true, "coef_": {"__mlspl_type": ["numpy", "ndarray"], "npy": "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAQA=="}}}, "feature_variables": ["x"], "target_variable": "y", "columns": ["x"]}}"#;

/// Options matching [`MODEL`].
pub const OPTIONS: &str = r#"{"args": ["y", "x"], "target_variable": ["y"], "feature_variables": ["x"], "model_name": "m", "algo_name": "LinearRegression", "mlspl_limits": {"max_inputs": "100000", "max_model_size_mb": "30", "use_sampling": "true"}, "kfold_cv": null}"#;

/// Quote one CSV cell as Python's csv writer does (QUOTE_MINIMAL).
pub fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// A whole artifact as MLTK writes it.
pub fn artifact(algo: &str, model: &str, options: &str) -> String {
    format!(
        "algo,model,options\r\n{},{},{}\r\n",
        quote(algo),
        quote(model),
        quote(options)
    )
}

/// The clean artifact.
pub fn clean() -> String {
    artifact("LinearRegression", MODEL, OPTIONS)
}

/// Lint `text` as `path` with only `rule` enabled, checking the finding invariants.
pub fn lint_with(rule: &'static Rule, path: &str, text: impl Into<Vec<u8>>) -> Vec<Diagnostic> {
    let mut rules = RuleSet::empty();
    rules.insert(&rule.code.parse::<Selector>().expect("code"));
    let settings = Settings {
        rules,
        ..Settings::default()
    };
    let report = lint_bytes(path, text.into(), &settings);
    check_invariants(&report);
    for d in &report.diagnostics {
        assert_eq!(d.rule.code, rule.code, "a rule emits only its own code");
    }
    report.diagnostics
}

/// Lint with one rule under the canonical file name `__mlspl_m.mlmodel`.
pub fn lint(rule: &'static Rule, text: impl Into<Vec<u8>>) -> Vec<Diagnostic> {
    lint_with(rule, "__mlspl_m.mlmodel", text)
}

/// The text each finding's span covers.
pub fn spanned(text: &str, diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| String::from_utf8_lossy(&text.as_bytes()[d.span.start..d.span.end]).into_owned())
        .collect()
}

/// Spans lie inside the file and on character boundaries; messages are not empty.
pub fn check_invariants(report: &FileReport) {
    let bytes = &report.artifact.bytes;
    for d in &report.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= bytes.len(),
            "{d:?}"
        );
        if let Ok(text) = std::str::from_utf8(bytes) {
            assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
        }
        assert!(!d.message.is_empty());
        for label in &d.labels {
            assert!(label.span.end <= bytes.len());
        }
    }
}
