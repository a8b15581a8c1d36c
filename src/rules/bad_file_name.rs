use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::helpers::{is_identifier, model_name_from_file};

declare_rule! {
    /// ## What it does
    /// Checks the file name: `__mlspl_` + a model name matching `^[a-zA-Z_][a-zA-Z0-9_]*$`
    /// + the extension the target release uses (`.mlmodel` in 5.x, `.csv` up to 4.x;
    /// `.onnx.mlmodel` for ONNX models).
    /// Standard input is checked only under the name `--stdin-filename` gives it.
    ///
    /// ## Why is this bad?
    /// MLTK finds a model through the lookup named `__mlspl_<name>.mlmodel`; a file under any
    /// other name is invisible to `apply`, and a name that is not an identifier cannot even be
    /// asked for (`Invalid model name`).
    ///
    /// ## Example
    /// `lookups/my-model.mlmodel`, or `__mlspl_model.csv` for MLTK 5.x.
    ///
    /// ## How to fix
    /// Rename the file to `__mlspl_<name>.mlmodel` with an identifier as `<name>`.
    pub static BAD_FILE_NAME = {
        code: "MLTK207",
        name: "bad-file-name",
        severity: Warning,
        summary: "The file name is not `__mlspl_<identifier>` with the target's extension",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let Some(file_name) = ctx.file_name else {
        return;
    };
    let extension = if ctx.target.model_extension.is_empty() {
        ".mlmodel"
    } else {
        ctx.target.model_extension
    };
    let span = ctx.file_start();
    let problem = match model_name_from_file(file_name) {
        None if !file_name.starts_with("__mlspl_") => Some(format!(
            "file name `{file_name}` does not start with `__mlspl_`; MLTK only finds models named `__mlspl_<name>{extension}`"
        )),
        None => Some(format!(
            "file name `{file_name}` does not end in `{extension}`"
        )),
        Some(name) if !is_identifier(name) => Some(format!(
            "model name `{name}` in `{file_name}` is not an identifier (letters, digits, `_`; not starting with a digit); MLTK refuses it: Invalid model name"
        )),
        Some(_) if !file_name.ends_with(extension) => Some(format!(
            "MLTK {} stores models as `{extension}`; it does not find `{file_name}`",
            ctx.target.id
        )),
        Some(_) => None,
    };
    if let Some(message) = problem {
        out.push(
            Diagnostic::new(&BAD_FILE_NAME, span, message)
                .with_help(format!("rename the file to `__mlspl_<name>{extension}`, where <name> matches ^[a-zA-Z_][a-zA-Z0-9_]*$")),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{clean, lint, lint_with};

    use super::BAD_FILE_NAME;

    #[test]
    fn fires_on_bad_names() {
        assert_eq!(
            lint_with(&BAD_FILE_NAME, "lookups/my-model.mlmodel", clean()).len(),
            1
        );
        let diagnostics = lint_with(&BAD_FILE_NAME, "__mlspl_my-model.mlmodel", clean());
        assert!(diagnostics[0].message.contains("not an identifier"));
        let diagnostics = lint_with(&BAD_FILE_NAME, "__mlspl_m.csv", clean());
        assert!(diagnostics[0].message.contains("does not find"));
    }

    #[test]
    fn silent_on_good_names() {
        assert!(lint(&BAD_FILE_NAME, clean()).is_empty());
        assert!(lint_with(&BAD_FILE_NAME, "a/__mlspl_m.onnx.mlmodel", clean()).is_empty());
    }
}
