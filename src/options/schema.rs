//! The only caller of the jsonschema crate: compiles `schemas/options.schema.json` once and
//! lists every violation with the JSON pointer of the offending value.

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

/// Compile the schema now, so the first file to need it does not wait for it.
pub fn warm_up() {
    validator();
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(SCHEMA).expect("schemas/options.schema.json is JSON");
        jsonschema::draft7::new(&schema).expect("schemas/options.schema.json compiles")
    })
}

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
    if validator().is_valid(options) {
        return Vec::new();
    }
    let mut violations: Vec<Violation> = validator()
        .iter_errors(options)
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
