"""A task spec checked at the door: its schema, its Jinja texts rendered once, and its content digest.

A task's spec (`dataset_kwargs.spec` in its lm-eval YAML) is checked when the task is found, before
any data or model loads: a missing key, a wrong type, two labels shown under one name, an undefined
Jinja variable or a Jinja syntax error is one line naming the YAML file and the key, not a KeyError
deep in an adapter or a Jinja traceback inside lm-eval. The spec's identity (digests.task_spec_digest)
is the YAML after `include:` resolution plus the bytes of the prompt templates: what an evaluation
records and what pairing compares; `task_files` lists the same files for Snakemake's rule inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from neuronllm.errors import UserError

_TEXT = {"type": "string", "minLength": 1}
_FIELDS_OF_ADAPTER = {
    "span_label": ("tokens", "tags"),
    "sentence_label": ("text", "label"),
    "multiple_choice": ("question", "choices", "answer"),
}
# What the stem template of each adapter may use (data.py builds Instance.fields with these names).
STEM_VARIABLES = {
    "span_label": {"sentence": "a sentence", "span": "a span"},
    "sentence_label": {"sentence": "a sentence"},
    "multiple_choice": {"question": "a question"},
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "adapter", "splits", "fields", "role", "stem"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
        "label": _TEXT,  # the report's display name (default: the name)
        "adapter": {"enum": list(_FIELDS_OF_ADAPTER)},
        "hub": {
            "type": "object",
            "required": ["path"],
            "properties": {"path": _TEXT, "name": {"type": ["string", "null"]}},
        },
        "splits": {
            "type": "object",
            "required": ["identify", "evaluate"],
            "additionalProperties": False,
            "properties": {"identify": _TEXT, "evaluate": _TEXT},
        },
        "shipped_files": {
            "type": "object",
            "additionalProperties": {"oneOf": [_TEXT, {"type": "array", "minItems": 1, "items": _TEXT}]},
        },
        "fields": {"type": "object", "additionalProperties": _TEXT},
        "label_names": {"type": "array", "minItems": 2, "uniqueItems": True, "items": _TEXT},
        "label_display": {"type": "object", "additionalProperties": _TEXT},
        "role": _TEXT,
        "stem": _TEXT,
    },
    "allOf": [
        {
            "if": {"properties": {"adapter": {"const": adapter}}, "required": ["adapter"]},
            "then": {
                "properties": {"fields": {"required": list(fields)}},
                **({"required": ["label_names"]} if adapter != "multiple_choice" else {}),
            },
        }
        for adapter, fields in _FIELDS_OF_ADAPTER.items()
    ],
}


def plain_yaml(path: Path) -> dict[str, Any]:
    """A task YAML read without lm-eval (its `!function` tags become strings): cheap enough for the
    Snakefile to check config task names at parse time."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def function_name(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return loader.construct_scalar(node)  # type: ignore[arg-type]  # a `!function` tag is always on a scalar

    Loader.add_constructor("!function", function_name)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader) or {}
    except (OSError, yaml.YAMLError):
        return {}


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"spec.{path}" if path else "spec"


def check_spec(spec: Any, source: str) -> None:
    """The spec's schema and meaning, then one rendering of its role and stem (StrictUndefined)."""
    if not isinstance(spec, Mapping):
        raise UserError(f"{source}: dataset_kwargs.spec must be a mapping, got {type(spec).__name__}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(dict(spec)))
    if error is not None:
        raise UserError(f"{source}: {_where(error)}: {error.message}")
    if spec.get("shipped_files") is not None:
        for split in spec["splits"].values():
            if split not in spec["shipped_files"]:
                raise UserError(f"{source}: spec.shipped_files has no {split!r} split")
    if spec["adapter"] != "multiple_choice":
        _check_labels(spec, source)
    render_example(spec, source)


def _check_labels(spec: Mapping[str, Any], source: str) -> None:
    """Every label shown under its own name, and at least two to choose from (else every proxy would
    be a one-option question, scored right whatever the model does)."""
    from neuronllm.tasks.adapters import answer_labels

    display = spec.get("label_display") or {}
    shown: dict[str, str] = {}
    for name in spec["label_names"]:
        kind = name[2:] if name[:2] in ("B-", "I-") else name
        if spec["adapter"] == "span_label" and kind == "O":
            continue
        label = display.get(kind, kind)
        if shown.get(label, kind) != kind:
            raise UserError(
                f"{source}: spec.label_display shows labels {shown[label]!r} and {kind!r} both as {label!r}"
            )
        shown[label] = kind
    if len(answer_labels(spec)) < 2:
        raise UserError(f"{source}: spec.label_names gives fewer than two labels to choose from")


def render_example(spec: Mapping[str, Any], source: str) -> None:
    """Render the role, the stem and the prompt template once with placeholder values: an undefined
    variable or a syntax error is found now, not inside lm-eval after the model has loaded."""
    import jinja2

    from neuronllm.tasks.aqua import _environment, templates_dir

    environment = _environment(str(templates_dir()))
    for key, context in (("role", {"labels": ["label one", "label two"]}), ("stem", STEM_VARIABLES[spec["adapter"]])):
        try:
            environment.from_string(spec[key]).render(**context)
        except jinja2.TemplateError as err:
            allowed = ", ".join(context)
            raise UserError(
                f"{source}: spec.{key}: {type(err).__name__}: {str(err).splitlines()[0]} (variables: {allowed})"
            ) from None
    option = {"letter": "A", "text": "an option"}
    prompt_context: dict[str, Any] = {
        "role": "role",
        "answer_format": "text",
        "stem": "stem",
        "options": [option, option],
        "example": {"stem": "stem", "options": [option, option], "answer": "A"},
    }
    try:
        environment.get_template("prompt.jinja").render(**prompt_context)
    except jinja2.TemplateError as err:
        raise UserError(
            f"{templates_dir() / 'prompt.jinja'}: {type(err).__name__}: {str(err).splitlines()[0]}"
        ) from None


def _include_chain(path: Path) -> list[Path]:
    """A task YAML and the files it includes, outermost first."""
    chain: list[Path] = []
    seen: set[Path] = set()
    current: Path | None = path
    while current is not None and current.resolve() not in seen:
        seen.add(current.resolve())
        chain.append(current)
        include = plain_yaml(current).get("include")
        current = (current.parent / include) if isinstance(include, str) else None
    return chain


def resolved_config(path: Path) -> dict[str, Any]:
    """The YAML after `include:` resolution, as lm-eval merges it (the including file wins, key by key);
    `!function` tags stay their dotted names, so the result does not depend on where the checkout is."""
    merged: dict[str, Any] = {}
    for file in reversed(_include_chain(path)):
        merged.update({k: v for k, v in plain_yaml(file).items() if k != "include"})
    return merged


def templates() -> list[Path]:
    from neuronllm.tasks.aqua import templates_dir

    return sorted(templates_dir().glob("*.jinja"))


def task_files(yaml_path: Path) -> list[Path]:
    """Every file a task's numbers depend on besides its data: the YAML chain and the templates."""
    return [*_include_chain(yaml_path), *templates()]


def spec_digest(yaml_path: Path) -> str:
    from neuronllm.digests import task_spec_digest

    return task_spec_digest(resolved_config(yaml_path), templates())
