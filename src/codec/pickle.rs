//! Static scanner for Python pickle streams (protocols 0–5).
//!
//! Splunk MLTK 0.9.2 stored a whole fitted model as a protocol-0 text pickle
//! (`cPickle.dumps(algo)`) in the `model` cell of its CSV model file, and
//! `.pkl` / `.joblib` files are binary pickles (protocols 2–5). Loading any of
//! them with Python's `pickle` imports and calls whatever the stream names, so
//! the linter must know *what a pickle would import* without ever loading it.
//!
//! This module walks the opcode stream and **never executes anything**: no
//! import, no call, no evaluation. It keeps a small *symbolic* stack and memo —
//! just enough to resolve `STACK_GLOBAL` operands that were built from
//! (memoised) string constants, to tell which globals are used as callables,
//! and to estimate how large the unpickled value would be — and reports:
//!
//! * every global the pickle would import ([`Global`]: `GLOBAL`, `STACK_GLOBAL`,
//!   `INST`, plus the `EXT1`/`EXT2`/`EXT4` extension-registry look-ups and the
//!   `PERSID`/`BINPERSID` persistent-id look-ups, which also resolve to objects
//!   chosen by the loading process),
//! * how many calls (`REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`) it makes,
//! * pickles hidden inside `bytes`/`str` constants ([`Scan::nested`]),
//! * where it stops and how many bytes trail the `STOP` opcode.
//!
//! [`classify`] sorts a global into [`Danger::Dangerous`] (a deny-list modelled
//! on the core sets of the public scanners picklescan, modelscan and fickling),
//! [`Danger::Normal`] (an allow-list of what scikit-learn, numpy, scipy, pandas,
//! joblib and MLTK model pickles normally import) or [`Danger::Unknown`].
//!
//! # Robustness
//!
//! The scanner is panic-free on any input and bounded by [`Limits`]: the number
//! of opcodes, memo entries, stack entries, copied text bytes, nesting depth and
//! the *expansion* (how many objects plus payload bytes the value would have if
//! every shared reference were copied — the quantity a pickle bomb blows up).
//! Stack entries are symbolic and of bounded size: containers are never
//! materialised, only their size is tracked, so a bomb costs one small entry
//! per opcode and is stopped by the expansion limit after a few dozen opcodes.
//! Parsing mirrors CPython's `_pickle` where that is certain (stack underflow,
//! missing `MARK`, unquoted `STRING`, unknown opcode, memo misses): where
//! CPython would stop, loading stops too, so nothing after that point could run.
//! Where CPython is more permissive than a simple check (number syntax, UTF-8
//! of names) the scanner is lenient, so it is never stricter than the real
//! unpickler and cannot be evaded by text CPython accepts. [`scan_partial`]
//! keeps everything found before an error, because everything before the
//! failing opcode *does* run when Python loads a broken pickle.
//!
//! # joblib
//!
//! `joblib.dump` writes numpy arrays as a `joblib.numpy_pickle.NumpyArrayWrapper`
//! object whose raw array bytes follow the wrapper's `BUILD` opcode *in the
//! middle of the pickle stream* (preceded by a padding-length byte and padding
//! when `numpy_array_alignment_bytes` is set; object arrays are instead written
//! as a complete embedded pickle). With [`Limits::joblib_arrays`] (default on)
//! the scanner recognises such wrappers, computes the array size from the
//! symbolic `shape` and `dtype`, skips the raw bytes and scans embedded object
//! pickles as part of the same stream. This models `joblib.load`; a plain
//! `pickle.load` of the same bytes would interpret the array data as opcodes,
//! so every skipped region is also sniffed with [`looks_like_pickle`] and, if it
//! looks like one, scanned as a nested pickle. Structured dtypes with object
//! fields are not modelled and will usually end in a scan error.
//!
//! # Value decoding
//!
//! [`decode_value`] turns plain-data pickles into a [`serde_pickle::Value`].
//! serde-pickle never executes anything either: in serde-pickle 1.2.0 every
//! `GLOBAL`/`STACK_GLOBAL` is mapped by `decode_global` to a fixed set of
//! known names (`builtins.set/frozenset/list/bytearray/int`, `_codecs.encode`,
//! `copyreg._reconstructor`) and everything else becomes an opaque
//! placeholder; `REDUCE` only builds Rust values for those known names. Its
//! source contains no `unsafe`, no `std::process`, no `std::fs` and no
//! environment access. It does, however, materialise shared references by
//! copying, so `decode_value` only hands it streams that this scanner has
//! already walked successfully with a small expansion and nesting depth.

#![forbid(unsafe_code)]

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// Resource limits for [`scan_with`] and [`scan_partial`].
///
/// A nested pickle (found inside a string or bytes constant) is scanned with
/// the same limits, at most [`Limits::max_nesting`] levels deep. It has its
/// own opcode and expansion counters, but the stack entries, memo entries and
/// copied text of the scans it runs inside count toward its limits, so that
/// the limits bound the memory of the whole tree; globals and nested pickles
/// are counted over the whole tree. Exceeding a limit ends the scan with
/// [`ScanError::LimitExceeded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of opcodes walked (including `STOP`).
    pub max_ops: usize,
    /// Maximum number of distinct memo keys.
    pub max_memo: usize,
    /// Maximum number of symbolic stack entries (marks included).
    pub max_stack: usize,
    /// Maximum number of text bytes the scanner copies out of the stream:
    /// string constants it keeps, decoded `STRING`/`UNICODE` lines and global
    /// names. Raw `bytes` payloads are never copied and do not count.
    pub max_bytes: usize,
    /// Maximum *expansion* of any value: objects plus payload bytes it would
    /// have if every shared reference were copied (what a pickle bomb inflates).
    pub max_expansion: u64,
    /// How many levels of pickles-inside-constants are scanned (0: none;
    /// values above 16 are treated as 16).
    pub max_nesting: usize,
    /// Maximum number of global references reported, summed over the whole
    /// tree of nested scans.
    pub max_globals: usize,
    /// Maximum number of nested pickles scanned, summed over the whole tree.
    pub max_nested: usize,
    /// Recognise joblib `NumpyArrayWrapper` objects and skip the raw array
    /// data joblib writes after them (see the module documentation).
    pub joblib_arrays: bool,
}

impl Default for Limits {
    /// Generous but bounded: 10 M opcodes, 1 M memo entries, 100 000 stack entries,
    /// 256 MiB of copied text, an expansion of 2³², 3 nesting levels,
    /// 100 000 globals and 10 000 nested pickles.
    fn default() -> Self {
        Self {
            max_ops: 10_000_000,
            // A string key of a pickled vocabulary is memoised, so the memo can be large;
            // the stack stays small in real pickles (lists and dicts are built by appends,
            // at most 1,000 items at a time), and each entry costs 100-200 bytes.
            max_memo: 1_000_000,
            max_stack: 100_000,
            max_bytes: 256 << 20,
            max_expansion: 1 << 32,
            max_nesting: 3,
            max_globals: 100_000,
            max_nested: 10_000,
            joblib_arrays: true,
        }
    }
}

/// Why a scan stopped early. Every variant carries a byte offset into the
/// scanned data (for nested pickles: into the constant's payload).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The argument of the opcode at `offset` runs past the end of the data.
    #[error("pickle data is truncated: the opcode at byte {offset} runs past the end")]
    Truncated {
        /// Offset of the opcode whose argument is cut off.
        offset: usize,
    },
    /// A byte that is not a pickle opcode (CPython: "invalid load key").
    #[error("unknown pickle opcode 0x{op:02x} at byte {offset}")]
    UnknownOpcode {
        /// The offending byte.
        op: u8,
        /// Its offset.
        offset: usize,
    },
    /// The stream is structurally invalid where CPython would also fail
    /// (stack underflow, missing MARK, unquoted STRING, missing memo key, …).
    #[error("malformed pickle at byte {offset}: {message}")]
    Malformed {
        /// What is wrong.
        message: String,
        /// Offset of the opcode.
        offset: usize,
    },
    /// A [`Limits`] bound was hit.
    #[error("pickle scan limit on {what} exceeded at byte {offset}")]
    LimitExceeded {
        /// Which limit: `"opcodes"`, `"memo entries"`, `"stack entries"`,
        /// `"text bytes"`, `"expansion"`, `"globals"`, `"nested pickles"` or
        /// `"nesting levels"`.
        what: &'static str,
        /// Offset of the opcode that hit it.
        offset: usize,
    },
    /// The data ended on an opcode boundary before any `STOP` opcode.
    #[error("pickle data ends at byte {offset} without a STOP opcode")]
    NoStop {
        /// The data length (where the next opcode was expected).
        offset: usize,
    },
}

impl ScanError {
    /// The byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match self {
            Self::Truncated { offset }
            | Self::UnknownOpcode { offset, .. }
            | Self::Malformed { offset, .. }
            | Self::LimitExceeded { offset, .. }
            | Self::NoStop { offset } => *offset,
        }
    }
}

/// One global reference: an import the unpickler would perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Module as written in the stream (Python-2 names such as `__builtin__`
    /// or `copy_reg` are kept; [`classify`] maps them). `"?"` when a
    /// `STACK_GLOBAL` operand is not a known string constant. For `EXT*` it is
    /// `"copyreg"`; for `PERSID`/`BINPERSID` it is `"persistent_load"`.
    pub module: String,
    /// Attribute name (may be dotted for protocol ≥ 4). `"?"` when unknown.
    /// For `EXT*` it is `"extension code N"`; for persistent ids the id text
    /// (or its first string element, or `"?"`).
    pub name: String,
    /// Offset of the opcode that imports it.
    pub offset: usize,
    /// `"GLOBAL"`, `"STACK_GLOBAL"`, `"INST"`, `"EXT1"`, `"EXT2"`, `"EXT4"`,
    /// `"PERSID"` or `"BINPERSID"`.
    pub opcode: &'static str,
    /// Whether the object is (also) used as the callable of `REDUCE`,
    /// `NEWOBJ`, `NEWOBJ_EX` or `OBJ` (directly or via the memo/`DUP`);
    /// always true for `INST` and persistent ids. A class passed as an
    /// *argument* (e.g. to `copyreg._reconstructor` or numpy's `_reconstruct`)
    /// is not counted as called.
    pub called: bool,
}

impl Global {
    /// `module.name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// [`classify`] applied to this global.
    pub fn danger(&self) -> Danger {
        classify(&self.module, &self.name)
    }
}

impl fmt::Display for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} ({} at byte {}{})",
            self.module,
            self.name,
            self.opcode,
            self.offset,
            if self.called { ", called" } else { "" }
        )
    }
}

/// The result of walking one pickle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// Highest `PROTO` argument seen, 0 if none (protocol 0 or 1 stream).
    pub protocol: u8,
    /// Every global reference, in stream order, one per occurrence.
    pub globals: Vec<Global>,
    /// Number of `REDUCE`/`BUILD`/`INST`/`OBJ`/`NEWOBJ`/`NEWOBJ_EX` opcodes.
    pub calls: usize,
    /// Number of opcodes walked.
    pub ops: usize,
    /// Offset just after `STOP` (where the scan stopped, if it failed).
    pub end_offset: usize,
    /// Bytes after `STOP` (0 if the scan failed).
    pub trailing: usize,
    /// Pickles found inside `bytes`/`str` constants (and inside skipped joblib
    /// array data), scanned recursively up to [`Limits::max_nesting`]. Only
    /// those that parsed completely or reference globals are kept. Their
    /// offsets are relative to the constant's decoded payload.
    pub nested: Vec<Scan>,
    /// For a nested scan: offset, in the parent, of the opcode holding the
    /// constant (0 for a top-level scan).
    pub source_offset: usize,
    /// For a nested scan: name of the opcode holding the constant.
    pub source_opcode: Option<&'static str>,
    /// Offset of the first opcode (non-zero only for later pickles of
    /// [`scan_stream`]).
    pub start_offset: usize,
    /// Largest expansion (objects + payload bytes, shared references counted
    /// once per reference) of any value built.
    pub expansion: u64,
    /// Deepest container nesting of any value built.
    pub max_depth: u32,
    /// A container was modified after being placed inside another one
    /// (recursive or aliased structure); the expansion is then a lower bound.
    pub aliased_growth: bool,
    /// Number of joblib inline arrays skipped (raw data or embedded pickles).
    pub joblib_arrays: usize,
    /// Why the scan stopped early; `None` if it reached `STOP`.
    pub error: Option<ScanError>,
}

impl Scan {
    /// Visit this scan and every nested one, each with the offset to report for what it
    /// holds: `None` for this scan (its own offsets are in the file), else the offset in
    /// this scan of the constant holding the outermost nested pickle (nested offsets are
    /// relative to their constant, so they cannot point into the file).
    pub fn each_nested<'a>(&'a self, mut f: impl FnMut(&'a Scan, Option<usize>)) {
        let mut todo: Vec<(&Scan, Option<usize>)> = vec![(self, None)];
        while let Some((scan, anchor)) = todo.pop() {
            f(scan, anchor);
            for sub in &scan.nested {
                todo.push((sub, Some(anchor.unwrap_or(sub.source_offset))));
            }
        }
    }

    /// True if the stream was walked up to its `STOP` opcode.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
    }

    /// The globals of this scan followed by those of all nested scans.
    pub fn all_globals(&self) -> Vec<&Global> {
        let mut out: Vec<&Global> = Vec::new();
        let mut todo: Vec<&Scan> = vec![self];
        while let Some(s) = todo.pop() {
            out.extend(s.globals.iter());
            todo.extend(s.nested.iter().rev());
        }
        out
    }

    /// The most severe classification among [`Scan::all_globals`]:
    /// the first dangerous global, else `Unknown` if any, else `Normal`.
    pub fn worst(&self) -> Danger {
        let mut worst = Danger::Normal;
        for g in self.all_globals() {
            match g.danger() {
                d @ Danger::Dangerous(_) => return d,
                Danger::Unknown => worst = Danger::Unknown,
                Danger::Normal => {}
            }
        }
        worst
    }
}

/// Scan a pickle with the default [`Limits`].
pub fn scan(data: &[u8]) -> Result<Scan, ScanError> {
    scan_with(data, &Limits::default())
}

/// Scan a pickle; any early stop is returned as an error. Use
/// [`scan_partial`] to keep what was found before the error.
pub fn scan_with(data: &[u8], limits: &Limits) -> Result<Scan, ScanError> {
    let s = scan_partial(data, limits);
    match &s.error {
        Some(e) => Err(e.clone()),
        None => Ok(s),
    }
}

/// Scan a pickle and always return what was found; [`Scan::error`] tells
/// whether (and where) the walk stopped early.
pub fn scan_partial(data: &[u8], limits: &Limits) -> Scan {
    let budget = Budget::default();
    Machine::new(data, 0, limits, &budget, 0, Outer::default(), false).run()
}

/// Scan several pickles written back to back (`pickle.dump` called more than
/// once on one file): after each `STOP`, scanning goes on while the rest
/// [`looks_like_pickle`], at most 64 pickles. Offsets are absolute.
pub fn scan_stream(data: &[u8], limits: &Limits) -> Vec<Scan> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let budget = Budget::default();
    while out.len() < 64 {
        let s = Machine::new(data, pos, limits, &budget, 0, Outer::default(), false).run();
        let next = s.end_offset;
        let go_on =
            s.error.is_none() && next > pos && data.get(next..).is_some_and(looks_like_pickle);
        out.push(s);
        if !go_on {
            break;
        }
        pos = next;
    }
    out
}

/// Cheap sniff: could `data` be a pickle?
///
/// * Binary protocols: `\x80` followed by a protocol byte 2..=5 and an opcode
///   that can follow `PROTO` (`FRAME`, a push, `MARK`, `GLOBAL`, … or `STOP`).
/// * Otherwise the first byte must be an opcode that can start a pickle
///   (`(`, `c`, `S`, `V`, `I`, `N`, `]`, `}`, `)`, `K`, `X`, `\x80`, …) and a
///   *strict* scan of at most the first 4 KiB (≤ 1024 opcodes, no nesting,
///   module/name lines must be identifiers, numbers must parse) must reach
///   `STOP`, or — when the data is longer than 4 KiB — walk at least 4
///   opcodes without a structural error.
///
/// JSON text (`{`, `[`, `"`, digits, `true`/`false`/`null`, leading
/// whitespace) and plain CSV text are rejected: they either start with a
/// byte that is not an opcode or fail the strict walk within a few bytes
/// (e.g. `a` = APPEND on an empty stack, `t` = TUPLE without MARK).
pub fn looks_like_pickle(data: &[u8]) -> bool {
    match data {
        [0x80, p, next, ..] if (2..=5).contains(p) => is_start_opcode(*next) || *next == b'.',
        [first, ..] if is_start_opcode(*first) => sniff(data),
        _ => false,
    }
}

/// How risky importing a global is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Danger {
    /// A known code-execution, system-access or deserialisation gadget; the
    /// text says why.
    Dangerous(&'static str),
    /// Not on the allow-list: importing it runs that module's import-time code
    /// and whatever the pickle does with it is not known to be harmless.
    Unknown,
    /// Part of what scikit-learn/numpy/scipy/pandas/joblib/MLTK model pickles
    /// normally import.
    Normal,
}

/// Classify a global reference (`module`, `name`) as found in a pickle.
///
/// Rules, in order:
/// 1. `?`/empty module or name (a `STACK_GLOBAL` operand computed at load time)
///    is dangerous: normal picklers always write plain strings, so this is
///    obfuscation.
/// 2. Python-2 module names are mapped like Python 3's unpickler does
///    (`__builtin__` → `builtins`, `copy_reg` → `copyreg`, `cPickle` → `pickle`, …).
/// 3. Dotted names (protocol ≥ 4 walks attributes) are dangerous when a
///    component reaches a dangerous module or function or an introspection
///    attribute (`__globals__`, `__builtins__`, `__subclasses__`, …), because
///    `getattr(harmless_module, "os").system` is `os.system`.
/// 4. Deny-list: whole modules (and their submodules) such as `os`, `posix`,
///    `nt`, `subprocess`, `sys`, `runpy`, `socket`, `shutil`, `importlib`,
///    `pty`, `commands`, `webbrowser`, `ctypes`, `multiprocessing`, `code`,
///    `codeop`, `marshal`, `pickle`/`_pickle`/`cPickle`, `pydoc`, `timeit`,
///    `asyncio`, `platform`, network clients, package installers, …; and
///    names such as `builtins.eval/exec/compile/open/__import__/getattr/…`,
///    `functools.partial`, `operator.attrgetter/methodcaller/itemgetter`,
///    `types.CodeType/FunctionType`, `io.open`, `numpy.load`,
///    `pandas.read_pickle`, `joblib.load`, `yaml.load`.
/// 5. Allow-list → [`Danger::Normal`]: `numpy.*`, `sklearn.*`, `scipy.*`,
///    `pandas.*` (minus their dangerous corners), MLTK's `algos.*`,
///    `algos_contrib.*` and `codec.*`, joblib's array wrappers,
///    `copyreg._reconstructor/__newobj__/__newobj_ex__`, `_codecs.encode`,
///    plain builtin types (`object`, `set`, `frozenset`, `slice`, `complex`,
///    `bytearray`, …), `collections.OrderedDict/defaultdict/deque/Counter`,
///    `datetime`, `decimal.Decimal`, `fractions.Fraction`, `array`.
/// 6. Everything else is [`Danger::Unknown`].
///
/// `functools.partial` is flagged although it runs nothing by itself: it is a
/// call-forwarding gadget that binds arguments to any callable (e.g.
/// `partial(os.system, "cmd")`, or a callable fetched through `getattr`
/// chains) so that a later `REDUCE`, `BUILD` or the victim's own code invokes
/// it; legitimate model pickles practically never contain one, and every
/// public scanner flags it.
pub fn classify(module: &str, name: &str) -> Danger {
    if module.is_empty() || name.is_empty() || module == "?" || name == "?" {
        return Danger::Dangerous(
            "the import target is computed at load time instead of being a plain string (obfuscation)",
        );
    }
    let module = normalize_module(module);
    let first = name.split('.').next().unwrap_or(name);

    if name.contains('.') {
        for comp in name.split('.') {
            if INTROSPECTION_ATTRS.contains(&comp) {
                return Danger::Dangerous(
                    "the dotted name walks through an introspection attribute (e.g. __globals__, __builtins__, __subclasses__) that reaches arbitrary objects",
                );
            }
            if DANGEROUS_CALLABLES.contains(&comp)
                || GADGET_MODULES.contains(&normalize_module(comp))
            {
                return Danger::Dangerous(
                    "the dotted name reaches a dangerous module or function through attribute access (e.g. harmless_module.os.system)",
                );
            }
        }
    }

    for &(m, why) in DANGEROUS_MODULES {
        if module_matches(module, m) {
            return Danger::Dangerous(why);
        }
    }
    for &(m, names, why) in DANGEROUS_NAMES {
        if module == m && names.contains(&first) {
            return Danger::Dangerous(why);
        }
    }

    for prefix in NORMAL_PREFIXES {
        if module_matches(module, prefix) {
            if RISKY_IN_BENIGN.contains(&first) {
                return Danger::Dangerous(
                    "loads or evaluates further data or code (e.g. a nested pickle file)",
                );
            }
            if first.starts_with("read_") || first.starts_with("to_") || first.starts_with("fetch_")
            {
                // File/network readers and writers of data libraries.
                return Danger::Unknown;
            }
            if name.contains("__") && name.contains('.') {
                return Danger::Unknown;
            }
            return Danger::Normal;
        }
    }
    for (m, names) in NORMAL_NAMES {
        if module == *m && names.contains(&name) {
            return Danger::Normal;
        }
    }
    Danger::Unknown
}

/// A one-sentence explanation of [`classify`]'s verdict, for lint messages.
pub fn danger_reason(module: &str, name: &str) -> String {
    let q = format!("{module}.{name}");
    match classify(module, name) {
        Danger::Dangerous(why) => format!(
            "the pickle imports `{q}`, a known dangerous global: {why}; loading this model with pickle would run it"
        ),
        Danger::Unknown => format!(
            "the pickle imports `{q}`, which is not among the modules scikit-learn, numpy, scipy, pandas, joblib or MLTK models normally import; loading the model imports that module and may call it"
        ),
        Danger::Normal => format!(
            "the pickle imports `{q}`, a standard component of numpy/scikit-learn/MLTK model pickles"
        ),
    }
}

/// Map a Python-2 module name to the Python-3 module the unpickler imports
/// (`__builtin__` → `builtins`, `copy_reg` → `copyreg`, `cPickle` → `pickle`,
/// …). Other names are returned unchanged.
pub fn normalize_module(module: &str) -> &str {
    match module {
        "__builtin__" | "__builtins__" | "exceptions" => "builtins",
        "copy_reg" => "copyreg",
        "cPickle" => "pickle",
        "thread" => "_thread",
        "httplib" => "http.client",
        "urllib2" => "urllib.request",
        "Queue" => "queue",
        "SocketServer" => "socketserver",
        "xmlrpclib" => "xmlrpc.client",
        "dummy_thread" => "_dummy_thread",
        other => other,
    }
}

/// Largest expansion [`decode_value`] accepts (objects + payload bytes).
pub const DECODE_MAX_EXPANSION: u64 = 16 << 20;
/// Deepest container nesting [`decode_value`] accepts.
pub const DECODE_MAX_DEPTH: u32 = 100;

/// Best-effort decode of a plain-data pickle with serde-pickle.
///
/// The stream is first walked by [`scan_with`] (default limits); it is only
/// decoded if that walk succeeds, the value stays below
/// [`DECODE_MAX_EXPANSION`] and [`DECODE_MAX_DEPTH`], no container is modified
/// after being shared, and no joblib inline array is present. Unresolved
/// globals become `None` (`DeOptions::replace_unresolved_globals`).
/// Python-2 `STRING`s are decoded as UTF-8 (`DeOptions::decode_strings`); if
/// one of them is not UTF-8 (binary data, as in numpy arrays pickled by
/// Python 2) the stream is decoded again with all such strings as bytes.
/// Trailing bytes after `STOP` are ignored. Returns `None` on any failure.
pub fn decode_value(data: &[u8]) -> Option<serde_pickle::Value> {
    let s = scan_with(data, &Limits::default()).ok()?;
    if s.expansion > DECODE_MAX_EXPANSION
        || s.max_depth > DECODE_MAX_DEPTH
        || s.aliased_growth
        || s.joblib_arrays > 0
    {
        return None;
    }
    let body = data.get(..s.end_offset)?;
    let decode = |strings: bool| {
        let opts = serde_pickle::DeOptions::new().replace_unresolved_globals();
        let opts = if strings { opts.decode_strings() } else { opts };
        // serde-pickle is not expected to panic; this is defence in depth.
        std::panic::catch_unwind(|| serde_pickle::value_from_slice(body, opts))
            .ok()
            .and_then(Result::ok)
    };
    decode(true).or_else(|| decode(false))
}

// ---------------------------------------------------------------------------
// Classification tables
// ---------------------------------------------------------------------------

fn module_matches(module: &str, prefix: &str) -> bool {
    module == prefix
        || (module.len() > prefix.len()
            && module.starts_with(prefix)
            && module.as_bytes().get(prefix.len()) == Some(&b'.'))
}

const EXEC_OS: &str = "operating-system interface: runs shell commands (system, popen, exec*, spawn*) and changes files";
const EXEC_PROC: &str = "starts arbitrary processes";
const EXEC_CODE: &str = "compiles or executes Python source or code objects";
const IMPORTS: &str = "imports arbitrary modules";
const NESTED: &str = "deserialises further (unscanned) pickle data or files";
const NETWORK: &str = "opens network connections or downloads data";
const FILES: &str = "copies, moves, writes or deletes files";
const FFI: &str = "foreign-function interface: loads native libraries and calls C code";
const INSTALL: &str = "installs packages or builds and runs code";

/// Whole modules (and their submodules) that are dangerous to import.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    ("os", EXEC_OS),
    ("posix", EXEC_OS),
    ("nt", EXEC_OS),
    ("subprocess", EXEC_PROC),
    ("_posixsubprocess", EXEC_PROC),
    ("_winapi", EXEC_PROC),
    (
        "commands",
        "Python 2 shell-command module (getoutput, getstatusoutput)",
    ),
    ("popen2", EXEC_PROC),
    ("pty", "spawns processes on a pseudo-terminal (pty.spawn)"),
    ("pexpect", EXEC_PROC),
    ("pipes", "pipes.Template runs shell commands"),
    ("multiprocessing", EXEC_PROC),
    ("_multiprocessing", EXEC_PROC),
    (
        "asyncio",
        "runs coroutines and subprocesses (create_subprocess_shell/exec)",
    ),
    ("platform", "runs shell commands (popen, _syscmd_*)"),
    (
        "sys",
        "interpreter internals (sys.modules, settrace, setprofile, exit, …)",
    ),
    (
        "runpy",
        "runs Python modules and files (run_path, run_module, _run_code)",
    ),
    ("code", EXEC_CODE),
    ("codeop", EXEC_CODE),
    ("marshal", "loads raw code objects"),
    ("compileall", EXEC_CODE),
    ("py_compile", EXEC_CODE),
    (
        "timeit",
        "executes Python source strings (timeit, repeat, Timer)",
    ),
    ("cProfile", "executes Python source strings (run, runctx)"),
    ("profile", "executes Python source strings (run, runctx)"),
    ("trace", "executes Python source strings (Trace.run)"),
    ("pdb", "debugger: executes Python source strings"),
    ("bdb", "debugger: executes Python source strings"),
    (
        "doctest",
        "executes code found in docstrings (debug_script)",
    ),
    (
        "pydoc",
        "imports arbitrary modules (locate) and runs pager commands (pipepager)",
    ),
    ("importlib", IMPORTS),
    ("imp", IMPORTS),
    ("_imp", IMPORTS),
    ("_frozen_importlib", IMPORTS),
    ("_frozen_importlib_external", IMPORTS),
    ("zipimport", IMPORTS),
    ("pkgutil", IMPORTS),
    ("site", "modifies the import path and executes .pth files"),
    ("ctypes", FFI),
    ("_ctypes", FFI),
    ("cffi", FFI),
    ("pickle", NESTED),
    ("_pickle", NESTED),
    ("pickletools", NESTED),
    ("dill", NESTED),
    ("cloudpickle", NESTED),
    ("shelve", NESTED),
    ("jsonpickle", NESTED),
    ("socket", NETWORK),
    ("_socket", NETWORK),
    ("ssl", NETWORK),
    ("socketserver", NETWORK),
    ("http.client", NETWORK),
    ("http.server", NETWORK),
    ("urllib", NETWORK),
    ("urllib3", NETWORK),
    ("requests", NETWORK),
    ("aiohttp", NETWORK),
    ("httpx", NETWORK),
    ("ftplib", NETWORK),
    ("smtplib", NETWORK),
    ("telnetlib", NETWORK),
    ("poplib", NETWORK),
    ("imaplib", NETWORK),
    ("nntplib", NETWORK),
    ("xmlrpc", NETWORK),
    ("webbrowser", "launches a web browser on an arbitrary URL"),
    ("shutil", FILES),
    ("tempfile", FILES),
    ("distutils", INSTALL),
    ("setuptools", INSTALL),
    ("pip", INSTALL),
    ("ensurepip", INSTALL),
    ("venv", INSTALL),
    ("idlelib", EXEC_CODE),
    ("lib2to3", NESTED),
    ("threading", "starts threads running arbitrary callables"),
    ("_thread", "starts threads running arbitrary callables"),
    (
        "gc",
        "reaches every live object (get_objects, get_referrers)",
    ),
    (
        "inspect",
        "introspection that reaches arbitrary objects and frames",
    ),
    ("atexit", "registers callables to run at interpreter exit"),
    (
        "signal",
        "installs signal handlers running arbitrary callables",
    ),
    (
        "logging.config",
        "listen() and fileConfig() load and evaluate configuration",
    ),
    ("numpy.f2py", EXEC_CODE),
    (
        "numpy.testing",
        "numpy.testing helpers execute code (runstring)",
    ),
    ("numpy.distutils", INSTALL),
    ("numpy.ctypeslib", FFI),
    ("scipy.weave", "compiles and runs C++ code"),
    (
        "sklearn.utils._testing",
        "test helpers run Python scripts in subprocesses",
    ),
    (
        "sklearn.utils.testing",
        "test helpers run Python scripts in subprocesses",
    ),
    ("pandas.io.pickle", NESTED),
    (
        "pandas.core.computation",
        "pandas expression evaluation engine (eval, query)",
    ),
    ("torch.serialization", NESTED),
];

/// Individual dangerous names (first component of the name) per module.
const DANGEROUS_NAMES: &[(&str, &[&str], &str)] = &[
    (
        "builtins",
        &["eval", "exec", "execfile", "compile", "__build_class__"],
        EXEC_CODE,
    ),
    (
        "builtins",
        &["open", "file"],
        "opens files for reading or writing",
    ),
    ("builtins", &["__import__", "reload"], IMPORTS),
    (
        "builtins",
        &["getattr", "setattr", "delattr", "globals", "locals", "vars"],
        "attribute and namespace access gadget: reaches any attribute, e.g. getattr(os, 'system')",
    ),
    (
        "builtins",
        &["input", "raw_input", "breakpoint", "help"],
        "interactive or debugger entry point",
    ),
    ("builtins", &["apply"], "Python 2 call-any-callable gadget"),
    ("builtins", &["exit", "quit"], "terminates the process"),
    (
        "functools",
        &["partial", "partialmethod", "reduce"],
        "call-forwarding gadget: binds arguments to, or repeatedly calls, an arbitrary callable",
    ),
    (
        "operator",
        &["attrgetter", "methodcaller", "itemgetter", "call"],
        "getattr/call gadget, e.g. attrgetter('system')(os)",
    ),
    (
        "_operator",
        &["attrgetter", "methodcaller", "itemgetter", "call"],
        "getattr/call gadget, e.g. attrgetter('system')(os)",
    ),
    (
        "types",
        &[
            "CodeType",
            "FunctionType",
            "LambdaType",
            "MethodType",
            "ModuleType",
            "new_class",
        ],
        "builds code objects, functions or classes from raw parts",
    ),
    (
        "io",
        &["open", "open_code", "FileIO"],
        "opens files for reading or writing",
    ),
    (
        "_io",
        &["open", "open_code", "FileIO"],
        "opens files for reading or writing",
    ),
    (
        "yaml",
        &[
            "load",
            "load_all",
            "unsafe_load",
            "unsafe_load_all",
            "full_load",
        ],
        NESTED,
    ),
    ("joblib", &["load"], NESTED),
    ("torch", &["load"], NESTED),
    ("torch._inductor.codecache", &["compile_file"], EXEC_PROC),
    ("numpy", &["load", "loads"], NESTED),
    ("pandas", &["read_pickle", "eval"], NESTED),
];

/// Components of dotted names that are introspection gadgets.
const INTROSPECTION_ATTRS: &[&str] = &[
    "__globals__",
    "__builtins__",
    "__subclasses__",
    "__code__",
    "__import__",
    "__getattribute__",
    "__dict__",
    "__class__",
    "__base__",
    "__bases__",
    "__mro__",
    "__loader__",
    "__spec__",
    "__closure__",
    "__func__",
    "__self__",
    "__module__",
];

/// Components of dotted names that are dangerous modules when reached as an
/// attribute of another module (`sklearn.utils.os`, …).
const GADGET_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "builtins",
    "importlib",
    "runpy",
    "pickle",
    "_pickle",
    "marshal",
    "ctypes",
    "shutil",
    "socket",
    "pty",
    "commands",
    "webbrowser",
    "multiprocessing",
    "asyncio",
];

/// Components of dotted names that are dangerous functions wherever they live.
const DANGEROUS_CALLABLES: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "system",
    "popen",
    "Popen",
    "spawn",
    "spawnl",
    "spawnv",
    "execv",
    "execve",
    "execl",
    "check_output",
    "check_call",
    "getoutput",
    "getattr",
    "setattr",
    "import_module",
    "load",
    "loads",
    "read_pickle",
    "open",
    "run_path",
    "run_module",
];

/// Names that are dangerous even inside otherwise allow-listed packages.
const RISKY_IN_BENIGN: &[&str] = &[
    "load",
    "loads",
    "read_pickle",
    "eval",
    "exec",
    "compile",
    "system",
    "popen",
    "read_array",
    "__import__",
    "getattr",
    "run",
    "runstring",
];

/// Allow-listed module prefixes (and their submodules).
const NORMAL_PREFIXES: &[&str] = &[
    "numpy",
    "sklearn",
    "scipy",
    "pandas",
    "algos",
    "algos_contrib",
    "codec",
];

/// Allow-listed individual names.
const NORMAL_NAMES: &[(&str, &[&str])] = &[
    (
        "builtins",
        &[
            "object",
            "set",
            "frozenset",
            "slice",
            "complex",
            "bytearray",
            "bytes",
            "list",
            "tuple",
            "dict",
            "int",
            "float",
            "str",
            "bool",
            "range",
            "long",
            "unicode",
            "xrange",
        ],
    ),
    (
        "copyreg",
        &["_reconstructor", "__newobj__", "__newobj_ex__"],
    ),
    ("_codecs", &["encode"]),
    (
        "collections",
        &["OrderedDict", "defaultdict", "deque", "Counter"],
    ),
    (
        "datetime",
        &["datetime", "date", "time", "timedelta", "timezone"],
    ),
    ("decimal", &["Decimal"]),
    ("fractions", &["Fraction"]),
    ("array", &["array", "_array_reconstructor"]),
    (
        "joblib.numpy_pickle",
        &["NumpyArrayWrapper", "NDArrayWrapper", "ZNDArrayWrapper"],
    ),
    (
        "joblib.numpy_pickle_compat",
        &["NDArrayWrapper", "ZNDArrayWrapper"],
    ),
];

// ---------------------------------------------------------------------------
// Symbolic machine
// ---------------------------------------------------------------------------

/// Kept string constants are at most this long (longer ones are opaque).
const MAX_KEPT_STR: usize = 4096;
/// Small tuples/dicts keep their items (for joblib/dtype look-ups) up to this size.
const SMALL_LEN: usize = 32;
/// … and up to this nesting of kept tuples/dicts, so that dropping them never
/// recurses deeply.
const SMALL_NEST: u8 = 4;
/// Tracked objects (numpy dtypes, joblib wrappers) per scan.
const MAX_TRACKED_OBJS: usize = 1 << 16;
/// Hard cap on nesting levels, whatever [`Limits::max_nesting`] says.
const MAX_NESTING_CAP: usize = 16;
/// Bytes looked at by the protocol-0/1 sniff.
const SNIFF_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, Default)]
struct Size {
    weight: u64,
    depth: u32,
    included: bool,
}

#[derive(Clone, Debug)]
enum SizeRef {
    /// Immutable values: scalars, strings, tuples, globals.
    Fixed { weight: u64, depth: u32 },
    /// Mutable containers and objects; shared by all aliases (DUP, memo).
    Shared(Rc<Cell<Size>>),
}

#[derive(Clone, Debug)]
enum Kind {
    Mark,
    Int(i64),
    Str(Rc<str>),
    Global(usize),
    Tuple(Rc<[Entry]>),
    Dict(Rc<Vec<(Entry, Entry)>>),
    Obj(usize),
    Other,
}

#[derive(Clone, Debug)]
struct Entry {
    kind: Kind,
    size: SizeRef,
    /// Nesting of kept `Tuple`/`Dict` structure (0 for everything else).
    nest: u8,
}

impl Entry {
    fn fixed(kind: Kind, weight: u64, depth: u32) -> Self {
        Self {
            kind,
            nest: 0,
            size: SizeRef::Fixed { weight, depth },
        }
    }

    fn shared(kind: Kind, weight: u64, depth: u32) -> Self {
        Self {
            kind,
            nest: 0,
            size: SizeRef::Shared(Rc::new(Cell::new(Size {
                weight,
                depth,
                included: false,
            }))),
        }
    }

    fn scalar() -> Self {
        Self::fixed(Kind::Other, 1, 0)
    }

    fn mark() -> Self {
        Self::fixed(Kind::Mark, 0, 0)
    }

    fn is_mark(&self) -> bool {
        matches!(self.kind, Kind::Mark)
    }

    fn weight(&self) -> u64 {
        match &self.size {
            SizeRef::Fixed { weight, .. } => *weight,
            SizeRef::Shared(c) => c.get().weight,
        }
    }

    fn depth(&self) -> u32 {
        match &self.size {
            SizeRef::Fixed { depth, .. } => *depth,
            SizeRef::Shared(c) => c.get().depth,
        }
    }

    fn mark_included(&self) {
        if let SizeRef::Shared(c) = &self.size {
            let mut s = c.get();
            s.included = true;
            c.set(s);
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Combined (weight, depth) of a container holding `items`.
fn container_size(items: &[Entry]) -> (u64, u32) {
    let weight = items
        .iter()
        .fold(1u64, |acc, e| acc.saturating_add(e.weight()));
    let depth = items
        .iter()
        .map(Entry::depth)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    (weight, depth)
}

fn small_enough(items: &[Entry]) -> bool {
    items.len() <= SMALL_LEN && items.iter().all(|e| e.nest < SMALL_NEST)
}

/// Structure nesting of a kept tuple/dict holding `items`.
fn nest_of<'e>(items: impl Iterator<Item = &'e Entry>) -> u8 {
    items.map(|e| e.nest).max().unwrap_or(0).saturating_add(1)
}

#[derive(Debug, Clone)]
struct ObjSlot {
    class: usize,
    args: Option<Entry>,
    state: Option<Entry>,
}

enum ArrayData {
    Raw { nbytes: usize, aligned: bool },
    Object,
}

/// What the machines a nested scan runs inside hold while it runs: their stacks, memos and
/// copied text count toward its limits too, so that the limits bound the whole tree's memory,
/// not each of up to four levels' (a stack or memo entry costs 100-200 bytes).
#[derive(Debug, Default, Clone, Copy)]
struct Outer {
    stack: usize,
    memo: usize,
    bytes: usize,
}

/// Counters shared by all machines of one scan tree.
#[derive(Default)]
struct Budget {
    globals: Cell<usize>,
    nested: Cell<usize>,
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    budget: &'a Budget,
    nesting: usize,
    outer: Outer,
    sniff: bool,
    stack: Vec<Entry>,
    memo: HashMap<u64, Entry>,
    objs: Vec<ObjSlot>,
    bytes: usize,
    out: Scan,
}

fn err_malformed(message: impl Into<String>, offset: usize) -> ScanError {
    ScanError::Malformed {
        message: message.into(),
        offset,
    }
}

fn underflow(offset: usize) -> ScanError {
    err_malformed("unpickling stack underflow", offset)
}

impl<'a> Machine<'a> {
    fn new(
        data: &'a [u8],
        start: usize,
        limits: &'a Limits,
        budget: &'a Budget,
        nesting: usize,
        outer: Outer,
        sniff: bool,
    ) -> Self {
        Self {
            data,
            pos: start,
            limits,
            budget,
            nesting,
            outer,
            sniff,
            stack: Vec::new(),
            memo: HashMap::new(),
            objs: Vec::new(),
            bytes: 0,
            out: Scan {
                start_offset: start,
                ..Scan::default()
            },
        }
    }

    fn run(mut self) -> Scan {
        match self.walk() {
            Ok(()) => {
                self.out.end_offset = self.pos;
                self.out.trailing = self.data.len().saturating_sub(self.pos);
            }
            Err(e) => {
                self.out.end_offset = self.pos.min(self.data.len());
                self.out.error = Some(e);
            }
        }
        self.out
    }

    fn walk(&mut self) -> Result<(), ScanError> {
        loop {
            let off = self.pos;
            let Some(&op) = self.data.get(off) else {
                return Err(ScanError::NoStop {
                    offset: self.data.len(),
                });
            };
            if self.out.ops >= self.limits.max_ops {
                return Err(ScanError::LimitExceeded {
                    what: "opcodes",
                    offset: off,
                });
            }
            self.out.ops += 1;
            self.pos = off + 1;
            if self.step(op, off)? {
                return Ok(());
            }
        }
    }

    /// What a scan nested in this one starts with: this machine's holdings and its outer's.
    fn inner(&self) -> Outer {
        Outer {
            stack: self.outer.stack + self.stack.len(),
            memo: self.outer.memo + self.memo.len(),
            bytes: self.outer.bytes.saturating_add(self.bytes),
        }
    }

    fn max_nesting(&self) -> usize {
        self.limits.max_nesting.min(MAX_NESTING_CAP)
    }

    // ----- reading -------------------------------------------------------

    fn take(&mut self, n: usize, off: usize) -> Result<&'a [u8], ScanError> {
        let data: &'a [u8] = self.data;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= data.len())
            .ok_or(ScanError::Truncated { offset: off })?;
        let s = data
            .get(self.pos..end)
            .ok_or(ScanError::Truncated { offset: off })?;
        self.pos = end;
        Ok(s)
    }

    fn take_array<const N: usize>(&mut self, off: usize) -> Result<[u8; N], ScanError> {
        let s = self.take(N, off)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn take_u8(&mut self, off: usize) -> Result<u8, ScanError> {
        Ok(self.take_array::<1>(off)?[0])
    }

    fn take_u16(&mut self, off: usize) -> Result<u16, ScanError> {
        Ok(u16::from_le_bytes(self.take_array(off)?))
    }

    fn take_u32(&mut self, off: usize) -> Result<u32, ScanError> {
        Ok(u32::from_le_bytes(self.take_array(off)?))
    }

    fn take_i32(&mut self, off: usize) -> Result<i32, ScanError> {
        Ok(i32::from_le_bytes(self.take_array(off)?))
    }

    fn take_len8(&mut self, off: usize) -> Result<usize, ScanError> {
        let n = u64::from_le_bytes(self.take_array(off)?);
        usize::try_from(n).map_err(|_| ScanError::Truncated { offset: off })
    }

    /// A text line without its `\n` (which must be present).
    fn line(&mut self, off: usize) -> Result<&'a [u8], ScanError> {
        let data: &'a [u8] = self.data;
        let rest = data.get(self.pos..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(ScanError::Truncated { offset: off })?;
        let l = rest.get(..n).unwrap_or(&[]);
        self.pos += n + 1;
        Ok(l)
    }

    fn count_bytes(&mut self, n: usize, off: usize) -> Result<(), ScanError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.outer.bytes.saturating_add(self.bytes) > self.limits.max_bytes {
            return Err(ScanError::LimitExceeded {
                what: "text bytes",
                offset: off,
            });
        }
        Ok(())
    }

    // ----- stack -----------------------------------------------------------

    fn note_size(&mut self, weight: u64, depth: u32, off: usize) -> Result<(), ScanError> {
        self.out.expansion = self.out.expansion.max(weight);
        self.out.max_depth = self.out.max_depth.max(depth);
        if weight > self.limits.max_expansion {
            return Err(ScanError::LimitExceeded {
                what: "expansion",
                offset: off,
            });
        }
        Ok(())
    }

    fn push(&mut self, e: Entry, off: usize) -> Result<(), ScanError> {
        if self.outer.stack + self.stack.len() >= self.limits.max_stack {
            return Err(ScanError::LimitExceeded {
                what: "stack entries",
                offset: off,
            });
        }
        self.note_size(e.weight(), e.depth(), off)?;
        self.stack.push(e);
        Ok(())
    }

    fn pop(&mut self, off: usize) -> Result<Entry, ScanError> {
        match self.stack.pop() {
            Some(e) if !e.is_mark() => Ok(e),
            Some(m) => {
                self.stack.push(m);
                Err(underflow(off))
            }
            None => Err(underflow(off)),
        }
    }

    fn pop_mark(&mut self, off: usize) -> Result<Vec<Entry>, ScanError> {
        let i = self
            .stack
            .iter()
            .rposition(Entry::is_mark)
            .ok_or_else(|| err_malformed("could not find MARK", off))?;
        let items = self.stack.split_off(i + 1);
        self.stack.truncate(i);
        Ok(items)
    }

    /// Index of the top entry, which must not be a mark.
    fn top_index(&self, off: usize) -> Result<usize, ScanError> {
        match self.stack.last() {
            Some(e) if !e.is_mark() => Ok(self.stack.len() - 1),
            _ => Err(underflow(off)),
        }
    }

    /// Add `items` to the container at stack index `idx` (size bookkeeping).
    fn grow(&mut self, idx: usize, items: &[Entry], off: usize) -> Result<(), ScanError> {
        let add = items
            .iter()
            .fold(0u64, |acc, e| acc.saturating_add(e.weight()));
        let depth = items
            .iter()
            .map(Entry::depth)
            .max()
            .map_or(0, |d| d.saturating_add(1));
        for e in items {
            e.mark_included();
        }
        let Some(target) = self.stack.get(idx) else {
            return Err(underflow(off));
        };
        if let SizeRef::Shared(c) = &target.size {
            let mut s = c.get();
            if s.included {
                self.out.aliased_growth = true;
            }
            s.weight = s.weight.saturating_add(add);
            s.depth = s.depth.max(depth);
            c.set(s);
            self.note_size(s.weight, s.depth, off)?;
        }
        Ok(())
    }

    fn mark_called(&mut self, callable: &Entry) {
        if let Kind::Global(i) = callable.kind
            && let Some(g) = self.out.globals.get_mut(i)
        {
            g.called = true;
        }
    }

    fn add_global(
        &mut self,
        module: String,
        name: String,
        opcode: &'static str,
        called: bool,
        off: usize,
    ) -> Result<usize, ScanError> {
        self.count_bytes(module.len() + name.len(), off)?;
        if self.budget.globals.get() >= self.limits.max_globals {
            return Err(ScanError::LimitExceeded {
                what: "globals",
                offset: off,
            });
        }
        self.budget.globals.set(self.budget.globals.get() + 1);
        self.out.globals.push(Global {
            module,
            name,
            offset: off,
            opcode,
            called,
        });
        Ok(self.out.globals.len() - 1)
    }

    fn global_is(&self, idx: usize, modules: &[&str], name: &str) -> bool {
        self.out
            .globals
            .get(idx)
            .is_some_and(|g| g.name == name && modules.contains(&g.module.as_str()))
    }

    fn is_tracked_class(&self, idx: usize) -> bool {
        self.global_is(idx, &["numpy"], "dtype")
            || self.global_is(
                idx,
                &[
                    "joblib.numpy_pickle",
                    "sklearn.externals.joblib.numpy_pickle",
                ],
                "NumpyArrayWrapper",
            )
    }

    /// Result entry of a call of `callable` with `args` (REDUCE/NEWOBJ/OBJ/INST).
    fn call_result(&mut self, class: Option<usize>, args: Entry, extra_weight: u64) -> Entry {
        let weight = args.weight().saturating_add(extra_weight).saturating_add(1);
        let depth = args.depth().saturating_add(1);
        args.mark_included();
        if let Some(c) = class
            && self.is_tracked_class(c)
            && self.objs.len() < MAX_TRACKED_OBJS
        {
            self.objs.push(ObjSlot {
                class: c,
                args: Some(args),
                state: None,
            });
            return Entry::shared(Kind::Obj(self.objs.len() - 1), weight, depth);
        }
        Entry::shared(Kind::Other, weight, depth)
    }

    fn tuple(items: Vec<Entry>) -> Entry {
        let (w, d) = container_size(&items);
        for e in &items {
            e.mark_included();
        }
        if small_enough(&items) {
            let nest = nest_of(items.iter());
            let mut e = Entry::fixed(Kind::Tuple(items.into()), w, d);
            e.nest = nest;
            e
        } else {
            Entry::fixed(Kind::Other, w, d)
        }
    }

    // ----- constants -------------------------------------------------------

    fn sniff_check(&self, l: &[u8], ok: bool, what: &str, off: usize) -> Result<(), ScanError> {
        if self.sniff && !ok {
            let shown =
                String::from_utf8_lossy(l.get(..l.len().min(40)).unwrap_or(&[])).into_owned();
            return Err(err_malformed(format!("invalid {what} {shown:?}"), off));
        }
        Ok(())
    }

    fn check_nested(
        &mut self,
        payload: &[u8],
        off: usize,
        opcode: &'static str,
    ) -> Result<(), ScanError> {
        if self.sniff || self.nesting >= self.max_nesting() || payload.len() < 2 {
            return Ok(());
        }
        if !looks_like_pickle(payload) {
            return Ok(());
        }
        if self.budget.nested.get() >= self.limits.max_nested {
            return Err(ScanError::LimitExceeded {
                what: "nested pickles",
                offset: off,
            });
        }
        self.budget.nested.set(self.budget.nested.get() + 1);
        let mut sub = Machine::new(
            payload,
            0,
            self.limits,
            self.budget,
            self.nesting + 1,
            self.inner(),
            false,
        )
        .run();
        // A constant that only looked like a pickle fails early and is dropped; one that hit a
        // limit (shared with this scan) is kept, so that the limit is reported and nothing
        // after it passes unseen.
        if sub.error.is_none()
            || matches!(sub.error, Some(ScanError::LimitExceeded { .. }))
            || !sub.globals.is_empty()
            || !sub.nested.is_empty()
        {
            sub.source_offset = off;
            sub.source_opcode = Some(opcode);
            self.out.nested.push(sub);
        }
        Ok(())
    }

    fn check_nested_str(
        &mut self,
        s: &str,
        off: usize,
        opcode: &'static str,
    ) -> Result<(), ScanError> {
        if self.sniff || self.nesting >= self.max_nesting() {
            return Ok(());
        }
        let Some(c) = s.chars().next() else {
            return Ok(());
        };
        let Ok(first) = u8::try_from(u32::from(c)) else {
            return Ok(());
        };
        if !is_start_opcode(first) {
            return Ok(());
        }
        if s.is_ascii() {
            self.check_nested(s.as_bytes(), off, opcode)?;
        } else if s.chars().all(|c| u32::from(c) <= 0xff) {
            self.count_bytes(s.len(), off)?;
            let latin1: Vec<u8> = s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect();
            self.check_nested(&latin1, off, opcode)?;
        } else {
            self.check_nested(s.as_bytes(), off, opcode)?;
        }
        Ok(())
    }

    fn push_str(&mut self, s: &str, off: usize, opcode: &'static str) -> Result<(), ScanError> {
        self.check_nested_str(s, off, opcode)?;
        let weight = (s.len() as u64).saturating_add(1);
        let e = if s.len() <= MAX_KEPT_STR {
            self.count_bytes(s.len(), off)?;
            Entry::fixed(Kind::Str(Rc::from(s)), weight, 0)
        } else {
            Entry::fixed(Kind::Other, weight, 0)
        };
        self.push(e, off)
    }

    /// Python-2 `str` payloads (STRING/BINSTRING/SHORT_BINSTRING): bytes that
    /// Python 3 decodes to `str`; kept as Latin-1 text.
    fn push_byte_str(
        &mut self,
        b: &[u8],
        off: usize,
        opcode: &'static str,
    ) -> Result<(), ScanError> {
        self.check_nested(b, off, opcode)?;
        let weight = (b.len() as u64).saturating_add(1);
        let e = if b.len() <= MAX_KEPT_STR {
            self.count_bytes(b.len(), off)?;
            let s: String = b.iter().map(|&c| char::from(c)).collect();
            Entry::fixed(Kind::Str(Rc::from(s)), weight, 0)
        } else {
            Entry::fixed(Kind::Other, weight, 0)
        };
        self.push(e, off)
    }

    fn push_bytes(&mut self, b: &[u8], off: usize, opcode: &'static str) -> Result<(), ScanError> {
        self.check_nested(b, off, opcode)?;
        let weight = (b.len() as u64).saturating_add(1);
        self.push(Entry::fixed(Kind::Other, weight, 0), off)
    }

    fn push_utf8(&mut self, b: &[u8], off: usize, opcode: &'static str) -> Result<(), ScanError> {
        let s = String::from_utf8_lossy(b);
        self.push_str(&s, off, opcode)
    }

    fn push_int(&mut self, v: Option<i64>, off: usize) -> Result<(), ScanError> {
        let kind = v.map_or(Kind::Other, Kind::Int);
        self.push(Entry::fixed(kind, 1, 0), off)
    }

    fn read_global_lines(&mut self, off: usize) -> Result<(String, String), ScanError> {
        let m = self.line(off)?;
        let n = self.line(off)?;
        self.sniff_check(m, is_dotted_ident(m), "module name", off)?;
        self.sniff_check(n, is_dotted_ident(n), "global name", off)?;
        Ok((
            String::from_utf8_lossy(m).into_owned(),
            String::from_utf8_lossy(n).into_owned(),
        ))
    }

    fn memo_put(&mut self, key: u64, off: usize) -> Result<(), ScanError> {
        let idx = self.top_index(off)?;
        let Some(e) = self.stack.get(idx).cloned() else {
            return Err(underflow(off));
        };
        if !self.memo.contains_key(&key)
            && self.outer.memo + self.memo.len() >= self.limits.max_memo
        {
            return Err(ScanError::LimitExceeded {
                what: "memo entries",
                offset: off,
            });
        }
        self.memo.insert(key, e);
        Ok(())
    }

    fn memo_get(&mut self, key: u64, off: usize) -> Result<(), ScanError> {
        match self.memo.get(&key).cloned() {
            Some(e) => self.push(e, off),
            None => Err(err_malformed(
                format!("memo value not found at index {key}"),
                off,
            )),
        }
    }

    fn line_key(&mut self, off: usize, what: &str) -> Result<u64, ScanError> {
        let l = self.line(off)?;
        match parse_py_int(l) {
            Some(v) if v >= 0 => {
                u64::try_from(v).map_err(|_| err_malformed(format!("{what} index too large"), off))
            }
            Some(_) => Err(err_malformed(format!("negative {what} argument"), off)),
            None => Err(err_malformed(format!("invalid {what} index"), off)),
        }
    }

    // ----- opcodes ---------------------------------------------------------

    /// Execute one opcode symbolically; `Ok(true)` on STOP.
    fn step(&mut self, op: u8, off: usize) -> Result<bool, ScanError> {
        match op {
            // MARK
            b'(' => self.push(Entry::mark(), off)?,
            // STOP
            b'.' => {
                self.pop(off)?;
                return Ok(true);
            }
            // POP: pops the top item, or the topmost mark if the stack above it is empty
            b'0' => {
                if self.stack.pop().is_none() {
                    return Err(underflow(off));
                }
            }
            // POP_MARK
            b'1' => {
                self.pop_mark(off)?;
            }
            // DUP
            b'2' => {
                let idx = self.top_index(off)?;
                let e = self.stack.get(idx).cloned().ok_or_else(|| underflow(off))?;
                self.push(e, off)?;
            }
            // FLOAT
            b'F' => {
                let l = self.line(off)?;
                let ok = std::str::from_utf8(l).is_ok_and(|s| s.trim().parse::<f64>().is_ok());
                self.sniff_check(l, ok, "float", off)?;
                self.push(Entry::scalar(), off)?;
            }
            // INT (also bools 00/01)
            b'I' => {
                let l = self.line(off)?;
                let v = parse_py_int(l);
                self.sniff_check(l, v.is_some(), "integer", off)?;
                self.push_int(v.and_then(|v| i64::try_from(v).ok()), off)?;
            }
            // LONG
            b'L' => {
                let l = self.line(off)?;
                let digits = l.strip_suffix(b"L").unwrap_or(l);
                let v = parse_py_int(digits);
                self.sniff_check(l, v.is_some(), "long integer", off)?;
                self.push_int(v.and_then(|v| i64::try_from(v).ok()), off)?;
            }
            // BININT
            b'J' => {
                let v = self.take_i32(off)?;
                self.push_int(Some(i64::from(v)), off)?;
            }
            // BININT1
            b'K' => {
                let v = self.take_u8(off)?;
                self.push_int(Some(i64::from(v)), off)?;
            }
            // BININT2
            b'M' => {
                let v = self.take_u16(off)?;
                self.push_int(Some(i64::from(v)), off)?;
            }
            // LONG1
            0x8a => {
                let n = usize::from(self.take_u8(off)?);
                let b = self.take(n, off)?;
                self.push_int(le_signed(b), off)?;
            }
            // LONG4
            0x8b => {
                let n = self.take_i32(off)?;
                let n = usize::try_from(n)
                    .map_err(|_| err_malformed("LONG pickle has negative byte count", off))?;
                let b = self.take(n, off)?;
                self.push_int(le_signed(b), off)?;
            }
            // BINFLOAT
            b'G' => {
                self.take(8, off)?;
                self.push(Entry::scalar(), off)?;
            }
            // NONE, NEWTRUE, NEWFALSE
            b'N' => self.push(Entry::scalar(), off)?,
            0x88 => self.push_int(Some(1), off)?,
            0x89 => self.push_int(Some(0), off)?,
            // STRING: quoted, backslash-escaped
            b'S' => {
                let l = self.line(off)?;
                let inner = match l {
                    [q, inner @ .., q2] if q == q2 && (*q == b'\'' || *q == b'"') => inner,
                    _ => {
                        return Err(err_malformed(
                            "the STRING opcode argument must be quoted",
                            off,
                        ));
                    }
                };
                self.count_bytes(inner.len(), off)?;
                let decoded = escape_decode(inner).map_err(|m| err_malformed(m, off))?;
                self.push_byte_str(&decoded, off, "STRING")?;
            }
            // BINSTRING
            b'T' => {
                let n = self.take_i32(off)?;
                let n = usize::try_from(n)
                    .map_err(|_| err_malformed("BINSTRING pickle has negative byte count", off))?;
                let b = self.take(n, off)?;
                self.push_byte_str(b, off, "BINSTRING")?;
            }
            // SHORT_BINSTRING
            b'U' => {
                let n = usize::from(self.take_u8(off)?);
                let b = self.take(n, off)?;
                self.push_byte_str(b, off, "SHORT_BINSTRING")?;
            }
            // UNICODE: raw-unicode-escape line
            b'V' => {
                let l = self.line(off)?;
                self.count_bytes(l.len(), off)?;
                let s = raw_unicode_escape_decode(l).map_err(|m| err_malformed(m, off))?;
                self.push_str(&s, off, "UNICODE")?;
            }
            // BINUNICODE
            b'X' => {
                let n = self.take_u32(off)?;
                let n = usize::try_from(n).map_err(|_| ScanError::Truncated { offset: off })?;
                let b = self.take(n, off)?;
                self.push_utf8(b, off, "BINUNICODE")?;
            }
            // SHORT_BINUNICODE
            0x8c => {
                let n = usize::from(self.take_u8(off)?);
                let b = self.take(n, off)?;
                self.push_utf8(b, off, "SHORT_BINUNICODE")?;
            }
            // BINUNICODE8
            0x8d => {
                let n = self.take_len8(off)?;
                let b = self.take(n, off)?;
                self.push_utf8(b, off, "BINUNICODE8")?;
            }
            // BINBYTES
            b'B' => {
                let n = self.take_u32(off)?;
                let n = usize::try_from(n).map_err(|_| ScanError::Truncated { offset: off })?;
                let b = self.take(n, off)?;
                self.push_bytes(b, off, "BINBYTES")?;
            }
            // SHORT_BINBYTES
            b'C' => {
                let n = usize::from(self.take_u8(off)?);
                let b = self.take(n, off)?;
                self.push_bytes(b, off, "SHORT_BINBYTES")?;
            }
            // BINBYTES8
            0x8e => {
                let n = self.take_len8(off)?;
                let b = self.take(n, off)?;
                self.push_bytes(b, off, "BINBYTES8")?;
            }
            // BYTEARRAY8 (mutable, but never grown by opcodes)
            0x96 => {
                let n = self.take_len8(off)?;
                let b = self.take(n, off)?;
                self.push_bytes(b, off, "BYTEARRAY8")?;
            }
            // NEXT_BUFFER: an out-of-band buffer supplied by the loader
            0x97 => self.push(Entry::scalar(), off)?,
            // READONLY_BUFFER: no stack change
            0x98 => {
                self.top_index(off)?;
            }
            // EMPTY_TUPLE, TUPLE1..3, TUPLE
            b')' => self.push(Self::tuple(Vec::new()), off)?,
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if self.stack.len() < n || self.stack.iter().rev().take(n).any(Entry::is_mark) {
                    return Err(underflow(off));
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.push(Self::tuple(items), off)?;
            }
            b't' => {
                let items = self.pop_mark(off)?;
                self.push(Self::tuple(items), off)?;
            }
            // EMPTY_LIST, LIST, EMPTY_SET, FROZENSET
            b']' | 0x8f => self.push(Entry::shared(Kind::Other, 1, 1), off)?,
            b'l' => {
                let items = self.pop_mark(off)?;
                let (w, d) = container_size(&items);
                items.iter().for_each(Entry::mark_included);
                self.push(Entry::shared(Kind::Other, w, d), off)?;
            }
            0x91 => {
                let items = self.pop_mark(off)?;
                let (w, d) = container_size(&items);
                items.iter().for_each(Entry::mark_included);
                self.push(Entry::fixed(Kind::Other, w, d), off)?;
            }
            // EMPTY_DICT, DICT
            b'}' => {
                let mut e = Entry::shared(Kind::Dict(Rc::new(Vec::new())), 1, 1);
                e.nest = 1;
                self.push(e, off)?;
            }
            b'd' => {
                let items = self.pop_mark(off)?;
                if items.len() % 2 != 0 {
                    return Err(err_malformed("odd number of items for DICT", off));
                }
                let (w, d) = container_size(&items);
                items.iter().for_each(Entry::mark_included);
                let (kind, nest) = if small_enough(&items) {
                    let nest = nest_of(items.iter());
                    (Kind::Dict(Rc::new(pairs(items))), nest)
                } else {
                    (Kind::Other, 0)
                };
                let mut e = Entry::shared(kind, w, d);
                e.nest = nest;
                self.push(e, off)?;
            }
            // APPEND, SETITEM
            b'a' => {
                let v = self.pop(off)?;
                let idx = self.top_index(off)?;
                self.grow(idx, &[v], off)?;
            }
            b's' => {
                let v = self.pop(off)?;
                let k = self.pop(off)?;
                let idx = self.top_index(off)?;
                let items = [k, v];
                self.grow(idx, &items, off)?;
                let [k, v] = items;
                self.dict_insert(idx, vec![(k, v)]);
            }
            // APPENDS, ADDITEMS
            b'e' | 0x90 => {
                let items = self.pop_mark(off)?;
                let idx = self.top_index(off)?;
                self.grow(idx, &items, off)?;
            }
            // SETITEMS
            b'u' => {
                let items = self.pop_mark(off)?;
                if items.len() % 2 != 0 {
                    return Err(err_malformed("odd number of items for SETITEMS", off));
                }
                let idx = self.top_index(off)?;
                self.grow(idx, &items, off)?;
                self.dict_insert(idx, pairs(items));
            }
            // GLOBAL
            b'c' => {
                let (m, n) = self.read_global_lines(off)?;
                let g = self.add_global(m, n, "GLOBAL", false, off)?;
                self.push(Entry::fixed(Kind::Global(g), 1, 0), off)?;
            }
            // STACK_GLOBAL
            0x93 => {
                let name = self.pop(off)?;
                let module = self.pop(off)?;
                if self.sniff && (name.as_str().is_none() || module.as_str().is_none()) {
                    return Err(err_malformed("STACK_GLOBAL requires str", off));
                }
                let m = module.as_str().unwrap_or("?").to_owned();
                let n = name.as_str().unwrap_or("?").to_owned();
                let g = self.add_global(m, n, "STACK_GLOBAL", false, off)?;
                self.push(Entry::fixed(Kind::Global(g), 1, 0), off)?;
            }
            // INST: module/name lines, args from the mark; a class call
            b'i' => {
                let (m, n) = self.read_global_lines(off)?;
                let g = self.add_global(m, n, "INST", true, off)?;
                let items = self.pop_mark(off)?;
                self.out.calls += 1;
                let r = self.call_result(Some(g), Self::tuple(items), 1);
                self.push(r, off)?;
            }
            // EXT1/2/4: extension registry look-up
            0x82..=0x84 => {
                let (code, name) = match op {
                    0x82 => (i64::from(self.take_u8(off)?), "EXT1"),
                    0x83 => (i64::from(self.take_u16(off)?), "EXT2"),
                    _ => (i64::from(self.take_i32(off)?), "EXT4"),
                };
                let g = self.add_global(
                    "copyreg".to_owned(),
                    format!("extension code {code}"),
                    name,
                    false,
                    off,
                )?;
                self.push(Entry::fixed(Kind::Global(g), 1, 0), off)?;
            }
            // PERSID / BINPERSID: resolved by the loader's persistent_load
            b'P' => {
                let l = self.line(off)?;
                let pid = String::from_utf8_lossy(l).into_owned();
                self.add_global("persistent_load".to_owned(), pid, "PERSID", true, off)?;
                self.push(Entry::shared(Kind::Other, 1, 0), off)?;
            }
            b'Q' => {
                let pid = self.pop(off)?;
                let name = match &pid.kind {
                    Kind::Str(s) => s.to_string(),
                    Kind::Tuple(t) => t
                        .first()
                        .and_then(Entry::as_str)
                        .map_or_else(|| "?".to_owned(), str::to_owned),
                    _ => "?".to_owned(),
                };
                self.add_global("persistent_load".to_owned(), name, "BINPERSID", true, off)?;
                let w = pid.weight().saturating_add(1);
                self.push(Entry::shared(Kind::Other, w, pid.depth()), off)?;
            }
            // REDUCE
            b'R' => {
                let args = self.pop(off)?;
                let callable = self.pop(off)?;
                self.out.calls += 1;
                self.mark_called(&callable);
                let class = match callable.kind {
                    Kind::Global(g)
                        if self.global_is(g, &["copy_reg", "copyreg"], "_reconstructor") =>
                    {
                        match &args.kind {
                            Kind::Tuple(t) => t.first().and_then(|e| match e.kind {
                                Kind::Global(c) => Some(c),
                                _ => None,
                            }),
                            _ => None,
                        }
                    }
                    Kind::Global(g) => Some(g),
                    _ => None,
                };
                let r = self.call_result(class, args, callable.weight());
                self.push(r, off)?;
            }
            // NEWOBJ
            0x81 => {
                let args = self.pop(off)?;
                let cls = self.pop(off)?;
                self.out.calls += 1;
                self.mark_called(&cls);
                let class = match cls.kind {
                    Kind::Global(g) => Some(g),
                    _ => None,
                };
                let r = self.call_result(class, args, cls.weight());
                self.push(r, off)?;
            }
            // NEWOBJ_EX
            0x92 => {
                let kwargs = self.pop(off)?;
                let args = self.pop(off)?;
                let cls = self.pop(off)?;
                self.out.calls += 1;
                self.mark_called(&cls);
                kwargs.mark_included();
                let class = match cls.kind {
                    Kind::Global(g) => Some(g),
                    _ => None,
                };
                let extra = cls.weight().saturating_add(kwargs.weight());
                let r = self.call_result(class, args, extra);
                self.push(r, off)?;
            }
            // OBJ: class and args from the mark
            b'o' => {
                let mut items = self.pop_mark(off)?;
                if items.is_empty() {
                    return Err(underflow(off));
                }
                let cls = items.remove(0);
                self.out.calls += 1;
                self.mark_called(&cls);
                let class = match cls.kind {
                    Kind::Global(g) => Some(g),
                    _ => None,
                };
                let r = self.call_result(class, Self::tuple(items), cls.weight());
                self.push(r, off)?;
            }
            // BUILD
            b'b' => {
                let state = self.pop(off)?;
                let idx = self.top_index(off)?;
                self.out.calls += 1;
                let obj = match self.stack.get(idx).map(|e| &e.kind) {
                    Some(Kind::Obj(id)) => Some(*id),
                    _ => None,
                };
                self.grow(idx, std::slice::from_ref(&state), off)?;
                if let Some(id) = obj {
                    if let Some(slot) = self.objs.get_mut(id) {
                        slot.state = Some(state);
                    }
                    self.maybe_joblib_array(id, off)?;
                }
            }
            // PUT, BINPUT, LONG_BINPUT, MEMOIZE
            b'p' => {
                let k = self.line_key(off, "PUT")?;
                self.memo_put(k, off)?;
            }
            b'q' => {
                let k = u64::from(self.take_u8(off)?);
                self.memo_put(k, off)?;
            }
            b'r' => {
                let k = u64::from(self.take_u32(off)?);
                self.memo_put(k, off)?;
            }
            0x94 => {
                let k = self.memo.len() as u64;
                self.memo_put(k, off)?;
            }
            // GET, BINGET, LONG_BINGET
            b'g' => {
                let k = self.line_key(off, "GET")?;
                self.memo_get(k, off)?;
            }
            b'h' => {
                let k = u64::from(self.take_u8(off)?);
                self.memo_get(k, off)?;
            }
            b'j' => {
                let k = u64::from(self.take_u32(off)?);
                self.memo_get(k, off)?;
            }
            // PROTO
            0x80 => {
                let p = self.take_u8(off)?;
                if p > 5 {
                    return Err(err_malformed(
                        format!("unsupported pickle protocol: {p}"),
                        off,
                    ));
                }
                self.out.protocol = self.out.protocol.max(p);
            }
            // FRAME: the whole frame must be present
            0x95 => {
                let n = self.take_len8(off)?;
                let avail = self.data.len().saturating_sub(self.pos);
                if n > avail {
                    return Err(ScanError::Truncated { offset: off });
                }
            }
            _ => return Err(ScanError::UnknownOpcode { op, offset: off }),
        }
        Ok(false)
    }

    /// Record dict items on the (small) dict at `idx`, degrading it to an
    /// opaque entry when it grows too large or too deep.
    fn dict_insert(&mut self, idx: usize, new: Vec<(Entry, Entry)>) {
        let Some(target) = self.stack.get_mut(idx) else {
            return;
        };
        if let Kind::Dict(d) = &mut target.kind {
            let fits = d.len() + new.len() <= SMALL_LEN
                && new
                    .iter()
                    .all(|(k, v)| k.nest < SMALL_NEST && v.nest < SMALL_NEST);
            if fits {
                let nest = nest_of(new.iter().flat_map(|(k, v)| [k, v]));
                target.nest = target.nest.max(nest);
                Rc::make_mut(d).extend(new);
            } else {
                target.kind = Kind::Other;
                target.nest = 0;
            }
        }
    }

    // ----- joblib ----------------------------------------------------------

    fn maybe_joblib_array(&mut self, id: usize, off: usize) -> Result<(), ScanError> {
        if self.sniff || !self.limits.joblib_arrays {
            return Ok(());
        }
        let Some(slot) = self.objs.get(id) else {
            return Ok(());
        };
        if !self.global_is(
            slot.class,
            &[
                "joblib.numpy_pickle",
                "sklearn.externals.joblib.numpy_pickle",
            ],
            "NumpyArrayWrapper",
        ) {
            return Ok(());
        }
        let Some(info) = self.array_info(id) else {
            return Err(err_malformed(
                "joblib NumpyArrayWrapper: cannot determine the size of the inline array data",
                off,
            ));
        };
        match info {
            ArrayData::Object => {
                if self.nesting >= self.max_nesting() {
                    return Err(ScanError::LimitExceeded {
                        what: "nesting levels",
                        offset: off,
                    });
                }
                let sub = Machine::new(
                    self.data,
                    self.pos,
                    self.limits,
                    self.budget,
                    self.nesting + 1,
                    self.inner(),
                    false,
                )
                .run();
                self.out.ops = self.out.ops.saturating_add(sub.ops);
                self.out.calls = self.out.calls.saturating_add(sub.calls);
                self.out.globals.extend(sub.globals);
                self.out.nested.extend(sub.nested);
                self.out.protocol = self.out.protocol.max(sub.protocol);
                self.out.expansion = self.out.expansion.max(sub.expansion);
                self.out.max_depth = self.out.max_depth.max(sub.max_depth);
                self.out.aliased_growth |= sub.aliased_growth;
                self.out.joblib_arrays += sub.joblib_arrays + 1;
                if let Some(e) = sub.error {
                    self.pos = sub.end_offset;
                    return Err(e);
                }
                self.pos = sub.end_offset;
                if self.out.ops > self.limits.max_ops {
                    return Err(ScanError::LimitExceeded {
                        what: "opcodes",
                        offset: off,
                    });
                }
            }
            ArrayData::Raw { nbytes, aligned } => {
                if aligned {
                    let pad = usize::from(self.take_u8(off)?);
                    self.take(pad, off)?;
                }
                let region = self.take(nbytes, off)?;
                self.check_nested(region, off, "joblib array data")?;
                self.out.joblib_arrays += 1;
            }
        }
        Ok(())
    }

    fn array_info(&self, id: usize) -> Option<ArrayData> {
        let state = self.objs.get(id)?.state.as_ref()?;
        let Kind::Dict(d) = &state.kind else {
            return None;
        };
        let get = |key: &str| {
            d.iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v)
        };
        let count: u64 = match &get("shape")?.kind {
            Kind::Tuple(t) => t.iter().try_fold(1u64, |acc, e| match e.kind {
                Kind::Int(n) => acc.checked_mul(u64::try_from(n).ok()?),
                _ => None,
            })?,
            Kind::Int(n) => u64::try_from(*n).ok()?,
            _ => return None,
        };
        let Kind::Obj(did) = get("dtype")?.kind else {
            return None;
        };
        let dslot = self.objs.get(did)?;
        if !self.global_is(dslot.class, &["numpy"], "dtype") {
            return None;
        }
        let code = match &dslot.args.as_ref()?.kind {
            Kind::Tuple(t) => t.first()?.as_str()?,
            _ => return None,
        };
        let elsize = match dslot.state.as_ref().map(|s| &s.kind) {
            Some(Kind::Tuple(t)) => match t.get(5).map(|e| &e.kind) {
                Some(Kind::Int(n)) if *n > 0 => u64::try_from(*n).ok(),
                _ => None,
            },
            _ => None,
        };
        let (kind, digits) = split_typecode(code)?;
        if kind == 'O' {
            return Some(ArrayData::Object);
        }
        let itemsize = match elsize {
            Some(e) => e,
            None => {
                let n: u64 = digits.parse().ok()?;
                if kind == 'U' { n.checked_mul(4)? } else { n }
            }
        };
        let nbytes = usize::try_from(count.checked_mul(itemsize)?).ok()?;
        let aligned = matches!(
            get("numpy_array_alignment_bytes").map(|e| &e.kind),
            Some(Kind::Int(_))
        );
        Some(ArrayData::Raw { nbytes, aligned })
    }
}

/// Split a numpy type string such as `<f8`, `U1`, `O8`, `M8[ns]` into its
/// kind character and size digits.
fn split_typecode(code: &str) -> Option<(char, &str)> {
    let code = code.trim_start_matches(['<', '>', '=', '|']);
    let mut chars = code.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some((kind, rest.get(..end)?))
}

fn pairs(items: Vec<Entry>) -> Vec<(Entry, Entry)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Opcodes that can be the first opcode of a pickle.
fn is_start_opcode(b: u8) -> bool {
    matches!(
        b,
        b'(' | b'F' | b'I' | b'J' | b'K' | b'L' | b'M' | b'N' | b'P' | b'S' | b'T' | b'U' | b'V'
            | b'X' | b'G' | b'B' | b'C' | b')' | b']' | b'}' | b'c' | 0x80 | 0x82..=0x84
            | 0x88..=0x8f | 0x95..=0x97
    )
}

fn sniff(data: &[u8]) -> bool {
    let limits = Limits {
        max_ops: 1024,
        max_memo: 1024,
        max_stack: 1024,
        max_bytes: 1 << 16,
        max_expansion: u64::MAX,
        max_nesting: 0,
        max_globals: 1024,
        max_nested: 0,
        joblib_arrays: false,
    };
    // A short pickle must contain its STOP opcode: reject most text at once.
    if data.len() <= SNIFF_LEN && !data.contains(&b'.') {
        return false;
    }
    let prefix = data.get(..data.len().min(SNIFF_LEN)).unwrap_or(data);
    let budget = Budget::default();
    let s = Machine::new(prefix, 0, &limits, &budget, 0, Outer::default(), true).run();
    match &s.error {
        None => s.ops >= 2,
        Some(
            ScanError::Truncated { .. }
            | ScanError::NoStop { .. }
            | ScanError::LimitExceeded { .. },
        ) => data.len() > SNIFF_LEN && s.ops >= 4,
        Some(_) => false,
    }
}

/// `[A-Za-z_][A-Za-z0-9_.]*` — what a module or qualified name looks like.
fn is_dotted_ident(s: &[u8]) -> bool {
    match s.split_first() {
        Some((f, rest)) => {
            (f.is_ascii_alphabetic() || *f == b'_')
                && rest
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
        }
        None => false,
    }
}

/// Parse a decimal integer the way Python's `int()` does for base 10:
/// surrounding whitespace, an optional sign, digits with single underscores.
fn parse_py_int(s: &[u8]) -> Option<i128> {
    let s = s.trim_ascii();
    let (neg, digits) = match s.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i128 = 0;
    let mut prev_underscore = true;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
                prev_underscore = false;
            }
            b'_' if !prev_underscore => prev_underscore = true,
            _ => return None,
        }
    }
    if prev_underscore {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Little-endian two's-complement integer (LONG1/LONG4) if it fits in i64.
fn le_signed(b: &[u8]) -> Option<i64> {
    let last = match b.last() {
        Some(l) => *l,
        None => return Some(0),
    };
    if b.len() > 8 {
        return None;
    }
    let mut buf = if last & 0x80 != 0 {
        [0xffu8; 8]
    } else {
        [0u8; 8]
    };
    buf.get_mut(..b.len())?.copy_from_slice(b);
    Some(i64::from_le_bytes(buf))
}

/// Python's `codecs.escape_decode` (the `STRING` opcode's argument).
fn escape_decode(s: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err("trailing \\ in string");
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
                match (hex(s.get(i)), hex(s.get(i + 1))) {
                    (Some(h), Some(l)) => {
                        out.push(((h << 4) | l) as u8);
                        i += 2;
                    }
                    _ => return Err("invalid \\x escape"),
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Python's `raw-unicode-escape` decoder (the `UNICODE` opcode's argument):
/// bytes are Latin-1, only `\uXXXX`/`\UXXXXXXXX` after an odd run of
/// backslashes are escapes. Lone surrogates become U+FFFD.
fn raw_unicode_escape_decode(s: &[u8]) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c != b'\\' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let run = s
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| b == b'\\')
            .count();
        let after = s.get(i + run).copied();
        let digits = match after {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => 0,
        };
        if digits == 0 || run % 2 == 0 {
            out.extend(std::iter::repeat_n('\\', run));
            i += run;
            continue;
        }
        out.extend(std::iter::repeat_n('\\', run - 1));
        let start = i + run + 1;
        let hex = s
            .get(start..start + digits)
            .ok_or("truncated \\uXXXX escape")?;
        let mut v: u32 = 0;
        for &h in hex {
            let d = char::from(h)
                .to_digit(16)
                .ok_or("truncated \\uXXXX escape")?;
            v = (v << 4) | d;
        }
        if v > 0x10ffff {
            return Err("\\Uxxxxxxxx out of range");
        }
        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
        i = start + digits;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `model` cell of the MLTK 0.9.2 corpus file (CSV-unquoted, 1153 bytes, complete).
    const MLTK_092_CELL: &[u8] =
        b"ccopy_reg\n_reconstructor\np1\n(calgos.LogisticRegressionWithSpark\n\
    LogisticRegressionWithSpark\np2\nc__builtin__\nobject\np3\nNtRp4\n\
    (dp5\nS'explanatory_variables'\np6\n(Vsource\np7\nVtimestartpos\n\
    p8\nVtimeendpos\np9\ntp10\nsS'is_classifier'\np11\nI01\nsS'columns'\n\
    p12\n(lp13\nS'timeendpos'\np14\naS'timestartpos'\np15\nasS'response_variable'\n\
    p16\nVbrokenevent\np17\nsS'estimator'\np18\ng1\n(csklearn.linear_model.logistic\n\
    LogisticRegression\np19\ng3\nNtRp20\n(dp21\nS'coef_'\np22\ncnumpy.core.multiarray\n\
    _reconstruct\np23\n(cnumpy\nndarray\np24\n(I0\ntS'b'\ntRp25\n\
    (I1\n(I1\nI2\ntcnumpy\ndtype\np26\n(S'f8'\nI0\nI1\ntRp27\n(I3\n\
    S'<'\nNNNI-1\nI-1\nI0\ntbI00\nS\"\\\\,,\\x85\\xf6'h?\\xad\\xf8l\\x0f1/z?\"\n\
    tbsS'penalty'\np28\nS'l2'\np29\nsS'class_weight'\np30\nS'auto'\n\
    p31\nsS'verbose'\np32\nI0\nsS'dual'\np33\nI00\nsS'multi_class'\n\
    p34\nS'ovr'\np35\nsS'C'\nF1\nsS'fit_intercept'\np36\nI01\nsS'classes_'\n\
    p37\ng23\n(g24\n(I0\ntS'b'\ntRp38\n(I1\n(I2\ntg26\n(S'U1'\nI0\n\
    I1\ntRp39\n(I3\nS'<'\nNNNI4\nI4\nI8\ntbI00\nS'1\\x00\\x00\\x000\\x00\\x00\\x00'\n\
    tbsS'solver'\np40\nS'liblinear'\np41\nsS'tol'\np42\nF0.0001\n\
    sS'intercept_scaling'\np43\nI1\nsS'intercept_'\np44\ng23\n(g24\n\
    (I0\ntS'b'\ntRp45\n(I1\n(I1\nI1\ntg27\nI00\nS':\\xff\\xebM\\x0f\\x04\\xea\\xbf'\n\
    tbsS'random_state'\np46\nNsS'max_iter'\np47\nI100\nsbsb.";

    /// `pickle.dumps(plain data, protocol=0)`.
    const PLAIN_P0: &[u8] = b"(dp0\nVname\np1\nVmodel\np2\nsVvalues\np3\n(lp4\nI1\naI-2\naF3.5\n\
    aNaI01\naI00\naL1180591620717411303424L\naV\xfc\np5\nasVpair\n\
    p6\n(I1\nVtwo\np7\ntp8\nsVnested\np9\n(dp10\nVk\np11\n(lp12\n\
    (lp13\na(dp14\nass.";

    /// `pickle.dumps(plain data, protocol=1)`.
    const PLAIN_P1: &[u8] = b"}q\x00(X\x04\x00\x00\x00nameq\x01X\x05\x00\x00\x00modelq\x02X\x06\x00\x00\x00valuesq\x03]q\x04\
    (K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00NI01\nI00\n\
    L1180591620717411303424L\nX\x02\x00\x00\x00\xc3\xbcq\x05eX\x04\x00\x00\x00pairq\x06(K\x01X\x03\
    \x00\x00\x00twoq\x07tq\x08X\x06\x00\x00\x00nestedq\x09}q\nX\x01\x00\x00\x00kq\x0b]q\x0c(]q\x0d\
    }q\x0eesu.";

    /// `pickle.dumps(plain data, protocol=2)`.
    const PLAIN_P2: &[u8] = b"\x80\x02}q\x00(X\x04\x00\x00\x00nameq\x01X\x05\x00\x00\x00modelq\x02X\x06\x00\x00\x00values\
    q\x03]q\x04(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00N\x88\x89\x8a\x09\x00\x00\x00\
    \x00\x00\x00\x00\x00@X\x02\x00\x00\x00\xc3\xbcq\x05eX\x04\x00\x00\x00pairq\x06K\x01X\x03\x00\
    \x00\x00twoq\x07\x86q\x08X\x06\x00\x00\x00nestedq\x09}q\nX\x01\x00\x00\x00kq\x0b]q\x0c(]q\x0d\
    }q\x0eesu.";

    /// `pickle.dumps(plain data, protocol=3)`.
    const PLAIN_P3: &[u8] = b"\x80\x03}q\x00(X\x04\x00\x00\x00nameq\x01X\x05\x00\x00\x00modelq\x02X\x06\x00\x00\x00values\
    q\x03]q\x04(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00N\x88\x89\x8a\x09\x00\x00\x00\
    \x00\x00\x00\x00\x00@X\x02\x00\x00\x00\xc3\xbcq\x05eX\x04\x00\x00\x00pairq\x06K\x01X\x03\x00\
    \x00\x00twoq\x07\x86q\x08X\x06\x00\x00\x00nestedq\x09}q\nX\x01\x00\x00\x00kq\x0b]q\x0c(]q\x0d\
    }q\x0eesu.";

    /// `pickle.dumps(plain data, protocol=4)`.
    const PLAIN_P4: &[u8] = b"\x80\x04\x95m\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x05model\x94\x8c\x06val\
    ues\x94]\x94(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00N\x88\x89\x8a\x09\x00\x00\x00\
    \x00\x00\x00\x00\x00@\x8c\x02\xc3\xbc\x94e\x8c\x04pair\x94K\x01\x8c\x03two\x94\x86\x94\x8c\x06\
    nested\x94}\x94\x8c\x01k\x94]\x94(]\x94}\x94esu.";

    /// `pickle.dumps(plain data, protocol=5)`.
    const PLAIN_P5: &[u8] = b"\x80\x05\x95m\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x05model\x94\x8c\x06val\
    ues\x94]\x94(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00N\x88\x89\x8a\x09\x00\x00\x00\
    \x00\x00\x00\x00\x00@\x8c\x02\xc3\xbc\x94e\x8c\x04pair\x94K\x01\x8c\x03two\x94\x86\x94\x8c\x06\
    nested\x94}\x94\x8c\x01k\x94]\x94(]\x94}\x94esu.";

    /// A plain dict whose bytes value is a protocol-0 os.system pickle.
    const NESTED_BYTES_P4: &[u8] =
        b"\x80\x04\x95.\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x07payload\x94C\x1dcos\n\
    system\n(S'echo pwned'\ntR.\x94s.";

    /// Protocol 0: the same payload as a str constant (raw-unicode-escape line).
    const NESTED_STR_P0: &[u8] =
        b"(dp0\nVpayload\np1\nVcos\\u000asystem\\u000a(S'echo pwned'\\u000atR.\n\
    p2\ns.";

    /// Protocol 2 list of two bytes constants that are themselves pickles.
    const NESTED_BIN_P2: &[u8] = b"\x80\x02]q\x00(c_codecs\nencode\nq\x01X\x12\x00\x00\x00\xc2\x80\x02}q\x00X\x01\x00\x00\x00x\
    q\x01K\x01s.q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05h\x01X\x16\x00\x00\x00\xc2\x80\x04\
    \xc2\x8c\x02os\xc2\x8c\x06system\xc2\x93)R.q\x06h\x03\x86q\x07Rq\x08e.";

    /// Protocol 5 BYTEARRAY8.
    const BYTEARRAY_P5: &[u8] =
        b"\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\x94.";

    /// Protocol 5 out-of-band buffer: NEXT_BUFFER + READONLY_BUFFER.
    const OOB_P5: &[u8] = b"\x80\x05\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94\x97\x98a.";

    /// Protocol 4 set/frozenset: EMPTY_SET, ADDITEMS, FROZENSET.
    const SET_P4: &[u8] = b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01s\x94\x8f\x94(K\x01K\x02\x90\x8c\x01\
    f\x94(K\x03\x91\x94u.";

    /// Protocol 2 bytes: _codecs.encode global.
    const BYTES_P2: &[u8] = b"\x80\x02c_codecs\nencode\nq\x00X\x03\x00\x00\x00rawq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03\
    Rq\x04.";

    /// Protocol 0 set: __builtin__ set global.
    const SET_P0: &[u8] = b"c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n.";

    /// `joblib.dump` (joblib 1.6, numpy 2) of float, unicode, object and repeated-dtype arrays.
    const JOBLIB_DUMP: &[u8] = b"\x80\x04\x95\xd8\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94\x8c\x13joblib.numpy_pickle\x94\
    \x8c\x11NumpyArrayWrapper\x94\x93\x94)\x81\x94}\x94(\x8c\x08subclass\x94\x8c\x05numpy\x94\x8c\
    \x07ndarray\x94\x93\x94\x8c\x05shape\x94K\x03\x85\x94\x8c\x05order\x94\x8c\x01C\x94\x8c\x05\
    dtype\x94h\x08\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94\
    NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x8c\nallow_mmap\x94\x88\x8c\x1bnumpy_array\
    _alignment_bytes\x94K\x10ub\x0c\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x95C\x00\x00\
    \x00\x00\x00\x00\x00\x8c\x01b\x94h\x04)\x81\x94}\x94(h\x07h\n\
    h\x0bK\x02\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x02U2\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNK\x08\
    K\x04K\x08t\x94bh\x17\x88h\x18K\x10ub\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xffx\x00\x00\
    \x00\x00\x00\x00\x00y\x00\x00\x00z\x00\x00\x00\x95K\x00\x00\x00\x00\x00\x00\x00\x8c\x01o\x94\
    h\x04)\x81\x94}\x94(h\x07h\nh\x0bK\x02\x85\x94h\x0dh\x0eh\x0fh\x11\x8c\x02O8\x94\x89\x88\x87\
    \x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94bh\x17\x89h\x18K\x10\
    ub\x80\x05\x95\x90\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_re\
    construct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\
    \x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02O8\x94\x89\x88\x87\x94R\x94\
    (K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94b\x89]\x94(K\x01\x8c\x01s\x94\
    et\x94b.\x95'\x00\x00\x00\x00\x00\x00\x00\x8c\x01c\x94h\x04)\x81\x94}\x94(h\x07h\n\
    h\x0bK\x03\x85\x94h\x0dh\x0eh\x0fh\x14h\x17\x88h\x18K\x10ub\x10\xff\xff\xff\xff\xff\xff\xff\
    \xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \xf0?\x00\x00\x00\x00\x00\x00\x00@u.";

    /// `joblib.dump(protocol=2)` of structured, datetime64, big-endian 2-D and bool arrays (788 bytes, FNV-1a 0x64481f071c1fcb64).
    const JOBLIB_STRUCTURED_P2: &[u8] = b"\x80\x02]q\x00(cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x01)\x81q\x02}q\x03(X\x08\x00\x00\
    \x00subclassq\x04cnumpy\nndarray\nq\x05X\x05\x00\x00\x00shapeq\x06K\x02\x85q\x07X\x05\x00\x00\
    \x00orderq\x08X\x01\x00\x00\x00Cq\x09X\x05\x00\x00\x00dtypeq\n\
    cnumpy\ndtype\nq\x0bX\x03\x00\x00\x00V16q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00\
    |q\x0fNX\x01\x00\x00\x00aq\x10X\x01\x00\x00\x00bq\x11\x86q\x12}q\x13(h\x10h\x0bX\x02\x00\x00\
    \x00i8q\x14\x89\x88\x87q\x15Rq\x16(K\x03X\x01\x00\x00\x00<q\x17NNNJ\xff\xff\xff\xffJ\xff\xff\
    \xff\xffK\x00tq\x18bK\x00\x86q\x19h\x11h\x0bX\x02\x00\x00\x00f8q\x1a\x89\x88\x87q\x1bRq\x1c\
    (K\x03h\x17NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x1dbK\x08\x86q\x1euK\x10K\x01K\x10t\
    q\x1fbX\n\x00\x00\x00allow_mmapq \x88X\x1b\x00\x00\x00numpy_array_alignment_bytesq!K\x10ub\x06\
    \xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00h\x01)\x81q\"}q#(h\x04h\x05h\x06\
    K\x02\x85q$h\x08h\x09h\nh\x0bX\x02\x00\x00\x00M8q%\x89\x88\x87q&Rq'(K\x04h\x17NNNJ\xff\xff\xff\
    \xffJ\xff\xff\xff\xffK\x00N(c_codecs\nencode\nq(X\x02\x00\x00\x00nsq)X\x06\x00\x00\x00latin\
    1q*\x86q+Rq,K\x01K\x01K\x01tq-\x86q.tq/bh \x88h!K\x10ub\x04\xff\xff\xff\xff\x00\x00\x8a\xb9\
    5\x9a\xe5\x15\x00\x00|x\x9d\xf2U\x16h\x01)\x81q0}q1(h\x04h\x05h\x06K\x02K\x03\x86q2h\x08h\x09\
    h\nh\x0bX\x02\x00\x00\x00i4q3\x89\x88\x87q4Rq5(K\x03X\x01\x00\x00\x00>q6NNNJ\xff\xff\xff\xff\
    J\xff\xff\xff\xffK\x00tq7bh \x88h!K\x10ub\x08\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\
    \x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05h\x01)\x81q\
    8}q9(h\x04h\x05h\x06K\x02\x85q:h\x08h\x09h\nh\x0bX\x02\x00\x00\x00b1q;\x89\x88\x87q<Rq=(K\x03\
    h\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq>bh \x88h!K\x10ub\x08\xff\xff\xff\xff\xff\xff\
    \xff\xff\x01\x00e.";

    const JOBLIB_FNV: u64 = 0x490c_bb4e_69af_7cb4;

    fn fnv1a(data: &[u8]) -> u64 {
        data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    fn names(s: &Scan) -> Vec<(String, String, &'static str, bool)> {
        s.globals
            .iter()
            .map(|g| (g.module.clone(), g.name.clone(), g.opcode, g.called))
            .collect()
    }

    fn g(m: &str, n: &str, op: &'static str, called: bool) -> (String, String, &'static str, bool) {
        (m.to_owned(), n.to_owned(), op, called)
    }

    /// Deterministic xorshift for the no-panic tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % (n as u64)) as usize
        }
    }

    #[test]
    fn mltk_092_cell_is_walked_completely() {
        assert_eq!(MLTK_092_CELL.len(), 1153);
        assert_eq!(fnv1a(MLTK_092_CELL), 0xd0d5_04a7_f77c_b786);
        assert!(looks_like_pickle(MLTK_092_CELL));
        let s = scan(MLTK_092_CELL).expect("complete walk");
        assert_eq!(s.protocol, 0);
        assert_eq!(s.end_offset, MLTK_092_CELL.len());
        assert_eq!(s.trailing, 0);
        assert!(s.nested.is_empty());
        assert_eq!(
            names(&s),
            vec![
                g("copy_reg", "_reconstructor", "GLOBAL", true),
                g(
                    "algos.LogisticRegressionWithSpark",
                    "LogisticRegressionWithSpark",
                    "GLOBAL",
                    false
                ),
                g("__builtin__", "object", "GLOBAL", false),
                g(
                    "sklearn.linear_model.logistic",
                    "LogisticRegression",
                    "GLOBAL",
                    false
                ),
                g("numpy.core.multiarray", "_reconstruct", "GLOBAL", true),
                g("numpy", "ndarray", "GLOBAL", false),
                g("numpy", "dtype", "GLOBAL", true),
            ]
        );
        let offsets: Vec<usize> = s.globals.iter().map(|g| g.offset).collect();
        assert_eq!(offsets, vec![0, 29, 95, 359, 442, 483, 530]);
        // 7 REDUCE (two _reconstructor, three _reconstruct, two dtype) + 7 BUILD.
        assert_eq!(s.calls, 14);
        for gl in &s.globals {
            assert_eq!(gl.danger(), Danger::Normal, "{gl}");
        }
        assert_eq!(s.worst(), Danger::Normal);
        // serde-pickle decodes it (copyreg._reconstructor becomes a dict).
        assert!(decode_value(MLTK_092_CELL).is_some());
    }

    #[test]
    fn plain_data_in_every_protocol_has_no_globals() {
        let all = [PLAIN_P0, PLAIN_P1, PLAIN_P2, PLAIN_P3, PLAIN_P4, PLAIN_P5];
        for (p, data) in all.iter().enumerate() {
            let s = scan(data).unwrap_or_else(|e| panic!("protocol {p}: {e}"));
            assert!(s.globals.is_empty(), "protocol {p}: {:?}", s.globals);
            assert!(s.nested.is_empty(), "protocol {p}");
            assert_eq!(usize::from(s.protocol), if p >= 2 { p } else { 0 });
            assert_eq!(s.trailing, 0);
            assert_eq!(s.calls, 0);
            assert!(looks_like_pickle(data), "protocol {p}");
            let v = decode_value(data).unwrap_or_else(|| panic!("decode protocol {p}"));
            let serde_pickle::Value::Dict(d) = v else {
                panic!("protocol {p}: not a dict");
            };
            let name = d.get(&serde_pickle::HashableValue::String("name".into()));
            assert_eq!(
                name,
                Some(&serde_pickle::Value::String("model".into())),
                "protocol {p}"
            );
            let values = d.get(&serde_pickle::HashableValue::String("values".into()));
            let Some(serde_pickle::Value::List(values)) = values else {
                panic!("protocol {p}: values");
            };
            assert_eq!(values.len(), 8);
            assert_eq!(
                values[7],
                serde_pickle::Value::String("ü".into()),
                "protocol {p}"
            );
        }
    }

    #[test]
    fn global_reduce_of_os_system_protocol_0() {
        let data = b"cos\nsystem\n(S'echo pwned'\ntR.";
        let s = scan(data).expect("valid");
        assert_eq!(names(&s), vec![g("os", "system", "GLOBAL", true)]);
        assert_eq!(s.calls, 1);
        assert!(matches!(s.worst(), Danger::Dangerous(_)));
        assert!(danger_reason("os", "system").contains("`os.system`"));
        assert!(looks_like_pickle(data));
        // decode_value never runs it: serde-pickle maps it to an opaque global.
        assert_eq!(decode_value(data), Some(serde_pickle::Value::None));
    }

    #[test]
    fn stack_global_from_memoised_strings_protocol_4() {
        // PROTO 4; 'os' MEMOIZE; 'system' MEMOIZE; POP; POP;
        // BINGET 0; BINGET 1; STACK_GLOBAL; MEMOIZE; 'echo pwned'; TUPLE1; REDUCE; STOP
        let data =
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x9400h\x00h\x01\x93\x94\x8c\x0aecho pwned\x85R.";
        let s = scan(data).expect("valid");
        assert_eq!(s.protocol, 4);
        assert_eq!(names(&s), vec![g("os", "system", "STACK_GLOBAL", true)]);
        assert_eq!(s.globals[0].offset, 22);
        assert!(matches!(classify("os", "system"), Danger::Dangerous(_)));

        // Called later through the memo: `called` is still attributed.
        let data = b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x94\x8c\x011\x85\x940h\x00h\x01R.";
        let s = scan(data).expect("valid");
        assert_eq!(names(&s), vec![g("builtins", "eval", "STACK_GLOBAL", true)]);

        // Operands that are not string constants are reported as "?".
        let data = b"\x80\x04\x8c\x02os\x8c\x08builtins\x8c\x03str\x93\x8c\x06system\x85R\x93).";
        let s = scan_partial(data, &Limits::default());
        assert!(s.error.is_none(), "{:?}", s.error);
        assert_eq!(
            names(&s),
            vec![
                g("builtins", "str", "STACK_GLOBAL", true),
                g("os", "?", "STACK_GLOBAL", false),
            ]
        );
        assert!(matches!(s.globals[1].danger(), Danger::Dangerous(_)));
    }

    #[test]
    fn inst_and_obj_forms() {
        let inst = b"(S'echo pwned'\nios\nsystem\n.";
        let s = scan(inst).expect("valid");
        assert_eq!(names(&s), vec![g("os", "system", "INST", true)]);
        assert_eq!(s.calls, 1);

        let obj = b"(cos\nsystem\nS'echo pwned'\no.";
        let s = scan(obj).expect("valid");
        assert_eq!(names(&s), vec![g("os", "system", "GLOBAL", true)]);
        assert_eq!(s.calls, 1);

        // Protocol-2 NEWOBJ and protocol-4 NEWOBJ_EX.
        let newobj = b"\x80\x02csubprocess\nPopen\n)\x81.";
        let s = scan(newobj).expect("valid");
        assert_eq!(names(&s), vec![g("subprocess", "Popen", "GLOBAL", true)]);
        let newobj_ex = b"\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93)}\x92.";
        let s = scan(newobj_ex).expect("valid");
        assert_eq!(
            names(&s),
            vec![g("subprocess", "Popen", "STACK_GLOBAL", true)]
        );

        // OBJ without a class is a stack underflow, as in CPython.
        assert!(matches!(
            scan(b"(o."),
            Err(ScanError::Malformed { offset: 1, .. })
        ));
    }

    #[test]
    fn nested_pickles_in_constants() {
        let s = scan(NESTED_BYTES_P4).expect("valid");
        assert!(s.globals.is_empty());
        assert_eq!(s.nested.len(), 1);
        let n = &s.nested[0];
        assert_eq!(n.source_opcode, Some("SHORT_BINBYTES"));
        assert!(n.is_complete());
        assert_eq!(names(n), vec![g("os", "system", "GLOBAL", true)]);
        assert!(matches!(s.worst(), Danger::Dangerous(_)));
        assert_eq!(s.all_globals().len(), 1);

        let s = scan(NESTED_STR_P0).expect("valid");
        assert!(s.globals.is_empty());
        assert_eq!(s.nested.len(), 1);
        assert_eq!(s.nested[0].source_opcode, Some("UNICODE"));
        assert_eq!(names(&s.nested[0]), vec![g("os", "system", "GLOBAL", true)]);

        let s = scan(NESTED_BIN_P2).expect("valid");
        assert_eq!(s.nested.len(), 2);
        assert!(s.nested[0].globals.is_empty());
        assert_eq!(s.nested[0].protocol, 2);
        assert_eq!(
            names(&s.nested[1]),
            vec![g("os", "system", "STACK_GLOBAL", true)]
        );

        // Nesting is capped.
        let none = Limits {
            max_nesting: 0,
            ..Limits::default()
        };
        assert!(
            scan_with(NESTED_BYTES_P4, &none)
                .expect("valid")
                .nested
                .is_empty()
        );
    }

    #[test]
    fn pickle_bombs_hit_a_limit_quickly() {
        // DUP + TUPLE2 doubles the materialised size at every step.
        let mut dup = b"\x80\x02N".to_vec();
        for _ in 0..200 {
            dup.extend_from_slice(b"2\x86");
        }
        dup.push(b'.');
        let s = scan_partial(&dup, &Limits::default());
        assert!(
            matches!(
                s.error,
                Some(ScanError::LimitExceeded {
                    what: "expansion",
                    ..
                })
            ),
            "{:?}",
            s.error
        );
        assert!(s.ops < 100, "{}", s.ops);
        assert!(decode_value(&dup).is_none());

        // Memoised lists: x[i+1] = [x[i], x[i]] via EMPTY_LIST, MEMOIZE, MARK,
        // LONG_BINGET, LONG_BINGET, APPENDS, POP.
        let mut lists = b"\x80\x04]\x940".to_vec();
        for i in 0u32..200 {
            lists.extend_from_slice(b"]\x94(j");
            lists.extend_from_slice(&i.to_le_bytes());
            lists.push(b'j');
            lists.extend_from_slice(&i.to_le_bytes());
            lists.extend_from_slice(b"e0");
        }
        lists.extend_from_slice(b"j\xc7\x00\x00\x00.");
        let s = scan_partial(&lists, &Limits::default());
        assert!(
            matches!(
                s.error,
                Some(ScanError::LimitExceeded {
                    what: "expansion",
                    ..
                })
            ),
            "{:?}",
            s.error
        );
        assert!(s.ops < 300, "{}", s.ops);

        // A smaller bomb walks fine but is refused by decode_value.
        let mut small = b"\x80\x04]\x940".to_vec();
        for i in 0u32..30 {
            small.extend_from_slice(b"]\x94(j");
            small.extend_from_slice(&i.to_le_bytes());
            small.push(b'j');
            small.extend_from_slice(&i.to_le_bytes());
            small.extend_from_slice(b"e0");
        }
        small.extend_from_slice(b"j\x1e\x00\x00\x00.");
        let s = scan(&small).expect("within the default expansion");
        assert!(s.expansion > DECODE_MAX_EXPANSION, "{}", s.expansion);
        assert!(decode_value(&small).is_none());

        // Growth after sharing is flagged.
        let s = scan(b"]\x94h\x00a.").expect("valid");
        assert!(s.aliased_growth);
    }

    #[test]
    fn limits_are_enforced() {
        let tiny = |f: fn(&mut Limits)| {
            let mut l = Limits::default();
            f(&mut l);
            l
        };
        let what = |data: &[u8], l: &Limits| match scan_with(data, l) {
            Err(ScanError::LimitExceeded { what, .. }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(what(PLAIN_P4, &tiny(|l| l.max_ops = 5)), "opcodes");
        assert_eq!(what(PLAIN_P4, &tiny(|l| l.max_memo = 2)), "memo entries");
        assert_eq!(what(PLAIN_P4, &tiny(|l| l.max_stack = 3)), "stack entries");
        assert_eq!(what(PLAIN_P4, &tiny(|l| l.max_bytes = 8)), "text bytes");
        assert_eq!(what(PLAIN_P4, &tiny(|l| l.max_expansion = 10)), "expansion");
        let many = [b"cos\nsystem\n0".repeat(20), b"N.".to_vec()].concat();
        assert_eq!(what(&many, &tiny(|l| l.max_globals = 10)), "globals");
        assert_eq!(
            what(NESTED_BIN_P2, &tiny(|l| l.max_nested = 1)),
            "nested pickles"
        );
        let deep = [b"(".repeat(100), b"N.".to_vec()].concat();
        assert_eq!(what(&deep, &tiny(|l| l.max_stack = 50)), "stack entries");
    }

    #[test]
    fn a_nested_pickle_shares_its_outer_scans_limits() {
        // A list of four ints and a bytes constant that is itself a pickle of a list of three
        // ints: the outer scan holds six entries at most (mark, four ints, the constant), the
        // nested one five, and the nested one runs while the outer holds five.
        let inner = b"\x80\x03(K\x00K\x00K\x00l.";
        let outer = [
            b"\x80\x03(K\x00K\x00K\x00K\x00C".as_slice(),
            &[inner.len() as u8],
            inner,
            b"l.",
        ]
        .concat();
        let nested_error = |max_stack| {
            let limits = Limits {
                max_stack,
                ..Limits::default()
            };
            let s = scan_with(&outer, &limits).expect("the outer pickle fits");
            assert_eq!(s.nested.len(), 1, "{max_stack}: {s:?}");
            s.nested[0].error.clone()
        };
        assert_eq!(nested_error(10), None);
        // Seven would do for either alone; together they need ten, and the limit says so.
        assert!(matches!(
            nested_error(7),
            Some(ScanError::LimitExceeded {
                what: "stack entries",
                ..
            })
        ));
    }

    #[test]
    fn truncation_at_every_offset_never_panics() {
        let samples: [&[u8]; 6] = [
            PLAIN_P0,
            PLAIN_P4,
            PLAIN_P5,
            MLTK_092_CELL,
            NESTED_BYTES_P4,
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x9400h\x00h\x01\x93\x94\x8c\x0aecho pwned\x85R.",
        ];
        for data in samples {
            for i in 0..data.len() {
                let s = scan_partial(&data[..i], &Limits::default());
                assert!(
                    matches!(
                        s.error,
                        Some(ScanError::Truncated { .. } | ScanError::NoStop { .. })
                    ),
                    "cut at {i}: {:?}",
                    s.error
                );
                let _ = looks_like_pickle(&data[..i]);
                assert!(decode_value(&data[..i]).is_none());
            }
        }
        // Globals before the cut are still reported: they would already have run.
        let data = b"cos\nsystem\n(S'echo pwned'\ntR.";
        let s = scan_partial(&data[..data.len() - 1], &Limits::default());
        assert_eq!(
            s.error,
            Some(ScanError::NoStop {
                offset: data.len() - 1
            })
        );
        assert_eq!(names(&s), vec![g("os", "system", "GLOBAL", true)]);
    }

    #[test]
    fn random_and_mutated_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let small = Limits {
            max_ops: 100_000,
            ..Limits::default()
        };
        for _ in 0..3000 {
            let len = rng.below(300);
            let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if rng.below(2) == 0 && data.len() > 2 {
                data[0] = 0x80;
                data[1] = (rng.below(6)) as u8;
            }
            let _ = scan_partial(&data, &small);
            let _ = looks_like_pickle(&data);
            let _ = decode_value(&data);
        }
        let seeds: [&[u8]; 5] = [PLAIN_P0, PLAIN_P2, PLAIN_P5, MLTK_092_CELL, JOBLIB_DUMP];
        for seed in seeds {
            for _ in 0..400 {
                let mut data = seed.to_vec();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(data.len());
                    data[i] = rng.next() as u8;
                }
                let _ = scan_partial(&data, &small);
                let _ = scan_stream(&data, &small);
                let _ = looks_like_pickle(&data);
                let _ = decode_value(&data);
            }
        }
    }

    #[test]
    fn sniffing() {
        for yes in [
            MLTK_092_CELL,
            PLAIN_P0,
            PLAIN_P1,
            PLAIN_P2,
            PLAIN_P3,
            PLAIN_P4,
            PLAIN_P5,
            JOBLIB_DUMP,
            b"(dp0\nVa\np1\nI1\ns.",
            b"(lp0\nI1\na.",
            b"ccopy_reg\n_reconstructor\np0\n(c__main__\nA\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n.",
            b"N.",
        ] {
            assert!(looks_like_pickle(yes), "{:?}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b""[..],
            b"\x80",
            b"\x80\x04",
            b"{\"algo\": \"LinearRegression\"}",
            b"[1, 2, 3]",
            b"  {\"a\": 1}",
            b"\n[]",
            b"\"text\"",
            b"123",
            b"-1",
            b"null",
            b"true",
            b"false",
            b"algo,model,options\nLinearRegression,\"{\"\"a\"\"\"\": 1}\",{}\n",
            b"Value,count\n1,2\n",
            b"(see below)",
            b"(hello world)\n",
            b"cat\ndog\nfish\n",
            b"code,name\nfoo,bar\n",
            b"Ipsum lorem\n",
            b"S'unterminated\n",
            b"\x80\x04\xff",
            b"\x80\x02a",
        ] {
            assert!(!looks_like_pickle(no), "{:?}", String::from_utf8_lossy(no));
        }
        // Long text-like prefix without STOP within 4 KiB but valid opcodes.
        let mut long = b"(lp0\n".to_vec();
        for _ in 0..2000 {
            long.extend_from_slice(b"I1\na");
        }
        long.push(b'.');
        assert!(looks_like_pickle(&long));
    }

    #[test]
    fn joblib_inline_arrays_are_skipped() {
        let s = scan(JOBLIB_DUMP).expect("joblib-aware walk");
        assert_eq!(fnv1a(JOBLIB_DUMP), JOBLIB_FNV);
        assert_eq!(s.joblib_arrays, 4);
        assert_eq!(s.trailing, 0);
        assert_eq!(s.end_offset, JOBLIB_DUMP.len());
        let q: Vec<String> = s.globals.iter().map(Global::qualified).collect();
        assert_eq!(
            q,
            vec![
                "joblib.numpy_pickle.NumpyArrayWrapper",
                "numpy.ndarray",
                "numpy.dtype",
                "numpy._core.multiarray._reconstruct",
                "numpy.ndarray",
                "numpy.dtype",
            ]
        );
        assert!(s.globals.iter().all(|g| g.danger() == Danger::Normal));
        assert!(s.nested.is_empty());
        // Without the joblib model the raw array bytes are not opcodes.
        let plain = Limits {
            joblib_arrays: false,
            ..Limits::default()
        };
        assert!(scan_with(JOBLIB_DUMP, &plain).is_err());
        assert!(decode_value(JOBLIB_DUMP).is_none());
    }

    #[test]
    fn joblib_structured_datetime_and_bool_arrays() {
        assert_eq!(fnv1a(JOBLIB_STRUCTURED_P2), 0x6448_1f07_1c1f_cb64);
        let s = scan(JOBLIB_STRUCTURED_P2).expect("joblib-aware walk");
        assert_eq!(s.protocol, 2);
        assert_eq!(s.joblib_arrays, 4);
        assert_eq!(s.end_offset, JOBLIB_STRUCTURED_P2.len());
        assert!(s.globals.iter().all(|g| g.danger() == Danger::Normal));
        assert!(s.nested.is_empty());
    }

    #[test]
    fn joblib_array_data_is_sniffed_for_hidden_pickles() {
        // Replace the 24 raw bytes of the first float array of JOBLIB_DUMP
        // (after the 0x0c padding-length byte and 12 padding bytes) with a
        // protocol-0 os.system pickle that plain pickle.load would run.
        let mut data = JOBLIB_DUMP.to_vec();
        let pad = data
            .windows(13)
            .position(|w| w[0] == 0x0c && w[1..].iter().all(|&b| b == 0xff))
            .expect("padding");
        let payload = b"cos\nsystem\n)R.";
        let start = pad + 13;
        data[start..start + payload.len()].copy_from_slice(payload);
        let s = scan(&data).expect("joblib-aware walk");
        assert_eq!(s.nested.len(), 1);
        assert_eq!(s.nested[0].source_opcode, Some("joblib array data"));
        assert_eq!(names(&s.nested[0]), vec![g("os", "system", "GLOBAL", true)]);
        assert!(matches!(s.worst(), Danger::Dangerous(_)));
    }

    #[test]
    fn protocol_5_and_misc_opcodes() {
        let s = scan(BYTEARRAY_P5).expect("valid");
        assert_eq!(s.protocol, 5);
        assert!(s.globals.is_empty());
        let s = scan(OOB_P5).expect("valid");
        assert!(s.globals.is_empty());
        assert!(OOB_P5.contains(&0x97) && OOB_P5.contains(&0x98));
        let s = scan(SET_P4).expect("valid");
        assert!(s.globals.is_empty());
        let s = scan(BYTES_P2).expect("valid");
        assert_eq!(names(&s), vec![g("_codecs", "encode", "GLOBAL", true)]);
        assert_eq!(s.worst(), Danger::Normal);
        assert_eq!(
            decode_value(BYTES_P2),
            Some(serde_pickle::Value::Bytes(b"raw".to_vec()))
        );
        let s = scan(SET_P0).expect("valid");
        assert_eq!(names(&s), vec![g("__builtin__", "set", "GLOBAL", true)]);
        assert_eq!(s.worst(), Danger::Normal);

        // Extension codes and persistent ids are reported.
        let s = scan(b"\x80\x02\x82\x05\x83\x00\x01\x84\x07\x00\x00\x00\x87.").expect("valid");
        assert_eq!(
            names(&s),
            vec![
                g("copyreg", "extension code 5", "EXT1", false),
                g("copyreg", "extension code 256", "EXT2", false),
                g("copyreg", "extension code 7", "EXT4", false),
            ]
        );
        assert_eq!(s.globals[0].danger(), Danger::Unknown);
        let s = scan(b"Pstorage-1\n.").expect("valid");
        assert_eq!(
            names(&s),
            vec![g("persistent_load", "storage-1", "PERSID", true)]
        );
        let s = scan(b"\x80\x02X\x07\x00\x00\x00storage\x85Q.").expect("valid");
        assert_eq!(
            names(&s),
            vec![g("persistent_load", "storage", "BINPERSID", true)]
        );

        // Integers in every encoding, LONG1/LONG4, BINFLOAT, DUP, POP_MARK.
        let s = scan(b"\x80\x02(K\x01M\x02\x01J\xff\xff\xff\xff\x8a\x02\x00\x01\x8b\x01\x00\x00\x00\xffG\x3f\xf0\x00\x00\x00\x00\x00\x00\x882\x89\x8c\x00l(N1.")
            .expect("valid");
        assert_eq!(s.ops, 17);

        // Trailing data and consecutive pickles.
        let two = [PLAIN_P2, PLAIN_P4].concat();
        let s = scan(&two).expect("first pickle");
        assert_eq!(s.end_offset, PLAIN_P2.len());
        assert_eq!(s.trailing, PLAIN_P4.len());
        let all = scan_stream(&two, &Limits::default());
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].start_offset, PLAIN_P2.len());
        assert_eq!(all[1].end_offset, two.len());
        assert_eq!(all[1].protocol, 4);
    }

    #[test]
    fn errors_mirror_cpython() {
        assert_eq!(scan(b""), Err(ScanError::NoStop { offset: 0 }));
        assert_eq!(scan(b"N"), Err(ScanError::NoStop { offset: 1 }));
        assert_eq!(
            scan(b"N\xff."),
            Err(ScanError::UnknownOpcode {
                op: 0xff,
                offset: 1
            })
        );
        assert_eq!(
            scan(b"\x80\x02X\x05\x00\x00\x00ab"),
            Err(ScanError::Truncated { offset: 2 })
        );
        assert_eq!(
            scan(b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N."),
            Err(ScanError::Truncated { offset: 2 })
        );
        for (data, offset) in [
            (&b"a."[..], 0),                       // APPEND on an empty stack
            (b".", 0),                             // STOP on an empty stack
            (b"(.", 1),                            // STOP on a mark
            (b"Nt.", 1),                           // TUPLE without MARK
            (b"S'abc\n.", 0),                      // unquoted STRING
            (b"S'\\x4'\n.", 0),                    // bad escape
            (b"\x80\x09N.", 0),                    // unsupported protocol
            (b"\x80\x02h\x05.", 2),                // memo miss
            (b"g-1\n.", 0),                        // negative GET
            (b"Np-1\n.", 1),                       // negative PUT
            (b"(NNNd.", 4),                        // odd DICT
            (b"}(Nu.", 3),                         // odd SETITEMS
            (b"\x80\x02\x8b\xff\xff\xff\xff.", 2), // negative LONG4 length
            (b"\x80\x02\x85.", 2),                 // TUPLE1 on an empty stack
        ] {
            match scan(data) {
                Err(ScanError::Malformed { offset: o, .. }) => {
                    assert_eq!(o, offset, "{:?}", String::from_utf8_lossy(data));
                }
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(data)),
            }
        }
        // Lenient where CPython is: odd numbers still walk.
        assert!(scan(b"I 1_000 \nF1e5\nL12L\n\x86.").is_ok());
        assert_eq!(ScanError::NoStop { offset: 3 }.offset(), 3);
        assert!(
            ScanError::UnknownOpcode {
                op: 0xff,
                offset: 7
            }
            .to_string()
            .contains("0xff")
        );
    }

    #[test]
    fn classification() {
        let dangerous = [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("os.path", "join"),
            ("subprocess", "Popen"),
            ("commands", "getoutput"),
            ("sys", "modules"),
            ("__builtin__", "eval"),
            ("builtins", "exec"),
            ("__builtin__", "execfile"),
            ("builtins", "compile"),
            ("builtins", "open"),
            ("builtins", "__import__"),
            ("builtins", "getattr"),
            ("builtins", "setattr"),
            ("builtins", "delattr"),
            ("builtins", "globals"),
            ("builtins", "locals"),
            ("builtins", "vars"),
            ("builtins", "input"),
            ("builtins", "breakpoint"),
            ("__builtin__", "apply"),
            ("runpy", "_run_code"),
            ("socket", "create_connection"),
            ("shutil", "rmtree"),
            ("importlib", "import_module"),
            ("pty", "spawn"),
            ("webbrowser", "open"),
            ("ctypes", "CDLL"),
            ("multiprocessing.util", "spawnv_passfds"),
            ("code", "InteractiveInterpreter"),
            ("codeop", "compile_command"),
            ("pickle", "loads"),
            ("_pickle", "load"),
            ("cPickle", "loads"),
            ("marshal", "loads"),
            ("types", "CodeType"),
            ("types", "FunctionType"),
            ("functools", "partial"),
            ("operator", "attrgetter"),
            ("operator", "methodcaller"),
            ("_operator", "itemgetter"),
            ("pydoc", "pipepager"),
            ("timeit", "timeit"),
            ("platform", "popen"),
            ("asyncio.subprocess", "create_subprocess_shell"),
            ("numpy", "load"),
            ("numpy.testing._private.utils", "runstring"),
            ("pandas", "read_pickle"),
            ("joblib", "load"),
            ("sklearn.externals.joblib", "load"),
            ("sklearn.utils", "os.system"),
            ("numpy", "__builtins__.eval"),
            ("?", "system"),
            ("os", "?"),
            ("?", "?"),
        ];
        for (m, n) in dangerous {
            assert!(matches!(classify(m, n), Danger::Dangerous(_)), "{m}.{n}");
            assert!(danger_reason(m, n).contains("dangerous"), "{m}.{n}");
        }
        let normal = [
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy", "dtype"),
            ("numpy", "ndarray"),
            ("copy_reg", "_reconstructor"),
            ("copyreg", "_reconstructor"),
            ("copyreg", "__newobj__"),
            ("__builtin__", "object"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
            ("builtins", "slice"),
            ("builtins", "complex"),
            ("builtins", "bytearray"),
            ("collections", "OrderedDict"),
            ("collections", "defaultdict"),
            ("sklearn.linear_model.logistic", "LogisticRegression"),
            ("sklearn.tree._tree", "Tree"),
            ("scipy.sparse.csr", "csr_matrix"),
            ("pandas.core.frame", "DataFrame"),
            ("joblib.numpy_pickle", "NumpyArrayWrapper"),
            ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
            (
                "algos.LogisticRegressionWithSpark",
                "LogisticRegressionWithSpark",
            ),
            ("codec.codecs", "SimpleObjectCodec"),
            ("_codecs", "encode"),
        ];
        for (m, n) in normal {
            assert_eq!(classify(m, n), Danger::Normal, "{m}.{n}");
            assert!(danger_reason(m, n).contains("standard"), "{m}.{n}");
        }
        let unknown = [
            ("collections", "namedtuple"),
            ("mypackage.model", "Thing"),
            ("codecs", "open"),
            ("copyreg", "extension code 5"),
            ("persistent_load", "storage"),
            ("builtins", "type"),
            ("pandas", "read_csv"),
        ];
        for (m, n) in unknown {
            assert_eq!(classify(m, n), Danger::Unknown, "{m}.{n}");
            assert!(danger_reason(m, n).contains("not among"), "{m}.{n}");
        }
        assert_eq!(normalize_module("__builtin__"), "builtins");
        assert_eq!(normalize_module("numpy"), "numpy");
    }

    #[test]
    fn escape_decoders_match_python() {
        assert_eq!(
            escape_decode(b"a\\n\\x41\\101\\\\\\'\\q").as_deref(),
            Ok(&b"a\nAA\\'\\q"[..])
        );
        assert!(escape_decode(b"\\").is_err());
        assert!(escape_decode(b"\\x4").is_err());
        assert_eq!(
            raw_unicode_escape_decode(b"a\\u0041\\\\u0041\xe9").as_deref(),
            Ok("aA\\\\u0041é")
        );
        assert!(raw_unicode_escape_decode(b"\\u12").is_err());
        assert_eq!(parse_py_int(b" -1_000 "), Some(-1000));
        assert_eq!(parse_py_int(b"1__0"), None);
        assert_eq!(le_signed(&[0xff]), Some(-1));
        assert_eq!(le_signed(&[]), Some(0));
        assert_eq!(split_typecode("<M8[ns]"), Some(('M', "8")));
    }
}
