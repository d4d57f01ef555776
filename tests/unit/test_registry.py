"""One method registry (neuronllm/methods/__init__.py): the CLI, the config schema, the Snakemake rules
and the report read it, and agree with it."""

from pathlib import Path

import yaml

from neuronllm import methods as registry

ROOT = Path(__file__).resolve().parents[2]


def test_schema_names_no_method_and_the_config_check_reads_the_registry():
    """The schema says only "a string" for a method: the registry is the one list, read by check_config."""
    import pytest

    from neuronllm.errors import UserError
    from neuronllm.pipeline.config_check import _check_methods

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["$defs"]["method"] == {"type": "string", "description": schema["$defs"]["method"]["description"]}

    def enums(node):
        if isinstance(node, dict):
            yield from ([node["enum"]] if "enum" in node else [])
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    # the one enum that names a method: specificity sources, "a task's NeuronLLM set" or the common set
    assert [e for e in enums(schema) if set(e) & set(registry.METHOD_NAMES)] == [[registry.PAPER_METHOD, "common"]]
    _check_methods({"methods": list(registry.METHOD_NAMES), "ablation_methods": list(registry.ablation_methods())})
    with pytest.raises(UserError, match=r"config: methods: unknown method 'cnni'.*did you mean 'cni'"):
        _check_methods({"methods": ["cnni"]})
    with pytest.raises(UserError, match=r"config: table7.methods: unknown method 'qrnka'"):
        _check_methods({"methods": ["cni"], "table7": {"methods": ["qrnka"]}})
    with pytest.raises(UserError, match="config: ablation_methods: 'kn' is not a method of the ablation"):
        _check_methods({"methods": ["cni"], "ablation_methods": ["kn"]})


def test_a_contrast_method_needs_another_configured_task():
    """diffmean reads the other tasks' attributions: a one-task config has none, refused before any job."""
    import pytest

    from neuronllm.errors import UserError
    from neuronllm.pipeline.config_check import _check_contrast
    from neuronllm.pipeline.plan import Plan

    contrast = [n for n, m in registry.METHODS.items() if m.other_tasks]
    assert contrast == ["diffmean"]
    with pytest.raises(UserError, match="config: diffmean contrasts a task with the config's other tasks"):
        _check_contrast({"tasks": ["ner"], "methods": ["cni"], "table7": {"methods": ["diffmean"]}})
    _check_contrast({"tasks": ["ner"], "methods": ["cni", "tn"]})
    _check_contrast({"tasks": ["ner", "sentiment"], "methods": ["diffmean"]})
    plan = Plan(
        {"models": {"m": {"spec": "x"}}, "tasks": ["ner", "sentiment", "chunking"], "methods": contrast, "budget": 5}
    )
    assert plan.contrast_attributions("diffmean", "m", 0, "sentiment") == [
        plan.attributions("m", 0, "ner"),
        plan.attributions("m", 0, "chunking"),
    ]
    assert plan.contrast_attributions("tn", "m", 0, "sentiment") == []


def test_cli_offers_the_registry():
    from neuronllm.cli import build_parser

    identify = build_parser()._subparsers._group_actions[0].choices["identify"]
    method = next(a for a in identify._actions if "--method" in a.option_strings)
    assert method.help == ", ".join(registry.METHOD_NAMES)


def test_report_labels_and_parts_come_from_the_registry():
    from neuronllm.report.table_kinds import KINDS, _method_rows

    assert [r.labels[0] for r in _method_rows(list(registry.METHOD_NAMES))] == [
        m.label for m in registry.METHODS.values()
    ]
    assert KINDS["ablation"].methods == tuple(registry.ablation_methods())
    for name, method in registry.METHODS.items():
        assert registry.table1_part(name) == ("both" if method.has_bad else "good")
    assert registry.table1_part("common") == "both"


def test_rules_read_the_registry():
    """The rules import the registry instead of listing methods: no method name is spelled in them."""
    for path in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = path.read_text()
        for name in registry.METHOD_NAMES:
            assert f'"{name}"' not in text and f"'{name}'" not in text, (path.name, name)


def test_plan_follows_the_registry():
    from neuronllm.pipeline.plan import Plan

    plan = Plan(
        {
            "models": {"m": {"spec": "x"}},
            "tasks": ["ner"],
            "methods": list(registry.METHOD_NAMES),
            "budget": 5,
            "null_sets": 0,
        }
    )
    conditions = plan.main_job().conditions
    for name, method in registry.METHODS.items():
        part = "both" if method.has_bad else "good"
        assert f"{plan.neurons(name, 5)}:degrade-{part}" in conditions


def test_attribution_kinds_cover_every_method():
    from neuronllm.attribution.kinds import KINDS

    assert set(registry.attribution_kinds(list(registry.METHOD_NAMES))) <= set(KINDS)
    for method in registry.METHODS.values():
        assert set(method.needs) <= set(KINDS)


def test_main_job_evaluates_the_equal_budget_conditions_once():
    """Table 1's equal-budget row (a method with a bad side, on its K good neurons alone) is evaluated by
    the main job; the ablation job no longer writes it, so no file has two writers."""
    from neuronllm.pipeline.plan import Plan

    plan = Plan(
        {
            "models": {"m": {"spec": "x"}},
            "tasks": ["ner"],
            "methods": list(registry.METHOD_NAMES),
            "budget": 5,
            "null_sets": 2,
            "ablation_methods": ["cni", "tn"],
        }
    )
    main, ablation = plan.main_job(), plan.ablation_job()
    for name, method in registry.METHODS.items():
        good = f"{plan.neurons(name, 5)}:enhance-good"
        assert good in main.conditions
        assert (f"{plan.neurons(name, 5)}:enhance-both" in main.conditions) == method.has_bad
    outputs = main.outputs + ablation.outputs
    assert len(outputs) == len(set(outputs))
    assert plan.main_conditions("kn") == [("degrade", "good"), ("enhance", "good")]
    assert plan.main_conditions("cni") == [
        ("degrade", "both"),
        ("enhance", "both"),
        ("degrade", "good"),
        ("enhance", "good"),
    ]


def test_derived_sets_get_no_equal_budget_conditions():
    from neuronllm.pipeline.plan import Plan

    plan = Plan({"models": {"m": {"spec": "x"}}, "tasks": ["ner"], "methods": ["cni"], "budget": 5, "null_sets": 0})
    assert plan.main_conditions("common") == [("degrade", "both"), ("enhance", "both")]


def test_every_metrics_input_is_written_by_some_job():
    """The metrics files of Table 1 (with the equal-budget conditions), Table 5, the ablation and Table 7 only
    read evaluations that some evaluation job writes."""
    from neuronllm.pipeline.plan import Plan

    plan = Plan(
        {
            "models": {"m": {"spec": "x"}},
            "tasks": ["ner"],
            "methods": ["cni", "tn"],
            "budget": 5,
            "null_sets": 2,
            "ablation_methods": ["cni", "tn"],
            "matched_null": ["cni"],
            "table7": {"task": "ner", "methods": ["cni", "tn"], "budgets": [2, 5]},
        }
    )
    written = {
        o.format(model="m", seed=0, task="ner")
        for job in (plan.main_job(), plan.common_job(), plan.ablation_job(), plan.table7_job())
        for o in job.outputs
    }
    wanted = []
    for method, budget, ablation in (
        ("cni", 5, False),
        ("tn", 5, False),
        ("common", 5, False),
        ("cni", 2, False),
        ("tn", 2, False),
        ("cni", 5, True),
        ("tn", 5, True),
    ):
        inputs = plan.metrics_inputs(method, budget, ablation, "m", 0, "ner")
        wanted += [inputs["original"], *inputs["conditions"], *inputs["null"], *inputs["null_matched"]]
    assert set(wanted) <= written, sorted(set(wanted) - written)


def test_paper_method_is_a_registered_method_with_good_and_bad_sets():
    """The plan, the rules and the reports name NeuronLLM's roles by registry.PAPER_METHOD: it must be a
    method whose sets have both sides (the transfer sweeps good and bad separately)."""
    assert registry.get_method(registry.PAPER_METHOD).has_bad


def test_ig_defaults_are_defined_once():
    """m, layer_batch and z: the CLI, the settings, the engines and the schema's defaults all agree with
    the one definition (neuronllm.attribution.IG_STEPS, IG_LAYER_BATCH; neuronllm.methods.CNI_TOP_Z)."""
    import inspect

    from neuronllm.attribution import IG_LAYER_BATCH, IG_STEPS
    from neuronllm.attribution.ig import integrated_gradients, integrated_gradients_many
    from neuronllm.attribution.kinds import compute_attributions
    from neuronllm.cli import build_parser
    from neuronllm.methods import CNI_TOP_Z
    from neuronllm.methods.cni import ace_scores, select
    from neuronllm.methods.identify import IdentifySettings

    expected = {"steps": IG_STEPS, "layer_batch": IG_LAYER_BATCH, "z": CNI_TOP_Z}
    for function in (integrated_gradients, integrated_gradients_many, compute_attributions, ace_scores, select):
        defaults = {n: p.default for n, p in inspect.signature(function).parameters.items() if n in expected}
        assert defaults and defaults == {n: expected[n] for n in defaults}, function.__name__
    settings = IdentifySettings(task="x")
    assert (settings.steps, settings.layer_batch, settings.z) == (IG_STEPS, IG_LAYER_BATCH, CNI_TOP_Z)
    for command in ("identify", "attribute"):
        args = build_parser().parse_args(
            [command, "--task", "x", "--out", "o", "--method", "cni"][: 5 + 2 * (command == "identify")]
        )
        assert (args.steps, args.batch_size, args.z) == (IG_STEPS, IG_LAYER_BATCH, CNI_TOP_Z)
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())["properties"]
    assert (schema["layer_batch"]["default"], schema["z"]["default"]) == (IG_LAYER_BATCH, CNI_TOP_Z)


def test_report_kinds_have_one_registry():
    """`neuronllm report` reads its choices, required options and writers from neuronllm.report.registry; every
    table kind is a report; every caption exists and no rule names a caption file itself."""
    from neuronllm.cli import build_parser
    from neuronllm.report.registry import EXTRA_CAPTIONS, REPORTS
    from neuronllm.report.table_kinds import KINDS

    parser = build_parser()
    report_parser = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "report")[1]
    kind = next(a for a in report_parser._actions if a.dest == "kind")
    assert list(kind.choices) == list(REPORTS) and set(KINDS) <= set(REPORTS)
    dests = {a.dest for a in report_parser._actions}
    for record in REPORTS.values():
        assert set(record.outputs) | set(record.needs) <= dests, record.name
        assert (ROOT / "workflow" / "rules" / record.caption_path).resolve().is_file(), record.caption
    for caption in EXTRA_CAPTIONS.values():
        assert (ROOT / "workflow" / "rules" / caption).resolve().is_file(), caption
    for path in (ROOT / "workflow" / "rules").glob("*.smk"):
        assert "../report/" not in path.read_text(), path.name  # captions come from the registry


def test_a_report_missing_a_required_option_is_one_line_before_anything_is_read(tmp_path, capsys):
    from neuronllm.cli import main

    out = tmp_path / "s.md"
    code = main(["report", "specificity", "--metrics", str(tmp_path / "absent.json"), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--latex, --png, --pdf" in err[0], err
    assert not out.exists()
