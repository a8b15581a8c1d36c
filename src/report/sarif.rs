//! SARIF 2.1.0, shaped for GitHub code scanning: every registry rule with short and full
//! descriptions and Markdown help, tool version and information URI, relative artifact URIs,
//! regions with line and column (in Unicode code points), the JSON pointer as a logical
//! location, and partial fingerprints that do not depend on line numbers.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::location::directory_uri;
use super::{Reporter, Summary, fingerprint, located, relative_uri};
use crate::diagnostic::Severity;
use crate::linter::FileReport;
use crate::rules::{ALL, Rule};

/// Where the tool's documentation lives (SARIF `tool.driver.informationUri`): Cargo.toml's
/// `[package] repository`, the one place the URL is written.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The `partialFingerprints` key; bump the version if the fingerprint input changes.
const FINGERPRINT_KEY: &str = "mltkLintFingerprint/v1";

#[derive(Default)]
pub(super) struct SarifReporter {
    results: Vec<Value>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The first paragraph of the rule's `## What it does` section, else its summary.
fn full_description(rule: &Rule) -> String {
    let Some(start) = rule.docs.find("## What it does") else {
        return rule.summary.to_owned();
    };
    let body = &rule.docs[start + "## What it does".len()..];
    let paragraph: Vec<&str> = body
        .trim_start()
        .lines()
        .take_while(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::trim)
        .collect();
    if paragraph.is_empty() {
        rule.summary.to_owned()
    } else {
        paragraph.join(" ")
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": format!("{}.", rule.summary) },
        "fullDescription": { "text": full_description(rule) },
        "help": { "text": rule.docs, "markdown": rule.docs },
        "helpUri": format!("{INFORMATION_URI}/blob/main/docs/rules.md#{}", rule.code.to_ascii_lowercase()),
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": { "tags": [rule.name] },
    })
}

/// The whole SARIF log for `results` (already built result objects).
pub fn sarif_document(results: Vec<Value>) -> Value {
    let rules: Vec<Value> = ALL.iter().map(|rule| rule_descriptor(rule)).collect();
    // `json!` serialises an interpolated value by reference (a deep copy), so the large
    // arrays are moved in afterwards.
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "mltk-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": null,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": null,
    });
    run["tool"]["driver"]["rules"] = Value::Array(rules);
    run["results"] = Value::Array(results);
    if let Ok(cwd) = std::env::current_dir() {
        run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": directory_uri(&cwd) } });
    }
    let mut document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": null,
    });
    document["runs"] = Value::Array(vec![run]);
    document
}

impl Reporter for SarifReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        let uri = relative_uri(&report.path);
        for l in located(report) {
            let d = l.diagnostic;
            let index = ALL.iter().position(|r| r.code == d.rule.code).unwrap_or(0);
            let mut artifact = json!({ "uri": uri });
            if !uri.starts_with("file://") {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {
                        "startLine": l.line,
                        "startColumn": l.column,
                        "endLine": l.end_line,
                        "endColumn": l.end_column,
                    }
                }
            });
            if let Some(pointer) = &d.pointer {
                let cell = d.cell.unwrap_or("cell");
                location["logicalLocations"] = json!([{
                    "name": pointer,
                    "fullyQualifiedName": format!("{cell}{pointer}"),
                    "kind": "element",
                }]);
            }
            let mut text = d.message.clone();
            if !text.ends_with('.') {
                text.push('.');
            }
            if let Some(help) = &d.help {
                text.push_str(&format!(" Help: {help}"));
                if !text.ends_with('.') {
                    text.push('.');
                }
            }
            self.results.push(json!({
                "ruleId": d.rule.code,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [location],
                "partialFingerprints": {
                    FINGERPRINT_KEY: fingerprint(
                        &uri,
                        d.rule.code,
                        d.pointer.as_deref(),
                        &d.message,
                    ),
                },
            }));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &Summary) -> io::Result<()> {
        let document = sarif_document(std::mem::take(&mut self.results));
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// GitHub code scanning's requirements beyond the SARIF schema (microsoft/sarif-sdk GH*
    /// rules and GitHub's upload docs).
    #[test]
    fn meets_github_requirements() {
        let broken = "algo,model,options\r\nLinearRegression,{not json,{}\r\n";
        let report = crate::linter::lint_bytes(
            "lookups/__mlspl_m.mlmodel",
            broken.into(),
            &Settings::default(),
        );
        assert!(!report.diagnostics.is_empty());
        let mut reporter = SarifReporter::default();
        let mut out = Vec::new();
        reporter.file(&mut out, &report).expect("file");
        reporter
            .finish(&mut out, &Summary::default())
            .expect("finish");
        let log: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "mltk-lint");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        assert!(
            driver["informationUri"]
                .as_str()
                .expect("uri")
                .starts_with("https://")
        );
        let rules = driver["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), ALL.len());
        for rule in rules {
            for key in ["shortDescription", "fullDescription"] {
                let text = rule[key]["text"].as_str().expect(key);
                assert!(!text.is_empty() && text.len() <= 1024, "{key}: {text}");
            }
            assert!(!rule["help"]["text"].as_str().expect("help").is_empty());
            assert!(
                rule["help"]["markdown"]
                    .as_str()
                    .expect("md")
                    .contains("## What it does")
            );
        }
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), report.diagnostics.len());
        for result in results {
            let id = result["ruleId"].as_str().expect("ruleId");
            let index = result["ruleIndex"].as_u64().expect("index") as usize;
            assert_eq!(rules[index]["id"], id);
            assert!(!result["message"]["text"].as_str().expect("text").is_empty());
            let fp = result["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .expect("fp");
            assert_eq!(fp.len(), 32);
            let location = &result["locations"][0]["physicalLocation"];
            let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
            assert_eq!(uri, "lookups/__mlspl_m.mlmodel");
            assert!(!uri.contains(':'), "relative");
            let region = &location["region"];
            for key in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(region[key].as_u64().expect(key) >= 1, "{key}");
            }
        }
        // The pointer becomes a logical location.
        let with_pointer = results
            .iter()
            .find(|r| r["locations"][0]["logicalLocations"].is_array());
        let options = crate::linter::lint_bytes(
            "__mlspl_m.mlmodel",
            "algo,model,options\r\nLinearRegression,{},\"{\"\"kfold_cv\"\": 1}\"\r\n".into(),
            &Settings::default(),
        );
        let mut reporter = SarifReporter::default();
        reporter.file(&mut Vec::new(), &options).expect("file");
        let pointed = reporter
            .results
            .iter()
            .chain(with_pointer)
            .find(|r| r["locations"][0]["logicalLocations"].is_array())
            .expect("a finding with a pointer");
        assert!(
            pointed["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .expect("fqn")
                .contains('/')
        );
    }

    #[test]
    fn fingerprints_do_not_depend_on_lines() {
        let body = "LinearRegression,{not json,{}\r\n";
        let a = crate::linter::lint_bytes(
            "__mlspl_m.mlmodel",
            format!("algo,model,options\r\n{body}").into(),
            &Settings::default(),
        );
        let b = crate::linter::lint_bytes(
            "__mlspl_m.mlmodel",
            format!("algo,model,options\r\n\r\n{body}").into(),
            &Settings::default(),
        );
        let fp = |report: &FileReport| {
            let mut r = SarifReporter::default();
            r.file(&mut Vec::new(), report).expect("file");
            r.results
                .iter()
                .filter(|x| x["ruleId"] == "MLTK101")
                .map(|x| x["partialFingerprints"].clone())
                .collect::<Vec<_>>()
        };
        assert!(!fp(&a).is_empty());
        assert_eq!(fp(&a), fp(&b));
    }
}
