use crate::codec::ModelCell;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;
use crate::rules::helpers::option;

declare_rule! {
    /// ## What it does
    /// Compares the length of the model JSON with `max_model_size_mb`: the value saved in
    /// `options.mlspl_limits`, else the target release's default for the algorithm (30 MB in
    /// 5.5 and later, 15 MB before).
    ///
    /// ## Why is this bad?
    /// MLTK measures `len()` of the encoded model text against `max_model_size_mb × 2^20`
    /// when saving, and refuses larger models with `Model exceeds size limit (<len> >
    /// <limit>)`. A hand-built artifact over the limit is one MLTK would never have written:
    /// re-training it in Splunk fails, and ONNX models are checked again at apply time.
    ///
    /// ## Example
    /// A 40 MB random forest with the default limit of 30 MB.
    ///
    /// ## How to fix
    /// Make the model smaller (fewer or shallower trees, fewer features), or raise
    /// `max_model_size_mb` for the algorithm in `mlspl.conf` on every search head.
    pub static MODEL_TOO_LARGE = {
        code: "MLTK108",
        name: "model-too-large",
        severity: Error,
        summary: "The model JSON is longer than `max_model_size_mb`",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    if !matches!(ctx.model_cell, ModelCell::Json(_) | ModelCell::Onnx(_)) {
        return;
    }
    let Some(field) = ctx.cell(Cell::Model) else {
        return;
    };
    let saved = option(ctx, "mlspl_limits")
        .and_then(|limits| limits.get("max_model_size_mb"))
        .and_then(|node| {
            node.as_str()
                .map(str::to_owned)
                .or_else(|| node.as_f64().map(|f| f.to_string()))
        })
        .and_then(|text| text.trim().parse::<f64>().ok());
    let (limit_mb, source) = match saved {
        Some(mb) => (mb, "options.mlspl_limits.max_model_size_mb".to_owned()),
        None => match ctx.target.max_model_size_mb(ctx.algo()) {
            Some(mb) => (mb, format!("the MLTK {} default", ctx.target.id)),
            None => return,
        },
    };
    if limit_mb <= 0.0 {
        return; // MLTK only enforces a positive limit.
    }
    // MLTK compares `len(str)`: characters, which is bytes for the ASCII MLTK writes.
    let limit = (limit_mb.trunc() * 1024.0 * 1024.0).max(0.0);
    // Characters never outnumber bytes: a cell within the limit in bytes is within it.
    if field.value.len() as f64 <= limit {
        return;
    }
    let len = field.value.chars().count() as f64;
    if len > limit {
        out.push(
            Diagnostic::new(
                &MODEL_TOO_LARGE,
                ctx.span_in(Cell::Model, 0..field.value.len().min(1)),
                format!(
                    "the model is {:.1} MB ({len} characters), over the {limit_mb} MB limit of {source}",
                    len / 1_048_576.0
                ),
            )
            .with_help(format!(
                "MLTK refuses to save it: Model exceeds size limit ({len} > {limit}); shrink the model or raise max_model_size_mb in mlspl.conf"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::MODEL_TOO_LARGE;

    #[test]
    fn fires_over_the_saved_limit() {
        let padding = "a".repeat(1_100_000);
        let model = MODEL.replace(
            r#""fit_intercept": true"#,
            &format!(r#""fit_intercept": true, "pad": "{padding}""#),
        );
        let options = OPTIONS.replace(
            r#""max_model_size_mb": "30""#,
            r#""max_model_size_mb": "1""#,
        );
        let diagnostics = lint(
            &MODEL_TOO_LARGE,
            artifact("LinearRegression", &model, &options),
        );
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0].message.contains("over the 1 MB limit"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn silent_on_clean_and_disabled_limit() {
        assert!(lint(&MODEL_TOO_LARGE, clean()).is_empty());
        let options = OPTIONS.replace(
            r#""max_model_size_mb": "30""#,
            r#""max_model_size_mb": "0""#,
        );
        assert!(
            lint(
                &MODEL_TOO_LARGE,
                artifact("LinearRegression", MODEL, &options)
            )
            .is_empty()
        );
    }
}
