"""Shared test set-up: make tools/ importable (the notebook tools are tested like library code)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
