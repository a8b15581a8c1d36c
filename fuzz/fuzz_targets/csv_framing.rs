//! CSV framing (Python csv semantics) and the artifact built on it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let framing = mltk_lint::artifact::csv::read(data);
    // The artifact skips its UTF-8 pass when the cells prove the file valid: they must not
    // claim it of a file that is not.
    assert!(!framing.proves_utf8() || std::str::from_utf8(data).is_ok());
    let _ = mltk_lint::artifact::Artifact::parse(data.to_vec());
});
