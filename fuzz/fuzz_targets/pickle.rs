//! The symbolic pickle reader (never unpickles) and the pickle-file linter.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mltk_lint::codec::pickle;

fuzz_target!(|data: &[u8]| {
    let limits = pickle::Limits::default();
    let _ = pickle::scan_stream(data, &limits);
    let _ = pickle::looks_like_pickle(data);
    let _ = mltk_lint::pickle_file::lint("f.pkl", data.to_vec(), &mltk_lint::Settings::default());
});
