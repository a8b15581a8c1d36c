//! Rendering: every output format reads the same list of file reports.

mod excerpt;
mod human;
mod json;

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::linter::FileReport;

pub use excerpt::Excerpt;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// miette-style reports with source excerpts, then a summary line.
    Human,
    /// One JSON document (a stable contract, see docs/json-output.md).
    Json,
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
        Format::Json => Box::new(json::JsonReporter::default()),
    }
}
