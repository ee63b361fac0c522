"""Interactive explorers for the notebooks, with a static fallback.

A live widget needs a running kernel: GitHub, nbval and a notebook opened without running it show
only what was stored. :func:`explore` therefore draws the figure once as an ordinary output (the
static fallback, for the controls' starting values) and then returns the live explorer, whose
``text/plain`` form is a one-line description instead of a widget repr.
"""

from __future__ import annotations

from collections.abc import Callable

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
        output = widgets.interactive_output(plot, controls)
        super().__init__([widgets.HBox(list(controls.values())), output])

    def __repr__(self) -> str:
        return f"Explorer: {self.description_text}"


def explore(
    plot: Callable[..., None], description: str, **controls: widgets.ValueWidget
) -> Explorer:
    """Show ``plot`` for the controls' start values as a static figure, then return the explorer.

    ``plot`` draws with matplotlib (a new figure each call); ``controls`` are ipywidgets value
    widgets (``IntSlider``, ``Dropdown``, ...), passed to ``plot`` as keyword arguments.
    """
    if not controls:
        raise ValueError("controls must name at least one widget, e.g. frame=IntSlider(...)")
    plot(**{name: control.value for name, control in controls.items()})
    plt.show()
    return Explorer(plot, controls, description)
