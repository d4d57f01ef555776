"""When `metrics` may pair two evaluations: the same instances, data, task spec, model and scorer, by content.

An effect is a paired difference: the original and a condition must have scored the same questions
(instance keys and gold answers), read the same data (digests.data: the files' bytes, not their
`data_source` label), used the same task spec and templates, the same model (weights, dtype, device,
revision, every loading argument) and the same scorer version. A null band is the same statistic for
random sets of the condition's shape: every null set changes as many good and bad neurons as the
condition, and is not the condition's own set. The bootstrap needs enough resamples for a 95% interval,
and an --info field that the files can confirm (method, budget, task, instances, steps) must agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from neuronllm.digests import differing
from neuronllm.errors import UserError

MODEL_FIELDS = ("weights", "dtype", "device", "revision", "load_arguments")
CONTENT_KEYS = ("data", "task_spec", "model")
LEVEL = 0.95
# A percentile interval at 95% needs at least one resample beyond each bound: 2.5% of R >= 1.
MIN_RESAMPLES = math.ceil(2 / (1 - LEVEL))
MAX_RESAMPLES = 20_000


def _label(evaluation: Mapping[str, Any]) -> str:
    return str((evaluation.get("condition") or {}).get("label", "?"))


def instance_keys(evaluation: Mapping[str, Any]) -> list[tuple[str, int, Any]]:
    """(instance, proxy, gold answer) of every prediction: what a paired comparison pairs."""
    keys = []
    for row in evaluation.get("predictions") or []:
        if not isinstance(row, Mapping):
            raise UserError(f"{_label(evaluation)}: a prediction is not an object")
        gold = row.get("gold_text") if row.get("gold_text") is not None else row.get("gold")
        keys.append((str(row.get("instance_id")), int(row.get("proxy", 0)), gold))
    return sorted(keys, key=lambda k: (k[0], k[1], str(k[2])))


def check_same_inputs(original: Mapping[str, Any], evaluation: Mapping[str, Any], source: str) -> None:
    """One-line refusal naming what differs between an original and an evaluation paired with it."""
    label = _label(evaluation)
    digests_a, digests_b = original.get("digests"), evaluation.get("digests")
    content = differing(digests_a, digests_b, CONTENT_KEYS)
    what = {
        "data": "other data (the data files' content differs)",
        "task_spec": "another version of the task spec or templates",
        "model": "another model (weights, dtype, device, revision or loading arguments)",
    }
    if content:
        raise UserError(f"{source}: condition {label} was evaluated on {what[content[0]]} than the original")
    code_a, code_b = (digests_a or {}).get("code") or {}, (digests_b or {}).get("code") or {}
    if code_a.get("scorer") is not None and code_b.get("scorer") is not None and code_a["scorer"] != code_b["scorer"]:
        raise UserError(
            f"{source}: condition {label} was scored by scorer version {code_b['scorer']}, the original by "
            f"{code_a['scorer']}"
        )
    identity_a, identity_b = original.get("model_identity") or {}, evaluation.get("model_identity") or {}
    fields = [k for k in MODEL_FIELDS if k in identity_a and k in identity_b and identity_a[k] != identity_b[k]]
    if fields:
        raise UserError(
            f"{source}: condition {label} was evaluated with another model {fields[0]} than the original "
            f"({identity_b[fields[0]]!r}, not {identity_a[fields[0]]!r})"
        )
    if "predictions" in original and "predictions" in evaluation:
        before, after = instance_keys(original), instance_keys(evaluation)
        if before != after:
            changed = len(set(before) ^ set(after))
            raise UserError(
                f"{source}: condition {label} scored other questions than the original "
                f"({changed} instance/proxy/gold keys differ)"
            )


def _changed(evaluation: Mapping[str, Any]) -> dict[str, int] | None:
    record = evaluation.get("neuron_set") or {}
    changed = record.get("changed")
    return dict(changed) if isinstance(changed, Mapping) else None


def _set_digest(evaluation: Mapping[str, Any]) -> str | None:
    return evaluation.get("neuron_set_digest") or (evaluation.get("neuron_set") or {}).get("digest")


def _shape(evaluation: Mapping[str, Any]) -> tuple[str, Any]:
    """("sides", {good, bad}) where the file records the neurons changed per side, else ("total", n)."""
    changed = _changed(evaluation)
    return ("sides", changed) if changed is not None else ("total", evaluation.get("neurons_changed"))


def _total(shape: tuple[str, Any]) -> tuple[str, Any]:
    kind, value = shape
    return ("total", value["good"] + value["bad"]) if kind == "sides" and value is not None else shape


def _describe(shape: tuple[str, Any]) -> str:
    kind, value = shape
    return f"{value['good']} good + {value['bad']} bad" if kind == "sides" else f"{value}"


# What each kind of band is made of: the `null` field `neuronllm null` writes into a set's provenance.
NULL_KINDS = {"null": "uniform", "matched null": "matched"}


class NullSelection(NamedTuple):
    """The null evaluations a band may use; per condition key, why it has no band (`unavailable`) and
    which draws were left out of it (`left_out`): both go into the metrics file."""

    kept: list[Mapping[str, Any]]
    unavailable: dict[str, str]
    left_out: dict[str, str]


def _null_record(null: Mapping[str, Any], source: str, what: str) -> Mapping[str, Any]:
    """The null draw's neuron-set record, refused unless it identifies its set by content."""
    record = null.get("neuron_set")
    if not isinstance(record, Mapping) or not isinstance(record.get("digest"), str) or not record["digest"]:
        raise UserError(
            f"{source}: records no neuron set (digest), so it cannot be identified as a {what} draw "
            f"(re-run `neuronllm evaluate` on the set)"
        )
    return record


def _check_null_kind(record: Mapping[str, Any], source: str, what: str, kind: str) -> bool:
    """A set `neuronllm null` drew, of the kind asked for; False where the file predates the kind record."""
    if record.get("method") != "null":
        raise UserError(
            f"{source}: a {record.get('method') or 'unlabelled'} neuron set, not a {what} draw "
            f"(a band is made of sets `neuronllm null` drew without looking at the task)"
        )
    if record.get("null") is None:  # an evaluation or a set from before the kind was recorded
        return False
    if record["null"] != kind:
        raise UserError(f"{source}: a {record['null']} null set given as a {kind} one ({what} draws)")
    return True


def null_sets_of_the_shape(
    evaluations: Sequence[Mapping[str, Any]],
    nulls: Sequence[Mapping[str, Any]],
    key_of: Callable[[Mapping[str, Any]], str],
    what: str = "null",
    sources: Sequence[str] | None = None,
) -> NullSelection:
    """The null evaluations that may form a condition's band, identified by the content of their sets.

    Refused in one line: a draw without a neuron-set record, a set that is not a null draw (another
    method's set, another seed of RANDOM) or a null of the other kind (uniform vs activation-matched, or
    matched to another set), a draw of no condition of this call (another operator, part, factor or
    scope), a condition's own set, and two draws of one set (a copy under another name, one file given
    twice): a band of n copies has sd 0. A null set that changes another number of good or bad neurons
    than the condition (100 + 100 random neurons for a method that found 23) is left out of the band
    with one warning, recorded in `left_out` (and, with none left, in `unavailable`): the pipeline's
    uniform nulls have K + K neurons and some methods find fewer."""
    from neuronllm.errors import warn

    kind = NULL_KINDS.get(what, what)
    names = list(sources) if sources is not None else [f"{what} evaluation {n + 1}" for n in range(len(nulls))]
    by_key = {key_of(e): e for e in evaluations}
    own = {_set_digest(e): e for e in evaluations if _set_digest(e) is not None}
    kept: list[Mapping[str, Any]] = []
    dropped: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], str] = {}
    unrecorded = 0
    for null, source in zip(nulls, names):
        record = _null_record(null, source, what)
        key = key_of(null)
        condition = by_key.get(key)
        if condition is None:
            raise UserError(
                f"{source}: a {what} draw of {key}, and no condition of this call is {key} "
                f"(conditions: {', '.join(sorted(by_key)) or 'none'})"
            )
        label = _label(condition)
        for field in ("op", "scope"):
            theirs, ours = (null.get("condition") or {}).get(field), (condition.get("condition") or {}).get(field)
            if theirs is not None and ours is not None and theirs != ours:
                raise UserError(f"{source}: a {what} draw of {field} {theirs!r}, condition {label} is {ours!r}")
        digest = record["digest"]
        if digest in own:
            raise UserError(
                f"{what} set for {label} is the condition's own neuron set: a set is not its own null"
                if own[digest] is condition
                else f"{source}: {what} draw is condition {_label(own[digest])}'s neuron set, not a null draw"
            )
        unrecorded += not _check_null_kind(record, source, what, kind)
        matched_to = record.get("matched_to")
        if kind == "matched" and matched_to is not None and matched_to != _set_digest(condition):
            raise UserError(
                f"{source}: matched to another neuron set ({matched_to}), not {label}'s ({_set_digest(condition)})"
            )
        if (key, digest) in seen:
            raise UserError(
                f"{source}: the same neuron set (digest {digest}) as {seen[(key, digest)]}: "
                f"a band needs distinct {what} draws, not copies of one"
            )
        seen[(key, digest)] = source
        wanted, given = _shape(condition), _shape(null)
        if wanted[0] != given[0]:  # one file records the sides, the other only the total: compare totals
            wanted, given = _total(wanted), _total(given)
        if wanted[1] is not None and given[1] is not None and wanted != given:
            dropped.setdefault(key, []).append(_describe(given))
        else:
            kept.append(null)
    if unrecorded:
        warn(
            f"{unrecorded} {what} evaluation(s) written before evaluations recorded the null kind: "
            f"uniform vs matched is not checked for them (re-run `neuronllm evaluate` to check it)"
        )
    reasons = {}
    for key, shapes in dropped.items():
        condition = by_key[key]
        remaining = sum(1 for n in kept if key_of(n) == key)
        reasons[key] = (
            f"{len(shapes)} {what} set(s) change {shapes[0]} neurons, the condition {_describe(_shape(condition))}: "
            f"a band needs sets of the condition's shape"
        )
        warn(
            f"{_label(condition)}: {reasons[key]}; "
            + (f"the band uses the other {remaining}" if remaining else "no band")
        )
    unavailable = {k: v for k, v in reasons.items() if not any(key_of(n) == k for n in kept)}
    return NullSelection(kept, unavailable, reasons)


def check_resamples(resamples: int) -> None:
    """The bootstrap's resample count: enough for a 95% interval, and few enough that its [R, instances]
    index arrays fit in memory (MAX_RESAMPLES: 10x the default 2000, far past where a 95% percentile
    interval stops moving)."""
    if isinstance(resamples, bool) or not isinstance(resamples, int):
        raise UserError(f"--resamples must be an integer, got {resamples!r}")
    if resamples < MIN_RESAMPLES:
        raise UserError(
            f"--resamples {resamples} is too few for a 95% interval (at least {MIN_RESAMPLES}: "
            f"one resample beyond each 2.5% bound)"
        )
    if resamples > MAX_RESAMPLES:
        raise UserError(
            f"--resamples {resamples} is more than {MAX_RESAMPLES} (a 95% interval does not move past a few "
            f"thousand; the bootstrap holds resamples x instances indices in memory)"
        )


def check_info(info: Mapping[str, Any], original: Mapping[str, Any], evaluations: Sequence[Mapping[str, Any]]) -> None:
    """--info fields the files can confirm: the task and instances (the original), method, budget and
    steps (the conditions' neuron files, as `evaluate` recorded them)."""
    settings = original.get("settings") or {}
    known = {"task": original.get("task"), "instances": settings.get("instances")}
    for name, value in known.items():
        if name in info and value is not None and info[name] != value:
            raise UserError(f"--info {name} {info[name]!r} does not match the evaluations ({value!r})")
    for evaluation in evaluations:
        record = evaluation.get("neuron_set") or {}
        for name in ("method", "budget", "steps"):
            recorded = record.get(name)
            if name in info and recorded is not None and info[name] != recorded:
                raise UserError(
                    f"--info {name} {info[name]!r} does not match condition {_label(evaluation)}'s neuron set "
                    f"({recorded!r})"
                )
