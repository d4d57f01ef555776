import json

import pytest

from neuronllm.errors import UserError
from neuronllm.neurons import Neuron, NeuronSet


def make_set(**kw):
    defaults = dict(
        good=[Neuron(0, 1, 0.5), Neuron(2, 3, 0.25)],
        bad=[Neuron(1, 0, -0.75)],
        neuron_counts=[4, 4, 4],
        provenance={"method": "cni", "task": "ner"},
    )
    defaults.update(kw)
    return NeuronSet(**defaults)


def test_round_trip_and_digest(tmp_path):
    path = tmp_path / "set.json"
    make_set().save(path)
    loaded = NeuronSet.load(path, neuron_counts=[4, 4, 4])
    assert loaded.good == make_set().good and loaded.bad == make_set().bad
    assert loaded.provenance["method"] == "cni"
    assert loaded.digest() == make_set().digest()
    assert make_set(bad=[]).digest() != make_set().digest()


def test_digest_ignores_provenance():
    assert make_set(provenance={"x": 1}).digest() == make_set().digest()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(good=[Neuron(3, 0, 1.0)]), "layer 3 outside"),
        (dict(good=[Neuron(0, 4, 1.0)]), "index 4 outside"),
        (dict(good=[Neuron(0, 1, 1.0), Neuron(0, 1, 0.5)]), "listed twice"),
        (dict(good=[Neuron(1, 0, 1.0)]), "both good and bad"),
    ],
)
def test_invalid_sets_are_rejected_with_one_line(kwargs, message):
    with pytest.raises(UserError, match=message) as info:
        make_set(**kwargs).validate()
    assert "\n" not in str(info.value)


def test_shape_mismatch_with_model(tmp_path):
    path = tmp_path / "set.json"
    make_set().save(path)
    with pytest.raises(UserError, match="3 layers x 4 neurons"):
        NeuronSet.load(path, neuron_counts=[8, 8])


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"format": "other"}), json.dumps({"format": "neuronllm.neurons/1", "good": [[0, 1]]})],
)
def test_malformed_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UserError, match=str(path)):
        NeuronSet.load(path)


def test_save_is_atomic_on_invalid_set(tmp_path):
    path = tmp_path / "set.json"
    with pytest.raises(UserError):
        make_set(good=[Neuron(9, 9, 1.0)]).save(path)
    assert list(tmp_path.iterdir()) == []
