//! The decoded model as a typed JSON tree (what `inspect --format json` prints).
//!
//! Every JSON value keeps its place, so a pointer into the `model` cell (e.g.
//! `/dict/estimator/dict/coef_`) finds the same value here. What changes:
//!
//! - a codec record gains `"$record": {"module", "class", "codec"}`;
//! - an NPY payload (`npy`) is replaced by `dtype`, `shape` and `data` (every element, in C
//!   order, flattened); a structured dtype is a list of `[name, type]` pairs and each of its
//!   elements an object;
//! - a numpy scalar record (`NDArrayWrapperCodec`) gains `"$value"`, its one element;
//! - an NPZ payload (`sparse_npy`) is replaced by `"$npz"`: one array per member;
//! - `NaN`, `Infinity` and `-Infinity` outside arrays become `{"$float": "NaN"}`; inside
//!   `data` they are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (the dtype says it is a
//!   float).

use serde_json::{Map, Value as J, json};

use crate::codec::model::{Item, Payload, Record};
use crate::codec::npy::{Array, Descr, TypeStr};
use crate::codec::npz::Npz;
use crate::json::{Node, Number, Value};

/// Key of a record's type.
pub const RECORD: &str = "$record";
/// Key of a numpy scalar's value.
pub const SCALAR: &str = "$value";
/// Key of a non-finite float outside an array.
pub const FLOAT: &str = "$float";
/// Key of an NPZ payload's members.
pub const NPZ: &str = "$npz";
/// Key of an NPZ member's name.
pub const MEMBER: &str = "$member";
/// Key saying an array's `data` was cut by `--max-array`.
pub const TRUNCATED: &str = "truncated";

/// The typed form of a decoded item. `text` is the cell text the nodes were parsed from.
pub fn item(item: &Item<'_>, text: &str) -> J {
    match item {
        Item::Plain(node) => plain(node, text),
        Item::Array(_, items) => J::Array(items.iter().map(|i| self::item(i, text)).collect()),
        Item::Object(_, members) => {
            let mut map = Map::new();
            for (member, child) in members {
                map.insert(member.key.clone(), self::item(child, text));
            }
            J::Object(map)
        }
        Item::Record(record) => self::record(record, text),
    }
}

fn record(record: &Record<'_>, text: &str) -> J {
    let mut map = Map::new();
    map.insert(
        RECORD.to_owned(),
        json!({"module": record.module, "class": record.class, "codec": record.codec}),
    );
    let replaced = match &record.payload {
        Payload::Array(_) => Some("npy"),
        Payload::Sparse(_) => Some("sparse_npy"),
        Payload::None | Payload::Bytes(_) => None,
    };
    for (member, child) in &record.fields {
        if Some(member.key.as_str()) == replaced {
            continue;
        }
        map.insert(member.key.clone(), item(child, text));
    }
    match &record.payload {
        Payload::Array(array) => array_fields(array, &mut map),
        Payload::Sparse(archive) => {
            map.insert(NPZ.to_owned(), npz(archive));
        }
        Payload::None | Payload::Bytes(_) => {}
    }
    // A numpy scalar: a record whose one other member is a one-element array record.
    if record.fields.len() == 1
        && let Some(J::Object(inner)) = map.get("ndarray")
        && let Some(J::Array(data)) = inner.get("data")
        && data.len() == 1
        && inner.contains_key(RECORD)
    {
        let value = data[0].clone();
        map.insert(SCALAR.to_owned(), value);
    }
    J::Object(map)
}

fn npz(archive: &Npz) -> J {
    let mut members = Map::new();
    for member in &archive.members {
        let mut map = Map::new();
        map.insert(MEMBER.to_owned(), J::String(member.name.clone()));
        array_fields(&member.array, &mut map);
        let stem = member
            .name
            .strip_suffix(".npy")
            .unwrap_or(&member.name)
            .to_owned();
        members.insert(stem, J::Object(map));
    }
    J::Object(members)
}

/// `dtype`, `shape`, `fortran_order` (only when set) and `data`.
fn array_fields(array: &Array, map: &mut Map<String, J>) {
    map.insert("dtype".to_owned(), dtype(&array.descr));
    map.insert(
        "shape".to_owned(),
        J::Array(array.shape.iter().map(|&d| J::from(d)).collect()),
    );
    if array.fortran_order {
        map.insert("fortran_order".to_owned(), J::Bool(true));
    }
    map.insert("data".to_owned(), J::Array(elements(array)));
}

/// A dtype: the type string, or `[[name, type(, shape)], ...]` for a structured one.
pub fn dtype(descr: &Descr) -> J {
    match descr {
        Descr::Simple(t) => J::String(t.raw.clone()),
        Descr::Structured(fields) => J::Array(
            fields
                .iter()
                .map(|f| {
                    let mut pair = vec![J::String(f.name.clone()), dtype(&f.descr)];
                    if !f.shape.is_empty() {
                        pair.push(J::Array(f.shape.iter().map(|&d| J::from(d)).collect()));
                    }
                    J::Array(pair)
                })
                .collect(),
        ),
    }
}

/// Every element of the array in C order.
pub fn elements(array: &Array) -> Vec<J> {
    let size = array.descr.itemsize();
    if size == 0 || size == usize::MAX {
        return Vec::new();
    }
    let values: Vec<J> = array
        .data
        .chunks_exact(size)
        .map(|chunk| element(&array.descr, chunk))
        .collect();
    if array.fortran_order && array.shape.len() > 1 {
        c_order(values, &array.shape)
    } else {
        values
    }
}

/// Reorder column-major elements into row-major order.
pub fn c_order<T: Clone>(values: Vec<T>, shape: &[u64]) -> Vec<T> {
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let mut strides = vec![1usize; dims.len()];
    for k in 1..dims.len() {
        strides[k] = strides[k - 1].saturating_mul(dims[k - 1]);
    }
    let mut index = vec![0usize; dims.len()];
    let mut out = Vec::with_capacity(values.len());
    for _ in 0..values.len() {
        let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        match values.get(offset) {
            Some(v) => out.push(v.clone()),
            None => return values,
        }
        // Advance the row-major multi-index (last axis fastest).
        for k in (0..dims.len()).rev() {
            index[k] += 1;
            if index[k] < dims[k] {
                break;
            }
            index[k] = 0;
        }
    }
    out
}

/// One element of `descr` stored in `bytes`.
fn element(descr: &Descr, bytes: &[u8]) -> J {
    match descr {
        Descr::Simple(t) => scalar(t, bytes),
        Descr::Structured(fields) => {
            let mut map = Map::new();
            for field in fields.iter().filter(|f| !f.is_padding()) {
                let width = field.itemsize();
                let Some(chunk) = field
                    .offset
                    .checked_add(width)
                    .and_then(|end| bytes.get(field.offset..end))
                else {
                    map.insert(field.name.clone(), J::Null);
                    continue;
                };
                let value = if field.shape.is_empty() {
                    element(&field.descr, chunk)
                } else {
                    let item = field.descr.itemsize().max(1);
                    J::Array(
                        chunk
                            .chunks_exact(item)
                            .map(|c| element(&field.descr, c))
                            .collect(),
                    )
                };
                map.insert(field.name.clone(), value);
            }
            J::Object(map)
        }
    }
}

fn ordered<const N: usize>(t: &TypeStr, bytes: &[u8]) -> Option<[u8; N]> {
    let mut array: [u8; N] = bytes.get(..N)?.try_into().ok()?;
    if t.is_big_endian() {
        array.reverse();
    }
    Some(array)
}

/// An array element as JSON: numbers, booleans, strings; non-finite floats as strings.
fn scalar(t: &TypeStr, b: &[u8]) -> J {
    let value = match (t.kind, t.size) {
        ('b', _) => b.first().map(|&v| J::Bool(v != 0)),
        ('i', 1) => b.first().map(|&v| J::from(v as i8)),
        ('i', 2) => ordered::<2>(t, b).map(|a| J::from(i16::from_le_bytes(a))),
        ('i', 4) => ordered::<4>(t, b).map(|a| J::from(i32::from_le_bytes(a))),
        ('i', 8) => ordered::<8>(t, b).map(|a| J::from(i64::from_le_bytes(a))),
        ('u', 1) => b.first().map(|&v| J::from(v)),
        ('u', 2) => ordered::<2>(t, b).map(|a| J::from(u16::from_le_bytes(a))),
        ('u', 4) => ordered::<4>(t, b).map(|a| J::from(u32::from_le_bytes(a))),
        ('u', 8) => ordered::<8>(t, b).map(|a| J::from(u64::from_le_bytes(a))),
        ('f', 2) => ordered::<2>(t, b).map(|a| float(half(u16::from_le_bytes(a)))),
        ('f', 4) => ordered::<4>(t, b).map(|a| float(f64::from(f32::from_le_bytes(a)))),
        ('f', 8) => ordered::<8>(t, b).map(|a| float(f64::from_le_bytes(a))),
        ('c', 8) => Some(J::Array(
            b.chunks_exact(4)
                .filter_map(|c| ordered::<4>(t, c))
                .map(|a| float(f64::from(f32::from_le_bytes(a))))
                .collect(),
        )),
        ('c', 16) => Some(J::Array(
            b.chunks_exact(8)
                .filter_map(|c| ordered::<8>(t, c))
                .map(|a| float(f64::from_le_bytes(a)))
                .collect(),
        )),
        ('M' | 'm', 8) => ordered::<8>(t, b).map(|a| match i64::from_le_bytes(a) {
            i64::MIN => J::String("NaT".to_owned()),
            v => J::from(v),
        }),
        ('U', _) => {
            let text: String = b
                .chunks_exact(4)
                .filter_map(|c| ordered::<4>(t, c))
                .map(|a| char::from_u32(u32::from_le_bytes(a)).unwrap_or('\u{fffd}'))
                .collect();
            Some(J::String(text.trim_end_matches('\0').to_owned()))
        }
        ('S', _) => {
            let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
            Some(J::String(String::from_utf8_lossy(&b[..end]).into_owned()))
        }
        ('V', _) => Some(J::String(b.iter().map(|v| format!("{v:02x}")).collect())),
        _ => None,
    };
    value.unwrap_or(J::Null)
}

/// A float as a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn float(f: f64) -> J {
    match serde_json::Number::from_f64(f) {
        Some(n) => J::Number(n),
        None if f.is_nan() => J::String("NaN".to_owned()),
        None if f > 0.0 => J::String("Infinity".to_owned()),
        None => J::String("-Infinity".to_owned()),
    }
}

/// IEEE half precision to f64.
fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

/// A plain JSON value.
pub fn plain(node: &Node, text: &str) -> J {
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::String(s) => J::String(s.to_string()),
        Value::Number(n) => match *n {
            Number::Int(i) => J::from(i),
            Number::UInt(u) => J::from(u),
            Number::Float(f) if f.is_finite() => float(f),
            Number::Float(f) => non_finite(if f > 0.0 { "Infinity" } else { "-Infinity" }),
            Number::NaN => non_finite("NaN"),
            Number::Infinity => non_finite("Infinity"),
            Number::NegInfinity => non_finite("-Infinity"),
            Number::BigInt => crate::json::to_serde(node, text),
        },
        Value::Array(items) => J::Array(items.iter().map(|n| plain(n, text)).collect()),
        Value::Object(members) => {
            let mut map = Map::new();
            for m in members {
                map.insert(m.key.clone(), plain(&m.value, text));
            }
            J::Object(map)
        }
    }
}

fn non_finite(name: &str) -> J {
    json!({ FLOAT: name })
}

/// Whether `value` is a typed array (`dtype`, `shape`, `data`) of a record or an NPZ member.
pub fn is_array(value: &J) -> bool {
    let J::Object(map) = value else {
        return false;
    };
    (map.contains_key(RECORD) || map.contains_key(MEMBER))
        && map.contains_key("dtype")
        && map.get("shape").is_some_and(J::is_array)
        && map.get("data").is_some_and(J::is_array)
}

/// `(module, class)` of a typed record.
pub fn record_type(value: &J) -> Option<(&str, &str)> {
    let info = value.get(RECORD)?;
    Some((info.get("module")?.as_str()?, info.get("class")?.as_str()?))
}

/// The shape of a typed array.
pub fn shape(value: &J) -> Vec<u64> {
    value
        .get("shape")
        .and_then(J::as_array)
        .map(|s| s.iter().filter_map(J::as_u64).collect())
        .unwrap_or_default()
}

/// A float value of a typed scalar (numbers, `$float` objects, `"NaN"`-style strings, bools).
pub fn as_f64(value: &J) -> Option<f64> {
    match value {
        J::Number(n) => n.as_f64(),
        J::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        J::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        J::Object(map) if map.len() == 1 => map.get(FLOAT).and_then(as_f64),
        _ => None,
    }
}

/// Cut every array's `data` to `max` elements, saying so in `truncated`.
pub fn truncate_arrays(value: &mut J, max: usize) {
    let is_array = is_array(value);
    match value {
        J::Object(map) => {
            if is_array
                && let Some(J::Array(data)) = map.get_mut("data")
                && data.len() > max
            {
                let total = data.len();
                data.truncate(max);
                map.insert(TRUNCATED.to_owned(), json!({"shown": max, "total": total}));
            }
            for (key, child) in map.iter_mut() {
                if key != "data" || !is_array {
                    truncate_arrays(child, max);
                }
            }
        }
        J::Array(items) => items.iter_mut().for_each(|i| truncate_arrays(i, max)),
        _ => {}
    }
}

/// Extend a JSON pointer by one token.
pub fn push(pointer: &str, token: &str) -> String {
    crate::json::pointer_push(pointer, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_order_becomes_c_order() {
        // [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
        let stored = vec![1, 4, 2, 5, 3, 6];
        assert_eq!(c_order(stored, &[2, 3]), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn half_floats() {
        assert_eq!(half(0x3c00), 1.0);
        assert_eq!(half(0xc000), -2.0);
        assert!(half(0x7e00).is_nan());
        assert_eq!(half(0x7c00), f64::INFINITY);
    }

    #[test]
    fn floats_keep_non_finite_values() {
        assert_eq!(float(1.5), json!(1.5));
        assert_eq!(float(f64::NAN), json!("NaN"));
        assert_eq!(float(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(as_f64(&json!({"$float": "Infinity"})), Some(f64::INFINITY));
    }
}
