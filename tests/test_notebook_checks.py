"""The notebook checks can fail: tampered outputs, un-executed edits, non-deterministic runs."""

import json
import platform
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest

import nbtools

NOTEBOOK = nbtools.notebook_sources()[0]


def copy_pair(folder: Path) -> Path:
    for path in (NOTEBOOK, NOTEBOOK.with_suffix(".ipynb")):
        (folder / path.name).write_bytes(path.read_bytes())
    return folder / NOTEBOOK.name


def tamper_first_number(nb: nbformat.NotebookNode) -> str:
    """Change one digit of the first printed number; return the changed line."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and any(ch.isdigit() for ch in output.text):
                position = next(i for i, ch in enumerate(output.text) if ch.isdigit())
                digit = str((int(output.text[position]) + 1) % 10)
                output.text = output.text[:position] + digit + output.text[position + 1 :]
                return output.text.splitlines()[0]
    raise AssertionError("no printed number to tamper with")


def nbval_failures(root: Path, notebook: Path) -> list[str]:
    """Run nbval on one notebook as the test command does; return the failing cells' names."""
    report = notebook.with_suffix(".xml")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider",
         "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(root / "tests" / "nbval_sanitize.cfg"),
         f"--junitxml={report}", "-q", notebook.name],
        cwd=notebook.parent, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    assert len(cases) > 2, f"nbval collected no cells:\n{result.stdout[-2000:]}"
    failed = [
        c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None
    ]
    assert (result.returncode != 0) == bool(failed)
    return failed


def test_nbval_fails_on_a_changed_stored_output_and_passes_the_original(root, tmp_path):
    pristine = nbformat.read(NOTEBOOK.with_suffix(".ipynb"), as_version=4)
    tampered = nbformat.read(NOTEBOOK.with_suffix(".ipynb"), as_version=4)
    tamper_first_number(tampered)
    nbformat.write(pristine, tmp_path / "pristine.ipynb")
    nbformat.write(tampered, tmp_path / "tampered.ipynb")
    assert nbval_failures(root, tmp_path / "pristine.ipynb") == []
    assert len(nbval_failures(root, tmp_path / "tampered.ipynb")) == 1


def test_consistency_check_passes_an_untouched_pair(tmp_path):
    assert nbtools.check_pair(copy_pair(tmp_path)) == []


EDITS = {
    "code": ("SEED = 0\n", "SEED = 1\n"),
    "markdown": ("# ## Recap\n", "# ## Recap (edited)\n"),
    "cell title": ("# %% Set-up:", "# %% Set-up (edited):"),
    "new cell": ("# %% [markdown]\n# ## Recap", "# %%\nprint(1)\n\n# %% [markdown]\n# ## Recap"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_consistency_check_fails_on_an_edit_that_was_not_executed(tmp_path, edit):
    source = copy_pair(tmp_path)
    text = source.read_text()
    old, new = EDITS[edit]
    assert old in text, f"the test's edit {edit!r} no longer applies to {source.name}"
    source.write_text(text.replace(old, new, 1))
    problems = nbtools.check_pair(source)
    assert len(problems) == 2 and problems[-1] == "  re-execute it: make execute NB=00"
    assert re.search(r"differs from|has \d+ cells, .* has \d+$", problems[0])


def test_consistency_check_fails_on_unexecuted_or_reordered_cells(tmp_path):
    source = copy_pair(tmp_path)
    paired = source.with_suffix(".ipynb")
    nb = nbformat.read(paired, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    code[2].execution_count = None
    nbformat.write(nb, paired)
    assert any("was never executed" in p for p in nbtools.check_pair(source))
    code[2].execution_count, code[1].execution_count = 2, 3
    nbformat.write(nb, paired)
    assert any("not from one fresh top-to-bottom run" in p for p in nbtools.check_pair(source))
    paired.unlink()
    assert "no paired" in nbtools.check_pair(source)[0]


PROBE = """# %%
import time
import ipywidgets as widgets
print("first half", flush=True)
time.sleep(0.3)
print("second half")

# %%
widgets.IntSlider(value=3, description="frame")

# %%
import matplotlib.pyplot as plt
plt.plot([0, 1], [1, 0])
plt.show()
"""


def test_execute_is_deterministic_and_normalizes(tmp_path):
    source = tmp_path / "99_probe.py"
    source.write_text(PROBE)
    runs = [nbtools.to_text(nbtools.execute_notebook(source)) for _ in range(2)]
    assert runs[0] == runs[1]
    nb = nbformat.reads(runs[0], as_version=4)
    assert [cell.id for cell in nb.cells] == ["cell-000", "cell-001", "cell-002"]
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream"]  # split prints merged
    widget = nb.cells[1].outputs[0].data[nbtools.WIDGET_VIEW]["model_id"]
    assert widget == f"{1:032x}"
    assert "execution" not in json.dumps([cell.metadata for cell in nb.cells])
    # the kernel's own metadata, as JupyterLab writes it on opening (else it marks a change)
    assert nb.metadata.kernelspec == nbtools.kernelspec_metadata("python3")
    language = nb.metadata.language_info
    assert language.name == "python" and language.version == platform.python_version()
    assert {"mimetype", "codemirror_mode", "pygments_lexer", "file_extension"} <= set(language)


def test_prose_copies_markdown_and_keeps_outputs_but_refuses_code_edits(tmp_path):
    source = copy_pair(tmp_path)
    paired = source.with_suffix(".ipynb")
    before = nbformat.read(paired, as_version=4)
    text = source.read_text()
    source.write_text(text.replace(*EDITS["markdown"], 1))
    assert nbtools.copy_prose(source) == 1
    after = nbformat.read(paired, as_version=4)
    assert nbtools.check_pair(source) == []
    outputs = [[c.get("outputs") for c in nb.cells] for nb in (before, after)]
    assert outputs[0] == outputs[1]
    source.write_text(source.read_text().replace(*EDITS["code"], 1))
    with pytest.raises(ValueError, match="re-execute it instead"):
        nbtools.copy_prose(source)
