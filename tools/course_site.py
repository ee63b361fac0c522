"""The course site: the stored notebooks as static HTML pages, built offline with Sphinx + myst-nb.

    python tools/course_site.py stage [--src DIR]            # copies into build/site-src/ only
    python tools/course_site.py build [--src DIR] [--out DIR]  # stage, then sphinx-build

``stage`` copies every solved notebook (``notebooks/NN_topic.ipynb``, found by globbing, so a
renumbering needs no change here) into ``build/site-src/notebooks/`` and adjusts the copies only;
nothing is re-executed and the notebooks themselves are never written:

- each solution cell (one holding ``### BEGIN SOLUTION``) gets myst-nb's ``hide-input`` tag: its
  code sits in a toggle that is closed by default, and its outputs stay visible;
- ipywidgets views and the notebook's widget state are dropped, since showing them would need a
  script from a CDN (each explorer stores a static figure beside its widget, which stays);
- GIFs, which the notebooks store under ``image/png`` (see ``vstar_lite/viz.py``), are relabelled
  ``image/gif`` so that the page's image file is a ``.gif`` and is served as one;
- the remote Colab badge of the title cell is replaced by a local button that opens the student
  copy in Colab, followed by links to the notebook's ``.py`` source and solved ``.ipynb`` on
  GitHub (all addresses from ``[project.urls] Repository``, through ``nbtools.Repository``).

It also writes the index page (the course outline and the instructor guide). ``build`` then runs
``sphinx-build`` with the configuration in ``docs/site/`` into ``build/site/`` and records a digest
of its inputs there, so that a test can tell whether that site is fresh.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import (  # noqa: E402  (tools/ is not a package)
    BADGE_RE,
    NOTEBOOKS,
    ROOT,
    SOLUTION_RE,
    STUDENT_DIR,
    WIDGET_STATE,
    WIDGET_VIEW,
    Repository,
)

CONF_DIR = ROOT / "docs" / "site"
GUIDE = ROOT / "docs" / "instructors.md"
SITE_SRC = ROOT / "build" / "site-src"
SITE_OUT = ROOT / "build" / "site"
DIGEST_FILE = ".inputs-digest"
BUTTON = "open-in-colab.svg"  # a local image: the page loads nothing from elsewhere
HIDE_TAG = "hide-input"
SOLUTION_PROMPTS = {
    "code_prompt_show": "Show the solution",
    "code_prompt_hide": "Hide the solution",
}
GIF_MAGIC = (b"GIF87a", b"GIF89a")


def solved_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The solved notebooks ``NN_topic.ipynb`` of ``folder``, in course order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


# ------------------------------------------------------------------------------ cell adjustments
def is_solution_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is a code cell holding an exercise solution (nbgrader's delimiters)."""
    return cell.cell_type == "code" and bool(SOLUTION_RE.search(cell.source))


def collapse_solutions(nb: nbformat.NotebookNode) -> int:
    """Tag every solution cell ``hide-input`` (outputs stay shown); returns how many were."""
    count = 0
    for cell in nb.cells:
        if is_solution_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            if HIDE_TAG not in tags:
                tags.append(HIDE_TAG)
            cell.metadata.setdefault("mystnb", {}).update(SOLUTION_PROMPTS)
            count += 1
    return count


def drop_widgets(nb: nbformat.NotebookNode) -> int:
    """Remove widget views from the outputs and the widget state from the metadata; an output left
    with no data at all goes too (its ``text/plain`` caption, when it has one, stays). Returns how
    many widget views were removed."""
    removed = 0
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data or WIDGET_STATE in data:
                removed += WIDGET_VIEW in data
                data.pop(WIDGET_VIEW, None)
                data.pop(WIDGET_STATE, None)
                if not data:
                    continue
            kept.append(output)
        cell.outputs = kept
    return removed


def is_gif(b64: str) -> bool:
    """Whether a base64 image payload holds GIF bytes (whatever MIME type it is stored under)."""
    head = base64.b64decode(b64.strip()[:16])
    return head.startswith(GIF_MAGIC)


def relabel_gifs(nb: nbformat.NotebookNode) -> int:
    """Move GIF bytes stored under ``image/png`` to ``image/gif``; returns how many were moved."""
    moved = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if "image/png" in data and is_gif(data["image/png"]):
                data["image/gif"] = data.pop("image/png")
                moved += 1
    return moved


def header_links(repo: Repository, notebook: str, button: str = f"../images/{BUTTON}") -> str:
    """A page's links: the local Colab button (the student copy), then the sources on GitHub."""
    stem = notebook.removesuffix(".ipynb")
    colab = repo.colab_url(f"{STUDENT_DIR}/{notebook}")
    return (
        f"[![Open in Colab]({button})]({colab}) (the exercises, to solve) · "
        f"source on GitHub: [`{stem}.py`]({repo.solved_url(f'{stem}.py')}) · "
        f"[`{notebook}`]({repo.solved_url(notebook)}) (solved, with outputs)"
    )


def replace_badge(nb: nbformat.NotebookNode, repo: Repository, notebook: str) -> None:
    """Put the page's header links in the first markdown cell: in place of its remote Colab badge,
    or below its title when it has no badge."""
    cell = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if cell is None:
        cell = nbformat.v4.new_markdown_cell(f"# {notebook}")
        nb.cells.insert(0, cell)
    links = header_links(repo, notebook)
    if BADGE_RE.search(cell.source):
        cell.source = BADGE_RE.sub(lambda _: links, cell.source)
        return
    lines = cell.source.split("\n")
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    cell.source = "\n".join([*lines[:at], "", links, "", *lines[at:]])


def site_copy(
    solved: nbformat.NotebookNode, repo: Repository, notebook: str
) -> nbformat.NotebookNode:
    """The copy of a solved notebook that the site shows (``solved`` itself is not changed)."""
    nb = nbformat.from_dict(json.loads(json.dumps(solved)))
    collapse_solutions(nb)
    drop_widgets(nb)
    relabel_gifs(nb)
    replace_badge(nb, repo, notebook)
    return nb


# ---------------------------------------------------------------------------------- the pages
def index_page(notebooks: list[Path], repo: Repository) -> str:
    """The site's front page: what the course is, the notebooks in order, the instructor guide."""
    entries = "\n".join(f"notebooks/{path.stem}" for path in notebooks)
    return f"""# vstar-lite: video diffusion, one idea per notebook

A notebook-first course that builds the attention layers of a text-to-video diffusion model,
then VSTAR's temporal attention regularization (TAR) and video synopsis prompting (VSP), on top
of the small package `vstar_lite`. Each page is a notebook as stored in the
[repository]({repo.url}), with its outputs: every solution sits in a closed toggle
("Show the solution"), and each page's Colab button opens the student copy, with the exercises
left to solve.

```{{toctree}}
:caption: Notebooks
:maxdepth: 1
:titlesonly:

{entries}
```

```{{toctree}}
:caption: Teaching
:maxdepth: 1

instructors
```
"""


def stage(src: Path = SITE_SRC, folder: Path = NOTEBOOKS, guide: Path = GUIDE) -> list[Path]:
    """Write the site's sources into ``src`` (emptied first); returns the staged notebooks."""
    repo = Repository.from_pyproject()
    notebooks = solved_notebooks(folder)
    if not notebooks:
        raise SystemExit(f"no notebook NN_*.ipynb in {folder}")
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "images").mkdir()
    shutil.copy2(CONF_DIR / BUTTON, src / "images" / BUTTON)
    staged = []
    for path in notebooks:
        nb = site_copy(nbformat.read(path, as_version=4), repo, path.name)
        target = src / "notebooks" / path.name
        nbformat.write(nb, target)
        staged.append(target)
    (src / "index.md").write_text(index_page(notebooks, repo), encoding="utf-8")
    shutil.copy2(guide, src / "instructors.md")
    return staged


# ---------------------------------------------------------------------------------- the build
def inputs_digest(folder: Path = NOTEBOOKS) -> str:
    """A digest of everything the site is built from: a site carrying it is fresh."""
    files = [
        *solved_notebooks(folder),
        GUIDE,
        ROOT / "pyproject.toml",
        Path(__file__).resolve(),
        ROOT / "tools" / "nbtools.py",
        *sorted(p for p in CONF_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_fresh(out: Path = SITE_OUT) -> bool:
    """Whether ``out`` holds a site built from the inputs as they are now."""
    stamp = out / DIGEST_FILE
    return stamp.exists() and stamp.read_text(encoding="utf-8").strip() == inputs_digest()


def build(src: Path = SITE_SRC, out: Path = SITE_OUT, jobs: str = "1") -> Path:
    """Stage the sources, build the HTML site into ``out`` (emptied first) and stamp it."""
    digest = inputs_digest()
    stage(src)
    if out.exists():
        shutil.rmtree(out)
    doctrees = src.parent / "site-doctrees"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", jobs,
               "-c", str(CONF_DIR), "-d", str(doctrees), str(src), str(out)]  # fmt: skip
    subprocess.run(command, check=True)
    (out / DIGEST_FILE).write_text(digest + "\n", encoding="utf-8")
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("stage", "build"):
        command = commands.add_parser(name)
        command.add_argument("--src", type=Path, default=SITE_SRC, help="staged sources")
        if name == "build":
            command.add_argument("--out", type=Path, default=SITE_OUT, help="the built site")
    args = parser.parse_args(argv)
    if args.command == "stage":
        print(f"staged {len(stage(args.src))} notebooks into {args.src}")
    else:
        print(f"built {build(args.src, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
