//! `inspect` and `diff`: what is inside a model artifact, and what changed between two.
//!
//! [`inspect_bytes`] decodes an artifact once (the same pipeline as lint), turns the model
//! into a typed JSON tree ([`typed`]), reads the facts a reader wants from it ([`facts`]),
//! lints it with the target release's rules, and keeps all of it in an [`Inspection`]. The
//! renderers ([`text`], [`json`]) and [`diff`] only read an `Inspection`. The text output is
//! deterministic, so that `git diff` with `inspect` as a textconv shows small diffs.

pub mod diff;
pub mod facts;
pub mod json;
pub mod text;
pub mod typed;

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value as J;

use crate::catalog::Version;
use crate::cli::ExitStatus;
use crate::codec::ModelCell;
use crate::diagnostic::Severity;
use crate::linter::{lint_bytes, with_decoded};
use crate::options::OptionsCell;
use crate::settings::Settings;

pub use facts::Facts;

/// What [`Inspection::options_error`] says when there is no options cell.
pub const NO_OPTIONS: &str = "no options cell";

/// Everything `inspect` knows about one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The file name shown (git's temporary-file prefix removed).
    pub file: String,
    /// File size in bytes.
    pub bytes: usize,
    /// The `algo` cell.
    pub algo: Option<String>,
    /// What the `model` cell holds: `json`, `empty`, `absent`, `pickle`, `onnx`, `not-json`;
    /// `pickle-file` when the whole file is a pickle (see [`Inspection::pickle`]).
    pub model_cell: &'static str,
    /// More about the model cell when it is not JSON.
    pub model_note: Option<String>,
    /// Length of the model JSON in characters (what MLTK compares with `max_model_size_mb`).
    pub model_json_chars: Option<usize>,
    /// The typed model tree.
    pub model: Option<J>,
    /// The options cell as JSON (credentials masked).
    pub options: Option<J>,
    /// Why the options cell is not JSON.
    pub options_error: Option<String>,
    /// What the model holds.
    pub facts: Facts,
    /// `mlspl_limits` beside the target release's defaults.
    pub limits: Vec<Limit>,
    /// Lint findings with the target release's rules.
    pub findings: Findings,
    /// What a codec would reject (MLTK103/MLTK104), by pointer.
    pub problems: Vec<Problem>,
    /// For a pickle file (`.pkl`, `.pickle`, a plain-pickle `.joblib`): what unpickling it
    /// would import. Such a file has no cells.
    pub pickle: Option<PickleFile>,
}

/// What unpickling a pickle file would import, found by walking its opcodes (nothing is
/// unpickled).
#[derive(Debug, Clone, Serialize)]
pub struct PickleFile {
    /// Pickles written back to back in the file.
    pub pickles: usize,
    /// Highest protocol among them (0 for protocols 0 and 1).
    pub protocol: u8,
    /// Why the walk stopped before a `STOP`, if it did: what follows is not listed.
    pub incomplete: Option<String>,
    /// Every import, in stream order; a nested pickle's after its parent's.
    pub imports: Vec<Import>,
}

/// One global the unpickler would import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// `module.name`.
    pub global: String,
    /// The opcode that imports it (`GLOBAL`, `STACK_GLOBAL`, `INST`, …).
    pub opcode: &'static str,
    /// Byte offset of that opcode, or, in a nested pickle, of the constant holding it.
    pub offset: usize,
    /// Whether the pickle calls it (`REDUCE`, `NEWOBJ`, `INST`, …).
    pub called: bool,
    /// Whether it is in a pickle nested inside a constant.
    pub nested: bool,
    /// `dangerous`, `unknown` (not on the allow-list) or `normal`.
    pub class: &'static str,
    /// Why a dangerous import is dangerous.
    pub reason: Option<&'static str>,
}

fn pickle_imports(bytes: &[u8], limits: &crate::codec::pickle::Limits) -> PickleFile {
    use crate::codec::pickle::{self, Danger};
    let scans = pickle::scan_stream(bytes, limits);
    let mut imports = Vec::new();
    let mut incomplete = None;
    for scan in &scans {
        scan.each_nested(|scan, anchor| {
            for global in &scan.globals {
                let (class, reason) = match global.danger() {
                    Danger::Dangerous(why) => ("dangerous", Some(why)),
                    Danger::Unknown => ("unknown", None),
                    Danger::Normal => ("normal", None),
                };
                imports.push(Import {
                    global: global.qualified(),
                    opcode: global.opcode,
                    offset: anchor.unwrap_or(global.offset),
                    called: global.called,
                    nested: anchor.is_some(),
                    class,
                    reason,
                });
            }
            if let (None, Some(error)) = (&incomplete, &scan.error) {
                incomplete = Some(error.to_string());
            }
        });
    }
    PickleFile {
        pickles: scans.len(),
        protocol: scans.iter().map(|s| s.protocol).max().unwrap_or(0),
        incomplete,
        imports,
    }
}

/// One `mlspl_limits` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    /// The key.
    pub key: String,
    /// The value saved in the artifact.
    pub value: J,
    /// The target release's default for this algorithm, if the key is known.
    pub default: Option<String>,
    /// Whether the value equals the default (`None` when there is no default).
    pub same: Option<bool>,
}

/// Lint findings counted.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// The release whose rules ran.
    pub target: String,
    /// Findings of error severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// Counts per rule, in code order.
    pub by_code: Vec<CodeCount>,
}

/// How often one rule fired.
#[derive(Debug, Clone, Serialize)]
pub struct CodeCount {
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// Highest severity among its findings.
    pub severity: &'static str,
    /// Number of findings.
    pub count: usize,
}

/// A decoder problem.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// JSON pointer in the model cell.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// How to inspect.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// JSON instead of text.
    pub json: bool,
    /// Only this sub-tree of the model (a JSON pointer).
    pub path: Option<String>,
    /// Cut array data to this many elements.
    pub max_array: Option<usize>,
    /// The release whose defaults and rules apply.
    pub target: &'static Version,
    /// Colour the text.
    pub color: bool,
}

/// Whether to colour standard output: only a terminal, and only without `NO_COLOR`.
pub fn color_auto() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The name to show and check for `path`: its file name, without the `XXXXXX_` prefix git
/// gives the temporary copy of a blob it hands to a textconv command.
pub fn display_name(path: &str) -> String {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path);
    match name.split_once('_') {
        Some((prefix, rest))
            if prefix.len() == 6
                && prefix.bytes().all(|b| b.is_ascii_alphanumeric())
                && rest.starts_with("__mlspl_") =>
        {
            rest.to_owned()
        }
        _ => name.to_owned(),
    }
}

/// Inspect an artifact's bytes; `path` names it.
pub fn inspect_bytes(path: &str, bytes: Vec<u8>, target: &'static Version) -> Inspection {
    let file = display_name(path);
    let size = bytes.len();
    let settings = Settings {
        target,
        ..Settings::default()
    };
    let pickle = crate::pickle_file::is_pickle_input(&file, &bytes)
        .then(|| pickle_imports(&bytes, &settings.limits.pickle));
    let report = lint_bytes(&file, bytes, &settings);
    let artifact = &report.artifact;
    let cell_text = |name: &str| artifact.cell(name).map(|f| f.value.as_str());
    let mut inspection = with_decoded(artifact, |decoded| {
        let model_text = cell_text("model").unwrap_or("");
        let (model_cell, model_note) = describe_model_cell(decoded.model_cell, model_text);
        let model = decoded
            .model
            .map(|model| typed::item(&model.tree, model_text));
        let problems = decoded
            .model
            .map(|model| {
                model
                    .problems
                    .iter()
                    .map(|p| Problem {
                        pointer: p.pointer.clone(),
                        message: p.message.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (options, options_error) = match decoded.options {
            OptionsCell::Json(root) => (
                Some(typed::plain(root, cell_text("options").unwrap_or(""))),
                None,
            ),
            OptionsCell::NotJson { error, .. } => (
                None,
                Some(error.python_message(cell_text("options").unwrap_or(""))),
            ),
            OptionsCell::Absent => (None, Some(NO_OPTIONS.to_owned())),
        };
        Inspection {
            file: file.clone(),
            bytes: size,
            algo: cell_text("algo").map(str::to_owned),
            model_cell,
            model_note,
            model_json_chars: matches!(decoded.model_cell, ModelCell::Json(_))
                .then(|| model_text.chars().count()),
            model,
            options,
            options_error,
            facts: Facts::default(),
            limits: Vec::new(),
            findings: Findings {
                target: target.id.to_owned(),
                errors: 0,
                warnings: 0,
                infos: 0,
                by_code: Vec::new(),
            },
            problems,
            pickle: None,
        }
    });
    if pickle.is_some() {
        inspection.model_cell = "pickle-file";
        inspection.model_note = None;
        inspection.algo = None;
        inspection.options_error = None;
        inspection.pickle = pickle;
    }
    // Never show a credential: mask every value a finding redacts.
    for diagnostic in report.diagnostics.iter().filter(|d| d.redact.is_some()) {
        let (Some(cell), Some(pointer)) = (diagnostic.cell, diagnostic.pointer.as_deref()) else {
            continue;
        };
        let root = match cell {
            "model" => inspection.model.as_mut(),
            "options" => inspection.options.as_mut(),
            _ => None,
        };
        if let Some(value) = root.and_then(|r| r.pointer_mut(pointer)) {
            *value = J::String(mask(value));
        }
    }
    if let Some(model) = &inspection.model {
        inspection.facts = facts::facts(model);
    }
    inspection.limits = limits(
        inspection.options.as_ref(),
        inspection.algo.as_deref(),
        target,
    );
    inspection.findings = findings(&report.diagnostics, target);
    inspection
}

fn describe_model_cell(cell: &ModelCell, text: &str) -> (&'static str, Option<String>) {
    match cell {
        ModelCell::Absent => (
            "absent",
            Some("no data row or no `model` column".to_owned()),
        ),
        ModelCell::Empty => (
            "empty",
            Some("an empty model cell (a temporary model)".to_owned()),
        ),
        ModelCell::Json(_) => ("json", None),
        ModelCell::NotJson(error) => ("not-json", Some(error.python_message(text))),
        ModelCell::Pickle(Ok(scan)) => {
            let mut globals: Vec<String> = scan
                .globals
                .iter()
                .map(|g| format!("{}.{}", g.module, g.name))
                .collect();
            globals.sort();
            globals.dedup();
            let list = if globals.is_empty() {
                "no globals".to_owned()
            } else {
                format!("globals {}", globals.join(", "))
            };
            (
                "pickle",
                Some(format!(
                    "a Python pickle (MLTK 0.9 format), protocol {}, {list}; not decoded",
                    scan.protocol
                )),
            )
        }
        ModelCell::Pickle(Err(error)) => (
            "pickle",
            Some(format!("a Python pickle that does not scan: {error}")),
        ),
        ModelCell::Onnx(Ok(size)) => ("onnx", Some(format!("an ONNX model of {size} bytes"))),
        ModelCell::Onnx(Err(message)) => (
            "onnx",
            Some(format!(
                "an ONNX model whose base64 does not decode: {message}"
            )),
        ),
    }
}

/// Enough to recognise a credential, never enough to use it.
fn mask(value: &J) -> String {
    match value {
        J::String(s) => {
            let shown: String = s.chars().take(4).collect();
            format!("{shown}... ({} characters, masked)", s.chars().count())
        }
        _ => "(masked)".to_owned(),
    }
}

fn limits(options: Option<&J>, algo: Option<&str>, target: &Version) -> Vec<Limit> {
    let Some(map) = options
        .and_then(|o| o.get("mlspl_limits"))
        .and_then(J::as_object)
    else {
        return Vec::new();
    };
    map.iter()
        .map(|(key, value)| {
            let field = target.limit_field(algo, key);
            let kind = field.map(|f| f.kind);
            let default = field.and_then(|f| f.default.map(str::to_owned));
            let same = default.as_deref().map(|d| same_limit(value, d, kind));
            Limit {
                key: key.clone(),
                value: value.clone(),
                default,
                same,
            }
        })
        .collect()
}

/// Whether a saved limit equals the default (numbers by value, booleans by meaning).
fn same_limit(value: &J, default: &str, kind: Option<&str>) -> bool {
    let text = match value {
        J::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    };
    match kind {
        Some("int" | "float") => match (text.parse::<f64>(), default.trim().parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => text == default.trim(),
        },
        Some("bool") => {
            let truth = |s: &str| match s.to_ascii_lowercase().as_str() {
                "1" | "t" | "true" | "y" | "yes" => Some(true),
                "0" | "f" | "false" | "n" | "no" => Some(false),
                _ => None,
            };
            truth(&text).is_some() && truth(&text) == truth(default.trim())
        }
        _ => text == default.trim(),
    }
}

fn findings(diagnostics: &[crate::Diagnostic], target: &Version) -> Findings {
    let mut out = Findings {
        target: target.id.to_owned(),
        errors: 0,
        warnings: 0,
        infos: 0,
        by_code: Vec::new(),
    };
    for d in diagnostics {
        match d.severity {
            Severity::Error => out.errors += 1,
            Severity::Warning => out.warnings += 1,
            Severity::Info => out.infos += 1,
        }
    }
    for rule in crate::rules::ALL {
        let mine: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.rule.code == rule.code)
            .collect();
        if let Some(worst) = mine.iter().map(|d| d.severity).max() {
            out.by_code.push(CodeCount {
                code: rule.code,
                name: rule.name,
                severity: worst.as_str(),
                count: mine.len(),
            });
        }
    }
    out
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buffer = Vec::new();
        io::stdin().read_to_end(&mut buffer)?;
        Ok(buffer)
    } else {
        std::fs::read(path)
    }
}

/// `mltk-lint inspect`.
pub fn run_inspect(
    file: &Path,
    options: &InspectOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let shown = file.display().to_string();
    let bytes = match read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            writeln!(err, "mltk-lint: error: cannot read {shown}: {e}")?;
            return Ok(ExitStatus::Failure);
        }
    };
    let inspection = inspect_bytes(&shown, bytes, options.target);
    if let Some(pointer) = &options.path {
        let Some(value) = inspection.model.as_ref().and_then(|m| lookup(m, pointer)) else {
            let reason = if inspection.model.is_some() {
                "no such value in the model".to_owned()
            } else {
                format!("the model cell is {}", inspection.model_cell)
            };
            writeln!(err, "mltk-lint: error: --path {pointer}: {reason}")?;
            return Ok(ExitStatus::Failure);
        };
        if options.json {
            let mut value = value.clone();
            if let Some(max) = options.max_array {
                typed::truncate_arrays(&mut value, max);
            }
            json::write_value(out, &value)?;
        } else {
            text::write_subtree(out, pointer, value, options)?;
        }
    } else if options.json {
        json::write_inspection(out, &inspection, options.max_array)?;
    } else {
        text::write_inspection(out, &inspection, options)?;
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}

/// A JSON pointer into the typed model; `""` and `/` are the root.
pub fn lookup<'a>(model: &'a J, pointer: &str) -> Option<&'a J> {
    if pointer.is_empty() || pointer == "/" {
        return Some(model);
    }
    model.pointer(pointer)
}

/// `mltk-lint diff`.
pub fn run_diff(
    a: &Path,
    b: &Path,
    json_output: bool,
    target: &'static Version,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut raw = Vec::new();
    for path in [a, b] {
        match read(path) {
            Ok(bytes) => raw.push(bytes),
            Err(e) => {
                writeln!(err, "mltk-lint: error: cannot read {}: {e}", path.display())?;
                return Ok(ExitStatus::Failure);
            }
        }
    }
    let same_bytes = raw[0] == raw[1];
    let sides: Vec<Inspection> = [a, b]
        .iter()
        .zip(raw)
        .map(|(path, bytes)| inspect_bytes(&path.display().to_string(), bytes, target))
        .collect();
    let mut changes = diff::diff(&sides[0], &sides[1]);
    if changes.is_empty() && !same_bytes && sides.iter().all(|s| s.pickle.is_some()) {
        changes.push(diff::opaque_pickle_change(&sides[0], &sides[1]));
    }
    let (a_name, b_name) = (a.display().to_string(), b.display().to_string());
    if json_output {
        diff::write_json(out, &a_name, &b_name, &changes)?;
    } else {
        diff::write_text(out, &a_name, &b_name, &changes, color_auto())?;
    }
    out.flush()?;
    Ok(if changes.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_temp_prefix_is_removed() {
        assert_eq!(
            display_name("/tmp/aB3dE9___mlspl_tree.mlmodel"),
            "__mlspl_tree.mlmodel"
        );
        assert_eq!(
            display_name("models/__mlspl_tree.mlmodel"),
            "__mlspl_tree.mlmodel"
        );
        assert_eq!(display_name("abcdef_x.mlmodel"), "abcdef_x.mlmodel");
    }

    #[test]
    fn limits_compare_by_kind() {
        assert!(same_limit(
            &J::String("100000".into()),
            "100000",
            Some("int")
        ));
        assert!(same_limit(&J::Bool(false), "false", Some("bool")));
        assert!(!same_limit(&J::String("5".into()), "600", Some("int")));
    }
}
