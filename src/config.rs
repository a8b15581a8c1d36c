//! Configuration files: `.mltk-lint.toml`, or `[tool.mltk-lint]` in `pyproject.toml`,
//! discovered upward from each linted file (the closest one wins, as in ruff), or given with
//! `--config`. Relative globs are relative to the file's directory.
//!
//! ```toml
//! select = ["ALL"]
//! ignore = ["MLTK401"]
//! extend-select = []
//! target-mltk = "5.7.4"
//! exclude = ["vendor/**"]
//! fail-on = "warning"
//!
//! [severity]
//! MLTK203 = "error"
//!
//! [per-path-ignores]
//! "legacy/**" = ["MLTK207", "not-canonical"]
//!
//! [[custom-algorithms]]
//! name = "MyForest"
//! package = "algos_contrib"
//! codecs = [["algos_contrib.MyForest", "MyForest"]]
//!
//! [limits]            # names and syntax as `--limit NAME=VALUE` (see `crate::limits::TABLE`)
//! json-depth = 200
//! npy-elements = "1e6"
//! npz-uncompressed = "64M"
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::catalog::catalog;
use crate::diagnostic::Severity;
use crate::rules::{RuleSet, Selector};
use crate::settings::{CustomAlgorithm, Settings};

/// The name of the dedicated configuration file.
pub const FILE_NAME: &str = ".mltk-lint.toml";

const KEYS: &[&str] = &[
    "select",
    "ignore",
    "extend-select",
    "severity",
    "per-path-ignores",
    "target-mltk",
    "custom-algorithms",
    "exclude",
    "fail-on",
    "limits",
];

const ALGORITHM_KEYS: &[&str] = &["name", "package", "codecs"];

/// One parsed configuration file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (`None`: defaults).
    pub path: Option<PathBuf>,
    /// The directory relative globs are relative to.
    pub root: PathBuf,
    select: Option<Vec<Selector>>,
    ignore: Vec<Selector>,
    extend_select: Vec<Selector>,
    severity: Vec<(Selector, Severity)>,
    per_path_ignores: Vec<(GlobSet, Vec<Selector>)>,
    target_mltk: Option<String>,
    custom_algorithms: Vec<CustomAlgorithm>,
    exclude: Option<GlobSet>,
    /// The lowest severity that fails the run.
    pub fail_on: Option<Severity>,
    /// `[limits]` overrides, in file order.
    limits: Vec<crate::limits::LimitOverride>,
}

impl Config {
    /// No configuration file.
    pub fn empty(root: PathBuf) -> Self {
        Config {
            path: None,
            root,
            select: None,
            ignore: Vec::new(),
            extend_select: Vec::new(),
            severity: Vec::new(),
            per_path_ignores: Vec::new(),
            target_mltk: None,
            custom_algorithms: Vec::new(),
            exclude: None,
            fail_on: None,
            limits: Vec::new(),
        }
    }

    /// Read a configuration file. For `pyproject.toml`, the `[tool.mltk-lint]` table (`None`
    /// if it has none).
    pub fn load(path: &Path) -> Result<Option<Config>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let table = if is_pyproject {
            match table.get("tool").and_then(|t| t.get("mltk-lint")) {
                Some(toml::Value::Table(t)) => t.clone(),
                Some(_) => {
                    return Err(format!(
                        "{}: [tool.mltk-lint] must be a table",
                        path.display()
                    ));
                }
                None => return Ok(None),
            }
        } else {
            table
        };
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        Config::from_table(&table, root, Some(path.to_owned()))
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parse a configuration table.
    pub fn from_table(
        table: &toml::Table,
        root: PathBuf,
        path: Option<PathBuf>,
    ) -> Result<Config, String> {
        check_keys(table.keys(), KEYS, "")?;
        let mut config = Config::empty(root);
        config.path = path;
        if let Some(v) = table.get("select") {
            config.select = Some(selectors(v, "select")?);
        }
        if let Some(v) = table.get("ignore") {
            config.ignore = selectors(v, "ignore")?;
        }
        if let Some(v) = table.get("extend-select") {
            config.extend_select = selectors(v, "extend-select")?;
        }
        if let Some(v) = table.get("severity") {
            let t = v
                .as_table()
                .ok_or("`severity` must be a table of CODE = \"level\"")?;
            for (key, level) in t {
                let selector: Selector = key.parse().map_err(|e| format!("severity: {e}"))?;
                let level = level
                    .as_str()
                    .ok_or_else(|| format!("severity.{key} must be a string"))?;
                config.severity.push((selector, parse_severity(level)?));
            }
        }
        if let Some(v) = table.get("per-path-ignores") {
            let t = v
                .as_table()
                .ok_or("`per-path-ignores` must be a table of \"glob\" = [codes]")?;
            for (pattern, codes) in t {
                let set = globs(std::slice::from_ref(pattern))?;
                config
                    .per_path_ignores
                    .push((set, selectors(codes, "per-path-ignores")?));
            }
        }
        if let Some(v) = table.get("target-mltk") {
            let id = v.as_str().ok_or("`target-mltk` must be a string")?;
            let version = catalog().version(id).ok_or_else(|| {
                let known: Vec<&str> = catalog().versions().iter().map(|v| v.id).collect();
                format!("unknown MLTK version `{id}`; known: {}", known.join(", "))
            })?;
            config.target_mltk = Some(version.id.to_owned());
        }
        if let Some(v) = table.get("custom-algorithms") {
            let items = v
                .as_array()
                .ok_or("`custom-algorithms` must be an array of tables ([[custom-algorithms]])")?;
            for item in items {
                config.custom_algorithms.push(custom_algorithm(item)?);
            }
        }
        if let Some(v) = table.get("exclude") {
            let patterns = strings(v, "exclude")?;
            config.exclude = Some(globs(&patterns)?);
        }
        if let Some(v) = table.get("fail-on") {
            let level = v.as_str().ok_or("`fail-on` must be a string")?;
            config.fail_on = Some(parse_severity(level)?);
        }
        if let Some(v) = table.get("limits") {
            config.limits = limits(v)?;
        }
        Ok(config)
    }

    /// The settings for `file`, starting from these defaults.
    pub fn apply(&self, base: &Settings, file: &Path) -> Settings {
        let mut settings = base.clone();
        if let Some(select) = &self.select {
            settings.rules = RuleSet::empty();
            for s in select {
                settings.rules.insert(s);
            }
        }
        for s in &self.extend_select {
            settings.rules.insert(s);
        }
        for s in &self.ignore {
            settings.rules.remove(s);
        }
        let candidates = self.candidates(file);
        for (set, codes) in &self.per_path_ignores {
            if candidates.iter().any(|c| set.is_match(c)) {
                for s in codes {
                    settings.rules.remove(s);
                }
            }
        }
        for (selector, level) in &self.severity {
            for rule in selector.rules() {
                settings
                    .severity_overrides
                    .retain(|(r, _)| r.code != rule.code);
                settings.severity_overrides.push((rule, *level));
            }
        }
        if let Some(id) = &self.target_mltk
            && let Some(version) = catalog().version(id)
        {
            settings.target = version;
        }
        for custom in &self.custom_algorithms {
            settings.custom_algorithms.retain(|c| c.name != custom.name);
            settings.custom_algorithms.push(custom.clone());
        }
        settings.limits.apply(&self.limits);
        settings
    }

    /// Whether `file` matches an `exclude` glob.
    pub fn excludes(&self, file: &Path) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|set| self.candidates(file).iter().any(|c| set.is_match(c)))
    }

    /// What a glob is matched against: the path relative to the configuration's directory,
    /// and the file name.
    fn candidates(&self, file: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let absolute = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir().unwrap_or_default().join(p)
            }
        };
        let (file_abs, root_abs) = (absolute(file), absolute(&self.root));
        let root_abs = std::fs::canonicalize(&root_abs).unwrap_or(root_abs);
        let file_abs = file_abs
            .parent()
            .and_then(|dir| std::fs::canonicalize(dir).ok())
            .and_then(|dir| file_abs.file_name().map(|n| dir.join(n)))
            .unwrap_or(file_abs);
        if let Ok(relative) = file_abs.strip_prefix(&root_abs) {
            out.push(relative.to_path_buf());
        }
        out.push(file.to_path_buf());
        if let Some(name) = file.file_name() {
            out.push(PathBuf::from(name));
        }
        out
    }
}

fn check_keys<'a>(
    keys: impl Iterator<Item = &'a String>,
    known: &[&str],
    prefix: &str,
) -> Result<(), String> {
    for key in keys {
        if !known.contains(&key.as_str()) {
            let suggestion = known
                .iter()
                .map(|k| (strsim::levenshtein(k, key), k))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, k)| format!(" (did you mean `{prefix}{k}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown key `{prefix}{key}`{suggestion}; known keys: {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

fn strings(value: &toml::Value, key: &str) -> Result<Vec<String>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("`{key}` must be an array of strings"))?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("`{key}` must be an array of strings"))
        })
        .collect()
}

fn selectors(value: &toml::Value, key: &str) -> Result<Vec<Selector>, String> {
    strings(value, key)?
        .iter()
        .map(|s| s.parse::<Selector>().map_err(|e| format!("{key}: {e}")))
        .collect()
}

fn globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The `[limits]` table: NAME = VALUE, a number or a string in the `--limit` syntax.
fn limits(value: &toml::Value) -> Result<Vec<crate::limits::LimitOverride>, String> {
    let table = value
        .as_table()
        .ok_or("`limits` must be a table of NAME = VALUE ([limits])")?;
    let names: Vec<&str> = crate::limits::TABLE.iter().map(|s| s.name).collect();
    check_keys(table.keys(), &names, "limits.")?;
    let mut out = Vec::new();
    for (name, value) in table {
        let spec = crate::limits::spec(name).ok_or_else(|| crate::limits::unknown_name(name))?;
        let text = match value {
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(x) => x.to_string(),
            toml::Value::String(text) => text.clone(),
            _ => {
                return Err(format!(
                    "limits.{name} must be a number or a string such as \"64M\" or \"1e6\""
                ));
            }
        };
        let value = spec
            .parse(&text)
            .map_err(|e| format!("limits.{name}: {e}"))?;
        out.push(crate::limits::LimitOverride { spec, value });
    }
    Ok(out)
}

/// `error`, `warning` or `info`.
pub fn parse_severity(text: &str) -> Result<Severity, String> {
    match text.to_ascii_lowercase().as_str() {
        "error" => Ok(Severity::Error),
        "warning" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        _ => Err(format!(
            "unknown severity `{text}`; use error, warning or info"
        )),
    }
}

fn custom_algorithm(value: &toml::Value) -> Result<CustomAlgorithm, String> {
    let table = value
        .as_table()
        .ok_or("each custom algorithm is a table with name, package and codecs")?;
    check_keys(table.keys(), ALGORITHM_KEYS, "custom-algorithms.")?;
    let name = table
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or("custom-algorithms: `name` (a string) is required")?
        .to_owned();
    let package = match table.get("package") {
        Some(v) => Some(
            v.as_str()
                .ok_or("custom-algorithms: `package` must be a string")?
                .to_owned(),
        ),
        None => None,
    };
    let mut codecs = Vec::new();
    if let Some(v) = table.get("codecs") {
        let pairs = v
            .as_array()
            .ok_or("custom-algorithms: `codecs` must be an array of [module, class] pairs")?;
        for pair in pairs {
            let items = strings(pair, "custom-algorithms.codecs")?;
            let [module, class] = items.as_slice() else {
                return Err(format!(
                    "custom-algorithms `{name}`: each codec is a [module, class] pair"
                ));
            };
            codecs.push((module.clone(), class.clone()));
        }
    }
    Ok(CustomAlgorithm {
        name,
        package,
        codecs,
    })
}

/// Finds and caches the configuration that applies to each file.
pub struct Discovery {
    fixed: Option<Config>,
    isolated: bool,
    /// By canonical directory.
    cache: Mutex<HashMap<PathBuf, Option<std::sync::Arc<Config>>>>,
    /// By a file's directory as the file's path spells it.
    by_given_dir: Mutex<HashMap<PathBuf, Option<std::sync::Arc<Config>>>>,
}

impl Discovery {
    /// `--config FILE` fixes one configuration; `--isolated` ignores every file.
    pub fn new(config_file: Option<&Path>, isolated: bool) -> Result<Discovery, String> {
        let fixed = match config_file {
            Some(path) if !isolated => Some(
                Config::load(path)?
                    .ok_or_else(|| format!("{}: no [tool.mltk-lint] table", path.display()))?,
            ),
            _ => None,
        };
        Ok(Discovery {
            fixed,
            isolated,
            cache: Mutex::new(HashMap::new()),
            by_given_dir: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration for `file`: the fixed one, else the closest `.mltk-lint.toml` or
    /// `pyproject.toml` with a `[tool.mltk-lint]` table in its directory or above.
    pub fn for_file(&self, file: &Path) -> Result<Option<std::sync::Arc<Config>>, String> {
        if self.isolated {
            return Ok(None);
        }
        if let Some(fixed) = &self.fixed {
            return Ok(Some(std::sync::Arc::new(fixed.clone())));
        }
        let start = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let start = if start.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            start
        };
        // Canonicalizing costs a system call per path component (glibc's realpath): once per
        // directory, not once per file (five to eight per file of a walked tree).
        if let Some(hit) = self.by_given_dir.lock().expect("lock").get(&start) {
            return Ok(hit.clone());
        }
        let canonical = std::fs::canonicalize(&start).unwrap_or_else(|_| start.clone());
        let found = self.for_dir(&canonical)?;
        self.by_given_dir
            .lock()
            .expect("lock")
            .insert(start, found.clone());
        Ok(found)
    }

    fn for_dir(&self, dir: &Path) -> Result<Option<std::sync::Arc<Config>>, String> {
        if let Some(hit) = self.cache.lock().expect("lock").get(dir) {
            return Ok(hit.clone());
        }
        let mut found = None;
        for name in [FILE_NAME, "pyproject.toml"] {
            let candidate = dir.join(name);
            if candidate.is_file()
                && let Some(config) = Config::load(&candidate)?
            {
                found = Some(std::sync::Arc::new(config));
                break;
            }
        }
        if found.is_none()
            && let Some(parent) = dir.parent()
        {
            found = self.for_dir(parent)?;
        }
        self.cache
            .lock()
            .expect("lock")
            .insert(dir.to_path_buf(), found.clone());
        Ok(found)
    }

    /// The configuration for the run as a whole (fail threshold): the fixed one, else the one
    /// that applies to the working directory.
    pub fn for_run(&self) -> Result<Option<std::sync::Arc<Config>>, String> {
        if self.isolated {
            return Ok(None);
        }
        if let Some(fixed) = &self.fixed {
            return Ok(Some(std::sync::Arc::new(fixed.clone())));
        }
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        self.for_dir(&cwd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::from_table(&text.parse().expect("toml"), PathBuf::from("/r"), None)
    }

    #[test]
    fn unknown_keys_are_errors_with_a_suggestion() {
        let err = parse("selct = [\"MLTK1\"]").expect_err("unknown");
        assert!(err.contains("did you mean `select`"), "{err}");
        let err = parse("[[custom-algorithms]]\nname = \"X\"\ncodec = []").expect_err("unknown");
        assert!(err.contains("custom-algorithms.codecs"), "{err}");
        let err = parse("ignore = [\"MLTK2O1\"]").expect_err("bad code");
        assert!(err.contains("MLTK201"), "{err}");
        assert!(parse("fail-on = \"fatal\"").is_err());
        let err = parse("[limits]\njson-dept = 3").expect_err("unknown limit");
        assert!(err.contains("did you mean `limits.json-depth`"), "{err}");
        assert!(err.contains("npz-uncompressed"), "{err}");
        let err = parse("[limits]\njson-depth = \"deep\"").expect_err("bad value");
        assert!(err.contains("limits.json-depth"), "{err}");
        assert!(parse("[limits]\njson-depth = -1").is_err());
        assert!(parse("[limits]\njson-depth = true").is_err());
        assert!(parse("limits = 3").is_err());
        assert!(parse("target-mltk = \"9.9\"").is_err());
    }

    #[test]
    fn applies_selection_severity_and_custom_algorithms() {
        let config = parse(
            r#"
select = ["MLTK2"]
extend-select = ["MLTK105"]
ignore = ["MLTK209"]
target-mltk = "4.0.0"
[severity]
missing-mlspl-limits = "error"
[per-path-ignores]
"legacy/**" = ["MLTK210"]
[[custom-algorithms]]
name = "MyForest"
package = "algos_contrib"
codecs = [["algos_contrib.MyForest", "MyForest"]]
"#,
        )
        .expect("config");
        let settings = config.apply(&Settings::default(), Path::new("/r/a/__mlspl_m.mlmodel"));
        let codes: Vec<&str> = settings.rules.iter().map(|r| r.code).collect();
        assert!(codes.contains(&"MLTK105") && codes.contains(&"MLTK210"));
        assert!(!codes.contains(&"MLTK209") && !codes.contains(&"MLTK101"));
        assert_eq!(settings.target.id, "4.0.0");
        let rule = crate::rules::by_code("MLTK203").expect("rule");
        assert_eq!(settings.severity(rule, Severity::Warning), Severity::Error);
        assert_eq!(settings.custom_algorithms[0].codecs.len(), 1);
        let legacy = config.apply(
            &Settings::default(),
            Path::new("/r/legacy/x/__mlspl_m.mlmodel"),
        );
        assert!(!legacy.rules.iter().any(|r| r.code == "MLTK210"));
    }

    #[test]
    fn applies_limits() {
        let config = parse(
            "[limits]\njson-depth = 200\nnpy-elements = \"1e6\"\nnpz-uncompressed = \"64M\"\npickle-memo = 1e4\nfile-size = 1024",
        )
        .expect("config");
        let settings = config.apply(&Settings::default(), Path::new("/r/__mlspl_m.mlmodel"));
        let limits = &settings.limits;
        assert_eq!(limits.json_max_depth, 200);
        assert_eq!(limits.npy.max_elements, 1_000_000);
        assert_eq!(limits.npz.max_total_uncompressed, 64 << 20);
        assert_eq!(limits.pickle.max_memo, 10_000);
        assert_eq!(limits.max_file_size, 1024);
        assert_eq!(
            limits.pickle.max_stack,
            crate::codec::pickle::Limits::default().max_stack,
            "untouched"
        );
    }
}
