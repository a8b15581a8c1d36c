//! The whole pipeline on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mltk_lint::lint_bytes(
        "__mlspl_m.mlmodel",
        data.to_vec(),
        &mltk_lint::Settings::default(),
    );
});
