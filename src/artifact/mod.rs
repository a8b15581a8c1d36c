//! The `.mlmodel` file as source text: bytes, lines, CSV records and encoding facts.

pub mod csv;
pub mod span;

use self::csv::{Field, Framing, Record};
use self::span::{LineIndex, Span};

/// Where the bytes are not the UTF-8 text MLTK expects.
#[derive(Debug, Clone, Default)]
pub struct Encoding {
    /// A UTF-8 byte-order mark at the start.
    pub bom: bool,
    /// The first byte that is not valid UTF-8, and how many bytes in all are.
    pub invalid_utf8: Option<(usize, usize)>,
    /// Offsets of NUL bytes (the first few) and their count.
    pub nul: Vec<usize>,
    /// Total NUL bytes.
    pub nul_count: usize,
}

/// A git conflict marker line.
#[derive(Debug, Clone)]
pub struct ConflictMarker {
    /// The marker line, terminator excluded.
    pub span: Span,
    /// `<<<<<<<`, `=======`, `|||||||` or `>>>>>>>`.
    pub marker: &'static str,
}

/// An artifact read from disk or stdin.
#[derive(Debug)]
pub struct Artifact {
    /// The raw bytes.
    pub bytes: Vec<u8>,
    /// Line starts.
    pub lines: LineIndex,
    /// CSV records as MLTK's reader sees them.
    pub framing: Framing,
    /// Encoding facts.
    pub encoding: Encoding,
    /// Git conflict markers at line starts.
    pub conflict_markers: Vec<ConflictMarker>,
    header: Option<usize>,
    rows: Vec<usize>,
}

impl Artifact {
    /// Read an artifact from its bytes.
    pub fn parse(bytes: Vec<u8>) -> Artifact {
        let lines = LineIndex::new(&bytes);
        let framing = csv::read(&bytes);
        let encoding = scan_encoding(&bytes, framing.proves_utf8());
        let conflict_markers = find_conflict_markers(&bytes, &lines);
        // DictReader takes the first record as the header, blank or not, then skips blank
        // records.
        let header = if framing.records.is_empty() {
            None
        } else {
            Some(0)
        };
        let rows = framing
            .records
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, record)| !record.is_blank())
            .map(|(index, _)| index)
            .collect();
        Artifact {
            bytes,
            lines,
            framing,
            encoding,
            conflict_markers,
            header,
            rows,
        }
    }

    /// Free the CSV records (the cells hold a second, un-doubled copy of the file), keeping
    /// what rendering findings needs: the bytes, the line index and the encoding facts.
    /// Afterwards the artifact has no records. The linter calls this on reports that wait
    /// to be printed, so that a run holds one copy of each file in flight, not two.
    pub fn release_cells(&mut self) {
        self.framing = Framing::default();
        self.header = None;
        self.rows = Vec::new();
    }

    /// The header record.
    pub fn header(&self) -> Option<&Record> {
        self.framing.records.get(self.header?)
    }

    /// Header names as Python sees them (a BOM stays part of the first name).
    pub fn column_names(&self) -> Vec<&str> {
        self.header()
            .map(|h| h.fields.iter().map(|f| f.value.as_str()).collect())
            .unwrap_or_default()
    }

    /// Non-blank data records, in order; MLTK loads only the first.
    pub fn data_rows(&self) -> impl Iterator<Item = &Record> {
        self.rows.iter().map(|&index| &self.framing.records[index])
    }

    /// The first data record.
    pub fn first_row(&self) -> Option<&Record> {
        self.data_rows().next()
    }

    /// Index in `framing.records` of the n-th data row.
    pub fn data_row_index(&self, n: usize) -> Option<usize> {
        self.rows.get(n).copied()
    }

    /// The first data row's cell under column `name` (the last such column, as a dict keeps).
    pub fn cell(&self, name: &str) -> Option<&Field> {
        let column = self
            .column_names()
            .iter()
            .rposition(|column| *column == name)?;
        self.first_row()?.fields.get(column)
    }
}

/// `known_utf8`: the CSV reader's cells prove the file valid ([`csv::Framing::proves_utf8`]).
fn scan_encoding(bytes: &[u8], known_utf8: bool) -> Encoding {
    let mut encoding = Encoding {
        bom: bytes.starts_with(b"\xEF\xBB\xBF"),
        ..Encoding::default()
    };
    if !known_utf8 && let Err(first) = std::str::from_utf8(bytes) {
        let mut invalid = 0;
        for chunk in bytes.utf8_chunks() {
            invalid += chunk.invalid().len();
        }
        encoding.invalid_utf8 = Some((first.valid_up_to(), invalid));
    }
    for at in memchr::memchr_iter(0, bytes) {
        encoding.nul_count += 1;
        if encoding.nul.len() < 16 {
            encoding.nul.push(at);
        }
    }
    encoding
}

fn find_conflict_markers(bytes: &[u8], lines: &LineIndex) -> Vec<ConflictMarker> {
    const MARKERS: [&str; 4] = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"];
    let mut found = Vec::new();
    for line in 0..lines.line_count() {
        let start = lines.line_start(line);
        let next = lines.line_start(line + 1);
        let text = &bytes[start..next.max(start)];
        let Some(marker) = MARKERS.iter().find(|m| text.starts_with(m.as_bytes())) else {
            continue;
        };
        // A marker is the 7 characters alone or followed by a space and a label.
        let rest = &text[7..];
        let rest_trimmed: &[u8] = rest
            .strip_suffix(b"\n")
            .map(|r| r.strip_suffix(b"\r").unwrap_or(r))
            .or_else(|| rest.strip_suffix(b"\r"))
            .unwrap_or(rest);
        let ok = match *marker {
            "=======" => rest_trimmed.is_empty(),
            _ => rest_trimmed.is_empty() || rest_trimmed.starts_with(b" "),
        };
        if ok {
            let end = start + 7 + rest_trimmed.len();
            found.push(ConflictMarker {
                span: Span::new(start, end),
                marker,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rows_cells_and_markers() {
        let text = b"algo,model,options\r\n<<<<<<< HEAD\r\nA,\"{}\",\"{}\"\r\n=======\r\nB,\"{}\",\"{}\"\r\n>>>>>>> abc\r\n";
        let artifact = Artifact::parse(text.to_vec());
        assert_eq!(artifact.column_names(), ["algo", "model", "options"]);
        assert_eq!(
            artifact.cell("algo").map(|f| f.value.as_str()),
            Some("<<<<<<< HEAD")
        );
        assert_eq!(artifact.data_rows().count(), 5);
        let markers: Vec<_> = artifact.conflict_markers.iter().map(|m| m.marker).collect();
        assert_eq!(markers, ["<<<<<<<", "=======", ">>>>>>>"]);
    }

    #[test]
    fn encoding_facts() {
        let artifact = Artifact::parse(b"\xEF\xBB\xBFalgo,\xFF\x00\n".to_vec());
        assert!(artifact.encoding.bom);
        assert_eq!(artifact.encoding.invalid_utf8, Some((8, 1)));
        assert_eq!(artifact.encoding.nul, [9]);
        assert_eq!(artifact.column_names()[0], "\u{feff}algo");
    }
}
