//! JSON output: one document, `{"version": 1, "findings": [...], "summary": {...}}`.
//! The field names are a stable contract (docs/json-output.md). Also JSON Lines.

use std::io::{self, Write};

use serde::Serialize;

use super::{Located, Reporter, Summary, located};
use crate::linter::FileReport;

#[derive(Serialize)]
struct Finding<'a> {
    path: &'a str,
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    pointer: Option<&'a str>,
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
    /// A file's findings, written at once; kept between files.
    text: Vec<u8>,
    /// One finding, serialized before it is indented; kept between findings.
    scratch: Vec<u8>,
}

const HEAD: &str = "{\n  \"version\": 1,\n  \"findings\": [\n";

/// Append `value` to `out`, pretty-printed as it is nested `depth` levels deep: each line
/// after the first indented by two spaces a level (a JSON string holds no raw line break).
/// `scratch` is the serialization before it is indented.
fn push_nested(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    value: &impl Serialize,
    depth: usize,
) -> io::Result<()> {
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, value).map_err(io::Error::other)?;
    let mut start = 0;
    for newline in memchr::memchr_iter(b'\n', scratch) {
        out.extend_from_slice(&scratch[start..=newline]);
        out.extend(std::iter::repeat_n(b' ', 2 * depth));
        start = newline + 1;
    }
    out.extend_from_slice(&scratch[start..]);
    Ok(())
}

impl<'a> Finding<'a> {
    fn new(l: &Located<'a>) -> Self {
        let d = l.diagnostic;
        Finding {
            path: l.path,
            code: d.rule.code,
            name: d.rule.name,
            severity: d.severity.as_str(),
            message: &d.message,
            help: d.help.as_deref(),
            line: l.line,
            column: l.column,
            end_line: l.end_line,
            end_column: l.end_column,
            pointer: d.pointer.as_deref(),
        }
    }
}

impl Reporter for JsonReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        self.text.clear();
        for l in located(report) {
            let before: &[u8] = if self.started {
                b",\n"
            } else {
                HEAD.as_bytes()
            };
            self.text.extend_from_slice(before);
            self.text.extend_from_slice(b"    ");
            self.started = true;
            push_nested(&mut self.text, &mut self.scratch, &Finding::new(&l), 2)?;
        }
        out.write_all(&self.text)
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
        self.text.clear();
        push_nested(&mut self.text, &mut self.scratch, &counts, 1)?;
        self.text.extend_from_slice(b"\n}\n");
        out.write_all(&self.text)
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
        findings: &'a [Finding<'a>],
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
