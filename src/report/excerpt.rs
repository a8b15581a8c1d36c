//! A trimmed view of the file around a finding's spans, for miette.
//!
//! A model cell is often one line of megabytes; the renderer must never print it whole. An
//! [`Excerpt`] holds a short window around each span (blank-line separated) and answers
//! miette's `read_span` with the real file line and column of each window.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::artifact::span::{LineIndex, Span};

/// Bytes of context kept on each side of a span.
const CONTEXT: usize = 40;
/// Longest span shown whole; longer ones are cut.
const MAX_SPAN: usize = 120;

#[derive(Debug)]
struct Window {
    /// Where the window's text starts in the excerpt.
    excerpt_start: usize,
    /// Length in the excerpt.
    excerpt_len: usize,
    /// Bytes of leading ellipsis in the excerpt.
    lead: usize,
    /// 0-based line in the file.
    line: usize,
    /// 0-based column (characters) of the first real byte shown (after a leading ellipsis).
    column: usize,
}

/// A trimmed, labelled view of a file.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    windows: Vec<Window>,
}

impl Excerpt {
    /// Build windows around `spans` (first is the primary) and return their spans in
    /// excerpt coordinates.
    pub fn new(
        name: &str,
        bytes: &[u8],
        lines: &LineIndex,
        spans: &[Span],
        redact: Option<Span>,
    ) -> (Excerpt, Vec<SourceSpan>) {
        let mut excerpt = Excerpt {
            name: name.to_owned(),
            text: String::new(),
            windows: Vec::new(),
        };
        let mapped = spans
            .iter()
            .map(|span| excerpt.add(bytes, lines, *span, redact))
            .collect();
        (excerpt, mapped)
    }

    fn add(
        &mut self,
        bytes: &[u8],
        lines: &LineIndex,
        span: Span,
        redact: Option<Span>,
    ) -> SourceSpan {
        let start = span.start.min(bytes.len());
        let line = lines.line_of(start);
        let line_start = lines.line_start(line);
        let mut line_end = lines.line_start(line + 1).min(bytes.len());
        while line_end > line_start && matches!(bytes[line_end - 1], b'\n' | b'\r') {
            line_end -= 1;
        }
        let span_end = span
            .end
            .clamp(start, line_end.max(start))
            .min(start + MAX_SPAN);
        let from = floor_char(bytes, start.saturating_sub(CONTEXT).max(line_start));
        let to = ceil_char(bytes, (span_end + CONTEXT).min(line_end.max(span_end)));
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
        let excerpt_start = self.text.len();
        let lead = if from > line_start { "…" } else { "" };
        self.text.push_str(lead);
        let mut shown = bytes[from..to].to_vec();
        if let Some(secret) = redact {
            for (i, byte) in shown.iter_mut().enumerate() {
                if (secret.start..secret.end).contains(&(from + i)) && *byte != b'"' {
                    *byte = b'*';
                }
            }
        }
        let shown_start = self.text.len();
        let [span_from, span_to] =
            push_lossy(&mut self.text, &shown, [start - from, span_end - from]);
        if to < line_end {
            self.text.push('…');
        }
        let column = lines.line_column(bytes, from).column.get() - 1;
        self.windows.push(Window {
            excerpt_start,
            excerpt_len: self.text.len() - excerpt_start,
            lead: lead.len(),
            line,
            column,
        });
        let offset = shown_start + span_from;
        SourceSpan::new(offset.into(), span_to - span_from)
    }

    fn window_of(&self, offset: usize) -> Option<&Window> {
        self.windows
            .iter()
            .find(|w| offset >= w.excerpt_start && offset <= w.excerpt_start + w.excerpt_len)
    }
}

/// Append `bytes` to `text` as `String::from_utf8_lossy` would (each invalid sequence becomes
/// one U+FFFD) with line breaks shown as spaces, and return where each of `at` (offsets in
/// `bytes`) lands in the appended text. Invalid sequences change lengths, so offsets are
/// mapped rather than reused; an offset inside one maps to the start of its U+FFFD, an
/// offset inside a valid character to the start of the character.
fn push_lossy<const N: usize>(text: &mut String, bytes: &[u8], at: [usize; N]) -> [usize; N] {
    let base = text.len();
    let mut mapped = [usize::MAX; N];
    let mut raw = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        for (slot, &offset) in mapped.iter_mut().zip(&at) {
            if *slot == usize::MAX && offset <= raw + valid.len() {
                // A byte-level finding (a base64 error, say) can start inside a character:
                // show it from the character's start.
                let mut inside = offset - raw;
                while !valid.is_char_boundary(inside) {
                    inside -= 1;
                }
                *slot = text.len() - base + inside;
            }
        }
        text.extend(
            valid
                .chars()
                .map(|c| if matches!(c, '\r' | '\n') { ' ' } else { c }),
        );
        raw += valid.len();
        let invalid = chunk.invalid();
        if !invalid.is_empty() {
            for (slot, &offset) in mapped.iter_mut().zip(&at) {
                if *slot == usize::MAX && offset < raw + invalid.len() {
                    *slot = text.len() - base;
                }
            }
            text.push(char::REPLACEMENT_CHARACTER);
            raw += invalid.len();
        }
    }
    let end = text.len() - base;
    mapped.map(|offset| offset.min(end))
}

fn floor_char(bytes: &[u8], mut at: usize) -> usize {
    while at > 0 && at < bytes.len() && (bytes[at] & 0xC0) == 0x80 {
        at -= 1;
    }
    at
}

fn ceil_char(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && (bytes[at] & 0xC0) == 0x80 {
        at += 1;
    }
    at
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window = self
            .window_of(span.offset())
            .ok_or(MietteError::OutOfBounds)?;
        let shown_start = window.excerpt_start + window.lead;
        let (from, len, column) = if context_lines_before > 0 || context_lines_after > 0 {
            let column = window.column.saturating_sub(usize::from(window.lead > 0));
            (window.excerpt_start, window.excerpt_len, column)
        } else {
            let from = span.offset().max(shown_start);
            let len = span.len().min(self.text.len() - from);
            let column = window.column + self.text[shown_start..from].chars().count();
            (from, len, column)
        };
        let data = &self.text.as_bytes()[from..from + len];
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::new(from.into(), len),
            window.line,
            column,
            1,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_across_invalid_utf8_and_line_breaks() {
        let mut text = String::from("…");
        // `a`, an invalid byte (one U+FFFD, 3 bytes), `b\n`, a truncated sequence, `c`.
        let bytes = b"a\xFFb\n\xE2\x82c";
        let mapped = push_lossy(&mut text, bytes, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(text, "…a\u{FFFD}b \u{FFFD}c");
        let base = "…".len();
        // Offsets are relative to where the appended text starts.
        assert_eq!(mapped, [0, 1, 4, 5, 6, 6, 9, 10]);
        for m in mapped {
            assert!(text.is_char_boundary(base + m), "{m} in {text:?}");
        }
    }

    #[test]
    fn spans_on_invalid_utf8_lines_stay_on_char_boundaries() {
        // Invalid bytes, a BOM and an `é` (spans may start or end inside either), a line
        // break inside a quoted cell.
        let bytes: &[u8] = b"algo,model\n\xFF\xFE\xEF\xBB\xBFx,\"\xC3\xA9\n\"\na\xC3";
        let lines = LineIndex::new(bytes);
        for start in 0..bytes.len() {
            for end in start..=bytes.len() {
                let (excerpt, spans) =
                    Excerpt::new("f", bytes, &lines, &[Span::new(start, end)], None);
                let span = spans[0];
                let (from, to) = (span.offset(), span.offset() + span.len());
                assert!(excerpt.text.is_char_boundary(from), "{start}..{end}");
                assert!(excerpt.text.is_char_boundary(to), "{start}..{end}");
                excerpt.read_span(&span, 0, 0).expect("in bounds");
                excerpt.read_span(&span, 1, 1).expect("in bounds");
            }
        }
    }
}
