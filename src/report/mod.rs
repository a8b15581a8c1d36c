//! Rendering: every output format reads the same list of file reports.

mod concise;
mod excerpt;
mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod location;
mod outputs;
mod sarif;

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::linter::FileReport;

pub use excerpt::Excerpt;
pub use location::{Located, fingerprint, located, relative_uri};
pub use outputs::{ColorChoice, OutputSpec, Outputs, Statistics, use_color};
pub use sarif::{INFORMATION_URI, sarif_document};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// miette-style reports with source excerpts, then a summary line.
    Human,
    /// One line per finding: `path:line:col: CODE message`.
    Concise,
    /// One JSON document (a stable contract, see docs/json-output.md).
    Json,
    /// One JSON object per finding and line.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML: one test suite per file.
    Junit,
}

impl Format {
    /// Every format with its command-line name.
    pub const ALL: [(Format, &'static str); 8] = [
        (Format::Human, "human"),
        (Format::Concise, "concise"),
        (Format::Json, "json"),
        (Format::JsonLines, "json-lines"),
        (Format::Sarif, "sarif"),
        (Format::Github, "github"),
        (Format::Gitlab, "gitlab"),
        (Format::Junit, "junit"),
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("human", |(_, n)| n)
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        let lower = if lower == "jsonl" || lower == "json_lines" {
            String::from("json-lines")
        } else {
            lower
        };
        Format::ALL
            .iter()
            .find(|(_, name)| *name == lower)
            .map(|(format, _)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
                format!(
                    "unknown output format `{text}`; known: {}",
                    names.join(", ")
                )
            })
    }
}

/// Counts over a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files linted.
    pub files: usize,
    /// Findings of error severity.
    pub errors: usize,
    /// Findings of warning severity.
    pub warnings: usize,
    /// Findings of info severity.
    pub infos: usize,
    /// Paths that could not be read.
    pub failures: usize,
}

impl Summary {
    /// All findings.
    pub fn total(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    /// The closing line of the text reports. "All checks passed" only when every path was
    /// read: a path that could not be read (exit status 2) is not a clean run.
    pub fn line(&self) -> String {
        let files = plural(self.files, "file");
        let unread = match self.failures {
            0 => String::new(),
            n => format!("; {} could not be read", plural(n, "path")),
        };
        if self.total() == 0 && self.failures == 0 {
            return format!("All checks passed ({files} linted).");
        }
        if self.total() == 0 {
            return format!("No findings in {files} linted{unread}.");
        }
        format!(
            "Found {} ({}, {}, {}) in {files}{unread}.",
            plural(self.total(), "finding"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.infos, "info"),
        )
    }
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Summary {
    /// Count one file's findings.
    pub fn add(&mut self, report: &FileReport) {
        self.files += 1;
        for diagnostic in &report.diagnostics {
            match diagnostic.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }
}

/// Writes one format. Streaming formats write per file; document formats buffer until
/// `finish`.
pub trait Reporter {
    /// One linted file.
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()>;
    /// The end of the run.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}

/// How reports look.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use colour and Unicode art.
    pub color: bool,
    /// Terminal width for wrapping.
    pub width: Option<usize>,
}

/// The reporter for a format.
pub fn reporter(format: Format, style: Style) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::HumanReporter::new(style)),
        Format::Concise => Box::new(concise::ConciseReporter::new(style)),
        Format::Json => Box::new(json::JsonReporter::default()),
        Format::JsonLines => Box::new(json::JsonLinesReporter),
        Format::Sarif => Box::new(sarif::SarifReporter::default()),
        Format::Github => Box::new(github::GithubReporter::default()),
        Format::Gitlab => Box::new(gitlab::GitlabReporter::default()),
        Format::Junit => Box::new(junit::JunitReporter::default()),
    }
}
