//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,endLine=…,endColumn=…,
//! title=CODE::message`; warnings as `::warning`, infos as `::notice`.
//!
//! GitHub shows at most 10 annotations of each type per step (and 50 per job); every finding
//! is still printed, so the full list is in the log, and a closing line says how many were
//! over the limit.

use std::io::{self, Write};

use super::{Reporter, Summary, located};
use crate::diagnostic::Severity;
use crate::linter::FileReport;

/// Annotations GitHub shows per type and step.
const PER_STEP: usize = 10;

#[derive(Default)]
pub(super) struct GithubReporter {
    counts: [usize; 3],
}

/// Escape a command's message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a command property (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Reporter for GithubReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for l in located(report) {
            let d = l.diagnostic;
            let (command, index) = match d.severity {
                Severity::Error => ("error", 0),
                Severity::Warning => ("warning", 1),
                Severity::Info => ("notice", 2),
            };
            self.counts[index] += 1;
            let mut message = format!(
                "{}:{}:{}: {} {}",
                l.path, l.line, l.column, d.rule.code, d.message
            );
            if let Some(pointer) = &d.pointer {
                message.push_str(&format!(" (at {} {pointer})", d.cell.unwrap_or("cell")));
            }
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(l.path),
                l.line,
                l.column,
                l.end_line,
                l.end_column,
                escape_property(&format!("{} {}", d.rule.code, d.rule.name)),
                escape_data(&message)
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        let over: Vec<String> = ["error", "warning", "notice"]
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > PER_STEP)
            .map(|(kind, n)| format!("{n} {kind}s"))
            .collect();
        if !over.is_empty() {
            writeln!(
                out,
                "mltk-lint: {}: GitHub annotates only the first {PER_STEP} of each type per step; \
                 all are listed above",
                over.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
