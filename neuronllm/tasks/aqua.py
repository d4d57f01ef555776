"""AQUA: every task instance becomes 3 multiple-choice proxy questions (docs/method.md §2).

A proxy prompt has five parts, rendered from Jinja templates in tasks/aqua/templates/:
  1 role specification  2 rule explanation  3 one-shot example  4 question stem  5 lettered options,
ending in "Correct answer:". The 3 proxies of an instance share the gold option and the distractors;
their orders are rotations of one seeded order, so with >= 3 options the gold letter differs in each;
each proxy shows a different one-shot example drawn from the identification split. Everything is a
pure function of (instance, seed).

Two answer formats share the prompt layout and differ in the rule sentence and in what is scored:
  letter  the option letters (the paper's setting, for 7B models)
  text    the option texts, scored by summed log-likelihood (for small models, which answer
          letter questions at chance)
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from neuronllm.errors import UserError
from neuronllm.tasks.adapters import Instance, stable_seed
from neuronllm.tasks.data import TaskData

N_PROXIES = 3
N_OPTIONS = 4
ANSWER_FORMATS = ("letter", "text")
# What an evaluation may pose: the two AQUA formats, or the task itself as a plain cloze (native.py;
# evaluation only: identification needs the AQUA proxies).
EVAL_FORMATS = (*ANSWER_FORMATS, "native")


@dataclass(frozen=True, kw_only=True)  # built by keyword: two of its strings were once swapped unseen
class ProxyQA:
    instance_id: str  # Instance.instance_id, "split:row" ("evaluate:12"): unique, what proxies group by
    proxy: int  # 0, 1, 2
    prompt: str  # ends in "Correct answer:"
    options: tuple[str, ...]  # option texts in display order
    gold: int  # index into options
    answer_format: str
    source_id: str = ""  # the row's own id field (display only: data files may repeat ids)

    @property
    def letters(self) -> list[str]:
        return list(string.ascii_uppercase[: len(self.options)])

    @property
    def choices(self) -> list[str]:
        """What is scored: letters or option texts."""
        return self.letters if self.answer_format == "letter" else list(self.options)

    def as_doc(self) -> dict[str, Any]:
        """The lm-eval document of this proxy."""
        return {
            "instance_id": self.instance_id,
            "proxy": self.proxy,
            "prompt": self.prompt,
            "choices": self.choices,
            "options": list(self.options),
            "gold": self.gold,
            "answer_format": self.answer_format,
            "source_id": self.source_id,
        }


def templates_dir() -> Path:
    from neuronllm.package_data import tasks_dir

    return Path(tasks_dir()) / "aqua" / "templates"


@cache
def _environment(directory: str) -> jinja2.Environment:
    """Jinja's sandbox: a task YAML's strings (role, stem) are data, and a plain Environment lets a
    template reach Python internals (`{{ cycler.__init__.__globals__.os.popen(...) }}` runs a shell
    command). The sandbox refuses unsafe attributes with a SecurityError (a TemplateError)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined, keep_trailing_newline=False
    )


def _render_string(source: str, **context: Any) -> str:
    return _environment(str(templates_dir())).from_string(source).render(**context)


def sample_distractors(instance: Instance, task: TaskData, rng: random.Random, n: int = N_OPTIONS - 1) -> list[str]:
    """Wrong options: from the instance's own candidates when it has them (CommonsenseQA), else from the
    task's label set in proportion to label frequency; a label set smaller than 4 uses all its labels."""
    if instance.candidates:
        pool = sorted(set(instance.candidates))
        return rng.sample(pool, min(n, len(pool)))
    labels = [label for label in task.labels if label != instance.answer]
    weights = [task.label_counts.get(label, 0) for label in labels]
    chosen: list[str] = []
    while labels and len(chosen) < n:
        if sum(weights) > 0:
            pick = rng.choices(range(len(labels)), weights=weights)[0]
        else:  # labels never seen in the identification split: uniform
            pick = rng.randrange(len(labels))
        chosen.append(labels.pop(pick))
        weights.pop(pick)
    return chosen


def base_options(instance: Instance, task: TaskData, seed: int) -> list[str]:
    """Gold + distractors in one seeded order; the proxies rotate it."""
    rng = random.Random(stable_seed(seed, task.name, instance.source_id, instance.instance_id, "options"))
    options = [instance.answer, *sample_distractors(instance, task, rng)]
    rng.shuffle(options)
    return options


def rotation(options: Sequence[str], shift: int) -> list[str]:
    shift %= len(options)
    return list(options[shift:]) + list(options[:shift])


def _option_view(options: Sequence[str]) -> list[dict[str, str]]:
    return [{"letter": letter, "text": text} for letter, text in zip(string.ascii_uppercase, options)]


def pick_examples(instance: Instance, task: TaskData, seed: int) -> list[Instance]:
    """N_PROXIES different one-shot examples from the identification split, never the instance itself."""
    pool = [e for e in (task.examples or task.identify) if e.instance_id != instance.instance_id]
    if len(pool) < N_PROXIES:
        raise UserError(
            f"task {task.name}: needs at least {N_PROXIES + 1} identification instances for one-shot examples"
        )
    rng = random.Random(stable_seed(seed, task.name, instance.source_id, instance.instance_id, "examples"))
    return rng.sample(pool, N_PROXIES)


def render_prompt(
    spec: Mapping[str, Any],
    task: TaskData,
    instance: Instance,
    options: Sequence[str],
    example: Instance,
    example_options: Sequence[str],
    answer_format: str,
) -> str:
    """The five-part prompt, ending in "Correct answer:"."""
    labels = list(task.labels)
    example_gold = example_options.index(example.answer)
    context = {
        "role": _render_string(spec["role"], labels=labels),
        "answer_format": answer_format,
        "example": {
            "stem": _render_string(spec["stem"], **example.fields),
            "options": _option_view(example_options),
            "answer": string.ascii_uppercase[example_gold] if answer_format == "letter" else example.answer,
        },
        "stem": _render_string(spec["stem"], **instance.fields),
        "options": _option_view(options),
    }
    return _environment(str(templates_dir())).get_template("prompt.jinja").render(**context)


def build_proxies(
    spec: Mapping[str, Any], task: TaskData, instance: Instance, seed: int, answer_format: str
) -> list[ProxyQA]:
    """The 3 proxy QAs of one instance."""
    if answer_format not in ANSWER_FORMATS:
        raise UserError(f"unknown answer format {answer_format!r}: expected letter or text")
    options = base_options(instance, task, seed)
    proxies = []
    for t, example in enumerate(pick_examples(instance, task, seed)):
        order = rotation(options, t)
        example_order = rotation(base_options(example, task, seed), t)
        prompt = render_prompt(spec, task, instance, order, example, example_order, answer_format)
        proxies.append(
            ProxyQA(
                instance_id=instance.instance_id,
                proxy=t,
                prompt=prompt,
                options=tuple(order),
                gold=order.index(instance.answer),
                answer_format=answer_format,
                source_id=instance.source_id,
            )
        )
    return proxies


def build_split(spec: Mapping[str, Any], task: TaskData, role: str, seed: int, answer_format: str) -> list[ProxyQA]:
    instances = task.identify if role == "identify" else task.evaluate
    return [p for instance in instances for p in build_proxies(spec, task, instance, seed, answer_format)]
