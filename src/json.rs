//! Lossless, span-keeping JSON parser for text written by Python's `json.dumps`.
//!
//! MLTK stores a model's `model` and `options` cells as JSON produced by
//! Python. That text may contain the bare tokens `NaN`, `Infinity` and
//! `-Infinity` (which Python writes and accepts, and `serde_json` rejects),
//! and a linter needs to point at the exact bytes a finding is about. This
//! module therefore parses into a tree of [`Node`]s, each carrying the
//! half-open byte span of its lexeme in the parsed text, so `&text[node.span]`
//! is always the raw, unmodified source of a value (a string's span includes
//! its quotes).
//!
//! What is accepted, and the errors reported, follow CPython's `json.loads`
//! (the C scanner, `strict=True`):
//!
//! * whitespace is ` `, `\t`, `\n` and `\r` only, before and after any token;
//! * numbers follow the JSON grammar; integers become [`Number::Int`],
//!   [`Number::UInt`] or [`Number::BigInt`], anything with a fraction or an
//!   exponent becomes a correctly rounded [`Number::Float`] (`1e400` is
//!   `Float(inf)`, as in Python);
//! * `NaN`, `Infinity` and `-Infinity` are accepted;
//! * raw control characters U+0000–U+001F inside strings are errors;
//! * `\u` escapes are decoded, surrogate pairs joined; a lone surrogate
//!   (accepted by Python, but not representable in a Rust [`String`]) is
//!   replaced by U+FFFD and counted in [`Parsed::lone_surrogates`];
//! * duplicate object keys are all kept, in file order; [`Node::get`] returns
//!   the last one, which is the value Python's `dict` would hold;
//! * a leading U+FEFF (byte order mark) is rejected, as `json.loads(str)` does.
//!
//! Errors carry a byte offset and a kind whose message is Python's; see
//! [`ParseError::python_message`] for the full `json.JSONDecodeError` text.
//!
//! The parser never recurses: nesting is tracked on an explicit stack, and a
//! container nested deeper than [`ParseOptions::max_depth`] is an error
//! ([`ParseErrorKind::DepthLimit`]) reported before anything is allocated
//! for it. Note that dropping, cloning, comparing, debug-printing a [`Node`]
//! and [`to_serde`] do recurse (one level per nesting level), so keep
//! `max_depth` moderate (the default, 1000, is safe; Python itself gives up
//! at about the same depth).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Default for [`ParseOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 1000;

/// Default for [`ParseOptions::max_values`]: far above any real model cell (arrays are
/// base64 NPY, one value each: the corpus's largest cell has 6,054 values, a generated
/// 100 MB random forest 12,763), and it keeps a hostile cell's parse tree near 60 MB
/// (docs/robustness.md, "Memory and time bound").
pub const DEFAULT_MAX_VALUES: usize = 500_000;

/// Options for [`parse_with`] and [`parse_with_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Maximum number of nested arrays/objects. A document whose containers
    /// nest deeper than this fails with [`ParseErrorKind::DepthLimit`].
    /// `1` allows `[1]` but not `[[1]]`; `0` allows scalars only.
    pub max_depth: usize,
    /// Maximum number of values (scalars and containers, the root included;
    /// object keys are not counted). A document with more fails with
    /// [`ParseErrorKind::ValueLimit`] at the first value over the limit.
    pub max_values: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_values: DEFAULT_MAX_VALUES,
        }
    }
}

/// A parsed value with its byte span in the text given to parse (half-open).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The parsed value.
    pub value: Value,
    /// Byte range of the value's lexeme in the parsed text; for strings it
    /// includes the quotes, for containers the brackets.
    pub span: Range<usize>,
}

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, or one of Python's `NaN`, `Infinity`, `-Infinity`.
    Number(Number),
    /// A string, unescaped (lone surrogates replaced by U+FFFD).
    String(JsonStr),
    /// An array.
    Array(Vec<Node>),
    /// An object: members in file order, duplicate keys kept.
    Object(Vec<Member>),
}

/// The text of a JSON string value. A string without escapes parsed by [`parse_shared`] shares
/// the document's text instead of copying it: base64 payloads are most of a model cell, and
/// a second copy of them was the largest allocation of a lint.
#[derive(Clone)]
pub struct JsonStr(StrRepr);

#[derive(Clone)]
enum StrRepr {
    Owned(String),
    Shared {
        text: Arc<String>,
        range: Range<usize>,
    },
}

impl JsonStr {
    /// Whether the string is plain printable ASCII with no escape in its lexeme, so that
    /// `json.dumps` would write exactly its lexeme. True only for shared strings (whose lexeme
    /// the parser found free of `"`, `\\` and control characters) without DEL or non-ASCII.
    pub fn is_plain_ascii_lexeme(&self) -> bool {
        match &self.0 {
            StrRepr::Owned(_) => false,
            // One pass for both tests: the largest byte is below DEL. Shared strings are the
            // base64 payloads, most of a model's bytes; a max over 1 KiB blocks took 0.95M
            // instructions off a corpus run against an ASCII pass and a DEL search.
            StrRepr::Shared { .. } => self
                .as_str()
                .as_bytes()
                .chunks(1024)
                .all(|block| block.iter().fold(0, |high: u8, &b| high.max(b)) < 0x7f),
        }
    }

    /// The string as `&str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            StrRepr::Owned(s) => s,
            // The range is a checked char-boundary range of `text` (see `Parser::parse_string`).
            StrRepr::Shared { text, range } => text.get(range.clone()).unwrap_or_default(),
        }
    }
}

impl std::ops::Deref for JsonStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for JsonStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for JsonStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for JsonStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for JsonStr {
    fn eq(&self, other: &JsonStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for JsonStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for JsonStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<String> for JsonStr {
    fn from(s: String) -> Self {
        JsonStr(StrRepr::Owned(s))
    }
}

impl From<&str> for JsonStr {
    fn from(s: &str) -> Self {
        JsonStr(StrRepr::Owned(s.to_owned()))
    }
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Byte span of the key's string lexeme (quotes included).
    pub key_span: Range<usize>,
    /// The member's value.
    pub value: Node,
}

/// A JSON number as Python's `json` module would read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer that fits `i64`.
    Int(i64),
    /// A non-negative integer above `i64::MAX` that fits `u64`.
    UInt(u64),
    /// An integer outside the `i64`/`u64` range: the lexeme is `text[span]`.
    BigInt,
    /// A number with a fraction and/or exponent, correctly rounded. May be
    /// infinite when the lexeme overflows (`1e400`), as in Python.
    Float(f64),
    /// The bare token `NaN`.
    NaN,
    /// The bare token `Infinity`.
    Infinity,
    /// The bare token `-Infinity`.
    NegInfinity,
}

impl Number {
    /// The number as `f64` (as Python's `float(x)` would give), or `None`
    /// for [`Number::BigInt`], whose value is only in the lexeme (see
    /// [`Node::as_f64_lexeme`]).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Number::Int(i) => Some(i as f64),
            Number::UInt(u) => Some(u as f64),
            Number::BigInt => None,
            Number::Float(f) => Some(f),
            Number::NaN => Some(f64::NAN),
            Number::Infinity => Some(f64::INFINITY),
            Number::NegInfinity => Some(f64::NEG_INFINITY),
        }
    }

    /// Whether the lexeme was an integer (Python `int`): `Int`, `UInt`, `BigInt`.
    pub fn is_integer(&self) -> bool {
        matches!(self, Number::Int(_) | Number::UInt(_) | Number::BigInt)
    }

    /// Whether this is `NaN`, `Infinity`, `-Infinity`, or a float that
    /// overflowed to infinity: values that standard JSON cannot represent.
    pub fn is_non_finite(&self) -> bool {
        match *self {
            Number::NaN | Number::Infinity | Number::NegInfinity => true,
            Number::Float(f) => !f.is_finite(),
            Number::Int(_) | Number::UInt(_) | Number::BigInt => false,
        }
    }
}

impl Value {
    /// The JSON type name: `"null"`, `"boolean"`, `"number"`, `"string"`,
    /// `"array"` or `"object"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl Node {
    /// For an object, the value of the LAST member named `key` (the one a
    /// Python `dict` keeps); `None` if absent or not an object. A linear
    /// scan from the end: to look up many keys of a large object, iterate
    /// [`Node::as_object`] once instead.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }

    /// For an object, the LAST member named `key`; `None` if absent or not
    /// an object.
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.value {
            Value::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }

    /// The unescaped string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members (file order, duplicates kept), if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<Number> {
        match &self.value {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `f64` (NaN and ±infinity included); `None` for
    /// non-numbers and for [`Number::BigInt`] (use [`Node::as_f64_lexeme`]).
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(|n| n.as_f64())
    }

    /// Like [`Node::as_f64`], but also converts a [`Number::BigInt`] by
    /// parsing its lexeme from `text` (the text this node was parsed from);
    /// the result is the nearest `f64`, or infinite for a huge integer.
    pub fn as_f64_lexeme(&self, text: &str) -> Option<f64> {
        match self.as_number()? {
            Number::BigInt => self.lexeme(text)?.parse().ok(),
            n => n.as_f64(),
        }
    }

    /// The integer, if this is an integer lexeme that fits `i64`. Floats,
    /// even integral ones such as `3.0`, give `None` (Python reads them as
    /// `float`, not `int`).
    pub fn as_i64(&self) -> Option<i64> {
        match self.as_number()? {
            Number::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The integer, if this is a non-negative integer lexeme that fits `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self.as_number()? {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The raw source of this value, `text[span]`, where `text` is the text
    /// this node was parsed from (`None` if the span does not fit `text`).
    pub fn lexeme<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.get(self.span.clone())
    }

    /// The JSON type name: `"null"`, `"boolean"`, `"number"`, `"string"`,
    /// `"array"` or `"object"`.
    pub fn kind_name(&self) -> &'static str {
        self.value.kind_name()
    }

    /// Looks up an RFC 6901 JSON pointer (`""` is this node, `"/a/0"` the
    /// first element of member `a`). Tokens are unescaped (`~1` is `/`, `~0`
    /// is `~`); an invalid `~` escape, a pointer not starting with `/`, an
    /// array index with a leading zero or `-` give `None`. For objects the
    /// LAST member with the key is used, as Python's `dict` would.
    pub fn pointer(&self, ptr: &str) -> Option<&Node> {
        if ptr.is_empty() {
            return Some(self);
        }
        let rest = ptr.strip_prefix('/')?;
        let mut current = self;
        for raw in rest.split('/') {
            let token = unescape_pointer_token(raw)?;
            current = match &current.value {
                Value::Object(members) => &members.iter().rev().find(|m| m.key == token)?.value,
                Value::Array(items) => items.get(parse_array_index(&token)?)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

/// Escapes one RFC 6901 reference token (`~` becomes `~0`, `/` becomes `~1`).
pub fn pointer_escape(token: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'~', b'/', token.as_bytes()).is_some() {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Builds the RFC 6901 pointer for `token` inside `base` (itself a pointer,
/// `""` for the root): `pointer_push("/a", "b/c")` is `"/a/b~1c"`.
pub fn pointer_push(base: &str, token: &str) -> String {
    Step::Key(token).push_onto(base)
}

/// One step of a JSON pointer, kept unbuilt until a pointer is needed: walks over large
/// trees build one only for the few nodes that get a finding.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Step<'_> {
    /// The pointer to this step inside `base`.
    pub fn push_onto(self, base: &str) -> String {
        let mut out = String::with_capacity(base.len() + 16);
        out.push_str(base);
        self.push_into(&mut out);
        out
    }

    /// Append this step to the pointer `pointer`, in place.
    pub fn push_into(self, pointer: &mut String) {
        use std::fmt::Write as _;
        pointer.push('/');
        match self {
            Step::Key(key) => pointer.push_str(&pointer_escape(key)),
            // Writing to a `String` cannot fail.
            Step::Index(i) => {
                let _ = write!(pointer, "{i}");
            }
        }
    }
}

/// The pointer of a path of steps from the root.
pub fn pointer_of(steps: &[Step<'_>]) -> String {
    let mut pointer = String::new();
    for step in steps {
        step.push_into(&mut pointer);
    }
    pointer
}

/// Visit `root` and the values under it, depth first in document order, each with the steps
/// from the root to it (its own last). A value for which `enter` is false is skipped with
/// everything under it. An explicit stack, not recursion (a hostile input nests as deep as
/// it likes); a pointer is built only when the visitor asks for one ([`pointer_of`]).
pub fn walk<'a>(
    root: &'a Node,
    enter: impl Fn(&Node) -> bool,
    mut visit: impl FnMut(&[Step<'a>], &'a Node),
) {
    let mut stack: Vec<(&'a Node, usize, Option<Step<'a>>)> = vec![(root, 0, None)];
    let mut path: Vec<Step<'a>> = Vec::new();
    while let Some((node, depth, step)) = stack.pop() {
        path.truncate(depth.saturating_sub(1));
        path.extend(step);
        visit(&path, node);
        match &node.value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    if enter(item) {
                        stack.push((item, depth + 1, Some(Step::Index(i))));
                    }
                }
            }
            Value::Object(members) => {
                for member in members.iter().rev() {
                    if enter(&member.value) {
                        stack.push((&member.value, depth + 1, Some(Step::Key(&member.key))));
                    }
                }
            }
            _ => {}
        }
    }
}

fn unescape_pointer_token(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('~') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(Cow::Owned(out))
}

fn parse_array_index(token: &str) -> Option<usize> {
    let bytes = token.as_bytes();
    let valid = match bytes {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if valid { token.parse().ok() } else { None }
}

/// Converts a node to a `serde_json::Value`. `text` must be the text the
/// node was parsed from (needed for [`Number::BigInt`]).
///
/// Lossy where `serde_json` cannot represent the value: `NaN`, `Infinity`,
/// `-Infinity` and floats that overflowed (`1e400`) become `null`; a big
/// integer becomes the nearest `f64` (`null` if that is infinite); for
/// duplicate keys the last value wins, at the position of the first (as in
/// a Python `dict`; `serde_json` is built with `preserve_order`). Recurses
/// once per nesting level.
pub fn to_serde(node: &Node, text: &str) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::String(s) => J::String(s.to_string()),
        Value::Number(n) => match *n {
            Number::Int(i) => J::from(i),
            Number::UInt(u) => J::from(u),
            Number::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            Number::NaN | Number::Infinity | Number::NegInfinity => J::Null,
            Number::BigInt => {
                let lexeme = node.lexeme(text).unwrap_or("");
                match lexeme.parse::<serde_json::Number>() {
                    Ok(num) => J::Number(num),
                    Err(_) => lexeme
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(J::Null, J::Number),
                }
            }
        },
        Value::Array(items) => J::Array(items.iter().map(|n| to_serde(n, text)).collect()),
        Value::Object(members) => {
            let mut map = serde_json::Map::with_capacity(members.len());
            for m in members {
                map.insert(m.key.clone(), to_serde(&m.value, text));
            }
            J::Object(map)
        }
    }
}

/// What went wrong; [`fmt::Display`] gives Python's `JSONDecodeError.msg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// `Expecting value`: no value starts at the offset.
    ExpectingValue,
    /// `Expecting ',' delimiter`: after an array element or object member.
    ExpectingCommaDelimiter,
    /// `Expecting ':' delimiter`: after an object key.
    ExpectingColonDelimiter,
    /// `Expecting property name enclosed in double quotes`.
    ExpectingPropertyName,
    /// `Unterminated string starting at`: offset of the opening quote.
    UnterminatedString,
    /// `Invalid control character at`: a raw U+0000–U+001F in a string.
    InvalidControlCharacter,
    /// `Invalid \escape`: offset of the backslash.
    InvalidEscape,
    /// `Invalid \uXXXX escape`: offset of the `u`.
    InvalidUnicodeEscape,
    /// `Extra data`: something other than whitespace after the value.
    ExtraData,
    /// `Unexpected UTF-8 BOM (decode using utf-8-sig)`: text starts with U+FEFF.
    UnexpectedBom,
    /// Ours, not Python's (which raises `RecursionError` near depth 1000):
    /// `nesting deeper than N levels`, at the bracket that went too deep.
    DepthLimit {
        /// The [`ParseOptions::max_depth`] in force.
        max: usize,
    },
    /// Ours, not Python's: `more than N values`, at the first value over
    /// the limit. Each value costs tens of bytes in the tree, and a cell of
    /// `0,0,0,...` has a value every two bytes.
    ValueLimit {
        /// The [`ParseOptions::max_values`] in force.
        max: usize,
    },
}

impl ParseErrorKind {
    /// Whether Python's `json.loads` raises `JSONDecodeError` with this
    /// message (false for our own limits).
    pub fn is_python_error(&self) -> bool {
        !self.is_limit()
    }

    /// Whether this is one of our own limits ([`ParseErrorKind::DepthLimit`],
    /// [`ParseErrorKind::ValueLimit`]), not a syntax error.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            ParseErrorKind::DepthLimit { .. } | ParseErrorKind::ValueLimit { .. }
        )
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            ParseErrorKind::ExpectingValue => "Expecting value",
            ParseErrorKind::ExpectingCommaDelimiter => "Expecting ',' delimiter",
            ParseErrorKind::ExpectingColonDelimiter => "Expecting ':' delimiter",
            ParseErrorKind::ExpectingPropertyName => {
                "Expecting property name enclosed in double quotes"
            }
            ParseErrorKind::UnterminatedString => "Unterminated string starting at",
            ParseErrorKind::InvalidControlCharacter => "Invalid control character at",
            ParseErrorKind::InvalidEscape => "Invalid \\escape",
            ParseErrorKind::InvalidUnicodeEscape => "Invalid \\uXXXX escape",
            ParseErrorKind::ExtraData => "Extra data",
            ParseErrorKind::UnexpectedBom => "Unexpected UTF-8 BOM (decode using utf-8-sig)",
            ParseErrorKind::DepthLimit { max } => {
                return write!(f, "nesting deeper than {max} levels");
            }
            ParseErrorKind::ValueLimit { max } => {
                return write!(f, "more than {max} values");
            }
        };
        f.write_str(msg)
    }
}

/// A parse failure: where (byte offset into the parsed text) and what.
///
/// `Display` prints only the message (Python's `JSONDecodeError.msg`, e.g.
/// `Expecting value`); [`ParseError::python_message`] adds the position the
/// way Python does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the text; always on a char boundary, at most `text.len()`.
    pub offset: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// A position in the text as Python reports it: 1-based line and column
/// counted in characters (code points), lines split on `\n` only, and the
/// 0-based character index (`pos` in Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 0-based character index from the start of the text.
    pub char_index: usize,
}

impl TextPosition {
    /// Converts a byte offset in `text` to Python's line/column/char index.
    /// An offset past the end is clamped; one inside a character counts
    /// that character as before it.
    pub fn of_offset(text: &str, offset: usize) -> TextPosition {
        let bytes = text.as_bytes();
        let before = bytes.get(..offset).unwrap_or(bytes);
        let count_chars = |b: &[u8]| b.iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        let (line, column_chars) = match before.iter().rposition(|&c| c == b'\n') {
            Some(nl) => {
                let line = 2 + before[..nl].iter().filter(|&&c| c == b'\n').count();
                (line, count_chars(&before[nl + 1..]))
            }
            None => (1, count_chars(before)),
        };
        // Python: colno = pos - doc.rfind('\n', 0, pos), i.e. chars after
        // the last newline, plus one.
        TextPosition {
            line,
            column: column_chars + 1,
            char_index: count_chars(before),
        }
    }
}

impl ParseError {
    /// The error's position as Python reports it (see [`TextPosition`]);
    /// `text` must be the text that was parsed.
    pub fn position(&self, text: &str) -> TextPosition {
        TextPosition::of_offset(text, self.offset)
    }

    /// The message as `str(json.JSONDecodeError)` renders it, e.g.
    /// `Expecting value: line 1 column 1 (char 0)`; `text` must be the text
    /// that was parsed.
    pub fn python_message(&self, text: &str) -> String {
        let p = self.position(text);
        format!(
            "{}: line {} column {} (char {})",
            self.kind, p.line, p.column, p.char_index
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for ParseError {}

/// A successful parse with statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The document's value.
    pub root: Node,
    /// How many `\u` escapes were lone surrogates (accepted by Python, but
    /// replaced by U+FFFD here since a Rust `String` cannot hold them).
    pub lone_surrogates: usize,
}

/// Parses `text` with the default [`ParseOptions`].
pub fn parse(text: &str) -> Result<Node, ParseError> {
    parse_with(text, &ParseOptions::default())
}

/// Parses `text` with `opts`.
pub fn parse_with(text: &str, opts: &ParseOptions) -> Result<Node, ParseError> {
    parse_with_stats(text, opts).map(|p| p.root)
}

/// Parses `text` with `opts`, also returning statistics (lone surrogates).
pub fn parse_with_stats(text: &str, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    parse_inner(text, None, opts)
}

/// Parses `text` with `opts`; string values without escapes share `text` (see [`JsonStr`])
/// instead of copying it.
pub fn parse_shared(text: &Arc<String>, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    parse_inner(text, Some(text), opts)
}

fn parse_inner(
    text: &str,
    shared: Option<&Arc<String>>,
    opts: &ParseOptions,
) -> Result<Parsed, ParseError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        shared,
        pos: 0,
        max_depth: opts.max_depth,
        values: 0,
        max_values: opts.max_values,
        lone_surrogates: 0,
    };
    let root = parser.parse_document()?;
    Ok(Parsed {
        root,
        lone_surrogates: parser.lone_surrogates,
    })
}

/// An open container on the parser's explicit stack.
enum Frame {
    Array {
        start: usize,
        items: Vec<Node>,
    },
    Object {
        start: usize,
        members: Vec<Member>,
        /// Key of the member whose value is being parsed.
        key: String,
        key_span: Range<usize>,
    },
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// `text` itself, when string values may share it.
    shared: Option<&'t Arc<String>>,
    pos: usize,
    max_depth: usize,
    /// Values parsed so far (the one being started included).
    values: usize,
    max_values: usize,
    lone_surrogates: usize,
}

#[inline]
fn err(offset: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { offset, kind }
}

impl<'t> Parser<'t> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// `text[a..b]`; callers only pass offsets of ASCII bytes or the end.
    #[inline]
    fn slice(&self, a: usize, b: usize) -> &'t str {
        self.text.get(a..b).unwrap_or_default()
    }

    fn parse_document(&mut self) -> Result<Node, ParseError> {
        if self.text.starts_with('\u{feff}') {
            return Err(err(0, ParseErrorKind::UnexpectedBom));
        }
        self.skip_ws();
        let root = self.parse_tree()?;
        self.skip_ws();
        if self.pos != self.bytes.len() {
            return Err(err(self.pos, ParseErrorKind::ExtraData));
        }
        Ok(root)
    }

    fn check_depth(&self, open: usize, at: usize) -> Result<(), ParseError> {
        if open >= self.max_depth {
            Err(err(
                at,
                ParseErrorKind::DepthLimit {
                    max: self.max_depth,
                },
            ))
        } else {
            Ok(())
        }
    }

    /// Parses one value (whitespace before it already skipped) with an
    /// explicit stack of open containers.
    fn parse_tree(&mut self) -> Result<Node, ParseError> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            let start = self.pos;
            self.values += 1;
            if self.values > self.max_values {
                return Err(err(
                    start,
                    ParseErrorKind::ValueLimit {
                        max: self.max_values,
                    },
                ));
            }
            let mut node = match self.peek() {
                Some(b'[') => {
                    self.check_depth(stack.len(), start)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Node {
                            value: Value::Array(Vec::new()),
                            span: start..self.pos,
                        }
                    } else {
                        stack.push(Frame::Array {
                            start,
                            items: Vec::new(),
                        });
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.check_depth(stack.len(), start)?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Node {
                            value: Value::Object(Vec::new()),
                            span: start..self.pos,
                        }
                    } else {
                        let (key, key_span) = self.parse_key()?;
                        stack.push(Frame::Object {
                            start,
                            members: Vec::new(),
                            key,
                            key_span,
                        });
                        continue 'value;
                    }
                }
                _ => self.parse_scalar()?,
            };
            // `node` is complete: hand it to the innermost open container,
            // closing containers as long as their closing bracket follows.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Ok(node);
                };
                match frame {
                    Frame::Array { start, items } => {
                        items.push(node);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                continue 'value;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                node = Node {
                                    span: *start..self.pos,
                                    value: Value::Array(std::mem::take(items)),
                                };
                                stack.pop();
                            }
                            _ => {
                                return Err(err(self.pos, ParseErrorKind::ExpectingCommaDelimiter));
                            }
                        }
                    }
                    Frame::Object {
                        start,
                        members,
                        key,
                        key_span,
                    } => {
                        members.push(Member {
                            key: std::mem::take(key),
                            key_span: std::mem::take(key_span),
                            value: node,
                        });
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                (*key, *key_span) = self.parse_key()?;
                                continue 'value;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                node = Node {
                                    span: *start..self.pos,
                                    value: Value::Object(std::mem::take(members)),
                                };
                                stack.pop();
                            }
                            _ => {
                                return Err(err(self.pos, ParseErrorKind::ExpectingCommaDelimiter));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Parses `"key" :` and the whitespace after it.
    fn parse_key(&mut self) -> Result<(String, Range<usize>), ParseError> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(err(start, ParseErrorKind::ExpectingPropertyName));
        }
        let key = self.parse_string()?;
        let span = start..self.pos;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(err(self.pos, ParseErrorKind::ExpectingColonDelimiter));
        }
        self.pos += 1;
        self.skip_ws();
        Ok((key, span))
    }

    fn parse_scalar(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let (value, len) = match rest.first() {
            Some(b'"') => {
                let value = self.parse_string_value()?;
                return Ok(Node {
                    value: Value::String(value),
                    span: start..self.pos,
                });
            }
            Some(b'-') if rest.starts_with(b"-Infinity") => (Value::Number(Number::NegInfinity), 9),
            Some(b'-' | b'0'..=b'9') => return self.parse_number(),
            Some(b'n') if rest.starts_with(b"null") => (Value::Null, 4),
            Some(b't') if rest.starts_with(b"true") => (Value::Bool(true), 4),
            Some(b'f') if rest.starts_with(b"false") => (Value::Bool(false), 5),
            Some(b'N') if rest.starts_with(b"NaN") => (Value::Number(Number::NaN), 3),
            Some(b'I') if rest.starts_with(b"Infinity") => (Value::Number(Number::Infinity), 8),
            _ => return Err(err(start, ParseErrorKind::ExpectingValue)),
        };
        self.pos += len;
        Ok(Node {
            value,
            span: start..self.pos,
        })
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, longest match with
    /// backtracking of an incomplete fraction/exponent, like CPython.
    fn parse_number(&mut self) -> Result<Node, ParseError> {
        let b = self.bytes;
        let start = self.pos;
        let is_digit = |i: usize| matches!(b.get(i), Some(b'0'..=b'9'));
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let int_start = i;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                i += 1;
                while is_digit(i) {
                    i += 1;
                }
            }
            _ => return Err(err(start, ParseErrorKind::ExpectingValue)),
        }
        let int_end = i;
        let mut is_float = false;
        if b.get(i) == Some(&b'.') && is_digit(i + 1) {
            is_float = true;
            i += 2;
            while is_digit(i) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if is_digit(j) {
                while is_digit(j) {
                    j += 1;
                }
                is_float = true;
                i = j;
            }
        }
        self.pos = i;
        let number = if is_float {
            match self.slice(start, i).parse::<f64>() {
                Ok(f) => Number::Float(f),
                Err(_) => return Err(err(start, ParseErrorKind::ExpectingValue)),
            }
        } else {
            integer_from_digits(b.get(int_start..int_end).unwrap_or_default(), negative)
        };
        Ok(Node {
            value: Value::Number(number),
            span: start..i,
        })
    }

    /// Parses the string whose opening quote is at `self.pos`, leaving
    /// `self.pos` after the closing quote.
    /// A string value: shared with the document when it has no escape and is long enough for
    /// sharing to pay (keys and short strings are copied).
    fn parse_string_value(&mut self) -> Result<JsonStr, ParseError> {
        const SHARE_FROM: usize = 64;
        let start = self.pos;
        if let Some(text) = self.shared {
            let end = find_string_special(self.bytes, start + 1);
            // The parsed text is valid UTF-8 and the quotes are ASCII, so both ends are char
            // boundaries.
            if self.bytes.get(end) == Some(&b'"') && end - (start + 1) >= SHARE_FROM {
                self.pos = end + 1;
                return Ok(JsonStr(StrRepr::Shared {
                    text: Arc::clone(text),
                    range: start + 1..end,
                }));
            }
        }
        self.parse_string().map(JsonStr::from)
    }

    fn parse_string(&mut self) -> Result<String, ParseError> {
        let b = self.bytes;
        let start = self.pos;
        let mut chunk_start = start + 1;
        let mut out = String::new();
        loop {
            let i = find_string_special(b, chunk_start);
            match b.get(i) {
                None => return Err(err(start, ParseErrorKind::UnterminatedString)),
                Some(b'"') => {
                    let chunk = self.slice(chunk_start, i);
                    if out.is_empty() {
                        out = chunk.to_owned();
                    } else {
                        out.push_str(chunk);
                    }
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.slice(chunk_start, i));
                    chunk_start = self.parse_escape(i, start, &mut out)?;
                }
                Some(_) => return Err(err(i, ParseErrorKind::InvalidControlCharacter)),
            }
        }
    }

    /// Decodes the escape whose backslash is at `i` into `out`; returns the
    /// offset after it. `string_start` is the opening quote's offset.
    fn parse_escape(
        &mut self,
        i: usize,
        string_start: usize,
        out: &mut String,
    ) -> Result<usize, ParseError> {
        let ch = match self.bytes.get(i + 1) {
            None => return Err(err(string_start, ParseErrorKind::UnterminatedString)),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.parse_unicode_escape(i + 1, out),
            Some(_) => return Err(err(i, ParseErrorKind::InvalidEscape)),
        };
        out.push(ch);
        Ok(i + 2)
    }

    /// Decodes `\uXXXX` (and a following low surrogate escape, if `XXXX` is
    /// a high surrogate) whose `u` is at `u`, mirroring CPython's bounds
    /// checks (which require a character after the 4 hex digits) and error
    /// offsets (the `u`).
    fn parse_unicode_escape(&mut self, u: usize, out: &mut String) -> Result<usize, ParseError> {
        let b = self.bytes;
        let end = u + 5;
        if end >= b.len() {
            return Err(err(u, ParseErrorKind::InvalidUnicodeEscape));
        }
        let c = hex4(b.get(u + 1..end)).ok_or(err(u, ParseErrorKind::InvalidUnicodeEscape))?;
        if (0xD800..0xDC00).contains(&c)
            && end + 6 < b.len()
            && b.get(end..end + 2) == Some(b"\\u".as_slice())
        {
            let c2 = hex4(b.get(end + 2..end + 6))
                .ok_or(err(end + 1, ParseErrorKind::InvalidUnicodeEscape))?;
            if (0xDC00..0xE000).contains(&c2) {
                let joined = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                out.push(char::from_u32(joined).unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(end + 6);
            }
        }
        match char::from_u32(c) {
            Some(ch) => out.push(ch),
            None => {
                out.push(char::REPLACEMENT_CHARACTER);
                self.lone_surrogates += 1;
            }
        }
        Ok(end)
    }
}

fn integer_from_digits(digits: &[u8], negative: bool) -> Number {
    let mut magnitude: u64 = 0;
    for &d in digits {
        match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(d.wrapping_sub(b'0'))))
        {
            Some(m) => magnitude = m,
            None => return Number::BigInt,
        }
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
            .map_or(Number::BigInt, Number::Int)
    } else {
        i64::try_from(magnitude).map_or(Number::UInt(magnitude), Number::Int)
    }
}

fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    let digits = digits?;
    if digits.len() != 4 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some((acc << 4) | u32::from(v))
    })
}

/// Offset of the first `"`, `\` or control byte (< 0x20) at or after `from`,
/// or `bytes.len()`. Short strings (keys, names) end within a few words, found
/// 8 bytes at a time (SWAR) with no call; longer ones (base64 arrays, most of a
/// model's bytes) go to memchr's vector search, a few times faster per byte.
#[inline]
fn find_string_special(bytes: &[u8], from: usize) -> usize {
    const SHORT: usize = 32;
    let Some(rest) = bytes.get(from..) else {
        return bytes.len();
    };
    let head = rest.len().min(SHORT);
    if let Some(i) = swar_special(&rest[..head]) {
        return from + i;
    }
    if head == rest.len() {
        return bytes.len();
    }
    let tail = &rest[head..];
    let stop = memchr::memchr2(b'"', b'\\', tail).unwrap_or(tail.len());
    from + head + first_control(&tail[..stop]).unwrap_or(stop)
}

/// Offset of the first `"`, `\` or control byte of `bytes`, 8 bytes at a time; the
/// lowest flagged byte of each word is exact, and multi-byte UTF-8 never matches.
#[inline]
fn swar_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    const SPACES: u64 = ONES * 0x20;
    let mut offset = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Some(word) = chunk.first_chunk::<8>() else {
            break;
        };
        let w = u64::from_le_bytes(*word);
        let q = w ^ QUOTES;
        let s = w ^ BACKSLASHES;
        let mask = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (w.wrapping_sub(SPACES) & !w))
            & HIGHS;
        if mask != 0 {
            return Some(offset + (mask.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| offset + i)
}

/// Offset of the first control byte (< 0x20). Each 64-byte block is tested without a
/// branch per byte, which the compiler turns into vector compares.
fn first_control(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    for block in bytes.chunks(1024) {
        // The minimum of the block: a reduction without a branch per byte. Over 1 KiB
        // blocks it cost 2.8M fewer instructions on the corpus than a `bool` fold over
        // 64-byte blocks.
        if block.iter().fold(u8::MAX, |low, &b| low.min(b)) < 0x20 {
            return block.iter().position(|&b| b < 0x20).map(|i| offset + i);
        }
        offset += block.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-at-a-time and vector paths find exactly what a byte loop finds, at
        /// every start offset, whatever the mix of special bytes and string lengths.
        #[test]
        fn string_special_agrees_with_a_byte_loop(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => 0x20u8..0x7f,
                    1 => proptest::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0xc3, 0xa9]),
                ],
                0..300,
            ),
            from in 0usize..310,
        ) {
            let naive = bytes
                .iter()
                .enumerate()
                .skip(from)
                .find(|&(_, &c)| c == b'"' || c == b'\\' || c < 0x20)
                .map_or(bytes.len(), |(i, _)| i);
            proptest::prop_assert_eq!(find_string_special(&bytes, from), naive);
        }

        /// Long runs with one special byte anywhere (or none): the vector search and the
        /// block scan after it, across several blocks.
        #[test]
        fn string_special_found_far_into_a_long_run(
            len in 0usize..3000,
            at in 0usize..3000,
            special in proptest::sample::select(vec![b'"', b'\\', 0x00, 0x1f, b'A']),
        ) {
            let mut bytes = vec![b'x'; len];
            if at < len {
                bytes[at] = special;
            }
            let naive = bytes
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(bytes.len());
            proptest::prop_assert_eq!(find_string_special(&bytes, 0), naive);
        }

        /// A shared string is a plain ASCII lexeme exactly when no byte is DEL or above,
        /// wherever the one such byte falls among the blocks.
        #[test]
        fn plain_ascii_lexeme_agrees_with_a_byte_loop(
            len in 64usize..3000,
            at in 0usize..3000,
            odd in proptest::sample::select(vec!["\u{7f}", "é", "~", "\u{10ffff}"]),
        ) {
            let mut content = "x".repeat(len);
            if at < len {
                content.replace_range(at..=at, odd);
            }
            let text = Arc::new(format!("\"{content}\""));
            let parsed = parse_shared(&text, &ParseOptions::default()).expect("a string");
            let Value::String(s) = &parsed.root.value else {
                panic!("a string");
            };
            let naive = content.bytes().all(|b| b < 0x7f);
            proptest::prop_assert_eq!(s.is_plain_ascii_lexeme(), naive);
        }
    }

    fn ok(text: &str) -> Node {
        match parse(text) {
            Ok(node) => node,
            Err(e) => panic!("{text:?}: {}", e.python_message(text)),
        }
    }

    fn num(text: &str) -> Number {
        ok(text).as_number().expect("a number")
    }

    #[test]
    fn spans_in_nested_structures() {
        let text = r#" {"a": [1, {"b" : "x"}], "c":null ,"d":{}} "#;
        let root = ok(text);
        assert_eq!(root.span, 1..text.len() - 1);
        assert_eq!(root.kind_name(), "object");
        let members = root.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(&text[members[0].key_span.clone()], r#""a""#);
        assert_eq!(members[0].key_span, 2..5);
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.span.clone()], r#"[1, {"b" : "x"}]"#);
        let items = a.as_array().unwrap();
        assert_eq!(&text[items[0].span.clone()], "1");
        assert_eq!(items[0].as_i64(), Some(1));
        let inner = &items[1];
        assert_eq!(&text[inner.span.clone()], r#"{"b" : "x"}"#);
        let b = inner.member("b").unwrap();
        assert_eq!(&text[b.key_span.clone()], r#""b""#);
        assert_eq!(&text[b.value.span.clone()], r#""x""#);
        assert_eq!(b.value.as_str(), Some("x"));
        let c = root.member("c").unwrap();
        assert_eq!(&text[c.key_span.clone()], r#""c""#);
        assert!(c.value.is_null());
        assert_eq!(c.value.lexeme(text), Some("null"));
        assert_eq!(root.get("d").unwrap().lexeme(text), Some("{}"));
        assert_eq!(root.pointer("/a/1/b").unwrap().span, b.value.span);
    }

    #[test]
    fn scalar_spans_and_kinds() {
        let text = "[true, false, null, -1.5e3, \"s\", [], {}, NaN]";
        let root = ok(text);
        let kinds: Vec<_> = root
            .as_array()
            .unwrap()
            .iter()
            .map(Node::kind_name)
            .collect();
        assert_eq!(
            kinds,
            [
                "boolean", "boolean", "null", "number", "string", "array", "object", "number"
            ]
        );
        let lexemes: Vec<_> = root
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.lexeme(text).unwrap())
            .collect();
        assert_eq!(
            lexemes,
            [
                "true", "false", "null", "-1.5e3", "\"s\"", "[]", "{}", "NaN"
            ]
        );
        assert_eq!(root.pointer("/0").unwrap().as_bool(), Some(true));
        assert_eq!(root.pointer("/3").unwrap().as_f64(), Some(-1500.0));
    }

    #[test]
    fn escaped_strings() {
        let text = r#"["a\"b\\c\/", "\u00e9\u00E9", "\ud83d\ude00", "\uD83D\uDE00x", "\b\f\n\r\t", "é\"ü"]"#;
        let parsed = parse_with_stats(text, &ParseOptions::default()).unwrap();
        assert_eq!(parsed.lone_surrogates, 0);
        let items = parsed.root.as_array().unwrap();
        let strs: Vec<_> = items.iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(
            strs,
            ["a\"b\\c/", "éé", "😀", "😀x", "\u{8}\u{c}\n\r\t", "é\"ü"]
        );
        assert_eq!(&text[items[0].span.clone()], r#""a\"b\\c\/""#);
        assert_eq!(&text[items[2].span.clone()], r#""\ud83d\ude00""#);
        assert_eq!(&text[items[5].span.clone()], r#""é\"ü""#);
    }

    #[test]
    fn lone_surrogates_become_replacement_and_are_counted() {
        let text = r#"["\ud800", "\udc00x", "\ud800\u0041", "\ud800\ud800", "\ud83d\ude00"]"#;
        let parsed = parse_with_stats(text, &ParseOptions::default()).unwrap();
        let strs: Vec<_> = parsed
            .root
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            strs,
            [
                "\u{fffd}",
                "\u{fffd}x",
                "\u{fffd}A",
                "\u{fffd}\u{fffd}",
                "😀"
            ]
        );
        assert_eq!(parsed.lone_surrogates, 5);
    }

    #[test]
    fn string_scan_finds_specials_at_every_position() {
        for k in 0..40 {
            let pad = "é".repeat(k % 3) + &"a".repeat(k);
            // an escape at position k
            let text = format!("\"{pad}\\n{pad}\"");
            assert_eq!(ok(&text).as_str().unwrap(), format!("{pad}\n{pad}"));
            // the closing quote at position k
            let text = format!("\"{pad}\"");
            let node = ok(&text);
            assert_eq!(node.as_str().unwrap(), pad);
            assert_eq!(node.span, 0..text.len());
            // a control character at position k
            let text = format!("\"{pad}\u{1f}{pad}\"");
            let e = parse(&text).unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::InvalidControlCharacter);
            assert_eq!(e.offset, 1 + pad.len());
            // unterminated
            let text = format!("  \"{pad}");
            let e = parse(&text).unwrap_err();
            assert_eq!((e.kind, e.offset), (ParseErrorKind::UnterminatedString, 2));
        }
        // DEL and non-ASCII are not special
        assert_eq!(
            ok("\"a\u{7f}b\u{80}\u{ffff}\"").as_str(),
            Some("a\u{7f}b\u{80}\u{ffff}")
        );
    }

    #[test]
    fn python_constants() {
        let text = "[NaN, Infinity, -Infinity, -1]";
        let root = ok(text);
        let nums: Vec<_> = root
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_number().unwrap())
            .collect();
        assert_eq!(
            nums,
            [
                Number::NaN,
                Number::Infinity,
                Number::NegInfinity,
                Number::Int(-1)
            ]
        );
        assert!(root.pointer("/0").unwrap().as_f64().unwrap().is_nan());
        assert_eq!(
            root.pointer("/2").unwrap().as_f64(),
            Some(f64::NEG_INFINITY)
        );
        assert_eq!(root.pointer("/2").unwrap().lexeme(text), Some("-Infinity"));
        assert!(Number::NaN.is_non_finite());
        assert!(Number::Float(f64::INFINITY).is_non_finite());
        assert!(!Number::Int(1).is_non_finite());
    }

    #[test]
    fn integers_and_big_integers() {
        assert_eq!(num("0"), Number::Int(0));
        assert_eq!(num("-0"), Number::Int(0));
        assert_eq!(num("9223372036854775807"), Number::Int(i64::MAX));
        assert_eq!(num("-9223372036854775808"), Number::Int(i64::MIN));
        assert_eq!(num("9223372036854775808"), Number::UInt(1 << 63));
        assert_eq!(num("18446744073709551615"), Number::UInt(u64::MAX));
        assert_eq!(num("18446744073709551616"), Number::BigInt);
        assert_eq!(num("-9223372036854775809"), Number::BigInt);
        let big = "123456789012345678901234567890";
        let text = format!("[{big}]");
        let root = ok(&text);
        let n = root.pointer("/0").unwrap();
        assert_eq!(n.as_number(), Some(Number::BigInt));
        assert!(n.as_number().unwrap().is_integer());
        assert_eq!(n.lexeme(&text), Some(big));
        assert_eq!(n.as_f64(), None);
        assert_eq!(n.as_f64_lexeme(&text), Some(1.2345678901234568e29));
        assert_eq!(n.as_i64(), None);
        assert_eq!(ok("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(ok("-1").as_u64(), None);
        assert_eq!(ok("3.0").as_i64(), None);
    }

    #[test]
    fn floats() {
        assert_eq!(num("0.1"), Number::Float(0.1));
        assert_eq!(num("1E5"), Number::Float(100000.0));
        assert_eq!(num("1e-5"), Number::Float(1e-5));
        assert_eq!(num("2.5E+2"), Number::Float(250.0));
        assert_eq!(num("1e400"), Number::Float(f64::INFINITY));
        assert_eq!(num("-1e400"), Number::Float(f64::NEG_INFINITY));
        assert_eq!(num("1e-400"), Number::Float(0.0));
        let Number::Float(z) = num("-0.0") else {
            panic!("not a float")
        };
        assert!(z == 0.0 && z.is_sign_negative());
        // correctly rounded (a classic hard case)
        assert_eq!(
            num("2.2250738585072011e-308"),
            Number::Float(2.225073858507201e-308)
        );
        assert_eq!(
            num("0.30000000000000004441"),
            Number::Float(0.30000000000000004)
        );
    }

    #[test]
    fn whitespace() {
        assert_eq!(ok(" \t\r\n[ \t\r\n1 \t\r\n] \t\r\n").span, 4..15);
        // form feed and NBSP are not JSON whitespace for Python
        assert_eq!(
            parse("\u{c}1").unwrap_err().kind,
            ParseErrorKind::ExpectingValue
        );
        assert_eq!(
            parse("1\u{a0}").unwrap_err().kind,
            ParseErrorKind::ExtraData
        );
    }

    /// (input, expected `str(JSONDecodeError)` from CPython 3.11, byte offset)
    const PYTHON_ERRORS: &[(&str, &str, usize)] = &[
        ("", "Expecting value: line 1 column 1 (char 0)", 0),
        ("   ", "Expecting value: line 1 column 4 (char 3)", 3),
        ("]", "Expecting value: line 1 column 1 (char 0)", 0),
        ("[1,]", "Expecting value: line 1 column 4 (char 3)", 3),
        ("[,]", "Expecting value: line 1 column 2 (char 1)", 1),
        ("[", "Expecting value: line 1 column 2 (char 1)", 1),
        ("[[", "Expecting value: line 1 column 3 (char 2)", 2),
        ("-", "Expecting value: line 1 column 1 (char 0)", 0),
        ("-x", "Expecting value: line 1 column 1 (char 0)", 0),
        ("[-x]", "Expecting value: line 1 column 2 (char 1)", 1),
        ("[-]", "Expecting value: line 1 column 2 (char 1)", 1),
        ("nul", "Expecting value: line 1 column 1 (char 0)", 0),
        ("tru", "Expecting value: line 1 column 1 (char 0)", 0),
        ("-Inf", "Expecting value: line 1 column 1 (char 0)", 0),
        ("{\"a\":}", "Expecting value: line 1 column 6 (char 5)", 5),
        ("\u{a0}1", "Expecting value: line 1 column 1 (char 0)", 0),
        ("\u{c}1", "Expecting value: line 1 column 1 (char 0)", 0),
        ("[\"é\", x]", "Expecting value: line 1 column 7 (char 6)", 7),
        (
            "[1,\n 2,\n x]",
            "Expecting value: line 3 column 2 (char 9)",
            9,
        ),
        (
            "{",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            1,
        ),
        (
            "{1:2}",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            1,
        ),
        (
            "{\"a\":1,}",
            "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
            7,
        ),
        (
            "{,}",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            1,
        ),
        (
            "{\"a\" 1}",
            "Expecting ':' delimiter: line 1 column 6 (char 5)",
            5,
        ),
        (
            "{\"a\"",
            "Expecting ':' delimiter: line 1 column 5 (char 4)",
            4,
        ),
        (
            "{\"a\":1 \"b\":2}",
            "Expecting ',' delimiter: line 1 column 8 (char 7)",
            7,
        ),
        (
            "[1 2]",
            "Expecting ',' delimiter: line 1 column 4 (char 3)",
            3,
        ),
        (
            "[01]",
            "Expecting ',' delimiter: line 1 column 3 (char 2)",
            2,
        ),
        (
            "[1,2",
            "Expecting ',' delimiter: line 1 column 5 (char 4)",
            4,
        ),
        (
            "{\"a\":1",
            "Expecting ',' delimiter: line 1 column 7 (char 6)",
            6,
        ),
        (
            "\"abc",
            "Unterminated string starting at: line 1 column 1 (char 0)",
            0,
        ),
        (
            "\"\\",
            "Unterminated string starting at: line 1 column 1 (char 0)",
            0,
        ),
        (
            "\"a\u{1}b\"",
            "Invalid control character at: line 1 column 3 (char 2)",
            2,
        ),
        ("\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)", 1),
        (
            "\"\\ud800\\x\"",
            "Invalid \\escape: line 1 column 8 (char 7)",
            7,
        ),
        (
            "\"\\u12\"",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            2,
        ),
        (
            "\"\\u12zz\"",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            2,
        ),
        (
            "\"\\u 123\"",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            2,
        ),
        (
            "\"\\u0041",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            2,
        ),
        (
            "\"\\u00",
            "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            2,
        ),
        (
            "\"abc\\u00e9",
            "Invalid \\uXXXX escape: line 1 column 6 (char 5)",
            5,
        ),
        (
            "\"\\ud800\\udc00",
            "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            8,
        ),
        (
            "\"\\ud800\\u12zzabc\"",
            "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            8,
        ),
        (
            "\"\\ud800\\udc0",
            "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            8,
        ),
        (
            "\"\\ud800\\udc0\"x",
            "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            8,
        ),
        ("1 2", "Extra data: line 1 column 3 (char 2)", 2),
        ("[]]", "Extra data: line 1 column 3 (char 2)", 2),
        ("01", "Extra data: line 1 column 2 (char 1)", 1),
        ("1.", "Extra data: line 1 column 2 (char 1)", 1),
        ("1e", "Extra data: line 1 column 2 (char 1)", 1),
        ("1e-", "Extra data: line 1 column 2 (char 1)", 1),
        ("1.5e+", "Extra data: line 1 column 4 (char 3)", 3),
        ("1e+5x", "Extra data: line 1 column 5 (char 4)", 4),
        ("nullx", "Extra data: line 1 column 5 (char 4)", 4),
        ("NaNx", "Extra data: line 1 column 4 (char 3)", 3),
        ("1\u{c}", "Extra data: line 1 column 2 (char 1)", 1),
        ("[1]\u{a0}", "Extra data: line 1 column 4 (char 3)", 3),
        ("{\"a\":1}x", "Extra data: line 1 column 8 (char 7)", 7),
        (
            "{\"a\":1}\n\n x",
            "Extra data: line 3 column 2 (char 10)",
            10,
        ),
        (
            "\u{feff}1",
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
            0,
        ),
    ];

    #[test]
    fn errors_match_python() {
        for &(text, expected, offset) in PYTHON_ERRORS {
            let e = match parse(text) {
                Ok(v) => panic!("{text:?} parsed as {v:?}"),
                Err(e) => e,
            };
            assert_eq!(e.python_message(text), expected, "input {text:?}");
            assert_eq!(e.offset, offset, "input {text:?}");
            assert!(e.kind.is_python_error());
            // Display is Python's `msg`, the part before the position
            assert_eq!(
                Some(e.to_string().as_str()),
                expected.split(": line").next()
            );
        }
    }

    #[test]
    fn error_kinds() {
        let kind = |t: &str| parse(t).unwrap_err().kind;
        assert_eq!(kind("[1 2]"), ParseErrorKind::ExpectingCommaDelimiter);
        assert_eq!(kind("{\"a\" 1}"), ParseErrorKind::ExpectingColonDelimiter);
        assert_eq!(kind("{1:1}"), ParseErrorKind::ExpectingPropertyName);
        assert_eq!(kind("\"a"), ParseErrorKind::UnterminatedString);
        assert_eq!(kind("\"\n\""), ParseErrorKind::InvalidControlCharacter);
        assert_eq!(kind("\"\\a\""), ParseErrorKind::InvalidEscape);
        assert_eq!(kind("\"\\uzzzz\""), ParseErrorKind::InvalidUnicodeEscape);
        assert_eq!(kind("1 1"), ParseErrorKind::ExtraData);
        assert_eq!(kind("\u{feff}{}"), ParseErrorKind::UnexpectedBom);
        assert_eq!(kind("x"), ParseErrorKind::ExpectingValue);
    }

    #[test]
    fn depth_limit() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::DepthLimit { max: 1000 });
        assert_eq!(e.offset, 1000);
        assert!(!e.kind.is_python_error());
        assert_eq!(e.to_string(), "nesting deeper than 1000 levels");
        assert_eq!(
            e.python_message(&deep),
            "nesting deeper than 1000 levels: line 1 column 1001 (char 1000)"
        );
        let objects = "{\"a\":".repeat(100_000);
        let e = parse(&objects).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::DepthLimit { max: 1000 });
        assert_eq!(e.offset, 5000);

        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        let root = ok(&nest(1000));
        let mut ptr = String::new();
        for _ in 0..999 {
            ptr = pointer_push(&ptr, "0");
        }
        assert_eq!(root.pointer(&ptr).unwrap().span, 999..1001);
        assert_eq!(
            parse(&nest(1001)).unwrap_err().kind,
            ParseErrorKind::DepthLimit { max: 1000 }
        );
        let opts = ParseOptions {
            max_depth: 2,
            ..ParseOptions::default()
        };
        assert!(parse_with("[{\"a\":[]}]", &opts).is_err());
        assert!(parse_with("[{\"a\":1},[]]", &opts).is_ok());
        let e = parse_with("[{\"a\":[]}]", &opts).unwrap_err();
        assert_eq!(
            (e.offset, e.kind),
            (6, ParseErrorKind::DepthLimit { max: 2 })
        );
        let scalars_only = ParseOptions {
            max_depth: 0,
            ..ParseOptions::default()
        };
        assert!(parse_with("1", &scalars_only).is_ok());
        assert!(parse_with("[]", &scalars_only).is_err());
    }

    #[test]
    fn deep_but_allowed_nesting_with_large_limit() {
        // The parser itself is iterative: 5000 levels is fine with a
        // raised limit (dropping the tree recurses, so stay moderate).
        let n = 5000;
        let text = "[".repeat(n) + &"]".repeat(n);
        let node = parse_with(
            &text,
            &ParseOptions {
                max_depth: n,
                ..ParseOptions::default()
            },
        )
        .unwrap();
        assert_eq!(node.span, 0..2 * n);
        let text = "{\"k\":".repeat(n) + "1" + &"}".repeat(n);
        assert!(
            parse_with(
                &text,
                &ParseOptions {
                    max_depth: n,
                    ..ParseOptions::default()
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn pointers() {
        let text = r#"{"a/b": {"m~n": [10, 20]}, "": 5, "x": {"": 6}, "0": [7]}"#;
        let root = ok(text);
        assert_eq!(root.pointer(""), Some(&root));
        assert_eq!(root.pointer("/a~1b/m~0n/1").unwrap().as_i64(), Some(20));
        assert_eq!(root.pointer("/a~1b/m~0n/0").unwrap().as_i64(), Some(10));
        assert_eq!(root.pointer("/").unwrap().as_i64(), Some(5));
        assert_eq!(root.pointer("/x/").unwrap().as_i64(), Some(6));
        assert_eq!(root.pointer("/0/0").unwrap().as_i64(), Some(7));
        assert_eq!(root.pointer("/a~1b/m~0n/2"), None);
        assert_eq!(root.pointer("/a~1b/m~0n/01"), None);
        assert_eq!(root.pointer("/a~1b/m~0n/-"), None);
        assert_eq!(root.pointer("/a~1b/m~0n/+1"), None);
        assert_eq!(root.pointer("/a~1b/m~0n/99999999999999999999999"), None);
        assert_eq!(root.pointer("/a~2b"), None);
        assert_eq!(root.pointer("/a~"), None);
        assert_eq!(root.pointer("/a/b"), None);
        assert_eq!(root.pointer("a~1b"), None);
        assert_eq!(root.pointer("/x/y/z"), None);

        assert_eq!(pointer_push("", "a/b"), "/a~1b");
        assert_eq!(pointer_push("/a~1b", "m~n"), "/a~1b/m~0n");
        assert_eq!(pointer_push("/a", "~1"), "/a/~01");
        assert_eq!(pointer_push("", ""), "/");
        assert_eq!(pointer_escape("plain"), Cow::Borrowed("plain"));
        // round trip through push and lookup
        let ptr = pointer_push(&pointer_push("", "a/b"), "m~n");
        assert_eq!(
            root.pointer(&pointer_push(&ptr, "1")).unwrap().as_i64(),
            Some(20)
        );
    }

    #[test]
    fn duplicate_keys() {
        let text = r#"{"a": 1, "b": 0, "a": 2}"#;
        let root = ok(text);
        let members = root.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].key, "a");
        assert_eq!(members[2].key, "a");
        assert_eq!(root.get("a").unwrap().as_i64(), Some(2));
        assert_eq!(root.member("a").unwrap().key_span, 17..20);
        assert_eq!(root.pointer("/a").unwrap().as_i64(), Some(2));
        assert_eq!(root.get("zz"), None);
        // as Python's dict: last value, first position
        let v = to_serde(&root, text);
        assert_eq!(v, serde_json::json!({"a": 2, "b": 0}));
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn to_serde_conversion() {
        let text = r#"{"n": null, "t": true, "i": -3, "u": 18446744073709551615,
            "big": 123456789012345678901234567890, "huge": 1e400,
            "f": 0.5, "s": "é\n", "a": [NaN, Infinity, -Infinity, {}],
            "hugeint": 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000}"#;
        let root = ok(text);
        let v = to_serde(&root, text);
        assert_eq!(
            v,
            serde_json::json!({
                "n": null, "t": true, "i": -3, "u": u64::MAX,
                "big": 1.2345678901234568e29, "huge": null,
                "f": 0.5, "s": "é\n", "a": [null, null, null, {}],
                "hugeint": null,
            })
        );
        // agrees with serde_json on standard JSON
        let std_text =
            r#"{"x": [1, -2, 3.25, "a\u00e9\ud83d\ude00", {"y": [true, false, null]}], "z": {}}"#;
        let expected: serde_json::Value = serde_json::from_str(std_text).unwrap();
        assert_eq!(to_serde(&ok(std_text), std_text), expected);
    }

    #[test]
    fn text_position() {
        let text = "ab\ncé\n\nxyz";
        let p = |o| TextPosition::of_offset(text, o);
        assert_eq!(
            p(0),
            TextPosition {
                line: 1,
                column: 1,
                char_index: 0
            }
        );
        assert_eq!(
            p(2),
            TextPosition {
                line: 1,
                column: 3,
                char_index: 2
            }
        );
        assert_eq!(
            p(3),
            TextPosition {
                line: 2,
                column: 1,
                char_index: 3
            }
        );
        assert_eq!(
            p(6),
            TextPosition {
                line: 2,
                column: 3,
                char_index: 5
            }
        );
        assert_eq!(
            p(8),
            TextPosition {
                line: 4,
                column: 1,
                char_index: 7
            }
        );
        assert_eq!(
            p(100),
            TextPosition {
                line: 4,
                column: 4,
                char_index: 10
            }
        );
    }

    /// Deterministic xorshift for the no-panic sweep.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_invariants(text: &str) {
        match parse(text) {
            Ok(node) => {
                assert!(node.span.end <= text.len());
                // whatever serde_json accepts must convert to the same value
                if let Ok(expected) = serde_json::from_str::<serde_json::Value>(text) {
                    assert_eq!(to_serde(&node, text), expected, "{text:?}");
                }
            }
            Err(e) => {
                assert!(e.offset <= text.len(), "{text:?}: {e:?}");
                assert!(text.is_char_boundary(e.offset), "{text:?}: {e:?}");
                let _ = e.python_message(text);
                // standard JSON that serde_json accepts must parse here too
                // (serde_json's own depth limit is 128, ours 1000)
                assert!(
                    serde_json::from_str::<serde_json::Value>(text).is_err(),
                    "{text:?}: {e:?}"
                );
            }
        }
    }

    #[test]
    fn no_panics_on_prefixes_and_mutations() {
        let seed = r#" {"a": [1, -2.5e-3, "x\"\\\u00e9\ud83d\ude00", true, false, null],
            "b": {"c": NaN, "d": [Infinity, -Infinity, {}], "é": "ü"}, "e": 123456789012345678901234} "#;
        for (i, _) in seed.char_indices() {
            check_invariants(&seed[..i]);
        }
        let alphabet: &[&str] = &[
            "[", "]", "{", "}", ",", ":", "\"", "\\", "u", "d8", "00", "-", "0", "1", ".", "e",
            "+", " ", "\n", "\u{1}", "é", "n", "N", "I", "\\u",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let mut s: String = seed.to_owned();
            for _ in 0..1 + rng.below(3) {
                let boundaries: Vec<usize> = s
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain(std::iter::once(s.len()))
                    .collect();
                let at = boundaries[rng.below(boundaries.len())];
                match rng.below(3) {
                    0 => s.insert_str(at, alphabet[rng.below(alphabet.len())]),
                    1 => {
                        if let Some(c) = s[at..].chars().next() {
                            s.replace_range(at..at + c.len_utf8(), "");
                        }
                    }
                    _ => s.truncate(at),
                }
            }
            check_invariants(&s);
        }
    }
}
