use crate::catalog::catalog;
use crate::codec::model::Record;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks that every `(module, class)` in the model has a codec in the target MLTK: the
    /// built-in table plus what the algorithm named in the `algo` cell registers. `TypeCodec`
    /// references (`"type": [module, name]`) must name a built-in codec key. The message says
    /// which known MLTK releases do have the pair, and the renamed module path if there is one.
    ///
    /// ## Why is this bad?
    /// The decoder looks each pair up in its codec table. Module paths are whatever the
    /// library reported at fit time, so a model trained with another MLTK/PSC (Python 2
    /// `__builtin__`, scikit-learn's private module renames such as
    /// `sklearn.linear_model.base` → `._base`) fails with `No codec for record of type ...`,
    /// or, since 5.5, `The model may not be compatible with this version of MLTK`.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["sklearn.linear_model.base", "LinearRegression"], ...}` loaded in
    /// MLTK 5.7.4.
    ///
    /// ## How to fix
    /// Re-train the model on the MLTK release it must run on. Patching the module path by
    /// hand makes the record decodable but leaves fitted attributes of the old library
    /// version (see splunk/security_content#3928).
    pub static UNKNOWN_TYPE = {
        code: "MLTK105",
        name: "unknown-type",
        severity: Error,
        summary: "A `(module, class)` has no codec in the target MLTK",
        check: check,
    };
}

/// How many distinct `(module, class)` pairs [`check`] remembers.
const RECENT_PAIRS: usize = 16;

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    if ctx.model.is_none() {
        return;
    }
    let algo = ctx.algo();
    // A custom algorithm is checked against the pairs it declares it registers (plus the
    // built-in table); one declared without pairs is not checked.
    let custom = algo.and_then(|name| ctx.custom_algorithms.iter().find(|c| c.name == name));
    if custom.is_some_and(|c| c.codecs.is_empty()) {
        return;
    }
    // Without the algorithm's registrations we cannot know its codec table.
    let Some(algo_name) =
        algo.filter(|name| custom.is_some() || ctx.target.algorithms.contains_key(*name))
    else {
        return;
    };
    let target = ctx.target;
    // One finding per distinct pair, at its first record, with the number of records: a
    // forest of 200 trees has one problem, not 200.
    let mut seen: Vec<(String, String, bool, usize, usize)> = Vec::new();
    let mut firsts: Vec<(&Record<'_>, bool)> = Vec::new();
    let mut note = |record, module: &str, class: &str, type_ref: bool| {
        if let Some(entry) = seen
            .iter_mut()
            .find(|(m, c, t, _, _)| m == module && c == class && *t == type_ref)
        {
            entry.3 += 1;
        } else {
            seen.push((
                module.to_owned(),
                class.to_owned(),
                type_ref,
                1,
                firsts.len(),
            ));
            firsts.push((record, type_ref));
        }
    };
    // Whether MLTK has a codec for a pair, remembered for the last few pairs: a model
    // repeats a few pairs many times (a forest's trees), and each answer is a search of the
    // tables. A handful, searched in turn: hashing the two strings of every record cost
    // more than the search it saved.
    let mut recent: Vec<((&str, &str), bool)> = Vec::with_capacity(RECENT_PAIRS);
    for &record in ctx.records() {
        let pair = (record.module, record.class);
        let registered = match recent.iter().find(|(seen, _)| *seen == pair) {
            Some(&(_, registered)) => registered,
            None => {
                let registered = match custom {
                    Some(custom) => {
                        custom.registers(pair.0, pair.1)
                            || target.codec_for(None, pair.0, pair.1).is_some()
                    }
                    None => target.codec_for(Some(algo_name), pair.0, pair.1).is_some(),
                };
                if recent.len() == RECENT_PAIRS {
                    recent.remove(0);
                }
                recent.push((pair, registered));
                registered
            }
        };
        let known = registered || (custom.is_none() && is_aitk_special(ctx, record));
        if !known {
            note(record, record.module, record.class, false);
        }
        if record.codec == Some("TypeCodec")
            && let Some(items) = record.node.get("type").and_then(|t| t.as_array())
            && let [module, name] = items
            && let (Some(module), Some(name)) = (module.as_str(), name.as_str())
            && !target.is_builtin(module, name)
        {
            note(record, module, name, true);
        }
    }
    for (module, class, type_ref, count, first) in seen {
        let (record, _) = firsts[first];
        let mut diagnostic = unknown(ctx, record, &module, &class, type_ref);
        if let Some(custom) = custom.filter(|_| !type_ref) {
            diagnostic.help = Some(format!(
                "the custom algorithm `{}` is declared to register codecs for {} pair(s), not this one; MLTK {} fails with: {}. Add the pair to its `codecs` in the configuration if its register_codecs() registers it",
                custom.name,
                custom.codecs.len(),
                target.id,
                target.unknown_type_error(&module, &class)
            ));
        }
        if count > 1 {
            diagnostic.message.push_str(&format!(" ({count} records)"));
        }
        out.push(diagnostic);
    }
}

/// 5.7.4 encodes and decodes `algos.AITKContainer` through a special branch, not a codec.
fn is_aitk_special(ctx: &Context<'_>, record: &Record<'_>) -> bool {
    record.module == "algos.AITKContainer"
        && record.class == "AITKContainer"
        && ctx.target.algorithms.contains_key("AITKContainer")
}

fn unknown(
    ctx: &Context<'_>,
    record: &Record<'_>,
    module: &str,
    class: &str,
    type_ref: bool,
) -> Diagnostic {
    let target = ctx.target;
    let catalog = catalog();
    let versions = catalog.versions_with(module, class);
    let mut message = if type_ref {
        format!(
            "type reference `{module}.{class}` is not a built-in codec key in MLTK {}",
            target.id
        )
    } else {
        format!("no codec for `{module}.{class}` in MLTK {}", target.id)
    };
    if !versions.is_empty() {
        message.push_str(&format!(" (known in MLTK {})", versions.join(", ")));
    }
    let mut help = format!(
        "MLTK {} fails with: {}",
        target.id,
        target.unknown_type_error(module, class)
    );
    if let Some(rename) = catalog.rename_of(module, class) {
        let (from, to) = (rename.from, rename.to);
        let mover = match rename.library {
            "sklearn" => "scikit-learn",
            "python" => "Python 3",
            "" => "the library",
            other => other,
        };
        if from == module {
            help.push_str(&format!("; {mover} moved `{class}` to `{to}` (MLTK {} and later): re-train the model on the target release", rename.first_version));
        } else {
            help.push_str(&format!("; before MLTK {} the module was `{from}`: re-train the model on the target release", rename.first_version));
        }
    } else {
        help.push_str("; re-train the model on the target MLTK release");
    }
    let span = if type_ref {
        record
            .node
            .get("type")
            .map_or(record.type_member.value.span.clone(), |n| n.span.clone())
    } else {
        record.type_member.value.span.clone()
    };
    let pointer_key = if type_ref { "type" } else { "__mlspl_type" };
    Diagnostic::new(&UNKNOWN_TYPE, ctx.span_in(Cell::Model, span), message)
        .with_pointer(
            "model",
            crate::json::pointer_push(&record.pointer, pointer_key),
        )
        .with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint, spanned};

    use super::UNKNOWN_TYPE;

    #[test]
    fn fires_on_old_module_path() {
        let model = MODEL.replace("sklearn.linear_model._base", "sklearn.linear_model.base");
        let text = artifact("LinearRegression", &model, OPTIONS);
        let diagnostics = lint(&UNKNOWN_TYPE, text.clone());
        assert_eq!(
            spanned(&text, &diagnostics),
            [r#"[""sklearn.linear_model.base"", ""LinearRegression""]"#]
        );
        let d = &diagnostics[0];
        assert!(d.message.contains("known in MLTK"), "{}", d.message);
        assert!(
            d.help
                .as_deref()
                .unwrap_or("")
                .contains("The model may not be compatible"),
            "{:?}",
            d.help
        );
    }

    #[test]
    fn one_finding_per_distinct_pair() {
        let inner =
            r#"{"__mlspl_type": ["sklearn.linear_model.base", "LinearRegression"], "dict": {}}"#;
        let model = MODEL.replace(
            r#""fit_intercept": true"#,
            &format!(r#""fit_intercept": true, "a": {inner}, "b": [{inner}], "t": {{"__mlspl_type": ["builtins", "type"], "type": ["numpy", "bool"]}}"#),
        );
        let diagnostics = lint(&UNKNOWN_TYPE, artifact("LinearRegression", &model, OPTIONS));
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].ends_with("(2 records)"), "{messages:?}");
        assert!(
            messages[1].starts_with("type reference `numpy.bool`"),
            "{messages:?}"
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&UNKNOWN_TYPE, clean()).is_empty());
    }

    #[test]
    fn checks_custom_algorithms_against_their_declared_codecs() {
        use crate::settings::{CustomAlgorithm, Settings};
        let model = MODEL
            .replace("algos.LinearRegression", "algos_contrib.MyRegressor")
            .replace(
                r#""LinearRegression"], "dict": {"estimator""#,
                r#""MyRegressor"], "dict": {"estimator""#,
            );
        let text = artifact("MyRegressor", &model, OPTIONS);
        let run = |custom: CustomAlgorithm| {
            let settings = Settings {
                custom_algorithms: vec![custom],
                ..Settings::default()
            };
            crate::linter::lint_bytes("__mlspl_m.mlmodel", text.clone().into(), &settings)
                .diagnostics
                .into_iter()
                .filter(|d| d.rule.code == UNKNOWN_TYPE.code)
                .collect::<Vec<_>>()
        };
        // Known by name only: records are not checked.
        assert!(run(CustomAlgorithm::named("MyRegressor")).is_empty());
        // The declared pairs are known; an undeclared one is reported.
        let declared = CustomAlgorithm {
            name: "MyRegressor".into(),
            package: Some("algos_contrib".into()),
            codecs: vec![("algos_contrib.MyRegressor".into(), "MyRegressor".into())],
        };
        let found = run(declared.clone());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("sklearn.linear_model._base.LinearRegression")
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("MyRegressor")
        );
        let mut complete = declared;
        complete.codecs.push((
            "sklearn.linear_model._base".into(),
            "LinearRegression".into(),
        ));
        assert!(run(complete).is_empty());
    }
}
