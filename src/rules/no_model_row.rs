use crate::artifact::span::Span;
use crate::codec::ModelCell;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks that there is a data row after the header and that its `model` cell is not
    /// empty.
    ///
    /// ## Why is this bad?
    /// MLTK loads the first data row; without one there is no model at all. An empty `model`
    /// cell is what fit writes as a *temporary* model at the start of a search (its options
    /// only): `apply` on it has nothing to decode.
    ///
    /// ## Example
    /// A file holding only `algo,model,options`.
    ///
    /// ## How to fix
    /// Ship the file that `fit ... into` wrote after it finished, not the temporary one.
    pub static NO_MODEL_ROW = {
        code: "MLTK004",
        name: "no-model-row",
        severity: Error,
        summary: "No data row, or an empty `model` cell (a temporary model)",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(header) = ctx.artifact.header() else {
        out.push(
            Diagnostic::new(&NO_MODEL_ROW, Span::at(0), "the file is empty").with_help(
                "an MLTK model file has the header `algo,model,options` and one data row",
            ),
        );
        return;
    };
    if ctx.row().is_none() {
        out.push(
            Diagnostic::new(&NO_MODEL_ROW, header.span, "no data row after the header")
                .with_label("only a header")
                .with_help("MLTK reads the model from the first row after the header; this file holds no model"),
        );
        return;
    }
    if matches!(ctx.model_cell, ModelCell::Empty) {
        let span = ctx.cell(Cell::Model).map(|f| f.span()).unwrap_or_default();
        out.push(
            Diagnostic::new(&NO_MODEL_ROW, span, "the `model` cell is empty")
                .with_label("empty")
                .with_help("this is a temporary model, written when fit starts; ship the file written after fit completed"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{OPTIONS, artifact, clean, lint};

    use super::NO_MODEL_ROW;

    #[test]
    fn fires_without_row_or_model() {
        assert_eq!(lint(&NO_MODEL_ROW, "algo,model,options\r\n").len(), 1);
        assert_eq!(lint(&NO_MODEL_ROW, "").len(), 1);
        let empty = artifact("LinearRegression", "", OPTIONS);
        let diagnostics = lint(&NO_MODEL_ROW, empty);
        assert_eq!(diagnostics[0].message, "the `model` cell is empty");
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&NO_MODEL_ROW, clean()).is_empty());
    }
}
