use crate::artifact::csv::LineEnding;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Flags `\r\r\n` line endings and files that mix line-ending styles.
    ///
    /// ## Why is this bad?
    /// MLTK writes `\r\n`. `\r\r\n` is what that becomes when the file passes through a
    /// Windows text-mode write: MLTK still loads it (the blank lines it creates are skipped),
    /// but strict CSV readers, diff tools and AppInspect see an empty row after every row.
    /// Mixed endings mean the file was edited or concatenated by hand.
    ///
    /// ## Example
    /// `algo,model,options\r\r\n` followed by the data row and `\r\r\n`.
    ///
    /// ## How to fix
    /// Convert the file to `\r\n` (or re-export it); mark `*.mlmodel binary` in
    /// `.gitattributes` so git does not convert line endings.
    pub static LINE_ENDINGS = {
        code: "MLTK007",
        name: "line-endings",
        severity: Warning,
        summary: "`\\r\\r\\n` or mixed line endings",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let endings: Vec<_> = ctx
        .artifact
        .framing
        .records
        .iter()
        .filter_map(|record| record.ending)
        .collect();
    if let Some((_, span)) = endings.iter().find(|(kind, _)| *kind == LineEnding::CrCrLf) {
        let count = endings
            .iter()
            .filter(|(kind, _)| *kind == LineEnding::CrCrLf)
            .count();
        out.push(
            Diagnostic::new(
                &LINE_ENDINGS,
                *span,
                format!("`\\r\\r\\n` line ending ({count} in the file): a `\\r\\n` file rewritten in Windows text mode"),
            )
            .with_label("\\r\\r\\n")
            .with_help("MLTK skips the blank lines this creates, but other CSV readers see empty rows; convert to `\\r\\n`"),
        );
        return;
    }
    let mut kinds: Vec<LineEnding> = endings.iter().map(|(kind, _)| *kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() > 1 {
        let first = endings[0].0;
        let (odd_kind, odd_span) = *endings
            .iter()
            .find(|(kind, _)| *kind != first)
            .expect("two kinds");
        let counts: Vec<String> = kinds
            .iter()
            .map(|k| {
                format!(
                    "{} `{}`",
                    endings.iter().filter(|(kind, _)| kind == k).count(),
                    k.escaped()
                )
            })
            .collect();
        out.push(
            Diagnostic::new(
                &LINE_ENDINGS,
                odd_span,
                format!("mixed line endings: {}", counts.join(", ")),
            )
            .with_label(format!(
                "`{}` where earlier lines end in `{}`",
                odd_kind.escaped(),
                first.escaped()
            ))
            .with_help(
                "MLTK writes `\\r\\n` throughout; mixed endings mean hand edits or concatenation",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint};

    use super::LINE_ENDINGS;

    #[test]
    fn fires_on_crcrlf_and_mixed() {
        let crcrlf = clean().replace("\r\n", "\r\r\n");
        let diagnostics = lint(&LINE_ENDINGS, crcrlf);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("2 in the file"));
        let mixed = clean().replacen("\r\n", "\n", 1);
        let diagnostics = lint(&LINE_ENDINGS, mixed);
        assert_eq!(
            diagnostics[0].message,
            "mixed line endings: 1 `\\r\\n`, 1 `\\n`"
        );
    }

    #[test]
    fn silent_on_uniform_endings() {
        assert!(lint(&LINE_ENDINGS, clean()).is_empty());
        assert!(lint(&LINE_ENDINGS, clean().replace("\r\n", "\n")).is_empty());
    }
}
