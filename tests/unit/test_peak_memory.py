"""benchmarks/peak_memory.py, the one way the benchmarks measure peak memory: a block's peak counts what
it allocated and freed again (a sampled or end-of-block reading would miss it)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from peak_memory import Peak, reset_peak  # noqa: E402


@pytest.mark.skipif(not reset_peak(), reason="the kernel offers no peak reset (/proc/self/clear_refs)")
def test_a_freed_allocation_counts_in_the_peak():
    with Peak() as peak:
        block = bytearray(200 * 2**20)  # 200 MiB, touched (zero-filled), then freed before the block ends
        del block
    assert peak.increment_mib >= 150, peak.record
    with Peak() as quiet:
        pass
    assert quiet.increment_mib < 50, quiet.record  # the reset forgot the earlier peak
