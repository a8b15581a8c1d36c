use crate::codec::model::ProblemKind;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks every codec record's shape: `__mlspl_type` must be `[module, class]` (two
    /// strings) and the member its codec reads must be there with the right JSON type
    /// (`dict` for SimpleObjectCodec, `npy` for NDArrayCodec, `init_args`/`state` for trees,
    /// and so on), with codec-specific checks (tree node counts, GenericUnivariateSelect
    /// `score_func`, Generator bit generators, Birch `refs`).
    ///
    /// ## Why is this bad?
    /// MLTK's decoder indexes these members directly; a missing or mistyped one fails the
    /// load with a `KeyError`/`TypeError` deep inside the codec, reported only as
    /// `Failed to load model`.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["sklearn.linear_model._base"], "dict": {...}}` (one string).
    ///
    /// ## How to fix
    /// Restore the record as MLTK wrote it; if the artifact is generated outside Splunk, make
    /// the generator emit the codec's exact shape.
    pub static BAD_RECORD = {
        code: "MLTK103",
        name: "bad-record",
        severity: Error,
        summary: "A codec record is malformed",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(model) = ctx.model else {
        return;
    };
    for problem in model
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Record)
    {
        out.push(
            Diagnostic::new(&BAD_RECORD, ctx.span_in(Cell::Model, problem.range.clone()), problem.message.clone())
                .with_pointer("model", problem.pointer.clone())
                .with_help("MLTK's decoder fails on this record (Failed to load model); restore the shape the codec writes"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::BAD_RECORD;

    #[test]
    fn fires_on_short_type_and_missing_dict() {
        let model = MODEL.replace(
            r#"["sklearn.linear_model._base", "LinearRegression"]"#,
            r#"["sklearn.linear_model._base"]"#,
        );
        let text = artifact("LinearRegression", &model, OPTIONS);
        let diagnostics = lint(&BAD_RECORD, text.clone());
        assert_eq!(
            spanned(&text, &diagnostics),
            [r#"[""sklearn.linear_model._base""]"#]
        );
        assert_eq!(
            diagnostics[0].pointer.as_deref(),
            Some("/dict/estimator/__mlspl_type")
        );
        let model = MODEL.replace(r#""dict": {"fit_intercept""#, r#""dixt": {"fit_intercept""#);
        let diagnostics = lint(&BAD_RECORD, artifact("LinearRegression", &model, OPTIONS));
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0].message.contains("lacks its `dict` member"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&BAD_RECORD, clean()).is_empty());
    }
}
