//! The pipeline for one file: read the CSV, classify and decode the cells, run the rules.

use crate::artifact::Artifact;
use crate::codec::ModelCell;
use crate::codec::model;
use crate::diagnostic::Diagnostic;
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

/// Decode `artifact` once and hand the pieces to `f`.
pub fn with_decoded<R>(artifact: &Artifact, f: impl FnOnce(&Decoded<'_>) -> R) -> R {
    let model_cell = match artifact.cell("model") {
        Some(field) => ModelCell::parse(&field.value),
        None => ModelCell::Absent,
    };
    let options = match artifact.cell("options") {
        Some(field) => OptionsCell::parse(&field.value),
        None => OptionsCell::Absent,
    };
    let model = match &model_cell {
        ModelCell::Json(root) => Some(model::decode(root)),
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
    let artifact = Artifact::parse(bytes);
    let file_name = std::path::Path::new(path)
        .file_name()
        .and_then(|name| name.to_str());
    let diagnostics = with_decoded(&artifact, |decoded| {
        let context = Context {
            artifact: decoded.artifact,
            file_name,
            target: settings.target,
            custom_algorithms: &settings.custom_algorithms,
            model_cell: decoded.model_cell,
            model: decoded.model,
            options: decoded.options,
        };
        let mut diagnostics = Vec::new();
        for rule in settings.rules.iter() {
            let before = diagnostics.len();
            (rule.check)(&context, &mut diagnostics);
            for diagnostic in &mut diagnostics[before..] {
                debug_assert_eq!(
                    diagnostic.rule.code, rule.code,
                    "a rule emits only its own code"
                );
                diagnostic.severity = settings.severity(rule, diagnostic.severity);
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
