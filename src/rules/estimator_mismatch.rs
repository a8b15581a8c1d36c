use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// For a built-in algorithm, checks that the record under `dict.estimator` is a class the
    /// algorithm wraps (one of the library classes its `register_codecs()` registers).
    ///
    /// ## Why is this bad?
    /// Each MLTK algorithm wraps one kind of estimator and registers codecs only for it. A
    /// `LinearRegression` artifact whose estimator is a decision tree fails to decode (no
    /// codec for the tree in that algorithm), and if it did decode, `apply` would call methods
    /// the wrapper does not expect.
    ///
    /// ## Example
    /// `algo` = `LinearRegression`, `dict.estimator` =
    /// `{"__mlspl_type": ["sklearn.tree._classes", "DecisionTreeRegressor"], ...}`.
    ///
    /// ## How to fix
    /// Use the algorithm that wraps the estimator (here `DecisionTreeRegressor`).
    pub static ESTIMATOR_MISMATCH = {
        code: "MLTK302",
        name: "estimator-mismatch",
        severity: Error,
        summary: "The estimator record is not a class the built-in algorithm wraps",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let (Some(model), Some(algo)) = (ctx.model, ctx.algo()) else {
        return;
    };
    let Some(builtin) = ctx.target.algorithms.get(algo) else {
        return;
    };
    let Some(estimator) = model
        .tree
        .as_record()
        .and_then(|top| top.dict_record("estimator"))
    else {
        return;
    };
    let wrapped: Vec<&str> = builtin
        .codecs
        .iter()
        .filter(|r| !r.module().starts_with("algos") && r.module().starts_with("sklearn"))
        .map(|r| r.class())
        .collect();
    if wrapped.is_empty() || wrapped.contains(&estimator.class) {
        return;
    }
    // Prefer the algorithm that does wrap this class, for the help.
    let wraps = |a: &crate::catalog::Algorithm| {
        a.codecs
            .iter()
            .any(|r| r.class() == estimator.class && r.module().starts_with("sklearn"))
    };
    let owner = ctx
        .target
        .algorithms
        .get_key_value(estimator.class)
        .filter(|(_, a)| wraps(a))
        .or_else(|| ctx.target.algorithms.iter().find(|(_, a)| wraps(a)))
        .map(|(name, _)| *name);
    let mut wrapped_sorted = wrapped.clone();
    wrapped_sorted.sort_unstable();
    wrapped_sorted.dedup();
    let help = match owner {
        Some(owner) => format!(
            "the built-in `{owner}` wraps `{}`; use that algorithm",
            estimator.class
        ),
        None => format!(
            "`{algo}` registers codecs for {} only; the load fails",
            wrapped_sorted.join(", ")
        ),
    };
    out.push(
        Diagnostic::new(
            &ESTIMATOR_MISMATCH,
            ctx.span_in(Cell::Model, estimator.type_member.value.span.clone()),
            format!(
                "`{algo}` does not wrap a `{}` estimator",
                estimator.qualified_name()
            ),
        )
        .with_pointer("model", format!("{}/__mlspl_type", estimator.pointer))
        .with_help(help),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::ESTIMATOR_MISMATCH;

    #[test]
    fn fires_on_tree_in_linear_regression() {
        let model = MODEL.replace(
            r#"["sklearn.linear_model._base", "LinearRegression"]"#,
            r#"["sklearn.tree._classes", "DecisionTreeRegressor"]"#,
        );
        let diagnostics = lint(
            &ESTIMATOR_MISMATCH,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("`DecisionTreeRegressor` wraps"),
            "{:?}",
            diagnostics[0].help
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&ESTIMATOR_MISMATCH, clean()).is_empty());
    }
}
