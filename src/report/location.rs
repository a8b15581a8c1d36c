//! What every machine format needs from a finding: positions, a relative URI and a stable
//! fingerprint.

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::linter::FileReport;

/// One finding with its resolved positions (1-based; the end column is exclusive).
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// The path as reported.
    pub path: &'a str,
    /// The finding.
    pub diagnostic: &'a Diagnostic,
    /// Start line.
    pub line: usize,
    /// Start column, in characters.
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive), in characters.
    pub end_column: usize,
}

/// Every finding of `report`, in report order, with positions.
pub fn located(report: &FileReport) -> impl Iterator<Item = Located<'_>> {
    let artifact = &report.artifact;
    report.diagnostics.iter().map(move |d| {
        let start = artifact.lines.line_column(&artifact.bytes, d.span.start);
        let end = artifact.lines.line_column(&artifact.bytes, d.span.end);
        Located {
            path: &report.path,
            diagnostic: d,
            line: start.line.get(),
            column: start.column.get(),
            end_line: end.line.get(),
            end_column: end.column.get(),
        }
    })
}

/// A stable fingerprint of a finding: independent of line numbers, so it survives edits
/// elsewhere in the file. 32 hex digits from two FNV-1a 64-bit hashes of path, code,
/// pointer and message (NUL-separated).
pub fn fingerprint(path: &str, code: &str, pointer: Option<&str>, message: &str) -> String {
    let key = [path, code, pointer.unwrap_or(""), message].join("\0");
    let hash = |seed: u64| {
        let mut h = seed;
        for byte in key.as_bytes() {
            h ^= u64::from(*byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x6c62_272e_07bb_0142)
    )
}

/// The path as a URI reference relative to the working directory (forward slashes,
/// percent-encoded). An absolute path under the working directory is made relative; one
/// outside it becomes a `file://` URI.
pub fn relative_uri(path: &str) -> String {
    let p = Path::new(path);
    let mut text = path.to_owned();
    let mut absolute = false;
    if p.is_absolute() {
        let relative = std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf));
        match relative {
            Some(r) => text = r.to_string_lossy().into_owned(),
            None => absolute = true,
        }
    }
    let text = text.replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    let encoded = percent_encode(text);
    if absolute {
        format!("file://{}", if encoded.starts_with('/') { "" } else { "/" }) + &encoded
    } else {
        encoded
    }
}

/// An absolute directory as a `file://` URI ending in `/`.
pub(crate) fn directory_uri(dir: &Path) -> String {
    let text = dir.to_string_lossy().replace('\\', "/");
    let text = text.trim_end_matches('/');
    let slash = if text.starts_with('/') { "" } else { "/" };
    format!("file://{slash}{}/", percent_encode(text))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = fingerprint("a.mlmodel", "MLTK101", Some("/x"), "m");
        assert_eq!(a, fingerprint("a.mlmodel", "MLTK101", Some("/x"), "m"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("a.mlmodel", "MLTK101", Some("/y"), "m"));
        assert_ne!(a, fingerprint("b.mlmodel", "MLTK101", Some("/x"), "m"));
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(
            relative_uri("./lookups/a b.mlmodel"),
            "lookups/a%20b.mlmodel"
        );
        assert_eq!(relative_uri("<stdin>"), "%3Cstdin%3E");
        let cwd = std::env::current_dir().expect("cwd");
        let inside = cwd.join("x").join("__mlspl_m.mlmodel");
        assert_eq!(
            relative_uri(inside.to_str().expect("utf-8")),
            "x/__mlspl_m.mlmodel"
        );
    }
}
