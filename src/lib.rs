//! mltk-lint: read, decode and lint Splunk MLTK model artifacts (`__mlspl_*.mlmodel`).
//!
//! The library never prints; [`cli::run`] writes to the streams it is given.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod artifact;
pub mod catalog;
pub mod cli;
pub mod codec;
pub mod config;
pub mod diagnostic;
pub mod docs;
pub mod format_cmd;
pub mod inputs;
pub mod inspect;
pub mod json;
pub mod limits;
pub mod linter;
pub mod options;
pub mod ordered;
pub mod pickle_file;
pub mod report;
pub mod roundtrip;
pub mod rules;
pub mod settings;
pub mod sniff;
pub mod suppressions;
#[cfg(test)]
mod test_rng;

pub use diagnostic::{Diagnostic, Severity};
pub use linter::{FileReport, lint_bytes};
pub use settings::Settings;
