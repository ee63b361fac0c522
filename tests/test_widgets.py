"""vstar_lite.widgets and the attention plots of vstar_lite.viz."""

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from vstar_lite import widgets as widgets_module
from vstar_lite.video import toy_clip
from vstar_lite.viz import attention_heatmap, attention_overlay
from vstar_lite.widgets import explore

matplotlib.use("Agg")


class Handle:
    """Stands in for IPython's display handle: records what the explorer puts in its place."""

    def __init__(self, log: list, obj):
        self.log, self.shown = log, obj

    def update(self, obj, **kwargs):
        self.log.append(("update", self, obj, kwargs))
        self.shown = obj


@pytest.fixture
def displayed(monkeypatch):
    """What ``vstar_lite.widgets`` displays: ("display", object, kwargs) and handle updates."""
    log: list = []

    def display(obj, **kwargs):
        log.append(("display", obj, kwargs))
        return Handle(log, obj) if kwargs.get("display_id") else None

    monkeypatch.setattr(widgets_module, "display", display)
    return log


def test_explore_shows_one_static_figure_then_the_live_view_replaces_it(displayed):
    calls = []

    def plot(frame, scale):
        calls.append((frame, scale))
        plt.figure()

    slider, dropdown = (
        widgets.IntSlider(value=2, min=0, max=5),
        widgets.Dropdown(options=[1, 10], value=1),
    )
    open_before = set(plt.get_fignums())
    explorer = explore(plot, "frame slider and scale", frame=slider, scale=dropdown)
    assert calls == [(2, 1)]  # drawn once, at the start values: the static copy
    # the static copy: one figure, through a display handle; the Output holds nothing yet
    assert [(kind, type(obj)) for kind, obj, *_ in displayed] == [("display", plt.Figure)]
    assert displayed[0][2] == {"display_id": True}
    (handle,) = explorer.static
    assert explorer.output.outputs == ()
    assert set(plt.get_fignums()) == open_before  # shown figures are closed
    assert repr(explorer) == "Explorer: frame slider and scale"
    assert explorer._repr_mimebundle_()["text/plain"] == "Explorer: frame slider and scale"

    slider.value = 4  # the first change clears the static copy and draws the live view
    assert calls[-1] == (4, 1)
    assert displayed[1] == ("update", handle, widgets_module.CLEARED, {"raw": True})
    assert handle.shown == widgets_module.CLEARED and explorer.static == []
    assert displayed[2][0] == "display" and isinstance(displayed[2][1], plt.Figure)
    assert "display_id" not in displayed[2][2]  # inside the Output, not a new static copy
    assert set(plt.get_fignums()) == open_before

    dropdown.value = 10  # later changes only redraw the live view
    assert calls[-1] == (4, 10)
    assert [entry[0] for entry in displayed] == ["display", "update", "display", "display"]

    with pytest.raises(ValueError, match="controls must name at least one widget"):
        explore(plot, "nothing")
    with pytest.raises(ValueError, match="plot must draw a new matplotlib figure"):
        explore(lambda k: None, "draws nothing", k=widgets.IntSlider())


def test_explore_shows_every_figure_plot_draws_and_clears_them_all(displayed):
    explorer = explore(lambda k: (plt.figure(), plt.figure()), "two", k=widgets.IntSlider())
    assert len(explorer.static) == 2
    explorer.controls["k"].value = 1
    assert sorted(entry[0] for entry in displayed) == ["display"] * 4 + ["update"] * 2


def test_explorer_lays_its_controls_out_in_a_wrapping_row_above_the_figure(displayed):
    controls = dict(
        colour=widgets.Dropdown(options=["red", "blue"], description="colour"),
        seed=widgets.IntSlider(description="seed"),
        sigma=widgets.FloatSlider(description="sigma", layout=widgets.Layout(width="500px")),
        level=widgets.ToggleButtons(options=["0 (8x8)", "1 (4x4)"], description="level"),
        average=widgets.Checkbox(description="mean over all steps"),
    )
    explorer = explore(lambda **_: plt.figure(), "five controls", **controls)
    row, output = explorer.children
    assert output is explorer.output and list(row.children) == list(controls.values())
    assert row.layout.flex_flow == "row wrap"
    for control in controls.values():
        assert control.style.description_width == "initial"  # never truncated
        assert control.layout.flex == "0 0 auto"  # not squeezed by its neighbours
    assert controls["seed"].layout.min_width == widgets_module.SLIDER_MIN_WIDTH
    assert controls["sigma"].layout.min_width is None  # a width the caller set is kept
    assert controls["sigma"].layout.width == "500px"
    assert controls["level"].style.button_width == "auto"
    assert (controls["level"].layout.display, controls["level"].layout.align_items) == (
        "flex",
        "center",
    )
    assert controls["colour"].layout.min_width is None
    assert [controls[k].layout.width for k in ("colour", "level", "average")] == ["auto"] * 3


def test_attention_heatmap_draws_the_matrix_and_checks_its_shape():
    probs = torch.softmax(torch.randn(4, 6), dim=-1)
    ax = attention_heatmap(probs, title="p", annotate=True)
    assert ax.images[0].get_array().shape == (4, 6)
    assert len(ax.texts) == 24 and ax.get_title() == "p"
    with pytest.raises(
        ValueError, match=r"probs must be a 2-D matrix \(n, m\), got shape \(2, 4, 6\)"
    ):
        attention_heatmap(torch.zeros(2, 4, 6))


def test_attention_overlay_needs_weights_of_the_frame_shape():
    frame = toy_clip(num_frames=1, height=16, width=12)[:, 0]  # "c h w"
    ax = attention_overlay(frame, torch.rand(16, 12), title="query (3, 4)")
    assert len(ax.images) == 2
    with pytest.raises(
        ValueError, match=r"weights must have the frame's shape \(16, 12\), got \(12, 16\)"
    ):
        attention_overlay(frame, torch.rand(12, 16))
