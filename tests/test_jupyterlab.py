"""The notebooks in JupyterLab, driven by headless Chromium: they open clean, run, and each
explorer shows one figure that follows its controls.

A ``jupyter lab`` server (no browser, a token, a free port) serves a temporary folder that holds
copies of the stored notebooks; its kernels import this checkout's ``vstar_lite`` (which finds
its data through :mod:`vstar_lite.paths`, wherever the notebook lies). For each notebook the test
checks that it opens without an unsaved-change mark, runs all cells, and then checks that no cell
has an error output, that each explorer shows exactly its figure (the static copy, as stored)
with all its controls above the figure and none of them squeezed, and that moving the first
control of the notebook's first explorer replaces the static copy by the live view, which a
second move redraws.

By default one quick notebook runs (``DEFAULT``); ``VSTAR_LAB_NOTEBOOKS=all`` runs every notebook
that has an explorer (``make lab-test``), ``VSTAR_LAB_NOTEBOOKS=03,10`` those whose names start so.
Without Playwright or Chromium the test is skipped with the reason, except where
``VSTAR_BROWSER_TESTS=1`` (CI), where a missing piece is a failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from conftest import missing
from nbtools import WIDGET_VIEW

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT = "01_attention_from_scratch.ipynb"  # quick, three sliders
SELECTION = os.environ.get("VSTAR_LAB_NOTEBOOKS", "").strip()
RUN_TIMEOUT_S = float(os.environ.get("VSTAR_LAB_TIMEOUT", "1200"))  # one notebook's run-all
TOKEN = "vstar-lab-test"
MIN_TRACK_PX = 140  # a slider's track stays at least this wide
MAX_CONTROL_PX = 48  # and every control one line high (a description beside its control)


# ------------------------------------------------------------------------- which notebooks
def explorer_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the cells whose stored outputs include an explorer (its widget view)."""
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(
            WIDGET_VIEW in output.get("data", {})
            and str(output["data"].get("text/plain", "")).startswith("Explorer:")
            for output in cell.get("outputs", [])
        )
    ]


def stored_figures(cell: nbformat.NotebookNode) -> int:
    """How many static figures (PNG outputs) a stored explorer cell shows."""
    return sum("image/png" in output.get("data", {}) for output in cell.outputs)


def notebooks_with_explorers() -> list[str]:
    return [
        path.name
        for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        if explorer_cells(nbformat.read(path, as_version=4))
    ]


def selected() -> list[str]:
    names = notebooks_with_explorers()
    if SELECTION.lower() == "all":
        return names
    if SELECTION:
        prefixes = SELECTION.replace(",", " ").split()
        return [n for n in names if any(n.startswith(p) for p in prefixes)] or prefixes
    return [DEFAULT]


# -------------------------------------------------------------------------- the set-up
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running ``jupyter lab`` server whose root is ``root``."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        home = root / ".jupyter-home"  # settings, workspaces, runtime: none of the user's
        settings = home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"),
            PYTHONHASHSEED="0",
            # the kernels import this checkout, whether or not it is installed
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
                   "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                   f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
                   "--ServerApp.port_retries=0"]  # fmt: skip
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")
        self.log = root / "lab.log"
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url('api/status')}", timeout=2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"jupyter lab did not start:\n{self.log_tail()}") from None
                time.sleep(0.3)

    def url(self, path: str, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?{query}token={TOKEN}"

    def notebook_url(self, name: str) -> str:
        """``name`` alone in a fresh workspace (a reused one would reopen earlier notebooks)."""
        return self.url(f"lab/workspaces/{Path(name).stem}/tree/{name}", "reset&")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    if importlib.util.find_spec("jupyterlab") is None:
        missing("jupyterlab is not installed: `make setup` installs it")
    root = tmp_path_factory.mktemp("lab")
    for name in selected():
        if (NOTEBOOKS / name).exists():
            shutil.copy(NOTEBOOKS / name, root / name)
    server = Lab(root)
    yield server
    server.stop()


# --------------------------------------------------------------------- in the browser
PANEL = "window.jupyterapp.shell.currentWidget"
OPENED = f"""(name) => {{
    const w = window.jupyterapp && {PANEL};
    const k = w && w.context && w.context.path === name && w.context.isReady
        && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}}"""
SETTLED = f"""async () => {{
    const w = {PANEL}, k = w.sessionContext.session.kernel;
    await k.info; await k.spec; await w.sessionContext.ready;
    await new Promise(r => setTimeout(r, 1500));  // the metadata updates that follow a kernel
    return {{dirty: w.context.model.dirty,
             marks: document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty').length,
             language_info: w.model.getMetadata('language_info'),
             kernelspec: w.model.getMetadata('kernelspec')}};
}}"""
RUN_ALL = """async (ms) => {
    const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
    const late = new Promise((_, no) => setTimeout(() => no(new Error('run-all timed out')), ms));
    return await Promise.race([run, late]);
}"""
IDLE = f"""() => {{
    const w = {PANEL}, k = w.sessionContext.session.kernel;
    return k.status === 'idle' && !w.content.widgets.some(
        c => c.model.type === 'code' && c.model.executionState === 'running');
}}"""
ERRORS = f"""() => {PANEL}.content.widgets.flatMap((c, i) => c.model.type !== 'code' ? [] :
    c.model.outputs.toJSON().filter(o => o.output_type === 'error')
        .map(o => `cell ${{i}}: ${{o.ename}}: ${{o.evalue}}`))"""
# one explorer cell: its figures (static copy / live view), controls and the Output's position
EXPLORER = f"""(i) => {{
    const node = {PANEL}.content.widgets[i].node;
    node.scrollIntoView({{block: 'nearest'}});
    node.dataset.vstarCell = i;  // for the locators of move_first_control
    const live = [...node.querySelectorAll('.widget-output img')];
    const all = [...node.querySelectorAll('.jp-OutputArea-output img')];
    const row = node.querySelector('.widget-vbox > .widget-hbox');
    const out = node.querySelector('.widget-vbox > .widget-output');
    const box = e => e.getBoundingClientRect();
    const controls = row ? [...row.children].map(c => ({{
        kind: ['slider', 'dropdown', 'toggle-buttons', 'checkbox']
            .find(k => c.classList.contains('widget-' + k)) || c.className,
        bottom: box(c).bottom, width: box(c).width, height: box(c).height,
        track: c.querySelector('.slider-container, .noUi-target')
            ? box(c.querySelector('.slider-container, .noUi-target')).width : null,
        truncated: [...c.querySelectorAll('.widget-label, .widget-label-basic, button')]
            .filter(l => l.scrollWidth > l.clientWidth + 1).map(l => l.textContent),
    }})) : [];
    return {{static: all.length - live.length, live: live.length,
             src: live.map(img => img.src).join(' '), controls,
             output_top: out ? box(out).top : null,
             stderr: [...node.querySelectorAll('.widget-output [data-mime-type*="stderr"]')]
                .map(e => e.textContent.slice(0, 500))}};
}}"""


def move_first_control(page, cell: int, kind: str) -> None:
    """Change the first control of the explorer in ``cell`` the way a learner would.

    The cell's node carries ``data-vstar-cell`` (set by ``EXPLORER``): JupyterLab may leave cells
    out of the page that are far from the view, so a cell's index is not its place among nodes.
    """
    first = page.locator(f'[data-vstar-cell="{cell}"] .widget-vbox > .widget-hbox > *').first
    if kind == "slider":
        handle = first.locator(".noUi-handle").first
        handle.focus()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        handle.press("ArrowLeft" if at_max else "ArrowRight")
    elif kind == "dropdown":
        select = first.locator("select")
        options = select.locator("option").all_text_contents()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))
    elif kind == "toggle-buttons":
        first.locator("button:not(.mod-active)").first.click()
    elif kind == "checkbox":
        first.locator("input").click()
    else:
        raise AssertionError(f"no way to move a control of kind {kind!r}")


@pytest.mark.parametrize("name", selected())
def test_notebook_opens_clean_runs_and_its_explorers_show_one_live_figure(name, lab, browser):
    path = NOTEBOOKS / name
    if not path.exists():
        pytest.fail(f"no notebook {name} (VSTAR_LAB_NOTEBOOKS={SELECTION!r})")
    stored = nbformat.read(path, as_version=4)
    cells = explorer_cells(stored)
    assert cells, f"{name} has no explorer"
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.set_default_timeout(120_000)
        page.goto(lab.notebook_url(name))
        page.wait_for_function(OPENED, arg=name, timeout=120_000)
        opened = page.evaluate(SETTLED)
        problems = []  # reported at the end, so that the explorers are checked all the same
        if opened["dirty"] or opened["marks"]:
            problems.append(
                f"{name} is marked as changed right after opening (re-execute it with "
                f"tools/nbtools.py); JupyterLab's metadata: {opened['language_info']}, "
                f"{opened['kernelspec']}; stored: {stored.metadata.get('language_info')}, "
                f"{stored.metadata.get('kernelspec')}"
            )

        page.evaluate(RUN_ALL, RUN_TIMEOUT_S * 1000)
        page.wait_for_function(IDLE, timeout=RUN_TIMEOUT_S * 1000, polling=500)
        assert page.evaluate(ERRORS) == [], f"{name}: error outputs after run-all"

        def explorer(i: int) -> dict:
            return page.evaluate(EXPLORER, i)

        for i in cells:  # one figure each: the static copy; all controls above it, none squeezed
            want = stored_figures(stored.cells[i])
            page.wait_for_function(
                f"() => ({EXPLORER})({i}).controls.length > 0", timeout=60_000, polling=250
            )
            state = explorer(i)
            assert (state["static"], state["live"]) == (want, 0), (name, i, state)
            for control in state["controls"]:
                assert control["bottom"] <= state["output_top"] + 1, (name, i, control)
                assert not control["truncated"], (name, i, control)
                assert control["height"] <= MAX_CONTROL_PX, (name, i, control)
                if control["track"] is not None:
                    assert control["track"] >= MIN_TRACK_PX, (name, i, control)

        first = cells[0]
        want = stored_figures(stored.cells[first])
        kind = explorer(first)["controls"][0]["kind"]
        move_first_control(page, first, kind)  # the live view replaces the static copy
        page.wait_for_function(
            f"() => {{ const s = ({EXPLORER})({first}); return s.static === 0 && s.live > 0; }}",
            timeout=120_000,
            polling=250,
        )
        page.wait_for_function(IDLE, timeout=120_000, polling=250)
        state = explorer(first)
        assert (state["static"], state["live"]) == (0, want), (name, first, state)
        assert not state["stderr"], (name, first, state["stderr"])
        before = state["src"]
        move_first_control(page, first, kind)  # and follows the next change
        page.wait_for_function(
            f"(old) => {{ const s = ({EXPLORER})({first}); return s.live > 0 && s.src !== old; }}",
            arg=before,
            timeout=120_000,
            polling=250,
        )
        page.wait_for_function(IDLE, timeout=120_000, polling=250)
        state = explorer(first)
        assert (state["static"], state["live"]) == (0, want), (name, first, state)
        assert not state["stderr"], (name, first, state["stderr"])
        assert page.evaluate(ERRORS) == [], f"{name}: error outputs after moving a control"
        assert not problems, "\n".join(problems)
    finally:
        # best effort: a page that never showed its notebook has nothing to scroll or shut down
        with contextlib.suppress(Exception):
            if os.environ.get("VSTAR_LAB_SCREENSHOTS"):  # the first explorer as the test left it
                page.evaluate(f"() => {PANEL}.content.widgets[{cells[0]}].node.scrollIntoView()")
                folder = Path(os.environ["VSTAR_LAB_SCREENSHOTS"])
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / f"{Path(name).stem}.png"))
            page.evaluate(f"() => {PANEL}.sessionContext.shutdown()")  # its kernel ends here
        page.close()
