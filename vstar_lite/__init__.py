"""vstar-lite: the small library behind the vstar-lite notebooks on video diffusion.

Modules, in the order the notebooks meet them:

- :mod:`vstar_lite.video`: the ``b c f h w`` layout, the SCVideo reshapes, a synthetic clip;
- :mod:`vstar_lite.viz`: frame strips, GIFs that play in notebooks, attention heatmaps;
- :mod:`vstar_lite.widgets`: interactive explorers with a static fallback;
- :mod:`vstar_lite.attention`: attention and the SCVideo attentions of Eq. 1-4;
- :mod:`vstar_lite.blocks`: the SS-T block and its Make-A-Video initialization;
- :mod:`vstar_lite.tar`: VSTAR's temporal attention regularization, ``TARConfig``, diagonalness;
- :mod:`vstar_lite.vsp`: video synopsis prompting: synopses, per-frame embedding interpolation;
- :mod:`vstar_lite.tiny`: the tiny world and its diffusers-component model, trained on CPU;
- :mod:`vstar_lite.bench`: benchmarks: TAR attention, tiny-model sampling (``vstar-lite bench``);
- :mod:`vstar_lite.diffusers_hooks`: ``enable_vstar`` on diffusers text-to-video UNets;
- :mod:`vstar_lite.pipeline`: ``VSTARPipeline``, prompt or synopsis in, frames out (any model);
- :mod:`vstar_lite.export`: GIF and MP4 files; :mod:`vstar_lite.batch`: ``vstar-lite batch``;
- :mod:`vstar_lite.utils`: seeding and the notebooks' set-up cell;
- :mod:`vstar_lite.paths`: where the shipped data lives.
"""

__version__ = "0.1.0.dev0"
__all__ = ["TARConfig", "VSTARPipeline", "__version__", "enable_vstar"]

_LAZY = {
    "TARConfig": "vstar_lite.tar",
    "VSTARPipeline": "vstar_lite.pipeline",
    "enable_vstar": "vstar_lite.diffusers_hooks",
}


def __getattr__(name: str) -> object:
    """``vstar_lite.TARConfig`` etc. without importing torch for ``vstar-lite --version``."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vstar_lite' has no attribute {name!r}")
