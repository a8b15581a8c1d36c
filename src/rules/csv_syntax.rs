use crate::artifact::csv::QuoteProblem;
use crate::artifact::span::Span;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;

/// Python's `csv.field_size_limit` as MLTK sets it (`CSV_FILESIZE_LIMIT`).
const FIELD_LIMIT: usize = 1 << 30;

declare_rule! {
    /// ## What it does
    /// Finds malformed CSV quoting: a quoted cell that never closes, text after a closing
    /// quote, a quote inside an unquoted cell, and cells over Python's field size limit.
    ///
    /// ## Why is this bad?
    /// Python's csv reader (`strict=False`, as MLTK uses it) does not stop at these; it guesses.
    /// An unterminated quote swallows the rest of the file into one cell, text after a closing
    /// quote is glued to the cell, and a stray quote is kept as a character. MLTK then fails
    /// later with a confusing JSON error, or silently loads something else than was written.
    /// A cell longer than 2^30 characters fails with `field larger than field limit`.
    ///
    /// ## Example
    /// `LinearRegression,"{""a"": 1}` with no closing quote.
    ///
    /// ## How to fix
    /// Quote every cell that contains `,` or `"`, double the quotes inside it, and close it.
    /// Re-exporting the model from MLTK always gives valid CSV.
    pub static CSV_SYNTAX = {
        code: "MLTK003",
        name: "csv-syntax",
        severity: Error,
        summary: "Malformed CSV: unterminated or stray quotes, or an over-long cell",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    for issue in &ctx.artifact.framing.quote_issues {
        let diagnostic = match issue.problem {
            QuoteProblem::Unterminated => Diagnostic::new(
                &CSV_SYNTAX,
                issue.span,
                "this quoted cell is never closed",
            )
            .with_label("opening quote")
            .with_help("Python's csv reader takes the rest of the file as this one cell, so MLTK sees a truncated or merged value; add the closing quote"),
            QuoteProblem::TextAfterClosingQuote => Diagnostic::new(
                &CSV_SYNTAX,
                Span::new(issue.span.start, issue.span.end + 1),
                "text follows the closing quote of a cell",
            )
            .with_label("Python glues this text to the cell")
            .with_help("a `\"` inside a quoted cell must be doubled (`\"\"`)"),
            QuoteProblem::QuoteInUnquotedField => Diagnostic::new(
                &CSV_SYNTAX,
                issue.span,
                "a quote inside an unquoted cell",
            )
            .with_label("kept as a literal character")
            .with_help("quote the whole cell and double the quotes inside it, as MLTK's csv writer does"),
        };
        out.push(diagnostic);
    }
    for record in &ctx.artifact.framing.records {
        for field in &record.fields {
            // Characters never outnumber bytes: count them only for a cell that could be over.
            if field.value.len() <= FIELD_LIMIT {
                continue;
            }
            let chars = field.value.chars().count();
            if chars > FIELD_LIMIT {
                out.push(
                    Diagnostic::new(
                        &CSV_SYNTAX,
                        Span::new(field.span().start, field.span().start + 1),
                        format!("a cell of {chars} characters exceeds Python's csv field limit of {FIELD_LIMIT}"),
                    )
                    .with_help("MLTK fails with `Error reading model file: ..., field larger than field limit (1073741824)`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint, spanned};

    use super::CSV_SYNTAX;

    #[test]
    fn fires_on_unterminated_and_stray_quotes() {
        let text = clean();
        let cut = text
            .trim_end_matches("\r\n")
            .trim_end_matches('"')
            .to_owned()
            + "\r\n";
        let diagnostics = lint(&CSV_SYNTAX, cut.clone());
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("never closed"));
        let stray = "algo,model,options\r\nA\"B,\"{}\"x,\"{}\"\r\n";
        let diagnostics = lint(&CSV_SYNTAX, stray);
        assert_eq!(spanned(stray, &diagnostics), ["\"", "\"x"]);
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&CSV_SYNTAX, clean()).is_empty());
    }
}
