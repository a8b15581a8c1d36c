//! Several formats at once (`--output-format sarif=out.sarif --output-format human`), `-o`,
//! `--statistics`, and the colour decision.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Format, Reporter, Style, Summary, reporter};
use crate::linter::FileReport;

/// One `--output-format FORMAT[=FILE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// The format.
    pub format: Format,
    /// Where to write it; standard output (or `-o FILE`) when `None`.
    pub file: Option<PathBuf>,
}

impl std::str::FromStr for OutputSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (format, file) = match text.split_once('=') {
            Some((format, file)) if !file.is_empty() => (format, Some(PathBuf::from(file))),
            Some((_, _)) => return Err(format!("`{text}`: no file after `=`")),
            None => (text, None),
        };
        Ok(OutputSpec {
            format: format.parse()?,
            file,
        })
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Decide from the environment and the terminal.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether to colour standard output. `--color always|never` wins; otherwise a non-empty
/// `NO_COLOR` disables colour, a `CLICOLOR_FORCE` other than `0` forces it, `CLICOLOR=0`
/// disables it, and else colour follows whether standard output is a terminal
/// (<https://no-color.org>, <https://bixense.com/clicolors/>).
pub fn use_color(
    choice: ColorChoice,
    env: impl Fn(&str) -> Option<OsString>,
    is_terminal: bool,
) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if set("CLICOLOR").is_some_and(|v| v == "0") {
                false
            } else {
                is_terminal
            }
        }
    }
}

/// Counts per rule, for `--statistics`.
#[derive(Debug, Default, Clone)]
pub struct Statistics {
    counts: BTreeMap<&'static str, (&'static str, usize)>,
}

impl Statistics {
    /// Count one file's findings.
    pub fn add(&mut self, report: &FileReport) {
        for d in &report.diagnostics {
            self.counts.entry(d.rule.code).or_insert((d.rule.name, 0)).1 += 1;
        }
    }

    /// Write one line per rule that fired, most frequent first, then by code.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rows: Vec<_> = self.counts.iter().collect();
        rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
        let width = rows
            .iter()
            .map(|(_, (_, n))| n.to_string().len())
            .max()
            .unwrap_or(1);
        for (code, (name, count)) in rows {
            writeln!(out, "{count:>width$}\t{code}\t{name}")?;
        }
        Ok(())
    }
}

struct Sink {
    reporter: Box<dyn Reporter>,
    file: Option<(PathBuf, BufWriter<File>)>,
}

/// Every reporter of a run, each with its destination.
pub struct Outputs {
    sinks: Vec<Sink>,
    statistics: Option<Statistics>,
}

impl Outputs {
    /// Open the outputs. No spec means `human`. A spec without a file writes to
    /// `output_file` if given, else to standard output. With `statistics`, the counts per rule
    /// replace what would go to standard output. Fails with a message when a file cannot be
    /// created.
    pub fn open(
        specs: &[OutputSpec],
        output_file: Option<&Path>,
        statistics: bool,
        stdout_color: bool,
    ) -> Result<Outputs, String> {
        let default = [OutputSpec {
            format: Format::Human,
            file: None,
        }];
        let specs = if specs.is_empty() {
            &default[..]
        } else {
            specs
        };
        let mut sinks = Vec::new();
        for spec in specs {
            let file = spec.file.as_deref().or(output_file);
            match file {
                Some(path) => {
                    let handle = File::create(path)
                        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                    sinks.push(Sink {
                        reporter: reporter(spec.format, Style::default()),
                        file: Some((path.to_owned(), BufWriter::new(handle))),
                    });
                }
                None if statistics => {}
                None => sinks.push(Sink {
                    reporter: reporter(
                        spec.format,
                        Style {
                            color: stdout_color,
                            width: None,
                        },
                    ),
                    file: None,
                }),
            }
        }
        Ok(Outputs {
            sinks,
            statistics: statistics.then(Statistics::default),
        })
    }

    /// One linted file, to every output.
    pub fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        if let Some(statistics) = &mut self.statistics {
            statistics.add(report);
        }
        for sink in &mut self.sinks {
            match &mut sink.file {
                Some((_, writer)) => sink.reporter.file(writer, report)?,
                None => sink.reporter.file(out, report)?,
            }
        }
        Ok(())
    }

    /// The end of the run: finish every output and flush the files.
    pub fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
        for sink in &mut self.sinks {
            match &mut sink.file {
                Some((path, writer)) => {
                    sink.reporter.finish(writer, summary)?;
                    writer.flush().map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
                    })?;
                }
                None => sink.reporter.finish(out, summary)?,
            }
        }
        if let Some(statistics) = &self.statistics {
            statistics.write(out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn colour_follows_the_conventions() {
        use ColorChoice::*;
        assert!(use_color(Auto, env(&[]), true));
        assert!(!use_color(Auto, env(&[]), false));
        assert!(!use_color(Auto, env(&[("NO_COLOR", "1")]), true));
        assert!(
            use_color(Auto, env(&[("NO_COLOR", "")]), true),
            "empty NO_COLOR is unset"
        );
        assert!(use_color(Auto, env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!use_color(Auto, env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!use_color(Auto, env(&[("CLICOLOR", "0")]), true));
        assert!(
            !use_color(
                Auto,
                env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
                true
            ),
            "NO_COLOR wins"
        );
        assert!(use_color(Always, env(&[("NO_COLOR", "1")]), false));
        assert!(!use_color(Never, env(&[("CLICOLOR_FORCE", "1")]), true));
    }

    #[test]
    fn output_specs() {
        let spec: OutputSpec = "sarif=out.sarif".parse().expect("spec");
        assert_eq!(spec.format, Format::Sarif);
        assert_eq!(spec.file.as_deref(), Some(Path::new("out.sarif")));
        let spec: OutputSpec = "json-lines".parse().expect("spec");
        assert_eq!(spec.format, Format::JsonLines);
        assert!(spec.file.is_none());
        assert!("xml".parse::<OutputSpec>().is_err());
        assert!("sarif=".parse::<OutputSpec>().is_err());
    }
}
