"""Where the shipped data lives: ``data/`` in a clone, ``vstar_lite/data/`` in a wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_path"]

_CANDIDATES = (
    Path(__file__).resolve().parent / "data",  # pip install (non-editable): package data
    Path(__file__).resolve().parents[1] / "data",  # a clone, or an editable install
)


def data_path(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``data_path("synopses.json")``."""
    for root in _CANDIDATES:
        if (root / Path(*parts)).exists():
            return root.joinpath(*parts)
    tried = ", ".join(str(root.joinpath(*parts)) for root in _CANDIDATES)
    raise FileNotFoundError(f"shipped data {'/'.join(parts)!r} not found (looked in {tried})")
