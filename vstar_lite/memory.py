"""Will a request fit? Memory estimates checked before any compute is spent.

The estimates are floors, not predictions: they count only what certainly has to be held at once,
so that a request that cannot fit (``--frames 100000``, 4096 x 4096 frames on the tiny model, a
GIF enlarged 1000 times) is refused in a second with a message naming the setting, instead of
swapping for minutes and being killed. A request under the floor can still run out of memory.
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
            f"{what} needs at least {gib(needed)} of {torch.device(device).type} memory but "
            f"{gib(available)} is available; {advice}"
        )
