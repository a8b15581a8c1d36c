use crate::diagnostic::Diagnostic;
use crate::json;
use crate::options::schema;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Validates the `options` object against `schemas/options.schema.json` (JSON Schema
    /// draft-07), reporting each violation at the offending value with its JSON pointer.
    ///
    /// ## Why is this bad?
    /// `apply` updates the saved options with the search's own and then indexes them: it
    /// needs an object, a `feature_variables` list of field names and a `target_variable`
    /// list. A string where a list belongs is iterated character by character; a missing
    /// `feature_variables` fails with `KeyError`.
    ///
    /// ## Example
    /// `{"feature_variables": "x,y", ...}` (a string, not a list).
    ///
    /// ## How to fix
    /// Give each option the type MLTK writes; `mltk-lint explain MLTK202` and the schema's
    /// descriptions say which.
    pub static OPTIONS_SCHEMA = {
        code: "MLTK202",
        name: "options-schema",
        severity: Error,
        summary: "The `options` object violates the options schema",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let (Some(root), Some(field)) = (ctx.options_root(), ctx.cell(Cell::Options)) else {
        return;
    };
    let value = json::to_serde(root, &field.value);
    for violation in schema::validate(&value) {
        // MLTK210 reports a non-null `kfold_cv` with MLTK's own error; don't say it twice.
        if violation.pointer == "/kfold_cv" {
            continue;
        }
        let node = root.pointer(&violation.pointer).unwrap_or(root);
        let pointer = if violation.pointer.is_empty() {
            "/".to_owned()
        } else {
            violation.pointer.clone()
        };
        let mut diagnostic = Diagnostic::new(
            &OPTIONS_SCHEMA,
            ctx.node_span(Cell::Options, node),
            format!(
                "options{}: {}",
                if violation.pointer.is_empty() {
                    String::new()
                } else {
                    format!(" `{}`", violation.pointer)
                },
                violation.message
            ),
        )
        .with_pointer("options", pointer);
        let top_key = violation
            .key
            .as_deref()
            .or_else(|| violation.pointer.split('/').nth(1));
        if let Some(description) = top_key.and_then(schema::describe_option) {
            diagnostic = diagnostic.with_help(description);
        }
        out.push(diagnostic);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::OPTIONS_SCHEMA;

    #[test]
    fn fires_on_string_feature_variables() {
        let options = OPTIONS.replace(
            r#""feature_variables": ["x"]"#,
            r#""feature_variables": "x""#,
        );
        let text = artifact("LinearRegression", MODEL, &options);
        let diagnostics = lint(&OPTIONS_SCHEMA, text.clone());
        assert_eq!(spanned(&text, &diagnostics), [r#"""x"""#]);
        assert_eq!(
            diagnostics[0].pointer.as_deref(),
            Some("/feature_variables")
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&OPTIONS_SCHEMA, clean()).is_empty());
    }
}
