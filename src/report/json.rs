//! JSON output: one document, `{"version": 1, "findings": [...], "summary": {...}}`.
//! The field names are a stable contract (docs/json-output.md).

use std::io::{self, Write};

use serde::Serialize;

use super::{Reporter, Summary};
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

impl Reporter for JsonReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let artifact = &report.artifact;
        for d in &report.diagnostics {
            let start = artifact.lines.line_column(&artifact.bytes, d.span.start);
            let end = artifact.lines.line_column(&artifact.bytes, d.span.end);
            self.findings.push(Finding {
                path: report.path.clone(),
                code: d.rule.code,
                name: d.rule.name,
                severity: d.severity.as_str(),
                message: d.message.clone(),
                help: d.help.clone(),
                line: start.line.get(),
                column: start.column.get(),
                end_line: end.line.get(),
                end_column: end.column.get(),
                pointer: d.pointer.clone(),
            });
        }
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
