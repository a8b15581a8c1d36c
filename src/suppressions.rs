//! Suppression outside the artifact (an `.mlmodel` has no comment syntax): a baseline of
//! known findings and an expected-findings file with a reason for each entry. Both are keyed
//! by path + code + JSON pointer, never by line, so they survive unrelated edits. Entries
//! that match no finding are stale and reported.
//!
//! Baseline (`--baseline FILE`, written by `--write-baseline FILE`), JSON:
//!
//! ```json
//! {"version": 1, "entries": [{"path": "lookups/__mlspl_m.mlmodel", "code": "MLTK203", "pointer": null}]}
//! ```
//!
//! Expected findings (`--expected FILE`), TOML; `reason` is required:
//!
//! ```toml
//! [[expected]]
//! path = "lookups/__mlspl_m.mlmodel"
//! code = "MLTK203"
//! pointer = "/mlspl_limits"   # omit for findings without a pointer
//! reason = "limits are set in mlspl.conf for this app"
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::linter::FileReport;

/// What identifies a finding across edits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Path relative to the working directory, with forward slashes.
    pub path: String,
    /// Rule code.
    pub code: String,
    /// JSON pointer inside the cell, if any.
    pub pointer: Option<String>,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.path, self.code)?;
        if let Some(pointer) = &self.pointer {
            write!(f, " {pointer}")?;
        }
        Ok(())
    }
}

/// A path as keys spell it: relative to the working directory when under it, `/`-separated,
/// without a leading `./`.
pub fn normalise_path(path: &str) -> String {
    let p = Path::new(path);
    let relative = if p.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| p.to_path_buf())
    } else {
        p.to_path_buf()
    };
    let clean: PathBuf = relative
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    clean.to_string_lossy().replace('\\', "/")
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    entries: Vec<Key>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    #[serde(default)]
    expected: Vec<ExpectedEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedEntry {
    path: String,
    code: String,
    pointer: Option<String>,
    reason: Option<String>,
}

/// One suppression entry and whether it matched.
#[derive(Debug, Clone)]
struct Entry {
    key: Key,
    source: &'static str,
    used: bool,
}

/// The suppressions of a run.
#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<Entry>,
    linted: std::collections::HashSet<String>,
    /// Findings removed.
    pub suppressed: usize,
}

impl Suppressions {
    /// Read a baseline file.
    pub fn add_baseline(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        let file: BaselineFile =
            serde_json::from_str(&text).map_err(|e| format!("baseline {}: {e}", path.display()))?;
        if file.version != 1 {
            return Err(format!(
                "baseline {}: unsupported version {}",
                path.display(),
                file.version
            ));
        }
        self.entries
            .extend(file.entries.into_iter().map(|key| Entry {
                key,
                source: "baseline",
                used: false,
            }));
        Ok(())
    }

    /// Read an expected-findings file; every entry needs a non-empty reason.
    pub fn add_expected(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ExpectedFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for (i, entry) in file.expected.into_iter().enumerate() {
            if entry.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(format!(
                    "{}: expected entry {} ({} {}) has no reason; every expected finding needs one",
                    path.display(),
                    i + 1,
                    entry.path,
                    entry.code
                ));
            }
            let code = crate::rules::by_code(&entry.code)
                .ok_or_else(|| format!("{}: unknown code `{}`", path.display(), entry.code))?
                .code
                .to_owned();
            self.entries.push(Entry {
                key: Key {
                    path: normalise_path(&entry.path),
                    code,
                    pointer: entry.pointer,
                },
                source: "expected-findings",
                used: false,
            });
        }
        Ok(())
    }

    /// Remove the suppressed findings from `report`.
    pub fn apply(&mut self, report: &mut FileReport) {
        if self.entries.is_empty() {
            return;
        }
        let path = normalise_path(&report.path);
        self.linted.insert(path.clone());
        let before = report.diagnostics.len();
        let entries = &mut self.entries;
        report.diagnostics.retain(|d| {
            let mut matched = false;
            for entry in entries.iter_mut() {
                if entry.key.path == path
                    && entry.key.code == d.rule.code
                    && entry.key.pointer == d.pointer
                {
                    entry.used = true;
                    matched = true;
                }
            }
            !matched
        });
        self.suppressed += before - report.diagnostics.len();
    }

    /// Entries for files linted in this run that matched no finding, as `(source, key)`.
    pub fn stale(&self) -> Vec<(&'static str, &Key)> {
        self.entries
            .iter()
            .filter(|e| !e.used && self.linted.contains(&e.key.path))
            .map(|e| (e.source, &e.key))
            .collect()
    }
}

/// The keys of every finding of `reports`, sorted and de-duplicated.
pub fn keys<'a>(reports: impl IntoIterator<Item = &'a FileReport>) -> Vec<Key> {
    let mut set = BTreeSet::new();
    for report in reports {
        let path = normalise_path(&report.path);
        for d in &report.diagnostics {
            set.insert(Key {
                path: path.clone(),
                code: d.rule.code.to_owned(),
                pointer: d.pointer.clone(),
            });
        }
    }
    set.into_iter().collect()
}

/// Write a baseline of `keys` to `path`.
pub fn write_baseline(path: &PathBuf, keys: Vec<Key>) -> Result<usize, String> {
    let count = keys.len();
    let file = BaselineFile {
        version: 1,
        entries: keys,
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalise_path("./a/./b.mlmodel"), "a/b.mlmodel");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(
            normalise_path(cwd.join("x/y.mlmodel").to_str().expect("utf-8")),
            "x/y.mlmodel"
        );
    }

    #[test]
    fn expected_entries_need_a_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("expected.toml");
        std::fs::write(&path, "[[expected]]\npath = \"a\"\ncode = \"MLTK203\"\n").expect("w");
        let err = Suppressions::default()
            .add_expected(&path)
            .expect_err("no reason");
        assert!(err.contains("no reason"), "{err}");
        std::fs::write(
            &path,
            "[[expected]]\npath = \"a\"\ncode = \"MLTK203\"\nreason = \"  \"\n",
        )
        .expect("w");
        assert!(Suppressions::default().add_expected(&path).is_err());
    }
}
