//! Validated settings for one run; what the CLI hands to the linter.

use crate::catalog::{Version, catalog};
use crate::diagnostic::Severity;
use crate::rules::{Rule, RuleSet};

/// How to lint.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Enabled rules.
    pub rules: RuleSet,
    /// Per-rule severity overrides.
    pub severity_overrides: Vec<(&'static Rule, Severity)>,
    /// The MLTK release the artifact must load in.
    pub target: &'static Version,
    /// Algorithms the user ships themselves.
    pub custom_algorithms: Vec<CustomAlgorithm>,
    /// Resource limits (file size, nesting, payload sizes).
    pub limits: crate::limits::Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RuleSet::all(),
            severity_overrides: Vec::new(),
            target: catalog().newest(),
            custom_algorithms: Vec::new(),
            limits: crate::limits::Limits::default(),
        }
    }
}

impl Settings {
    /// The severity a finding of `rule` gets, given what the rule itself chose.
    pub fn severity(&self, rule: &Rule, chosen: Severity) -> Severity {
        self.severity_overrides
            .iter()
            .find(|(r, _)| r.code == rule.code)
            .map_or(chosen, |(_, severity)| *severity)
    }
}

/// An algorithm an app ships itself (`--custom-algorithm NAME` or `[[custom-algorithms]]` in
/// the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomAlgorithm {
    /// The name in the `algo` cell.
    pub name: String,
    /// The Python package that provides it (documentation only).
    pub package: Option<String>,
    /// The `(module, class)` pairs its `register_codecs` registers. Empty: unknown, so the
    /// model's records are not checked against any codec table.
    pub codecs: Vec<(String, String)>,
}

impl CustomAlgorithm {
    /// A custom algorithm known only by name.
    pub fn named(name: impl Into<String>) -> Self {
        CustomAlgorithm {
            name: name.into(),
            ..CustomAlgorithm::default()
        }
    }

    /// Whether it registers a codec for `(module, class)`.
    pub fn registers(&self, module: &str, class: &str) -> bool {
        self.codecs.iter().any(|(m, c)| m == module && c == class)
    }
}
