"""Small helpers shared by the notebooks: seeding and the standard notebook set-up."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["fmt", "seed_everything", "notebook_setup"]


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch, and return a CPU ``torch.Generator`` seeded the same way."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an int in [0, 2**32), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def notebook_setup(seed: int = 0) -> str:
    """The first code cell of every notebook: seeds, PNG figures, and the device to use.

    Returns ``"cuda"`` when a GPU is present and ``"cpu"`` otherwise. The notebooks of this series
    run on the CPU; only the last one uses a GPU when there is one.
    """
    from vstar_lite.viz import use_png_figures

    seed_everything(seed)
    use_png_figures()
    return "cuda" if torch.cuda.is_available() else "cpu"


def fmt(value: float, digits: int = 2) -> str:
    """``value`` rounded to ``digits`` decimals for printing, never as ``-0.00``."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"
