use crate::artifact::span::Span;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;

/// The longest header line AppInspect accepts, in characters.
const MAX_HEADER: usize = 4096;

declare_rule! {
    /// ## What it does
    /// Runs the test Splunk AppInspect applies to every file under `lookups/` that does not
    /// have a lookup extension (`.csv`, `.csv.gz`, `.kmz`, ...), which includes every
    /// `.mlmodel`: the file must not be empty, its header line must be at most 4096
    /// characters, it must be UTF-8, and every row must have as many columns as the header
    /// (`LookupHelper.is_valid_csv` in splunk-appinspect 4.3.1, used by
    /// `check_lookups_allow_list`).
    ///
    /// ## Why is this bad?
    /// AppInspect fails the app ("Ensure malicious files are not passed off as lookup
    /// files"), so Splunk Cloud vetting and Splunkbase reject the package, late, at
    /// packaging time. Catching it at commit time is cheaper.
    ///
    /// ## Example
    /// A model whose header row was lost, so the first line is the whole model row (over
    /// 4096 characters); or a row with an unquoted comma, giving four columns under a
    /// three-column header.
    ///
    /// ## How to fix
    /// Restore the artifact from MLTK's output (`| fit ... into`), or run `mltk-lint fmt` on a
    /// file whose cells are intact. Keep the header `algo,model,options` on the first line.
    pub static APPINSPECT_LOOKUP = {
        code: "MLTK009",
        name: "appinspect-lookup",
        severity: Error,
        summary: "AppInspect rejects the file as a lookup: empty, header over 4096 characters, not UTF-8, or ragged rows",
        check: check,
    };
}

const HELP: &str = "splunk-appinspect's check_lookups_allow_list fails the app for this file; restore the artifact from MLTK's output";

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let artifact = ctx.artifact;
    let bytes = &artifact.bytes;
    if bytes.is_empty() {
        out.push(
            Diagnostic::new(
                &APPINSPECT_LOOKUP,
                Span::new(0, 0),
                "AppInspect rejects an empty lookup file",
            )
            .with_help(HELP),
        );
        return;
    }
    // The header line: up to the first line break.
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(bytes.len());
    let header = &bytes[..line_end];
    let chars = header.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
    if chars > MAX_HEADER {
        out.push(
            Diagnostic::new(
                &APPINSPECT_LOOKUP,
                Span::new(0, line_end.min(200)),
                format!("AppInspect rejects a lookup whose header line is over {MAX_HEADER} characters (this one has {chars})"),
            )
            .with_label("the header line")
            .with_help(HELP),
        );
    }
    if let Some((offset, count)) = artifact.encoding.invalid_utf8 {
        out.push(
            Diagnostic::new(
                &APPINSPECT_LOOKUP,
                Span::new(offset, offset + 1),
                format!(
                    "AppInspect rejects a lookup that is not UTF-8 ({count} invalid byte{})",
                    if count == 1 { "" } else { "s" }
                ),
            )
            .with_help(HELP),
        );
    }
    let Some(header_record) = artifact.header() else {
        return;
    };
    let columns = header_record.fields.len();
    if let Some(row) = artifact.data_rows().find(|row| row.fields.len() != columns) {
        let mut span = row.span;
        span.end = span.end.min(span.start + 200);
        out.push(
            Diagnostic::new(
                &APPINSPECT_LOOKUP,
                span,
                format!(
                    "AppInspect rejects a lookup with ragged rows: this row has {} column{}, the header {columns}",
                    row.fields.len(),
                    if row.fields.len() == 1 { "" } else { "s" }
                ),
            )
            .with_help(HELP),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint};

    use super::APPINSPECT_LOOKUP;

    #[test]
    fn fires_on_long_header_non_utf8_ragged_and_empty() {
        assert_eq!(lint(&APPINSPECT_LOOKUP, Vec::new()).len(), 1);
        let long = format!("{}\r\n", "a".repeat(5000));
        let found = lint(&APPINSPECT_LOOKUP, long);
        assert!(found[0].message.contains("over 4096"), "{found:?}");
        let mut latin = clean().into_bytes();
        let at = latin.iter().position(|&b| b == b'x').expect("x");
        latin[at] = 0xE9;
        let found = lint(&APPINSPECT_LOOKUP, latin);
        assert!(
            found.iter().any(|d| d.message.contains("not UTF-8")),
            "{found:?}"
        );
        let ragged = format!("{}LinearRegression,{{}}\r\n", clean());
        let found = lint(&APPINSPECT_LOOKUP, ragged);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("2 columns, the header 3"),
            "{found:?}"
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&APPINSPECT_LOOKUP, clean()).is_empty());
    }
}
