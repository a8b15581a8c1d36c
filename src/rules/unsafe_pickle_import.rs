use crate::codec::ModelCell;
use crate::codec::pickle::{self, Danger};
use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

declare_rule! {
    /// ## What it does
    /// Lists the globals a pickle in the `model` cell would import (by scanning its opcodes,
    /// never by unpickling it) and flags the dangerous ones: `os`, `posix`, `nt`,
    /// `subprocess`, builtins such as `eval`/`exec`/`__import__`, `runpy`, `socket`, ...
    ///
    /// ## Why is this bad?
    /// Unpickling calls whatever the pickle names: a `GLOBAL os system` followed by `REDUCE`
    /// runs a shell command on the search head the moment something loads the model.
    ///
    /// ## Example
    /// `cos\nsystem\n(S'echo pwned'\ntR.`
    ///
    /// ## How to fix
    /// Do not load the file. Delete it, find out where it came from, and re-train the model.
    pub static UNSAFE_PICKLE_IMPORT = {
        code: "MLTK501",
        name: "unsafe-pickle-import",
        severity: Error,
        summary: "A pickle imports a dangerous global",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let ModelCell::Pickle(Ok(scan)) = ctx.model_cell else {
        return;
    };
    let mut scans = vec![scan];
    while let Some(scan) = scans.pop() {
        for global in &scan.globals {
            if let Danger::Dangerous(why) = pickle::classify(&global.module, &global.name) {
                let at = global.offset;
                out.push(
                    Diagnostic::new(
                        &UNSAFE_PICKLE_IMPORT,
                        ctx.span_in(Cell::Model, at..at + 1),
                        format!("the pickle imports `{}.{}` ({why})", global.module, global.name),
                    )
                    .with_label(global.opcode)
                    .with_help("unpickling this cell runs code; do not load it: delete the file and re-train the model"),
                );
            }
        }
        scans.extend(scan.nested.iter());
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{OPTIONS, artifact, clean, lint};

    use super::UNSAFE_PICKLE_IMPORT;

    #[test]
    fn fires_on_os_system() {
        let text = artifact(
            "LinearRegression",
            "cos\nsystem\n(S'echo pwned'\ntR.",
            OPTIONS,
        );
        let diagnostics = lint(&UNSAFE_PICKLE_IMPORT, text);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("`os.system`"));
    }

    #[test]
    fn silent_on_clean_and_plain_pickle() {
        assert!(lint(&UNSAFE_PICKLE_IMPORT, clean()).is_empty());
        let plain = artifact("LinearRegression", "(dp0\nS'a'\np1\nI1\ns.", OPTIONS);
        assert!(lint(&UNSAFE_PICKLE_IMPORT, plain).is_empty());
    }
}
