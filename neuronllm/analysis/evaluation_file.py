"""The AQUA evaluation file: its typed schema, and the one path every number is read back through.

`neuronllm evaluate` writes one file per condition (`neuronllm.evaluation.evaluate`, through `summary`);
`neuronllm metrics` and the tests read it back through `verified`. A file is data plus claims: the
per-proxy option scores are the data, and everything else is derived from them (prediction = the
highest-scoring option, correct = prediction is the gold option, accuracy = share of correct proxies,
comprehension = share of instances with enough correct proxies). `verified` recomputes every derived
value from the most primary data the file holds and refuses, in one line, a file whose claims disagree
with its own data (an edited `acc`, flipped `correct` flags, a prediction that is not its scores'
argmax); a number is never taken from a header. A file without content digests (data, task spec,
model) cannot be paired by content and is refused.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from neuronllm.errors import UserError, warn

# Relative tolerance when a recomputed share is compared with the file's claim (JSON round-trips floats
# exactly; this only absorbs a writer that summed in another order).
TOLERANCE = 1e-9
DIGEST_KEYS = ("data", "task_spec", "model")
OPERATORS = ("silence", "excite", "enhance", "degrade")
PARTS = ("good", "bad", "both")


class Prediction(TypedDict):
    """One proxy question's answer. `scores` is the primary datum (one log-likelihood per option)."""

    instance_id: str
    proxy: int
    gold: int
    prediction: int
    correct: bool
    scores: list[float]
    gold_text: str | None
    predicted_text: str | None
    correct_norm: NotRequired[bool]  # lm-eval's length-normalised choice was the gold one


class ConditionRecord(TypedDict):
    label: str
    neurons: str | None
    op: str | None
    part: str | None
    scope: NotRequired[str]
    factor: NotRequired[float]


class NeuronSetRecord(TypedDict):
    """What the condition's neuron file says about itself (`neuronllm.evaluation.evaluate.neuron_set_record`)."""

    digest: str
    method: str | None
    budget: int | None
    task: str | None
    null_index: int | None
    steps: int | None
    changed: dict[str, int]
    null: NotRequired[str | None]  # "uniform" / "matched" for a null draw
    matched_to: NotRequired[str | None]  # a matched null: the digest of the set it was matched to


class Summary(TypedDict):
    """The numbers derived from the predictions (what `summary` computes and `verified` checks)."""

    acc: float
    comprehension: float
    n_proxies: int
    n_instances: int
    acc_norm: NotRequired[float]


class EvaluationFile(Summary):
    model: str
    task: str
    condition: ConditionRecord
    settings: dict[str, Any]
    predictions: list[Prediction]
    digests: dict[str, Any]
    data_source: NotRequired[list[str]]
    model_identity: NotRequired[dict[str, Any]]
    neuron_set_digest: NotRequired[str | None]
    neurons_changed: NotRequired[int]
    neuron_set: NotRequired[NeuronSetRecord | None]
    lm_eval_task: NotRequired[str]
    lm_eval_metrics: NotRequired[dict[str, float]]
    versions: NotRequired[dict[str, str]]


def min_correct(answer_format: str | None) -> int:
    """Correct proxies an instance needs to count as comprehended: 2 of 3 (AQUA), 1 (the native
    format asks each instance once)."""
    return 1 if answer_format == "native" else 2


def argmax(scores: Sequence[float]) -> int:
    """The chosen option: the highest score, the first of equal ones (as lm-eval's argmax)."""
    return max(range(len(scores)), key=scores.__getitem__)


def summary(predictions: Sequence[Mapping[str, Any]], answer_format: str | None) -> Summary:
    """accuracy, comprehension and the counts of a list of predictions (the writer and the reader both)."""
    from neuronllm.analysis.metrics import accuracy, comprehension

    if not predictions:
        raise UserError("an evaluation with no predictions has no accuracy")
    out: Summary = {
        "acc": accuracy([bool(p["correct"]) for p in predictions]),
        "comprehension": comprehension(
            ((str(p["instance_id"]), bool(p["correct"])) for p in predictions), min_correct(answer_format)
        ),
        "n_proxies": len(predictions),
        "n_instances": len({str(p["instance_id"]) for p in predictions}),
    }
    if all("correct_norm" in p for p in predictions):
        out["acc_norm"] = accuracy([bool(p["correct_norm"]) for p in predictions])
    return out


def degenerate_count(predictions: Sequence[Mapping[str, Any]]) -> int:
    """Proxies whose options all score the same: the model no longer tells them apart (an extreme
    factor makes every option -ln|V|), and the tie-break, not the model, picks the answer."""
    return sum(1 for p in predictions if len(set(p["scores"])) == 1)


def warn_degenerate(predictions: Sequence[Mapping[str, Any]], label: str) -> None:
    count = degenerate_count(predictions)
    if count:
        warn(
            f"condition {label}: every option scores the same on {count} of {len(predictions)} proxies "
            f"(the model no longer tells the options apart; its answers there are the tie-break's)"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_prediction(row: Any, where: str) -> None:
    """Types and ranges of one prediction, and its derived fields against its scores."""
    if not isinstance(row, Mapping):
        raise UserError(f"{where}: a prediction must be an object")
    for key in ("instance_id", "proxy", "gold", "prediction", "correct", "scores"):
        if key not in row:
            raise UserError(f"{where}: missing {key!r}")
    scores = row["scores"]
    if (
        not isinstance(scores, list)
        or len(scores) < 2
        or not all(isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) for s in scores)
    ):
        raise UserError(f"{where}: 'scores' must be a list of at least two finite numbers")
    if not isinstance(row["instance_id"], str) or not _is_int(row["proxy"]) or row["proxy"] < 0:
        raise UserError(f"{where}: 'instance_id' must be text and 'proxy' an integer >= 0")
    for key in ("gold", "prediction"):
        if not _is_int(row[key]) or not 0 <= row[key] < len(scores):
            raise UserError(f"{where}: {key!r} must be an option index in 0..{len(scores) - 1}, got {row[key]!r}")
    if row["prediction"] != argmax(scores):
        raise UserError(
            f"{where}: prediction {row['prediction']} is not the highest-scoring option ({argmax(scores)}) "
            f"of its own scores"
        )
    if not isinstance(row["correct"], bool) or row["correct"] != (row["prediction"] == row["gold"]):
        raise UserError(
            f"{where}: 'correct' is {row['correct']!r} but prediction {row['prediction']} vs gold {row['gold']}"
        )
    if "correct_norm" in row and not isinstance(row["correct_norm"], bool):
        raise UserError(f"{where}: 'correct_norm' must be true or false")
    texts = [row.get("gold_text"), row.get("predicted_text")]
    if any(t is not None and not isinstance(t, str) for t in texts):
        raise UserError(f"{where}: 'gold_text' and 'predicted_text' must be text")
    # a right answer is the gold option's text (the converse can fail: a native question may repeat a text)
    if None not in texts and row["correct"] and texts[0] != texts[1]:
        raise UserError(f"{where}: predicted text {texts[1]!r} vs gold {texts[0]!r} disagrees with 'correct'")


REQUIRED: dict[str, type | tuple[type, ...]] = {
    "task": str,
    "condition": dict,
    "settings": dict,
    "acc": (int, float),
    "comprehension": (int, float),
    "predictions": list,
    "n_instances": int,
}


def _check_shape(obj: Any, source: str, original: bool | None) -> None:
    """The fields the metrics read, and the right kind: the original is unmodified, a condition changes
    neurons with a known operator (original None: either)."""
    if not isinstance(obj, Mapping):
        raise UserError(f"{source}: not an AQUA evaluation file (not a JSON object)")
    for key, kind in REQUIRED.items():
        if not isinstance(obj.get(key), kind) or isinstance(obj.get(key), bool):
            raise UserError(f"{source}: not an AQUA evaluation file (missing or malformed {key!r})")
    condition = obj["condition"]
    if original is True and condition.get("neurons") is not None:
        raise UserError(f"{source}: the original must be an unmodified evaluation, not {condition.get('label')!r}")
    if original is False:
        if condition.get("neurons") is None:
            raise UserError(f"{source}: an unmodified evaluation is not an intervention condition")
        if condition.get("op") not in OPERATORS or condition.get("part") not in PARTS:
            raise UserError(f"{source}: unknown condition {condition.get('op')!r}/{condition.get('part')!r}")
    digests = obj.get("digests")
    missing = [k for k in DIGEST_KEYS if not isinstance(digests, Mapping) or not digests.get(k)]
    if missing:
        raise UserError(
            f"{source}: records no {missing[0]} digest, so what it was computed from cannot be checked "
            f"(an evaluation is paired by content only: re-run `neuronllm evaluate`)"
        )


def verified(obj: Any, source: str, original: bool | None) -> EvaluationFile:
    """`obj` checked and with every derived number recomputed from its predictions; a file whose claims
    (acc, comprehension, acc_norm, counts, correct flags, predictions) disagree with its data is refused.
    lm-eval's own copy of the metrics (`lm_eval_metrics`) is kept for reference and read by nothing."""
    _check_shape(obj, source, original)
    predictions = obj["predictions"]
    if not predictions:
        raise UserError(f"{source}: the evaluation has no predictions")
    seen: set[tuple[str, int]] = set()
    for position, row in enumerate(predictions):
        _check_prediction(row, f"{source}: prediction {position}")
        key = (row["instance_id"], row["proxy"])
        if key in seen:
            raise UserError(f"{source}: instance {key[0]} proxy {key[1]} is listed twice")
        seen.add(key)
    widths = set(Counter(instance for instance, _ in seen).values())
    if len(widths) != 1:
        raise UserError(f"{source}: instances have different numbers of proxies ({sorted(widths)})")
    computed = summary(predictions, obj["settings"].get("answer_format"))
    if obj.get("acc_norm") is not None and "acc_norm" not in computed:
        raise UserError(
            f"{source}: the file says acc_norm = {obj['acc_norm']!r} but no prediction records correct_norm"
        )
    for name, value in computed.items():
        claim = obj.get(name)
        if name in ("acc", "comprehension", "n_instances") or claim is not None:
            if (
                not isinstance(claim, (int, float))
                or isinstance(claim, bool)
                or not math.isclose(claim, float(value), rel_tol=TOLERANCE, abs_tol=TOLERANCE)  # type: ignore[arg-type]
            ):
                raise UserError(
                    f"{source}: the file says {name} = {claim!r}, its predictions give {value!r}: "
                    f"refusing a file whose claims disagree with its own data"
                )
    return dict(obj) | dict(computed)  # type: ignore[return-value]


def read_evaluation(path: str, original: bool) -> EvaluationFile:
    """An AQUA evaluation file from disk, verified (one-line errors)."""
    from neuronllm.atomic import read_json

    return verified(read_json(path, "evaluation"), path, original)
