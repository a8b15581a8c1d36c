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
            if letters_apart(&word, &lower).is_some_and(|apart| apart > 2 * limit) {
                return None;
            }
            let distance = strsim::damerau_levenshtein(&word, &lower);
            (distance <= limit).then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// For two ASCII strings, how many letters one has that the other lacks, counted with
/// repeats (`None` otherwise). An edit of the Damerau-Levenshtein distance changes this by
/// at most two (a substitution removes one letter and adds another; a transposition changes
/// nothing), so the distance is at least half of it: a count pass that rules out most
/// candidates before the quadratic distance, which allocates and cost 13,000 instructions
/// a call (1.4 % of a corpus run, from MLTK301's suggestions).
fn letters_apart(a: &str, b: &str) -> Option<usize> {
    if !a.is_ascii() || !b.is_ascii() {
        return None;
    }
    let mut counts = [0i32; 128];
    a.bytes().for_each(|byte| counts[usize::from(byte)] += 1);
    b.bytes().for_each(|byte| counts[usize::from(byte)] -= 1);
    Some(counts.iter().map(|&n| n.unsigned_abs() as usize).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`closest`] without the count bound: what it must keep answering.
    fn closest_by_distance_only<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let word = word.to_lowercase();
        candidates
            .iter()
            .filter_map(|&c| {
                let limit = 2.max(c.len() / 4);
                let distance = strsim::damerau_levenshtein(&word, &c.to_lowercase());
                (distance <= limit).then_some((distance, c))
            })
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, c)| c)
    }

    proptest::proptest! {
        /// No edit moves the count by more than two, so the bound never passes twice the
        /// distance and rules out no candidate within reach.
        #[test]
        fn letters_apart_is_at_most_twice_the_distance(a in "[a-d_]{0,12}", b in "[a-d_]{0,12}") {
            let apart = letters_apart(&a, &b).expect("ASCII");
            proptest::prop_assert!(apart <= 2 * strsim::damerau_levenshtein(&a, &b));
        }

        /// The same suggestion as the distance alone, over words a few edits apart
        /// (a small alphabet makes near misses common), ASCII or not.
        #[test]
        fn closest_agrees_with_the_distance_alone(
            word in "[a-dA-Dé]{0,10}",
            candidates in proptest::collection::vec("[a-dé]{0,10}", 0..8),
        ) {
            let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(
                closest(&word, candidates.iter().copied()),
                closest_by_distance_only(&word, &candidates)
            );
        }
    }

    #[test]
    fn suggests_within_two_edits() {
        let names = ["LinearRegression", "LogisticRegression", "KMeans"];
        assert_eq!(closest("LinearRegresion", names), Some("LinearRegression"));
        assert_eq!(closest("kmaens", names), Some("KMeans"));
        assert_eq!(closest("DecisionTree", names), None);
    }
}
