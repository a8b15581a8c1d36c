//! Concise output: one line per finding, `path:line:col: CODE message`, then a summary line.

use std::io::{self, Write};

use super::{Reporter, Style, Summary, located};
use crate::diagnostic::Severity;
use crate::linter::FileReport;

pub(super) struct ConciseReporter {
    color: bool,
}

impl ConciseReporter {
    pub(super) fn new(style: Style) -> Self {
        ConciseReporter { color: style.color }
    }
}

impl Reporter for ConciseReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for l in located(report) {
            let d = l.diagnostic;
            if self.color {
                let colour = match d.severity {
                    Severity::Error => "31",
                    Severity::Warning => "33",
                    Severity::Info => "36",
                };
                writeln!(
                    out,
                    "\x1b[1m{}\x1b[0m:{}:{}: \x1b[1;{colour}m{}\x1b[0m {}",
                    l.path, l.line, l.column, d.rule.code, d.message
                )?;
            } else {
                writeln!(
                    out,
                    "{}:{}:{}: {} {}",
                    l.path, l.line, l.column, d.rule.code, d.message
                )?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        writeln!(out, "{}", summary.line())
    }
}
