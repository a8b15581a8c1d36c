//! Python's `json.dumps`, as MLTK calls it, for a parsed tree: the inverse of [`crate::json`].
//!
//! MLTK writes the `model` and `options` cells with `json.dumps` defaults: `ensure_ascii=True`,
//! separators `", "` and `": "`, `allow_nan=True` (bare `NaN`, `Infinity`, `-Infinity`), keys
//! in insertion order. [`encode`] writes a [`Node`] tree back in exactly that form, so that
//! `encode(parse(x)) == x` for every cell MLTK wrote; where the result differs from the
//! input, the input was not written by `json.dumps` (or not by the Python we model).
//!
//! Floats are the subtle part. Python 3 (and numpy's `float64`) write `repr(x)`: the shortest
//! digits that read back to the same double ([`FloatSpelling::Repr`]). Some Python 2 builds
//! wrote `'%.17g' % x` with `.0` appended to integral results ([`FloatSpelling::Legacy17`]).
//! [`encode`] detects per float which of the two its lexeme used ([`spelling_of`]) and
//! re-formats the double in that spelling; a lexeme in neither spelling is kept verbatim
//! ([`FloatSpelling::Raw`]) and counted in [`Stats::raw_lexemes`].

use std::fmt::{self, Write as _};

use crate::json::{Member, Node, Number, Value};

/// How a float was spelled in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatSpelling {
    /// Python 3's `float.__repr__` (also numpy's `float64` repr): the shortest digits that
    /// round-trip, e.g. `0.1`, `1e-05`, `1e+16`, `123.0`.
    Repr,
    /// `'%.17g'` with `.0` added to integral results, as `repr` was in Python before 2.7:
    /// `4.1895010238524266`, `0.10000000000000001`, `4.0`, `10000000000000000.0`.
    Legacy17,
    /// Neither spelling: the exact lexeme is kept.
    Raw,
}

/// What [`encode`] met, for the caller's round-trip report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Floats whose lexeme is Python 3's `repr` (an integral float such as `4.0`, spelled
    /// the same both ways, counts here).
    pub floats_repr: usize,
    /// Floats whose lexeme is the 17-significant-digit legacy `repr`.
    pub floats_legacy17: usize,
    /// Values emitted as their exact raw lexeme: floats in neither spelling, and
    /// [`Number::BigInt`]s.
    pub raw_lexemes: usize,
    /// Strings (keys included) whose re-escaped form differs from their lexeme, e.g. they
    /// used `\/`, upper-case hex, or raw non-ASCII characters.
    pub strings_reescaped_differently: usize,
}

/// Formats `value` in `spelling`. `NaN`, `+inf` and `-inf` give `NaN`, `Infinity` and
/// `-Infinity` (the tokens `json.dumps` writes) in both spellings; [`FloatSpelling::Raw`]
/// gives `None` (there is no lexeme to go by).
///
/// * `Repr` is exactly Python 3's `float.__repr__` (`float_repr_style='short'`): shortest
///   round-trip digits, scientific notation when the decimal exponent is below -4 or at
///   least 16 (`1e-05`, `1e+16`, `5e-324`, `1.7976931348623157e+308`), fixed notation
///   otherwise with `.0` for integral values (`0.0001`, `123.0`, `-0.0`).
/// * `Legacy17` is C's `'%.17g'` (17 significant digits, correctly rounded, trailing zeros
///   dropped, scientific iff the exponent is below -4 or at least 17), plus `.0` when the
///   result has no `.`, `e`, `n` or `i`.
pub fn format_float(value: f64, spelling: FloatSpelling) -> Option<String> {
    if spelling == FloatSpelling::Raw {
        return None;
    }
    let mut out = String::with_capacity(24);
    write_float(&mut out, value, spelling);
    Some(out)
}

/// Which spelling `lexeme` (the source text of a float whose value is `value`) uses:
/// [`FloatSpelling::Repr`] if it is `format_float(value, Repr)`, else
/// [`FloatSpelling::Legacy17`] if it is `format_float(value, Legacy17)`, else
/// [`FloatSpelling::Raw`].
pub fn spelling_of(lexeme: &str, value: f64) -> FloatSpelling {
    let mut buf = String::with_capacity(24);
    for spelling in [FloatSpelling::Repr, FloatSpelling::Legacy17] {
        buf.clear();
        write_float(&mut buf, value, spelling);
        if buf == lexeme {
            return spelling;
        }
    }
    FloatSpelling::Raw
}

/// Where [`encode_into`] writes: a `String`, or a [`Compare`] that checks the output against
/// an expected text without keeping a copy of it.
pub trait Sink: fmt::Write {
    /// Append `s`.
    fn put(&mut self, s: &str) {
        let _ = self.write_str(s);
    }
    /// Append `c`.
    fn put_char(&mut self, c: char) {
        let _ = self.write_char(c);
    }
    /// Bytes written so far.
    fn position(&self) -> usize;
    /// What was written from `start` on, if the sink can tell.
    fn written_since(&self, start: usize) -> Option<&str>;
    /// Forget what was written from `len` on.
    fn truncate_to(&mut self, len: usize);
    /// Whether writing on is pointless: the result is already known to differ.
    fn failed(&self) -> bool {
        false
    }
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
    fn put_char(&mut self, c: char) {
        self.push(c);
    }
    fn position(&self) -> usize {
        self.len()
    }
    fn written_since(&self, start: usize) -> Option<&str> {
        self.get(start..)
    }
    fn truncate_to(&mut self, len: usize) {
        self.truncate(len);
    }
}

/// A [`Sink`] that compares what is written with `expected` as it comes, keeping nothing:
/// MLTK401 asks "would MLTK write this cell as it is?" on every file, and building a second
/// copy of a 30 MB model cell to answer it costs more than the question.
#[derive(Debug)]
pub struct Compare<'e> {
    expected: &'e str,
    pos: usize,
    /// The first offset where the output differs, if it does.
    mismatch: Option<usize>,
}

impl<'e> Compare<'e> {
    /// A sink that checks its output against `expected`.
    pub fn new(expected: &'e str) -> Self {
        Compare {
            expected,
            pos: 0,
            mismatch: None,
        }
    }

    /// Whether everything written equals `expected`, whole.
    pub fn matches(&self) -> bool {
        self.mismatch.is_none() && self.pos == self.expected.len()
    }
}

impl fmt::Write for Compare<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let here = self.expected.as_bytes().get(self.pos..).unwrap_or_default();
        // A lexeme copied from the expected text itself, at its own place: equal by identity
        // (a 20 MB base64 payload need not be compared with itself).
        if self.mismatch.is_none()
            && !(std::ptr::eq(s.as_ptr(), here.as_ptr()) && s.len() <= here.len())
        {
            let end = self.pos + s.len();
            if self.expected.as_bytes().get(self.pos..end) != Some(s.as_bytes()) {
                self.mismatch = Some(self.pos);
            }
        }
        self.pos += s.len();
        Ok(())
    }
}

impl Sink for Compare<'_> {
    fn position(&self) -> usize {
        self.pos
    }
    fn written_since(&self, start: usize) -> Option<&str> {
        match self.mismatch {
            Some(_) => None,
            None => self.expected.get(start..self.pos),
        }
    }
    fn truncate_to(&mut self, len: usize) {
        self.pos = len;
        // Only a difference inside the forgotten part is forgotten with it.
        if self.mismatch.is_some_and(|at| at >= len) {
            self.mismatch = None;
        }
    }
    fn failed(&self) -> bool {
        self.mismatch.is_some()
    }
}

/// Appends `s` as `json.dumps(s)` writes it with `ensure_ascii=True`, quotes included:
/// `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`; every other character below U+0020, U+007F and
/// every non-ASCII character as `\uXXXX` in lower-case hex (characters above U+FFFF as a
/// surrogate pair). `/` is not escaped.
pub fn escape_str<S: Sink + ?Sized>(s: &str, out: &mut S) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    fn push_u<S: Sink + ?Sized>(out: &mut S, unit: u16) {
        let u = usize::from(unit);
        out.put("\\u");
        for shift in [12, 8, 4, 0] {
            out.put_char(char::from(HEX[(u >> shift) & 0xf]));
        }
    }
    out.put_char('"');
    let bytes = s.as_bytes();
    // `run` is the start of the pending run of characters written as they are.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip eight plain bytes at a time.
        while let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if needs_escape(word) {
                break;
            }
            i += 8;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.put(&s[run..i]);
        match b {
            b'"' => out.put("\\\""),
            b'\\' => out.put("\\\\"),
            b'\n' => out.put("\\n"),
            b'\r' => out.put("\\r"),
            b'\t' => out.put("\\t"),
            0x08 => out.put("\\b"),
            0x0c => out.put("\\f"),
            0..=0x7f => push_u(out, u16::from(b)),
            _ => {
                // `i` is a char boundary: every earlier byte was ASCII or a whole character.
                let c = s[i..].chars().next().unwrap_or('\u{fffd}');
                let mut units = [0u16; 2];
                for &unit in c.encode_utf16(&mut units).iter() {
                    push_u(out, unit);
                }
                i += c.len_utf8();
                run = i;
                continue;
            }
        }
        i += 1;
        run = i;
    }
    out.put(&s[run..]);
    out.put_char('"');
}

/// Whether any of the eight bytes in `word` is below 0x20, at least 0x7f, `"` or `\\`.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // a byte of `x` is zero
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    // a byte of `word` is below 0x20 (exact when no byte has its high bit set)
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH != 0;
    word & HIGH != 0
        || below_space
        || has_zero(word ^ (ONES * 0x7f))
        || has_zero(word ^ (ONES * u64::from(b'"')))
        || has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// Encodes `node` (parsed from `text`) as `json.dumps` would have written it.
///
/// `replace` is asked about every node (the root, each array element, each member value)
/// before it is encoded; when it returns `Some(json)`, that already-encoded text is emitted
/// in the node's place and the node is not descended into. Object keys are not nodes and are
/// always re-encoded.
///
/// Integers are written from their value, a [`Number::BigInt`] as its lexeme; a float is
/// re-formatted from its double in the spelling its lexeme used ([`spelling_of`]), or kept
/// as its lexeme if it used neither. Strings (keys too) are re-escaped with [`escape_str`],
/// or copied when their lexeme is already what it would write; duplicate
/// keys are written as they are. `text` must be the text `node` was parsed from (a lexeme
/// outside it reads as empty). Nesting is handled with an explicit stack, not recursion.
pub fn encode(
    node: &Node,
    text: &str,
    replace: &mut dyn FnMut(&Node) -> Option<String>,
    stats: &mut Stats,
) -> String {
    let mut out = String::with_capacity(node.span.len() + node.span.len() / 64 + 16);
    encode_into(node, text, replace, stats, &mut out);
    out
}

/// [`encode`] into any [`Sink`]: with a [`Compare`], checks the encoding against a text
/// without building it, and stops at the first difference.
pub fn encode_into<S: Sink>(
    node: &Node,
    text: &str,
    replace: &mut dyn FnMut(&Node) -> Option<String>,
    stats: &mut Stats,
    out: &mut S,
) {
    enum Frame<'a> {
        Array(std::slice::Iter<'a, Node>),
        Object(std::slice::Iter<'a, Member>),
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(node);
    loop {
        if let Some(node) = next.take() {
            if let Some(json) = replace(node) {
                out.put(&json);
            } else {
                match &node.value {
                    Value::Null => out.put("null"),
                    Value::Bool(true) => out.put("true"),
                    Value::Bool(false) => out.put("false"),
                    Value::Number(number) => encode_number(*number, node, text, out, stats),
                    Value::String(s) if s.is_plain_ascii_lexeme() => {
                        // Its lexeme is what `json.dumps` writes for it: the quotes around the
                        // text itself. Kept beside `encode_string`'s own check: the parser has
                        // already ruled out quotes, backslashes and control bytes here, so an
                        // ASCII pass is enough for megabytes of base64 (a 30 MB model takes
                        // half again as long through `is_own_encoding`).
                        out.put(lexeme(text, &node.span));
                    }
                    Value::String(s) => {
                        encode_string(s, lexeme(text, &node.span), out, stats);
                    }
                    Value::Array(items) if items.is_empty() => out.put("[]"),
                    Value::Object(members) if members.is_empty() => out.put("{}"),
                    Value::Array(items) => {
                        out.put_char('[');
                        let mut iter = items.iter();
                        next = iter.next();
                        stack.push(Frame::Array(iter));
                        continue;
                    }
                    Value::Object(members) => {
                        out.put_char('{');
                        let mut iter = members.iter();
                        if let Some(member) = iter.next() {
                            encode_key(member, text, out, stats);
                            next = Some(&member.value);
                        }
                        stack.push(Frame::Object(iter));
                        continue;
                    }
                }
            }
        }
        if out.failed() {
            return;
        }
        // The node is written: continue with its next sibling, closing finished containers.
        match stack.last_mut() {
            None => break,
            Some(Frame::Array(iter)) => match iter.next() {
                Some(item) => {
                    out.put(", ");
                    next = Some(item);
                }
                None => {
                    out.put_char(']');
                    stack.pop();
                }
            },
            Some(Frame::Object(iter)) => match iter.next() {
                Some(member) => {
                    out.put(", ");
                    encode_key(member, text, out, stats);
                    next = Some(&member.value);
                }
                None => {
                    out.put_char('}');
                    stack.pop();
                }
            },
        }
    }
}

fn lexeme<'t>(text: &'t str, span: &std::ops::Range<usize>) -> &'t str {
    text.get(span.clone()).unwrap_or("")
}

fn encode_key<S: Sink>(member: &Member, text: &str, out: &mut S, stats: &mut Stats) {
    encode_string(&member.key, lexeme(text, &member.key_span), out, stats);
    out.put(": ");
}

fn encode_string<S: Sink>(s: &str, lexeme: &str, out: &mut S, stats: &mut Stats) {
    // Most keys, and the strings of a cell parsed without sharing its text: written as they
    // were read, and a `Compare` sink skips its own text at its own place.
    if is_own_encoding(lexeme) {
        out.put(lexeme);
        return;
    }
    let start = out.position();
    escape_str(s, out);
    if out.written_since(start) != Some(lexeme) {
        stats.strings_reescaped_differently += 1;
    }
}

/// Whether `lexeme`, a JSON string lexeme with its quotes, is what `json.dumps` writes for
/// the string it spells: printable ASCII (U+0020 to U+007E) with no `"` or `\` inside, so
/// nothing is escaped.
fn is_own_encoding(lexeme: &str) -> bool {
    let Some(inner) = lexeme
        .as_bytes()
        .strip_prefix(b"\"")
        .and_then(|rest| rest.strip_suffix(b"\""))
    else {
        return false;
    };
    // Eight bytes at a time, as in `escape_str`: most lexemes are keys of a few words.
    let mut words = inner.chunks_exact(8);
    let plain_words = words
        .by_ref()
        .all(|word| !needs_escape(u64::from_le_bytes(word.try_into().unwrap_or([0; 8]))));
    plain_words
        && words
            .remainder()
            .iter()
            .all(|&c| (b' '..=b'~').contains(&c) && c != b'"' && c != b'\\')
}

/// Append `magnitude` in decimal, after a `-` when `negative`: what `write!` writes for the
/// integer, without the formatting machinery (200 instructions a number; MLTK401 re-encodes
/// every integer of a model).
fn put_integer<S: Sink>(out: &mut S, negative: bool, mut magnitude: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20 digits
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        out.put_char('-');
    }
    out.put(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

fn encode_number<S: Sink>(number: Number, node: &Node, text: &str, out: &mut S, stats: &mut Stats) {
    match number {
        Number::Int(i) => put_integer(out, i < 0, i.unsigned_abs()),
        Number::UInt(u) => put_integer(out, false, u),
        Number::BigInt => {
            out.put(lexeme(text, &node.span));
            stats.raw_lexemes += 1;
        }
        Number::NaN => out.put("NaN"),
        Number::Infinity => out.put("Infinity"),
        Number::NegInfinity => out.put("-Infinity"),
        Number::Float(value) => {
            let lexeme = lexeme(text, &node.span);
            let start = out.position();
            write_float(out, value, FloatSpelling::Repr);
            if out.written_since(start) == Some(lexeme) {
                stats.floats_repr += 1;
                return;
            }
            out.truncate_to(start);
            write_float(out, value, FloatSpelling::Legacy17);
            if out.written_since(start) == Some(lexeme) {
                stats.floats_legacy17 += 1;
                return;
            }
            out.truncate_to(start);
            out.put(lexeme);
            stats.raw_lexemes += 1;
        }
    }
}

/// A fixed buffer for Rust's float formatting, so that no float allocates.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Significant decimal digits (ASCII, no leading zero unless the value is zero, trailing
/// zeros removed) and the decimal exponent of the first digit: value = 0.d1d2… × 10^(exp+1).
struct Digits {
    digits: [u8; 24],
    len: usize,
    exp: i32,
}

impl Digits {
    /// Python's `repr` digits of the finite, non-negative `value`: the shortest that read
    /// back as `value` and, of those, the nearest to it, ties to even (David Gay's `dtoa`
    /// mode 0). Rust's shortest formatting breaks an exact tie upwards, so when one is
    /// possible the correctly rounded (ties-to-even) digits of the same length are used if
    /// they read back.
    fn shortest(value: f64) -> Digits {
        let digits = Digits::parse(&sci(value, None));
        // A tie between two candidates of n digits is a value whose exact expansion is
        // those n digits and a final 5.
        let tie = exact_digits(value)
            .is_some_and(|exact| exact % 10 == 5 && exact.ilog10() as usize == digits.len);
        if tie {
            let nearest = sci(value, Some(digits.len - 1));
            if nearest.as_str().parse::<f64>() == Ok(value) {
                return Digits::parse(&nearest);
            }
        }
        digits
    }

    /// 17 correctly rounded significant digits (trailing zeros removed), as `'%.17g'`.
    fn seventeen(value: f64) -> Digits {
        Digits::parse(&sci(value, Some(16)))
    }

    /// Reads Rust's `{:e}` output (`d.ddde-N`).
    fn parse(buf: &StackBuf) -> Digits {
        let s = &buf.buf[..buf.len];
        let mut d = Digits {
            digits: [b'0'; 24],
            len: 0,
            exp: 0,
        };
        let mut i = 0;
        while let Some(&c) = s.get(i) {
            i += 1;
            match c {
                b'e' => break,
                b'0'..=b'9' if d.len < d.digits.len() => {
                    d.digits[d.len] = c;
                    d.len += 1;
                }
                _ => {}
            }
        }
        while d.len > 1 && d.digits[d.len - 1] == b'0' {
            d.len -= 1;
        }
        d.len = d.len.max(1);
        let negative = s.get(i) == Some(&b'-');
        let mut magnitude = 0i32;
        for &c in &s[(i + usize::from(negative)).min(s.len())..] {
            magnitude = magnitude * 10 + i32::from(c.wrapping_sub(b'0') % 10);
        }
        d.exp = if negative { -magnitude } else { magnitude };
        d
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or("0")
    }
}

/// Rust's scientific formatting of `value`: the shortest round-trip digits (`None`) or
/// `p + 1` correctly rounded (ties to even) significant digits (`Some(p)`).
fn sci(value: f64, precision: Option<usize>) -> StackBuf {
    let mut buf = StackBuf {
        buf: [0; 48],
        len: 0,
    };
    // `{:e}` is at most 24 bytes ("2.2250738585072014e-308"), `{:.16e}` 23.
    let written = match precision {
        None => write!(buf, "{value:e}"),
        Some(p) => write!(buf, "{value:.p$e}"),
    };
    debug_assert!(written.is_ok());
    buf
}

impl StackBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// The significant digits of the exact decimal value of the finite `value`, as an integer
/// without trailing zeros, if there are at most 18 of them (`None` otherwise or for zero).
fn exact_digits(value: f64) -> Option<u128> {
    const LIMIT: u128 = 1_000_000_000_000_000_000; // 10^18
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exp) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if mantissa == 0 {
        return None;
    }
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exp += zeros as i32;
    // value = mantissa * 2^exp, mantissa odd
    let digits = if exp < 0 {
        // = mantissa * 5^k / 10^k, and mantissa * 5^k ends in 5
        let k = exp.unsigned_abs();
        if k >= 27 {
            return None; // 5^27 > 10^18
        }
        u128::from(mantissa) * 5u128.pow(k)
    } else {
        // = (mantissa / 5^t) * 2^(exp - t) * 10^t with t = min(exp, fives in mantissa)
        let mut rest = exp.unsigned_abs();
        while rest > 0 && mantissa % 5 == 0 {
            mantissa /= 5;
            rest -= 1;
        }
        if rest > 64 {
            return None; // at least 2^65 > 10^18
        }
        u128::from(mantissa) << rest
    };
    (digits < LIMIT).then_some(digits)
}

/// Enough zeros for any fixed-notation padding (at most 17 before the point, 4 after it).
const ZEROS: &str = "00000000000000000000";

/// Appends `value` in `spelling` (`Raw` is treated as `Repr`).
fn write_float<S: Sink>(out: &mut S, value: f64, spelling: FloatSpelling) {
    if value.is_nan() {
        out.put("NaN");
        return;
    }
    if value.is_infinite() {
        out.put(if value > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // Both spellings lay the digits out the same way; they differ in how many digits there
    // are and in where scientific notation starts.
    let (digits, sci_from) = match spelling {
        FloatSpelling::Legacy17 => (Digits::seventeen(value.abs()), 17),
        FloatSpelling::Repr | FloatSpelling::Raw => (Digits::shortest(value.abs()), 16),
    };
    if value.is_sign_negative() {
        out.put_char('-');
    }
    let d = digits.as_str();
    let exp = digits.exp;
    if exp < -4 || exp >= sci_from {
        out.put(&d[..1]);
        if d.len() > 1 {
            out.put_char('.');
            out.put(&d[1..]);
        }
        out.put(if exp < 0 { "e-" } else { "e+" });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.put_char('0');
        }
        put_integer(out, false, u64::from(magnitude));
        return;
    }
    // Fixed notation; `point` is the number of digits before the decimal point.
    let point = exp + 1;
    if point <= 0 {
        out.put("0.");
        out.put(&ZEROS[..point.unsigned_abs() as usize]);
        out.put(d);
    } else {
        let point = point.unsigned_abs() as usize;
        if point >= d.len() {
            out.put(d);
            out.put(&ZEROS[..point - d.len()]);
            out.put(".0");
        } else {
            out.put(&d[..point]);
            out.put_char('.');
            out.put(&d[point..]);
        }
    }
}

#[cfg(test)]
mod tests {
    // Tests say on stderr what they counted, and when they skip for lack of the corpus.
    #![allow(clippy::print_stderr)]

    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;
    use crate::json::parse;

    /// `(f64 bits, repr(x), legacy(x))` printed by CPython 3.11, where
    /// `legacy(x) = s + '.0' if not set('.eni') & set(s := '%.17g' % x) else s`: the values the
    /// design names, edge cases (boundaries of the notations, subnormals), then 120
    /// random values of mixed kinds (any bits, subnormals, powers of two, neighbours of powers
    /// of ten, short decimals, `random()`, Gaussian), negated at random.
    #[rustfmt::skip]
    const PYTHON_FLOATS: &[(u64, &str, &str)] = &[
        (0x3fb999999999999a, "0.1", "0.10000000000000001"),
        (0x3fd5555555555555, "0.3333333333333333", "0.33333333333333331"),
        (0x4010c20c8e7004cd, "4.189501023852427", "4.1895010238524266"),
        (0x4341c37937e08000, "1e+16", "10000000000000000.0"),
        (0x3ee4f8b588e368f1, "1e-05", "1.0000000000000001e-05"),
        (0x4480f0cf064dd592, "1e+22", "1e+22"),
        (0x437b69b4ba630f35, "1.2345678901234568e+17", "1.2345678901234568e+17"),
        (0x0000000000000001, "5e-324", "4.9406564584124654e-324"),
        (0x0010000000000000, "2.2250738585072014e-308", "2.2250738585072014e-308"),
        (0x8000000000000000, "-0.0", "-0.0"),
        (0x7fefffffffffffff, "1.7976931348623157e+308", "1.7976931348623157e+308"),
        (0x4059000000000000, "100.0", "100.0"),
        (0x3fe0000000000000, "0.5", "0.5"),
        (0x3f1a36e2eb1c432d, "0.0001", "0.0001"),
        (0x0000000000000000, "0.0", "0.0"),
        (0x3ff0000000000000, "1.0", "1.0"),
        (0xbff8000000000000, "-1.5", "-1.5"),
        (0x4341c37937e07fff, "9999999999999998.0", "9999999999999998.0"),
        (0x4376345785d8a000, "1e+17", "1e+17"),
        (0x3f1a36d1bd105b06, "9.9999e-05", "9.9999000000000003e-05"),
        (0x3ee9e0fcaf9380fc, "1.234e-05", "1.234e-05"),
        (0x405ec00000000000, "123.0", "123.0"),
        (0x430c6bf526340000, "1000000000000000.0", "1000000000000000.0"),
        (0x4345ee2a2eb5a5c4, "1.2345678901234568e+16", "12345678901234568.0"),
        (0x4340000000000000, "9007199254740992.0", "9007199254740992.0"),
        (0x0000000000000003, "1.5e-323", "1.4821969375237396e-323"),
        (0x44b52d02c7e14af6, "1e+23", "9.9999999999999992e+22"),
        (0x3e7ad7f29abcaf48, "1e-07", "9.9999999999999995e-08"),
        (0x3f0a36e2eb1c432d, "5e-05", "5.0000000000000002e-05"),
        (0x3fd3333333333334, "0.30000000000000004", "0.30000000000000004"),
        (0x3ff199999999999a, "1.1", "1.1000000000000001"),
        (0x4005666666666666, "2.675", "2.6749999999999998"),
        (0x54b249ad2594c37d, "1e+100", "1e+100"),
        (0x7e41eb2d66005835, "1.5e+300", "1.5000000000000001e+300"),
        (0x400921f9f01b866e, "3.14159", "3.1415899999999999"),
        (0x4011666666666666, "4.35", "4.3499999999999996"),
        (0x3fe9999999999999, "0.7999999999999999", "0.79999999999999993"),
        (0x000012688b70e62b, "1e-310", "9.9999999999999694e-311"),
        (0x0000000000000011, "8.4e-323", "8.3991159793011913e-323"),
        (0x4057400000000000, "93.0", "93.0"),
        (0x716642c61cf681e5, "1.8119576682004215e+238", "1.8119576682004215e+238"),
        (0xc08e58cccccccccd, "-971.1", "-971.10000000000002"),
        (0x4202a05f1fffffff, "9999999999.999998", "9999999999.9999981"),
        (0x3030000000000000, "1.3817869688151111e-76", "1.3817869688151111e-76"),
        (0xbe3203a065f552d6, "-4.1942499190191666e-09", "-4.1942499190191666e-09"),
        (0x42997613e0010800, "6998732570690.0", "6998732570690.0"),
        (0x0101e468b0e45673, "8.1533985712331e-304", "8.1533985712330997e-304"),
        (0x406e423d70a3d70a, "242.07", "242.06999999999999"),
        (0x0a60000000000000, "1.0406237079649487e-258", "1.0406237079649487e-258"),
        (0x7a75312e1cf7bd60, "7.693609794733835e+281", "7.6936097947338352e+281"),
        (0xc1991cb54e750562, "-105327955.61427835", "-105327955.61427835"),
        (0x00036ba2edaa4fcb, "4.7567279051281e-309", "4.7567279051281015e-309"),
        (0x40df290000000000, "31908.0", "31908.0"),
        (0x410507e9e2ba6d20, "172285.2357071424", "172285.23570714239"),
        (0x408f400000000000, "1000.0", "1000.0"),
        (0x3ee4f8b588e368f2, "1.0000000000000003e-05", "1.0000000000000003e-05"),
        (0xc36f1886e4d60b77, "-7.002153537558009e+16", "-70021535375580088.0"),
        (0x43421315f0c53baa, "1.0175069070980948e+16", "10175069070980948.0"),
        (0x3fc9f42303daa63c, "0.202762963182339", "0.202762963182339"),
        (0x0009d61f688ba7ae, "1.3679221112747535e-308", "1.3679221112747535e-308"),
        (0x411df167913634f8, "490585.89180834545", "490585.89180834545"),
        (0x50897481e15b8302, "9.432e+79", "9.4320000000000003e+79"),
        (0x41291b80b2e8368a, "822720.3494278949", "822720.34942789492"),
        (0x3f8e55aab9921100, "0.014811834133305002", "0.014811834133305002"),
        (0xeabd440c7cf01cb0, "-1.4681069095135665e+206", "-1.4681069095135665e+206"),
        (0x7b11b194f42734fc, "6.5777e+284", "6.5776999999999998e+284"),
        (0x000ec63049c6c9a1, "2.054601816181139e-308", "2.0546018161811388e-308"),
        (0x0000247074ecf1e0, "1.97949459395237e-310", "1.9794945939523721e-310"),
        (0x97944d8e65e0936b, "-4.3457231e-195", "-4.3457230999999999e-195"),
        (0x41037d27f7279a30, "159652.99568100413", "159652.99568100413"),
        (0x5a20000000000000, "1.3538426240824291e+126", "1.3538426240824291e+126"),
        (0xe3012b979deeea86, "-8.1e+168", "-8.1000000000000001e+168"),
        (0xea6fd0cf5750650d, "-4.9875591769043356e+204", "-4.9875591769043356e+204"),
        (0xc0bc22cbe5170d00, "-7202.796464386629", "-7202.7964643866289"),
        (0x6120000000000000, "7.029552803973744e+159", "7.0295528039737443e+159"),
        (0x3e45798ee2308c3b, "1.0000000000000002e-08", "1.0000000000000002e-08"),
        (0xbf3c76f4b5652edf, "-0.0004343364174885632", "-0.00043433641748856321"),
        (0x408983a7ff583a54, "816.45703", "816.45703000000003"),
        (0x5da21af583762ce7, "1.1039105724440024e+143", "1.1039105724440024e+143"),
        (0x800b0c80ede55206, "-1.536530636183891e-308", "-1.5365306361838908e-308"),
        (0x7a8b8b8a6038ad6f, "2e+282", "2.0000000000000001e+282"),
        (0x3013486ea7882e2e, "4.163267667828129e-77", "4.1632676678281291e-77"),
        (0xc2a2309ce5400000, "-10000000000000.0", "-10000000000000.0"),
        (0xc08be770a3d70a3d, "-892.93", "-892.92999999999995"),
        (0xc0885e6666666666, "-779.8", "-779.79999999999995"),
        (0x800b7d7f24a14300, "-1.5979119401272074e-308", "-1.5979119401272074e-308"),
        (0x7b0f543046a6071c, "5.8233183714273105e+284", "5.8233183714273105e+284"),
        (0x0b20000000000000, "4.26239470782443e-255", "4.2623947078244298e-255"),
        (0x225acbef5f837011, "3.43354e-143", "3.4335399999999999e-143"),
        (0x6ef0000000000000, "2.3689546086131423e+226", "2.3689546086131423e+226"),
        (0x422d8db8ceb20000, "63465875289.0", "63465875289.0"),
        (0xc129d3c6967f2177, "-846307.2939386804", "-846307.29393868044"),
        (0xc316faaba0a20241, "-1617016132239504.2", "-1617016132239504.2"),
        (0x2c31ce4f72c6c3c2, "8.336146e-96", "8.3361459999999996e-96"),
        (0x48d8ccc7d1759e1d, "8.641512276643564e+42", "8.6415122766435638e+42"),
        (0x40fdf3462e8505b0, "122676.38635732862", "122676.38635732862"),
        (0x22a49f4299251abb, "8.455614e-142", "8.4556140000000007e-142"),
        (0xe4fd046818a58745, "-2.9396332690130296e+178", "-2.9396332690130296e+178"),
        (0xe51ee445a69638c7, "-1.2518119083609094e+179", "-1.2518119083609094e+179"),
        (0xc11bb3d6c80b8954, "-453877.695356508", "-453877.69535650802"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-07", "9.9999999999999974e-07"),
        (0x42d063320f8e4c00, "72072910747952.0", "72072910747952.0"),
        (0xc10c967eb6f1fde8, "-234191.83932875027", "-234191.83932875027"),
        (0x0007ae10f3aaecb3, "1.068027965314888e-308", "1.0680279653148879e-308"),
        (0x2ec0000000000000, "1.6472184286297693e-83", "1.6472184286297693e-83"),
        (0xbf50624dd2f1a9fe, "-0.0010000000000000005", "-0.0010000000000000005"),
        (0xbc7cb8604816f185, "-2.4910819189221492e-17", "-2.4910819189221492e-17"),
        (0xc1541bc300229191, "-5271308.002109901", "-5271308.002109901"),
        (0x4190000000000000, "67108864.0", "67108864.0"),
        (0x3fe1a20d484f1b3e, "0.5510317241940823", "0.55103172419408231"),
        (0x40c3880000000001, "10000.000000000002", "10000.000000000002"),
        (0x8278537296b9469f, "-9.298960468403e-297", "-9.2989604684029998e-297"),
        (0x406d5ccccccccccd, "234.9", "234.90000000000001"),
        (0x000d1e3bed334ad8, "1.824296601628097e-308", "1.8242966016280969e-308"),
        (0x145145cbf3a37794, "8.20921912924538e-211", "8.2092191292453792e-211"),
        (0x80008e3dbf738fa1, "-7.7269819685977e-310", "-7.7269819685976835e-310"),
        (0xc2aa7321bb5d4e5e, "-14540894744231.184", "-14540894744231.184"),
        (0x40c39c7e63b9f45c, "10040.987418407742", "10040.987418407742"),
        (0x3fe4f59ebb506239, "0.6549829157330073", "0.65498291573300726"),
        (0xe7770b0ac9f7a2de, "-2.566721867e+190", "-2.5667218669999998e+190"),
        (0x6254025643a3e488, "4.608990490573275e+165", "4.6089904905732751e+165"),
        (0x6bde04d0afc02ba7, "3.9475754135006717e+211", "3.9475754135006717e+211"),
        (0x970b10337ebc71f0, "-1.1313927216870136e-197", "-1.1313927216870136e-197"),
        (0xc0852ae147ae147b, "-677.36", "-677.36000000000001"),
        (0x0008e3441a6e3c6f, "1.235994863456501e-308", "1.2359948634565009e-308"),
        (0x41211f99aac53e9e, "561100.8335361069", "561100.83353610686"),
        (0xbed0000000000000, "-3.814697265625e-06", "-3.814697265625e-06"),
        (0xc11c60afe3571160, "-464939.97201182507", "-464939.97201182507"),
        (0x000feb6eb73ab413, "2.21390094746817e-308", "2.2139009474681699e-308"),
        (0x000b8f5ae905a934, "1.6076132107915725e-308", "1.6076132107915725e-308"),
        (0x000f8d9d8120bc16, "2.162936526107227e-308", "2.1629365261072269e-308"),
        (0x3eb0c6f7a0b5ed8b, "9.999999999999995e-07", "9.9999999999999953e-07"),
        (0xc073f5d9709d71ec, "-319.3655859136768", "-319.3655859136768"),
        (0x40a2b80000000000, "2396.0", "2396.0"),
        (0x43e158e460913d01, "1.0000000000000002e+19", "1.0000000000000002e+19"),
        (0xc15e9fd3c0000000, "-8027983.0", "-8027983.0"),
        (0x00081b89c9d03228, "1.1274965504235664e-308", "1.1274965504235664e-308"),
        (0x00035b49de789d63, "4.667921121827894e-309", "4.6679211218278942e-309"),
        (0xbfdc6da29efdf382, "-0.44419160391390033", "-0.44419160391390033"),
        (0xc1228f1563dc6590, "-608138.6950408686", "-608138.6950408686"),
        (0x800934065418740f, "-1.2798654824260224e-308", "-1.2798654824260224e-308"),
        (0x087810e16075376c, "7.288643e-268", "7.2886429999999996e-268"),
        (0x3fe9acad46fa49be, "0.8023287187846149", "0.80232871878461487"),
        (0xbc74fee04ceb9eec, "-1.821078882618498e-17", "-1.8210788826184979e-17"),
        (0x6150000000000000, "5.623642243178996e+160", "5.6236422431789955e+160"),
        (0x3fbf556b9cd56a98, "0.12239716128298495", "0.12239716128298495"),
        (0xc116a6426ebbc83a, "-371088.608138207", "-371088.608138207"),
        (0xb3526b9f972d03d1, "-1.7911008585214093e-61", "-1.7911008585214093e-61"),
        (0xc0a7ce0000000000, "-3047.0", "-3047.0"),
        (0x0009630a5e29f5ab, "1.3054059072233786e-308", "1.3054059072233786e-308"),
        (0x4325a00c66237aec, "3043474812288374.0", "3043474812288374.0"),
        (0x3ca5f16ba73a083e, "1.522604883002837e-16", "1.522604883002837e-16"),
        (0xc0c3880000000002, "-10000.000000000004", "-10000.000000000004"),
        (0xc111f0b413834572, "-293933.01905544766", "-293933.01905544766"),
        (0x80088469b7ffa801, "-1.1844677457532955e-308", "-1.1844677457532955e-308"),
        (0x00074c28f6e5d31b, "1.0148422895844015e-308", "1.0148422895844015e-308"),
        (0x000001a8210799d6, "9e-312", "9.00000000000101e-312"),
    ];

    /// `(s, json.dumps(s))` from CPython 3.11.
    #[rustfmt::skip]
    const PYTHON_STRINGS: &[(&str, &str)] = &[
        ("", "\"\""),
        ("plain", "\"plain\""),
        ("quote\"back\\slash", "\"quote\\\"back\\\\slash\""),
        ("\u{a}\u{d}\u{9}\u{8}\u{c}", "\"\\n\\r\\t\\b\\f\""),
        ("\u{0}\u{1}\u{1f}\u{7f}", "\"\\u0000\\u0001\\u001f\\u007f\""),
        ("caf\u{e9} \u{20ac}", "\"caf\\u00e9 \\u20ac\""),
        ("\u{1f600} \u{10000} \u{10ffff}", "\"\\ud83d\\ude00 \\ud800\\udc00 \\udbff\\udfff\""),
        ("/ slash", "\"/ slash\""),
        ("\u{80}\u{7ff}\u{800}\u{ffff}\u{fffd}", "\"\\u0080\\u07ff\\u0800\\uffff\\ufffd\""),
        ("mixed\u{7f}\u{e9}\"\\\u{9}\u{b}\u{1b} end", "\"mixed\\u007f\\u00e9\\\"\\\\\\t\\u000b\\u001b end\""),
        ("\u{2028}\u{2029}\u{feff}", "\"\\u2028\\u2029\\ufeff\""),
    ];

    /// `json.dumps(x)` outputs from CPython 3.11, one per document.
    const PYTHON_DOCS: &[&str] = &[
        r#"{"a": [1, 2.5, NaN, Infinity, -Infinity], "b": {}, "c": [], "d": {"x": [[], [{}]]}, "\u00e9": "\u00fc\n", "n": null, "t": true, "f": false, "big": 123456789012345678901234567890, "neg": -9223372036854775808, "u": 18446744073709551615}"#,
        "[0.1, 1e-05, 1e+16, -0.0, 5e-324, 123.0, 1.7976931348623157e+308]",
        r#""just a string""#,
        "42",
        "null",
        "[]",
        "{}",
    ];

    fn no_replace(_: &Node) -> Option<String> {
        None
    }

    fn round_trip(text: &str) -> (String, Stats) {
        let node = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        let mut stats = Stats::default();
        let out = encode(&node, text, &mut no_replace, &mut stats);
        (out, stats)
    }

    #[test]
    fn floats_match_python_table() {
        for &(bits, repr, legacy) in PYTHON_FLOATS {
            let v = f64::from_bits(bits);
            let what = format!("{bits:#018x} ({repr})");
            assert_eq!(
                format_float(v, FloatSpelling::Repr).as_deref(),
                Some(repr),
                "{what}"
            );
            assert_eq!(
                format_float(v, FloatSpelling::Legacy17).as_deref(),
                Some(legacy),
                "{what}"
            );
            assert_eq!(format_float(v, FloatSpelling::Raw), None);
            assert_eq!(spelling_of(repr, v), FloatSpelling::Repr, "{what}");
            let expected = if legacy == repr {
                FloatSpelling::Repr
            } else {
                FloatSpelling::Legacy17
            };
            assert_eq!(spelling_of(legacy, v), expected, "{what}");
            // both spellings read back to the same double
            assert_eq!(repr.parse::<f64>().map(f64::to_bits), Ok(bits), "{what}");
            assert_eq!(legacy.parse::<f64>().map(f64::to_bits), Ok(bits), "{what}");
        }
    }

    // The literals are the inputs as written in the design and in Python, digits and all.
    #[allow(clippy::excessive_precision)]
    #[test]
    fn the_named_floats() {
        let repr = |v: f64| format_float(v, FloatSpelling::Repr).unwrap_or_default();
        let legacy = |v: f64| format_float(v, FloatSpelling::Legacy17).unwrap_or_default();
        assert_eq!(repr(0.1), "0.1");
        assert_eq!(legacy(0.1), "0.10000000000000001");
        assert_eq!(repr(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(legacy(1.0 / 3.0), "0.33333333333333331");
        assert_eq!(repr(4.1895010238524266), "4.189501023852427");
        assert_eq!(legacy(4.1895010238524266), "4.1895010238524266");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(legacy(1e16), "10000000000000000.0");
        assert_eq!(repr(1e-5), "1e-05");
        assert_eq!(legacy(1e-5), "1.0000000000000001e-05");
        assert_eq!(repr(1e22), "1e+22");
        assert_eq!(repr(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(repr(5e-324), "5e-324");
        assert_eq!(legacy(5e-324), "4.9406564584124654e-324");
        assert_eq!(repr(2.2250738585072014e-308), "2.2250738585072014e-308");
        assert_eq!(repr(-0.0), "-0.0");
        assert_eq!(legacy(-0.0), "-0.0");
        assert_eq!(repr(0.0), "0.0");
        assert_eq!(repr(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(repr(100.0), "100.0");
        assert_eq!(legacy(100.0), "100.0");
        assert_eq!(repr(0.5), "0.5");
        assert_eq!(repr(1e-4), "0.0001");
        assert_eq!(repr(9.999999999999999e15), "1e+16");
        assert_eq!(repr(9999999999999998.0), "9999999999999998.0");
        assert_eq!(repr(1e17), "1e+17");
        assert_eq!(legacy(1e17), "1e+17");
        // exact ties between two shortest candidates go to the even digit, as in Python
        // (Rust's own shortest formatting gives 1.6170161322395043e15 for the first)
        assert_eq!(repr(1617016132239504.25), "1617016132239504.2");
        assert_eq!(repr(1617016132239504.75), "1617016132239504.8");
        assert_eq!(repr(1617016132239505.25), "1617016132239505.2");
        assert_eq!(repr(1125899906842624.25), "1125899906842624.2");
        assert_eq!(legacy(1617016132239504.25), "1617016132239504.2");
        for spelling in [FloatSpelling::Repr, FloatSpelling::Legacy17] {
            assert_eq!(format_float(f64::NAN, spelling).as_deref(), Some("NaN"));
            assert_eq!(format_float(-f64::NAN, spelling).as_deref(), Some("NaN"));
            assert_eq!(
                format_float(f64::INFINITY, spelling).as_deref(),
                Some("Infinity")
            );
            assert_eq!(
                format_float(f64::NEG_INFINITY, spelling).as_deref(),
                Some("-Infinity")
            );
        }
        assert_eq!(format_float(0.1, FloatSpelling::Raw), None);
    }

    #[test]
    fn spelling_detection() {
        assert_eq!(spelling_of("0.1", 0.1), FloatSpelling::Repr);
        assert_eq!(
            spelling_of("0.10000000000000001", 0.1),
            FloatSpelling::Legacy17
        );
        assert_eq!(spelling_of("4.0", 4.0), FloatSpelling::Repr);
        for raw in [
            "0.10",
            "1E-5",
            "1e-5",
            "1.0e-05",
            "0.1000000000000000055511151231257827",
        ] {
            let v: f64 = raw.parse().unwrap_or_default();
            assert_eq!(spelling_of(raw, v), FloatSpelling::Raw, "{raw}");
        }
        assert_eq!(spelling_of("1e400", f64::INFINITY), FloatSpelling::Raw);
        assert_eq!(spelling_of("Infinity", f64::INFINITY), FloatSpelling::Repr);
        assert_eq!(spelling_of("NaN", f64::NAN), FloatSpelling::Repr);
    }

    #[test]
    fn strings_match_python() {
        for &(s, dumped) in PYTHON_STRINGS {
            let mut out = String::from("prefix ");
            escape_str(s, &mut out);
            assert_eq!(out.strip_prefix("prefix "), Some(dumped), "{s:?}");
            assert_eq!(py_string(s), dumped, "the test's writer, {s:?}");
        }
    }

    #[test]
    fn word_scan_agrees_with_bytes() {
        let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
        for b in 0..=255u8 {
            for lane in 0..8 {
                for filler in [b'a', b' ', b'~', b'0'] {
                    let mut bytes = [filler; 8];
                    bytes[lane] = b;
                    let word = u64::from_le_bytes(bytes);
                    assert_eq!(needs_escape(word), !plain(b), "byte {b:#x} in lane {lane}");
                }
            }
        }
    }

    #[test]
    fn documents_match_python() {
        for &text in PYTHON_DOCS {
            let (out, stats) = round_trip(text);
            assert_eq!(out, text);
            assert_eq!(stats.strings_reescaped_differently, 0);
        }
        let (_, stats) = round_trip(PYTHON_DOCS[0]);
        assert_eq!(
            stats,
            Stats {
                floats_repr: 1,
                floats_legacy17: 0,
                raw_lexemes: 1,
                strings_reescaped_differently: 0
            }
        );
        let (_, stats) = round_trip(PYTHON_DOCS[1]);
        assert_eq!(stats.floats_repr, 7);
    }

    #[test]
    fn non_python_input_is_normalised_and_counted() {
        let text = "{\"a\":1,\"b\" :[ 1.50,1E5,0.10000000000000001, 4.0,-0,\"\\/\\u00E9\",\"\u{e9}\"],\n\"a\":\"x\",\"big\":-123456789012345678901234}";
        let (out, stats) = round_trip(text);
        assert_eq!(
            out,
            "{\"a\": 1, \"b\": [1.50, 1E5, 0.10000000000000001, 4.0, 0, \"/\\u00e9\", \"\\u00e9\"], \"a\": \"x\", \"big\": -123456789012345678901234}"
        );
        assert_eq!(
            stats,
            Stats {
                floats_repr: 1,
                floats_legacy17: 1,
                raw_lexemes: 3,
                strings_reescaped_differently: 2
            }
        );
        // an overflowing lexeme is kept as it is, not turned into `Infinity`
        let (out, stats) = round_trip("[1e400, -1e400]");
        assert_eq!(out, "[1e400, -1e400]");
        assert_eq!(stats.raw_lexemes, 2);
        // a lone surrogate was decoded as U+FFFD, so it comes out as `\ufffd`
        let (out, stats) = round_trip(r#"["\ud800"]"#);
        assert_eq!(out, r#"["\ufffd"]"#);
        assert_eq!(stats.strings_reescaped_differently, 1);
    }

    #[test]
    fn replace_is_asked_for_every_node_and_wins() {
        let text = r#"{"a": [1, {"npy": "QUJD"}, 2.5], "b": "QUJD", "c": {"d": [null]}}"#;
        let node = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        let mut asked = Vec::new();
        let mut stats = Stats::default();
        let out = encode(
            &node,
            text,
            &mut |n: &Node| {
                asked.push(text[n.span.clone()].to_owned());
                None
            },
            &mut stats,
        );
        assert_eq!(out, text);
        assert_eq!(
            asked,
            [
                text,
                r#"[1, {"npy": "QUJD"}, 2.5]"#,
                "1",
                r#"{"npy": "QUJD"}"#,
                r#""QUJD""#,
                "2.5",
                r#""QUJD""#,
                r#"{"d": [null]}"#,
                "[null]",
                "null",
            ]
        );
        // a replaced node is not descended into nor counted
        let mut stats = Stats::default();
        let out = encode(
            &node,
            text,
            &mut |n: &Node| match &n.value {
                Value::String(s) if s == "QUJD" => Some("\"REVG\"".to_owned()),
                Value::Array(_) if n.span.start == 6 => Some("[7]".to_owned()),
                _ => None,
            },
            &mut stats,
        );
        assert_eq!(out, r#"{"a": [7], "b": "REVG", "c": {"d": [null]}}"#);
        assert_eq!(stats.floats_repr, 0);
        let mut stats = Stats::default();
        let out = encode(&node, text, &mut |_| Some("0".to_owned()), &mut stats);
        assert_eq!(out, "0");
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let n = crate::json::DEFAULT_MAX_DEPTH;
        let arrays = "[".repeat(n) + &"]".repeat(n);
        assert_eq!(round_trip(&arrays).0, arrays);
        let arrays = "[".repeat(n - 2) + "[1, []]" + &"]".repeat(n - 2);
        assert_eq!(round_trip(&arrays).0, arrays);
        let objects = "{\"k\": ".repeat(n) + "0.5" + &"}".repeat(n);
        let (out, stats) = round_trip(&objects);
        assert_eq!(out, objects);
        assert_eq!(stats.floats_repr, 1);
    }

    // ---- properties ----

    /// Checks that `s`, the spelling of the finite `v`, is laid out as Python lays it out:
    /// scientific (`d[.ddd]e±XX`) iff the decimal exponent is below -4 or at least
    /// `sci_from`, otherwise fixed with at least one digit on each side of the point, no
    /// superfluous zeros. Returns the number of significant digits.
    fn check_layout(s: &str, v: f64, sci_from: i32) -> Result<usize, TestCaseError> {
        let body = s.strip_prefix('-').unwrap_or(s);
        prop_assert_eq!(s.starts_with('-'), v.is_sign_negative(), "sign of {}", s);
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if let Some((mantissa, exp)) = body.split_once('e') {
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            prop_assert!(int.len() == 1 && int != "0" && all_digits(int), "{}", s);
            prop_assert!(
                frac.is_empty() || (all_digits(frac) && !frac.ends_with('0')),
                "{}",
                s
            );
            let (sign, magnitude) = exp.split_at(1);
            prop_assert!(sign == "+" || sign == "-", "{}", s);
            prop_assert!(all_digits(magnitude) && magnitude.len() >= 2, "{}", s);
            prop_assert!(magnitude.len() == 2 || !magnitude.starts_with('0'), "{}", s);
            let e: i32 = exp.parse().map_err(|_| TestCaseError::fail(s.to_owned()))?;
            prop_assert!(e < -4 || e >= sci_from, "{} should be fixed", s);
            Ok(1 + frac.len())
        } else {
            let (int, frac) = body
                .split_once('.')
                .ok_or_else(|| TestCaseError::fail(format!("{s}: no point")))?;
            prop_assert!(all_digits(int) && all_digits(frac), "{}", s);
            prop_assert!(int == "0" || !int.starts_with('0'), "{}", s);
            prop_assert!(frac == "0" || !frac.ends_with('0'), "{}", s);
            let e = if int != "0" {
                int.len() as i32 - 1
            } else if frac.bytes().all(|b| b == b'0') {
                0 // zero
            } else {
                -(frac.bytes().take_while(|&b| b == b'0').count() as i32) - 1
            };
            prop_assert!((-4..sci_from).contains(&e), "{} should be scientific", s);
            let digits: String = format!("{int}{frac}")
                .trim_start_matches('0')
                .trim_end_matches('0')
                .to_owned();
            Ok(digits.len().max(1))
        }
    }

    fn check_float(bits: u64) -> Result<(), TestCaseError> {
        let v = f64::from_bits(bits);
        if v.is_nan() {
            prop_assert_eq!(format_float(v, FloatSpelling::Repr), Some("NaN".to_owned()));
            return Ok(());
        }
        if v.is_infinite() {
            let token = if v > 0.0 { "Infinity" } else { "-Infinity" };
            prop_assert_eq!(format_float(v, FloatSpelling::Repr), Some(token.to_owned()));
            return Ok(());
        }
        let repr = format_float(v, FloatSpelling::Repr).unwrap_or_default();
        prop_assert_eq!(repr.parse::<f64>().map(f64::to_bits), Ok(bits), "{}", repr);
        let n = check_layout(&repr, v, 16)?;
        prop_assert!(n <= 17, "{}", repr);
        if v != 0.0 && n > 1 {
            // shortest: the nearest decimal with one digit less does not read back as v
            let shorter = format!("{:.*e}", n - 2, v.abs());
            prop_assert_ne!(
                shorter.parse::<f64>().ok(),
                Some(v.abs()),
                "{} ~ {}",
                repr,
                shorter
            );
            // and of the shortest, the nearest to v (unless the nearest does not round-trip,
            // which happens only next to a power of two)
            let nearest = format!("{:.*e}", n - 1, v.abs());
            let nearest_value: f64 = nearest.parse().unwrap_or(f64::NAN);
            if nearest_value == v.abs() {
                prop_assert_eq!(
                    repr.trim_start_matches('-').parse::<f64>().ok(),
                    Some(nearest_value)
                );
                let mantissa = nearest.split('e').next().unwrap_or_default();
                let digits = mantissa.replace('.', "");
                let layout_digits: String = repr
                    .split('e')
                    .next()
                    .unwrap_or_default()
                    .replace(['-', '.'], "")
                    .trim_start_matches('0')
                    .to_owned();
                prop_assert!(
                    layout_digits.starts_with(digits.trim_end_matches('0')),
                    "{} vs {}",
                    repr,
                    nearest
                );
            }
        }
        let legacy = format_float(v, FloatSpelling::Legacy17).unwrap_or_default();
        prop_assert_eq!(
            legacy.parse::<f64>().map(f64::to_bits),
            Ok(bits),
            "{}",
            legacy
        );
        let n = check_layout(&legacy, v, 17)?;
        prop_assert!(n <= 17, "{}", legacy);
        let expected = if legacy == repr {
            FloatSpelling::Repr
        } else {
            FloatSpelling::Legacy17
        };
        prop_assert_eq!(spelling_of(&repr, v), FloatSpelling::Repr);
        prop_assert_eq!(spelling_of(&legacy, v), expected);
        Ok(())
    }

    /// Any bit pattern, with extra weight on subnormals, integers, short decimals, ties, ±0.
    fn any_f64_bits() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => any::<u64>(),
            1 => (0u64..1 << 52, any::<bool>()).prop_map(|(m, neg)| m | (u64::from(neg) << 63)),
            1 => any::<i64>().prop_map(|i| (i as f64).to_bits()),
            1 => (-330i32..310, 1u64..100_000).prop_map(|(e, m)| {
                format!("{m}e{e}").parse::<f64>().unwrap_or(0.0).to_bits()
            }),
            // exact quarters and sixteenths where ties between shortest candidates happen
            1 => (1u64 << 50..1 << 51, 0u8..4).prop_map(|(i, q)| (i as f64 + f64::from(q) / 4.0).to_bits()),
            1 => (1u64 << 48..1 << 49, 0u8..16).prop_map(|(i, q)| (i as f64 + f64::from(q) / 16.0).to_bits()),
            1 => Just(0u64),
            1 => Just(1u64 << 63),
        ]
    }

    /// The test's own writer: a naive, char-by-char `json.dumps` for strings.
    fn py_string(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
            }
        }
        out.push('"');
        out
    }

    /// A JSON value as Python would hold it; floats are indices into [`PYTHON_FLOATS`].
    #[derive(Debug, Clone)]
    enum Py {
        Null,
        Bool(bool),
        Int(i64),
        UInt(u64),
        Big(String),
        /// Index into `PYTHON_FLOATS`, and whether it is written in the legacy spelling.
        Float(usize, bool),
        /// A float lexeme in neither spelling.
        RawFloat(&'static str),
        NaN,
        Inf,
        NegInf,
        Str(String),
        Arr(Vec<Py>),
        Obj(Vec<(String, Py)>),
    }

    const RAW_FLOATS: &[&str] = &[
        "1.50",
        "1E5",
        "1e5",
        "0.10",
        "1.0e-05",
        "-0.0e0",
        "1e400",
        "-1e400",
        "2.5E+00",
        "0.1000000000000000055511151231257827",
        "100.000",
    ];

    fn py_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => any::<char>(),
            2 => proptest::char::range(' ', '~'),
            1 => proptest::char::range('\0', '\u{1f}'),
            1 => prop::sample::select(vec!['"', '\\', '/', '\u{7f}', '\u{80}', '\u{ffff}']),
            1 => proptest::char::range('\u{10000}', '\u{10ffff}'),
        ]
    }

    fn py_text() -> impl Strategy<Value = String> {
        prop::collection::vec(py_char(), 0..12).prop_map(String::from_iter)
    }

    fn py_value(with_raw: bool) -> impl Strategy<Value = Py> {
        let raw_weight = if with_raw { 2 } else { 0 };
        let leaf = prop_oneof![
            1 => Just(Py::Null),
            1 => any::<bool>().prop_map(Py::Bool),
            2 => any::<i64>().prop_map(Py::Int),
            1 => (i64::MAX as u64 + 1..=u64::MAX).prop_map(Py::UInt),
            1 => "-?[1-9][0-9]{20,40}".prop_map(Py::Big),
            6 => (0..PYTHON_FLOATS.len(), any::<bool>()).prop_map(|(i, l)| Py::Float(i, l)),
            raw_weight => prop::sample::select(RAW_FLOATS).prop_map(Py::RawFloat),
            1 => prop_oneof![Just(Py::NaN), Just(Py::Inf), Just(Py::NegInf)],
            3 => py_text().prop_map(Py::Str),
        ];
        leaf.prop_recursive(6, 96, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Py::Arr),
                prop::collection::vec((py_text(), inner), 0..8).prop_map(Py::Obj),
            ]
        })
    }

    /// Writes `value` the way `json.dumps` does (independently of the code under test), and
    /// counts what [`encode`] should count.
    fn render(value: &Py, out: &mut String, expected: &mut Stats) {
        match value {
            Py::Null => out.push_str("null"),
            Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Py::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Py::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            Py::Big(digits) => {
                out.push_str(digits);
                expected.raw_lexemes += 1;
            }
            Py::Float(index, legacy) => {
                let (_, repr, legacy_text) = PYTHON_FLOATS[*index];
                if *legacy && legacy_text != repr {
                    out.push_str(legacy_text);
                    expected.floats_legacy17 += 1;
                } else {
                    out.push_str(repr);
                    expected.floats_repr += 1;
                }
            }
            Py::RawFloat(lexeme) => {
                out.push_str(lexeme);
                expected.raw_lexemes += 1;
            }
            Py::NaN => out.push_str("NaN"),
            Py::Inf => out.push_str("Infinity"),
            Py::NegInf => out.push_str("-Infinity"),
            Py::Str(s) => out.push_str(&py_string(s)),
            Py::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render(item, out, expected);
                }
                out.push(']');
            }
            Py::Obj(members) => {
                out.push('{');
                for (i, (key, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&py_string(key));
                    out.push_str(": ");
                    render(item, out, expected);
                }
                out.push('}');
            }
        }
    }

    fn check_document(value: &Py) -> Result<(), TestCaseError> {
        let mut text = String::new();
        let mut expected = Stats::default();
        render(value, &mut text, &mut expected);
        let node = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e:?}")))?;
        let mut stats = Stats::default();
        let out = encode(&node, &text, &mut no_replace, &mut stats);
        prop_assert_eq!(&out, &text);
        prop_assert_eq!(stats, expected);
        Ok(())
    }

    /// `cases` cases, and no regression file written into the source tree.
    fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config(20_000))]

        #[test]
        fn floats_round_trip_in_python_layout(bits in any_f64_bits()) {
            check_float(bits)?;
        }
    }

    proptest! {
        #![proptest_config(config(2_000))]

        /// The hand-written digits are what `write!` gives, at every width and both signs.
        #[test]
        fn integers_are_written_as_write_writes_them(
            signed in prop_oneof![any::<i64>(), Just(i64::MIN), Just(0), -10i64..10],
            unsigned in prop_oneof![any::<u64>(), Just(u64::MAX), 0u64..100],
        ) {
            let mut out = String::new();
            put_integer(&mut out, signed < 0, signed.unsigned_abs());
            prop_assert_eq!(out, signed.to_string());
            let mut out = String::new();
            put_integer(&mut out, false, unsigned);
            prop_assert_eq!(out, unsigned.to_string());
        }

        #[test]
        fn python_documents_round_trip(value in py_value(false)) {
            check_document(&value)?;
        }

        #[test]
        fn documents_with_raw_floats_round_trip(value in py_value(true)) {
            check_document(&value)?;
        }

        #[test]
        fn escaped_strings_parse_back(s in prop::collection::vec(py_char(), 0..40).prop_map(String::from_iter)) {
            let mut out = String::new();
            escape_str(&s, &mut out);
            prop_assert!(out.is_ascii());
            prop_assert_eq!(&out, &py_string(&s));
            let node = parse(&out).map_err(|e| TestCaseError::fail(format!("{out:?}: {e:?}")))?;
            prop_assert_eq!(node.as_str(), Some(s.as_str()));
        }

        #[test]
        fn a_lexeme_is_its_own_encoding_exactly_when_nothing_is_escaped(
            s in prop::collection::vec(py_char(), 0..40).prop_map(String::from_iter)
        ) {
            let mut out = String::new();
            escape_str(&s, &mut out);
            let plain = s.bytes().all(|c| (b' '..=b'~').contains(&c) && c != b'"' && c != b'\\');
            prop_assert_eq!(is_own_encoding(&out), plain, "{:?}", out);
            // A lexeme that spells a plain string with escapes is not its own encoding.
            let spelled: String = s
                .chars()
                .map(|c| format!("\\u{:04x}", u32::from(c) & 0xffff))
                .collect();
            let escaped_lexeme = format!("\"{spelled}\"");
            prop_assert!(s.is_empty() || !is_own_encoding(&escaped_lexeme));
        }

        #[test]
        fn any_string_escapes_and_parses_back(s in any::<String>()) {
            let mut out = String::new();
            escape_str(&s, &mut out);
            let node = parse(&out).map_err(|e| TestCaseError::fail(format!("{out:?}: {e:?}")))?;
            prop_assert_eq!(node.as_str(), Some(s.as_str()));
        }
    }

    // ---- real data ----

    /// The corpus files (`../shared/corpus/*.mlmodel`, `*.csv`) and `fixtures/valid/*.mlmodel`,
    /// each with whether it is from the corpus.
    fn model_files() -> Vec<(PathBuf, bool)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let list = |dir: &Path, exts: &[&str]| -> Vec<PathBuf> {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return Vec::new();
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| exts.contains(&x))
                })
                .collect();
            found.sort();
            found
        };
        let corpus = root.join("../shared/corpus");
        let mut files = Vec::new();
        if corpus.is_dir() {
            files.extend(
                list(&corpus, &["mlmodel", "csv"])
                    .into_iter()
                    .map(|p| (p, true)),
            );
        } else {
            eprintln!("SKIPPED the corpus part of pyjson: ../shared/corpus is not present");
        }
        let fixtures = list(&root.join("fixtures/valid"), &["mlmodel"]);
        files.extend(fixtures.into_iter().map(|p| (p, false)));
        files
    }

    #[test]
    fn real_cells_round_trip_byte_for_byte() {
        let (mut corpus_total, mut fixture_total) = (Stats::default(), Stats::default());
        let (mut corpus_files, mut fixture_files) = (0, 0);
        let (mut corpus_models, mut fixture_models, mut options) = (0, 0, 0);
        let mut skipped = Vec::new();
        for (path, in_corpus) in model_files() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            *(if in_corpus {
                &mut corpus_files
            } else {
                &mut fixture_files
            }) += 1;
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            let artifact = crate::artifact::Artifact::parse(bytes);
            for column in ["model", "options"] {
                let Some(cell) = artifact.cell(column) else {
                    if column == "model" {
                        skipped.push(format!("{name}: no model cell"));
                    }
                    continue;
                };
                let text = cell.value.as_str();
                let node = match parse(text) {
                    Ok(node) => node,
                    Err(e) => {
                        if column == "model" {
                            skipped.push(format!("{name}: model cell is not JSON ({e})"));
                        }
                        continue;
                    }
                };
                let mut stats = Stats::default();
                let out = encode(&node, text, &mut no_replace, &mut stats);
                if out != text {
                    let at = out
                        .bytes()
                        .zip(text.bytes())
                        .position(|(a, b)| a != b)
                        .unwrap_or(out.len().min(text.len()));
                    let near = |s: &str| {
                        let (from, to) = (at.saturating_sub(40), (at + 40).min(s.len()));
                        String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned()
                    };
                    panic!(
                        "{name} {column}: differs at byte {at}: {:?} became {:?}",
                        near(text),
                        near(&out)
                    );
                }
                assert_eq!(stats.strings_reescaped_differently, 0, "{name} {column}");
                match (column, in_corpus) {
                    ("model", true) => corpus_models += 1,
                    ("model", false) => fixture_models += 1,
                    _ => options += 1,
                }
                let total = if in_corpus {
                    &mut corpus_total
                } else {
                    &mut fixture_total
                };
                total.floats_repr += stats.floats_repr;
                total.floats_legacy17 += stats.floats_legacy17;
                total.raw_lexemes += stats.raw_lexemes;
            }
        }
        eprintln!(
            "pyjson real data: corpus {corpus_models} of {corpus_files} model cells identical, \
             fixtures {fixture_models} of {fixture_files}, {options} options cells identical; \
             corpus (model and options cells) {corpus_total:?}; fixtures {fixture_total:?}; \
             skipped: {skipped:?}"
        );
        assert!(fixture_models > 0, "fixtures/valid has JSON models");
        assert_eq!(fixture_models, fixture_files, "every valid fixture is JSON");
        if corpus_files == 81 {
            // all but a pickle and a merge conflict hold JSON
            assert_eq!(corpus_models, 79, "skipped: {skipped:?}");
        }
    }

    /// Hand run: `PYJSON_CROSSCHECK=file cargo test --release --lib pyjson -- --ignored
    /// python_cross_check`, where each line of the file is printed by python3 as
    /// `'%016x %s %s' % (bits, repr(x), legacy(x))` (`legacy` as for [`PYTHON_FLOATS`]) for
    /// any finite values `x` with bits `bits`.
    #[test]
    #[ignore = "needs a file of values printed by python3"]
    fn python_cross_check() {
        let Ok(path) = std::env::var("PYJSON_CROSSCHECK") else {
            eprintln!("SKIPPED python_cross_check: PYJSON_CROSSCHECK is not set");
            return;
        };
        let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (mut checked, mut legacy_differs, mut ties) = (0usize, 0usize, 0usize);
        for line in data.lines() {
            let mut parts = line.split(' ');
            let (Some(bits), Some(repr), Some(legacy)) = (parts.next(), parts.next(), parts.next())
            else {
                panic!("bad line {line:?}");
            };
            let bits = u64::from_str_radix(bits, 16).unwrap_or_else(|e| panic!("{line}: {e}"));
            let v = f64::from_bits(bits);
            assert_eq!(
                format_float(v, FloatSpelling::Repr).as_deref(),
                Some(repr),
                "{line}"
            );
            assert_eq!(
                format_float(v, FloatSpelling::Legacy17).as_deref(),
                Some(legacy),
                "{line}"
            );
            checked += 1;
            legacy_differs += usize::from(repr != legacy);
            if v.is_finite() {
                let rust = Digits::parse(&sci(v.abs(), None));
                ties += usize::from(rust.as_str() != Digits::shortest(v.abs()).as_str());
            }
        }
        eprintln!(
            "python_cross_check: {checked} values agree ({legacy_differs} with a distinct \
             legacy spelling, {ties} exact ties where Rust's shortest digits were not Python's)"
        );
        assert!(checked > 0);
    }

    /// Hand run in release: `cargo test --release --lib pyjson -- --ignored encode_speed`.
    #[test]
    #[ignore = "timing; run in release"]
    fn encode_speed() {
        let time = |text: &str| {
            let node = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
            let start = std::time::Instant::now();
            let mut stats = Stats::default();
            let out = encode(&node, text, &mut no_replace, &mut stats);
            let elapsed = start.elapsed();
            assert_eq!(out, text);
            eprintln!(
                "encode_speed: {:.1} MB, {} floats: {elapsed:?}",
                text.len() as f64 / 1e6,
                stats.floats_repr + stats.floats_legacy17
            );
        };
        // a base64 payload, as most of a big model cell is
        let payload = format!("{{\"npy\": \"{}\"}}", "QUJDRA==".repeat(3_750_000));
        time(&payload);
        // floats only, 30 MB: all `repr` (17 digits mostly), then one in four legacy
        for legacy_every in [u64::MAX, 4] {
            let mut floats = String::from("[");
            let mut x = 0.123_456_789_f64;
            let mut i = 0u64;
            while floats.len() < 30_000_000 {
                if i > 0 {
                    floats.push_str(", ");
                }
                x = (x * 3.9 * (1.0 - x)).abs();
                let v = x * 10f64.powi((i % 9) as i32 - 4);
                let spelling = if i.is_multiple_of(legacy_every) {
                    FloatSpelling::Legacy17
                } else {
                    FloatSpelling::Repr
                };
                floats.push_str(&format_float(v, spelling).unwrap_or_default());
                i += 1;
            }
            floats.push(']');
            time(&floats);
        }
    }
}
