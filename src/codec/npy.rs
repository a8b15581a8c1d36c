//! NPY parser: the format `numpy.save` writes and `numpy.load(allow_pickle=False)` reads.
//!
//! An NPY file is the magic `\x93NUMPY`, a version (`1.0`, `2.0` or `3.0`), the header length
//! (little-endian `u16` for 1.0, `u32` for 2.0 and 3.0), the header — a Python dict literal with
//! the keys `descr`, `fortran_order` and `shape`, space-padded and `\n`-terminated, Latin-1 text
//! for 1.0/2.0 and UTF-8 for 3.0 — and then the raw array data.
//!
//! The header is read with a small tokenizer/parser for the Python literal subset numpy emits
//! (strings, ints, `True`/`False`/`None`, tuples, lists, dicts); nothing is evaluated. Python 2
//! `L` suffixes on ints (`(3L,)`) are accepted for versions 1.0 and 2.0, as numpy does, and
//! recorded in [`Array::py2_long_ints`].
//!
//! What numpy checks, this parser checks too: exactly the three keys, `shape` a tuple of ints,
//! `fortran_order` a bool, `descr` a valid dtype description, no object dtype, and at least
//! `element count × itemsize` data bytes. Like numpy, bytes after the data are ignored; their
//! number is [`Array::trailing`]. numpy's own default header size limit (10 000 characters,
//! numpy ≥ 1.24 with `allow_pickle=False`) is [`NUMPY_MAX_HEADER_SIZE`]; this parser's limit is
//! [`Limits::max_header_len`].
//!
//! Memory use is bounded by the input: the declared element count is checked against
//! [`Limits::max_elements`] and against the bytes actually present before anything is copied.
//! Nothing here panics on any input.
//!
//! [`encode`] writes an [`Array`] back: the header is rebuilt from the decoded descr, order
//! and shape the way numpy's `_write_array_header` builds it, in the [`HeaderLayout`] the
//! stored header follows (16-byte alignment before numpy 1.14, 64 bytes after, growth spaces
//! from numpy 1.24), so `encode(&parse(bytes)?) == bytes` for every file numpy writes. A
//! header no numpy layout reproduces is kept as stored ([`HeaderSource::Stored`]), so the
//! round trip is exact for every input.

use std::fmt::Write as _;

use thiserror::Error;

/// The six magic bytes every NPY file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// numpy's default `max_header_size` (numpy ≥ 1.24): with `allow_pickle=False`, `numpy.load`
/// refuses a header longer than this many characters.
pub const NUMPY_MAX_HEADER_SIZE: usize = 10_000;

/// Deepest nesting of brackets accepted in a header (Python's own parser stops at 200).
const MAX_DEPTH: usize = 64;

/// Resource limits for [`parse_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted element count (product of the shape), checked before any allocation.
    pub max_elements: u64,
    /// Largest accepted header length in bytes, as declared in the file.
    pub max_header_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_elements: 1 << 31,
            max_header_len: 1 << 20,
        }
    }
}

/// Why an NPY payload does not load.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NpyError {
    /// The first six bytes are not `\x93NUMPY`.
    #[error("not an NPY file: it does not start with the magic bytes \\x93NUMPY")]
    BadMagic,
    /// The input ends inside the fixed prelude or the header.
    #[error("truncated {what}: {needed} bytes needed, only {available} available")]
    Truncated {
        /// Which part is cut off.
        what: &'static str,
        /// Bytes that part needs.
        needed: u64,
        /// Bytes present for it.
        available: u64,
    },
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported NPY format version {0}.{1} (numpy knows 1.0, 2.0 and 3.0)")]
    UnsupportedVersion(u8, u8),
    /// A version 3.0 header that is not UTF-8.
    #[error("the header of an NPY 3.0 file is not valid UTF-8")]
    HeaderEncoding,
    /// The declared header length exceeds [`Limits::max_header_len`].
    #[error("the header is {len} bytes long, more than the limit of {limit}")]
    HeaderTooLong {
        /// Declared header length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The header is not a Python literal of the supported subset.
    #[error("cannot parse the header at offset {offset_in_header}: {message}")]
    HeaderSyntax {
        /// What is wrong.
        message: String,
        /// Byte offset in the decoded header text ([`Array::header`]) where the problem
        /// starts; the same as the offset in the file's header bytes while those are ASCII.
        offset_in_header: usize,
    },
    /// The header literal is not a dict.
    #[error("the header is not a dictionary but {0}")]
    NotADict(String),
    /// One of `descr`, `fortran_order`, `shape` is absent.
    #[error("the header lacks the key '{0}'")]
    MissingKey(&'static str),
    /// A key other than `descr`, `fortran_order`, `shape` (numpy rejects the header).
    #[error(
        "the header has the unexpected key {0} (numpy accepts only 'descr', 'fortran_order' and 'shape')"
    )]
    UnexpectedKey(String),
    /// A key's value has the wrong type (e.g. `shape` not a tuple of ints).
    #[error("'{key}' is not valid: {message}")]
    InvalidValue {
        /// The header key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The dtype is, or contains, `O` (Python objects).
    #[error("dtype 'O' (Python objects): numpy.load(allow_pickle=False) refuses it")]
    ObjectDtype,
    /// A type string numpy does not understand (or this parser does not support).
    #[error("data type {0} not understood")]
    UnknownDtype(String),
    /// The shape declares more elements than [`Limits::max_elements`].
    #[error("the shape declares {declared} elements, more than the limit of {limit}")]
    TooManyElements {
        /// Declared element count.
        declared: u128,
        /// The limit.
        limit: u64,
    },
    /// Fewer data bytes than `element count × itemsize`.
    #[error("the array data is {actual} bytes but shape × itemsize needs {expected} bytes")]
    LengthMismatch {
        /// Bytes the shape and dtype need.
        expected: u64,
        /// Bytes present after the header.
        actual: u64,
    },
    /// A dimension, the element count or the byte count overflows a 64-bit integer.
    #[error("the shape or itemsize is too large: the array size overflows a 64-bit integer")]
    Overflow,
}

/// A parsed NPY file.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Format version: `(1, 0)`, `(2, 0)` or `(3, 0)` (3.0 has a UTF-8 header).
    pub version: (u8, u8),
    /// The header text exactly as stored, padding and final `\n` included. Versions 1.0/2.0
    /// are decoded as Latin-1 (as numpy does), so re-encode with [`Array::header_bytes`].
    pub header: String,
    /// The parsed dtype.
    pub descr: Descr,
    /// Whether the data is stored in column-major order.
    pub fortran_order: bool,
    /// The shape; empty for a 0-d array (which holds one element).
    pub shape: Vec<u64>,
    /// Where the array data starts in the input.
    pub data_offset: usize,
    /// Exactly `element count × itemsize` data bytes, in file order (row-major, or
    /// column-major when `fortran_order`): a copy for [`parse_with`], the input buffer itself
    /// for [`parse_owned_with`].
    pub data: Vec<u8>,
    /// Bytes after the data; numpy ignores them.
    pub trailing: usize,
    /// Those bytes ([`Array::trailing`] of them), kept so that [`encode`] reproduces the
    /// file exactly. Empty for everything numpy writes.
    pub trailing_data: Vec<u8>,
    /// The header had Python 2 `L` int suffixes (numpy loads it but warns).
    pub py2_long_ints: bool,
    /// The data was checked and then dropped ([`parse_owned_elided`]): `data` is empty.
    pub data_elided: bool,
}

/// A dtype description (the `descr` header value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Descr {
    /// A plain type string such as `'<f8'`.
    Simple(TypeStr),
    /// A structured dtype: a list of fields (padding fields included).
    Structured(Vec<Field>),
}

/// A type string such as `<f8`, `|S12`, `<U3` or `<M8[ns]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeStr {
    /// `'<'`, `'>'`, `'|'` or `'='` as written; `'|'` when none was written (also for type
    /// names such as `float64`). `'|'` and `'='` mean native order, taken as little-endian.
    pub byte_order: char,
    /// One of `b i u f c U S V M m` (bool is `'b'`, whether written `b1` or `?`).
    pub kind: char,
    /// Bytes per item, except for `U`, where it is the character count (itemsize is
    /// `4 × size`). As written for `<f8`-style strings; implied for codes and names (`d`,
    /// `float64` → 8, with 64-bit Linux sizes for `l`/`L`).
    pub size: usize,
    /// The datetime unit for `M`/`m`, e.g. `"ns"` or `"10s"`; empty when none (generic).
    pub unit: String,
    /// The type string as written, e.g. `"<f8"`.
    pub raw: String,
}

/// One field of a structured dtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name (`""` for padding).
    pub name: String,
    /// The title, when the name was written as a `(title, name)` tuple.
    pub title: Option<String>,
    /// The field's dtype.
    pub descr: Descr,
    /// The subarray shape; empty if none.
    pub shape: Vec<u64>,
    /// Byte offset of the field within one element.
    pub offset: usize,
}

impl Field {
    /// Whether numpy treats this field as padding (and drops it): unnamed, untitled, and of
    /// a void type — plain `V` or any subarray, whose numpy type is `void` too.
    pub fn is_padding(&self) -> bool {
        self.name.is_empty()
            && self.title.is_none()
            && (!self.shape.is_empty() || self.descr.simple().is_some_and(|t| t.kind == 'V'))
    }

    /// Bytes the field takes in one element (`descr.itemsize() × product(shape)`).
    pub fn itemsize(&self) -> usize {
        self.checked_itemsize().unwrap_or(usize::MAX)
    }

    fn checked_itemsize(&self) -> Option<usize> {
        let mut size = self.descr.checked_itemsize()?;
        for &d in &self.shape {
            size = size.checked_mul(usize::try_from(d).ok()?)?;
        }
        Some(size)
    }
}

impl TypeStr {
    /// Bytes per item (`4 × size` for `U`).
    pub fn itemsize(&self) -> usize {
        self.checked_itemsize().unwrap_or(usize::MAX)
    }

    fn checked_itemsize(&self) -> Option<usize> {
        if self.kind == 'U' {
            self.size.checked_mul(4)
        } else {
            Some(self.size)
        }
    }

    /// Whether multi-byte items are stored big-endian (`'>'`).
    pub fn is_big_endian(&self) -> bool {
        self.byte_order == '>'
    }

    /// numpy's normalized spelling (`dtype.str`) on a little-endian machine: `'|'` for one-byte
    /// and byte-string kinds, `'<'`/`'>'` otherwise, e.g. `u1` → `|u1`, `=f8` → `<f8`.
    pub fn canonical(&self) -> String {
        let order = match self.kind {
            'S' | 'V' => '|',
            'b' => '|',
            'i' | 'u' if self.size == 1 => '|',
            _ if self.byte_order == '>' => '>',
            _ => '<',
        };
        let mut out = format!("{order}{}{}", self.kind, self.size);
        if let Some(unit) = canonical_unit(&self.unit) {
            let _ = write!(out, "[{unit}]");
        }
        out
    }
}

/// A datetime unit as numpy spells it in `dtype.str`: `None` for generic (and for none),
/// `μs` as `us`, the count without leading zeros and left out when it is 1 (`1s` → `s`,
/// `007ms` → `7ms`; `0s` stays).
fn canonical_unit(unit: &str) -> Option<String> {
    let base = unit.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = &unit[..unit.len() - base.len()];
    if base.is_empty() || base == "generic" {
        return None;
    }
    let base = if base == "μs" { "us" } else { base };
    let count = match digits.parse::<u64>() {
        Ok(1) => String::new(),
        Ok(n) => n.to_string(),
        // No count, or one too long for u64: as written.
        Err(_) => digits.to_owned(),
    };
    Some(format!("{count}{base}"))
}

impl Descr {
    /// Bytes per element (saturating at `usize::MAX`; parsed descrs never overflow).
    pub fn itemsize(&self) -> usize {
        self.checked_itemsize().unwrap_or(usize::MAX)
    }

    fn checked_itemsize(&self) -> Option<usize> {
        match self {
            Descr::Simple(t) => t.checked_itemsize(),
            Descr::Structured(fields) => fields
                .iter()
                .try_fold(0usize, |acc, f| acc.checked_add(f.checked_itemsize()?)),
        }
    }

    /// The descr as Python source, the way numpy writes it into a header, e.g. `'<f8'` or
    /// `[('left_child', '<i8'), ('', '|V7')]`. Type strings are reproduced as written
    /// ([`TypeStr::raw`]); strings use Python's `repr` quoting.
    pub fn to_python(&self) -> String {
        let mut out = String::new();
        self.write_python(&mut out, false);
        out
    }

    /// Like [`Descr::to_python`], but with every type string in numpy's normalized spelling
    /// ([`TypeStr::canonical`]): what numpy ≥ 1.x would write for this dtype (on a
    /// little-endian machine).
    pub fn to_python_canonical(&self) -> String {
        let mut out = String::new();
        self.write_python(&mut out, true);
        out
    }

    fn write_python(&self, out: &mut String, canonical: bool) {
        match self {
            Descr::Simple(t) if canonical => out.push_str(&py_repr(&t.canonical())),
            Descr::Simple(t) => out.push_str(&py_repr(&t.raw)),
            Descr::Structured(fields) => {
                out.push('[');
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('(');
                    match &f.title {
                        Some(title) => {
                            let _ = write!(out, "({}, {})", py_repr(title), py_repr(&f.name));
                        }
                        None => out.push_str(&py_repr(&f.name)),
                    }
                    out.push_str(", ");
                    f.descr.write_python(out, canonical);
                    if !f.shape.is_empty() {
                        out.push_str(", ");
                        out.push_str(&shape_to_python(&f.shape));
                    }
                    out.push(')');
                }
                out.push(']');
            }
        }
    }

    /// The type string of a simple descr.
    pub fn simple(&self) -> Option<&TypeStr> {
        match self {
            Descr::Simple(t) => Some(t),
            Descr::Structured(_) => None,
        }
    }

    /// The fields of a structured descr (padding included).
    pub fn fields(&self) -> Option<&[Field]> {
        match self {
            Descr::Structured(fields) => Some(fields),
            _ => None,
        }
    }
}

/// A shape as Python writes a tuple: `()`, `(3,)`, `(3, 4)`.
pub fn shape_to_python(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_owned(),
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Python's `repr` of a `str`: single quotes unless the text contains `'` and no `"`.
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let v = u32::from(c);
                let _ = match v {
                    0..=0xff => write!(out, "\\x{v:02x}"),
                    0x100..=0xffff => write!(out, "\\u{v:04x}"),
                    _ => write!(out, "\\U{v:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, approximated: control and format
/// characters, separators other than the space, surrogates and private-use characters are
/// not printable.
fn is_printable(c: char) -> bool {
    !matches!(u32::from(c),
        0..=0x1f | 0x7f..=0xa0 | 0xad | 0x34f | 0x61c | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xd800..=0xf8ff
        | 0xfeff | 0xfff9..=0xfffb | 0xe0000..=0xe0fff | 0xf0000..)
}

/// Parse an NPY file with [`Limits::default`].
pub fn parse(bytes: &[u8]) -> Result<Array, NpyError> {
    parse_with(bytes, &Limits::default())
}

/// Parse an NPY file; the data is copied out of `bytes`.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Array, NpyError> {
    let (mut array, range) = parse_parts(bytes, limits)?;
    array.trailing_data = bytes[range.end..].to_vec();
    array.data = bytes[range].to_vec();
    Ok(array)
}

/// Parse an NPY file held in an owned buffer, reusing the buffer for [`Array::data`]
/// instead of copying it.
pub fn parse_owned_with(mut bytes: Vec<u8>, limits: &Limits) -> Result<Array, NpyError> {
    let (mut array, range) = parse_parts(&bytes, limits)?;
    array.trailing_data = bytes.split_off(range.end);
    bytes.drain(..range.start);
    array.data = bytes;
    Ok(array)
}

/// [`parse_owned_with`] without keeping the data: `data` is empty and `data_elided` set. What
/// the linter uses, since no rule reads array values: a 30 MB model holds 20 MB of them.
/// A freshly parsed array re-encodes as stored ([`encodes_as_stored`]: its fields come from
/// its header, which was read through its version's length field), so its payload text is
/// its own re-encoding and the data is never needed to reproduce the file.
pub fn parse_owned_elided(bytes: Vec<u8>, limits: &Limits) -> Result<Array, NpyError> {
    let (array, range) = parse_parts(&bytes, limits)?;
    Ok(elide(array, range, &bytes, bytes.len()))
}

/// What [`parse_parts_of`] made of `prefix`, the start of a payload `total` bytes long,
/// without the data. The bytes after the data are kept when `prefix` holds them (is the whole
/// payload).
fn elide(mut array: Array, range: std::ops::Range<usize>, prefix: &[u8], total: usize) -> Array {
    debug_assert!(
        encodes_as_stored(&array),
        "a parsed header describes its array"
    );
    if prefix.len() == total {
        array.trailing_data = prefix.get(range.end..).unwrap_or_default().to_vec();
    }
    array.data_elided = true;
    array
}

/// [`parse_owned_elided`] for the payloads of one artifact, which repeat their headers:
/// a gradient-boosting model has hundreds of arrays and a handful of distinct headers, and
/// parsing a header costs more than decoding a small array. What `parse_parts` finds
/// depends only on the bytes up to the data, the payload's length and the limits, so a
/// header already parsed from the same bytes, for a payload of the same length, under the
/// same `limits` (one memo per artifact), gives the same array. Errors are not kept.
pub fn parse_owned_elided_memo(
    bytes: Vec<u8>,
    limits: &Limits,
    memo: &mut HeaderMemo,
) -> Result<Array, NpyError> {
    parse_prefix_elided_memo(&bytes, bytes.len(), limits, memo)
}

/// [`parse_owned_elided_memo`] from the payload's first bytes only: `prefix` is the start of
/// a payload `total` bytes long and holds its header whenever the header is within
/// `limits.max_header_len` (or is all of it). Lets the linter check a 20 MB array without
/// ever holding its data; `trailing_data` is kept only when `prefix` is the whole payload
/// (elided arrays are never re-encoded).
pub fn parse_prefix_elided_memo(
    prefix: &[u8],
    total: usize,
    limits: &Limits,
    memo: &mut HeaderMemo,
) -> Result<Array, NpyError> {
    let key_len = header_end(prefix).filter(|&end| end <= prefix.len());
    let found = key_len.and_then(|end| {
        memo.entries
            .iter()
            .find(|(key, length, ..)| *length == total && key[..] == prefix[..end])
    });
    let (array, range) = match found {
        Some((_, _, array, range)) => (array.clone(), range.clone()),
        None => {
            let (array, range) = parse_parts_of(prefix, total, limits)?;
            if let Some(end) = key_len
                && memo.entries.len() < HeaderMemo::CAPACITY
            {
                memo.entries
                    .push((prefix[..end].to_vec(), total, array.clone(), range.clone()));
            }
            (array, range)
        }
    };
    Ok(elide(array, range, prefix, total))
}

/// Headers already parsed for [`parse_owned_elided_memo`]: the bytes up to the data, the
/// payload length, and what `parse_parts` made of them.
#[derive(Debug, Default)]
pub struct HeaderMemo {
    entries: Vec<(Vec<u8>, usize, Array, std::ops::Range<usize>)>,
}

impl HeaderMemo {
    /// Distinct headers kept: the corpus's files have at most 17; each costs at most
    /// `max_header_len` bytes and a parsed header, and the linear search stays short.
    const CAPACITY: usize = 32;
}

/// Where the data of an NPY payload starts, from its prelude alone, if the prelude is all
/// there; `parse_parts` checks the rest.
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    let (_, len_size, header_len) = prelude(bytes).ok()?;
    usize::try_from(header_len).ok()?.checked_add(8 + len_size)
}

/// The prelude of an NPY payload: the magic, the version (one numpy writes) and the header
/// length field, returned as the version, the field's size and its value.
fn prelude(bytes: &[u8]) -> Result<((u8, u8), usize, u64), NpyError> {
    let prelude = bytes.get(..8).ok_or_else(|| {
        let n = bytes.len().min(6);
        if bytes[..n] != MAGIC[..n] {
            NpyError::BadMagic
        } else {
            NpyError::Truncated {
                what: "NPY prelude (magic and version)",
                needed: 8,
                available: bytes.len() as u64,
            }
        }
    })?;
    if &prelude[..6] != MAGIC {
        return Err(NpyError::BadMagic);
    }
    let version = (prelude[6], prelude[7]);
    let len_size = match version {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        (a, b) => return Err(NpyError::UnsupportedVersion(a, b)),
    };
    let len_bytes = bytes.get(8..8 + len_size).ok_or(NpyError::Truncated {
        what: "header length",
        needed: len_size as u64,
        available: bytes.len().saturating_sub(8) as u64,
    })?;
    let header_len = len_bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    Ok((version, len_size, header_len))
}

/// Everything but the data, plus where the data is.
fn parse_parts(bytes: &[u8], limits: &Limits) -> Result<(Array, std::ops::Range<usize>), NpyError> {
    parse_parts_of(bytes, bytes.len(), limits)
}

/// [`parse_parts`] of a payload `total` bytes long of which `bytes` is the start; `bytes`
/// must reach past the header whenever the header is within `limits.max_header_len`
/// (`12 + max_header_len` bytes, or the whole payload, always do).
fn parse_parts_of(
    bytes: &[u8],
    total: usize,
    limits: &Limits,
) -> Result<(Array, std::ops::Range<usize>), NpyError> {
    let (version, len_size, header_len) = prelude(bytes)?;
    let header_start = 8 + len_size;
    let available = total - header_start;
    if header_len > available as u64 {
        return Err(NpyError::Truncated {
            what: "header",
            needed: header_len,
            available: available as u64,
        });
    }
    // header_len <= available, so it fits in usize.
    let header_len = header_len as usize;
    if header_len > limits.max_header_len {
        return Err(NpyError::HeaderTooLong {
            len: header_len,
            limit: limits.max_header_len,
        });
    }
    let data_offset = header_start + header_len;
    let raw_header = bytes
        .get(header_start..data_offset)
        .ok_or(NpyError::Truncated {
            what: "header",
            needed: header_len as u64,
            available: bytes.len().saturating_sub(header_start) as u64,
        })?;
    let header = if version == (3, 0) {
        String::from_utf8(raw_header.to_vec()).map_err(|_| NpyError::HeaderEncoding)?
    } else {
        // Latin-1. On ASCII, what numpy writes, it agrees with UTF-8: one copy instead of a
        // push per char.
        match raw_header
            .is_ascii()
            .then(|| String::from_utf8(raw_header.to_vec()))
        {
            Some(Ok(text)) => text,
            _ => raw_header.iter().map(|&b| char::from(b)).collect(),
        }
    };

    let (value, py2_long_ints) = match parse_numpy_written(&header) {
        Some(value) => (value, false),
        None => {
            let mut parser = Parser {
                src: &header,
                pos: 0,
                depth: 0,
                allow_long: version != (3, 0),
                saw_long: false,
            };
            let value = parser.parse_header()?;
            (value, parser.saw_long)
        }
    };
    let (descr, sub, fortran_order, shape) = interpret_header(value)?;

    let itemsize = descr.checked_itemsize().ok_or(NpyError::Overflow)?;
    let count = element_count(&shape)?;
    if count > u128::from(limits.max_elements) {
        return Err(NpyError::TooManyElements {
            declared: count,
            limit: limits.max_elements,
        });
    }
    let count = u64::try_from(count).map_err(|_| NpyError::Overflow)?;
    if !sub.is_empty() {
        // numpy reads `count` elements of the subarray dtype, which makes `count × per`
        // items of the base, and then fails unless that equals `count`. When it loads, the
        // array has the base dtype and the header's shape.
        let per = element_count(&sub)?;
        if count > 0 && per != 1 {
            return Err(NpyError::InvalidValue {
                key: "descr",
                message: format!(
                    "a top-level (dtype, shape) descr makes numpy read {} items where the shape declares {count}; numpy.load fails",
                    u128::from(count).saturating_mul(per)
                ),
            });
        }
    }
    let expected = count
        .checked_mul(itemsize as u64)
        .ok_or(NpyError::Overflow)?;
    let actual = (total - data_offset) as u64;
    if expected > actual {
        return Err(NpyError::LengthMismatch { expected, actual });
    }
    // expected <= actual, so it fits in usize.
    let data_end = data_offset + expected as usize;
    let array = Array {
        version,
        header,
        descr,
        fortran_order,
        shape,
        data_offset,
        data: Vec::new(),
        trailing: total - data_end,
        trailing_data: Vec::new(),
        py2_long_ints,
        data_elided: false,
    };
    Ok((array, data_offset..data_end))
}

/// Product of the shape (1 for `()`); `Overflow` if a dimension exceeds `i64::MAX` (numpy's
/// `intp`) or the product exceeds `u128`.
fn element_count(shape: &[u64]) -> Result<u128, NpyError> {
    let mut count: u128 = 1;
    for &d in shape {
        if d > i64::MAX as u64 {
            return Err(NpyError::Overflow);
        }
        count = count.checked_mul(u128::from(d)).ok_or(NpyError::Overflow)?;
    }
    Ok(count)
}

impl Array {
    /// Number of elements (product of the shape; 1 for a 0-d array).
    pub fn len(&self) -> u64 {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .unwrap_or(u64::MAX)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element.
    pub fn itemsize(&self) -> usize {
        self.descr.itemsize()
    }

    /// Whether the header is longer than numpy's default `max_header_size`
    /// ([`NUMPY_MAX_HEADER_SIZE`] characters): `numpy.load(allow_pickle=False)` (numpy ≥ 1.24)
    /// refuses such a file.
    pub fn header_over_numpy_limit(&self) -> bool {
        self.header.chars().count() > NUMPY_MAX_HEADER_SIZE
    }

    /// The header re-encoded as stored: UTF-8 for version 3.0, Latin-1 otherwise.
    pub fn header_bytes(&self) -> Vec<u8> {
        if self.version == (3, 0) {
            self.header.as_bytes().to_vec()
        } else {
            // The header was decoded from Latin-1, so every char is below 256.
            self.header.chars().map(|c| c as u32 as u8).collect()
        }
    }

    /// All values as `f64`, in file order (column-major when `fortran_order`), for simple
    /// kinds `b` (0/1), `i`, `u` and `f` (`f2`, `f4`, `f8`); `None` for any other dtype
    /// (long double `f16` included).
    pub fn f64_values(&self) -> Option<Vec<f64>> {
        let t = self.descr.simple()?;
        decode_all(&self.data, t, decode_f64)
    }

    /// All values as `i64`, in file order, for kinds `b` (0/1), `i`, `u` and datetimes
    /// `M`/`m` (raw counts; NaT is `i64::MIN`); `None` for other dtypes or if a `u8` value
    /// exceeds `i64::MAX`.
    pub fn i64_values(&self) -> Option<Vec<i64>> {
        let t = self.descr.simple()?;
        decode_all(&self.data, t, decode_i64)
    }

    /// All values as strings, in file order, for `U` (UTF-32; invalid code points become
    /// U+FFFD) and `S` (bytes, lossy UTF-8), trailing NULs stripped as numpy does. `None` for
    /// other dtypes and for zero-width `U0`/`S0` arrays (whose elements take no bytes).
    pub fn strings(&self) -> Option<Vec<String>> {
        let t = self.descr.simple()?;
        let size = t.checked_itemsize()?;
        if size == 0 || !matches!(t.kind, 'U' | 'S') {
            return None;
        }
        Some(
            self.data
                .chunks_exact(size)
                .map(|item| decode_string(t, item))
                .collect(),
        )
    }

    /// The top-level field `name` of a structured array, padding excluded.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.descr
            .fields()?
            .iter()
            .find(|f| f.name == name && !f.is_padding())
    }

    /// One field of a structured array as `f64`s (see [`Array::f64_values`] for the kinds);
    /// a subarray field yields all its items, element after element.
    pub fn field_f64(&self, name: &str) -> Option<Vec<f64>> {
        self.field_values(name, decode_f64)
    }

    /// One field of a structured array as `i64`s (see [`Array::i64_values`] for the kinds).
    pub fn field_i64(&self, name: &str) -> Option<Vec<i64>> {
        self.field_values(name, decode_i64)
    }

    fn field_values<T>(&self, name: &str, f: fn(&TypeStr, &[u8]) -> Option<T>) -> Option<Vec<T>> {
        let field = self.field(name)?;
        let Descr::Simple(t) = &field.descr else {
            return None;
        };
        let elem = self.descr.checked_itemsize()?;
        let width = field.checked_itemsize()?;
        let item = t.checked_itemsize()?;
        if elem == 0 || item == 0 {
            return if self.data.is_empty() {
                Some(Vec::new())
            } else {
                None
            };
        }
        let mut out = Vec::with_capacity(self.data.len() / elem * (width / item));
        for record in self.data.chunks_exact(elem) {
            let bytes = record.get(field.offset..field.offset.checked_add(width)?)?;
            for chunk in bytes.chunks_exact(item) {
                out.push(f(t, chunk)?);
            }
        }
        Some(out)
    }
}

fn decode_all<T>(data: &[u8], t: &TypeStr, f: fn(&TypeStr, &[u8]) -> Option<T>) -> Option<Vec<T>> {
    let size = t.checked_itemsize()?;
    if size == 0 {
        return None;
    }
    // Check the kind once, so an empty array of an unsupported kind is still `None`.
    f(t, [0u8; 16].get(..size)?)?;
    data.chunks_exact(size).map(|c| f(t, c)).collect()
}

/// Fixed-size integer of `N` bytes in the type's byte order.
fn bytes_n<const N: usize>(t: &TypeStr, b: &[u8]) -> Option<[u8; N]> {
    let mut arr: [u8; N] = b.try_into().ok()?;
    if t.is_big_endian() {
        arr.reverse();
    }
    Some(arr)
}

fn decode_f64(t: &TypeStr, b: &[u8]) -> Option<f64> {
    match (t.kind, t.size) {
        ('b', 1) => Some(if b.first()? != &0 { 1.0 } else { 0.0 }),
        ('f', 2) => Some(half_to_f64(u16::from_le_bytes(bytes_n(t, b)?))),
        ('f', 4) => Some(f64::from(f32::from_le_bytes(bytes_n(t, b)?))),
        ('f', 8) => Some(f64::from_le_bytes(bytes_n(t, b)?)),
        ('i', _) => decode_int(t, b).map(|v| v as f64),
        ('u', _) => decode_uint(t, b).map(|v| v as f64),
        _ => None,
    }
}

fn decode_i64(t: &TypeStr, b: &[u8]) -> Option<i64> {
    match (t.kind, t.size) {
        ('b', 1) => Some(i64::from(b.first()? != &0)),
        ('i', _) | ('M', 8) | ('m', 8) => decode_int(t, b),
        ('u', _) => i64::try_from(decode_uint(t, b)?).ok(),
        _ => None,
    }
}

fn decode_int(t: &TypeStr, b: &[u8]) -> Option<i64> {
    match t.size {
        1 => Some(i64::from(i8::from_le_bytes(bytes_n(t, b)?))),
        2 => Some(i64::from(i16::from_le_bytes(bytes_n(t, b)?))),
        4 => Some(i64::from(i32::from_le_bytes(bytes_n(t, b)?))),
        8 => Some(i64::from_le_bytes(bytes_n(t, b)?)),
        _ => None,
    }
}

fn decode_uint(t: &TypeStr, b: &[u8]) -> Option<u64> {
    match t.size {
        1 => Some(u64::from(u8::from_le_bytes(bytes_n(t, b)?))),
        2 => Some(u64::from(u16::from_le_bytes(bytes_n(t, b)?))),
        4 => Some(u64::from(u32::from_le_bytes(bytes_n(t, b)?))),
        8 => Some(u64::from_le_bytes(bytes_n(t, b)?)),
        _ => None,
    }
}

/// IEEE 754 binary16 to f64.
fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        0x1f if frac == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

fn decode_string(t: &TypeStr, item: &[u8]) -> String {
    if t.kind == 'U' {
        let mut chars: Vec<char> = item
            .chunks_exact(4)
            .map(|c| {
                let arr = [c[0], c[1], c[2], c[3]];
                let v = if t.is_big_endian() {
                    u32::from_be_bytes(arr)
                } else {
                    u32::from_le_bytes(arr)
                };
                char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect();
        while chars.last() == Some(&'\0') {
            chars.pop();
        }
        chars.into_iter().collect()
    } else {
        let end = item.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        String::from_utf8_lossy(&item[..end]).into_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// numpy's `GROWTH_AXIS_MAX_DIGITS`: numpy ≥ 1.24 leaves room after the dict for the growth
/// axis (`shape[0]`, or `shape[-1]` in Fortran order) to reach this many digits, so a file can
/// be appended to without rewriting the data.
pub const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// How a numpy version lays out the header after the dict literal (`numpy.lib.format`'s
/// `_write_array_header`). Every layout ends the header with spaces and one `\n` (at least
/// one space: numpy pads by `align - (len % align)`, never by 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeaderLayout {
    /// numpy < 1.14 (the MLTK 3.x era): magic, a 2-byte length and the header fill a multiple
    /// of 16 bytes. numpy 1.9–1.13 count the length field as 2 bytes even in a 2.0 file (whose
    /// field is 4 bytes), so there the data starts 2 bytes past a 16-byte boundary.
    Align16,
    /// [`HeaderLayout::Align16`] written by Python 2 where the shape's ints are `long`
    /// (64-bit Windows): `'shape': (3L, 4L)`.
    Align16Py2Long,
    /// numpy 1.14–1.23: magic, length field (2 bytes for 1.0, 4 for 2.0/3.0) and header fill a
    /// multiple of 64 bytes.
    Align64,
    /// [`HeaderLayout::Align64`] with Python 2 `long` shape ints (numpy 1.14–1.16 on 64-bit
    /// Windows).
    Align64Py2Long,
    /// numpy ≥ 1.24: like [`HeaderLayout::Align64`], but the dict is first followed by
    /// `GROWTH_AXIS_MAX_DIGITS - len(str(growth axis))` spaces (none for a 0-d array).
    Align64Growth,
}

impl HeaderLayout {
    /// Every layout, in the order [`detect_layout`] tries them: newest numpy first, then the
    /// Python 2 `long` variants (which match only headers with `L` suffixes).
    pub const ALL: [HeaderLayout; 5] = [
        HeaderLayout::Align64Growth,
        HeaderLayout::Align64,
        HeaderLayout::Align16,
        HeaderLayout::Align64Py2Long,
        HeaderLayout::Align16Py2Long,
    ];

    /// The alignment in bytes: 16 or 64.
    pub fn alignment(self) -> usize {
        match self {
            HeaderLayout::Align16 | HeaderLayout::Align16Py2Long => 16,
            _ => 64,
        }
    }

    /// Whether the growth-axis spaces follow the dict.
    pub fn growth_spaces(self) -> bool {
        self == HeaderLayout::Align64Growth
    }

    /// Whether shape ints carry Python 2's `L` suffix.
    pub fn long_ints(self) -> bool {
        matches!(
            self,
            HeaderLayout::Align16Py2Long | HeaderLayout::Align64Py2Long
        )
    }

    /// A short name for reports, e.g. `"align64-growth"`.
    pub fn name(self) -> &'static str {
        match self {
            HeaderLayout::Align16 => "align16",
            HeaderLayout::Align16Py2Long => "align16-py2long",
            HeaderLayout::Align64 => "align64",
            HeaderLayout::Align64Py2Long => "align64-py2long",
            HeaderLayout::Align64Growth => "align64-growth",
        }
    }

    /// The numpy versions that write this layout.
    pub fn writers(self) -> &'static str {
        match self {
            HeaderLayout::Align16 => "numpy < 1.14",
            HeaderLayout::Align16Py2Long => "numpy < 1.14 on Python 2 with long shape ints",
            HeaderLayout::Align64 => "numpy 1.14 to 1.23",
            HeaderLayout::Align64Py2Long => "numpy 1.14 to 1.16 on Python 2 with long shape ints",
            HeaderLayout::Align64Growth => "numpy >= 1.24",
        }
    }
}

/// The dict literal numpy writes for an array, followed by the growth spaces when `layout`
/// has them (no padding, no `\n`): `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`.
/// Keys are sorted, values are Python `repr`s; the descr is spelled the way numpy's
/// `dtype_to_descr` spells it ([`Descr::to_python_canonical`]: `dtype.str` for a plain dtype,
/// `dtype.descr` with each type string normalized for a structured one).
pub fn header_dict(
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
    layout: HeaderLayout,
) -> String {
    let shape_text = if layout.long_ints() {
        shape_to_python_long(shape)
    } else {
        shape_to_python(shape)
    };
    let mut out = format!(
        "{{'descr': {}, 'fortran_order': {}, 'shape': {shape_text}, }}",
        descr.to_python_canonical(),
        if fortran_order { "True" } else { "False" },
    );
    if layout.growth_spaces() {
        let axis = if fortran_order {
            shape.last()
        } else {
            shape.first()
        };
        if let Some(dim) = axis {
            let digits = dim.to_string().len();
            out.extend(std::iter::repeat_n(
                ' ',
                GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
            ));
        }
    }
    out
}

/// A shape as Python 2 writes a tuple of `long`s: `()`, `(3L,)`, `(3L, 4L)`.
pub fn shape_to_python_long(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_owned(),
        [one] => format!("({one}L,)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| format!("{d}L")).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The header text numpy writes for an array (`numpy.save`, format version chosen the way
/// numpy chooses it — see [`encode_header`]): [`header_dict`], padding spaces and `\n`.
pub fn header_text(
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
    layout: HeaderLayout,
) -> String {
    let dict = header_dict(descr, fortran_order, shape, layout);
    match auto_version(&dict, layout) {
        Some(version) => wrap_header(&dict, layout, version).unwrap_or_default(),
        // Longer than any version holds (over 4 GiB): padded as for 3.0 all the same.
        None => pad_header(&dict, layout, (3, 0), dict.len()),
    }
}

/// The header text for an explicit format `version`, as `numpy.lib.format.write_array(...,
/// version=...)` writes it; `None` when that version cannot hold it (1.0: more than 65 535
/// bytes; 1.0 and 2.0: characters outside Latin-1) or is not 1.0, 2.0 or 3.0.
pub fn header_text_for_version(
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
    layout: HeaderLayout,
    version: (u8, u8),
) -> Option<String> {
    wrap_header(
        &header_dict(descr, fortran_order, shape, layout),
        layout,
        version,
    )
}

/// Magic, version, header length and header text, as numpy writes them before the data.
/// With `version` `None` the version is numpy's choice: 1.0 when the header is Latin-1 and at
/// most 65 535 bytes, else 2.0 when it is Latin-1, else 3.0 (numpy ≥ 1.17; older numpy fails
/// on such a header). `None` when the chosen or given version cannot hold the header.
pub fn encode_header(
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
    layout: HeaderLayout,
    version: Option<(u8, u8)>,
) -> Option<Vec<u8>> {
    let dict = header_dict(descr, fortran_order, shape, layout);
    let version = match version {
        Some(v) => v,
        None => auto_version(&dict, layout)?,
    };
    let text = wrap_header(&dict, layout, version)?;
    prelude_and_header(version, &text)
}

/// Byte length of `text` in `version`'s encoding; `None` if it cannot be encoded.
fn encoded_len(text: &str, version: (u8, u8)) -> Option<usize> {
    match version {
        (1, 0) | (2, 0) => text
            .chars()
            .all(|c| u32::from(c) < 256)
            .then(|| text.chars().count()),
        (3, 0) => Some(text.len()),
        _ => None,
    }
}

/// Largest header length a version's length field holds.
fn max_header_len(version: (u8, u8)) -> usize {
    if version == (1, 0) {
        usize::from(u16::MAX)
    } else {
        usize::try_from(u32::MAX).unwrap_or(usize::MAX)
    }
}

/// `dict` padded with spaces and `\n` for `version`; `None` if the version cannot hold it.
fn wrap_header(dict: &str, layout: HeaderLayout, version: (u8, u8)) -> Option<String> {
    if layout.long_ints() && version == (3, 0) {
        // Python 2 never wrote 3.0, and numpy refuses `L` suffixes in a 3.0 header.
        return None;
    }
    let len = encoded_len(dict, version)?;
    let text = pad_header(dict, layout, version, len);
    let total = len + (text.len() - dict.len());
    (total <= max_header_len(version)).then_some(text)
}

fn pad_header(dict: &str, layout: HeaderLayout, version: (u8, u8), len: usize) -> String {
    let align = layout.alignment();
    // numpy < 1.14 counted a 2-byte length field whatever the version.
    let prefix = if align == 16 || version == (1, 0) {
        10
    } else {
        12
    };
    let used = (prefix + len % align + 1) % align;
    let pad = align - used;
    let mut text = String::with_capacity(dict.len() + pad + 1);
    text.push_str(dict);
    text.extend(std::iter::repeat_n(' ', pad));
    text.push('\n');
    text
}

/// The version numpy picks for a header: the oldest that holds it.
fn auto_version(dict: &str, layout: HeaderLayout) -> Option<(u8, u8)> {
    [(1, 0), (2, 0), (3, 0)]
        .into_iter()
        .find(|&v| wrap_header(dict, layout, v).is_some())
}

/// Magic, version, length field and the header text in the version's encoding.
fn prelude_and_header(version: (u8, u8), text: &str) -> Option<Vec<u8>> {
    let header: Vec<u8> = match version {
        (3, 0) => text.as_bytes().to_vec(),
        (1, 0) | (2, 0) => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()?,
        _ => return None,
    };
    let mut out = Vec::with_capacity(12 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend([version.0, version.1]);
    if version == (1, 0) {
        out.extend(u16::try_from(header.len()).ok()?.to_le_bytes());
    } else {
        out.extend(u32::try_from(header.len()).ok()?.to_le_bytes());
    }
    out.extend(header);
    Some(out)
}

/// Where the header of an [`encode`]d array came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderSource {
    /// Rebuilt from the array's descr, order and shape with the layout the stored header
    /// follows ([`detect_layout`]).
    Regenerated(HeaderLayout),
    /// The stored header follows no numpy layout (hand-made, another writer, an unusual
    /// spelling): its text was kept as stored. It still describes the array.
    Stored,
    /// The stored header follows no numpy layout and no longer describes the array (its
    /// descr, order or shape were changed): a header was built with
    /// [`HeaderLayout::Align64Growth`], the layout today's numpy writes.
    Replaced,
}

/// An encoded NPY file and where its header came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The file.
    pub bytes: Vec<u8>,
    /// Where the header came from.
    pub header: HeaderSource,
}

/// The NPY file for `array`: the header rebuilt from the decoded descr, order and shape with
/// the layout of the stored header, then [`Array::data`] and the trailing bytes. For an array
/// as parsed, `encode(&parse(bytes)?) == bytes` for every file numpy writes, and also for every
/// other file (whose stored header is then kept, see [`encode_detailed`]).
pub fn encode(array: &Array) -> Vec<u8> {
    encode_detailed(array).bytes
}

/// [`encode`], and whether the header was rebuilt from the decoded array (`false`: the stored
/// header text was reused, see [`HeaderSource::Stored`]).
pub fn encode_checked(array: &Array) -> (Vec<u8>, bool) {
    let encoded = encode_detailed(array);
    let regenerated = matches!(encoded.header, HeaderSource::Regenerated(_));
    (encoded.bytes, regenerated)
}

/// [`encode`] with the header's origin.
///
/// The format version is the array's ([`Array::version`]) when that version holds the
/// header — what numpy does when asked for a version, and what it chose when it was not — and
/// numpy's own choice otherwise (a changed array whose header outgrew 1.0).
pub fn encode_detailed(array: &Array) -> Encoded {
    let stored = stored_fields(array);
    if let Some((descr, fortran_order, shape)) = &stored {
        if let Some(layout) = layout_of(array, descr, *fortran_order, shape)
            && let Some(bytes) = encode_with_layout(array, layout)
        {
            return Encoded {
                bytes,
                header: HeaderSource::Regenerated(layout),
            };
        }
        let describes =
            *descr == array.descr && *fortran_order == array.fortran_order && *shape == array.shape;
        if describes && let Some(bytes) = stored_encoding(array) {
            return Encoded {
                bytes,
                header: HeaderSource::Stored,
            };
        }
    }
    let bytes = encode_with_layout(array, HeaderLayout::Align64Growth)
        .or_else(|| stored_encoding(array))
        .unwrap_or_default();
    Encoded {
        bytes,
        header: HeaderSource::Replaced,
    }
}

/// The NPY file for `array` with a header built in `layout`, whatever the stored header is.
/// The version is the array's if it holds the header, else numpy's choice; `None` only for a
/// header no version holds (over 4 GiB).
pub fn encode_with_layout(array: &Array, layout: HeaderLayout) -> Option<Vec<u8>> {
    let dict = header_dict(&array.descr, array.fortran_order, &array.shape, layout);
    let (version, text) = match wrap_header(&dict, layout, array.version) {
        Some(text) => (array.version, text),
        None => {
            let version = auto_version(&dict, layout)?;
            (version, wrap_header(&dict, layout, version)?)
        }
    };
    let mut out = prelude_and_header(version, &text)?;
    out.reserve(array.data.len() + array.trailing_data.len());
    out.extend_from_slice(&array.data);
    out.extend_from_slice(&array.trailing_data);
    Some(out)
}

/// The layout whose header for the array's stored descr, order and shape is exactly the
/// stored header text ([`Array::header`], in the stored version); `None` when no numpy layout
/// produces it. When several do (a 0-d array has no growth spaces; a 16-byte-aligned header
/// is 64-byte-aligned one time in four), the first of [`HeaderLayout::ALL`] is returned; see
/// [`matching_layouts`] for all of them.
///
/// The comparison uses the values the stored header itself holds, so it still says how the
/// file was laid out after the array's descr, order or shape were changed.
pub fn detect_layout(array: &Array) -> Option<HeaderLayout> {
    let (descr, fortran_order, shape) = stored_fields(array)?;
    layout_of(array, &descr, fortran_order, &shape)
}

/// Every layout that reproduces the stored header (see [`detect_layout`]), in the order of
/// [`HeaderLayout::ALL`].
pub fn matching_layouts(array: &Array) -> Vec<HeaderLayout> {
    let Some((descr, fortran_order, shape)) = stored_fields(array) else {
        return Vec::new();
    };
    HeaderLayout::ALL
        .into_iter()
        .filter(|&layout| reproduces(array, &descr, fortran_order, &shape, layout))
        .collect()
}

fn layout_of(
    array: &Array,
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
) -> Option<HeaderLayout> {
    HeaderLayout::ALL
        .into_iter()
        .find(|&layout| reproduces(array, descr, fortran_order, shape, layout))
}

fn reproduces(
    array: &Array,
    descr: &Descr,
    fortran_order: bool,
    shape: &[u64],
    layout: HeaderLayout,
) -> bool {
    // Cheap filters first: numpy's header is aligned and ends in " \n".
    if !array.header.ends_with(" \n") {
        return false;
    }
    let dict = header_dict(descr, fortran_order, shape, layout);
    array.header.starts_with(&dict)
        && wrap_header(&dict, layout, array.version).as_deref() == Some(array.header.as_str())
}

/// The descr, order and shape the stored header text holds (`None` if it does not parse).
fn stored_fields(array: &Array) -> Option<(Descr, bool, Vec<u64>)> {
    let mut parser = Parser {
        src: &array.header,
        pos: 0,
        depth: 0,
        allow_long: array.version != (3, 0),
        saw_long: false,
    };
    let value = parser.parse_header().ok()?;
    let (descr, _sub, fortran_order, shape) = interpret_header(value).ok()?;
    Some((descr, fortran_order, shape))
}

/// Whether [`encode`] gives back exactly the bytes `array` was parsed from, known without
/// encoding: true when the stored header still describes the array (its descr, order and
/// shape were not changed) and fits its version. Then `encode` either regenerates the very
/// header text (a numpy layout reproduces it) or keeps it, and copies the data and trailing
/// bytes unchanged. Lets the linter skip re-encoding payloads it did not touch.
pub fn encodes_as_stored(array: &Array) -> bool {
    encoded_len(&array.header, array.version)
        .is_some_and(|len| len <= max_header_len(array.version))
        && stored_fields(array).is_some_and(|(descr, fortran_order, shape)| {
            descr == array.descr && fortran_order == array.fortran_order && shape == array.shape
        })
}

/// The file with the stored header text; `None` if the stored version cannot hold it.
fn stored_encoding(array: &Array) -> Option<Vec<u8>> {
    if encoded_len(&array.header, array.version)? > max_header_len(array.version) {
        return None;
    }
    let mut out = prelude_and_header(array.version, &array.header)?;
    out.extend_from_slice(&array.data);
    out.extend_from_slice(&array.trailing_data);
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Header interpretation
// ---------------------------------------------------------------------------------------------

/// The descr (with a top-level subarray shape split off), `fortran_order` and `shape`.
type Header = (Descr, Vec<u64>, bool, Vec<u64>);

fn interpret_header(value: Value) -> Result<Header, NpyError> {
    let Value::Dict(items) = value else {
        return Err(NpyError::NotADict(value.describe()));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, val) in items {
        // Like Python, a repeated key keeps the last value.
        match &key {
            Value::Str(k) if k == "descr" => descr = Some(val),
            Value::Str(k) if k == "fortran_order" => fortran = Some(val),
            Value::Str(k) if k == "shape" => shape = Some(val),
            other => return Err(NpyError::UnexpectedKey(other.repr())),
        }
    }
    let shape = shape.ok_or(NpyError::MissingKey("shape"))?;
    let fortran = fortran.ok_or(NpyError::MissingKey("fortran_order"))?;
    let descr = descr.ok_or(NpyError::MissingKey("descr"))?;

    let shape = match shape {
        Value::Tuple(items) => items
            .into_iter()
            .map(|v| shape_dim(&v, "shape"))
            .collect::<Result<Vec<u64>, _>>()?,
        other => {
            return Err(NpyError::InvalidValue {
                key: "shape",
                message: format!("expected a tuple of ints, found {}", other.describe()),
            });
        }
    };
    let fortran_order = match fortran {
        Value::Bool(b) => b,
        other => {
            return Err(NpyError::InvalidValue {
                key: "fortran_order",
                message: format!("expected True or False, found {}", other.describe()),
            });
        }
    };
    let (descr, sub) = build_descr(&descr, 0)?;
    if descr.checked_itemsize().is_none() {
        return Err(NpyError::Overflow);
    }
    Ok((descr, sub, fortran_order, shape))
}

fn shape_dim(v: &Value, key: &'static str) -> Result<u64, NpyError> {
    match v {
        Value::Int(Some(n)) if *n < 0 => Err(NpyError::InvalidValue {
            key,
            message: format!("negative dimension {n}"),
        }),
        Value::Int(Some(n)) => u64::try_from(*n)
            .ok()
            .filter(|&d| d <= i64::MAX as u64)
            .ok_or(NpyError::Overflow),
        Value::Int(None) => Err(NpyError::Overflow),
        other => Err(NpyError::InvalidValue {
            key,
            message: format!("expected ints, found {}", other.describe()),
        }),
    }
}

/// A dtype description and its subarray shape (empty if none); nested subarrays are merged
/// the way numpy merges them (outer dimensions first).
fn build_descr(v: &Value, depth: usize) -> Result<(Descr, Vec<u64>), NpyError> {
    if depth > MAX_DEPTH {
        return Err(NpyError::InvalidValue {
            key: "descr",
            message: "nested too deeply".to_owned(),
        });
    }
    match v {
        Value::Str(s) => parse_descr_str(s),
        Value::Tuple(items) if items.len() == 2 => {
            let (base, inner) = build_descr(&items[0], depth + 1)?;
            let mut shape = subarray_shape(&items[1])?;
            shape.extend(inner);
            Ok((base, shape))
        }
        Value::List(items) => {
            let mut fields = Vec::with_capacity(items.len());
            let mut offset = 0usize;
            for item in items {
                let field = build_field(item, offset, depth + 1)?;
                if !field.is_padding()
                    && fields
                        .iter()
                        .any(|f: &Field| !f.is_padding() && f.name == field.name)
                {
                    return Err(NpyError::InvalidValue {
                        key: "descr",
                        message: format!("field name {} is used twice", py_repr(&field.name)),
                    });
                }
                offset = offset
                    .checked_add(field.checked_itemsize().ok_or(NpyError::Overflow)?)
                    .ok_or(NpyError::Overflow)?;
                fields.push(field);
            }
            Ok((Descr::Structured(fields), Vec::new()))
        }
        other => Err(NpyError::InvalidValue {
            key: "descr",
            message: format!(
                "expected a type string, a list of fields or a (dtype, shape) tuple, found {}",
                other.describe()
            ),
        }),
    }
}

fn build_field(v: &Value, offset: usize, depth: usize) -> Result<Field, NpyError> {
    let bad = |message: String| NpyError::InvalidValue {
        key: "descr",
        message,
    };
    let items = match v {
        Value::Tuple(items) | Value::List(items) if (2..=3).contains(&items.len()) => items,
        other => {
            return Err(bad(format!(
                "a field must be (name, dtype) or (name, dtype, shape), found {}",
                other.describe()
            )));
        }
    };
    let (name, title) = match &items[0] {
        Value::Str(name) => (name.clone(), None),
        Value::Tuple(pair) if pair.len() == 2 => match (&pair[0], &pair[1]) {
            (Value::Str(title), Value::Str(name)) => (name.clone(), Some(title.clone())),
            _ => {
                return Err(bad(
                    "a (title, name) field name must hold two strings".to_owned()
                ));
            }
        },
        other => {
            return Err(bad(format!(
                "a field name must be a string, found {}",
                other.describe()
            )));
        }
    };
    let (descr, inner) = build_descr(&items[1], depth + 1)?;
    let mut shape = match items.get(2) {
        Some(s) => subarray_shape(s)?,
        None => Vec::new(),
    };
    shape.extend(inner);
    let field = Field {
        name,
        title,
        descr,
        shape,
        offset,
    };
    field.checked_itemsize().ok_or(NpyError::Overflow)?;
    Ok(field)
}

/// A subarray shape: an int or a tuple of ints.
fn subarray_shape(v: &Value) -> Result<Vec<u64>, NpyError> {
    match v {
        Value::Int(_) => Ok(vec![shape_dim(v, "descr")?]),
        Value::Tuple(items) => items.iter().map(|d| shape_dim(d, "descr")).collect(),
        other => Err(NpyError::InvalidValue {
            key: "descr",
            message: format!(
                "a subarray shape must be an int or a tuple of ints, found {}",
                other.describe()
            ),
        }),
    }
}

/// A descr string: a type string, possibly with numpy's legacy repeat prefix (`3i4`,
/// `(2,3)<f8`), which makes a subarray.
fn parse_descr_str(s: &str) -> Result<(Descr, Vec<u64>), NpyError> {
    let (order, rest) = match s.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (Some(c), &s[1..]),
        _ => (None, s),
    };
    let (shape, after) = if let Some(inner) = rest.strip_prefix('(') {
        let Some(close) = inner.find(')') else {
            return Err(NpyError::UnknownDtype(py_repr(s)));
        };
        let dims = inner[..close]
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.parse::<u64>()
                    .map_err(|_| NpyError::UnknownDtype(py_repr(s)))
            })
            .collect::<Result<Vec<u64>, _>>()?;
        (dims, &inner[close + 1..])
    } else {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if end == 0 || end == rest.len() {
            return Ok((Descr::Simple(parse_typestr(s)?), Vec::new()));
        }
        let n = rest[..end].parse::<u64>().map_err(|_| NpyError::Overflow)?;
        (vec![n], &rest[end..])
    };
    if shape.iter().any(|&d| d > i64::MAX as u64) {
        return Err(NpyError::Overflow);
    }
    let base = match order {
        Some(c) => parse_typestr(&format!("{c}{after}"))?,
        None => parse_typestr(after)?,
    };
    Ok((Descr::Simple(base), shape))
}

/// numpy type names accepted as a whole (no byte-order prefix), with their kind and size.
const TYPE_NAMES: [(&str, char, usize); 38] = [
    ("bool", 'b', 1),
    ("bool_", 'b', 1),
    ("int8", 'i', 1),
    ("int16", 'i', 2),
    ("int32", 'i', 4),
    ("int64", 'i', 8),
    ("uint8", 'u', 1),
    ("uint16", 'u', 2),
    ("uint32", 'u', 4),
    ("uint64", 'u', 8),
    ("float16", 'f', 2),
    ("float32", 'f', 4),
    ("float64", 'f', 8),
    ("float128", 'f', 16),
    ("complex64", 'c', 8),
    ("complex128", 'c', 16),
    ("complex256", 'c', 32),
    ("int", 'i', 8),
    ("float", 'f', 8),
    ("complex", 'c', 16),
    ("str", 'U', 0),
    ("bytes", 'S', 0),
    ("void", 'V', 0),
    ("double", 'f', 8),
    ("single", 'f', 4),
    ("half", 'f', 2),
    ("longdouble", 'f', 16),
    ("byte", 'i', 1),
    ("ubyte", 'u', 1),
    ("short", 'i', 2),
    ("ushort", 'u', 2),
    ("intc", 'i', 4),
    ("uintc", 'u', 4),
    ("long", 'i', 8),
    ("ulong", 'u', 8),
    ("longlong", 'i', 8),
    ("ulonglong", 'u', 8),
    ("intp", 'i', 8),
];

/// numpy one-character type codes (a byte-order prefix may precede them), with kind and size.
/// Sizes are those of 64-bit Linux (`l` is 8 bytes).
fn char_code(c: char) -> Option<(char, usize)> {
    Some(match c {
        '?' => ('b', 1),
        'b' => ('i', 1),
        'B' => ('u', 1),
        'h' => ('i', 2),
        'H' => ('u', 2),
        'i' => ('i', 4),
        'I' => ('u', 4),
        'l' | 'q' | 'p' => ('i', 8),
        'L' | 'Q' | 'P' => ('u', 8),
        'e' => ('f', 2),
        'f' => ('f', 4),
        'd' => ('f', 8),
        'g' => ('f', 16),
        'F' => ('c', 8),
        'D' => ('c', 16),
        'G' => ('c', 32),
        'c' => ('S', 1),
        'S' | 'a' => ('S', 0),
        'U' => ('U', 0),
        'V' => ('V', 0),
        'M' => ('M', 8),
        'm' => ('m', 8),
        _ => return None,
    })
}

/// Parse a numpy type string as `numpy.dtype` reads it: `dtype.str` style (`<f8`, `|S12`,
/// `<U3`, `<M8[ns]`, `b1`, `u1`), one-character codes (`d`, `?`, `<i`) and type names
/// (`float64`, `bool`, `datetime64[ns]`). `O` anywhere gives [`NpyError::ObjectDtype`].
pub fn parse_typestr(s: &str) -> Result<TypeStr, NpyError> {
    let unknown = || NpyError::UnknownDtype(py_repr(s));
    let make = |byte_order: char, kind: char, size: usize, unit: &str| {
        let t = TypeStr {
            byte_order,
            kind,
            size,
            unit: unit.to_owned(),
            raw: s.to_owned(),
        };
        t.checked_itemsize().ok_or(NpyError::Overflow)?;
        Ok(t)
    };
    if matches!(
        s,
        "object"
            | "object_"
            | "O"
            | "|O"
            | "<O"
            | ">O"
            | "=O"
            | "O8"
            | "|O8"
            | "<O8"
            | ">O8"
            | "=O8"
    ) {
        return Err(NpyError::ObjectDtype);
    }
    if let Some(&(_, kind, size)) = TYPE_NAMES.iter().find(|(name, ..)| *name == s) {
        return make('|', kind, size, "");
    }
    for (name, kind) in [("datetime64", 'M'), ("timedelta64", 'm')] {
        if let Some(tail) = s.strip_prefix(name) {
            let unit = if tail.is_empty() {
                String::new()
            } else {
                parse_datetime_unit(tail).ok_or_else(unknown)?
            };
            return make('|', kind, 8, &unit);
        }
    }

    let mut rest = s;
    let mut byte_order = '|';
    if let Some(c) = rest.chars().next()
        && matches!(c, '<' | '>' | '|' | '=')
    {
        byte_order = c;
        rest = &rest[1..];
    }
    let mut chars = rest.chars();
    let code = chars.next().ok_or_else(unknown)?;
    let rest = chars.as_str();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, tail) = rest.split_at(digits_end);
    if digits.is_empty() {
        // A one-character code, possibly a datetime with a unit (`M[ns]` is not valid, but
        // numpy has no such form anyway; only `M8[..]`).
        let (kind, size) = char_code(code).ok_or_else(unknown)?;
        if !tail.is_empty() {
            return Err(unknown());
        }
        return make(byte_order, kind, size, "");
    }
    let size: usize = digits.parse().map_err(|_| NpyError::Overflow)?;
    let kind = match code {
        'a' => 'S',
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'U' | 'V' | 'M' | 'm' => code,
        _ => return Err(unknown()),
    };
    let mut unit = String::new();
    match (kind, size) {
        ('b', 1) | ('i' | 'u', 1 | 2 | 4 | 8) | ('f', 2 | 4 | 8 | 16) | ('c', 8 | 16 | 32) => {}
        ('S' | 'U' | 'V', _) => {}
        ('M' | 'm', 8) => {
            if !tail.is_empty() {
                unit = parse_datetime_unit(tail).ok_or_else(unknown)?;
            }
        }
        _ => return Err(unknown()),
    }
    if !tail.is_empty() && unit.is_empty() {
        return Err(unknown());
    }
    make(byte_order, kind, size, &unit)
}

/// `[ns]`, `[10s]`, `[generic]` → `"ns"`, `"10s"`, `"generic"`.
fn parse_datetime_unit(tail: &str) -> Option<String> {
    let inner = tail.strip_prefix('[')?.strip_suffix(']')?;
    let unit = inner.trim_start_matches(|c: char| c.is_ascii_digit());
    const UNITS: [&str; 15] = [
        "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic",
    ];
    UNITS.contains(&unit).then(|| inner.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Python literal parser
// ---------------------------------------------------------------------------------------------

/// The header exactly as numpy writes it for a plain or structured dtype,
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }` and its padding, read without
/// the general literal parser: it is what nearly every array holds, and the general parser
/// cost about 7 % of a corpus run. `None` for anything else, errors included: the general
/// parser then decides. Gives the [`Value`] the general parser gives (a property test checks).
fn parse_numpy_written(header: &str) -> Option<Value> {
    let rest = header.strip_prefix("{'descr': ")?;
    let (descr, rest) = match rest.strip_prefix('[') {
        Some(fields) => numpy_written_fields(fields)?,
        None => {
            let (typestr, rest) = quoted_word(rest, is_typestr_byte)?;
            (Value::Str(typestr.to_owned()), rest)
        }
    };
    let rest = rest.strip_prefix(", 'fortran_order': ")?;
    let (fortran_order, rest) = match rest.strip_prefix("False") {
        Some(rest) => (false, rest),
        None => (true, rest.strip_prefix("True")?),
    };
    let rest = rest.strip_prefix(", 'shape': (")?;
    let close = rest.find(')')?;
    let (mut dims_text, rest) = (&rest.as_bytes()[..close], &rest[close..]);
    if !rest
        .strip_prefix("), }")?
        .bytes()
        .all(|b| b == b' ' || b == b'\n')
    {
        return None;
    }
    // `()`, `(3,)`, `(3, 4)`: Python's tuple syntax. `(3)` is an int, left to the parser.
    let mut dims = Vec::new();
    let mut comma = false;
    while !dims_text.is_empty() {
        let digits = dims_text.iter().take_while(|b| b.is_ascii_digit()).count();
        // At most 18 digits always fit; a leading zero is a syntax error in Python 3.
        if digits == 0 || digits > 18 || (digits > 1 && dims_text[0] == b'0') {
            return None;
        }
        let dim = std::str::from_utf8(&dims_text[..digits])
            .ok()?
            .parse()
            .ok()?;
        dims.push(Value::Int(Some(dim)));
        dims_text = &dims_text[digits..];
        if dims_text.is_empty() {
            break;
        }
        dims_text = dims_text.strip_prefix(b",")?;
        comma = true;
        if !dims_text.is_empty() {
            dims_text = dims_text.strip_prefix(b" ")?;
        }
    }
    if dims.len() == 1 && !comma {
        return None;
    }
    let key = |k: &str| Value::Str(k.to_owned());
    Some(Value::Dict(vec![
        (key("descr"), descr),
        (key("fortran_order"), Value::Bool(fortran_order)),
        (key("shape"), Value::Tuple(dims)),
    ]))
}

/// A byte of a plain typestr as numpy writes it: `<f8`, `|S12`, `=i4`, `O`.
fn is_typestr_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'<' | b'>' | b'|' | b'=')
}

/// `'word'` at the start of `text`, every byte of `word` passing `allowed`, and what follows.
fn quoted_word(text: &str, allowed: impl Fn(u8) -> bool) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('\'')?;
    let end = rest.find('\'')?;
    let word = &rest[..end];
    word.bytes().all(allowed).then(|| (word, &rest[end + 1..]))
}

/// After the `[` of a structured descr as numpy writes it, `[('left_child', '<i8'), ...]`
/// (what a tree's node array holds): the list of `(name, typestr)` tuples and what follows
/// the `]`. Sub-array fields, titles and nested dtypes are left to the general parser.
fn numpy_written_fields(mut rest: &str) -> Option<(Value, &str)> {
    let mut fields = Vec::new();
    loop {
        rest = rest.strip_prefix('(')?;
        let (name, after) = quoted_word(rest, |b| b.is_ascii_alphanumeric() || b == b'_')?;
        let (typestr, after) = quoted_word(after.strip_prefix(", ")?, is_typestr_byte)?;
        rest = after.strip_prefix(')')?;
        fields.push(Value::Tuple(vec![
            Value::Str(name.to_owned()),
            Value::Str(typestr.to_owned()),
        ]));
        match rest.strip_prefix("]") {
            Some(after) => return Some((Value::List(fields), after)),
            None => rest = rest.strip_prefix(", ")?,
        }
    }
}

/// A Python literal value (the subset `ast.literal_eval` handles that headers can hold).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bytes(Vec<u8>),
    /// An int; `None` when it does not fit in `i128`.
    Int(Option<i128>),
    Float,
    Complex,
    Bool(bool),
    None,
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Set(Vec<Value>),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Str(_) => format!("the string {}", self.repr()),
            Value::Bytes(b) => format!("a bytes literal of {} bytes", b.len()),
            Value::Int(_) => format!("the int {}", self.repr()),
            Value::Float => "a float".to_owned(),
            Value::Complex => "a complex number".to_owned(),
            Value::Bool(_) | Value::None => self.repr(),
            Value::Tuple(_) => "a tuple".to_owned(),
            Value::List(_) => "a list".to_owned(),
            Value::Dict(_) => "a dict".to_owned(),
            Value::Set(items) => format!("a set of {} items", items.len()),
        }
    }

    /// Short Python-like rendering for messages.
    fn repr(&self) -> String {
        match self {
            Value::Str(s) => {
                let short: String = s.chars().take(60).collect();
                py_repr(&short)
            }
            Value::Bytes(b) => {
                let mut out = String::from("b'");
                for &byte in b.iter().take(60) {
                    match byte {
                        b'\\' => out.push_str("\\\\"),
                        b'\'' => out.push_str("\\'"),
                        0x20..=0x7e => out.push(char::from(byte)),
                        _ => {
                            let _ = write!(out, "\\x{byte:02x}");
                        }
                    }
                }
                out.push('\'');
                out
            }
            Value::Int(Some(n)) => n.to_string(),
            Value::Int(None) => "<huge int>".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::None => "None".to_owned(),
            other => other.describe(),
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    allow_long: bool,
    saw_long: bool,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, NpyError> {
        self.err_at(self.pos, message)
    }

    fn err_at<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, NpyError> {
        Err(NpyError::HeaderSyntax {
            message: message.into(),
            offset_in_header: offset,
        })
    }

    fn never_closed<T>(&self, open: usize) -> Result<T, NpyError> {
        let c = self.src[open..].chars().next().unwrap_or('(');
        self.err_at(open, format!("'{c}' is never closed"))
    }

    fn peek(&self) -> Option<char> {
        // `pos` is always on a char boundary, so an ASCII byte there is the whole char.
        match self.src.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            _ => self.src[self.pos..].chars().next(),
        }
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skip whitespace, comments and backslash line continuations.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\n' | '\r' | '\x0c') => self.pos += 1,
                Some('#') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                }
                Some('\\') if matches!(self.peek_at(1), Some('\n')) => self.pos += 2,
                Some('\\') if self.src[self.pos..].starts_with("\\\r\n") => self.pos += 3,
                _ => return,
            }
        }
    }

    fn parse_header(&mut self) -> Result<Value, NpyError> {
        self.skip_ws();
        if self.pos == self.src.len() {
            return self.err("the header is empty");
        }
        let value = self.parse_value()?;
        self.skip_ws();
        if self.pos < self.src.len() {
            let c = self.peek().unwrap_or(' ');
            return self.err(format!(
                "unexpected {} after the header value",
                describe_char(c)
            ));
        }
        Ok(value)
    }

    fn parse_value(&mut self) -> Result<Value, NpyError> {
        self.skip_ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return self.err("unexpected end of header, expected a value");
        };
        match c {
            '(' | '[' | '{' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return self.err("brackets nested too deeply");
                }
                self.pos += 1;
                let v = match c {
                    '(' => self.parse_paren(start),
                    '[' => self.parse_seq(']', start).map(Value::List),
                    _ => self.parse_brace(start),
                };
                self.depth -= 1;
                v
            }
            '\'' | '"' => self.parse_strings(),
            '-' | '+' => {
                self.pos += 1;
                self.skip_ws();
                match self.peek() {
                    Some(d) if d.is_ascii_digit() || d == '.' => {
                        let v = self.parse_number()?;
                        Ok(match (c, v) {
                            ('-', Value::Int(Some(n))) => Value::Int(n.checked_neg()),
                            (_, v) => v,
                        })
                    }
                    _ => self.err_at(start, "a sign must be followed by a number"),
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                self.parse_number()
            }
            c if c.is_alphabetic() || c == '_' => {
                let word = self.take_ident();
                // String prefixes: u'', b'', r'', br'', rb''.
                if matches!(self.peek(), Some('\'' | '"'))
                    && matches!(
                        word.to_ascii_lowercase().as_str(),
                        "u" | "b" | "r" | "br" | "rb"
                    )
                {
                    self.pos = start;
                    return self.parse_strings();
                }
                match word {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "None" => Ok(Value::None),
                    _ => self.err_at(
                        start,
                        format!("unexpected name '{word}' (only literals are allowed)"),
                    ),
                }
            }
            c => self.err(format!("unexpected {}", describe_char(c))),
        }
    }

    fn take_ident(&mut self) -> &'a str {
        let src = self.src;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &src[start..self.pos]
    }

    /// After `(`: `()`, `(x)`, `(x,)`, `(x, y)`.
    fn parse_paren(&mut self, start: usize) -> Result<Value, NpyError> {
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Value::Tuple(Vec::new()));
        }
        let first = self.parse_value()?;
        self.skip_ws();
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(first)
            }
            Some(',') => {
                self.pos += 1;
                let mut items = vec![first];
                items.extend(self.parse_seq(')', start)?);
                Ok(Value::Tuple(items))
            }
            Some(c) => self.err(format!("expected ',' or ')', found {}", describe_char(c))),
            None => self.never_closed(start),
        }
    }

    /// Comma-separated values up to `close`, trailing comma allowed.
    fn parse_seq(&mut self, close: char, open: usize) -> Result<Vec<Value>, NpyError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.parse_value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {}
                Some(c) => {
                    return self.err(format!(
                        "expected ',' or '{close}', found {}",
                        describe_char(c)
                    ));
                }
                None => return self.never_closed(open),
            }
        }
    }

    /// After `{`: a dict or a set.
    fn parse_brace(&mut self, open: usize) -> Result<Value, NpyError> {
        self.skip_ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Value::Dict(Vec::new()));
        }
        let first = self.parse_value()?;
        self.skip_ws();
        if self.peek() != Some(':') {
            let mut items = vec![first];
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    items.extend(self.parse_seq('}', open)?);
                }
                Some('}') => self.pos += 1,
                Some(c) => {
                    return self.err(format!(
                        "expected ':', ',' or '}}', found {}",
                        describe_char(c)
                    ));
                }
                None => return self.never_closed(open),
            }
            return Ok(Value::Set(items));
        }
        self.pos += 1;
        let mut items = vec![(first, self.parse_value()?)];
        loop {
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(Value::Dict(items));
                }
                Some(c) => {
                    return self.err(format!("expected ',' or '}}', found {}", describe_char(c)));
                }
                None => return self.never_closed(open),
            }
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Value::Dict(items));
            }
            let key = self.parse_value()?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return self.err("expected ':' after a dict key");
            }
            self.pos += 1;
            let value = self.parse_value()?;
            items.push((key, value));
        }
    }

    /// One or more adjacent string literals (Python concatenates them).
    fn parse_strings(&mut self) -> Result<Value, NpyError> {
        let start = self.pos;
        let mut text: Option<String> = None;
        let mut bytes: Option<Vec<u8>> = None;
        loop {
            let lit_start = self.pos;
            let prefix = self.take_ident().to_ascii_lowercase();
            let is_bytes = prefix.contains('b');
            let is_raw = prefix.contains('r');
            let (s, b) = self.parse_string_body(lit_start, is_raw, is_bytes)?;
            match (is_bytes, &mut text, &mut bytes) {
                (false, None, None) => text = Some(s),
                (false, Some(t), None) => t.push_str(&s),
                (true, None, None) => bytes = Some(b),
                (true, None, Some(v)) => v.extend(b),
                _ => return self.err_at(lit_start, "cannot mix bytes and str literals"),
            }
            self.skip_ws();
            let save = self.pos;
            let next_prefix = self.take_ident().to_ascii_lowercase();
            let is_string_next = matches!(self.peek(), Some('\'' | '"'))
                && matches!(next_prefix.as_str(), "" | "u" | "b" | "r" | "br" | "rb");
            self.pos = save;
            if !is_string_next {
                break;
            }
        }
        match (text, bytes) {
            (Some(t), _) => Ok(Value::Str(t)),
            (_, Some(b)) => Ok(Value::Bytes(b)),
            _ => self.err_at(start, "expected a string"),
        }
    }

    /// The quoted part of a string literal; returns the text (for str) or bytes (for bytes).
    fn parse_string_body(
        &mut self,
        start: usize,
        raw: bool,
        is_bytes: bool,
    ) -> Result<(String, Vec<u8>), NpyError> {
        let Some(quote) = self.bump() else {
            return self.err("expected a quote");
        };
        if self.peek() == Some(quote) && self.peek_at(1) == Some(quote) {
            return self.err_at(
                start,
                "triple-quoted strings are not supported in NPY headers",
            );
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return self.err_at(start, "unterminated string");
            };
            match c {
                c if c == quote => break,
                '\n' | '\r' => return self.err_at(start, "unterminated string (line break)"),
                '\\' => {
                    let esc_pos = self.pos - 1;
                    let Some(e) = self.bump() else {
                        return self.err_at(start, "unterminated string");
                    };
                    if raw {
                        // In raw strings the backslash stays; `\'` does not end the string.
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                    match e {
                        '\n' => {}
                        '\\' | '\'' | '"' => out.push(e),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'v' => out.push('\x0b'),
                        '0'..='7' => {
                            let mut v = e.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match self.peek().and_then(|d| d.to_digit(8)) {
                                    Some(d) => {
                                        v = v * 8 + d;
                                        self.pos += 1;
                                    }
                                    None => break,
                                }
                            }
                            out.push(self.code_point(v, esc_pos)?);
                        }
                        'x' => {
                            let v = self.hex_digits(2, esc_pos)?;
                            out.push(self.code_point(v, esc_pos)?);
                        }
                        'u' | 'U' if !is_bytes => {
                            let v = self.hex_digits(if e == 'u' { 4 } else { 8 }, esc_pos)?;
                            out.push(self.code_point(v, esc_pos)?);
                        }
                        'N' if !is_bytes => {
                            return self.err_at(esc_pos, "\\N{...} escapes are not supported");
                        }
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                c if is_bytes && !c.is_ascii() => {
                    return self.err_at(start, "bytes can only contain ASCII literal characters");
                }
                c => out.push(c),
            }
        }
        if is_bytes {
            let mut bytes = Vec::with_capacity(out.len());
            for c in out.chars() {
                match u8::try_from(u32::from(c)) {
                    Ok(b) => bytes.push(b),
                    Err(_) => return self.err_at(start, "bytes escape value is larger than 0o377"),
                }
            }
            Ok((String::new(), bytes))
        } else {
            Ok((out, Vec::new()))
        }
    }

    fn hex_digits(&mut self, n: usize, esc_pos: usize) -> Result<u32, NpyError> {
        let mut v: u32 = 0;
        for _ in 0..n {
            match self.peek().and_then(|d| d.to_digit(16)) {
                Some(d) => {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    self.pos += 1;
                }
                None => return self.err_at(esc_pos, "truncated escape sequence"),
            }
        }
        Ok(v)
    }

    fn code_point(&self, v: u32, esc_pos: usize) -> Result<char, NpyError> {
        match char::from_u32(v) {
            Some(c) => Ok(c),
            None => self.err_at(esc_pos, "escape sequence is not a valid character"),
        }
    }

    /// A number literal; ints become `Value::Int`, with an optional Python 2 `L` suffix.
    fn parse_number(&mut self) -> Result<Value, NpyError> {
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let radix = match rest.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        let value = if radix != 10 {
            self.pos += 2;
            self.parse_digits(radix, start)?
        } else {
            let digits_start = self.pos;
            let v = self.parse_digits(10, start)?;
            let is_float = matches!(self.peek(), Some('.' | 'e' | 'E' | 'j' | 'J'));
            if is_float {
                self.skip_float_tail();
                return Ok(if self.src[start..self.pos].ends_with(['j', 'J']) {
                    Value::Complex
                } else {
                    Value::Float
                });
            }
            let text = &self.src[digits_start..self.pos];
            if text.len() > 1 && text.starts_with('0') && text.chars().any(|c| c != '0' && c != '_')
            {
                return self.err_at(
                    start,
                    "leading zeros in decimal integer literals are not permitted",
                );
            }
            v
        };
        if self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            // Python 2 long suffix: a separate NAME token 'L' that numpy filters out.
            let save = self.pos;
            if self.take_ident() == "L" && self.allow_long {
                self.saw_long = true;
                return Ok(value);
            }
            self.pos = save;
            return self.err_at(start, "invalid number literal");
        }
        // `3 L` tokenizes the same way as `3L`.
        let save = self.pos;
        self.skip_ws();
        if self.allow_long
            && self.src[self.pos..].starts_with('L')
            && !self.src[self.pos + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.pos += 1;
            self.saw_long = true;
        } else {
            self.pos = save;
        }
        Ok(value)
    }

    fn parse_digits(&mut self, radix: u32, start: usize) -> Result<Value, NpyError> {
        let mut value: Option<i128> = Some(0);
        let mut any = false;
        let mut last_underscore = false;
        while let Some(c) = self.peek() {
            if c == '_' {
                if !any || last_underscore {
                    return self.err_at(start, "invalid number literal");
                }
                last_underscore = true;
                self.pos += 1;
                continue;
            }
            let Some(d) = c.to_digit(radix) else {
                if radix == 10 || !c.is_ascii_hexdigit() {
                    break;
                }
                return self.err_at(start, "invalid digit in number literal");
            };
            value = value
                .and_then(|v| v.checked_mul(i128::from(radix)))
                .and_then(|v| v.checked_add(i128::from(d)));
            any = true;
            last_underscore = false;
            self.pos += 1;
        }
        if last_underscore || (!any && radix != 10) {
            return self.err_at(start, "invalid number literal");
        }
        if !any && self.peek() != Some('.') {
            return self.err_at(start, "invalid number literal");
        }
        Ok(Value::Int(value))
    }

    fn skip_float_tail(&mut self) {
        while let Some(c) = self.peek() {
            let prev = self.src[..self.pos].chars().last();
            let ok = c.is_ascii_digit()
                || matches!(c, '.' | 'e' | 'E' | '_')
                || (matches!(c, '+' | '-') && matches!(prev, Some('e' | 'E')));
            if ok {
                self.pos += 1;
            } else {
                if matches!(c, 'j' | 'J') {
                    self.pos += 1;
                }
                break;
            }
        }
    }
}

fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("character U+{:04X}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    // Real payloads from the corpus (base64-decoded `npy` values).

    /// `|S12` (1,), a TF-IDF/feature name; 3.4.0-era 16-byte-aligned header.
    const REAL_S12: &[u8] = b"\x93NUMPY\x01\x00F\x00{'descr': '|S12', 'fortran_order': False, 'shape': (1,), }           \
    \nsepal_length";
    /// `<i8` (1,), an NDArrayWrapperCodec scalar.
    const REAL_I8: &[u8] = b"\x93NUMPY\x01\x00F\x00{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }            \
    \n\x01\x00\x00\x00\x00\x00\x00\x00";
    /// `<i4` (1,) with a 64-byte-aligned header (newer numpy).
    const REAL_I4_ALIGN64: &[u8] = b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }             \
    \x20                                              \n\x0b\x00\x00\x00";
    /// `<f8` (0,): empty.
    const REAL_F8_EMPTY: &[u8] = b"\x93NUMPY\x01\x00F\x00{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }            \
    \n";
    /// sklearn Tree `nodes` (5 nodes, 7 fields, pre-1.3 layout).
    const REAL_TREE: &[u8] = b"\x93NUMPY\x01\x00\xe6\x00{'descr': [('left_child', '<i8'), ('right_child', '<i8'), ('feature\
    ', '<i8'), ('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_\
    n_node_samples', '<f8')], 'fortran_order': False, 'shape': (5,), }    \n\x01\x00\x00\x00\x00\
    \x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\
    ff\xf2?\xba\xcc\xf0=\xe7\x1f{?\x96\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0b@\x02\
    \x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\xc0\xcc\xcc\xf0?\xff\xff\xff\xff\xff\xff\xcf?\x02\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00@\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\
    \xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\
    \x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\xff\xff\xff\xff\xff\
    \xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\
    \x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\xf0?\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\
    \xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\xc0{<\x94\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80b@";

    /// The memo answers what parsing each payload afresh answers, whatever came before:
    /// same header with a different length (short data, trailing bytes), other versions,
    /// broken preludes, and more distinct headers than it keeps.
    #[test]
    fn header_memo_gives_what_a_fresh_parse_gives() {
        let limits = Limits::default();
        let mut payloads = vec![
            REAL_I8.to_vec(),
            REAL_S12.to_vec(),
            REAL_I8.to_vec(),
            REAL_I8[..REAL_I8.len() - 1].to_vec(),
            [REAL_I8, b"xyz"].concat(),
            REAL_TREE.to_vec(),
            REAL_I4_ALIGN64.to_vec(),
            REAL_F8_EMPTY.to_vec(),
            REAL_I8[..9].to_vec(),
            REAL_I8[..60].to_vec(),
            versioned((2, 0), &REAL_I8[10..80], &REAL_I8[80..]),
            versioned((3, 0), &REAL_I8[10..80], &REAL_I8[80..]),
            REAL_I8.to_vec(),
        ];
        for n in 0..40 {
            payloads.push(v1(
                &format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({n},), }}"),
                &vec![7; 8 * n],
            ));
        }
        payloads.extend([
            REAL_TREE.to_vec(),
            REAL_S12.to_vec(),
            v1(
                "{'descr': '<i8', 'fortran_order': False, 'shape': (39,), }",
                &[7; 8 * 39],
            ),
        ]);
        let mut memo = HeaderMemo::default();
        for (i, payload) in payloads.into_iter().enumerate() {
            let fresh = parse_owned_elided(payload.clone(), &limits);
            let memoized = parse_owned_elided_memo(payload, &limits, &mut memo);
            assert_eq!(format!("{memoized:?}"), format!("{fresh:?}"), "payload {i}");
        }
        assert_eq!(memo.entries.len(), HeaderMemo::CAPACITY);
    }

    /// A version 1.0 file with `header` padded and terminated like numpy does (16-byte).
    fn v1(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.to_owned();
        while !(10 + h.len() + 1).is_multiple_of(16) {
            h.push(' ');
        }
        h.push('\n');
        versioned((1, 0), h.as_bytes(), data)
    }

    fn versioned(version: (u8, u8), header: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([version.0, version.1]);
        if version == (1, 0) {
            out.extend((header.len() as u16).to_le_bytes());
        } else {
            out.extend((header.len() as u32).to_le_bytes());
        }
        out.extend(header);
        out.extend(data);
        out
    }

    fn dict(descr: &str, shape: &str) -> String {
        format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}")
    }

    fn le_f64(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn real_string_payload() {
        let a = parse(REAL_S12).unwrap();
        assert_eq!(a.version, (1, 0));
        assert_eq!(a.descr.to_python(), "'|S12'");
        assert_eq!(a.shape, vec![1]);
        assert_eq!(a.data_offset, 80);
        assert_eq!(a.itemsize(), 12);
        assert_eq!(a.strings().unwrap(), vec!["sepal_length"]);
        assert_eq!(a.header_bytes(), &REAL_S12[10..80]);
        assert!(a.header.ends_with(" \n"));
        assert_eq!(a.trailing, 0);
        assert_eq!(a.f64_values(), None);
    }

    #[test]
    fn real_scalar_payloads() {
        let a = parse(REAL_I8).unwrap();
        assert_eq!(a.i64_values().unwrap(), vec![1]);
        assert_eq!(a.f64_values().unwrap(), vec![1.0]);
        let b = parse(REAL_I4_ALIGN64).unwrap();
        assert_eq!(b.data_offset, 128);
        assert_eq!(b.i64_values().unwrap(), vec![11]);
        let e = parse(REAL_F8_EMPTY).unwrap();
        assert!(e.is_empty());
        assert_eq!(e.f64_values().unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn real_tree_nodes() {
        let a = parse(REAL_TREE).unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!(a.itemsize(), 56);
        assert_eq!(
            a.descr.to_python(),
            "[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), \
             ('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'), \
             ('weighted_n_node_samples', '<f8')]"
        );
        assert!(a.header.contains(&a.descr.to_python()));
        assert_eq!(a.field_i64("left_child").unwrap(), vec![1, 2, -1, -1, -1]);
        assert_eq!(a.field_i64("feature").unwrap(), vec![0, 0, -2, -2, -2]);
        assert_eq!(
            a.field_f64("n_node_samples").unwrap(),
            vec![150.0, 2.0, 1.0, 1.0, 148.0]
        );
        let t = a.field_f64("threshold").unwrap();
        assert!((t[0] - 1.1500001).abs() < 1e-6 && t[2] == -2.0);
        assert_eq!(a.field("threshold").unwrap().offset, 24);
        assert_eq!(a.field_f64("missing_go_to_left"), None);
        assert_eq!(a.f64_values(), None);
    }

    #[test]
    fn sklearn_13_nodes_with_padding() {
        let descr = "[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), \
                     ('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'), \
                     ('weighted_n_node_samples', '<f8'), ('missing_go_to_left', 'u1'), \
                     ('', '|V7')]";
        let mut data = Vec::new();
        for (left, flag) in [(1i64, 1u8), (-1, 0)] {
            data.extend(left.to_le_bytes());
            data.extend([0u8; 16]);
            data.extend(0.5f64.to_le_bytes());
            data.extend([0u8; 24]);
            data.push(flag);
            data.extend([0xAAu8; 7]);
        }
        let a = parse(&v1(&dict(descr, "(2,)"), &data)).unwrap();
        assert_eq!(a.itemsize(), 64);
        let fields = a.descr.fields().unwrap();
        assert_eq!(fields.len(), 9);
        assert!(fields[8].is_padding() && !fields[7].is_padding());
        assert_eq!(a.field_i64("left_child").unwrap(), vec![1, -1]);
        assert_eq!(a.field_i64("missing_go_to_left").unwrap(), vec![1, 0]);
        assert_eq!(a.field_f64("threshold").unwrap(), vec![0.5, 0.5]);
        assert_eq!(a.field_f64(""), None);
        assert_eq!(
            a.descr.to_python(),
            descr.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert!(
            a.descr
                .to_python_canonical()
                .contains("('missing_go_to_left', '|u1')")
        );
    }

    #[test]
    fn header_syntax_variants() {
        let data = le_f64(&[1.0, 2.0, 3.0]);
        for header in [
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            "{\"descr\": \"<f8\", \"shape\": (3,), \"fortran_order\": False}",
            "{'shape':(3,),'fortran_order':False,'descr':'<f8'}",
            "  {'descr': '<' 'f8', # comment\n 'fortran_order': False, 'shape': (0x3,)}",
            "{u'descr': u'<f8', 'fortran_order': False, 'shape': (+3,), }",
            "{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (3,), }",
            "{'descr': '<i8', 'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
        ] {
            let a = parse(&v1(header, &data)).unwrap_or_else(|e| panic!("{header}: {e}"));
            assert_eq!(a.f64_values().unwrap(), vec![1.0, 2.0, 3.0], "{header}");
            assert!(!a.py2_long_ints);
        }
    }

    #[test]
    fn python2_long_suffix() {
        let data = le_f64(&[1.0, 2.0, 3.0]);
        let a = parse(&v1(&dict("'<f8'", "(3L,)"), &data)).unwrap();
        assert!(a.py2_long_ints);
        assert_eq!(a.shape, vec![3]);
        let mut h = dict("'<f8'", "(3L,)");
        h.push('\n');
        let err = parse(&versioned((3, 0), h.as_bytes(), &data)).unwrap_err();
        assert!(
            matches!(
                err,
                NpyError::HeaderSyntax {
                    offset_in_header: 51,
                    ..
                }
            ),
            "{err}"
        );
        let err = parse(&v1(&dict("'<f8'", "(3l,)"), &data)).unwrap_err();
        assert!(matches!(err, NpyError::HeaderSyntax { .. }));
    }

    #[test]
    fn versions_2_and_3() {
        let mut h = dict("[('ключ', '<f8')]", "(1,)");
        h.push('\n');
        let a = parse(&versioned((3, 0), h.as_bytes(), &le_f64(&[2.5]))).unwrap();
        assert_eq!(a.version, (3, 0));
        assert_eq!(a.field_f64("ключ").unwrap(), vec![2.5]);
        assert_eq!(a.header_bytes(), h.as_bytes());
        let b = parse(&versioned((2, 0), h.as_bytes(), &le_f64(&[2.5]))).unwrap();
        // Versions 1.0 and 2.0 are Latin-1: the same bytes read as other characters.
        assert_eq!(b.header_bytes(), h.as_bytes());
        assert!(b.field("ключ").is_none());
        let err = parse(&versioned((3, 0), b"{'descr': '\xff'}\n", b"")).unwrap_err();
        assert_eq!(err, NpyError::HeaderEncoding);
    }

    #[test]
    fn simple_dtypes_and_byte_orders() {
        type Case = (&'static str, Vec<u8>, Option<Vec<f64>>);
        let cases: Vec<Case> = vec![
            ("'|b1'", vec![0, 1, 7], Some(vec![0.0, 1.0, 1.0])),
            ("'?'", vec![1], Some(vec![1.0])),
            ("'|i1'", vec![0xff], Some(vec![-1.0])),
            ("'u1'", vec![0xff], Some(vec![255.0])),
            ("'>i2'", vec![0xff, 0xfe], Some(vec![-2.0])),
            ("'<u2'", vec![0x01, 0x02], Some(vec![513.0])),
            ("'>u4'", vec![0, 0, 1, 0], Some(vec![256.0])),
            ("'<i4'", (-5i32).to_le_bytes().to_vec(), Some(vec![-5.0])),
            ("'>i8'", (-7i64).to_be_bytes().to_vec(), Some(vec![-7.0])),
            (
                "'<u8'",
                u64::MAX.to_le_bytes().to_vec(),
                Some(vec![u64::MAX as f64]),
            ),
            ("'<f2'", vec![0x00, 0x3e], Some(vec![1.5])),
            ("'>f2'", vec![0xfc, 0x00], Some(vec![f64::NEG_INFINITY])),
            ("'<f2'", vec![0x01, 0x00], Some(vec![2f64.powi(-24)])),
            ("'<f4'", 0.25f32.to_le_bytes().to_vec(), Some(vec![0.25])),
            ("'>f8'", 1.5f64.to_be_bytes().to_vec(), Some(vec![1.5])),
            ("'=f8'", 1.5f64.to_le_bytes().to_vec(), Some(vec![1.5])),
            ("'d'", 1.5f64.to_le_bytes().to_vec(), Some(vec![1.5])),
            ("'float64'", 1.5f64.to_le_bytes().to_vec(), Some(vec![1.5])),
            ("'<f16'", vec![0; 16], None),
            ("'<c16'", vec![0; 16], None),
            ("'<c8'", vec![0; 8], None),
            ("'|V4'", vec![0; 4], None),
        ];
        for (descr, data, want) in cases {
            let itemsize = parse_typestr(descr.trim_matches('\'')).unwrap().itemsize();
            let shape = format!("({},)", data.len() / itemsize);
            let a =
                parse(&v1(&dict(descr, &shape), &data)).unwrap_or_else(|e| panic!("{descr}: {e}"));
            assert_eq!(a.f64_values(), want, "{descr}");
        }
        let a = parse(&v1(&dict("'<u8'", "(1,)"), &u64::MAX.to_le_bytes())).unwrap();
        assert_eq!(a.i64_values(), None);
        let a = parse(&v1(&dict("'<f8'", "(1,)"), &1.0f64.to_le_bytes())).unwrap();
        assert_eq!(a.i64_values(), None);
    }

    #[test]
    fn typestr_details() {
        let t = parse_typestr("<U3").unwrap();
        assert_eq!(
            (t.byte_order, t.kind, t.size, t.itemsize()),
            ('<', 'U', 3, 12)
        );
        let t = parse_typestr("u1").unwrap();
        assert_eq!((t.byte_order, t.canonical()), ('|', "|u1".to_owned()));
        assert_eq!(parse_typestr("?").unwrap().canonical(), "|b1");
        assert_eq!(parse_typestr("=i8").unwrap().canonical(), "<i8");
        let t = parse_typestr("<M8[ns]").unwrap();
        assert_eq!(
            (t.kind, t.unit.as_str(), t.canonical()),
            ('M', "ns", "<M8[ns]".to_owned())
        );
        assert_eq!(parse_typestr("datetime64[10s]").unwrap().unit, "10s");
        for bad in [
            "<x8", "<f12", "|b2", "<M4", "<M8[]", "<M8[xx]", "!i8", "", "<", "i8 ",
        ] {
            assert!(
                matches!(parse_typestr(bad), Err(NpyError::UnknownDtype(_))),
                "{bad}"
            );
        }
        for obj in ["|O", "O", "<O8", "object"] {
            assert_eq!(parse_typestr(obj), Err(NpyError::ObjectDtype), "{obj}");
        }
    }

    #[test]
    fn strings_and_datetimes() {
        let mut data = Vec::new();
        for s in ["ab", "xyz", "é😀"] {
            let mut chars: Vec<u32> = s.chars().map(u32::from).collect();
            chars.resize(3, 0);
            data.extend(chars.iter().flat_map(|c| c.to_be_bytes()));
        }
        let a = parse(&v1(&dict("'>U3'", "(3,)"), &data)).unwrap();
        assert_eq!(a.strings().unwrap(), vec!["ab", "xyz", "é😀"]);
        let a = parse(&v1(&dict("'|S3'", "(2,)"), b"a\0\0\xffb\0")).unwrap();
        assert_eq!(a.strings().unwrap(), vec!["a", "\u{fffd}b"]);
        let a = parse(&v1(&dict("'|S0'", "(5,)"), b"")).unwrap();
        assert_eq!((a.len(), a.strings()), (5, None));
        let mut data = 1_577_836_800_000_000_000i64.to_le_bytes().to_vec();
        data.extend(i64::MIN.to_le_bytes());
        let a = parse(&v1(&dict("'<M8[ns]'", "(2,)"), &data)).unwrap();
        assert_eq!(
            a.i64_values().unwrap(),
            vec![1_577_836_800_000_000_000, i64::MIN]
        );
        assert_eq!(a.f64_values(), None);
    }

    #[test]
    fn shapes_and_layouts() {
        let a = parse(&v1(&dict("'<f8'", "()"), &le_f64(&[3.25]))).unwrap();
        assert_eq!((a.shape.clone(), a.len()), (vec![], 1));
        let a = parse(&v1(&dict("'<i4'", "(3, 0)"), b"")).unwrap();
        assert_eq!((a.len(), a.data.len()), (0, 0));
        let h = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
        let a = parse(&v1(h, &le_f64(&[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]))).unwrap();
        assert!(a.fortran_order);
        assert_eq!(a.f64_values().unwrap(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        let a = parse(&v1(&dict("'<f8'", "(1,)"), b"12345678xyz")).unwrap();
        assert_eq!((a.trailing, a.data.len()), (3, 8));
    }

    #[test]
    fn structured_forms() {
        let h = dict("[('p', [('x', '<f8'), ('y', '<i2')]), ('z', 'u1')]", "(1,)");
        let a = parse(&v1(&h, &[0; 11])).unwrap();
        assert_eq!(a.itemsize(), 11);
        assert_eq!(a.field("z").unwrap().offset, 10);
        assert_eq!(a.field_f64("p"), None);
        let h = dict(
            "[('m', '<i4', (2, 2)), ('n', '>f4', 3), (('The A', 'a'), '<i2')]",
            "(1,)",
        );
        let mut data: Vec<u8> = (1..=4i32).flat_map(|v| v.to_le_bytes()).collect();
        data.extend([1.0f32, 2.0, 3.0].iter().flat_map(|v| v.to_be_bytes()));
        data.extend(9i16.to_le_bytes());
        let a = parse(&v1(&h, &data)).unwrap();
        assert_eq!(a.field_i64("m").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(a.field_f64("n").unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(a.field("a").unwrap().title.as_deref(), Some("The A"));
        assert_eq!(a.field_i64("a").unwrap(), vec![9]);
        assert_eq!(
            a.descr.to_python(),
            "[('m', '<i4', (2, 2)), ('n', '>f4', (3,)), (('The A', 'a'), '<i2')]"
        );
        // numpy's legacy repeat prefix and (dtype, shape) tuples merge into the field shape.
        let h = dict(
            "[('a', '2i4'), ('b', ('<i2', (3,)), (2,)), ('', '<f8', (2,))]",
            "(1,)",
        );
        let a = parse(&v1(&h, &[0; 8 + 12 + 16])).unwrap();
        let f = a.descr.fields().unwrap();
        assert_eq!(
            (f[0].shape.clone(), f[1].shape.clone()),
            (vec![2], vec![2, 3])
        );
        assert!(f[2].is_padding());
        let h = dict("[(\"it's\", '<f8')]", "(1,)");
        assert_eq!(
            parse(&v1(&h, &[0; 8])).unwrap().descr.to_python(),
            "[(\"it's\", '<f8')]"
        );
        let a = parse(&v1(&dict("[]", "(4,)"), b"")).unwrap();
        assert_eq!((a.itemsize(), a.field_f64("x")), (0, None));
    }

    #[test]
    fn top_level_subarray_descr() {
        // numpy loads ('<f8', (1,)) as plain '<f8' but fails on ('<f8', (3,)).
        let a = parse(&v1(&dict("('<f8', (1,))", "(2,)"), &le_f64(&[1.0, 2.0]))).unwrap();
        assert_eq!(a.f64_values().unwrap(), vec![1.0, 2.0]);
        let err = parse(&v1(
            &dict("('<f8', (3,))", "(1,)"),
            &le_f64(&[1.0, 2.0, 3.0]),
        ))
        .unwrap_err();
        assert!(
            matches!(err, NpyError::InvalidValue { key: "descr", .. }),
            "{err}"
        );
    }

    #[test]
    fn error_kinds() {
        let ok = v1(&dict("'<f8'", "(1,)"), &le_f64(&[1.0]));
        let e = |bytes: &[u8]| parse(bytes).unwrap_err();
        assert_eq!(e(b"PK\x03\x04 not npy"), NpyError::BadMagic);
        assert_eq!(e(b"\x93NUMPX\x01\x00"), NpyError::BadMagic);
        assert_eq!(e(b"x"), NpyError::BadMagic);
        assert!(matches!(
            e(b""),
            NpyError::Truncated {
                needed: 8,
                available: 0,
                ..
            }
        ));
        assert!(matches!(
            e(&ok[..9]),
            NpyError::Truncated {
                what: "header length",
                ..
            }
        ));
        assert!(matches!(
            e(&ok[..40]),
            NpyError::Truncated {
                what: "header",
                needed: 70,
                available: 30
            }
        ));
        let mut bad = ok.clone();
        bad[6] = 4;
        assert_eq!(e(&bad), NpyError::UnsupportedVersion(4, 0));
        bad[6] = 1;
        bad[7] = 1;
        assert_eq!(e(&bad), NpyError::UnsupportedVersion(1, 1));
        let limits = Limits {
            max_header_len: 32,
            ..Limits::default()
        };
        assert_eq!(
            parse_with(&ok, &limits).unwrap_err(),
            NpyError::HeaderTooLong { len: 70, limit: 32 }
        );
        let syntax = |h: &str| match e(&v1(h, b"")) {
            NpyError::HeaderSyntax {
                offset_in_header, ..
            } => offset_in_header,
            other => panic!("{h}: {other}"),
        };
        assert_eq!(
            syntax("{'descr': '<f8', 'fortran_order': False, 'shape': (3,) "),
            0
        );
        assert_eq!(syntax("{'descr': <f8}"), 10);
        assert_eq!(syntax("{'descr': '<f8}"), 10);
        assert_eq!(syntax("{'descr': eval('1')}"), 10);
        assert_eq!(syntax("{'shape': (03,)}"), 11);
        assert_eq!(syntax("{'a': 1} x"), 9);
        assert_eq!(syntax(""), 6);
        assert_eq!(syntax(&"(".repeat(500)), MAX_DEPTH);
        assert!(matches!(e(&v1("[1, 2]", b"")), NpyError::NotADict(_)));
        assert!(matches!(e(&v1("{1, 2}", b"")), NpyError::NotADict(_)));
        assert_eq!(
            e(&v1("{'descr': '<f8', 'shape': (1,)}", b"")),
            NpyError::MissingKey("fortran_order")
        );
        assert_eq!(
            e(&v1("{'descr': '<f8', 'fortran_order': False}", b"")),
            NpyError::MissingKey("shape")
        );
        assert_eq!(
            e(&v1("{'shape': (), 'fortran_order': False}", b"")),
            NpyError::MissingKey("descr")
        );
        assert_eq!(
            e(&v1(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}",
                b""
            )),
            NpyError::UnexpectedKey("'x'".to_owned())
        );
        assert_eq!(
            e(&v1(
                "{b'descr': '<f8', 'fortran_order': False, 'shape': ()}",
                b""
            )),
            NpyError::UnexpectedKey("b'descr'".to_owned())
        );
        for (h, key) in [
            (dict("'<f8'", "[1]"), "shape"),
            (dict("'<f8'", "(1)"), "shape"),
            (dict("'<f8'", "(-1,)"), "shape"),
            (dict("'<f8'", "(1.0,)"), "shape"),
            (dict("'<f8'", "(True,)"), "shape"),
            (dict("3", "(1,)"), "descr"),
            (dict("[('a', '<f8'), ('a', '<i4')]", "(1,)"), "descr"),
            (dict("[('a',)]", "(1,)"), "descr"),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}".to_owned(),
                "fortran_order",
            ),
            (
                "{'descr': '<f8', 'fortran_order': None, 'shape': (1,)}".to_owned(),
                "fortran_order",
            ),
        ] {
            match e(&v1(&h, &[0; 8])) {
                NpyError::InvalidValue { key: k, .. } => assert_eq!(k, key, "{h}"),
                other => panic!("{h}: {other}"),
            }
        }
        assert_eq!(
            e(&v1(&dict("'|O'", "(1,)"), &[0; 8])),
            NpyError::ObjectDtype
        );
        assert_eq!(
            e(&v1(&dict("[('a', '<f8'), ('b', 'O')]", "(1,)"), &[0; 16])),
            NpyError::ObjectDtype
        );
        assert_eq!(
            e(&v1(&dict("'<x8'", "(1,)"), &[0; 8])),
            NpyError::UnknownDtype("'<x8'".to_owned())
        );
        assert_eq!(
            e(&v1(&dict("'<f8'", "(2,)"), &[0; 12])),
            NpyError::LengthMismatch {
                expected: 16,
                actual: 12
            }
        );
        assert_eq!(
            e(&v1(&dict("'<f8'", &format!("({},)", u64::MAX)), b"")),
            NpyError::Overflow
        );
        assert_eq!(
            e(&v1(&dict("'<f8'", &format!("({}0,)", u128::MAX)), b"")),
            NpyError::Overflow
        );
        let huge = Limits {
            max_elements: u64::MAX,
            ..Limits::default()
        };
        let h = dict(
            "'<f8'",
            "(4611686018427387904, 4611686018427387904, 4611686018427387904)",
        );
        assert_eq!(
            parse_with(&v1(&h, b""), &huge).unwrap_err(),
            NpyError::Overflow
        );
        let h = dict("'<f8'", "(4611686018427387904,)");
        assert_eq!(
            parse_with(&v1(&h, b""), &huge).unwrap_err(),
            NpyError::Overflow
        );
        let h = dict("'<U4611686018427387904'", "(1,)");
        assert_eq!(parse(&v1(&h, b"")).unwrap_err(), NpyError::Overflow);
        // Every message reads as a sentence fragment without a trailing period.
        for err in [
            NpyError::BadMagic,
            NpyError::ObjectDtype,
            NpyError::Overflow,
        ] {
            assert!(!err.to_string().ends_with('.'));
        }
    }

    #[test]
    fn huge_shape_is_rejected_before_allocating() {
        // A few bytes claiming 10**18 float64 elements (8 EB).
        let bytes = v1(&dict("'<f8'", "(1000000000000000000,)"), b"");
        assert_eq!(
            parse(&bytes).unwrap_err(),
            NpyError::TooManyElements {
                declared: 1_000_000_000_000_000_000,
                limit: 1 << 31
            }
        );
        // Within the element limit, the missing data is reported, still without allocating.
        let limits = Limits {
            max_elements: u64::MAX,
            ..Limits::default()
        };
        assert_eq!(
            parse_with(&bytes, &limits).unwrap_err(),
            NpyError::LengthMismatch {
                expected: 8_000_000_000_000_000_000,
                actual: 0
            }
        );
        let msg = parse(&bytes).unwrap_err().to_string();
        assert_eq!(
            msg,
            "the shape declares 1000000000000000000 elements, more than the limit of 2147483648"
        );
    }

    #[test]
    fn header_size_versus_numpy_limit() {
        let fields: Vec<String> = (0..600).map(|i| format!("('f{i}', '<f8')")).collect();
        let h = dict(&format!("[{}]", fields.join(", ")), "(0,)");
        let a = parse(&v1(&h, b"")).unwrap();
        assert!(a.header.len() > NUMPY_MAX_HEADER_SIZE && a.header_over_numpy_limit());
        assert!(!parse(REAL_TREE).unwrap().header_over_numpy_limit());
    }

    #[test]
    fn owned_parse_matches_borrowed() {
        let mut bytes = REAL_TREE.to_vec();
        bytes.extend(b"trailing");
        let a = parse(&bytes).unwrap();
        let b = parse_owned_with(bytes, &Limits::default()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.trailing, 8);
    }

    #[test]
    fn truncations_never_panic() {
        for input in [REAL_TREE, REAL_S12, REAL_I4_ALIGN64] {
            for len in 0..input.len() {
                assert!(
                    parse(&input[..len]).is_err(),
                    "prefix of {len} bytes parsed"
                );
            }
        }
    }

    #[test]
    fn bit_flips_and_byte_edits_never_panic() {
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let specials = b"()[]{},:'\" 0123456789LTFN<>|=fiuUSOVbMx\n\\#";
        for input in [REAL_TREE, REAL_S12, REAL_I8] {
            for bit in 0..input.len() * 8 {
                let mut m = input.to_vec();
                m[bit / 8] ^= 1 << (bit % 8);
                let _ = parse(&m);
            }
            for _ in 0..3000 {
                let mut m = input.to_vec();
                for _ in 0..(1 + next() % 4) {
                    let at = (next() as usize) % m.len().min(90);
                    match next() % 3 {
                        0 => m[at] = specials[(next() as usize) % specials.len()],
                        1 => m.insert(at, specials[(next() as usize) % specials.len()]),
                        _ => {
                            m.remove(at);
                        }
                    }
                }
                if let Ok(a) = parse(&m) {
                    assert_eq!(a.data.len() as u64, a.len() * a.itemsize() as u64);
                    let _ = (
                        a.f64_values(),
                        a.i64_values(),
                        a.strings(),
                        a.field_f64("threshold"),
                    );
                    let _ = a.descr.to_python();
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Encoding
    // -----------------------------------------------------------------------------------------

    /// What numpy 2.4.6 `numpy.save` writes (`numpy.lib.format.write_array` for the two
    /// explicit versions), one small array per supported dtype and shape; generated with
    /// the venv's numpy (`align64-growth`).
    const NUMPY2: &[(&str, &[u8])] = &[
        (
            "bool",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }             \
            \x20                                              \n\x01\x00\x01",
        ),
        (
            "i1",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\xff\x02",
        ),
        (
            "u1",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\xff\x00",
        ),
        (
            "i2_be",
            b"\x93NUMPY\x01\x00v\x00{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\xff\xfe\x00\x03",
        ),
        (
            "u2",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x01\x02",
        ),
        (
            "i4",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\xfb\xff\xff\xff\x07\x00\x00\x00",
        ),
        (
            "u4_be",
            b"\x93NUMPY\x01\x00v\x00{'descr': '>u4', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x00\x00\x01\x00",
        ),
        (
            "i8",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\
            \xff\xff\xff\xff\xff\xff",
        ),
        (
            "u8",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\xff\xff\xff\xff\xff\xff\xff\xff",
        ),
        (
            "f2",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \n\x00>\x00\xfc",
        ),
        (
            "f4",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x00\x00\x80>",
        ),
        (
            "f8_be",
            b"\x93NUMPY\x01\x00v\x00{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n?\xf8\x00\x00\x00\x00\x00\x00",
        ),
        (
            "f8",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }             \
            \x20                                              \n\x9a\x99\x99\x99\x99\x99\xb9?\x00\x00\
            \x00\x00\x00\x00\xf8\x7f\x00\x00\x00\x00\x00\x00\x00\x80",
        ),
        (
            "f16",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }            \
            \x20                                              \n\x00\x00\x00\x00\x00\x00\x00\x80\xff?\
            \xb7W\x9a\x7f\x00\x00",
        ),
        (
            "c8",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x00\x00\x80?\x00\x00\x00@",
        ),
        (
            "c16",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }            \
            \x20                                              \n\x00\x00\x00\x00\x00\x00\x08@\x00\x00\
            \x00\x00\x00\x00\x10\xc0",
        ),
        (
            "u3",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \na\x00\x00\x00b\x00\x00\x00\x00\x00\x00\
            \x00x\x00\x00\x00y\x00\x00\x00z\x00\x00\x00",
        ),
        (
            "u2_be",
            b"\x93NUMPY\x01\x00v\x00{'descr': '>U2', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x00\x00\x00\xe9\x00\x00\x00\x00",
        ),
        (
            "s5",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|S5', 'fortran_order': False, 'shape': (2,), }             \
            \x20                                              \nabc\x00\x00hello",
        ),
        (
            "v4",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|V4', 'fortran_order': False, 'shape': (1,), }             \
            \x20                                              \n\x01\x02\x03\x04",
        ),
        (
            "m8_ns",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }         \
            \x20                                              \n\x00\x00\x8a\xb95\x9a\xe5\x15\x00\x00\
            \x00\x00\x00\x00\x00\x80",
        ),
        (
            "td_s",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<m8[s]', 'fortran_order': False, 'shape': (2,), }          \
            \x20                                              \n\x05\x00\x00\x00\x00\x00\x00\x00\xfd\xff\
            \xff\xff\xff\xff\xff\xff",
        ),
        (
            "m8_10s",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<M8[10s]', 'fortran_order': False, 'shape': (1,), }        \
            \x20                                              \n\x01\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "m8_d",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<M8[D]', 'fortran_order': False, 'shape': (1,), }          \
            \x20                                              \n\x02I\x00\x00\x00\x00\x00\x00",
        ),
        (
            "struct_pad",
            b"\x93NUMPY\x01\x00v\x00{'descr': [('a', '|u1'), ('', '|V7'), ('b', '<f8')], 'fortran_order': \
            False, 'shape': (2,), }                        \n\x01 ?1nU\x00\x00\x00\x00\x00\x00\x00\x00\
            \x04@\x03\x01d\xa1\x93\x01\x90\x01\x00\x00\x00\x00\x00\x00\xf0\xbf",
        ),
        (
            "sk_nodes",
            b"\x93NUMPY\x01\x006\x01{'descr': [('left_child', '<i8'), ('right_child', '<i8'), ('feature', \
            '<i8'), ('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_n_n\
            ode_samples', '<f8'), ('missing_go_to_left', '|u1'), ('', '|V7')], 'fortran_order': False, '\
            shape': (2,), }                                        \n\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00",
        ),
        (
            "struct_nested",
            b"\x93NUMPY\x01\x00\xf6\x00{'descr': [(('The A', 'a'), '<i2'), ('m', '<i4', (2, 2)), ('n', '>f\
            4', (3,)), ('p', [('x', '<f8'), ('y', '|u1')]), (\"it's\", '|S2')], 'fortran_order': False, \
            'shape': (1,), }                                                                        \n\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "fortran",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': True, 'shape': (3, 4), }            \
            \x20                                              \n\x00\x00\x00\x00\x04\x00\x00\x00\x08\x00\
            \x00\x00\x01\x00\x00\x00\x05\x00\x00\x00\t\x00\x00\x00\x02\x00\x00\x00\x06\x00\x00\x00\n\x00\
            \x00\x00\x03\x00\x00\x00\x07\x00\x00\x00\x0b\x00\x00\x00",
        ),
        (
            "fortran_3d",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1, 3), }         \
            \x20                                              \n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "scalar",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }               \
            \x20                                              \n\x00\x00\x00\x00\x00\x00\n@",
        ),
        (
            "scalar_u",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<U2', 'fortran_order': False, 'shape': (), }               \
            \x20                                              \nh\x00\x00\x00i\x00\x00\x00",
        ),
        (
            "empty",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }             \
            \x20                                              \n",
        ),
        (
            "empty_2d",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (3, 0), }           \
            \x20                                              \n",
        ),
        (
            "multi",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3, 4), }        \
            \x20                                              \n\x00\x00\x01\x00\x02\x00\x03\x00\x04\x00\
            \x05\x00\x06\x00\x07\x00\x08\x00\t\x00\n\x00\x0b\x00\x0c\x00\r\x00\x0e\x00\x0f\x00\x10\x00\
            \x11\x00\x12\x00\x13\x00\x14\x00\x15\x00\x16\x00\x17\x00",
        ),
        (
            "big_dim",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (0, 1000000000000000\
            000), }                                        \n",
        ),
        (
            "wide",
            b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (12345678901234, 0),\
            \x20}                                             \n",
        ),
        (
            "unicode_name",
            b"\x93NUMPY\x03\x00t\x00\x00\x00{'descr': [('\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87', '<f8')], 'fort\
            ran_order': False, 'shape': (1,), }                                          \n\x00\x00\x00\
            \x00\x00\x00\x00\x00",
        ),
        (
            "latin1_name",
            b"\x93NUMPY\x01\x00v\x00{'descr': [('caf\xe9', '<i2')], 'fortran_order': False, 'shape': (1,),\
            \x20}                                                \n\x00\x00",
        ),
        (
            "v2_explicit",
            b"\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }     \
            \x20                                                    \n\x00\x00\x00\x00\x00\x00\x00\x00\
            \x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "v3_explicit",
            b"\x93NUMPY\x03\x00t\x00\x00\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }     \
            \x20                                                    \n\x00\x00\x00\x00\x00\x00\x80?",
        ),
    ];

    /// numpy 1.23.5 (`align64`, no growth spaces): a structured dtype whose padding is too
    /// short to hold the growth spaces, so that only `align64` reproduces it.
    const NUMPY123_NESTED: &[u8] = b"\x93NUMPY\x01\x00\xb6\x00{'descr': [(('The A', 'a'), '<i2'), ('m', '<i4', (2, 2)), ('n', '>f\
    4', (3,)), ('p', [('x', '<f8'), ('y', '|u1')]), (\"it's\", '|S2')], 'fortran_order': False, \
    'shape': (1,), }        \n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00";

    fn simple(t: &str) -> Descr {
        Descr::Simple(parse_typestr(t).unwrap())
    }

    #[test]
    fn numpy2_outputs_reencode_exactly() {
        for &(name, bytes) in NUMPY2 {
            let a = parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let encoded = encode_detailed(&a);
            assert_eq!(encoded.bytes, bytes, "{name}");
            assert_eq!(
                encoded.header,
                HeaderSource::Regenerated(HeaderLayout::Align64Growth),
                "{name}"
            );
            assert!(matching_layouts(&a).contains(&HeaderLayout::Align64Growth));
            let explicit = name.ends_with("_explicit");
            let text = header_text(
                &a.descr,
                a.fortran_order,
                &a.shape,
                HeaderLayout::Align64Growth,
            );
            assert_eq!(text == a.header, !explicit, "{name}");
            assert_eq!(
                header_text_for_version(
                    &a.descr,
                    a.fortran_order,
                    &a.shape,
                    HeaderLayout::Align64Growth,
                    a.version
                )
                .as_deref(),
                Some(a.header.as_str()),
                "{name}"
            );
            assert_eq!(encode_checked(&a), (bytes.to_vec(), true));
        }
        let version = |name: &str| {
            let (_, b) = NUMPY2.iter().find(|(n, _)| *n == name).unwrap();
            (b[6], b[7])
        };
        // numpy picks 3.0 for a non-Latin-1 header and 1.0 otherwise (Latin-1 included).
        assert_eq!(version("unicode_name"), (3, 0));
        assert_eq!(version("latin1_name"), (1, 0));
        assert_eq!(version("v2_explicit"), (2, 0));
        assert_eq!(version("v3_explicit"), (3, 0));
    }

    #[test]
    fn growth_spaces_and_older_layouts() {
        // numpy 1.23.5 writes no growth spaces: here the padding is too short to hide them.
        let old = parse(NUMPY123_NESTED).unwrap();
        // (One 16-byte-aligned header in four is 64-byte-aligned too: Align16 fits as well.)
        assert_eq!(
            matching_layouts(&old),
            vec![HeaderLayout::Align64, HeaderLayout::Align16]
        );
        assert_eq!(encode(&old), NUMPY123_NESTED);
        let (_, new) = NUMPY2.iter().find(|(n, _)| *n == "struct_nested").unwrap();
        let new = parse(new).unwrap();
        assert_eq!(matching_layouts(&new), vec![HeaderLayout::Align64Growth]);
        assert_eq!(new.header.len() - old.header.len(), 64);
        // Usually the growth spaces fit in the padding, and both layouts give the same text.
        let (_, i8s) = NUMPY2.iter().find(|(n, _)| *n == "i8").unwrap();
        assert_eq!(
            matching_layouts(&parse(i8s).unwrap()),
            vec![HeaderLayout::Align64Growth, HeaderLayout::Align64]
        );
        // The growth axis is shape[0] (shape[-1] in Fortran order); 21 digits minus its own.
        let dict = header_dict(&simple("<f8"), false, &[12, 3], HeaderLayout::Align64Growth);
        assert!(dict.ends_with(&format!("(12, 3), }}{}", " ".repeat(19))));
        let dict = header_dict(&simple("<f8"), true, &[12, 3], HeaderLayout::Align64Growth);
        assert!(dict.ends_with(&format!("(12, 3), }}{}", " ".repeat(20))));
        let dict = header_dict(&simple("<f8"), false, &[], HeaderLayout::Align64Growth);
        assert!(dict.ends_with("(), }"));
        let dict = header_dict(
            &simple("<f8"),
            false,
            &[u64::MAX],
            HeaderLayout::Align64Growth,
        );
        assert!(dict.ends_with(&format!("({},), }} ", u64::MAX)));
    }

    #[test]
    fn real_payloads_reencode_exactly() {
        for (bytes, layout) in [
            (REAL_S12, HeaderLayout::Align16),
            (REAL_I8, HeaderLayout::Align16),
            (REAL_F8_EMPTY, HeaderLayout::Align16),
            (REAL_TREE, HeaderLayout::Align16),
            (REAL_I4_ALIGN64, HeaderLayout::Align64Growth),
        ] {
            let a = parse(bytes).unwrap();
            assert_eq!(detect_layout(&a), Some(layout));
            assert_eq!(
                encode_detailed(&a),
                Encoded {
                    bytes: bytes.to_vec(),
                    header: HeaderSource::Regenerated(layout)
                }
            );
        }
    }

    #[test]
    fn header_text_rules() {
        let f8 = simple("<f8");
        // numpy < 1.14: 16-byte alignment, never zero padding.
        let t = header_text(&f8, false, &[3], HeaderLayout::Align16);
        assert_eq!(
            t,
            format!(
                "{{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }}{}\n",
                " ".repeat(12)
            )
        );
        assert_eq!((10 + t.len()) % 16, 0);
        for shape in [vec![], vec![3], vec![3, 4], vec![0, 1, 2]] {
            for layout in HeaderLayout::ALL {
                let t = header_text(&f8, true, &shape, layout);
                assert_eq!((10 + t.len()) % layout.alignment(), 0, "{layout:?}");
                assert!(t.ends_with(" \n"));
                let long = layout.long_ints();
                let want = match (shape.as_slice(), long) {
                    ([], _) => "()".to_owned(),
                    ([3], false) => "(3,)".to_owned(),
                    ([3], true) => "(3L,)".to_owned(),
                    ([3, 4], false) => "(3, 4)".to_owned(),
                    ([3, 4], true) => "(3L, 4L)".to_owned(),
                    (_, false) => "(0, 1, 2)".to_owned(),
                    (_, true) => "(0L, 1L, 2L)".to_owned(),
                };
                assert!(
                    t.starts_with(&format!(
                        "{{'descr': '<f8', 'fortran_order': True, 'shape': {want}, }}"
                    )),
                    "{t}"
                );
            }
        }
        // Exactly 16 (or 64) spaces when the dict and newline already fill the boundary.
        let dict = header_dict(&f8, false, &[3], HeaderLayout::Align16);
        // `[('x…x', '<f8')]` replaces `'<f8'`: 8 more characters plus the name.
        let name_len = 16 - (10 + dict.len() + 1 + 8) % 16;
        let padded = format!("[('{}', '<f8')]", "x".repeat(name_len));
        let descr = parse(&v1(&dict.replace("'<f8'", &padded), &[0; 24]))
            .unwrap()
            .descr;
        let t = header_text(&descr, false, &[3], HeaderLayout::Align16);
        assert!(t.ends_with(&format!("}}{}\n", " ".repeat(16))), "{t:?}");
        // numpy 1.9–1.13 pad a 2.0 header as if its length field were 2 bytes long.
        let t16 = header_text_for_version(&f8, false, &[3], HeaderLayout::Align16, (2, 0)).unwrap();
        assert_eq!((12 + t16.len()) % 16, 2);
        let t64 = header_text_for_version(&f8, false, &[3], HeaderLayout::Align64, (2, 0)).unwrap();
        assert_eq!((12 + t64.len()) % 64, 0);
        // 1.0 and 2.0 cannot hold non-Latin-1 text; 4.0 does not exist.
        let named = parse(&versioned(
            (3, 0),
            b"{'descr': [('\xd0\xba', '<f8')], 'fortran_order': False, 'shape': (1,), }\n",
            &[0; 8],
        ))
        .unwrap()
        .descr;
        assert_eq!(
            header_text_for_version(&named, false, &[1], HeaderLayout::Align64, (2, 0)),
            None
        );
        assert!(
            header_text_for_version(&named, false, &[1], HeaderLayout::Align64, (3, 0)).is_some()
        );
        assert_eq!(
            header_text_for_version(&f8, false, &[1], HeaderLayout::Align64, (4, 0)),
            None
        );
        let bytes = encode_header(&named, false, &[1], HeaderLayout::Align64Growth, None).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x03\x00");
        assert_eq!(bytes.len() % 64, 0);
    }

    #[test]
    fn descr_spelling_follows_numpy() {
        for (written, numpy) in [
            ("?", "'|b1'"),
            ("u1", "'|u1'"),
            ("=i8", "'<i8'"),
            ("float64", "'<f8'"),
            (">S3", "'|S3'"),
            ("M8[1s]", "'<M8[s]'"),
            ("M8[007ms]", "'<M8[7ms]'"),
            ("M8[μs]", "'<M8[us]'"),
            ("M8[2generic]", "'<M8'"),
            ("M8[0s]", "'<M8[0s]'"),
            (">m8[10s]", "'>m8[10s]'"),
        ] {
            assert_eq!(simple(written).to_python_canonical(), numpy, "{written}");
        }
        // A header spelled otherwise is not numpy's: kept as stored.
        let a = parse(&v1(&dict("'float64'", "(1,)"), &le_f64(&[1.0]))).unwrap();
        assert_eq!(detect_layout(&a), None);
        let bytes = v1(&dict("'float64'", "(1,)"), &le_f64(&[1.0]));
        assert_eq!(
            encode_detailed(&a),
            Encoded {
                bytes,
                header: HeaderSource::Stored
            }
        );
    }

    #[test]
    fn python2_long_shapes() {
        let data = le_f64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let bytes = v1(&dict("'<f8'", "(2L, 3L)"), &data);
        let a = parse(&bytes).unwrap();
        assert!(a.py2_long_ints);
        assert_eq!(detect_layout(&a), Some(HeaderLayout::Align16Py2Long));
        assert_eq!(encode(&a), bytes);
        assert!(encodes_as_stored(&a));
        let mut b = a.clone();
        b.shape = vec![3, 2];
        assert!(!encodes_as_stored(&b));
        let again = parse(&encode(&b)).unwrap();
        assert!(again.header.contains("'shape': (3L, 2L), }"));
        assert_eq!(detect_layout(&again), Some(HeaderLayout::Align16Py2Long));
    }

    #[test]
    fn headers_numpy_does_not_write_are_kept() {
        let data = le_f64(&[1.0, 2.0, 3.0]);
        let mut cases: Vec<Vec<u8>> = [
            "{'descr': '<f8', 'shape': (3,), 'fortran_order': False}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
            "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3,), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, ), }",
            "{'descr': ('<f8', (1,)), 'fortran_order': False, 'shape': (3,), }",
        ]
        .iter()
        .map(|h| v1(h, &data))
        .collect();
        // Right text, wrong padding: none, too much, a tab.
        let dict = dict("'<f8'", "(3,)");
        cases.push(versioned((1, 0), format!("{dict}\n").as_bytes(), &data));
        cases.push(versioned(
            (1, 0),
            format!("{dict}{}\n", " ".repeat(73)).as_bytes(),
            &data,
        ));
        cases.push(versioned(
            (1, 0),
            format!("{dict}\t{}\n", " ".repeat(8)).as_bytes(),
            &data,
        ));
        // numpy's header in the wrong version for its padding.
        let mut v2 = REAL_I4_ALIGN64.to_vec();
        v2[6] = 2;
        v2.splice(8..10, [118, 0, 0, 0]);
        cases.push(v2);
        // Trailing bytes after the data.
        let mut trailing = REAL_S12.to_vec();
        trailing.extend(b"junk");
        for bytes in cases {
            let a = parse(&bytes).unwrap();
            assert_eq!(detect_layout(&a), None, "{:?}", a.header);
            assert_eq!(encode_checked(&a), (bytes.clone(), false), "{:?}", a.header);
        }
        let a = parse(&trailing).unwrap();
        assert_eq!(a.trailing_data, b"junk");
        assert_eq!(
            encode_detailed(&a).header,
            HeaderSource::Regenerated(HeaderLayout::Align16)
        );
        assert_eq!(encode(&a), trailing);
        assert_eq!(
            parse_owned_with(trailing.clone(), &Limits::default()).unwrap(),
            a
        );
    }

    #[test]
    fn changed_arrays_get_a_matching_header() {
        // numpy's layout: the header follows the new shape, in the same layout.
        let mut a = parse(REAL_TREE).unwrap();
        a.shape = vec![2];
        a.data.truncate(2 * 56);
        let bytes = encode(&a);
        let b = parse(&bytes).unwrap();
        assert_eq!((b.shape.clone(), b.data.clone()), (vec![2], a.data.clone()));
        assert_eq!(detect_layout(&b), Some(HeaderLayout::Align16));
        // The stored header still says how the file was laid out.
        assert_eq!(detect_layout(&a), Some(HeaderLayout::Align16));
        // A header numpy would not write that no longer fits: replaced by today's numpy's.
        let mut c = parse(&v1(
            "{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}",
            &le_f64(&[1.0, 2.0, 3.0]),
        ))
        .unwrap();
        c.shape = vec![1, 3];
        c.fortran_order = true;
        let e = encode_detailed(&c);
        assert_eq!(e.header, HeaderSource::Replaced);
        let d = parse(&e.bytes).unwrap();
        assert_eq!(
            (d.shape.clone(), d.fortran_order, d.data.clone()),
            (vec![1, 3], true, c.data.clone())
        );
        assert_eq!(detect_layout(&d), Some(HeaderLayout::Align64Growth));
        // A header that outgrows 1.0 moves to 2.0; a non-Latin-1 one to 3.0.
        let mut big = parse(REAL_F8_EMPTY).unwrap();
        big.shape = vec![0; 30_000];
        let bytes = encode(&big);
        assert_eq!(&bytes[6..8], &[2, 0]);
        assert_eq!(parse(&bytes).unwrap().shape.len(), 30_000);
        let mut named = parse(REAL_TREE).unwrap();
        let Descr::Structured(fields) = &mut named.descr else {
            unreachable!()
        };
        fields[0].name = "левый".to_owned();
        let bytes = encode(&named);
        assert_eq!(&bytes[6..8], &[3, 0]);
        assert_eq!(
            parse(&bytes).unwrap().field_i64("левый").unwrap(),
            vec![1, 2, -1, -1, -1]
        );
    }

    #[test]
    fn header_over_65535_bytes_is_version_2() {
        // numpy 2.4.6 (and 1.23.5): a 3700-field dtype, shape (0,) → format 2.0, header
        // length 66676, file length 66688, CRC-32 0xf76d3b0d.
        let fields: Vec<String> = (0..3700).map(|i| format!("('f{i:04}', '<f8')")).collect();
        let h = format!("{}\n", dict(&format!("[{}]", fields.join(", ")), "(0,)"));
        let mut a = parse(&versioned((2, 0), h.as_bytes(), b"")).unwrap();
        a.version = (1, 0);
        for layout in [HeaderLayout::Align64Growth, HeaderLayout::Align64] {
            let bytes = encode_with_layout(&a, layout).unwrap();
            assert_eq!(&bytes[6..12], &[2, 0, 0x74, 0x04, 0x01, 0x00]);
            assert_eq!(bytes.len(), 66688);
            assert_eq!(crc32fast::hash(&bytes), 4_151_155_469);
        }
        let t = header_text(&a.descr, false, &[0], HeaderLayout::Align64Growth);
        assert_eq!(t.len(), 66676);
    }

    /// A type string of every supported kind.
    fn typestr_strategy() -> impl Strategy<Value = String> {
        let fixed = prop_oneof![
            Just("|b1".to_owned()),
            Just("|i1".to_owned()),
            Just("|u1".to_owned()),
            Just("<f2".to_owned()),
            Just("<f16".to_owned()),
            Just("<c8".to_owned()),
            Just("<c32".to_owned()),
        ];
        let sized = (
            prop::sample::select(vec!["<", ">"]),
            prop::sample::select(vec!["i2", "i4", "i8", "u2", "u4", "u8", "f4", "f8", "c16"]),
        )
            .prop_map(|(o, t)| format!("{o}{t}"));
        let flexible = (
            prop::sample::select(vec!["<U", ">U", "|S", "|V"]),
            0usize..5,
        )
            .prop_map(|(k, n)| format!("{k}{n}"));
        let dates = (
            prop::sample::select(vec!["<M8", ">m8", "<m8"]),
            prop::sample::select(vec!["", "[ns]", "[D]", "[10s]", "[us]"]),
        )
            .prop_map(|(k, u)| format!("{k}{u}"));
        prop_oneof![fixed, sized, flexible, dates]
    }

    /// Field names: quotes, backslashes, Latin-1 and beyond (format 3.0).
    fn name_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('a', 'z'),
                1 => Just('\''),
                1 => Just('"'),
                1 => Just('\\'),
                1 => Just(' '),
                1 => Just('é'),
                1 => Just('ж'),
                1 => Just('\u{1F600}'),
            ],
            0..6,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn descr_strategy() -> impl Strategy<Value = Descr> {
        let leaf = typestr_strategy().prop_map(|t| simple(&t));
        leaf.prop_recursive(2, 12, 4, |inner| {
            proptest::collection::vec(
                (
                    name_strategy(),
                    proptest::option::of(name_strategy()),
                    inner,
                    proptest::collection::vec(1u64..3, 0..3),
                ),
                0..4,
            )
            .prop_map(|raw| {
                let mut fields = Vec::new();
                let mut offset = 0;
                for (i, (name, title, descr, shape)) in raw.into_iter().enumerate() {
                    // Unique names; titles distinct from every name.
                    let name = format!("{name}{i}");
                    let title = title.map(|t| format!("{t}#{i}"));
                    let field = Field {
                        name,
                        title,
                        descr,
                        shape,
                        offset,
                    };
                    offset += field.itemsize();
                    fields.push(field);
                }
                Descr::Structured(fields)
            })
        })
    }

    fn layout_strategy() -> impl Strategy<Value = HeaderLayout> {
        prop::sample::select(HeaderLayout::ALL.to_vec())
    }

    /// What the general literal parser makes of `header`.
    fn parse_general(header: &str) -> Result<Value, NpyError> {
        let mut parser = Parser {
            src: header,
            pos: 0,
            depth: 0,
            allow_long: true,
            saw_long: false,
        };
        parser.parse_header()
    }

    /// Pieces of numpy's header and near misses of each, joined in any order: the fast path
    /// must either decline or agree with the general parser.
    fn header_strategy() -> impl Strategy<Value = String> {
        // The first option is numpy's; it is drawn three times in four.
        let piece = |options: &[&'static str]| {
            let (canonical, misses) = (options[0], options[1..].to_vec());
            prop_oneof![3 => Just(canonical), 1 => prop::sample::select(misses)]
        };
        (
            piece(&["{'descr': ", "{'descr':", "{\"descr\": ", "{'descr':  "]),
            prop_oneof![
                3 => prop::sample::select(vec!["'<f8'", "'|S12'", "'<U7'", "'|b1'", "'O'", "''"]),
                2 => prop::sample::select(vec![
                    "[('left_child', '<i8'), ('threshold', '<f8')]",
                    "[('a', '<i8')]",
                    "[('a_1', '|S3'), ('b', '<f8'), ('c', '<f4')]",
                ]),
                1 => prop::sample::select(vec![
                    "'<f8\\'", "'<f8''", "'\u{e9}'", "'<f8 '", "\"<f8\"", "[]", "[('a', '<i8'),]",
                    "[('a', '<i8', (3,))]", "[('a','<i8')]", "[(('t', 'a'), '<i8')]", "[('a', '<i8')",
                    "[('a', '<i8'), ('a', '<f8')]", "[('', '<i8')]", "[('\u{e9}', '<i8')]",
                ]),
            ],
            piece(&[", 'fortran_order': ", ", 'fortran_order':", ", 'shape': "]),
            prop_oneof![
                3 => prop::sample::select(vec!["False", "True"]),
                1 => prop::sample::select(vec!["0", "false", "Falsey"]),
            ],
            piece(&[", 'shape': (", ", 'shape':(", ", 'shape': ["]),
            proptest::collection::vec(
                (
                    prop_oneof![
                        3 => prop::sample::select(vec!["0", "3", "12", "123456789012345678"]),
                        1 => prop::sample::select(vec!["00", "07", "1234567890123456789", "-1", "", "1L"]),
                    ],
                    piece(&[", ", ",", " ,", ",  ", " "]),
                ),
                0..4,
            ),
            piece(&["", "0", "3", "3 "]),
            piece(&["), }", "),}", ")}", "), 'x': 1}", "), } "]),
            piece(&["\n", "", "   \n", " \t\n", "\n#", " x"]),
        )
            .prop_map(|(a, descr, b, fortran, c, dims, last, d, pad)| {
                let mut header = format!("{a}{descr}{b}{fortran}{c}");
                for (dim, sep) in dims {
                    header.push_str(dim);
                    header.push_str(sep);
                }
                format!("{header}{last}{d}{pad}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

        /// The fast path for numpy-written headers declines or gives what the general
        /// parser gives.
        #[test]
        fn numpy_written_headers_parse_as_the_general_parser_does(header in header_strategy()) {
            if let Some(fast) = parse_numpy_written(&header) {
                prop_assert_eq!(Some(fast), parse_general(&header).ok(), "{:?}", header);
            }
        }
    }

    #[test]
    fn numpy_written_headers_take_the_fast_path() {
        for (header, shape) in [
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (), }      \n",
                vec![],
            ),
            (
                "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }\n",
                vec![3],
            ),
            (
                "{'descr': '|S12', 'fortran_order': False, 'shape': (0, 12, 7), } \n",
                vec![0, 12, 7],
            ),
        ] {
            let fast = parse_numpy_written(header).expect(header);
            assert_eq!(Some(&fast), parse_general(header).ok().as_ref());
            let Value::Dict(items) = fast else {
                panic!("{header}")
            };
            let dims: Vec<Value> = shape.into_iter().map(|d| Value::Int(Some(d))).collect();
            assert_eq!(items[2].1, Value::Tuple(dims));
        }
        // `(3)` is the int 3, not a tuple; the general parser reports it.
        assert!(
            parse_numpy_written("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }")
                .is_none()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// A file built with `encode_header` in any layout and version parses, is detected
        /// as that layout, and re-encodes to the same bytes.
        #[test]
        fn encode_reproduces_built_files(
            descr in descr_strategy(),
            shape in proptest::collection::vec(0u64..4, 0..4),
            fortran_order in any::<bool>(),
            layout in layout_strategy(),
            version in prop::sample::select(vec![None, Some((1, 0)), Some((2, 0)), Some((3, 0))]),
            seed in any::<u64>(),
            trailing in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            let built = encode_header(&descr, fortran_order, &shape, layout, version);
            let Some(mut bytes) = built else {
                // 1.0/2.0 with a non-Latin-1 name; Python 2's `L` in a (3.0) UTF-8 header.
                prop_assert!(version.is_some() || layout.long_ints());
                return Ok(());
            };
            let count: u64 = shape.iter().product();
            let len = count as usize * descr.itemsize();
            let mut state = seed | 1;
            bytes.extend((0..len).map(|_| crate::test_rng::xorshift(&mut state) as u8));
            bytes.extend(&trailing);
            let a = parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(&a.descr.to_python_canonical(), &descr.to_python_canonical());
            prop_assert_eq!(&a.shape, &shape);
            prop_assert_eq!(a.fortran_order, fortran_order);
            prop_assert!(matching_layouts(&a).contains(&layout), "{:?}", a.header);
            let encoded = encode_detailed(&a);
            prop_assert!(matches!(encoded.header, HeaderSource::Regenerated(_)));
            prop_assert_eq!(&encoded.bytes, &bytes);
            // Forcing the layout gives the same bytes too.
            let forced = encode_with_layout(&a, layout);
            prop_assert_eq!(forced.as_deref(), Some(&bytes[..]));
        }

        /// Any parsed input re-encodes to itself (headers numpy would not write included).
        #[test]
        fn encode_is_exact_for_edited_real_files(
            edits in proptest::collection::vec((0usize..120, 0usize..3, 0usize..42), 1..4),
        ) {
            let specials = b"()[]{},:'\" 0123456789LTFN<>|=fiuUSOVbMx\n\\#";
            for input in [REAL_TREE, REAL_S12, REAL_I4_ALIGN64] {
                let mut m = input.to_vec();
                for &(at, op, c) in &edits {
                    let at = at % m.len().min(90);
                    match op {
                        0 => m[at] = specials[c],
                        1 => m.insert(at, specials[c]),
                        _ => {
                            m.remove(at);
                        }
                    }
                }
                if let Ok(a) = parse(&m) {
                    prop_assert_eq!(encode(&a), m);
                }
            }
        }
    }
}
