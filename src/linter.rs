//! The pipeline for one file: read the CSV, classify and decode the cells, run the rules.

use crate::artifact::Artifact;
use crate::codec::ModelCell;
use crate::codec::model;
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::options::OptionsCell;
use crate::roundtrip::Decoded;
use crate::rules::Context;
use crate::settings::Settings;

/// The outcome of linting one file.
#[derive(Debug)]
pub struct FileReport {
    /// The path as given (or the stdin name).
    pub path: String,
    /// The artifact, for rendering excerpts.
    pub artifact: Artifact,
    /// Findings sorted by position, then code.
    pub diagnostics: Vec<Diagnostic>,
}

/// Decode `artifact` once, with the default limits, and hand the pieces to `f`.
pub fn with_decoded<R>(artifact: &Artifact, f: impl FnOnce(&Decoded<'_>) -> R) -> R {
    with_decoded_limited(artifact, &Limits::default(), f)
}

/// Decode `artifact` once within `limits` (JSON depth and string length, npy, npz and
/// pickle bounds) and hand the pieces to `f`.
pub fn with_decoded_limited<R>(
    artifact: &Artifact,
    limits: &Limits,
    f: impl FnOnce(&Decoded<'_>) -> R,
) -> R {
    decode_then(artifact, limits, true, f)
}

/// Decode and call `f`; without `keep_array_data`, array values the rules never read are
/// dropped as they are checked ([`model::decode_for_lint`]).
fn decode_then<R>(
    artifact: &Artifact,
    limits: &Limits,
    keep_array_data: bool,
    f: impl FnOnce(&Decoded<'_>) -> R,
) -> R {
    let model_cell = match artifact.cell("model") {
        Some(field) => ModelCell::parse_shared(&field.value, limits),
        None => ModelCell::Absent,
    };
    let options = match artifact.cell("options") {
        Some(field) => OptionsCell::parse_with(&field.value, limits),
        None => OptionsCell::Absent,
    };
    let model = match &model_cell {
        ModelCell::Json(root) if keep_array_data => Some(model::decode_with(root, limits)),
        ModelCell::Json(root) => Some(model::decode_for_lint(root, limits)),
        _ => None,
    };
    f(&Decoded {
        artifact,
        model_cell: &model_cell,
        model: model.as_ref(),
        options: &options,
    })
}

/// Lint one artifact's bytes. `path` names it in the output and its file name is checked.
pub fn lint_bytes(path: &str, bytes: Vec<u8>, settings: &Settings) -> FileReport {
    let file_name = std::path::Path::new(path)
        .file_name()
        .and_then(|name| name.to_str());
    lint_named(path, file_name, bytes, settings)
}

/// [`lint_bytes`] for bytes with no file name (standard input without `--stdin-filename`):
/// `shown` names them in the output, and the rules about the file name do not run.
pub fn lint_unnamed(shown: &str, bytes: Vec<u8>, settings: &Settings) -> FileReport {
    lint_named(shown, None, bytes, settings)
}

fn lint_named(
    path: &str,
    file_name: Option<&str>,
    bytes: Vec<u8>,
    settings: &Settings,
) -> FileReport {
    if crate::pickle_file::is_pickle_input(path, &bytes) {
        return crate::pickle_file::lint(path, bytes, settings);
    }
    let artifact = Artifact::parse(bytes);
    let diagnostics = decode_then(&artifact, &settings.limits, false, |decoded| {
        let context = Context {
            artifact: decoded.artifact,
            limits: &settings.limits,
            file_name,
            target: settings.target,
            custom_algorithms: &settings.custom_algorithms,
            model_cell: decoded.model_cell,
            model: decoded.model,
            options: decoded.options,
            records: std::cell::OnceCell::new(),
        };
        let mut diagnostics = Vec::new();
        let cap = settings.limits.max_findings_per_rule;
        for rule in settings.rules.iter() {
            let mut findings = crate::diagnostic::Findings::new(cap);
            (rule.check)(&context, &mut findings);
            let (kept, dropped, first_dropped) = findings.into_parts();
            for mut diagnostic in kept {
                debug_assert_eq!(
                    diagnostic.rule.code, rule.code,
                    "a rule emits only its own code"
                );
                diagnostic.severity = settings.severity(rule, diagnostic.severity);
                diagnostics.push(diagnostic);
            }
            if let Some(span) = first_dropped {
                diagnostics.extend(too_many_findings(rule, dropped, span, settings));
            }
        }
        diagnostics
    });
    let mut diagnostics = diagnostics;
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.rule.code, a.span.end, &a.message).cmp(&(
            b.span.start,
            b.rule.code,
            b.span.end,
            &b.message,
        ))
    });
    FileReport {
        path: path.to_owned(),
        artifact,
        diagnostics,
    }
}

/// Read at most `limit + 1` bytes from `reader`: `Ok(Err(size_seen))` when there is more than
/// `limit`, so an oversized input is never held whole.
pub fn read_limited(
    reader: impl std::io::Read,
    limit: u64,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    read_limited_sized(reader, limit, 0)
}

/// [`read_limited`] for an input expected to be `expected` bytes long: one allocation
/// instead of a buffer doubled from nothing (which copied a 30 MB file five times).
fn read_limited_sized(
    reader: impl std::io::Read,
    limit: u64,
    expected: u64,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read as _;
    // One byte more than expected, so that reading to the end needs no second allocation.
    let capacity = expected.min(limit).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    Ok(if len > limit { Err(len) } else { Ok(bytes) })
}

/// What linting a file on disk gives.
#[derive(Debug)]
pub enum FileOutcome {
    /// The file was linted.
    Linted(Box<FileReport>),
    /// An Apple Core ML model ([`crate::sniff::is_core_ml`]), skipped: `.mlmodel` is its
    /// extension too.
    CoreMl {
        /// The path as given.
        path: String,
    },
}

/// Lint the file at `path`, shown as `shown`. A file larger than
/// [`crate::limits::Limits::max_file_size`] is reported (MLTK109) without being read. The
/// Core ML check runs on the bytes the linter reads anyway, in the worker, so a run does not
/// open every file twice, once of them on the main thread before any work starts.
pub fn lint_file(
    shown: &str,
    path: &std::path::Path,
    settings: &Settings,
) -> std::io::Result<FileOutcome> {
    use std::io::Read as _;
    let core_ml = || FileOutcome::CoreMl {
        path: shown.to_owned(),
    };
    let limit = settings.limits.max_file_size;
    let mut file = std::fs::File::open(path)?;
    let declared = file.metadata().map(|m| m.len()).unwrap_or(0);
    if declared > limit {
        let mut head = Vec::with_capacity(crate::sniff::HEAD_LEN);
        (&mut file)
            .take(crate::sniff::HEAD_LEN as u64)
            .read_to_end(&mut head)?;
        return Ok(if crate::sniff::is_core_ml(&head) {
            core_ml()
        } else {
            FileOutcome::Linted(Box::new(oversize(shown, declared, settings)))
        });
    }
    // The size can change between stat and read (or lie, for special files): read bounded.
    Ok(match read_limited_sized(file, limit, declared)? {
        Ok(bytes) if crate::sniff::is_core_ml(&bytes) => core_ml(),
        Ok(bytes) => FileOutcome::Linted(Box::new(lint_bytes(shown, bytes, settings))),
        Err(seen) => FileOutcome::Linted(Box::new(oversize(shown, seen, settings))),
    })
}

/// MLTK109 for a rule that found more than the `findings-per-rule` limit in one file.
fn too_many_findings(
    rule: &crate::rules::Rule,
    dropped: usize,
    span: crate::artifact::span::Span,
    settings: &Settings,
) -> Option<Diagnostic> {
    let limit_rule = crate::rules::by_code("MLTK109").filter(|r| settings.rules.contains(r))?;
    let message = format!(
        "{} ({}) has {dropped} more finding{} in this file, from here on, past the first {} reported {}",
        rule.code,
        rule.name,
        if dropped == 1 { "" } else { "s" },
        settings.limits.max_findings_per_rule,
        crate::limits::tag("findings-per-rule"),
    );
    let diagnostic = Diagnostic::new(limit_rule, span, message).with_help(
        "fix the first ones (they usually share one cause) or raise the limit with `--limit findings-per-rule=N`",
    );
    let severity = settings.severity(limit_rule, diagnostic.severity);
    Some(diagnostic.with_severity(severity))
}

/// The report for an input larger than the file-size limit: one MLTK109 finding, no decoding.
pub fn oversize(shown: &str, size: u64, settings: &Settings) -> FileReport {
    let mut diagnostics = Vec::new();
    if let Some(rule) = crate::rules::by_code("MLTK109").filter(|r| settings.rules.contains(r)) {
        let limit = settings.limits.max_file_size;
        let message = format!(
            "the file is {}{size} bytes, more than the limit of {} {}; it was not read or linted",
            if size == limit.saturating_add(1) {
                "at least "
            } else {
                ""
            },
            crate::limits::describe_size(limit),
            crate::limits::tag("file-size"),
        );
        let diagnostic = Diagnostic::new(rule, crate::artifact::span::Span::new(0, 0), message)
            .with_help(
                "if the file is genuine, raise the limit with --max-file-size SIZE, `--limit file-size=SIZE` or `[limits] file-size = SIZE` in the configuration",
            );
        let severity = settings.severity(rule, diagnostic.severity);
        diagnostics.push(diagnostic.with_severity(severity));
    }
    FileReport {
        path: shown.to_owned(),
        artifact: Artifact::parse(Vec::new()),
        diagnostics,
    }
}
