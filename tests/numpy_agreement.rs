//! The decoded values are checked against numpy itself.
//!
//! `fixtures/generate.py` writes, for every valid fixture `fixtures/valid/<stem>.mlmodel`,
//! a reference file `fixtures/numpy/<stem>.json`: for every ndarray payload of the model cell
//! (every `"npy"` string, and every member of a `"sparse_npy"` NPZ) the JSON pointer of the
//! base64 string and what `numpy.load(..., allow_pickle=False)` gives — dtype, shape, Fortran
//! order, size and the flattened C-order values (the first 2000). It also writes one codec
//! self-test sample (`numpy/selftest_codecs.json`, whose model JSON is
//! `numpy/selftest_codecs.model.txt`) covering dtypes no scikit-learn fixture holds.
//!
//! This test decodes the same payloads with mltk-lint's own base64, NPY and NPZ decoders and
//! requires exact agreement: dtype string, shape, Fortran order, element count, and every
//! value (floats bit for bit, any NaN equal to any NaN). It also requires that walking the
//! model JSON finds exactly the payloads numpy recorded, so no array is silently skipped.

// The summary (fixtures, arrays, dtypes compared) goes to stderr.
#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mltk_lint::artifact::Artifact;
use mltk_lint::codec::model::decode_base64;
use mltk_lint::codec::{npy, npz};
use mltk_lint::json::{self, Node, Value};

/// numpy's values lists are cut to this many elements (`NUMPY_VALUES_CAP` in generate.py).
const VALUES_CAP: usize = 2000;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A payload: the pointer of its base64 string and, for an NPZ, the member name.
type PayloadKey = (String, Option<String>);

/// One value as numpy gave it.
#[derive(Debug, Clone)]
enum Expected {
    Float(f64),
    Int(i128),
    Bool(bool),
    Str(String),
}

/// One value as mltk-lint decoded it.
#[derive(Debug, Clone)]
enum Decoded {
    Float(f64),
    Int(i64),
    Str(String),
}

fn agrees(expected: &Expected, decoded: &Decoded) -> bool {
    match (expected, decoded) {
        (Expected::Float(e), Decoded::Float(d)) => {
            e.to_bits() == d.to_bits() || (e.is_nan() && d.is_nan())
        }
        (Expected::Int(e), Decoded::Int(d)) => *e == i128::from(*d),
        (Expected::Bool(e), Decoded::Int(d)) => i64::from(*e) == *d,
        (Expected::Str(e), Decoded::Str(d)) => e == d,
        _ => false,
    }
}

/// A reference file, parsed with the text kept for exact number lexemes.
struct Reference {
    stem: String,
    text: String,
    root: Node,
}

impl Reference {
    fn load(path: &Path) -> Reference {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let root =
            json::parse(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e:?}", path.display()));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file stem")
            .to_owned();
        Reference { stem, text, root }
    }

    fn str_at(&self, key: &str) -> &str {
        self.root
            .get(key)
            .and_then(Node::as_str)
            .unwrap_or_else(|| panic!("{}: no string {key:?}", self.stem))
    }

    /// The model JSON text the reference was made from.
    fn model_text(&self) -> String {
        let source = fixtures().join(self.str_at("source"));
        let bytes =
            std::fs::read(&source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()));
        match self.str_at("source_kind") {
            "mlmodel" => {
                let artifact = Artifact::parse(bytes);
                artifact
                    .cell("model")
                    .unwrap_or_else(|| panic!("{}: no model cell", source.display()))
                    .value
                    .to_string()
            }
            "model_json" => String::from_utf8(bytes).expect("model JSON is UTF-8"),
            other => panic!("{}: unknown source_kind {other:?}", self.stem),
        }
    }

    /// A JSON value of a numpy `values` list, read from its lexeme (floats parsed by Rust's
    /// correctly rounded `str::parse`, so the bits are exactly those numpy printed).
    fn expected(&self, node: &Node, float_kind: bool) -> Expected {
        match &node.value {
            Value::Bool(b) => Expected::Bool(*b),
            Value::String(s) if float_kind => Expected::Float(match s.as_str() {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                other => panic!("{}: unexpected float string {other:?}", self.stem),
            }),
            Value::String(s) => Expected::Str(s.to_string()),
            Value::Number(_) => {
                let lexeme = node.lexeme(&self.text).expect("lexeme");
                if float_kind || lexeme.contains(['.', 'e', 'E']) {
                    Expected::Float(lexeme.parse().expect("float lexeme"))
                } else {
                    Expected::Int(lexeme.parse().expect("integer lexeme"))
                }
            }
            _ => panic!("{}: unexpected value {node:?}", self.stem),
        }
    }

    fn expected_list(&self, node: &Node, float_kind: bool) -> Vec<Expected> {
        node.as_array()
            .unwrap_or_else(|| panic!("{}: values is not a list", self.stem))
            .iter()
            .map(|v| self.expected(v, float_kind))
            .collect()
    }
}

/// The payloads found by walking the model JSON: objects with an `"npy"` string, and
/// `"sparse_npy"` (a `builtins.bytes` record's `"str"`, or a bare string).
fn walk(node: &Node, pointer: &str, out: &mut Vec<(String, bool, String)>) {
    match &node.value {
        Value::Object(members) => {
            if let Some(s) = node.get("npy").and_then(Node::as_str) {
                out.push((json::pointer_push(pointer, "npy"), false, s.to_owned()));
            }
            if let Some(sparse) = node.get("sparse_npy") {
                let here = json::pointer_push(pointer, "sparse_npy");
                if let Some(s) = sparse.as_str() {
                    out.push((here, true, s.to_owned()));
                } else if let Some(s) = sparse.get("str").and_then(Node::as_str) {
                    out.push((json::pointer_push(&here, "str"), true, s.to_owned()));
                }
            }
            for m in members {
                walk(&m.value, &json::pointer_push(pointer, &m.key), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &json::pointer_push(pointer, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// Reorder `per`-item groups stored in column-major element order into row-major order.
fn to_c_order<T: Clone>(values: Vec<T>, shape: &[u64], per: usize) -> Vec<T> {
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let count: usize = dims.iter().product();
    if dims.len() < 2 || count == 0 {
        return values;
    }
    // Fortran strides (in elements): 1, d0, d0*d1, ...
    let mut strides = Vec::with_capacity(dims.len());
    let mut s = 1;
    for &d in &dims {
        strides.push(s);
        s *= d;
    }
    let mut out = Vec::with_capacity(values.len());
    let mut index = vec![0usize; dims.len()];
    for _ in 0..count {
        let at: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.extend_from_slice(&values[at * per..(at + 1) * per]);
        // Next row-major multi-index: the last axis varies fastest.
        for axis in (0..dims.len()).rev() {
            index[axis] += 1;
            if index[axis] < dims[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

/// Values of one simple type from a decoder accessor, as [`Decoded`].
fn decoded_simple(
    t: &npy::TypeStr,
    f64s: Option<Vec<f64>>,
    i64s: Option<Vec<i64>>,
) -> Option<Vec<Decoded>> {
    match t.kind {
        'f' => f64s.map(|v| v.into_iter().map(Decoded::Float).collect()),
        'i' | 'u' | 'b' => i64s.map(|v| v.into_iter().map(Decoded::Int).collect()),
        _ => None,
    }
}

/// The descr as numpy's `dtype.descr` looks in JSON: a type string, or a list of
/// `[name, descr]` / `[name, descr, shape]` (name `[title, name]` when titled).
fn descr_json(descr: &npy::Descr) -> serde_json::Value {
    use serde_json::Value as J;
    match descr {
        npy::Descr::Simple(t) => J::String(t.canonical()),
        npy::Descr::Structured(fields) => J::Array(
            fields
                .iter()
                .map(|f| {
                    let name = match &f.title {
                        Some(title) => J::Array(vec![title.clone().into(), f.name.clone().into()]),
                        None => J::String(f.name.clone()),
                    };
                    let mut item = vec![name, descr_json(&f.descr)];
                    if !f.shape.is_empty() {
                        item.push(J::Array(f.shape.iter().map(|&d| d.into()).collect()));
                    }
                    J::Array(item)
                })
                .collect(),
        ),
    }
}

/// Compare `expected` (numpy, C order, capped) with the decoder's values (file order).
fn compare_values(
    what: &str,
    expected: &[Expected],
    decoded: Option<Vec<Decoded>>,
    array: &npy::Array,
    per: usize,
    failures: &mut Vec<String>,
) -> usize {
    let Some(decoded) = decoded else {
        failures.push(format!(
            "{what}: the decoder gives no values for this dtype"
        ));
        return 0;
    };
    let total = array.len() as usize * per;
    if decoded.len() != total {
        failures.push(format!(
            "{what}: decoder gives {} values, shape × items per element is {total}",
            decoded.len()
        ));
        return 0;
    }
    let decoded = if array.fortran_order {
        to_c_order(decoded, &array.shape, per)
    } else {
        decoded
    };
    if expected.len() != total.min(VALUES_CAP) {
        failures.push(format!(
            "{what}: numpy recorded {} values, expected {}",
            expected.len(),
            total.min(VALUES_CAP)
        ));
    }
    let mut bad = 0;
    for (i, (e, d)) in expected.iter().zip(&decoded).enumerate() {
        if !agrees(e, d) {
            bad += 1;
            if bad <= 5 {
                failures.push(format!("{what}[{i}]: numpy {e:?}, mltk-lint {d:?}"));
            }
        }
    }
    if bad > 5 {
        failures.push(format!("{what}: {bad} values disagree in all"));
    }
    expected.len().min(decoded.len())
}

#[derive(Default)]
struct Tally {
    arrays: usize,
    values: usize,
    dtypes: BTreeMap<String, usize>,
}

fn check_array(
    reference: &Reference,
    entry: &Node,
    array: &npy::Array,
    what: &str,
    tally: &mut Tally,
    failures: &mut Vec<String>,
) {
    let dtype = entry.get("dtype").and_then(Node::as_str).expect("dtype");
    let shape: Vec<u64> = entry
        .get("shape")
        .and_then(Node::as_array)
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("shape item"))
        .collect();
    let fortran = entry
        .get("fortran_order")
        .and_then(Node::as_bool)
        .expect("fortran_order");
    let size = entry.get("size").and_then(Node::as_u64).expect("size");
    let values = entry.get("values").expect("values");

    let rust_dtype = match &array.descr {
        npy::Descr::Simple(t) => t.canonical(),
        npy::Descr::Structured(_) => format!("|V{}", array.itemsize()),
    };
    if rust_dtype != dtype {
        failures.push(format!(
            "{what}: dtype: numpy {dtype}, mltk-lint {rust_dtype}"
        ));
    }
    if array.shape != shape {
        failures.push(format!(
            "{what}: shape: numpy {shape:?}, mltk-lint {:?}",
            array.shape
        ));
    }
    if array.fortran_order != fortran {
        failures.push(format!(
            "{what}: fortran_order: numpy {fortran}, mltk-lint {}",
            array.fortran_order
        ));
    }
    if array.len() != size {
        failures.push(format!(
            "{what}: size: numpy {size}, mltk-lint {}",
            array.len()
        ));
    }
    tally.arrays += 1;

    match &array.descr {
        npy::Descr::Simple(t) => {
            *tally.dtypes.entry(dtype.to_owned()).or_default() += 1;
            let float_kind = t.kind == 'f';
            let expected = reference.expected_list(values, float_kind);
            let decoded = match t.kind {
                'U' | 'S' => array
                    .strings()
                    .map(|v| v.into_iter().map(Decoded::Str).collect()),
                _ => decoded_simple(t, array.f64_values(), array.i64_values()),
            };
            tally.values += compare_values(what, &expected, decoded, array, 1, failures);
        }
        npy::Descr::Structured(fields) => {
            let descr = entry.get("descr").expect("descr of a structured dtype");
            let numpy_descr = json::to_serde(descr, &reference.text);
            let rust_descr = descr_json(&array.descr);
            if numpy_descr != rust_descr {
                failures.push(format!(
                    "{what}: descr: numpy {numpy_descr}, mltk-lint {rust_descr}"
                ));
            }
            *tally
                .dtypes
                .entry(format!("structured {numpy_descr}"))
                .or_default() += 1;
            let members = values.as_object().expect("structured values are an object");
            let numpy_names: BTreeSet<&str> = members.iter().map(|m| m.key.as_str()).collect();
            let rust_names: BTreeSet<&str> = fields
                .iter()
                .filter(|f| !f.is_padding())
                .map(|f| f.name.as_str())
                .collect();
            if numpy_names != rust_names {
                failures.push(format!(
                    "{what}: fields: numpy {numpy_names:?}, mltk-lint {rust_names:?}"
                ));
            }
            for member in members {
                let name = member.key.as_str();
                let field_what = format!("{what} field {name:?}");
                let Some(field) = array.field(name) else {
                    failures.push(format!("{field_what}: no such field in mltk-lint's descr"));
                    continue;
                };
                let Some(t) = field.descr.simple() else {
                    failures.push(format!(
                        "{field_what}: nested structured field not compared"
                    ));
                    continue;
                };
                let per = field.shape.iter().product::<u64>() as usize;
                let expected = reference.expected_list(&member.value, t.kind == 'f');
                let decoded = decoded_simple(t, array.field_f64(name), array.field_i64(name));
                tally.values +=
                    compare_values(&field_what, &expected, decoded, array, per, failures);
            }
        }
    }
}

/// Check one reference file: the payload sets and every recorded array.
fn check_reference(reference: &Reference, tally: &mut Tally, failures: &mut Vec<String>) {
    let stem = &reference.stem;
    let model_text = reference.model_text();
    let model = json::parse(&model_text)
        .unwrap_or_else(|e| panic!("{stem}: model JSON does not parse: {e:?}"));

    // Payloads the Rust side finds, decoded (an NPZ yields one entry per member).
    let mut found = Vec::new();
    walk(&model, "", &mut found);
    let mut decoded: BTreeMap<PayloadKey, npy::Array> = BTreeMap::new();
    for (pointer, is_npz, b64) in found {
        let bytes = match decode_base64(&b64) {
            Ok(bytes) => bytes,
            Err((at, message)) => {
                failures.push(format!("{stem} {pointer}: base64 fails at {at}: {message}"));
                continue;
            }
        };
        if is_npz {
            match npz::parse(&bytes) {
                Ok(archive) => {
                    for member in archive.members {
                        let name = member
                            .name
                            .strip_suffix(".npy")
                            .unwrap_or(&member.name)
                            .to_owned();
                        decoded.insert((pointer.clone(), Some(name)), member.array);
                    }
                }
                Err(e) => failures.push(format!("{stem} {pointer}: NPZ does not parse: {e}")),
            }
        } else {
            match npy::parse(&bytes) {
                Ok(array) => {
                    decoded.insert((pointer, None), array);
                }
                Err(e) => failures.push(format!("{stem} {pointer}: NPY does not parse: {e}")),
            }
        }
    }

    let entries = reference
        .root
        .get("arrays")
        .and_then(Node::as_array)
        .unwrap_or_else(|| panic!("{stem}: no arrays list"));
    let mut recorded: BTreeSet<PayloadKey> = BTreeSet::new();
    for entry in entries {
        let pointer = entry
            .get("pointer")
            .and_then(Node::as_str)
            .expect("pointer");
        let member = entry
            .get("member")
            .and_then(Node::as_str)
            .map(str::to_owned);
        let key = (pointer.to_owned(), member);
        if !recorded.insert(key.clone()) {
            failures.push(format!("{stem}: {key:?} recorded twice"));
        }
        let what = match &key.1 {
            Some(m) => format!("{stem} {pointer} member {m}"),
            None => format!("{stem} {pointer}"),
        };
        // The pointer must address the very string the walk decoded.
        if model.pointer(pointer).and_then(Node::as_str).is_none() {
            failures.push(format!("{what}: the pointer does not address a string"));
        }
        match decoded.get(&key) {
            Some(array) => check_array(reference, entry, array, &what, tally, failures),
            None => failures.push(format!("{what}: numpy decoded it, mltk-lint did not")),
        }
    }
    let found: BTreeSet<PayloadKey> = decoded.keys().cloned().collect();
    for missing in found.difference(&recorded) {
        failures.push(format!(
            "{stem}: mltk-lint found {missing:?}, numpy recorded nothing"
        ));
    }
}

#[test]
fn decoded_arrays_agree_with_numpy() {
    let dir = fixtures().join("numpy");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "{} holds no reference files: run fixtures/generate.py",
        dir.display()
    );

    // Every valid fixture has a reference made from it.
    let mut valid: Vec<String> = std::fs::read_dir(fixtures().join("valid"))
        .expect("read fixtures/valid")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mlmodel"))
        .map(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .expect("stem")
                .to_owned()
        })
        .collect();
    valid.sort();
    assert!(!valid.is_empty(), "no valid fixtures");

    let mut failures = Vec::new();
    let mut tally = Tally::default();
    let mut from_valid = Vec::new();
    for path in &paths {
        let reference = Reference::load(path);
        if reference.str_at("source_kind") == "mlmodel" {
            let want = format!("valid/{}.mlmodel", reference.stem);
            assert_eq!(reference.str_at("source"), want, "{}", path.display());
            from_valid.push(reference.stem.clone());
        }
        let before = tally.arrays;
        check_reference(&reference, &mut tally, &mut failures);
        assert!(
            tally.arrays > before,
            "{}: no arrays compared",
            path.display()
        );
    }
    assert_eq!(
        from_valid, valid,
        "every fixtures/valid/*.mlmodel needs a fixtures/numpy/<stem>.json"
    );

    eprintln!(
        "numpy agreement: {} reference files ({} valid fixtures), {} arrays, {} values",
        paths.len(),
        from_valid.len(),
        tally.arrays,
        tally.values
    );
    for (dtype, n) in &tally.dtypes {
        eprintln!("  {n:4} × {dtype}");
    }
    assert!(
        failures.is_empty(),
        "mltk-lint disagrees with numpy ({} problems):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fortran_reordering_is_row_major() {
    // [[0, 1, 2], [3, 4, 5]] stored column-major is 0 3 1 4 2 5.
    assert_eq!(
        to_c_order(vec![0, 3, 1, 4, 2, 5], &[2, 3], 1),
        vec![0, 1, 2, 3, 4, 5]
    );
    // Two items per element keep their order inside the element.
    assert_eq!(
        to_c_order(vec![0, 0, 3, 3, 1, 1, 4, 4], &[2, 2], 2),
        vec![0, 0, 1, 1, 3, 3, 4, 4]
    );
}
