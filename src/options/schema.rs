//! The only caller of the jsonschema crate: checks the options cell against
//! `schemas/options.schema.json` and lists every violation with the JSON pointer of the
//! offending value. The schema is compiled when the crate is built (`jsonschema::validator`),
//! not at every run: compiling it at run time, which checks it against the draft-07
//! meta-schema first, was 2.4M instructions, 40 % of a one-file run.

use std::sync::OnceLock;

const SCHEMA: &str = include_str!("../../schemas/options.schema.json");

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value in the options object.
    pub pointer: String,
    /// For `additionalProperties`-style errors, the offending key under `pointer`.
    pub key: Option<String>,
    /// What the schema says, as jsonschema words it.
    pub message: String,
    /// The schema keyword path, for the curious.
    pub schema_path: String,
}

/// The validator jsonschema generates from the schema file at build time. A schema error
/// is a compile error; the schema's `$ref`s are all local.
#[jsonschema::validator(path = "schemas/options.schema.json", draft = Draft7)]
struct OptionsSchema;

/// The schema's `description` of a top-level option, if it has one.
pub fn describe_option(key: &str) -> Option<String> {
    static SCHEMA_VALUE: OnceLock<serde_json::Value> = OnceLock::new();
    let schema = SCHEMA_VALUE.get_or_init(|| serde_json::from_str(SCHEMA).unwrap_or_default());
    schema
        .get("properties")?
        .get(key)?
        .get("description")?
        .as_str()
        .map(str::to_owned)
}

/// Every violation of the options schema, in a stable order.
pub fn validate(options: &serde_json::Value) -> Vec<Violation> {
    // Most options are valid: checking without building errors is several times cheaper.
    if OptionsSchema::is_valid(options) {
        return Vec::new();
    }
    let mut violations: Vec<Violation> = OptionsSchema::iter_errors(options)
        .map(|error| {
            let key = match error.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    property.as_str().map(str::to_owned)
                }
                _ => None,
            };
            Violation {
                pointer: error.instance_path().as_str().to_owned(),
                key,
                message: error.masked().to_string(),
                schema_path: error.schema_path().as_str().to_owned(),
            }
        })
        .collect();
    violations.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    violations.dedup();
    violations
}
