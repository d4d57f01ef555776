"""What a JSON schema cannot say about a config, checked before any job runs (the Snakefile calls
check_config at parse time): tasks and methods exist, data files cover the tasks, budgets fit the models."""

from __future__ import annotations

from typing import Any

from neuronllm import methods as registry


def _check_methods(config: dict[str, Any]) -> None:
    """Every method the config names is in the registry (the schema says only "a string": the registry is
    the one list of methods), and the ablation's have an ablation label."""
    from neuronllm.errors import UserError

    lists = {
        "methods": config.get("methods", []),
        "matched_null": config.get("matched_null", []),
        "table7.methods": (config.get("table7") or {}).get("methods", []),
        "transfer.methods": (config.get("transfer") or {}).get("methods", []),
        "stability.methods": (config.get("stability") or {}).get("methods", []),
    }
    for where, names in lists.items():
        for name in names:
            try:
                registry.get_method(name)
            except UserError as err:
                raise UserError(f"config: {where}: {err}") from None
    ablation = registry.ablation_methods()
    for name in config.get("ablation_methods", []):
        if name not in ablation:
            raise UserError(
                f"config: ablation_methods: {name!r} is not a method of the ablation (known: {', '.join(ablation)})"
            )


REQUIRED = ("models", "tasks", "methods", "budget")


def check_numbers(config: Any, source: str = "config") -> None:
    """The config's shape and the range of every number a JSON schema does not bound by meaning, by the
    same checks the command line uses: a mapping with models (distinct labels: two with one label would
    print two Table 1 rows of one name), tasks, methods and a budget; the bootstrap's resample count
    (analysis.pairing.check_resamples); the transfer's null counts at most `null_sets` (its bands reuse
    the main run's null sets: more would be clamped); the sweep's factors (model.condition.parse_factor)."""
    from neuronllm.analysis.pairing import check_resamples
    from neuronllm.errors import UserError
    from neuronllm.model.condition import parse_factor

    if not isinstance(config, dict):
        raise UserError(f"{source}: not a pipeline config (expected a mapping)")
    missing = [key for key in REQUIRED if key not in config]
    if missing:
        raise UserError(f"{source}: no {missing[0]!r} (a pipeline config needs {', '.join(REQUIRED)})")
    models = config["models"]
    if not isinstance(models, dict) or not models or not all(isinstance(m, dict) for m in models.values()):
        raise UserError(f"{source}: 'models' must map names to {{spec, label, model_args}}")
    for key in ("tasks", "methods"):
        if not isinstance(config[key], list) or not config[key]:
            raise UserError(f"{source}: {key!r} must be a non-empty list")
    labels: dict[str, str] = {}
    for name, entry in models.items():
        label = str(entry.get("label", entry.get("spec", name)))
        if label in labels:
            raise UserError(
                f"{source}: models {labels[label]!r} and {name!r} have the same label {label!r} "
                f"(the tables would print two rows of one name)"
            )
        labels[label] = name
    if "bootstrap" in config:
        try:
            check_resamples(config["bootstrap"])
        except UserError as err:
            raise UserError(f"{source}: bootstrap: {str(err).removeprefix('--resamples ')}") from None
    transfer = config.get("transfer") or {}
    null_sets = config.get("null_sets", 0)
    for key in ("null_sets", "sweep_null_sets"):
        if key in transfer and isinstance(transfer[key], int) and transfer[key] > null_sets:
            raise UserError(
                f"{source}: transfer.{key} {transfer[key]} is more than null_sets {null_sets} "
                f"(the transfer reuses the main run's null sets)"
            )
    for factor in transfer.get("sweep_factors", []):
        parse_factor(factor, f"{source}: transfer.sweep_factors")


def _check_contrast(config: dict[str, Any]) -> None:
    """A contrast method (the registry's `other_tasks`) compares each task with the config's other tasks."""
    from neuronllm.errors import UserError

    named = [
        *config.get("methods", []),
        *(config.get("table7") or {}).get("methods", []),
        *(config.get("transfer") or {}).get("methods", []),
        *(config.get("stability") or {}).get("methods", []),
    ]
    contrast = [name for name in named if registry.get_method(name).other_tasks]
    if contrast and len(config["tasks"]) < 2:
        raise UserError(
            f"config: {contrast[0]} contrasts a task with the config's other tasks: it needs two tasks or more"
        )


def check_config(config: dict[str, Any]) -> None:
    """What a JSON schema cannot say about a config, as one-line errors before any job runs: the tasks
    exist (tasks/aqua/), a data_files mapping covers every configured task with {split: path},
    Table 7's task is configured, the general tasks exist (tasks/general/), budgets fit the models."""
    import difflib

    from neuronllm.errors import UserError
    from neuronllm.tasks.lm_eval_tasks import aqua_task_names, general_task_names

    check_numbers(config)
    _check_methods(config)
    _check_contrast(config)
    known = aqua_task_names()
    for task in config["tasks"]:
        if task not in known:
            close = difflib.get_close_matches(task, known, n=1)
            raise UserError(
                f"config: unknown task {task!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; known: {', '.join(known)}"
            )
    data = config["data_files"]
    if isinstance(data, dict):
        for task in config["tasks"]:
            if task not in data:
                raise UserError(
                    f"config: data_files has no entry for task {task!r} (it has {', '.join(data) or 'none'})"
                )
            if not isinstance(data[task], dict) or not data[task]:
                raise UserError(f"config: data_files[{task!r}] must map split names to files, got {data[task]!r}")
    table7 = config.get("table7") or {}
    if table7.get("task") and table7["task"] not in config["tasks"]:
        raise UserError(f"config: table7.task {table7['task']!r} is not one of the configured tasks")
    general = general_task_names()
    for name in (config.get("specificity") or {}).get("general_tasks", []):
        if name not in general:
            raise UserError(f"config: unknown general task {name!r}; known: {', '.join(general)}")
    if config.get("stability"):
        from neuronllm.analysis.stability import check_study
        from neuronllm.pipeline.plan import Plan
        from neuronllm.pipeline.stability_plan import StabilityPlan

        try:
            study = StabilityPlan(Plan(config))
            check_study(study.settings())
            contrast = [m for m in study.settings().methods if registry.get_method(m).other_tasks]
            if contrast and len(study.tasks) < 2:
                raise UserError(
                    f"stability: {contrast[0]} contrasts a task with the study's other tasks: "
                    "stability.tasks needs two tasks or more"
                )
        except UserError as err:
            raise UserError(f"config: {err}") from None
    from neuronllm.model.loading import config_neuron_counts
    from neuronllm.neurons import check_budget

    def any_bad_side(methods: list[str]) -> bool:
        return any(registry.get_method(m).has_bad for m in methods)

    # (budget, whether one of its sets has a bad side): the main K for every method (and the common
    # neurons, good + bad), Table 7's budgets for Table 7's methods
    budgets = [(int(config["budget"]), any_bad_side(config["methods"]) or bool(config.get("specificity")))]
    budgets += [(int(b), any_bad_side(table7.get("methods", []))) for b in table7.get("budgets", [])]
    for label, entry in config["models"].items():
        counts = config_neuron_counts(entry["spec"], convert=False, **(entry.get("model_args") or {}))
        for budget, both_sides in budgets:
            try:
                check_budget(budget, sum(counts) if counts else None, both_sides, model=f"model {label}")
            except UserError as err:
                raise UserError(f"config: {err}") from None
