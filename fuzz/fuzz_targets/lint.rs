//! The whole pipeline on arbitrary bytes: lint, then render the findings (excerpts of hostile
//! bytes are where a renderer can slice a string wrongly). Rendering costs far more than
//! linting under the sanitizers, so each input is rendered once, in a format and colour taken
//! from its length: the fuzzer still reaches every renderer, at several times the speed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mltk_lint::report::{self, Format, Style, Summary};

fuzz_target!(|data: &[u8]| {
    let mut settings = mltk_lint::Settings::default();
    // A few findings per rule reach every renderer and the cap (MLTK109); a thousand alike
    // ones only slow the fuzzer down.
    settings.limits.max_findings_per_rule = 8;
    let report = mltk_lint::lint_bytes("__mlspl_m.mlmodel", data.to_vec(), &settings);
    let mut summary = Summary::default();
    summary.add(&report);
    let formats = [
        Format::Human,
        Format::Concise,
        Format::Sarif,
        Format::Github,
    ];
    let format = formats[data.len() / 2 % formats.len()];
    let color = data.len() % 2 == 1;
    let mut reporter = report::reporter(
        format,
        Style {
            color,
            width: Some(80),
        },
    );
    let mut out = Vec::new();
    reporter.file(&mut out, &report).expect("write to a Vec");
    reporter.finish(&mut out, &summary).expect("write to a Vec");
});
