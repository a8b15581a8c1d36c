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
    pub custom_algorithms: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: RuleSet::all(),
            severity_overrides: Vec::new(),
            target: catalog().newest(),
            custom_algorithms: Vec::new(),
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
