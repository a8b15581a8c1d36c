//! The model-cell classifier and decoder: JSON, codec records, embedded npy/npz, pickles.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mltk_lint::codec::{ModelCell, model};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let ModelCell::Json(root) = ModelCell::parse(&text) {
        let _ = model::decode(&root);
    }
});
