//! Re-encoding: the decoded artifact written back the way MLTK writes it.
//!
//! MLTK writes an artifact with Python's `csv.writer` (QUOTE_MINIMAL) and `json.dumps`
//! (`", "`/`": "` separators, `ensure_ascii`), with every array saved by `numpy.save` and
//! base64-encoded. [`reencode`] rebuilds the file from the decoded tree (JSON values,
//! floats re-formatted from their f64 in the spelling each one used, NPY/NPZ payloads
//! rebuilt from the parsed arrays). If the bytes come back identical, the decoder lost
//! nothing. [`Mode::Canonical`] is what `mltk-lint fmt` writes: the same values in exactly
//! the form MLTK writes (`\r\n`, no blank lines, Python's JSON).

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine as _;

use crate::artifact::Artifact;
use crate::artifact::csv::Field;
use crate::artifact::span::Dropped;
use crate::codec::model::{Model, Payload};
use crate::codec::{ModelCell, npy, npz, pyjson};
use crate::json::{Node, Number, Value};
use crate::options::OptionsCell;

/// What to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Line endings, blank lines and float spellings as read: a lossless round trip.
    AsRead,
    /// What MLTK writes: `\r\n`, no blank lines, Python 3 float repr for hand-written floats.
    Canonical,
}

/// Counts of what the encoder had to keep verbatim, for the round-trip report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Floats written as Python 3 / numpy repr.
    pub floats_repr: usize,
    /// Floats written as Python 2's 17-digit repr.
    pub floats_legacy17: usize,
    /// Values kept as their exact raw lexeme (neither spelling, or big integers).
    pub raw_lexemes: usize,
    /// NPY payloads rebuilt from decoded arrays.
    pub arrays: usize,
    /// NPY payloads whose header numpy would not write, kept as stored.
    pub arrays_raw_header: usize,
    /// NPZ payloads rebuilt.
    pub archives: usize,
}

/// The decoded pieces of one artifact (what the linter already built).
pub struct Decoded<'a> {
    /// The file.
    pub artifact: &'a Artifact,
    /// The model cell, classified.
    pub model_cell: &'a ModelCell,
    /// The model tree, when the cell is JSON.
    pub model: Option<&'a Model<'a>>,
    /// The options cell.
    pub options: &'a OptionsCell,
}

/// Why an artifact cannot be re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unencodable {
    /// The file is not UTF-8: decoded text is lossy.
    NotUtf8,
    /// Quoting problems: Python's reader guessed, so its reading cannot be written back.
    QuoteProblems,
    /// More CSV cells than the linter frames (`csv::MAX_CELLS`): only part was read.
    TooManyCells,
}

impl std::fmt::Display for Unencodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unencodable::NotUtf8 => "the file is not UTF-8",
            Unencodable::QuoteProblems => "the file has CSV quoting errors",
            Unencodable::TooManyCells => "the file has more CSV cells than are read",
        })
    }
}

/// Rebuild the file from its decoded form.
pub fn reencode(decoded: &Decoded<'_>, mode: Mode) -> Result<(Vec<u8>, Stats), Unencodable> {
    let artifact = decoded.artifact;
    if artifact.encoding.invalid_utf8.is_some() {
        return Err(Unencodable::NotUtf8);
    }
    if !artifact.framing.quote_issues.is_empty() {
        return Err(Unencodable::QuoteProblems);
    }
    if artifact.framing.truncated_at.is_some() {
        return Err(Unencodable::TooManyCells);
    }
    let mut stats = Stats::default();
    let model_field = artifact.cell("model");
    let options_field = artifact.cell("options");
    let (model_text, options_text) = encode_cells(decoded, mode, false, &mut stats);
    let mut out = Vec::with_capacity(artifact.bytes.len() + 64);
    for record in &artifact.framing.records {
        if record.is_blank() && mode == Mode::Canonical {
            continue;
        }
        for (i, field) in record.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let replaced = if model_field.is_some_and(|f| std::ptr::eq(f, field)) {
                model_text.as_deref()
            } else if options_field.is_some_and(|f| std::ptr::eq(f, field)) {
                options_text.as_deref()
            } else {
                None
            };
            let value = match replaced {
                Some(text) => Cow::Borrowed(text),
                None => restore_carriage_returns(field, mode),
            };
            write_cell(&value, record.fields.len() == 1, &mut out);
        }
        match (mode, record.ending) {
            (Mode::AsRead, Some((_, span))) => {
                out.extend_from_slice(&artifact.bytes[span.start..span.end])
            }
            (Mode::AsRead, None) => {}
            (Mode::Canonical, _) => out.extend_from_slice(b"\r\n"),
        }
    }
    Ok((out, stats))
}

/// The re-encoded `model` and `options` cells, where they are JSON. With
/// `skip_unchanged_arrays`, arrays the decoder left as parsed keep their payload text.
fn encode_cells(
    decoded: &Decoded<'_>,
    mode: Mode,
    skip_unchanged_arrays: bool,
    stats: &mut Stats,
) -> (Option<String>, Option<String>) {
    let artifact = decoded.artifact;
    let model_text = match (decoded.model_cell, decoded.model, artifact.cell("model")) {
        (ModelCell::Json(root), Some(model), Some(field)) => Some(encode_model(
            root,
            model,
            &field.value,
            mode,
            stats,
            skip_unchanged_arrays,
        )),
        _ => None,
    };
    let options_text = match (decoded.options, artifact.cell("options")) {
        (OptionsCell::Json(root), Some(field)) => Some(encode_json(
            root,
            &field.value,
            mode,
            stats,
            &HashMap::new(),
        )),
        _ => None,
    };
    (model_text, options_text)
}

/// Whether [`reencode`] in [`Mode::AsRead`] gives back the file's bytes exactly, found
/// without building the re-encoded file: arrays the decoder left as parsed are not
/// re-encoded (strict base64 has one spelling per byte string, so their payload text would
/// come back unchanged) and each cell is compared in place. What MLTK401 asks on every file;
/// `false` also when in doubt, and then [`reencode`] and [`first_difference`] say where.
pub fn reproduces_as_read(decoded: &Decoded<'_>) -> bool {
    let artifact = decoded.artifact;
    if artifact.encoding.invalid_utf8.is_some()
        || !artifact.framing.quote_issues.is_empty()
        || artifact.framing.truncated_at.is_some()
    {
        return false;
    }
    // A JSON cell comes back as it is when its re-encoding equals its decoded text, checked
    // as it is produced (no second copy of the cell); its CSV form is then checked below
    // like every other cell's. Such a cell has no raw line break (JSON escapes them), so
    // restoring carriage returns leaves it as it is.
    let mut stats = Stats::default();
    let mut json_cells: [Option<&Field>; 2] = [None, None];
    let model_ok = match (decoded.model_cell, decoded.model, artifact.cell("model")) {
        (ModelCell::Json(root), Some(model), Some(field)) => {
            let payloads = payloads(model, &mut stats, true);
            json_cells[0] = Some(field);
            json_reencodes_to(root, &field.value, &payloads)
        }
        _ => true,
    };
    let options_ok = match (decoded.options, artifact.cell("options")) {
        (OptionsCell::Json(root), Some(field)) => {
            json_cells[1] = Some(field);
            json_reencodes_to(root, &field.value, &HashMap::new())
        }
        _ => true,
    };
    if !(model_ok && options_ok) {
        return false;
    }
    let is_json_cell = |field: &Field| json_cells.iter().flatten().any(|f| std::ptr::eq(*f, field));
    let bytes = &artifact.bytes[..];
    let mut pos = 0;
    for record in &artifact.framing.records {
        for (i, field) in record.fields.iter().enumerate() {
            if i > 0 {
                if bytes.get(pos) != Some(&b',') {
                    return false;
                }
                pos += 1;
            }
            let only_field = record.fields.len() == 1;
            if is_json_cell(field)
                && let Some(len) = quoted_json_cell_len(field, only_field, bytes, pos)
            {
                debug_assert_eq!(
                    cell_len_if_written(&field.value, only_field, &bytes[pos..]),
                    Some(len)
                );
                pos += len;
                continue;
            }
            let value = restore_carriage_returns(field, Mode::AsRead);
            match cell_len_if_written(&value, only_field, &bytes[pos..]) {
                Some(len) => pos += len,
                None => return false,
            }
        }
        if let Some((_, span)) = record.ending {
            let end = pos + (span.end - span.start);
            if bytes.get(pos..end) != bytes.get(span.start..span.end) {
                return false;
            }
            pos = end;
        }
    }
    pos == bytes.len()
}

/// Whether `root` re-encodes ([`Mode::AsRead`]) to exactly `text`, the text it was parsed
/// from, with `payloads` in place of the strings they replace.
fn json_reencodes_to(root: &Node, text: &str, payloads: &HashMap<usize, String>) -> bool {
    let mut replace = |node: &Node| -> Option<String> {
        match node.value {
            Value::String(_) => payloads.get(&node.span.start).cloned(),
            _ => None,
        }
    };
    let mut sink = pyjson::Compare::new(text);
    pyjson::encode_into(
        root,
        text,
        &mut replace,
        &mut pyjson::Stats::default(),
        &mut sink,
    );
    sink.matches()
}

/// What [`cell_len_if_written`] answers for a JSON cell that re-encodes to its own text, found
/// without comparing the cell again: the raw length, when the cell starts at `pos`, was read
/// quoted and the writer quotes it too. With no quote issue in the file, a quoted cell is
/// its text with each `"` doubled, except that a line break in it may have been `\r\n` or
/// `\r`; canonical JSON has no raw line break, and the cell is checked for one (a vector
/// search, against a search and a comparison per `""` pair, two per JSON string). `None`:
/// ask [`cell_len_if_written`].
fn quoted_json_cell_len(
    field: &Field,
    only_field: bool,
    bytes: &[u8],
    pos: usize,
) -> Option<usize> {
    let span = field.span();
    let value = field.value.as_bytes();
    let quoted = span.start == pos
        && span.end >= span.start + 2
        && bytes.get(span.start) == Some(&b'"')
        && bytes.get(span.end - 1) == Some(&b'"');
    (quoted && needs_quotes(value, only_field) && memchr::memchr2(b'\r', b'\n', value).is_none())
        .then_some(span.end - span.start)
}

/// If `raw` starts with what [`write_cell`] writes for `value`, that length.
fn cell_len_if_written(value: &str, only_field: bool, raw: &[u8]) -> Option<usize> {
    let value = value.as_bytes();
    if !needs_quotes(value, only_field) {
        return raw.starts_with(value).then_some(value.len());
    }
    if raw.first() != Some(&b'"') {
        return None;
    }
    // Each `"` of the value is `""` in the file; compare the runs between them.
    let mut pos = 1;
    let mut run = 0;
    for quote in memchr::memchr_iter(b'"', value).chain([value.len()]) {
        let piece = &value[run..quote];
        if !raw.get(pos..)?.starts_with(piece) {
            return None;
        }
        pos += piece.len();
        if quote < value.len() {
            if raw.get(pos..pos + 2) != Some(b"\"\"".as_slice()) {
                return None;
            }
            pos += 2;
        }
        run = quote + 1;
    }
    (raw.get(pos) == Some(&b'"')).then_some(pos + 1)
}

/// The `\r` of each `\r\n` inside a quoted cell was folded by universal newlines; put it
/// back where the file had it (canonical output keeps MLTK's `\r\n`, which is the same).
fn restore_carriage_returns(field: &Field, _mode: Mode) -> Cow<'_, str> {
    // Walked twice rather than collected: a cell of `\r\n` has one point every two bytes.
    let points = || {
        field
            .map
            .dropped_points()
            .filter(|(_, why)| *why == Dropped::CarriageReturn)
            .map(|(at, _)| at)
    };
    let count = points().count();
    if count == 0 {
        return Cow::Borrowed(&field.value);
    }
    let mut out = String::with_capacity(field.value.len() + count);
    let mut last = 0;
    for at in points() {
        out.push_str(&field.value[last..at]);
        out.push('\r');
        last = at;
    }
    out.push_str(&field.value[last..]);
    Cow::Owned(out)
}

/// Python's csv.writer, excel dialect, QUOTE_MINIMAL.
/// Whether Python's csv writer (QUOTE_MINIMAL) quotes `value`.
fn needs_quotes(value: &[u8], only_field: bool) -> bool {
    memchr::memchr3(b',', b'"', b'\r', value).is_some()
        || memchr::memchr(b'\n', value).is_some()
        || (value.is_empty() && only_field)
}

fn write_cell(value: &str, only_field: bool, out: &mut Vec<u8>) {
    if !needs_quotes(value.as_bytes(), only_field) {
        out.extend_from_slice(value.as_bytes());
        return;
    }
    out.push(b'"');
    for &b in value.as_bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Re-encoded payload text (already JSON-quoted) by the span start of the string node it
/// replaces.
/// With `skip_unchanged`, arrays the decoder left as parsed ([`npy::encodes_as_stored`]) are
/// left out: their payload text would come back as it is.
fn payloads(model: &Model<'_>, stats: &mut Stats, skip_unchanged: bool) -> HashMap<usize, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut map = HashMap::new();
    for record in model.tree.records() {
        match &record.payload {
            Payload::Array(array) => {
                // An elided array re-encodes as stored: its text comes back as it is.
                if array.data_elided || (skip_unchanged && npy::encodes_as_stored(array)) {
                    continue;
                }
                if let Some(node) = record.node.get("npy") {
                    let (bytes, exact_header) = npy::encode_checked(array);
                    stats.arrays += 1;
                    if !exact_header {
                        stats.arrays_raw_header += 1;
                    }
                    map.insert(node.span.start, format!("\"{}\"", engine.encode(bytes)));
                }
            }
            Payload::Sparse(archive) => {
                let node = match record.node.get("sparse_npy") {
                    Some(
                        node @ Node {
                            value: Value::String(_),
                            ..
                        },
                    ) => Some(node),
                    Some(wrapper) => wrapper.get("str"),
                    None => None,
                };
                if let Some(node) = node {
                    stats.archives += 1;
                    map.insert(
                        node.span.start,
                        format!("\"{}\"", engine.encode(npz::encode(archive))),
                    );
                }
            }
            _ => {}
        }
    }
    map
}

fn encode_model(
    root: &Node,
    model: &Model<'_>,
    text: &str,
    mode: Mode,
    stats: &mut Stats,
    skip_unchanged: bool,
) -> String {
    let payloads = payloads(model, stats, skip_unchanged);
    encode_json(root, text, mode, stats, &payloads)
}

fn encode_json(
    root: &Node,
    text: &str,
    mode: Mode,
    stats: &mut Stats,
    payloads: &HashMap<usize, String>,
) -> String {
    let mut json_stats = pyjson::Stats::default();
    let mut replace = |node: &Node| -> Option<String> {
        if let Value::String(_) = node.value {
            return payloads.get(&node.span.start).cloned();
        }
        if mode == Mode::Canonical
            && let Value::Number(Number::Float(value)) = node.value
        {
            let lexeme = &text[node.span.clone()];
            if matches!(
                pyjson::spelling_of(lexeme, value),
                pyjson::FloatSpelling::Raw
            ) {
                return pyjson::format_float(value, pyjson::FloatSpelling::Repr);
            }
        }
        None
    };
    let out = pyjson::encode(root, text, &mut replace, &mut json_stats);
    stats.floats_repr += json_stats.floats_repr;
    stats.floats_legacy17 += json_stats.floats_legacy17;
    stats.raw_lexemes += json_stats.raw_lexemes;
    out
}

/// The first byte where `a` and `b` differ, if they do.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    let common = a.iter().zip(b).position(|(x, y)| x != y);
    match common {
        Some(at) => Some(at),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

/// A short, printable excerpt of `bytes` around `at`.
pub fn excerpt(bytes: &[u8], at: usize) -> String {
    let start = at.saturating_sub(20);
    let end = (at + 40).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[start.min(end)..end]);
    text.chars()
        .map(|c| match c {
            '\r' => "\\r".to_owned(),
            '\n' => "\\n".to_owned(),
            '\t' => "\\t".to_owned(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}
