//! CSV framing exactly as MLTK reads it.
//!
//! MLTK opens the file in text mode (Python's universal newlines: `\r\n`, `\r` and `\n` all end
//! a line) and hands it to `csv.DictReader` with the default "excel" dialect, `strict=False`.
//! This module reproduces CPython's `_csv` reader state machine over the raw bytes, so that
//! every cell keeps its byte range and the map from its decoded text back to the file. The
//! `csv` crate follows RFC 4180 instead (a stray quote, `\r\r\n` and an unterminated quote
//! behave differently there), so it serves as a cross-check in the tests, not as the reader.

use std::sync::Arc;

use super::span::{CellMap, Dropped, Span};

/// One cell of a record.
#[derive(Debug, Clone)]
pub struct Field {
    /// Decoded text, as Python's csv module yields it (lossy if the file is not UTF-8).
    /// Shared, so that the JSON parsed from it can point into it (`json::parse_shared`).
    pub value: Arc<String>,
    /// Map from decoded offsets to the file.
    pub map: CellMap,
}

impl Field {
    /// The raw cell in the file, quotes included.
    pub fn span(&self) -> Span {
        self.map.raw()
    }
}

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineEnding {
    /// `\r\n`, what MLTK's `csv.writer` writes.
    CrLf,
    /// `\n`.
    Lf,
    /// A lone `\r`.
    Cr,
    /// `\r\r\n`: `\r\n` passed through a Windows text-mode file.
    CrCrLf,
}

impl LineEnding {
    /// The bytes as they would be escaped in a message.
    pub fn escaped(self) -> &'static str {
        match self {
            LineEnding::CrLf => "\\r\\n",
            LineEnding::Lf => "\\n",
            LineEnding::Cr => "\\r",
            LineEnding::CrCrLf => "\\r\\r\\n",
        }
    }
}

/// One logical CSV record.
#[derive(Debug, Clone)]
pub struct Record {
    /// The cells, in order.
    pub fields: Vec<Field>,
    /// From the first byte of the record to the end of its last cell (terminator excluded).
    pub span: Span,
    /// The terminator after the record, if any, and where it is.
    pub ending: Option<(LineEnding, Span)>,
}

impl Record {
    /// A record from a blank line, which `DictReader` skips.
    pub fn is_blank(&self) -> bool {
        self.fields.is_empty()
    }
}

/// What a quote did that a well-formed CSV file never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteProblem {
    /// A quoted cell never closes; Python takes the rest of the file as the cell.
    Unterminated,
    /// Text follows a closing quote; Python appends it to the cell.
    TextAfterClosingQuote,
    /// A quote inside an unquoted cell; Python keeps it as a literal character.
    QuoteInUnquotedField,
}

/// A quoting problem with its place in the file.
#[derive(Debug, Clone, Copy)]
pub struct QuoteIssue {
    /// What went wrong.
    pub problem: QuoteProblem,
    /// The offending quote (for `Unterminated`: the opening quote).
    pub span: Span,
    /// Index of the record it happened in.
    pub record: usize,
}

/// The records of a file and everything unusual about its framing.
#[derive(Debug, Clone, Default)]
pub struct Framing {
    /// Every record, blank ones included (in file order).
    pub records: Vec<Record>,
    /// Quoting problems in file order.
    pub quote_issues: Vec<QuoteIssue>,
    /// Where reading stopped after [`MAX_CELLS`] cells, if it did: nothing after this offset
    /// was framed or checked.
    pub truncated_at: Option<usize>,
    /// Cells that were not valid UTF-8 (their values are lossy).
    pub invalid_utf8_cells: usize,
}

impl Framing {
    /// Whether the cells prove the file valid UTF-8, so that it need not be validated again
    /// (a pass over every byte): every byte was framed, no quote was misplaced and every cell
    /// is valid. What is left out of the cells is ASCII (delimiters, quotes, carriage
    /// returns), and only a quote closed in mid-cell (`"a"b`, a quote issue) can join the two
    /// halves of a character that the file splits. `false` says nothing either way.
    pub fn proves_utf8(&self) -> bool {
        self.truncated_at.is_none() && self.quote_issues.is_empty() && self.invalid_utf8_cells == 0
    }
}

/// Cells plus records framed in one file. An MLTK artifact has six cells in two records;
/// every cell or record costs a hundred bytes or more of bookkeeping, so a file of commas or
/// line breaks would otherwise take memory far beyond its size. Past the cap reading stops
/// and the linter reports MLTK109.
pub const MAX_CELLS: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuotedField,
    QuoteInQuotedField,
}

struct Reader<'a> {
    bytes: &'a [u8],
    framing: Framing,
    fields: Vec<Field>,
    field: Vec<u8>,
    map: CellMap,
    field_start: usize,
    record_start: usize,
    open_quote: usize,
    cells: usize,
}

impl Reader<'_> {
    fn begin_field(&mut self, at: usize) {
        self.field.clear();
        self.field_start = at;
        self.map = CellMap::new(Span::at(at));
    }

    /// Keep the first quote of a `""` pair; the second is dropped after it.
    fn keep_doubled_quote(&mut self) {
        self.field.push(b'"');
        self.map
            .push_dropped(self.field.len(), Dropped::DoubledQuote);
    }

    fn save_field(&mut self, end: usize) {
        self.cells += 1;
        let mut map = std::mem::take(&mut self.map);
        map.set_raw_end(end);
        let value = match String::from_utf8(std::mem::take(&mut self.field)) {
            Ok(s) => s,
            Err(e) => {
                self.framing.invalid_utf8_cells += 1;
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        self.fields.push(Field {
            value: Arc::new(value),
            map,
        });
    }

    fn end_record(&mut self, end: usize, ending: Option<(LineEnding, Span)>) {
        let fields = std::mem::take(&mut self.fields);
        self.framing.records.push(Record {
            fields,
            span: Span::new(self.record_start, end),
            ending,
        });
    }

    fn quote_issue(&mut self, problem: QuoteProblem, span: Span) {
        let record = self.framing.records.len();
        self.framing.quote_issues.push(QuoteIssue {
            problem,
            span,
            record,
        });
    }

    /// Copy a quoted cell's text from `i` up to the next quote that is not half of a `""`
    /// pair, or carriage return, or the end; each `""` is kept as one quote (what
    /// `QuoteInQuotedField` does with it) without a round through the states. Returns where
    /// it stopped. A JSON cell has two `""` pairs per string, a few bytes apart: going back
    /// through the reader's loop for each cost 6 % of the reading (the cell cap, the newline
    /// test and the state match once per pair).
    fn copy_quoted_run(&mut self, mut i: usize) -> usize {
        let bytes = self.bytes;
        loop {
            let rest = &bytes[i..];
            let run = quote_or_cr(rest);
            let pair = rest.get(run) == Some(&b'"') && rest.get(run + 1) == Some(&b'"');
            // The first quote of a `""` pair is kept, copied with the run before it.
            self.field
                .extend_from_slice(&rest[..run + usize::from(pair)]);
            i += run;
            if !pair {
                return i;
            }
            self.map
                .push_dropped(self.field.len(), Dropped::DoubledQuote);
            i += 2;
        }
    }

    /// Length and kind of the line terminator at `i`, if there is one.
    fn newline_at(&self, i: usize) -> Option<(usize, LineEnding)> {
        match self.bytes.get(i)? {
            b'\n' => Some((1, LineEnding::Lf)),
            b'\r' => match (self.bytes.get(i + 1), self.bytes.get(i + 2)) {
                (Some(b'\n'), _) => Some((2, LineEnding::CrLf)),
                (Some(b'\r'), Some(b'\n')) => Some((3, LineEnding::CrCrLf)),
                _ => Some((1, LineEnding::Cr)),
            },
            _ => None,
        }
    }
}

/// The index of the first `"` or `\r` in `bytes` (its length if none).
fn quote_or_cr(bytes: &[u8]) -> usize {
    let lanes = |word| lanes_equal(word, b'"') | lanes_equal(word, b'\r');
    first_marked(bytes, lanes, |rest| memchr::memchr2(b'"', b'\r', rest)).unwrap_or(bytes.len())
}

/// The index of the first `"` in `bytes`, if any.
fn next_quote(bytes: &[u8]) -> Option<usize> {
    first_marked(
        bytes,
        |word| lanes_equal(word, b'"'),
        |rest| memchr::memchr(b'"', rest),
    )
}

/// The first byte of `bytes` that `lanes` marks in its first two words, else what `search`
/// (memchr) finds after them. Most runs of a JSON cell are short (a key or a word between
/// two `""` pairs) and end within two words, found without a call; base64 payloads make the
/// others long, and memchr crosses them a vector at a time.
fn first_marked(
    bytes: &[u8],
    lanes: impl Fn(u64) -> u64,
    search: impl FnOnce(&[u8]) -> Option<usize>,
) -> Option<usize> {
    for (word, start) in bytes.chunks_exact(8).take(2).zip([0, 8]) {
        let found = lanes(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if found != 0 {
            return Some(start + first_lane(found));
        }
    }
    let from = (bytes.len() / 8).min(2) * 8;
    search(&bytes[from..]).map(|at| from + at)
}

/// The bytes of `word` (little-endian lanes) equal to `byte`, as the top bit of each lane.
/// Exact: no carry crosses a lane, so a match never marks its neighbour.
fn lanes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The lane of the lowest top bit set in `found` (not zero).
fn first_lane(found: u64) -> usize {
    (found.trailing_zeros() / 8) as usize
}

/// The raw length of a quoted field's content (up to the first `"` that is not the first of
/// a `""` pair, or to the end of the input) and the number of bytes decoding drops from it:
/// the second quote of each `""` and the `\r` of each `\r\n`.
fn quoted_len(content: &[u8]) -> (usize, usize) {
    let mut at = 0;
    let mut pairs = 0;
    let len = loop {
        let Some(quote) = next_quote(&content[at..]) else {
            break content.len();
        };
        let quote = at + quote;
        if content.get(quote + 1) != Some(&b'"') {
            break quote;
        }
        pairs += 1;
        at = quote + 2;
    };
    let crlf = memchr::memchr_iter(b'\r', &content[..len])
        .filter(|&cr| content.get(cr + 1) == Some(&b'\n'))
        .count();
    (len, pairs + crlf)
}

/// Read every record of `bytes` the way Python's csv reader does.
pub fn read(bytes: &[u8]) -> Framing {
    let mut r = Reader {
        bytes,
        framing: Framing::default(),
        fields: Vec::new(),
        field: Vec::new(),
        map: CellMap::default(),
        field_start: 0,
        record_start: 0,
        open_quote: 0,
        cells: 0,
    };
    let mut state = State::StartRecord;
    let mut i = 0;
    while i < bytes.len() {
        // Blank records count too: a file of line breaks is a record per byte.
        if r.cells + r.framing.records.len() >= MAX_CELLS {
            r.framing.truncated_at = Some(i);
            if !r.fields.is_empty() {
                r.end_record(i, None);
            }
            return r.framing;
        }
        let c = bytes[i];
        let newline = if c == b'\r' || c == b'\n' {
            r.newline_at(i)
        } else {
            None
        };
        match state {
            State::StartRecord => {
                r.record_start = i;
                if let Some((len, ending)) = newline {
                    // A blank line: Python's reader yields `[]`, which `DictReader` skips.
                    r.end_record(i, Some((ending, Span::new(i, i + len))));
                    i += len;
                    continue;
                }
                state = State::StartField;
                continue;
            }
            State::StartField => {
                if let Some((len, ending)) = newline {
                    r.begin_field(i);
                    r.save_field(i);
                    r.end_record(i, Some((ending, Span::new(i, i + len))));
                    state = State::StartRecord;
                    i += len;
                    continue;
                }
                r.begin_field(i);
                match c {
                    b'"' => {
                        r.map.push_dropped(0, Dropped::Quote);
                        r.open_quote = i;
                        // One allocation of the decoded length instead of a buffer doubled
                        // up to a 30 MB cell, which left the smaller copies behind as freed
                        // memory; and one for the drop points, which for a cell of `""`
                        // would otherwise peak at one and a half times their size while
                        // doubling.
                        let (len, drops) = quoted_len(&bytes[i + 1..]);
                        r.field.reserve(len - drops);
                        r.map.reserve(drops + 1);
                        state = State::InQuotedField;
                    }
                    b',' => {
                        r.save_field(i);
                        state = State::StartField;
                    }
                    _ => {
                        r.field.push(c);
                        state = State::InField;
                    }
                }
            }
            State::InField => {
                if let Some((len, ending)) = newline {
                    r.save_field(i);
                    r.end_record(i, Some((ending, Span::new(i, i + len))));
                    state = State::StartRecord;
                    i += len;
                    continue;
                }
                match c {
                    b',' => {
                        r.save_field(i);
                        state = State::StartField;
                    }
                    b'"' => {
                        r.quote_issue(QuoteProblem::QuoteInUnquotedField, Span::new(i, i + 1));
                        r.field.push(c);
                    }
                    _ => r.field.push(c),
                }
            }
            State::InQuotedField => {
                let start = i;
                i = r.copy_quoted_run(i);
                if i > start {
                    continue;
                }
                if c == b'"' {
                    state = State::QuoteInQuotedField;
                } else {
                    // `\r\n` becomes `\n`; a lone `\r` becomes `\n` (universal newlines).
                    if bytes.get(i + 1) == Some(&b'\n') {
                        r.map.push_dropped(r.field.len(), Dropped::CarriageReturn);
                        r.field.push(b'\n');
                        i += 2;
                        continue;
                    }
                    r.field.push(b'\n');
                }
            }
            State::QuoteInQuotedField => {
                if c == b'"' {
                    r.keep_doubled_quote();
                    state = State::InQuotedField;
                } else {
                    r.map.push_dropped(r.field.len(), Dropped::Quote);
                    if let Some((len, ending)) = newline {
                        r.save_field(i);
                        r.end_record(i, Some((ending, Span::new(i, i + len))));
                        state = State::StartRecord;
                        i += len;
                        continue;
                    }
                    if c == b',' {
                        r.save_field(i);
                        state = State::StartField;
                    } else {
                        r.quote_issue(QuoteProblem::TextAfterClosingQuote, Span::new(i - 1, i));
                        r.field.push(c);
                        state = State::InField;
                    }
                }
            }
        }
        i += 1;
    }
    let end = bytes.len();
    match state {
        State::StartRecord => {}
        State::InQuotedField => {
            let open = r.open_quote;
            r.quote_issue(QuoteProblem::Unterminated, Span::new(open, open + 1));
            r.save_field(end);
            r.end_record(end, None);
        }
        State::QuoteInQuotedField => {
            r.map.push_dropped(r.field.len(), Dropped::Quote);
            r.save_field(end);
            r.end_record(end, None);
        }
        State::StartField | State::InField => {
            if state == State::StartField {
                r.begin_field(end);
            }
            r.save_field(end);
            r.end_record(end, None);
        }
    }
    r.framing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_len_stops_at_the_closing_quote() {
        assert_eq!(quoted_len(b"ab\"\"c\",x"), (5, 1));
        assert_eq!(quoted_len(b"\",x"), (0, 0));
        assert_eq!(quoted_len(b"\"\""), (2, 1));
        assert_eq!(quoted_len(b"\"\"\"\"\","), (4, 2));
        assert_eq!(quoted_len(b"unterminated"), (12, 0));
        // The `\r` of a `\r\n` is dropped too; a lone `\r` becomes `\n`.
        assert_eq!(quoted_len(b"a\r\nb\rc\"\"\r\n\",\r\n"), (10, 3));
    }

    #[test]
    fn quote_or_cr_finds_the_first() {
        for text in [
            "",
            "abc",
            "abcdefgh\"",
            "abcdefghijklmno\r",
            "\"",
            "a\rb\"",
            "0123456789abcdef",
        ] {
            let want = text
                .bytes()
                .position(|b| b == b'"' || b == b'\r')
                .unwrap_or(text.len());
            assert_eq!(quote_or_cr(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn word_scans_agree_with_a_byte_loop_at_every_position() {
        // Every length across the two words and into memchr's part, the match in every lane,
        // and bytes one bit away from `"` (0x22) and `\r` (0x0D), which a carry between lanes
        // would confuse.
        let near = [b'"', b'\r', 0x23, 0x20, 0xA2, 0x0C, 0x8D, 0x00, 0xFF, b'a'];
        for len in 0..40 {
            for at in 0..=len {
                for &filler in &near[2..] {
                    for &hit in &near {
                        let mut bytes = vec![filler; len];
                        if at < len {
                            bytes[at] = hit;
                        }
                        let first = |set: &[u8]| bytes.iter().position(|b| set.contains(b));
                        assert_eq!(
                            quote_or_cr(&bytes),
                            first(b"\"\r").unwrap_or(len),
                            "{bytes:?}"
                        );
                        assert_eq!(next_quote(&bytes), first(b"\""), "{bytes:?}");
                    }
                }
            }
        }
    }

    fn values(framing: &Framing) -> Vec<Vec<String>> {
        framing
            .records
            .iter()
            .map(|r| r.fields.iter().map(|f| f.value.to_string()).collect())
            .collect()
    }

    #[test]
    fn reads_mltk_shape() {
        let text = b"algo,model,options\r\nLR,\"{\"\"a\"\": 1}\",\"{}\"\r\n";
        let framing = read(text);
        assert_eq!(
            values(&framing),
            vec![
                vec!["algo", "model", "options"],
                vec!["LR", "{\"a\": 1}", "{}"]
            ]
        );
        let model = &framing.records[1].fields[1];
        assert_eq!(
            &text[model.span().start..model.span().end],
            b"\"{\"\"a\"\": 1}\""
        );
        // decoded `"a"` (1..4) is `""a""` in the file
        let key = model.map.span(1..4);
        assert_eq!(&text[key.start..key.end], b"\"\"a\"\"");
        assert_eq!(
            framing.records[1].ending.map(|e| e.0),
            Some(LineEnding::CrLf)
        );
        assert!(framing.quote_issues.is_empty());
    }

    #[test]
    fn crcrlf_gives_blank_records() {
        let text = b"a,b\r\r\nc,d\r\r\n";
        let framing = read(text);
        let rows = values(&framing);
        // `\r\r\n` is one ending here; Python sees a line end and a blank line, which
        // `DictReader` skips, so the rows are the same.
        assert_eq!(rows, vec![vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(
            framing.records[0].ending.map(|e| e.0),
            Some(LineEnding::CrCrLf)
        );
        let blank = read(b"a\n\r\r\nb\n");
        assert!(blank.records[1].is_blank());
    }

    #[test]
    fn python_quirks() {
        // text after a closing quote is appended; a quote inside an unquoted cell is literal
        let framing = read(b"\"ab\"cd,e\"f\n");
        assert_eq!(values(&framing), vec![vec!["abcd", "e\"f"]]);
        let problems: Vec<_> = framing.quote_issues.iter().map(|q| q.problem).collect();
        assert_eq!(
            problems,
            vec![
                QuoteProblem::TextAfterClosingQuote,
                QuoteProblem::QuoteInUnquotedField
            ]
        );
    }

    #[test]
    fn unterminated_quote_takes_the_rest() {
        let framing = read(b"a,\"b\nc,d\n");
        assert_eq!(values(&framing), vec![vec!["a", "b\nc,d\n"]]);
        assert_eq!(framing.quote_issues[0].problem, QuoteProblem::Unterminated);
        assert_eq!(framing.quote_issues[0].span, Span::new(2, 3));
    }

    #[test]
    fn trailing_empty_field_and_no_final_newline() {
        let framing = read(b"a,\nb");
        assert_eq!(values(&framing), vec![vec!["a", ""], vec!["b"]]);
    }

    #[test]
    fn agrees_with_csv_crate_on_well_formed_text() {
        let text =
            b"algo,model,options\r\nX,\"{\"\"k\"\": [1, 2]}\",\"{\"\"a\"\": \"\"b,c\"\"}\"\r\n";
        let ours = values(&read(text));
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&text[..]);
        let theirs: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("valid").iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(ours, theirs);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 20_000,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// CSV syntax around the pieces of multi-byte characters, whole and split, so that
        /// quotes and line breaks land inside characters.
        #[test]
        fn cells_prove_utf8_only_for_valid_files(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![
                    b'"', b',', b'\r', b'\n', b'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F,
                    0x98, 0x80, 0xFF, 0xC0,
                ]),
                0..24,
            )
        ) {
            let framing = read(&bytes);
            if framing.proves_utf8() {
                proptest::prop_assert!(std::str::from_utf8(&bytes).is_ok(), "{:?}", bytes);
            }
        }
    }
}
