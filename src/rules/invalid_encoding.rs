use crate::artifact::span::Span;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the file is UTF-8 text without a byte-order mark and without NUL bytes.
    ///
    /// ## Why is this bad?
    /// MLTK opens the model as text and reads it with Python's `csv.DictReader`. A UTF-8
    /// byte-order mark becomes part of the first header name (`\ufeffalgo`), so the lookup of
    /// the `algo` column fails with `KeyError: 'algo'`. Bytes that are not UTF-8 stop the read
    /// with `UnicodeDecodeError`, and a NUL byte makes Python's csv module fail with
    /// `line contains NUL`. MLTK itself only ever writes ASCII (`json.dumps` escapes the rest).
    ///
    /// ## Example
    /// A file saved by an editor "with BOM": `EF BB BF` then `algo,model,options`.
    ///
    /// ## How to fix
    /// Save the file as UTF-8 without BOM; remove NUL bytes; re-export the model with MLTK
    /// rather than editing it by hand.
    pub static INVALID_ENCODING = {
        code: "MLTK001",
        name: "invalid-encoding",
        severity: Error,
        summary: "The file is not BOM-less UTF-8 text, or contains NUL bytes",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let encoding = &ctx.artifact.encoding;
    if encoding.bom {
        out.push(
            Diagnostic::new(&INVALID_ENCODING, Span::new(0, 3), "the file starts with a UTF-8 byte-order mark")
                .with_label("BOM")
                .with_help("MLTK reads the first column as `\\ufeffalgo` and fails with KeyError: 'algo'; save the file as UTF-8 without BOM"),
        );
    }
    if let Some((offset, count)) = encoding.invalid_utf8 {
        let byte = ctx.artifact.bytes[offset];
        out.push(
            Diagnostic::new(
                &INVALID_ENCODING,
                Span::new(offset, offset + 1),
                format!("byte 0x{byte:02X} is not valid UTF-8 ({count} invalid byte{} in the file)", if count == 1 { "" } else { "s" }),
            )
            .with_label("not UTF-8")
            .with_help("MLTK reads model files as UTF-8 text and fails with UnicodeDecodeError; MLTK writes pure ASCII, so re-encode the file (e.g. from Latin-1) or re-export the model"),
        );
    }
    if let Some(&first) = encoding.nul.first() {
        out.push(
            Diagnostic::new(
                &INVALID_ENCODING,
                Span::new(first, first + 1),
                format!("NUL byte in the file ({} in all)", encoding.nul_count),
            )
            .with_label("NUL")
            .with_help("Python's csv reader up to 3.10 fails with `line contains NUL`; later ones keep the NUL in the cell, where JSON decoding fails. The file is binary or corrupted: restore it from MLTK's output"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint};

    use super::INVALID_ENCODING;

    #[test]
    fn fires_on_bom_latin1_and_nul() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(clean().as_bytes());
        let diagnostics = lint(&INVALID_ENCODING, bytes);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].span.start, 0);
        let mut latin = clean().into_bytes();
        let at = latin.iter().position(|&b| b == b'x').expect("x");
        latin[at] = 0xE9;
        latin[at + 1] = 0;
        let diagnostics = lint(&INVALID_ENCODING, latin);
        let messages: Vec<_> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("0xE9"));
        assert!(messages[1].contains("NUL"));
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&INVALID_ENCODING, clean()).is_empty());
    }
}
