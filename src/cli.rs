//! Command-line parsing and the run loop. clap types stop here: `Args` become `Settings`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::catalog;
use crate::format_cmd::{self, FmtOutcome};
use crate::inputs::{self, Input};
use crate::linter::{FileOutcome, lint_bytes};
use crate::report::{self, Summary};
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
    /// `*.mlmodel`, `__mlspl_*.csv` and pickles (`*.pkl`, `*.pickle`, `*.joblib`).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format, optionally to a file: human, concise, json, json-lines, sarif, github,
    /// gitlab, junit (`sarif=out.sarif`). Repeatable; `--format` is an alias.
    #[arg(
        long = "output-format",
        visible_alias = "format",
        value_name = "FORMAT[=FILE]"
    )]
    output_format: Vec<report::OutputSpec>,
    /// Write the output formats that name no file to FILE instead of standard output.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Print the number of findings per rule instead of the standard-output report.
    #[arg(long)]
    statistics: bool,
    /// Use this configuration file instead of discovering `.mltk-lint.toml` or
    /// `pyproject.toml` (`[tool.mltk-lint]`) upward from each file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    isolated: bool,
    /// Also enable these rules (on top of the configuration's selection).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    extend_select: Vec<Selector>,
    /// Skip files matching this glob when walking directories (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// The lowest severity that makes the exit status 1 (default: error).
    #[arg(long, value_name = "SEVERITY", value_parser = crate::config::parse_severity)]
    fail_on: Option<crate::diagnostic::Severity>,
    /// Exit 0 even when there are findings (still 2 on usage errors and unreadable files).
    #[arg(long)]
    exit_zero: bool,
    /// Suppress the findings listed in this baseline (keyed by path, code and JSON pointer).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write every current finding to a baseline file, then report with it applied.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Suppress the findings listed, each with a reason, in this TOML file (repeatable).
    #[arg(long = "expected", value_name = "FILE")]
    expected: Vec<PathBuf>,
    /// Ignore --baseline and --expected: report everything.
    #[arg(long)]
    no_suppressions: bool,
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
    /// Name of the file read from standard input: shown in the report, checked by the
    /// file-name rules (MLTK206, MLTK207) and used to find the configuration. Without it the
    /// input shows as `<stdin>` and its name is not checked.
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<String>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Largest file linted (e.g. 1048576, 64K, 256M, 1G; default 256M); a larger one is
    /// reported as MLTK109 without being read. Same as `--limit file-size=SIZE`.
    #[arg(long, value_name = "SIZE", value_parser = crate::limits::parse_size)]
    max_file_size: Option<u64>,
    /// Override a resource limit (repeatable), e.g. json-depth=200 or npz-uncompressed=64M;
    /// `--help` lists the names and defaults.
    #[arg(
        long = "limit",
        value_name = "NAME=VALUE",
        long_help = crate::limits::cli_help()
    )]
    limits: Vec<crate::limits::LimitOverride>,
    /// Files linted at once (default: the number of cores available).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
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
        Some(version) => Ok(version.id.to_owned()),
        None => {
            let known: Vec<&str> = catalog().versions().iter().map(|v| v.id).collect();
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
    let threads = crate::ordered::default_threads();
    let results = crate::ordered::collect_in_order(&files, threads, |path| {
        let shown = path.display().to_string();
        std::fs::read(path)
            .map(|bytes| format_cmd::round_trip(&shown, bytes))
            .map_err(|e| (shown, e))
    });
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

/// The settings for one file: defaults, then the file's configuration, then the command
/// line (which wins).
fn settings(args: &LintArgs, config: Option<&crate::config::Config>, path: &Path) -> Settings {
    let base = Settings::default();
    let mut settings = match config {
        Some(config) => config.apply(&base, path),
        None => base,
    };
    settings.limits.apply(&args.limits);
    if let Some(size) = args.max_file_size {
        settings.limits.max_file_size = size;
    }
    if !args.select.is_empty() {
        settings.rules = RuleSet::empty();
        for selector in &args.select {
            settings.rules.insert(selector);
        }
    }
    for selector in &args.extend_select {
        settings.rules.insert(selector);
    }
    for selector in &args.ignore {
        settings.rules.remove(selector);
    }
    if let Some(version) = args
        .target_mltk
        .as_deref()
        .and_then(|id| catalog().version(id))
    {
        settings.target = version;
    }
    for name in &args.custom_algorithms {
        if !settings.custom_algorithms.iter().any(|c| &c.name == name) {
            settings
                .custom_algorithms
                .push(crate::settings::CustomAlgorithm::named(name));
        }
    }
    settings
}

/// Configuration discovery, `--exclude` and the fail threshold for one run.
struct RunConfig {
    suppressions: crate::suppressions::Suppressions,
    discovery: crate::config::Discovery,
    exclude: globset::GlobSet,
    fail_on: crate::diagnostic::Severity,
}

impl RunConfig {
    fn new(args: &LintArgs) -> Result<RunConfig, String> {
        let discovery = crate::config::Discovery::new(args.config.as_deref(), args.isolated)?;
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in &args.exclude {
            builder.add(
                globset::Glob::new(pattern).map_err(|e| format!("--exclude `{pattern}`: {e}"))?,
            );
        }
        let exclude = builder.build().map_err(|e| e.to_string())?;
        let fail_on = match args.fail_on {
            Some(level) => level,
            None => discovery
                .for_run()?
                .and_then(|c| c.fail_on)
                .unwrap_or(crate::diagnostic::Severity::Error),
        };
        let mut suppressions = crate::suppressions::Suppressions::default();
        if !args.no_suppressions {
            if let Some(path) = &args.baseline {
                suppressions.add_baseline(path)?;
            }
            for path in &args.expected {
                suppressions.add_expected(path)?;
            }
        }
        Ok(RunConfig {
            suppressions,
            discovery,
            exclude,
            fail_on,
        })
    }

    /// The settings for `path`, or why its configuration could not be read.
    fn settings(&self, args: &LintArgs, path: &Path) -> Result<Settings, String> {
        let config = self.discovery.for_file(path)?;
        Ok(settings(args, config.as_deref(), path))
    }

    /// Whether a file found by walking a directory is excluded (`--exclude` or the
    /// configuration's `exclude`). Files named on the command line never are.
    fn excluded(&self, args: &LintArgs, path: &Path) -> bool {
        // A file named on the command line reaches here as given, so bytes compare: `Path`'s
        // component-wise equality cost 2 % of a run over the 81-file corpus.
        if args.paths.iter().any(|p| p.as_os_str() == path.as_os_str()) {
            return false;
        }
        let name = path.file_name().map(Path::new);
        let clean: PathBuf = path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        if self.exclude.is_match(&clean) || name.is_some_and(|n| self.exclude.is_match(n)) {
            return true;
        }
        matches!(self.discovery.for_file(path), Ok(Some(config)) if config.excludes(path))
    }

    /// The exit status for a run's counts.
    fn status(&self, args: &LintArgs, summary: &Summary) -> ExitStatus {
        use crate::diagnostic::Severity;
        let failing = match self.fail_on {
            Severity::Error => summary.errors,
            Severity::Warning => summary.errors + summary.warnings,
            Severity::Info => summary.total(),
        };
        if summary.failures > 0 {
            ExitStatus::Failure
        } else if failing > 0 && !args.exit_zero {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
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
    let mut run = match RunConfig::new(&args) {
        Ok(run) => run,
        Err(message) => {
            writeln!(err, "mltk-lint: error: {message}")?;
            return Ok(ExitStatus::Failure);
        }
    };
    let stdin_shown = args.stdin_filename.as_deref().unwrap_or("<stdin>");
    let (mut inputs, walk_errors) = inputs::collect(&args.paths, stdin_shown);
    inputs.retain(|input| match input {
        Input::File(path) => !run.excluded(&args, path),
        Input::Stdin(_) => true,
    });
    // Counting cores reads cgroup files: not worth it for one input.
    let threads = match args.threads {
        _ if inputs.len() <= 1 => 1,
        Some(n) => usize::from(n),
        None => crate::ordered::default_threads(),
    };
    // The set-up below is short; the second worker starts sooner on a core kept awake.
    // That core builds the release catalog meanwhile, which each worker's first file would
    // wait for.
    let mut awake = (threads > 1).then(|| {
        crate::ordered::AwakeCore::start(|| {
            crate::catalog::catalog();
        })
    });
    let settings = settings(&args, None, Path::new(stdin_shown));
    let stdin_settings = if args.paths.iter().any(|p| p.as_os_str() == "-") {
        match run.settings(&args, Path::new(stdin_shown)) {
            Ok(settings) => settings,
            Err(message) => {
                writeln!(err, "mltk-lint: error: {message}")?;
                return Ok(ExitStatus::Failure);
            }
        }
    } else {
        settings.clone()
    };
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
        stdin_bytes = Some(crate::linter::read_limited(
            io::stdin().lock(),
            stdin_settings.limits.max_file_size,
        )?);
    }
    let mut suppressions = std::mem::take(&mut run.suppressions);
    let lint_input = |input: &Input| -> Result<FileOutcome, (String, io::Error)> {
        match input {
            Input::File(path) => {
                let shown = path.display().to_string();
                let settings = run
                    .settings(&args, path)
                    .map_err(|e| (shown.clone(), io::Error::other(e)))?;
                crate::linter::lint_file(&shown, path, &settings).map_err(|e| (shown, e))
            }
            Input::Stdin(name) => Ok(FileOutcome::Linted(Box::new(
                match stdin_bytes.clone().unwrap_or(Ok(Vec::new())) {
                    Ok(bytes) if args.stdin_filename.is_some() => {
                        lint_bytes(name, bytes, &stdin_settings)
                    }
                    Ok(bytes) => crate::linter::lint_unnamed(name, bytes, &stdin_settings),
                    Err(seen) => crate::linter::oversize(name, seen, &stdin_settings),
                },
            ))),
        }
        .map(|mut outcome| {
            // Reporters read the bytes and lines only; the report may wait behind a slower
            // file before it is printed.
            if let FileOutcome::Linted(report) = &mut outcome {
                report.artifact.release_cells();
            }
            outcome
        })
    };
    let choice = match args.color {
        ColorArg::Always => report::ColorChoice::Always,
        ColorArg::Never => report::ColorChoice::Never,
        ColorArg::Auto => report::ColorChoice::Auto,
    };
    let color = report::use_color(choice, |v| std::env::var_os(v), io::stdout().is_terminal());
    let mut reporter = match report::Outputs::open(
        &args.output_format,
        args.output_file.as_deref(),
        args.statistics,
        color,
    ) {
        Ok(outputs) => outputs,
        Err(message) => {
            writeln!(err, "mltk-lint: error: {message}")?;
            return Ok(ExitStatus::Failure);
        }
    };
    let mut summary = Summary::default();
    // The baseline is every finding of the run, written before any is suppressed by it:
    // that mode keeps all reports until the end; otherwise they stream.
    let collected = match &args.write_baseline {
        Some(path) => {
            drop(awake.take());
            let results = crate::ordered::collect_in_order(&inputs, threads, lint_input);
            let keys = crate::suppressions::keys(results.iter().filter_map(|r| match r {
                Ok(FileOutcome::Linted(report)) => Some(&**report),
                _ => None,
            }));
            let written = crate::suppressions::write_baseline(path, keys).and_then(|n| {
                if args.no_suppressions {
                    Ok(n)
                } else {
                    suppressions.add_baseline(path).map(|()| n)
                }
            });
            match written {
                Ok(n) => writeln!(
                    err,
                    "mltk-lint: wrote {n} baseline entr{} to {}",
                    if n == 1 { "y" } else { "ies" },
                    path.display()
                )?,
                Err(message) => {
                    writeln!(err, "mltk-lint: error: {message}")?;
                    return Ok(ExitStatus::Failure);
                }
            }
            Some(results)
        }
        None => None,
    };
    let mut emit = |result: &mut Result<FileOutcome, (String, io::Error)>,
                    out: &mut dyn Write,
                    err: &mut dyn Write|
     -> io::Result<()> {
        match result {
            Ok(FileOutcome::Linted(report)) => {
                suppressions.apply(report);
                summary.add(report);
                reporter.file(out, report)
            }
            Ok(FileOutcome::CoreMl { path }) => writeln!(
                err,
                "mltk-lint: note: skipping {path}: an Apple Core ML model (binary protobuf), not an MLTK artifact"
            ),
            Err((path, e)) => {
                failures += 1;
                writeln!(err, "mltk-lint: error: cannot read {path}: {e}")
            }
        }
    };
    match collected {
        Some(results) => {
            for mut result in results {
                emit(&mut result, out, err)?;
            }
        }
        // Printed in input order as files finish; each report is dropped once printed.
        None => {
            drop(awake.take());
            crate::ordered::map_in_order(&inputs, threads, lint_input, |result| {
                emit(result, out, err)
            })?;
        }
    }
    for (source, key) in suppressions.stale() {
        writeln!(
            err,
            "mltk-lint: warning: stale {source} entry (no such finding): {key}"
        )?;
    }
    summary.failures = failures;
    if summary.files == 0 && failures == 0 {
        // A mistyped directory in CI would otherwise pass silently.
        writeln!(
            err,
            "mltk-lint: warning: no MLTK artifact found under the given paths (directories are \
             searched for `*.mlmodel`, `__mlspl_*.csv`, `*.pkl`, `*.pickle` and `*.joblib`)"
        )?;
    }
    reporter.finish(out, &summary)?;
    out.flush()?;
    Ok(run.status(&args, &summary))
}
