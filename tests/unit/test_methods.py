"""Selection logic of every method on small hand-made score tensors (no model needed)."""

import pytest
import torch

from neuronllm.analysis.common_neurons import common_neurons
from neuronllm.attribution.kinds import Attributions
from neuronllm.errors import UserError
from neuronllm.methods import METHOD_NAMES, get_method
from neuronllm.methods.cni import ace_scores
from neuronllm.methods.ranking import top_k
from neuronllm.neurons import Neuron, NeuronSet


def attributions(kind, per_proxy, ids):
    return Attributions(ids, {kind: torch.tensor(per_proxy, dtype=torch.float32)})


def test_top_k_orders_by_score_then_index_and_respects_sign():
    scores = torch.tensor([[0.5, -1.0, 0.5], [2.0, 0.0, -0.25]])
    assert top_k(scores, 2) == [(1, 0, 2.0), (0, 0, 0.5)]
    assert top_k(scores, 5) == [(1, 0, 2.0), (0, 0, 0.5), (0, 2, 0.5)]
    assert top_k(scores, 5, sign=-1) == [(0, 1, -1.0), (1, 2, -0.25)]


def test_cni_eq4_eq5_by_hand():
    """2 instances x 3 proxies, 1 layer x 4 neurons, z = 1.
    ES_a = [3, -3, 0, 0.3]: G_a = {0}, B_a = {1}.  ES_b = [-0.3, 0, 6, -0.6]: G_b = {2}, B_b = {3}.
    ACE = [3, -3, 6, -0.6]; neuron 3 is in G? no -> kept. Good: 2, 0; bad: 1, 3."""
    per_proxy = [
        [[1, -1, 0, 0.1]],
        [[1, -1, 0, 0.1]],
        [[1, -1, 0, 0.1]],
        [[-0.1, 0, 2, -0.2]],
        [[-0.1, 0, 2, -0.2]],
        [[-0.1, 0, 2, -0.2]],
    ]
    attr = attributions("contrastive", per_proxy, ["a"] * 3 + ["b"] * 3)
    ace = ace_scores(attr, z=1)
    torch.testing.assert_close(ace, torch.tensor([[3.0, -3.0, 6.0, -0.6]], dtype=torch.float64))
    good, bad = get_method("cni").select(attr, budget=2, z=1)
    assert [(l, i) for l, i, _ in good] == [(0, 2), (0, 0)]
    assert [(l, i) for l, i, _ in bad] == [(0, 1), (0, 3)]


def test_cni_drops_ambiguous_neurons():
    """Neuron 0 is top-good for instance a and top-bad for instance b: dropped despite ACE 5-1 = 4."""
    per_proxy = [[[5, 1, 0]], [[-1, 0, 0.5]]]
    attr = attributions("contrastive", per_proxy, ["a", "b"])
    assert ace_scores(attr, z=1)[0, 0] == 0
    good, bad = get_method("cni").select(attr, budget=3, z=1)
    assert (0, 0) not in {(l, i) for l, i, _ in good + bad}


def test_kn_thresholds():
    """KN keeps neurons >= 0.2*max in >= 70% of an instance's prompts (here all 3)."""
    per_proxy = [[[10, 3, 1.9]], [[10, 1, 5]], [[10, 2.5, 2.1]]]  # neuron 1 kept in 2/3, neuron 2 in 2/3
    good, bad = get_method("kn").select(attributions("gold_prob", per_proxy, ["a"] * 3), budget=5)
    assert [(l, i) for l, i, _ in good] == [(0, 0)] and bad == []


def test_qrnca_drops_common_neurons_and_ranks_by_na_ica():
    """4 instances: neuron 0 is kept by all (common -> dropped); neuron 1 by one instance; neuron 2 by one."""
    per_proxy = [[[5, 4, 0]], [[5, 0, 1.5]], [[5, 0, 0]], [[5, 0, 0]]]
    attr = attributions("gold_prob", per_proxy, ["a", "b", "c", "d"])
    good, _ = get_method("qrnca").select(attr, budget=3)
    # NA(1) = 4/9, NA(2) = 1.5/6.5, ICA = log(4/2) for both: neuron 1 first; neuron 0 dropped
    assert [(l, i) for l, i, _ in good] == [(0, 1), (0, 2)]


def test_tn_act_random():
    per_proxy = [[[1.0, -2.0, 0.5]], [[3.0, -1.0, -0.5]]]
    good, bad = get_method("tn").select(attributions("grad_x_act", per_proxy, ["a", "b"]), budget=1)
    assert good == [(0, 0, 2.0)] and bad == [(0, 1, -1.5)]
    good, _ = get_method("act").select(attributions("activation", per_proxy, ["a", "b"]), budget=1)
    assert good[0][:2] == (0, 0)
    first, _ = get_method("random").select(None, budget=5, seed=3, neuron_counts=[4, 4, 4])
    again, _ = get_method("random").select(None, budget=5, seed=3, neuron_counts=[4, 4, 4])
    other, _ = get_method("random").select(None, budget=5, seed=4, neuron_counts=[4, 4, 4])
    assert first == again != other
    assert len({(l, i) for l, i, _ in first}) == 5 and all(0 <= i < 4 for _, i, _ in first)


def test_unknown_method_suggests():
    with pytest.raises(UserError, match="did you mean 'qrnca'"):
        get_method("qrcna")
    assert set(METHOD_NAMES) == {"cni", "tn", "qrnca", "kn", "act", "diffmean", "random"}


def test_common_neurons_intersection_first():
    counts = [8]
    a = NeuronSet(
        [Neuron(0, 1, 1.0), Neuron(0, 2, 0.5), Neuron(0, 3, 0.1)], [Neuron(0, 7, -1.0)], counts, {"task": "a"}
    )
    b = NeuronSet(
        [Neuron(0, 2, 2.0), Neuron(0, 1, 0.2), Neuron(0, 4, 2.0)], [Neuron(0, 7, -3.0)], counts, {"task": "b"}
    )
    common = common_neurons([a, b], budget=3)
    # shared by both: 1 (1.0 + 0.1) and 2 (0.5 + 1.0) -> 2 first; then the best single-task neuron 4 (1.0)
    assert [n.index for n in common.good] == [2, 1, 4]
    assert [n.index for n in common.bad] == [7]
    assert common.provenance["good_in_every_task"] == 2
    with pytest.raises(UserError):
        common_neurons([a], budget=3)


def test_attributions_round_trip(tmp_path):
    attr = attributions("contrastive", [[[1.0, 2.0]]], ["x"])
    attr.provenance["digests"] = {"data": "d", "task_spec": "t", "model": "m"}  # what `attribute` records
    attr.save(tmp_path / "a.pt")
    loaded = Attributions.load(tmp_path / "a.pt")
    assert loaded.instance_ids == ["x"] and torch.equal(loaded.scores["contrastive"], attr.scores["contrastive"])
    (tmp_path / "bad.pt").write_text("nope")
    with pytest.raises(UserError, match="not an attribution file"):
        Attributions.load(tmp_path / "bad.pt")


def test_diffmean_by_hand():
    """This task: 2 proxies, mean [2, 2, 1]. Other tasks, each weighed once whatever its proxy count:
    b (1 proxy) mean [1, 1, 1], c (2 proxies) mean [1, 4, 2]; their mean [1, 2.5, 1.5].
    Score = [1, -0.5, -0.5]: good {0}; bad {1, 2}, tied, by index. (Pooling c's and b's proxies would
    give [1, 3, 2] and scores [1, -1, -1].)"""
    own = attributions("activation", [[[1.0, 4.0, 0.0]], [[3.0, 0.0, 2.0]]], ["a", "b"])
    b = attributions("activation", [[[1.0, 1.0, 1.0]]], ["x"])
    c = attributions("activation", [[[0.0, 5.0, 1.0]], [[2.0, 3.0, 3.0]]], ["y", "z"])
    good, bad = get_method("diffmean").select(own, budget=2, others=[b, c])
    assert good == [(0, 0, 1.0)]
    assert bad == [(0, 1, -0.5), (0, 2, -0.5)]
    good, bad = get_method("diffmean").select(own, budget=1, others=[b, c])
    assert good == [(0, 0, 1.0)] and bad == [(0, 1, -0.5)]


def test_diffmean_needs_another_task_of_the_same_shape():
    own = attributions("activation", [[[1.0, 2.0]]], ["a"])
    with pytest.raises(UserError, match="at least one other task"):
        get_method("diffmean").select(own, budget=1)
    with pytest.raises(UserError, match="another model"):
        get_method("diffmean").select(own, budget=1, others=[attributions("activation", [[[1.0, 2.0, 3.0]]], ["b"])])
