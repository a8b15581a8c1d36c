//! `mltk-lint`: parse the command line, run, map the outcome to an exit code.

use std::io::{IsTerminal as _, Write as _};
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
    let stdout = std::io::stdout();
    // A terminal sees each line as it is written; a pipe or a file gets blocks, as in
    // ripgrep: a report of many findings was one write call per line.
    let mut out: Box<dyn std::io::Write> = if stdout.is_terminal() {
        Box::new(stdout.lock())
    } else {
        Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()))
    };
    let mut err = std::io::stderr().lock();
    let outcome = cli::run(args, &mut out, &mut err).and_then(|status| {
        out.flush()?;
        Ok(status)
    });
    match outcome {
        Ok(ExitStatus::Clean) => ExitCode::SUCCESS,
        Ok(ExitStatus::Findings) => ExitCode::from(1),
        Ok(ExitStatus::Failure) => ExitCode::from(2),
        // A closed pipe (`mltk-lint ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "mltk-lint: error: {e}");
            ExitCode::from(2)
        }
    }
}
