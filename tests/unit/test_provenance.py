"""Every output's provenance records the library versions that compute its numbers (recorded, not keyed)."""

from importlib.metadata import version

from neuronllm.analysis.pairing import check_same_inputs
from neuronllm.digests import RECORDED_LIBRARIES, provenance_digests


def test_digests_record_torch_transformers_and_lm_eval_versions() -> None:
    libraries = provenance_digests("d", "t", "m", {"seed": 0})["code"]["libraries"]
    assert {name: libraries[name] for name in RECORDED_LIBRARIES} == {n: version(n) for n in RECORDED_LIBRARIES}
    assert set(RECORDED_LIBRARIES) == {"torch", "transformers", "lm_eval"}


def test_other_library_versions_do_not_block_pairing() -> None:
    """Recorded, not keyed: an evaluation run under another torch still pairs with its original."""
    original = {"digests": provenance_digests("d", "t", "m", {"seed": 0})}
    other = {"digests": provenance_digests("d", "t", "m", {"seed": 0})}
    other["digests"]["code"]["libraries"]["torch"] = "0.0.1"
    check_same_inputs(original, other, "metrics")
