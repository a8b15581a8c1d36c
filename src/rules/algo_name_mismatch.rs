use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::{algo_span, option_str};

declare_rule! {
    /// ## What it does
    /// Compares `options.algo_name` with the `algo` cell.
    ///
    /// ## Why is this bad?
    /// MLTK loads the algorithm named by the `algo` cell and ignores `algo_name`, but the
    /// Models page and `summary` show one while `apply` uses the other. A mismatch means the
    /// file was renamed or hand-edited (ESCU's `DetectRiskySPL` models say
    /// `LogisticRegression` in `algo_name`).
    ///
    /// ## Example
    /// `algo` = `DetectRiskySPL`, `"algo_name": "LogisticRegression"`.
    ///
    /// ## How to fix
    /// Set `algo_name` to the `algo` cell's value.
    pub static ALGO_NAME_MISMATCH = {
        code: "MLTK205",
        name: "algo-name-mismatch",
        severity: Warning,
        summary: "`options.algo_name` differs from the `algo` cell",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let (Some(algo), Some((algo_name, node))) = (ctx.algo(), option_str(ctx, "algo_name")) else {
        return;
    };
    if algo_name != algo {
        out.push(
            Diagnostic::new(
                &ALGO_NAME_MISMATCH,
                ctx.node_span(Cell::Options, node),
                format!("options.algo_name is `{algo_name}` but the `algo` cell is `{algo}`"),
            )
            .with_pointer("options", "/algo_name")
            .with_secondary(algo_span(ctx), "MLTK loads this algorithm")
            .with_help(format!(
                "MLTK loads `{algo}` and ignores algo_name; set algo_name to `{algo}`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::ALGO_NAME_MISMATCH;

    #[test]
    fn fires_on_mismatch() {
        let options = OPTIONS.replace(
            r#""algo_name": "LinearRegression""#,
            r#""algo_name": "Ridge""#,
        );
        let text = artifact("LinearRegression", MODEL, &options);
        let diagnostics = lint(&ALGO_NAME_MISMATCH, text.clone());
        assert_eq!(spanned(&text, &diagnostics), [r#"""Ridge"""#]);
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&ALGO_NAME_MISMATCH, clean()).is_empty());
    }
}
