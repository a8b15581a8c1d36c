//! The NPZ (zip of npy) parser and the csr_matrix checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(archive) = mltk_lint::codec::npz::parse(data) {
        let _ = mltk_lint::codec::npz::check_csr(&archive);
    }
});
