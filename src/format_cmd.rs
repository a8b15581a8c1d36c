//! `mltk-lint roundtrip` and `mltk-lint fmt`: re-encode artifacts, compare or rewrite.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::artifact::Artifact;
use crate::codec::ModelCell;
use crate::linter::with_decoded;
use crate::options::OptionsCell;
use crate::roundtrip::{self, Mode, Stats};

/// The round trip of one file.
#[derive(Debug, Serialize)]
pub struct RoundTripResult {
    /// The path as given.
    pub path: String,
    /// `identical`, `differs`, `unencodable` or `unreadable`.
    pub outcome: &'static str,
    /// First differing byte offset (0-based).
    pub offset: Option<usize>,
    /// 1-based line of the difference in the original file.
    pub line: Option<usize>,
    /// 1-based column of the difference.
    pub column: Option<usize>,
    /// The original bytes around the difference.
    pub original: Option<String>,
    /// The re-encoded bytes around the difference.
    pub reencoded: Option<String>,
    /// Why the file could not be re-encoded or read.
    pub reason: Option<String>,
    /// What the encoder did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsJson>,
}

/// Encoder statistics in JSON.
#[derive(Debug, Serialize)]
pub struct StatsJson {
    floats_repr: usize,
    floats_legacy17: usize,
    raw_lexemes: usize,
    arrays: usize,
    arrays_raw_header: usize,
    archives: usize,
}

impl From<Stats> for StatsJson {
    fn from(s: Stats) -> Self {
        StatsJson {
            floats_repr: s.floats_repr,
            floats_legacy17: s.floats_legacy17,
            raw_lexemes: s.raw_lexemes,
            arrays: s.arrays,
            arrays_raw_header: s.arrays_raw_header,
            archives: s.archives,
        }
    }
}

/// Re-encode one artifact in `mode`.
pub fn reencode_file(artifact: &Artifact, mode: Mode) -> Result<(Vec<u8>, Stats), String> {
    with_decoded(artifact, |decoded| {
        if mode == Mode::Canonical {
            if !artifact.conflict_markers.is_empty() {
                return Err(
                    "the file holds git conflict markers (MLTK006); resolve them first".to_owned(),
                );
            }
            if let ModelCell::NotJson(e) = decoded.model_cell {
                return Err(format!("the model cell is not JSON (MLTK101: {e})"));
            }
            if let OptionsCell::NotJson { error, .. } = decoded.options {
                return Err(format!("the options cell is not JSON (MLTK201: {error})"));
            }
        }
        roundtrip::reencode(decoded, mode).map_err(|e| e.to_string())
    })
}

/// Compare one file with its re-encoding.
pub fn round_trip(path: &str, bytes: Vec<u8>) -> RoundTripResult {
    let artifact = Artifact::parse(bytes);
    let mut result = RoundTripResult {
        path: path.to_owned(),
        outcome: "identical",
        offset: None,
        line: None,
        column: None,
        original: None,
        reencoded: None,
        reason: None,
        stats: None,
    };
    match reencode_file(&artifact, Mode::AsRead) {
        Err(reason) => {
            result.outcome = "unencodable";
            result.reason = Some(reason);
        }
        Ok((encoded, stats)) => {
            result.stats = Some(stats.into());
            if let Some(at) = roundtrip::first_difference(&artifact.bytes, &encoded) {
                let position = artifact.lines.line_column(&artifact.bytes, at);
                result.outcome = "differs";
                result.offset = Some(at);
                result.line = Some(position.line.get());
                result.column = Some(position.column.get());
                result.original = Some(roundtrip::excerpt(&artifact.bytes, at));
                result.reencoded = Some(roundtrip::excerpt(&encoded, at));
            }
        }
    }
    result
}

/// Write the human round-trip report; returns whether every file was identical.
pub fn write_round_trips(
    out: &mut dyn Write,
    results: &[RoundTripResult],
    json: bool,
) -> io::Result<bool> {
    let identical = results.iter().filter(|r| r.outcome == "identical").count();
    let all = identical == results.len();
    if json {
        #[derive(Serialize)]
        struct Summary {
            files: usize,
            identical: usize,
            different: usize,
        }
        #[derive(Serialize)]
        struct Document<'a> {
            version: u32,
            files: &'a [RoundTripResult],
            summary: Summary,
        }
        let document = Document {
            version: 1,
            files: results,
            summary: Summary {
                files: results.len(),
                identical,
                different: results.len() - identical,
            },
        };
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
        writeln!(out)?;
        return Ok(all);
    }
    for r in results {
        match r.outcome {
            "identical" => writeln!(out, "{}: identical", r.path)?,
            "differs" => {
                writeln!(
                    out,
                    "{}: differs at byte {} (line {}, column {})",
                    r.path,
                    r.offset.unwrap_or(0),
                    r.line.unwrap_or(0),
                    r.column.unwrap_or(0)
                )?;
                writeln!(out, "  file:      {}", r.original.as_deref().unwrap_or(""))?;
                writeln!(
                    out,
                    "  re-encoded: {}",
                    r.reencoded.as_deref().unwrap_or("")
                )?;
            }
            _ => writeln!(
                out,
                "{}: {}: {}",
                r.path,
                r.outcome,
                r.reason.as_deref().unwrap_or("")
            )?,
        }
    }
    writeln!(
        out,
        "{identical} of {} files identical after re-encoding ({} differ).",
        results.len(),
        results.len() - identical
    )?;
    Ok(all)
}

/// What `fmt` did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmtOutcome {
    /// Already canonical.
    Unchanged,
    /// Rewritten (or, with `--check`, would be).
    Reformatted,
    /// Cannot be formatted; why.
    Refused(String),
}

/// Format one file in place (atomically), or only check it.
pub fn format_file(path: &Path, check: bool) -> io::Result<FmtOutcome> {
    let bytes = std::fs::read(path)?;
    let artifact = Artifact::parse(bytes);
    let encoded = match reencode_file(&artifact, Mode::Canonical) {
        Ok((encoded, _)) => encoded,
        Err(reason) => return Ok(FmtOutcome::Refused(reason)),
    };
    if encoded == artifact.bytes {
        return Ok(FmtOutcome::Unchanged);
    }
    if !check {
        write_atomically(path, &encoded)?;
    }
    Ok(FmtOutcome::Reformatted)
}

/// Write to a temporary file beside `path`, then rename over it: readers see the old or the
/// new artifact, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact");
    let temp: PathBuf = dir.join(format!(".{name}.mltk-lint-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
