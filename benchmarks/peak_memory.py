"""Peak memory of a block, measured one way for every benchmark (benchmarks/ is on sys.path when one runs).

CPU: the kernel's high-water mark of the resident set (VmHWM), reset before the block through
/proc/self/clear_refs, so the peak is exact rather than sampled; where /proc cannot be reset (not Linux),
the process's lifetime peak (ru_maxrss), marked `resettable: False`. CUDA: the allocator's
max_memory_allocated after reset_peak_memory_stats, summed over the GPUs a sharded model uses.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

MIB = 2**20


def _status(field: str) -> float | None:
    """A /proc/self/status field in MiB; None where /proc is unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mib() -> float:
    """The resident set now, in MiB (nan where /proc is unavailable)."""
    value = _status("VmRSS")
    return float("nan") if value is None else value


def process_peak_mib() -> float:
    """The highest resident set since the last reset (since the process started, if never reset)."""
    value = _status("VmHWM")
    if value is not None:
        return value
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KiB elsewhere
    return maxrss / MIB if sys.platform == "darwin" else maxrss / 1024


def reset_peak() -> bool:
    """Reset VmHWM to the current resident set; False where the kernel offers no reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def on_gpu(device: str) -> bool:
    return device.startswith("cuda") or device == "auto"


def current_mib(device: str = "cpu") -> float:
    if on_gpu(device):
        import torch

        return sum(torch.cuda.memory_allocated(i) for i in range(torch.cuda.device_count())) / MIB
    return rss_mib()


class Peak:
    """`with Peak(device) as peak:` → peak.mib (the block's peak), peak.start_mib, peak.increment_mib
    (above the start), peak.seconds and peak.record (all of them, the thread count and the load)."""

    def __init__(self, device: str = "cpu"):
        self.device = device

    def __enter__(self) -> Peak:
        if on_gpu(self.device):
            import torch

            for index in range(torch.cuda.device_count()):
                torch.cuda.synchronize(index)
                torch.cuda.reset_peak_memory_stats(index)
            self.resettable = True
        else:
            self.resettable = reset_peak()
        self.start_mib = current_mib(self.device)
        self.load = os.getloadavg()[0]
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        if on_gpu(self.device):
            import torch

            self.mib = sum(torch.cuda.max_memory_allocated(i) for i in range(torch.cuda.device_count())) / MIB
        else:
            self.mib = process_peak_mib()
        self.increment_mib = self.mib - self.start_mib
        import torch

        self.record: dict[str, Any] = {
            "seconds": self.seconds,
            "peak_mib": self.mib,
            "start_mib": self.start_mib,
            "increment_mib": self.increment_mib,
            "resettable": self.resettable,
            "threads": torch.get_num_threads(),
            "loadavg_start": self.load,
            "loadavg_end": os.getloadavg()[0],
        }
