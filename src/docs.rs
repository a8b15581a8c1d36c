//! Documentation generated from the rule registry: `docs/rules.md` and the README table.

use crate::rules::ALL;

/// The Markdown table of every rule (code, name, severity, summary).
pub fn rules_table() -> String {
    let mut out = String::from("| code | name | severity | summary |\n|---|---|---|---|\n");
    for rule in ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.code,
            rule.name,
            rule.default_severity,
            rule.summary.replace('|', "\\|")
        ));
    }
    out
}

/// One rule's documentation as Markdown.
pub fn rule_page(rule: &crate::rules::Rule) -> String {
    format!(
        "## {} {}\n\nDefault severity: {}. {}.\n\n{}",
        rule.code,
        rule.name,
        rule.default_severity,
        rule.summary,
        demote_headings(rule.docs)
    )
}

fn demote_headings(docs: &str) -> String {
    docs.lines()
        .map(|line| {
            let line = line.strip_prefix(' ').unwrap_or(line);
            if line.starts_with("## ") {
                format!("#{line}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole of `docs/rules.md`.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- Generated from the rule registry by `cargo test` (see src/docs.rs); do not edit. -->\n\n",
    );
    out.push_str(&rules_table());
    for rule in ALL {
        out.push('\n');
        out.push_str(&rule_page(rule));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_or_update(path: &str, expected: &str) {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let actual = std::fs::read_to_string(&full).unwrap_or_default();
        if actual != expected {
            if std::env::var_os("MLTK_LINT_UPDATE_DOCS").is_some() {
                std::fs::write(&full, expected).expect("write docs");
            } else {
                panic!(
                    "{path} is stale: run `MLTK_LINT_UPDATE_DOCS=1 cargo test docs` and commit it"
                );
            }
        }
    }

    #[test]
    fn rules_md_is_current() {
        check_or_update("docs/rules.md", &rules_markdown());
    }

    #[test]
    fn readme_rule_table_is_current() {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&full).expect("README.md");
        let (head, rest) = readme
            .split_once("<!-- rules:start -->\n")
            .expect("start marker");
        let (_, tail) = rest.split_once("<!-- rules:end -->").expect("end marker");
        let expected = format!(
            "{head}<!-- rules:start -->\n{}<!-- rules:end -->{tail}",
            rules_table()
        );
        check_or_update("README.md", &expected);
    }
}
