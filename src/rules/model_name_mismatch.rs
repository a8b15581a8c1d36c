use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::{model_name_from_file, option_str};

declare_rule! {
    /// ## What it does
    /// Compares `options.model_name` with the model name in the file name
    /// (`__mlspl_<name>.mlmodel`).
    /// Standard input is checked only under the name `--stdin-filename` gives it.
    ///
    /// ## Why is this bad?
    /// MLTK finds models by file name and overrides `model_name` when applying, so the
    /// mismatch is harmless to `apply` but confuses `summary`, listings and whoever reads the
    /// file: it usually means the file was copied or renamed by hand (or is an Experiments
    /// draft, `_exp_draft_<hex>`).
    ///
    /// ## Example
    /// `__mlspl_unusual_commandline_detection.mlmodel` with `"model_name": "lm_avg_char_prob"`.
    ///
    /// ## How to fix
    /// Set `model_name` to the name in the file name.
    pub static MODEL_NAME_MISMATCH = {
        code: "MLTK206",
        name: "model-name-mismatch",
        severity: Warning,
        summary: "`options.model_name` differs from the name in the file name",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(file_name) = ctx.file_name else {
        return;
    };
    let (Some(expected), Some((model_name, node))) = (
        model_name_from_file(file_name),
        option_str(ctx, "model_name"),
    ) else {
        return;
    };
    if model_name != expected {
        out.push(
            Diagnostic::new(
                &MODEL_NAME_MISMATCH,
                ctx.node_span(Cell::Options, node),
                format!(
                    "options.model_name is `{model_name}` but the file is named for `{expected}`"
                ),
            )
            .with_pointer("options", "/model_name")
            .with_help(format!(
                "MLTK finds the model by file name; set model_name to `{expected}`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint, lint_with};

    use super::MODEL_NAME_MISMATCH;

    #[test]
    fn fires_when_file_was_renamed() {
        let diagnostics = lint_with(
            &MODEL_NAME_MISMATCH,
            "lookups/__mlspl_other.mlmodel",
            clean(),
        );
        assert_eq!(
            diagnostics[0].message,
            "options.model_name is `m` but the file is named for `other`"
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&MODEL_NAME_MISMATCH, clean()).is_empty());
    }
}
