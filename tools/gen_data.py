#!/usr/bin/env python3
"""Generate mltk-lint's data files from the MLTK format research.

Reads the machine-readable facts beside the format spec (default: ../shared/spec, i.e.
`mltk-algorithms.json`, `mltk-builtin-codecs.json`, `mlspl-conf.json`) and writes:

  data/mltk-versions.json         per-MLTK-version knowledge (codecs, algorithms, mlspl.conf)
                                  plus the module renames seen between versions
  schemas/options.schema.json     JSON Schema (draft-07) for the `options` cell

Both outputs are committed to the repository (the Rust crate reads them when it is built:
build.rs turns mltk-versions.json into the code that builds the catalog, and
`#[jsonschema::validator]` compiles the schema), so re-run this script after the spec facts
change and commit the result:

  python3 tools/gen_data.py                 # rewrite the files
  python3 tools/gen_data.py --check         # exit 1 with a unified diff if they are stale
  python3 tools/gen_data.py --spec DIR      # read the facts from DIR

Output is deterministic: dictionary keys are sorted wherever their order carries no
meaning (everything in mltk-versions.json; the schema keeps its authored order), lists are
in a defined order, 1-space indentation, ASCII, trailing newline. Python 3 standard library
only. See docs/data.md for where every fact comes from and the choices made here.
"""

import argparse
import difflib
import json
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SPEC = os.path.join(os.path.dirname(REPO_ROOT), "shared", "spec")

VERSIONS_PATH = "data/mltk-versions.json"
SCHEMA_PATH = "schemas/options.schema.json"

SPEC_FILES = ("mltk-algorithms.json", "mltk-builtin-codecs.json", "mlspl-conf.json")

SNAPSHOT_KEY = "5.x-py3.7-snapshot-2020 (exact version unknown)"
SPEC_ONLY_KEY = "5.x-spec-only (version unknown; between 4.x and 5.5)"

OLD_UNKNOWN_TYPE = 'No codec for record of type "{module}.{class}"'
NEW_UNKNOWN_TYPE = (
    "The model may not be compatible with this version of MLTK. "
    "Please try re-creating the model."
)

# Facts that live in the prose of mltk-format.md, not in the JSON companions:
#   python           -- §0 (3.4.0/4.0.0 are Py2 app copies; 5.x copies are Py3)
#   model_extension  -- §1.1 (<= 4.0.0 `.csv`; 5.x `MODEL_EXTENSION = '.mlmodel'`)
#   unknown_type     -- §1.5 (old text up to the 5.x-2020 snapshot; new text in 5.5.0, 5.7.4)
# `key` is the version's key in mltk-algorithms.json / mltk-builtin-codecs.json and `conf`
# its key in mlspl-conf.json (the Dec-2020 snapshot has no mlspl.conf of its own; the
# undated 5.x mlspl.conf.spec copy stands in for it).
VERSIONS = [
    {
        "id": "3.4.0",
        "key": "3.4.0",
        "conf": "3.4.0",
        "aliases": [],
        "label": "3.4.0",
        "python": 2,
        "model_extension": ".csv",
        "unknown_type_message": OLD_UNKNOWN_TYPE,
    },
    {
        "id": "4.0.0",
        "key": "4.0.0",
        "conf": "4.0.0",
        "aliases": [],
        "label": "4.0.0",
        "python": 2,
        "model_extension": ".csv",
        "unknown_type_message": OLD_UNKNOWN_TYPE,
    },
    {
        "id": "5.x-2020",
        "key": SNAPSHOT_KEY,
        "conf": SPEC_ONLY_KEY,
        "aliases": [SNAPSHOT_KEY],
        "label": "5.x-2020 (Dec-2020 snapshot of MLTK 5.x, roughly 5.2; exact version unknown)",
        "python": 3,
        "model_extension": ".mlmodel",
        "unknown_type_message": OLD_UNKNOWN_TYPE,
    },
    {
        "id": "5.5.0",
        "key": "5.5.0",
        "conf": "5.5.0",
        "aliases": [],
        "label": "5.5.0",
        "python": 3,
        "model_extension": ".mlmodel",
        "unknown_type_message": NEW_UNKNOWN_TYPE,
    },
    {
        "id": "5.7.4",
        "key": "5.7.4",
        "conf": "5.7.4",
        "aliases": [],
        "label": "5.7.4 (AI Toolkit)",
        "python": 3,
        "model_extension": ".mlmodel",
        "unknown_type_message": NEW_UNKNOWN_TYPE,
    },
]

# Top-level module -> library, for renames. `mtrand` is numpy's old top-level name for
# numpy.random.mtrand; `__builtin__` is Python 2's `builtins`.
LIBRARY_OF_TOP = {
    "sklearn": "sklearn",
    "numpy": "numpy",
    "mtrand": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "builtins": "python",
    "__builtin__": "python",
}

RANGE_PATTERNS = (
    re.compile(r"between ([0-9]+(?:\.[0-9]+)?) and ([0-9]+(?:\.[0-9]+)?)"),
    re.compile(r"\(([0-9]+(?:\.[0-9]+)?)-([0-9]+(?:\.[0-9]+)?)\)"),
)


class SpecError(Exception):
    """The spec facts do not have the shape this generator expects."""


def load_spec(spec_dir):
    facts = {}
    for name in SPEC_FILES:
        path = os.path.join(spec_dir, name)
        try:
            with open(path, encoding="utf-8") as handle:
                facts[name] = json.load(handle)
        except OSError as error:
            raise SpecError(f"cannot read {path}: {error}") from error
    return facts


# ---------------------------------------------------------------------------------------
# data/mltk-versions.json
# ---------------------------------------------------------------------------------------


def registration_list(triples, where):
    """Sorted, de-duplicated [module, class, codec] triples; refuses conflicting codecs."""
    seen = {}
    for triple in triples:
        if not (isinstance(triple, list) and len(triple) == 3 and all(isinstance(x, str) for x in triple)):
            raise SpecError(f"{where}: not a [module, class, codec] triple: {triple!r}")
        module, cls, codec = triple
        if seen.get((module, cls), codec) != codec:
            # Sorting would then change which registration wins; keep the facts honest.
            raise SpecError(f"{where}: {module}.{cls} registered with two codecs")
        seen[(module, cls)] = codec
    return [[m, c, k] for (m, c), k in sorted(seen.items())]


def number(text):
    return float(text) if "." in text else int(text)


def value_range(meaning):
    for pattern in RANGE_PATTERNS:
        match = pattern.search(meaning or "")
        if match:
            return number(match.group(1)), number(match.group(2))
    return None


def stanza_kind(name):
    if name == "default":
        return "default"
    if name.startswith("score:"):
        return "scoring"
    if name.startswith("ai:") or name == "CTSM":
        return "ai"
    return "algorithm"


def conf_field(version_conf, stanza, name, fact, where):
    field_type = fact.get("type")
    notes = []
    if fact.get("note"):
        notes.append(fact["note"])
    if field_type is None:
        # 4.0.0 [MLPClassifier] max_fit_time is shipped but absent from that spec; the
        # field has a type wherever else it is documented ([default] of the same version).
        default_fact = version_conf.get("default", {}).get(name, {})
        field_type = default_fact.get("type")
        if field_type is None:
            raise SpecError(f"{where}: no type and none to infer")
        notes.append(f"type not in this version's spec; inferred from [default] {name}")
    if fact.get("in_default_conf"):
        default, default_from = fact.get("shipped_value"), "default_conf"
    else:
        default, default_from = fact.get("spec_default"), "spec"
        if default == "empty":
            # The spec's own words ("defaults to empty"); the conf value is an empty string.
            default = ""
            notes.append("spec says the default is empty; recorded as \"\"")
    if default is None:
        raise SpecError(f"{where}: no shipped value and no spec default")
    field = {
        "type": field_type,
        "default": default,
        "default_from": default_from,
        "spec_default": fact.get("spec_default"),
        "in_spec": fact.get("in_spec"),
        "in_default_conf": fact.get("in_default_conf"),
        "description": fact.get("meaning", ""),
    }
    bounds = value_range(fact.get("meaning"))
    if bounds:
        field["min"], field["max"] = bounds
    if notes:
        field["note"] = "; ".join(notes)
    return field


def mlspl_conf(conf_facts, conf_key):
    version_conf = conf_facts[conf_key]
    stanzas = {}
    for stanza, fields in version_conf.items():
        if stanza.startswith("_"):
            continue
        if "kind" in fields:
            raise SpecError(f"mlspl-conf.json {conf_key} [{stanza}]: a field named 'kind' collides")
        out = {"kind": stanza_kind(stanza)}
        for name, fact in fields.items():
            out[name] = conf_field(version_conf, stanza, name, fact, f"mlspl-conf.json {conf_key} [{stanza}] {name}")
        stanzas[stanza] = out
    if "default" not in stanzas:
        raise SpecError(f"mlspl-conf.json {conf_key}: no [default] stanza")
    return stanzas


def algorithms(algo_facts, key):
    out = {}
    for name, fact in algo_facts[key].items():
        out[name] = {
            "module": fact["module"],
            "saves_model": fact["saves_model"],
            "codecs": registration_list(fact["codecs"], f"mltk-algorithms.json {key} {name}"),
            "custom_codecs": sorted(set(fact.get("custom_codecs", []))),
            "in_default_algos_conf": fact.get("in_default_algos_conf"),
            "notes": fact.get("notes", ""),
        }
    return out


def codec_table(version):
    """Every (module, class, codec) a version knows: built-ins plus all algorithms'."""
    table = {tuple(t) for t in version["builtin_codecs"]}
    for algo in version["algorithms"].values():
        table.update(tuple(t) for t in algo["codecs"])
    return table


def library_of(module):
    return LIBRARY_OF_TOP.get(module.split(".")[0])


def renames(versions):
    """Module renames between consecutive versions.

    A rename is a registration (module2, class, codec) new in version B whose class and codec
    were registered in the previous version A under another module1 of the same library
    (sklearn, numpy incl. `mtrand`, scipy, pandas, Python builtins). MLTK's own `algos*`
    modules and Cython `_loss` are not libraries here, so an algorithm wrapper never pairs
    with the sklearn class of the same name. `old_still_registered` says whether B still
    registers module1 too (then old files keep loading in B).
    """
    out = []
    for older, newer in zip(versions, versions[1:]):
        old_table, new_table = codec_table(older), codec_table(newer)
        for module2, cls, codec in sorted(new_table - old_table):
            library = library_of(module2)
            if library is None:
                continue
            for module1, cls1, codec1 in sorted(old_table):
                if cls1 != cls or codec1 != codec or module1 == module2 or library_of(module1) != library:
                    continue
                out.append(
                    {
                        "class": cls,
                        "codec": codec,
                        "from": module1,
                        "to": module2,
                        "library": library,
                        "first_version": newer["id"],
                        "previous_version": older["id"],
                        "old_still_registered": (module1, cls, codec) in new_table,
                    }
                )
    order = {v["id"]: i for i, v in enumerate(versions)}
    out.sort(key=lambda r: (order[r["first_version"]], r["library"], r["from"], r["class"], r["to"]))
    return out


def build_versions(facts):
    algo_facts = facts["mltk-algorithms.json"]
    codec_facts = facts["mltk-builtin-codecs.json"]
    conf_facts = facts["mlspl-conf.json"]

    expected = {v["key"] for v in VERSIONS}
    for name, table in (("mltk-algorithms.json", algo_facts), ("mltk-builtin-codecs.json", codec_facts)):
        found = {k for k in table if not k.startswith("_")}
        if found != expected:
            raise SpecError(f"{name}: versions {sorted(found)} differ from the expected {sorted(expected)}")
    conf_expected = {v["conf"] for v in VERSIONS}
    conf_found = {k for k in conf_facts if not k.startswith("_")}
    if conf_found != conf_expected:
        raise SpecError(f"mlspl-conf.json: versions {sorted(conf_found)} differ from {sorted(conf_expected)}")

    versions = []
    for meta in VERSIONS:
        conf = mlspl_conf(conf_facts, meta["conf"])
        size = conf["default"].get("max_model_size_mb")
        if size is None:
            raise SpecError(f"mlspl-conf.json {meta['conf']}: [default] has no max_model_size_mb")
        conf_source = conf_facts[meta["conf"]].get("_source", {})
        versions.append(
            {
                "id": meta["id"],
                "aliases": meta["aliases"],
                "label": meta["label"],
                "python": meta["python"],
                "model_extension": meta["model_extension"],
                "unknown_type_message": meta["unknown_type_message"],
                "max_model_size_mb_default": int(size["default"]),
                "builtin_codecs": registration_list(codec_facts[meta["key"]], f"mltk-builtin-codecs.json {meta['key']}"),
                "algorithms": algorithms(algo_facts, meta["key"]),
                "mlspl_conf": conf,
                "provenance": {
                    "facts_key": meta["key"],
                    "mlspl_conf_facts_key": meta["conf"],
                    "mlspl_conf_sources": conf_source,
                },
            }
        )
    return {
        "_about": (
            "Generated by tools/gen_data.py from ../shared/spec/mltk-algorithms.json, "
            "mltk-builtin-codecs.json and mlspl-conf.json (MLTK format research, "
            "mltk-format.md sections 1-4) -- do not edit; regenerate and commit. "
            "versions: oldest to newest. Per version: builtin_codecs = codec.codecs.CODECS as "
            "[module, class, codec] (sorted); algorithms = built-in algorithms with what their "
            "register_codecs() adds (sorted, de-duplicated); mlspl_conf = stanza -> {kind, "
            "field -> {type, default, ...}} where default is the effective value MLTK ships "
            "(shipped_value of default/mlspl.conf when the field is in it, else the spec "
            "default; default_from says which); min/max only where the spec states a range. "
            "The 5.x-2020 snapshot has no mlspl.conf of its own: its mlspl_conf is the undated "
            "5.x mlspl.conf.spec copy (mlspl-conf.json key '" + SPEC_ONLY_KEY + "'), so all its "
            "defaults are spec defaults. python, model_extension and unknown_type_message come "
            "from mltk-format.md sections 0, 1.1 and 1.5. renames: module paths that changed "
            "for the same class and codec between consecutive versions. See docs/data.md."
        ),
        "versions": versions,
        "renames": renames(versions),
    }


# ---------------------------------------------------------------------------------------
# schemas/options.schema.json
# ---------------------------------------------------------------------------------------

SAGEMAKER_OR_VERTEX = {
    "anyOf": [
        {"required": ["runtime"], "properties": {"runtime": {"enum": ["sagemaker", "vertex"]}}},
        {
            "required": ["algo_name"],
            "properties": {"algo_name": {"enum": ["sagemaker_custom_model", "vertex_custom_model"]}},
        },
    ]
}

ONNX = {"required": ["is_onnx"], "properties": {"is_onnx": {"const": True}}}

LEGACY_VARIABLES = {"anyOf": [{"required": ["explanatory_variables"]}, {"required": ["variables"]}]}


def build_schema():
    field_list = {"$ref": "#/definitions/fieldList"}
    # Draft-07, not 2020-12: the schema needs nothing newer, editors support draft-07 best,
    # and jsonschema checks a schema against its draft's meta-schema when compiling it; the
    # 2020-12 one (seven vocabularies, $dynamicRef) made that half of every run's schema set-up.
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://mltk-lint.invalid/schemas/options.schema.json",
        "title": "Splunk MLTK model file: the options cell",
        "description": (
            "The third cell (`options`) of a Splunk MLTK/AI Toolkit model file "
            "(`__mlspl_<name>.mlmodel`, `.csv` up to MLTK 4.x): json.dumps of the fit options. "
            "MLTK json.loads it and updates it with the search's options, so it must be a JSON "
            "object; unknown keys are kept and ignored. Generated by tools/gen_data.py from "
            "mltk-format.md sections 5 and 6 -- do not edit. Per-field checks of mlspl_limits "
            "values are the linter's (data/mltk-versions.json), not this schema's."
        ),
        "type": "object",
        "properties": {
            "args": {
                "description": (
                    "Positional field tokens of the fit command exactly as typed (for supervised "
                    "algorithms the target first), wildcards such as `petal*` unexpanded. Written "
                    "when positional fields were given; informational after fit."
                ),
                **field_list,
            },
            "params": {
                "description": (
                    "The fit command's `key=value` parameters; values are the raw strings from "
                    "the search (quotes may be kept, e.g. \"\\\"a,b\\\"\"). sample_count, "
                    "sample_seed, kfold_cv, apply and partial_fit are removed before saving."
                ),
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "feature_variables": {
                "description": (
                    "Feature field names, a list of strings (may contain globs like `petal*`). "
                    "Required at apply: MLTK's get_relevant_fields indexes it, so a missing key "
                    "fails with KeyError and a string is iterated character by character. "
                    "Pre-2.2 models may carry `explanatory_variables`/`variables` instead (renamed "
                    "on load). SageMaker/Vertex registrations write \"\" when they have no "
                    "input_feature_map."
                ),
            },
            "target_variable": {
                "description": (
                    "Target field of a supervised model as a one-element list of strings; apply "
                    "iterates it as a list. Absent for unsupervised algorithms. ONNX uploads "
                    "(is_onnx) store a single string in 5.5.0 and a list in 5.7.4; SageMaker/"
                    "Vertex registrations write \"\" when they have no output_prediction_map."
                ),
            },
            "split_by": {
                "description": "Fields of the fit command's BY clause (list of strings).",
                **field_list,
            },
            "output_name": {
                "description": "Output field name from the fit command's AS clause.",
                "type": "string",
            },
            "model_name": {
                "description": (
                    "The INTO name without `app:`/`user:`. Always written for saved models, but "
                    "not needed to load: MLTK lists models by file name and apply overrides this "
                    "value, so it may differ from the file name (renamed files)."
                ),
                "type": "string",
            },
            "algo_name": {
                "description": (
                    "Algorithm name (MLTK 2.3+). The loader uses the `algo` cell, not this value; "
                    "they should agree. SageMaker/Vertex: `sagemaker_custom_model` / "
                    "`vertex_custom_model`."
                ),
                "type": "string",
            },
            "mlspl_limits": {
                "description": (
                    "Copy of the algorithm's effective mlspl.conf stanza at fit time (its stanza "
                    "merged over [default]). Values are conf strings (\"100000\", \"true\"/\"1\"); "
                    "only `disabled` (added by Splunk's REST conf endpoint) is a JSON boolean. "
                    "Replaced by the current stanza at apply, except for ONNX models, whose apply "
                    "reads max_model_size_mb from here. Absent from some MLTK 3.4.0 test fixtures "
                    "and from pre-3.4 models."
                ),
                "type": "object",
                "properties": {
                    "disabled": {
                        "description": "Stanza flag added by Splunk's REST conf endpoint (JSON boolean).",
                        "type": "boolean",
                    }
                },
                "additionalProperties": {"type": "string"},
            },
            "kfold_cv": {
                "description": "Written as null since MLTK 4.0 (kfold_cv cannot be combined with INTO).",
                "type": "null",
            },
            "session_key": {
                "description": (
                    "The fitting search's Splunk session key, which MLTK 5.7.x fit saves into the "
                    "options (a secret: it must not be shipped or committed)."
                ),
                "type": "string",
            },
            "explanatory_variables": {
                "description": "Pre-2.2 name of feature_variables; MLTK renames it on load.",
                **field_list,
            },
            "variables": {
                "description": (
                    "Pre-2.2 name of target_variable (or of feature_variables when it is the only "
                    "variable key); MLTK renames it on load."
                ),
                **field_list,
            },
            "algos": {
                "description": (
                    "List of all algorithm names; found only in MLTK 3.4.0's shipped test "
                    "fixtures (an artefact, ignored by MLTK)."
                ),
                **field_list,
            },
            "is_onnx": {
                "description": "ONNX upload (MLTK 5.4+): true; the file is `__mlspl_<name>.onnx.mlmodel`, algo `onnx`.",
                "type": "boolean",
            },
            "dispatch_dir": {
                "description": "ONNX upload: written as null.",
                "type": ["null", "string"],
            },
            "payload": {
                "description": "ONNX upload: path of the uploaded file in the staging area at upload time.",
                "type": "string",
            },
            "runtime": {
                "description": "SageMaker/Vertex registration (5.7.x): `sagemaker` or `vertex`.",
                "type": "string",
            },
            "endpoint_name": {
                "description": "SageMaker/Vertex registration: name of the remote inference endpoint.",
                "type": "string",
            },
            "description": {
                "description": "SageMaker/Vertex registration: free-text description (null when not given).",
                "type": ["string", "null"],
            },
            "input_feature_map": {
                "description": "SageMaker/Vertex: Splunk column -> request JSON path; its keys become feature_variables.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "output_prediction_map": {
                "description": "SageMaker/Vertex: response JSON path -> Splunk column; its values become target_variable.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "openapi_spec": {
                "description": "SageMaker/Vertex: OpenAPI document of the endpoint (an object).",
                "type": "object",
            },
            "batch_size": {
                "description": "SageMaker/Vertex: rows per request, 1 to 10000 (registration validates it).",
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 10000,
            },
            "metadata": {
                "description": "SageMaker/Vertex: registration metadata (version, creation/modification user and time, or search info).",
                "type": "object",
            },
            "namespace": {
                "description": "Never saved by MLTK (popped before writing); its presence means a hand-made file.",
            },
            "tmp_dir": {
                "description": "Never saved by MLTK (popped before writing); its presence means a hand-made file.",
            },
        },
        "additionalProperties": True,
        "allOf": [
            {
                "description": (
                    "Types of feature_variables/target_variable by kind of model: SageMaker/Vertex "
                    "allow \"\"; ONNX allows a string target; every other model needs lists."
                ),
                "if": {"$ref": "#/definitions/isSageMakerOrVertex"},
                "then": {
                    "properties": {
                        "feature_variables": {"$ref": "#/definitions/fieldListOrEmpty"},
                        "target_variable": {"$ref": "#/definitions/fieldListOrEmpty"},
                    }
                },
                "else": {
                    "if": {"$ref": "#/definitions/isOnnx"},
                    "then": {
                        "properties": {
                            "feature_variables": field_list,
                            "target_variable": {"anyOf": [field_list, {"type": "string"}]},
                        }
                    },
                    "else": {
                        "properties": {
                            "feature_variables": field_list,
                            "target_variable": field_list,
                        }
                    },
                },
            },
            {
                "description": (
                    "apply needs feature_variables (or a pre-2.2 explanatory_variables/variables "
                    "key it renames); SageMaker/Vertex models do not."
                ),
                "if": {
                    "allOf": [
                        {"not": {"$ref": "#/definitions/isSageMakerOrVertex"}},
                        {"not": {"$ref": "#/definitions/hasLegacyVariables"}},
                    ]
                },
                "then": {"required": ["feature_variables"]},
            },
        ],
        "definitions": {
            "fieldList": {
                "description": "A list of field names.",
                "type": "array",
                "items": {"type": "string"},
            },
            "fieldListOrEmpty": {
                "description": "A list of field names, or \"\" (SageMaker/Vertex without a feature or prediction map).",
                "anyOf": [{"$ref": "#/definitions/fieldList"}, {"const": ""}],
            },
            "isSageMakerOrVertex": {
                "description": "Condition: a SageMaker/Vertex AI registration (5.7.x), by runtime or algo_name.",
                **SAGEMAKER_OR_VERTEX,
            },
            "isOnnx": {
                "description": "Condition: an uploaded ONNX model (MLTK 5.4+).",
                **ONNX,
            },
            "hasLegacyVariables": {
                "description": "Condition: a pre-2.2 model with explanatory_variables or variables (renamed on load).",
                **LEGACY_VARIABLES,
            },
        },
    }


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


def is_scalar(value):
    return value is None or isinstance(value, (str, int, float, bool))


def render(value, sort_keys, indent=0):
    """JSON with 1-space indentation; lists of scalars stay on one line."""
    pad = " " * indent
    inner = " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = sorted(value) if sort_keys else list(value)
        items = [f"{inner}{json.dumps(k)}: {render(value[k], sort_keys, indent + 1)}" for k in keys]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(is_scalar(v) for v in value):
            return "[" + ", ".join(json.dumps(v) for v in value) + "]"
        items = [inner + render(v, sort_keys, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def generate(spec_dir):
    facts = load_spec(spec_dir)
    versions = build_versions(facts)
    schema = build_schema()
    outputs = {
        VERSIONS_PATH: render(versions, sort_keys=True) + "\n",
        SCHEMA_PATH: render(schema, sort_keys=False) + "\n",
    }
    for path, text in outputs.items():
        json.loads(text)  # round-trip sanity
        text.encode("ascii")
    return outputs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="directory with the spec JSON facts (default: ../shared/spec beside the repository)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 with a diff if a committed file differs")
    args = parser.parse_args(argv)

    try:
        outputs = generate(args.spec)
    except SpecError as error:
        print(f"gen_data.py: {error}", file=sys.stderr)
        return 2

    stale = False
    for rel, text in outputs.items():
        path = os.path.join(REPO_ROOT, rel)
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if args.check:
            if current != text:
                stale = True
                diff = difflib.unified_diff(
                    (current or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{rel} (committed)" if current is not None else f"{rel} (missing)",
                    tofile=f"{rel} (generated)",
                )
                sys.stdout.writelines(diff)
        elif current != text:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            print(f"wrote {rel}")
    if args.check and stale:
        print("gen_data.py: generated files are stale; run `python3 tools/gen_data.py` and commit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
