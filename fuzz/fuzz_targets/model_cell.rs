//! The model-cell classifier and decoder: JSON, codec records, embedded npy/npz, pickles.
//! Both decoders run: the one that keeps array data (inspect, fmt) and the linter's, which
//! checks payloads in place and drops the data. They must report the same problems.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mltk_lint::codec::{ModelCell, model};
use mltk_lint::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let ModelCell::Json(root) = ModelCell::parse(&text) {
        let kept = model::decode(&root);
        let linted = model::decode_for_lint(&root, &Limits::default());
        assert_eq!(
            format!("{:?}", kept.problems),
            format!("{:?}", linted.problems),
            "the linter's decoder reports what the full decoder reports"
        );
    }
});
