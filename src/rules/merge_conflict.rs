use crate::diagnostic::Diagnostic;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Finds git merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) at line starts.
    ///
    /// ## Why is this bad?
    /// A committed conflict leaves marker lines between the competing rows. MLTK reads the
    /// first row after the header, which is now the marker line `<<<<<<< HEAD`: the `algo`
    /// cell becomes `<<<<<<< HEAD` and the load fails with
    /// `Failed to load algorithm with an invalid name`.
    ///
    /// ## Example
    /// ```text
    /// algo,model,options
    /// <<<<<<< HEAD
    /// LogisticRegression,"{...}","{...}"
    /// =======
    /// LogisticRegression,"{...}","{...}"
    /// >>>>>>> b6fbbcf
    /// ```
    ///
    /// ## How to fix
    /// Resolve the conflict by keeping one side's row; model files cannot be merged line by
    /// line. Consider `*.mlmodel binary` in `.gitattributes` so git never tries.
    pub static MERGE_CONFLICT = {
        code: "MLTK006",
        name: "merge-conflict",
        severity: Error,
        summary: "Git merge-conflict markers in the file",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let markers = &ctx.artifact.conflict_markers;
    let Some(first) = markers.first() else {
        return;
    };
    let mut diagnostic = Diagnostic::new(
        &MERGE_CONFLICT,
        first.span,
        format!("git conflict marker `{}`", first.marker),
    )
    .with_label("conflict starts here")
    .with_help("resolve the conflict by keeping one side's row; add `*.mlmodel binary` to .gitattributes so git never merges model files line by line");
    for marker in &markers[1..] {
        diagnostic = diagnostic.with_secondary(marker.span, format!("`{}`", marker.marker));
    }
    if let Some(algo) = ctx.algo()
        && algo.starts_with("<<<<<<<")
    {
        diagnostic.message.push_str(&format!(
                "; MLTK reads this marker line as the model row (algo `{algo}`) and fails with: Failed to load algorithm with an invalid name: {algo}"
            ));
    }
    out.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint, spanned};

    use super::MERGE_CONFLICT;

    #[test]
    fn fires_on_markers() {
        let text = clean();
        let (header, row) = text.split_once("\r\n").expect("header");
        let conflict = format!("{header}\r\n<<<<<<< HEAD\n{row}=======\n{row}>>>>>>> b6fbbcf\n");
        let diagnostics = lint(&MERGE_CONFLICT, conflict.clone());
        assert_eq!(spanned(&conflict, &diagnostics), ["<<<<<<< HEAD"]);
        assert_eq!(diagnostics[0].labels.len(), 2);
        assert!(
            diagnostics[0]
                .message
                .contains("invalid name: <<<<<<< HEAD")
        );
    }

    #[test]
    fn silent_on_clean_and_on_equals_inside_text() {
        assert!(lint(&MERGE_CONFLICT, clean()).is_empty());
        assert!(lint(&MERGE_CONFLICT, "algo,model,options\r\n========x,1,2\r\n").is_empty());
    }
}
