use crate::codec::ModelCell;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks that the `model` cell is JSON as Python's `json` module reads it (the `NaN`,
    /// `Infinity` and `-Infinity` tokens Python writes are accepted).
    ///
    /// ## Why is this bad?
    /// MLTK decodes the cell with `json.loads` and a codec hook. Anything else fails the load
    /// with the JSON error shown here, wrapped as `Failed to load model "<name>"`.
    ///
    /// ## Example
    /// A model cell cut short: `{"__mlspl_type": ["algos.LinearRegression", "Line`.
    ///
    /// ## How to fix
    /// Restore the cell from the file MLTK wrote; never edit model JSON by hand inside the CSV
    /// without re-quoting it.
    pub static MODEL_JSON = {
        code: "MLTK101",
        name: "model-json",
        severity: Error,
        summary: "The `model` cell is not JSON",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let ModelCell::NotJson(error) = ctx.model_cell else {
        return;
    };
    if error.kind.is_limit() {
        return; // MLTK109 (limit_exceeded)
    }
    let Some(field) = ctx.cell(Cell::Model) else {
        return;
    };
    let span = ctx.char_span_at(Cell::Model, error.offset);
    out.push(
        Diagnostic::new(
            &MODEL_JSON,
            span,
            format!("the `model` cell is not JSON: {error}"),
        )
        .with_label(error.to_string())
        .with_help(format!(
            "MLTK fails with: {}; restore the cell from the file MLTK wrote",
            error.python_message(&field.value)
        )),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::MODEL_JSON;

    #[test]
    fn fires_on_truncated_json() {
        let text = artifact("LinearRegression", &MODEL[..40], OPTIONS);
        let diagnostics = lint(&MODEL_JSON, text.clone());
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("line 1 column")
        );
        // Python reports the opening quote of the unterminated string, `""` in the file
        assert_eq!(spanned(&text, &diagnostics), ["\"\""]);
    }

    #[test]
    fn accepts_python_nan_tokens() {
        let model = MODEL.replace(
            "\"fit_intercept\": true",
            "\"a\": NaN, \"b\": -Infinity, \"fit_intercept\": true",
        );
        assert!(lint(&MODEL_JSON, artifact("LinearRegression", &model, OPTIONS)).is_empty());
        assert!(lint(&MODEL_JSON, clean()).is_empty());
    }
}
