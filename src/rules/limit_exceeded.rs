use crate::codec::ModelCell;
use crate::codec::model::ProblemKind;
use crate::codec::pickle::ScanError;
use crate::diagnostic::Diagnostic;
use crate::json::{self, Node, ParseError, ParseErrorKind, Value};
use crate::limits;
use crate::options::OptionsCell;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Reports an input that exceeds one of mltk-lint's resource limits: a file larger than
    /// `--max-file-size` (256 MiB by default; it is not read), JSON nested deeper than 1000
    /// levels, a JSON string longer than 256 MiB, an NPY header declaring more than 2³¹
    /// elements (or a shape whose size overflows), an NPZ archive whose members declare more
    /// than 1 GiB uncompressed (a zip bomb) or more than 64 members, and a pickle whose scan
    /// exceeds its opcode, memo, stack, text or expansion bounds (a pickle bomb). The message
    /// names the limit; `docs/robustness.md` lists every limit and its default.
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
    /// If the artifact is genuine and really that large, raise the limit named in the message
    /// (`--limit NAME=VALUE`, `[limits]` in the configuration, or `--max-file-size`) or ignore
    /// the rule; otherwise treat the file as hostile and regenerate it from MLTK.
    pub static LIMIT_EXCEEDED = {
        code: "MLTK109",
        name: "limit-exceeded",
        severity: Error,
        summary: "The input exceeds a resource limit (file size, nesting, array size, zip or pickle bomb)",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    if let Some(at) = ctx.artifact.framing.truncated_at {
        out.push(
            Diagnostic::new(
                &LIMIT_EXCEEDED,
                crate::artifact::span::Span::new(at, at),
                format!(
                    "the file has more than {} CSV cells (an MLTK artifact has six); nothing from here on was read or checked (limit `csv-cells`)",
                    crate::artifact::csv::MAX_CELLS
                ),
            )
            .with_help("an MLTK artifact is a header and one row of three cells; this file is not one, or is damaged"),
        );
    }
    if let ModelCell::NotJson(error) = ctx.model_cell
        && error.kind.is_limit()
    {
        out.push(json_limit(ctx, Cell::Model, error));
    }
    if let OptionsCell::NotJson { error, .. } = ctx.options
        && error.kind.is_limit()
    {
        out.push(json_limit(ctx, Cell::Options, error));
    }
    let model_len = ctx.cell(Cell::Model).map_or(0, |f| f.value.len());
    match ctx.model_cell {
        ModelCell::Pickle(Err(error @ ScanError::LimitExceeded { what, .. })) => {
            let at = error.offset().min(model_len);
            out.push(pickle_limit(
                ctx,
                at,
                format!(
                    "the pickle in the `model` cell exceeds the scan limit on {what} at byte {at}{} (a pickle bomb?); it was not scanned further",
                    limits::pickle_tag(what)
                ),
            ));
        }
        ModelCell::Pickle(Ok(scan)) => {
            // Nested pickles share the outer scan's limits; one that hit a limit is reported
            // at the constant holding the outermost of them.
            let mut todo: Vec<_> = scan.nested.iter().map(|n| (n, n.source_offset)).collect();
            while let Some((sub, anchor)) = todo.pop() {
                if let Some(ScanError::LimitExceeded { what, .. }) = &sub.error {
                    let at = anchor.min(model_len);
                    out.push(pickle_limit(
                        ctx,
                        at,
                        format!(
                            "a pickle nested in the `model` cell's pickle (in the constant at byte {at}) exceeds the scan limit on {what}{}; it was not scanned further",
                            limits::pickle_tag(what)
                        ),
                    ));
                }
                todo.extend(sub.nested.iter().map(|n| (n, anchor)));
            }
        }
        _ => {}
    }
    if let OptionsCell::Json(root) = ctx.options {
        long_strings(ctx, root, out);
    }
    let Some(model) = ctx.model else {
        return;
    };
    for problem in model
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Limit)
    {
        let message = if problem.record.is_empty() {
            problem.message.clone()
        } else {
            format!("{} (in `{}`)", problem.message, problem.record)
        };
        out.push(
            Diagnostic::new(
                &LIMIT_EXCEEDED,
                ctx.span_in(Cell::Model, problem.range.clone()),
                message,
            )
            .with_pointer("model", problem.pointer.clone())
            .with_help("the payload declares more data than any real model holds; numpy would try to allocate it; regenerate it from MLTK (or raise the limit named in the message if the model is genuine)"),
        );
    }
}

/// A pickle in the `model` cell that hit a scan limit, at byte `at` of the cell.
fn pickle_limit(ctx: &Context<'_>, at: usize, message: String) -> Diagnostic {
    Diagnostic::new(&LIMIT_EXCEEDED, ctx.char_span_at(Cell::Model, at), message)
        .with_help("unpickling this would exhaust memory or time; do not load it")
}

fn json_limit(ctx: &Context<'_>, cell: Cell, error: &ParseError) -> Diagnostic {
    let (name, help) = match error.kind {
        ParseErrorKind::ValueLimit { .. } => (
            "json-values",
            "real model cells hold thousands of values (arrays are base64 NPY payloads, one value each); if this one is genuine, raise the limit",
        ),
        _ => (
            "json-depth",
            "Python's json module fails with RecursionError near the default depth (1000); no real model nests this deep",
        ),
    };
    Diagnostic::new(
        &LIMIT_EXCEEDED,
        ctx.char_span_at(cell, error.offset),
        format!(
            "the `{}` cell is not decoded: {error} {}",
            cell.name(),
            limits::tag(name)
        ),
    )
    .with_help(help)
}

/// Strings (values and keys) of the `options` cell longer than the string limit. (The `model`
/// cell's are reported by its decoder, which then skips them.)
fn long_strings(ctx: &Context<'_>, root: &Node, out: &mut crate::diagnostic::Findings) {
    let max = ctx.limits.max_string_len;
    let long = |text: &str| u64::try_from(text.len()).map_or(true, |len| len > max);
    let mut hit = |range: std::ops::Range<usize>, len: usize, pointer: String| {
        out.push(
            Diagnostic::new(
                &LIMIT_EXCEEDED,
                ctx.span_in(Cell::Options, range),
                format!(
                    "a JSON string of {len} bytes in the `options` cell is longer than the limit of {} {}",
                    limits::describe_size(max),
                    limits::tag("string-length")
                ),
            )
            .with_pointer("options", pointer)
            .with_help(limits::raise_help("string-length")),
        );
    };
    json::walk(
        root,
        |_| true,
        |path, node| match &node.value {
            Value::String(text) if long(text) => {
                hit(node.span.clone(), text.len(), json::pointer_of(path));
            }
            Value::Object(members) => {
                for member in members.iter().filter(|member| long(&member.key)) {
                    let pointer = json::pointer_push(&json::pointer_of(path), &member.key);
                    hit(member.key_span.clone(), member.key.len(), pointer);
                }
            }
            _ => {}
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::LIMIT_EXCEEDED;

    /// Long strings and keys of the options cell get the pointer of where they are, at every
    /// depth and after siblings of other depths (the path must drop the steps of branches
    /// visited before).
    #[test]
    fn long_options_strings_get_their_pointers() {
        let options = OPTIONS.replace(
            r#""kfold_cv": null"#,
            r#""kfold_cv": null, "a": [{"b": ["short", "a long string"]}, {"x/y": 1}], "a longer key~": 2"#,
        );
        let mut rules = crate::rules::RuleSet::empty();
        rules.insert(&"MLTK109".parse().expect("code"));
        let mut settings = crate::settings::Settings {
            rules,
            ..crate::settings::Settings::default()
        };
        settings.limits.max_string_len = 12;
        let text = artifact("LinearRegression", MODEL, &options);
        let report = crate::linter::lint_bytes("__mlspl_m.mlmodel", text.into(), &settings);
        let pointers: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("`options` cell"))
            .filter_map(|d| d.pointer.as_deref())
            .filter(|p| p.starts_with("/a/") || p.starts_with("/a "))
            .collect();
        assert_eq!(pointers, ["/a/0/b/1", "/a longer key~0"]);
    }

    fn npy_model(header: &str) -> String {
        use base64::Engine as _;
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        let mut header = header.to_owned();
        while !(10 + header.len() + 1).is_multiple_of(64) {
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
