//! What a model holds, read from its typed tree: wrapper and estimator, hyperparameters,
//! variables, classes, arrays, trees and ensembles. Both renderers and `diff` use these.

use serde::Serialize;
use serde_json::{Map, Value as J};

use super::typed::{self, RECORD, SCALAR};
use crate::catalog::catalog;

/// Keys of the wrapper's `dict` shown as variables, not as fields.
const VARIABLE_KEYS: [&str; 3] = ["feature_variables", "target_variable", "columns"];

/// Everything `inspect` says about a decoded model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// The top-level record (`algos.<Algo>.<Algo>`).
    pub wrapper: Option<Wrapper>,
    /// The wrapped estimator (`dict.estimator`).
    pub estimator: Option<Estimator>,
    /// Other estimator-like records of the wrapper (e.g. SGDClassifier's `scaler`).
    pub components: Vec<Estimator>,
    /// `feature_variables`, `target_variable`, `columns` of the wrapper.
    pub variables: Map<String, J>,
    /// The class labels (`dict.classes`, else the estimator's `classes_`).
    pub classes: Option<Vec<J>>,
    /// Every array, in document order.
    pub arrays: Vec<ArrayFacts>,
    /// Every decision tree (`sklearn.tree._tree.Tree` record), in document order.
    pub trees: Vec<TreeFacts>,
    /// Every record holding `estimators_`.
    pub ensembles: Vec<Ensemble>,
    /// Every `module.class` in the model, sorted.
    pub record_types: Vec<String>,
}

/// The top-level record.
#[derive(Debug, Clone, Serialize)]
pub struct Wrapper {
    /// `algos.<Algo>`.
    pub module: String,
    /// `<Algo>`.
    pub class: String,
    /// The keys of its `dict`, in file order.
    pub attributes: Vec<String>,
    /// Its scalar fields other than the variables.
    pub fields: Map<String, J>,
}

/// An estimator record.
#[derive(Debug, Clone, Serialize)]
pub struct Estimator {
    /// Where it is.
    pub pointer: String,
    /// Its module.
    pub module: String,
    /// Its class.
    pub class: String,
    /// The codec MLTK uses for it, if any release has one.
    pub codec: Option<String>,
    /// What the module path says about the library and MLTK releases.
    pub era: Era,
    /// Constructor parameters: scalar fields (and short scalar lists) of its `dict` whose
    /// names neither start nor end with `_`.
    pub hyperparameters: Map<String, J>,
    /// Fitted and private scalars (`n_features_in_`, `_tol`); a numpy scalar is
    /// `{"numpy_type", "value"}`.
    pub attributes: Map<String, J>,
    /// The remaining fields: a one-line description each.
    pub other: Map<String, J>,
}

/// What a record's module path implies.
#[derive(Debug, Clone, Serialize)]
pub struct Era {
    /// The library the module belongs to (`scikit-learn`, `numpy`, ...).
    pub library: String,
    /// The library versions that use this path, when known (`scikit-learn >= 0.22`).
    pub library_versions: Option<String>,
    /// How the path moved between MLTK releases, if it did.
    pub note: Option<String>,
    /// The MLTK releases with a codec for this `(module, class)`.
    pub mltk: Vec<String>,
}

/// One array.
#[derive(Debug, Clone, Serialize)]
pub struct ArrayFacts {
    /// Where it is.
    pub pointer: String,
    /// `module.class` of its record (`numpy.ndarray`), or `npz` for an NPZ member.
    pub record: String,
    /// Type string, or the fields of a structured dtype.
    pub dtype: J,
    /// Shape.
    pub shape: Vec<u64>,
    /// Number of elements.
    pub size: usize,
    /// The tree record it belongs to, if any.
    pub tree: Option<String>,
    /// Min, max and mean of numeric arrays (NaN ignored).
    pub stats: Option<Stats>,
    /// The first elements.
    pub first: Vec<J>,
    /// A short hash of the data, so any change to it shows.
    pub digest: String,
}

/// Numeric summary.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Smallest value.
    pub min: J,
    /// Largest value.
    pub max: J,
    /// Mean.
    pub mean: J,
    /// NaN count.
    pub nan: usize,
}

/// One decision tree.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TreeFacts {
    /// Where it is.
    pub pointer: String,
    /// `state.node_count`.
    pub node_count: Option<u64>,
    /// `state.max_depth` as stored.
    pub max_depth: Option<i64>,
    /// The depth computed from the child links.
    pub depth: Option<u64>,
    /// Nodes without children (`left_child == -1`).
    pub n_leaves: Option<u64>,
    /// `init_args[0]`.
    pub n_features: Option<i64>,
    /// `init_args[2]`.
    pub n_outputs: Option<i64>,
    /// `init_args[1]`.
    pub n_classes: Vec<J>,
    /// The dtype of `state.nodes`.
    pub nodes_descr: J,
    /// The shape of `state.values`.
    pub values_shape: Vec<u64>,
}

/// A record holding several estimators (`estimators_`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ensemble {
    /// Where it is.
    pub pointer: String,
    /// `module.class`.
    pub record: String,
    /// Records in `estimators_`.
    pub n_estimators: usize,
    /// `module.class` of the first of them.
    pub estimator_class: Option<String>,
    /// Trees inside `estimators_`.
    pub n_trees: usize,
    /// Their nodes, all together.
    pub node_count: u64,
    /// Their leaves, all together.
    pub n_leaves: u64,
    /// The smallest and largest tree depth.
    pub depth: Option<(u64, u64)>,
}

/// Read the facts from the typed model tree.
pub fn facts(model: &J) -> Facts {
    let mut facts = Facts::default();
    let mut types = std::collections::BTreeSet::new();
    walk(model, "", None, &mut |pointer, value, tree| {
        if let Some((module, class)) = typed::record_type(value) {
            types.insert(format!("{module}.{class}"));
            if is_tree(module, class) {
                facts.trees.push(tree_facts(pointer, value));
            }
        }
        if typed::is_array(value) {
            facts.arrays.push(array_facts(pointer, value, tree));
        }
    });
    facts.record_types = types.into_iter().collect();
    facts.ensembles = ensembles(model, &facts.trees);

    let Some((module, class)) = typed::record_type(model) else {
        return facts;
    };
    // The wrapper's state: its `dict`, or the record itself for codecs without one
    // (AITKContainer keeps `params`, `options`, `feature_variables` beside its type).
    let (base, dict) = match model.get("dict").and_then(J::as_object) {
        Some(dict) => ("/dict", dict),
        None => match model.as_object() {
            Some(map) => ("", map),
            None => return facts,
        },
    };
    let mut wrapper = Wrapper {
        module: module.to_owned(),
        class: class.to_owned(),
        attributes: dict.keys().filter(|k| *k != RECORD).cloned().collect(),
        fields: Map::new(),
    };
    for (key, value) in dict.iter().filter(|(k, _)| *k != RECORD) {
        if VARIABLE_KEYS.contains(&key.as_str()) {
            facts.variables.insert(key.clone(), value.clone());
        } else if is_scalar(value) || is_scalar_list(value) {
            wrapper.fields.insert(key.clone(), value.clone());
        } else if key == "estimator" && is_estimator(value) {
            facts.estimator = Some(estimator(&typed::push(base, key), value));
        } else if is_estimator(value) {
            facts
                .components
                .push(estimator(&typed::push(base, key), value));
        }
    }
    facts.wrapper = Some(wrapper);
    let classes = dict
        .get("classes")
        .filter(|v| typed::is_array(v))
        .or_else(|| {
            dict.get("estimator")
                .and_then(|e| e.pointer("/dict/classes_"))
                .filter(|v| typed::is_array(v))
        });
    facts.classes = classes
        .and_then(|c| c.get("data"))
        .and_then(J::as_array)
        .cloned();
    facts
}

/// Visit every value with its pointer and the pointer of the tree it is in. Array `data` and
/// `$record` members are not entered.
fn walk(value: &J, pointer: &str, tree: Option<&str>, f: &mut dyn FnMut(&str, &J, Option<&str>)) {
    f(pointer, value, tree);
    let in_tree = match typed::record_type(value) {
        Some((module, class)) if is_tree(module, class) => Some(pointer.to_owned()),
        _ => tree.map(str::to_owned),
    };
    let is_array = typed::is_array(value);
    match value {
        J::Object(map) => {
            for (key, child) in map {
                if key == RECORD || key == SCALAR || (is_array && key == "data") {
                    continue;
                }
                walk(child, &typed::push(pointer, key), in_tree.as_deref(), f);
            }
        }
        J::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(
                    child,
                    &typed::push(pointer, &i.to_string()),
                    in_tree.as_deref(),
                    f,
                );
            }
        }
        _ => {}
    }
}

fn is_tree(module: &str, class: &str) -> bool {
    class == "Tree" && module.starts_with("sklearn.tree")
}

/// A JSON scalar (a non-finite float object counts).
pub fn is_scalar(value: &J) -> bool {
    match value {
        J::Null | J::Bool(_) | J::Number(_) | J::String(_) => true,
        J::Object(map) => map.len() == 1 && map.contains_key(typed::FLOAT),
        J::Array(_) => false,
    }
}

/// A short list of scalars (`hidden_layer_sizes`, `ngram_range`).
fn is_scalar_list(value: &J) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.len() <= 16 && items.iter().all(is_scalar))
}

/// A record with a `dict` (an object of some library, not a numpy value or a reference).
fn is_estimator(value: &J) -> bool {
    matches!(typed::record_type(value), Some((module, _))
        if !module.starts_with("numpy") && module != "codec.flatten" && module != "builtins")
        && value.get("dict").is_some_and(J::is_object)
}

fn estimator(pointer: &str, value: &J) -> Estimator {
    let (module, class) = typed::record_type(value).unwrap_or(("?", "?"));
    let codec = value
        .get(RECORD)
        .and_then(|r| r.get("codec"))
        .and_then(J::as_str)
        .map(str::to_owned);
    let mut out = Estimator {
        pointer: pointer.to_owned(),
        module: module.to_owned(),
        class: class.to_owned(),
        codec,
        era: era(module, class),
        hyperparameters: Map::new(),
        attributes: Map::new(),
        other: Map::new(),
    };
    let Some(dict) = value.get("dict").and_then(J::as_object) else {
        return out;
    };
    for (key, value) in dict {
        let fitted = key.starts_with('_') || key.ends_with('_');
        if !fitted && (is_scalar(value) || is_scalar_list(value)) {
            out.hyperparameters.insert(key.clone(), value.clone());
        } else if fitted && is_scalar(value) {
            out.attributes.insert(key.clone(), value.clone());
        } else if let (Some(v), Some((module, class))) =
            (value.get(SCALAR), typed::record_type(value))
        {
            let numpy_type = if module == "numpy" {
                class.to_owned()
            } else {
                format!("{module}.{class}")
            };
            let scalar = serde_json::json!({"numpy_type": numpy_type, "value": v});
            if fitted {
                out.attributes.insert(key.clone(), scalar);
            } else {
                out.hyperparameters.insert(key.clone(), scalar);
            }
        } else {
            out.other.insert(key.clone(), J::String(describe(value)));
        }
    }
    out
}

/// A one-line description of a value that is not a scalar.
pub fn describe(value: &J) -> String {
    if typed::is_array(value) {
        let dtype = match value.get("dtype") {
            Some(J::String(s)) => s.clone(),
            _ => "structured".to_owned(),
        };
        return format!("array {dtype} {}", shape_text(&typed::shape(value)));
    }
    if let Some((module, class)) = typed::record_type(value) {
        return format!("{module}.{class} record");
    }
    match value {
        J::Array(items) => {
            let arrays = items.iter().filter(|i| typed::is_array(i)).count();
            let records = items
                .iter()
                .filter(|i| typed::record_type(i).is_some())
                .count();
            if !items.is_empty() && arrays == items.len() {
                let shapes: Vec<String> =
                    items.iter().map(|i| shape_text(&typed::shape(i))).collect();
                format!("list of {} arrays: {}", items.len(), shapes.join(" "))
            } else if !items.is_empty() && records == items.len() {
                format!("list of {} records", items.len())
            } else if items.iter().all(|i| typed::as_f64(i).is_some()) {
                format!("list of {} numbers", items.len())
            } else if items.iter().all(J::is_string) {
                format!("list of {} strings", items.len())
            } else {
                format!("list of {} items", items.len())
            }
        }
        J::Object(map) => format!("object with {} keys", map.len()),
        other => other.to_string(),
    }
}

/// A shape as Python writes a tuple.
pub fn shape_text(shape: &[u64]) -> String {
    crate::codec::npy::shape_to_python(shape)
}

fn array_facts(pointer: &str, value: &J, tree: Option<&str>) -> ArrayFacts {
    let record = match typed::record_type(value) {
        Some((module, class)) => format!("{module}.{class}"),
        None => "npz".to_owned(),
    };
    let data: &[J] = value
        .get("data")
        .and_then(J::as_array)
        .map_or(&[], Vec::as_slice);
    let simple = value.get("dtype").is_some_and(J::is_string);
    ArrayFacts {
        pointer: pointer.to_owned(),
        record,
        dtype: value.get("dtype").cloned().unwrap_or(J::Null),
        shape: typed::shape(value),
        size: data.len(),
        tree: tree.map(str::to_owned),
        stats: if simple { stats(data) } else { None },
        first: data.iter().take(8).cloned().collect(),
        digest: digest(data),
    }
}

/// Min, max, mean of numeric data; `None` when any element is not a number.
pub fn stats(data: &[J]) -> Option<Stats> {
    if data.is_empty() {
        return None;
    }
    let mut values = Vec::with_capacity(data.len());
    for v in data {
        if v.is_string() && typed::as_f64(v).is_none() {
            return None;
        }
        values.push(typed::as_f64(v)?);
    }
    let nan = values.iter().filter(|v| v.is_nan()).count();
    let finite: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
    if finite.is_empty() {
        return Some(Stats {
            min: J::Null,
            max: J::Null,
            mean: J::Null,
            nan,
        });
    }
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    Some(Stats {
        min: typed::float(min),
        max: typed::float(max),
        mean: typed::float(mean),
        nan,
    })
}

/// FNV-1a over the JSON text of the data, 8 hex digits.
pub fn digest(data: &[J]) -> String {
    let text = serde_json::to_string(data).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (hash >> 32) ^ (hash & 0xffff_ffff))
}

fn tree_facts(pointer: &str, value: &J) -> TreeFacts {
    let state = value.get("state");
    let get_i64 = |key: &str| state.and_then(|s| s.get(key)).and_then(J::as_i64);
    let nodes = state.and_then(|s| s.get("nodes"));
    let node_data = nodes.and_then(|n| n.get("data")).and_then(J::as_array);
    let child = |node: &J, key: &str| node.get(key).and_then(J::as_i64);
    let (depth, n_leaves) = match node_data {
        Some(nodes) => {
            let leaves = nodes
                .iter()
                .filter(|n| child(n, "left_child") == Some(-1))
                .count() as u64;
            (depth_of(nodes, &child), Some(leaves))
        }
        None => (None, None),
    };
    let init = value.get("init_args").and_then(J::as_array);
    let init_i64 = |i: usize| init.and_then(|a| a.get(i)).and_then(J::as_i64);
    let n_classes = init
        .and_then(|a| a.get(1))
        .and_then(|c| c.get("data"))
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    TreeFacts {
        pointer: pointer.to_owned(),
        node_count: get_i64("node_count").and_then(|v| u64::try_from(v).ok()),
        max_depth: get_i64("max_depth"),
        depth,
        n_leaves,
        n_features: init_i64(0),
        n_outputs: init_i64(2),
        n_classes,
        nodes_descr: nodes
            .and_then(|n| n.get("dtype"))
            .cloned()
            .unwrap_or(J::Null),
        values_shape: state
            .and_then(|s| s.get("values"))
            .map(typed::shape)
            .unwrap_or_default(),
    }
}

/// The depth of the deepest node reachable from node 0 (the root has depth 0); `None` if the
/// links leave the array or form a cycle.
fn depth_of(nodes: &[J], child: &dyn Fn(&J, &str) -> Option<i64>) -> Option<u64> {
    if nodes.is_empty() {
        return Some(0);
    }
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![(0usize, 0u64)];
    let mut deepest = 0;
    while let Some((index, depth)) = stack.pop() {
        if std::mem::replace(seen.get_mut(index)?, true) {
            return None;
        }
        deepest = deepest.max(depth);
        for key in ["left_child", "right_child"] {
            match child(&nodes[index], key)? {
                -1 => {}
                c => stack.push((usize::try_from(c).ok()?, depth + 1)),
            }
        }
    }
    Some(deepest)
}

fn ensembles(model: &J, trees: &[TreeFacts]) -> Vec<Ensemble> {
    let mut out = Vec::new();
    walk(model, "", None, &mut |pointer, value, _| {
        let Some((module, class)) = typed::record_type(value) else {
            return;
        };
        let Some(members) = value.pointer("/dict/estimators_") else {
            return;
        };
        let mut records = Vec::new();
        collect_records(members, &mut records);
        if records.is_empty() {
            return;
        }
        let prefix = typed::push(pointer, "dict") + "/estimators_/";
        let inside: Vec<&TreeFacts> = trees
            .iter()
            .filter(|t| t.pointer.starts_with(&prefix))
            .collect();
        let depths: Vec<u64> = inside.iter().filter_map(|t| t.depth).collect();
        out.push(Ensemble {
            pointer: pointer.to_owned(),
            record: format!("{module}.{class}"),
            n_estimators: records.len(),
            estimator_class: records
                .first()
                .and_then(|r| typed::record_type(r))
                .map(|(m, c)| format!("{m}.{c}")),
            n_trees: inside.len(),
            node_count: inside.iter().filter_map(|t| t.node_count).sum(),
            n_leaves: inside.iter().filter_map(|t| t.n_leaves).sum(),
            depth: depths
                .iter()
                .min()
                .copied()
                .zip(depths.iter().max().copied()),
        });
    });
    out
}

/// The records in a (possibly nested) list, outermost only.
fn collect_records<'a>(value: &'a J, out: &mut Vec<&'a J>) {
    if typed::record_type(value).is_some() {
        out.push(value);
    } else if let J::Array(items) = value {
        items.iter().for_each(|i| collect_records(i, out));
    }
}

/// What the module path of `(module, class)` says.
pub fn era(module: &str, class: &str) -> Era {
    let catalog = catalog();
    let library = library_of(module).to_owned();
    let mltk: Vec<String> = catalog
        .versions_with(module, class)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut era = Era {
        library,
        library_versions: None,
        note: None,
        mltk,
    };
    let Some(rename) = catalog.rename_of(module, class) else {
        if module == "__builtin__" {
            era.library_versions = Some("Python 2".to_owned());
        }
        return era;
    };
    // scikit-learn 0.22 made its modules private (`linear_model.base` became
    // `linear_model._base`); the first MLTK release with the private paths is the one in
    // which LinearRegression moved.
    let privatised = catalog
        .rename_of("sklearn.linear_model.base", "LinearRegression")
        .is_some_and(|r| r.first_version == rename.first_version)
        && rename.library == "sklearn"
        && !is_private(rename.from)
        && is_private(rename.to);
    let previous = catalog
        .versions()
        .iter()
        .take_while(|v| v.id != rename.first_version)
        .last()
        .map(|v| v.id.to_owned());
    if rename.from == module {
        era.note = Some(format!(
            "old path: moved to {} in MLTK {}",
            rename.to, rename.first_version
        ));
        era.library_versions = if privatised {
            Some("scikit-learn < 0.22".to_owned())
        } else if rename.library == "python" {
            Some("Python 2".to_owned())
        } else {
            previous.map(|p| format!("{} as shipped up to MLTK {p}", era.library))
        };
    } else {
        era.note = Some(format!(
            "path since MLTK {} (before: {})",
            rename.first_version, rename.from
        ));
        era.library_versions = if privatised {
            Some("scikit-learn >= 0.22".to_owned())
        } else if rename.library == "python" {
            Some("Python 3".to_owned())
        } else {
            Some(format!(
                "{} as shipped from MLTK {}",
                era.library, rename.first_version
            ))
        };
    }
    era
}

/// Whether a `sklearn.…` path has a private component after the package.
fn is_private(module: &str) -> bool {
    module.split('.').skip(1).any(|part| part.starts_with('_'))
}

fn library_of(module: &str) -> &'static str {
    match module.split('.').next().unwrap_or("") {
        "sklearn" => "scikit-learn",
        "numpy" | "mtrand" => "numpy",
        "scipy" => "scipy",
        "pandas" => "pandas",
        "builtins" | "__builtin__" => "Python",
        "algos" | "codec" | "algos_contrib" => "MLTK",
        _ => "other",
    }
}

/// A readable span of MLTK releases: `3.4.0 to 5.x-2020`, `5.5.0 and later`, `none`.
pub fn release_span(ids: &[String]) -> String {
    let all: Vec<&str> = catalog().versions().iter().map(|v| v.id).collect();
    if ids.is_empty() {
        return "no known MLTK release".to_owned();
    }
    let positions: Vec<usize> = ids
        .iter()
        .filter_map(|id| all.iter().position(|v| v == id))
        .collect();
    let contiguous = positions.windows(2).all(|w| w[1] == w[0] + 1);
    if !contiguous || positions.len() != ids.len() {
        return format!("MLTK {}", ids.join(", "));
    }
    let (first, last) = (positions[0], positions[positions.len() - 1]);
    match (first == 0, last == all.len() - 1) {
        (true, true) => format!("every known MLTK release ({} to {})", all[0], all[last]),
        (false, true) if first == last => format!("MLTK {} only (the newest)", all[first]),
        (false, true) => format!("MLTK {} and later", all[first]),
        _ if first == last => format!("MLTK {} only", all[first]),
        (true, false) => format!("MLTK {} and earlier ({})", all[last], ids.join(", ")),
        (false, false) => format!("MLTK {} to {}", all[first], all[last]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_of_old_and_new_sklearn_paths() {
        let old = era("sklearn.linear_model.base", "LinearRegression");
        assert_eq!(old.library_versions.as_deref(), Some("scikit-learn < 0.22"));
        assert!(old.mltk.contains(&"3.4.0".to_owned()));
        assert!(!old.mltk.contains(&"5.7.4".to_owned()));
        let new = era("sklearn.linear_model._base", "LinearRegression");
        assert_eq!(
            new.library_versions.as_deref(),
            Some("scikit-learn >= 0.22")
        );
        assert!(new.mltk.contains(&"5.7.4".to_owned()));
        assert!(release_span(&new.mltk).contains("and later"));
    }

    #[test]
    fn tree_depth_from_links() {
        let node = |l: i64, r: i64| serde_json::json!({"left_child": l, "right_child": r});
        let nodes = vec![
            node(1, 2),
            node(-1, -1),
            node(3, 4),
            node(-1, -1),
            node(-1, -1),
        ];
        let child = |n: &J, k: &str| n.get(k).and_then(J::as_i64);
        assert_eq!(depth_of(&nodes, &child), Some(2));
        let cycle = vec![node(0, -1)];
        assert_eq!(depth_of(&cycle, &child), None);
    }
}
