"""What `snakemake results/transfer.md` evaluates, from the config alone (beside plan.py's main jobs).

Three evaluation jobs per (model, seed, task), each sharing one loaded model and one prefix tree:

    native   the task posed natively (native.py): the original, every transfer method's Table 1
             conditions (Deg/Enh on its own part), the null sets of those shapes, and the sweep
    other    the other answer format (letter when the config's is text, and the reverse): the
             original, the same conditions and null sets (the sets were identified with the config's)
    sweep    the config's format: the sweep points the main job does not already evaluate

The sweep multiplies NeuronLLM's good neurons alone, or its bad neurons alone, by each factor f of
`transfer.sweep_factors` (f = 1 is the original; docs/method.md "Dose-response"). Its null band is K
uniform random neurons ×f: the good side of `transfer.sweep_null_sets` null sets, for both curves (a
null set's good and bad sides are draws of the same kind, so the bad curve needs no evaluations of its
own; the report checks that the sizes match). A point with the factors of a paper operator is that
operator's condition (good ×0 = degrade-good, good ×2 = enhance-good, bad ×0 = enhance-bad,
bad ×2 = degrade-bad), so the main job's files are reused where they exist. Paths:

    {model}/s{seed}/transfer/{format}/{task}/original/eval.json
    {model}/s{seed}/transfer/{format}/{task}/{set}/{op}-{part}[-x{f}]/eval.json
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuronllm import methods as registry
from neuronllm.model.condition import EXCITE, path_suffix
from neuronllm.pipeline.plan import MAIN_OPS, Job, Plan

SWEEP_PARTS = ("good", "bad")
DEFAULT_FACTORS = (0.0, 0.5, 2.0, 4.0)
SWEEP_SET = registry.PAPER_METHOD  # NeuronLLM: good and bad neurons to sweep separately


def sweep_condition(part: str, factor: float) -> tuple[str, str, float] | None:
    """(op, part, factor) of the sweep point `part` ×`factor`; None for ×1 (the unmodified model)."""
    if factor == 1:
        return None
    if factor in (0, EXCITE):
        silenced = factor == 0
        op = {"good": ("degrade" if silenced else "enhance"), "bad": ("enhance" if silenced else "degrade")}[part]
        return op, part, EXCITE
    return "excite", part, float(factor)


# The config keys the transfer's files depend on (the plan's paths, sets and task inputs, and the
# transfer's own section): `neuronllm report transfer --plan` rebuilds the plan from them alone, and
# a change of any other key (table7, specificity, ...) does not rerun the report.
# tests/unit/test_transfer_plan.py checks that they rebuild the same jobs and report inputs.
REPORT_KEYS = (
    "results_dir",
    "models",
    "tasks",
    "methods",
    "budget",
    "seeds",
    "null_sets",
    "answer_format",
    "data_files",
    "transfer",
)


def report_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a pipeline config the transfer report is given (REPORT_KEYS)."""
    return {key: config[key] for key in REPORT_KEYS if key in config}


def condition_spec(neurons: str, op: str, part: str, factor: float) -> str:
    from neuronllm.model.condition import Condition

    return Condition(neurons, op, part, factor=factor).spec


@dataclass
class TransferPlan:
    plan: Plan

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.plan.config.get("transfer") or {})

    @property
    def main_format(self) -> str:
        return str(self.plan.config.get("answer_format", "text"))

    @property
    def other_format(self) -> str:
        return "letter" if self.main_format == "text" else "text"

    @property
    def formats(self) -> list[str]:
        """The columns after the proxies': native, then the other answer format."""
        return ["native", self.other_format]

    @property
    def methods(self) -> list[str]:
        return [m for m in self.config.get("methods", self.plan.methods) if m in self.plan.methods]

    @property
    def null_sets(self) -> int:
        """At most the main run's (its null sets' proxy evaluations are the AQUA column's band; a larger
        count is refused by config_check.check_numbers)."""
        return int(self.config.get("null_sets", self.plan.null_sets))

    @property
    def factors(self) -> list[float]:
        return [float(f) for f in self.config.get("sweep_factors", DEFAULT_FACTORS)]

    @property
    def sweep_null_sets(self) -> int:
        return min(int(self.config.get("sweep_null_sets", min(3, self.plan.null_sets))), self.plan.null_sets)

    @property
    def sweep(self) -> bool:
        return SWEEP_SET in self.plan.methods and bool(self.factors)

    # -- files ------------------------------------------------------------------------------------

    def base(self, fmt: str, model: str = "{model}", seed: Any = "{seed}", task: str = "{task}") -> str:
        return f"{self.plan.base(model, seed)}/transfer/{fmt}/{task}"

    def null_key(self, index: int) -> str:
        return f"null/k{self.plan.budget}/n{index}"

    def in_main(self, set_key: str, op: str, part: str, factor: float) -> bool:
        """Does the main job evaluate this (set, op, part) at the paper's factor?"""
        if factor != EXCITE or op not in MAIN_OPS:
            return False
        if set_key.startswith("null/"):
            return int(set_key.rsplit("n", 1)[1]) < self.plan.null_sets and part in self.plan.null_parts(ablation=False)
        method = set_key.split("/")[0]
        return (
            set_key == self.plan.set_key(method, self.plan.budget)
            and method in self.plan.methods
            and part in self.plan.main_parts(method)
        )

    def evaluation(
        self,
        fmt: str,
        set_key: str,
        op: str | None = None,
        part: str | None = None,
        factor: float = EXCITE,
        model: str = "{model}",
        seed: Any = "{seed}",
        task: str = "{task}",
    ) -> str:
        """The file of a condition in a format: the main job's where it has it, else the transfer job's."""
        if fmt == self.main_format and (set_key == "original" or self.in_main(set_key, op or "", part or "", factor)):
            return self.plan.evaluation(set_key, op, part, model, seed, task)
        if set_key == "original":
            return f"{self.base(fmt, model, seed, task)}/original/eval.json"
        return f"{self.base(fmt, model, seed, task)}/{set_key}/{op}-{part}{path_suffix(factor)}/eval.json"

    def neurons_of(self, set_key: str) -> str:
        if set_key.startswith("null/"):
            return self.plan.null(int(set_key.rsplit("n", 1)[1]))
        method = set_key.split("/")[0]
        return self.plan.neurons(method, self.plan.budget)

    # -- the conditions ------------------------------------------------------------------------------

    def row_conditions(self) -> list[tuple[str, str, str]]:
        """(method, op, part) of every table row: each method's Deg and Enh on its Table 1 part."""
        return [(m, op, registry.table1_part(m)) for m in self.methods for op in MAIN_OPS]

    def null_parts(self) -> list[str]:
        return sorted({registry.table1_part(m) for m in self.methods})

    def column_null_sets(self, fmt: str) -> int:
        """The config's format reads every null set of the main run (its band is Table 1's); the other
        formats `transfer.null_sets`."""
        return self.plan.null_sets if fmt == self.main_format else self.null_sets

    def row_nulls(self, fmt: str | None = None) -> list[tuple[str, str, str]]:
        count = self.null_sets if fmt is None else self.column_null_sets(fmt)
        return [(self.null_key(i), op, part) for i in range(count) for part in self.null_parts() for op in MAIN_OPS]

    def sweep_points(self) -> list[tuple[str, str, float, list[tuple[str, str, str, float]]]]:
        """(part, label, factor, [(set_key, op, part, factor) for the set and each sweep null set])."""
        if not self.sweep:
            return []
        method_key = self.plan.set_key(SWEEP_SET, self.plan.budget)
        nulls = [self.null_key(i) for i in range(self.sweep_null_sets)]
        points = []
        for part in SWEEP_PARTS:
            for factor in self.factors:
                condition = sweep_condition(part, factor)
                if condition is None:
                    continue
                op, _, f = condition
                null_condition = sweep_condition("good", factor)  # K random neurons ×f, either side
                assert null_condition is not None  # factor != 1 here, as for the set's own condition
                null_op, null_part, null_f = null_condition
                points.append(
                    (
                        part,
                        f"{part} x{factor:g}",
                        factor,
                        [(method_key, op, part, f)] + [(key, null_op, null_part, null_f) for key in nulls],
                    )
                )
        return points

    def job(self, fmt: str) -> Job:
        """One format's evaluation job: what the main job does not already hold."""
        job = Job()
        wanted: list[tuple[str, str, str, float]] = []
        if fmt != self.main_format:
            job.add(None, "", "", self.evaluation(fmt, "original"))
            wanted += [
                (self.plan.set_key(m, self.plan.budget), op, part, EXCITE) for m, op, part in self.row_conditions()
            ]
            wanted += [(key, op, part, EXCITE) for key, op, part in self.row_nulls()]
        if fmt in (self.main_format, "native"):
            wanted += [c for _, _, _, conditions in self.sweep_points() for c in conditions]
        seen = set()
        for key, op, part, factor in wanted:
            out = self.evaluation(fmt, key, op, part, factor)
            if out in seen or (fmt == self.main_format and self.in_main(key, op, part, factor)):
                continue
            seen.add(out)
            neurons = self.neurons_of(key)
            job.conditions.append(condition_spec(neurons, op, part, factor))
            job.outputs.append(out)
            if neurons not in job.sets:
                job.sets.append(neurons)
        return job

    def jobs(self) -> dict[str, Job]:
        return {fmt: job for fmt in [*self.formats, self.main_format] if (job := self.job(fmt)).outputs}

    # -- the report's inputs --------------------------------------------------------------------------

    def report_inputs(self, model: str, seed: Any) -> list[str]:
        """Every evaluation file the transfer report reads (one model, one seed)."""
        files: list[str] = []
        for task in self.plan.tasks:
            for fmt in [self.main_format, *self.formats]:
                files.append(self.evaluation(fmt, "original", model=model, seed=seed, task=task))
                for method, op, part in self.row_conditions():
                    files.append(
                        self.evaluation(
                            fmt,
                            self.plan.set_key(method, self.plan.budget),
                            op,
                            part,
                            model=model,
                            seed=seed,
                            task=task,
                        )
                    )
                for key, op, part in self.row_nulls(fmt):
                    files.append(self.evaluation(fmt, key, op, part, model=model, seed=seed, task=task))
            for fmt in (self.main_format, "native"):
                for _, _, _, conditions in self.sweep_points():
                    files += [
                        self.evaluation(fmt, key, op, part, f, model=model, seed=seed, task=task)
                        for key, op, part, f in conditions
                    ]
        return list(dict.fromkeys(files))
