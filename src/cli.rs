//! Command-line parsing and the run loop. clap types stop here: `Args` become `Settings`.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::catalog::catalog;
use crate::format_cmd::{self, FmtOutcome};
use crate::inputs::{self, Input};
use crate::linter::{FileReport, lint_bytes};
use crate::report::{self, Format, Style, Summary};
use crate::rules::{self, RuleSet, Selector};
use crate::settings::Settings;

/// Inspector, validator and linter for Splunk MLTK model artifacts (`__mlspl_*.mlmodel`).
#[derive(Debug, Parser)]
#[command(name = "mltk-lint", version, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    lint: LintArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every rule: code, name, default severity, summary.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// Rule code (e.g. MLTK101) or name (e.g. model-json).
        code: String,
    },
    /// Re-encode each artifact as MLTK writes it and compare byte for byte.
    Roundtrip {
        /// Files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Rewrite artifacts in the canonical form MLTK writes, without changing any value.
    Fmt {
        /// Files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Only report which files would change; exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Show what is inside a model: estimator, hyperparameters, arrays, trees, options.
    Inspect {
        /// The artifact (`-` reads standard input).
        file: PathBuf,
        /// Output format: readable text (`human`) or the typed tree as JSON.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Show only this sub-tree of the model, a JSON pointer (e.g. /dict/estimator).
        #[arg(long, value_name = "POINTER")]
        path: Option<String>,
        /// Show at most N elements of each array's data.
        #[arg(long, value_name = "N")]
        max_array: Option<usize>,
        /// MLTK release whose defaults and rules apply.
        #[arg(long, value_name = "VERSION", value_parser = parse_version)]
        target_mltk: Option<String>,
    },
    /// Show what changed between two versions of a model; exit 1 if anything did.
    Diff {
        /// The old version.
        a: PathBuf,
        /// The new version.
        b: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
}

#[derive(Debug, clap::Args)]
struct LintArgs {
    /// Files or directories to lint; `-` reads standard input. Directories are searched for
    /// `*.mlmodel` and `__mlspl_*.csv`.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// MLTK release the artifacts must load in.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    target_mltk: Option<String>,
    /// Only these rules: codes, prefixes (MLTK2) or names, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Vec<Selector>,
    /// Skip these rules: codes, prefixes or names, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<Selector>,
    /// An algorithm your own app ships (repeatable).
    #[arg(long = "custom-algorithm", value_name = "NAME")]
    custom_algorithms: Vec<String>,
    /// Name shown for standard input (its file name is checked too).
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    stdin_filename: String,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn parse_version(text: &str) -> Result<String, String> {
    match catalog().version(text) {
        Some(version) => Ok(version.id.clone()),
        None => {
            let known: Vec<&str> = catalog().versions().iter().map(|v| v.id.as_str()).collect();
            Err(format!(
                "unknown MLTK version `{text}`; known: {}",
                known.join(", ")
            ))
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding of error severity.
    Clean,
    /// At least one finding of error severity.
    Findings,
    /// A usage error or an unreadable path.
    Failure,
}

/// Run the command line. Output goes to `out`, notices about unreadable paths to `err`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match args.command {
        Some(Command::Rules) => {
            for rule in rules::ALL {
                writeln!(
                    out,
                    "{}  {:<22} {:<8} {}",
                    rule.code, rule.name, rule.default_severity, rule.summary
                )?;
            }
            Ok(ExitStatus::Clean)
        }
        Some(Command::Explain { code }) => match rules::by_code_or_name(&code) {
            Some(rule) => {
                write!(out, "{}", crate::docs::rule_page(rule))?;
                Ok(ExitStatus::Clean)
            }
            None => {
                let message = match code.parse::<Selector>() {
                    Err(e) => e,
                    Ok(_) => format!("`{code}` is a group, not one rule; run `mltk-lint rules`"),
                };
                writeln!(err, "mltk-lint: error: {message}")?;
                Ok(ExitStatus::Failure)
            }
        },
        Some(Command::Roundtrip { paths, format }) => {
            round_trip(&paths, matches!(format, FormatArg::Json), out, err)
        }
        Some(Command::Fmt { paths, check }) => fmt(&paths, check, out, err),
        Some(Command::Inspect {
            file,
            format,
            path,
            max_array,
            target_mltk,
        }) => {
            let options = crate::inspect::InspectOptions {
                json: matches!(format, FormatArg::Json),
                path,
                max_array,
                target: target_mltk
                    .as_deref()
                    .and_then(|id| catalog().version(id))
                    .unwrap_or_else(|| catalog().newest()),
                color: crate::inspect::color_auto(),
            };
            crate::inspect::run_inspect(&file, &options, out, err)
        }
        Some(Command::Diff { a, b, format }) => {
            let json = matches!(format, FormatArg::Json);
            crate::inspect::run_diff(&a, &b, json, catalog().newest(), out, err)
        }
        None => lint(args.lint, out, err),
    }
}

fn files(paths: &[PathBuf], err: &mut dyn Write) -> io::Result<(Vec<PathBuf>, usize)> {
    let (inputs, errors) = inputs::collect(paths, "-");
    for e in &errors {
        writeln!(
            err,
            "mltk-lint: error: cannot read {}: {}",
            e.path.display(),
            e.error
        )?;
    }
    let files = inputs
        .into_iter()
        .filter_map(|input| match input {
            Input::File(path) => Some(path),
            Input::Stdin(_) => None,
        })
        .collect();
    Ok((files, errors.len()))
}

fn round_trip(
    paths: &[PathBuf],
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let (files, mut failures) = files(paths, err)?;
    let results: Vec<_> = files
        .par_iter()
        .map(|path| {
            let shown = path.display().to_string();
            std::fs::read(path)
                .map(|bytes| format_cmd::round_trip(&shown, bytes))
                .map_err(|e| (shown, e))
        })
        .collect();
    let mut done = Vec::new();
    for result in results {
        match result {
            Ok(r) => done.push(r),
            Err((path, e)) => {
                failures += 1;
                writeln!(err, "mltk-lint: error: cannot read {path}: {e}")?;
            }
        }
    }
    let all = format_cmd::write_round_trips(out, &done, json)?;
    Ok(if failures > 0 {
        ExitStatus::Failure
    } else if all {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn fmt(
    paths: &[PathBuf],
    check: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let (files, mut failures) = files(paths, err)?;
    let (mut changed, mut unchanged) = (0, 0);
    for path in &files {
        match format_cmd::format_file(path, check) {
            Ok(FmtOutcome::Unchanged) => unchanged += 1,
            Ok(FmtOutcome::Reformatted) => {
                changed += 1;
                let verb = if check {
                    "would reformat"
                } else {
                    "reformatted"
                };
                writeln!(out, "{verb}: {}", path.display())?;
            }
            Ok(FmtOutcome::Refused(reason)) => {
                failures += 1;
                writeln!(
                    err,
                    "mltk-lint: error: cannot format {}: {reason}",
                    path.display()
                )?;
            }
            Err(e) => {
                failures += 1;
                writeln!(
                    err,
                    "mltk-lint: error: cannot format {}: {e}",
                    path.display()
                )?;
            }
        }
    }
    let verb = if check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    writeln!(
        out,
        "{changed} file{} {verb}, {unchanged} unchanged.",
        if changed == 1 { "" } else { "s" }
    )?;
    Ok(if failures > 0 {
        ExitStatus::Failure
    } else if check && changed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

fn settings(args: &LintArgs) -> Settings {
    let mut rules = if args.select.is_empty() {
        RuleSet::all()
    } else {
        RuleSet::empty()
    };
    for selector in &args.select {
        rules.insert(selector);
    }
    for selector in &args.ignore {
        rules.remove(selector);
    }
    let target = args
        .target_mltk
        .as_deref()
        .and_then(|id| catalog().version(id))
        .unwrap_or_else(|| catalog().newest());
    Settings {
        rules,
        target,
        custom_algorithms: args.custom_algorithms.clone(),
        ..Settings::default()
    }
}

fn lint(args: LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    if args.paths.is_empty() {
        writeln!(
            err,
            "mltk-lint: error: no path given; try `mltk-lint path/to/lookups` or `mltk-lint --help`"
        )?;
        return Ok(ExitStatus::Failure);
    }
    let settings = settings(&args);
    let (inputs, walk_errors) = inputs::collect(&args.paths, &args.stdin_filename);
    let mut failures = walk_errors.len();
    for e in &walk_errors {
        writeln!(
            err,
            "mltk-lint: error: cannot read {}: {}",
            e.path.display(),
            e.error
        )?;
    }
    let mut stdin_bytes = None;
    if inputs.iter().any(|i| matches!(i, Input::Stdin(_))) {
        let mut buffer = Vec::new();
        io::stdin().read_to_end(&mut buffer)?;
        stdin_bytes = Some(buffer);
    }
    let results: Vec<Result<FileReport, (String, io::Error)>> = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(path) => {
                let shown = path.display().to_string();
                std::fs::read(path)
                    .map(|bytes| lint_bytes(&shown, bytes, &settings))
                    .map_err(|e| (shown, e))
            }
            Input::Stdin(name) => Ok(lint_bytes(
                name,
                stdin_bytes.clone().unwrap_or_default(),
                &settings,
            )),
        })
        .collect();
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
    };
    let mut reporter = report::reporter(format, Style { color, width: None });
    let mut summary = Summary::default();
    for result in &results {
        match result {
            Ok(report) => {
                summary.add(report);
                reporter.file(out, report)?;
            }
            Err((path, e)) => {
                failures += 1;
                writeln!(err, "mltk-lint: error: cannot read {path}: {e}")?;
            }
        }
    }
    summary.failures = failures;
    reporter.finish(out, &summary)?;
    out.flush()?;
    Ok(if failures > 0 {
        ExitStatus::Failure
    } else if summary.errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}
