use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Checks that every `codec.flatten.Ref` record (used by Birch models, whose object graph
    /// has cycles) names an id that has an entry in the record's `refs` table.
    ///
    /// ## Why is this bad?
    /// MLTK's Birch codec rebuilds the graph by looking each `_id` up in `refs`; a missing id
    /// fails the load with a `KeyError`.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["codec.flatten", "Ref"], "dict": {"_id": "140"}}` with no `"140"`
    /// key in `refs`.
    ///
    /// ## How to fix
    /// Re-export the model: `refs` and the ids are generated together and cannot be edited
    /// independently.
    pub static DANGLING_REF = {
        code: "MLTK107",
        name: "dangling-ref",
        severity: Error,
        summary: "A `codec.flatten.Ref` id has no entry in `refs`",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let records = ctx.records();
    let mut ids: HashSet<&str> = HashSet::new();
    let mut has_refs = false;
    for record in records {
        if let Some(refs) = record.node.get("refs").and_then(|r| r.as_object()) {
            has_refs = true;
            ids.extend(refs.iter().map(|m| m.key.as_str()));
        }
    }
    for record in records {
        if record.module != "codec.flatten" || record.class != "Ref" {
            continue;
        }
        let Some(id_node) = record.dict_node("_id") else {
            continue;
        };
        let Some(id) = id_node.as_str() else {
            continue;
        };
        if !ids.contains(id) {
            let why = if has_refs {
                "has no entry in `refs`"
            } else {
                "but the model has no `refs` table"
            };
            out.push(
                Diagnostic::new(&DANGLING_REF, ctx.span_in(Cell::Model, id_node.span.clone()), format!("reference `{id}` {why}"))
                    .with_pointer("model", crate::json::pointer_push(&crate::json::pointer_push(&record.pointer, "dict"), "_id"))
                    .with_help(format!("MLTK's Birch codec fails with KeyError: '{id}'; re-export the model instead of editing `refs`")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{OPTIONS, artifact, clean, lint, spanned};

    use super::DANGLING_REF;

    const BIRCH: &str = r#"{"__mlspl_type": ["algos.Birch", "Birch"], "dict": {"estimator": {"__mlspl_type": ["sklearn.cluster._birch", "Birch"], "dict": {"root_": {"__mlspl_type": ["codec.flatten", "Ref"], "dict": {"_id": "1"}}, "dummy_leaf_": {"__mlspl_type": ["codec.flatten", "Ref"], "dict": {"_id": "2"}}}, "refs": {"1": {"__mlspl_type": ["sklearn.cluster._birch", "_CFNode"], "dict": {}}}}, "feature_variables": ["x"], "columns": ["x"]}}"#;

    #[test]
    fn fires_on_missing_id() {
        let text = artifact("Birch", BIRCH, OPTIONS);
        let diagnostics = lint(&DANGLING_REF, text.clone());
        assert_eq!(spanned(&text, &diagnostics), [r#"""2"""#]);
        assert_eq!(
            diagnostics[0].message,
            "reference `2` has no entry in `refs`"
        );
    }

    #[test]
    fn silent_when_all_ids_resolve() {
        let fixed = BIRCH.replace(r#""dict": {}}}}"#, r#""dict": {}}, "2": {"__mlspl_type": ["sklearn.cluster._birch", "_CFNode"], "dict": {}}}}"#);
        assert!(lint(&DANGLING_REF, artifact("Birch", &fixed, OPTIONS)).is_empty());
        assert!(lint(&DANGLING_REF, clean()).is_empty());
    }
}
