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
/// `__mlspl_*.csv`, or a pickle (`*.pkl`, `*.pickle`, `*.joblib`).
pub fn is_model_file_name(name: &str) -> bool {
    name.ends_with(".mlmodel")
        || (name.starts_with("__mlspl_") && name.ends_with(".csv"))
        || is_pickle_file_name(name)
}

/// Whether a walked file name is a pickle scanned as such: `*.pkl`, `*.pickle`, `*.joblib`.
pub fn is_pickle_file_name(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| crate::pickle_file::EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
}

/// Expand the paths given on the command line into inputs, sorted and de-duplicated.
/// Explicit files are always included; directories are walked recursively, honouring
/// `.gitignore` (symlinked directories are followed; loops are cut).
pub fn collect(paths: &[PathBuf], stdin_name: &str) -> (Vec<Input>, Vec<InputError>) {
    let mut files = Vec::new();
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
                walk(path, &mut seen, &mut files, &mut errors);
            }
            Ok(_) => files.push(path.clone()),
            Err(error) => errors.push(InputError {
                path: path.clone(),
                error,
            }),
        }
    }
    let mut inputs: Vec<Input> = sorted_unique(files).into_iter().map(Input::File).collect();
    if stdin {
        inputs.push(Input::Stdin(stdin_name.to_owned()));
    }
    (inputs, errors)
}

/// `paths` in `Path` order (component by component), each once. Each path is split into its
/// components once: `Path`'s own comparison splits both paths again on every call, which made
/// sorting the corpus's 81 paths 0.6M instructions, the largest part of the set-up before the
/// first file is read.
fn sorted_unique(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let order = {
        let keys: Vec<Vec<std::path::Component<'_>>> = paths
            .iter()
            .map(|path| path.components().collect())
            .collect();
        let mut order: Vec<usize> = (0..paths.len()).collect();
        // Stable, as `sort` was: equal paths keep their order, and the first is kept.
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        order.dedup_by(|&mut later, &mut earlier| keys[later] == keys[earlier]);
        order
    };
    let mut slots: Vec<Option<PathBuf>> = paths.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|index| slots.get_mut(index).and_then(Option::take))
        .collect()
}

fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
) {
    let Ok(canonical) = std::fs::canonicalize(dir) else {
        return;
    };
    if !seen.insert(canonical) {
        return; // a symlink loop or a directory reached twice
    }
    // `.gitignore` (and `.ignore`) files are honoured, in a git repository or not; hidden
    // directories other than `.git` are searched; symlinks are followed (loops are cut).
    let walker = ignore::WalkBuilder::new(dir)
        .follow_links(true)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                // An unreadable directory is an error; dangling or looping symlinks (NotFound,
                // ELOOP) are skipped as before.
                if let Some(io) = error.io_error()
                    && io.kind() == std::io::ErrorKind::PermissionDenied
                {
                    errors.push(InputError {
                        path: dir.to_owned(),
                        error: std::io::Error::new(io.kind(), error.to_string()),
                    });
                }
                continue;
            }
        };
        let path = entry.path();
        // Following links, the walker's type is the target's (a dangling link is an error
        // above): no system call per file.
        if entry.depth() > 0
            && entry.file_type().is_some_and(|t| t.is_file())
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_model_file_name)
        {
            files.push(path.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same order and the same survivors as `Path`'s own sort and dedup, for paths
        /// that differ in separators, `.` and `..` components, roots and shared prefixes.
        #[test]
        fn sorted_unique_agrees_with_path_order(
            parts in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec!["", "/", "//", ".", "..", "a", "a.b", "a-b", "b", "__mlspl_x.csv", "é"]),
                    0..5,
                ),
                0..12,
            )
        ) {
            let paths: Vec<PathBuf> = parts.iter().map(|p| PathBuf::from(p.concat())).collect();
            let mut expected = paths.clone();
            expected.sort();
            expected.dedup();
            let got = sorted_unique(paths);
            // Equal paths can be spelled differently (`a//b`, `a/b`): compare as `Path`s and
            // then the spellings, which the stable sort keeps first-come.
            proptest::prop_assert_eq!(&got, &expected);
            let spellings = |v: &[PathBuf]| v.iter().map(|p| p.as_os_str().to_owned()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(spellings(&got), spellings(&expected));
        }
    }

    #[test]
    fn model_file_names() {
        assert!(is_model_file_name("__mlspl_a.mlmodel"));
        assert!(is_model_file_name("a.mlmodel"));
        assert!(is_model_file_name("__mlspl_a.csv"));
        assert!(!is_model_file_name("a.csv"));
        assert!(!is_model_file_name("a.mlmodel.tmp"));
        assert!(is_model_file_name("model.pkl"));
        assert!(is_model_file_name("model.Pickle"));
        assert!(is_model_file_name("model.joblib"));
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

    #[test]
    fn honours_gitignore() {
        let dir = tempfile::tempdir().expect("tempdir");
        let build = dir.path().join("build");
        std::fs::create_dir(&build).expect("mkdir");
        std::fs::write(build.join("__mlspl_b.mlmodel"), "x").expect("write");
        std::fs::write(dir.path().join("__mlspl_a.mlmodel"), "x").expect("write");
        std::fs::write(dir.path().join("__mlspl_tmp.mlmodel"), "x").expect("write");
        std::fs::write(dir.path().join(".gitignore"), "build/\n__mlspl_tmp*\n").expect("write");
        let (inputs, errors) = collect(&[dir.path().to_owned()], "-");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            inputs,
            vec![Input::File(dir.path().join("__mlspl_a.mlmodel"))]
        );
        // A file named explicitly is linted even when ignored.
        let (inputs, _) = collect(&[build.join("__mlspl_b.mlmodel")], "-");
        assert_eq!(inputs.len(), 1);
    }
}
