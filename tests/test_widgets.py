"""vstar_lite.widgets and the attention plots of vstar_lite.viz."""

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from vstar_lite.video import toy_clip
from vstar_lite.viz import attention_heatmap, attention_overlay
from vstar_lite.widgets import explore

matplotlib.use("Agg")


def test_explore_draws_a_static_figure_first_then_redraws_on_change():
    calls = []

    def plot(frame, scale):
        calls.append((frame, scale))
        plt.figure()

    slider, dropdown = (
        widgets.IntSlider(value=2, min=0, max=5),
        widgets.Dropdown(options=[1, 10], value=1),
    )
    explorer = explore(plot, "frame slider and scale", frame=slider, scale=dropdown)
    assert calls == [(2, 1)]  # drawn once, at the start values: static fallback and first view
    first_view = explorer.output.outputs
    assert len(first_view) == 1 and first_view[0]["output_type"] == "display_data"
    assert repr(explorer) == "Explorer: frame slider and scale"
    assert explorer._repr_mimebundle_()["text/plain"] == "Explorer: frame slider and scale"
    slider.value = 4
    assert calls[-1] == (4, 1)
    with pytest.raises(ValueError, match="controls must name at least one widget"):
        explore(plot, "nothing")
    with pytest.raises(ValueError, match="plot must draw a new matplotlib figure"):
        explore(lambda k: None, "draws nothing", k=widgets.IntSlider())


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
