//! Which files to lint: explicit paths, directories walked for model files, or stdin.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One input to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input, shown under this name.
    Stdin(String),
}

/// A path that could not be read or walked.
#[derive(Debug)]
pub struct InputError {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub error: std::io::Error,
}

/// Whether a walked file name looks like an MLTK model: `__mlspl_*.mlmodel`, `*.mlmodel` or
/// `__mlspl_*.csv`.
pub fn is_model_file_name(name: &str) -> bool {
    name.ends_with(".mlmodel") || (name.starts_with("__mlspl_") && name.ends_with(".csv"))
}

/// Expand the paths given on the command line into inputs, sorted and de-duplicated.
/// Explicit files are always included; directories are walked recursively (symlinked
/// directories are followed once; loops are cut).
pub fn collect(paths: &[PathBuf], stdin_name: &str) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut stdin = false;
    for path in paths {
        if path.as_os_str() == "-" {
            stdin = true;
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut seen = HashSet::new();
                walk(path, &mut seen, &mut inputs, &mut errors);
            }
            Ok(_) => inputs.push(Input::File(path.clone())),
            Err(error) => errors.push(InputError {
                path: path.clone(),
                error,
            }),
        }
    }
    inputs.sort();
    inputs.dedup();
    if stdin {
        inputs.push(Input::Stdin(stdin_name.to_owned()));
    }
    (inputs, errors)
}

fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<InputError>,
) {
    let Ok(canonical) = std::fs::canonicalize(dir) else {
        return;
    };
    if !seen.insert(canonical) {
        return; // a symlink loop or a directory reached twice
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(InputError {
                path: dir.to_owned(),
                error,
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue; // dangling symlink
        };
        if meta.is_dir() {
            walk(&path, seen, inputs, errors);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_model_file_name)
        {
            inputs.push(Input::File(path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_file_names() {
        assert!(is_model_file_name("__mlspl_a.mlmodel"));
        assert!(is_model_file_name("a.mlmodel"));
        assert!(is_model_file_name("__mlspl_a.csv"));
        assert!(!is_model_file_name("a.csv"));
        assert!(!is_model_file_name("a.mlmodel.tmp"));
    }

    #[test]
    fn walks_and_cuts_symlink_loops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("lookups");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("__mlspl_a.mlmodel"), "x").expect("write");
        std::fs::write(sub.join("other.csv"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path(), sub.join("loop")).expect("symlink");
        let (inputs, errors) = collect(&[dir.path().to_owned()], "-");
        assert!(errors.is_empty());
        assert_eq!(inputs, vec![Input::File(sub.join("__mlspl_a.mlmodel"))]);
    }
}
