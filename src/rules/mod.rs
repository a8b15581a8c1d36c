//! The rule registry: every rule's metadata and check function, in code order.
//!
//! Each rule lives in its own file with its documentation; `declare_rule!` turns the doc
//! comment and a few fields into one `static` [`Rule`]. [`ALL`] lists them in code order.

use crate::diagnostic::Severity;

pub(crate) mod context;
mod helpers;
pub use context::Context;

/// What a rule is, independent of any run.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `MLTK201`.
    pub code: &'static str,
    /// Kebab-case name describing the problem, e.g. `options-json`.
    pub name: &'static str,
    /// One line, for listings and SARIF short descriptions.
    pub summary: &'static str,
    /// Severity unless the settings override it.
    pub default_severity: Severity,
    /// The rule's documentation (Markdown, from its doc comment).
    pub docs: &'static str,
    /// Source file declaring the rule.
    pub file: &'static str,
    /// The check.
    pub check: fn(&Context<'_>, &mut crate::diagnostic::Findings),
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for Rule {}

/// Declare a rule: doc comment, code, name, severity, summary and check function.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            check: $check:path $(,)?
        };
    ) => {
        $(#[doc = $doc])+
        pub static $ident: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            summary: $summary,
            default_severity: $crate::diagnostic::Severity::$severity,
            docs: concat!($($doc, "\n"),+),
            file: file!(),
            check: $check,
        };
    };
}

mod algo_class_mismatch;
mod algo_name_mismatch;
mod appinspect_lookup;
mod args_mismatch;
mod bad_array;
mod bad_file_name;
mod bad_header;
mod bad_mlspl_limit;
mod bad_record;
mod csv_syntax;
mod dangling_ref;
mod estimator_mismatch;
mod extra_rows;
mod field_count;
mod invalid_encoding;
mod kfold_cv;
mod legacy_pickle;
mod limit_exceeded;
mod line_endings;
mod merge_conflict;
mod missing_mlspl_limits;
mod model_json;
mod model_name_mismatch;
mod model_too_large;
mod no_model_row;
mod not_canonical;
mod options_json;
mod options_schema;
mod secret;
mod unknown_algorithm;
mod unknown_type;
mod unsafe_pickle_import;
mod untrusted_type;

#[cfg(test)]
pub(crate) mod test_support;

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &invalid_encoding::INVALID_ENCODING,
    &bad_header::BAD_HEADER,
    &csv_syntax::CSV_SYNTAX,
    &no_model_row::NO_MODEL_ROW,
    &extra_rows::EXTRA_ROWS,
    &merge_conflict::MERGE_CONFLICT,
    &line_endings::LINE_ENDINGS,
    &field_count::FIELD_COUNT,
    &appinspect_lookup::APPINSPECT_LOOKUP,
    &model_json::MODEL_JSON,
    &legacy_pickle::LEGACY_PICKLE,
    &bad_record::BAD_RECORD,
    &bad_array::BAD_ARRAY,
    &unknown_type::UNKNOWN_TYPE,
    &algo_class_mismatch::ALGO_CLASS_MISMATCH,
    &dangling_ref::DANGLING_REF,
    &model_too_large::MODEL_TOO_LARGE,
    &limit_exceeded::LIMIT_EXCEEDED,
    &options_json::OPTIONS_JSON,
    &options_schema::OPTIONS_SCHEMA,
    &missing_mlspl_limits::MISSING_MLSPL_LIMITS,
    &bad_mlspl_limit::BAD_MLSPL_LIMIT,
    &algo_name_mismatch::ALGO_NAME_MISMATCH,
    &model_name_mismatch::MODEL_NAME_MISMATCH,
    &bad_file_name::BAD_FILE_NAME,
    &args_mismatch::ARGS_MISMATCH,
    &secret::SECRET,
    &kfold_cv::KFOLD_CV,
    &unknown_algorithm::UNKNOWN_ALGORITHM,
    &estimator_mismatch::ESTIMATOR_MISMATCH,
    &not_canonical::NOT_CANONICAL,
    &unsafe_pickle_import::UNSAFE_PICKLE_IMPORT,
    &untrusted_type::UNTRUSTED_TYPE,
];

/// The rule with this code (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

/// The rule with this code or name.
pub fn by_code_or_name(key: &str) -> Option<&'static Rule> {
    by_code(key).or_else(|| ALL.iter().copied().find(|rule| rule.name == key))
}

/// A set of rules, as a bit per registry index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet(u128);

impl RuleSet {
    /// No rule.
    pub const fn empty() -> Self {
        RuleSet(0)
    }

    /// Every rule.
    pub fn all() -> Self {
        let mut set = RuleSet::empty();
        for index in 0..ALL.len() {
            set.0 |= 1 << index;
        }
        set
    }

    fn index(rule: &Rule) -> usize {
        ALL.iter()
            .position(|r| r.code == rule.code)
            .expect("every rule is registered")
    }

    /// Whether `rule` is in the set.
    pub fn contains(&self, rule: &Rule) -> bool {
        self.0 & (1 << Self::index(rule)) != 0
    }

    /// Add every rule the selector matches.
    pub fn insert(&mut self, selector: &Selector) {
        for rule in selector.rules() {
            self.0 |= 1 << Self::index(rule);
        }
    }

    /// Remove every rule the selector matches.
    pub fn remove(&mut self, selector: &Selector) {
        for rule in selector.rules() {
            self.0 &= !(1 << Self::index(rule));
        }
    }

    /// The rules of the set, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        ALL.iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, rule)| *rule)
    }
}

/// A parsed `--select`/`--ignore` item: a code, a code prefix such as `MLTK2`, a rule name or
/// `ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl std::str::FromStr for Selector {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        if upper == "ALL" {
            return Ok(Selector(String::from("MLTK")));
        }
        if let Some(rule) = ALL.iter().find(|rule| rule.name == text) {
            return Ok(Selector(rule.code.to_owned()));
        }
        if upper.starts_with("MLTK")
            && upper[4..].bytes().all(|b| b.is_ascii_digit())
            && ALL.iter().any(|rule| rule.code.starts_with(&upper))
        {
            return Ok(Selector(upper));
        }
        let suggestion = closest_rule(text)
            .map(|rule| format!(" (did you mean `{}` {}?)", rule.code, rule.name))
            .unwrap_or_default();
        Err(format!(
            "unknown rule selector `{text}`{suggestion}; run `mltk-lint rules` for the list"
        ))
    }
}

impl Selector {
    /// The rules this selector matches.
    pub fn rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        ALL.iter()
            .copied()
            .filter(|rule| rule.code.starts_with(&self.0))
    }
}

fn closest_rule(text: &str) -> Option<&'static Rule> {
    let upper = text.to_ascii_uppercase();
    ALL.iter()
        .copied()
        .map(|rule| {
            let by_code = strsim::levenshtein(&upper, rule.code);
            let by_name = strsim::levenshtein(text, rule.name);
            (by_code.min(by_name), rule)
        })
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, rule)| rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let codes: Vec<_> = ALL.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes must be unique and in order");
        for code in codes {
            assert_eq!(code.len(), 7, "{code}");
            assert!(code.starts_with("MLTK") && code[4..].bytes().all(|b| b.is_ascii_digit()));
        }
        assert!(ALL.len() < 128, "RuleSet holds at most 128 rules");
    }

    #[test]
    fn names_are_unique_kebab_case_and_match_files() {
        let mut names: Vec<_> = ALL.iter().map(|rule| rule.name).collect();
        for rule in ALL {
            assert!(
                rule.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.name
            );
            let stem = rule.name.replace('-', "_");
            assert!(
                rule.file.ends_with(&format!("{stem}.rs")),
                "{} is declared in {}",
                rule.name,
                rule.file
            );
        }
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn docs_have_required_sections() {
        for rule in ALL {
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## How to fix",
            ] {
                assert!(
                    rule.docs.contains(heading),
                    "{} docs lack `{heading}`",
                    rule.code
                );
            }
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'));
        }
    }

    #[test]
    fn code_list_is_reviewed() {
        let list: Vec<String> = ALL
            .iter()
            .map(|r| format!("{} {} {}", r.code, r.name, r.default_severity))
            .collect();
        let expected = "\
MLTK001 invalid-encoding error
MLTK002 bad-header error
MLTK003 csv-syntax error
MLTK004 no-model-row error
MLTK005 extra-rows warning
MLTK006 merge-conflict error
MLTK007 line-endings warning
MLTK008 field-count error
MLTK009 appinspect-lookup error
MLTK101 model-json error
MLTK102 legacy-pickle error
MLTK103 bad-record error
MLTK104 bad-array error
MLTK105 unknown-type error
MLTK106 algo-class-mismatch error
MLTK107 dangling-ref error
MLTK108 model-too-large error
MLTK109 limit-exceeded error
MLTK201 options-json error
MLTK202 options-schema error
MLTK203 missing-mlspl-limits warning
MLTK204 bad-mlspl-limit error
MLTK205 algo-name-mismatch warning
MLTK206 model-name-mismatch warning
MLTK207 bad-file-name warning
MLTK208 args-mismatch warning
MLTK209 secret error
MLTK210 kfold-cv error
MLTK301 unknown-algorithm error
MLTK302 estimator-mismatch error
MLTK401 not-canonical info
MLTK501 unsafe-pickle-import error
MLTK502 untrusted-type error";
        assert_eq!(list.join("\n"), expected);
    }

    #[test]
    fn selectors() {
        let group: Selector = "mltk2".parse().expect("prefix");
        assert!(group.rules().all(|r| r.code.starts_with("MLTK2")));
        assert_eq!(group.rules().count(), 10);
        let by_name: Selector = "secret".parse().expect("name");
        assert_eq!(
            by_name.rules().map(|r| r.code).collect::<Vec<_>>(),
            ["MLTK209"]
        );
        let err = "MLTK2O1".parse::<Selector>().expect_err("typo");
        assert!(err.contains("MLTK201"), "{err}");
        assert!("MLTK9".parse::<Selector>().is_err());
    }
}
