//! What a rule sees: the artifact and every phase's result, decoded once.

use crate::artifact::Artifact;
use crate::artifact::csv::{Field, Record};
use crate::artifact::span::Span;
use crate::catalog::Version;
use crate::codec::ModelCell;
use crate::codec::model::Model;
use crate::json::Node;
use crate::options::OptionsCell;

/// Everything the rules of one file read. Built by the linter; rules never decode again.
pub struct Context<'a> {
    /// The file.
    pub artifact: &'a Artifact,
    /// The file name (no directory), when there is one.
    pub file_name: Option<&'a str>,
    /// The MLTK release the artifact must load in.
    pub target: &'a Version,
    /// The run's resource limits (the decoders already applied them).
    pub limits: &'a crate::limits::Limits,
    /// Algorithms the user declared as their own.
    pub custom_algorithms: &'a [crate::settings::CustomAlgorithm],
    /// The `model` cell, classified.
    pub model_cell: &'a ModelCell,
    /// The decoded model tree, when the cell is JSON.
    pub model: Option<&'a Model<'a>>,
    /// The `options` cell, parsed.
    pub options: &'a OptionsCell,
    /// The decoded model's records, listed on first use ([`Context::records`]).
    pub(crate) records: std::cell::OnceCell<Vec<&'a crate::codec::model::Record<'a>>>,
}

/// Which cell a JSON pointer is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// `algo`.
    Algo,
    /// `model`.
    Model,
    /// `options`.
    Options,
}

impl Cell {
    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Cell::Algo => "algo",
            Cell::Model => "model",
            Cell::Options => "options",
        }
    }
}

impl<'a> Context<'a> {
    /// Every record of the decoded model, depth first, outer before inner (none without a
    /// decoded model). Listed once: three rules walk them all, and each walk of the tree
    /// cost as much as a rule.
    pub fn records(&self) -> &[&'a crate::codec::model::Record<'a>] {
        self.records.get_or_init(|| {
            self.model
                .map(|model| model.tree.records())
                .unwrap_or_default()
        })
    }

    /// The first data row: what MLTK loads.
    pub fn row(&self) -> Option<&'a Record> {
        self.artifact.first_row()
    }

    /// A cell of the first data row.
    pub fn cell(&self, cell: Cell) -> Option<&'a Field> {
        self.artifact.cell(cell.name())
    }

    /// The `algo` cell's text.
    pub fn algo(&self) -> Option<&'a str> {
        self.cell(Cell::Algo).map(|f| f.value.as_str())
    }

    /// File span of a range of a cell's decoded text.
    pub fn span_in(&self, cell: Cell, range: std::ops::Range<usize>) -> Span {
        self.cell(cell)
            .map(|field| field.map.span(range))
            .unwrap_or_default()
    }

    /// File span of the one character at decoded `offset` of a cell (empty at its end).
    pub fn char_span_at(&self, cell: Cell, offset: usize) -> Span {
        let Some(field) = self.cell(cell) else {
            return Span::default();
        };
        let at = offset.min(field.value.len());
        let end = field.value[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        field.map.span(at..end)
    }

    /// File span of a JSON node of a cell.
    pub fn node_span(&self, cell: Cell, node: &Node) -> Span {
        self.span_in(cell, node.span.clone())
    }

    /// The parsed options object, if the cell is JSON.
    pub fn options_root(&self) -> Option<&'a Node> {
        match self.options {
            OptionsCell::Json(root) => Some(root),
            _ => None,
        }
    }

    /// The root of the model JSON, if the cell is JSON.
    pub fn model_root(&self) -> Option<&'a Node> {
        match self.model_cell {
            ModelCell::Json(root) => Some(root),
            _ => None,
        }
    }

    /// The whole file, for findings about it as a whole.
    pub fn file_start(&self) -> Span {
        Span::new(0, 0)
    }
}
