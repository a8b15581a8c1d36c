use crate::codec::ModelCell;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::option;

declare_rule! {
    /// ## What it does
    /// Flags options without `mlspl_limits`, the copy of the algorithm's mlspl.conf stanza
    /// that every fit since 3.4 saves with the model.
    ///
    /// ## Why is this bad?
    /// For ordinary models MLTK replaces the saved limits with the current stanza at apply
    /// time, so their absence means the file was not written by a current MLTK (a warning).
    /// ONNX models are different: apply reads `mlspl_limits.max_model_size_mb` from the
    /// saved options and fails without it (an error).
    ///
    /// ## Example
    /// `{"feature_variables": ["x"], "model_name": "m"}` with no `mlspl_limits`.
    ///
    /// ## How to fix
    /// Add the algorithm's stanza as strings, e.g. `"mlspl_limits": {"max_model_size_mb":
    /// "30", ...}`, or re-export the model from MLTK.
    pub static MISSING_MLSPL_LIMITS = {
        code: "MLTK203",
        name: "missing-mlspl-limits",
        severity: Warning,
        summary: "No `mlspl_limits` in options (an error for ONNX models)",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(root) = ctx.options_root() else {
        return;
    };
    if root.as_object().is_none() || option(ctx, "mlspl_limits").is_some() {
        return;
    }
    let onnx = matches!(ctx.model_cell, ModelCell::Onnx(_))
        || option(ctx, "is_onnx")
            .is_some_and(|n| matches!(n.value, crate::json::Value::Bool(true)));
    let span = ctx.span_in(Cell::Options, 0..1);
    let diagnostic = if onnx {
        Diagnostic::new(&MISSING_MLSPL_LIMITS, span, "ONNX model options have no `mlspl_limits`")
            .with_severity(Severity::Error)
            .with_help("apply of an ONNX model reads mlspl_limits.max_model_size_mb from the saved options and fails: Please make sure to specify `max_model_size_mb` parameter in Settings page.")
    } else {
        Diagnostic::new(&MISSING_MLSPL_LIMITS, span, "options have no `mlspl_limits`")
            .with_help("every MLTK fit since 3.4 saves the algorithm's mlspl.conf stanza here; the file was probably not written by MLTK")
    };
    out.push(diagnostic.with_label("no mlspl_limits in this object"));
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::test_support::{MODEL, artifact, clean, lint};

    use super::MISSING_MLSPL_LIMITS;

    #[test]
    fn warns_and_errors_for_onnx() {
        let diagnostics = lint(
            &MISSING_MLSPL_LIMITS,
            artifact("LinearRegression", MODEL, r#"{"feature_variables": ["x"]}"#),
        );
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        let diagnostics = lint(
            &MISSING_MLSPL_LIMITS,
            artifact(
                "onnx",
                "b'AAAA'",
                r#"{"is_onnx": true, "feature_variables": ["x"]}"#,
            ),
        );
        assert_eq!(diagnostics[0].severity, Severity::Error);
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&MISSING_MLSPL_LIMITS, clean()).is_empty());
    }
}
