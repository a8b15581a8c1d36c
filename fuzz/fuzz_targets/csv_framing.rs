//! CSV framing (Python csv semantics) and the artifact built on it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mltk_lint::artifact::csv::read(data);
    let _ = mltk_lint::artifact::Artifact::parse(data.to_vec());
});
