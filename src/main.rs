//! `mltk-lint`: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use mltk_lint::cli::{self, Args, ExitStatus};

// mimalloc maps large blocks with transparent huge pages where the kernel allows them: a
// 30 MB model then costs a few hundred page faults instead of twenty thousand, which was
// half of the run's time (docs/performance.md). ruff also replaces the system allocator.
// Without the `mimalloc` feature the system allocator is used (less memory on small runs).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    match cli::run(args, &mut out, &mut err) {
        Ok(ExitStatus::Clean) => ExitCode::SUCCESS,
        Ok(ExitStatus::Findings) => ExitCode::from(1),
        Ok(ExitStatus::Failure) => ExitCode::from(2),
        // A closed pipe (`mltk-lint ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write as _;
            let _ = writeln!(err, "mltk-lint: error: {e}");
            ExitCode::from(2)
        }
    }
}
