//! The one finding type every rule produces and every report renders.

use crate::artifact::span::Span;
use crate::rules::Rule;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; never fails a run.
    Info,
    /// Likely a mistake; MLTK still loads the artifact.
    Warning,
    /// MLTK fails, or the artifact is unsafe.
    Error,
}

impl Severity {
    /// Lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location with its own label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where, in file bytes.
    pub span: Span,
    /// What is there.
    pub text: String,
}

/// One finding: a rule, a place in the file and what to do about it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The rule that fired.
    pub rule: &'static Rule,
    /// Final severity: the rule's default unless the finding or the settings say otherwise.
    pub severity: Severity,
    /// What is wrong, naming the exact field or record.
    pub message: String,
    /// Where, in file bytes.
    pub span: Span,
    /// Short text under the primary span.
    pub label: Option<String>,
    /// Other relevant places.
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
    /// JSON pointer inside the cell, when the finding is inside one.
    pub pointer: Option<String>,
    /// Which cell the pointer is relative to (`model` or `options`).
    pub cell: Option<&'static str>,
    /// Bytes no renderer may show (a credential), masked in source excerpts.
    pub redact: Option<Span>,
}

impl Diagnostic {
    /// A finding of `rule` at `span`, at the rule's default severity.
    pub fn new(rule: &'static Rule, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: rule.default_severity,
            message: message.into(),
            span,
            label: None,
            labels: Vec::new(),
            help: None,
            pointer: None,
            cell: None,
            redact: None,
        }
    }

    /// Set the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Set the label under the primary span.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Add a secondary labelled span.
    #[must_use]
    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Record the JSON pointer of the finding inside `cell`.
    #[must_use]
    pub fn with_pointer(mut self, cell: &'static str, pointer: impl Into<String>) -> Self {
        self.cell = Some(cell);
        self.pointer = Some(pointer.into());
        self
    }

    /// Mask `span` in every source excerpt (it holds a credential).
    #[must_use]
    pub fn with_redaction(mut self, span: Span) -> Self {
        self.redact = Some(span);
        self
    }

    /// Lower (or raise) this finding's severity; for rules whose cases differ in weight.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Where a rule puts its findings. It keeps the first `cap` and only counts the rest, so an
/// input crafted to give millions of findings (a stray quote every other byte) costs bounded
/// memory and output; the linter reports the count as MLTK109 (limit `findings-per-rule`).
#[derive(Debug)]
pub struct Findings {
    kept: Vec<Diagnostic>,
    cap: usize,
    dropped: usize,
    first_dropped: Option<Span>,
}

impl Findings {
    /// An empty collector keeping at most `cap` findings.
    pub fn new(cap: usize) -> Findings {
        Findings {
            kept: Vec::new(),
            cap,
            dropped: 0,
            first_dropped: None,
        }
    }

    /// Add a finding (counted only, once `cap` are kept).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.kept.len() < self.cap {
            self.kept.push(diagnostic);
        } else {
            self.first_dropped.get_or_insert(diagnostic.span);
            self.dropped += 1;
        }
    }

    /// Findings pushed so far, kept or not.
    pub fn len(&self) -> usize {
        self.kept.len() + self.dropped
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept findings, how many were dropped and where the first dropped one was.
    pub fn into_parts(self) -> (Vec<Diagnostic>, usize, Option<Span>) {
        (self.kept, self.dropped, self.first_dropped)
    }
}
