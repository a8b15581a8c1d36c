//! The lint fast path of MLTK401 (`roundtrip::reproduces_as_read`) must agree with the full
//! re-encoding it stands in for, on every fixture and every corpus file; and linting, which
//! drops the data of arrays that re-encode as stored, must report MLTK401 exactly where the
//! full re-encoding differs.

use std::path::{Path, PathBuf};

use mltk_lint::artifact::Artifact;
use mltk_lint::linter::{lint_bytes, with_decoded};
use mltk_lint::roundtrip::{self, Mode};
use mltk_lint::settings::Settings;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "mlmodel" || e == "csv")
        {
            out.push(path);
        }
    }
}

#[test]
fn fast_path_agrees_with_reencode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("fixtures"), &mut files);
    walk(&root.join("../shared/corpus"), &mut files);
    assert!(files.len() > 20, "fixtures found: {}", files.len());
    let (mut same, mut differ) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let artifact = Artifact::parse(bytes.clone());
        let (fast, slow) = with_decoded(&artifact, |decoded| {
            let fast = roundtrip::reproduces_as_read(decoded);
            let slow = roundtrip::reencode(decoded, Mode::AsRead)
                .is_ok_and(|(out, _)| roundtrip::first_difference(&bytes, &out).is_none());
            (fast, slow)
        });
        assert_eq!(fast, slow, "{}", path.display());
        let report = lint_bytes(&path.display().to_string(), bytes, &Settings::default());
        let flagged = report.diagnostics.iter().any(|d| d.rule.code == "MLTK401");
        // MLTK401 also stays silent where the file cannot be re-encoded at all (other rules
        // report why): only compare where the re-encoding exists.
        if roundtrip_possible(&artifact) {
            assert_eq!(flagged, !slow, "MLTK401 on {}", path.display());
        }
        if fast {
            same += 1;
        } else {
            differ += 1;
        }
    }
    assert!(same > 0 && differ > 0, "{same} reproduce, {differ} do not");
}

fn roundtrip_possible(artifact: &Artifact) -> bool {
    with_decoded(artifact, |decoded| {
        roundtrip::reencode(decoded, Mode::AsRead).is_ok()
    })
}
