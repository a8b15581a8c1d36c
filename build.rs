//! Turns `data/mltk-versions.json` into the Rust expression that builds the catalog
//! (`src/catalog.rs` includes it). Reading the JSON at every start-up cost 2.6M instructions,
//! two thirds of a run over one small file. The JSON stays the one source of the facts
//! (`tools/gen_data.py` writes it); a file without the shape the catalog reads fails the
//! build and names the field. Fields the crate does not read (descriptions, notes,
//! provenance) are left out.
//!
//! It also writes the codec index (`codec_index.rs`): every `(module, class)` pair any
//! release registers, with the codec of the newest release that knows it, as a hash table.
//! Built at start-up, the index took a thread of its own and its allocator heap on every run
//! with two workers.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Map, Value};

const DATA: &str = "data/mltk-versions.json";

fn main() {
    println!("cargo::rerun-if-changed={DATA}");
    let text = std::fs::read_to_string(DATA).unwrap_or_else(|e| panic!("{DATA}: {e}"));
    let data: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{DATA}: {e}"));
    let data = object(&data, "the document");
    let mut code = String::from("Data {\n    versions: vec![\n");
    for (i, version) in array(required(data, "versions", "the document"), "versions")
        .iter()
        .enumerate()
    {
        version_expr(&mut code, version, &format!("versions[{i}]"));
    }
    code.push_str("    ],\n    renames: vec![\n");
    if let Some(renames) = data.get("renames") {
        for (i, rename) in array(renames, "renames").iter().enumerate() {
            rename_expr(&mut code, rename, &format!("renames[{i}]"));
        }
    }
    code.push_str("    ],\n}\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("catalog_data.rs"), code).expect("OUT_DIR is writable");
    std::fs::write(out.join("codec_index.rs"), codec_index(data)).expect("OUT_DIR is writable");
}

/// The `(class, module, codec)` triples of every registration, as a hash table keyed by
/// class ([`class_hash`]). Releases newest first and, within one, the built-in table, then
/// the algorithms by name (the catalog's `BTreeMap` order), each in its own order: the first
/// triple of a pair is the one a search of the catalog would find, and later ones are left
/// out.
fn codec_index(data: &Map<String, Value>) -> String {
    let mut index = std::collections::BTreeMap::new();
    let versions = array(required(data, "versions", "the document"), "versions");
    for (i, version) in versions.iter().enumerate().rev() {
        let at = format!("versions[{i}]");
        let version = object(version, &at);
        let mut algorithms: Vec<_> = object(required(version, "algorithms", &at), &at)
            .iter()
            .collect();
        algorithms.sort_by(|a, b| a.0.cmp(b.0));
        let lists = std::iter::once(required(version, "builtin_codecs", &at)).chain(
            algorithms
                .into_iter()
                .map(|(_, algorithm)| required(object(algorithm, &at), "codecs", &at)),
        );
        for list in lists {
            for entry in array(list, &at) {
                let text = |i: usize| {
                    entry
                        .get(i)
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| fail(&at, "a codec registration", "three strings"))
                };
                index.entry((text(1), text(0))).or_insert_with(|| text(2));
            }
        }
    }
    // Open addressing with linear probing, at most half full: a lookup hashes the class once
    // and compares a slot or two.
    let slots = (index.len() * 2).next_power_of_two();
    let mut table: Vec<Option<(&str, &str, &str)>> = vec![None; slots];
    for ((class, module), codec) in index {
        let mut slot = class_hash(class) as usize & (slots - 1);
        while table[slot].is_some() {
            slot = (slot + 1) & (slots - 1);
        }
        table[slot] = Some((class, module, codec));
    }
    let mut code = String::from("&[\n");
    for slot in table {
        match slot {
            Some((class, module, codec)) => {
                let _ = writeln!(
                    code,
                    "    Some(({}, {}, {})),",
                    literal(class),
                    literal(module),
                    literal(codec)
                );
            }
            None => code.push_str("    None,\n"),
        }
    }
    code.push_str("]\n");
    code
}

include!("src/class_hash.rs");

fn version_expr(code: &mut String, version: &Value, at: &str) {
    let version = object(version, at);
    let field = |key: &str| required(version, key, at);
    let _ = writeln!(code, "        Version {{");
    let _ = writeln!(code, "            id: {},", string(field("id"), at));
    let aliases = version.get("aliases").map_or_else(Vec::new, |aliases| {
        array(aliases, at).iter().map(|a| string(a, at)).collect()
    });
    let _ = writeln!(code, "            aliases: vec![{}],", aliases.join(", "));
    for key in ["label", "model_extension"] {
        let value = version
            .get(key)
            .map_or_else(|| "\"\"".into(), |v| string(v, at));
        let _ = writeln!(code, "            {key}: {value},");
    }
    let python = version.get("python").map_or(0, |v| {
        v.as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .unwrap_or_else(|| fail(at, "python", "a small integer"))
    });
    let _ = writeln!(code, "            python: {python},");
    let _ = writeln!(
        code,
        "            builtin_codecs: vec![{}],",
        registrations(field("builtin_codecs"), &format!("{at}.builtin_codecs"))
    );
    code.push_str("            algorithms: BTreeMap::from([\n");
    for (name, algorithm) in object(field("algorithms"), at) {
        let at = format!("{at}.algorithms.{name}");
        let algorithm = object(algorithm, &at);
        let saves_model = required(algorithm, "saves_model", &at)
            .as_bool()
            .unwrap_or_else(|| fail(&at, "saves_model", "true or false"));
        let _ = writeln!(
            code,
            "                ({}, Algorithm {{ module: {}, saves_model: {saves_model}, codecs: vec![{}] }}),",
            literal(name),
            string(required(algorithm, "module", &at), &at),
            registrations(required(algorithm, "codecs", &at), &at),
        );
    }
    code.push_str("            ]),\n            mlspl_conf: BTreeMap::from([\n");
    for (name, stanza) in object(field("mlspl_conf"), at) {
        let at = format!("{at}.mlspl_conf.{name}");
        stanza_expr(code, name, object(stanza, &at), &at);
    }
    code.push_str("            ]),\n");
    let _ = writeln!(
        code,
        "            unknown_type_message: {},",
        string(field("unknown_type_message"), at)
    );
    code.push_str("        },\n");
}

/// A stanza: `kind`, and every other member a field.
fn stanza_expr(code: &mut String, name: &str, stanza: &Map<String, Value>, at: &str) {
    let kind = optional_string(stanza.get("kind"), at);
    let _ = writeln!(
        code,
        "                ({}, Stanza {{ kind: {kind}, fields: BTreeMap::from([",
        literal(name)
    );
    for (key, field) in stanza.iter().filter(|(key, _)| *key != "kind") {
        let at = format!("{at}.{key}");
        let field = object(field, &at);
        let number = |bound: &str| match field.get(bound) {
            None | Some(Value::Null) => "None".to_owned(),
            Some(value) => match value.as_f64() {
                Some(n) if n.is_finite() => format!("Some({n:?})"),
                _ => fail(&at, bound, "a number"),
            },
        };
        let _ = writeln!(
            code,
            "                    ({}, LimitField {{ kind: {}, default: {}, min: {}, max: {} }}),",
            literal(key),
            string(required(field, "type", &at), &at),
            optional_string(field.get("default"), &at),
            number("min"),
            number("max"),
        );
    }
    code.push_str("                ]) }),\n");
}

fn rename_expr(code: &mut String, rename: &Value, at: &str) {
    let rename = object(rename, at);
    let field = |key: &str| string(required(rename, key, at), at);
    let library = rename
        .get("library")
        .map_or_else(|| "\"\"".into(), |v| string(v, at));
    let _ = writeln!(
        code,
        "        Rename {{ class: {}, from: {}, to: {}, first_version: {}, library: {library} }},",
        field("class"),
        field("from"),
        field("to"),
        field("first_version"),
    );
}

/// `[module, class, codec]` triples as `Registration`s.
fn registrations(list: &Value, at: &str) -> String {
    let mut out = Vec::new();
    for entry in array(list, at) {
        match entry.as_array().map(Vec::as_slice) {
            Some([module, class, codec]) => out.push(format!(
                "Registration({}, {}, {})",
                string(module, at),
                string(class, at),
                string(codec, at)
            )),
            _ => fail(at, "a codec registration", "a [module, class, codec] array"),
        }
    }
    out.join(", ")
}

fn required<'a>(object: &'a Map<String, Value>, key: &str, at: &str) -> &'a Value {
    object.get(key).unwrap_or_else(|| fail(at, key, "present"))
}

fn object<'a>(value: &'a Value, at: &str) -> &'a Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| fail(at, "", "an object"))
}

fn array<'a>(value: &'a Value, at: &str) -> &'a Vec<Value> {
    value.as_array().unwrap_or_else(|| fail(at, "", "an array"))
}

/// A JSON string as a Rust string literal.
fn string(value: &Value, at: &str) -> String {
    value
        .as_str()
        .map(literal)
        .unwrap_or_else(|| fail(at, "", "a string"))
}

/// A JSON string or null (or absent) as `Some("...")` or `None`.
fn optional_string(value: Option<&Value>, at: &str) -> String {
    match value {
        None | Some(Value::Null) => "None".to_owned(),
        Some(value) => format!("Some({})", string(value, at)),
    }
}

/// Rust's `Debug` for `str` is a valid string literal: quotes, backslashes and control
/// characters escaped.
fn literal(text: &str) -> String {
    format!("{text:?}")
}

fn fail(at: &str, key: &str, expected: &str) -> ! {
    panic!("{DATA}: {at} {key}: expected {expected}")
}
