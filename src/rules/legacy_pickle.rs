use crate::codec::ModelCell;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Recognises a `model` cell that is a Python pickle, the format of MLTK 0.9 (2015), and
    /// lists the globals it would import, without unpickling it.
    ///
    /// ## Why is this bad?
    /// Every MLTK since 2.x stores JSON codec records and cannot read a pickle: the load fails
    /// with a JSON error. Worse, unpickling runs code: whoever made the file chooses what the
    /// loader imports and calls (see MLTK501 for the dangerous globals).
    ///
    /// ## Example
    /// A `model` cell starting `ccopy_reg\n_reconstructor\np1\n(calgos.LogisticRegression...`.
    ///
    /// ## How to fix
    /// Re-train the model with a current MLTK (`| fit ... into <name>`); never unpickle the
    /// old cell to convert it unless you trust its author.
    pub static LEGACY_PICKLE = {
        code: "MLTK102",
        name: "legacy-pickle",
        severity: Error,
        summary: "The `model` cell is a Python pickle (MLTK 0.9), unloadable and unsafe",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let ModelCell::Pickle(scan) = ctx.model_cell else {
        return;
    };
    let Some(field) = ctx.cell(Cell::Model) else {
        return;
    };
    let head = field
        .value
        .len()
        .min(field.value.find('\n').unwrap_or(40).max(1));
    let span = ctx.span_in(Cell::Model, 0..head);
    let message = match scan {
        Ok(scan) => {
            let mut names: Vec<String> = scan
                .globals
                .iter()
                .map(|g| format!("{}.{}", g.module, g.name))
                .collect();
            names.dedup();
            let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
            let more = names.len().saturating_sub(shown.len());
            format!(
                "the `model` cell is a protocol-{} Python pickle (MLTK 0.9 format); unpickling would import {}{}",
                scan.protocol,
                if shown.is_empty() {
                    "nothing".to_owned()
                } else {
                    shown.join(", ")
                },
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
        Err(error) => format!(
            "the `model` cell looks like a Python pickle (MLTK 0.9 format) but does not scan: {error}"
        ),
    };
    out.push(
        Diagnostic::new(&LEGACY_PICKLE, span, message)
            .with_label("pickle opcodes")
            .with_help("codec-era MLTK (2.x and later) cannot load pickles, and unpickling runs code; re-train the model with a current MLTK"),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{OPTIONS, artifact, clean, lint};

    use super::LEGACY_PICKLE;

    #[test]
    fn fires_on_protocol_0_pickle() {
        let pickle = "(dp0\nS'feature_variables'\np1\n(lp2\nS'x'\np3\nas.";
        let diagnostics = lint(
            &LEGACY_PICKLE,
            artifact("LinearRegression", pickle, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("import nothing"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn silent_on_json() {
        assert!(lint(&LEGACY_PICKLE, clean()).is_empty());
    }
}
