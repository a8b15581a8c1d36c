//! Every resource limit of one run, in one place (see `docs/robustness.md`).
//!
//! A linter reads files anyone can submit, so each decoder stops at a stated bound instead of
//! trusting sizes declared inside the input. Hitting a bound is a finding (MLTK109
//! `limit-exceeded`), never an abort: the rest of the file is still linted where possible.
//!
//! [`TABLE`] names every overridable limit: the same names are used by `--limit NAME=VALUE`,
//! by the `[limits]` configuration table and in MLTK109 messages.

use crate::codec::{npy, npz, pickle};

/// Default for [`Limits::max_file_size`]: 256 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// Default for [`Limits::max_string_len`]: 256 MiB.
pub const DEFAULT_MAX_STRING_LEN: u64 = 256 << 20;

/// The bounds the linter enforces. [`Default`] gives the documented values; the CLI
/// (`--limit`, `--max-file-size`) and the configuration (`[limits]`) override them through
/// [`TABLE`].
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest file read, in bytes; a larger file is reported (MLTK109) without being read.
    pub max_file_size: u64,
    /// Deepest JSON nesting accepted in the `model` and `options` cells.
    pub json_max_depth: usize,
    /// Most JSON values accepted in each of the `model` and `options` cells.
    pub json_max_values: usize,
    /// Longest single JSON string (value or key) accepted in the `model` and `options` cells,
    /// in bytes (after unescaping). A longer `model` string (e.g. a base64 payload) is not
    /// decoded.
    pub max_string_len: u64,
    /// NPY payloads: element count (product of the declared shape) and header length. Also
    /// applies to the members of NPZ archives on the lint path.
    pub npy: npy::Limits,
    /// NPZ (sparse) payloads: members and total declared uncompressed size (zip bombs). Its
    /// `npy` member is replaced by [`Limits::npy`] when the `model` cell is decoded.
    pub npz: npz::Limits,
    /// Pickle scanning: opcodes, memo and stack entries, copied text, expansion (bombs),
    /// nested pickles.
    pub pickle: pickle::Limits,
    /// Findings of one rule reported for one file; the rest are counted in one MLTK109.
    pub max_findings_per_rule: usize,
}

/// Default for [`Limits::max_findings_per_rule`].
pub const DEFAULT_MAX_FINDINGS_PER_RULE: usize = 1000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            json_max_depth: crate::json::DEFAULT_MAX_DEPTH,
            json_max_values: crate::json::DEFAULT_MAX_VALUES,
            max_string_len: DEFAULT_MAX_STRING_LEN,
            npy: npy::Limits::default(),
            npz: npz::Limits::default(),
            pickle: pickle::Limits::default(),
            max_findings_per_rule: DEFAULT_MAX_FINDINGS_PER_RULE,
        }
    }
}

impl Limits {
    /// The JSON parser options for the `model` and `options` cells.
    pub fn json_options(&self) -> crate::json::ParseOptions {
        crate::json::ParseOptions {
            max_depth: self.json_max_depth,
            max_values: self.json_max_values,
        }
    }

    /// The NPZ limits on the lint path: [`Limits::npz`] with [`Limits::npy`] for its members.
    pub fn npz_limits(&self) -> npz::Limits {
        npz::Limits {
            npy: self.npy.clone(),
            ..self.npz.clone()
        }
    }

    /// Set the limit called `name` (a [`TABLE`] name) from its text, e.g. `("npy-elements",
    /// "1e6")`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let spec = spec(name).ok_or_else(|| unknown_name(name))?;
        let value = spec
            .parse(value)
            .map_err(|e| format!("limit `{name}`: {e}"))?;
        (spec.set)(self, value);
        Ok(())
    }

    /// Apply `--limit` overrides in order (a later one wins).
    pub fn apply(&mut self, overrides: &[LimitOverride]) {
        for o in overrides {
            (o.spec.set)(self, o.value);
        }
    }
}

/// How a limit's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A byte count: `1048576`, `64K`, `256M`, `1G` ([`parse_size`]).
    Bytes,
    /// A plain count: `1000000`, `1_000_000` or `1e6` ([`parse_count`]).
    Count,
}

/// One overridable limit: its name (CLI, configuration, messages) and where it lives.
#[derive(Debug)]
pub struct LimitSpec {
    /// The name in `--limit NAME=VALUE`, in `[limits]` and in MLTK109 messages.
    pub name: &'static str,
    /// How the value is written.
    pub unit: Unit,
    /// What it bounds (for `--help` and the documentation).
    pub about: &'static str,
    /// The `pickle::ScanError::LimitExceeded` `what` it corresponds to, for pickle limits.
    pub pickle_what: Option<&'static str>,
    /// Read the value.
    pub get: fn(&Limits) -> u64,
    /// Write the value.
    pub set: fn(&mut Limits, u64),
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn to_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Every overridable limit, by name. Not overridable: the nesting of pickles inside pickle
/// constants (3 levels, deeper ones are not scanned) and the 64 pickles scanned back to back
/// in one file.
pub static TABLE: &[LimitSpec] = &[
    LimitSpec {
        name: "file-size",
        unit: Unit::Bytes,
        about: "largest file read (also --max-file-size)",
        pickle_what: None,
        get: |l| l.max_file_size,
        set: |l, v| l.max_file_size = v,
    },
    LimitSpec {
        name: "json-depth",
        unit: Unit::Count,
        about: "JSON nesting levels in the model and options cells",
        pickle_what: None,
        get: |l| to_u64(l.json_max_depth),
        set: |l, v| l.json_max_depth = to_usize(v),
    },
    LimitSpec {
        name: "json-values",
        unit: Unit::Count,
        about: "JSON values (scalars and containers) in each of the model and options cells",
        pickle_what: None,
        get: |l| to_u64(l.json_max_values),
        set: |l, v| l.json_max_values = to_usize(v),
    },
    LimitSpec {
        name: "string-length",
        unit: Unit::Bytes,
        about: "longest JSON string (e.g. a base64 payload) in the model and options cells",
        pickle_what: None,
        get: |l| l.max_string_len,
        set: |l, v| l.max_string_len = v,
    },
    LimitSpec {
        name: "npy-elements",
        unit: Unit::Count,
        about: "elements of one npy array (product of its declared shape)",
        pickle_what: None,
        get: |l| l.npy.max_elements,
        set: |l, v| l.npy.max_elements = v,
    },
    LimitSpec {
        name: "npy-header",
        unit: Unit::Bytes,
        about: "declared length of an npy header",
        pickle_what: None,
        get: |l| to_u64(l.npy.max_header_len),
        set: |l, v| l.npy.max_header_len = to_usize(v),
    },
    LimitSpec {
        name: "npz-members",
        unit: Unit::Count,
        about: "members of one npz (sparse) archive",
        pickle_what: None,
        get: |l| to_u64(l.npz.max_members),
        set: |l, v| l.npz.max_members = to_usize(v),
    },
    LimitSpec {
        name: "npz-uncompressed",
        unit: Unit::Bytes,
        about: "total declared uncompressed size of an npz archive (zip bombs)",
        pickle_what: None,
        get: |l| l.npz.max_total_uncompressed,
        set: |l, v| l.npz.max_total_uncompressed = v,
    },
    LimitSpec {
        name: "npz-ratio",
        unit: Unit::Count,
        about: "times its compressed size a deflated npz member may inflate to (members over 64 KiB)",
        pickle_what: None,
        get: |l| l.npz.max_ratio,
        set: |l, v| l.npz.max_ratio = v,
    },
    LimitSpec {
        name: "pickle-ops",
        unit: Unit::Count,
        about: "opcodes walked in one pickle",
        pickle_what: Some("opcodes"),
        get: |l| to_u64(l.pickle.max_ops),
        set: |l, v| l.pickle.max_ops = to_usize(v),
    },
    LimitSpec {
        name: "pickle-memo",
        unit: Unit::Count,
        about: "pickle memo entries",
        pickle_what: Some("memo entries"),
        get: |l| to_u64(l.pickle.max_memo),
        set: |l, v| l.pickle.max_memo = to_usize(v),
    },
    LimitSpec {
        name: "pickle-stack",
        unit: Unit::Count,
        about: "pickle stack entries (marks included)",
        pickle_what: Some("stack entries"),
        get: |l| to_u64(l.pickle.max_stack),
        set: |l, v| l.pickle.max_stack = to_usize(v),
    },
    LimitSpec {
        name: "pickle-text",
        unit: Unit::Bytes,
        about: "text copied out of a pickle (string constants, names)",
        pickle_what: Some("text bytes"),
        get: |l| to_u64(l.pickle.max_bytes),
        set: |l, v| l.pickle.max_bytes = to_usize(v),
    },
    LimitSpec {
        name: "pickle-expansion",
        unit: Unit::Count,
        about: "size of a pickled value with shared references copied (pickle bombs)",
        pickle_what: Some("expansion"),
        get: |l| l.pickle.max_expansion,
        set: |l, v| l.pickle.max_expansion = v,
    },
    LimitSpec {
        name: "pickle-globals",
        unit: Unit::Count,
        about: "globals (imports) reported for one pickle, nested ones included",
        pickle_what: Some("globals"),
        get: |l| to_u64(l.pickle.max_globals),
        set: |l, v| l.pickle.max_globals = to_usize(v),
    },
    LimitSpec {
        name: "pickle-nested",
        unit: Unit::Count,
        about: "pickles nested inside pickle constants, in all",
        pickle_what: Some("nested pickles"),
        get: |l| to_u64(l.pickle.max_nested),
        set: |l, v| l.pickle.max_nested = to_usize(v),
    },
    LimitSpec {
        name: "findings-per-rule",
        unit: Unit::Count,
        about: "findings of one rule reported for one file; the rest are counted in one MLTK109",
        pickle_what: None,
        get: |l| to_u64(l.max_findings_per_rule),
        set: |l, v| l.max_findings_per_rule = to_usize(v),
    },
];

/// The limit called `name`.
pub fn spec(name: &str) -> Option<&'static LimitSpec> {
    TABLE.iter().find(|s| s.name == name)
}

/// The limit name for a pickle scan's `LimitExceeded { what }`.
pub fn pickle_limit_name(what: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|s| s.pickle_what == Some(what))
        .map(|s| s.name)
}

/// ` (limit `NAME`)` for the pickle limit whose `ScanError::LimitExceeded` `what` this is,
/// or nothing for a limit without a name.
pub fn pickle_tag(what: &str) -> String {
    pickle_limit_name(what)
        .map(|name| format!(" {}", tag(name)))
        .unwrap_or_default()
}

/// Every limit name, comma-separated.
pub fn names() -> String {
    TABLE.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// The error for an unknown limit name: a suggestion and the known names.
pub fn unknown_name(name: &str) -> String {
    let suggestion = TABLE
        .iter()
        .map(|s| (strsim::levenshtein(s.name, name), s.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    format!(
        "unknown limit `{name}`{suggestion}; known limits: {}",
        names()
    )
}

/// `(limit `NAME`)`, appended to MLTK109 messages.
pub fn tag(name: &str) -> String {
    format!("(limit `{name}`)")
}

/// The help of an MLTK109 finding for limit `name`.
pub fn raise_help(name: &str) -> String {
    format!(
        "if the file is genuine, raise the limit with `--limit {name}=VALUE` or `[limits] {name} = VALUE` in the configuration"
    )
}

impl LimitSpec {
    /// Parse a value for this limit.
    pub fn parse(&self, text: &str) -> Result<u64, String> {
        match self.unit {
            Unit::Bytes => parse_size(text).or_else(|e| parse_count(text).map_err(|_| e)),
            Unit::Count => parse_count(text),
        }
    }

    /// The default value, as written in the documentation (`256M`, `1000`).
    pub fn default_text(&self) -> String {
        let value = (self.get)(&Limits::default());
        match self.unit {
            Unit::Bytes => short_size(value),
            Unit::Count => value.to_string(),
        }
    }
}

/// One `--limit NAME=VALUE`.
#[derive(Debug, Clone, Copy)]
pub struct LimitOverride {
    /// The limit.
    pub spec: &'static LimitSpec,
    /// Its new value.
    pub value: u64,
}

impl std::str::FromStr for LimitOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "`{text}` is not NAME=VALUE (e.g. json-depth=200, npz-uncompressed=64M); known limits: {}",
                names()
            ));
        };
        let name = name.trim();
        let spec = spec(name).ok_or_else(|| unknown_name(name))?;
        let value = spec
            .parse(value)
            .map_err(|e| format!("limit `{name}`: {e}"))?;
        Ok(LimitOverride { spec, value })
    }
}

/// The `--limit` help: the syntax, every name and its default.
pub fn cli_help() -> String {
    let mut text = String::from(
        "Override a resource limit (repeatable); hitting one is an MLTK109 finding. Sizes take 64K, 256M, 1G; counts take 1000000 or 1e6. Limits (default):",
    );
    for spec in TABLE {
        text.push_str(&format!(
            "\n  {} ({}): {}",
            spec.name,
            spec.default_text(),
            spec.about
        ));
    }
    text
}

/// Parse a count such as `1000000`, `1_000_000` or `1e6` (an exact, non-negative integer).
pub fn parse_count(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a count (examples: 1000, 1_000_000, 1e6)");
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return Err(bad());
    }
    if clean.bytes().all(|b| b.is_ascii_digit()) {
        return clean.parse().map_err(|_| format!("`{text}` is too large"));
    }
    let (mantissa, exponent) = clean.split_once(['e', 'E']).ok_or_else(bad)?;
    let exponent: u32 = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .map_err(|_| bad())?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    let shift = exponent
        .checked_sub(u32::try_from(fraction.len()).map_err(|_| bad())?)
        .ok_or_else(|| format!("`{text}` is not a whole number"))?;
    let digits: u64 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| format!("`{text}` is too large"))?;
    10u64
        .checked_pow(shift)
        .and_then(|scale| digits.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parse a size such as `1048576`, `64K`, `256M`, `1G` (binary multiples, optional `iB`/`B`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    let stripped = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match stripped.as_bytes().last() {
        Some(b'K') => (&stripped[..stripped.len() - 1], 10),
        Some(b'M') => (&stripped[..stripped.len() - 1], 20),
        Some(b'G') => (&stripped[..stripped.len() - 1], 30),
        Some(b'T') => (&stripped[..stripped.len() - 1], 40),
        _ => (stripped, 0),
    };
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 1048576, 64K, 256M, 1G)"))?;
    value
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A byte count for messages: `268435456 bytes (256 MiB)`.
pub fn describe_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{bytes} bytes ({} {name})", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

/// A byte count as written on the command line: `256M`, `1G`, `64K`, `1000`.
pub fn short_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{}{name}", bytes / unit);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2MB"), Ok(2 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999T").is_err());
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let limits = Limits::default();
        assert_eq!(limits.max_file_size, 256 << 20);
        assert_eq!(limits.json_max_depth, 1000);
        assert_eq!(limits.npy.max_elements, 1 << 31);
        assert_eq!(limits.npz.max_total_uncompressed, 1 << 30);
        assert_eq!(limits.pickle.max_memo, 1_000_000);
        assert_eq!(limits.max_string_len, 256 << 20);
        assert_eq!(describe_size(256 << 20), "268435456 bytes (256 MiB)");
    }

    #[test]
    fn counts_parse() {
        assert_eq!(parse_count("1000"), Ok(1000));
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("2.5E3"), Ok(2500));
        assert_eq!(parse_count("1e+2"), Ok(100));
        assert_eq!(parse_count("0"), Ok(0));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("1.25e1").is_err());
        assert!(parse_count("-1").is_err());
        assert!(parse_count("1e30").is_err());
        assert!(parse_count("").is_err());
        assert!(parse_count("e5").is_err());
        assert!(parse_count("64K").is_err());
    }

    #[test]
    fn overrides_parse() {
        let o: LimitOverride = "json-depth=200".parse().expect("parse");
        assert_eq!((o.spec.name, o.value), ("json-depth", 200));
        let o: LimitOverride = "npy-elements=1e6".parse().expect("parse");
        assert_eq!(o.value, 1_000_000);
        let o: LimitOverride = "npz-uncompressed=64M".parse().expect("parse");
        assert_eq!(o.value, 64 << 20);
        let o: LimitOverride = "string-length=1e3".parse().expect("parse");
        assert_eq!(o.value, 1000);
        let o: LimitOverride = "pickle-memo = 10000".parse().expect("parse");
        assert_eq!(o.value, 10_000);
        let err = "json-dept=3".parse::<LimitOverride>().expect_err("unknown");
        assert!(err.contains("did you mean `json-depth`"), "{err}");
        assert!(err.contains("pickle-memo"), "{err}");
        let err = "json-depth".parse::<LimitOverride>().expect_err("no value");
        assert!(err.contains("NAME=VALUE"), "{err}");
        assert!("json-depth=deep".parse::<LimitOverride>().is_err());
        assert!("npy-elements=64K".parse::<LimitOverride>().is_err());
        let mut limits = Limits::default();
        limits.apply(&[
            "npy-elements=10".parse().expect("parse"),
            "npy-elements=20".parse().expect("parse"),
            "file-size=1K".parse().expect("parse"),
        ]);
        assert_eq!(limits.npy.max_elements, 20);
        assert_eq!(limits.npz_limits().npy.max_elements, 20);
        assert_eq!(limits.max_file_size, 1024);
        assert!(limits.set("pickle-stack", "5").is_ok());
        assert_eq!(limits.pickle.max_stack, 5);
        assert!(limits.set("pickle-stak", "5").is_err());
    }

    #[test]
    fn the_table_reads_and_writes_each_field() {
        let mut names = std::collections::BTreeSet::new();
        for spec in TABLE {
            assert!(names.insert(spec.name), "duplicate {}", spec.name);
            let mut limits = Limits::default();
            (spec.set)(&mut limits, 7);
            assert_eq!((spec.get)(&limits), 7, "{}", spec.name);
            assert_ne!(limits, Limits::default(), "{}", spec.name);
            assert!(cli_help().contains(spec.name));
        }
        assert_eq!(pickle_limit_name("memo entries"), Some("pickle-memo"));
        assert_eq!(pickle_limit_name("nesting levels"), None);
        assert_eq!(
            spec("npz-uncompressed")
                .map(LimitSpec::default_text)
                .as_deref(),
            Some("1G")
        );
    }
}
