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
        self.text
            .push_str(&String::from_utf8_lossy(&shown).replace(['\r', '\n'], " "));
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
        // Lossy conversion may change lengths for invalid UTF-8; clamp inside the window.
        let window_end = self.text.len();
        let offset = (excerpt_start + lead.len() + (start - from)).min(window_end);
        let len = (span_end - start).min(window_end - offset);
        SourceSpan::new(offset.into(), len)
    }

    fn window_of(&self, offset: usize) -> Option<&Window> {
        self.windows
            .iter()
            .find(|w| offset >= w.excerpt_start && offset <= w.excerpt_start + w.excerpt_len)
    }
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
