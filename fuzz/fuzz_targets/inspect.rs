//! `inspect` and `diff` on arbitrary bytes: decode everything (array values included) and
//! render the result as text (with or without colour) or JSON, and the diff from an empty
//! file as text or JSON. Rendering dominates under the sanitizers, so each input is rendered
//! one way, chosen by its length: the fuzzer still reaches every renderer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mltk_lint::catalog::catalog;
use mltk_lint::inspect::{self, InspectOptions};

fuzz_target!(|data: &[u8]| {
    let target = catalog().newest();
    let inspection = inspect::inspect_bytes("__mlspl_m.mlmodel", data.to_vec(), target);
    let (json, color, max_array) = [
        (false, false, None),
        (false, true, Some(3)),
        (true, false, Some(3)),
    ][data.len() % 3];
    let options = InspectOptions {
        json,
        path: None,
        max_array,
        target,
        color,
    };
    let mut out = Vec::new();
    if json {
        inspect::json::write_inspection(&mut out, &inspection, max_array).expect("write to a Vec");
    } else {
        inspect::text::write_inspection(&mut out, &inspection, &options).expect("write to a Vec");
    }
    let empty = inspect::inspect_bytes("__mlspl_e.mlmodel", Vec::new(), target);
    let changes = inspect::diff::diff(&empty, &inspection);
    let mut out = Vec::new();
    if data.len() / 3 % 2 == 0 {
        inspect::diff::write_text(&mut out, "a", "b", &changes, true).expect("write to a Vec");
    } else {
        inspect::diff::write_json(&mut out, "a", "b", &changes).expect("write to a Vec");
    }
});
