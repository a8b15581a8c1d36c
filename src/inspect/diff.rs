//! `mltk-lint diff A B`: what changed between two versions of a model.
//!
//! The typed trees of both files are walked side by side. Every difference becomes one
//! [`Change`], put in the section a reviewer thinks in: options, hyperparameters, fitted
//! attributes, variables, ensembles, trees, records, arrays. A tree's node count and depth
//! are reported once, as a tree change, not again as the scalars they are stored in.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value as J, json};

use super::facts::{self, TreeFacts};
use super::text::{self, Painter, WIDTH, clip, value_text, wrap};
use super::{Inspection, typed};

/// Where a change belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// The `algo` cell or the kind of model cell.
    File,
    /// The options cell (pointer inside it).
    Options,
    /// A constructor parameter of the estimator (or the wrapper).
    Hyperparameter,
    /// A fitted or private scalar of the estimator.
    Attribute,
    /// `feature_variables`, `target_variable`, `columns`.
    Variable,
    /// Number of estimators, trees, nodes.
    Ensemble,
    /// Node count, leaves, depth of one tree.
    Tree,
    /// A record added, removed or of another class.
    Record,
    /// An array's dtype, shape or values.
    Array,
    /// Any other value.
    Value,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::File => "File",
            Section::Options => "Options",
            Section::Hyperparameter => "Hyperparameters",
            Section::Attribute => "Fitted attributes",
            Section::Variable => "Variables",
            Section::Ensemble => "Ensembles",
            Section::Tree => "Trees",
            Section::Record => "Records",
            Section::Array => "Arrays",
            Section::Value => "Other values",
        }
    }
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, different.
    Changed,
}

/// One difference.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Where it belongs.
    pub section: Section,
    /// Added, removed or changed.
    pub change: Kind,
    /// JSON pointer in the model cell (in the options cell for [`Section::Options`]; `algo`
    /// or `model` for [`Section::File`]).
    pub pointer: String,
    /// The value in A (a summary for arrays, trees and records).
    pub before: Option<J>,
    /// The value in B.
    pub after: Option<J>,
    /// A readable description of the difference.
    pub detail: Option<String>,
}

/// Compare two inspections. The changes come grouped by section, in document order.
pub fn diff(a: &Inspection, b: &Inspection) -> Vec<Change> {
    let mut changes = Vec::new();
    if a.algo != b.algo {
        changes.push(Change {
            section: Section::File,
            change: Kind::Changed,
            pointer: "algo".to_owned(),
            before: a.algo.clone().map(J::String),
            after: b.algo.clone().map(J::String),
            detail: None,
        });
    }
    if a.model_cell != b.model_cell {
        changes.push(Change {
            section: Section::File,
            change: Kind::Changed,
            pointer: "model".to_owned(),
            before: Some(J::String(a.model_cell.to_owned())),
            after: Some(J::String(b.model_cell.to_owned())),
            detail: Some("the model cell holds another kind of payload".to_owned()),
        });
    }
    if a.pickle.is_some() || b.pickle.is_some() {
        imports(a, b, &mut changes);
    }
    let null = J::Null;
    plain(
        a.options.as_ref().unwrap_or(&null),
        b.options.as_ref().unwrap_or(&null),
        "",
        Section::Options,
        &mut changes,
    );
    if let (Some(ma), Some(mb)) = (&a.model, &b.model) {
        let mut walker = Walker {
            changes: &mut changes,
            suppressed: BTreeSet::new(),
        };
        for tree in a.facts.trees.iter().chain(&b.facts.trees) {
            for key in ["node_count", "max_depth"] {
                walker
                    .suppressed
                    .insert(format!("{}/state/{key}", tree.pointer));
            }
        }
        walker.value(ma, mb, "");
        trees(&a.facts.trees, &b.facts.trees, &mut changes);
        ensembles(&a.facts.ensembles, &b.facts.ensembles, &mut changes);
    }
    // Stable: grouped by section, document order inside each.
    changes.sort_by_key(|c| c.section);
    changes
}

/// Pickle files: the globals each would import, added or removed (a file that is not a
/// pickle imports nothing).
fn imports(a: &Inspection, b: &Inspection, out: &mut Vec<Change>) {
    let globals = |side: &Inspection| -> BTreeSet<(String, &'static str)> {
        side.pickle
            .iter()
            .flat_map(|p| &p.imports)
            .map(|i| (i.global.clone(), i.class))
            .collect()
    };
    let (before, after) = (globals(a), globals(b));
    let removed = before.difference(&after).map(|g| (Kind::Removed, g));
    let added = after.difference(&before).map(|g| (Kind::Added, g));
    for (change, (global, class)) in removed.chain(added) {
        let (value, detail) = (Some(J::String(global.clone())), format!("({class})"));
        let (before, after, detail) = match change {
            Kind::Removed => (value, None, format!("no longer imported {detail}")),
            _ => (None, value, format!("newly imported {detail}")),
        };
        out.push(Change {
            section: Section::File,
            change,
            pointer: "imports".to_owned(),
            before,
            after,
            detail: Some(detail),
        });
    }
}

/// Two pickle files that import the same globals but differ in their bytes: their values
/// are never decoded, so the difference cannot be shown, only stated.
pub fn opaque_pickle_change(a: &Inspection, b: &Inspection) -> Change {
    Change {
        section: Section::File,
        change: Kind::Changed,
        pointer: "bytes".to_owned(),
        before: Some(J::from(a.bytes)),
        after: Some(J::from(b.bytes)),
        detail: Some(
            "the pickles differ byte for byte; their values are not unpickled, so what changed is not shown"
                .to_owned(),
        ),
    }
}

/// Plain JSON: objects key by key, anything else as a whole.
fn plain(a: &J, b: &J, pointer: &str, section: Section, out: &mut Vec<Change>) {
    if same(a, b) {
        return;
    }
    if let (J::Object(ma), J::Object(mb)) = (a, b)
        && !facts::is_scalar(a)
        && !facts::is_scalar(b)
    {
        for (key, value) in ma {
            let child = typed::push(pointer, key);
            match mb.get(key) {
                Some(other) => plain(value, other, &child, section, out),
                None => out.push(removed(section, child, value)),
            }
        }
        for (key, value) in mb.iter().filter(|(k, _)| !ma.contains_key(*k)) {
            out.push(added(section, typed::push(pointer, key), value));
        }
        return;
    }
    out.push(Change {
        section,
        change: Kind::Changed,
        pointer: pointer.to_owned(),
        before: Some(a.clone()),
        after: Some(b.clone()),
        detail: None,
    });
}

fn added(section: Section, pointer: String, value: &J) -> Change {
    Change {
        section,
        change: Kind::Added,
        pointer,
        before: None,
        after: Some(summary(value)),
        detail: gone_detail(value),
    }
}

fn removed(section: Section, pointer: String, value: &J) -> Change {
    Change {
        section,
        change: Kind::Removed,
        pointer,
        before: Some(summary(value)),
        after: None,
        detail: gone_detail(value),
    }
}

/// What an added or removed array or record is (with the trees inside a record).
fn gone_detail(value: &J) -> Option<String> {
    if typed::is_array(value) {
        return Some(facts::describe(value));
    }
    typed::record_type(value)?;
    let mut text = facts::describe(value);
    let trees = facts::facts(value).trees;
    if !trees.is_empty() {
        let nodes: u64 = trees.iter().filter_map(|t| t.node_count).sum();
        text += &format!(
            " ({} {}, {nodes} nodes)",
            trees.len(),
            if trees.len() == 1 { "tree" } else { "trees" }
        );
    }
    Some(text)
}

/// A value as reported: scalars as they are, arrays and records as a description.
fn summary(value: &J) -> J {
    if typed::is_array(value) {
        return json!({"dtype": value.get("dtype"), "shape": value.get("shape")});
    }
    if typed::record_type(value).is_some() {
        return J::String(facts::describe(value));
    }
    value.clone()
}

/// Equal values; NaN equals NaN, and numbers compare by value (`1` equals `1.0`).
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_nan() && y.is_nan() => true,
            (Some(fx), Some(fy)) if x.is_f64() || y.is_f64() => fx == fy,
            _ => x == y,
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

struct Walker<'c> {
    changes: &'c mut Vec<Change>,
    suppressed: BTreeSet<String>,
}

impl Walker<'_> {
    fn value(&mut self, a: &J, b: &J, pointer: &str) {
        if same(a, b) || self.suppressed.contains(pointer) {
            return;
        }
        if typed::is_array(a) && typed::is_array(b) {
            self.changes.push(array_change(a, b, pointer));
            return;
        }
        let (ta, tb) = (typed::record_type(a), typed::record_type(b));
        if ta.is_some() || tb.is_some() {
            if ta != tb || typed::is_array(a) != typed::is_array(b) {
                self.changes.push(Change {
                    section: Section::Record,
                    change: Kind::Changed,
                    pointer: pointer.to_owned(),
                    before: Some(summary(a)),
                    after: Some(summary(b)),
                    detail: Some("another type of record".to_owned()),
                });
                return;
            }
            if let (Some(va), Some(vb)) = (a.get(typed::SCALAR), b.get(typed::SCALAR)) {
                // A numpy scalar: report its value where it sits.
                self.changes.push(Change {
                    section: classify(pointer),
                    change: Kind::Changed,
                    pointer: pointer.to_owned(),
                    before: Some(va.clone()),
                    after: Some(vb.clone()),
                    detail: None,
                });
                return;
            }
            self.members(a, b, pointer);
            return;
        }
        match (a, b) {
            (J::Object(_), J::Object(_)) if !facts::is_scalar(a) && !facts::is_scalar(b) => {
                self.members(a, b, pointer);
            }
            (J::Array(xa), J::Array(xb))
                if !(xa.iter().all(facts::is_scalar) && xb.iter().all(facts::is_scalar)) =>
            {
                for (i, (va, vb)) in xa.iter().zip(xb).enumerate() {
                    self.value(va, vb, &typed::push(pointer, &i.to_string()));
                }
                for (i, v) in xa.iter().enumerate().skip(xb.len()) {
                    self.gone(v, &typed::push(pointer, &i.to_string()), false);
                }
                for (i, v) in xb.iter().enumerate().skip(xa.len()) {
                    self.gone(v, &typed::push(pointer, &i.to_string()), true);
                }
            }
            _ => self.changes.push(Change {
                section: classify(pointer),
                change: Kind::Changed,
                pointer: pointer.to_owned(),
                before: Some(a.clone()),
                after: Some(b.clone()),
                detail: None,
            }),
        }
    }

    /// Compare the members of two objects.
    fn members(&mut self, a: &J, b: &J, pointer: &str) {
        let empty = Map::new();
        let ma = a.as_object().unwrap_or(&empty);
        let mb = b.as_object().unwrap_or(&empty);
        for (key, va) in ma.iter().filter(|(k, _)| *k != typed::RECORD) {
            let child = typed::push(pointer, key);
            match mb.get(key) {
                Some(vb) => self.value(va, vb, &child),
                None => self.gone(va, &child, false),
            }
        }
        for (key, vb) in mb
            .iter()
            .filter(|(k, _)| *k != typed::RECORD && !ma.contains_key(*k))
        {
            self.gone(vb, &typed::push(pointer, key), true);
        }
    }

    /// A value only one side has.
    fn gone(&mut self, value: &J, pointer: &str, is_added: bool) {
        let section = if typed::is_array(value) {
            Section::Array
        } else if typed::record_type(value).is_some() {
            Section::Record
        } else {
            classify(pointer)
        };
        let change = if is_added {
            added(section, pointer.to_owned(), value)
        } else {
            removed(section, pointer.to_owned(), value)
        };
        self.changes.push(change);
    }
}

/// The section of a value at `pointer`: a member of the wrapper's `dict` (`/dict/…`) or of
/// another record's `dict` is a variable, hyperparameter or fitted attribute.
fn classify(pointer: &str) -> Section {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return Section::Value;
    };
    let fitted = key.starts_with('_') || key.ends_with('_');
    let variable = ["feature_variables", "target_variable", "columns"].contains(&key);
    match parent {
        "/dict" if variable => Section::Variable,
        _ if parent == "/dict" || parent.ends_with("/dict") => {
            if fitted {
                Section::Attribute
            } else {
                Section::Hyperparameter
            }
        }
        _ => Section::Value,
    }
}

fn array_change(a: &J, b: &J, pointer: &str) -> Change {
    let (sa, sb) = (typed::shape(a), typed::shape(b));
    let mut details = Vec::new();
    if a.get("dtype") != b.get("dtype") {
        details.push(format!(
            "dtype {} -> {}",
            value_text(a.get("dtype").unwrap_or(&J::Null)),
            value_text(b.get("dtype").unwrap_or(&J::Null))
        ));
    }
    if sa != sb {
        details.push(format!(
            "shape {} -> {}",
            facts::shape_text(&sa),
            facts::shape_text(&sb)
        ));
    }
    if details.is_empty() {
        let data = |v: &J| {
            v.get("data")
                .and_then(J::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (da, db) = (data(a), data(b));
        let mut differ = 0usize;
        let mut max_abs: Option<f64> = None;
        for (x, y) in da.iter().zip(&db) {
            if same(x, y) {
                continue;
            }
            differ += 1;
            let (nx, ny) = (numbers(x), numbers(y));
            if nx.len() == ny.len() && !nx.is_empty() {
                for (p, q) in nx.iter().zip(&ny) {
                    let d = (p - q).abs();
                    if !d.is_nan() {
                        max_abs = Some(max_abs.map_or(d, |m| m.max(d)));
                    }
                }
            }
        }
        let mut text = format!("{differ} of {} values differ", da.len());
        if let Some(m) = max_abs {
            text += &format!(", max abs difference {}", text::g(m, 6));
        }
        details.push(text);
    }
    Change {
        section: Section::Array,
        change: Kind::Changed,
        pointer: pointer.to_owned(),
        before: Some(summary(a)),
        after: Some(summary(b)),
        detail: Some(details.join(", ")),
    }
}

/// The numbers in an element (a structured element gives its numeric fields).
fn numbers(value: &J) -> Vec<f64> {
    match value {
        J::Object(map) if !map.contains_key(typed::FLOAT) => {
            map.values().flat_map(numbers).collect()
        }
        J::Array(items) => items.iter().flat_map(numbers).collect(),
        other => typed::as_f64(other).into_iter().collect(),
    }
}

fn trees(a: &[TreeFacts], b: &[TreeFacts], out: &mut Vec<Change>) {
    for ta in a {
        let Some(tb) = b.iter().find(|t| t.pointer == ta.pointer) else {
            continue;
        };
        let mut parts = Vec::new();
        let mut note = |name: &str, x: String, y: String| {
            if x != y {
                parts.push(format!("{name} {x} -> {y}"));
            }
        };
        let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |n| n.to_string());
        note("nodes", show(ta.node_count), show(tb.node_count));
        note("leaves", show(ta.n_leaves), show(tb.n_leaves));
        note("depth", show(ta.depth), show(tb.depth));
        // The stored max_depth, when it says something the computed depth does not.
        let stored = |t: &TreeFacts| match t.max_depth {
            Some(d) if Some(d) == t.depth.and_then(|x| i64::try_from(x).ok()) => show(t.depth),
            Some(d) => d.to_string(),
            None => "?".to_owned(),
        };
        if stored(ta) != show(ta.depth) || stored(tb) != show(tb.depth) {
            note("stored max_depth", stored(ta), stored(tb));
        }
        if parts.is_empty() {
            continue;
        }
        let brief = |t: &TreeFacts| json!({"node_count": t.node_count, "n_leaves": t.n_leaves, "depth": t.depth, "max_depth": t.max_depth});
        out.push(Change {
            section: Section::Tree,
            change: Kind::Changed,
            pointer: ta.pointer.clone(),
            before: Some(brief(ta)),
            after: Some(brief(tb)),
            detail: Some(parts.join(", ")),
        });
    }
}

fn ensembles(a: &[facts::Ensemble], b: &[facts::Ensemble], out: &mut Vec<Change>) {
    for ea in a {
        let Some(eb) = b.iter().find(|e| e.pointer == ea.pointer) else {
            continue;
        };
        if ea == eb {
            continue;
        }
        let mut parts = Vec::new();
        let mut note = |name: &str, x: String, y: String| {
            if x != y {
                parts.push(format!("{name} {x} -> {y}"));
            }
        };
        note(
            "estimators",
            ea.n_estimators.to_string(),
            eb.n_estimators.to_string(),
        );
        note("trees", ea.n_trees.to_string(), eb.n_trees.to_string());
        note(
            "nodes",
            ea.node_count.to_string(),
            eb.node_count.to_string(),
        );
        note("leaves", ea.n_leaves.to_string(), eb.n_leaves.to_string());
        let depth = |d: Option<(u64, u64)>| match d {
            Some((low, high)) if low == high => low.to_string(),
            Some((low, high)) => format!("{low}..{high}"),
            None => "?".to_owned(),
        };
        note("depth", depth(ea.depth), depth(eb.depth));
        if parts.is_empty() {
            continue;
        }
        let brief = |e: &facts::Ensemble| json!({"n_estimators": e.n_estimators, "n_trees": e.n_trees, "node_count": e.node_count, "n_leaves": e.n_leaves});
        out.push(Change {
            section: Section::Ensemble,
            change: Kind::Changed,
            pointer: ea.pointer.clone(),
            before: Some(brief(ea)),
            after: Some(brief(eb)),
            detail: Some(parts.join(", ")),
        });
    }
}

/// The change as one line of text (without the marker and pointer).
fn change_text(change: &Change) -> String {
    if let Some(detail) = &change.detail
        && change.section != Section::File
    {
        return detail.clone();
    }
    let show = |v: &Option<J>| v.as_ref().map_or_else(|| "-".to_owned(), value_text);
    let values = match change.change {
        Kind::Added => show(&change.after),
        Kind::Removed => show(&change.before),
        Kind::Changed => format!("{} -> {}", show(&change.before), show(&change.after)),
    };
    // A pickle file's imports and bytes say why in their detail; the model cell's kind
    // needs none.
    match &change.detail {
        Some(detail) if change.pointer != "model" => format!("{values}: {detail}"),
        _ => values,
    }
}

/// Write the changes as text, grouped by section.
pub fn write_text(
    out: &mut dyn Write,
    a: &str,
    b: &str,
    changes: &[Change],
    color: bool,
) -> io::Result<()> {
    let p = Painter { color };
    writeln!(out, "{}", p.error(&format!("--- {a}")))?;
    writeln!(out, "{}", p.good(&format!("+++ {b}")))?;
    if changes.is_empty() {
        writeln!(out, "no differences")?;
        return Ok(());
    }
    let mut section = None;
    for change in changes {
        if section != Some(change.section) {
            section = Some(change.section);
            writeln!(out)?;
            writeln!(out, "{}", p.heading(change.section.title()))?;
        }
        let mark = match change.change {
            Kind::Added => p.good("+"),
            Kind::Removed => p.error("-"),
            Kind::Changed => p.warn("~"),
        };
        let pointer = if change.pointer.is_empty() {
            "/"
        } else {
            &change.pointer
        };
        let body = change_text(change);
        let one = format!("  ~ {pointer}: {body}");
        if one.chars().count() <= WIDTH {
            writeln!(out, "  {mark} {pointer}: {body}")?;
        } else {
            writeln!(out, "  {mark} {}", clip(pointer, WIDTH - 4))?;
            for line in wrap(&body, WIDTH - 6) {
                writeln!(out, "      {line}")?;
            }
        }
    }
    writeln!(out)?;
    let n = changes.len();
    writeln!(out, "{n} {}", if n == 1 { "change" } else { "changes" })?;
    Ok(())
}

/// Write the changes as one JSON document.
pub fn write_json(out: &mut dyn Write, a: &str, b: &str, changes: &[Change]) -> io::Result<()> {
    let document = json!({
        "version": super::json::VERSION,
        "a": a,
        "b": b,
        "equal": changes.is_empty(),
        "changes": changes,
    });
    super::json::write_value(out, &document)
}
