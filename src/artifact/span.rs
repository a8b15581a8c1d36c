//! Every offset conversion in the crate lives here.
//!
//! Three coordinate systems stack up in an artifact: the file's bytes, a CSV cell's raw bytes
//! (quoted, with `""` for each `"`), and the decoded cell text that the JSON parser sees.
//! [`CellMap`] lifts decoded-cell offsets to file offsets and [`LineIndex`] turns file offsets
//! into 1-based line and column numbers. Nothing else in the crate does offset arithmetic.

use std::ops::Range;

/// A half-open byte range into the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte, 0-based.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from a byte range.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// An empty span at one offset.
    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

/// A 1-based line or column number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OneIndexed(usize);

impl OneIndexed {
    /// From a 0-based index.
    pub fn from_zero_indexed(index: usize) -> Self {
        OneIndexed(index + 1)
    }

    /// The 1-based value.
    pub fn get(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for OneIndexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A line and column position, both 1-based; the column counts characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    /// 1-based line.
    pub line: OneIndexed,
    /// 1-based column, in characters.
    pub column: OneIndexed,
}

/// Line starts of a file. A line ends at `\n`, at `\r\n`, or at a lone `\r` (Python's universal
/// newlines, which is how MLTK reads the file), so `\r\r\n` ends two lines.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Offsets,
    len: usize,
    /// Column (0-based, in characters) at every [`BLOCK`]-byte boundary of the file, built
    /// on first need: a column on a long line is counted from the nearest boundary, not
    /// from the line start, so thousands of findings on one long line stay linear.
    block_columns: std::sync::OnceLock<Vec<usize>>,
}

/// Offsets, 4 bytes each while they fit and 8 once one does not. The line starts of a file
/// of line breaks and the drop points of a cell of `""` pairs have an entry every byte or
/// two, so their width is most of the memory bound (docs/robustness.md, "Memory and time
/// bound"): 8-byte entries took eight times such a file, or more while a vector doubled.
#[derive(Debug, Clone)]
enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Offsets {
    fn default() -> Self {
        Offsets::Narrow(Vec::new())
    }
}

impl Offsets {
    fn with_capacity(capacity: usize) -> Self {
        Offsets::Narrow(Vec::with_capacity(capacity))
    }

    fn reserve_exact(&mut self, additional: usize) {
        match self {
            Offsets::Narrow(values) => values.reserve_exact(additional),
            Offsets::Wide(values) => values.reserve_exact(additional),
        }
    }

    // Inlined: the CSV reader pushes a drop point for every `""` of a model cell.
    #[inline]
    fn push(&mut self, value: u64) {
        match self {
            Offsets::Narrow(values) => match u32::try_from(value) {
                Ok(narrow) => values.push(narrow),
                Err(_) => self.widen_and_push(value),
            },
            Offsets::Wide(values) => values.push(value),
        }
    }

    #[cold]
    fn widen_and_push(&mut self, value: u64) {
        if let Offsets::Narrow(values) = self {
            let mut wide = Vec::with_capacity(values.capacity().max(values.len() + 1));
            wide.extend(values.iter().map(|&v| u64::from(v)));
            *self = Offsets::Wide(wide);
        }
        if let Offsets::Wide(values) = self {
            values.push(value);
        }
    }

    fn len(&self) -> usize {
        match self {
            Offsets::Narrow(values) => values.len(),
            Offsets::Wide(values) => values.len(),
        }
    }

    fn get(&self, index: usize) -> Option<u64> {
        match self {
            Offsets::Narrow(values) => values.get(index).map(|&v| u64::from(v)),
            Offsets::Wide(values) => values.get(index).copied(),
        }
    }

    /// The index of the first value for which `before` is false (all values for which it
    /// is true come first).
    fn partition_point(&self, before: impl Fn(u64) -> bool) -> usize {
        match self {
            Offsets::Narrow(values) => values.partition_point(|&v| before(u64::from(v))),
            Offsets::Wide(values) => values.partition_point(|&v| before(v)),
        }
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let (narrow, wide) = match self {
            Offsets::Narrow(values) => (Some(values.iter().map(|&v| u64::from(v))), None),
            Offsets::Wide(values) => (None, Some(values.iter().copied())),
        };
        narrow
            .into_iter()
            .flatten()
            .chain(wide.into_iter().flatten())
    }
}

/// `usize` to `u64`, lossless on every target Rust supports.
fn wide(offset: usize) -> u64 {
    offset as u64
}

/// `u64` back to `usize`: only ever a value that came from a `usize`.
fn narrow(offset: u64) -> usize {
    offset as usize
}

/// Distance between the column checkpoints of [`LineIndex`].
const BLOCK: usize = 4096;

/// Characters in `bytes`: UTF-8 lead bytes (continuation bytes belong to the previous
/// character; invalid bytes count one each).
fn chars_in(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        bytes.len()
    } else {
        bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
    }
}

impl LineIndex {
    /// Index the line starts of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        // An artifact has a few line breaks: when there are at most `FEW`, one pass finds
        // them. Otherwise they are counted first so that the index is allocated once at its
        // size: a file of line breaks has a start every byte, and a doubling vector would
        // peak at twice that.
        const FEW: usize = 16;
        let mut breaks = memchr::memchr2_iter(b'\n', b'\r', bytes);
        let first: Vec<usize> = breaks.by_ref().take(FEW + 1).collect();
        let capacity = if first.len() <= FEW {
            first.len() + 1
        } else {
            first.len() + breaks.count() + 1
        };
        let mut starts = Offsets::with_capacity(capacity);
        starts.push(0);
        let rest = if first.len() <= FEW {
            None
        } else {
            let from = first.last().map_or(0, |&i| i + 1);
            Some(memchr::memchr2_iter(b'\n', b'\r', &bytes[from..]).map(move |i| from + i))
        };
        // memchr2 skips the long lines of a model (one line can be the whole cell) a vector
        // at a time.
        let mut skip_lf_at = usize::MAX;
        for i in first.into_iter().chain(rest.into_iter().flatten()) {
            if i == skip_lf_at {
                continue;
            }
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                skip_lf_at = i + 1;
                starts.push(wide(i + 2));
            } else {
                starts.push(wide(i + 1));
            }
        }
        LineIndex {
            starts,
            len: bytes.len(),
            block_columns: std::sync::OnceLock::new(),
        }
    }

    /// Number of lines (a final line terminator starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = wide(offset.min(self.len));
        // Line 0 starts at 0, so at least one line starts by any offset.
        self.starts
            .partition_point(|start| start <= offset)
            .saturating_sub(1)
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).map_or(self.len, narrow)
    }

    /// Line and column of `offset`; the column counts characters of `bytes` (invalid UTF-8
    /// bytes count one each).
    pub fn line_column(&self, bytes: &[u8], offset: usize) -> LineColumn {
        let offset = offset.min(bytes.len());
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let block = offset / BLOCK * BLOCK;
        let column = if block <= start {
            chars_in(&bytes[start..offset])
        } else {
            self.block_column(bytes, block / BLOCK) + chars_in(&bytes[block..offset])
        };
        LineColumn {
            line: OneIndexed::from_zero_indexed(line),
            column: OneIndexed::from_zero_indexed(column),
        }
    }

    /// The 0-based column at byte `k * BLOCK`.
    fn block_column(&self, bytes: &[u8], k: usize) -> usize {
        let columns = self.block_columns.get_or_init(|| {
            let mut columns = Vec::with_capacity(bytes.len() / BLOCK + 1);
            let mut column = 0;
            for k in 0..=bytes.len() / BLOCK {
                let at = k * BLOCK;
                let start = self.line_start(self.line_of(at));
                column = if k == 0 || start > at - BLOCK {
                    chars_in(&bytes[start..at])
                } else {
                    column + chars_in(&bytes[at - BLOCK..at])
                };
                columns.push(column);
            }
            columns
        });
        columns.get(k).copied().unwrap_or(0)
    }
}

/// Why a raw byte of a cell is missing from its decoded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// A quote that opens or closes a quoted cell, or a stray one.
    Quote,
    /// The second quote of a `""` pair.
    DoubledQuote,
    /// The `\r` of a `\r\n` inside a quoted cell (universal newlines).
    CarriageReturn,
}

/// Maps offsets in a decoded CSV cell back to file offsets.
///
/// Decoding only ever drops bytes (quotes and the `\r` of `\r\n`), so the map is the cell's
/// raw start plus the sorted list of decoded offsets before which a raw byte was dropped.
#[derive(Debug, Clone, Default)]
pub struct CellMap {
    raw: Span,
    /// Drop points: the decoded offset shifted left by two, and why in the low two bits
    /// ([`drop_point`]).
    dropped: Offsets,
}

/// A drop point as [`CellMap`] stores it.
fn drop_point(decoded: usize, why: Dropped) -> u64 {
    let why = match why {
        Dropped::Quote => 0,
        Dropped::DoubledQuote => 1,
        Dropped::CarriageReturn => 2,
    };
    // Offsets are below the file size, far from the top two bits.
    wide(decoded) << 2 | why
}

/// The decoded offset of a stored drop point.
fn drop_at(point: u64) -> usize {
    narrow(point >> 2)
}

/// Why a stored drop point dropped a byte.
fn drop_why(point: u64) -> Dropped {
    match point & 3 {
        0 => Dropped::Quote,
        1 => Dropped::DoubledQuote,
        _ => Dropped::CarriageReturn,
    }
}

impl CellMap {
    /// A cell whose raw bytes are `raw` in the file.
    pub fn new(raw: Span) -> Self {
        CellMap {
            raw,
            dropped: Offsets::default(),
        }
    }

    /// Record that a raw byte was dropped just before decoded offset `decoded`.
    /// Calls must come in increasing order of `decoded`.
    pub fn push_dropped(&mut self, decoded: usize, why: Dropped) {
        self.dropped.push(drop_point(decoded, why));
    }

    /// Make room for `additional` more drop points at once (the reader counts a quoted
    /// cell's `""` pairs before copying it), so that the list is not doubled into place.
    pub fn reserve(&mut self, additional: usize) {
        self.dropped.reserve_exact(additional);
    }

    /// Set where the raw cell ends, once the reader knows.
    pub fn set_raw_end(&mut self, end: usize) {
        self.raw.end = end.max(self.raw.start);
    }

    /// The recorded drop points, in order.
    pub fn dropped_points(&self) -> impl Iterator<Item = (usize, Dropped)> + '_ {
        self.dropped
            .iter()
            .map(|point| (drop_at(point), drop_why(point)))
    }

    /// The cell's raw bytes in the file, quotes included.
    pub fn raw(&self) -> Span {
        self.raw
    }

    /// Whether the cell was quoted.
    pub fn is_quoted(&self) -> bool {
        self.dropped.get(0) == Some(drop_point(0, Dropped::Quote))
    }

    /// File offset of the decoded byte at `decoded`.
    pub fn offset(&self, decoded: usize) -> usize {
        let before = self
            .dropped
            .partition_point(|point| drop_at(point) <= decoded);
        (self.raw.start + decoded + before).min(self.raw.end)
    }

    /// File span of the decoded range; a `""` at either edge is covered whole.
    pub fn span(&self, decoded: Range<usize>) -> Span {
        let start = self.offset(decoded.start);
        if decoded.end <= decoded.start {
            return Span::at(start);
        }
        let mut end = self.offset(decoded.end - 1) + 1;
        let after = self
            .dropped
            .partition_point(|point| drop_at(point) < decoded.end);
        if self.dropped.get(after) == Some(drop_point(decoded.end, Dropped::DoubledQuote)) {
            end += 1;
        }
        Span::new(start, end.min(self.raw.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_widen_when_a_value_does_not_fit() {
        let mut offsets = Offsets::with_capacity(2);
        offsets.push(7);
        offsets.push(u64::from(u32::MAX));
        assert!(matches!(offsets, Offsets::Narrow(_)));
        let big = u64::from(u32::MAX) + 5;
        offsets.push(big);
        assert!(matches!(offsets, Offsets::Wide(_)));
        offsets.push(big + 1);
        assert_eq!(
            offsets.iter().collect::<Vec<_>>(),
            [7, u64::from(u32::MAX), big, big + 1]
        );
        assert_eq!(offsets.len(), 4);
        assert_eq!(offsets.get(2), Some(big));
        assert_eq!(offsets.get(4), None);
        assert_eq!(offsets.partition_point(|v| v < big), 2);
    }

    #[test]
    fn drop_points_keep_their_offset_and_reason() {
        let mut map = CellMap::new(Span::at(10));
        map.push_dropped(0, Dropped::Quote);
        map.push_dropped(3, Dropped::CarriageReturn);
        map.push_dropped(5, Dropped::DoubledQuote);
        assert!(map.is_quoted());
        assert_eq!(
            map.dropped_points().collect::<Vec<_>>(),
            [
                (0, Dropped::Quote),
                (3, Dropped::CarriageReturn),
                (5, Dropped::DoubledQuote)
            ]
        );
    }

    #[test]
    fn line_index_handles_every_terminator() {
        let text = b"a\r\nb\nc\rd\r\r\ne";
        let index = LineIndex::new(text);
        // lines: "a", "b", "c", "d", "", "e"
        assert_eq!(index.line_count(), 6);
        let e = text.len() - 1;
        let lc = index.line_column(text, e);
        assert_eq!((lc.line.get(), lc.column.get()), (6, 1));
        let d = 7;
        assert_eq!(index.line_column(text, d).line.get(), 4);
    }

    /// Files with a few line breaks are indexed in one pass, others in two (count, then
    /// collect): both give the line starts a byte-by-byte reading gives, around the switch
    /// and with a `\r\n` split across it.
    #[test]
    fn line_starts_agree_with_a_byte_loop_on_both_paths() {
        let reference = |bytes: &[u8]| {
            let mut starts = vec![0];
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                        starts.push(i + 2);
                        i += 1;
                    }
                    b'\r' | b'\n' => starts.push(i + 1),
                    _ => {}
                }
                i += 1;
            }
            starts
        };
        let endings: [&[u8]; 3] = [b"\r\n", b"\n", b"\r"];
        for lines in [0, 1, 7, 8, 9, 15, 16, 17, 18, 40] {
            for pattern in 0..3 {
                let mut text = Vec::new();
                for line in 0..lines {
                    text.extend_from_slice(b"ab");
                    text.extend_from_slice(endings[(line + pattern) % 3]);
                }
                text.extend_from_slice(b"z");
                let index = LineIndex::new(&text);
                let starts: Vec<usize> = (0..index.line_count())
                    .map(|l| index.line_start(l))
                    .collect();
                assert_eq!(starts, reference(&text), "{lines} lines, pattern {pattern}");
            }
        }
    }

    #[test]
    fn columns_count_characters() {
        let text = "é,x".as_bytes();
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 3).column.get(), 3);
    }

    #[test]
    fn columns_on_long_lines_match_counting_from_the_line_start() {
        // Lines from a few bytes to several blocks, with multi-byte, invalid and CR/LF
        // bytes, from a fixed pseudo-random sequence.
        let pieces: [&[u8]; 8] = [
            b"a",
            b"\xC3\xA9",
            b"\xEF\xBB\xBF",
            b"\xFF",
            b"\n",
            b"\r\n",
            b"\r",
            b"xyz",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..6 {
            let mut bytes = Vec::new();
            while bytes.len() < 5 * BLOCK + round * 777 {
                // Line breaks are rare, so most lines span blocks.
                let pick = (crate::test_rng::xorshift(&mut state) % 1000) as usize;
                let piece = if pick < 3 {
                    pieces[4 + pick]
                } else {
                    pieces[[0, 1, 2, 3, 7][pick % 5]]
                };
                bytes.extend_from_slice(piece);
            }
            let index = LineIndex::new(&bytes);
            for offset in 0..=bytes.len() + 1 {
                let expected = {
                    let offset = offset.min(bytes.len());
                    let line = index.line_of(offset);
                    let start = index.line_start(line).min(offset);
                    let column = bytes[start..offset]
                        .iter()
                        .filter(|&&b| (b & 0xC0) != 0x80)
                        .count();
                    (line + 1, column + 1)
                };
                let got = index.line_column(&bytes, offset);
                assert_eq!(
                    (got.line.get(), got.column.get()),
                    expected,
                    "round {round}, offset {offset}"
                );
            }
        }
    }

    #[test]
    fn cell_map_through_doubled_quotes() {
        // raw cell `"{""a"": 1}"` at file offset 10; decoded `{"a": 1}`
        let raw = b"\"{\"\"a\"\": 1}\"";
        let mut map = CellMap::new(Span::new(10, 10 + raw.len()));
        map.push_dropped(0, Dropped::Quote);
        map.push_dropped(2, Dropped::DoubledQuote);
        map.push_dropped(4, Dropped::DoubledQuote);
        map.push_dropped(8, Dropped::Quote);
        assert!(map.is_quoted());
        // decoded `{` at 0 -> raw 1
        assert_eq!(map.offset(0), 11);
        // the key `"a"` is decoded 1..4 -> raw `""a""` = 2..7
        assert_eq!(map.span(1..4), Span::new(12, 17));
        assert_eq!(&raw[2..7], b"\"\"a\"\"");
        // value `1` decoded 6..7 -> raw 9..10
        assert_eq!(map.span(6..7), Span::new(19, 20));
        assert_eq!(raw[9], b'1');
    }

    #[test]
    fn unquoted_cell_is_identity() {
        let map = CellMap::new(Span::new(5, 9));
        assert!(!map.is_quoted());
        assert_eq!(map.span(1..3), Span::new(6, 8));
    }
}
