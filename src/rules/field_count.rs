use crate::diagnostic::Diagnostic;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every data row has as many cells as the header (three for
    /// `algo,model,options`).
    ///
    /// ## Why is this bad?
    /// `csv.DictReader` fills missing cells with `None` and files extra ones under the key
    /// `None`. A row with two cells gives `options = None`, and MLTK fails with
    /// `the JSON object must be str, bytes or bytearray, not NoneType`. An unquoted comma
    /// inside a cell splits it into more cells than the header has.
    ///
    /// ## Example
    /// `LinearRegression,"{...}"` (no options cell).
    ///
    /// ## How to fix
    /// Give each row exactly one `algo`, `model` and `options` cell; quote cells holding
    /// commas.
    pub static FIELD_COUNT = {
        code: "MLTK008",
        name: "field-count",
        severity: Error,
        summary: "A data row does not have exactly three cells",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(header) = ctx.artifact.header() else {
        return;
    };
    let expected = header.fields.len().max(3);
    for (n, row) in ctx.artifact.data_rows().enumerate() {
        let count = row.fields.len();
        let is_marker = ctx
            .artifact
            .conflict_markers
            .iter()
            .any(|m| m.span.start == row.span.start);
        if count == expected || is_marker {
            continue; // a conflict marker line is MLTK006's finding
        }
        let which = if n == 0 {
            "the model row"
        } else {
            "a later row (ignored by MLTK)"
        };
        let consequence = if count < expected {
            "the missing cells become None and MLTK fails reading them"
        } else {
            "the extra cells are ignored; an unquoted comma probably split a cell"
        };
        let mut span = row.span;
        span.end = span.end.min(span.start + 200);
        out.push(
            Diagnostic::new(
                &FIELD_COUNT,
                span,
                format!(
                    "{which} has {count} cell{} where the header has {expected}",
                    if count == 1 { "" } else { "s" }
                ),
            )
            .with_help(consequence),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint};

    use super::FIELD_COUNT;

    #[test]
    fn fires_on_short_row() {
        let diagnostics = lint(
            &FIELD_COUNT,
            "algo,model,options\r\nLinearRegression,\"{}\"\r\n",
        );
        assert_eq!(
            diagnostics[0].message,
            "the model row has 2 cells where the header has 3"
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&FIELD_COUNT, clean()).is_empty());
    }
}
