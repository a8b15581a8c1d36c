//! Every resource limit of one run, in one place (see `docs/robustness.md`).
//!
//! A linter reads files anyone can submit, so each decoder stops at a stated bound instead of
//! trusting sizes declared inside the input. Hitting a bound is a finding (MLTK109
//! `limit-exceeded`), never an abort: the rest of the file is still linted where possible.

use crate::codec::{npy, npz, pickle};

/// Default for [`Limits::max_file_size`]: 256 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// The bounds the linter enforces. [`Default`] gives the documented values; the CLI overrides
/// `max_file_size` with `--max-file-size`.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest file read, in bytes; a larger file is reported (MLTK109) without being read.
    pub max_file_size: u64,
    /// Deepest JSON nesting accepted in the `model` and `options` cells.
    pub json_max_depth: usize,
    /// NPY payloads: element count (product of the declared shape) and header length.
    pub npy: npy::Limits,
    /// NPZ (sparse) payloads: members and total declared uncompressed size (zip bombs).
    pub npz: npz::Limits,
    /// Pickle scanning: opcodes, memo and stack entries, copied text, expansion (bombs),
    /// nested pickles.
    pub pickle: pickle::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            json_max_depth: crate::json::DEFAULT_MAX_DEPTH,
            npy: npy::Limits::default(),
            npz: npz::Limits::default(),
            pickle: pickle::Limits::default(),
        }
    }
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
        if bytes >= unit && bytes % unit == 0 {
            return format!("{bytes} bytes ({} {name})", bytes / unit);
        }
    }
    format!("{bytes} bytes")
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
        assert_eq!(describe_size(256 << 20), "268435456 bytes (256 MiB)");
    }
}
