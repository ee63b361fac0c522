"""Interactive explorers for the notebooks, with a static fallback.

A live widget needs a running kernel: GitHub, nbval and a notebook opened without running it show
only what was stored. :func:`explore` therefore draws the figure once, for the controls' starting
values, as an ordinary output (the static copy), and then returns the live explorer, whose
``text/plain`` form is a one-line description instead of a widget repr. A stored notebook thus
holds exactly one figure per explorer, and a test runner without widget support (nbval) compares
just that figure.

Only one figure is on screen at a time. The static copy is shown through a display handle, above
the controls; the explorer's ``Output`` widget, below the controls, holds nothing at first. The
first change of a control clears the static copy and draws the live view into the ``Output``;
later changes redraw it there.

The controls sit in one row that wraps onto further lines when it is too narrow for all of them.
A slider keeps its usual width (at least :data:`SLIDER_MIN_WIDTH`, so that its track stays
usable); other controls are as wide as their content (a dropdown as its longest option, a toggle
button as its label), and every description as wide as its text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

__all__ = ["SLIDER_MIN_WIDTH", "Explorer", "explore"]

SLIDER_MIN_WIDTH = "280px"
SLIDERS = (
    widgets.IntSlider,
    widgets.FloatSlider,
    widgets.FloatLogSlider,
    widgets.IntRangeSlider,
    widgets.FloatRangeSlider,
    widgets.SelectionSlider,
    widgets.SelectionRangeSlider,
)
CLEARED = {"text/plain": ""}  # what the static copy's place shows once the live view took over


def _fit(control: widgets.ValueWidget) -> None:
    """Size ``control`` for a wrapping row; a width set by the caller is left alone."""
    style, layout = getattr(control, "style", None), control.layout
    if style is not None and getattr(style, "description_width", None) == "":
        style.description_width = "initial"  # the description's own width: never truncated
    if isinstance(control, widgets.ToggleButtons):
        if not control.style.button_width:
            control.style.button_width = "auto"  # each button as wide as its label
        if layout.display is None:  # its description beside the buttons, not above them
            layout.display, layout.align_items = "flex", "center"
    if isinstance(control, SLIDERS):
        if layout.min_width is None and layout.width is None:
            layout.min_width = SLIDER_MIN_WIDTH
    elif layout.width is None:
        layout.width = "auto"  # as wide as its content (a dropdown: its longest option)
    if layout.flex is None:
        layout.flex = "0 0 auto"  # neither squeezed by its neighbours nor stretched


def _draw(plot: Callable[..., None], values: dict[str, Any]) -> list[plt.Figure]:
    """Call ``plot(**values)`` and return the figures it drew (left open for the caller)."""
    before = set(plt.get_fignums())
    plot(**values)
    return [plt.figure(number) for number in sorted(set(plt.get_fignums()) - before)]


def _show(figure: plt.Figure, **kwargs: Any) -> Any:
    """Display ``figure`` as an image output and close it; returns ``display``'s handle."""
    try:
        return display(figure, **kwargs)
    finally:
        plt.close(figure)


class Explorer(widgets.VBox):
    """Controls above a figure that ``plot(**values)`` redraws whenever a control changes.

    ``static`` holds the display handles of the static copy (filled by :func:`explore`); the first
    redraw clears them.
    """

    def __init__(
        self,
        plot: Callable[..., None],
        controls: dict[str, widgets.ValueWidget],
        description: str,
    ):
        self.description_text = description
        self.plot, self.controls = plot, controls
        self.static: list[Any] = []
        self.output = widgets.Output()
        for control in controls.values():
            _fit(control)
            control.observe(self.redraw, names="value")
        row = widgets.HBox(
            list(controls.values()),
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__([row, self.output])

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, _change: Any = None) -> None:
        """Clear the static copy (first call only), then draw the current view into ``output``."""
        handles, self.static = self.static, []
        for handle in handles:
            if handle is not None:
                handle.update(CLEARED, raw=True)
        with self.output:
            self.output.clear_output(wait=True)
            for figure in _draw(self.plot, self.values()):
                _show(figure)

    def __repr__(self) -> str:
        return f"Explorer: {self.description_text}"


def explore(
    plot: Callable[..., None], description: str, **controls: widgets.ValueWidget
) -> Explorer:
    """Show ``plot`` for the controls' start values as a static figure, then return the explorer.

    ``plot`` draws one or more new matplotlib figures and does not show them (``explore`` and
    the explorer do); ``controls`` are ipywidgets value widgets (``IntSlider``, ``Dropdown``, ...),
    passed to ``plot`` as keyword arguments.
    """
    if not controls:
        raise ValueError("controls must name at least one widget, e.g. frame=IntSlider(...)")
    explorer = Explorer(plot, controls, description)
    figures = _draw(plot, explorer.values())
    if not figures:
        raise ValueError(
            "plot must draw a new matplotlib figure and leave it open (no plt.show() inside "
            "plot: explore shows it)"
        )
    explorer.static = [_show(figure, display_id=True) for figure in figures]
    return explorer
