use crate::catalog::{LimitField, catalog};
use crate::diagnostic::{Diagnostic, Severity};
use crate::json::{self, Value};
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::{closest, option};

declare_rule! {
    /// ## What it does
    /// Checks each `mlspl_limits` value against the mlspl.conf field of the target release:
    /// integers must parse as integers, floats as numbers, booleans as Splunk booleans, within
    /// any documented range; `disabled` is a JSON boolean. A key that no known release has is
    /// a warning (usually a typo).
    ///
    /// ## Why is this bad?
    /// MLTK converts these strings with `int()`/`float()` when it uses them (ONNX apply reads
    /// the saved `max_model_size_mb`); a value like `"lots"` raises `ValueError`. A misspelt
    /// key is silently ignored, so the limit someone meant to set is not set.
    ///
    /// ## Example
    /// `"mlspl_limits": {"max_inputs": "lots", "max_inptus": "5000"}`.
    ///
    /// ## How to fix
    /// Use the field names and value kinds of mlspl.conf (`mltk-lint explain MLTK204`), as
    /// strings.
    pub static BAD_MLSPL_LIMIT = {
        code: "MLTK204",
        name: "bad-mlspl-limit",
        severity: Error,
        summary: "An `mlspl_limits` value of the wrong kind or range (unknown key: warning)",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(limits) = option(ctx, "mlspl_limits") else {
        return;
    };
    let Some(members) = limits.as_object() else {
        return; // the schema reports a non-object
    };
    let algo = ctx.algo();
    let known_anywhere = known_fields();
    for member in members {
        let key = member.key.as_str();
        // Built only for a finding: most fields have none.
        let pointer = || json::pointer_push("/mlspl_limits", key);
        if key == "disabled" {
            if !matches!(member.value.value, Value::Bool(_)) {
                out.push(
                    Diagnostic::new(&BAD_MLSPL_LIMIT, ctx.node_span(Cell::Options, &member.value), "`disabled` must be a JSON boolean")
                        .with_pointer("options", pointer())
                        .with_help("Splunk's REST conf endpoint returns `\"disabled\": false`; write `false` or drop the key"),
                );
            }
            continue;
        }
        let Some(field) = ctx.target.limit_field(algo, key) else {
            if known_anywhere.contains(&key) {
                continue; // a field of another release: informational, MLTK replaces limits at apply
            }
            let suggestion = closest(key, known_anywhere.iter().copied());
            let help = match suggestion {
                Some(s) => format!("did you mean `{s}`? MLTK ignores unknown keys"),
                None => "no MLTK release has this mlspl.conf field; MLTK ignores it".to_owned(),
            };
            out.push(
                Diagnostic::new(
                    &BAD_MLSPL_LIMIT,
                    ctx.span_in(Cell::Options, member.key_span.clone()),
                    format!("unknown mlspl.conf field `{key}`"),
                )
                .with_severity(Severity::Warning)
                .with_pointer("options", pointer())
                .with_help(help),
            );
            continue;
        };
        let Some(text) = member.value.as_str() else {
            continue; // non-string values are the schema's (MLTK202) finding
        };
        if let Some(problem) = value_problem(field, text) {
            out.push(
                Diagnostic::new(
                    &BAD_MLSPL_LIMIT,
                    ctx.node_span(Cell::Options, &member.value),
                    format!("mlspl_limits `{key}` = {text:?}: {problem}"),
                )
                .with_pointer("options", pointer())
                .with_help(format!(
                    "MLTK {} ships `{key} = {}` ({}); MLTK converts the value when it uses it and fails on this one",
                    ctx.target.id,
                    field.default.unwrap_or("?"),
                    field.kind
                )),
            );
        }
    }
}

/// Every field name of every stanza of every release, gathered once per run: the rule asks
/// for every file with `mlspl_limits`.
fn known_fields() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = catalog()
            .versions()
            .iter()
            .flat_map(|v| v.mlspl_conf.values())
            .flat_map(|stanza| stanza.field_names())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// Why `text` is not a valid value for `field`, if it is not.
fn value_problem(field: &LimitField, text: &str) -> Option<String> {
    let trimmed = text.trim();
    let number = match field.kind {
        "int" => match parse_python_int(trimmed) {
            Some(n) => n as f64,
            None => return Some("not an integer (Python int() fails)".to_owned()),
        },
        "float" => match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => return Some("not a number (Python float() fails)".to_owned()),
        },
        "bool" => {
            let known = ["true", "false", "1", "0", "t", "f", "yes", "no", "y", "n"];
            return (!known.contains(&trimmed.to_ascii_lowercase().as_str()))
                .then(|| "not a Splunk boolean (true/false, 1/0, yes/no)".to_owned());
        }
        _ => return None,
    };
    if let Some(min) = field.min
        && number < min
    {
        return Some(format!("below the minimum {min}"));
    }
    if let Some(max) = field.max
        && number > max
    {
        return Some(format!("above the maximum {max}"));
    }
    None
}

/// Python's `int(str)`: optional sign, digits with single underscores between them.
fn parse_python_int(text: &str) -> Option<i128> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    cleaned.parse().ok()
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::BAD_MLSPL_LIMIT;

    #[test]
    fn fires_on_bad_value_and_typo() {
        let options = OPTIONS.replace(
            r#""max_inputs": "100000""#,
            r#""max_inputs": "lots", "max_inptus": "5""#,
        );
        let text = artifact("LinearRegression", MODEL, &options);
        let diagnostics = lint(&BAD_MLSPL_LIMIT, text.clone());
        assert_eq!(
            spanned(&text, &diagnostics),
            [r#"""lots"""#, r#"""max_inptus"""#]
        );
        assert_eq!(diagnostics[0].severity, Severity::Error);
        assert_eq!(diagnostics[1].severity, Severity::Warning);
        assert!(
            diagnostics[1]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("max_inputs")
        );
    }

    #[test]
    fn silent_on_clean_and_python_ints() {
        assert!(lint(&BAD_MLSPL_LIMIT, clean()).is_empty());
        let options = OPTIONS.replace(
            r#""max_inputs": "100000""#,
            r#""max_inputs": " 100_000 ", "disabled": false"#,
        );
        assert!(
            lint(
                &BAD_MLSPL_LIMIT,
                artifact("LinearRegression", MODEL, &options)
            )
            .is_empty()
        );
    }
}
