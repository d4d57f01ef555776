"""Bad inputs a careless user gives the command line, and the one line each must get back.

Each probe: the robustness item of the issue it belongs to (a number of the first robustness issue, or a
class of issue 16: "pairing", "validation"), what it is, the arguments (placeholders: {m} =
tests/fixtures/malformed, {d} = the shipped data/, {out} = a fresh output path, {tmp} = a scratch
directory, {a} = a valid attribution file, {fifo} = a named pipe in the scratch directory), and the text
its one-line error (or warning) must contain. The tests run
them in-process (tests/robustness/test_cli_probes.py); `python tests/robustness/probes.py` runs them
as a user would, in subprocesses, and writes the table of docs/robustness.md from what they print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MALFORMED = Path(__file__).resolve().parents[1] / "fixtures" / "malformed"
DATA = Path(__file__).resolve().parents[2] / "data"
SENTIMENT = '{"train": "{m}/%s", "validation": "{m}/%s"}'
# classes with a generated table each (docs/robustness.md): issue 16's two, and issue 26's "trust"
# (numbers recomputed from their data, null draws identified, values in range, inputs with provenance)
CLASSES = ("pairing", "validation", "trust")


def data(train: str, validation: str = "sentiment_unique_ids.jsonl") -> str:
    return SENTIMENT % (train, validation)


def commonsense(validation: str) -> str:
    return '{"train": "{d}/commonsense/train.jsonl", "validation": "{m}/' + validation + '"}'


def ner(test: str) -> str:
    return '{"train": "{d}/ner/train.jsonl", "test": "{m}/' + test + '"}'


@dataclass(frozen=True)
class Probe:
    item: int | str
    what: str
    args: tuple[str, ...]
    expect: str
    rc: int = 2


IDENTIFY = ("identify", "--task", "ner", "--method", "cni", "--data-files", "shipped")
EVALUATE = ("evaluate", "--task", "ner", "--data-files", "shipped")
METRICS = ("metrics", "--original", "{m}/eval_original.json", "--conditions")
TRANSFER_OUTPUTS = ("--latex", "{tmp}/t.tex", "--png", "{tmp}/t.png", "--pdf", "{tmp}/t.pdf", "--csv", "{tmp}/t.csv")
TRANSFER_OUTPUTS += ("--sweep-csv", "{tmp}/s.csv", "--sweep-dir", "{tmp}/sweep", "--out", "{out}")

PROBES = [
    # 8: sizes, checked by the argument parser
    Probe(8, "--instances 0", (*IDENTIFY, "--instances", "0", "--out", "{out}"), "expected a positive integer, got 0"),
    Probe(
        8, "--instances -1", (*IDENTIFY, "--instances", "-1", "--out", "{out}"), "expected a positive integer, got -1"
    ),
    Probe(
        8,
        "--instances abc",
        (*IDENTIFY, "--instances", "abc", "--out", "{out}"),
        "expected a positive integer, got 'abc'",
    ),
    Probe(
        8, "--eval-instances -1", (*EVALUATE, "--eval-instances", "-1", "--out", "{out}"), "expected a positive integer"
    ),
    Probe(8, "--z 0", (*IDENTIFY, "--z", "0", "--out", "{out}"), "argument --z: expected a positive integer, got 0"),
    Probe(8, "--z -5", (*IDENTIFY, "--z", "-5", "--out", "{out}"), "argument --z: expected a positive integer, got -5"),
    Probe(
        8, "--steps 0", (*IDENTIFY, "--steps", "0", "--out", "{out}"), "argument --steps: expected a positive integer"
    ),
    Probe(
        8,
        "--budget 0",
        (*IDENTIFY, "--budget", "0", "--out", "{out}"),
        "argument --budget: expected a positive integer",
    ),
    Probe(
        8,
        "common --budget -2",
        ("common", "--sets", "{m}/set_valid.json", "{m}/set_no_bad.json", "--budget", "-2", "--out", "{out}"),
        "argument --budget: expected a positive integer, got -2",
    ),
    Probe(
        8,
        "common --budget 0",
        ("common", "--sets", "{m}/set_valid.json", "{m}/set_no_bad.json", "--budget", "0", "--out", "{out}"),
        "argument --budget: expected a positive integer, got 0",
    ),
    Probe(
        8,
        "budget larger than the model",
        (*IDENTIFY, "--budget", "50000", "--out", "{out}"),
        "budget 50000 (50000 good + 50000 bad neurons) is larger than the model's 46080 neurons",
    ),
    Probe(8, "--out is a directory", (*IDENTIFY, "--out", "{tmp}"), "is a directory, not a file"),
    Probe(8, "--out under /proc", (*IDENTIFY, "--out", "/proc/neuronllm/out.json"), "cannot be written"),
    Probe(8, "--out below a file", (*IDENTIFY, "--out", "{m}/set_valid.json/out.json"), "is a file, not a directory"),
    # 7: an output that is also an input
    Probe(
        7,
        "identify --out = --attributions",
        (*IDENTIFY, "--attributions", "{a}", "--out", "{a}"),
        "is also an input: refusing to overwrite it",
    ),
    Probe(
        7,
        "common --out = one of --sets",
        ("common", "--sets", "{m}/set_valid.json", "{m}/set_no_bad.json", "--out", "{m}/set_valid.json"),
        "is also an input",
    ),
    Probe(
        7,
        "metrics --out = --original",
        (
            "metrics",
            "--original",
            "{m}/set_valid.json",
            "--conditions",
            "{m}/set_no_bad.json",
            "--out",
            "{m}/set_valid.json",
        ),
        "is also an input",
    ),
    Probe(
        7,
        "report --latex = a --metrics file",
        ("report", "table1", "--metrics", "{m}/set_valid.json", "--out", "{out}", "--latex", "{m}/set_valid.json"),
        "is also an input",
    ),
    Probe(
        7,
        "evaluate --out = --neurons",
        (*EVALUATE, "--neurons", "{m}/set_valid.json", "--out", "{m}/set_valid.json"),
        "is also an input",
    ),
    # 9: files that are not what they should be
    Probe(
        9, "neuron set not UTF-8", (*EVALUATE, "--neurons", "{m}/set_not_utf8.json", "--out", "{out}"), "not UTF-8 text"
    ),
    Probe(
        9,
        "neuron set truncated JSON",
        (*EVALUATE, "--neurons", "{m}/set_truncated.json", "--out", "{out}"),
        "not valid JSON",
    ),
    Probe(9, "neuron set empty file", (*EVALUATE, "--neurons", "{m}/empty.json", "--out", "{out}"), "not valid JSON"),
    Probe(
        9,
        "neuron set of another format",
        (*EVALUATE, "--neurons", "{m}/set_not_a_set.json", "--out", "{out}"),
        "not a neuron file",
    ),
    Probe(
        9,
        "neuron set with a wrong schema",
        (*EVALUATE, "--neurons", "{m}/set_wrong_schema.json", "--out", "{out}"),
        "'good' must be a list",
    ),
    Probe(
        9,
        "neuron index 173.7",
        (*EVALUATE, "--neurons", "{m}/set_float_index.json", "--out", "{out}"),
        "layer and index must be integers, got 29, 173.7",
    ),
    Probe(
        9,
        "neuron layer true",
        (*EVALUATE, "--neurons", "{m}/set_bool_index.json", "--out", "{out}"),
        "layer and index must be integers, got True, 5",
    ),
    Probe(9, "neuron score NaN", (*EVALUATE, "--neurons", "{m}/set_nan_score.json", "--out", "{out}"), "NaN"),
    Probe(
        9,
        "neuron layer out of range",
        (*EVALUATE, "--neurons", "{m}/set_out_of_range.json", "--out", "{out}"),
        "layer 30 outside 0..29",
    ),
    Probe(
        9, "neuron listed twice", (*EVALUATE, "--neurons", "{m}/set_duplicate.json", "--out", "{out}"), "listed twice"
    ),
    Probe(
        9,
        "neuron both good and bad",
        (*EVALUATE, "--neurons", "{m}/set_good_and_bad.json", "--out", "{out}"),
        "is both good and bad",
    ),
    Probe(
        9,
        "neuron set of another model shape",
        (*EVALUATE, "--neurons", "{m}/set_other_shape.json", "--out", "{out}"),
        "found on a model with 3 layers x 48 neurons, but this model has 30 x 1536",
    ),
    Probe(
        9,
        "neuron set with no layers",
        (*EVALUATE, "--neurons", "{m}/set_empty_counts.json", "--out", "{out}"),
        "'neuron_counts' must be positive integers",
    ),
    Probe(
        9,
        "empty data file",
        ("evaluate", "--task", "sentiment", "--data-files", data("sentiment_empty.jsonl"), "--out", "{out}"),
        "the data file is empty",
    ),
    Probe(
        9,
        "truncated data file",
        ("evaluate", "--task", "sentiment", "--data-files", data("sentiment_truncated.jsonl"), "--out", "{out}"),
        "cannot read",
    ),
    Probe(
        9,
        "data file not UTF-8",
        ("evaluate", "--task", "sentiment", "--data-files", data("sentiment_not_utf8.jsonl"), "--out", "{out}"),
        "not UTF-8 text",
    ),
    Probe(
        9,
        "data rows with other field names",
        ("evaluate", "--task", "sentiment", "--data-files", data("sentiment_wrong_fields.jsonl"), "--out", "{out}"),
        "missing field 'sentence'",
    ),
    Probe(
        9,
        "data label out of range",
        ("evaluate", "--task", "sentiment", "--data-files", data("sentiment_bad_label.jsonl"), "--out", "{out}"),
        "unknown label 7",
    ),
    Probe(
        9,
        "data path not a string",
        ("evaluate", "--task", "sentiment", "--data-files", '{"train": 5, "validation": 6}', "--out", "{out}"),
        "data_files must be a path, a list or a split->path mapping, got int",
    ),
    Probe(
        9,
        "data split missing",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            '{"train": "{m}/sentiment_unique_ids.jsonl"}',
            "--out",
            "{out}",
        ),
        "no 'validation' split",
    ),
    Probe(
        9,
        "--data-files broken JSON",
        (*IDENTIFY[:-2], "--data-files", "{broken", "--out", "{out}"),
        "--data-files must be",
    ),
    Probe(
        9,
        "empty model directory",
        ("evaluate", "--task", "ner", "--model", "{tmp}", "--data-files", "shipped", "--out", "{out}"),
        "the directory has no config.json",
    ),
    Probe(
        9,
        "model directory that does not exist",
        ("evaluate", "--task", "ner", "--model", "/no/such/model", "--data-files", "shipped", "--out", "{out}"),
        "no such directory",
    ),
    Probe(
        9,
        "model name typo",
        ("evaluate", "--task", "ner", "--model", "embeded", "--data-files", "shipped", "--out", "{out}"),
        "did you mean 'embedded'",
    ),
    Probe(
        9,
        "--prefix-cache is a file",
        (*EVALUATE, "--prefix-cache", "{m}/set_valid.json", "--out", "{out}"),
        "is a file, not a directory",
    ),
    # 6: conditions that would change nothing
    Probe(
        6,
        "--part bad of a set without bad neurons",
        (*EVALUATE, "--neurons", "{m}/set_no_bad.json", "--part", "bad", "--out", "{out}"),
        "changes no neuron",
    ),
    Probe(
        6,
        "QRNCA with one instance",
        (
            "identify",
            "--task",
            "ner",
            "--method",
            "qrnca",
            "--instances",
            "1",
            "--data-files",
            "shipped",
            "--out",
            "{out}",
        ),
        "qrnca needs at least 4 identification instances",
    ),
    # typos
    Probe(5, "unknown task", ("identify", "--task", "nerr", "--method", "cni", "--out", "{out}"), "did you mean 'ner'"),
    Probe(
        5, "unknown method", ("identify", "--task", "ner", "--method", "cnii", "--out", "{out}"), "did you mean 'cni'"
    ),
    Probe(
        5,
        "unknown --model-args key",
        (*EVALUATE, "--model-args", "revison=main", "--out", "{out}"),
        "unknown model argument 'revison' (did you mean 'revision'?)",
    ),
    Probe(
        5,
        "unknown condition",
        (*EVALUATE, "--conditions", "{m}/set_valid.json:boost", "--outs", "{out}"),
        "expected 'original' or PATH:OP-PART",
    ),
    Probe(
        5,
        "table7 with --budget",
        (
            "report",
            "table7",
            "--metrics",
            "{m}/set_valid.json",
            "--budget",
            "10",
            "--out",
            "{out}",
            "--latex",
            "{tmp}/t.tex",
        ),
        "--budget does not apply",
    ),
    # issue 16, pairing: `metrics` pairs evaluations of the same content only
    Probe(
        "pairing",
        "condition evaluated on another validation file (both 'local files')",
        (*METRICS, "{m}/eval_other_data.json", "--out", "{out}"),
        "was evaluated on other data",
    ),
    Probe(
        "pairing",
        "the condition given as its own null",
        (*METRICS, "{m}/eval_condition.json", "--null", "{m}/eval_condition.json", "--out", "{out}"),
        "is the condition's own neuron set",
    ),
    Probe(
        "pairing",
        "--resamples 5",
        (*METRICS, "{m}/eval_condition.json", "--resamples", "5", "--out", "{out}"),
        "too few for a 95% interval",
    ),
    Probe(
        "pairing",
        "--info budget the neuron set contradicts",
        (*METRICS, "{m}/eval_condition.json", "--info", '{"budget": 100}', "--out", "{out}"),
        "--info budget 100 does not match condition degrade/both's neuron set (5)",
    ),
    Probe(
        "pairing",
        "--info task the original contradicts",
        (*METRICS, "{m}/eval_condition.json", "--info", '{"task": "ner"}', "--out", "{out}"),
        "--info task 'ner' does not match the evaluations ('sentiment')",
    ),
    # issue 16, validation: data rows, non-regular files, arguments of another mode
    Probe(
        "validation",
        "sentence is a number",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            data("sentiment_unique_ids.jsonl", "sentiment_text_number.jsonl"),
            "--out",
            "{out}",
        ),
        "row 2: 'sentence' must be text, got int",
    ),
    Probe(
        "validation",
        "sentence is blank",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            data("sentiment_unique_ids.jsonl", "sentiment_text_blank.jsonl"),
            "--out",
            "{out}",
        ),
        "row 1: 'sentence' is empty",
    ),
    Probe(
        "validation",
        "a row that is not an object",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            data("sentiment_unique_ids.jsonl", "sentiment_row_not_object.jsonl"),
            "--out",
            "{out}",
        ),
        "cannot read",
    ),
    Probe(
        "validation",
        "choices: fewer texts than labels",
        (
            "evaluate",
            "--task",
            "commonsense",
            "--data-files",
            commonsense("commonsense_short_choices.jsonl"),
            "--out",
            "{out}",
        ),
        "row 2: 'choices' has 5 labels but 3 texts",
    ),
    Probe(
        "validation",
        "choices: a null option text",
        (
            "evaluate",
            "--task",
            "commonsense",
            "--data-files",
            commonsense("commonsense_null_option.jsonl"),
            "--out",
            "{out}",
        ),
        "row 1: 'choices.text[2]' must be text, got NoneType",
    ),
    Probe(
        "validation",
        "choices: a number as option text",
        (
            "evaluate",
            "--task",
            "commonsense",
            "--data-files",
            commonsense("commonsense_number_option.jsonl"),
            "--out",
            "{out}",
        ),
        "row 1: 'choices.text[1]' must be text, got int",
    ),
    Probe(
        "validation",
        "choices: labels a string, not a list",
        (
            "evaluate",
            "--task",
            "commonsense",
            "--data-files",
            commonsense("commonsense_labels_not_list.jsonl"),
            "--out",
            "{out}",
        ),
        "row 3: 'choices.label' must be a list",
    ),
    Probe(
        "validation",
        "a token that is a number",
        ("evaluate", "--task", "ner", "--data-files", ner("ner_token_number.jsonl"), "--out", "{out}"),
        "row 1: 'tokens' item 2 must be text, got int",
    ),
    Probe(
        "validation",
        "tags a string, not a list",
        ("evaluate", "--task", "ner", "--data-files", ner("ner_tags_not_list.jsonl"), "--out", "{out}"),
        "row 2: 'ner_tags' must be a list, got str",
    ),
    Probe(
        "validation",
        "data file is a named pipe",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            '{"train": "{fifo}", "validation": "{fifo}"}',
            "--out",
            "{out}",
        ),
        "not a regular file",
    ),
    Probe(
        "validation",
        "data file is /dev/zero",
        (
            "evaluate",
            "--task",
            "sentiment",
            "--data-files",
            '{"train": "/dev/zero", "validation": "/dev/zero"}',
            "--out",
            "{out}",
        ),
        "not a regular file",
    ),
    Probe(
        "validation",
        "neuron set is a named pipe",
        (*EVALUATE, "--neurons", "{fifo}", "--out", "{out}"),
        "not a regular file",
    ),
    Probe(
        "validation",
        "metrics --original is a named pipe",
        ("metrics", "--original", "{fifo}", "--conditions", "{m}/eval_condition.json", "--out", "{out}"),
        "not a regular file",
    ),
    Probe(
        "validation",
        "attributions are a named pipe",
        (*IDENTIFY, "--attributions", "{fifo}", "--out", "{out}"),
        "not a regular file",
    ),
    Probe(
        "validation",
        "--model-args max_length for identification",
        (*IDENTIFY, "--model-args", "max_length=64", "--out", "{out}"),
        "max_length applies to evaluation only",
    ),
    Probe(
        "validation",
        "--lm-eval-task with --task",
        ("evaluate", "--lm-eval-task", "neuronllm_sequences", "--task", "ner", "--out", "{out}"),
        "--task applies to AQUA tasks",
    ),
    Probe(
        "validation",
        "--limit without --lm-eval-task",
        (*EVALUATE, "--limit", "3", "--out", "{out}"),
        "--limit applies to --lm-eval-task only",
    ),
    Probe(
        "validation",
        "matched null with --budget",
        (
            "null",
            "--matched-to",
            "{m}/set_valid.json",
            "--attributions",
            "{a}",
            "--budget",
            "3",
            "--indices",
            "0",
            "--outs",
            "{out}",
        ),
        "--budget does not apply to a matched null set",
    ),
    # issue 26, trust: a number recomputed from the file's own data
    Probe(
        "trust",
        "an edited acc in a condition's evaluation",
        (*METRICS, "{m}/eval_condition_acc_edited.json", "--out", "{out}"),
        "the file says acc = 0.98, its predictions give 0.3333333333333333",
    ),
    Probe(
        "trust",
        "every correct flag flipped",
        (*METRICS, "{m}/eval_condition_flipped.json", "--out", "{out}"),
        "'correct' is True but prediction 1 vs gold 0",
    ),
    Probe(
        "trust",
        "an evaluation without digests",
        (*METRICS, "{m}/eval_condition_no_digests.json", "--out", "{out}"),
        "records no data digest",
    ),
    Probe(
        "trust",
        "--info overwriting a computed field",
        (*METRICS, "{m}/eval_condition.json", "--info", '{"conditions": {}}', "--out", "{out}"),
        "--info 'conditions' is a field the metrics compute from the evaluations",
    ),
    # null draws identified by content
    Probe(
        "trust",
        "one null file given twice",
        (*METRICS, "{m}/eval_condition.json", "--null", "{m}/eval_null_small.json", "{m}/eval_null_small.json")
        + ("--out", "{out}"),
        "a band needs distinct null draws, not copies of one",
    ),
    Probe(
        "trust",
        "a RANDOM set (another seed) as a null draw",
        (*METRICS, "{m}/eval_condition.json", "--null", "{m}/eval_random_set.json", "--out", "{out}"),
        "a random neuron set, not a null draw",
    ),
    Probe(
        "trust",
        "a uniform null as an activation-matched one",
        (*METRICS, "{m}/eval_condition.json", "--null-matched", "{m}/eval_null_small.json", "--out", "{out}"),
        "a uniform null set given as a matched one",
    ),
    Probe(
        "trust",
        "a null of another part",
        (*METRICS, "{m}/eval_condition.json", "--null", "{m}/eval_null_good.json", "--out", "{out}"),
        "a null draw of deg/good, and no condition of this call is deg/good",
    ),
    # values in their range, flags that agree
    Probe(
        "trust",
        "--factor 1e30",
        (*EVALUATE, "--neurons", "{m}/set_valid.json", "--op", "excite", "--factor", "1e30", "--out", "{out}"),
        "--factor '1e30': expected a finite number in 0..10",
    ),
    Probe(
        "trust",
        "--factor with --conditions that say x2",
        (*EVALUATE, "--conditions", "{m}/set_valid.json:excite-good", "--factor", "0.5", "--outs", "{out}"),
        "--factor conflicts with --conditions",
    ),
    Probe(
        "trust",
        "plan --dtype against --model-args dtype",
        ("plan", "--model-args", "dtype=bfloat16", "--dtype", "float32", "--device", "cpu"),
        "--dtype float32 conflicts with model argument dtype=bfloat16",
    ),
    Probe(
        "trust",
        "plan --device-memory ''",
        ("plan", "--device", "cpu", "--device-memory", ""),
        "cannot read the memory size ''",
    ),
    Probe(
        "trust",
        "plan --device-memory 512B",
        ("plan", "--device", "cpu", "--device-memory", "512B"),
        "cannot read the memory size '512B'",
    ),
    Probe(
        "trust",
        "--resamples 1000000000",
        (*METRICS, "{m}/eval_condition.json", "--resamples", "1000000000", "--out", "{out}"),
        "--resamples 1000000000 is more than 20000",
    ),
    Probe(
        "trust",
        "transfer report plan without models",
        ("report", "transfer", "--plan", '{"tasks": ["ner"], "methods": ["cni"], "budget": 5}', *TRANSFER_OUTPUTS),
        "--plan: no 'models'",
    ),
    Probe(
        "trust",
        "transfer report --resamples 1000000000",
        ("report", "transfer", "--plan", "{}", "--resamples", "1000000000", *TRANSFER_OUTPUTS),
        "--resamples 1000000000 is more than 20000",
    ),
    Probe(
        "trust",
        "transfer null_sets above null_sets",
        ("report", "transfer", "--plan")
        + (
            '{"models": {"m": {"spec": "embedded"}}, "tasks": ["ner"], "methods": ["cni"], "budget": 5, '
            '"null_sets": 2, "transfer": {"null_sets": 9}}',
            *TRANSFER_OUTPUTS,
        ),
        "transfer.null_sets 9 is more than null_sets 2",
    ),
    # inputs with provenance; malformed attribution files
    Probe(
        "trust",
        "attributions without digests",
        (*IDENTIFY, "--attributions", "{m}/attributions_no_digests.pt", "--out", "{out}"),
        "records no data digest",
    ),
    Probe(
        "trust",
        "attributions with integer instance ids",
        (*IDENTIFY, "--attributions", "{m}/attributions_integer_ids.pt", "--out", "{out}"),
        "'instance_ids' must be a list of texts",
    ),
    Probe(
        "trust",
        "attributions without instance ids",
        (*IDENTIFY, "--attributions", "{m}/attributions_missing_ids.pt", "--out", "{out}"),
        "'instance_ids' must be a list of texts",
    ),
    Probe(
        "trust",
        "attributions whose provenance is a list",
        (*IDENTIFY, "--attributions", "{m}/attributions_provenance_list.pt", "--out", "{out}"),
        "'provenance' must be an object",
    ),
]


def fill(arg: str, out: Path, tmp: Path, attributions: Path) -> str:
    """A probe argument with its placeholders filled in (str.replace: JSON arguments keep their braces);
    {fifo} is created in `tmp` on first use."""
    import os

    if "{fifo}" in arg and not (tmp / "fifo").exists():
        os.mkfifo(tmp / "fifo")
    for key, value in (
        ("{m}", MALFORMED),
        ("{d}", DATA),
        ("{out}", out),
        ("{tmp}", tmp),
        ("{a}", attributions),
        ("{fifo}", tmp / "fifo"),
    ):
        arg = arg.replace(key, str(value))
    return arg


def _table(rows: list[str]) -> str:
    return "\n".join(
        ["| item | bad input | command | rc | what it prints (one line) |", "|---|---|---|---|---|", *rows]
    )


def _replace_section(text: str, marker: str, table: str) -> str:
    start, end = text.index(f"<!-- {marker} -->"), text.index(f"<!-- /{marker} -->")
    return text[: start + len(f"<!-- {marker} -->")] + "\n" + table + "\n" + text[end:]


def _in_process(args: list[str]) -> tuple[int, str]:
    """(exit status, stderr) of `neuronllm ARGS` run in this process (what test_cli_probes.py runs)."""
    import contextlib
    import io

    from neuronllm.cli import main as cli

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            rc = cli(args)
        except SystemExit as exit_:  # argparse
            rc = exit_.code
    return rc, stderr.getvalue()


def main() -> None:
    """Run every probe as a user would (in a subprocess; `--in-process`: in this process, the same
    commands through neuronllm.cli.main, for a loaded machine) and write docs/robustness.md's tables."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    in_process = "--in-process" in sys.argv[1:]
    root = Path(__file__).resolve().parents[2]
    rows: dict[str, list[str]] = {"probes": [], **{f"probes:{c}": [] for c in CLASSES}}
    work = Path(tempfile.mkdtemp(prefix="probes-"))
    attributions = work / "a.pt"
    attributions.write_bytes(b"placeholder")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    for number, probe in enumerate(PROBES, start=1):
        scratch = work / f"p{number}"
        scratch.mkdir()
        out = scratch / "out" / "result.json"
        args = [fill(a, out, scratch, attributions) for a in probe.args]
        if in_process:
            returncode, stderr = _in_process(args)
        else:
            result = subprocess.run(
                [sys.executable, "-m", "neuronllm.cli", *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                cwd=root,
            )
            returncode, stderr = result.returncode, result.stderr
        lines = stderr.strip().splitlines()
        shown = " ".join(a if len(a) < 60 else "…" + a[-40:] for a in probe.args)
        section = f"probes:{probe.item}" if probe.item in CLASSES else "probes"
        printed = (lines[-1] if lines else "").replace(str(root) + "/", "").replace(str(work), "{tmp}")
        rows[section].append(
            f"| {probe.item} | {probe.what} | `neuronllm {shown}` | {returncode} | {printed.replace('|', '/')} |"
        )
    shutil.rmtree(work, ignore_errors=True)
    doc = root / "docs" / "robustness.md"
    text = doc.read_text(encoding="utf-8")
    for marker, section_rows in rows.items():
        text = _replace_section(text, marker, _table(section_rows))
    doc.write_text(text, encoding="utf-8")
    print(f"{sum(map(len, rows.values()))} probes written to {doc}")


if __name__ == "__main__":
    main()
