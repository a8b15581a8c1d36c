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

/// The document as `serde_json::to_writer_pretty` writes it, written a file at a time: the
/// findings of a file are printed when it is done, while later files are still being linted,
/// instead of all at the end, after the last file (2.3M instructions of a corpus run on the
/// calling thread, while the other worker had nothing left). A test checks the bytes against
/// `to_writer_pretty`.
#[derive(Default)]
pub(super) struct JsonReporter {
    /// Whether the head of the document and a first finding are written.
    started: bool,
}

const HEAD: &str = "{\n  \"version\": 1,\n  \"findings\": [\n";

/// `value` pretty-printed as it is nested `depth` levels deep: each line after the first
/// indented by two spaces a level (a JSON string holds no raw line break).
fn write_nested(out: &mut dyn Write, value: &impl Serialize, depth: usize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    let indent = "  ".repeat(depth);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
            out.write_all(indent.as_bytes())?;
        }
        out.write_all(line.as_bytes())?;
    }
    Ok(())
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
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for l in located(report) {
            let before: &[u8] = if self.started {
                b",\n"
            } else {
                HEAD.as_bytes()
            };
            out.write_all(before)?;
            out.write_all(b"    ")?;
            self.started = true;
            write_nested(out, &Finding::new(&l), 2)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        if self.started {
            out.write_all(b"\n  ],\n")?;
        } else {
            // The head with the list closed where it opened.
            out.write_all(HEAD.trim_end().as_bytes())?;
            out.write_all(b"],\n")?;
        }
        out.write_all(b"  \"summary\": ")?;
        let counts = Counts {
            files: summary.files,
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
        };
        write_nested(out, &counts, 1)?;
        out.write_all(b"\n}\n")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// The whole document, serialized at once: what `JsonReporter` wrote before it streamed.
    #[derive(Serialize)]
    struct Document<'a> {
        version: u32,
        findings: &'a [Finding],
        summary: Counts,
    }

    /// Streamed a file at a time, the document is byte for byte what `to_writer_pretty`
    /// writes for it whole: no file, files without findings, and findings whose messages
    /// hold quotes, backslashes, line breaks and non-ASCII text.
    #[test]
    fn streamed_document_is_the_pretty_document() {
        let broken = "algo,model,options\r\nLinear\"Regr\\ession\u{e9},{not\njson,{}\r\n";
        let clean = include_bytes!("../../fixtures/valid/__mlspl_birch.mlmodel");
        let reports: Vec<FileReport> = [
            ("a/__mlspl_birch.mlmodel", &clean[..]),
            ("b/__mlspl_m.mlmodel", broken.as_bytes()),
            ("c/__mlspl_\u{e9}.mlmodel", b"algo\r\n"),
        ]
        .iter()
        .map(|(path, bytes)| crate::linter::lint_bytes(path, bytes.to_vec(), &Settings::default()))
        .collect();
        for count in 0..=reports.len() {
            let reports = &reports[..count];
            let mut summary = Summary::default();
            let mut reporter = JsonReporter::default();
            let mut streamed = Vec::new();
            for report in reports {
                summary.add(report);
                reporter.file(&mut streamed, report).expect("file");
            }
            reporter.finish(&mut streamed, &summary).expect("finish");
            let findings: Vec<Finding> = reports
                .iter()
                .flat_map(|report| {
                    located(report)
                        .map(|l| Finding::new(&l))
                        .collect::<Vec<_>>()
                })
                .collect();
            let document = Document {
                version: 1,
                findings: &findings,
                summary: Counts {
                    files: summary.files,
                    errors: summary.errors,
                    warnings: summary.warnings,
                    infos: summary.infos,
                },
            };
            let mut whole = serde_json::to_vec_pretty(&document).expect("serialize");
            whole.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&whole)
            );
            assert_eq!(findings.is_empty(), count < 2, "{count}");
        }
    }
}
