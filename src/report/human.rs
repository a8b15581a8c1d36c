//! Human output: one miette report per finding, with a trimmed source excerpt, then a
//! summary line.

use std::fmt;
use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode, SourceSpan};

use super::{Excerpt, Reporter, Style, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use crate::linter::FileReport;

pub(super) struct HumanReporter {
    handler: GraphicalReportHandler,
}

impl HumanReporter {
    pub(super) fn new(style: Style) -> Self {
        let theme = if style.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(style.width.unwrap_or(100))
            .with_context_lines(1)
            .with_links(false);
        HumanReporter { handler }
    }
}

/// One finding prepared for miette.
struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    title: String,
    excerpt: Excerpt,
    labels: Vec<(SourceSpan, Option<String>)>,
    help: Option<String>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{} {}",
            self.diagnostic.rule.code, self.diagnostic.rule.name
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.excerpt)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (span, text))| {
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text.clone(), *span)
                } else {
                    LabeledSpan::new_with_span(text.clone(), *span)
                }
            },
        )))
    }
}

fn prepare<'a>(report: &FileReport, diagnostic: &'a Diagnostic) -> Rendered<'a> {
    let artifact = &report.artifact;
    let mut spans = vec![diagnostic.span];
    spans.extend(diagnostic.labels.iter().map(|l| l.span));
    let (excerpt, mapped) = Excerpt::new(
        &report.path,
        &artifact.bytes,
        &artifact.lines,
        &spans,
        diagnostic.redact,
    );
    let mut labels = vec![(mapped[0], diagnostic.label.clone())];
    labels.extend(
        diagnostic
            .labels
            .iter()
            .zip(&mapped[1..])
            .map(|(label, span)| (*span, Some(label.text.clone()))),
    );
    let mut help = diagnostic.help.clone();
    if let Some(pointer) = &diagnostic.pointer {
        let at = format!("at {} {pointer}", diagnostic.cell.unwrap_or("cell"));
        help = Some(match help {
            Some(h) => format!("{h}\n({at})"),
            None => format!("({at})"),
        });
    }
    Rendered {
        diagnostic,
        title: diagnostic.message.clone(),
        excerpt,
        labels,
        help,
    }
}

impl Reporter for HumanReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for diagnostic in &report.diagnostics {
            let rendered = prepare(report, diagnostic);
            let mut text = String::new();
            self.handler
                .render_report(&mut text, &rendered)
                .map_err(|_| io::Error::other("rendering a report failed"))?;
            writeln!(out, "{text}")?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        writeln!(out, "{}", summary.line())
    }
}
