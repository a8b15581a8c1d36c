//! GitLab Code Quality report: a JSON array of issues with `description`, `check_name`,
//! `fingerprint`, `severity` and `location.path` / `location.lines.begin`.

use std::io::{self, Write};

use serde_json::json;

use super::{Reporter, Summary, fingerprint, located, relative_uri};
use crate::diagnostic::Severity;
use crate::linter::FileReport;

#[derive(Default)]
pub(super) struct GitlabReporter {
    issues: Vec<serde_json::Value>,
}

impl Reporter for GitlabReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let path = relative_path(&report.path);
        for l in located(report) {
            let d = l.diagnostic;
            let severity = match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            };
            self.issues.push(json!({
                "description": format!("{} {}", d.rule.code, d.message),
                "check_name": d.rule.code,
                "fingerprint": fingerprint(&path, d.rule.code, d.pointer.as_deref(), &d.message),
                "severity": severity,
                "location": {
                    "path": path,
                    "lines": { "begin": l.line, "end": l.end_line },
                },
            }));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.issues).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// The path relative to the working directory, as GitLab expects (not percent-encoded).
fn relative_path(path: &str) -> String {
    let uri = relative_uri(path);
    if uri.starts_with("file://") {
        path.to_owned()
    } else {
        let mut text = path.replace('\\', "/");
        if let Ok(cwd) = std::env::current_dir()
            && let Ok(rest) = std::path::Path::new(path).strip_prefix(&cwd)
        {
            text = rest.to_string_lossy().replace('\\', "/");
        }
        text.trim_start_matches("./").to_owned()
    }
}
