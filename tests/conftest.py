"""Shared test set-up: make tools/ importable (the notebook tools are tested like library code),
and the headless Chromium that the browser tests (the course site, JupyterLab) drive through
Playwright. Without Playwright or Chromium those tests are skipped with the reason, except where
``VSTAR_BROWSER_TESTS=1`` (set by ``.ci/run``), where a missing piece is a failure."""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


BROWSER_REQUIRED = os.environ.get("VSTAR_BROWSER_TESTS") == "1"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]  # fmt: skip


def missing(reason: str) -> None:
    """Fail where the browser tests are required (CI), skip with the reason elsewhere."""
    if BROWSER_REQUIRED:
        pytest.fail(f"VSTAR_BROWSER_TESTS=1 but {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """``VSTAR_CHROMIUM``, else the first Chromium on the ``PATH`` (Debian's is ``chromium``)."""
    names = ("chromium", "chromium-browser", "google-chrome")
    found = [shutil.which(name) for name in names]
    return os.environ.get("VSTAR_CHROMIUM") or next((path for path in found if path), None)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (the system's, driven by Playwright, which downloads no browser)."""
    if importlib.util.find_spec("playwright") is None:
        missing("playwright is not installed: `make site` installs it")
    executable = chromium_path()
    if executable is None:
        missing("no Chromium found (apt-get install chromium, or set VSTAR_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()
