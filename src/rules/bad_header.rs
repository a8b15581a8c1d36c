use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Context;

const COLUMNS: [&str; 3] = ["algo", "model", "options"];

declare_rule! {
    /// ## What it does
    /// Checks that the header names the columns `algo`, `model` and `options`.
    ///
    /// ## Why is this bad?
    /// MLTK reads the row as a dict keyed by the header and looks up `row['algo']`,
    /// `row['model']` and `row['options']`; the names are case-sensitive. A missing column
    /// fails the load with a `KeyError`. Extra columns are ignored by MLTK (a warning: they
    /// usually mean the file was edited by hand or exported by another tool).
    ///
    /// ## Example
    /// `Algo,model,options` (capital `A`).
    ///
    /// ## How to fix
    /// Make the first line exactly `algo,model,options`.
    pub static BAD_HEADER = {
        code: "MLTK002",
        name: "bad-header",
        severity: Error,
        summary: "The header is not the columns `algo`, `model`, `options`",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(header) = ctx.artifact.header() else {
        return;
    };
    let names = ctx.artifact.column_names();
    let header_span = header.span;
    for wanted in COLUMNS {
        if names.contains(&wanted) {
            continue;
        }
        // A BOM glued to `algo` is MLTK001's finding.
        if names
            .iter()
            .any(|n| n.trim_start_matches('\u{feff}') == wanted)
        {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            &BAD_HEADER,
            header_span,
            format!("the header has no `{wanted}` column"),
        )
        .with_help(format!(
            "MLTK fails with KeyError: '{wanted}'; the first line must be `algo,model,options`"
        ));
        if let Some(i) = names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(wanted))
        {
            let field = &header.fields[i];
            diagnostic = Diagnostic::new(
                &BAD_HEADER,
                field.span(),
                format!(
                    "header `{}` is not `{wanted}`: column names are case-sensitive and exact",
                    names[i]
                ),
            )
            .with_label(format!("should be `{wanted}`"))
            .with_help(format!(
                "MLTK fails with KeyError: '{wanted}'; rename the column to `{wanted}`"
            ));
        }
        out.push(diagnostic);
    }
    for (i, name) in names.iter().enumerate() {
        let known = COLUMNS
            .iter()
            .any(|c| c == name || name.trim_start_matches('\u{feff}') == *c);
        let near = COLUMNS.iter().any(|c| name.trim().eq_ignore_ascii_case(c));
        if !known && !near {
            out.push(
                Diagnostic::new(
                    &BAD_HEADER,
                    header.fields[i].span(),
                    format!("extra column `{name}`"),
                )
                .with_label("MLTK ignores this column")
                .with_severity(Severity::Warning)
                .with_help("MLTK writes exactly `algo,model,options`; remove the column"),
            );
        } else if names[..i].contains(name) {
            out.push(
                Diagnostic::new(
                    &BAD_HEADER,
                    header.fields[i].span(),
                    format!("column `{name}` appears twice"),
                )
                .with_label("MLTK uses this one, the last")
                .with_severity(Severity::Warning)
                .with_help("remove the duplicate column"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::test_support::{clean, lint, spanned};

    use super::BAD_HEADER;

    #[test]
    fn fires_on_case_and_extra_column() {
        let text = clean().replacen("algo", "Algo", 1);
        let diagnostics = lint(&BAD_HEADER, text.clone());
        assert_eq!(spanned(&text, &diagnostics), ["Algo"]);
        assert_eq!(diagnostics[0].severity, Severity::Error);
        let text = clean().replacen("options\r\n", "options,extra\r\n", 1);
        let diagnostics = lint(&BAD_HEADER, text.clone());
        assert_eq!(spanned(&text, &diagnostics), ["extra"]);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&BAD_HEADER, clean()).is_empty());
    }
}
