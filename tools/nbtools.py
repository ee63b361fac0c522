"""Notebook tools for vstar-lite: execute, check, badges, student versions.

Every notebook is a pair in ``notebooks/``: ``NN_topic.py`` (jupytext percent format, the source
that is edited) and ``NN_topic.ipynb`` (produced from it by ``execute``, with outputs).

    python tools/nbtools.py execute [00 01 ...] [--out DIR] [--html]
    python tools/nbtools.py check
    python tools/nbtools.py badges [--check]
    python tools/nbtools.py student [--out DIR]
    python tools/nbtools.py grade NOTEBOOK.ipynb [...]
    python tools/nbtools.py stats [--write]

``execute`` runs each ``.py`` in a fresh kernel and writes the paired ``.ipynb`` so that a re-run on
the same machine gives the same file: cell ids are numbered, execution timestamps are dropped and
widget model ids are renumbered. Its ``kernelspec`` and ``language_info`` are the kernel's, as
JupyterLab writes them, so that JupyterLab opens it without an unsaved-change mark (the Python
version in ``language_info`` is that of the machine that executed it). ``check`` fails when a pair
differs in content or an ``.ipynb`` holds a code cell that was not executed in a fresh
top-to-bottom run, or when a student copy in ``notebooks/student/`` is not what ``student`` writes
from its solved notebook. ``grade`` runs a notebook (a learner's copy) and scores every exercise:
it passes when each code cell of its section runs without an error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
COLAB_BRANCH = "main"
CELL_TIMEOUT_S = 600
KERNEL = "python3"  # the kernel every notebook runs in

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
SOLVED_LINK = "solutions and outputs"
# a notebook's header links: its Colab badge (the student copy), then the solved copy on GitHub
BADGE_RE = re.compile(
    r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\((?P<url>[^)\s]*)\)"
    r"(?P<solved> \(exercises to solve\) · \[" + SOLVED_LINK + r"\]\([^)\s]*\))?"
)
COLAB_URL_RE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")
INSTALL_RE = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+")
README_BEGIN, README_END = "<!-- notebooks:begin -->", "<!-- notebooks:end -->"
STUDENT_DIR = "student"  # the student copies, below the notebooks' folder
STUDENT = NOTEBOOKS / STUDENT_DIR
# nbgrader's solution delimiters (any number of '#'), and the stub its ClearSolutions writes
SOLUTION_RE = re.compile(
    r"^(?P<indent>[ \t]*)#+ BEGIN SOLUTION[^\n]*\n.*?^[ \t]*#+ END SOLUTION[^\n]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
SOLUTION_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
HIDDEN_TESTS_RE = re.compile(
    r"^[ \t]*#+ BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*#+ END HIDDEN TESTS[^\n]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
EXERCISE_RE = re.compile(r"^## Exercise\b[^\n]*", re.MULTILINE)
SECTION_RE = re.compile(r"^## ", re.MULTILINE)


# --------------------------------------------------------------------------- notebook discovery
def notebook_sources(selection: list[str] | None = None, folder: Path = NOTEBOOKS) -> list[Path]:
    """The ``NN_*.py`` notebook sources, optionally only those whose name starts with a selector."""
    sources = sorted(folder.glob("[0-9][0-9]_*.py"))
    if selection:
        sources = [p for p in sources if any(p.stem.startswith(s) for s in selection)]
        if not sources:
            raise SystemExit(f"no notebook in {folder} matches {selection}")
    return sources


def notebook_title(source: Path) -> str:
    """The first Markdown heading of a notebook source (the text after ``# # ``)."""
    for line in source.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^# #\s+(.+)$", line)
        if match:
            return match.group(1).strip()
    raise ValueError(f"{source.name} has no '# # Title' heading")


# --------------------------------------------------------------------------------- execution
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _renumber_widget_ids(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace ipywidgets' random model ids by ids numbered in order of first appearance."""
    found = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_VIEW in output.get("data", {})
    ]
    found += list(nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}))
    mapping: dict[str, str] = {}
    for model_id in found:
        mapping.setdefault(model_id, f"{len(mapping) + 1:032x}")
    text = json.dumps(nb)
    for old, new in mapping.items():
        text = text.replace(old, new)
    return nbformat.from_dict(json.loads(text))


def to_text(nb: nbformat.NotebookNode) -> str:
    """The exact file contents of a notebook, as ``nbformat.write`` would save it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) chunks: how a print is split depends on timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed notebook depend only on its source, its outputs and its kernel.

    The ``language_info`` the kernel reported is kept whole: JupyterLab replaces it by the
    running kernel's when it opens a notebook and marks the notebook changed unless the two are
    equal, Python version included (so a notebook opens clean where the Python that executed it
    runs).
    """
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            for output in cell.outputs:
                output.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return _renumber_widget_ids(nb)


def execute_notebook(source: Path) -> nbformat.NotebookNode:
    """Run a notebook source top to bottom in a fresh kernel, working directory ``notebooks/``."""
    nb = jupytext.read(source)
    run_in_kernel(nb, source.parent)
    nb.metadata["kernelspec"] = kernelspec_metadata(KERNEL)
    return normalize(nb)


def kernelspec_metadata(name: str) -> dict[str, str]:
    """The ``kernelspec`` metadata JupyterLab writes for the installed kernel ``name``.

    JupyterLab rewrites this entry from the kernel's spec (its display name, e.g. "Python 3
    (ipykernel)") when it starts the kernel, and marks the notebook changed if that differs.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"name": name, "display_name": spec.display_name, "language": spec.language}


def run_in_kernel(nb: nbformat.NotebookNode, folder: Path, allow_errors: bool = False) -> None:
    """Execute ``nb`` in place in a fresh kernel whose working directory is ``folder``."""
    from nbclient import NotebookClient

    os.environ["PYTHONHASHSEED"] = "0"  # inherited by the kernel
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(folder)}},
        record_timing=False,
        store_widget_state=True,
        allow_errors=allow_errors,
    ).execute()


def write_html(nb: nbformat.NotebookNode, path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    path.write_text(body, encoding="utf-8")


def cmd_execute(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for source in notebook_sources(args.notebooks):
        print(f"executing {source.relative_to(ROOT)} ...", flush=True)
        nb = execute_notebook(source)
        target = (out or source.parent) / f"{source.stem}.ipynb"
        target.write_text(to_text(nb), encoding="utf-8")
        print(f"  wrote {target}")
        if args.html:
            html = target.with_suffix(".html")
            write_html(nb, html)
            print(f"  wrote {html}")
    return 0


# --------------------------------------------------------------------------- consistency check
def _cells(nb: nbformat.NotebookNode) -> list[tuple]:
    """What a pair must agree on: each cell's type, source, tags and title (text after ``# %%``)."""
    return [
        (
            cell.cell_type,
            cell.source.rstrip(),
            tuple(cell.metadata.get("tags", ())),
            cell.metadata.get("title"),
        )
        for cell in nb.cells
    ]


def check_pair(source: Path) -> list[str]:
    """Problems with one ``.py``/``.ipynb`` pair; an empty list when it is consistent."""
    paired = source.with_suffix(".ipynb")
    if not paired.exists():
        return [f"{source.name}: no paired {paired.name} (run `make execute NB={source.stem[:2]}`)"]
    problems = []
    expected, stored = _cells(jupytext.read(source)), _cells(nbformat.read(paired, as_version=4))
    if len(expected) != len(stored):
        problems.append(f"{paired.name} has {len(stored)} cells, {source.name} has {len(expected)}")
    else:
        differing = [i for i, (want, have) in enumerate(zip(expected, stored)) if want != have]
        problems += [f"{paired.name}: cell {i} differs from {source.name}" for i in differing]
    if problems:
        problems.append(f"  re-execute it: make execute NB={source.stem[:2]}")
    nb = nbformat.read(paired, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    if None in counts:
        index = nb.cells.index(code[counts.index(None)])
        problems.append(f"{paired.name}: code cell {index} was never executed")
    elif counts != list(range(1, len(code) + 1)):
        problems.append(
            f"{paired.name}: execution counts {counts} are not 1..{len(code)}: "
            "the stored outputs are not from one fresh top-to-bottom run"
        )
    return problems


def check_all(folder: Path = NOTEBOOKS) -> list[str]:
    problems = []
    for source in notebook_sources(folder=folder):
        problems += check_pair(source)
        problems += check_student_copy(source)
    for stray in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        if not stray.with_suffix(".py").exists():
            problems.append(f"{stray.name}: no paired .py source")
    for stray in sorted(folder.glob(f"{STUDENT_DIR}/*.ipynb")):
        if not (folder / f"{stray.stem}.py").exists():
            problems.append(f"student/{stray.name}: no notebook {stray.stem}.py it is a copy of")
    return problems


def cmd_check(_: argparse.Namespace) -> int:
    problems = check_all()
    for problem in problems:
        print(problem)
    count = len(notebook_sources())
    print(f"{count} notebook pairs checked, {len(problems)} problem(s)")
    return 1 if problems else 0


# -------------------------------------------------------------------------------------- badges
@dataclass(frozen=True)
class Repository:
    url: str  # https://github.com/OWNER/NAME

    @classmethod
    def from_pyproject(cls, path: Path = ROOT / "pyproject.toml") -> Repository:
        url = tomllib.loads(path.read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
        if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
            raise ValueError(
                f"[project.urls] Repository must be https://github.com/OWNER/NAME, got {url!r}"
            )
        return cls(url)

    def colab_url(self, notebook: str) -> str:
        slug = self.url.removeprefix("https://github.com/")
        return f"https://colab.research.google.com/github/{slug}/blob/{COLAB_BRANCH}/notebooks/{notebook}"

    def badge(self, notebook: str) -> str:
        return f"[![Open In Colab]({BADGE_IMAGE})]({self.colab_url(notebook)})"

    def solved_url(self, notebook: str) -> str:
        return f"{self.url}/blob/{COLAB_BRANCH}/notebooks/{notebook}"

    def header_links(self, notebook: str) -> str:
        """A notebook's header: Colab on its student copy, and its solved copy with outputs."""
        return (f"{self.badge(f'student/{notebook}')} (exercises to solve) · "
                f"[{SOLVED_LINK}]({self.solved_url(notebook)})")  # fmt: skip

    @property
    def install_source(self) -> str:
        return f"git+{self.url}"


def rewrite_notebook_text(text: str, repo: Repository, notebook: str) -> str:
    """A notebook's text (a cell source or a whole .py) with its badge and install line updated."""
    text = BADGE_RE.sub(lambda _: repo.header_links(notebook), text)
    return INSTALL_RE.sub(lambda _: repo.install_source, text)


def readme_table(repo: Repository, sources: list[Path]) -> str:
    rows = ["| # | notebook (solved, with outputs) | exercises to solve |", "|---|---|---|"]
    for source in sources:
        title = notebook_title(source).split("·", 1)[-1].strip()
        ipynb = f"{source.stem}.ipynb"
        badge = repo.badge(f"student/{ipynb}")
        rows.append(f"| {source.stem[:2]} | [{title}](notebooks/{ipynb}) | {badge} |")
    return "\n".join(rows)


def replace_between(text: str, begin: str, end: str, body: str, name: str) -> str:
    """``text`` with what stands between the markers ``begin`` and ``end`` replaced by ``body``."""
    before, _, rest = text.partition(begin)
    _, _, after = rest.partition(end)
    if not rest or end not in rest:
        raise ValueError(f"{name} needs the markers {begin} and {end}")
    return f"{before}{begin}\n{body}\n{end}{after}"


def planned_badge_changes(repo: Repository, folder: Path = NOTEBOOKS) -> dict[Path, str]:
    """Files whose badges or install lines disagree with ``repo``, with their corrected text."""
    changes: dict[Path, str] = {}
    sources = notebook_sources(folder=folder)
    for source in sources:
        ipynb_name = f"{source.stem}.ipynb"
        text = source.read_text(encoding="utf-8")
        new = rewrite_notebook_text(text, repo, ipynb_name)
        if new != text:
            changes[source] = new
        paired = source.with_suffix(".ipynb")
        if paired.exists():
            raw = paired.read_text(encoding="utf-8")
            nb = nbformat.reads(raw, as_version=4)
            for cell in nb.cells:
                cell.source = rewrite_notebook_text(cell.source, repo, ipynb_name)
            new_raw = to_text(nb)
            if new_raw != raw:
                changes[paired] = new_raw
            student = folder / STUDENT_DIR / ipynb_name
            if student.exists() and new_raw != raw:
                changes[student] = to_text(student_copy(nb))
    if folder == NOTEBOOKS:
        readme = README.read_text(encoding="utf-8")
        new = replace_between(readme, README_BEGIN, README_END, readme_table(repo, sources),
                              "README.md")  # fmt: skip
        if new != readme:
            changes[README] = new
    return changes


def cmd_badges(args: argparse.Namespace) -> int:
    repo = Repository.from_pyproject()
    changes = planned_badge_changes(repo)
    for path, text in changes.items():
        if args.check:
            print(f"{path.relative_to(ROOT)}: badges disagree with {repo.url}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    if not changes:
        print(f"all badges point to {repo.url}")
    return 1 if (args.check and changes) else 0


# ----------------------------------------------------------------------------- student version
def strip_solutions(source: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by nbgrader's stub, and
    drop every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block."""
    source = HIDDEN_TESTS_RE.sub("", source)
    return SOLUTION_RE.sub(
        lambda m: "".join(f"{m['indent']}{line}\n" for line in SOLUTION_STUB.splitlines()),
        source,
    )


def student_copy(solved: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student copy of a solved notebook: solutions replaced by stubs, no outputs at all (a
    learner runs every cell; the solved copy shows what they print), no stored widget state."""
    nb = nbformat.from_dict(json.loads(json.dumps(solved)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    return nb


def student_path(source: Path) -> Path:
    return source.parent / STUDENT_DIR / f"{source.stem}.ipynb"


def check_student_copy(source: Path) -> list[str]:
    """Problems with the student copy of one notebook; empty when it is what ``student`` writes."""
    copy, paired = student_path(source), source.with_suffix(".ipynb")
    fix = f"  rewrite it: make student NB={source.stem[:2]}"
    if not copy.exists():
        return [f"student/{copy.name} is missing", fix]
    if not SOLUTION_RE.search(source.read_text(encoding="utf-8")):
        return [
            f"{source.name}: no exercise solution marked ### BEGIN SOLUTION ... ### END SOLUTION"
        ]
    expected = to_text(student_copy(nbformat.read(paired, as_version=4)))
    if copy.read_text(encoding="utf-8") != expected:
        return [f"student/{copy.name} differs from the student copy of {paired.name}", fix]
    return []


def cmd_student(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else STUDENT
    out.mkdir(parents=True, exist_ok=True)
    for source in notebook_sources(args.notebooks):
        nb = student_copy(nbformat.read(source.with_suffix(".ipynb"), as_version=4))
        target = out / f"{source.stem}.ipynb"
        target.write_text(to_text(nb), encoding="utf-8")
        print(f"wrote {target}")
    return 0


# ------------------------------------------------------------------------------------- grading
@dataclass(frozen=True)
class ExerciseResult:
    title: str  # the heading, without "## "
    error: str | None  # the first error's last line, None when every cell ran


def exercise_sections(nb: nbformat.NotebookNode) -> list[tuple[str, list[int]]]:
    """``[(title, code cell indices)]``: an exercise runs from its ``## Exercise`` heading to the
    next ``## `` heading."""
    sections: list[tuple[str, list[int]]] = []
    current: list[int] | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and SECTION_RE.search(cell.source):
            heading = EXERCISE_RE.search(cell.source)
            current = [] if heading else None
            if heading:
                sections.append((heading.group(0).removeprefix("## ").strip(), current))
        elif cell.cell_type == "code" and current is not None:
            current.append(index)
    return sections


def grade_notebook(path: Path) -> list[ExerciseResult]:
    """Run ``path`` top to bottom (errors do not stop it) and score each exercise."""
    nb = nbformat.read(path, as_version=4)
    sections = exercise_sections(nb)
    if not sections:
        raise ValueError(f"{path}: no '## Exercise' heading, nothing to grade")
    run_in_kernel(nb, path.parent, allow_errors=True)
    results = []
    for title, indices in sections:
        errors = [output for i in indices for output in nb.cells[i].outputs
                  if output.output_type == "error"]  # fmt: skip
        first = f"{errors[0].ename}: {errors[0].evalue}".splitlines()[0][:120] if errors else None
        results.append(ExerciseResult(title, first))
    return results


def cmd_grade(args: argparse.Namespace) -> int:
    for name in args.notebooks:
        path = Path(name)
        if not path.is_file():
            raise SystemExit(f"grade: no notebook file {name}")
        results = grade_notebook(path)
        passed = sum(r.error is None for r in results)
        print(f"{path.name}: {passed} / {len(results)} exercises pass")
        for r in results:
            print(f"  {'pass' if r.error is None else 'FAIL'}  {r.title}"
                  + (f"\n        {r.error}" if r.error else ""))  # fmt: skip
    return 0


# --------------------------------------------------------------------------------------- stats
READING_WORDS_PER_MINUTE = 200  # the rule behind the guide's reading times
GUIDE = ROOT / "docs" / "instructors.md"
GUIDE_BEGIN, GUIDE_END = "<!-- stats:begin -->", "<!-- stats:end -->"


def notebook_stats(source: Path) -> dict[str, int]:
    """What a notebook asks of a learner: cells, code lines, words of prose, exercises, KB."""
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    words = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    return {
        "cells": len(nb.cells),
        "code lines": sum(1 for text in code for line in text.splitlines() if line.strip()),
        "words": words,
        "reading min": round(words / READING_WORDS_PER_MINUTE),
        "exercises": len(exercise_sections(nb)),
        "KB": round(source.with_suffix(".ipynb").stat().st_size / 1000),
    }


def stats_table(sources: list[Path]) -> str:
    """The instructor guide's table, one row per notebook."""
    columns = list(notebook_stats(sources[0]))
    rows = ["| notebook | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for source in sources:
        values = notebook_stats(source).values()
        rows.append(f"| {source.stem} | " + " | ".join(str(v) for v in values) + " |")
    return "\n".join(rows)


def planned_guide(guide: Path = GUIDE) -> str:
    """The guide with its table rewritten from the notebooks as they are."""
    text = guide.read_text(encoding="utf-8")
    return replace_between(
        text, GUIDE_BEGIN, GUIDE_END, stats_table(notebook_sources()), guide.name
    )


def cmd_stats(args: argparse.Namespace) -> int:
    print(stats_table(notebook_sources(args.notebooks)))
    if args.write:
        GUIDE.write_text(planned_guide(), encoding="utf-8")
        print(f"rewrote the table of {GUIDE.relative_to(ROOT)}")
    return 0


# ----------------------------------------------------------------------------------------- CLI
def copy_prose(source: Path) -> int:
    """Copy the markdown cells of ``source`` into its paired ``.ipynb``, keeping the stored
    outputs; refused (``ValueError``) unless every code cell is unchanged, since only a fresh run
    may change what the code printed. Returns the number of markdown cells rewritten."""
    paired = source.with_suffix(".ipynb")
    fresh, stored = jupytext.read(source), nbformat.read(paired, as_version=4)
    code = [[c.source.rstrip() for c in nb.cells if c.cell_type == "code"]
            for nb in (fresh, stored)]  # fmt: skip
    kinds = [[c.cell_type for c in nb.cells] for nb in (fresh, stored)]
    if code[0] != code[1] or kinds[0] != kinds[1]:
        raise ValueError(
            f"{source.name}: code cells or cell order differ from {paired.name}; "
            f"re-execute it instead: make execute NB={source.stem[:2]}"
        )
    changed = 0
    for new, old in zip(fresh.cells, stored.cells):
        if new.cell_type == "markdown" and new.source.rstrip() != old.source.rstrip():
            old.source, changed = new.source, changed + 1
    paired.write_text(to_text(stored), encoding="utf-8")
    return changed


def cmd_prose(args: argparse.Namespace) -> int:
    for source in notebook_sources(args.notebooks):
        print(f"{source.name}: {copy_prose(source)} markdown cells copied")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    execute = commands.add_parser("execute", help="run notebooks into their paired .ipynb")
    execute.add_argument("notebooks", nargs="*", help="number prefixes, e.g. 00 03 (default: all)")
    execute.add_argument("--out", help="write the .ipynb files here instead of notebooks/")
    execute.add_argument("--html", action="store_true", help="also write an HTML page each")
    execute.set_defaults(run=cmd_execute)
    prose = commands.add_parser("prose", help="copy edited markdown into .ipynb, outputs kept")
    prose.add_argument("notebooks", nargs="*", help="number prefixes (default: all)")
    prose.set_defaults(run=cmd_prose)
    commands.add_parser("check", help="check .py/.ipynb pairs").set_defaults(run=cmd_check)
    badges = commands.add_parser("badges", help="rewrite Colab badges from pyproject.toml")
    badges.add_argument("--check", action="store_true", help="only report disagreements")
    badges.set_defaults(run=cmd_badges)
    student = commands.add_parser("student", help="write the student copies (no solutions)")
    student.add_argument("notebooks", nargs="*", help="number prefixes (default: all)")
    student.add_argument("--out", help="folder (default: notebooks/student)")
    student.set_defaults(run=cmd_student)
    grade = commands.add_parser("grade", help="run notebooks and score each exercise")
    grade.add_argument("notebooks", nargs="+", help=".ipynb files, e.g. a learner's copy")
    grade.set_defaults(run=cmd_grade)
    stats = commands.add_parser("stats", help="cells, code lines, reading time, exercises, size")
    stats.add_argument("notebooks", nargs="*", help="number prefixes (default: all)")
    stats.add_argument("--write", action="store_true", help="rewrite the table in docs/")
    stats.set_defaults(run=cmd_stats)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
