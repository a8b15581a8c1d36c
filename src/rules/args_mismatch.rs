use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::{option, option_strings};

declare_rule! {
    /// ## What it does
    /// Checks that `options.args` (the raw field tokens of the fit search) is
    /// `target_variable` followed by `feature_variables`.
    ///
    /// ## Why is this bad?
    /// Fit derives both lists from `args`; when they disagree the options were edited by hand
    /// (or copied from another model), so the fields `apply` reads are not the ones the model
    /// was trained on.
    ///
    /// ## Example
    /// `"args": ["y", "x"], "target_variable": ["y"], "feature_variables": ["x", "z"]`.
    ///
    /// ## How to fix
    /// Make `args` the target (if any) followed by the features, or re-export the model.
    pub static ARGS_MISMATCH = {
        code: "MLTK208",
        name: "args-mismatch",
        severity: Warning,
        summary: "`args` is not `target_variable` + `feature_variables`",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let (Some(args_node), Some(args)) = (option(ctx, "args"), option_strings(ctx, "args")) else {
        return;
    };
    let Some(features) = option_strings(ctx, "feature_variables") else {
        return;
    };
    let target = option_strings(ctx, "target_variable").unwrap_or_default();
    let expected: Vec<String> = target.iter().chain(features.iter()).cloned().collect();
    if args != expected {
        out.push(
            Diagnostic::new(
                &ARGS_MISMATCH,
                ctx.node_span(Cell::Options, args_node),
                format!("args {args:?} is not target_variable + feature_variables {expected:?}"),
            )
            .with_pointer("options", "/args")
            .with_help("fit writes args as the target followed by the features; the options were edited or copied from another model"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::ARGS_MISMATCH;

    #[test]
    fn fires_on_mismatch() {
        let options = OPTIONS.replace(r#""args": ["y", "x"]"#, r#""args": ["y", "z"]"#);
        let diagnostics = lint(
            &ARGS_MISMATCH,
            artifact("LinearRegression", MODEL, &options),
        );
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].pointer.as_deref(), Some("/args"));
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&ARGS_MISMATCH, clean()).is_empty());
    }
}
