//! Small lookups several rules share.

use crate::json::Node;
use crate::rules::context::{Cell, Context};

/// An options member by key, when options is a JSON object.
pub(crate) fn option<'a>(ctx: &Context<'a>, key: &str) -> Option<&'a Node> {
    ctx.options_root()?.get(key)
}

/// A string option's value and node.
pub(crate) fn option_str<'a>(ctx: &Context<'a>, key: &str) -> Option<(&'a str, &'a Node)> {
    let node = option(ctx, key)?;
    Some((node.as_str()?, node))
}

/// The list of strings an option holds (a lone string counts as one item).
pub(crate) fn option_strings(ctx: &Context<'_>, key: &str) -> Option<Vec<String>> {
    let node = option(ctx, key)?;
    if let Some(text) = node.as_str() {
        return Some(vec![text.to_owned()]);
    }
    node.as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

/// The model name a file name implies: `__mlspl_<name>.mlmodel` -> `<name>`.
pub(crate) fn model_name_from_file(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_prefix("__mlspl_")?;
    [".onnx.mlmodel", ".mlmodel", ".csv"]
        .iter()
        .find_map(|ext| stem.strip_suffix(ext))
}

/// Whether MLTK's `is_valid_identifier` accepts `name` (`^[a-zA-Z_][a-zA-Z0-9_]*$`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The span of the whole `algo` cell, else the file start.
pub(crate) fn algo_span(ctx: &Context<'_>) -> crate::artifact::span::Span {
    ctx.cell(Cell::Algo)
        .map_or_else(|| ctx.file_start(), |field| field.span())
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let word_chars = word.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let limit = 2.max(c.len() / 4);
            let lower = c.to_lowercase();
            // The distance is at least the difference in length: most candidates are ruled
            // out without the quadratic distance (2 % of a corpus run before this).
            if word_chars.abs_diff(lower.chars().count()) > limit {
                return None;
            }
            let distance = strsim::damerau_levenshtein(&word, &lower);
            (distance <= limit).then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}
