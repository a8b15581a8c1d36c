//! Micro-benchmark of the lint pipeline per artifact size (std::time, no harness).
//!
//! `cargo bench --bench decode -- [DIR_OR_FILE...]` (default: `fixtures/valid` and
//! `target/bench-data`). For each artifact: the CSV framing alone, the whole lint without
//! MLTK401 (decode + every other rule), and the whole lint; median of several runs, in MB/s.

#![allow(clippy::print_stdout)] // a benchmark reports on standard output

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mltk_lint::artifact::Artifact;
use mltk_lint::rules::Selector;
use mltk_lint::{Settings, lint_bytes};

fn files(args: &[String]) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = if args.is_empty() {
        vec!["fixtures/valid".into(), "target/bench-data".into()]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let mut out = Vec::new();
    for root in roots {
        if root.is_file() {
            out.push(root);
        } else if let Ok(entries) = std::fs::read_dir(&root) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "mlmodel"))
                .collect();
            found.sort();
            out.extend(found);
        }
    }
    out
}

/// Median time of `f` over enough runs to take about half a second (at least 3, at most 50).
fn time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    let first = start.elapsed();
    let runs = (Duration::from_millis(500).as_nanos() / first.as_nanos().max(1)).clamp(3, 50);
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = Settings::default();
    let mut without_401 = Settings::default();
    without_401
        .rules
        .remove(&"MLTK401".parse::<Selector>().expect("a rule code"));
    println!(
        "{:<48} {:>9} {:>10} {:>10} {:>10} {:>8}",
        "artifact", "MB", "csv MB/s", "-401 MB/s", "lint MB/s", "lint ms"
    );
    for path in files(&args) {
        let bytes = std::fs::read(&path).expect("readable");
        let name = Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = path.display().to_string();
        let csv = time(|| {
            std::hint::black_box(Artifact::parse(bytes.clone()));
        });
        let partial = time(|| {
            std::hint::black_box(lint_bytes(&shown, bytes.clone(), &without_401));
        });
        let full = time(|| {
            std::hint::black_box(lint_bytes(&shown, bytes.clone(), &all));
        });
        println!(
            "{:<48} {:>9.3} {:>10.0} {:>10.0} {:>10.0} {:>8.2}",
            name,
            bytes.len() as f64 / 1e6,
            mbps(bytes.len(), csv),
            mbps(bytes.len(), partial),
            mbps(bytes.len(), full),
            full.as_secs_f64() * 1e3
        );
    }
}
