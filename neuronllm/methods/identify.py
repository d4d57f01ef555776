"""identify(model, task, method, budget) -> NeuronSet: the one entry point of every method.

Cheap checks (method, task, budget against the model's config, identification data) run before the
model is loaded, so an impossible request fails in a second with one line. The expensive part,
attribution, can be computed once and passed in (`attributions=`), which the pipeline does to share
it between methods.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from neuronllm import __version__
from neuronllm.attribution import IG_LAYER_BATCH, IG_STEPS
from neuronllm.attribution.kinds import Attributions, compute_attributions
from neuronllm.digests import provenance_digests
from neuronllm.errors import UserError
from neuronllm.methods import CNI_TOP_Z, attribution_kinds, get_method
from neuronllm.model.loading import LoadedModel, checkpoint_weights, config_neuron_counts, load_model, provenance_name
from neuronllm.neurons import Neuron, NeuronSet, check_budget
from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies


@dataclass(frozen=True)
class IdentifySettings:
    task: str
    answer_format: str = "text"
    seed: int = 0
    instances: int | None = None  # identification instances (each gives 3 proxies)
    steps: int = IG_STEPS  # m of the Riemann sum
    layer_batch: int = IG_LAYER_BATCH  # layers per batched IG pass: bounds memory
    z: int = CNI_TOP_Z  # CNI: per-instance top-z (eq. 5)
    data_files: Any = None
    engine: str = "cached"


def config_neuron_total(model_spec: str) -> int | None:
    """Neuron count from the model's config alone (no weights), when the config names its FFN width."""
    counts = config_neuron_counts(model_spec)
    return sum(counts) if counts else None


def check_instances(method: str, settings: IdentifySettings, available: int) -> None:
    """Enough identification instances for the method (QRNCA's rule keeps nothing below 4), and a
    warning when more were asked for than the split has."""
    from neuronllm.errors import warn

    needed = get_method(method).min_instances
    if available < needed:
        raise UserError(
            f"{method} needs at least {needed} identification instances; the task has {available} "
            f"with these settings (--instances)"
        )
    if settings.instances is not None and settings.instances > available:
        warn(
            f"--instances {settings.instances}: the identification split has {available} usable instances; using "
            f"{available}"
        )


def required_kinds(methods: list[str]) -> list[str]:
    """The attribution kinds these methods read (unknown names are one-line errors)."""
    for name in methods:
        get_method(name)
    return attribution_kinds(methods)


def attribute(
    model_spec: str,
    settings: IdentifySettings,
    kinds: list[str],
    loaded: LoadedModel | None = None,
    progress: bool = True,
) -> Attributions:
    """The per-proxy scores `kinds` on the task's identification proxies."""
    task = find_task(settings.task, settings.answer_format)
    data, proxies = load_proxies(
        task, "identify", settings.answer_format, settings.seed, settings.instances, 1, settings.data_files
    )
    if settings.instances is not None and settings.instances > len(data.identify):
        from neuronllm.errors import warn

        warn(f"--instances {settings.instances}: the identification split has {len(data.identify)} usable instances")
    loaded = loaded or load_model(model_spec)
    result = compute_attributions(
        loaded, proxies, kinds, settings.steps, settings.layer_batch, settings.engine, progress
    )
    result.provenance.update(
        {
            "model": provenance_name(model_spec),
            "model_identity": loaded.identity,
            "task": task.name,
            "data_source": data.source,
            "settings": asdict(settings),
            "n_instances": len(data.identify),
            "digests": provenance_digests(data.digest, task.digest, loaded.fingerprint, matched_settings(settings)),
        }
    )
    return result


# What must agree between an attribution file and the identification that reads it.
MATCHED_SETTINGS = ("answer_format", "seed", "instances", "data_files", "steps", "engine")


def matched_settings(settings: IdentifySettings) -> dict[str, Any]:
    """The settings an attribution's numbers depend on (the digests' "settings")."""
    return {"task": settings.task} | {k: getattr(settings, k) for k in MATCHED_SETTINGS}


def check_attribution_content(
    attributions: Attributions,
    task: Any,
    data_digest: str,
    model_args: dict[str, Any] | None,
    source: str = "attributions",
) -> None:
    """Same names are not enough: the data the attributions were computed on (its bytes), the task spec
    (after include resolution, with its templates) and the loading arguments must be today's."""
    from neuronllm.model.fingerprint import load_arguments_identity

    recorded = attributions.provenance.get("digests") or {}
    if recorded.get("data") and recorded["data"] != data_digest:
        raise UserError(
            f"{source} were computed on other data (the data files' content changed since, or other files were given)"
        )
    if recorded.get("task_spec") and recorded["task_spec"] != task.digest:
        raise UserError(
            f"{source} were computed with another version of task {task.name}'s spec or templates ({task.yaml_path})"
        )
    identity = attributions.provenance.get("model_identity") or {}
    if model_args is not None and "load_arguments" in identity:
        wanted = load_arguments_identity(model_args)
        if identity["load_arguments"] != wanted:
            raise UserError(
                f"{source} were computed with model arguments {identity['load_arguments']!r}, not {wanted!r}"
            )


def check_attributions_match(
    attributions: Attributions, model_spec: str, task: str, settings: IdentifySettings, source: str = "attributions"
) -> None:
    """Refuse attributions computed for another model, task, seed, answer format, data or instance count:
    their neurons would be reported as this request's."""
    provenance = attributions.provenance
    recorded = provenance.get("settings") or {}
    wanted = asdict(settings)
    if provenance.get("model") != provenance_name(model_spec):
        raise UserError(
            f"{source} were computed for model {provenance.get('model')!r}, not {provenance_name(model_spec)!r}"
        )
    recorded_task = provenance.get("task") or recorded.get("task", "").removeprefix("aqua_").removesuffix("_text")
    if recorded_task != task:
        raise UserError(f"{source} were computed for task {recorded_task!r}, not {task!r}")
    for key in MATCHED_SETTINGS:
        if recorded.get(key) != wanted[key]:
            raise UserError(
                f"{source} were computed with {key.replace('_', '-')} {recorded.get(key)!r}, not {wanted[key]!r}"
            )
    recorded_weights = (provenance.get("model_identity") or {}).get("weights")
    current = checkpoint_weights(model_spec)
    if recorded_weights and current and recorded_weights != current:
        raise UserError(f"{source} were computed with other weights of {model_spec!r} (the checkpoint changed since)")


def _check_sides(method: str, good: list, bad: list, task: str, instances: int, require_bad: bool = False) -> None:
    """An empty side that a condition needs is an error now, not a 0.0 cell later. Table 1 changes a
    baseline's good side only; the ablation (require_bad) changes every method's bad side too."""
    chosen = get_method(method)
    missing = "good" if not good else "bad" if (chosen.has_bad or require_bad) and not bad else None
    if missing:
        raise UserError(
            f"{method} found no {missing} neurons for task {task} from {instances} identification instance(s); "
            f"use more instances (--instances) or another method"
        )


def contrast_task_names(task: str, settings: IdentifySettings, tasks: list[str] | None) -> list[str]:
    """The other tasks a contrast method (`other_tasks`) compares this task with, checked before the model
    loads: `tasks`, or every other AQUA task of the tasks folder (each with this call's seed, format,
    instances and data source)."""
    from neuronllm.tasks.lm_eval_tasks import aqua_task_names

    names = [t for t in aqua_task_names() if t != task] if tasks is None else list(tasks)
    for name in names:
        find_task(name, settings.answer_format)
    short = [find_task(name, settings.answer_format).name for name in names]
    if task in short:
        raise UserError(f"the contrast tasks include the task itself ({task}): name only the other tasks")
    if len(set(short)) < len(short):
        raise UserError(f"the contrast tasks name a task twice: {', '.join(short)}")
    if not short:
        raise UserError(f"no other task to contrast {task} with (name them with --contrast-tasks)")
    if isinstance(settings.data_files, dict):
        raise UserError(
            "--data-files as a JSON mapping names this task's files only: give the other tasks' activations "
            "with --contrast-attributions"
        )
    return short


def check_contrast_attributions(
    others: list[Attributions], model_spec: str, task: str, settings: IdentifySettings, sources: list[str]
) -> list[str]:
    """The other tasks' attributions: one per task, none of this task, each computed like this task's
    (model, seed, format, instances, steps; its own data files). Returns their task names."""
    names: list[str] = []
    for other, source in zip(others, sources):
        recorded = other.provenance.get("task") or ""
        if recorded == task:
            raise UserError(f"{source} are this task's ({task}) attributions, not another task's")
        if recorded in names:
            raise UserError(f"{source}: a second set of attributions of task {recorded!r}")
        wanted = replace(settings, task=recorded)
        if isinstance(settings.data_files, dict):  # the pipeline's per-task data files: each task has its own
            wanted = replace(wanted, data_files=(other.provenance.get("settings") or {}).get("data_files"))
        check_attributions_match(other, model_spec, recorded, wanted, source)
        other.require("activation")
        names.append(recorded)
    return names


def identify(
    model_spec: str,
    method: str,
    budget: int,
    settings: IdentifySettings,
    attributions: Attributions | None = None,
    loaded: LoadedModel | None = None,
    progress: bool = True,
    attributions_source: str = "attributions",
    require_bad: bool = False,
    model_args: dict[str, Any] | None = None,
    others: list[Attributions] | None = None,
    contrast_tasks: list[str] | None = None,
    others_sources: list[str] | None = None,
) -> NeuronSet:
    """`others`, `contrast_tasks`: a method with `other_tasks` contrasts this task's attributions with the
    other tasks' (given, or computed on `contrast_tasks`, default every other task of the tasks folder)."""
    chosen = get_method(method)
    task = find_task(settings.task, settings.answer_format)
    if (others or contrast_tasks) and not chosen.other_tasks:
        raise UserError(f"{method} reads this task's attributions only: other tasks' apply to a contrast method")
    if others and contrast_tasks:
        raise UserError("give the other tasks' attributions or their names, not both")
    if chosen.other_tasks and others is None and attributions is not None:
        raise UserError(
            f"{method} contrasts tasks: with precomputed attributions it needs the other tasks' too "
            f"(--contrast-attributions)"
        )
    other_names = (
        contrast_task_names(task.name, settings, contrast_tasks) if chosen.other_tasks and others is None else []
    )
    if attributions is None:
        check_budget(budget, config_neuron_total(model_spec), chosen.has_bad)
        data, _ = load_proxies(
            task, "identify", settings.answer_format, settings.seed, settings.instances, 1, settings.data_files
        )
        check_instances(method, settings, len(data.identify))
    else:
        check_attributions_match(attributions, model_spec, task.name, settings, attributions_source)
        data, _ = load_proxies(
            task, "identify", settings.answer_format, settings.seed, settings.instances, 1, settings.data_files
        )
        check_attribution_content(attributions, task, data.digest, model_args, attributions_source)
        check_instances(method, replace(settings, instances=None), len(attributions.by_instance()))
    if others is not None:
        other_names = check_contrast_attributions(
            others, model_spec, task.name, settings, others_sources or ["attributions"] * len(others)
        )
    if other_names and others is None:  # one loaded model for every task's activations
        loaded = loaded or load_model(model_spec)
    if attributions is None and chosen.needs:
        attributions = attribute(model_spec, settings, list(chosen.needs), loaded, progress)
    if chosen.other_tasks and others is None:
        others = [
            attribute(model_spec, replace(settings, task=t), ["activation"], loaded, progress) for t in other_names
        ]
    if attributions is not None:
        counts = attributions.neuron_counts
    else:  # RANDOM needs only the model's shape: from its config where that says it, else from the model
        counts = (
            loaded.neuron_counts
            if loaded
            else (config_neuron_counts(model_spec) or load_model(model_spec).neuron_counts)
        )
    check_budget(budget, sum(counts), chosen.has_bad)
    contrast = {"others": others} if chosen.other_tasks else {}
    good, bad = chosen.select(attributions, budget, seed=settings.seed, z=settings.z, neuron_counts=counts, **contrast)
    n_instances = len(attributions.by_instance()) if attributions is not None else 0
    _check_sides(method, good, bad, task.name, n_instances, require_bad and method != "random")
    short = [
        f"{len(side)} {name}"
        for name, side in (("good", good), ("bad", bad if chosen.has_bad else [None] * budget))
        if len(side) < budget
    ]
    if short:
        from neuronllm.errors import warn

        warn(
            f"{method} on {task.name} found only {' and '.join(short)} neurons for budget K = {budget} "
            f"(eligible neurons ran out); the set has fewer than K"
        )
    provenance = {
        "model": provenance_name(model_spec),
        "task": task.name,
        "method": method,
        "budget": budget,
        "found": {"good": len(good), "bad": len(bad)},
        "seed": settings.seed,
        "config": asdict(settings),
        "package_version": __version__,
        "attribution": attributions.provenance if attributions is not None else None,
        **(
            {"contrast": {"tasks": other_names, "proxies": [len(o.instance_ids) for o in others or []]}}
            if chosen.other_tasks
            else {}
        ),
        "digests": (attributions.provenance.get("digests") if attributions is not None else None)
        or provenance_digests(
            data.digest if attributions is None else None, task.digest, None, matched_settings(settings)
        ),
    }
    return NeuronSet([Neuron(l, i, s) for l, i, s in good], [Neuron(l, i, s) for l, i, s in bad], counts, provenance)
