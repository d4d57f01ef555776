"""The pipeline's plan: which files exist, which evaluation job writes which, from the config alone.

The Snakemake rules (workflow/rules/*.smk) are thin: every path and every evaluation condition comes
from here, so the plan is a tested Python module (tests/unit/test_registry.py and
tests/unit/test_transfer_plan.py check that every file a report reads is written by some job).
The paths, under `results_dir`, are `LAYOUT` below, the one definition: the path methods format it and
results/README.md shows it (tests/unit/test_results_layout.py checks the README against it).

One evaluation job per (model, seed, task) and group (main, common, ablation, table7, specificity):
its conditions share one loaded model and one prefix tree (neuronllm/scoring/engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neuronllm import methods as registry

MAIN_OPS = ("degrade", "enhance")

# The results layout, under `results_dir`: {name: (path pattern, what the file holds)}. {set_key} is
# {method}/k{budget}, null/k{budget}/n{index} or matched/{method}/k{budget}/n{index}; {name} is metrics or
# metrics_ablation.
LAYOUT: dict[str, tuple[str, str]] = {
    "attributions": ("{model}/s{seed}/{task}/attributions.pt", "per-proxy scores shared by the methods"),
    "neurons": ("{model}/s{seed}/{task}/{method}/k{budget}/neurons.json", "good/bad neurons (NeuronSet JSON)"),
    "common": ("{model}/s{seed}/common/k{budget}/neurons.json", "common ability neurons (Table 5)"),
    "null": ("{model}/null/k{budget}/n{index}/neurons.json", "the null band's uniform random sets (K + K)"),
    "matched_null": (
        "{model}/s{seed}/{task}/matched/{method}/k{budget}/n{index}/neurons.json",
        "layer- and activation-matched null sets",
    ),
    "original": ("{model}/s{seed}/{task}/original/eval.json", "unmodified acc, comprehension, predictions"),
    "evaluation": ("{model}/s{seed}/{task}/{set_key}/{op}-{part}/eval.json", "an intervention's evaluation"),
    "metrics": (
        "{model}/s{seed}/{task}/{method}/k{budget}/{name}.json",
        "effects, intervals, McNemar, null band (Tables 1, 5, 7; metrics_ablation: Good/Bad/Both)",
    ),
    "specificity_original": (
        "{model}/s{seed}/specificity/{evaluated}/original/eval.json",
        "the unmodified model on an evaluated task of the matrix",
    ),
    "specificity_evaluation": (
        "{model}/s{seed}/specificity/{evaluated}/{source}/{op}-both/eval.json",
        "a source's set (a task's NeuronLLM set, or common) on the evaluated task",
    ),
    "specificity_metrics": (
        "{model}/s{seed}/specificity/{evaluated}/{source}/metrics.json",
        "one cell of the specificity matrix",
    ),
}


@dataclass(frozen=True)
class Job:
    """An evaluation job: conditions (CLI specs with {placeholders}) and their outputs, one each."""

    conditions: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # the neuron files it reads

    def add(self, neurons: str | None, op: str, part: str, out: str) -> None:
        self.conditions.append("original" if neurons is None else f"{neurons}:{op}-{part}")
        self.outputs.append(out)
        if neurons is not None and neurons not in self.sets:
            self.sets.append(neurons)


class Plan:
    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.R = str(config.get("results_dir", "results"))
        self.models = list(config["models"])
        self.tasks = list(config["tasks"])
        self.methods = list(config["methods"])
        self.budget = int(config["budget"])
        self.seeds = [int(s) for s in config.get("seeds", [0])]
        self.null_sets = int(config.get("null_sets", 0))
        self.matched = [m for m in config.get("matched_null", []) if m in self.methods]
        self.ablation = [m for m in config.get("ablation_methods", list(registry.ablation_methods()))]
        self.table7 = dict(config.get("table7") or {})
        self.specificity = dict(config.get("specificity") or {})
        self._task_inputs: dict[tuple[str, str], list[str]] = {}

    # -- what a task's numbers are computed from (rule inputs) -----------------------------------------

    def task_inputs(self, task: str, answer_format: str | None = None) -> list[str]:
        """The task's YAML chain (of `answer_format`, default the config's), its prompt templates and its
        data files: rule inputs of every job that reads them, so editing one reruns exactly the jobs that
        depend on it (and nothing else)."""
        fmt = answer_format or self.config.get("answer_format", "text")
        if (task, fmt) not in self._task_inputs:
            from pathlib import Path

            from neuronllm.tasks.data import shipped_data_dir
            from neuronllm.tasks.lm_eval_tasks import find_task

            found = find_task(task, fmt)
            files = [str(f) for f in found.files]
            data = self.config.get("data_files")
            if data == "shipped":
                mapping, base = found.spec.get("shipped_files") or {}, shipped_data_dir()
            elif isinstance(data, dict):
                mapping, base = data.get(task) or {}, None
            else:  # the hub: the dataset's revision is not a file
                mapping, base = {}, None
            for split in found.spec["splits"].values():
                paths = mapping.get(split, [])
                for path in [paths] if isinstance(paths, str) else paths:
                    files.append(str(base / path) if base is not None and not Path(path).is_absolute() else str(path))
            self._task_inputs[(task, fmt)] = files
        return list(self._task_inputs[(task, fmt)])

    def general_task_inputs(self, name: str) -> list[str]:
        """A general task's YAML and its shipped data file."""
        from pathlib import Path

        from neuronllm.package_data import tasks_dir
        from neuronllm.tasks.data import shipped_data_dir
        from neuronllm.tasks.spec import plain_yaml

        files = []
        for path in sorted((Path(tasks_dir()) / "general").glob("*.yaml")):
            cfg = plain_yaml(path)
            if cfg.get("task") == name:
                files.append(str(path))
                kwargs = cfg.get("dataset_kwargs") or {}
                data = shipped_data_dir() / "general" / f"{kwargs.get('name', '')}.jsonl"
                if data.is_file():
                    files.append(str(data))
        return files

    # -- files --------------------------------------------------------------------------------------

    def path(self, entry: str, /, **fields: Any) -> str:
        """A LAYOUT path under results_dir; a field left out stays a {placeholder} (a Snakemake wildcard)."""
        pattern = LAYOUT[entry][0]
        keep = {key: "{" + key + "}" for key in ("model", "seed", "task", "method", "budget", "index")}
        return f"{self.R}/" + pattern.format_map(keep | {k: v for k, v in fields.items() if v is not None})

    def base(self, model: str = "{model}", seed: Any = "{seed}") -> str:
        return f"{self.R}/{model}/s{seed}"

    def attributions(self, model: str = "{model}", seed: Any = "{seed}", task: str = "{task}") -> str:
        return self.path("attributions", model=model, seed=seed, task=task)

    def contrast_attributions(self, method: str, model: str, seed: Any, task: str) -> list[str]:
        """What a contrast method (`other_tasks` in the registry) reads besides its task's attributions:
        those of the config's other tasks, same model and seed. Nothing for any other method."""
        if method not in registry.METHODS or not registry.METHODS[method].other_tasks:
            return []
        return [self.attributions(model, seed, other) for other in self.tasks if other != task]

    def neurons(
        self, method: str, budget: Any, model: str = "{model}", seed: Any = "{seed}", task: str = "{task}"
    ) -> str:
        if method == "common":
            return self.path("common", model=model, seed=seed, budget=budget)
        return self.path("neurons", model=model, seed=seed, task=task, method=method, budget=budget)

    def null(self, index: int, budget: Any = None, model: str = "{model}") -> str:
        return self.path("null", model=model, budget=self.budget if budget is None else budget, index=index)

    def matched_null(
        self, method: str, index: int, model: str = "{model}", seed: Any = "{seed}", task: str = "{task}"
    ) -> str:
        fields = {"model": model, "seed": seed, "task": task, "method": method, "budget": self.budget}
        return self.path("matched_null", index=index, **fields)

    def evaluation(
        self,
        set_key: str,
        op: str | None = None,
        part: str | None = None,
        model: str = "{model}",
        seed: Any = "{seed}",
        task: str = "{task}",
    ) -> str:
        if set_key == "original":
            return self.path("original", model=model, seed=seed, task=task)
        return self.path("evaluation", model=model, seed=seed, task=task, set_key=set_key, op=op, part=part)

    def metrics(
        self,
        method: str,
        budget: Any,
        name: str = "metrics",
        model: str = "{model}",
        seed: Any = "{seed}",
        task: str = "{task}",
    ) -> str:
        return self.path("metrics", model=model, seed=seed, task=task, method=method, budget=budget, name=name)

    # -- what each job evaluates ----------------------------------------------------------------------

    @staticmethod
    def set_key(method: str, budget: Any) -> str:
        return f"{method}/k{budget}"

    def null_parts(self, ablation: bool) -> list[str]:
        return ["bad"] if ablation else ["good", "both"]

    @staticmethod
    def main_parts(method: str) -> list[str]:
        """The parts Table 1 changes: the method's own (registry), and for a method with a bad side also
        its good side alone, the equal-budget row (K neurons, as each baseline changes)."""
        part = registry.table1_part(method)
        identified = registry.METHODS.get(method)  # not the derived sets (common ability neurons: Table 5)
        return [part, "good"] if identified is not None and identified.has_bad else [part]

    def main_job(self) -> Job:
        """Table 1: the original, every method's Deg/Enh at K (and the equal-budget good-only conditions),
        and the null sets' conditions of both shapes."""
        job = Job()
        job.add(None, "", "", self.evaluation("original"))
        for method in self.methods:
            for part in self.main_parts(method):
                for op in MAIN_OPS:
                    job.add(
                        self.neurons(method, self.budget),
                        op,
                        part,
                        self.evaluation(self.set_key(method, self.budget), op, part),
                    )
        for index in range(self.null_sets):
            for part in self.null_parts(ablation=False):
                for op in MAIN_OPS:
                    job.add(self.null(index), op, part, self.evaluation(f"null/k{self.budget}/n{index}", op, part))
        for method in self.matched:
            part = registry.table1_part(method)
            for index in range(self.null_sets):
                for op in MAIN_OPS:
                    job.add(
                        self.matched_null(method, index),
                        op,
                        part,
                        self.evaluation(f"matched/{method}/k{self.budget}/n{index}", op, part),
                    )
        return job

    def common_job(self) -> Job:
        job = Job()
        for op in MAIN_OPS:
            job.add(
                self.neurons("common", self.budget),
                op,
                "both",
                self.evaluation(self.set_key("common", self.budget), op, "both"),
            )
        return job

    def ablation_job(self) -> Job:
        """Good/Bad/Both: the conditions Table 1 does not already evaluate, and the nulls' bad side."""
        job = Job()
        for method in self.ablation:
            main_parts = self.main_parts(method) if method in self.methods else []
            for op in MAIN_OPS:
                for part in ("good", "bad", "both"):
                    if part not in main_parts:
                        job.add(
                            self.neurons(method, self.budget),
                            op,
                            part,
                            self.evaluation(self.set_key(method, self.budget), op, part),
                        )
        for index in range(self.null_sets):
            for op in MAIN_OPS:
                job.add(self.null(index), op, "bad", self.evaluation(f"null/k{self.budget}/n{index}", op, "bad"))
        return job

    def table7_job(self) -> Job:
        """Table 7's budgets other than K (K's sets are the main job's)."""
        job = Job()
        for method in self.table7.get("methods", []):
            for budget in self.table7.get("budgets", []):
                if int(budget) == self.budget and method in self.methods:
                    continue
                part = registry.table1_part(method)
                for op in MAIN_OPS:
                    job.add(
                        self.neurons(method, budget), op, part, self.evaluation(self.set_key(method, budget), op, part)
                    )
        return job

    # -- metrics inputs -------------------------------------------------------------------------------

    def main_conditions(self, method: str, budget: int | None = None) -> list[tuple[str, str]]:
        """Table 1's conditions of a method at the main budget; Table 7's other budgets evaluate the
        method's own part only (no equal-budget row there)."""
        parts = (
            self.main_parts(method) if budget is None or int(budget) == self.budget else [registry.table1_part(method)]
        )
        return [(op, part) for part in parts for op in MAIN_OPS]

    def ablation_conditions(self) -> list[tuple[str, str]]:
        return [(op, part) for op in MAIN_OPS for part in ("good", "bad", "both")]

    def metrics_inputs(
        self, method: str, budget: int, ablation: bool, model: str, seed: Any, task: str
    ) -> dict[str, list[str] | str]:
        conditions = self.ablation_conditions() if ablation else self.main_conditions(method, budget)
        inputs: dict[str, Any] = {
            "original": self.evaluation("original", model=model, seed=seed, task=task),
            "conditions": [
                self.evaluation(self.set_key(method, budget), op, part, model, seed, task) for op, part in conditions
            ],
            "null": [],
            "null_matched": [],
        }
        if int(budget) == self.budget:
            for index in range(self.null_sets):
                for op, part in conditions:
                    inputs["null"].append(self.evaluation(f"null/k{self.budget}/n{index}", op, part, model, seed, task))
                if method in self.matched and not ablation:  # matched to the method's own Table 1 part
                    inputs["null_matched"] += [
                        self.evaluation(f"matched/{method}/k{self.budget}/n{index}", op, part, model, seed, task)
                        for op, part in conditions
                        if part == registry.table1_part(method)
                    ]
        return inputs

    # -- specificity ------------------------------------------------------------------------------------

    @property
    def specificity_sources(self) -> list[str]:
        known = (registry.PAPER_METHOD, "common")
        return [s for s in self.specificity.get("sources", list(known)) if s in known]

    @property
    def general_tasks(self) -> list[str]:
        return list(self.specificity.get("general_tasks", []))

    def source_sets(self) -> list[tuple[str, str]]:
        """(label, neuron file pattern without {task}) of every row of the specificity matrix."""
        rows = []
        if registry.PAPER_METHOD in self.specificity_sources:
            rows += [(task, self.neurons(registry.PAPER_METHOD, self.budget, task=task)) for task in self.tasks]
        if "common" in self.specificity_sources:
            rows.append(("common", self.neurons("common", self.budget)))
        return rows

    def specificity_evaluation(
        self, evaluated: str, source: str, op: str | None = None, model: str = "{model}", seed: Any = "{seed}"
    ) -> str:
        if source == "original":
            return self.path("specificity_original", model=model, seed=seed, evaluated=evaluated)
        fields = {"model": model, "seed": seed, "evaluated": evaluated, "source": source, "op": op}
        return self.path("specificity_evaluation", **fields)

    def specificity_job(self) -> Job:
        """Every evaluated task's column of the matrix, with {evaluated} left a wildcard: its original and
        every source's Deg/Enh (the task's own set and the common set included, so a column pairs every
        cell against one original; the diagonal repeats Table 1's conditions on the same instances, and
        .ci/regression.py `on_target_differences` checks it gives Table 1's numbers). The same outputs for every task,
        so one rule (`evaluate_specificity`) evaluates them all."""
        job = Job()
        job.add(None, "", "", self.specificity_evaluation("{evaluated}", "original"))
        for source, path in self.source_sets():
            for op in MAIN_OPS:
                job.add(path, op, "both", self.specificity_evaluation("{evaluated}", source, op))
        return job

    def specificity_task_inputs(self, evaluated: str) -> list[str]:
        """The inputs of an evaluated task: an AQUA task's chain (config's format) or a general task's."""
        return self.general_task_inputs(evaluated) if evaluated in self.general_tasks else self.task_inputs(evaluated)

    def specificity_metrics(self, evaluated: str, source: str, model: str = "{model}", seed: Any = "{seed}") -> str:
        return self.path("specificity_metrics", model=model, seed=seed, evaluated=evaluated, source=source)

    def specificity_metrics_inputs(self, evaluated: str, source: str, model: str, seed: Any) -> dict[str, Any]:
        return {
            "original": self.specificity_evaluation(evaluated, "original", model=model, seed=seed),
            "conditions": [self.specificity_evaluation(evaluated, source, op, model, seed) for op in MAIN_OPS],
        }

    def specificity_cells(self, model: str, seed: Any) -> list[str]:
        return [
            self.specificity_metrics(evaluated, source, model, seed)
            for evaluated in [*self.tasks, *self.general_tasks]
            for source, _ in self.source_sets()
        ]


EVALUATE_GROUPS = ("main", "common", "ablation", "table7")  # the rules evaluate_<group> (workflow/rules/evaluate.smk)


def gpu_rules() -> list[str]:
    """Every rule that declares gpu=1: attribute, evaluate_<group>, evaluate_specificity and the
    transfer's evaluate_transfer_<format>. No name holds a task or a config value (each rule takes its
    task as a wildcard), so the SLURM profile (profiles/slurm/config.yaml), which reads this list, routes
    a new task's jobs to the GPU partition with no edit."""
    from neuronllm.tasks.aqua import EVAL_FORMATS

    return [
        "attribute",
        *(f"evaluate_{g}" for g in EVALUATE_GROUPS),
        "evaluate_specificity",
        *(f"evaluate_transfer_{f}" for f in EVAL_FORMATS),
    ]
