//! JUnit XML: one `testsuite` per file; a failing `testcase` per finding, or one passing
//! `testcase` for a clean file.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Reporter, Summary, located};
use crate::linter::FileReport;

#[derive(Default)]
pub(super) struct JunitReporter {
    suites: String,
    tests: usize,
    failures: usize,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

impl Reporter for JunitReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let path = escape(&report.path);
        let count = report.diagnostics.len();
        let s = &mut self.suites;
        if count == 0 {
            self.tests += 1;
            let _ = writeln!(
                s,
                "  <testsuite name=\"{path}\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    <testcase name=\"mltk-lint\" classname=\"{path}\" file=\"{path}\"/>\n  </testsuite>"
            );
            return Ok(());
        }
        self.tests += count;
        self.failures += count;
        let _ = writeln!(
            s,
            "  <testsuite name=\"{path}\" tests=\"{count}\" failures=\"{count}\" errors=\"0\" skipped=\"0\">"
        );
        for l in located(report) {
            let d = l.diagnostic;
            let mut body = format!(
                "{}:{}:{}: {} {}",
                l.path, l.line, l.column, d.rule.code, d.message
            );
            if let Some(pointer) = &d.pointer {
                let _ = write!(body, "\nat {} {pointer}", d.cell.unwrap_or("cell"));
            }
            if let Some(help) = &d.help {
                let _ = write!(body, "\nhelp: {help}");
            }
            let _ = writeln!(
                s,
                "    <testcase name=\"{} {} at {}:{}\" classname=\"{path}\" file=\"{path}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                d.rule.code,
                d.rule.name,
                l.line,
                l.column,
                l.line,
                escape(&d.message),
                d.severity,
                escape(&body)
            );
        }
        s.push_str("  </testsuite>\n");
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"mltk-lint\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
            self.tests, self.failures
        )?;
        out.write_all(self.suites.as_bytes())?;
        writeln!(out, "</testsuites>")
    }
}
