"""The notebooks as a series: pairs consistent, structure, Colab badges, student versions.

nbval itself runs every notebook (``pytest`` collects ``notebooks/*.ipynb`` with ``--nbval``);
tests/test_notebook_checks.py shows that these checks catch what they are meant to catch.
"""

import re

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

import nbtools

SOURCES = nbtools.notebook_sources()
IDS = [source.stem for source in SOURCES]
MAX_NOTEBOOK_BYTES = 1_000_000


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_*.py found"


def test_every_pair_is_consistent_and_executed():
    assert nbtools.check_all() == []


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_source_is_what_jupyterlab_would_save(source):
    """Saving the .ipynb in JupyterLab (jupytext pairing) must not rewrite the .py."""
    config = load_jupytext_config(str(source.parent))
    saved = jupytext.writes(
        jupytext.read(source.with_suffix(".ipynb")), "py:percent", config=config
    )
    assert saved == source.read_text(), (
        f"{source.name} is not in jupytext's form; rewrite it with: jupytext --to py:percent "
        f"--output {source} {source.with_suffix('.ipynb')}"
    )


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_structure(source):
    nb = jupytext.read(source)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# {source.stem[:2]} · \S", first.source), "title '# NN · Topic' first"
    for heading in ("**Learning goals.**", "**Sources.**"):
        assert heading in first.source
    text = "\n".join(cell.source for cell in nb.cells)
    assert "## Recap" in text and "## Exercise" in text
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert 'if "google.colab" in sys.modules:' in code[0], "the first code cell is the Colab set-up"
    assert any("### BEGIN SOLUTION" in cell for cell in code), "an exercise with a marked solution"
    assert any(cell.lstrip().startswith("check") or "assert " in cell for cell in code)


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_stored_outputs_are_small_and_clean(source):
    paired = source.with_suffix(".ipynb")
    assert paired.stat().st_size < MAX_NOTEBOOK_BYTES
    nb = nbformat.read(paired, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            where = f"{paired.name} cell {index}"
            assert output.output_type != "error", f"{where} stored an error"
            assert output.get("name") != "stderr", f"{where} printed to stderr: {output.text[:200]}"
            data = output.get("data", {})
            assert "image/svg+xml" not in data, f"{where}: use PNG figures, nbval compares SVG"
            assert not re.search(r" at 0x[0-9a-f]+", str(data.get("text/plain", ""))), (
                f"{where} stored an object repr with a memory address"
            )


def test_badges_agree_with_the_repository_setting(root):
    repo = nbtools.Repository.from_pyproject()
    assert nbtools.planned_badge_changes(repo) == {}, "run `make badges`"
    readme = (root / "README.md").read_text()
    expected_readme = {repo.colab_url(f"student/{s.stem}.ipynb") for s in SOURCES}
    assert set(nbtools.COLAB_URL_RE.findall(readme)) == expected_readme  # Colab: student copies
    for source in SOURCES:
        url = repo.colab_url(f"student/{source.stem}.ipynb")
        assert f"](notebooks/{source.stem}.ipynb)" in readme  # and the solved copy, on GitHub
        for path in (source, source.with_suffix(".ipynb"), nbtools.student_path(source)):
            nb = jupytext.read(path)
            assert repo.header_links(f"{source.stem}.ipynb") in nb.cells[0].source, f"{path.name}"
            text = "\n".join(cell.source for cell in nb.cells)
            assert set(nbtools.COLAB_URL_RE.findall(text)) == {url}, f"{path.name}"
            assert set(nbtools.INSTALL_RE.findall(text)) == {repo.install_source}, f"{path.name}"


def test_badge_command_rewrites_badges_and_install_lines_and_keeps_pairs(tmp_path):
    (tmp_path / "student").mkdir()
    for source in SOURCES:
        for path in (source, source.with_suffix(".ipynb")):
            (tmp_path / path.name).write_bytes(path.read_bytes())
        student = nbtools.student_path(source)
        (tmp_path / "student" / student.name).write_bytes(student.read_bytes())
    fork = nbtools.Repository("https://github.com/someone/vstar-fork")
    changes = nbtools.planned_badge_changes(fork, folder=tmp_path)
    assert len(changes) == 3 * len(SOURCES)  # .py, .ipynb and student copy of each
    for path, text in changes.items():
        path.write_text(text)
    assert nbtools.planned_badge_changes(fork, folder=tmp_path) == {}
    assert nbtools.check_all(tmp_path) == []
    text = (tmp_path / SOURCES[0].name).read_text()
    assert (
        "colab.research.google.com/github/someone/vstar-fork/blob/main/notebooks/student/" in text
    )
    assert "(https://github.com/someone/vstar-fork/blob/main/notebooks/00_" in text
    assert "git+https://github.com/someone/vstar-fork" in text


def test_repository_setting_must_be_a_github_address(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project.urls]\nRepository = "https://example.org/x"\n'
    )
    with pytest.raises(ValueError, match="must be https://github.com/OWNER/NAME"):
        nbtools.Repository.from_pyproject(tmp_path / "pyproject.toml")


def test_student_version_replaces_solutions_by_nbgraders_stub_and_keeps_the_rest():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\n"
        "# BEGIN SOLUTION\ny = 3\n# END SOLUTION\nprint(f)\n"
    )
    assert nbtools.strip_solutions(source) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n"
        "# YOUR CODE HERE\nraise NotImplementedError()\nprint(f)\n"
    )


def test_student_version_drops_hidden_tests():
    source = (
        "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS\n"
        "print('checked')\n"
    )
    assert nbtools.strip_solutions(source) == "assert f(1) == 2\nprint('checked')\n"


def test_the_instructor_guide_table_is_up_to_date():
    assert nbtools.GUIDE.read_text() == nbtools.planned_guide(), "run nbtools.py stats --write"
    row = nbtools.stats_table(SOURCES[:1]).splitlines()[2].split(" | ")
    nb = nbformat.read(SOURCES[0].with_suffix(".ipynb"), as_version=4)
    assert row[1] == str(len(nb.cells)) and row[5] == "2"  # cells, exercises


def test_student_command_writes_the_committed_copies_without_solutions_or_outputs(tmp_path):
    assert nbtools.main(["student", "--out", str(tmp_path)]) == 0
    for source in SOURCES:
        written = tmp_path / f"{source.stem}.ipynb"
        assert written.read_text() == nbtools.student_path(source).read_text(), "make student"
        nb = nbformat.read(written, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
        assert all(not c.outputs and c.execution_count is None
                   for c in nb.cells if c.cell_type == "code")  # fmt: skip
        assert "widgets" not in nb.metadata
        assert written.stat().st_size < MAX_NOTEBOOK_BYTES / 5


def test_consistency_check_catches_a_missing_stale_or_stray_student_copy(tmp_path):
    source = SOURCES[0]
    for path in (source, source.with_suffix(".ipynb")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "student").mkdir()
    copy = tmp_path / "student" / f"{source.stem}.ipynb"
    assert nbtools.check_all(tmp_path)[0] == f"student/{copy.name} is missing"
    copy.write_text(nbtools.student_path(source).read_text().replace("YOUR CODE HERE", "done"))
    assert "differs from the student copy" in nbtools.check_all(tmp_path)[0]
    copy.write_bytes(nbtools.student_path(source).read_bytes())
    assert nbtools.check_all(tmp_path) == []
    (tmp_path / "student" / "99_extra.ipynb").write_text("{}")
    assert nbtools.check_all(tmp_path) == [
        "student/99_extra.ipynb: no notebook 99_extra.py it is a copy of"
    ]
