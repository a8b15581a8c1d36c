use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::algo_span;

declare_rule! {
    /// ## What it does
    /// Checks that the class of the top-level record is the algorithm named in the `algo`
    /// cell (and, for built-in algorithms, that its module is MLTK's `algos.<Name>`).
    ///
    /// ## Why is this bad?
    /// MLTK imports the algorithm named by the `algo` cell and calls its `register_codecs()`;
    /// the top-level record must then be that algorithm's own class, or the decoder finds no
    /// codec for it. A mismatch comes from hand edits, search-and-replace of a model name, or
    /// a renamed custom algorithm.
    ///
    /// ## Example
    /// `algo` = `LinearRegression` but the model starts
    /// `{"__mlspl_type": ["algos.Ridge", "Ridge"], ...}`.
    ///
    /// ## How to fix
    /// Make the `algo` cell name the algorithm the model was trained with.
    pub static ALGO_CLASS_MISMATCH = {
        code: "MLTK106",
        name: "algo-class-mismatch",
        severity: Error,
        summary: "The `algo` cell differs from the class of the top-level record",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let (Some(model), Some(algo)) = (ctx.model, ctx.algo()) else {
        return;
    };
    let Some(top) = model.tree.as_record() else {
        return;
    };
    let span = ctx.span_in(Cell::Model, top.type_member.value.span.clone());
    if top.class != algo {
        out.push(
            Diagnostic::new(
                &ALGO_CLASS_MISMATCH,
                span,
                format!("the model is a `{}` but the `algo` cell says `{algo}`", top.qualified_name()),
            )
            .with_pointer("model", "/__mlspl_type")
            .with_secondary(algo_span(ctx), "algo cell")
            .with_help(format!(
                "MLTK loads algorithm `{algo}` and finds no codec for `{}`; make the `algo` cell name the algorithm the model was trained with",
                top.qualified_name()
            )),
        );
        return;
    }
    if let Some(builtin) = ctx.target.algorithms.get(algo)
        && top.module != builtin.module
        && !ctx.custom_algorithms.iter().any(|c| c.name == algo)
    {
        out.push(
            Diagnostic::new(
                &ALGO_CLASS_MISMATCH,
                span,
                format!(
                    "the built-in `{algo}` lives in `{}`, not `{}`",
                    builtin.module, top.module
                ),
            )
            .with_pointer("model", "/__mlspl_type")
            .with_help(format!(
                "MLTK {} registers `{}.{algo}` only",
                ctx.target.id, builtin.module
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::ALGO_CLASS_MISMATCH;

    #[test]
    fn fires_on_other_class() {
        let model = MODEL.replace(
            r#"["algos.LinearRegression", "LinearRegression"]"#,
            r#"["algos.Ridge", "Ridge"]"#,
        );
        let diagnostics = lint(
            &ALGO_CLASS_MISMATCH,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].message,
            "the model is a `algos.Ridge.Ridge` but the `algo` cell says `LinearRegression`"
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&ALGO_CLASS_MISMATCH, clean()).is_empty());
    }
}
