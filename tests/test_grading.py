"""Grading, both ways: every exercise passes on the solved notebook and fails on the student copy.

``python tools/nbtools.py grade COPY.ipynb`` (``make grade NB=...``) is the instructor's command:
it runs a learner's notebook top to bottom and scores each ``## Exercise`` section.
"""

import nbformat
import pytest

import nbtools

SOURCES = nbtools.notebook_sources()
IDS = [source.stem for source in SOURCES]


def test_exercise_sections_run_from_their_heading_to_the_next_section():
    new_code, new_markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(cells=[
        new_markdown("## 1. Set-up"), new_code("x = 1"),  # 0, 1
        new_markdown("## Exercise 1: double it\nWrite `f`."), new_code("def f(): ..."),  # 2, 3
        new_markdown("A hint, still the exercise."), new_code("assert f() == 2"),  # 4, 5
        new_markdown("## Recap"), new_code("print('not graded')"),  # 6, 7
        new_markdown("## Exercise 2: predict"), new_code("assert True"),  # 8, 9
    ])  # fmt: skip
    assert nbtools.exercise_sections(nb) == [
        ("Exercise 1: double it", [3, 5]),
        ("Exercise 2: predict", [9]),
    ]


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_every_notebook_has_two_exercises_one_of_them_predict_then_check(source):
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    sections = nbtools.exercise_sections(nb)
    assert len(sections) >= 2 and all(cells for _, cells in sections), source.name
    assert any("predict, then check" in title for title, _ in sections), source.name
    for title, cells in sections:  # a solution to write, and a check after it
        sources = [nb.cells[i].source for i in cells]
        solved = [i for i, text in enumerate(sources) if "### BEGIN SOLUTION" in text]
        assert solved and solved[0] < len(sources) - 1, f"{source.name}, {title}"


def test_the_solved_notebook_passes_every_exercise():
    results = nbtools.grade_notebook(SOURCES[0].with_suffix(".ipynb"))
    assert results and all(r.error is None for r in results), results


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_the_student_copy_fails_every_exercise_on_its_stub(source):
    results = nbtools.grade_notebook(nbtools.student_path(source))
    assert results
    for result in results:
        assert result.error == "NotImplementedError: ", (source.name, result)


def test_grade_command_prints_a_score_per_exercise(tmp_path, capsys, monkeypatch):
    results = [
        nbtools.ExerciseResult("Exercise 1: a", None),
        nbtools.ExerciseResult("Exercise 2: b", "AssertionError: off by one"),
    ]
    monkeypatch.setattr(nbtools, "grade_notebook", lambda path: results)
    copy = tmp_path / "alice.ipynb"
    copy.write_text("{}")
    assert nbtools.main(["grade", str(copy)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "alice.ipynb: 1 / 2 exercises pass",
        "  pass  Exercise 1: a",
        "  FAIL  Exercise 2: b",
        "        AssertionError: off by one",
    ]
    with pytest.raises(SystemExit, match="grade: no notebook file"):
        nbtools.main(["grade", str(tmp_path / "missing.ipynb")])
