//! The `options` cell: parsed as JSON (as MLTK's `json.loads` does) and validated against
//! `schemas/options.schema.json`.

pub mod schema;

use crate::json;

/// What the `options` cell holds.
#[derive(Debug)]
pub enum OptionsCell {
    /// There is no data row or no `options` column.
    Absent,
    /// Parsed JSON.
    Json(json::Node),
    /// Not JSON: the parse error and, when the text looks like a Python literal, why.
    NotJson {
        /// Where and why `json.loads` fails.
        error: json::ParseError,
        /// A hint in terms of what a person wrote by hand.
        hint: Option<String>,
    },
}

impl OptionsCell {
    /// Parse the cell text with the default limits.
    pub fn parse(text: &str) -> OptionsCell {
        OptionsCell::parse_with(text, &crate::limits::Limits::default())
    }

    /// Parse the cell text, nesting up to `limits.json_max_depth`.
    pub fn parse_with(text: &str, limits: &crate::limits::Limits) -> OptionsCell {
        match json::parse_with(text, &limits.json_options()) {
            Ok(root) => OptionsCell::Json(root),
            Err(error) => {
                let hint = python_literal_hint(text, &error);
                OptionsCell::NotJson { error, hint }
            }
        }
    }
}

/// Explain a JSON error in terms of the Python literal someone probably wrote.
pub fn python_literal_hint(text: &str, error: &json::ParseError) -> Option<String> {
    let at = &text[error.offset.min(text.len())..];
    for (python, json_word) in [("None", "null"), ("True", "true"), ("False", "false")] {
        if at.starts_with(python) {
            return Some(format!(
                "`{python}` is Python, not JSON: write `{json_word}` (the cell looks like `str(dict)` or was edited by hand)"
            ));
        }
    }
    if at.starts_with('\'') {
        return Some(
            "JSON strings use double quotes; single quotes are Python's `repr` (write the options with `json.dumps`)"
                .to_owned(),
        );
    }
    if at.starts_with(['}', ']']) {
        return Some("a trailing comma is not allowed in JSON".to_owned());
    }
    if text.trim().is_empty() {
        return Some(
            "the cell is empty; MLTK needs at least `{}` with `feature_variables`".to_owned(),
        );
    }
    None
}
