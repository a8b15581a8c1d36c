use crate::diagnostic::Diagnostic;
use crate::json::{self, Node, Value};
use crate::rules::Context;
use crate::rules::context::Cell;

/// Key names that hold credentials, matched as whole keys (case-insensitive).
const SECRET_KEYS: &[&str] = &[
    "session_key",
    "sessionkey",
    "password",
    "passwd",
    "token",
    "auth_token",
    "access_token",
    "refresh_token",
    "bearer_token",
    "api_key",
    "apikey",
    "secret",
    "secret_key",
    "client_secret",
    "access_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_credentials",
    "private_key",
];

declare_rule! {
    /// ## What it does
    /// Finds credentials in the options and model JSON: members whose whole key is a
    /// credential name (`session_key`, `password`, `token`, `secret_key`, `access_key`,
    /// `aws_credentials`, ...) with a non-empty value. Keys that merely contain such a word
    /// (TF-IDF's `token_pattern`) are not secrets. The value is masked in the output.
    ///
    /// ## Why is this bad?
    /// MLTK 5.7 fit copies the search's `session_key` into the saved options (and
    /// AITKContainer models copy it into the model twice more). Shipping the file in an app or
    /// a git repository publishes a live Splunk session token.
    ///
    /// ## Example
    /// `"session_key": "6DYqG1..."` in options.
    ///
    /// ## How to fix
    /// Remove the key (MLTK does not need it to apply the model) and revoke the session.
    pub static SECRET = {
        code: "MLTK209",
        name: "secret",
        severity: Error,
        summary: "Credentials in the options or the model",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    if let Some(root) = ctx.options_root() {
        scan(ctx, Cell::Options, root, out);
    }
    if let Some(root) = ctx.model_root() {
        scan(ctx, Cell::Model, root, out);
    }
}

fn scan(ctx: &Context<'_>, cell: Cell, root: &Node, out: &mut crate::diagnostic::Findings) {
    json::walk(root, is_container, |path, node| {
        let Value::Object(members) = &node.value else {
            return;
        };
        for member in members {
            let key = member.key.as_str();
            if is_secret_key(key) && holds_value(&key.to_ascii_lowercase(), &member.value) {
                let pointer = json::pointer_push(&json::pointer_of(path), key);
                out.push(
                    Diagnostic::new(
                        &SECRET,
                        ctx.node_span(cell, &member.value),
                        format!("`{}` in {} holds a credential ({})", member.key, cell.name(), mask(&member.value)),
                    )
                    .with_label("credential")
                    .with_redaction(redaction(ctx.node_span(cell, &member.value)))
                    .with_pointer(cell.name(), pointer)
                    .with_help("remove it from the artifact (MLTK does not need it to apply the model) and revoke it: it is readable by anyone with the file"),
                );
            }
        }
    });
}

/// Whether `key` is one of [`SECRET_KEYS`], in any case. Every key of both cells is tested,
/// and most are a codec's own (`__mlspl_type`, `dict`, `npy`, a vocabulary's words): the
/// length and the first letter turn them away before the 20 comparisons, which were a fifth
/// of this rule's 3.8M instructions on the corpus.
fn is_secret_key(key: &str) -> bool {
    let first = key.as_bytes().first().map_or(0, |b| b.to_ascii_lowercase());
    (5..=21).contains(&key.len())
        && matches!(first, b'a' | b'b' | b'c' | b'p' | b'r' | b's' | b't')
        && SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Only objects and arrays can hold a credential member further down.
fn is_container(node: &Node) -> bool {
    matches!(node.value, Value::Object(_) | Value::Array(_))
}

/// Keep the opening quote(s) and four characters visible; mask the rest.
fn redaction(span: crate::artifact::span::Span) -> crate::artifact::span::Span {
    crate::artifact::span::Span::new((span.start + 6).min(span.end), span.end)
}

/// Credentials are strings; only `aws_credentials` holds an object of them. A codec record
/// (e.g. a TF-IDF vocabulary entry for the word "password") is data, not a credential.
fn holds_value(key: &str, node: &Node) -> bool {
    match &node.value {
        Value::String(s) => !s.trim().is_empty(),
        Value::Object(members) => {
            key == "aws_credentials"
                && !members.is_empty()
                && node.get(crate::codec::model::TYPE_KEY).is_none()
        }
        _ => false,
    }
}

/// Enough to recognise the value, never enough to use it.
fn mask(node: &Node) -> String {
    match &node.value {
        Value::String(s) => {
            let shown: String = s.chars().take(4).collect();
            format!("value `{shown}…`, {} characters, masked", s.chars().count())
        }
        _ => format!("{} value, masked", node.kind_name()),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::SECRET;

    /// The prefilter of `is_secret_key` lets every credential name through, in any case; it
    /// fails if a name is added to `SECRET_KEYS` that the length or first-letter test drops.
    #[test]
    fn every_secret_key_passes_the_prefilter() {
        for key in super::SECRET_KEYS {
            for spelled in [key.to_string(), key.to_ascii_uppercase()] {
                assert!(super::is_secret_key(&spelled), "{spelled}");
            }
        }
        for other in [
            "__mlspl_type",
            "dict",
            "npy",
            "state",
            "token_pattern",
            "secrets",
        ] {
            assert!(!super::is_secret_key(other), "{other}");
        }
    }

    #[test]
    fn fires_on_session_key_and_masks_it() {
        let options = OPTIONS.replace(
            r#""kfold_cv": null"#,
            r#""kfold_cv": null, "session_key": "abcdefghijklmnop""#,
        );
        let diagnostics = lint(&SECRET, artifact("LinearRegression", MODEL, &options));
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("`abcd…`, 16 characters"));
        assert!(!diagnostics[0].message.contains("efgh"));
        assert_eq!(diagnostics[0].pointer.as_deref(), Some("/session_key"));
    }

    #[test]
    fn nested_secrets_get_their_own_pointers() {
        // Siblings at several depths: the path to each finding must drop the steps of the
        // branches visited before it.
        let options = OPTIONS.replace(
            r#""kfold_cv": null"#,
            r#""kfold_cv": null, "a": [{"b": {"c": 1}}, {"x/y": [[], {"Password": "hunter2!"}]}], "d": {"token": "abcdefgh"}"#,
        );
        let diagnostics = lint(&SECRET, artifact("LinearRegression", MODEL, &options));
        let pointers: Vec<_> = diagnostics
            .iter()
            .filter_map(|d| d.pointer.as_deref())
            .collect();
        assert_eq!(pointers, ["/a/1/x~1y/1/Password", "/d/token"]);
    }

    #[test]
    fn silent_on_token_pattern_and_clean() {
        let model = MODEL.replace(
            r#""fit_intercept": true"#,
            r#""fit_intercept": true, "token_pattern": "(?u)\\b\\w+\\b", "token": null, "vocabulary_": {"password": {"__mlspl_type": ["numpy", "int64"], "ndarray": 3}}"#,
        );
        assert!(lint(&SECRET, artifact("LinearRegression", &model, OPTIONS)).is_empty());
        assert!(lint(&SECRET, clean()).is_empty());
    }
}
