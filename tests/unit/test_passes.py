"""The contract of a several-condition job (neuronllm/evaluation/passes.py): every pass sends the first
pass's requests, call by call, in order; anything else is refused, outside a job nothing is checked."""

import pytest

from neuronllm.evaluation.passes import Passes, RequestsDiffer

MC = [(("Q:", " yes"), (1, 2), (3,)), (("Q:", " no"), (1, 2), (4,))]
ROLLING = [("A text.",)]


def first_pass() -> Passes:
    passes = Passes()
    passes.start(0)
    passes.record("loglikelihood", MC)
    passes.record("loglikelihood_rolling", ROLLING)
    passes.finish()
    return passes


def test_the_same_requests_pass():
    passes = first_pass()
    for condition in (1, 2):
        passes.start(condition)
        passes.record("loglikelihood", list(MC))
        passes.record("loglikelihood_rolling", list(ROLLING))
        passes.finish()


@pytest.mark.parametrize(
    "calls",
    [
        [("loglikelihood", MC[::-1])],  # another order
        [("loglikelihood", [MC[0], (("Q:", " no"), (1, 2), (5,))])],  # other tokens for the same text
        [("loglikelihood", MC[:1])],  # fewer requests
        [("loglikelihood_rolling", ROLLING)],  # another request type first
        [("loglikelihood", MC), ("loglikelihood_rolling", ROLLING), ("generate_until", [("Q:", {"until": []})])],
    ],
)
def test_other_requests_are_refused_at_the_call(calls):
    passes = first_pass()
    passes.start(3)
    with pytest.raises(RequestsDiffer, match="pass of condition 3"):
        for request_type, contents in calls:
            passes.record(request_type, contents)


def test_a_missing_call_is_refused_at_the_end_of_the_pass():
    passes = first_pass()
    passes.start(1)
    passes.record("loglikelihood", MC)
    with pytest.raises(RequestsDiffer, match="made 1 calls, the first pass 2"):
        passes.finish()


def test_outside_a_job_nothing_is_compared():
    passes = Passes()
    passes.record("loglikelihood", MC)
    passes.record("loglikelihood", MC[:1])
    assert passes.first is None
