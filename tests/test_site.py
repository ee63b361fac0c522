"""The course site (tools/course_site.py, ``make site``): the staging of the notebook copies, then
two built pages opened in headless Chromium.

The browser tests use ``build/site/`` when ``make site`` built it from the inputs as they are now
(its digest says so) and build it once otherwise, so they never look at a stale site. Without
Sphinx, Playwright or Chromium they are skipped with the reason, except where
``VSTAR_BROWSER_TESTS=1`` (set by ``.ci/run``), where a missing piece is a failure.
"""

from __future__ import annotations

import base64
import functools
import http.server
import importlib.util
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

import course_site
from conftest import missing
from nbtools import BADGE_RE, WIDGET_VIEW, Repository

REPO = Repository("https://github.com/example-owner/example-course")


# ----------------------------------------------------------------------- staging, in memory
def gif_b64(frames: int = 3) -> str:
    images = [Image.new("RGB", (4, 4), (60 * i, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], loop=0)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def png_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def small_notebook() -> nbformat.NotebookNode:
    """A notebook shaped like the course's: badge title, an exercise, a widget, a GIF, a PNG."""
    title = (
        "# 03 · Topic\n\n"
        + REPO.header_links("03_topic.ipynb")
        + "\n\nSome prose that stays.\n\n## Goals"
    )
    solution = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    widget = new_output("execute_result", execution_count=3, data={
        WIDGET_VIEW: {"model_id": "1" * 32, "version_major": 2, "version_minor": 0},
        "text/plain": "Explorer: a caption"})  # fmt: skip
    only_widget = new_output("display_data", data={WIDGET_VIEW: {"model_id": "2" * 32}})
    figure = new_output("display_data", data={"image/png": png_b64(), "text/plain": "<Figure>"})
    gif = new_output("display_data", data={"image/png": gif_b64(), "text/plain": "GIF: 3 frames"})
    nb = new_notebook(cells=[
        new_markdown_cell(title),
        new_code_cell("x = 1", outputs=[figure]),
        new_code_cell(solution, outputs=[new_output("stream", name="stdout", text="ok\n")]),
        new_code_cell("explore(...)", outputs=[figure, widget, only_widget]),
        new_code_cell("show_gif(video)", outputs=[gif]),
    ])  # fmt: skip
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_the_site_copy_leaves_the_solved_notebook_unchanged():
    solved = small_notebook()
    before = nbformat.writes(solved)
    course_site.site_copy(solved, REPO, "03_topic.ipynb")
    assert nbformat.writes(solved) == before


def test_only_solution_cells_are_collapsed_and_keep_their_outputs():
    copy = course_site.site_copy(small_notebook(), REPO, "03_topic.ipynb")
    tagged = [i for i, c in enumerate(copy.cells) if "hide-input" in c.metadata.get("tags", [])]
    assert tagged == [2]
    assert copy.cells[2].outputs[0].text == "ok\n"
    assert copy.cells[2].metadata.mystnb["code_prompt_show"] == "Show the solution"


def test_widget_views_and_state_are_dropped_and_the_static_figure_stays():
    copy = course_site.site_copy(small_notebook(), REPO, "03_topic.ipynb")
    assert "widgets" not in copy.metadata
    outputs = copy.cells[3].outputs
    outputs_everywhere = [o for c in copy.cells for o in c.get("outputs", [])]
    assert all(WIDGET_VIEW not in o.get("data", {}) for o in outputs_everywhere)
    assert [sorted(o.data) for o in outputs] == [["image/png", "text/plain"], ["text/plain"]]
    assert outputs[1].data["text/plain"] == "Explorer: a caption"


def test_gif_bytes_move_to_image_gif_and_png_figures_stay_png():
    copy = course_site.site_copy(small_notebook(), REPO, "03_topic.ipynb")
    assert sorted(copy.cells[4].outputs[0].data) == ["image/gif", "text/plain"]
    assert sorted(copy.cells[1].outputs[0].data) == ["image/png", "text/plain"]
    assert course_site.is_gif(gif_b64()) and not course_site.is_gif(png_b64())


def test_the_remote_badge_becomes_a_local_button_with_the_student_and_source_links():
    source = course_site.site_copy(small_notebook(), REPO, "03_topic.ipynb").cells[0].source
    assert "colab-badge.svg" not in source and not BADGE_RE.search(source)
    assert "](../images/open-in-colab.svg)" in source
    base = "https://github.com/example-owner/example-course/blob/main/notebooks"
    colab = "https://colab.research.google.com/github/example-owner/example-course/blob/main"
    assert f"]({colab}/notebooks/student/03_topic.ipynb)" in source
    assert f"]({base}/03_topic.py)" in source and f"]({base}/03_topic.ipynb)" in source
    assert source.startswith("# 03 · Topic\n\n") and "Some prose that stays." in source


def test_a_notebook_without_a_badge_gets_the_links_below_its_title():
    nb = new_notebook(cells=[new_markdown_cell("# 07 · New\n\nProse.")])
    source = course_site.site_copy(nb, REPO, "07_new.ipynb").cells[0].source
    assert source.startswith("# 07 · New\n\n[![Open in Colab]") and source.endswith("Prose.")


def test_staging_globs_the_notebooks_and_writes_the_outline(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("02_b.ipynb", "00_a.ipynb", "notes.ipynb"):
        nbformat.write(small_notebook(), folder / name)
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n")
    staged = course_site.stage(tmp_path / "src", folder=folder, guide=guide)
    assert [p.name for p in staged] == ["00_a.ipynb", "02_b.ipynb"]
    index = (tmp_path / "src" / "index.md").read_text()
    assert index.index("notebooks/00_a\n") < index.index("notebooks/02_b\n")
    assert "notes" not in index and "\ninstructors\n" in index
    assert (tmp_path / "src" / "instructors.md").read_text() == "# Guide\n"
    assert (tmp_path / "src" / "images" / course_site.BUTTON).exists()


# ------------------------------------------------------------------------ the built site
@pytest.fixture(scope="session")
def site() -> Path:
    if course_site.is_fresh():
        return course_site.SITE_OUT
    for module in ("sphinx", "myst_nb", "sphinx_book_theme"):
        if importlib.util.find_spec(module) is None:
            missing(f"{module} is not installed: `make site` installs the site tools")
    course_site.build()
    return course_site.SITE_OUT


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def page_stems() -> list[str]:
    """An early notebook, and the first whose stem names VSP (else TAR): a page with GIFs."""
    stems = [p.stem for p in course_site.solved_notebooks()]
    with_gifs = [s for s in stems if "vsp" in s] or [s for s in stems if "tar" in s] or stems
    return [stems[0], with_gifs[0]]


@pytest.mark.parametrize("stem", page_stems())
def test_a_built_page_loads_everything_locally_and_shows_its_parts(stem, browser, site, server):
    origin = server
    failed: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def only_local(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            failed.append(f"outside the site: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url}: {r.status}"))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{origin}/notebooks/{stem}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    images = page.evaluate(
        "() => Array.from(document.images).map(i => ({src: i.getAttribute('src'),"
        " complete: i.complete, width: i.naturalWidth}))"
    )
    assert images and not [i for i in images if not (i["complete"] and i["width"] > 0)]
    assert not failed and not errors, (failed, errors)

    gifs = [i["src"] for i in images if i["src"].endswith(".gif")]
    frames = []
    for src in gifs:
        data = (site / "notebooks" / src).resolve().read_bytes()
        assert data[:6] in course_site.GIF_MAGIC, src
        frames.append(Image.open(io.BytesIO(data)).n_frames)
    assert max(frames, default=0) > 1, f"no animated GIF on {stem}: {gifs}"

    toggles = page.locator("details.hide", has_text="BEGIN SOLUTION")
    assert toggles.count() >= 1
    for index in range(toggles.count()):
        toggle = toggles.nth(index)
        assert toggle.evaluate("d => d.open") is False
        assert not toggle.locator("pre").first.is_visible()
    toggles.first.locator("summary").click()
    assert toggles.first.locator("pre").first.is_visible()

    repo = Repository.from_pyproject()
    colab = page.locator("a", has=page.locator('img[alt="Open in Colab"]'))
    assert colab.get_attribute("href") == repo.colab_url(f"student/{stem}.ipynb")
    for name in (f"{stem}.py", f"{stem}.ipynb"):
        assert page.locator(f'a[href="{repo.solved_url(name)}"]').count() == 1
    if os.environ.get("VSTAR_SITE_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['VSTAR_SITE_SCREENSHOTS']}/{stem}.png", full_page=False)
    page.close()
