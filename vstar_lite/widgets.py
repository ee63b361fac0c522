"""Interactive explorers for the notebooks, with a static fallback.

A live widget needs a running kernel: GitHub, nbval and a notebook opened without running it show
only what was stored. :func:`explore` therefore draws the figure once as an ordinary output (the
static fallback, for the controls' starting values) and then returns the live explorer, whose
``text/plain`` form is a one-line description instead of a widget repr.

The explorer's first view is the same figure, placed in its ``Output`` widget's state rather than
sent as a second display message: a test runner without widget support (nbval) then sees exactly
one figure per explorer, as stored. Later views are drawn when a control changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt

__all__ = ["Explorer", "explore"]


class Explorer(widgets.VBox):
    """Controls above a figure that ``plot(**values)`` redraws whenever a control changes."""

    def __init__(
        self,
        plot: Callable[..., None],
        controls: dict[str, widgets.ValueWidget],
        description: str,
    ):
        self.description_text = description
        self.plot, self.controls = plot, controls
        self.output = widgets.Output()
        for control in controls.values():
            control.observe(self.redraw, names="value")
        super().__init__([widgets.HBox(list(controls.values())), self.output])

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, _change: Any = None) -> None:
        with self.output:
            self.output.clear_output(wait=True)
            self.plot(**self.values())
            plt.show()

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
    before = set(plt.get_fignums())
    plot(**explorer.values())
    drawn = sorted(set(plt.get_fignums()) - before)
    if not drawn:
        raise ValueError(
            "plot must draw a new matplotlib figure and leave it open (no plt.show() inside "
            "plot: explore shows it)"
        )
    for number in drawn:  # the first view, kept in the explorer's state
        explorer.output.append_display_data(plt.figure(number))
    plt.show()  # the static fallback: the same figures as ordinary outputs
    return explorer
