use crate::diagnostic::Diagnostic;
use crate::options::OptionsCell;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks that the `options` cell is JSON, and explains the usual hand-written mistakes
    /// (Python `None`/`True`/`False`, single quotes, trailing commas).
    ///
    /// ## Why is this bad?
    /// MLTK always runs `json.loads` on the options, even to list models; a cell that is not
    /// JSON breaks `apply`, `summary` and the Models page with a bare JSON error such as
    /// `Expecting value: line 1 column 1 (char 0)`.
    ///
    /// ## Example
    /// `{'feature_variables': ['x'], 'kfold_cv': None}` (a Python `str(dict)`).
    ///
    /// ## How to fix
    /// Write the options with `json.dumps(options)`.
    pub static OPTIONS_JSON = {
        code: "MLTK201",
        name: "options-json",
        severity: Error,
        summary: "The `options` cell is not JSON",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let OptionsCell::NotJson { error, hint } = ctx.options else {
        return;
    };
    if error.kind.is_limit() {
        return; // MLTK109 (limit_exceeded)
    }
    let Some(field) = ctx.cell(Cell::Options) else {
        return;
    };
    let span = ctx.char_span_at(Cell::Options, error.offset);
    let python = error.python_message(&field.value);
    let help = match hint {
        Some(hint) => format!("{hint}; MLTK fails with: {python}"),
        None => format!("MLTK fails with: {python}; write the options with json.dumps"),
    };
    out.push(
        Diagnostic::new(
            &OPTIONS_JSON,
            span,
            format!("the `options` cell is not JSON: {error}"),
        )
        .with_label(error.to_string())
        .with_help(help),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, artifact, clean, lint, spanned};

    use super::OPTIONS_JSON;

    #[test]
    fn explains_python_literals() {
        let text = artifact(
            "LinearRegression",
            MODEL,
            "{\"feature_variables\": [\"x\"], \"kfold_cv\": None}",
        );
        let diagnostics = lint(&OPTIONS_JSON, text.clone());
        assert_eq!(spanned(&text, &diagnostics), ["N"]);
        let help = diagnostics[0].help.as_deref().unwrap_or("");
        assert!(help.contains("`None` is Python"), "{help}");
        assert!(
            help.contains("Expecting value: line 1 column 42 (char 41)"),
            "{help}"
        );
        let text = artifact("LinearRegression", MODEL, "{'feature_variables': ['x']}");
        let diagnostics = lint(&OPTIONS_JSON, text);
        assert!(
            diagnostics[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("single quotes")
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&OPTIONS_JSON, clean()).is_empty());
    }
}
