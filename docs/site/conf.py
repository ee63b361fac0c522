"""Sphinx configuration of the course site (``make site``; sources staged by tools/course_site.py).

Why Sphinx + myst-nb, not Jupyter Book 2 / mystmd: mystmd's site build fetches its theme
(book-theme) over the network at build time and installs web libraries for it, whereas this build
must run offline. Sphinx, myst-nb and sphinx-book-theme are PyPI packages that carry their CSS,
JavaScript and icon fonts, and sphinx-mathjax-offline carries MathJax, so the build and the built
pages load nothing from elsewhere (tests/test_site.py checks every request of two pages).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from nbtools import Repository  # noqa: E402

project = "vstar-lite"
author = "vstar-lite developers"
copyright = "vstar-lite developers, MIT licensed"

extensions = [
    "myst_nb",
    # MathJax 3 from the package instead of a CDN; sets mathjax_path to the local copy
    "sphinx-mathjax-offline",
    # writes .nojekyll, so that GitHub Pages serves the _static/ and _images/ folders
    "sphinx.ext.githubpages",
]

# the stored outputs are the pages: never re-execute a notebook
nb_execution_mode = "off"
# no ipywidgets JavaScript (RequireJS and the widget manager come from a CDN); the staged copies
# carry no widget views, and this keeps the pages free of those scripts should one slip through
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "vstar-lite"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_theme_options = {
    "repository_url": Repository.from_pyproject(ROOT / "pyproject.toml").url,
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_copy_source = False
# the theme's colour mode when a reader has not chosen one (light: the figures have white
# backgrounds); left empty, the theme logs a console error on every page
html_context = {"default_mode": "light"}
