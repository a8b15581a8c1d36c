use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::option;

declare_rule! {
    /// ## What it does
    /// Checks that `options.kfold_cv` is absent or `null`.
    ///
    /// ## Why is this bad?
    /// MLTK refuses to save a model fitted with k-fold cross-validation (`The kfold_cv option
    /// cannot be used when saving a model`), so every saved model has `"kfold_cv": null`. A
    /// value here means the options were written by hand, and re-running that fit fails.
    ///
    /// ## Example
    /// `"kfold_cv": 5`.
    ///
    /// ## How to fix
    /// Set `"kfold_cv": null`.
    pub static KFOLD_CV = {
        code: "MLTK210",
        name: "kfold-cv",
        severity: Error,
        summary: "`kfold_cv` is not null",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(node) = option(ctx, "kfold_cv") else {
        return;
    };
    if !node.is_null() {
        out.push(
            Diagnostic::new(&KFOLD_CV, ctx.node_span(Cell::Options, node), "`kfold_cv` must be null in a saved model")
                .with_pointer("options", "/kfold_cv")
                .with_help("MLTK: The kfold_cv option cannot be used when saving a model; set \"kfold_cv\": null"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::KFOLD_CV;

    #[test]
    fn fires_on_number() {
        let options = OPTIONS.replace(r#""kfold_cv": null"#, r#""kfold_cv": 5"#);
        let text = artifact("LinearRegression", MODEL, &options);
        assert_eq!(spanned(&text, &lint(&KFOLD_CV, text.clone())), ["5"]);
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&KFOLD_CV, clean()).is_empty());
    }
}
