"""Small helpers shared by the notebooks: seeding and the standard notebook set-up."""

from __future__ import annotations

import random
import textwrap

import numpy as np
import torch

__all__ = [
    "check_predictions",
    "fmt",
    "fmt_interval",
    "notebook_setup",
    "seed_everything",
    "wrap_items",
]


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


def fmt_interval(triple: tuple[float, float, float], digits: int = 2) -> str:
    """``(mean, low, high)`` as ``"mean [low, high]"``, each rounded by :func:`fmt`."""
    mean, low, high = triple
    return f"{fmt(mean, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def wrap_items(items: list[str], indent: int = 0, width: int = 96) -> str:
    """``items`` joined by ``", "`` and wrapped to ``width`` between items, never inside one
    (spaces within an item do not break), each line indented by ``indent`` spaces."""
    if not 0 <= indent < width:
        raise ValueError(f"indent must be in [0, width={width}), got {indent}")
    glued = ", ".join(item.replace(" ", "\u00a0") for item in items)  # no-break spaces
    lines = textwrap.wrap(glued, width=width - indent, break_long_words=False)
    return "\n".join(" " * indent + line.replace("\u00a0", " ") for line in lines)


def check_predictions(
    items: dict[str, tuple[float, float]], answers: dict[str, str], digits: int = 2
) -> None:
    """A "predict, then check" exercise: ``items`` maps each name to its measured
    ``(before, after)``, ``answers`` to the learner's ``"up"``, ``"down"`` or ``"same"``. Prints
    both next to the truth (``"same"`` when the two differ by less than 1e-6) and raises an
    ``AssertionError`` naming the items predicted wrongly."""
    if set(answers) != set(items):
        raise AssertionError(f"the predictions must answer exactly {sorted(items)}")
    width = max(len(name) for name in items) + 2
    print(f"{'item':<{width}}{'before':>9}{'after':>9}{'you said':>10}{'truth':>8}")
    wrong = []
    for name, (before, after) in items.items():
        before, after = float(before), float(after)
        truth = "same" if abs(after - before) < 1e-6 else ("up" if after > before else "down")
        print(f"{name:<{width}}{fmt(before, digits):>9}{fmt(after, digits):>9}"
              f"{answers[name]:>10}{truth:>8}")  # fmt: skip
        if answers[name] != truth:
            wrong.append(name)
    if wrong:
        raise AssertionError(f"look again at: {wrong} (the table shows the numbers)")
