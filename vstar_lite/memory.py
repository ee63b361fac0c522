"""Will a request fit? Memory estimates checked before any compute is spent.

A request that cannot fit (``--frames 100000``, 4096 x 4096 frames on the tiny model, a GIF
enlarged 1000 times) is refused in a second with a message naming the setting to lower, instead
of swapping for minutes and being killed. The estimates count what has to be held at once (for
sampling: :meth:`vstar_lite.VSTARPipeline.estimate_memory`, within about 12% of the measured peak
on the tiny model, ``tests/test_memory.py``); a request just under what is available can still run
out, since other programs use memory too.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["GIB", "available_bytes", "check_fits", "gib"]

GIB = 2**30


def gib(size: float) -> str:
    """Bytes as GiB for people: ``'15.9 GiB'``."""
    return f"{size / GIB:.1f} GiB"


def available_bytes(device: torch.device | str) -> int | None:
    """Memory a new allocation can use on ``device``: free CUDA memory, or the operating system's
    ``MemAvailable`` for the CPU; ``None`` where it cannot be read (then nothing is refused)."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_fits(needed: float, device: torch.device | str, what: str, advice: str) -> None:
    """Raise a one-line ``ValueError`` when ``needed`` bytes exceed what ``device`` has free."""
    available = available_bytes(device)
    if available is not None and needed > available:
        raise ValueError(
            f"{what} needs about {gib(needed)} of {torch.device(device).type} memory but "
            f"{gib(available)} is available; {advice}"
        )
