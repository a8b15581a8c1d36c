//! The NPY parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mltk_lint::codec::npy::parse(data);
});
