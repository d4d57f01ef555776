"""The stability study on the tiny local model: a sample of the attribution pool is what an identification
on those instances alone finds, and `neuronllm stability` writes its rows and sets (seconds, offline)."""

from dataclasses import replace

import pandas as pd
import pytest

from neuronllm.analysis.stability import pool_blocks
from neuronllm.cli import main
from neuronllm.methods.identify import IdentifySettings, attribute, identify
from neuronllm.neurons import NeuronSet

SETTINGS = IdentifySettings(task="ner", answer_format="text", seed=0, instances=4, steps=2, layer_batch=3, z=20,
                            data_files="shipped")  # fmt: skip
KINDS = ["contrastive", "grad_x_act", "activation"]


@pytest.fixture(scope="module")
def pools(tiny_local_model, tmp_path_factory):
    """4-instance pools of two tasks, and a 2-instance identification of each (the first block)."""
    folder = tmp_path_factory.mktemp("pools")
    paths = {}
    for task in ("ner", "sentiment"):
        for instances in (4, 2):
            path = folder / f"{task}{instances}.pt"
            attribute(tiny_local_model, replace(SETTINGS, task=task, instances=instances), KINDS, progress=False).save(
                path
            )
            paths[(task, instances)] = str(path)
    return paths


def test_the_first_block_of_the_pool_is_an_identification_on_its_instances(tiny_local_model, pools):
    from neuronllm.analysis.stability import identify_sample, load_pools

    loaded = load_pools({"pool": {task: pools[(task, 4)] for task in ("ner", "sentiment")}})["pool"]
    instances = list(loaded["ner"].by_instance())
    assert pool_blocks(loaded["ner"], 2, 2) == [instances[:2], instances[2:]]
    assert list(load_pools({"pool": {"ner": pools[("ner", 2)]}})["pool"]["ner"].by_instance()) == instances[:2]
    small = load_pools({"pool": {task: pools[(task, 2)] for task in ("ner", "sentiment")}})["pool"]
    for method in ("cni", "tn", "diffmean"):
        sample = identify_sample(method, loaded, "ner", 0, 2, 10, z=20)
        others = {"others": [small["sentiment"]]} if method == "diffmean" else {}
        alone = identify(tiny_local_model, method, 10, replace(SETTINGS, instances=2), attributions=small["ner"],
                         **others)  # fmt: skip
        assert sample.good == [(n.layer, n.index) for n in alone.good], method
        assert sample.bad == [(n.layer, n.index) for n in alone.bad], method


def test_stability_command_writes_rows_and_sets(pools, tmp_path):
    csv, sets = tmp_path / "sets.csv", tmp_path / "sets"
    pool_args = [f"{task}={pools[(task, 4)]}" for task in ("ner", "sentiment")]
    steps_args = [f"{task}={pools[(task, 2)]}" for task in ("ner", "sentiment")]
    argv = ["stability", "--pools", *pool_args, "--steps-pools", *steps_args, "--methods", "cni,tn,diffmean,random",
            "--samples", "2", "--instances", "2", "--sizes", "1", "2", "--reference", "2", "--compare-samples", "1",
            "--budget", "10", "--z", "20", "--csv", str(csv), "--sets-dir", str(sets)]  # fmt: skip
    assert main(argv) == 0
    rows = pd.read_csv(csv)
    assert set(rows["comparison"]) == {"samples", "steps", "size"}
    samples = rows[(rows.comparison == "samples") & (rows.statistic == "jaccard")]
    assert len(samples) == 2 * 4 * 2  # tasks x methods x sides
    assert samples["pairs"].max() == 1 and samples["value"].between(0, 1).all()
    steps = rows[(rows.comparison == "steps") & (rows.statistic == "jaccard") & (rows.method == "cni")]
    assert (steps["value"] == 1).all()  # the same instances with the same steps: the same sets
    size = rows[(rows.comparison == "size") & (rows.statistic == "jaccard")]
    assert sorted(size["instances"].unique()) == [1, 2] and set(size[size.instances == 1]["pairs"]) == {2}
    written = NeuronSet.load(sets / "ner" / "cni" / "sample1" / "neurons.json")
    assert written.provenance["stability_sample"] == "sample1" and written.good
    for label in ("sample0", "sample1", "n1", "n2", "reference"):
        assert (sets / "sentiment" / "random" / label / "neurons.json").is_file()
    assert main([*argv[:-4], "--samples", "3", "--csv", str(tmp_path / "x.csv")]) == 2  # 3 x 2 > 4 instances
    assert not (tmp_path / "x.csv").exists()
