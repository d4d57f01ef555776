"""What `snakemake results/stability.md` computes, from the config alone (beside plan.py's main jobs).

Per (model, seed, task), for the first model and seed of the config (as the transfer study):

    {model}/s{seed}/stability/{task}/pool/attributions.pt     the main attribution pool: S·n instances (or
                                                               max(sizes) + reference), the config's steps
                                                               and answer format
    {model}/s{seed}/stability/{task}/steps/attributions.pt    the first compare_samples·n instances with
                                                               compare_steps IG steps
    {model}/s{seed}/stability/{task}/format/attributions.pt   the same instances in the other answer format
    {model}/s{seed}/stability/sets.csv                         the set comparisons (one job: selection only)
    {model}/s{seed}/stability/{task}/{method}/{label}/neurons.json           each evaluated set
    {model}/s{seed}/stability/{task}/{method}/{label}/{op}-{part}/eval.json  its Table 1 conditions

Samples are disjoint blocks of consecutive instances of the pool (neuronllm/analysis/stability.py). The
evaluations are compared with the main job's original and null-set evaluations (same evaluation
instances, same null band), which the main command writes: the study reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuronllm.analysis.stability import StudySettings
from neuronllm.pipeline.plan import MAIN_OPS, Job, Plan

DEFAULTS: dict[str, Any] = {
    "methods": ["cni", "tn", "diffmean", "random"],
    "samples": 5,
    "instances": None,  # the config's `instances`
    "sizes": [2, 5, 10, 20],
    "reference": 30,
    "compare_samples": 2,
    "compare_steps": 20,
    "evaluate": True,
    "parts": "good",
    "tasks": None,  # the config's tasks
}
PARTS = ("good", "table1")  # the equal-budget good side only, or every part Table 1 evaluates
VARIANTS = ("pool", "steps", "format")
OTHER_FORMAT = {"text": "letter", "letter": "text"}


@dataclass
class StabilityPlan:
    plan: Plan

    @property
    def config(self) -> dict[str, Any]:
        return DEFAULTS | dict(self.plan.config.get("stability") or {})

    @property
    def model(self) -> str:
        return self.plan.models[0]

    @property
    def seed(self) -> int:
        return self.plan.seeds[0]

    def settings(self) -> StudySettings:
        c = self.config
        return StudySettings(
            methods=tuple(c["methods"]),
            samples=int(c["samples"]),
            instances=int(c["instances"] or self.plan.config.get("instances") or 10),
            sizes=tuple(int(s) for s in c["sizes"]),
            reference=int(c["reference"]),
            compare_samples=int(c["compare_samples"]),
            budget=self.plan.budget,
            z=int(self.plan.config.get("z", 1000)),
            seed=self.seed,
        )

    def variants(self) -> list[str]:
        return list(VARIANTS) if self.settings().compare_samples else ["pool"]

    def variant_options(self, variant: str) -> dict[str, Any]:
        """The attribute job's instances, steps and answer format of a variant."""
        settings, fmt = self.settings(), self.plan.config.get("answer_format", "text")
        steps = int(self.plan.config.get("steps", 20))
        if variant == "pool":
            return {"instances": settings.pool, "steps": steps, "answer_format": fmt}
        if variant == "steps":
            return {
                "instances": settings.compare_pool,
                "steps": int(self.config["compare_steps"]),
                "answer_format": fmt,
            }
        return {"instances": settings.compare_pool, "steps": steps, "answer_format": OTHER_FORMAT[fmt]}

    @property
    def tasks(self) -> list[str]:
        """The study's tasks: a subset of the config's (every one by default). A contrast method (DiffMean)
        contrasts each with the study's other tasks, the same blocks of their own pools."""
        from neuronllm.errors import UserError

        tasks = list(self.config["tasks"] or self.plan.tasks)
        unknown = [t for t in tasks if t not in self.plan.tasks]
        if unknown:
            known = ", ".join(self.plan.tasks)
            raise UserError(f"stability.tasks: {unknown[0]!r} is not one of the config's tasks ({known})")
        return tasks

    def parts(self, method: str) -> list[str]:
        """The parts each set is evaluated on: the good side at K (the equal-budget comparison the report
        draws between methods; half the conditions), or every part Table 1 evaluates (`parts: table1`)."""
        return self.plan.main_parts(method) if self.config["parts"] == "table1" else ["good"]

    def versus(self) -> dict[str, str]:
        """Row labels of the two comparisons."""
        pool, steps, other = (self.variant_options(v) for v in VARIANTS)
        return {
            "steps": f"m = {pool['steps']} vs m = {steps['steps']}",
            "format": f"{pool['answer_format']} vs {other['answer_format']}",
        }

    # -- files -----------------------------------------------------------------------------------------

    def base(self, model: str = "{model}", seed: Any = "{seed}") -> str:
        return f"{self.plan.base(model, seed)}/stability"

    def attributions(self, variant: str = "{variant}", model: str = "{model}", seed: Any = "{seed}",
                     task: str = "{task}") -> str:  # fmt: skip
        return f"{self.base(model, seed)}/{task}/{variant}/attributions.pt"

    def sets_csv(self, model: str = "{model}", seed: Any = "{seed}") -> str:
        return f"{self.base(model, seed)}/sets.csv"

    def neurons(
        self, method: str, label: str, model: str = "{model}", seed: Any = "{seed}", task: str = "{task}"
    ) -> str:
        return f"{self.base(model, seed)}/{task}/{method}/{label}/neurons.json"

    def evaluation(self, method: str, label: str, op: str, part: str, model: str = "{model}", seed: Any = "{seed}",
                   task: str = "{task}") -> str:  # fmt: skip
        return f"{self.base(model, seed)}/{task}/{method}/{label}/{op}-{part}/eval.json"

    def set_outputs(self, model: str = "{model}", seed: Any = "{seed}") -> list[str]:
        """Every set the sets job writes (the evaluated ones)."""
        settings = self.settings()
        if not self.config["evaluate"]:
            return []
        return [
            self.neurons(method, label, model, seed, task)
            for task in self.tasks
            for method in settings.methods
            for label in settings.labels()
        ]

    def evaluation_job(self) -> Job:
        """One evaluation job per task: every evaluated set's Table 1 conditions (no original: the main
        job's is reused)."""
        job = Job()
        if not self.config["evaluate"]:
            return job
        settings = self.settings()
        for method in settings.methods:
            for label in settings.labels():
                for part in self.parts(method):
                    for op in MAIN_OPS:
                        job.add(self.neurons(method, label), op, part, self.evaluation(method, label, op, part))
        return job

    def main_evaluations(self, model: str, seed: Any, task: str) -> dict[str, list[str]]:
        """The main job's files the effects are computed against: the original and the null sets."""
        nulls = [
            self.plan.evaluation(f"null/k{self.plan.budget}/n{i}", op, part, model, seed, task)
            for i in range(self.plan.null_sets)
            for part in self.plan.null_parts(ablation=False)
            for op in MAIN_OPS
        ]
        return {"original": [self.plan.evaluation("original", model=model, seed=seed, task=task)], "null": nulls}

    def report_inputs(self) -> list[str]:
        model, seed = self.model, self.seed
        inputs = [self.sets_csv(model, seed)]
        if self.config["evaluate"]:
            job = self.evaluation_job()
            for task in self.tasks:
                inputs += [out.format(model=model, seed=seed, task=task) for out in job.outputs]
                main = self.main_evaluations(model, seed, task)
                inputs += main["original"] + main["null"]
        return inputs
