use crate::diagnostic::Diagnostic;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Flags files with more than one data row.
    ///
    /// ## Why is this bad?
    /// MLTK reads only the first row after the header (`next(reader)`); every other row is
    /// dead weight at best, and at worst the model someone meant to ship is not the one MLTK
    /// loads (two models concatenated, or a merge gone wrong).
    ///
    /// ## Example
    /// `algo,model,options`, then two `LinearRegression,...` rows.
    ///
    /// ## How to fix
    /// Keep only the row of the model you mean to ship.
    pub static EXTRA_ROWS = {
        code: "MLTK005",
        name: "extra-rows",
        severity: Warning,
        summary: "More than one data row; MLTK reads only the first",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    // Rows around conflict markers are MLTK006's finding.
    if !ctx.artifact.conflict_markers.is_empty() {
        return;
    }
    let rows: Vec<_> = ctx.artifact.data_rows().collect();
    if rows.len() < 2 {
        return;
    }
    let mut diagnostic = Diagnostic::new(
        &EXTRA_ROWS,
        rows[1].span,
        format!("{} data rows; MLTK loads only the first", rows.len()),
    )
    .with_label("ignored by MLTK")
    .with_secondary(rows[0].span, "the row MLTK loads")
    .with_help("remove every row but the model you mean to ship");
    diagnostic.span.end = diagnostic.span.end.min(diagnostic.span.start + 200);
    out.push(diagnostic);
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint};

    use super::EXTRA_ROWS;

    #[test]
    fn fires_on_two_rows() {
        let text = clean();
        let row = text.split_once("\r\n").expect("header").1;
        let doubled = format!("{text}{row}");
        let diagnostics = lint(&EXTRA_ROWS, doubled);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].message,
            "2 data rows; MLTK loads only the first"
        );
    }

    #[test]
    fn silent_on_clean_and_blank_lines() {
        assert!(lint(&EXTRA_ROWS, clean()).is_empty());
        assert!(lint(&EXTRA_ROWS, clean() + "\r\n\r\n").is_empty());
    }
}
