//! JSON output: one document, `{"version": 1, "findings": [...], "summary": {...}}`.
//! The field names are a stable contract (docs/json-output.md). Also JSON Lines.

use std::io::{self, Write};

use serde::Serialize;

use super::{Located, Reporter, Summary, located};
use crate::linter::FileReport;

#[derive(Serialize)]
struct Finding {
    path: String,
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: String,
    help: Option<String>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    pointer: Option<String>,
}

#[derive(Serialize)]
struct Counts {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: &'a [Finding],
    summary: Counts,
}

#[derive(Default)]
pub(super) struct JsonReporter {
    findings: Vec<Finding>,
}

impl Finding {
    fn new(l: &Located<'_>) -> Self {
        let d = l.diagnostic;
        Finding {
            path: l.path.to_owned(),
            code: d.rule.code,
            name: d.rule.name,
            severity: d.severity.as_str(),
            message: d.message.clone(),
            help: d.help.clone(),
            line: l.line,
            column: l.column,
            end_line: l.end_line,
            end_column: l.end_column,
            pointer: d.pointer.clone(),
        }
    }
}

impl Reporter for JsonReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        self.findings
            .extend(located(report).map(|l| Finding::new(&l)));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        let document = Document {
            version: 1,
            findings: &self.findings,
            summary: Counts {
                files: summary.files,
                errors: summary.errors,
                warnings: summary.warnings,
                infos: summary.infos,
            },
        };
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// JSON Lines: one finding object per line (the fields of the JSON format's findings), no
/// summary; streams as files are linted.
pub(super) struct JsonLinesReporter;

impl Reporter for JsonLinesReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for l in located(report) {
            serde_json::to_writer(&mut *out, &Finding::new(&l)).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }
}
