import pytest
import torch
from tiny_models import ARCHITECTURES, D_FF, tiny_model

from neuronllm.errors import UserError
from neuronllm.model.intervene import intervention, last_token_positions, neuron_factors, scaled_neurons
from neuronllm.model.loading import ffn_output_projections
from neuronllm.neurons import Neuron, NeuronSet

INPUT = torch.tensor([[5, 9, 17, 3, 44, 2], [7, 7, 1, 90, 12, 60]])


def capture_projection_inputs(model, layer):
    seen = []
    handle = ffn_output_projections(model)[layer].register_forward_pre_hook(
        lambda m, a: seen.append(a[0].detach().clone())
    )
    return seen, handle


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_only_chosen_coordinates_change_at_chosen_positions(arch):
    """Hook order: ours first (registered inside the block), the capture hook sees our output."""
    model = tiny_model(arch)
    with torch.no_grad():
        base_seen, handle = capture_projection_inputs(model, 1)
        model(INPUT)
        handle.remove()
        positions = torch.tensor([5, 2])
        with scaled_neurons(model, {(1, 3): 0.0, (1, 10): 2.0}, positions):
            seen, handle = capture_projection_inputs(model, 1)
            model(INPUT)
            handle.remove()
    before, after = base_seen[0], seen[0]
    expected = before.clone()
    for row, pos in enumerate(positions.tolist()):
        expected[row, pos, 3] = 0.0
        expected[row, pos, 10] = 2.0 * before[row, pos, 10]
    assert torch.equal(after, expected)
    changed = (after != before).nonzero().tolist()
    assert {(r, p, i) for r, p, i in changed} <= {(0, 5, 3), (0, 5, 10), (1, 2, 3), (1, 2, 10)}


def test_all_positions_scope():
    model = tiny_model("llama")
    with torch.no_grad():
        base_seen, handle = capture_projection_inputs(model, 0)
        model(INPUT)
        handle.remove()
        with scaled_neurons(model, {(0, 7): 2.0}, positions=None):
            seen, handle = capture_projection_inputs(model, 0)
            model(INPUT)
            handle.remove()
    assert torch.equal(seen[0][..., 7], 2.0 * base_seen[0][..., 7])
    others = [i for i in range(D_FF) if i != 7]
    assert torch.equal(seen[0][..., others], base_seen[0][..., others])


def test_down_proj_input_equals_up_proj_output_scaling():
    """Scaling neuron i of down_proj's input == scaling row i of up_proj's output (n = act(g)·u)."""
    model = tiny_model("llama")
    layer = 1
    factors = {(layer, 4): 0.0, (layer, 20): 2.0}
    positions = torch.tensor([5, 5])
    with torch.no_grad():
        with scaled_neurons(model, factors, positions):
            ours = model(INPUT).logits

        def scale_up(module, args, output):
            out = output.clone()
            for (_, i), f in factors.items():
                out[:, 5, i] = output[:, 5, i] * f
            return out

        handle = model.model.layers[layer].mlp.up_proj.register_forward_hook(scale_up)
        reference = model(INPUT).logits
        handle.remove()
        # ...whereas scaling the gate output is a different intervention
        # (excitation differs: act(2g)·u != 2·act(g)·u), visible in the neuron values themselves
        handle = model.model.layers[layer].mlp.gate_proj.register_forward_hook(scale_up)
        seen, capture = capture_projection_inputs(model, layer)
        model(INPUT)
        capture.remove()
        handle.remove()
        with scaled_neurons(model, factors, positions):
            ours_seen, capture = capture_projection_inputs(model, layer)
            model(INPUT)
            capture.remove()
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(ours_seen[0][:, 5, 20], seen[0][:, 5, 20], rtol=1e-3)
    assert torch.equal(ours_seen[0][:, 5, 4], seen[0][:, 5, 4])  # silencing agrees: act(0) = 0


def test_logits_restored_bit_identically_after_exit_even_on_error():
    model = tiny_model("llama")
    with torch.no_grad():
        before = model(INPUT).logits
        with pytest.raises(RuntimeError):
            with scaled_neurons(model, {(2, 1): 0.0}):
                changed = model(INPUT).logits
                raise RuntimeError("boom")
        after = model(INPUT).logits
    assert not torch.equal(before, changed)
    assert torch.equal(before, after)
    assert all(not p._forward_pre_hooks for p in ffn_output_projections(model))


def test_operators_on_good_and_bad():
    neuron_set = NeuronSet([Neuron(0, 1, 1.0)], [Neuron(2, 5, -1.0)], [D_FF] * 3)
    assert neuron_factors(neuron_set, "enhance") == {(0, 1): 2.0, (2, 5): 0.0}
    assert neuron_factors(neuron_set, "degrade") == {(0, 1): 0.0, (2, 5): 2.0}
    assert neuron_factors(neuron_set, "degrade", part="bad") == {(2, 5): 2.0}
    assert neuron_factors(neuron_set, "silence", part="good") == {(0, 1): 0.0}
    with pytest.raises(UserError, match="unknown intervention 'boost'"):
        neuron_factors(neuron_set, "boost")


def test_intervention_rejects_set_from_another_model():
    model = tiny_model("llama")
    neuron_set = NeuronSet([Neuron(0, 1, 1.0)], [], [D_FF * 2] * 3)
    with pytest.raises(UserError, match="found on a model"):
        with intervention(model, neuron_set, "degrade"):
            pass


def test_last_token_positions_left_and_right_padding():
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    left = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 1]])
    assert last_token_positions(right).tolist() == [2, 3, 0]
    assert last_token_positions(left).tolist() == [3, 3, 3]


def test_padded_batch_answer_position_matches_unpadded_run():
    """Intervening at the last real token of a right-padded row gives that row's unpadded result."""
    model = tiny_model("llama")
    short = torch.tensor([[5, 9, 17]])
    padded = torch.tensor([[5, 9, 17, 0, 0], [1, 2, 3, 4, 5]])
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    factors = {(1, 3): 0.0, (2, 8): 2.0}
    with torch.no_grad():
        with scaled_neurons(model, factors, torch.tensor([2])):
            alone = model(short).logits[0, 2]
        with scaled_neurons(model, factors, last_token_positions(mask)):
            batched = model(padded, attention_mask=mask).logits[0, 2]
    torch.testing.assert_close(alone, batched, rtol=1e-5, atol=1e-5)
