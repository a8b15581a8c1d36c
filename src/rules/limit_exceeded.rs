use crate::codec::ModelCell;
use crate::codec::model::ProblemKind;
use crate::codec::pickle::ScanError;
use crate::diagnostic::Diagnostic;
use crate::json::{ParseError, ParseErrorKind};
use crate::options::OptionsCell;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Reports an input that exceeds one of mltk-lint's resource limits: a file larger than
    /// `--max-file-size` (256 MiB by default; it is not read), JSON nested deeper than 1000
    /// levels, an NPY header declaring more than 2³¹ elements (or a shape whose size
    /// overflows), an NPZ archive whose members declare more than 1 GiB uncompressed (a zip
    /// bomb) or more than 64 members, and a pickle whose scan exceeds its opcode, memo,
    /// stack, text or expansion bounds (a pickle bomb). `docs/robustness.md` lists every
    /// limit.
    ///
    /// ## Why is this bad?
    /// Sizes declared inside an artifact cannot be trusted: a 200-byte NPY header can claim
    /// 10¹⁸ elements, a 1 KiB zip can inflate to gigabytes and a short pickle can build an
    /// exponentially large object. MLTK would try to allocate and exhaust the search head's
    /// memory; mltk-lint stops at the limit instead and does not decode the rest of that
    /// payload, so other findings about it may be missing.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["numpy", "ndarray"], "npy": "…"}` whose header says
    /// `'shape': (1000000000, 1000000000)`.
    ///
    /// ## How to fix
    /// If the artifact is genuine and really that large, raise the limit (`--max-file-size`)
    /// or ignore the rule; otherwise treat the file as hostile and regenerate it from MLTK.
    pub static LIMIT_EXCEEDED = {
        code: "MLTK109",
        name: "limit-exceeded",
        severity: Error,
        summary: "The input exceeds a resource limit (file size, nesting, array size, zip or pickle bomb)",
        check: check,
    };
}

/// Whether a JSON error is mltk-lint's own nesting limit (reported here, not as MLTK101/201).
pub(crate) fn is_depth_limit(error: &ParseError) -> bool {
    matches!(error.kind, ParseErrorKind::DepthLimit { .. })
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if let ModelCell::NotJson(error) = ctx.model_cell {
        if is_depth_limit(error) {
            out.push(depth(ctx, Cell::Model, error));
        }
    }
    if let OptionsCell::NotJson { error, .. } = ctx.options {
        if is_depth_limit(error) {
            out.push(depth(ctx, Cell::Options, error));
        }
    }
    if let ModelCell::Pickle(Err(error @ ScanError::LimitExceeded { what, .. })) = ctx.model_cell {
        let len = ctx.cell(Cell::Model).map_or(0, |f| f.value.len());
        let at = error.offset().min(len);
        out.push(
            Diagnostic::new(
                &LIMIT_EXCEEDED,
                ctx.char_span_at(Cell::Model, at),
                format!("the pickle in the `model` cell exceeds the scan limit on {what} at byte {at} (a pickle bomb?); it was not scanned further"),
            )
            .with_help("unpickling this would exhaust memory or time; do not load it"),
        );
    }
    let Some(model) = ctx.model else {
        return;
    };
    for problem in model
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Limit)
    {
        out.push(
            Diagnostic::new(
                &LIMIT_EXCEEDED,
                ctx.span_in(Cell::Model, problem.range.clone()),
                format!("{} (in `{}`)", problem.message, problem.record),
            )
            .with_pointer("model", problem.pointer.clone())
            .with_help("the payload declares more data than any real model holds; numpy would try to allocate it; regenerate it from MLTK"),
        );
    }
}

fn depth(ctx: &Context<'_>, cell: Cell, error: &ParseError) -> Diagnostic {
    Diagnostic::new(
        &LIMIT_EXCEEDED,
        ctx.char_span_at(cell, error.offset),
        format!("the `{}` cell is not decoded: {error}", cell.name()),
    )
    .with_help("Python's json module fails with RecursionError near this depth; no real model nests this deep")
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::LIMIT_EXCEEDED;

    fn npy_model(header: &str) -> String {
        use base64::Engine as _;
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        let mut header = header.to_owned();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        npy.extend_from_slice(&u16::try_from(header.len()).expect("short").to_le_bytes());
        npy.extend_from_slice(header.as_bytes());
        let encoded = base64::engine::general_purpose::STANDARD.encode(&npy);
        let start = MODEL.find("k05V").expect("npy");
        let end = start + MODEL[start..].find('"').expect("end");
        format!("{}{}{}", &MODEL[..start], encoded, &MODEL[end..])
    }

    #[test]
    fn fires_on_impossible_shape() {
        let model = npy_model(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }",
        );
        let diagnostics = lint(
            &LIMIT_EXCEEDED,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("more than the limit"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn fires_on_deep_json() {
        let model = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let diagnostics = lint(
            &LIMIT_EXCEEDED,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("nesting"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn fires_on_pickle_bomb() {
        // protocol 0: an empty list, then 200 tuples (x, x) of the previous value through the
        // memo: 2^200 elements if every reference were copied
        let mut model = String::from("(lp0\n");
        for i in 1..=200 {
            model.push_str(&format!("(g{}\ng{}\ntp{i}\n", i - 1, i - 1));
        }
        model.push('.');
        let diagnostics = lint(
            &LIMIT_EXCEEDED,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("expansion"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn silent_on_clean() {
        assert!(lint(&LIMIT_EXCEEDED, clean()).is_empty());
    }
}
