//! The `model` cell: what kind of payload it holds and its decoded form.

pub mod model;
pub mod npy;
pub mod npz;
pub mod pickle;
pub mod pyjson;

use std::sync::Arc;

use crate::json;

/// What the `model` cell holds, decided before any codec runs.
#[derive(Debug)]
pub enum ModelCell {
    /// There is no data row or no `model` column.
    Absent,
    /// The cell is empty (a temporary model).
    Empty,
    /// JSON text; decode it with [`model::decode`].
    Json(json::Node),
    /// Neither JSON nor any other known payload.
    NotJson(json::ParseError),
    /// A Python pickle (MLTK 0.9): the scan of what it would import.
    Pickle(Result<pickle::Scan, pickle::ScanError>),
    /// An ONNX model, `b'<base64>'`: the decoded size or why it does not decode.
    Onnx(Result<usize, String>),
}

impl ModelCell {
    /// Classify and parse the cell text with the default limits.
    pub fn parse(text: &str) -> ModelCell {
        ModelCell::parse_with(text, &crate::limits::Limits::default())
    }

    /// Classify and parse the cell text: JSON nesting up to `limits.json_max_depth`, a
    /// pickle scanned with `limits.pickle`.
    pub fn parse_with(text: &str, limits: &crate::limits::Limits) -> ModelCell {
        ModelCell::classify(text, None, limits)
    }

    /// [`ModelCell::parse_with`], with the JSON's long strings sharing `text` instead of
    /// copying it (see [`json::JsonStr`]): what the linter uses.
    pub fn parse_shared(text: &Arc<String>, limits: &crate::limits::Limits) -> ModelCell {
        ModelCell::classify(text, Some(text), limits)
    }

    fn classify(
        text: &str,
        shared: Option<&Arc<String>>,
        limits: &crate::limits::Limits,
    ) -> ModelCell {
        if text.is_empty() {
            return ModelCell::Empty;
        }
        if let Some(inner) = text.strip_prefix("b'").and_then(|t| t.strip_suffix('\'')) {
            // MLTK strips `b'` and `'`, then base64-decodes (ONNX, 5.4+).
            return ModelCell::Onnx(
                model::decode_base64(inner)
                    .map(|bytes| bytes.len())
                    .map_err(|(_, message)| message),
            );
        }
        let trimmed = text.trim_start();
        if !trimmed.starts_with(['{', '[']) && pickle::looks_like_pickle(text.as_bytes()) {
            return ModelCell::Pickle(pickle::scan_with(text.as_bytes(), &limits.pickle));
        }
        let parsed = match shared {
            Some(shared) => json::parse_shared(shared, &limits.json_options()).map(|p| p.root),
            None => json::parse_with(text, &limits.json_options()),
        };
        match parsed {
            Ok(root) => ModelCell::Json(root),
            Err(error) => ModelCell::NotJson(error),
        }
    }
}
