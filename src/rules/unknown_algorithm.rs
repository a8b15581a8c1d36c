use crate::catalog::catalog;
use crate::codec::ModelCell;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::helpers::{algo_span, closest, is_identifier};

/// Algorithms other Splunk apps provide, and which app.
const PROVIDED_BY_APPS: &[(&str, &str)] = &[(
    "MLTKContainer",
    "the Splunk App for Data Science and Deep Learning (DSDL, package `mltkc`)",
)];

declare_rule! {
    /// ## What it does
    /// Checks that the `algo` cell names an algorithm built into the target MLTK that can
    /// save models, or one declared with `--custom-algorithm`. Suggests the closest known
    /// name and says which releases have the algorithm.
    ///
    /// ## Why is this bad?
    /// MLTK imports the algorithm named by the `algo` cell through `algos.conf` before it
    /// decodes anything: an unknown name fails with `Algorithm "<algo>" cannot be loaded`, a
    /// name that is not an identifier with `Failed to load algorithm with an invalid name`.
    ///
    /// ## Example
    /// `algo` = `LinearRegresion`.
    ///
    /// ## How to fix
    /// Fix the name, or, if the algorithm ships in your own app (registered in its
    /// `algos.conf`), declare it: `--custom-algorithm <Name>`.
    pub static UNKNOWN_ALGORITHM = {
        code: "MLTK301",
        name: "unknown-algorithm",
        severity: Error,
        summary: "The `algo` cell is not an algorithm of the target MLTK nor declared custom",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(algo) = ctx.algo() else {
        return;
    };
    if ctx.custom_algorithms.iter().any(|c| c.name == algo) || algo.starts_with("<<<<<<<") {
        return; // declared; a conflict marker is MLTK006's finding
    }
    let target = ctx.target;
    let span = algo_span(ctx);
    // ONNX (5.4+) and SageMaker/Vertex (5.7) models are not codec algorithms.
    let special = match algo {
        "onnx" => {
            matches!(ctx.model_cell, ModelCell::Onnx(_))
                && target.algorithms.contains_key("AutoPrediction")
        }
        "sagemaker_custom_model" | "vertex_custom_model" => {
            target.algorithms.contains_key("AITKContainer")
        }
        _ => false,
    };
    if special {
        return;
    }
    if !is_identifier(algo) {
        out.push(
            Diagnostic::new(
                &UNKNOWN_ALGORITHM,
                span,
                format!("`{algo}` is not a valid algorithm name"),
            )
            .with_help(format!(
                "MLTK fails with: Failed to load algorithm with an invalid name: {algo}"
            )),
        );
        return;
    }
    if let Some(builtin) = target.algorithms.get(algo) {
        if !builtin.saves_model {
            out.push(
                Diagnostic::new(&UNKNOWN_ALGORITHM, span, format!("`{algo}` cannot save models in MLTK {}", target.id))
                    .with_help(format!("fit fails with: Algorithm \"{algo}\" does not support saved models; no MLTK-written artifact has this algorithm")),
            );
        }
        return;
    }
    let catalog = catalog();
    let elsewhere: Vec<&str> = catalog
        .versions()
        .iter()
        .filter(|v| v.algorithms.contains_key(algo))
        .map(|v| v.id)
        .collect();
    let mut message = format!("`{algo}` is not an algorithm of MLTK {}", target.id);
    let mut help = format!("MLTK fails with: Algorithm \"{algo}\" cannot be loaded");
    if !elsewhere.is_empty() {
        message.push_str(&format!(
            " (it is built into MLTK {})",
            elsewhere.join(", ")
        ));
    } else if let Some((_, app)) = PROVIDED_BY_APPS.iter().find(|(name, _)| *name == algo) {
        help.push_str(&format!(
            " unless {app} is installed; declare it with --custom-algorithm {algo} if it is"
        ));
    } else if let Some(suggestion) = closest(algo, target.algorithms.keys().copied()) {
        help = format!("did you mean `{suggestion}`? {help}");
    } else {
        help.push_str(&format!(
            " unless your app ships it in algos.conf; declare it with --custom-algorithm {algo}"
        ));
    }
    out.push(
        Diagnostic::new(&UNKNOWN_ALGORITHM, span, message)
            .with_label("algo")
            .with_help(help),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::UNKNOWN_ALGORITHM;

    #[test]
    fn suggests_closest_name() {
        let diagnostics = lint(
            &UNKNOWN_ALGORITHM,
            artifact("LinearRegresion", MODEL, OPTIONS),
        );
        assert_eq!(
            diagnostics[0].message,
            "`LinearRegresion` is not an algorithm of MLTK 5.7.4"
        );
        assert!(
            diagnostics[0]
                .help
                .as_deref()
                .unwrap_or("")
                .starts_with("did you mean `LinearRegression`?")
        );
    }

    #[test]
    fn silent_on_clean_and_declared_custom() {
        assert!(lint(&UNKNOWN_ALGORITHM, clean()).is_empty());
    }
}
