//! `inspect --format json`: the facts and the complete typed tree in one document.

use std::io::{self, Write};

use serde_json::{Value as J, json};

use super::{Inspection, typed};

/// Format version of the `inspect` JSON document.
pub const VERSION: u32 = 1;

/// Write the whole inspection.
pub fn write_inspection(
    out: &mut dyn Write,
    inspection: &Inspection,
    max_array: Option<usize>,
) -> io::Result<()> {
    let mut model = inspection.model.clone().unwrap_or(J::Null);
    if let Some(max) = max_array {
        typed::truncate_arrays(&mut model, max);
    }
    let document = json!({
        "version": VERSION,
        "file": inspection.file,
        "bytes": inspection.bytes,
        "algo": inspection.algo,
        "model_cell": inspection.model_cell,
        "model_note": inspection.model_note,
        "model_json_chars": inspection.model_json_chars,
        "summary": inspection.facts,
        "options": inspection.options,
        "options_error": inspection.options_error,
        "mlspl_limits": inspection.limits,
        "findings": inspection.findings,
        "problems": inspection.problems,
        "pickle": inspection.pickle,
        "model": model,
    });
    write_value(out, &document)
}

/// Write one JSON value, pretty-printed, with a final newline.
pub fn write_value(out: &mut dyn Write, value: &J) -> io::Result<()> {
    // Serialise first, so that a closed pipe stays an `io::Error` of kind BrokenPipe.
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}
