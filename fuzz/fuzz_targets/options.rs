//! The options cell: JSON parse, Python-literal hints and the schema/consistency rules.
#![no_main]
use libfuzzer_sys::fuzz_target;

const MODEL: &str =
    r#"{"__mlspl_type": ["algos.LinearRegression", "LinearRegression"], "dict": {}}"#;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mltk_lint::options::OptionsCell::parse(&text);
    let artifact = format!(
        "algo,model,options\r\nLinearRegression,\"{}\",\"{}\"\r\n",
        MODEL.replace('"', "\"\""),
        text.replace('"', "\"\"")
    );
    // As in the `lint` target: a few findings per rule reach the cap (MLTK109); a thousand
    // alike ones (an options cell of many unknown keys) only slow the fuzzer down.
    let mut settings = mltk_lint::Settings::default();
    settings.limits.max_findings_per_rule = 8;
    let _ = mltk_lint::lint_bytes("__mlspl_m.mlmodel", artifact.into_bytes(), &settings);
});
