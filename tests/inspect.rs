//! `inspect` and `diff`: every fixture and corpus file inspects cleanly, what `inspect --format
//! json` reports matches the facts recorded from the live scikit-learn objects, `diff` of a
//! retrained pair reports exactly what changed, and the git textconv setup works.

// Tests say on stderr when they skip for lack of the corpus or git, and what they compared.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clap::Parser;
use mltk_lint::cli::{self, Args, ExitStatus};
use serde_json::Value as J;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mltk-lint"));
    command.env("NO_COLOR", "1");
    command
}

/// Run the command line in process: (status, stdout, stderr).
fn run(args: &[&str]) -> (ExitStatus, String, String) {
    let argv = std::iter::once("mltk-lint").chain(args.iter().copied());
    let args = Args::try_parse_from(argv).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = cli::run(args, &mut out, &mut err).expect("no I/O error");
    (
        status,
        String::from_utf8(out).expect("utf-8 output"),
        String::from_utf8(err).expect("utf-8 errors"),
    )
}

fn inspect_json(path: &Path) -> J {
    let (status, out, err) = run(&["inspect", "--format", "json", path.to_str().expect("utf-8")]);
    assert_eq!(status, ExitStatus::Clean, "{}: {err}", path.display());
    serde_json::from_str(&out).expect("inspect prints JSON")
}

/// Every model file under `dir`, recursively, sorted.
fn model_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "mlmodel" || e == "csv")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_fixture_and_corpus_file_inspects() {
    let mut files = model_files(&root().join("fixtures"));
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        files.extend(model_files(&corpus));
    } else {
        eprintln!(
            "note: {} is absent; inspecting the fixtures only",
            corpus.display()
        );
    }
    let mut decoded = 0;
    for path in &files {
        let name = path.to_str().expect("utf-8 path");
        let (status, text, err) = run(&["inspect", name]);
        assert_eq!(status, ExitStatus::Clean, "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name}: line longer than 80 columns: {line}"
            );
        }
        assert!(!text.contains('\x1b'), "{name}: colour without a terminal");
        assert_eq!(run(&["inspect", name]).1, text, "{name}: not deterministic");

        let json = inspect_json(path);
        assert_eq!(json["version"], 1, "{name}");
        if json["model_cell"] == "json" {
            decoded += 1;
            assert!(json["model"].is_object(), "{name}: no typed model");
            assert!(
                json["summary"]["record_types"].is_array(),
                "{name}: no summary"
            );
        }
    }
    eprintln!(
        "inspected {} files as text and JSON; {decoded} have a decoded model",
        files.len()
    );
    assert!(decoded >= 14);
}

/// Equal as the facts file means it: floats exactly, `null` for NaN.
fn same(fact: &J, reported: &J) -> bool {
    let nan = |v: &J| v == "NaN" || v.get("$float").is_some_and(|f| f == "NaN");
    match (fact, reported) {
        (J::Null, v) if nan(v) => true,
        (J::Number(a), J::Number(b)) => a.as_f64() == b.as_f64(),
        (J::Array(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => fact == reported,
    }
}

/// A facts array name (`coef_`, `coefs_[0]`) as a pointer under `base`.
fn array_pointer(base: &str, name: &str) -> String {
    match name.split_once('[') {
        Some((stem, index)) => format!("{base}/{stem}/{}", index.trim_end_matches(']')),
        None => format!("{base}/{name}"),
    }
}

/// How many recorded facts were compared, by kind.
#[derive(Debug, Default)]
struct Compared {
    hyperparameters: usize,
    attributes: usize,
    arrays: usize,
    array_values: usize,
    trees: usize,
    other: usize,
}

/// Compare recorded arrays (dtype, shape, values) with the typed tree and the summary.
fn check_arrays(stem: &str, facts: &J, base: &str, report: &J, compared: &mut Compared) {
    let Some(arrays) = facts.as_object() else {
        return;
    };
    for (name, fact) in arrays {
        let pointer = array_pointer(base, name);
        let node = report["model"]
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{stem}: no {pointer}"));
        let dtype = fact.get("encoded_dtype").unwrap_or(&fact["dtype"]);
        assert_eq!(&node["dtype"], dtype, "{stem} {pointer} dtype");
        assert_eq!(node["shape"], fact["shape"], "{stem} {pointer} shape");
        let listed = report["summary"]["arrays"]
            .as_array()
            .expect("arrays")
            .iter()
            .find(|a| a["pointer"] == pointer.as_str())
            .unwrap_or_else(|| panic!("{stem}: {pointer} not in the summary"));
        assert_eq!(&listed["dtype"], dtype, "{stem} {pointer}");
        assert_eq!(listed["shape"], fact["shape"], "{stem} {pointer}");
        if let Some(values) = fact.get("values") {
            assert!(
                same(values, &node["data"]),
                "{stem} {pointer}: values {values} != {}",
                node["data"]
            );
            compared.array_values += values.as_array().map_or(0, Vec::len);
        }
        compared.arrays += 1;
    }
}

/// Compare `{name: value}` facts with what was reported; a numpy scalar is
/// `{numpy_type, value}` in the facts and either that or the plain value in the report (a
/// `numpy.float64` is a Python float, which JSON writes plainly).
fn check_scalars(stem: &str, what: &str, facts: &J, reported: &J) -> usize {
    let Some(facts) = facts.as_object() else {
        return 0;
    };
    for (key, fact) in facts {
        let got = reported
            .get(key)
            .unwrap_or_else(|| panic!("{stem}: {what} `{key}` not reported"));
        let ok = match fact.get("numpy_type") {
            Some(_) => same(fact, got) || same(&fact["value"], got),
            None => same(fact, got),
        };
        assert!(
            ok,
            "{stem}: {what} `{key}`: recorded {fact}, reported {got}"
        );
    }
    facts.len()
}

fn check_tree(stem: &str, fact: &J, tree: &J, compared: &mut Compared) {
    for key in [
        "node_count",
        "max_depth",
        "n_leaves",
        "n_features",
        "n_outputs",
    ] {
        assert_eq!(tree[key], fact[key], "{stem} {}: {key}", tree["pointer"]);
    }
    assert_eq!(
        tree["depth"], fact["max_depth"],
        "{stem}: depth from the child links"
    );
    assert_eq!(tree["n_classes"], fact["n_classes"], "{stem}: n_classes");
    assert_eq!(
        tree["nodes_descr"], fact["nodes_descr"],
        "{stem}: nodes dtype"
    );
    assert_eq!(tree["values_shape"], fact["values_shape"], "{stem}: values");
    compared.trees += 1;
}

#[test]
fn inspect_json_matches_the_recorded_facts() {
    let valid = root().join("fixtures/valid");
    let mut stems: Vec<String> = std::fs::read_dir(&valid)
        .expect("fixtures/valid")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".facts.json").map(str::to_owned)
        })
        .collect();
    stems.sort();
    assert!(stems.len() >= 14, "{stems:?}");
    let mut compared = Compared::default();
    for stem in &stems {
        let facts: J = serde_json::from_str(
            &std::fs::read_to_string(valid.join(format!("{stem}.facts.json"))).expect("facts"),
        )
        .expect("facts JSON");
        let report = inspect_json(&valid.join(facts["file"].as_str().expect("file")));
        let summary = &report["summary"];

        assert_eq!(report["algo"], facts["algo"], "{stem}");
        assert_eq!(report["bytes"], facts["file_bytes"], "{stem}");
        assert_eq!(
            report["model_json_chars"], facts["model_json_chars"],
            "{stem}"
        );
        assert_eq!(summary["record_types"], facts["record_types"], "{stem}");
        compared.other += 4;

        let wrapper = &facts["wrapper"];
        for key in ["module", "class", "attributes"] {
            assert_eq!(
                summary["wrapper"][key], wrapper[key],
                "{stem}: wrapper {key}"
            );
        }
        for key in ["feature_variables", "target_variable", "columns"] {
            if let Some(value) = wrapper.get(key) {
                assert_eq!(&summary["variables"][key], value, "{stem}: {key}");
                compared.other += 1;
            }
        }
        if let Some(classes) = wrapper.get("classes") {
            assert!(
                same(&classes["values"], &summary["classes"]),
                "{stem}: classes"
            );
            let classes = serde_json::json!({ "classes": classes });
            check_arrays(stem, &classes, "/dict", &report, &mut compared);
        }

        let estimator = &facts["estimator"];
        let reported = &summary["estimator"];
        assert_eq!(reported["pointer"], "/dict/estimator", "{stem}");
        assert_eq!(reported["module"], estimator["module"], "{stem}: module");
        assert_eq!(reported["class"], estimator["class"], "{stem}: class");
        compared.other += 2;
        compared.hyperparameters += check_scalars(
            stem,
            "hyperparameter",
            &estimator["hyperparameters"],
            &reported["hyperparameters"],
        );
        compared.attributes += check_scalars(
            stem,
            "attribute",
            &estimator["scalar_attributes"],
            &reported["attributes"],
        );
        if let Some(score_func) = estimator.get("score_func") {
            assert_eq!(&reported["hyperparameters"]["score_func"], score_func);
            compared.hyperparameters += 1;
        }
        let base = "/dict/estimator/dict";
        check_arrays(stem, &estimator["arrays"], base, &report, &mut compared);

        if let Some(scaler) = facts.get("scaler") {
            let component = summary["components"]
                .as_array()
                .expect("components")
                .iter()
                .find(|c| c["pointer"] == "/dict/scaler")
                .unwrap_or_else(|| panic!("{stem}: no scaler"));
            assert_eq!(component["module"], scaler["module"]);
            assert_eq!(component["class"], scaler["class"]);
            compared.other += 2;
            compared.attributes += check_scalars(
                stem,
                "scaler attribute",
                &scaler["scalar_attributes"],
                &component["attributes"],
            );
            let base = "/dict/scaler/dict";
            check_arrays(stem, &scaler["arrays"], base, &report, &mut compared);
        }

        let trees = summary["trees"].as_array().expect("trees");
        if let Some(tree) = facts.get("tree") {
            assert_eq!(trees.len(), 1, "{stem}: one tree");
            assert_eq!(trees[0]["pointer"], "/dict/estimator/dict/tree_");
            check_tree(stem, tree, &trees[0], &mut compared);
        }
        if let Some(ensemble) = facts.get("ensemble") {
            let reported = &summary["ensembles"][0];
            assert_eq!(reported["pointer"], "/dict/estimator", "{stem}");
            assert_eq!(reported["n_estimators"], ensemble["n_estimators"], "{stem}");
            assert_eq!(
                reported["estimator_class"], ensemble["estimator_class"],
                "{stem}"
            );
            let recorded = ensemble["trees"].as_array().expect("trees");
            assert_eq!(reported["n_trees"], recorded.len(), "{stem}");
            compared.other += 3;
            for (i, fact) in recorded.iter().enumerate() {
                let pointer = format!("/dict/estimator/dict/estimators_/{i}/dict/tree_");
                let tree = trees
                    .iter()
                    .find(|t| t["pointer"] == pointer.as_str())
                    .unwrap_or_else(|| panic!("{stem}: no {pointer}"));
                check_tree(stem, fact, tree, &mut compared);
            }
        }
        if let Some(vocabulary) = facts.get("vocabulary").and_then(J::as_object) {
            for (word, index) in vocabulary {
                let entry = &report["model"]["dict"]["estimator"]["dict"]["vocabulary_"][word];
                let value = entry.get("$value").unwrap_or(entry);
                assert_eq!(value, index, "{stem}: vocabulary `{word}`");
            }
            compared.other += vocabulary.len();
        }
        if let Some(mlp) = facts.get("mlp").and_then(J::as_object) {
            for (key, fact) in mlp {
                let got = &report["model"]["dict"]["estimator"]["dict"][key];
                assert!(same(fact, got), "{stem}: {key}");
                compared.other += fact.as_array().map_or(1, Vec::len);
            }
        }
        if let Some(birch) = facts.get("birch") {
            let centers = &report["model"]["dict"]["estimator"]["dict"]["subcluster_centers_"];
            assert_eq!(centers["shape"][0], birch["n_subclusters"], "{stem}");
            compared.other += 1;
        }
    }
    eprintln!(
        "compared, over {} valid fixtures: {} hyperparameters, {} fitted attributes, {} arrays \
         (dtype, shape, {} values), {} trees (node counts, depth, leaves, dtype), {} other facts",
        stems.len(),
        compared.hyperparameters,
        compared.attributes,
        compared.arrays,
        compared.array_values,
        compared.trees,
        compared.other
    );
    assert!(compared.hyperparameters > 100 && compared.arrays > 30 && compared.trees >= 4);
}

fn diff_json(a: &Path, b: &Path) -> (ExitStatus, J) {
    let (status, out, err) = run(&[
        "diff",
        "--format",
        "json",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
    ]);
    assert!(err.is_empty(), "{err}");
    (
        status,
        serde_json::from_str(&out).expect("diff prints JSON"),
    )
}

#[test]
fn diff_of_a_retrained_pair_reports_exactly_what_changed() {
    let dir = root().join("fixtures/diff");
    let expected: J = serde_json::from_str(
        &std::fs::read_to_string(dir.join("EXPECTED.json")).expect("fixtures/diff/EXPECTED.json"),
    )
    .expect("JSON");
    let pairs = expected.as_object().expect("pairs");
    assert!(!pairs.is_empty());
    for (name, want) in pairs {
        let file = want["file"].as_str().expect("file");
        let (a, b) = (
            dir.join(name).join("before").join(file),
            dir.join(name).join("after").join(file),
        );
        let (status, report) = diff_json(&a, &b);
        assert_eq!(
            status,
            ExitStatus::Findings,
            "{name}: exit 1 when different"
        );
        assert_eq!(report["equal"], false);
        let changes = report["changes"].as_array().expect("changes");
        let of = |section: &str| -> Vec<&J> {
            changes.iter().filter(|c| c["section"] == section).collect()
        };

        // The hyperparameter, and nothing else among the estimator's scalars.
        let parameter = &want["hyperparameter"];
        let hyper = of("hyperparameter");
        assert_eq!(hyper.len(), 1, "{name}: {hyper:?}");
        assert_eq!(hyper[0]["pointer"], parameter["pointer"]);
        assert_eq!(hyper[0]["before"], parameter["before"]);
        assert_eq!(hyper[0]["after"], parameter["after"]);

        // The option the search passed.
        let options = of("options");
        let wanted = want["options"].as_object().expect("options");
        assert_eq!(options.len(), wanted.len(), "{name}: {options:?}");
        for change in &options {
            let pointer = change["pointer"].as_str().expect("pointer");
            let pair = &wanted[pointer];
            assert_eq!(change["before"], pair[0], "{name} {pointer}");
            assert_eq!(change["after"], pair[1], "{name} {pointer}");
        }

        // The arrays that moved, with their shapes.
        let arrays = of("array");
        let moved = want["arrays"].as_object().expect("arrays");
        let reported: Vec<&str> = arrays
            .iter()
            .filter_map(|c| c["pointer"].as_str())
            .collect();
        let mut wanted_arrays: Vec<&str> = moved.keys().map(String::as_str).collect();
        wanted_arrays.sort_unstable();
        let mut sorted = reported.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, wanted_arrays, "{name}: arrays");
        for change in &arrays {
            let shapes = &moved[change["pointer"].as_str().expect("pointer")]["shape"];
            assert_eq!(change["before"]["shape"], shapes[0], "{name}");
            assert_eq!(change["after"]["shape"], shapes[1], "{name}");
        }

        // Trees whose counts changed (node_count and max_depth are reported there, not as
        // scalars), and the ensemble's tree count.
        let trees = of("tree");
        let wanted_trees = want["trees"].as_object().expect("trees");
        assert_eq!(trees.len(), wanted_trees.len(), "{name}: {trees:?}");
        for change in &trees {
            let counts = &wanted_trees[change["pointer"].as_str().expect("pointer")];
            for key in ["node_count", "n_leaves", "max_depth"] {
                assert_eq!(change["before"][key], counts[key][0], "{name} {key}");
                assert_eq!(change["after"][key], counts[key][1], "{name} {key}");
            }
        }
        let n_trees = &want["n_trees"];
        let ensembles = of("ensemble");
        if n_trees[0] == n_trees[1] {
            assert!(ensembles.is_empty(), "{name}: {ensembles:?}");
        } else {
            assert_eq!(ensembles.len(), 1, "{name}");
            assert_eq!(ensembles[0]["before"]["n_trees"], n_trees[0]);
            assert_eq!(ensembles[0]["after"]["n_trees"], n_trees[1]);
        }

        // Records added or removed.
        let records = of("record");
        let mut added: Vec<&str> = records
            .iter()
            .filter(|c| c["change"] == "added")
            .filter_map(|c| c["pointer"].as_str())
            .collect();
        added.sort_unstable();
        let wanted_added: Vec<&str> = want["added"]
            .as_array()
            .expect("added")
            .iter()
            .filter_map(J::as_str)
            .collect();
        assert_eq!(added, wanted_added, "{name}: added");
        assert!(
            records.iter().all(|c| c["change"] == "added"),
            "{name}: {records:?}"
        );
        assert!(want["removed"].as_array().is_some_and(Vec::is_empty));

        // Nothing else: every other scalar that changed is a tree count already reported.
        let known = [
            "hyperparameter",
            "options",
            "array",
            "tree",
            "ensemble",
            "record",
        ];
        let others: Vec<&J> = changes
            .iter()
            .filter(|c| !known.contains(&c["section"].as_str().unwrap_or("")))
            .collect();
        assert!(others.is_empty(), "{name}: unexpected changes {others:?}");
        for pointer in want["model_values"].as_object().expect("values").keys() {
            let covered = *pointer == parameter["pointer"]
                || wanted_trees
                    .keys()
                    .any(|t| pointer.starts_with(&format!("{t}/state/")));
            assert!(covered, "{name}: {pointer} changed but is not reported");
        }

        // The text form names the parameter.
        let (_, text, _) = run(&[
            "diff",
            a.to_str().expect("utf-8"),
            b.to_str().expect("utf-8"),
        ]);
        let key = parameter["name"].as_str().expect("name");
        assert!(
            text.lines().any(|l| l.contains(&format!(
                "/dict/{key}: {} -> {}",
                parameter["before"], parameter["after"]
            ))),
            "{text}"
        );
        eprintln!("{name}: {} changes, as recorded", changes.len());
    }
}

#[test]
fn diff_of_a_file_with_itself_is_empty() {
    let file = root().join("fixtures/valid/__mlspl_random_forest_classifier.mlmodel");
    let (status, report) = diff_json(&file, &file);
    assert_eq!(status, ExitStatus::Clean);
    assert_eq!(report["equal"], true);
    assert_eq!(report["changes"], serde_json::json!([]));
    let name = file.to_str().expect("utf-8");
    let (status, text, _) = run(&["diff", name, name]);
    assert_eq!(status, ExitStatus::Clean);
    assert!(text.contains("no differences"), "{text}");
}

#[test]
fn path_shows_one_sub_tree() {
    let file = root().join("fixtures/valid/__mlspl_linear_regression.mlmodel");
    let name = file.to_str().expect("utf-8");
    let pointer = "/dict/estimator/dict/coef_";
    let (status, out, _) = run(&["inspect", "--format", "json", "--path", pointer, name]);
    assert_eq!(status, ExitStatus::Clean);
    let value: J = serde_json::from_str(&out).expect("JSON");
    assert_eq!(value["$record"]["module"], "numpy");
    assert_eq!(value["$record"]["class"], "ndarray");
    assert_eq!(value["dtype"], "<f8");
    assert_eq!(value["shape"], serde_json::json!([1]));
    assert_eq!(value["data"], serde_json::json!([1.990142857142858]));

    let (status, text, _) = run(&["inspect", "--path", pointer, name]);
    assert_eq!(status, ExitStatus::Clean);
    assert!(text.starts_with(pointer), "{text}");
    assert!(text.contains("1.99014"), "{text}");

    let (status, text, _) = run(&["inspect", "--path", "/dict/estimator", name]);
    assert_eq!(status, ExitStatus::Clean);
    assert!(
        text.contains("sklearn.linear_model._base.LinearRegression"),
        "{text}"
    );
    assert!(text.contains("fit_intercept: true"), "{text}");

    let (status, _, err) = run(&["inspect", "--path", "/dict/nothing", name]);
    assert_eq!(status, ExitStatus::Failure);
    assert!(err.contains("/dict/nothing"), "{err}");
}

#[test]
fn max_array_truncates_and_says_so() {
    let file = root().join("fixtures/valid/__mlspl_mlp_classifier.mlmodel");
    let name = file.to_str().expect("utf-8");
    let (_, out, _) = run(&["inspect", "--format", "json", "--max-array", "3", name]);
    let report: J = serde_json::from_str(&out).expect("JSON");
    let coefs = &report["model"]["dict"]["estimator"]["dict"]["coefs_"][0];
    assert_eq!(coefs["shape"], serde_json::json!([2, 4]));
    assert_eq!(coefs["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        coefs["truncated"],
        serde_json::json!({"shown": 3, "total": 8})
    );
    let full = inspect_json(&file);
    assert_eq!(
        full["model"]["dict"]["estimator"]["dict"]["coefs_"][0]["data"]
            .as_array()
            .map(Vec::len),
        Some(8)
    );
}

#[test]
fn old_module_paths_name_their_era() {
    let file = root().join("fixtures/rules/MLTK105_unknown-type/__mlspl_linear_regression.mlmodel");
    let (_, text, _) = run(&["inspect", file.to_str().expect("utf-8")]);
    assert!(
        text.contains("sklearn.linear_model.base.LinearRegression"),
        "{text}"
    );
    assert!(text.contains("scikit-learn < 0.22"), "{text}");
    assert!(text.contains("MLTK105"), "{text}");
    let report = inspect_json(&file);
    let era = &report["summary"]["estimator"]["era"];
    assert!(
        era["mltk"]
            .as_array()
            .is_some_and(|v| v.contains(&J::from("3.4.0")))
    );
    assert!(
        !era["mltk"]
            .as_array()
            .is_some_and(|v| v.contains(&J::from("5.7.4")))
    );
}

#[test]
fn limits_are_shown_beside_the_target_default() {
    let file = root().join("fixtures/valid/__mlspl_decision_tree_classifier.mlmodel");
    let name = file.to_str().expect("utf-8");
    let (_, text, _) = run(&["inspect", "--target-mltk", "3.4.0", name]);
    assert!(text.contains("defaults: MLTK 3.4.0"), "{text}");
    // 3.4.0 shipped max_model_size_mb = 15; the file has 5.7.4's 30.
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("max_model_size_mb"))
        .expect("max_model_size_mb line");
    assert!(
        line.contains("30") && line.contains("15") && line.contains("differs"),
        "{line}"
    );
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", dir.join(".no-global-config"))
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run git")
}

#[test]
fn git_textconv_shows_the_changed_hyperparameter() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("note: git is not installed; skipping the textconv test");
        return;
    }
    let temp = tempfile::tempdir().expect("temp dir");
    let repo = temp.path();
    let ok = |out: Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    ok(git(repo, &["init", "-q"]));
    ok(git(repo, &["config", "user.name", "test"]));
    ok(git(repo, &["config", "user.email", "test@example.com"]));
    // What docs/inspect.md tells users to do.
    std::fs::write(repo.join(".gitattributes"), "*.mlmodel diff=mltk\n").expect("write");
    let textconv = format!("'{}' inspect", env!("CARGO_BIN_EXE_mltk-lint"));
    ok(git(repo, &["config", "diff.mltk.textconv", &textconv]));

    let file = "__mlspl_decision_tree_classifier.mlmodel";
    let pair = root().join("fixtures/diff/decision_tree_classifier");
    std::fs::copy(pair.join("before").join(file), repo.join(file)).expect("copy");
    ok(git(repo, &["add", "."]));
    ok(git(repo, &["commit", "-q", "-m", "first model"]));
    std::fs::copy(pair.join("after").join(file), repo.join(file)).expect("copy");

    let diff = ok(git(repo, &["--no-pager", "diff"]));
    let has = |text: &str, line: &str| text.lines().any(|l| l.trim_end() == line);
    assert!(has(&diff, "-    max_depth                   3"), "{diff}");
    assert!(has(&diff, "+    max_depth                   2"), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with("+    5 nodes, 3 leaves, depth 2")),
        "{diff}"
    );
    assert!(!diff.contains("\"\"__mlspl_type\"\""), "raw CSV in {diff}");
    // Small: only the lines that changed, not the whole model.
    let changed = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .count();
    assert!(changed <= 20, "{changed} changed lines:\n{diff}");

    // `git log -p` converts both sides (both are temporary copies of blobs there).
    ok(git(
        repo,
        &["commit", "-q", "-a", "-m", "retrained with max_depth=2"],
    ));
    let log = ok(git(repo, &["--no-pager", "log", "-p", "-1"]));
    assert!(has(&log, "+    max_depth                   2"), "{log}");
    assert!(
        !log.lines().any(|l| l.contains("MLTK207")),
        "git's temporary file name leaked into the findings:\n{log}"
    );
}

#[test]
fn binary_inspects_without_colour_when_piped() {
    let file = root().join("fixtures/valid/__mlspl_kmeans.mlmodel");
    let output = bin().arg("inspect").arg(&file).output().expect("run");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("sklearn.cluster._kmeans.KMeans"), "{text}");
    assert!(!text.contains('\x1b'));
    let output = bin()
        .args(["diff"])
        .arg(&file)
        .arg(root().join("fixtures/valid/__mlspl_pca.mlmodel"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn retrain_pair_reproduces_fixtures_diff() {
    let Some(python) = std::env::var("MLTK_LINT_PYTHON")
        .ok()
        .filter(|p| Path::new(p).exists())
    else {
        eprintln!(
            "SKIPPED retrain_pair_reproduces_fixtures_diff: set MLTK_LINT_PYTHON (scripts/test.sh does) to a Python with fixtures/requirements.txt"
        );
        return;
    };
    let output = Command::new(python)
        .args(["fixtures/retrain_pair.py", "--check"])
        .current_dir(root())
        .output()
        .expect("run retrain_pair.py");
    assert!(
        output.status.success(),
        "fixtures/diff differs from what fixtures/retrain_pair.py writes:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn inspect_of_a_pickle_file_lists_what_it_imports() {
    let hostile = root().join("tests/hostile");
    let json = inspect_json(&hostile.join("stack_global.pkl"));
    assert_eq!(json["model_cell"], "pickle-file");
    let imports = json["pickle"]["imports"].as_array().expect("imports");
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert_eq!(imports[0]["global"], "os.system");
    assert_eq!(imports[0]["opcode"], "STACK_GLOBAL");
    assert_eq!(imports[0]["class"], "dangerous");
    assert_eq!(imports[0]["called"], true);
    assert_eq!(json["findings"]["errors"], 1);

    let json = inspect_json(&hostile.join("sklearn_lr_p5.pkl"));
    let imports = json["pickle"]["imports"].as_array().expect("imports");
    assert!(
        imports.iter().all(|i| i["class"] == "normal"),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|i| i["global"] == "sklearn.linear_model._base.LinearRegression")
    );

    let (status, text, _) = run(&["inspect", hostile.join("reduce.pkl").to_str().expect("p")]);
    assert_eq!(status, ExitStatus::Clean);
    assert!(
        text.contains("Imports (1)\n  os.system\n    dangerous: "),
        "{text}"
    );
    assert!(
        !text.contains("Algorithm"),
        "a pickle file has no cells:\n{text}"
    );
}

#[test]
fn diff_of_pickle_files_compares_imports_and_bytes() {
    let hostile = root().join("tests/hostile");
    let (status, json) = diff_json(
        &hostile.join("sklearn_lr_p5.pkl"),
        &hostile.join("reduce.pkl"),
    );
    assert_eq!(status, ExitStatus::Findings);
    let changes = json["changes"].as_array().expect("changes");
    let added: Vec<&J> = changes.iter().filter(|c| c["change"] == "added").collect();
    assert_eq!(added.len(), 1, "{changes:?}");
    assert_eq!(added[0]["after"], "os.system");
    assert_eq!(added[0]["detail"], "newly imported (dangerous)");

    // The same import (os.system) through other opcodes: only the bytes tell them apart.
    let (status, json) = diff_json(
        &hostile.join("reduce.pkl"),
        &hostile.join("stack_global.pkl"),
    );
    assert_eq!(status, ExitStatus::Findings);
    let changes = json["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["pointer"], "bytes");

    let (status, json) = diff_json(&hostile.join("reduce.pkl"), &hostile.join("reduce.pkl"));
    assert_eq!(status, ExitStatus::Clean);
    assert_eq!(json["changes"], J::Array(Vec::new()));
}
