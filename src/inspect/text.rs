//! `inspect` as text: fits an 80-column terminal, deterministic (no paths but the file name,
//! no times), coloured only when asked to.

use std::io::{self, Write};

use serde_json::Value as J;

use super::facts::{self, ArrayFacts, Estimator, TreeFacts};
use super::{InspectOptions, Inspection, NO_OPTIONS, PickleFile, typed};

/// The width the text is laid out for.
pub const WIDTH: usize = 80;
/// How many first values an array line shows at most.
const FIRST_VALUES: usize = 8;

/// ANSI colours, or nothing.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    /// Whether to emit escape codes.
    pub color: bool,
}

impl Painter {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A section heading.
    pub fn heading(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Something secondary.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// A warning or a difference.
    pub fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// An error or a removal.
    pub fn error(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// An addition.
    pub fn good(self, text: &str) -> String {
        self.paint("32", text)
    }
}

/// A float as Python's `repr` writes it (`0.0`, `1e-06`, `1.5e+20`); non-finite values as
/// the JSON tokens Python writes (`NaN`, `Infinity`).
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let fixed = format!("{f}");
        if fixed.contains('.') {
            fixed
        } else {
            fixed + ".0"
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// A float with `digits` significant digits, as `%g` writes it.
pub fn g(f: f64, digits: usize) -> String {
    if !f.is_finite() {
        return py_float(f);
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let digits = digits.max(1);
    let sci = format!("{:.*e}", digits - 1, f);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if exponent < -4 || exponent >= digits as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_owned()), exponent.abs())
    } else {
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        trim(format!("{f:.decimals$}"))
    }
}

/// A JSON value as one line: scalars as in the file (floats in Python's repr), a numpy
/// scalar as `3 (numpy.int64)`, lists and objects as compact JSON.
pub fn value_text(value: &J) -> String {
    match value {
        J::Null => "null".to_owned(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            _ if n.is_f64() => py_float(n.as_f64().unwrap_or(f64::NAN)),
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => n.to_string(),
        },
        J::String(s) => J::String(s.clone()).to_string(),
        J::Array(items) => {
            let parts: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", parts.join(", "))
        }
        J::Object(map) => {
            if let Some(f) = map.get(typed::FLOAT).filter(|_| map.len() == 1) {
                return f.as_str().unwrap_or("?").to_owned();
            }
            if let (Some(v), Some(t), 2) = (map.get("value"), map.get("numpy_type"), map.len()) {
                return format!("{} ({})", value_text(v), t.as_str().unwrap_or("?"));
            }
            if typed::is_array(value) || typed::record_type(value).is_some() {
                return facts::describe(value);
            }
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", J::String(k.clone()), value_text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// An array element for a summary line.
fn element_text(value: &J) -> String {
    match value {
        J::Number(n) if n.is_f64() => g(n.as_f64().unwrap_or(f64::NAN), 6),
        J::Object(map) if !map.contains_key(typed::FLOAT) => {
            let parts: Vec<String> = map.values().map(element_text).collect();
            format!("({})", parts.join(", "))
        }
        other => value_text(other),
    }
}

/// Cut `text` to `width` characters, ending in `...` when cut.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(3)).collect();
    format!("{kept}...")
}

/// `text` broken at spaces into lines of at most `width` characters (longer words are split).
/// Linear in the text: an undecoded base64 payload is one word of up to the whole file.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let used = line.chars().count();
        let len = word.chars().count();
        if used + usize::from(used > 0) + len <= width {
            if used > 0 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            if len <= width {
                line.push_str(word);
                continue;
            }
        }
        // A word longer than a line: a line every `width` characters, the last piece
        // starts the next.
        let mut start = 0;
        for (count, (at, _)) in word.char_indices().enumerate() {
            if count > 0 && count % width == 0 {
                lines.push(word[start..at].to_owned());
                start = at;
            }
        }
        line.push_str(&word[start..]);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `indent` + `label` padded to `label_width`, then `value` wrapped under itself.
fn field(
    out: &mut dyn Write,
    indent: usize,
    label: &str,
    label_width: usize,
    value: &str,
) -> io::Result<()> {
    let pad = label_width.max(label.chars().count() + 1);
    let column = indent + pad;
    let lines = wrap(value, WIDTH.saturating_sub(column).max(20));
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{:indent$}{label:<pad$}{line}", "")?;
        } else {
            writeln!(out, "{:column$}{line}", "")?;
        }
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Write the whole inspection.
pub fn write_inspection(
    out: &mut dyn Write,
    inspection: &Inspection,
    options: &InspectOptions,
) -> io::Result<()> {
    let p = Painter {
        color: options.color,
    };
    let facts = &inspection.facts;
    for line in wrap(&inspection.file, WIDTH) {
        writeln!(out, "{}", p.heading(&line))?;
    }
    let mut size = plural(inspection.bytes, "byte", "bytes");
    if let Some(chars) = inspection.model_json_chars {
        size += &format!(", model JSON {}", plural(chars, "character", "characters"));
    }
    field(out, 2, "size", 16, &size)?;
    if let Some(note) = &inspection.model_note {
        field(
            out,
            2,
            "model cell",
            16,
            &format!("{}: {note}", inspection.model_cell),
        )?;
    }
    if let Some(pickle) = &inspection.pickle {
        write_pickle(out, p, pickle)?;
        return write_findings(out, p, inspection);
    }

    writeln!(out)?;
    writeln!(out, "{}", p.heading("Algorithm"))?;
    field(
        out,
        2,
        "algo",
        16,
        inspection.algo.as_deref().unwrap_or("(no algo cell)"),
    )?;
    if let Some(wrapper) = &facts.wrapper {
        field(
            out,
            2,
            "record",
            16,
            &format!("{}.{}", wrapper.module, wrapper.class),
        )?;
        if !wrapper.attributes.is_empty() {
            field(out, 2, "attributes", 16, &wrapper.attributes.join(", "))?;
        }
        for (key, value) in &wrapper.fields {
            field(out, 2, key, 16, &value_text(value))?;
        }
    }

    if let Some(estimator) = &facts.estimator {
        write_estimator(out, p, "Estimator", estimator)?;
    } else if inspection.model.is_some() {
        writeln!(out)?;
        writeln!(out, "{}", p.heading("Estimator"))?;
        writeln!(out, "  none (no `dict.estimator` record)")?;
    }
    for component in &facts.components {
        write_estimator(out, p, "Component", component)?;
    }

    if !facts.variables.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.heading("Variables"))?;
        for (key, label) in [
            ("feature_variables", "features"),
            ("target_variable", "target"),
            ("columns", "columns"),
        ] {
            if let Some(value) = facts.variables.get(key) {
                field(out, 2, label, 16, &list_text(value))?;
            }
        }
    }
    if let Some(classes) = &facts.classes {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            p.heading(&format!("Classes ({})", classes.len()))
        )?;
        let list: Vec<String> = classes.iter().map(element_text).collect();
        for line in wrap(&list.join(", "), WIDTH - 2) {
            writeln!(out, "  {line}")?;
        }
    }

    write_trees(out, p, facts)?;
    let loose: Vec<&ArrayFacts> = facts.arrays.iter().filter(|a| a.tree.is_none()).collect();
    if !loose.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.heading(&format!("Arrays ({})", loose.len())))?;
        for array in loose {
            writeln!(out, "  {}", clip(&array.pointer, WIDTH - 2))?;
            write_array_lines(out, 4, array)?;
        }
    }
    if !inspection.problems.is_empty() {
        writeln!(out)?;
        let title = format!("Decoder problems ({})", inspection.problems.len());
        writeln!(out, "{}", p.heading(&title))?;
        for problem in &inspection.problems {
            let pointer = if problem.pointer.is_empty() {
                "/"
            } else {
                &problem.pointer
            };
            writeln!(out, "  {}", clip(pointer, WIDTH - 2))?;
            for line in wrap(&problem.message, WIDTH - 4) {
                writeln!(out, "    {line}")?;
            }
        }
    }

    write_options(out, p, inspection)?;
    write_findings(out, p, inspection)
}

/// A pickle file: its imports, dangerous first, as `mltk-lint` reports them under MLTK501.
fn write_pickle(out: &mut dyn Write, p: Painter, pickle: &PickleFile) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", p.heading("Pickle"))?;
    let mut kind = format!("protocol {}", pickle.protocol);
    if pickle.pickles > 1 {
        kind += &format!(", {} pickles back to back", pickle.pickles);
    }
    field(out, 2, "format", 16, &kind)?;
    field(
        out,
        2,
        "walked",
        16,
        match &pickle.incomplete {
            None => "to the end; nothing was unpickled",
            Some(_) => "stopped early; nothing was unpickled",
        },
    )?;
    if let Some(why) = &pickle.incomplete {
        field(
            out,
            2,
            "stopped",
            16,
            &format!("{why}; what follows is not listed"),
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        p.heading(&format!("Imports ({})", pickle.imports.len()))
    )?;
    if pickle.imports.is_empty() {
        writeln!(out, "  none: unpickling it imports nothing")?;
    }
    for class in ["dangerous", "unknown", "normal"] {
        for import in pickle.imports.iter().filter(|i| i.class == class) {
            let mut how = format!("{} at byte {}", import.opcode, import.offset);
            if import.called {
                how += ", called";
            }
            if import.nested {
                how += ", in a nested pickle";
            }
            let label = match import.reason {
                Some(why) => format!("{class}: {why}"),
                None if class == "unknown" => "unknown: not on the allow-list".to_owned(),
                None => class.to_owned(),
            };
            writeln!(out, "  {}", clip(&import.global, WIDTH - 2))?;
            for line in wrap(&format!("{label} ({how})"), WIDTH - 4) {
                writeln!(out, "    {line}")?;
            }
        }
    }
    Ok(())
}

fn list_text(value: &J) -> String {
    match value {
        J::Array(items) if items.iter().all(|i| i.is_string()) => {
            let names: Vec<&str> = items.iter().filter_map(J::as_str).collect();
            names.join(", ")
        }
        J::String(s) => s.clone(),
        other => value_text(other),
    }
}

fn write_estimator(
    out: &mut dyn Write,
    p: Painter,
    title: &str,
    estimator: &Estimator,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{} {}", p.heading(title), estimator.pointer)?;
    field(
        out,
        2,
        "class",
        16,
        &format!("{}.{}", estimator.module, estimator.class),
    )?;
    field(
        out,
        2,
        "codec",
        16,
        estimator
            .codec
            .as_deref()
            .unwrap_or("none in any known MLTK release"),
    )?;
    let era = &estimator.era;
    let library = match &era.library_versions {
        Some(versions) => versions.clone(),
        None => format!("{} (the module path does not date it)", era.library),
    };
    field(out, 2, "library", 16, &library)?;
    if let Some(note) = &era.note {
        field(out, 2, "module path", 16, note)?;
    }
    field(out, 2, "known to", 16, &facts::release_span(&era.mltk))?;
    let sections = [
        ("Hyperparameters", &estimator.hyperparameters),
        ("Fitted attributes", &estimator.attributes),
        ("Other fields", &estimator.other),
    ];
    for (name, map) in sections {
        if map.is_empty() {
            continue;
        }
        writeln!(out, "  {}", p.heading(name))?;
        for (key, value) in map {
            let text = match value {
                J::String(s) if name == "Other fields" => s.clone(),
                other => value_text(other),
            };
            field(out, 4, key, 28, &text)?;
        }
    }
    Ok(())
}

fn write_trees(out: &mut dyn Write, p: Painter, facts: &facts::Facts) -> io::Result<()> {
    for ensemble in &facts.ensembles {
        writeln!(out)?;
        writeln!(out, "{} {}", p.heading("Ensemble"), ensemble.pointer)?;
        field(out, 2, "class", 16, &ensemble.record)?;
        let of = ensemble
            .estimator_class
            .as_deref()
            .map(|c| format!(" of {c}"))
            .unwrap_or_default();
        field(
            out,
            2,
            "estimators",
            16,
            &format!("{}{of}", ensemble.n_estimators),
        )?;
        let mut trees = format!(
            "{}, {} nodes, {} leaves",
            ensemble.n_trees, ensemble.node_count, ensemble.n_leaves
        );
        if let Some((low, high)) = ensemble.depth {
            trees += &if low == high {
                format!(", depth {low}")
            } else {
                format!(", depth {low} to {high}")
            };
        }
        field(out, 2, "trees", 16, &trees)?;
    }
    if facts.trees.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        p.heading(&format!("Trees ({})", facts.trees.len()))
    )?;
    for tree in &facts.trees {
        writeln!(out, "  {}", clip(&tree.pointer, WIDTH - 2))?;
        writeln!(out, "    {}", tree_line(tree))?;
        for array in facts
            .arrays
            .iter()
            .filter(|a| a.tree.as_deref() == Some(&tree.pointer))
        {
            let relative = array
                .pointer
                .strip_prefix(&tree.pointer)
                .unwrap_or(&array.pointer);
            writeln!(
                out,
                "    {}",
                clip(relative.trim_start_matches('/'), WIDTH - 4)
            )?;
            write_array_lines(out, 6, array)?;
        }
    }
    Ok(())
}

/// `7 nodes, 4 leaves, depth 3, 2 features, 1 output, classes [3]`.
pub fn tree_line(tree: &TreeFacts) -> String {
    let unknown = || "?".to_owned();
    let mut parts = vec![
        format!(
            "{} nodes",
            tree.node_count.map_or_else(unknown, |n| n.to_string())
        ),
        format!(
            "{} leaves",
            tree.n_leaves.map_or_else(unknown, |n| n.to_string())
        ),
    ];
    let depth = tree.depth.map_or_else(unknown, |n| n.to_string());
    match tree.max_depth {
        Some(stored) if Some(stored) != tree.depth.and_then(|d| i64::try_from(d).ok()) => {
            parts.push(format!("depth {depth} (stored max_depth {stored})"));
        }
        _ => parts.push(format!("depth {depth}")),
    }
    if let Some(n) = tree.n_features {
        parts.push(plural(
            usize::try_from(n).unwrap_or(0),
            "feature",
            "features",
        ));
    }
    if let Some(n) = tree.n_outputs {
        parts.push(plural(usize::try_from(n).unwrap_or(0), "output", "outputs"));
    }
    if !tree.n_classes.is_empty() {
        let classes: Vec<String> = tree.n_classes.iter().map(value_text).collect();
        parts.push(format!("classes [{}]", classes.join(", ")));
    }
    parts.join(", ")
}

/// The summary lines of one array: type, shape and numbers; then its first values.
fn write_array_lines(out: &mut dyn Write, indent: usize, array: &ArrayFacts) -> io::Result<()> {
    let width = WIDTH - indent;
    let dtype = match &array.dtype {
        J::String(s) => s.clone(),
        J::Array(fields) => {
            let named = fields
                .iter()
                .filter(|f| f.get(0).and_then(J::as_str).is_some_and(|n| !n.is_empty()))
                .count();
            format!("structured ({named} fields)")
        }
        _ => "?".to_owned(),
    };
    let mut head = format!("{dtype} {}", facts::shape_text(&array.shape));
    if array.record != "numpy.ndarray" {
        head = format!("{} {head}", array.record);
    }
    if let Some(stats) = array.stats.as_ref().filter(|_| array.size > 1) {
        let num = |v: &J| typed::as_f64(v).map_or_else(|| "-".to_owned(), |f| g(f, 6));
        head += &format!(
            "  min {} max {} mean {}",
            num(&stats.min),
            num(&stats.max),
            num(&stats.mean)
        );
        if stats.nan > 0 {
            head += &format!(" ({} NaN)", stats.nan);
        }
    }
    head += &format!("  #{}", array.digest);
    writeln!(out, "{:indent$}{}", "", clip(&head, width))?;
    let line = match &array.dtype {
        J::Array(fields) => {
            let names: Vec<String> = fields
                .iter()
                .filter_map(|f| f.get(0).and_then(J::as_str))
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            format!("fields {}", names.join(", "))
        }
        _ => {
            let mut values: Vec<String> = array.first.iter().map(element_text).collect();
            if array.size > array.first.len() {
                values.push("...".to_owned());
            }
            values.join(", ")
        }
    };
    if array.size > 0 {
        writeln!(out, "{:indent$}{}", "", clip(&line, width))?;
    }
    Ok(())
}

fn write_options(out: &mut dyn Write, p: Painter, inspection: &Inspection) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", p.heading("Options"))?;
    match &inspection.options {
        Some(J::Object(map)) => {
            for (key, value) in map {
                if key == "mlspl_limits" && value.is_object() {
                    field(out, 2, key, 20, "(below)")?;
                } else {
                    field(out, 2, key, 20, &value_text(value))?;
                }
            }
        }
        Some(other) => field(out, 2, "value", 20, &value_text(other))?,
        None if inspection.options_error.as_deref() == Some(NO_OPTIONS) => {
            writeln!(out, "  (no options cell)")?;
        }
        None => field(
            out,
            2,
            "not JSON",
            20,
            inspection.options_error.as_deref().unwrap_or("?"),
        )?,
    }
    if inspection.limits.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let algo = inspection.algo.as_deref().unwrap_or("?");
    let title = format!(
        "mlspl_limits (defaults: MLTK {}, {algo})",
        inspection.findings.target
    );
    writeln!(out, "{}", p.heading(&title))?;
    let key_width = inspection
        .limits
        .iter()
        .map(|l| l.key.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(12, 40);
    writeln!(
        out,
        "  {}",
        p.dim(&format!("{:<key_width$} {:<14} default", "key", "value"))
    )?;
    for limit in &inspection.limits {
        let value = match &limit.value {
            J::String(s) => s.clone(),
            other => value_text(other),
        };
        let default = limit.default.as_deref().unwrap_or("-");
        let row = format!("{:<key_width$} {:<14} {default}", limit.key, value);
        let row = if limit.same == Some(false) {
            p.warn(&format!("{row}  (differs)"))
        } else {
            row
        };
        writeln!(out, "  {row}")?;
    }
    Ok(())
}

fn write_findings(out: &mut dyn Write, p: Painter, inspection: &Inspection) -> io::Result<()> {
    let findings = &inspection.findings;
    writeln!(out)?;
    let title = format!("Findings (rules of MLTK {})", findings.target);
    if findings.by_code.is_empty() {
        writeln!(out, "{}: none", p.heading(&title))?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {}, {}, {}",
        p.heading(&title),
        plural(findings.errors, "error", "errors"),
        plural(findings.warnings, "warning", "warnings"),
        plural(findings.infos, "info", "infos")
    )?;
    for count in &findings.by_code {
        let severity = format!("{:<8}", count.severity);
        let severity = match count.severity {
            "error" => p.error(&severity),
            "warning" => p.warn(&severity),
            _ => severity,
        };
        writeln!(
            out,
            "  {}  {:<22} {severity} {}",
            count.code, count.name, count.count
        )?;
    }
    writeln!(
        out,
        "  {}",
        p.dim("details: mltk-lint FILE; rule docs: mltk-lint explain CODE")
    )?;
    Ok(())
}

/// `inspect --path`: one sub-tree as an outline; the array at the path in full.
pub fn write_subtree(
    out: &mut dyn Write,
    pointer: &str,
    value: &J,
    options: &InspectOptions,
) -> io::Result<()> {
    let label = if pointer.is_empty() { "/" } else { pointer };
    if typed::is_array(value) {
        writeln!(out, "{label}")?;
        let facts = array_summary(pointer, value);
        write_array_lines(out, 2, &facts)?;
        let data = value
            .get("data")
            .and_then(J::as_array)
            .map_or(&[][..], Vec::as_slice);
        let shown = options.max_array.unwrap_or(data.len()).min(data.len());
        writeln!(
            out,
            "  values (C order{}):",
            if shown < data.len() {
                format!(", first {shown} of {}", data.len())
            } else {
                String::new()
            }
        )?;
        if value.get("dtype").is_some_and(J::is_array) {
            // A structured array (tree nodes): one element per line, fields named.
            for (i, element) in data[..shown].iter().enumerate() {
                let fields: Vec<String> = match element {
                    J::Object(map) => map
                        .iter()
                        .map(|(k, v)| format!("{k}={}", value_text(v)))
                        .collect(),
                    other => vec![value_text(other)],
                };
                let lines = wrap(&fields.join(" "), WIDTH - 10);
                for (j, line) in lines.iter().enumerate() {
                    if j == 0 {
                        writeln!(out, "    {:<6}{line}", format!("[{i}]"))?;
                    } else {
                        writeln!(out, "          {line}")?;
                    }
                }
            }
            return Ok(());
        }
        let texts: Vec<String> = data[..shown].iter().map(value_text).collect();
        for line in wrap(&texts.join(", "), WIDTH - 4) {
            writeln!(out, "    {line}")?;
        }
        return Ok(());
    }
    outline(out, 0, label, value)
}

fn array_summary(pointer: &str, value: &J) -> ArrayFacts {
    let data = value
        .get("data")
        .and_then(J::as_array)
        .map_or(&[][..], Vec::as_slice);
    let simple = value.get("dtype").is_some_and(J::is_string);
    ArrayFacts {
        pointer: pointer.to_owned(),
        record: typed::record_type(value)
            .map_or_else(|| "npz".to_owned(), |(m, c)| format!("{m}.{c}")),
        dtype: value.get("dtype").cloned().unwrap_or(J::Null),
        shape: typed::shape(value),
        size: data.len(),
        tree: None,
        stats: if simple { facts::stats(data) } else { None },
        first: data.iter().take(FIRST_VALUES).cloned().collect(),
        digest: facts::digest(data),
    }
}

fn outline(out: &mut dyn Write, indent: usize, label: &str, value: &J) -> io::Result<()> {
    if typed::is_array(value) {
        writeln!(out, "{:indent$}{label}", "")?;
        return write_array_lines(out, indent + 2, &array_summary(label, value));
    }
    if let Some((module, class)) = typed::record_type(value) {
        let codec = value
            .pointer("/$record/codec")
            .and_then(J::as_str)
            .unwrap_or("no codec");
        if let Some(scalar) = value.get(typed::SCALAR) {
            let text = format!("{} ({module}.{class})", value_text(scalar));
            return field(out, indent, &format!("{label}:"), 0, &text);
        }
        field(
            out,
            indent,
            &format!("{label}:"),
            0,
            &format!("{module}.{class} ({codec})"),
        )?;
        if let J::Object(map) = value {
            for (key, child) in map.iter().filter(|(k, _)| *k != typed::RECORD) {
                outline(out, indent + 2, key, child)?;
            }
        }
        return Ok(());
    }
    match value {
        J::Object(map) if !facts::is_scalar(value) => {
            writeln!(out, "{:indent$}{label}:", "")?;
            for (key, child) in map {
                outline(out, indent + 2, key, child)?;
            }
            Ok(())
        }
        J::Array(items) if !items.iter().all(facts::is_scalar) => {
            writeln!(out, "{:indent$}{label}: list of {}", "", items.len())?;
            for (i, child) in items.iter().enumerate() {
                outline(out, indent + 2, &i.to_string(), child)?;
            }
            Ok(())
        }
        other => field(out, indent, &format!("{label}:"), 0, &value_text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_writes_them() {
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(1e-6), "1e-06");
        assert_eq!(py_float(1.5e20), "1.5e+20");
        assert_eq!(py_float(1.990142857142858), "1.990142857142858");
        assert_eq!(py_float(100000.0), "100000.0");
        assert_eq!(g(0.333333333, 6), "0.333333");
        assert_eq!(g(1234567.0, 6), "1.23457e+06");
        assert_eq!(g(2.0, 6), "2");
        assert_eq!(g(0.00001234, 6), "1.234e-05");
    }

    #[test]
    fn wrapping_keeps_words() {
        assert_eq!(wrap("aaaa bbbb cccc", 10), vec!["aaaa bbbb", "cccc"]);
        assert_eq!(wrap("abcdefghijklmno", 10), vec!["abcdefghij", "klmno"]);
        let long = "é".repeat(25);
        let tenth = "é".repeat(10);
        assert_eq!(
            wrap(&long, 10),
            vec![tenth.clone(), tenth.clone(), "é".repeat(5)]
        );
        let exact = format!("x {}", "b".repeat(20));
        assert_eq!(wrap(&exact, 10), vec!["x", "bbbbbbbbbb", "bbbbbbbbbb"]);
        assert_eq!(wrap("a  b", 10), vec!["a  b"]);
        assert_eq!(wrap("", 10), vec![""]);
        assert_eq!(clip("abcdef", 5), "ab...");
    }
}
