//! Pickle files as first-class inputs (`model.pkl`, `.pickle`, plain-pickle `.joblib`).
//!
//! The file is walked symbolically by [`crate::codec::pickle`]: nothing is unpickled or
//! imported. Every global the unpickler would import is reported under MLTK501
//! `unsafe-pickle-import`, with the allow-list view of [`pickle::classify`]: dangerous
//! globals are errors, globals outside the scikit-learn/numpy/scipy/pandas allow-list are
//! warnings, and one info finding lists the normal ones. A scan limit is MLTK109.

use crate::artifact::Artifact;
use crate::artifact::span::Span;
use crate::codec::pickle::{self, Danger, ScanError};
use crate::diagnostic::{Diagnostic, Severity};
use crate::linter::FileReport;
use crate::settings::Settings;

/// File name extensions routed to the pickle scanner.
pub const EXTENSIONS: [&str; 3] = ["pkl", "pickle", "joblib"];

/// Whether `path`/`bytes` is a pickle to scan rather than a CSV artifact: a `.pkl` or
/// `.pickle` name, a `.joblib` name holding a plain pickle, or any file starting with a
/// binary pickle header (`\x80` + protocol 2–5), which no CSV artifact does.
pub fn is_pickle_input(path: &str, bytes: &[u8]) -> bool {
    let extension = std::path::Path::new(path)
        .extension()
        .and_then(|x| x.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pkl" | "pickle") => true,
        Some("joblib") => true,
        _ => matches!(bytes, [0x80, 2..=5, ..]) && pickle::looks_like_pickle(bytes),
    }
}

fn push(
    out: &mut Vec<Diagnostic>,
    settings: &Settings,
    code: &str,
    severity: Severity,
    span: Span,
    message: String,
    help: &str,
) {
    let Some(rule) = crate::rules::by_code(code).filter(|r| settings.rules.contains(r)) else {
        return;
    };
    let diagnostic = Diagnostic::new(rule, span, message).with_help(help);
    let severity = settings.severity(rule, severity);
    out.push(diagnostic.with_severity(severity));
}

/// Lint a pickle file: list what it would import.
pub fn lint(path: &str, bytes: Vec<u8>, settings: &Settings) -> FileReport {
    let mut diagnostics = Vec::new();
    let is_joblib = path.to_ascii_lowercase().ends_with(".joblib");
    if !pickle::looks_like_pickle(&bytes) && (is_joblib || bytes.is_empty()) {
        push(
            &mut diagnostics,
            settings,
            "MLTK501",
            Severity::Warning,
            Span::new(0, 0),
            if is_joblib {
                "the file is not a plain pickle (a compressed joblib file?); its imports cannot be listed without decompressing it".to_owned()
            } else {
                "the pickle file is empty".to_owned()
            },
            "loading it runs whatever it contains; re-save it uncompressed (joblib.dump(..., compress=0)) to have it scanned",
        );
        return report(path, bytes, diagnostics);
    }
    let scans = pickle::scan_stream(&bytes, &settings.limits.pickle);
    let mut normal: Vec<String> = Vec::new();
    let mut total = 0usize;
    for scan in &scans {
        scan.each_nested(|scan, anchor| {
            for global in &scan.globals {
                total += 1;
                let at = anchor.unwrap_or(global.offset);
                let span = Span::new(at, at + 1);
                let nested = if anchor.is_some() {
                    " (in a pickle nested inside a constant)"
                } else {
                    ""
                };
                let qualified = global.qualified();
                match pickle::classify(&global.module, &global.name) {
                    Danger::Dangerous(why) => push(
                        &mut diagnostics,
                        settings,
                        "MLTK501",
                        Severity::Error,
                        span,
                        format!(
                            "the pickle imports `{qualified}` via {}{nested} ({why})",
                            global.opcode
                        ),
                        "unpickling this file runs code; do not load it",
                    ),
                    Danger::Unknown => push(
                        &mut diagnostics,
                        settings,
                        "MLTK501",
                        Severity::Warning,
                        span,
                        format!(
                            "the pickle imports `{qualified}` via {}{nested}, which is not on the allow-list of what scikit-learn, numpy, scipy and pandas models import",
                            global.opcode
                        ),
                        "importing it runs that module's code; load the file only if you trust its author",
                    ),
                    Danger::Normal => {
                        if !normal.contains(&qualified) {
                            normal.push(qualified);
                        }
                    }
                }
            }
            if let Some(error) = &scan.error {
                let at = anchor.unwrap_or(error.offset()).min(bytes.len());
                let span = Span::new(at, (at + 1).min(bytes.len()));
                if let ScanError::LimitExceeded { what, .. } = error {
                    push(
                        &mut diagnostics,
                        settings,
                        "MLTK109",
                        Severity::Error,
                        span,
                        format!(
                            "the pickle exceeds the scan limit on {what} at byte {at}{} (a pickle bomb?); it was not scanned further",
                            crate::limits::pickle_tag(what)
                        ),
                        "unpickling this would exhaust memory or time; do not load it (raise the limit named in the message only if you trust the file)",
                    );
                } else {
                    push(
                        &mut diagnostics,
                        settings,
                        "MLTK501",
                        Severity::Warning,
                        span,
                        format!(
                            "the pickle does not scan completely: {error}; what follows is not listed"
                        ),
                        "Python's unpickler also fails here, but only after running everything before it",
                    );
                }
            }
        });
    }
    if !normal.is_empty() {
        push(
            &mut diagnostics,
            settings,
            "MLTK501",
            Severity::Info,
            Span::new(0, 0),
            format!(
                "the pickle imports {} distinct allow-listed globals ({total} references in all): {}",
                normal.len(),
                normal.join(", ")
            ),
            "these are what scikit-learn/numpy/scipy/pandas model pickles normally import; unpickling still runs their constructors",
        );
    }
    report(path, bytes, diagnostics)
}

fn report(path: &str, bytes: Vec<u8>, mut diagnostics: Vec<Diagnostic>) -> FileReport {
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.rule.code, &a.message).cmp(&(b.span.start, b.rule.code, &b.message))
    });
    FileReport {
        path: path.to_owned(),
        artifact: Artifact::parse(bytes),
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(path: &str, bytes: &[u8]) -> Vec<(String, Severity, String)> {
        lint(path, bytes.to_vec(), &Settings::default())
            .diagnostics
            .into_iter()
            .map(|d| (d.rule.code.to_owned(), d.severity, d.message))
            .collect()
    }

    #[test]
    fn routes_by_extension_and_content() {
        assert!(is_pickle_input("m.pkl", b"anything"));
        assert!(is_pickle_input("m.PICKLE", b""));
        assert!(is_pickle_input("m.joblib", b"\x78\x9c"));
        assert!(is_pickle_input(
            "x.bin",
            b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00."
        ));
        assert!(!is_pickle_input(
            "__mlspl_a.mlmodel",
            b"algo,model,options\r\n"
        ));
    }

    #[test]
    fn dangerous_global_via_reduce() {
        let found = codes(
            "m.pkl",
            b"\x80\x02cos\nsystem\nq\x00X\x01\x00\x00\x00xq\x01\x85q\x02Rq\x03.",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "MLTK501");
        assert_eq!(found[0].1, Severity::Error);
        assert!(found[0].2.contains("`os.system`"), "{}", found[0].2);
    }

    #[test]
    fn dangerous_global_via_memoised_stack_global() {
        let body = b"\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x94\x8c\x01x\x85R.";
        let mut data = b"\x80\x04\x95".to_vec();
        data.extend_from_slice(&(body.len() as u64).to_le_bytes());
        data.extend_from_slice(body);
        let found = codes("m.pickle", &data);
        assert!(
            found.iter().any(|(c, s, m)| c == "MLTK501"
                && *s == Severity::Error
                && m.contains("os.system")),
            "{found:?}"
        );
    }

    #[test]
    fn allow_listed_and_unknown_globals() {
        // protocol 2: sklearn class through copyreg._reconstructor, and an unknown module
        let data = b"\x80\x02ccopy_reg\n_reconstructor\ncsklearn.linear_model._base\nLinearRegression\ncmylib\nThing\n\x87.";
        let found = codes("m.pkl", data);
        assert!(
            found.iter().any(|(c, s, m)| c == "MLTK501"
                && *s == Severity::Warning
                && m.contains("mylib.Thing")),
            "{found:?}"
        );
        let info = found
            .iter()
            .find(|(_, s, _)| *s == Severity::Info)
            .expect("info");
        assert!(
            info.2
                .contains("sklearn.linear_model._base.LinearRegression"),
            "{}",
            info.2
        );
        assert!(
            !found.iter().any(|(_, s, _)| *s == Severity::Error),
            "{found:?}"
        );
    }

    #[test]
    fn truncated_and_compressed() {
        let found = codes("m.pkl", b"\x80\x02cos\nsys");
        assert!(
            found
                .iter()
                .any(|(_, _, m)| m.contains("does not scan completely")),
            "{found:?}"
        );
        let found = codes("m.joblib", b"\x78\x9c\x01\x02");
        assert!(found[0].2.contains("not a plain pickle"), "{found:?}");
    }
}
