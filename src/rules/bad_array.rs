use crate::codec::ModelCell;
use crate::codec::model::ProblemKind;
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks every binary payload completely: every base64 character and the padding, the
    /// NPY magic and header, the dtype, the data length against shape × itemsize, object
    /// dtypes, NPZ zip members (for sparse matrices) and the base64 of an ONNX cell. No rule
    /// reads an array's values, so an NPY payload's base64 is validated where it lies and
    /// only its header is decoded.
    ///
    /// ## Why is this bad?
    /// MLTK calls `numpy.load(..., allow_pickle=False)` on each payload; a truncated or
    /// corrupted payload, or an object array (which numpy refuses without pickles), fails
    /// the load deep inside numpy with only `Failed to load model` shown to the user.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["numpy", "ndarray"], "npy": "k05VTVBZ"}` (a truncated NPY file).
    ///
    /// ## How to fix
    /// Regenerate the payload with `numpy.save(buf, array, allow_pickle=False)` and standard
    /// base64, or re-export the model from MLTK.
    pub static BAD_ARRAY = {
        code: "MLTK104",
        name: "bad-array",
        severity: Error,
        summary: "An npy, npz or bytes payload does not decode",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    if let ModelCell::Onnx(Err(message)) = ctx.model_cell {
        let len = ctx.cell(Cell::Model).map_or(0, |f| f.value.len());
        out.push(
            Diagnostic::new(
                &BAD_ARRAY,
                ctx.span_in(Cell::Model, 0..len.min(2)),
                format!("the ONNX payload is not valid base64: {message}"),
            )
            .with_help(
                "MLTK strips `b'` and `'` and base64-decodes the rest; re-upload the ONNX model",
            ),
        );
    }
    let Some(model) = ctx.model else {
        return;
    };
    for problem in model
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Array)
    {
        out.push(
            Diagnostic::new(&BAD_ARRAY, ctx.span_in(Cell::Model, problem.range.clone()), format!("{} (in `{}`)", problem.message, problem.record))
                .with_pointer("model", problem.pointer.clone())
                .with_help("MLTK fails in numpy.load when applying the model; regenerate the payload with numpy.save(allow_pickle=False) and standard base64"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::BAD_ARRAY;

    #[test]
    fn fires_on_bad_base64_and_truncated_npy() {
        let model = MODEL.replace("k05VTVBZ", "k05V*VBZ");
        let diagnostics = lint(&BAD_ARRAY, artifact("LinearRegression", &model, OPTIONS));
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0].message.contains("not valid base64"),
            "{}",
            diagnostics[0].message
        );
        assert_eq!(diagnostics[0].span.len(), 1);
        // the same NPY file without its last two data bytes
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let start = MODEL.find("k05V").expect("npy");
        let end = start + MODEL[start..].find('"').expect("end");
        let mut npy = engine.decode(&MODEL[start..end]).expect("base64");
        npy.truncate(npy.len() - 2);
        let model = format!(
            "{}{}{}",
            &MODEL[..start],
            engine.encode(&npy),
            &MODEL[end..]
        );
        let diagnostics = lint(&BAD_ARRAY, artifact("LinearRegression", &model, OPTIONS));
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("NPY payload does not load"),
            "{}",
            diagnostics[0].message
        );
        assert_eq!(
            diagnostics[0].pointer.as_deref(),
            Some("/dict/estimator/dict/coef_/npy")
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&BAD_ARRAY, clean()).is_empty());
    }
}
