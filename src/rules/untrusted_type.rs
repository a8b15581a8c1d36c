use crate::diagnostic::Diagnostic;
use crate::rules::Context;
use crate::rules::context::Cell;

/// Top-level packages whose classes MLTK models legitimately carry.
const TRUSTED_PACKAGES: &[&str] = &[
    "numpy",
    "scipy",
    "pandas",
    "sklearn",
    "algos",
    "algos_support",
    "algos_contrib",
    "codec",
    "mtrand",
    "mltkc",
    "statsmodels",
    "_loss",
];

/// Builtins that codec records may name.
const TRUSTED_BUILTINS: &[&str] = &[
    "object",
    "slice",
    "set",
    "frozenset",
    "type",
    "bytes",
    "tuple",
    "list",
    "dict",
];

/// Modules whose import or call is an attack, for a sharper message.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "runpy",
    "socket",
    "shutil",
    "importlib",
    "pty",
    "ctypes",
    "multiprocessing",
    "pickle",
    "cPickle",
    "_pickle",
    "marshal",
    "code",
    "webbrowser",
    "commands",
];

declare_rule! {
    /// ## What it does
    /// Flags codec records whose `__mlspl_type` module lies outside the scientific stack
    /// (numpy, scipy, pandas, scikit-learn) and MLTK's own packages (`algos`,
    /// `algos_support`, `codec`), and builtins other than plain containers. The algorithm's
    /// own record (`<package>.<Algo>` matching the `algo` cell) is trusted.
    ///
    /// ## Why is this bad?
    /// MLTK's SimpleObject, Noop and Kalman codecs import the module named in the record and
    /// build an instance of the class. A record naming `os`, `subprocess` or any unexpected
    /// package is at best a sign of tampering, and with a permissive codec table a way to run
    /// code on the search head.
    ///
    /// ## Example
    /// `{"__mlspl_type": ["subprocess", "Popen"], "dict": {...}}` inside an estimator.
    ///
    /// ## How to fix
    /// Do not load the file; find out who changed it. Models MLTK writes only name library
    /// and MLTK classes.
    pub static UNTRUSTED_TYPE = {
        code: "MLTK502",
        name: "untrusted-type",
        severity: Error,
        summary: "A `__mlspl_type` module outside the scientific stack and MLTK packages",
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut crate::diagnostic::Findings) {
    let algo = ctx.algo();
    for (index, &record) in ctx.records().iter().enumerate() {
        let package = record.module.split('.').next().unwrap_or("");
        let trusted = TRUSTED_PACKAGES.contains(&package)
            || (matches!(package, "builtins" | "__builtin__")
                && TRUSTED_BUILTINS.contains(&record.class))
            || (index == 0 && Some(record.class) == algo && record.module.ends_with(record.class));
        if trusted {
            continue;
        }
        let dangerous =
            DANGEROUS_MODULES.contains(&package) || matches!(package, "builtins" | "__builtin__");
        let why = if dangerous {
            "a module that runs commands or code"
        } else {
            "outside numpy/scipy/pandas/scikit-learn and MLTK's packages"
        };
        out.push(
            Diagnostic::new(
                &UNTRUSTED_TYPE,
                ctx.span_in(Cell::Model, record.type_member.value.span.clone()),
                format!("record type `{}` names {why}", record.qualified_name()),
            )
            .with_pointer("model", format!("{}/__mlspl_type", record.pointer))
            .with_help("MLTK's decoder imports the module named in a record; do not load this file until you know who wrote this record"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{MODEL, OPTIONS, artifact, clean, lint};

    use super::UNTRUSTED_TYPE;

    #[test]
    fn fires_on_subprocess() {
        let model = MODEL.replace(
            r#""fit_intercept": true"#,
            r#""fit_intercept": true, "x": {"__mlspl_type": ["subprocess", "Popen"], "dict": {}}"#,
        );
        let diagnostics = lint(
            &UNTRUSTED_TYPE,
            artifact("LinearRegression", &model, OPTIONS),
        );
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("runs commands"));
    }

    #[test]
    fn silent_on_clean_and_custom_algorithm_record() {
        assert!(lint(&UNTRUSTED_TYPE, clean()).is_empty());
        let model = MODEL.replace(
            r#"["algos.LinearRegression", "LinearRegression"]"#,
            r#"["my_app.MyAlgo", "MyAlgo"]"#,
        );
        assert!(lint(&UNTRUSTED_TYPE, artifact("MyAlgo", &model, OPTIONS)).is_empty());
    }
}
