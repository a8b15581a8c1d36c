//! The `model` cell as a typed tree of MLTK codec records.
//!
//! MLTK's decoder hands every JSON object with a `__mlspl_type` key to the codec registered for
//! that `(module, class)`. Here each such object becomes a [`Record`] whose payload is checked
//! the way that codec would read it (npy and npz payloads are parsed completely), without
//! importing or executing anything. Every shape the codec would reject is a [`Problem`].

use std::ops::Range;

use base64::Engine as _;

use super::{npy, npz};
use crate::catalog::catalog;
use crate::json::{self, Member, Node, Value};
use crate::limits::Limits;

/// The key that marks a codec record.
pub const TYPE_KEY: &str = "__mlspl_type";

/// A decoded model cell.
#[derive(Debug)]
pub struct Model<'a> {
    /// The typed tree.
    pub tree: Item<'a>,
    /// Everything a codec would reject, in document order.
    pub problems: Vec<Problem>,
}

/// One node of the typed tree.
#[derive(Debug)]
pub enum Item<'a> {
    /// A JSON value with no codec record inside.
    Plain(&'a Node),
    /// An array holding records somewhere below.
    Array(&'a Node, Vec<Item<'a>>),
    /// An object (not a record) holding records somewhere below.
    Object(&'a Node, Vec<(&'a Member, Item<'a>)>),
    /// A codec record.
    Record(Box<Record<'a>>),
}

/// A codec record: `{"__mlspl_type": [module, class], ...}`.
#[derive(Debug)]
pub struct Record<'a> {
    /// The whole JSON object.
    pub node: &'a Node,
    /// JSON pointer of the object inside the cell.
    pub pointer: String,
    /// `__mlspl_type[0]`.
    pub module: &'a str,
    /// `__mlspl_type[1]`.
    pub class: &'a str,
    /// The `__mlspl_type` member.
    pub type_member: &'a Member,
    /// The codec any known MLTK release uses for this pair, if one does.
    pub codec: Option<&'static str>,
    /// The other members, decoded.
    pub fields: Vec<(&'a Member, Item<'a>)>,
    /// Binary payload, when the codec carries one.
    pub payload: Payload,
}

/// A record's binary payload.
#[derive(Debug)]
pub enum Payload {
    /// None, or it did not decode (see the problems).
    None,
    /// An NPY array (`npy`).
    Array(npy::Array),
    /// An NPZ archive (`sparse_npy`).
    Sparse(npz::Npz),
    /// Bytes (`builtins.bytes`): their length.
    Bytes(usize),
}

/// Which phase a problem belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The record's shape is wrong (MLTK103).
    Record,
    /// A binary payload does not decode (MLTK104).
    Array,
    /// A payload exceeds a resource limit (MLTK109), e.g. an impossible shape or a zip bomb.
    Limit,
}

/// Something a codec would reject.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Record or payload.
    pub kind: ProblemKind,
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// Its range in the cell text.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// Module and class of the record it belongs to.
    pub record: String,
}

impl<'a> Record<'a> {
    /// A member of the record by key.
    pub fn field(&self, key: &str) -> Option<&Item<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(member, _)| member.key == key)
            .map(|(_, item)| item)
    }

    /// The JSON node of the `dict` member's entry `key`, for SimpleObjectCodec records.
    pub fn dict_node(&self, key: &str) -> Option<&'a Node> {
        self.fields
            .iter()
            .rev()
            .find(|(member, _)| member.key == "dict")?
            .0
            .value
            .get(key)
    }

    /// The decoded `dict` entry `key`, when it is a record.
    pub fn dict_record(&self, key: &str) -> Option<&Record<'a>> {
        match self.field("dict")? {
            Item::Object(_, members) => members
                .iter()
                .rev()
                .find(|(member, _)| member.key == key)
                .and_then(|(_, item)| item.as_record()),
            _ => None,
        }
    }

    /// `module.class`.
    pub fn qualified_name(&self) -> String {
        QualifiedName(self.module, self.class).to_string()
    }
}

impl<'a> Item<'a> {
    /// The JSON node under this item.
    pub fn node(&self) -> &'a Node {
        match self {
            Item::Plain(node) | Item::Array(node, _) | Item::Object(node, _) => node,
            Item::Record(record) => record.node,
        }
    }

    /// The record, if this item is one.
    pub fn as_record(&self) -> Option<&Record<'a>> {
        match self {
            Item::Record(record) => Some(record),
            _ => None,
        }
    }

    /// Every record in the subtree, depth first, outer before inner.
    pub fn records(&self) -> Vec<&Record<'a>> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(item) = stack.pop() {
            match item {
                Item::Plain(_) => {}
                Item::Array(_, items) => stack.extend(items.iter().rev()),
                Item::Object(_, members) => stack.extend(members.iter().rev().map(|(_, i)| i)),
                Item::Record(record) => {
                    out.push(&**record);
                    stack.extend(record.fields.iter().rev().map(|(_, i)| i));
                }
            }
        }
        out
    }
}

/// Decode the parsed model cell with the default limits.
pub fn decode(root: &Node) -> Model<'_> {
    decode_with(root, &Limits::default())
}

/// Decode the parsed model cell. Strings longer than `limits.max_string_len`, and npy/npz
/// payloads over `limits.npy`/`limits.npz`, are [`ProblemKind::Limit`] problems.
pub fn decode_with<'a>(root: &'a Node, limits: &Limits) -> Model<'a> {
    decode_inner(root, limits, true)
}

/// [`decode_with`] for the linter: the data of arrays that re-encode as stored is dropped
/// once checked ([`npy::parse_owned_elided`]), so that a model's arrays are never all in
/// memory at once. Their shapes, dtypes and headers stay.
pub fn decode_for_lint<'a>(root: &'a Node, limits: &Limits) -> Model<'a> {
    decode_inner(root, limits, false)
}

fn decode_inner<'a>(root: &'a Node, limits: &Limits, keep_array_data: bool) -> Model<'a> {
    let mut decoder = Decoder {
        problems: Vec::new(),
        limits,
        keep_array_data,
        headers: npy::HeaderMemo::default(),
        pointer: String::new(),
        scratch: Vec::new(),
    };
    let tree = decoder.item(root);
    Model {
        tree,
        problems: decoder.problems,
    }
}

struct Decoder<'l> {
    problems: Vec<Problem>,
    limits: &'l Limits,
    keep_array_data: bool,
    headers: npy::HeaderMemo,
    /// The JSON pointer of the value being decoded, grown and cut back as the walk goes down
    /// and up. It is copied out only for a record or a problem: a string of its own for every
    /// array and object cost an allocation each (5,000 on the corpus, most never read).
    pointer: String,
    /// Decoded payload starts, reused from one payload to the next ([`npy_elided`]).
    scratch: Vec<u8>,
}

/// `module.class` of a record, written out only when a problem names it.
#[derive(Clone, Copy)]
struct QualifiedName<'a>(&'a str, &'a str);

impl std::fmt::Display for QualifiedName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl Decoder<'_> {
    fn problem(
        &mut self,
        kind: ProblemKind,
        record: &dyn std::fmt::Display,
        pointer: &str,
        range: Range<usize>,
        message: String,
    ) {
        self.problems.push(Problem {
            kind,
            pointer: pointer.to_owned(),
            range,
            message,
            record: record.to_string(),
        });
    }

    /// Whether `text` is longer than the string limit.
    fn too_long(&self, text: &str) -> bool {
        u64::try_from(text.len()).map_or(true, |len| len > self.limits.max_string_len)
    }

    /// Report a string (value, or key when `key` is set) longer than the string limit.
    fn check_string(&mut self, text: &str, range: Range<usize>, pointer: &str, key: bool) {
        if self.too_long(text) {
            self.problem(
                ProblemKind::Limit,
                &"",
                pointer,
                range,
                format!(
                    "a JSON string{} of {} bytes is longer than the limit of {}; it is not decoded {}",
                    if key { " (object key)" } else { "" },
                    text.len(),
                    crate::limits::describe_size(self.limits.max_string_len),
                    crate::limits::tag("string-length"),
                ),
            );
        }
    }

    /// Decode `node`, the member `key` (or element `index`) of the value being decoded.
    /// Scalars and strings within the limit are plain data, left as they are.
    fn child<'a>(&mut self, node: &'a Node, token: json::Step<'_>) -> Item<'a> {
        if self.is_leaf(node) {
            return Item::Plain(node);
        }
        let parent = self.pointer.len();
        token.push_into(&mut self.pointer);
        let item = self.item(node);
        self.pointer.truncate(parent);
        item
    }

    /// Whether [`Self::child`] leaves `node` as it is without looking inside: a scalar, or a
    /// string within the limit.
    fn is_leaf(&self, node: &Node) -> bool {
        match &node.value {
            Value::Array(_) | Value::Object(_) => false,
            Value::String(text) => !self.too_long(text),
            _ => true,
        }
    }

    /// Decode `node`, the value at [`Self::pointer`].
    fn item<'a>(&mut self, node: &'a Node) -> Item<'a> {
        if let Value::String(text) = &node.value
            && self.too_long(text)
        {
            let pointer = self.pointer.clone();
            self.check_string(text, node.span.clone(), &pointer, false);
        }
        if let Value::Object(members) = &node.value {
            for member in members {
                if !self.too_long(&member.key) {
                    continue;
                }
                self.check_string(
                    &member.key,
                    member.key_span.clone(),
                    &json::pointer_push(&self.pointer, &member.key),
                    true,
                );
            }
        }
        match &node.value {
            // No vector of children when none can hold a record (an array of numbers).
            Value::Array(items) if items.iter().all(|child| self.is_leaf(child)) => {
                Item::Plain(node)
            }
            Value::Array(items) => {
                let children: Vec<Item<'a>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, child)| self.child(child, json::Step::Index(i)))
                    .collect();
                if children.iter().all(|c| matches!(c, Item::Plain(_))) {
                    Item::Plain(node)
                } else {
                    Item::Array(node, children)
                }
            }
            Value::Object(members) => {
                if let Some(type_member) = members.iter().rev().find(|m| m.key == TYPE_KEY) {
                    return self.record(node, members, type_member);
                }
                if members.iter().all(|m| self.is_leaf(&m.value)) {
                    return Item::Plain(node);
                }
                let children: Vec<(&'a Member, Item<'a>)> = members
                    .iter()
                    .map(|m| (m, self.child(&m.value, json::Step::Key(&m.key))))
                    .collect();
                if children.iter().all(|(_, c)| matches!(c, Item::Plain(_))) {
                    Item::Plain(node)
                } else {
                    Item::Object(node, children)
                }
            }
            _ => Item::Plain(node),
        }
    }

    fn record<'a>(
        &mut self,
        node: &'a Node,
        members: &'a [Member],
        type_member: &'a Member,
    ) -> Item<'a> {
        let pointer = self.pointer.clone();
        let pair = match type_member.value.as_array() {
            Some(
                [
                    Node {
                        value: Value::String(m),
                        ..
                    },
                    Node {
                        value: Value::String(c),
                        ..
                    },
                ],
            ) => Some((m.as_str(), c.as_str())),
            _ => None,
        };
        let Some((module, class)) = pair else {
            self.problem(
                ProblemKind::Record,
                &"?",
                &json::pointer_push(&pointer, TYPE_KEY),
                type_member.value.span.clone(),
                format!(
                    "`{TYPE_KEY}` must be an array of two strings [module, class], found {}",
                    describe(&type_member.value)
                ),
            );
            // Decode the rest as a plain object so inner records are still checked.
            let children = members
                .iter()
                .filter(|m| m.key != TYPE_KEY)
                .map(|m| (m, self.child(&m.value, json::Step::Key(&m.key))))
                .collect();
            return Item::Object(node, children);
        };
        let fields: Vec<(&'a Member, Item<'a>)> = members
            .iter()
            .filter(|m| m.key != TYPE_KEY)
            .map(|m| (m, self.child(&m.value, json::Step::Key(&m.key))))
            .collect();
        let codec = catalog().any_codec(module, class);
        let mut record = Record {
            node,
            pointer,
            module,
            class,
            type_member,
            codec,
            fields,
            payload: Payload::None,
        };
        self.check_shape(&mut record, members);
        Item::Record(Box::new(record))
    }

    /// Check the record against what its codec reads, and decode binary payloads.
    fn check_shape(&mut self, record: &mut Record<'_>, members: &[Member]) {
        let name = QualifiedName(record.module, record.class);
        let get = |key: &str| members.iter().rev().find(|m| m.key == key);
        // Lent for the checks and put back at the end (no early return): a clone per record
        // cost an allocation.
        let pointer = std::mem::take(&mut record.pointer);
        let need = |this: &mut Self, key: &str, want: Want| -> Option<usize> {
            match get(key) {
                None => {
                    this.problem(
                        ProblemKind::Record,
                        &name,
                        &pointer,
                        record.type_member.key_span.start..record.node.span.end,
                        format!(
                            "record `{name}` ({}) lacks its `{key}` member ({}); MLTK's decoder fails with KeyError: '{key}'",
                            record.codec.unwrap_or("unknown codec"),
                            want.describe()
                        ),
                    );
                    None
                }
                Some(member) if !want.accepts(&member.value) => {
                    this.problem(
                        ProblemKind::Record,
                        &name,
                        &json::pointer_push(&pointer, key),
                        member.value.span.clone(),
                        format!(
                            "`{key}` of record `{name}` must be {}, found {}",
                            want.describe(),
                            describe(&member.value)
                        ),
                    );
                    None
                }
                Some(_) => Some(0),
            }
        };
        let codec = record.codec.unwrap_or(match (record.module, record.class) {
            ("algos.AITKContainer", _) => "AITKContainer",
            _ if get("dict").is_some() => "SimpleObjectCodec",
            _ => "",
        });
        match codec {
            "SimpleObjectCodec" | "BirchCodec" | "GBTCodec" | "GenericUnivariateSelectCodec" => {
                need(self, "dict", Want::Object);
                if codec == "BirchCodec" {
                    need(self, "refs", Want::Object);
                }
                if codec == "GenericUnivariateSelectCodec"
                    && let Some(func) = get("dict").and_then(|d| d.value.get("score_func"))
                    && !matches!(func.as_str(), Some("f_classif" | "f_regression"))
                {
                    self.problem(
                                ProblemKind::Record,
                                &name,
                                &json::pointer_push(&json::pointer_push(&pointer, "dict"), "score_func"),
                                func.span.clone(),
                                format!(
                                    "`score_func` must be \"f_classif\" or \"f_regression\"; MLTK fails with: Unsupported GenericUnivariateSelect.score_func \"{}\"",
                                    func.as_str().unwrap_or("?")
                                ),
                            );
                }
                if record.module == "codec.flatten" && record.class == "Ref" {
                    let id = get("dict").and_then(|d| d.value.get("_id"));
                    if id.is_none_or(|id| id.as_str().is_none()) {
                        self.problem(
                            ProblemKind::Record,
                            &name,
                            &json::pointer_push(&pointer, "dict"),
                            record.node.span.clone(),
                            "a `codec.flatten.Ref` record needs `dict._id`, a string".to_owned(),
                        );
                    }
                }
            }
            "NoopCodec" => {}
            "SliceCodec" if need(self, "slice", Want::Array).is_some() => {
                let slice = get("slice").map(|m| &m.value);
                let ok = slice.and_then(Node::as_array).is_some_and(|items| {
                    items.len() == 3 && items.iter().all(|i| i.is_null() || i.as_i64().is_some())
                });
                if !ok {
                    let node = slice.expect("checked");
                    self.problem(
                        ProblemKind::Record,
                        &name,
                        &json::pointer_push(&pointer, "slice"),
                        node.span.clone(),
                        "`slice` must be [start, stop, step], each an integer or null".to_owned(),
                    );
                }
            }
            "SetCodec" => {
                need(self, "set", Want::Array);
            }
            "TypeCodec" if need(self, "type", Want::Array).is_some() => {
                let node = &get("type").expect("checked").value;
                let ok = matches!(node.as_array(), Some([a, b]) if a.as_str().is_some() && b.as_str().is_some());
                if !ok {
                    self.problem(
                        ProblemKind::Record,
                        &name,
                        &json::pointer_push(&pointer, "type"),
                        node.span.clone(),
                        "`type` must be [module, name], two strings".to_owned(),
                    );
                }
            }
            "BytesCodec" if need(self, "str", Want::String).is_some() => {
                let text = get("str").and_then(|m| m.value.as_str()).unwrap_or("");
                record.payload = Payload::Bytes(text.len());
            }
            "NDArrayCodec" if need(self, "npy", Want::String).is_some() => {
                let member = get("npy").expect("checked");
                if let Some(array) = self.npy_payload(&name, &pointer, member) {
                    record.payload = Payload::Array(array);
                }
            }
            "NDArrayWrapperCodec" if need(self, "ndarray", Want::Object).is_some() => {
                let inner = record.field("ndarray").and_then(Item::as_record);
                let member = get("ndarray").expect("checked");
                match inner {
                    Some(inner) => {
                        if let Payload::Array(array) = &inner.payload
                            && array.len() != 1
                        {
                            self.problem(
                                        ProblemKind::Array,
                                        &name,
                                        &json::pointer_push(&pointer, "ndarray"),
                                        member.value.span.clone(),
                                        format!(
                                            "a numpy scalar record must wrap a 1-element array, this one has {} elements",
                                            array.len()
                                        ),
                                    );
                        }
                    }
                    None => self.problem(
                        ProblemKind::Record,
                        &name,
                        &json::pointer_push(&pointer, "ndarray"),
                        member.value.span.clone(),
                        "`ndarray` must be a `numpy.ndarray` record".to_owned(),
                    ),
                }
            }
            "DTypeCodec" => {
                need(self, "descr", Want::StringOrArray);
            }
            "IndexCodec" | "TreeCodec" | "mtrandCodec" => {
                let want = if codec == "IndexCodec" {
                    Want::Object
                } else {
                    Want::Array
                };
                need(self, "init_args", want);
                if codec != "IndexCodec" {
                    need(self, "state", Want::ArrayOrObject);
                }
                if codec == "TreeCodec" {
                    self.check_tree(record, members, &pointer);
                }
            }
            "BlockManagerCodec" => {
                need(self, "state", Want::ArrayOrObject);
            }
            "ExtraTreeRegressorCodec" => {
                need(self, "state", Want::Object);
            }
            "FlagsCodec" => {
                need(self, "allows_duplicate_labels", Want::Bool);
            }
            "DataFrameCodec" => {
                need(self, "data", Want::Array);
                need(self, "index", Want::Array);
                need(self, "columns", Want::Array);
                need(self, "allows_duplicate_labels", Want::Bool);
            }
            "MT19937Codec" => {
                need(self, "state", Want::Object);
            }
            "GeneratorCodec" => {
                if need(self, "bit_generator", Want::String).is_some() {
                    let member = get("bit_generator").expect("checked");
                    if member.value.as_str() != Some("MT19937") {
                        self.problem(
                            ProblemKind::Record,
                            &name,
                            &json::pointer_push(&pointer, "bit_generator"),
                            member.value.span.clone(),
                            format!(
                                "MLTK only restores MT19937 generators; it fails with: Unsupported bit generator: {}",
                                member.value.as_str().unwrap_or("?")
                            ),
                        );
                    }
                }
                need(self, "state", Want::Object);
            }
            "SparseMatrixCodec" => self.check_sparse(record, members, &pointer),
            "KalmanModelCodec" => {
                need(self, "KfModel", Want::String);
            }
            "MLPCodec" => {
                for key in [
                    "coefs_",
                    "intercepts_",
                    "n_layers_",
                    "n_outputs_",
                    "out_activation_",
                ] {
                    need(self, key, Want::Any);
                }
            }
            "AITKContainer" => {
                for key in ["params", "options", "feature_variables"] {
                    need(self, key, Want::Any);
                }
            }
            _ => {}
        }
        record.pointer = pointer;
    }

    /// The array in `member` of the record at `record_pointer`, or a problem.
    fn npy_payload(
        &mut self,
        name: &QualifiedName<'_>,
        record_pointer: &str,
        member: &Member,
    ) -> Option<npy::Array> {
        let text = member.value.as_str()?;
        if self.too_long(text) {
            return None; // reported by `check_string`
        }
        let checked = if self.keep_array_data {
            None
        } else {
            npy_elided(text, &self.limits.npy, &mut self.headers, &mut self.scratch)
        };
        if let Some(parsed) = checked {
            return self.npy_parsed(name, record_pointer, member, parsed);
        }
        let bytes = match decode_base64(text) {
            Ok(bytes) => bytes,
            Err((offset, message)) => {
                let at = member.value.span.start + 1 + offset;
                self.problem(
                    ProblemKind::Array,
                    name,
                    &json::pointer_push(record_pointer, &member.key),
                    at..(at + 1).min(member.value.span.end),
                    format!("`{}` is not valid base64: {message}", member.key),
                );
                return None;
            }
        };
        // The decoded buffer becomes the array's data: no second copy.
        let parsed = if self.keep_array_data {
            npy::parse_owned_with(bytes, &self.limits.npy)
        } else {
            npy::parse_owned_elided_memo(bytes, &self.limits.npy, &mut self.headers)
        };
        self.npy_parsed(name, record_pointer, member, parsed)
    }

    /// The array, or a problem saying why the NPY payload does not load.
    fn npy_parsed(
        &mut self,
        name: &QualifiedName<'_>,
        record_pointer: &str,
        member: &Member,
        parsed: Result<npy::Array, npy::NpyError>,
    ) -> Option<npy::Array> {
        match parsed {
            Ok(array) => Some(array),
            Err(err) => {
                self.problem(
                    if npy_limit(&err).is_some() {
                        ProblemKind::Limit
                    } else {
                        ProblemKind::Array
                    },
                    name,
                    &json::pointer_push(record_pointer, &member.key),
                    member.value.span.clone(),
                    match npy_limit(&err) {
                        Some(limit) => format!(
                            "the NPY payload does not load: {err} {}",
                            crate::limits::tag(limit)
                        ),
                        None => format!("the NPY payload does not load: {err}"),
                    },
                );
                None
            }
        }
    }

    /// `record_pointer`: the record's own pointer, lent out by [`Self::check_shape`].
    fn check_sparse(&mut self, record: &mut Record<'_>, members: &[Member], record_pointer: &str) {
        let name = QualifiedName(record.module, record.class);
        let Some(member) = members.iter().rev().find(|m| m.key == "sparse_npy") else {
            self.problem(
                ProblemKind::Record,
                &name,
                record_pointer,
                record.node.span.clone(),
                format!("record `{name}` lacks its `sparse_npy` member; MLTK's decoder fails with KeyError: 'sparse_npy'"),
            );
            return;
        };
        let pointer = json::pointer_push(record_pointer, "sparse_npy");
        // Python 2 wrote the base64 text directly; Python 3 wraps it in a bytes record.
        let (text, node) = match &member.value.value {
            Value::String(text) => (text.as_str(), &member.value),
            Value::Object(_) => match member.value.get("str") {
                Some(
                    node @ Node {
                        value: Value::String(text),
                        ..
                    },
                ) => (text.as_str(), node),
                _ => {
                    self.problem(
                        ProblemKind::Record,
                        &name,
                        &pointer,
                        member.value.span.clone(),
                        "`sparse_npy` must be base64 text or a `builtins.bytes` record holding it"
                            .to_owned(),
                    );
                    return;
                }
            },
            _ => {
                self.problem(
                    ProblemKind::Record,
                    &name,
                    &pointer,
                    member.value.span.clone(),
                    format!(
                        "`sparse_npy` must be base64 text or a bytes record, found {}",
                        describe(&member.value)
                    ),
                );
                return;
            }
        };
        if self.too_long(text) {
            return; // reported by `check_string`
        }
        let bytes = match decode_base64(text) {
            Ok(bytes) => bytes,
            Err((offset, message)) => {
                let at = node.span.start + 1 + offset;
                self.problem(
                    ProblemKind::Array,
                    &name,
                    &pointer,
                    at..(at + 1).min(node.span.end),
                    format!("`sparse_npy` is not valid base64: {message}"),
                );
                return;
            }
        };
        match npz::parse_with(&bytes, &self.limits.npz_limits()) {
            Ok(archive) => {
                let issues = npz::check_csr(&archive);
                if !issues.is_empty() {
                    self.problem(
                        ProblemKind::Array,
                        &name,
                        &pointer,
                        node.span.clone(),
                        format!(
                            "the NPZ payload is not a valid csr_matrix: {}",
                            issues.join("; ")
                        ),
                    );
                }
                record.payload = Payload::Sparse(archive);
            }
            Err(err) => {
                let limit = npz_limit(&err);
                self.problem(
                    if limit.is_some() {
                        ProblemKind::Limit
                    } else {
                        ProblemKind::Array
                    },
                    &name,
                    &pointer,
                    node.span.clone(),
                    match limit {
                        Some(limit) => format!(
                            "the NPZ payload does not load: {err} {}",
                            crate::limits::tag(limit)
                        ),
                        None => format!("the NPZ payload does not load: {err}"),
                    },
                );
            }
        }
    }

    /// `record_pointer`: the record's own pointer, lent out by [`Self::check_shape`].
    fn check_tree(&mut self, record: &Record<'_>, members: &[Member], record_pointer: &str) {
        let name = QualifiedName(record.module, record.class);
        let Some(state) = members.iter().rev().find(|m| m.key == "state") else {
            return;
        };
        if !matches!(state.value.value, Value::Object(_)) {
            return;
        }
        let state_pointer = || json::pointer_push(record_pointer, "state");
        for key in ["node_count", "nodes", "values"] {
            if state.value.get(key).is_none() {
                self.problem(
                    ProblemKind::Record,
                    &name,
                    &state_pointer(),
                    state.value.span.clone(),
                    format!("the tree state lacks `{key}`; sklearn's Tree.__setstate__ fails"),
                );
            }
        }
        let node_count = state.value.get("node_count").and_then(Node::as_i64);
        let array_of = |key: &str| -> Option<&npy::Array> {
            let Item::Object(_, members) = record.field("state")? else {
                return None;
            };
            let (_, item) = members.iter().rev().find(|(m, _)| m.key == key)?;
            match &item.as_record()?.payload {
                Payload::Array(array) => Some(array),
                _ => None,
            }
        };
        if let (Some(count), Some(nodes)) = (node_count, array_of("nodes")) {
            if nodes.len() != count as u64 {
                let node = state.value.get("nodes").expect("present");
                self.problem(
                    ProblemKind::Array,
                    &name,
                    &json::pointer_push(&state_pointer(), "nodes"),
                    node.span.clone(),
                    format!("`nodes` holds {} nodes but `node_count` is {count}; sklearn rejects the tree state", nodes.len()),
                );
            }
            if let Some(values) = array_of("values")
                && values.shape.first().copied() != Some(count as u64)
            {
                let node = state.value.get("values").expect("present");
                self.problem(
                        ProblemKind::Array,
                        &name,
                        &json::pointer_push(&state_pointer(), "values"),
                        node.span.clone(),
                        format!("`values` has shape {:?}, its first dimension must be `node_count` = {count}", values.shape),
                    );
            }
        }
    }
}

/// What a codec expects in a member.
#[derive(Clone, Copy)]
enum Want {
    Any,
    Object,
    Array,
    ArrayOrObject,
    String,
    StringOrArray,
    Bool,
}

impl Want {
    fn accepts(self, node: &Node) -> bool {
        match self {
            Want::Any => true,
            Want::Object => matches!(node.value, Value::Object(_)),
            Want::Array => matches!(node.value, Value::Array(_)),
            Want::ArrayOrObject => matches!(node.value, Value::Array(_) | Value::Object(_)),
            Want::String => matches!(node.value, Value::String(_)),
            Want::StringOrArray => matches!(node.value, Value::String(_) | Value::Array(_)),
            Want::Bool => matches!(node.value, Value::Bool(_)),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Want::Any => "any value",
            Want::Object => "an object",
            Want::Array => "an array",
            Want::ArrayOrObject => "an array or an object",
            Want::String => "a string",
            Want::StringOrArray => "a string or an array",
            Want::Bool => "a boolean",
        }
    }
}

/// A short description of a JSON value for messages.
pub fn describe(node: &Node) -> String {
    match &node.value {
        Value::String(s) if s.len() <= 40 => format!("the string {s:?}"),
        Value::String(s) => format!("a string of {} characters", s.len()),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(members) => format!("an object with {} members", members.len()),
        _ => node.kind_name().to_string(),
    }
}

/// The linter's NPY payload check without decoding the data: the text is checked as base64
/// where it lies (the SIMD checker writes nothing and allocates nothing), and only the bytes up
/// to the end of the header are decoded; the array is parsed from them and the payload's length
/// ([`npy::parse_prefix_elided_memo`]). Decoding every payload whole cost an allocation of its
/// size and a pass writing it, for data no rule reads. `None` when the text is not base64 that
/// [`decode_base64`] accepts on its fast path, or its prelude is damaged: the caller then
/// decodes it whole, which gives the exact error and offset.
/// `scratch` holds the decoded bytes (a buffer kept across payloads).
fn npy_elided(
    text: &str,
    limits: &npy::Limits,
    memo: &mut npy::HeaderMemo,
    scratch: &mut Vec<u8>,
) -> Option<Result<npy::Array, npy::NpyError>> {
    if !text.len().is_multiple_of(4)
        || base64_simd::STANDARD.check(text.as_bytes()).is_err()
        || !last_quantum_is_strict(text)
    {
        return None;
    }
    // Checked text has its padding (at most two `=`) at the end only.
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count();
    let total = text.len() / 4 * 3 - padding;
    // Whole quanta of checked text decode as they are (padding can only be in the last).
    let decode_start = |chars: usize, scratch: &mut Vec<u8>| {
        scratch.clear();
        base64_simd::STANDARD
            .decode_append(text.get(..chars.min(text.len()))?, scratch)
            .ok()
    };
    // The prelude (magic, version, a length field of 2 or 4 bytes) is in 12 bytes, 16 characters.
    decode_start(16, scratch)?;
    let (prelude_len, data_offset) = (scratch.len(), npy::header_end(scratch)?);
    // Past the header when it is within the limit; else the prelude is all the parser reads.
    let wanted = if data_offset <= 12usize.saturating_add(limits.max_header_len) {
        data_offset
    } else {
        prelude_len
    };
    decode_start(wanted.div_ceil(3).saturating_mul(4), scratch)?;
    Some(npy::parse_prefix_elided_memo(scratch, total, limits, memo))
}

/// Whether the last four characters of `text` decode under strict `base64` (no trailing bits
/// set in a padded quantum), which the SIMD decoder does not check.
fn last_quantum_is_strict(text: &str) -> bool {
    let last_quantum = text.get(text.len().saturating_sub(4)..).unwrap_or_default();
    base64::engine::general_purpose::STANDARD
        .decode_slice(last_quantum, &mut [0; 3])
        .is_ok()
}

/// Strict standard base64 (what Python's `b64encode` writes). On failure: the character
/// offset of the problem and a message.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, (usize, String)> {
    // A SIMD decoder first: base64 payloads are most of a model. It checks the alphabet and
    // the padding; the last quantum is checked again by `base64` (non-zero trailing bits are
    // an error there), and anything the fast decoder rejects goes to `base64` for the exact
    // error. `tests::fast_base64_agrees_with_strict_decoding` holds the two together.
    if let Ok(bytes) = base64_simd::STANDARD.decode_to_vec(text) {
        // Accepted text is ASCII in whole quanta: its last four bytes are the last quantum.
        if last_quantum_is_strict(text) {
            return Ok(bytes);
        }
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|err| match err {
            base64::DecodeError::InvalidByte(at, byte) => (
                at,
                format!(
                    "character {:?} at position {at} is not in the base64 alphabet",
                    byte as char
                ),
            ),
            base64::DecodeError::InvalidLength(len) => (
                text.len().saturating_sub(1),
                format!("{len} characters cannot be complete base64 (Python: Incorrect padding)"),
            ),
            base64::DecodeError::InvalidLastSymbol {
                offset: at,
                symbol: byte,
                ..
            } => (
                at,
                format!(
                    "the last character {:?} at position {at} has trailing bits set",
                    byte as char
                ),
            ),
            base64::DecodeError::InvalidPadding => {
                (text.len().saturating_sub(1), "incorrect padding".to_owned())
            }
        })
}

/// The limit (a [`crate::limits::TABLE`] name) an NPY error hit, if it is a resource limit
/// (MLTK109) rather than a broken payload.
fn npy_limit(err: &npy::NpyError) -> Option<&'static str> {
    match err {
        npy::NpyError::TooManyElements { .. } | npy::NpyError::Overflow => Some("npy-elements"),
        npy::NpyError::HeaderTooLong { .. } => Some("npy-header"),
        _ => None,
    }
}

/// The limit an NPZ error hit, if it is a resource limit (MLTK109) rather than a broken
/// archive.
fn npz_limit(err: &npz::NpzError) -> Option<&'static str> {
    match err {
        npz::NpzError::TooManyMembers { .. } => Some("npz-members"),
        npz::NpzError::BombSuspected { .. } => Some("npz-uncompressed"),
        npz::NpzError::RatioTooHigh { .. } => Some("npz-ratio"),
        npz::NpzError::Member { source, .. } => npy_limit(source),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings and keys over the string limit are reported with the pointer of where they
    /// are, at any depth and inside records, though pointers are built only for them.
    #[test]
    fn long_strings_get_their_pointers() {
        let limits = Limits {
            max_string_len: 12, // `__mlspl_type` is 12 bytes
            ..Limits::default()
        };
        let text = r#"{"a": [1, "short", {"b": "a long string"}], "__mlspl_type": ["m", "C"],
            "dict": {"c/d": [null, "another long one"], "a much longer key": 0}}"#;
        let root = json::parse(text).expect("valid JSON");
        let model = decode_with(&root, &limits);
        let pointers: Vec<&str> = model
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Limit)
            .map(|p| p.pointer.as_str())
            .collect();
        assert_eq!(
            pointers,
            ["/a/2/b", "/dict/a much longer key", "/dict/c~1d/1"],
            "{:?}",
            model.problems
        );
    }

    /// The SIMD fast path of [`decode_base64`] gives what strict `base64` gives: the bytes of
    /// every valid payload, an error for every invalid one.
    #[test]
    fn fast_base64_agrees_with_strict_decoding() {
        let strict = |t: &str| base64::engine::general_purpose::STANDARD.decode(t).ok();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || crate::test_rng::xorshift(&mut state);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n";
        let (mut valid, mut invalid) = (0, 0);
        for case in 0..20_000 {
            let len = (next() % 80) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut text = base64::engine::general_purpose::STANDARD
                .encode(&data)
                .into_bytes();
            // Two thirds of the cases change one or two characters (often to another valid one).
            for _ in 0..(case % 3) {
                if !text.is_empty() {
                    let at = (next() as usize) % text.len();
                    text[at] = alphabet[(next() as usize) % alphabet.len()];
                }
            }
            if case % 7 == 0 {
                text.truncate(text.len().saturating_sub((next() % 3) as usize));
            }
            let text = String::from_utf8(text).expect("ASCII");
            let expected = strict(&text);
            if expected.is_some() {
                valid += 1;
            } else {
                invalid += 1;
            }
            assert_eq!(decode_base64(&text).ok(), expected, "{text:?}");
        }
        assert!(
            valid > 2_000 && invalid > 2_000,
            "{valid} valid, {invalid} invalid"
        );
        // Non-zero trailing bits: strict base64 rejects them.
        assert_eq!(decode_base64("QQ=="), Ok(b"A".to_vec()));
        assert!(decode_base64("QR==").is_err());
        assert!(decode_base64("QUJ=").is_err());
    }

    /// Checking a payload's base64 in place and decoding only up to its header gives what
    /// decoding it whole and parsing the bytes gives (data elided; `trailing_data` is left
    /// out for payloads longer than their header, as no rule and no re-encoding of an elided
    /// array reads it), through the same header memo; and it declines (so the caller decodes
    /// whole and reports the exact error) on any text the whole decode's fast path rejects.
    #[test]
    fn checked_npy_matches_the_whole_decode() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || crate::test_rng::xorshift(&mut state);
        let npy = |version: u8, header: &str, data: usize, extra: &[u8]| {
            let mut payload = vec![0x93, b'N', b'U', b'M', b'P', b'Y', version, 0];
            let len_size = if version == 1 { 2 } else { 4 };
            let mut padded = header.to_owned();
            while !(8 + len_size + padded.len() + 1).is_multiple_of(64) {
                padded.push(' ');
            }
            padded.push('\n');
            let len = padded.len() as u32;
            payload.extend_from_slice(&len.to_le_bytes()[..len_size]);
            payload.extend_from_slice(padded.as_bytes());
            payload.extend((0..data).map(|i| (i % 251) as u8));
            payload.extend_from_slice(extra);
            payload
        };
        let f8 =
            |n: usize| format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}");
        let mut payloads = vec![
            npy(1, &f8(3), 24, b""),
            npy(1, &f8(3), 24, b"xy"), // trailing bytes numpy ignores
            npy(1, &f8(3), 20, b""),   // truncated data
            npy(2, &f8(1000), 8000, b""),
            npy(3, &f8(0), 0, b""),
            npy(1, &f8(400_000), 3_200_000, b"z"),
            npy(
                1,
                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                9,
                b"",
            ),
            npy(1, "{'descr': '<f8', 'shape': (2,), }", 16, b""), // a key missing
            npy(1, "not a dict", 4, b""),
            npy(9, &f8(1), 8, b""),    // a version numpy does not write
            b"\x93NUMPY\x01".to_vec(), // a short prelude
            b"\x93NUMPZ\x01\x00\x10\x00".to_vec(),
            Vec::new(),
        ];
        let mut long_header = npy(1, &f8(2), 16, b"");
        long_header[8] = 0xff; // a header length past the payload
        payloads.push(long_header);
        let small = npy::Limits {
            max_header_len: 64,
            ..npy::Limits::default()
        };
        let mut checked_cases = 0;
        for limits in [npy::Limits::default(), small] {
            let (mut whole_memo, mut checked_memo) = Default::default();
            // One buffer for every payload, as the decoder keeps it.
            let mut scratch = Vec::new();
            // Twice over, so that the second round is answered from the memos.
            for payload in payloads.iter().chain(&payloads) {
                let text = base64::engine::general_purpose::STANDARD.encode(payload);
                let mut texts = vec![text.clone()];
                for _ in 0..6 {
                    let mut bad = text.clone().into_bytes();
                    if !bad.is_empty() {
                        let at = (next() as usize) % bad.len();
                        bad[at] = b"*=A/"[(next() % 4) as usize];
                    }
                    texts.push(String::from_utf8(bad).expect("ASCII"));
                }
                texts.push(text[..text.len().saturating_sub(1)].to_owned());
                // Trailing bits set in a padded last quantum: the SIMD check accepts it.
                let pads = text.bytes().rev().take_while(|&b| b == b'=').count();
                if pads > 0 {
                    let mut bits = text.clone().into_bytes();
                    let at = bits.len() - pads - 1;
                    bits[at] = b'B';
                    texts.push(String::from_utf8(bits).expect("ASCII"));
                }
                for text in texts {
                    let whole = decode_base64(&text)
                        .ok()
                        .map(|bytes| npy::parse_owned_elided_memo(bytes, &limits, &mut whole_memo));
                    let Some(mut checked) =
                        npy_elided(&text, &limits, &mut checked_memo, &mut scratch)
                    else {
                        // Only damaged text, or a payload whose prelude does not parse.
                        let original =
                            text == base64::engine::general_purpose::STANDARD.encode(payload);
                        assert!(
                            !original || npy::header_end(payload).is_none(),
                            "declined a valid payload: {:?}",
                            &text[..text.len().min(40)]
                        );
                        continue;
                    };
                    checked_cases += 1;
                    let mut whole = whole.expect("checked text decodes whole");
                    if let (Ok(a), Ok(b)) = (&mut checked, &mut whole) {
                        // Only a payload decoded whole keeps the bytes after its data.
                        if a.trailing_data.is_empty() {
                            b.trailing_data.clear();
                        }
                    }
                    assert_eq!(checked, whole, "{:?}", &text[..text.len().min(40)]);
                }
            }
        }
        assert!(checked_cases > 40, "{checked_cases}");
    }
}
